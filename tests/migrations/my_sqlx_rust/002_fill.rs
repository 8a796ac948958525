//! Fills `items` from Rust on sqlx's MySQL connection (outside the run's
//! transaction, as every Rust migration on MySQL), in one of its own.

type Result = std::result::Result<(), Box<dyn std::error::Error + Send + Sync>>;

pub async fn up(conn: &mut sqlx::MySqlConnection) -> Result {
    // A transaction of the function's own, begun and committed by sqlx:
    // its `COMMIT` ends the transaction and nothing else.
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    for n in 1..=50_i32 {
        sqlx::query("INSERT INTO items VALUES (?)")
            .bind(n)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

pub async fn down(conn: &mut sqlx::MySqlConnection) -> Result {
    sqlx::query("DELETE FROM items").execute(&mut *conn).await?;
    Ok(())
}
