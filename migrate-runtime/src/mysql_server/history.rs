//! The history table and other tools' tables on MySQL and MariaDB. Rows
//! are read with the binary protocol (a prepared statement), which keeps
//! numbers numbers.

use std::time::Duration;

use super::client::Value as MysqlValue;

use super::client::Client;
use super::{DUPLICATE_KEY, NO_SUCH_COLUMN, NO_SUCH_TABLE, driver, failed, number, params, text};
use crate::mark::{NO_LONGER_MARKED, RECORDING_PROGRESS};
use crate::{
    AppliedMigration, AppliedVersion, Error, Migration, Result, TableName, Value, Version,
};

/// The current UTC time as the history table writes it: `2026-11-24T10:01:02.345Z`.
const NOW: &str = "CONCAT(LEFT(DATE_FORMAT(UTC_TIMESTAMP(3), '%Y-%m-%dT%H:%i:%s.%f'), 23), 'Z')";

/// Every row of `columns` of the history table in version order (one
/// round trip: the text protocol); `None` when the table does not exist.
async fn history_rows<C: Client>(
    conn: &mut C,
    table: &TableName,
    columns: &str,
) -> Result<Option<Vec<Vec<MysqlValue>>>> {
    let sql = format!(
        "SELECT {columns} FROM {} ORDER BY version",
        table.backquoted()
    );
    match conn.text_rows(&sql).await {
        Ok(rows) => Ok(Some(rows)),
        Err(failure) if failure.code == Some(NO_SUCH_TABLE) => Ok(None),
        Err(failure) => Err(Error::InvalidHistory {
            table: table.to_string(),
            message: driver(failure).to_string(),
        }),
    }
}

/// A history row's version, refused when no migration can have it.
fn version(table: &TableName, value: Option<&MysqlValue>) -> Result<Version> {
    let unsigned = match value {
        Some(MysqlValue::UInt(v)) => Some(*v),
        Some(MysqlValue::Int(v)) => u64::try_from(*v).ok(),
        Some(MysqlValue::Bytes(text)) => {
            std::str::from_utf8(text).ok().and_then(|t| t.parse().ok())
        }
        _ => None,
    };
    match unsigned {
        Some(version) => Ok(Version(version)),
        None => Err(Error::BadHistoryRow {
            table: table.to_string(),
            version: value.and_then(number).unwrap_or(-1),
        }),
    }
}

