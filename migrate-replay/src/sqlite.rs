//! The replay's SQLite: an in-memory database, savepoints, and for a
//! migration outside a transaction a copy of the whole database.

use std::time::Instant;

use migrate_core::{Problem, ProblemKind, ReplayedSection, Statement};
use rusqlite::Connection;

use crate::schema::Tracker;
use crate::sequence::{Limit, Target};

/// An in-memory SQLite and the schema [`Tracker`] on it.
pub(crate) struct Sqlite {
    conn: Connection,
    tracker: Tracker,
    /// The time limit of each statement of the current migration.
    limit: Limit,
}

impl Sqlite {
    /// A fresh in-memory database.
    pub(crate) fn open() -> rusqlite::Result<Sqlite> {
        let conn = Connection::open_in_memory()?;
        let tracker = Tracker::new(&conn)?;
        Ok(Sqlite::new(conn, tracker))
    }

    fn new(conn: Connection, tracker: Tracker) -> Sqlite {
        Sqlite {
            conn,
            tracker,
            limit: Limit::default(),
        }
    }

    /// An in-memory database holding the snapshot `path` (see
    /// [`Sqlite::save`]).
    pub(crate) fn restored(path: &std::path::Path) -> rusqlite::Result<Sqlite> {
        let file = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        let mut conn = Connection::open_in_memory()?;
        copy_database(&file, &mut conn)?;
        let tracker = Tracker::new(&conn)?;
        Ok(Sqlite::new(conn, tracker))
    }

    /// Writes the database as it is to the file `path` (written beside it,
    /// then renamed: a reader never finds half a snapshot).
    pub(crate) fn save(&self, path: &std::path::Path) -> rusqlite::Result<()> {
        let partial = path.with_extension(format!("partial-{}", std::process::id()));
        let _ = std::fs::remove_file(&partial);
        let mut file = Connection::open(&partial)?;
        copy_database(&self.conn, &mut file)?;
        drop(file);
        std::fs::rename(&partial, path).map_err(|error| {
            let _ = std::fs::remove_file(&partial);
            rusqlite::Error::ToSqlConversionFailure(Box::new(error))
        })
    }
}

/// A state to go back to: a savepoint, or for a migration that runs outside
/// a transaction (and may run its own), a copy of the database.
pub(crate) enum Checkpoint {
    Savepoint(&'static str),
    Copy(Box<Connection>),
}

impl Target for Sqlite {
    type Checkpoint = Checkpoint;
    type Error = rusqlite::Error;

    fn start(&mut self, _migration: &migrate_core::Migration) -> rusqlite::Result<()> {
        self.tracker.start();
        Ok(())
    }

    fn limit(&mut self, limit: Limit) {
        self.limit = limit;
    }

    fn checkpoint(&mut self, name: &'static str, copy: bool) -> rusqlite::Result<Checkpoint> {
        if !copy {
            self.conn.execute_batch(&format!("SAVEPOINT {name}"))?;
            return Ok(Checkpoint::Savepoint(name));
        }
        let mut saved = Connection::open_in_memory()?;
        copy_database(&self.conn, &mut saved)?;
        Ok(Checkpoint::Copy(Box::new(saved)))
    }

    fn restore(&mut self, checkpoint: &Checkpoint) -> rusqlite::Result<()> {
        match checkpoint {
            // An interrupted statement (stopped at its limit) rolled the
            // whole transaction back: the database is as before the
            // outermost savepoint, the migration's start.
            Checkpoint::Savepoint(_) if self.conn.is_autocommit() => Ok(()),
            Checkpoint::Savepoint(name) => self.conn.execute_batch(&format!("ROLLBACK TO {name}")),
            Checkpoint::Copy(saved) => {
                // A file that failed inside its own `BEGIN` left it open.
                if !self.conn.is_autocommit() {
                    self.conn.execute_batch("ROLLBACK")?;
                }
                copy_database(saved, &mut self.conn)
            }
        }
    }

    fn release(&mut self, checkpoint: Checkpoint) -> rusqlite::Result<()> {
        match checkpoint {
            Checkpoint::Savepoint(_) if self.conn.is_autocommit() => Ok(()),
            Checkpoint::Savepoint(name) => self.conn.execute_batch(&format!("RELEASE {name}")),
            Checkpoint::Copy(_) => Ok(()),
        }
    }

    fn execute(
        &mut self,
        statement: &Statement,
        path: &str,
        section: ReplayedSection,
    ) -> Result<(), Problem> {
        // Interrupted at its limit (checked every thousand steps of
        // SQLite's virtual machine).
        let deadline = Instant::now() + self.limit.duration;
        self.conn
            .progress_handler(1000, Some(move || Instant::now() >= deadline));
        let result = self.conn.execute_batch(&statement.sql);
        self.conn.progress_handler(0, None::<fn() -> bool>);
        result.map_err(|error| {
            let message =
                if error.sqlite_error_code() == Some(rusqlite::ErrorCode::OperationInterrupted) {
                    self.limit.stopped()
                } else {
                    sqlite_message(&error)
                };
            let kind = ProblemKind::StatementFailed { section, message };
            Problem::new(path, Some(error_line(&error, statement)), kind)
        })
    }

    /// The schema from before the Up is the tracker's; after the Down only
    /// the objects the two sections touched are read and compared (see
    /// [`Tracker`]).
    fn differences(&mut self) -> rusqlite::Result<Vec<String>> {
        Ok(self
            .tracker
            .before()
            .differences(&self.tracker.now(&self.conn)?))
    }

    fn finish(&mut self) -> rusqlite::Result<()> {
        self.tracker.refresh(&self.conn)
    }
}

/// Copies the whole in-memory database `from` over `to`, in one step. A
/// copy that the database refuses as busy or locked (a statement of the
/// set left a transaction open, which nothing will end) is an error at
/// once, never a wait: a build must not hang.
fn copy_database(from: &Connection, to: &mut Connection) -> rusqlite::Result<()> {
    use rusqlite::backup::StepResult;
    let backup = rusqlite::backup::Backup::new(from, to)?;
    // One step copies every page; a few more only if SQLite asks for them.
    for _ in 0..16 {
        match backup.step(-1)? {
            StepResult::Done => return Ok(()),
            StepResult::More => {}
            _ => break,
        }
    }
    Err(rusqlite::Error::SqliteFailure(
        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
        Some(
            "the replay's database stayed locked: a statement left a transaction open \
             (a `BEGIN` or `SAVEPOINT` that nothing ends)"
                .to_owned(),
        ),
    ))
}

/// The line of the error in the file: where SQLite says in the statement
/// (`sqlite3_error_offset`, for a syntax error), else the statement's.
fn error_line(error: &rusqlite::Error, statement: &Statement) -> u32 {
    match error {
        rusqlite::Error::SqlInputError { offset, .. } => usize::try_from(*offset)
            .ok()
            .and_then(|offset| statement.sql.get(..offset))
            .map_or(statement.line, |before| {
                let newlines = before.matches('\n').count();
                statement.line + u32::try_from(newlines).unwrap_or(0)
            }),
        _ => statement.line,
    }
}

/// SQLite's own message, without rusqlite's wrapping.
fn sqlite_message(error: &rusqlite::Error) -> String {
    match error {
        rusqlite::Error::SqliteFailure(_, Some(message)) => message.clone(),
        rusqlite::Error::SqlInputError { msg, .. } => msg.clone(),
        other => other.to_string(),
    }
}
