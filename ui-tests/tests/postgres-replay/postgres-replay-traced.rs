//! With `MIGRATE_REPLAY_POSTGRES_URL` set, the replay traces the locks each
//! statement takes: a rewrite under `ACCESS EXCLUSIVE` that no rule can
//! see (a type change inside a `DO` block) is a finding at its file and
//! line, an error from `lint_errors_from` on.

static MIGRATIONS: migrate_runtime::Migrations = migrate_runtime::embed_migrations!(
    "fixtures/postgres-replay-traced",
    dialect = "postgres",
    lint_errors_from = 2
);

fn main() {}
