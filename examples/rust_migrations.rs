//! The small program that runs a directory holding Rust migrations, which
//! the `migrate` command cannot compile: three lines in `main`'s file.
//! `cargo run --example rust_migrations -- app.db` migrates `app.db` (a
//! file in a temporary directory without an argument) and prints the report.

use migrate_runtime::rusqlite::Connection;
use migrate_runtime::{Migrations, embed_migrations};

static MIGRATIONS: Migrations = embed_migrations!("rust_migrations");

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let scratch = tempfile::tempdir()?;
    let path = std::env::args_os()
        .nth(1)
        .map_or_else(|| scratch.path().join("app.db"), Into::into);
    let mut conn = Connection::open(&path)?;
    println!("{}", MIGRATIONS.migrate(&mut conn)?);
    Ok(())
}
