//! Lint `index-not-concurrently`: an index built without CONCURRENTLY on a table with rows is a compile error from the version
//! `lint_errors_from` names on.

static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("fixtures/lint-index-not-concurrently", dialect = "postgres", lint_errors_from = 2);

fn main() {}
