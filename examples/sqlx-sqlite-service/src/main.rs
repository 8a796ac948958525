//! A sqlx service on SQLite that migrates on start with the pool it
//! already has: one connection of the pool runs the embedded migrations
//! (checked and replayed at build time), under the migration lock, with a
//! backup of the file first, before the service serves.
//!
//! `DATABASE_URL=sqlite://app.db?mode=rwc cargo run -p sqlx-sqlite-service`

use sqlx::sqlite::SqlitePoolOptions;

static MIGRATIONS: migrate_runtime::Migrations = migrate_runtime::embed_migrations!("migrations");

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("DATABASE_URL")
        .map_err(|_| "set DATABASE_URL to a SQLite URL (sqlite://app.db?mode=rwc)")?;
    let pool = SqlitePoolOptions::new()
        .max_connections(5)
        .connect(&url)
        .await?;

    // The one line: migrate on a connection of the pool.
    let report = MIGRATIONS
        .migrate_async(&mut *pool.acquire().await?)
        .await?;
    println!("{report}");

    let (accounts,): (i64,) = sqlx::query_as("SELECT count(*) FROM accounts")
        .fetch_one(&pool)
        .await?;
    println!("serving {accounts} account(s)");
    Ok(())
}
