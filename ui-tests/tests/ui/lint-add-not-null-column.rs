//! Lint `add-not-null-column`: adding a NOT NULL column without a default to a table with rows is a compile error from the version
//! `lint_errors_from` names on.

static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("fixtures/lint-add-not-null-column", dialect = "postgres", lint_errors_from = 2);

fn main() {}