pub(super) async fn read_history<C: Client>(
    conn: &mut C,
    table: &TableName,
) -> Result<Vec<AppliedMigration>> {
    let columns = "version, name, checksum, applied_at, execution_time_us, failure";
    let Some(rows) = history_rows(conn, table, columns).await? else {
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

pub(super) async fn read_applied<C: Client>(
    conn: &mut C,
    table: &TableName,
) -> Result<Vec<AppliedVersion>> {
    let Some(rows) = history_rows(conn, table, "version, checksum, failure").await? else {
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

/// Created before the run's first transaction (the statement commits by
/// itself on MySQL), and only when missing: `CREATE TABLE IF NOT EXISTS`
/// takes a metadata lock even when the table is there.
pub(super) async fn create_history<C: Client>(conn: &mut C, table: &TableName) -> Result<()> {
    // A read of no row says whether it is there, without the catalog's
    // tables (slow on MariaDB).
    let probe = format!("SELECT 1 FROM {} LIMIT 0", table.backquoted());
    match conn.text_rows(&probe).await {
        Ok(_) => return Ok(()),
        Err(failure) if failure.code == Some(NO_SUCH_TABLE) => {}
        Err(failure) => return Err(failed("reading the history table")(failure)),
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
    conn.run(&create)
        .await
        .map_err(failed("creating the history table"))
}

/// Records `migration` as applied: its row marked as started (or failed)
/// until now becomes an applied one, or a new row; an applied row is never
/// written over.
pub(super) async fn insert_history<C: Client>(
    conn: &mut C,
    table: &TableName,
    migration: &Migration,
    execution_time: Duration,
) -> Result<()> {
    let action = "recording the migration in the history table";
    let micros = i64::try_from(execution_time.as_micros()).unwrap_or(i64::MAX);
    let version = migration.version().0;
    let checksum = migration.checksum().to_string();
    // A new row first (one round trip in a run's transaction); a key
    // already there is the row of a migration outside a transaction,
    // marked until now, which becomes applied. A failed statement takes
    // back only itself, not the transaction.
    let insert = format!(
        "INSERT INTO {} (version, name, checksum, applied_at, execution_time_us) \
         VALUES (?, ?, ?, {NOW}, ?)",
        table.backquoted()
    );
    let values = vec![
        version.into(),
        migration.name().into(),
        checksum.as_str().into(),
        micros.into(),
    ];
    match conn.change(&insert, params(values)).await {
        Ok(_) => return Ok(()),
        Err(failure) if failure.code == Some(DUPLICATE_KEY) => {}
        Err(failure) => return Err(failed(action)(failure)),
    }
    let update = format!(
        "UPDATE {} SET name = ?, checksum = ?, applied_at = {NOW}, execution_time_us = ?, \
         failure = NULL WHERE version = ? AND failure IS NOT NULL",
        table.backquoted()
    );
    let values = vec![
        migration.name().into(),
        checksum.as_str().into(),
        micros.into(),
        version.into(),
    ];
    if conn
        .change(&update, params(values))
        .await
        .map_err(failed(action))?
        == 0
    {
        return Err(Error::database(
            action,
            "the version is already recorded as applied",
        ));
    }
    Ok(())
}

pub(super) async fn delete_history<C: Client>(
    conn: &mut C,
    table: &TableName,
    version: Version,
) -> Result<()> {
    let sql = format!("DELETE FROM {} WHERE version = ?", table.backquoted());
    conn.change(&sql, params(vec![version.0.into()]))
        .await
        .map(drop)
        .map_err(failed("removing the migration from the history table"))
}

pub(super) async fn record_failure<C: Client>(
    conn: &mut C,
    table: &TableName,
    migration: &Migration,
    failure: &str,
) -> Result<()> {
    let sql = format!(
        "INSERT INTO {} (version, name, checksum, applied_at, execution_time_us, failure) \
         VALUES (?, ?, ?, {NOW}, 0, ?) ON DUPLICATE KEY UPDATE failure = VALUES(failure)",
        table.backquoted()
    );
    let values = vec![
        migration.version().0.into(),
        migration.name().into(),
        migration.checksum().to_string().into(),
        failure.into(),
    ];
    conn.change(&sql, params(values))
        .await
        .map(drop)
        .map_err(failed(
            "recording the failed migration in the history table",
        ))
}

pub(super) async fn record_progress<C: Client>(
    conn: &mut C,
    table: &TableName,
    version: Version,
    progress: &str,
) -> Result<()> {
    let sql = format!(
        "UPDATE {} SET failure = ? WHERE version = ? AND failure IS NOT NULL",
        table.backquoted()
    );
    let changed = conn
        .change(&sql, params(vec![progress.into(), version.0.into()]))
        .await
        .map_err(failed(RECORDING_PROGRESS))?;
    // A row whose text is already this one counts as unchanged: read it.
    if changed == 0 {
        let check = format!(
            "SELECT COUNT(*) FROM {} WHERE version = ? AND failure IS NOT NULL",
            table.backquoted()
        );
        let rows = conn
            .rows(&check, params(vec![version.0.into()]))
            .await
            .map_err(failed(RECORDING_PROGRESS))?;
        let marked = rows.first().and_then(|row| row.first()).and_then(number);
        if marked.unwrap_or(0) == 0 {
            return Err(Error::database(RECORDING_PROGRESS, NO_LONGER_MARKED));
        }
    }
    Ok(())
}

pub(super) async fn renumber_history<C: Client>(
    conn: &mut C,
    table: &TableName,
    from: Version,
    to: Version,
) -> Result<()> {
    let sql = format!(
        "UPDATE {} SET version = ? WHERE version = ?",
        table.backquoted()
    );
    conn.change(&sql, params(vec![to.0.into(), from.0.into()]))
        .await
        .map(drop)
        .map_err(failed("renumbering a row of the history table"))
}

/// The names of `table`'s columns, lowercase; `None` when it does not exist.
pub(super) async fn table_columns<C: Client>(
    conn: &mut C,
    table: &TableName,
) -> Result<Option<Vec<String>>> {
    let sql = "SELECT LOWER(column_name) FROM information_schema.columns \
               WHERE table_schema = COALESCE(?, DATABASE()) AND table_name = ? \
               ORDER BY ordinal_position";
    let rows = conn
        .rows(
            sql,
            params(vec![table.schema().into(), table.name().into()]),
        )
        .await
        .map_err(failed("reading another tool's history table"))?;
    let columns: Vec<String> = rows
        .iter()
        .filter_map(|row| row.first().and_then(text))
        .collect();
    Ok((!columns.is_empty()).then_some(columns))
}

/// Every row of `columns` of `table`.
pub(super) async fn read_rows<C: Client>(
    conn: &mut C,
    table: &TableName,
    columns: &[&str],
) -> Result<Vec<Vec<Value>>> {
    let list: Vec<String> = columns.iter().map(|c| format!("`{c}`")).collect();
    let sql = format!("SELECT {} FROM {}", list.join(", "), table.backquoted());
    match conn.rows(&sql, params(Vec::new())).await {
        Ok(rows) => Ok(rows
            .iter()
            .map(|row| row.iter().map(value).collect())
            .collect()),
        Err(failure) if failure.code == Some(NO_SUCH_COLUMN) => Err(Error::InvalidHistory {
            table: table.to_string(),
            message: driver(failure).to_string(),
        }),
        Err(failure) => Err(failed("reading another tool's history table")(failure)),
    }
}

/// A MySQL value as a [`Value`]: dates and times as the text MySQL shows.
fn value(value: &MysqlValue) -> Value {
    match value {
        MysqlValue::Null => Value::Null,
        MysqlValue::Int(i) => Value::Integer(*i),
        MysqlValue::UInt(u) => {
            i64::try_from(*u).map_or_else(|_| Value::Text(u.to_string()), Value::Integer)
        }
        MysqlValue::Double(d) => Value::Real(*d),
        MysqlValue::Bytes(bytes) => String::from_utf8(bytes.clone())
            .map_or_else(|_| Value::Blob(bytes.clone()), Value::Text),
    }
}
