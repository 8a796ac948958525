//! The PostgreSQL backend: [`Backend`] for [`postgres::Client`] (a
//! connection of its own or one taken from a pool: the lock belongs to one
//! session, never to a pool).
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

use postgres::Client;
use postgres::types::Type;
use sha2::{Digest, Sha256};

use crate::{
    AppliedMigration, AppliedVersion, Backend, Checksum, DriverError, Error, LockHolder, Migration,
    Result, TableName, Value, Version,
};

/// What [`Backend::lock`] holds on PostgreSQL: the advisory lock's key.
#[derive(Debug)]
pub struct PostgresLock {
    key: i64,
}

/// The server's error, written whole: `Display` of `postgres::Error` says
/// only "db error" and keeps the message in its source.
#[derive(Debug)]
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
fn driver(error: postgres::Error) -> DriverError {
    match error.as_db_error() {
        Some(db) => Box::new(ServerError {
            code: db.code().code().to_owned(),
            message: db.message().to_owned(),
            detail: db.detail().map(str::to_owned),
            hint: db.hint().map(str::to_owned),
            position: match db.position() {
                Some(postgres::error::ErrorPosition::Original(at)) => Some(*at),
                _ => None,
            },
        }),
        None => Box::new(error),
    }
}

fn code(error: &postgres::Error) -> Option<&str> {
    error.code().map(postgres::error::SqlState::code)
}

/// `undefined_table`: the history table does not exist yet.
const UNDEFINED_TABLE: &str = "42P01";

impl Backend for Client {
    type Lock = PostgresLock;

    fn lock(&mut self, table: &TableName, timeout: Duration) -> Result<PostgresLock> {
        let schema: String = match table.schema() {
            Some(schema) => schema.to_owned(),
            None => self
                .query_one("SELECT current_schema()::text", &[])
                .map(|row| row.get::<_, Option<String>>(0).unwrap_or_default())
                .map_err(|e| Error::database("reading the current schema", driver(e)))?,
        };
        let key = lock_key(&schema, table.name());
        // While it holds the lock, the server checks every second that this
        // client is still there, also during a long statement: a migrator
        // killed in the middle of one releases the lock within a second, not
        // when the statement ends (PostgreSQL 14 and later; older servers
        // release it when the statement ends).
        let _ = self.batch_execute("SET client_connection_check_interval = '1s'");
        let started = Instant::now();
        let mut pause = Duration::from_millis(2);
        loop {
            let taken: bool = self
                .query_one("SELECT pg_try_advisory_lock($1)", &[&key])
                .map(|row| row.get(0))
                .map_err(|e| Error::database("taking the migration lock", driver(e)))?;
            if taken {
                return Ok(PostgresLock { key });
            }
            let waited = started.elapsed();
            if waited >= timeout {
                return Err(Error::Locked {
                    waited,
                    holder: holder(self, key),
                });
            }
            // Spread the retries of many waiters; never sleep past the bound.
            let jitter = Duration::from_micros(u64::from(started.elapsed().subsec_micros() % 997));
            std::thread::sleep((pause + jitter).min(timeout.saturating_sub(waited)));
            pause = (pause * 2).min(Duration::from_millis(50));
        }
    }

    fn unlock(&mut self, lock: PostgresLock) {
        // A failed rollback may leave the session in an aborted transaction.
        let _ = self.batch_execute("ROLLBACK");
        if let Err(error) = self.query_one("SELECT pg_advisory_unlock($1)", &[&lock.key]) {
            log::error!(
                "could not release the migration lock; the server releases it when this session ends: {}",
                driver(error)
            );
        }
    }

    fn begin(&mut self) -> Result<()> {
        self.batch_execute("BEGIN")
            .map_err(|e| Error::database("starting the migration transaction", driver(e)))
    }

    fn commit(&mut self) -> Result<()> {
        self.batch_execute("COMMIT").map_err(|e| {
            Backend::rollback(self);
            Error::database("committing the migrations", driver(e))
        })
    }

    fn rollback(&mut self) {
        if let Err(error) = self.batch_execute("ROLLBACK") {
            log::error!(
                "ROLLBACK failed, the server rolls back when the session ends: {}",
                driver(error)
            );
        }
    }

    fn execute(&mut self, sql: &str) -> Result<(), DriverError> {
        self.batch_execute(sql).map_err(driver)
    }

    fn read_history(
        &mut self,
        table: &TableName,
        _wait: Duration,
    ) -> Result<Vec<AppliedMigration>> {
        let sql = format!(
            "SELECT version, name, checksum,
                    to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),
                    execution_time_us
             FROM {} ORDER BY version",
            table.quoted()
        );
        let Some(rows) = select_history(self, table, &sql)? else {
            return Ok(Vec::new());
        };
        rows.iter()
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

    fn read_applied(&mut self, table: &TableName, _wait: Duration) -> Result<Vec<AppliedVersion>> {
        let sql = format!(
            "SELECT version, checksum FROM {} ORDER BY version",
            table.quoted()
        );
        let Some(rows) = select_history(self, table, &sql)? else {
            return Ok(Vec::new());
        };
        rows.iter()
            .map(|row| {
                let read = |e| invalid(table, &e);
                let checksum: String = row.try_get(1).map_err(read)?;
                Ok(AppliedVersion::new(
                    version(table, row.try_get(0).map_err(read)?)?,
                    Checksum::from_hex(&checksum),
                ))
            })
            .collect()
    }

