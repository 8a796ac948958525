//! Each command, run: validation with `migrate-core`, database operations
//! with `migrate-runtime`.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use migrate_runtime::rusqlite::Connection;
use migrate_runtime::{Migrations, Migrator, Version};

use crate::{Command, DbArgs, DirArgs};

/// Runs a command: `Err` holds the message for a person.
pub fn run(command: Command) -> Result<ExitCode, String> {
    match command {
        Command::New {
            name,
            dir,
            timestamp,
            sequential: _,
            pair,
            irreversible,
        } => {
            for path in crate::create::create(&dir.dir, &name, timestamp, pair, irreversible)? {
                println!("{}", path.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Fix { dir } => {
            let renames = crate::fix::fix(&dir.dir)?;
            if renames.is_empty() {
                println!("nothing to renumber: no timestamp versions");
            }
            for (from, to) in renames {
                println!("{} -> {}", from.display(), to.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Validate {
            dir,
            no_check,
            dialect,
            sequential_only,
        } => Ok(validate(
            &dir,
            !no_check && dialect == "sqlite",
            sequential_only,
        )),
        Command::Status { db, json } => {
            let (migrations, mut conn) = open_existing(&db)?;
            let status = migrator(&migrations, &db)
                .status(&mut conn)
                .map_err(|e| describe(&e))?;
            if json {
                let text = serde_json::to_string_pretty(&status).map_err(|e| e.to_string())?;
                println!("{text}");
            } else {
                print!("{status}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Up {
            db,
            to,
            dry_run,
            per_migration,
        } => {
            let (migrations, mut conn) = open(&db)?;
            let mut migrator = migrator(&migrations, &db);
            if let Some(to) = to {
                migrator = migrator.to(Version(to));
            }
            finish(
                migrator
                    .dry_run(dry_run)
                    .per_migration(per_migration)
                    .run(&mut conn),
            )
        }
        Command::Down { db, to, steps } => {
            let (migrations, mut conn) = open_existing(&db)?;
            let migrator = migrator(&migrations, &db);
            finish(match to {
                Some(to) => migrator.down_to(&mut conn, Version(to)),
                None => migrator.down_steps(&mut conn, steps.unwrap_or(1)),
            })
        }
        Command::Redo { db } => {
            let (migrations, mut conn) = open_existing(&db)?;
            finish(migrator(&migrations, &db).redo(&mut conn))
        }
        Command::Baseline { version, db } => {
            let (migrations, mut conn) = open(&db)?;
            finish(migrator(&migrations, &db).baseline(&mut conn, Version(version)))
        }
    }
}

/// Reads and validates the directory; every problem is printed as the
/// compile error would say it.
fn load(dir: &DirArgs) -> Result<migrate_core::MigrationSet, Vec<migrate_core::Problem>> {
    let options = migrate_core::Options {
        allow_gaps: dir.allow_gaps,
    };
    migrate_core::load(Path::new("."), &dir.dir.to_string_lossy(), &options)
}

fn validate(dir: &DirArgs, replay: bool, sequential_only: bool) -> ExitCode {
    let checked = load(dir).and_then(|set| {
        let mut problems = if sequential_only {
            migrate_core::leftover_timestamps(&set)
        } else {
            Vec::new()
        };
        if replay {
            problems.extend(migrate_replay::replay(&set));
        }
        if problems.is_empty() {
            Ok(set)
        } else {
            Err(problems)
        }
    });
    match checked {
        Ok(set) => {
            let environments = set.environments();
            print!(
                "ok: {} in {}",
                count(set.migrations.len(), "migration"),
                set.dir
            );
            if replay {
                print!(", replayed on SQLite, every Down restores its schema");
            }
            if !environments.is_empty() {
                print!(" (environments: {})", environments.join(", "));
            }
            println!();
            ExitCode::SUCCESS
        }
        Err(problems) => {
            for problem in &problems {
                crate::report_error(&problem.to_string());
            }
            eprintln!(
                "{} in {}",
                count(problems.len(), "problem"),
                dir.dir.display()
            );
            ExitCode::FAILURE
        }
    }
}

/// The directory, validated, and the database, open.
fn open(db: &DbArgs) -> Result<(Migrations, Connection), String> {
    let set = load(&db.dir).map_err(|problems| {
        let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
        format!(
            "the migration directory has {}:\n  {}",
            count(lines.len(), "problem"),
            lines.join("\n  ")
        )
    })?;
    let path = database_path(&db.db)?;
    let conn =
        Connection::open(path).map_err(|e| format!("cannot open the database {path}: {e}"))?;
    Ok((Migrations::from_set(set), conn))
}

/// [`open`], for commands that make no sense on a new database: a missing
/// file is an error, not a new empty database.
fn open_existing(db: &DbArgs) -> Result<(Migrations, Connection), String> {
    let path = database_path(&db.db)?;
    if !Path::new(path).exists() {
        return Err(format!(
            "the database {path} does not exist; check the path (`migrate up` creates a new database)"
        ));
    }
    open(db)
}

/// `sqlite://app.db`, `sqlite:app.db` and `app.db` all name `app.db`. An
/// empty path or an in-memory database is refused: its migration would
/// vanish when the command ends, and a deploy with an unset variable must
/// fail loudly.
fn database_path(url: &str) -> Result<&str, String> {
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    let in_memory =
        path == ":memory:" || path.starts_with("file::memory:") || path.contains("mode=memory");
    if path.trim().is_empty() || in_memory {
        return Err(format!(
            "--db (or DATABASE_URL) names no database file (`{url}`): an in-memory or unnamed database \
             would vanish when the command ends; pass the path of the database file"
        ));
    }
    Ok(path)
}

fn migrator<'m>(migrations: &'m Migrations, db: &DbArgs) -> Migrator<'m> {
    let mut migrator = migrations
        .migrator()
        .table(db.table.clone())
        .busy_timeout(Duration::from_millis(db.busy_timeout))
        .backup(!db.no_backup)
        .on_progress(|step| write_line(&mut std::io::stderr(), &step.to_string()));
    if let Some(env) = &db.env {
        migrator = migrator.environment(env.clone());
    }
    if let Some(dir) = &db.backup_dir {
        migrator = migrator.backup_dir(dir.clone());
    }
    migrator.allow_out_of_order(db.allow_out_of_order)
}

fn finish(result: migrate_runtime::Result<migrate_runtime::Report>) -> Result<ExitCode, String> {
    let report = result.map_err(|e| describe(&e))?;
    let mut stdout = std::io::stdout().lock();
    // One write for the whole report.
    let _ = stdout.write_all(report.to_string().as_bytes());
    Ok(ExitCode::SUCCESS)
}

/// Writes `line` and a newline in one write: progress lines stay whole
/// when several processes share a terminal, and cost one system call each.
fn write_line(out: &mut impl Write, line: &str) {
    let mut text = String::with_capacity(line.len() + 1);
    text.push_str(line);
    text.push('\n');
    let _ = out.write_all(text.as_bytes());
}

/// A runtime error for a person: its one-line message, and the failing
/// statement on the next line when there is one.
fn describe(error: &migrate_runtime::Error) -> String {
    match error {
        migrate_runtime::Error::MigrationFailed { statement, .. } => {
            format!("{error}\n  in statement: {statement}")
        }
        _ => error.to_string(),
    }
}

/// `1 problem`, `2 problems`: a count with its noun.
fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::database_path;

    #[test]
    fn database_urls() {
        assert_eq!(database_path("sqlite://app.db"), Ok("app.db"));
        assert_eq!(database_path("sqlite:data/app.db"), Ok("data/app.db"));
        assert_eq!(database_path("/tmp/app.db"), Ok("/tmp/app.db"));
        for none in [
            "",
            " ",
            ":memory:",
            "sqlite:",
            "sqlite://",
            "sqlite::memory:",
            "file::memory:?cache=shared",
        ] {
            assert!(database_path(none).is_err(), "{none:?}");
        }
    }
}
