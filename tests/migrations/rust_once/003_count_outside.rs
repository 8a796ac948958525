//! Counts itself outside any transaction: nothing but the migration lock
//! keeps a second process from running it too.
// +migrate NoTransaction

use migrate_runtime::rusqlite::Connection;

pub fn up(conn: &Connection) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    conn.execute("INSERT INTO counter (migration) VALUES (3)", [])?;
    Ok(())
}
