//! Given the client outside a transaction, opens one and returns without
//! ending it.
// +migrate NoTransaction

use migrate_runtime::postgres::Client;

type Result = std::result::Result<(), Box<dyn std::error::Error + Send + Sync>>;

pub fn up(client: &mut Client) -> Result {
    client.batch_execute("BEGIN; INSERT INTO items (n) VALUES (2)")?;
    Ok(())
}

pub fn down(client: &mut Client) -> Result {
    client.execute("DELETE FROM items WHERE n = 2", &[])?;
    Ok(())
}
