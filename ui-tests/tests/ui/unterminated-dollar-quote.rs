static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("fixtures/unterminated-dollar-quote", dialect = "postgres");

fn main() {}
