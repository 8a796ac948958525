//! Lint `change-column-type`: changing a column's type, which also rewrites the table on PostgreSQL (`type-rewrite`) is a compile error from the version
//! `lint_errors_from` names on.

static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("fixtures/lint-change-column-type", dialect = "postgres", lint_errors_from = 2);

fn main() {}
