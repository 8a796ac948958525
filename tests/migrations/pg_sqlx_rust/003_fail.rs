//! Inserts a row, then fails: the run's transaction takes back the row and
//! version 2's rows with it.

type Result = std::result::Result<(), Box<dyn std::error::Error + Send + Sync>>;

pub async fn up(conn: &mut sqlx::PgConnection) -> Result {
    sqlx::query("INSERT INTO items VALUES (0)")
        .execute(&mut *conn)
        .await?;
    Err("the fill found what it did not expect".into())
}
