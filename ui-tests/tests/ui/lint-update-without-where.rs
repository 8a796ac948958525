//! Lint `update-without-where`: UPDATE without WHERE keeps every row locked until the migration commits, is a compile error from the version
//! `lint_errors_from` names on.

static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("fixtures/lint-update-without-where", dialect = "postgres", lint_errors_from = 2);

fn main() {}
