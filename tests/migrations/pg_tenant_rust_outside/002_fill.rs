//! Fills `items` from Rust outside a transaction: its statements cannot
//! carry the run's schema through a pooler in transaction mode.
// +migrate NoTransaction

use migrate_runtime::postgres::Client;

type Result = std::result::Result<(), Box<dyn std::error::Error + Send + Sync>>;

pub fn up(client: &mut Client) -> Result {
    for n in 1..=150 {
        client.execute("INSERT INTO items VALUES ($1)", &[&n])?;
    }
    Ok(())
}

pub fn down(client: &mut Client) -> Result {
    client.execute("DELETE FROM items", &[])?;
    Ok(())
}
