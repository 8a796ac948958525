//! A Rust migration that changes the schema, which the build-time replay
//! cannot see: the migration-path test finds it.

use migrate_runtime::rusqlite::Connection;

type Result = std::result::Result<(), Box<dyn std::error::Error + Send + Sync>>;

pub fn up(conn: &Connection) -> Result {
    conn.execute("CREATE TABLE audit (at TEXT)", [])?;
    Ok(())
}

pub fn down(conn: &Connection) -> Result {
    conn.execute("DROP TABLE audit", [])?;
    Ok(())
}
