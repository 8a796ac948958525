//! Lint `add-column-rewrite`: ADD COLUMN with a volatile default, which rewrites the table under an exclusive lock, is a compile error from the version
//! `lint_errors_from` names on.

static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("fixtures/lint-add-column-rewrite", dialect = "postgres", lint_errors_from = 2);

fn main() {}
