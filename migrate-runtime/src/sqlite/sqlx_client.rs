//! [`Client`] for sqlx's `SqliteConnection` (feature `sqlx-sqlite`): the
//! connection a sqlx service already holds, alone or taken from its
//! `SqlitePool` (`&mut *pool.acquire().await?`). No rusqlite is built.
//!
//! sqlx runs a connection's statements on a thread of its own, in order.
//! The run's transactions are the ones sqlx counts (begun with
//! `BEGIN IMMEDIATE`): a run dropped part-way, even while its `BEGIN` was
//! on its way, has that thread roll back before anything the connection
//! runs next. The time limit is SQLite's progress handler, set on the
//! connection's handle; the backup is `VACUUM INTO` through a connection
//! of its own that reads only.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteError, SqliteRow, SqliteTransactionManager,
};
use sqlx::{ConnectOptions as _, Connection as _, Row as _, SqlSafeStr as _, TypeInfo as _};
use sqlx::{ValueRef as _, query::Query};
use sqlx_core::transaction::TransactionManager as _;

use super::client::{Cell, Client, Failure};
use crate::{DriverError, Function, Value, code};

impl Client for SqliteConnection {
    async fn batch(&mut self, sql: &str) -> Result<(), Failure> {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
            .execute(&mut *self)
            .await
            .map(drop)
            .map_err(failure)
    }

