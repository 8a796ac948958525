//! Lint `truncate-table`: TRUNCATE of a table with rows, is a compile error from the version
//! `lint_errors_from` names on.

static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("fixtures/lint-truncate-table", dialect = "postgres", lint_errors_from = 2);

fn main() {}
