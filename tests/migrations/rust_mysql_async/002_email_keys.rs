//! Fills `email_key` with each email as the application compares it, on
//! MySQL with the async client, outside a transaction.

use migrate_runtime::mysql_async::Conn;
use migrate_runtime::mysql_async::prelude::Queryable;

type Result = std::result::Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// Keys every user, in id order.
pub async fn up(conn: &mut Conn) -> Result {
    let users: Vec<(i32, String)> = conn.query("SELECT id, email FROM users ORDER BY id").await?;
    for (id, email) in users {
        conn.exec_drop(
            "UPDATE users SET email_key = ? WHERE id = ?",
            (email.trim().to_lowercase(), id),
        )
        .await?;
    }
    Ok(())
}

pub async fn down(conn: &mut Conn) -> Result {
    conn.query_drop("UPDATE users SET email_key = NULL").await?;
    Ok(())
}
