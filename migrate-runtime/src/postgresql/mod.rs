//! The PostgreSQL backends: [`Backend`](crate::Backend) for
//! `postgres::Client` (blocking) and [`AsyncBackend`](crate::AsyncBackend)
//! for `tokio_postgres::Client`, sharing their SQL and their reading of the
//! server's answers here. Each works on one session: a connection of its
//! own or one taken from a pool, never the pool, because the lock belongs to
//! one session.
//!
//! The lock is a session advisory lock keyed on the schema-qualified
//! history table, so two applications in two schemas of one database do not
//! wait for each other. A waiting migrator polls `pg_try_advisory_lock`
//! with one short statement at a time, in autocommit: it never holds a
//! transaction or a snapshot while it waits, so the holder's `CREATE INDEX
//! CONCURRENTLY` is not blocked by the migrators queued behind it. The wait
//! is bounded; the error names the session that holds the lock. The server
//! releases the lock when the holder's session ends, killed or not, and
//! notices a killed holder within a second even in the middle of a long
//! statement (`client_connection_check_interval`).

use std::fmt;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use tokio_postgres::Row;
use tokio_postgres::types::{ToSql, Type};

use crate::{
    AppliedMigration, AppliedVersion, DriverError, Error, LockHolder, Migration, Result, TableName,
    Value, Version,
};

#[cfg(feature = "postgres")]
mod blocking;
#[cfg(feature = "tokio-postgres")]
mod nonblocking;

/// What the lock holds on PostgreSQL: the advisory lock's key.
#[derive(Debug)]
pub struct PostgresLock {
    key: i64,
    /// A session lock is released at the unlock; a transaction lock with
    /// the run's transaction.
    scope: crate::LockScope,
    /// The session's own `search_path`, restored at the unlock.
    search_path: Option<String>,
}

/// The server's error, written whole: `Display` of the driver's error says
/// only "db error" and keeps the message in its source.
#[derive(Debug)]
#[non_exhaustive]
pub struct ServerError {
    /// The SQLSTATE code, e.g. `42601`.
    pub code: String,
    /// The primary message.
    pub message: String,
    /// The detail, when the server gave one.
    pub detail: Option<String>,
    /// The hint, when the server gave one.
    pub hint: Option<String>,
    /// The 1-based character position of the error in the statement.
    pub position: Option<u32>,
}

impl fmt::Display for ServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (SQLSTATE {})", self.message, self.code)?;
        if let Some(detail) = &self.detail {
            write!(f, "; detail: {detail}")?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "; hint: {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ServerError {}

/// The driver's error as this crate reports it: the server's own words
/// when it sent any, else the client's.
fn driver(error: tokio_postgres::Error) -> DriverError {
    match error.as_db_error() {
        Some(db) => Box::new(ServerError {
            code: db.code().code().to_owned(),
            message: db.message().to_owned(),
            detail: db.detail().map(str::to_owned),
            hint: db.hint().map(str::to_owned),
            position: match db.position() {
                Some(tokio_postgres::error::ErrorPosition::Original(at)) => Some(*at),
                _ => None,
            },
        }),
        None => Box::new(error),
    }
}

/// The first row of an answer, or the error of doing `action`. The
/// backends send every statement unnamed, in one round trip
/// (`query_typed`): named prepared statements do not survive a pooler in
/// transaction mode, which may send the next message to another server
/// session.
fn first(answer: Result<Vec<Row>, tokio_postgres::Error>, action: &'static str) -> Result<Row> {
    answer
        .map_err(failed(action))?
        .into_iter()
        .next()
        .ok_or_else(|| Error::database(action, "the server sent no row"))
}

/// A database error while doing `action`, in the server's words.
fn failed(action: &'static str) -> impl Fn(tokio_postgres::Error) -> Error {
    move |error| Error::database(action, driver(error))
}

/// `SELECT current_schema()`: the schema of an unqualified history table.
const CURRENT_SCHEMA: &str = "SELECT current_schema()::text";

/// The server checks every second that this client is still there, also
/// during a long statement: a migrator killed in the middle of one releases
/// the lock within a second (PostgreSQL 14 and later; older servers refuse
/// the setting and release the lock when the statement ends).
const CHECK_CLIENT: &str = "SET client_connection_check_interval = '1s'";

const SHOW_SEARCH_PATH: &str = "SELECT current_setting('search_path')";
const SET_SEARCH_PATH: &str = "SELECT set_config('search_path', $1, false)";

/// `schema` as a `search_path` value (it is a checked identifier).
fn search_path(schema: &str) -> String {
    format!("\"{schema}\"")
}

/// The session lock, not taken again by a session that holds it already:
/// advisory locks are reentrant, and behind a pooler in transaction mode
/// two clients can share one server session.
const TRY_LOCK: &str = "WITH mine AS MATERIALIZED (
         SELECT count(*) AS held FROM pg_locks
         WHERE locktype = 'advisory' AND granted AND pid = pg_backend_pid()
           AND classid::bigint = $2 AND objid::bigint = $3 AND objsubid = 1)
     SELECT CASE WHEN held = 0 THEN pg_try_advisory_lock($1) ELSE false END FROM mine";
