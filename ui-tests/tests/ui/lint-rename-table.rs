//! Lint `rename-table`: renaming a table the running release uses is a compile error from the version
//! `lint_errors_from` names on.

static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("fixtures/lint-rename-table", lint_errors_from = 2);

fn main() {}
