//! Fills `email_key` with the application's own rule, `email_key()` of
//! this crate: a backfill SQL cannot write. It runs in the migrator's
//! transaction, between the SQL migrations before and after it.

use migrate_examples::email_key;
use migrate_runtime::rusqlite::Connection;

type Result = std::result::Result<(), Box<dyn std::error::Error + Send + Sync>>;

pub fn up(conn: &Connection) -> Result {
    let mut read = conn.prepare("SELECT id, email FROM accounts")?;
    let accounts: Vec<(i64, String)> = read
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<std::result::Result<_, _>>()?;
    let mut write = conn.prepare("UPDATE accounts SET email_key = ?1 WHERE id = ?2")?;
    for (id, email) in accounts {
        write.execute((email_key(&email), id))?;
    }
    Ok(())
}

pub fn down(conn: &Connection) -> Result {
    conn.execute("UPDATE accounts SET email_key = NULL", [])?;
    Ok(())
}
