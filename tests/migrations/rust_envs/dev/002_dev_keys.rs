//! The `dev` environment's own Rust migration: a key for every user,
//! made up for development.

use migrate_runtime::rusqlite::Connection;

pub fn up(conn: &Connection) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    conn.execute("UPDATE users SET email_key = 'dev-' || id", [])?;
    Ok(())
}
