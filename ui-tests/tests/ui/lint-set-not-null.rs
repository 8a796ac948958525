//! Lint `set-not-null`: SET NOT NULL without a check first: a scan under an exclusive lock, and a failure if a row holds NULL is a compile error from the version
//! `lint_errors_from` names on.

static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("fixtures/lint-set-not-null", dialect = "postgres", lint_errors_from = 2);

fn main() {}
