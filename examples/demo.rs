//! The main job: migrates a real SQLite file with the migrations embedded
//! from `examples/migrations`, prints the report and the status, reverts one
//! step, and migrates again. Then the headline: what a broken migration's
//! compile error says (the macro's checks, run on a broken copy of the
//! directory), and an edited migration refused at run time.
//!
//! The database lives in `target/demo/app.db`, beside the build output and
//! never in the source tree; run the demo twice to see a start-up with
//! nothing pending.

use std::error::Error;
use std::fs;
use std::path::{Path, PathBuf};

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
        .on_progress(|step| eprintln!("  … {step}"));
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

    show_compile_errors(&dir)?;
    show_drift_refused(&dir, &mut conn)?;
    Ok(())
}

/// The directory as the demo embeds it, copied to `to/migrations`.
fn copy_migrations(to: &Path) -> std::io::Result<PathBuf> {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let copy = to.join("migrations");
    if copy.exists() {
        fs::remove_dir_all(&copy)?;
    }
    for folder in ["", "dev"] {
        fs::create_dir_all(copy.join(folder))?;
        for entry in fs::read_dir(source.join(folder))? {
            let entry = entry?;
            if entry.file_type()?.is_file() {
                fs::copy(entry.path(), copy.join(folder).join(entry.file_name()))?;
            }
        }
    }
    Ok(copy)
}

/// A copy of the directory with two broken migrations, checked exactly as
/// `embed_migrations!` checks it: these lines are the compile errors.
fn show_compile_errors(dir: &Path) -> Result<(), Box<dyn Error>> {
    let root = dir.join("broken-copy");
    let copy = copy_migrations(&root)?;
    fs::write(
        copy.join("005_email_index.sql"),
        "-- +migrate Up\nCREAT UNIQUE INDEX users_email ON users (email);\n\n-- +migrate Down\nDROP INDEX users_email;\n",
    )?;
    fs::write(
        copy.join("006_add_name.sql"),
        "-- +migrate Up\nALTER TABLE users ADD COLUMN name TEXT;\n\n-- +migrate Down\nSELECT 1;\n",
    )?;
    println!("\nwith a typo in 005 and a Down in 006 that undoes nothing, the build fails with:");
    let problems = match migrate_core::load(&root, "migrations", &migrate_core::Options::default())
    {
        Ok(set) => migrate_replay::replay(&set),
        Err(problems) => problems,
    };
    for problem in &problems {
        println!("  error: {problem}");
    }
    Ok(())
}

/// A copy of the directory with an applied migration edited: the run refuses it.
fn show_drift_refused(dir: &Path, conn: &mut Connection) -> Result<(), Box<dyn Error>> {
    let root = dir.join("edited-copy");
    let copy = copy_migrations(&root)?;
    let first = copy.join("001_create_users.sql");
    let edited = fs::read_to_string(&first)?.replace("email TEXT", "mail TEXT");
    fs::write(&first, edited)?;
    let set = migrate_core::load(&root, "migrations", &migrate_core::Options::default())
        .map_err(|problems| format!("{problems:?}"))?;
    let migrations = Migrations::from_set(set);
    println!("\nwith 001 edited after it was applied, a start-up refuses to run:");
    match migrations.migrator().environment("dev").run(conn) {
        Err(error) => println!("  error: {error}"),
        Ok(report) => return Err(format!("an edited migration was not refused: {report}").into()),
    }
    Ok(())
}
