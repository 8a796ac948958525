//! The MySQL and MariaDB backend: [`Backend`] for the blocking
//! `mysql::Conn` (feature `mysql`) and the async `mysql_async::Conn`
//! (feature `mysql-async`), written once over the two clients
//! (`client.rs`). Each works on one session: a connection of its own, or
//! `&mut *` a pooled one, never the pool, because the lock belongs to one
//! session.
//!
//! - **The lock** is `GET_LOCK` on a name derived from the database and
//!   the history table, held by the session and freed by the server when
//!   the session ends. Neither client reconnects by itself, so a migrator
//!   whose session was killed or lost stops at its next statement and
//!   never goes on over another connection. For the run, the session's
//!   `wait_timeout` is the lock's lease: a holder paused (SIGSTOP, a
//!   debugger) longer than that between two statements has its session
//!   closed by the server, which rolls its transaction back and frees the
//!   lock and every table it held.
//! - **Schema changes commit by themselves** (MySQL's implicit commit): a
//!   migration that runs one ([`Statement::commits_on_mysql`]) runs outside
//!   a transaction, each statement recorded as done in its history row, as
//!   a `NoTransaction` migration does everywhere; migrations without one
//!   run in one transaction, as on the other databases. The history table
//!   is created before the run's first transaction.
//! - **Lock waits** are bounded per statement by `lock_wait_timeout`
//!   (metadata locks: an `ALTER TABLE` behind a long transaction) and
//!   `innodb_lock_wait_timeout` (rows), in whole seconds.
//! - **Time limits**: MariaDB stops any statement at `max_statement_time`;
//!   MySQL's `max_execution_time` stops only `SELECT`, so there a limit on
//!   another statement is refused before it runs, not ignored.

use client::Value;

mod client;
mod history;
mod lock;
mod session;
#[cfg(feature = "sqlx-mysql")]
mod sqlx_client;

use client::{Completion, Failure};

use crate::{DriverError, Error, TableName};

/// What the lock holds on MySQL or MariaDB: the `GET_LOCK` name, the
/// history table in the database it was in when the lock was taken, and
/// the session's own settings to give back.
#[derive(Debug)]
pub struct MysqlLock {
    /// The `GET_LOCK` name.
    name: String,
    /// The history table, qualified with its database.
    table: TableName,
    /// The server is MariaDB (`max_statement_time`), not MySQL.
    mariadb: bool,
    /// The session's settings before the run, given back at the unlock.
    own: Own,
    /// The lock wait the session has now, in seconds, once the run set
    /// one: set again only when a migration asks for another.
    lock_wait: Option<u64>,
}

/// The session's settings a run changes.
#[derive(Debug, Clone, Copy)]
struct Own {
    wait_timeout: u64,
    lock_wait_timeout: u64,
    innodb_lock_wait_timeout: u64,
    /// MariaDB's `max_statement_time`, in seconds.
    max_statement_time: f64,
    /// What the session's `COMMIT` and `ROLLBACK` do after ending a
    /// transaction: given back when the run is [`disarm`](client::Client::disarm)ed.
    completion: Completion,
}

impl Own {
    /// The statement that gives the session these settings back.
    fn give_back(&self, mariadb: bool) -> String {
        let statement_time = if mariadb {
            format!(", max_statement_time = {}", self.max_statement_time)
        } else {
            String::new()
        };
        format!(
            "SET SESSION wait_timeout = {}, lock_wait_timeout = {}, innodb_lock_wait_timeout = {}{statement_time}",
            self.wait_timeout, self.lock_wait_timeout, self.innodb_lock_wait_timeout
        )
    }
}

/// The run's own end of a transaction: never ending the session nor
/// starting another, whatever the session's `completion_type` says.
const COMMIT: &str = "COMMIT AND NO CHAIN NO RELEASE";
/// See [`COMMIT`].
const ROLLBACK: &str = "ROLLBACK AND NO CHAIN NO RELEASE";

