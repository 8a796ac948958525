//! The SQLite backend: [`Backend`](crate::Backend) for rusqlite's
//! `Connection` (feature `sqlite`) and sqlx's `SqliteConnection` (feature
//! `sqlx-sqlite`), written once over the two clients (`client.rs`).

use std::fs;
use std::time::{Duration, Instant};

mod client;
mod files;
mod history;
#[cfg(feature = "sqlite")]
mod rusqlite_client;
#[cfg(feature = "sqlx-sqlite")]
mod sqlx_client;

use client::{Cell, Client, Failure, code};

use crate::{DriverError, Error, Function, LockRequest, ProgressRecord, Result, Statement};
use crate::{TableName, Value, Version};

/// What the lock holds on SQLite: an exclusive lock on the companion file
/// `<database>-migrate-lock` (none for an in-memory database), and the
/// connection's settings to restore.
///
/// SQLite's own write lock lasts one transaction only; this lock lasts the
/// whole run, so it also covers `NoTransaction` migrations and the gaps
/// between `per_migration(true)` commits. It is an OS file lock, so the
/// kernel releases it when the process dies.
#[derive(Debug)]
pub struct SqliteLock {
    file: Option<fs::File>,
    busy_timeout_ms: i64,
    foreign_keys_were_on: bool,
}

/// The lock file lasts the session: this backend takes no transaction
/// lock, so a run never asks for one, and needs no lease, since the
/// operating system releases a dead process's lock.
async fn lock<C: Client>(conn: &mut C, request: LockRequest<'_>) -> Result<SqliteLock> {
    let timeout = request.timeout;
    if conn.is_readonly().await {
        return Err(Error::ReadOnly);
    }
    let busy_timeout_ms = busy_timeout_ms(conn).await?;
    let file = match conn.path().await {
        Some(database) => {
            let file = files::lock_file(conn, &database, timeout).await?;
            files::folder_writable(&database)?;
            Some(file)
        }
        None => None,
    };
    set_busy_timeout(conn, timeout).await?;
    Ok(SqliteLock {
        file,
        busy_timeout_ms,
        foreign_keys_were_on: false,
    })
}

async fn outside_transaction<C: Client>(conn: &mut C) -> Result<()> {
    let open = conn
        .in_transaction()
        .await
        .map_err(|e| Error::database("reading whether a transaction is open", e))?;
    if open {
        Err(Error::SessionInTransaction)
    } else {
        Ok(())
    }
}

async fn unlock<C: Client>(conn: &mut C, lock: SqliteLock) {
    if lock.foreign_keys_were_on
        && let Err(error) = conn.batch("PRAGMA foreign_keys = ON").await
    {
        tracing::error!("could not turn foreign keys back on: {}", error.error);
    }
    restore_busy_timeout(conn, lock.busy_timeout_ms).await;
    // Dropping the file releases the lock.
    drop(lock.file);
}

async fn begin<C: Client>(conn: &mut C) -> Result<()> {
    let started = Instant::now();
    conn.begin("BEGIN IMMEDIATE").await.map_err(|failure| {
        file_error(&failure, started)
            .unwrap_or_else(|| Error::database("starting the migration transaction", failure))
    })
}

async fn commit<C: Client>(conn: &mut C) -> Result<()> {
    let started = Instant::now();
    match conn.commit().await {
        Ok(()) => Ok(()),
        Err(failure) => {
            rollback(conn).await;
            Err(file_error(&failure, started)
                .unwrap_or_else(|| Error::database("committing the migrations", failure)))
        }
    }
}

/// Runs one statement of a migration, interrupted by SQLite after `limit`.
async fn execute<C: Client>(
    conn: &mut C,
    sql: &str,
    limit: Option<Duration>,
) -> Result<(), DriverError> {
    if let Some(at) = sql.find('\0') {
        // SQLite stops reading at a NUL: the rest would silently not run.
        return Err(format!(
            "the statement has a NUL byte at offset {at}, where SQLite would stop reading it; nothing of it ran"
        )
        .into());
    }
    if let Some(limit) = limit {
        conn.set_deadline(Some(Instant::now() + limit)).await;
    }
    let result = conn.batch(sql).await;
    if limit.is_some() {
        conn.set_deadline(None).await;
    }
    result.map_err(DriverError::from)
}

