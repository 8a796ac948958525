//! Lint `unique-on-existing-data`: a unique index on rows that may hold duplicates is a compile error from the version
//! `lint_errors_from` names on.

static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("fixtures/lint-unique-on-existing-data", lint_errors_from = 2);

fn main() {}
