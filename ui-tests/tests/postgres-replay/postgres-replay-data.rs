//! With `MIGRATE_REPLAY_POSTGRES_URL` set, a data statement the server
//! refuses is a compile error at its line (and column, where the server
//! points at one), with its SQLSTATE and the server's detail.

static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("fixtures/postgres-replay-data", dialect = "postgres");

fn main() {}