/// The transaction lock; the key halves are unused here (the same parameters as [`TRY_LOCK`]).
/// Sets `statement_timeout` (in milliseconds) and answers the one it replaces.
const SET_STATEMENT_TIMEOUT: &str =
    "WITH own AS MATERIALIZED (SELECT current_setting('statement_timeout') AS v)
     SELECT v, set_config('statement_timeout', $1, false) FROM own";
const RESTORE_STATEMENT_TIMEOUT: &str = "SELECT set_config('statement_timeout', $1, false)";

/// A limit as `statement_timeout` takes it: whole milliseconds, at least 1
/// (0 would mean no limit).
fn millis(limit: Duration) -> String {
    limit.as_millis().max(1).to_string()
}

const TRY_TRANSACTION_LOCK: &str =
    "SELECT pg_try_advisory_xact_lock($1) WHERE $2::bigint IS NOT NULL AND $3::bigint IS NOT NULL";

/// Whether this server session holds the advisory lock of the two key
/// halves: after a session lock was taken, `false` means the statements go
/// to other server sessions (a pooler in transaction mode).
const HELD_HERE: &str = "SELECT EXISTS (SELECT 1 FROM pg_locks
     WHERE locktype = 'advisory' AND granted AND pid = pg_backend_pid()
       AND classid::bigint = $1 AND objid::bigint = $2 AND objsubid = 1)";
const UNLOCK: &str = "SELECT pg_advisory_unlock($1)";

/// Who holds an advisory lock, by the two halves of its key.
const HOLDER: &str = "SELECT a.pid, coalesce(a.application_name, ''), host(a.client_addr),
        to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')
     FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
     WHERE l.locktype = 'advisory' AND l.granted
       AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
       AND l.classid::bigint = $1 AND l.objid::bigint = $2 AND l.objsubid = 1
     LIMIT 1";

const COLUMNS: &str = "SELECT column_name::text FROM information_schema.columns
     WHERE table_schema = coalesce($1, current_schema()) AND table_name = $2
     ORDER BY ordinal_position";

/// The advisory lock key of `schema.table`: the first 8 bytes of a SHA-256,
/// the same in every process and release.
fn lock_key(schema: &str, table: &str) -> i64 {
    let digest = Sha256::digest(format!("embedded-migrations lock {schema}.{table}"));
    let mut bytes = [0; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}

/// The halves of `key` as `pg_locks` shows an advisory lock on it.
fn key_halves(key: i64) -> (i64, i64) {
    let bits = key.cast_unsigned();
    (
        (bits >> 32).cast_signed(),
        (bits & 0xffff_ffff).cast_signed(),
    )
}

/// The schema an unqualified table is in, from `SELECT current_schema()`.
fn schema_of(table: &TableName, current: Option<&Row>) -> String {
    match table.schema() {
        Some(schema) => schema.to_owned(),
        None => current
            .and_then(|row| row.get::<_, Option<String>>(0))
            .unwrap_or_default(),
    }
}

fn holder_of(row: &Row) -> LockHolder {
    LockHolder::new(
        row.get(0),
        row.get(1),
        row.get(2),
        row.get::<_, Option<String>>(3).unwrap_or_default(),
    )
}

/// One try of the migration lock, decided once for both backends: what
/// opens it, which statement tries, and what follows when the lock is
/// taken or refused. The backends only send what it says.
struct Attempt {
    key: i64,
    high: i64,
    low: i64,
    scope: crate::LockScope,
}

/// What follows a taken lock.
enum Taken {
    /// The transaction the lock lasts holds the reads under the lock, where
    /// a missing table's error would abort it: this makes the history
    /// table sure first (and is rolled back with a failed run).
    Ensure(String),
    /// A session lock must be held by the session the next statement runs
    /// on (not so behind a pooler in transaction mode): check it.
    CheckHere,
}

impl Attempt {
    /// The try of `table`'s lock, in the schema `current` says when the
    /// table names none.
    fn new(table: &TableName, current: Option<&Row>, scope: crate::LockScope) -> Attempt {
        let key = lock_key(&schema_of(table, current), table.name());
        let (high, low) = key_halves(key);
        Attempt {
            key,
            high,
            low,
            scope,
        }
    }

    /// What opens each try: the transaction a transaction lock lasts.
    fn opening(&self) -> Option<&'static str> {
        (self.scope == crate::LockScope::Transaction).then_some("BEGIN")
    }

    /// The statement that tries, and its parameters.
    fn try_lock(&self) -> (&'static str, [(&(dyn ToSql + Sync), Type); 3]) {
        let sql = match self.scope {
            crate::LockScope::Session => TRY_LOCK,
            crate::LockScope::Transaction => TRY_TRANSACTION_LOCK,
        };
        (
            sql,
            [
                (&self.key, Type::INT8),
                (&self.high, Type::INT8),
                (&self.low, Type::INT8),
            ],
        )
    }

    /// The key's halves, as [`HELD_HERE`] and [`HOLDER`] take them.
    fn halves(&self) -> [(&(dyn ToSql + Sync), Type); 2] {
        [(&self.high, Type::INT8), (&self.low, Type::INT8)]
    }

    /// The key, as [`UNLOCK`] takes it.
    fn key(&self) -> [(&(dyn ToSql + Sync), Type); 1] {
        [(&self.key, Type::INT8)]
    }

    /// What follows when the lock was taken.
    fn taken(&self, table: &TableName) -> Taken {
        match self.scope {
            crate::LockScope::Transaction => Taken::Ensure(create_sql(table)),
            crate::LockScope::Session => Taken::CheckHere,
        }
    }

    /// What follows a refusal: a waiter holds no transaction while it waits.
    fn refused(&self) -> Option<&'static str> {
        (self.scope == crate::LockScope::Transaction).then_some("ROLLBACK")
    }

    /// The lock, once taken.
    fn lock(&self) -> PostgresLock {
        PostgresLock {
            key: self.key,
            scope: self.scope,
            search_path: None,
        }
    }
}

