//! A backfill slower than its file's time limit: the server stops its
//! query at the limit, and the run rolls back.
// +migrate Timeout 1s

use migrate_runtime::postgres::Transaction;

pub fn up(tx: &mut Transaction<'_>) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    tx.execute("INSERT INTO jobs VALUES (1)", &[])?;
    tx.execute("SELECT pg_sleep(5)", &[])?;
    Ok(())
}