/// Calls a Rust migration's function: inside the run's transaction, or
/// outside any, and still there after it.
async fn call<C: Client>(
    conn: &mut C,
    function: Function,
    limit: Option<Duration>,
) -> Result<(), DriverError> {
    if !conn.can_call(&function) {
        return conn.call(function).await;
    }
    let inside = conn.in_transaction().await?;
    if inside {
        // Created in the run's transaction: after the function, it tells a
        // commit from a rollback.
        conn.batch(&format!("CREATE TEMP TABLE {MARKER} (x INTEGER)"))
            .await?;
    }
    if let Some(limit) = limit {
        conn.set_deadline(Some(Instant::now() + limit)).await;
    }
    let result = conn.call(function).await;
    if limit.is_some() {
        conn.set_deadline(None).await;
    }
    still_inside(conn, inside).await?;
    result
}

/// The table that marks the run's transaction while a Rust migration's
/// function runs in it (in the connection's own `temp` schema).
const MARKER: &str = "temp.embedded_migrations_open_run";

/// After a Rust migration's function: whether the connection is still as
/// the run left it, `inside` its transaction or outside any; the marker
/// is dropped. A function that ended the run's transaction is the
/// [`TransactionEnded`](crate::TransactionEnded) error (committed when
/// the marker outlived it); one that left a transaction open outside the
/// run's has it rolled back.
async fn still_inside<C: Client>(conn: &mut C, inside: bool) -> Result<(), DriverError> {
    match (inside, conn.in_transaction().await?) {
        (true, true) => {
            conn.batch(&format!("DROP TABLE {MARKER}")).await?;
            Ok(())
        }
        (true, false) => {
            let committed = conn
                .rows(
                    "SELECT count(*) > 0 FROM temp.sqlite_master WHERE name = 'embedded_migrations_open_run'",
                    &[],
                )
                .await
                .ok()
                .and_then(|rows| rows.first().and_then(|row| row.first()).and_then(integer))
                .map(|n| n > 0);
            let _ = conn.batch(&format!("DROP TABLE IF EXISTS {MARKER}")).await;
            Err(Box::new(crate::TransactionEnded::new(committed)))
        }
        (false, true) => {
            rollback(conn).await;
            Err(
                "the function, given the connection outside a transaction, left a transaction \
                 open; the run rolled it back, with what the function did in it"
                    .into(),
            )
        }
        (false, false) => Ok(()),
    }
}

async fn foreign_keys_off<C: Client>(conn: &mut C, lock: &mut SqliteLock) -> Result<()> {
    let on = first_integer(conn, "PRAGMA foreign_keys")
        .await
        .map_err(|e| Error::database("reading PRAGMA foreign_keys", e))?
        .unwrap_or(0)
        != 0;
    if on {
        conn.batch("PRAGMA foreign_keys = OFF")
            .await
            .map_err(|e| Error::database("setting PRAGMA foreign_keys", e))?;
        lock.foreign_keys_were_on = true;
    }
    Ok(())
}

async fn foreign_keys_on<C: Client>(conn: &mut C, lock: &SqliteLock) -> Result<()> {
    if lock.foreign_keys_were_on {
        conn.batch("PRAGMA foreign_keys = ON")
            .await
            .map_err(|e| Error::database("setting PRAGMA foreign_keys", e))?;
    }
    Ok(())
}

async fn foreign_key_violations<C: Client>(conn: &mut C) -> Result<Vec<String>> {
    let rows = conn
        .rows("PRAGMA foreign_key_check", &[])
        .await
        .map_err(|e| Error::database("running PRAGMA foreign_key_check", e))?;
    Ok(rows
        .iter()
        .map(|row| {
            let text = |at: usize| row.get(at).and_then(text).unwrap_or_default();
            let (table, parent) = (text(0), text(2));
            match row.get(1).and_then(integer) {
                Some(rowid) => {
                    format!("`{table}` row {rowid} references a missing row of `{parent}`")
                }
                None => format!("a row of `{table}` references a missing row of `{parent}`"),
            }
        })
        .collect())
}

