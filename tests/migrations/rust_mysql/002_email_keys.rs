//! Fills `email_key` with each email as the application compares it, on
//! MySQL with the blocking client, outside a transaction (a schema change
//! would end one). An email `fail@…` makes `up` return an error after it
//! changed rows.

use migrate_runtime::mysql::Conn;
use migrate_runtime::mysql::prelude::Queryable;

type Result = std::result::Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// The application's rule.
fn key(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Keys every user, in id order.
pub fn up(conn: &mut Conn) -> Result {
    let users: Vec<(i32, String)> = conn.query("SELECT id, email FROM users ORDER BY id")?;
    for (id, email) in users {
        conn.exec_drop(
            "UPDATE users SET email_key = ? WHERE id = ?",
            (key(&email), id),
        )?;
        if email.starts_with("fail@") {
            return Err(format!("cannot key {email}").into());
        }
    }
    Ok(())
}

pub fn down(conn: &mut Conn) -> Result {
    conn.query_drop("UPDATE users SET email_key = NULL")?;
    Ok(())
}
