//! Lint `detach-partition-not-concurrently`: DETACH PARTITION without CONCURRENTLY locks the parent table, is a compile error from the version
//! `lint_errors_from` names on.

static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("fixtures/lint-detach-partition-not-concurrently", dialect = "postgres", lint_errors_from = 2);

fn main() {}
