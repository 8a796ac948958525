//! The history table and other tools' tables on SQLite: [`HistoryStore`]
//! and [`Catalog`] for [`rusqlite::Connection`].

use std::time::{Duration, Instant};

use rusqlite::{Connection, params};

use super::{classify, file_error, is_no_such_table, version, waiting};
use crate::mark::{NO_LONGER_MARKED, RECORDING_PROGRESS};
use crate::{
    AppliedMigration, AppliedVersion, Catalog, Error, HistoryStore, Migration, Result, TableName,
    Value, Version,
};

impl HistoryStore for Connection {
    async fn read_history(
        &mut self,
        table: &TableName,
        wait: Duration,
    ) -> Result<Vec<AppliedMigration>> {
        waiting(self, wait, |conn, started| {
            let columns = "version, name, checksum, applied_at, execution_time_us";
            let Some((mut statement, failure)) = prepare_history(conn, table, columns, started)?
            else {
                return Ok(Vec::new());
            };
            let mut history = Vec::new();
            let fail = |e: rusqlite::Error| classify(table, &e, started);
            let mut rows = statement.query([]).map_err(fail)?;
            while let Some(row) = rows.next().map_err(fail)? {
                history.push(AppliedMigration::new(
                    version(table, row.get(0).map_err(fail)?)?,
                    row.get(1).map_err(fail)?,
                    row.get(2).map_err(fail)?,
                    row.get(3).map_err(fail)?,
                    Duration::from_micros(
                        row.get::<_, i64>(4).map_err(fail)?.max(0).cast_unsigned(),
                    ),
                    failure
                        .map(|at| row.get(at))
                        .transpose()
                        .map_err(fail)?
                        .flatten(),
                ));
            }
            Ok(history)
        })
    }

    async fn read_applied(
        &mut self,
        table: &TableName,
        wait: Duration,
    ) -> Result<Vec<AppliedVersion>> {
        waiting(self, wait, |conn, started| {
            let Some((mut statement, failure)) =
                prepare_history(conn, table, "version, checksum", started)?
            else {
                return Ok(Vec::new());
            };
            let mut applied = Vec::new();
            let fail = |e: rusqlite::Error| classify(table, &e, started);
            let mut rows = statement.query([]).map_err(fail)?;
            while let Some(row) = rows.next().map_err(fail)? {
                let checksum = row.get_ref(1).map_err(fail)?;
                applied.push(AppliedVersion::recorded(
                    version(table, row.get(0).map_err(fail)?)?,
                    checksum.as_str().unwrap_or_default(),
                    failure
                        .map(|at| row.get(at))
                        .transpose()
                        .map_err(fail)?
                        .flatten(),
                ));
            }
            Ok(applied)
        })
    }

