// PostgreSQL-only SQL without an opt-out fails the SQLite replay.
static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("fixtures/replay-postgres-only");

fn main() {}
