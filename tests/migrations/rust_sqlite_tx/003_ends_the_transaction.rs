//! A function that ends the run's transaction behind its back, as the
//! `actions` table says: `rollback` runs an `INSERT OR ROLLBACK` that
//! conflicts (SQLite then rolls the whole transaction back), logs the
//! error and returns `Ok`; `commit` runs `COMMIT`; anything else inserts
//! row 3.

use migrate_runtime::rusqlite::Connection;

type Result = std::result::Result<(), Box<dyn std::error::Error + Send + Sync>>;

pub fn up(conn: &Connection) -> Result {
    let what: Option<String> = conn
        .query_row("SELECT what FROM actions LIMIT 1", [], |row| row.get(0))
        .ok();
    match what.as_deref() {
        Some("rollback") => {
            if let Err(error) = conn.execute("INSERT OR ROLLBACK INTO items (n) VALUES (1)", []) {
                eprintln!("logged and ignored: {error}");
            }
        }
        Some("commit") => conn.execute_batch("COMMIT")?,
        _ => {
            conn.execute("INSERT INTO items (n) VALUES (3)", [])?;
        }
    }
    Ok(())
}

pub fn down(conn: &Connection) -> Result {
    conn.execute("DELETE FROM items WHERE n = 3", [])?;
    Ok(())
}
