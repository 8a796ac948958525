//! A directory of PostgreSQL-only SQL compiles when the replay is turned
//! off, with a reason or with the dialect.

static CHECK_OFF: migrate_runtime::Migrations = migrate_runtime::embed_migrations!(
    "fixtures/replay-postgres-only",
    check = false,
    reason = "pgcrypto and array columns: PostgreSQL only"
);

static POSTGRES: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("fixtures/replay-postgres-only", dialect = "postgres");

fn main() {
    assert_eq!(CHECK_OFF.len(), 1);
    assert_eq!(POSTGRES.all()[0].up().len(), 2);
}
