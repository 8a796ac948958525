//! The replay on a real PostgreSQL server (feature `postgres-replay`): each
//! sequence of migrations runs on a scratch database created from
//! `template0` under a unique name, exactly as on SQLite (Up, Down, the
//! schema compared from the catalogs, Up again), and every database the
//! replay created is dropped on every path, a failed replay's too.

mod address;
mod catalog;
mod scratch;
mod tls;
mod tls_parameters;

use std::fmt::Write as _;

use migrate_core::{MigrationSet, Problem, ProblemKind, ReplayedSection, Statement};
use postgres::error::ErrorPosition;

use crate::sequence::Target;
use catalog::Catalog;

pub use crate::server_error::ServerError;
pub use address::ServerAddress;
pub use scratch::Scratch;
pub(crate) use scratch::error_message;

/// Replays `set` on scratch databases of the PostgreSQL server at `url`
/// (a `postgres://` URL or a `key=value` connection string, TLS as libpq
/// reads it: [`ServerAddress::parse`]): the base set, then the base set
/// plus each environment, each on a database of its own. Returns every
/// problem of the SQL; `Err` when the server cannot be used (not reached,
/// no right to create a database).
///
/// The role needs the right to create databases (`CREATEDB`).
///
/// # Errors
///
/// [`ServerError`] when the URL cannot be read, the server cannot be
/// reached, a database cannot be created, the replay's own session fails,
/// or a scratch database cannot be dropped (it is named, to drop by hand).
pub fn replay_postgres(set: &MigrationSet, url: &str) -> Result<Vec<Problem>, ServerError> {
    let address = ServerAddress::parse(url)?;
    let deadline = crate::sequence::build_deadline(std::time::Instant::now());
    crate::each_sequence(set, |migrations| {
        let mut scratch = Scratch::create(&address)?;
        let mut target = Server {
            scratch: &mut scratch,
            before: Catalog::default(),
            limit: crate::sequence::Limit::default(),
            depth: 0,
        };
        let replayed = crate::sequence::replay(&mut target, migrations, deadline);
        let problems = replayed.map_err(|stopped| stopped.error)?;
        scratch.drop_all().map(|()| problems)
    })
}

/// The replay's target: a scratch database, and the schema its current
/// migration started from.
struct Server<'s> {
    scratch: &'s mut Scratch,
    before: Catalog,
    /// The time limit of each statement of the current migration.
    limit: crate::sequence::Limit,
    /// How many savepoints are open: the transaction is ours while any is.
    depth: u32,
}

/// A state to go back to: a savepoint, or for a migration that runs outside
/// a transaction a copy of the whole database (a database created from it
/// as a template).
enum Checkpoint {
    Savepoint(&'static str),
    Copy(String),
}

impl Server<'_> {
    /// Reads the schema in a transaction of its own (or a subtransaction),
    /// rolled back, so that nothing of the reading stays.
    fn catalog(&mut self) -> Result<Catalog, ServerError> {
        let (open, close) = if self.depth == 0 {
            ("BEGIN", "ROLLBACK")
        } else {
            (
                "SAVEPOINT replay_catalog",
                "ROLLBACK TO SAVEPOINT replay_catalog; RELEASE SAVEPOINT replay_catalog",
            )
        };
        let client = self.scratch.client()?;
        client
            .batch_execute(open)
            .map_err(|error| ServerError::replay(&error))?;
        let catalog = Catalog::read(client).map_err(|error| ServerError::replay(&error))?;
        client
            .batch_execute(close)
            .map_err(|error| ServerError::replay(&error))?;
        Ok(catalog)
    }

    fn execute(&mut self, sql: &str) -> Result<(), ServerError> {
        self.scratch
            .client()?
            .batch_execute(sql)
            .map_err(|error| ServerError::replay(&error))
    }
}

impl Target for Server<'_> {
    type Checkpoint = Checkpoint;
    type Error = ServerError;

    fn start(&mut self) -> Result<(), ServerError> {
        self.before = self.catalog()?;
        Ok(())
    }

    fn limit(&mut self, limit: crate::sequence::Limit) {
        self.limit = limit;
    }

    fn checkpoint(&mut self, name: &'static str, copy: bool) -> Result<Checkpoint, ServerError> {
        if copy {
            return self.scratch.copy().map(Checkpoint::Copy);
        }
        if self.depth == 0 {
            self.execute("BEGIN")?;
        }
        self.execute(&format!("SAVEPOINT {name}"))?;
        self.depth += 1;
        Ok(Checkpoint::Savepoint(name))
    }

    fn restore(&mut self, checkpoint: &Checkpoint) -> Result<(), ServerError> {
        match checkpoint {
            Checkpoint::Savepoint(name) => self.execute(&format!("ROLLBACK TO SAVEPOINT {name}")),
            Checkpoint::Copy(copy) => self.scratch.restore(copy),
        }
    }

    fn release(&mut self, checkpoint: Checkpoint) -> Result<(), ServerError> {
        match checkpoint {
            Checkpoint::Savepoint(name) => {
                self.execute(&format!("RELEASE SAVEPOINT {name}"))?;
                self.depth -= 1;
                if self.depth == 0 {
                    self.execute("COMMIT")?;
                }
                Ok(())
            }
            Checkpoint::Copy(copy) => self.scratch.drop_database(&copy),
        }
    }

    fn execute(
        &mut self,
        statement: &Statement,
        path: &str,
        section: ReplayedSection,
    ) -> Result<(), Problem> {
        let client = self
            .scratch
            .client()
            .map_err(|error| Problem::new(path, Some(statement.line), error.problem()))?;
        // Each statement under its limit, set for the session just before it
        // (the scratch database's session is the replay's own).
        let ms = self.limit.duration.as_millis().max(1);
        client
            .batch_execute(&format!("SET statement_timeout = {ms}"))
            .map_err(|error| failed(&error, statement, path, section))?;
        client.batch_execute(&statement.sql).map_err(|error| {
            if error.code() == Some(&postgres::error::SqlState::QUERY_CANCELED) {
                let kind = ProblemKind::StatementFailed {
                    section,
                    message: self.limit.stopped(),
                };
                return Problem::new(path, Some(statement.line), kind);
            }
            failed(&error, statement, path, section)
        })
    }

    fn differences(&mut self) -> Result<Vec<String>, ServerError> {
        let now = self.catalog()?;
        Ok(self.before.differences(&now))
    }
}

/// The problem of a statement the server refused: at the line and column
/// its error points at, with the SQLSTATE, the message, its detail and hint.
fn failed(
    error: &postgres::Error,
    statement: &Statement,
    path: &str,
    section: ReplayedSection,
) -> Problem {
    let Some(db) = error.as_db_error() else {
        let kind = ServerError::replay(error).problem();
        return Problem::new(path, Some(statement.line), kind);
    };
    let (line, column) = match db.position() {
        Some(ErrorPosition::Original(position)) => {
            let (line, column) = statement.line_and_column(*position);
            (line, Some(column))
        }
        _ => (statement.line, None),
    };
    let mut message = db.message().to_owned();
    for (label, text) in [
        ("detail", db.detail()),
        ("hint", db.hint()),
        ("context", db.where_()),
    ] {
        if let Some(text) = text {
            let _ = write!(message, " ({label}: {text})");
        }
    }
    let kind = ProblemKind::PostgresFailed {
        section,
        column,
        code: db.code().code().to_owned(),
        message,
    };
    Problem::new(path, Some(line), kind)
}
