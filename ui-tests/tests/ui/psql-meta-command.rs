static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("fixtures/psql-meta-command", dialect = "postgres");

fn main() {}
