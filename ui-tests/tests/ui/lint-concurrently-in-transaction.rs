//! Lint `concurrently-in-transaction`: CONCURRENTLY in a migration that runs in a transaction is a compile error from the version
//! `lint_errors_from` names on.

static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("fixtures/lint-concurrently-in-transaction", dialect = "postgres", lint_errors_from = 2);

fn main() {}
