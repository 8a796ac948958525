//! Lint `constraint-not-valid`: a check constraint added without NOT VALID is a compile error from the version
//! `lint_errors_from` names on.

static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("fixtures/lint-constraint-not-valid", dialect = "postgres", lint_errors_from = 2);

fn main() {}
