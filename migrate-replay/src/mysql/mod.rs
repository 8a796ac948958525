//! The replay on a real MySQL or MariaDB server (feature `mysql-replay`):
//! each sequence of migrations runs on a scratch database created under a
//! unique name, as on the other targets (Up, the schema read, Down,
//! compared, Up again), and every database the replay created is dropped
//! on every path.
//!
//! MySQL commits DDL as it runs it, so there is no savepoint to go back
//! to: a state is the statements that made it, and going back (after an
//! Up that failed part-way, or a Down that does not restore) builds the
//! database again from them. The happy path never goes back.

mod catalog;
mod scratch;

pub use catalog::objects as schema_objects;

use migrate_core::{MigrationSet, Problem, ProblemKind, ReplayedSection, Statement};
use mysql::prelude::Queryable;

use crate::catalog::Catalog;
use crate::sequence::{Limit, Target};
use crate::server_error::ServerError;
use scratch::Scratch;

/// Replays `set` on scratch databases of the MySQL or MariaDB server at
/// `url` (`mysql://user@host:3306/`; the password from `MYSQL_PWD` when
/// the URL has none): the base set, then the base set plus each
/// environment, each on a database of its own. Returns every problem of
/// the SQL; `Err` when the server cannot be used.
///
/// The user needs the right to create and drop databases.
///
/// # Errors
///
/// [`ServerError`] when the URL cannot be read, the server cannot be
/// reached, a database cannot be created, the replay's own session fails,
/// or a scratch database cannot be dropped (it is named, to drop by hand).
pub fn replay_mysql(set: &MigrationSet, url: &str) -> Result<Vec<Problem>, ServerError> {
    let deadline = crate::sequence::build_deadline(std::time::Instant::now());
    crate::each_sequence(set, |migrations| {
        let mut target = Server {
            scratch: Scratch::create(url)?,
            before: Catalog::default(),
            limit: Limit::default(),
        };
        let replayed = crate::sequence::replay(&mut target, migrations, deadline);
        let problems = replayed.map_err(|stopped| stopped.error)?;
        target.scratch.drop_all().map(|()| problems)
    })
}

/// A fresh database on a MySQL or MariaDB server, as the replay makes
/// one (owned by a session of its own, dropped on drop, or by the next
/// one made on the server when this process was killed first): for the
/// migration-path tests of `migrate_runtime::testing`.
pub struct MysqlScratch(Scratch);

impl MysqlScratch {
    /// A new database on the server of `url` (`mysql://`, `mariadb://`;
    /// the password from `MYSQL_PWD` when the URL has none).
    ///
    /// # Errors
    ///
    /// [`ServerError`] when the URL cannot be read, the server reached or
    /// the database created.
    pub fn create(url: &str) -> Result<MysqlScratch, ServerError> {
        Scratch::create(url).map(MysqlScratch)
    }

    /// A new session in the database.
    ///
    /// # Errors
    ///
    /// [`ServerError::MysqlConnect`] when the server refuses it.
    pub fn connect(&self) -> Result<mysql::Conn, ServerError> {
        self.0.connect()
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        self.0.name()
    }
}

/// The replay's target: a scratch database, and the schema its current
/// migration started from.
struct Server {
    scratch: Scratch,
    before: Catalog,
    /// The time limit of each statement of the current migration.
    limit: Limit,
}

impl Server {
    fn catalog(&mut self) -> Result<Catalog, ServerError> {
        catalog::read(self.scratch.conn()).map_err(|error| ServerError::Session {
            message: scratch::message(&error),
        })
    }

    /// Sets the session's statement limit before each statement: MariaDB's
    /// `max_statement_time` stops any statement, MySQL's
    /// `max_execution_time` only a `SELECT`.
    fn set_limit(&mut self) -> Result<(), mysql::Error> {
        let sql = if self.scratch.mariadb {
            format!(
                "SET SESSION max_statement_time = {}",
                self.limit.duration.as_secs_f64()
            )
        } else {
            format!(
                "SET SESSION max_execution_time = {}",
                self.limit.duration.as_millis().max(1)
            )
        };
        self.scratch.conn().query_drop(sql)
    }

    fn failed(
        &self,
        error: &mysql::Error,
        statement: &Statement,
        path: &str,
        section: ReplayedSection,
    ) -> Problem {
        let kind = match error {
            mysql::Error::MySqlError(server) => ProblemKind::MysqlFailed {
                section,
                server: self.scratch.flavour.clone(),
                code: server.code,
                state: server.state.clone(),
                // Stopped at its limit: MariaDB's 1969, MySQL's 3024.
                // The scratch database's name is noise: `Table 'nowhere'`.
                message: if matches!(server.code, 1969 | 3024) {
                    self.limit.stopped()
                } else {
                    server
                        .message
                        .replace(&format!("{}.", self.scratch.name()), "")
                },
            },
            other => ServerError::Session {
                message: format!("{}: {other}", self.scratch.server()),
            }
            .problem(),
        };
        Problem::new(path, Some(statement.line), kind)
    }
}

impl Target for Server {
    /// How many statements made the database at that point.
    type Checkpoint = usize;
    type Error = ServerError;

    fn start(&mut self, _migration: &migrate_core::Migration) -> Result<(), ServerError> {
        self.before = self.catalog()?;
        Ok(())
    }

    fn limit(&mut self, limit: Limit) {
        self.limit = limit;
    }

    fn checkpoint(&mut self, _name: &'static str, _copy: bool) -> Result<usize, ServerError> {
        Ok(self.scratch.state())
    }

    fn restore(&mut self, checkpoint: &usize) -> Result<(), ServerError> {
        self.scratch.restore(*checkpoint)
    }

    fn release(&mut self, _checkpoint: usize) -> Result<(), ServerError> {
        Ok(())
    }

    fn execute(
        &mut self,
        statement: &Statement,
        path: &str,
        section: ReplayedSection,
    ) -> Result<(), Problem> {
        self.set_limit()
            .map_err(|error| self.failed(&error, statement, path, section))?;
        match scratch::run(self.scratch.conn(), statement.sql.as_ref()) {
            Ok(()) => {
                self.scratch.ran(&statement.sql);
                Ok(())
            }
            Err(error) => Err(self.failed(&error, statement, path, section)),
        }
    }

    fn differences(&mut self) -> Result<Vec<String>, ServerError> {
        let now = self.catalog()?;
        Ok(self.before.differences(&now))
    }
}
