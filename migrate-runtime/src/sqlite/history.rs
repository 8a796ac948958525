//! The history table and other tools' tables on SQLite: what
//! [`HistoryStore`](crate::HistoryStore) and [`Catalog`](crate::Catalog)
//! do, written once over [`Client`].

use std::time::{Duration, Instant};

use super::client::{Cell, Client, Failure};
use super::{classify, file_error, is_no_such_table, text, version, waiting};
use crate::mark::{NO_LONGER_MARKED, RECORDING_PROGRESS};
use crate::{
    AppliedMigration, AppliedVersion, Error, Migration, Result, TableName, Value, Version,
};

pub(super) async fn read_history<C: Client>(
    conn: &mut C,
    table: &TableName,
    wait: Duration,
) -> Result<Vec<AppliedMigration>> {
    let columns = "version, name, checksum, applied_at, execution_time_us";
    waiting!(conn, wait, |started| {
        collect_history(conn, table, columns, started, |row, failure| {
            let at = |i: usize| row.get(i).copied().unwrap_or(Cell::Null);
            Ok(AppliedMigration::new(
                version_of(table, at(0))?,
                at(1).text().unwrap_or_default(),
                at(2).text().unwrap_or_default(),
                at(3).text().unwrap_or_default(),
                Duration::from_micros(at(4).integer().unwrap_or(0).max(0).cast_unsigned()),
                failure.and_then(|i| at(i).text()),
            ))
        })
        .await
    })
}

pub(super) async fn read_applied<C: Client>(
    conn: &mut C,
    table: &TableName,
    wait: Duration,
) -> Result<Vec<AppliedVersion>> {
    waiting!(conn, wait, |started| {
        collect_history(conn, table, "version, checksum", started, |row, failure| {
            let at = |i: usize| row.get(i).copied().unwrap_or(Cell::Null);
            let checksum = match at(1) {
                Cell::Text(checksum) => checksum,
                _ => "",
            };
            Ok(AppliedVersion::recorded(
                version_of(table, at(0))?,
                checksum,
                failure.and_then(|i| at(i).text()),
            ))
        })
        .await
    })
}

/// Each row of the history table (none when there is no table), made by
/// `read` from its cells and the index of `failure`; the first row `read`
/// refuses is the error.
async fn collect_history<C: Client, T: Send>(
    conn: &mut C,
    table: &TableName,
    columns: &str,
    started: Instant,
    mut read: impl FnMut(&[Cell<'_>], Option<usize>) -> Result<T> + Send,
) -> Result<Vec<T>> {
    let mut rows = Vec::new();
    let mut refused = None;
    select_history(
        conn,
        table,
        columns,
        started,
        &mut |row, failure| match read(row, failure) {
            Ok(made) => rows.push(made),
            Err(error) => {
                refused.get_or_insert(error);
            }
        },
    )
    .await?;
    refused.map_or(Ok(rows), Err)
}

/// A history row's version, refused when it is no whole number.
fn version_of(table: &TableName, cell: Cell<'_>) -> Result<Version> {
    match cell.integer() {
        Some(stored) => version(table, stored),
        None => Err(Error::InvalidHistory {
            table: table.to_string(),
            message: format!("a version is not an integer: {cell:?}"),
        }),
    }
}

pub(super) async fn create_history<C: Client>(conn: &mut C, table: &TableName) -> Result<()> {
    let create = format!(
        "CREATE TABLE IF NOT EXISTS {} (
            version INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            checksum TEXT NOT NULL,
            applied_at TEXT NOT NULL,
            execution_time_us INTEGER NOT NULL,
            failure TEXT
        )",
        table.quoted()
    );
    conn.batch(&create)
        .await
        .map_err(|error| Error::database("creating the history table", error))?;
    let has_failure = conn
        .rows(&table_info(table), &[])
        .await
        .map_err(|error| Error::database("reading the history table's columns", error))?
        .iter()
        .filter_map(|row| row.get(1).and_then(text))
        .any(|column| column.eq_ignore_ascii_case("failure"));
    if has_failure {
        return Ok(());
    }
    // A table from before the `failure` column kept failures in the
    // checksum column: they move to their own column.
    let upgrade = format!(
        "ALTER TABLE {table} ADD COLUMN failure TEXT;
         UPDATE {table} SET failure = checksum, checksum = '' WHERE checksum LIKE 'failed %'",
        table = table.quoted()
    );
    conn.batch(&upgrade)
        .await
        .map_err(|error| Error::database("adding the failure column to the history table", error))
}

pub(super) async fn insert_history<C: Client>(
    conn: &mut C,
    table: &TableName,
    migration: &Migration,
    execution_time: Duration,
) -> Result<()> {
    // The row of a migration outside a transaction, marked as started
    // (or failed) until now, becomes an applied one; an applied row is
    // never written over.
    let sql = format!(
        "INSERT INTO {} (version, name, checksum, applied_at, execution_time_us)
         VALUES (?1, ?2, ?3, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), ?4)
         ON CONFLICT (version) DO UPDATE SET name = excluded.name,
             checksum = excluded.checksum, applied_at = excluded.applied_at,
             execution_time_us = excluded.execution_time_us, failure = NULL
         WHERE failure IS NOT NULL",
        table.quoted()
    );
    let micros = i64::try_from(execution_time.as_micros()).unwrap_or(i64::MAX);
    let action = "recording the migration in the history table";
    let written = conn
        .change(
            &sql,
            &[
                Value::Integer(migration.version().0.cast_signed()),
                Value::Text(migration.name().to_owned()),
                Value::Text(migration.checksum().to_string()),
                Value::Integer(micros),
            ],
        )
        .await
        .map_err(|e| Error::database(action, e))?;
    if written == 0 {
        return Err(Error::database(
            action,
            "the version is already recorded as applied",
        ));
    }
    Ok(())
}

