//! Fills `email_key` with each email as the application compares it: a
//! rule of the application's, not of SQL. An email `panic@…` makes `up`
//! panic and `fail@…` makes it return an error (after it changed rows),
//! for the tests of the rollback.

use migrate_runtime::rusqlite::Connection;

type Result = std::result::Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// The application's rule.
fn key(email: &str) -> String {
    email.to_lowercase()
}

pub fn up(conn: &Connection) -> Result {
    let emails: Vec<(i64, String)> = conn
        .prepare("SELECT id, email FROM users ORDER BY id")?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<std::result::Result<_, _>>()?;
    for (id, email) in emails {
        conn.execute(
            "UPDATE users SET email_key = ?1 WHERE id = ?2",
            (key(&email), id),
        )?;
        assert!(!email.starts_with("panic@"), "cannot key {email}");
        if email.starts_with("fail@") {
            return Err(format!("cannot key {email}").into());
        }
    }
    Ok(())
}

pub fn down(conn: &Connection) -> Result {
    conn.execute("UPDATE users SET email_key = NULL", [])?;
    Ok(())
}