/// A statement that only changes rows commits in one transaction with
/// its record: one commit (one sync of the file) instead of two, and
/// after a kill either both are there or neither. Any other runs alone,
/// as SQLite runs it outside a transaction (`VACUUM`, a `PRAGMA`,
/// `ATTACH` differ or fail inside one), and the record follows.
async fn execute_recorded<C: Client>(
    conn: &mut C,
    statement: &Statement,
    limit: Option<Duration>,
    record: ProgressRecord<'_>,
) -> Result<Result<(), DriverError>> {
    let together = statement.changes_rows_only();
    if together && let Err(failure) = conn.begin("BEGIN IMMEDIATE").await {
        return Ok(Err(failure.into()));
    }
    if let Err(error) = execute(conn, statement.sql(), limit).await {
        if together {
            rollback(conn).await;
        }
        return Ok(Err(error));
    }
    let recorded =
        history::record_progress(conn, record.table, record.version, record.progress).await;
    if !together {
        return recorded.map(Ok);
    }
    if let Err(error) = recorded {
        rollback(conn).await;
        return Err(error);
    }
    commit(conn).await.map(Ok)
}

/// Rolls the open transaction back, if any, and finishes what a write
/// error left in the journal.
async fn rollback<C: Client>(conn: &mut C) {
    if conn.in_transaction().await.unwrap_or(true)
        && let Err(failure) = conn.rollback().await
    {
        tracing::error!(
            "ROLLBACK failed, the connection rolls back when it closes: {}",
            failure.error
        );
    }
    // After a write error (a full disk), SQLite may have rolled the
    // transaction back in memory but left the old pages in a hot
    // journal, for the next open to put back. A read puts them back now,
    // so the database is whole when the error is returned.
    if let Err(failure) = conn.rows("SELECT count(*) FROM sqlite_master", &[]).await {
        tracing::error!(
            "the rollback could not finish; SQLite finishes it on the next open: {}",
            failure.error
        );
    }
}

/// A history row's version, refused when no migration can have it.
fn version(table: &TableName, stored: i64) -> Result<Version> {
    // Version 0 is a real version: diesel's initial setup, sets numbered from 0.
    if stored >= 0 {
        Ok(Version(stored.cast_unsigned()))
    } else {
        Err(Error::BadHistoryRow {
            table: table.to_string(),
            version: stored,
        })
    }
}

/// A value as an integer, as SQLite would compare it.
fn integer(value: &Value) -> Option<i64> {
    Cell::from(value).integer()
}

/// A value as text; `None` for `NULL`.
fn text(value: &Value) -> Option<String> {
    Cell::from(value).text()
}

/// The first column of the first row `sql` answers, as an integer.
async fn first_integer<C: Client>(
    conn: &mut C,
    sql: &str,
) -> std::result::Result<Option<i64>, Failure> {
    let rows = conn.rows(sql, &[]).await?;
    Ok(rows.first().and_then(|row| row.first()).and_then(integer))
}

/// Runs `$read` (an expression of `$conn`, a `&mut` client, and
/// `$started`, when this try began), tried again while another connection
/// keeps the database locked (SQLite's busy and shared-cache locked
/// answers), for at most `$wait`. A connection whose busy handler is a
/// timeout (what `PRAGMA busy_timeout` reports, rusqlite's 5 s by
/// default) waits at most `$wait` in each try and gets its own timeout
/// back; any other handler (an application's `busy_handler`, which SQLite
/// cannot report) is left as it is.
macro_rules! waiting {
    ($conn:ident, $wait:expr, |$started:ident| $read:expr) => {{
        let wait: std::time::Duration = $wait;
        // A shared-cache database whose schema another connection holds
        // cannot even report its busy timeout: the reads below wait for it.
        let previous = super::busy_timeout_ms(&mut *$conn).await.unwrap_or(0);
        if previous > 0 {
            super::set_busy_timeout(&mut *$conn, wait).await?;
        }
        let $started = std::time::Instant::now();
        let mut pause = std::time::Duration::from_millis(1);
        let result = loop {
            match $read {
                Err(crate::Error::Locked { .. }) if $started.elapsed() < wait => {
                    let left = wait.saturating_sub($started.elapsed());
                    super::client::Client::pause(&mut *$conn, pause.min(left)).await;
                    pause = (pause * 2).min(std::time::Duration::from_millis(50));
                }
                answer => break answer,
            }
        };
        if previous > 0 {
            super::restore_busy_timeout(&mut *$conn, previous).await;
        }
        result
    }};
}
use waiting;

