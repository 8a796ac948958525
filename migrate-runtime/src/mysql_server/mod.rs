//! The MySQL and MariaDB backend: [`Backend`] for the blocking
//! [`mysql::Conn`] (a connection of its own, or `&mut *` a pooled one:
//! the lock belongs to one session).
//!
//! - **The lock** is `GET_LOCK` on a name derived from the database and
//!   the history table, held by the session and freed by the server when
//!   the session ends. `mysql::Conn` never reconnects by itself, so a
//!   migrator whose session was killed or lost stops at its next
//!   statement and never goes on over another connection. For the run,
//!   the session's `wait_timeout` is the lock's lease: a holder paused
//!   (SIGSTOP, a debugger) longer than that between two statements has its
//!   session closed by the server, which rolls its transaction back and
//!   frees the lock and every table it held.
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

use std::time::Duration;

use mysql::prelude::Queryable;
use mysql::{Conn, Value as MysqlValue};

mod history;
mod session;

use crate::backoff::Backoff;
use crate::{
    Backend, Blocker, DriverError, Error, LockHolder, LockRequest, LockWaits, Locking, Result,
    Statement, TableName,
};

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
}

/// The session's settings a run changes.
#[derive(Debug, Clone, Copy)]
struct Own {
    wait_timeout: u64,
    lock_wait_timeout: u64,
    innodb_lock_wait_timeout: u64,
    /// MariaDB's `max_statement_time`, in seconds.
    max_statement_time: f64,
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

/// MySQL's error for a lock wait that ran out (`lock_wait_timeout`,
/// `innodb_lock_wait_timeout`).
const LOCK_WAIT_TIMEOUT: u16 = 1205;
/// MySQL's error for a table that does not exist.
const NO_SUCH_TABLE: u16 = 1146;
/// MySQL's error for a column that does not exist.
const NO_SUCH_COLUMN: u16 = 1054;
/// MariaDB's error for a session ended by `KILL`.
const CONNECTION_KILLED: u16 = 1927;
/// MySQL's error for a session closed after `wait_timeout` idle.
const IDLE_DISCONNECTED: u16 = 4031;
/// MySQL's error for a system variable it does not know.
const UNKNOWN_VARIABLE: u16 = 1193;

/// The server's error code, when the server answered with an error.
fn code(error: &mysql::Error) -> Option<u16> {
    match error {
        mysql::Error::MySqlError(server) => Some(server.code),
        _ => None,
    }
}

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

/// Whether `error` says the session is gone.
fn session_gone(error: &mysql::Error) -> bool {
    match error {
        mysql::Error::IoError(_) | mysql::Error::CodecError(_) => true,
        mysql::Error::MySqlError(server) => {
            [CONNECTION_KILLED, IDLE_DISCONNECTED].contains(&server.code)
        }
        _ => false,
    }
}

/// `error` as a [`DriverError`], in the server's words where it answered:
/// `ERROR 1146 (42S02): …`.
fn driver(error: mysql::Error) -> DriverError {
    if session_gone(&error) {
        return Box::new(SessionGone(match &error {
            mysql::Error::MySqlError(server) => server.message.clone(),
            other => other.to_string(),
        }));
    }
    match error {
        mysql::Error::MySqlError(server) => format!(
            "ERROR {} ({}): {}",
            server.code, server.state, server.message
        )
        .into(),
        other => Box::new(other),
    }
}

/// The runtime's error for `action` failing with `error`.
fn failed(action: &'static str) -> impl Fn(mysql::Error) -> Error {
    move |error| Error::database(action, driver(error))
}

/// Runs `sql` and reads every result it gives: an error that arrives while
/// rows are sent (a failing `CALL`, a limit reached in a `SELECT`) is the
/// statement's error.
fn run(conn: &mut Conn, sql: &str) -> std::result::Result<(), mysql::Error> {
    let mut result = conn.query_iter(sql)?;
    while let Some(set) = result.iter() {
        for row in set {
            row?;
        }
    }
    Ok(())
}

/// A value of a row as text: numbers and strings as MySQL shows them.
fn text(value: &MysqlValue) -> Option<String> {
    match value {
        MysqlValue::NULL => None,
        MysqlValue::Bytes(bytes) => Some(String::from_utf8_lossy(bytes).into_owned()),
        other => Some(other.as_sql(true).trim_matches('\'').to_owned()),
    }
}

/// A value of a row as a whole number.
fn number(value: &MysqlValue) -> Option<i64> {
    match value {
        MysqlValue::Int(i) => Some(*i),
        MysqlValue::UInt(u) => i64::try_from(*u).ok(),
        MysqlValue::Bytes(bytes) => std::str::from_utf8(bytes).ok()?.trim().parse().ok(),
        _ => None,
    }
}

/// The session as the lock finds it: its database, the server's flavour
/// and the settings a run changes.
struct SessionState {
    database: Option<String>,
    mariadb: bool,
    own: Own,
}

fn session_state(conn: &mut Conn) -> Result<SessionState> {
    let action = "reading the session's database and settings";
    let row: Vec<MysqlValue> = conn
        .query_first::<mysql::Row, _>(
            "SELECT DATABASE(), VERSION(), @@session.wait_timeout, @@session.lock_wait_timeout, \
             @@session.innodb_lock_wait_timeout",
        )
        .map_err(failed(action))?
        .ok_or_else(|| Error::database(action, "the server answered no row"))?
        .unwrap();
    let version = row.get(1).and_then(text).unwrap_or_default();
    let mariadb = version.to_ascii_lowercase().contains("mariadb");
    let seconds = |at: usize| {
        row.get(at)
            .and_then(number)
            .and_then(|n| u64::try_from(n).ok())
            .unwrap_or(28_800)
    };
    let max_statement_time = if mariadb {
        conn.query_first::<f64, _>("SELECT @@session.max_statement_time")
            .map_err(failed(action))?
            .unwrap_or(0.0)
    } else {
        0.0
    };
    Ok(SessionState {
        database: row.first().and_then(text),
        mariadb,
        own: Own {
            wait_timeout: seconds(2),
            lock_wait_timeout: seconds(3),
            innodb_lock_wait_timeout: seconds(4),
            max_statement_time,
        },
    })
}

/// Whole seconds, at least one, for MySQL's settings in seconds.
fn whole_seconds(limit: Duration) -> u64 {
    let seconds = limit.as_secs() + u64::from(limit.subsec_nanos() > 0);
    seconds.clamp(1, 31_536_000)
}

/// The `GET_LOCK` name of `table` (qualified): `migrate:` and the SHA-1 of
/// the qualified name, computed by the server so that every client, of
/// any version, takes the same lock.
const LOCK_NAME: &str = "SELECT CONCAT('migrate:', SHA1(?))";

/// Who holds the lock named `?`: its session, as the server lists it.
const HOLDER: &str = "SELECT p.id, p.user, p.host, p.time FROM information_schema.processlist p \
     WHERE p.id = IS_USED_LOCK(?)";

fn holder(conn: &mut Conn, name: &str) -> Option<LockHolder> {
    let row = conn
        .exec_first::<mysql::Row, _, _>(HOLDER, (name,))
        .ok()??
        .unwrap();
    let id = i32::try_from(row.first().and_then(number)?).ok()?;
    let user = row.get(1).and_then(text).unwrap_or_default();
    let host = row.get(2).and_then(text);
    let seconds = row.get(3).and_then(number).unwrap_or(0);
    Some(LockHolder::new(
        id,
        user,
        host,
        format!("in its current state for {seconds} s"),
    ))
}

impl Locking for Conn {
    type Lock = MysqlLock;