    async fn create_history(&mut self, table: &TableName) -> Result<()> {
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
        self.execute_batch(&create)
            .map_err(|error| Error::database("creating the history table", error))?;
        let columns = match table.schema() {
            Some(schema) => format!("PRAGMA \"{schema}\".table_info(\"{}\")", table.name()),
            None => format!("PRAGMA table_info(\"{}\")", table.name()),
        };
        let has_failure = self
            .prepare(&columns)
            .and_then(|mut s| {
                s.query_map([], |row| row.get::<_, String>(1))?
                    .collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(|error| Error::database("reading the history table's columns", error))?
            .iter()
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
        self.execute_batch(&upgrade).map_err(|error| {
            Error::database("adding the failure column to the history table", error)
        })
    }

    async fn insert_history(
        &mut self,
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
        let version = migration.version().0.cast_signed();
        let checksum = migration.checksum().to_string();
        let action = "recording the migration in the history table";
        let written = self
            .prepare_cached(&sql)
            .and_then(|mut s| s.execute(params![version, migration.name(), checksum, micros]))
            .map_err(|e| Error::database(action, e))?;
        if written == 0 {
            return Err(Error::database(
                action,
                "the version is already recorded as applied",
            ));
        }
        Ok(())
    }

    async fn record_progress(
        &mut self,
        table: &TableName,
        version: Version,
        progress: &str,
    ) -> Result<()> {
        let sql = format!(
            "UPDATE {} SET failure = ?2 WHERE version = ?1 AND failure IS NOT NULL",
            table.quoted()
        );
        let updated = self
            .prepare_cached(&sql)
            .and_then(|mut statement| statement.execute(params![version.0.cast_signed(), progress]))
            .map_err(|e| Error::database(RECORDING_PROGRESS, e))?;
        if updated == 0 {
            return Err(Error::database(RECORDING_PROGRESS, NO_LONGER_MARKED));
        }
        Ok(())
    }

    async fn record_failure(
        &mut self,
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
        Connection::execute(
            self,
            &sql,
            params![
                migration.version().0.cast_signed(),
                migration.name(),
                migration.checksum().to_string(),
                failure
            ],
        )
        .map(drop)
        .map_err(|e| Error::database("recording the failed migration in the history table", e))
    }

    async fn delete_history(&mut self, table: &TableName, version: Version) -> Result<()> {
        let sql = format!("DELETE FROM {} WHERE version = ?1", table.quoted());
        self.prepare_cached(&sql)
            .and_then(|mut s| s.execute([version.0.cast_signed()]))
            .map(drop)
            .map_err(|e| Error::database("removing the migration from the history table", e))
    }

    async fn renumber_history(
        &mut self,
        table: &TableName,
        from: Version,
        to: Version,
    ) -> Result<()> {
        let sql = format!(
            "UPDATE {} SET version = ?2 WHERE version = ?1",
            table.quoted()
        );
        self.prepare_cached(&sql)
            .and_then(|mut s| s.execute([from.0.cast_signed(), to.0.cast_signed()]))
            .map(drop)
            .map_err(|e| Error::database("renumbering a row of the history table", e))
    }
}

impl Catalog for Connection {
    async fn table_columns(
        &mut self,
        table: &TableName,
        wait: Duration,
    ) -> Result<Option<Vec<String>>> {
        waiting(self, wait, |conn, started| {
            let sql = match table.schema() {
                Some(schema) => format!("PRAGMA \"{schema}\".table_info(\"{}\")", table.name()),
                None => format!("PRAGMA table_info(\"{}\")", table.name()),
            };
            let fail = |e: rusqlite::Error| {
                file_error(&e, started)
                    .unwrap_or_else(|| Error::database("reading another tool's history table", e))
            };
            let mut statement = conn.prepare(&sql).map_err(fail)?;
            let columns = statement
                .query_map([], |row| row.get::<_, String>(1))
                .and_then(|rows| rows.collect::<rusqlite::Result<Vec<String>>>())
                .map_err(fail)?;
            Ok((!columns.is_empty()).then(|| {
                columns
                    .into_iter()
                    .map(|c| c.to_ascii_lowercase())
                    .collect()
            }))
        })
    }

    async fn read_rows(
        &mut self,
        table: &TableName,
        columns: &[&str],
        wait: Duration,
    ) -> Result<Vec<Vec<Value>>> {
        waiting(self, wait, |conn, started| {
            let list: Vec<String> = columns.iter().map(|c| format!("\"{c}\"")).collect();
            let sql = format!("SELECT {} FROM {}", list.join(", "), table.quoted());
            let fail = |e: rusqlite::Error| {
                file_error(&e, started)
                    .unwrap_or_else(|| Error::database("reading another tool's history table", e))
            };
            let mut statement = conn.prepare(&sql).map_err(fail)?;
            let rows = statement
                .query_map([], |row| {
                    (0..columns.len())
                        .map(|i| row.get_ref(i).map(value))
                        .collect::<rusqlite::Result<Vec<Value>>>()
                })
                .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>());
            rows.map_err(fail)
        })
    }
}

/// Prepares `SELECT <columns>, failure` of the history table in version
/// order, with the index of `failure`; for a table from before that
/// column, `<columns>` only and no index; `None` when the table does not
/// exist.
fn prepare_history<'c>(
    connection: &'c Connection,
    table: &TableName,
    columns: &str,
    started: Instant,
) -> Result<Option<(rusqlite::CachedStatement<'c>, Option<usize>)>> {
    let with_failure = format!(
        "SELECT {columns}, failure FROM {} ORDER BY version",
        table.quoted()
    );
    let error = match connection.prepare_cached(&with_failure) {
        Ok(statement) => {
            let at = statement.column_count() - 1;
            return Ok(Some((statement, Some(at))));
        }
        Err(error) => error,
    };
    if is_no_such_table(&error) {
        return Ok(None);
    }
    if !error.to_string().contains("no such column: failure") {
        return Err(classify(table, &error, started));
    }
    // A table from before the `failure` column, until the next run adds it.
    let sql = format!("SELECT {columns} FROM {} ORDER BY version", table.quoted());
    match connection.prepare_cached(&sql) {
        Ok(statement) => Ok(Some((statement, None))),
        Err(error) if is_no_such_table(&error) => Ok(None),
        Err(error) => Err(classify(table, &error, started)),
    }
}

/// A SQLite value as a [`Value`].
fn value(value: rusqlite::types::ValueRef<'_>) -> Value {
    use rusqlite::types::ValueRef;
    match value {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Integer(i),
        ValueRef::Real(r) => Value::Real(r),
        ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::Blob(b.to_vec()),
    }
}
