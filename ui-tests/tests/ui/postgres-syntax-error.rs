static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("fixtures/postgres-syntax-error", dialect = "postgres");

fn main() {}
