//! The history table and other tools' tables on SQLite: what
//! [`HistoryStore`](crate::HistoryStore) and [`Catalog`](crate::Catalog)
//! do, written once over [`Client`].

use std::time::{Duration, Instant};

use super::client::{Client, Failure};
use super::{classify, file_error, integer, is_no_such_table, text, version, waiting};
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
    waiting!(conn, wait, |started| async {
        let Some((rows, failure)) = select_history(conn, table, columns, started).await? else {
            return Ok(Vec::new());
        };
        let mut history = Vec::with_capacity(rows.len());
        for row in &rows {
            let at = |i: usize| row.get(i).unwrap_or(&Value::Null);
            history.push(AppliedMigration::new(
                version(table, integer(at(0)).unwrap_or(-1))?,
                text(at(1)).unwrap_or_default(),
                text(at(2)).unwrap_or_default(),
                text(at(3)).unwrap_or_default(),
                Duration::from_micros(integer(at(4)).unwrap_or(0).max(0).cast_unsigned()),
                failure.and_then(|i| text(at(i))),
            ));
        }
        Ok(history)
    }
    .await)
}

pub(super) async fn read_applied<C: Client>(
    conn: &mut C,
    table: &TableName,
    wait: Duration,
) -> Result<Vec<AppliedVersion>> {
    waiting!(conn, wait, |started| async {
        let Some((rows, failure)) =
            select_history(conn, table, "version, checksum", started).await?
        else {
            return Ok(Vec::new());
        };
        let mut applied = Vec::with_capacity(rows.len());
        for row in &rows {
            let at = |i: usize| row.get(i).unwrap_or(&Value::Null);
            let checksum = match at(1) {
                Value::Text(checksum) => checksum.as_str(),
                _ => "",
            };
            applied.push(AppliedVersion::recorded(
                version(table, integer(at(0)).unwrap_or(-1))?,
                checksum,
                failure.and_then(|i| text(at(i))),
            ));
        }
        Ok(applied)
    }
    .await)
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

/// `SELECT <columns>, failure` of the history table in version order, with
/// the index of `failure`; for a table from before that column,
/// `<columns>` only and no index; `None` when the table does not exist.
async fn select_history<C: Client>(
    conn: &mut C,
    table: &TableName,
    columns: &str,
    started: Instant,
) -> Result<Option<(Vec<Vec<Value>>, Option<usize>)>> {
    let with_failure = format!(
        "SELECT {columns}, failure FROM {} ORDER BY version",
        table.quoted()
    );
    let failure = match conn.rows(&with_failure, &[]).await {
        Ok(rows) => {
            let at = columns.split(',').count();
            return Ok(Some((rows, Some(at))));
        }
        Err(failure) => failure,
    };
    if is_no_such_table(&failure) {
        return Ok(None);
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
    match conn.rows(&sql, &[]).await {
        Ok(rows) => Ok(Some((rows, None))),
        Err(failure) if is_no_such_table(&failure) => Ok(None),
        Err(failure) => Err(classify(table, &failure, started)),
    }
}
