//! Lint `drop-database`: DROP DATABASE in a migration, is a compile error from the version
//! `lint_errors_from` names on.

static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("fixtures/lint-drop-database", dialect = "postgres", lint_errors_from = 2);

fn main() {}
