//! Lint `lock-table`: LOCK TABLE in ACCESS EXCLUSIVE mode blocks reads and writes until the transaction ends, is a compile error from the version
//! `lint_errors_from` names on.

static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("fixtures/lint-lock-table", dialect = "postgres", lint_errors_from = 2);

fn main() {}
