//! With `MIGRATE_REPLAY_POSTGRES_URL` set, a sound PostgreSQL set (an
//! extension, an enum, a trigger function, `CREATE INDEX CONCURRENTLY`
//! outside a transaction, a `DO` block) replays on the server and compiles.

static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("fixtures/pass-postgres", dialect = "postgres");

fn main() {
    assert_eq!(MIGRATIONS.len(), 3);
}
