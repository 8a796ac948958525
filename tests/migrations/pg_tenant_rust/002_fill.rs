//! Fills `items` from Rust, in the run's transaction: its unqualified
//! name means the run's schema.

use migrate_runtime::postgres::Transaction;

type Result = std::result::Result<(), Box<dyn std::error::Error + Send + Sync>>;

pub fn up(tx: &mut Transaction<'_>) -> Result {
    for n in 1..=150 {
        tx.execute("INSERT INTO items VALUES ($1)", &[&n])?;
    }
    Ok(())
}

pub fn down(tx: &mut Transaction<'_>) -> Result {
    tx.execute("DELETE FROM items", &[])?;
    Ok(())
}
