//! The history table on PostgreSQL: its SQL, and the server's answers
//! read as history rows (an error, never a panic, for what does not read).

use std::time::Duration;

use super::client::{Failure, Row};

use super::driver;
use crate::{
    AppliedMigration, AppliedVersion, Error, Migration, Result, TableName, Value, Version,
};

/// `undefined_table`: the history table does not exist yet.
pub(super) const UNDEFINED_TABLE: &str = "42P01";

/// The whole history, with the `failure` column or, for a table from
/// before it (`legacy`), without.
pub(super) fn history_sql(table: &TableName, legacy: bool) -> String {
    format!(
        "SELECT version, name, checksum,
                to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),
                execution_time_us{}
         FROM {} ORDER BY version",
        if legacy { "" } else { ", failure" },
        table.quoted()
    )
}

/// What a run reads: versions, checksums and (unless `legacy`) failures.
pub(super) fn applied_sql(table: &TableName, legacy: bool) -> String {
    format!(
        "SELECT version, checksum{} FROM {} ORDER BY version",
        if legacy { "" } else { ", failure" },
        table.quoted()
    )
}

/// The server's code for a column that does not exist: the `failure`
/// column of a table from before it.
pub(super) const UNDEFINED_COLUMN: &str = "42703";

/// Whether `answer` failed for want of the `failure` column.
pub(super) fn lacks_failure_column(answer: &Result<Vec<Row>, Failure>) -> bool {
    matches!(answer, Err(error)
        if error.code() == Some(UNDEFINED_COLUMN))
}

/// Creates the history table, or adds the `failure` column to one of ours
/// from before it (moving the failures kept in the checksum column there);
/// another tool's table of the same name, about to be set aside, is left
/// as it is. The
/// column is looked for first: `ALTER TABLE` would lock the table against
/// readers until the run commits even when it has nothing to do.
pub(super) fn create_sql(table: &TableName) -> String {
    let schema = match table.schema() {
        Some(schema) => format!("'{schema}'"),
        None => "current_schema()".to_owned(),
    };
    format!(
        "CREATE TABLE IF NOT EXISTS {table} (
            version BIGINT PRIMARY KEY,
            name TEXT NOT NULL,
            checksum TEXT NOT NULL,
            applied_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            execution_time_us BIGINT NOT NULL,
            failure TEXT
        );
        DO $upgrade$ BEGIN
            IF EXISTS (SELECT 1 FROM information_schema.columns
                       WHERE table_schema = {schema} AND table_name = '{name}'
                         AND column_name = 'checksum')
               AND NOT EXISTS (SELECT 1 FROM information_schema.columns
                               WHERE table_schema = {schema} AND table_name = '{name}'
                                 AND column_name = 'failure') THEN
                ALTER TABLE {table} ADD COLUMN failure TEXT;
                UPDATE {table} SET failure = checksum, checksum = ''
                    WHERE checksum LIKE 'failed %';
            END IF;
        END $upgrade$",
        table = table.quoted(),
        name = table.name(),
    )
}

pub(super) fn insert_sql(table: &TableName) -> String {
    format!(
        "INSERT INTO {} AS h (version, name, checksum, execution_time_us) VALUES ($1, $2, $3, $4)
         ON CONFLICT (version) DO UPDATE SET name = EXCLUDED.name, checksum = EXCLUDED.checksum,
             applied_at = now(), execution_time_us = EXCLUDED.execution_time_us, failure = NULL
         WHERE h.failure IS NOT NULL
         RETURNING version",
        table.quoted()
    )
}

pub(super) fn failure_sql(table: &TableName) -> String {
    format!(
        "INSERT INTO {} (version, name, checksum, execution_time_us, failure)
         VALUES ($1, $2, $3, 0, $4)
         ON CONFLICT (version) DO UPDATE SET failure = EXCLUDED.failure",
        table.quoted()
    )
}

pub(super) fn progress_sql(table: &TableName) -> String {
    format!(
        "UPDATE {} SET failure = $2 WHERE version = $1 AND failure IS NOT NULL RETURNING version",
        table.quoted()
    )
}

/// [`progress_sql`] with its values written in, for a message of several
/// statements (which takes no parameters); its one row says how many rows
/// it changed (1, or 0 when the row is no longer marked).
pub(super) fn progress_literal_sql(table: &TableName, version: Version, progress: &str) -> String {
    format!(
        "WITH recorded AS (UPDATE {} SET failure = {} WHERE version = {} AND failure IS NOT NULL \
         RETURNING version) SELECT count(*) FROM recorded",
        table.quoted(),
        super::literal(progress),
        version.0.cast_signed()
    )
}

