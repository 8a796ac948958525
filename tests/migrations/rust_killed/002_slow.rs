//! Counts itself, then works for a while, in the run's transaction: a
//! process killed meanwhile leaves nothing of it.

use migrate_runtime::rusqlite::Connection;

pub fn up(conn: &Connection) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    conn.execute("INSERT INTO counter (migration) VALUES (2)", [])?;
    std::thread::sleep(std::time::Duration::from_millis(1500));
    Ok(())
}
