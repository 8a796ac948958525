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

mod normal;
#[cfg(feature = "postgres-parse")]
mod postgres;
mod schema;
mod table;

use std::collections::BTreeSet;

use migrate_core::{Migration, MigrationSet, Problem, ProblemKind, ReplayedSection, Statement};
use rusqlite::Connection;

use crate::schema::Tracker;

/// Parses every statement of `set` with PostgreSQL's own parser
/// (`dialect = "postgres"`) and returns a problem for each one it refuses;
/// `None` when this crate was built without the `postgres-parse` feature.
pub fn parse_postgres(set: &MigrationSet) -> Option<Vec<Problem>> {
    #[cfg(feature = "postgres-parse")]
    return Some(postgres::parse(set));
    #[cfg(not(feature = "postgres-parse"))]
    {
        let _ = set;
        None
    }
}

/// Replays the base set, then the base set plus each environment, and
/// returns every problem found (none when the set is sound). After a
/// failing statement or a Down that does not restore the schema the state
/// is put back and the replay goes on, so one build shows every problem; a
/// failure after a failed Up says that it may follow from it.
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

/// Replays one sequence of migrations on a fresh in-memory database. A
/// failing statement or a Down that does not restore the schema is
/// reported, the state is put back, and the replay goes on, so that one
/// build shows every problem.
fn replay_one<'a>(migrations: impl Iterator<Item = &'a Migration>) -> Vec<Problem> {
    let opened = Connection::open_in_memory()
        .and_then(|conn| Tracker::new(&conn).map(|tracker| (conn, tracker)));
    let (mut conn, mut tracker) = match opened {
        Ok(opened) => opened,
        Err(error) => {
            return vec![unreadable(
                "(replay)",
                format!("cannot open an in-memory SQLite: {error}"),
            )];
        }
    };
    let mut replay = Replay {
        conn: &mut conn,
        tracker: &mut tracker,
        problems: Vec::new(),
        failed_up: None,
    };
    for migration in migrations {
        if migration.no_check.is_some() {
            continue;
        }
        if let Err(error) = replay.migration(migration) {
            replay.problems.push(internal(migration, &error));
            break;
        }
    }
    replay.problems
}

/// One replay under way.
struct Replay<'c, 't> {
    conn: &'c mut Connection,
    tracker: &'t mut Tracker,
    problems: Vec<Problem>,
    /// Where the first Up that failed failed: later failures may follow from it.
    failed_up: Option<String>,
}

impl Replay<'_, '_> {
    /// Up; for a reversible migration Down, compare, Up again. Problems go
    /// to `problems` and the state is put back: to before the Up when the
    /// Up fails, to after it when the Down fails or does not restore the
    /// schema, or when the second Up fails. The `Err` is the replay itself
    /// failing (SQLite refusing a savepoint or a copy).
    ///
    /// The schema from before the Up is the tracker's; after the Down only
    /// the objects the two sections touched are read and compared (see
    /// [`Tracker`]).
    fn migration(&mut self, migration: &Migration) -> rusqlite::Result<()> {
        self.tracker.start();
        let copy = migration.no_transaction;
        let before_up = Checkpoint::take(self.conn, "replay_before_up", copy)?;
        if let Err(problem) = run(
            self.conn,
            &migration.up,
            &migration.up_path,
            ReplayedSection::Up,
        ) {
            self.failed(problem, true);
            before_up.restore(self.conn)?;
            before_up.release(self.conn)?;
            self.tracker.start();
            return Ok(());
        }
        let Some(down) = &migration.down else {
            before_up.release(self.conn)?;
            return self.tracker.refresh(self.conn);
        };
        let after_up = Checkpoint::take(self.conn, "replay_after_up", copy)?;
        let down_path = migration.down_path.as_deref().unwrap_or(&migration.up_path);
        let restored = if let Err(problem) = run(self.conn, down, down_path, ReplayedSection::Down)
        {
            self.failed(problem, false);
            false
        } else {
            let differences = self
                .tracker
                .before()
                .differences(&self.tracker.now(self.conn)?);
            let label = label(migration);
            self.problems.extend(differences.iter().map(|difference| {
                let kind = ProblemKind::DownDoesNotRestore {
                    migration: label.clone(),
                    difference: difference.clone(),
                };
                Problem::new(down_path, None, kind)
            }));
            differences.is_empty()
        };
        let again = restored
            && run(
                self.conn,
                &migration.up,
                &migration.up_path,
                ReplayedSection::UpAgain,
            )
            .map_err(|problem| self.failed(problem, false))
            .is_ok();
        if !again {
            // Back to the state after the first Up, which the next migration expects.
            after_up.restore(self.conn)?;
        }
        after_up.release(self.conn)?;
        before_up.release(self.conn)?;
        self.tracker.refresh(self.conn)
    }

    /// Records a failed statement, with a word when an earlier Up failed.
    fn failed(&mut self, mut problem: Problem, in_up: bool) {
        if let (Some(at), ProblemKind::StatementFailed { message, .. }) =
            (&self.failed_up, &mut problem.kind)
        {
            *message = format!("{message} (this may follow from the failure at `{at}`)");
        }
        if in_up && self.failed_up.is_none() {
            let line = problem.line.map(|l| format!(":{l}")).unwrap_or_default();
            self.failed_up = Some(format!("{}{line}", problem.path));
        }
        self.problems.push(problem);
    }
}

/// A state to go back to: a savepoint, or for a migration that runs outside
/// a transaction (and may run its own), a copy of the database.
enum Checkpoint {
    Savepoint(&'static str),
    Copy(Box<Connection>),
}

impl Checkpoint {
    fn take(conn: &Connection, name: &'static str, copy: bool) -> rusqlite::Result<Checkpoint> {
        if !copy {
            conn.execute_batch(&format!("SAVEPOINT {name}"))?;
            return Ok(Checkpoint::Savepoint(name));
        }
        let mut saved = Connection::open_in_memory()?;
        copy_database(conn, &mut saved)?;
        Ok(Checkpoint::Copy(Box::new(saved)))
    }

    fn restore(&self, conn: &mut Connection) -> rusqlite::Result<()> {
        match self {
            Checkpoint::Savepoint(name) => conn.execute_batch(&format!("ROLLBACK TO {name}")),
            Checkpoint::Copy(saved) => {
                // A file that failed inside its own `BEGIN` left it open.
                if !conn.is_autocommit() {
                    conn.execute_batch("ROLLBACK")?;
                }
                copy_database(saved, conn)
            }
        }
    }

    fn release(self, conn: &Connection) -> rusqlite::Result<()> {
        match self {
            Checkpoint::Savepoint(name) => conn.execute_batch(&format!("RELEASE {name}")),
            Checkpoint::Copy(_) => Ok(()),
        }
    }
}

/// Copies the whole in-memory database `from` over `to`, in one step.
fn copy_database(from: &Connection, to: &mut Connection) -> rusqlite::Result<()> {
    rusqlite::backup::Backup::new(from, to)?.run_to_completion(
        i32::MAX,
        std::time::Duration::ZERO,
        None,
    )
}

/// `<version>_<name>`, as the Down message names a migration.
fn label(migration: &Migration) -> String {
    format!(
        "{}_{}",
        migration
            .up_path
            .rsplit('/')
            .next()
            .and_then(|f| f.split('_').next())
            .unwrap_or_default(),
        migration.name
    )
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
