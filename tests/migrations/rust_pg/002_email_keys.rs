//! Fills `email_key` with each email as the application compares it, on
//! PostgreSQL with the blocking client. An email `panic@…` makes `up`
//! panic and `fail@…` makes it return an error (after it changed rows).

use migrate_runtime::postgres::Transaction;

type Result = std::result::Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// The application's rule.
fn key(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Keys every user, in id order.
pub fn up(tx: &mut Transaction<'_>) -> Result {
    for row in tx.query("SELECT id, email FROM users ORDER BY id", &[])? {
        let (id, email): (i32, String) = (row.get(0), row.get(1));
        tx.execute(
            "UPDATE users SET email_key = $1 WHERE id = $2",
            &[&key(&email), &id],
        )?;
        assert!(!email.starts_with("panic@"), "cannot key {email}");
        if email.starts_with("fail@") {
            return Err(format!("cannot key {email}").into());
        }
    }
    Ok(())
}

pub fn down(tx: &mut Transaction<'_>) -> Result {
    tx.execute("UPDATE users SET email_key = NULL", &[])?;
    Ok(())
}
