//! A finding acknowledged with `-- +migrate Allow <code> <reason>` is
//! silent, and a table created in the same migration is new: its index and
//! foreign key are no findings. `#![deny(deprecated)]` would turn any
//! finding left into an error.
#![deny(deprecated)]

static MIGRATIONS: migrate_runtime::Migrations = migrate_runtime::embed_migrations!(
    "fixtures/pass-lint-allowed",
    dialect = "postgres",
    lint_errors_from = 2
);

fn main() {
    assert_eq!(MIGRATIONS.len(), 4);
}