/// The pauses of a bounded wait: doubling from 2 ms to 50 ms, spread a
/// little so that many waiters do not retry in step, never past the bound.
struct Backoff {
    started: Instant,
    timeout: Duration,
    pause: Duration,
}

impl Backoff {
    fn new(timeout: Duration) -> Backoff {
        Backoff {
            started: Instant::now(),
            timeout,
            pause: Duration::from_millis(2),
        }
    }

    /// How long to sleep before the next try; `Err(waited)` once the bound is reached.
    fn next(&mut self) -> Result<Duration, Duration> {
        let waited = self.started.elapsed();
        if waited >= self.timeout {
            return Err(waited);
        }
        let jitter = Duration::from_micros(u64::from(waited.subsec_micros() % 997));
        let sleep = (self.pause + jitter).min(self.timeout.saturating_sub(waited));
        self.pause = (self.pause * 2).min(Duration::from_millis(50));
        Ok(sleep)
    }
}

/// `undefined_table`: the history table does not exist yet.
const UNDEFINED_TABLE: &str = "42P01";

fn history_sql(table: &TableName) -> String {
    format!(
        "SELECT version, name, checksum,
                to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),
                execution_time_us
         FROM {} ORDER BY version",
        table.quoted()
    )
}

fn applied_sql(table: &TableName) -> String {
    format!(
        "SELECT version, checksum FROM {} ORDER BY version",
        table.quoted()
    )
}

fn create_sql(table: &TableName) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {} (
            version BIGINT PRIMARY KEY,
            name TEXT NOT NULL,
            checksum TEXT NOT NULL,
            applied_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            execution_time_us BIGINT NOT NULL
        )",
        table.quoted()
    )
}

fn insert_sql(table: &TableName) -> String {
    format!(
        "INSERT INTO {} (version, name, checksum, execution_time_us) VALUES ($1, $2, $3, $4)",
        table.quoted()
    )
}

fn failure_sql(table: &TableName) -> String {
    format!(
        "INSERT INTO {} (version, name, checksum, execution_time_us) VALUES ($1, $2, $3, 0)",
        table.quoted()
    )
}

fn delete_sql(table: &TableName) -> String {
    format!("DELETE FROM {} WHERE version = $1", table.quoted())
}

fn renumber_sql(table: &TableName) -> String {
    format!(
        "UPDATE {} SET version = $2 WHERE version = $1",
        table.quoted()
    )
}

fn rows_sql(table: &TableName, columns: &[&str]) -> String {
    let list: Vec<String> = columns.iter().map(|c| format!("\"{c}\"")).collect();
    format!("SELECT {} FROM {}", list.join(", "), table.quoted())
}