/// MySQL's error for a lock wait that ran out (`lock_wait_timeout`,
/// `innodb_lock_wait_timeout`).
const LOCK_WAIT_TIMEOUT: u16 = 1205;
/// MySQL's error for a table that does not exist.
const NO_SUCH_TABLE: u16 = 1146;
/// MySQL's error for a column that does not exist.
const NO_SUCH_COLUMN: u16 = 1054;
/// MySQL's error for a system variable it does not know.
const UNKNOWN_VARIABLE: u16 = 1193;
/// MySQL's error for a key already there.
const DUPLICATE_KEY: u16 = 1062;

/// The session is gone: the server ended it (`KILL`, an idle holder past
/// its lease) or the connection broke. The lock went with it.
#[derive(Debug)]
struct SessionGone(String);

impl std::fmt::Display for SessionGone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the session ended ({}): it was killed, the connection broke, or the server closed \
             it after it sat idle longer than the lock's lease (a paused run); the migration \
             lock went with it, and this run changes nothing more",
            self.0
        )
    }
}

impl std::error::Error for SessionGone {}

/// A failure as a [`DriverError`], in the server's words where it
/// answered (`ERROR 1146 (42S02): …`); a session that is gone says so.
fn driver(failure: Failure) -> DriverError {
    if failure.gone {
        Box::new(SessionGone(failure.message))
    } else {
        failure.message.into()
    }
}

/// The runtime's error for `action` failing.
fn failed(action: &'static str) -> impl Fn(Failure) -> Error {
    move |failure| Error::database(action, driver(failure))
}

/// A value of a row as text: numbers and strings as MySQL shows them.
fn text(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::Bytes(bytes) => Some(String::from_utf8_lossy(bytes).into_owned()),
        Value::Int(n) => Some(n.to_string()),
        Value::UInt(n) => Some(n.to_string()),
        Value::Double(n) => Some(n.to_string()),
    }
}

/// A value of a row as a whole number.
fn number(value: &Value) -> Option<i64> {
    match value {
        Value::Int(i) => Some(*i),
        Value::UInt(u) => i64::try_from(*u).ok(),
        Value::Bytes(bytes) => std::str::from_utf8(bytes).ok()?.trim().parse().ok(),
        _ => None,
    }
}

/// The parameters of a statement, in order.
fn params(values: Vec<Value>) -> client::Params {
    values
}