    /// `GET_LOCK` is tried without waiting, and again after growing pauses
    /// until `request.timeout`, so that the wait is bounded here and the
    /// error names the holder's session.
    async fn lock(&mut self, request: LockRequest<'_>) -> Result<MysqlLock> {
        let state = session_state(self)?;
        let database = match (request.table.schema(), &state.database) {
            (Some(schema), _) => schema.to_owned(),
            (None, Some(database)) => database.clone(),
            (None, None) => {
                return Err(Error::database(
                    "finding the database of the history table",
                    "the connection has no database selected: name one in the URL \
                     (mysql://host/app) or qualify the table (app.schema_migrations)",
                ));
            }
        };
        let table = TableName::in_schema(Some(&database), request.table.name())?;
        let name: String = self
            .exec_first(LOCK_NAME, (table.to_string(),))
            .map_err(failed("naming the migration lock"))?
            .unwrap_or_default();
        let mut backoff = Backoff::new(request.timeout);
        loop {
            let taken: Option<i64> = self
                .exec_first("SELECT GET_LOCK(?, 0)", (&name,))
                .map_err(failed("taking the migration lock"))?
                .flatten();
            if taken == Some(1) {
                break;
            }
            match backoff.next() {
                Ok(pause) => std::thread::sleep(pause),
                Err(waited) => {
                    return Err(Error::Locked {
                        waited,
                        holder: holder(self, &name).map(Box::new),
                    });
                }
            }
        }
        let lock = MysqlLock {
            name,
            table,
            mariadb: state.mariadb,
            own: state.own,
        };
        let lease = format!(
            "SET SESSION wait_timeout = {}",
            whole_seconds(request.lease)
        );
        if let Err(error) = self.query_drop(&lease) {
            Locking::unlock(self, lock).await;
            return Err(failed(
                "setting the session's idle limit (the lock's lease)",
            )(error));
        }
        Ok(lock)
    }

