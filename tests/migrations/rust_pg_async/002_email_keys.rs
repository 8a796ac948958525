//! Fills `email_key` with each email as the application compares it, on
//! PostgreSQL with the async client (`tokio-postgres`): `async fn`, run
//! with the `*_async` methods. An email `panic@…` makes `up` panic and
//! `fail@…` makes it return an error (after it changed rows).

use migrate_runtime::tokio_postgres::Transaction;

type Result = std::result::Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// The application's rule.
fn key(email: &str) -> String {
    email.trim().to_lowercase()
}

pub async fn up(tx: &mut Transaction<'_>) -> Result {
    for row in tx.query("SELECT id, email FROM users ORDER BY id", &[]).await? {
        let (id, email): (i32, String) = (row.get(0), row.get(1));
        tx.execute(
            "UPDATE users SET email_key = $1 WHERE id = $2",
            &[&key(&email), &id],
        )
        .await?;
        assert!(!email.starts_with("panic@"), "cannot key {email}");
        if email.starts_with("fail@") {
            return Err(format!("cannot key {email}").into());
        }
    }
    Ok(())
}

pub async fn down(tx: &mut Transaction<'_>) -> Result {
    tx.execute("UPDATE users SET email_key = NULL", &[]).await?;
    Ok(())
}
