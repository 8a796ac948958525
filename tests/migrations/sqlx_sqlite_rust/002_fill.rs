//! Fills `items` from Rust on sqlx's SQLite connection, in the run's
//! transaction (the connection is in it).

type Result = std::result::Result<(), Box<dyn std::error::Error + Send + Sync>>;

pub async fn up(conn: &mut sqlx::SqliteConnection) -> Result {
    for n in 1..=50_i64 {
        sqlx::query("INSERT INTO items VALUES (?1)")
            .bind(n)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

pub async fn down(conn: &mut sqlx::SqliteConnection) -> Result {
    sqlx::query("DELETE FROM items").execute(&mut *conn).await?;
    Ok(())
}
