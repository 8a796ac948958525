//! The history table and other tools' tables on MySQL and MariaDB:
//! [`HistoryStore`] and [`Catalog`] for [`mysql::Conn`]. Rows are read
//! with the binary protocol (a prepared statement), which keeps numbers
//! numbers.

use std::time::Duration;

use mysql::prelude::Queryable;
use mysql::{Conn, Value as MysqlValue};

use super::{NO_SUCH_COLUMN, NO_SUCH_TABLE, code, driver, failed, number, text};
use crate::mark::{NO_LONGER_MARKED, RECORDING_PROGRESS};
use crate::{
    AppliedMigration, AppliedVersion, Catalog, Error, HistoryStore, Migration, Result, TableName,
    Value, Version,
};

/// The current UTC time as the history table writes it: `2026-11-24T10:01:02.345Z`.
const NOW: &str = "CONCAT(LEFT(DATE_FORMAT(UTC_TIMESTAMP(3), '%Y-%m-%dT%H:%i:%s.%f'), 23), 'Z')";

/// Every row of `columns` of the history table in version order; `None`
/// when the table does not exist.
fn history_rows(
    conn: &mut Conn,
    table: &TableName,
    columns: &str,
) -> Result<Option<Vec<Vec<MysqlValue>>>> {
    let sql = format!(
        "SELECT {columns} FROM {} ORDER BY version",
        table.backquoted()
    );
    match conn.exec::<mysql::Row, _, _>(sql, ()) {
        Ok(rows) => Ok(Some(rows.into_iter().map(mysql::Row::unwrap).collect())),
        Err(error) if code(&error) == Some(NO_SUCH_TABLE) => Ok(None),
        Err(error) => Err(Error::InvalidHistory {
            table: table.to_string(),
            message: driver(error).to_string(),
        }),
    }
}

/// A history row's version, refused when no migration can have it.
fn version(table: &TableName, value: Option<&MysqlValue>) -> Result<Version> {
    match value {
        Some(MysqlValue::UInt(v)) => Ok(Version(*v)),
        Some(MysqlValue::Int(v)) if *v >= 0 => Ok(Version(v.cast_unsigned())),
        other => Err(Error::BadHistoryRow {
            table: table.to_string(),
            version: other.and_then(number).unwrap_or(-1),
        }),
    }
}

impl HistoryStore for Conn {
    async fn read_history(
        &mut self,
        table: &TableName,
        _wait: Duration,
    ) -> Result<Vec<AppliedMigration>> {
        let columns = "version, name, checksum, applied_at, execution_time_us, failure";
        let Some(rows) = history_rows(self, table, columns)? else {
            return Ok(Vec::new());
        };
        rows.iter()
            .map(|row| {
                let micros = row.get(4).and_then(number).unwrap_or(0).max(0);
                Ok(AppliedMigration::new(
                    version(table, row.first())?,
                    row.get(1).and_then(text).unwrap_or_default(),
                    row.get(2).and_then(text).unwrap_or_default(),
                    row.get(3).and_then(text).unwrap_or_default(),
                    Duration::from_micros(micros.cast_unsigned()),
                    row.get(5).and_then(text),
                ))
            })
            .collect()
    }

    async fn read_applied(
        &mut self,
        table: &TableName,
        _wait: Duration,
    ) -> Result<Vec<AppliedVersion>> {
        let Some(rows) = history_rows(self, table, "version, checksum, failure")? else {
            return Ok(Vec::new());
        };
        rows.iter()
            .map(|row| {
                Ok(AppliedVersion::recorded(
                    version(table, row.first())?,
                    &row.get(1).and_then(text).unwrap_or_default(),
                    row.get(2).and_then(text),
                ))
            })
            .collect()
    }

