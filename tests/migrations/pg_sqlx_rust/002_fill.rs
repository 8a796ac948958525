//! Fills `items` from Rust on sqlx's connection, in the run's transaction
//! (the connection is in it).

type Result = std::result::Result<(), Box<dyn std::error::Error + Send + Sync>>;

pub async fn up(conn: &mut sqlx::PgConnection) -> Result {
    for n in 1..=150_i32 {
        sqlx::query("INSERT INTO items VALUES ($1)")
            .bind(n)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

pub async fn down(conn: &mut sqlx::PgConnection) -> Result {
    sqlx::query("DELETE FROM items").execute(&mut *conn).await?;
    Ok(())
}
