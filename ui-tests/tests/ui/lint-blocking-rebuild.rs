//! Lint `blocking-rebuild`: VACUUM FULL rewrites the table under an exclusive lock, is a compile error from the version
//! `lint_errors_from` names on.

static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("fixtures/lint-blocking-rebuild", dialect = "postgres", lint_errors_from = 2);

fn main() {}
