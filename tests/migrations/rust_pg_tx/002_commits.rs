//! Commits the run's transaction behind its back, after a row.

use migrate_runtime::postgres::Transaction;

type Result = std::result::Result<(), Box<dyn std::error::Error + Send + Sync>>;

pub fn up(tx: &mut Transaction<'_>) -> Result {
    tx.execute("INSERT INTO items (n) VALUES (2)", &[])?;
    tx.batch_execute("COMMIT")?;
    Ok(())
}

pub fn down(tx: &mut Transaction<'_>) -> Result {
    tx.execute("DELETE FROM items WHERE n = 2", &[])?;
    Ok(())
}
