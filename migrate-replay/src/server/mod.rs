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
mod trace;

use std::fmt::Write as _;

use migrate_core::{
    Migration, MigrationSet, Problem, ProblemKind, ReplayedSection, Statement, TracedStatement,
};
use postgres::error::{ErrorPosition, SqlState};

use crate::sequence::Target;
use catalog::Catalog;
use trace::Tracer;

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
    replay_on_server(set, url, false).map(|traced| traced.problems)
}

/// [`replay_postgres`], tracing what each statement of each Up does to the
/// relations that existed before its migration: the locks it takes, and
/// whether it rewrites or reads all of a relation
/// ([`migrate_core::lint_traced`] turns that into findings).
///
/// # Errors
///
/// As [`replay_postgres`].
pub fn replay_postgres_traced(set: &MigrationSet, url: &str) -> Result<Traced, ServerError> {
    replay_on_server(set, url, true)
}

/// What a traced replay found.
#[derive(Debug, Clone, Default)]
pub struct Traced {
    /// Every problem of the SQL, as [`replay_postgres`] returns them.
    pub problems: Vec<Problem>,
    /// Each statement of an Up that ran, once (the first sequence that
    /// ran it), with what it did to the relations that existed before.
    pub statements: Vec<TracedStatement>,
}

fn replay_on_server(set: &MigrationSet, url: &str, trace: bool) -> Result<Traced, ServerError> {
    let address = ServerAddress::parse(url)?;
    let deadline = crate::sequence::build_deadline(std::time::Instant::now());
    let mut statements: Vec<TracedStatement> = Vec::new();
    let problems = crate::each_sequence(set, |migrations| {
        let mut scratch = Scratch::create(&address)?;
        let mut target = Server {
            scratch: &mut scratch,
            before: Catalog::default(),
            limit: crate::sequence::Limit::default(),
            depth: 0,
            tracer: trace.then(Tracer::default),
            own_transaction: false,
            untraced: false,
            up_sent: 0,
        };
        let replayed = crate::sequence::replay(&mut target, migrations, deadline);
        if let Some(tracer) = target.tracer.take() {
            for statement in tracer.statements {
                let seen = statements
                    .iter()
                    .any(|s| s.index == statement.index && s.path == statement.path);
                if !seen {
                    statements.push(statement);
                }
            }
        }
        let problems = replayed.map_err(|stopped| stopped.error)?;
        scratch.drop_all().map(|()| problems)
    })?;
    Ok(Traced {
        problems,
        statements,
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
    /// The trace of the Up sections, when asked for.
    tracer: Option<Tracer>,
    /// The current migration runs outside a transaction: each statement
    /// traced runs in a transaction of the tracer's own.
    own_transaction: bool,
    /// The current migration runs outside a transaction and controls its
    /// own (`BEGIN`, `COMMIT`): its statements run untraced.
    untraced: bool,
    /// How many statements of the current migration's Up were sent.
    up_sent: usize,
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

    /// Sends one statement under its limit, set for the session just
    /// before it (the scratch database's session is the replay's own).
    fn send(&mut self, statement: &Statement) -> Result<(), Failure> {
        let ms = self.limit.duration.as_millis().max(1);
        let client = self.scratch.client().map_err(Failure::Session)?;
        client
            .batch_execute(&format!("SET statement_timeout = {ms}"))
            .and_then(|()| client.batch_execute(&statement.sql))
            .map_err(Failure::Statement)
    }

    /// The problem of a statement the server refused or stopped.
    fn problem(
        &self,
        failure: &Failure,
        statement: &Statement,
        path: &str,
        section: ReplayedSection,
    ) -> Problem {
        let error = match failure {
            Failure::Session(error) => {
                return Problem::new(path, Some(statement.line), error.problem());
            }
            Failure::Statement(error) => error,
        };
        if error.code() == Some(&SqlState::QUERY_CANCELED) {
            let kind = ProblemKind::StatementFailed {
                section,
                message: self.limit.stopped(),
            };
            return Problem::new(path, Some(statement.line), kind);
        }
        failed(error, statement, path, section)
    }

    /// Runs one statement of an Up with the tracer's readings around it,
    /// in the migration's transaction or, for a migration that runs
    /// outside one, in a transaction of its own (a statement that refuses
    /// one runs untraced, as it would have).
    fn traced(
        &mut self,
        statement: &Statement,
        path: &str,
        section: ReplayedSection,
    ) -> Result<(), Problem> {
        // Its place in the Up: counted as sent, in order.
        let index = self.up_sent - 1;
        let unreadable =
            |error: ServerError| Problem::new(path, Some(statement.line), error.problem());
        let own = self.own_transaction;
        if own {
            self.execute("BEGIN").map_err(unreadable)?;
        }
        let (client, tracer) = self.parts().map_err(unreadable)?;
        if own {
            tracer.transaction_starts();
        }
        tracer
            .before_statement(client)
            .map_err(|error| unreadable(ServerError::replay(&error)))?;
        match self.send(statement) {
            Ok(()) => {
                let (client, tracer) = self.parts().map_err(unreadable)?;
                tracer
                    .after_statement(client, path, (index, statement.line))
                    .map_err(|error| unreadable(ServerError::replay(&error)))?;
                if own {
                    self.execute("COMMIT").map_err(unreadable)?;
                }
                Ok(())
            }
            Err(failure) if own => {
                self.execute("ROLLBACK").map_err(unreadable)?;
                let refused = matches!(&failure, Failure::Statement(error)
                    if error.code() == Some(&SqlState::ACTIVE_SQL_TRANSACTION));
                let result = if refused {
                    self.send(statement)
                } else {
                    Err(failure)
                };
                result.map_err(|failure| self.problem(&failure, statement, path, section))
            }
            Err(failure) => Err(self.problem(&failure, statement, path, section)),
        }
    }

    /// The session and the tracer, borrowed together.
    fn parts(&mut self) -> Result<(&mut postgres::Client, &mut Tracer), ServerError> {
        let client = self.scratch.client()?;
        let tracer = self.tracer.get_or_insert_with(Tracer::default);
        Ok((client, tracer))
    }
}

/// Why a statement did not run: the session could not be had, or the
/// server refused or stopped the statement.
enum Failure {
    Session(ServerError),
    Statement(postgres::Error),
}

impl Target for Server<'_> {
    type Checkpoint = Checkpoint;
    type Error = ServerError;

    fn start(&mut self, migration: &Migration) -> Result<(), ServerError> {
        // Each migration starts from the session's own settings, as at run
        // time, where what a migration sets for its session is given back
        // after it (a `SET search_path` does not reach the next one).
        self.execute("RESET ALL")?;
        self.before = self.catalog()?;
        self.up_sent = 0;
        self.own_transaction = migration.no_transaction;
        self.untraced = migration.no_transaction
            && migration
                .up
                .iter()
                .any(|statement| statement.transaction_control().is_some());
        if let Some(tracer) = &mut self.tracer {
            tracer.start(migration.version);
            if self.untraced {
                let client = self.scratch.client()?;
                tracer
                    .untraced(client)
                    .map_err(|error| ServerError::replay(&error))?;
            }
        }
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
        if section == ReplayedSection::Up {
            self.up_sent += 1;
            if self.tracer.is_some() && !self.untraced {
                return self.traced(statement, path, section);
            }
        }
        self.send(statement)
            .map_err(|error| self.problem(&error, statement, path, section))
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