/// The parameters of a history row: version, name, checksum, microseconds.
fn row_values(migration: &Migration, execution_time: Duration) -> (i64, String, String, i64) {
    (
        migration.version().0.cast_signed(),
        migration.name().to_owned(),
        migration.checksum().to_string(),
        i64::try_from(execution_time.as_micros()).unwrap_or(i64::MAX),
    )
}

/// The answer to a query of the history table: `None` when the table does
/// not exist, the rows, or what is wrong with the table.
fn history_rows(
    table: &TableName,
    answer: Result<Vec<Row>, tokio_postgres::Error>,
) -> Result<Option<Vec<Row>>> {
    match answer {
        Ok(rows) => Ok(Some(rows)),
        Err(error)
            if error.code().map(tokio_postgres::error::SqlState::code) == Some(UNDEFINED_TABLE) =>
        {
            Ok(None)
        }
        Err(error) if error.as_db_error().is_some() => Err(invalid(table, &error)),
        Err(error) => Err(Error::database("reading the history table", driver(error))),
    }
}

fn invalid(table: &TableName, error: &tokio_postgres::Error) -> Error {
    Error::InvalidHistory {
        table: table.to_string(),
        message: match error.as_db_error() {
            Some(db) => db.message().to_owned(),
            None => error.to_string(),
        },
    }
}

fn history(table: &TableName, rows: Option<Vec<Row>>) -> Result<Vec<AppliedMigration>> {
    rows.unwrap_or_default()
        .iter()
        .map(|row| {
            let read = |e| invalid(table, &e);
            Ok(AppliedMigration::new(
                version(table, row.try_get(0).map_err(read)?)?,
                row.try_get(1).map_err(read)?,
                row.try_get(2).map_err(read)?,
                row.try_get(3).map_err(read)?,
                Duration::from_micros(
                    row.try_get::<_, i64>(4)
                        .map_err(read)?
                        .max(0)
                        .cast_unsigned(),
                ),
            ))
        })
        .collect()
}

fn applied(table: &TableName, rows: Option<Vec<Row>>) -> Result<Vec<AppliedVersion>> {
    rows.unwrap_or_default()
        .iter()
        .map(|row| {
            let read = |e| invalid(table, &e);
            let checksum: String = row.try_get(1).map_err(read)?;
            Ok(AppliedVersion::recorded(
                version(table, row.try_get(0).map_err(read)?)?,
                &checksum,
            ))
        })
        .collect()
}

/// A history row's version, refused when no migration can have it.
fn version(table: &TableName, stored: i64) -> Result<Version> {
    u64::try_from(stored)
        .map(Version)
        .map_err(|_| Error::BadHistoryRow {
            table: table.to_string(),
            version: stored,
        })
}

fn columns(rows: &[Row]) -> Option<Vec<String>> {
    let columns: Vec<String> = rows
        .iter()
        .map(|row| row.get::<_, String>(0).to_ascii_lowercase())
        .collect();
    (!columns.is_empty()).then_some(columns)
}

fn values(rows: &[Row], width: usize) -> Vec<Vec<Value>> {
    rows.iter()
        .map(|row| (0..width).map(|i| value(row, i)).collect())
        .collect()
}

/// A column of another tool's table as a [`Value`].
fn value(row: &Row, i: usize) -> Value {
    let ty = row.columns()[i].type_();
    let got = if *ty == Type::INT8 {
        row.get::<_, Option<i64>>(i).map(Value::Integer)
    } else if *ty == Type::INT4 {
        row.get::<_, Option<i32>>(i)
            .map(|v| Value::Integer(v.into()))
    } else if *ty == Type::INT2 {
        row.get::<_, Option<i16>>(i)
            .map(|v| Value::Integer(v.into()))
    } else if *ty == Type::BOOL {
        row.get::<_, Option<bool>>(i)
            .map(|v| Value::Integer(v.into()))
    } else if *ty == Type::BYTEA {
        row.get::<_, Option<Vec<u8>>>(i).map(Value::Blob)
    } else {
        row.try_get::<_, Option<String>>(i)
            .ok()
            .flatten()
            .map(Value::Text)
    };
    got.unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::{key_halves, lock_key};

    #[test]
    fn lock_keys_differ_by_schema_and_are_stable() {
        assert_ne!(
            lock_key("app", "schema_migrations"),
            lock_key("billing", "schema_migrations")
        );
        assert_eq!(lock_key("app", "t"), lock_key("app", "t"));
        assert_eq!(key_halves(-1), (0xffff_ffff, 0xffff_ffff));
        assert_eq!(key_halves(0x1_0000_0002), (1, 2));
    }
}
