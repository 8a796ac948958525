static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("fixtures/replay-postgres-only", dialect = "oracle");

fn main() {}
