//! Lint `drop-index-not-concurrently`: DROP INDEX without CONCURRENTLY locks its table against reads and writes, is a compile error from the version
//! `lint_errors_from` names on.

static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("fixtures/lint-drop-index-not-concurrently", dialect = "postgres", lint_errors_from = 2);

fn main() {}