/// The connection's busy timeout, in milliseconds.
async fn busy_timeout_ms<C: Client>(conn: &mut C) -> Result<i64> {
    let started = Instant::now();
    first_integer(conn, "PRAGMA busy_timeout")
        .await
        .map(Option::unwrap_or_default)
        .map_err(|failure| {
            file_error(&failure, started)
                .unwrap_or_else(|| Error::database("reading the busy timeout", failure))
        })
}

/// Sets the busy timeout; SQLite takes at most `i32::MAX` milliseconds
/// (about 24.8 days), and a longer wait is that long.
async fn set_busy_timeout<C: Client>(conn: &mut C, wait: Duration) -> Result<()> {
    let ms = wait.as_millis().min(i32::MAX.unsigned_abs().into());
    conn.set_busy_timeout(u32::try_from(ms).unwrap_or(i32::MAX.unsigned_abs()))
        .await
        .map_err(|e| Error::database("setting the busy timeout", e))
}

async fn restore_busy_timeout<C: Client>(conn: &mut C, ms: i64) {
    let wait = Duration::from_millis(ms.max(0).cast_unsigned());
    if let Err(error) = set_busy_timeout(conn, wait).await {
        tracing::error!("could not restore the busy timeout: {error}");
    }
}

/// What a failed read of the history means: a lock that stayed taken, a
/// file that is no database, a damaged one, one that cannot be opened, or
/// a table that is not a history table.
fn classify(table: &TableName, failure: &Failure, started: Instant) -> Error {
    file_error(failure, started).unwrap_or_else(|| invalid(table, failure))
}

/// The errors of the database file rather than of a statement: a lock that
/// stayed taken (with the time waited since `started`), a file that is no
/// database, a damaged one, one that cannot be opened or take files beside it.
fn file_error(failure: &Failure, started: Instant) -> Option<Error> {
    let message = || failure.error.to_string();
    Some(match failure.code? {
        code::BUSY | code::LOCKED => Error::Locked {
            waited: started.elapsed(),
            holder: None,
        },
        code::NOTADB => Error::NotADatabase { message: message() },
        code::CORRUPT => Error::CorruptDatabase { message: message() },
        code::CANTOPEN => Error::CannotOpen { message: message() },
        _ => return None,
    })
}

fn invalid(table: &TableName, failure: &Failure) -> Error {
    Error::InvalidHistory {
        table: table.to_string(),
        message: failure.error.to_string(),
    }
}

fn is_no_such_table(failure: &Failure) -> bool {
    failure.error.to_string().starts_with("no such table")
}