/// Implements every capability of [`Backend`](crate::Backend) for a MySQL
/// client type, by the functions written once over [`client::Client`].
macro_rules! mysql_backend {
    ($conn:ty) => {
        impl crate::Locking for $conn {
            type Lock = MysqlLock;

            /// `GET_LOCK` is tried without waiting, and again after
            /// growing pauses until `request.timeout`, so that the wait is
            /// bounded here and the error names the holder's session.
            async fn lock(&mut self, request: crate::LockRequest<'_>) -> crate::Result<MysqlLock> {
                lock::lock(self, request).await
            }

            async fn outside_transaction(&mut self) -> crate::Result<()> {
                lock::outside_transaction(self).await
            }

            fn history_table<'l>(&self, lock: &'l MysqlLock) -> Option<&'l TableName> {
                Some(&lock.table)
            }

            async fn unlock(&mut self, lock: MysqlLock) {
                lock::unlock(self, lock).await;
            }

            /// An armed session ends on the `ROLLBACK` the client queues:
            /// the server rolls back and frees the lock and the settings.
            fn abandon(&mut self, _table: &TableName, _run: &str, _lock: Option<&MysqlLock>) {
                client::Client::abandon(self);
            }
        }

        impl crate::Session for $conn {
            async fn begin(&mut self, _lock: &mut MysqlLock) -> crate::Result<()> {
                session::begin(self).await
            }

            async fn commit(&mut self, _lock: &mut MysqlLock) -> crate::Result<()> {
                session::commit(self).await
            }

            async fn rollback(&mut self, _lock: &mut MysqlLock) {
                session::rollback(self).await;
            }

            async fn execute(
                &mut self,
                lock: &mut MysqlLock,
                sql: &str,
                limit: Option<std::time::Duration>,
            ) -> std::result::Result<(), DriverError> {
                session::execute(self, lock, sql, limit).await
            }

            fn can_call(&self, function: &crate::Function) -> bool {
                client::Client::can_call(self, function)
            }

            async fn call(
                &mut self,
                lock: &mut MysqlLock,
                function: crate::Function,
                limit: Option<std::time::Duration>,
            ) -> std::result::Result<(), DriverError> {
                session::call(self, lock, function, limit).await
            }
        }

        impl crate::HistoryStore for $conn {
            async fn read_history(
                &mut self,
                table: &TableName,
                _wait: std::time::Duration,
            ) -> crate::Result<Vec<crate::AppliedMigration>> {
                history::read_history(self, table).await
            }

            async fn read_applied(
                &mut self,
                table: &TableName,
                _wait: std::time::Duration,
            ) -> crate::Result<Vec<crate::AppliedVersion>> {
                history::read_applied(self, table).await
            }

            async fn create_history(&mut self, table: &TableName) -> crate::Result<()> {
                history::create_history(self, table).await
            }

            async fn insert_history(
                &mut self,
                table: &TableName,
                migration: &crate::Migration,
                execution_time: std::time::Duration,
            ) -> crate::Result<()> {
                history::insert_history(self, table, migration, execution_time).await
            }

            async fn delete_history(
                &mut self,
                table: &TableName,
                version: crate::Version,
            ) -> crate::Result<()> {
                history::delete_history(self, table, version).await
            }

            async fn record_failure(
                &mut self,
                table: &TableName,
                migration: &crate::Migration,
                failure: &str,
            ) -> crate::Result<()> {
                history::record_failure(self, table, migration, failure).await
            }

            async fn record_progress(
                &mut self,
                table: &TableName,
                version: crate::Version,
                progress: &str,
            ) -> crate::Result<()> {
                history::record_progress(self, table, version, progress).await
            }

            async fn renumber_history(
                &mut self,
                table: &TableName,
                from: crate::Version,
                to: crate::Version,
            ) -> crate::Result<()> {
                history::renumber_history(self, table, from, to).await
            }
        }

        impl crate::Catalog for $conn {
            async fn table_columns(
                &mut self,
                table: &TableName,
                _wait: std::time::Duration,
            ) -> crate::Result<Option<Vec<String>>> {
                history::table_columns(self, table).await
            }

            async fn read_rows(
                &mut self,
                table: &TableName,
                columns: &[&str],
                _wait: std::time::Duration,
            ) -> crate::Result<Vec<Vec<crate::Value>>> {
                history::read_rows(self, table, columns).await
            }
        }

        impl crate::LockWaits<MysqlLock> for $conn {
            async fn set_lock_timeout(
                &mut self,
                lock: &mut MysqlLock,
                limit: std::time::Duration,
            ) -> crate::Result<()> {
                session::set_lock_timeout(self, lock, limit).await
            }

            fn is_lock_timeout(&self, error: &DriverError) -> bool {
                error
                    .to_string()
                    .starts_with(&format!("ERROR {LOCK_WAIT_TIMEOUT} "))
            }

            async fn blockers(&mut self, _statement: &str) -> Vec<crate::Blocker> {
                lock::blockers(self).await
            }

            async fn pause(&mut self, pause: std::time::Duration) {
                client::Client::pause(self, pause).await;
            }
        }

        impl crate::Backend for $conn {
            const IMPLICIT_COMMIT: Option<fn(&crate::Statement) -> bool> =
                Some(crate::Statement::commits_on_mysql);
            const QUOTE: fn(&TableName) -> String = TableName::backquoted;

            fn kind(&self) -> &'static str {
                "mysql"
            }

            fn lock_waits(&mut self) -> Option<&mut impl crate::LockWaits<MysqlLock>> {
                Some(self)
            }

            /// A statement that only changes rows commits in one
            /// transaction with its record: after a kill either both are
            /// there or neither. Any other commits by itself, and the
            /// record follows it.
            async fn execute_recorded(
                &mut self,
                lock: &mut MysqlLock,
                statement: &crate::Statement,
                limit: Option<std::time::Duration>,
                record: crate::ProgressRecord<'_>,
            ) -> crate::Result<std::result::Result<(), DriverError>> {
                session::execute_recorded(self, lock, statement, limit, record).await
            }
        }
    };
}

#[cfg(feature = "mysql")]
mysql_backend!(mysql::Conn);
#[cfg(feature = "mysql-async")]
mysql_backend!(mysql_async::Conn);
#[cfg(feature = "sqlx-mysql")]
mysql_backend!(sqlx::mysql::MySqlConnection);
