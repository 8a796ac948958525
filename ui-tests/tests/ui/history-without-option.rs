//! The directory `tests/pass/history.rs` takes with `irreversible_before`,
//! without it: every old Down is checked, and the messages name diesel's
//! folders as they are written.

static HISTORY: migrate_runtime::Migrations = migrate_runtime::embed_migrations!("fixtures/history");

fn main() {}