    async fn rows(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Vec<Value>>, Failure> {
        let rows = bound(sqlx::query(sqlx::AssertSqlSafe(sql.to_owned())), params)
            .fetch_all(&mut *self)
            .await
            .map_err(failure)?;
        Ok(rows.iter().map(row).collect())
    }

    async fn visit_rows(
        &mut self,
        sql: &str,
        visit: &mut (dyn FnMut(&[Cell<'_>]) + Send),
    ) -> Result<(), Failure> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
            .fetch_all(&mut *self)
            .await
            .map_err(failure)?;
        let mut cells = Vec::new();
        for row in &rows {
            cells.clear();
            cells.extend((0..row.len()).map(|i| cell(row, i)));
            visit(&cells);
        }
        Ok(())
    }

    async fn change(&mut self, sql: &str, params: &[Value]) -> Result<u64, Failure> {
        bound(sqlx::query(sqlx::AssertSqlSafe(sql.to_owned())), params)
            .execute(&mut *self)
            .await
            .map(|done| done.rows_affected())
            .map_err(failure)
    }

    /// sqlx does not say whether SQLite is outside a transaction (only
    /// the transactions sqlx counts): a `BEGIN` does, refused inside one,
    /// and rolled back at once outside; sqlx counts it meanwhile, so that
    /// a run dropped between the two leaves none open.
    async fn in_transaction(&mut self) -> Result<bool, Failure> {
        if SqliteTransactionManager::get_transaction_depth(self) > 0 {
            return Ok(true);
        }
        match Client::begin(self, "BEGIN DEFERRED").await {
            Ok(()) => Client::rollback(self).await.map(|()| false),
            Err(failure) if failure.error.to_string().contains("within a transaction") => Ok(true),
            Err(failure) => Err(failure),
        }
    }

    async fn path(&mut self) -> Option<PathBuf> {
        let rows = self.rows("PRAGMA database_list", &[]).await.ok()?;
        rows.iter()
            .find(|row| matches!(row.get(1), Some(Value::Text(name)) if name == "main"))
            .and_then(|row| match row.get(2) {
                Some(Value::Text(file)) if !file.is_empty() => Some(PathBuf::from(file)),
                _ => None,
            })
    }

    /// sqlx does not say; a connection opened to read only fails at the
    /// run's first write, with SQLite's `SQLITE_READONLY`.
    async fn is_readonly(&mut self) -> bool {
        false
    }

    async fn set_busy_timeout(&mut self, ms: u32) -> Result<(), Failure> {
        self.batch(&format!("PRAGMA busy_timeout = {ms}")).await
    }

    async fn set_deadline(&mut self, deadline: Option<Instant>) {
        let Ok(mut handle) = self.lock_handle().await else {
            return;
        };
        match deadline {
            // sqlx's handler goes on while it answers `true`.
            Some(deadline) => handle.set_progress_handler(1000, move || Instant::now() < deadline),
            None => handle.remove_progress_handler(),
        }
    }

    async fn begin(&mut self, sql: &str) -> Result<(), Failure> {
        SqliteTransactionManager::begin(
            self,
            Some(sqlx::AssertSqlSafe(sql.to_owned()).into_sql_str()),
        )
        .await
        .map_err(failure)
    }

    async fn commit(&mut self) -> Result<(), Failure> {
        if SqliteTransactionManager::get_transaction_depth(self) > 0 {
            SqliteTransactionManager::commit(self)
                .await
                .map_err(failure)
        } else {
            self.batch("COMMIT").await
        }
    }

    async fn rollback(&mut self) -> Result<(), Failure> {
        if SqliteTransactionManager::get_transaction_depth(self) > 0 {
            SqliteTransactionManager::rollback(self)
                .await
                .map_err(failure)
        } else {
            self.batch("ROLLBACK").await
        }
    }

    fn abandon(&mut self) {
        SqliteTransactionManager::start_rollback(self);
    }

    async fn copy_file(&mut self, source: &Path, copy: &Path) -> Result<(), DriverError> {
        let mut reader = SqliteConnectOptions::new()
            .filename(source)
            .read_only(true)
            .busy_timeout(Duration::from_secs(30))
            .connect()
            .await?;
        let copied = sqlx::query("VACUUM INTO ?1")
            .bind(copy.to_string_lossy().into_owned())
            .execute(&mut reader)
            .await;
        let _ = reader.close().await;
        copied.map(drop).map_err(DriverError::from)
    }

    async fn pause(&mut self, pause: Duration) {
        crate::backoff::sleep_async(pause).await;
    }

    fn can_call(&self, function: &Function) -> bool {
        matches!(function, Function::SqlxSqlite(_))
    }

    async fn call(&mut self, function: Function) -> Result<(), DriverError> {
        match function {
            Function::SqlxSqlite(run) => code::call_async(run(self)).await,
            #[allow(unreachable_patterns)]
            other => Err(format!(
                "a function written for {} cannot run on sqlx's `SqliteConnection`",
                other.driver()
            )
            .into()),
        }
    }
}

/// `query` with `params` bound in order (`?1`, `?2` …).
fn bound<'q>(
    mut query: Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments>,
    params: &[Value],
) -> Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments> {
    for value in params {
        query = match value {
            Value::Null => query.bind(None::<i64>),
            Value::Integer(i) => query.bind(*i),
            Value::Real(r) => query.bind(*r),
            Value::Text(t) => query.bind(t.clone()),
            Value::Blob(b) => query.bind(b.clone()),
        };
    }
    query
}

/// A row as the runtime's values, each read by the type SQLite stored.
fn row(row: &SqliteRow) -> Vec<Value> {
    (0..row.len())
        .map(|i| match cell(row, i) {
            Cell::Null => Value::Null,
            Cell::Integer(n) => Value::Integer(n),
            Cell::Real(r) => Value::Real(r),
            Cell::Text(text) => Value::Text(text.to_owned()),
            Cell::Blob(bytes) => Value::Blob(bytes.to_vec()),
        })
        .collect()
}

/// Value `i` of `row`, borrowed, read by the type SQLite stored.
fn cell(row: &SqliteRow, i: usize) -> Cell<'_> {
    let Ok(raw) = row.try_get_raw(i) else {
        return Cell::Null;
    };
    if raw.is_null() {
        return Cell::Null;
    }
    let kind = raw.type_info();
    let is = |name: &str| kind.name().eq_ignore_ascii_case(name);
    if is("INTEGER") || is("BOOLEAN") {
        row.try_get::<i64, _>(i).map_or(Cell::Null, Cell::Integer)
    } else if is("REAL") {
        row.try_get::<f64, _>(i).map_or(Cell::Null, Cell::Real)
    } else if is("BLOB") {
        row.try_get::<&[u8], _>(i).map_or(Cell::Null, Cell::Blob)
    } else {
        row.try_get::<&str, _>(i).map_or(Cell::Null, Cell::Text)
    }
}

/// sqlx's error as the backend reads it: SQLite's primary result code when
/// SQLite answered, and the error itself.
#[allow(clippy::needless_pass_by_value)] // `map_err` hands the error over
fn failure(error: sqlx::Error) -> Failure {
    let code = match &error {
        sqlx::Error::Database(db) => db
            .try_downcast_ref::<SqliteError>()
            .and_then(sqlx::error::DatabaseError::code)
            .and_then(|code| code.parse::<i32>().ok())
            .map(|code| code & 0xff),
        _ => None,
    };
    let error: DriverError = match error {
        // SQLite's own words, as the other client gives them.
        sqlx::Error::Database(db) => db.message().to_owned().into(),
        other => Box::new(other),
    };
    Failure { code, error }
}
