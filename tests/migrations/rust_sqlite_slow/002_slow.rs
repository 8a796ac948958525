//! Works in Rust (no SQL running) past its file's time limit: stopped
//! when it returns, and rolled back.
// +migrate Timeout 300ms

use migrate_runtime::rusqlite::Connection;

type Result = std::result::Result<(), Box<dyn std::error::Error + Send + Sync>>;

pub fn up(conn: &Connection) -> Result {
    conn.execute("INSERT INTO items (n) VALUES (2)", [])?;
    std::thread::sleep(std::time::Duration::from_millis(700));
    Ok(())
}

pub fn down(conn: &Connection) -> Result {
    conn.execute("DELETE FROM items WHERE n = 2", [])?;
    Ok(())
}
