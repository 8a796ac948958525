//! Fills `items` from Rust on sqlx's MySQL connection (outside a
//! transaction, as every Rust migration on MySQL).

type Result = std::result::Result<(), Box<dyn std::error::Error + Send + Sync>>;

pub async fn up(conn: &mut sqlx::MySqlConnection) -> Result {
    for n in 1..=50_i32 {
        sqlx::query("INSERT INTO items VALUES (?)")
            .bind(n)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

pub async fn down(conn: &mut sqlx::MySqlConnection) -> Result {
    sqlx::query("DELETE FROM items").execute(&mut *conn).await?;
    Ok(())
}
