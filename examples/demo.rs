//! The main job: migrates a real SQLite file with the migrations embedded
//! from `examples/migrations`, prints the report and the status, reverts one
//! step, and migrates again.
//!
//! The database lives in `target/demo/app.db`, beside the build output and
//! never in the source tree; run the demo twice to see a start-up with
//! nothing pending.

use std::error::Error;
use std::path::PathBuf;

use migrate_runtime::rusqlite::Connection;
use migrate_runtime::{Migrations, embed_migrations};

static MIGRATIONS: Migrations = embed_migrations!("migrations");

/// `target/demo/`, found from this executable's path (`target/<profile>/examples/demo`).
fn demo_dir() -> std::io::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let target = exe
        .ancestors()
        .find(|p| p.file_name().is_some_and(|n| n == "target"))
        .map_or_else(std::env::temp_dir, PathBuf::from);
    let dir = target.join("demo");
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

fn main() -> Result<(), Box<dyn Error>> {
    let dir = demo_dir()?;
    let path = dir.join("app.db");
    println!("database: {}\n", path.display());
    let mut conn = Connection::open(&path)?;
    conn.execute_batch("PRAGMA foreign_keys = ON")?;

    // Every start of a program does this; with nothing pending it is one small read.
    let migrator = MIGRATIONS
        .migrator()
        .environment("dev")
        .backup_dir(dir.join("backups"))
        .keep_backups(3)
        .on_progress(|step| eprintln!("  … {:?} {} {}", step.direction, step.version, step.name));
    let report = migrator.run(&mut conn)?;
    println!("{report}");
    println!("{}", migrator.status(&mut conn)?);

    let users: i64 = conn.query_row("SELECT count(*) FROM users", [], |r| r.get(0))?;
    println!("users in the database: {users}\n");

    println!("reverting one step:");
    let report = migrator.down(&mut conn)?;
    println!("{report}");
    println!("{}", migrator.status(&mut conn)?);

    println!("and forward again:");
    let report = migrator.run(&mut conn)?;
    println!("{report}");
    let report = migrator.run(&mut conn)?;
    println!("a second start-up: {report}");
    Ok(())
}
