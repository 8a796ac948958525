//! Lint `drop-not-null`: DROP NOT NULL on a column the running release reads, is a compile error from the version
//! `lint_errors_from` names on.

static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("fixtures/lint-drop-not-null", dialect = "postgres", lint_errors_from = 2);

fn main() {}
