//! Adds a row outside any transaction, on sqlx's SQLite connection.
// +migrate NoTransaction

type Result = std::result::Result<(), Box<dyn std::error::Error + Send + Sync>>;

pub async fn up(conn: &mut sqlx::SqliteConnection) -> Result {
    sqlx::query("INSERT INTO items VALUES (51)")
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn down(conn: &mut sqlx::SqliteConnection) -> Result {
    sqlx::query("DELETE FROM items WHERE n = 51")
        .execute(&mut *conn)
        .await?;
    Ok(())
}
