//! Lint `drop-column`: dropping a column the running release reads is a compile error from the version
//! `lint_errors_from` names on.

static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("fixtures/lint-drop-column", lint_errors_from = 2);

fn main() {}
