//! Lint `constraint-builds-index`: a unique constraint whose index ALTER TABLE builds while reads and writes wait, is a compile error from the version
//! `lint_errors_from` names on.

static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("fixtures/lint-constraint-builds-index", dialect = "postgres", lint_errors_from = 2);

fn main() {}
