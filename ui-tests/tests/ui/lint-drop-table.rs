//! Lint `drop-table`: dropping a table (and a view) the running release uses is a compile error from the version
//! `lint_errors_from` names on.

static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("fixtures/lint-drop-table", lint_errors_from = 2);

fn main() {}
