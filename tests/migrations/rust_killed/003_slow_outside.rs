//! Counts itself, then works for a while, outside any transaction: a
//! process killed meanwhile leaves its count, and the mark that it started.
// +migrate NoTransaction

use migrate_runtime::rusqlite::Connection;

pub fn up(conn: &Connection) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    conn.execute("INSERT INTO counter (migration) VALUES (3)", [])?;
    std::thread::sleep(std::time::Duration::from_millis(1500));
    Ok(())
}
