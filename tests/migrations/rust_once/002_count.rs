//! Counts itself, in the run's transaction.

use migrate_runtime::rusqlite::Connection;

pub fn up(conn: &Connection) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    conn.execute("INSERT INTO counter (migration) VALUES (2)", [])?;
    Ok(())
}

pub fn down(conn: &Connection) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    conn.execute("DELETE FROM counter WHERE migration = 2", [])?;
    Ok(())
}