pub(super) async fn record_progress<C: Client>(
    conn: &mut C,
    table: &TableName,
    version: Version,
    progress: &str,
) -> Result<()> {
    let sql = format!(
        "UPDATE {} SET failure = ?2 WHERE version = ?1 AND failure IS NOT NULL",
        table.quoted()
    );
    let updated = conn
        .change(
            &sql,
            &[
                Value::Integer(version.0.cast_signed()),
                Value::Text(progress.to_owned()),
            ],
        )
        .await
        .map_err(|e| Error::database(RECORDING_PROGRESS, e))?;
    if updated == 0 {
        return Err(Error::database(RECORDING_PROGRESS, NO_LONGER_MARKED));
    }
    Ok(())
}

pub(super) async fn record_failure<C: Client>(
    conn: &mut C,
    table: &TableName,
    migration: &Migration,
    failure: &str,
) -> Result<()> {
    let sql = format!(
        "INSERT INTO {} (version, name, checksum, applied_at, execution_time_us, failure)
         VALUES (?1, ?2, ?3, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), 0, ?4)
         ON CONFLICT (version) DO UPDATE SET failure = excluded.failure",
        table.quoted()
    );
    conn.change(
        &sql,
        &[
            Value::Integer(migration.version().0.cast_signed()),
            Value::Text(migration.name().to_owned()),
            Value::Text(migration.checksum().to_string()),
            Value::Text(failure.to_owned()),
        ],
    )
    .await
    .map(drop)
    .map_err(|e| Error::database("recording the failed migration in the history table", e))
}

pub(super) async fn delete_history<C: Client>(
    conn: &mut C,
    table: &TableName,
    version: Version,
) -> Result<()> {
    let sql = format!("DELETE FROM {} WHERE version = ?1", table.quoted());
    conn.change(&sql, &[Value::Integer(version.0.cast_signed())])
        .await
        .map(drop)
        .map_err(|e| Error::database("removing the migration from the history table", e))
}

pub(super) async fn renumber_history<C: Client>(
    conn: &mut C,
    table: &TableName,
    from: Version,
    to: Version,
) -> Result<()> {
    let sql = format!(
        "UPDATE {} SET version = ?2 WHERE version = ?1",
        table.quoted()
    );
    conn.change(
        &sql,
        &[
            Value::Integer(from.0.cast_signed()),
            Value::Integer(to.0.cast_signed()),
        ],
    )
    .await
    .map(drop)
    .map_err(|e| Error::database("renumbering a row of the history table", e))
}

pub(super) async fn table_columns<C: Client>(
    conn: &mut C,
    table: &TableName,
    wait: Duration,
) -> Result<Option<Vec<String>>> {
    waiting!(conn, wait, |started| async {
        let rows = conn
            .rows(&table_info(table), &[])
            .await
            .map_err(|e| other_tools(e, started))?;
        let columns: Vec<String> = rows
            .iter()
            .filter_map(|row| row.get(1).and_then(text))
            .map(|c| c.to_ascii_lowercase())
            .collect();
        Ok((!columns.is_empty()).then_some(columns))
    }
    .await)
}

pub(super) async fn read_rows<C: Client>(
    conn: &mut C,
    table: &TableName,
    columns: &[&str],
    wait: Duration,
) -> Result<Vec<Vec<Value>>> {
    let list: Vec<String> = columns.iter().map(|c| format!("\"{c}\"")).collect();
    let sql = format!("SELECT {} FROM {}", list.join(", "), table.quoted());
    waiting!(conn, wait, |started| async {
        conn.rows(&sql, &[])
            .await
            .map_err(|e| other_tools(e, started))
    }
    .await)
}

/// A failed read of another tool's history table.
fn other_tools(failure: Failure, started: Instant) -> Error {
    file_error(&failure, started)
        .unwrap_or_else(|| Error::database("reading another tool's history table", failure))
}

/// `PRAGMA table_info` of `table`: one row per column, its name second.
fn table_info(table: &TableName) -> String {
    match table.schema() {
        Some(schema) => format!("PRAGMA \"{schema}\".table_info(\"{}\")", table.name()),
        None => format!("PRAGMA table_info(\"{}\")", table.name()),
    }
}

/// `SELECT <columns>, failure` of the history table in version order,
/// each row handed to `visit` with the index of `failure`; for a table
/// from before that column, `<columns>` only and no index; none when the
/// table does not exist.
async fn select_history<C: Client>(
    conn: &mut C,
    table: &TableName,
    columns: &str,
    started: Instant,
    visit: &mut (dyn FnMut(&[Cell<'_>], Option<usize>) + Send),
) -> Result<()> {
    let with_failure = format!(
        "SELECT {columns}, failure FROM {} ORDER BY version",
        table.quoted()
    );
    let at = Some(columns.split(',').count());
    let failure = match conn
        .visit_rows(&with_failure, &mut |row| visit(row, at))
        .await
    {
        Ok(()) => return Ok(()),
        Err(failure) => failure,
    };
    if is_no_such_table(&failure) {
        return Ok(());
    }
    if !failure
        .error
        .to_string()
        .contains("no such column: failure")
    {
        return Err(classify(table, &failure, started));
    }
    // A table from before the `failure` column, until the next run adds it.
    let sql = format!("SELECT {columns} FROM {} ORDER BY version", table.quoted());
    match conn.visit_rows(&sql, &mut |row| visit(row, None)).await {
        Ok(()) => Ok(()),
        Err(failure) if is_no_such_table(&failure) => Ok(()),
        Err(failure) => Err(classify(table, &failure, started)),
    }
}
