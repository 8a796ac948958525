//! Lint `not-null-on-existing-data`: SET NOT NULL on rows that may hold NULL, after a validated check (so no `set-not-null`) is a compile error from the version
//! `lint_errors_from` names on.

static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("fixtures/lint-not-null-on-existing-data", dialect = "postgres", lint_errors_from = 2);

fn main() {}