    async fn outside_transaction(&mut self) -> Result<()> {
        let action = "reading whether the session is in a transaction";
        let open = match self.query_first::<i64, _>("SELECT @@in_transaction") {
            Ok(open) => open.unwrap_or(0) > 0,
            // MySQL has no such variable: its InnoDB transactions are listed.
            Err(error) if code(&error) == Some(UNKNOWN_VARIABLE) => {
                self.query_first::<i64, _>(
                    "SELECT COUNT(*) FROM information_schema.innodb_trx \
                     WHERE trx_mysql_thread_id = CONNECTION_ID()",
                )
                .map_err(failed(action))?
                .unwrap_or(0)
                    > 0
            }
            Err(error) => return Err(failed(action)(error)),
        };
        if open {
            return Err(Error::SessionInTransaction);
        }
        Ok(())
    }

    fn history_table<'l>(&self, lock: &'l MysqlLock) -> Option<&'l TableName> {
        Some(&lock.table)
    }

    async fn unlock(&mut self, lock: MysqlLock) {
        let _ = self.query_drop("ROLLBACK");
        if let Err(error) = self.query_drop(lock.own.give_back(lock.mariadb)) {
            tracing::error!(
                "could not give the session its settings back: {}",
                driver(error)
            );
        }
        if let Err(error) = self.exec_drop("DO RELEASE_LOCK(?)", (&lock.name,)) {
            tracing::error!(
                "could not release the migration lock; the server releases it when the session ends: {}",
                driver(error)
            );
        }
    }
}

impl LockWaits<MysqlLock> for Conn {
    async fn set_lock_timeout(&mut self, _lock: &mut MysqlLock, limit: Duration) -> Result<()> {
        // Zero: without limit, as long as MySQL lets a wait be (a year).
        let seconds = if limit.is_zero() {
            31_536_000
        } else {
            whole_seconds(limit)
        };
        self.query_drop(format!(
            "SET SESSION lock_wait_timeout = {seconds}, innodb_lock_wait_timeout = {seconds}"
        ))
        .map_err(failed("setting the lock timeout"))
    }

    fn is_lock_timeout(&self, error: &DriverError) -> bool {
        error
            .to_string()
            .starts_with(&format!("ERROR {LOCK_WAIT_TIMEOUT} "))
    }

    /// The sessions with an open transaction, longest open first: what
    /// holds a table's metadata lock until it ends. MySQL does not say
    /// which tables a transaction has read without `performance_schema`,
    /// so every open transaction is named.
    async fn blockers(&mut self, _statement: &str) -> Vec<Blocker> {
        let sql = "SELECT p.id, p.user, p.host, TIMESTAMPDIFF(SECOND, t.trx_started, NOW()), \
                   p.command, p.time \
                   FROM information_schema.innodb_trx t \
                   JOIN information_schema.processlist p ON p.id = t.trx_mysql_thread_id \
                   WHERE p.id <> CONNECTION_ID() ORDER BY t.trx_started";
        let rows: Vec<Vec<MysqlValue>> = match self.query::<mysql::Row, _>(sql) {
            Ok(rows) => rows.into_iter().map(mysql::Row::unwrap).collect(),
            Err(error) => {
                tracing::debug!("could not read the blocking sessions: {}", driver(error));
                return Vec::new();
            }
        };
        let seconds = |value: Option<&MysqlValue>| {
            value
                .and_then(number)
                .and_then(|n| u64::try_from(n).ok())
                .map(Duration::from_secs)
        };
        rows.iter()
            .filter_map(|row| {
                let id = i32::try_from(row.first().and_then(number)?).ok()?;
                let user = row.get(1).and_then(text).unwrap_or_default();
                Some(Blocker::new(id, user).with(
                    row.get(2).and_then(text),
                    seconds(row.get(3)),
                    row.get(4).and_then(text).map(|c| c.to_ascii_lowercase()),
                    seconds(row.get(5)),
                ))
            })
            .collect()
    }

    async fn pause(&mut self, pause: Duration) {
        std::thread::sleep(pause);
    }
}

impl Backend for Conn {
    const IMPLICIT_COMMIT: Option<fn(&Statement) -> bool> = Some(Statement::commits_on_mysql);
    const QUOTE: fn(&TableName) -> String = TableName::backquoted;

    fn kind(&self) -> &'static str {
        "mysql"
    }

    fn lock_waits(&mut self) -> Option<&mut impl LockWaits<MysqlLock>> {
        Some(self)
    }

    /// A statement that only changes rows commits in one transaction with
    /// its record: after a kill either both are there or neither. Any
    /// other commits by itself, and the record follows it.
    async fn execute_recorded(
        &mut self,
        lock: &mut MysqlLock,
        statement: &Statement,
        limit: Option<Duration>,
        record: crate::ProgressRecord<'_>,
    ) -> Result<std::result::Result<(), DriverError>> {
        session::execute_recorded(self, lock, statement, limit, record).await
    }
}
