//! The build-time proof: every migration of a set is applied to an
//! in-memory SQLite, statement by statement, in version order; each
//! reversible migration's Down is applied right after its Up and must give
//! back exactly the schema from before the Up; then the Up runs again and the
//! replay goes on.
//!
//! The `embed_migrations!` macro runs this after the format checks, and the
//! `migrate validate` command runs it too, so both report the same problems.
//!
//! ```
//! # let root = tempfile::tempdir()?;
//! # std::fs::create_dir(root.path().join("migrations"))?;
//! std::fs::write(
//!     root.path().join("migrations/001_a.sql"),
//!     "-- +migrate Up\nCREATE TABLE a (n INT);\nCREATE INDEX a_n ON a (n);\n-- +migrate Down\nDROP TABLE a;\n",
//! )?;
//! std::fs::write(
//!     root.path().join("migrations/002_b.sql"),
//!     "-- +migrate Up\nCREATE INDXE b ON a (n);\n-- +migrate Down\n",
//! )?;
//! let set = migrate_core::load(root.path(), "migrations", &Default::default()).expect("valid format");
//! let problems: Vec<String> = migrate_replay::replay(&set).iter().map(ToString::to_string).collect();
//! assert_eq!(problems, [
//!     "migrations/002_b.sql:2: near \"INDXE\": syntax error; found by replaying the Up section on SQLite at build time",
//! ]);
//! # Ok::<(), std::io::Error>(())
//! ```
#![warn(missing_docs)]

mod schema;

use std::collections::BTreeSet;

use migrate_core::{Migration, MigrationSet, Problem, ProblemKind, ReplayedSection, Statement};
use rusqlite::Connection;

use crate::schema::Tracker;

/// Replays the base set, then the base set plus each environment, and
/// returns every problem found (none when the set is sound). A set stops
/// replaying at its first failing statement: what follows would only fail
/// for that reason.
///
/// Migrations marked `-- +migrate NoCheck <reason>` are skipped.
pub fn replay(set: &MigrationSet) -> Vec<Problem> {
    let mut problems: Vec<Problem> = Vec::new();
    let mut seen = BTreeSet::new();
    let environments = std::iter::once(None).chain(set.environments().into_iter().map(Some));
    for environment in environments {
        let migrations = set
            .migrations
            .iter()
            .filter(|m| m.environment.is_none() || m.environment.as_deref() == environment);
        for problem in replay_one(migrations) {
            if seen.insert(problem.to_string()) {
                problems.push(problem);
            }
        }
        if environment.is_none() && !problems.is_empty() {
            // The environments share the base set: their replays would fail there too.
            break;
        }
    }
    problems
}

/// Replays one sequence of migrations on a fresh in-memory database.
fn replay_one<'a>(migrations: impl Iterator<Item = &'a Migration>) -> Vec<Problem> {
    let opened = Connection::open_in_memory()
        .and_then(|conn| Tracker::new(&conn).map(|tracker| (conn, tracker)));
    let (conn, mut tracker) = match opened {
        Ok(opened) => opened,
        Err(error) => {
            return vec![unreadable(
                "(replay)",
                format!("cannot open an in-memory SQLite: {error}"),
            )];
        }
    };
    let mut problems = Vec::new();
    for migration in migrations {
        if migration.no_check.is_some() {
            continue;
        }
        if let Err(problem) = replay_migration(&conn, &mut tracker, migration, &mut problems) {
            problems.push(problem);
            break;
        }
    }
    problems
}

/// Up, and for a reversible migration Down, compare, Up again. A failing
/// statement is the `Err`; schema differences go to `problems`.
///
/// The schema from before the Up is the tracker's; after the Down only the
/// objects the two sections touched are read and compared (see
/// [`Tracker`]). Both sections run inside a savepoint, so after a Down that
/// does not restore the schema the state is rolled back and the replay goes
/// on from the state after the Up, without follow-on errors. `NoTransaction`
/// migrations, which may not run in a transaction, stop the replay on a
/// difference instead.
fn replay_migration(
    conn: &Connection,
    tracker: &mut Tracker,
    migration: &Migration,
    problems: &mut Vec<Problem>,
) -> Result<(), Problem> {
    let read = |result: rusqlite::Result<()>| result.map_err(|e| internal(migration, &e));
    tracker.start();
    let Some(down) = &migration.down else {
        run(conn, &migration.up, &migration.up_path, ReplayedSection::Up)?;
        return read(tracker.refresh(conn));
    };
    let down_path = migration.down_path.as_deref().unwrap_or(&migration.up_path);
    let sql = |text: &str| read(conn.execute_batch(text));
    let savepoints = !migration.no_transaction;
    if savepoints {
        sql("SAVEPOINT replay_up")?;
    }
    run(conn, &migration.up, &migration.up_path, ReplayedSection::Up)?;
    run(conn, down, down_path, ReplayedSection::Down)?;
    let before = tracker.before();
    let after = tracker.now(conn).map_err(|e| internal(migration, &e))?;
    let differences = before.differences(&after);
    if differences.is_empty() {
        if savepoints {
            sql("RELEASE replay_up")?;
        }
        let again = ReplayedSection::UpAgain;
        run(conn, &migration.up, &migration.up_path, again)?;
        return read(tracker.refresh(conn));
    }
    let label = format!(
        "{}_{}",
        migration
            .up_path
            .rsplit('/')
            .next()
            .and_then(|f| f.split('_').next())
            .unwrap_or_default(),
        migration.name
    );
    problems.extend(differences.into_iter().map(|difference| {
        let kind = ProblemKind::DownDoesNotRestore {
            migration: label.clone(),
            difference,
        };
        Problem::new(down_path, None, kind)
    }));
    if !savepoints {
        return Err(problems.pop().unwrap_or_else(|| {
            unreadable(&migration.up_path, "the replay could not go on".to_owned())
        }));
    }
    // Back to before the Up: the Up runs again, as after a good Down.
    sql("ROLLBACK TO replay_up")?;
    sql("RELEASE replay_up")?;
    run(conn, &migration.up, &migration.up_path, ReplayedSection::Up)?;
    read(tracker.refresh(conn))
}

/// Runs statements in order; the first failure names its file and line.
fn run(
    conn: &Connection,
    statements: &[Statement],
    path: &str,
    section: ReplayedSection,
) -> Result<(), Problem> {
    for statement in statements {
        conn.execute_batch(&statement.sql).map_err(|error| {
            let kind = ProblemKind::StatementFailed {
                section,
                message: sqlite_message(&error),
            };
            Problem::new(path, Some(statement.line), kind)
        })?;
    }
    Ok(())
}

/// SQLite's own message, without rusqlite's wrapping.
fn sqlite_message(error: &rusqlite::Error) -> String {
    match error {
        rusqlite::Error::SqliteFailure(_, Some(message)) => message.clone(),
        rusqlite::Error::SqlInputError { msg, .. } => msg.clone(),
        other => other.to_string(),
    }
}

/// The replay itself could not go on (not a problem of the SQL).
fn unreadable(path: &str, message: String) -> Problem {
    Problem::new(path, None, ProblemKind::Unreadable { message })
}

fn internal(migration: &Migration, error: &rusqlite::Error) -> Problem {
    unreadable(
        &migration.up_path,
        format!("cannot read the replayed schema: {error}"),
    )
}
