//! With `MIGRATE_REPLAY_POSTGRES_URL` set, a Down that leaves an index, one
//! that changes a column's type and one that fails are compile errors,
//! found on a scratch database of that server.

static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("fixtures/postgres-replay-down", dialect = "postgres");

fn main() {}