    fn create_history(&mut self, table: &TableName) -> Result<()> {
        let create = format!(
            "CREATE TABLE IF NOT EXISTS {} (
                version BIGINT PRIMARY KEY,
                name TEXT NOT NULL,
                checksum TEXT NOT NULL,
                applied_at TIMESTAMPTZ NOT NULL DEFAULT now(),
                execution_time_us BIGINT NOT NULL
            )",
            table.quoted()
        );
        self.batch_execute(&create)
            .map_err(|e| Error::database("creating the history table", driver(e)))
    }

    fn insert_history(
        &mut self,
        table: &TableName,
        migration: &Migration,
        execution_time: Duration,
    ) -> Result<()> {
        let sql = format!(
            "INSERT INTO {} (version, name, checksum, execution_time_us) VALUES ($1, $2, $3, $4)",
            table.quoted()
        );
        let micros = i64::try_from(execution_time.as_micros()).unwrap_or(i64::MAX);
        let version = migration.version().0.cast_signed();
        let checksum = migration.checksum().to_string();
        self.execute(&sql, &[&version, &migration.name(), &checksum, &micros])
            .map(drop)
            .map_err(|e| Error::database("recording the migration in the history table", driver(e)))
    }

    fn delete_history(&mut self, table: &TableName, version: Version) -> Result<()> {
        let sql = format!("DELETE FROM {} WHERE version = $1", table.quoted());
        self.execute(&sql, &[&version.0.cast_signed()])
            .map(drop)
            .map_err(|e| {
                Error::database("removing the migration from the history table", driver(e))
            })
    }

    fn renumber_history(&mut self, table: &TableName, from: Version, to: Version) -> Result<()> {
        let sql = format!(
            "UPDATE {} SET version = $2 WHERE version = $1",
            table.quoted()
        );
        self.execute(&sql, &[&from.0.cast_signed(), &to.0.cast_signed()])
            .map(drop)
            .map_err(|e| Error::database("renumbering a row of the history table", driver(e)))
    }

    fn table_columns(&mut self, table: &TableName, _wait: Duration) -> Result<Option<Vec<String>>> {
        let rows = self
            .query(
                "SELECT column_name::text FROM information_schema.columns
                 WHERE table_schema = coalesce($1, current_schema()) AND table_name = $2
                 ORDER BY ordinal_position",
                &[&table.schema(), &table.name()],
            )
            .map_err(|e| Error::database("reading another tool's history table", driver(e)))?;
        let columns: Vec<String> = rows
            .iter()
            .map(|row| row.get::<_, String>(0).to_ascii_lowercase())
            .collect();
        Ok((!columns.is_empty()).then_some(columns))
    }

    fn read_rows(
        &mut self,
        table: &TableName,
        columns: &[&str],
        _wait: Duration,
    ) -> Result<Vec<Vec<Value>>> {
        let list: Vec<String> = columns.iter().map(|c| format!("\"{c}\"")).collect();
        let sql = format!("SELECT {} FROM {}", list.join(", "), table.quoted());
        let rows = self
            .query(&sql, &[])
            .map_err(|e| Error::database("reading another tool's history table", driver(e)))?;
        Ok(rows
            .iter()
            .map(|row| (0..columns.len()).map(|i| value(row, i)).collect())
            .collect())
    }
}

/// Runs a query of the history table; `None` when the table does not exist.
fn select_history(
    client: &mut Client,
    table: &TableName,
    sql: &str,
) -> Result<Option<Vec<postgres::Row>>> {
    match client.query(sql, &[]) {
        Ok(rows) => Ok(Some(rows)),
        Err(error) if code(&error) == Some(UNDEFINED_TABLE) => Ok(None),
        Err(error) if error.as_db_error().is_some() => Err(invalid(table, &error)),
        Err(error) => Err(Error::database("reading the history table", driver(error))),
    }
}

fn invalid(table: &TableName, error: &postgres::Error) -> Error {
    Error::InvalidHistory {
        table: table.to_string(),
        message: match error.as_db_error() {
            Some(db) => db.message().to_owned(),
            None => error.to_string(),
        },
    }
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

/// A column of another tool's table as a [`Value`].
fn value(row: &postgres::Row, i: usize) -> Value {
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

/// The advisory lock key of `schema.table`: the first 8 bytes of a SHA-256,
/// the same in every process and release.
fn lock_key(schema: &str, table: &str) -> i64 {
    let digest = Sha256::digest(format!("embedded-migrations lock {schema}.{table}"));
    let mut bytes = [0; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}

/// Who holds advisory lock `key`, as `pg_locks` and `pg_stat_activity` say.
fn holder(client: &mut Client, key: i64) -> Option<LockHolder> {
    let bits = key.cast_unsigned();
    let (high, low) = (
        i64::try_from(bits >> 32).ok()?,
        i64::try_from(bits & 0xffff_ffff).ok()?,
    );
    let row = client
        .query_opt(
            "SELECT a.pid, coalesce(a.application_name, ''), host(a.client_addr),
                    to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')
             FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
             WHERE l.locktype = 'advisory' AND l.granted
               AND l.classid::bigint = $1 AND l.objid::bigint = $2 AND l.objsubid = 1
             LIMIT 1",
            &[&high, &low],
        )
        .ok()??;
    Some(LockHolder::new(
        row.get(0),
        row.get(1),
        row.get(2),
        row.get::<_, Option<String>>(3).unwrap_or_default(),
    ))
}

#[cfg(test)]
mod tests {
    use super::lock_key;

    #[test]
    fn lock_keys_differ_by_schema_and_are_stable() {
        assert_ne!(
            lock_key("app", "schema_migrations"),
            lock_key("billing", "schema_migrations")
        );
        assert_eq!(lock_key("app", "t"), lock_key("app", "t"));
    }
}