pub(super) fn delete_sql(table: &TableName) -> String {
    format!("DELETE FROM {} WHERE version = $1", table.quoted())
}

pub(super) fn renumber_sql(table: &TableName) -> String {
    format!(
        "UPDATE {} SET version = $2 WHERE version = $1",
        table.quoted()
    )
}

pub(super) fn rows_sql(table: &TableName, columns: &[&str]) -> String {
    let list: Vec<String> = columns.iter().map(|c| format!("\"{c}\"")).collect();
    format!("SELECT {} FROM {}", list.join(", "), table.quoted())
}

/// The parameters of a history row: version, name, checksum, microseconds.
pub(super) fn row_values(
    migration: &Migration,
    execution_time: Duration,
) -> (i64, String, String, i64) {
    (
        migration.version().0.cast_signed(),
        migration.name().to_owned(),
        migration.checksum().to_string(),
        i64::try_from(execution_time.as_micros()).unwrap_or(i64::MAX),
    )
}

/// The answer to a query of the history table: `None` when the table does
/// not exist, the rows, or what is wrong with the table.
pub(super) fn history_rows(
    table: &TableName,
    answer: Result<Vec<Row>, Failure>,
) -> Result<Option<Vec<Row>>> {
    match answer {
        Ok(rows) => Ok(Some(rows)),
        Err(error) if error.code() == Some(UNDEFINED_TABLE) => Ok(None),
        // A table of another shape (a missing column, another type) is
        // not ours; anything else the server refuses (a role without the
        // right to read it, SQLSTATE 42501) is said as the server said it.
        Err(error)
            if error
                .code()
                .is_some_and(|code| code.starts_with("42") && code != INSUFFICIENT_PRIVILEGE) =>
        {
            Err(invalid(table, &error))
        }
        Err(error) => Err(Error::database("reading the history table", driver(error))),
    }
}

/// SQLSTATE `insufficient_privilege`.
const INSUFFICIENT_PRIVILEGE: &str = "42501";

pub(super) fn invalid(table: &TableName, error: &Failure) -> Error {
    Error::InvalidHistory {
        table: table.to_string(),
        message: error.message().to_owned(),
    }
}

pub(super) fn history(table: &TableName, rows: Option<Vec<Row>>) -> Result<Vec<AppliedMigration>> {
    rows.unwrap_or_default()
        .iter()
        .map(|row| {
            let read = |e| invalid(table, &e);
            Ok(AppliedMigration::new(
                version(table, row.try_get(0).map_err(read)?)?,
                row.try_get(1).map_err(read)?,
                row.try_get(2).map_err(read)?,
                row.try_get(3).map_err(read)?,
                Duration::from_micros(row.try_get::<i64>(4).map_err(read)?.max(0).cast_unsigned()),
                failure(row, 5).map_err(read)?,
            ))
        })
        .collect()
}

pub(super) fn applied(table: &TableName, rows: Option<Vec<Row>>) -> Result<Vec<AppliedVersion>> {
    rows.unwrap_or_default()
        .iter()
        .map(|row| {
            let read = |e| invalid(table, &e);
            let checksum: String = row.try_get(1).map_err(read)?;
            Ok(AppliedVersion::recorded(
                version(table, row.try_get(0).map_err(read)?)?,
                &checksum,
                failure(row, 2).map_err(read)?,
            ))
        })
        .collect()
}

/// The `failure` column at `at`, when the row has it (a table from
/// before it has not).
pub(super) fn failure(row: &Row, at: usize) -> Result<Option<String>, Failure> {
    if row.len() <= at {
        return Ok(None);
    }
    row.try_get(at)
}

/// A history row's version, refused when no migration can have it.
pub(super) fn version(table: &TableName, stored: i64) -> Result<Version> {
    u64::try_from(stored)
        .map(Version)
        .map_err(|_| Error::BadHistoryRow {
            table: table.to_string(),
            version: stored,
        })
}

pub(super) fn columns(rows: &[Row]) -> Option<Vec<String>> {
    let columns: Vec<String> = rows
        .iter()
        .filter_map(|row| row.try_get::<String>(0).ok())
        .map(|column| column.to_ascii_lowercase())
        .collect();
    (!columns.is_empty()).then_some(columns)
}

pub(super) fn values(rows: &[Row], width: usize) -> Vec<Vec<Value>> {
    rows.iter()
        .map(|row| (0..width).map(|i| value(row, i)).collect())
        .collect()
}

/// A column of another tool's table as a [`Value`]; `Null` for what
/// does not read as its type says.
pub(super) fn value(row: &Row, i: usize) -> Value {
    row.value(i)
}