    /// Created before the run's first transaction (the statement commits
    /// by itself on MySQL), and only when missing: `CREATE TABLE IF NOT
    /// EXISTS` takes a metadata lock even when the table is there.
    async fn create_history(&mut self, table: &TableName) -> Result<()> {
        if Catalog::table_columns(self, table, Duration::ZERO)
            .await?
            .is_some()
        {
            return Ok(());
        }
        let create = format!(
            "CREATE TABLE IF NOT EXISTS {} (
                version BIGINT UNSIGNED NOT NULL PRIMARY KEY,
                name TEXT NOT NULL,
                checksum VARCHAR(128) NOT NULL,
                applied_at VARCHAR(32) NOT NULL,
                execution_time_us BIGINT NOT NULL,
                failure TEXT NULL
            ) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4",
            table.backquoted()
        );
        self.query_drop(create)
            .map_err(failed("creating the history table"))
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
        let action = "recording the migration in the history table";
        let micros = i64::try_from(execution_time.as_micros()).unwrap_or(i64::MAX);
        let version = migration.version().0;
        let checksum = migration.checksum().to_string();
        let update = format!(
            "UPDATE {} SET name = ?, checksum = ?, applied_at = {NOW}, execution_time_us = ?, \
             failure = NULL WHERE version = ? AND failure IS NOT NULL",
            table.backquoted()
        );
        self.exec_drop(update, (migration.name(), &checksum, micros, version))
            .map_err(failed(action))?;
        if self.affected_rows() > 0 {
            return Ok(());
        }
        let insert = format!(
            "INSERT INTO {} (version, name, checksum, applied_at, execution_time_us) \
             VALUES (?, ?, ?, {NOW}, ?)",
            table.backquoted()
        );
        match self.exec_drop(insert, (version, migration.name(), &checksum, micros)) {
            Ok(()) => Ok(()),
            Err(error) if code(&error) == Some(DUPLICATE_KEY) => Err(Error::database(
                action,
                "the version is already recorded as applied",
            )),
            Err(error) => Err(failed(action)(error)),
        }
    }

    async fn delete_history(&mut self, table: &TableName, version: Version) -> Result<()> {
        let sql = format!("DELETE FROM {} WHERE version = ?", table.backquoted());
        self.exec_drop(sql, (version.0,))
            .map_err(failed("removing the migration from the history table"))
    }

    async fn record_failure(
        &mut self,
        table: &TableName,
        migration: &Migration,
        failure: &str,
    ) -> Result<()> {
        let sql = format!(
            "INSERT INTO {} (version, name, checksum, applied_at, execution_time_us, failure) \
             VALUES (?, ?, ?, {NOW}, 0, ?) ON DUPLICATE KEY UPDATE failure = VALUES(failure)",
            table.backquoted()
        );
        self.exec_drop(
            sql,
            (
                migration.version().0,
                migration.name(),
                migration.checksum().to_string(),
                failure,
            ),
        )
        .map_err(failed(
            "recording the failed migration in the history table",
        ))
    }

    async fn record_progress(
        &mut self,
        table: &TableName,
        version: Version,
        progress: &str,
    ) -> Result<()> {
        let sql = format!(
            "UPDATE {} SET failure = ? WHERE version = ? AND failure IS NOT NULL",
            table.backquoted()
        );
        self.exec_drop(sql, (progress, version.0))
            .map_err(failed(RECORDING_PROGRESS))?;
        // A row whose text is already this one counts as unchanged: read it.
        if self.affected_rows() == 0 {
            let check = format!(
                "SELECT COUNT(*) FROM {} WHERE version = ? AND failure IS NOT NULL",
                table.backquoted()
            );
            let marked: Option<i64> = self
                .exec_first(check, (version.0,))
                .map_err(failed(RECORDING_PROGRESS))?;
            if marked.unwrap_or(0) == 0 {
                return Err(Error::database(RECORDING_PROGRESS, NO_LONGER_MARKED));
            }
        }
        Ok(())
    }

    async fn renumber_history(
        &mut self,
        table: &TableName,
        from: Version,
        to: Version,
    ) -> Result<()> {
        let sql = format!(
            "UPDATE {} SET version = ? WHERE version = ?",
            table.backquoted()
        );
        self.exec_drop(sql, (to.0, from.0))
            .map_err(failed("renumbering a row of the history table"))
    }
}

/// MySQL's error for a key already there.
const DUPLICATE_KEY: u16 = 1062;

impl Catalog for Conn {
    async fn table_columns(
        &mut self,
        table: &TableName,
        _wait: Duration,
    ) -> Result<Option<Vec<String>>> {
        let sql = "SELECT LOWER(column_name) FROM information_schema.columns \
                   WHERE table_schema = COALESCE(?, DATABASE()) AND table_name = ? \
                   ORDER BY ordinal_position";
        let columns: Vec<String> = self
            .exec(sql, (table.schema(), table.name()))
            .map_err(failed("reading another tool's history table"))?;
        Ok((!columns.is_empty()).then_some(columns))
    }

    async fn read_rows(
        &mut self,
        table: &TableName,
        columns: &[&str],
        _wait: Duration,
    ) -> Result<Vec<Vec<Value>>> {
        let list: Vec<String> = columns.iter().map(|c| format!("`{c}`")).collect();
        let sql = format!("SELECT {} FROM {}", list.join(", "), table.backquoted());
        let rows: Vec<mysql::Row> = match self.exec(sql, ()) {
            Ok(rows) => rows,
            Err(error) if code(&error) == Some(NO_SUCH_COLUMN) => {
                return Err(Error::InvalidHistory {
                    table: table.to_string(),
                    message: driver(error).to_string(),
                });
            }
            Err(error) => return Err(failed("reading another tool's history table")(error)),
        };
        Ok(rows
            .into_iter()
            .map(|row| row.unwrap().iter().map(value).collect())
            .collect())
    }
}

/// A MySQL value as a [`Value`]: dates and times as the text MySQL shows.
fn value(value: &MysqlValue) -> Value {
    match value {
        MysqlValue::NULL => Value::Null,
        MysqlValue::Int(i) => Value::Integer(*i),
        MysqlValue::UInt(u) => {
            i64::try_from(*u).map_or_else(|_| Value::Text(u.to_string()), Value::Integer)
        }
        MysqlValue::Float(f) => Value::Real(f64::from(*f)),
        MysqlValue::Double(d) => Value::Real(*d),
        MysqlValue::Bytes(bytes) => String::from_utf8(bytes.clone())
            .map_or_else(|_| Value::Blob(bytes.clone()), Value::Text),
        other => Value::Text(text(other).unwrap_or_default()),
    }
}