/// Implements every capability of [`Backend`](crate::Backend) for a SQLite
/// client type, by the functions written once over [`Client`].
macro_rules! sqlite_backend {
    ($conn:ty) => {
        impl crate::Locking for $conn {
            type Lock = SqliteLock;

            async fn lock(&mut self, request: LockRequest<'_>) -> Result<SqliteLock> {
                lock(self, request).await
            }

            async fn outside_transaction(&mut self) -> Result<()> {
                outside_transaction(self).await
            }

            async fn unlock(&mut self, lock: SqliteLock) {
                unlock(self, lock).await;
            }

            /// The transaction the client counts is rolled back before
            /// anything the connection runs next; the lock file went with
            /// the lock.
            fn abandon(&mut self, _table: &TableName, _run: &str, _lock: Option<&SqliteLock>) {
                Client::abandon(self);
            }
        }

        impl crate::Session for $conn {
            async fn begin(&mut self, _lock: &mut SqliteLock) -> Result<()> {
                begin(self).await
            }

            async fn commit(&mut self, _lock: &mut SqliteLock) -> Result<()> {
                commit(self).await
            }

            async fn rollback(&mut self, _lock: &mut SqliteLock) {
                rollback(self).await;
            }

            async fn execute(
                &mut self,
                _lock: &mut SqliteLock,
                sql: &str,
                limit: Option<Duration>,
            ) -> Result<(), DriverError> {
                execute(self, sql, limit).await
            }

            fn can_call(&self, function: &Function) -> bool {
                Client::can_call(self, function)
            }

            async fn call(
                &mut self,
                _lock: &mut SqliteLock,
                function: Function,
                limit: Option<Duration>,
            ) -> Result<(), DriverError> {
                call(self, function, limit).await
            }
        }

        impl crate::Backups for $conn {
            async fn write_backup(
                &mut self,
                settings: &crate::BackupSettings,
                from: Option<Version>,
            ) -> Result<Option<std::path::PathBuf>> {
                files::write_backup(self, settings, from).await
            }
        }

        impl crate::ForeignKeys<SqliteLock> for $conn {
            async fn foreign_keys_off(&mut self, lock: &mut SqliteLock) -> Result<()> {
                foreign_keys_off(self, lock).await
            }

            async fn foreign_keys_on(&mut self, lock: &mut SqliteLock) -> Result<()> {
                foreign_keys_on(self, lock).await
            }

            async fn foreign_key_violations(&mut self) -> Result<Vec<String>> {
                foreign_key_violations(self).await
            }
        }

        impl crate::HistoryStore for $conn {
            async fn read_history(
                &mut self,
                table: &TableName,
                wait: Duration,
            ) -> Result<Vec<crate::AppliedMigration>> {
                history::read_history(self, table, wait).await
            }

            async fn read_applied(
                &mut self,
                table: &TableName,
                wait: Duration,
            ) -> Result<Vec<crate::AppliedVersion>> {
                history::read_applied(self, table, wait).await
            }

            async fn create_history(&mut self, table: &TableName) -> Result<()> {
                history::create_history(self, table).await
            }

            async fn insert_history(
                &mut self,
                table: &TableName,
                migration: &crate::Migration,
                execution_time: Duration,
            ) -> Result<()> {
                history::insert_history(self, table, migration, execution_time).await
            }

            async fn delete_history(&mut self, table: &TableName, version: Version) -> Result<()> {
                history::delete_history(self, table, version).await
            }

            async fn record_failure(
                &mut self,
                table: &TableName,
                migration: &crate::Migration,
                failure: &str,
            ) -> Result<()> {
                history::record_failure(self, table, migration, failure).await
            }

            async fn record_progress(
                &mut self,
                table: &TableName,
                version: Version,
                progress: &str,
            ) -> Result<()> {
                history::record_progress(self, table, version, progress).await
            }

            async fn renumber_history(
                &mut self,
                table: &TableName,
                from: Version,
                to: Version,
            ) -> Result<()> {
                history::renumber_history(self, table, from, to).await
            }
        }

        impl crate::Catalog for $conn {
            async fn table_columns(
                &mut self,
                table: &TableName,
                wait: Duration,
            ) -> Result<Option<Vec<String>>> {
                history::table_columns(self, table, wait).await
            }

            async fn read_rows(
                &mut self,
                table: &TableName,
                columns: &[&str],
                wait: Duration,
            ) -> Result<Vec<Vec<Value>>> {
                history::read_rows(self, table, columns, wait).await
            }
        }

        impl crate::Backend for $conn {
            fn backups(&mut self) -> Option<&mut impl crate::Backups> {
                Some(self)
            }

            fn foreign_keys(&mut self) -> Option<&mut impl crate::ForeignKeys<SqliteLock>> {
                Some(self)
            }

            fn kind(&self) -> &'static str {
                "sqlite"
            }

            async fn execute_recorded(
                &mut self,
                _lock: &mut SqliteLock,
                statement: &Statement,
                limit: Option<Duration>,
                record: ProgressRecord<'_>,
            ) -> Result<Result<(), DriverError>> {
                execute_recorded(self, statement, limit, record).await
            }
        }
    };
}

#[cfg(feature = "sqlite")]
sqlite_backend!(rusqlite::Connection);
#[cfg(feature = "sqlx-sqlite")]
sqlite_backend!(sqlx::sqlite::SqliteConnection);
