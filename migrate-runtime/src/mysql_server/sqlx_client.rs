//! [`Client`] for sqlx's `MySqlConnection` (feature `sqlx-mysql`): the
//! connection a sqlx service already holds, alone or taken from its
//! `MySqlPool` (`&mut *pool.acquire().await?`).
//!
//! A statement that answers rows goes through the text protocol (sqlx's
//! `raw_sql`), one round trip, with its parameters written in as literals:
//! numbers as numbers, text as a hexadecimal string converted to
//! `utf8mb4` (read the same whatever the session's `sql_mode` says of
//! backslashes); every value of its answer comes as the bytes of its
//! text, which the backend reads by what it expects. A change (a history
//! row) is a statement sqlx prepares once per connection, its values
//! bound. sqlx asks the server for the rows a statement
//! matched, not the rows it changed (`CLIENT_FOUND_ROWS`); the backend's
//! counts hold either way.

use std::fmt::Write as _;
use std::time::Duration;

use sqlx::Row as _;
use sqlx::mysql::{MySqlConnection, MySqlDatabaseError, MySqlRow};

use super::client::{Client, Failure, Params, Value, client, other_client, server};
use crate::{DriverError, Function, code};

impl Client for MySqlConnection {
    async fn run(&mut self, sql: &str) -> Result<(), Failure> {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
            .execute(&mut *self)
            .await
            .map(drop)
            .map_err(failure)
    }

    async fn text_rows(&mut self, sql: &str) -> Result<Vec<Vec<Value>>, Failure> {
        let rows = sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
            .fetch_all(&mut *self)
            .await
            .map_err(failure)?;
        Ok(rows.iter().map(row).collect())
    }

    async fn rows(&mut self, sql: &str, params: Params) -> Result<Vec<Vec<Value>>, Failure> {
        let rows = sqlx::raw_sql(sqlx::AssertSqlSafe(with_literals(sql, &params)))
            .fetch_all(&mut *self)
            .await
            .map_err(failure)?;
        Ok(rows.iter().map(row).collect())
    }

    async fn change(&mut self, sql: &str, params: Params) -> Result<u64, Failure> {
        // A change answers no rows: a statement prepared once per
        // connection (sqlx caches it) with its values bound, which saves
        // the server parsing each history row's statement again.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()));
        for value in params {
            query = match value {
                Value::Null => query.bind(None::<i64>),
                Value::Int(n) => query.bind(n),
                Value::UInt(n) => query.bind(n),
                Value::Double(n) => query.bind(n),
                Value::Bytes(bytes) => match String::from_utf8(bytes) {
                    Ok(text) => query.bind(text),
                    Err(bytes) => query.bind(bytes.into_bytes()),
                },
            };
        }
        query
            .execute(&mut *self)
            .await
            .map(|done| done.rows_affected())
            .map_err(failure)
    }

    async fn pause(&mut self, pause: Duration) {
        crate::backoff::sleep_async(pause).await;
    }

    fn can_call(&self, function: &Function) -> bool {
        matches!(function, Function::SqlxMysql(_))
    }

    async fn call(&mut self, function: Function) -> Result<(), DriverError> {
        match function {
            Function::SqlxMysql(run) => code::call_async(run(self)).await,
            #[allow(unreachable_patterns)]
            other => Err(other_client(other, "sqlx's `MySqlConnection`")),
        }
    }
}

/// `sql` with each `?` outside a quoted string or name replaced by the
/// next parameter, written as a literal.
fn with_literals(sql: &str, params: &[Value]) -> String {
    let mut out = String::with_capacity(sql.len() + 24 * params.len());
    let mut next = params.iter();
    let mut quote: Option<char> = None;
    for c in sql.chars() {
        match (quote, c) {
            (None, '\'' | '"' | '`') => quote = Some(c),
            (Some(open), _) if c == open => quote = None,
            (None, '?') => {
                if let Some(value) = next.next() {
                    out.push_str(&literal(value));
                    continue;
                }
            }
            _ => {}
        }
        out.push(c);
    }
    out
}

/// A value as a literal MySQL and MariaDB read the same in every `sql_mode`.
fn literal(value: &Value) -> String {
    match value {
        Value::Null => "NULL".to_owned(),
        Value::Int(n) => n.to_string(),
        Value::UInt(n) => n.to_string(),
        Value::Double(n) => format!("{n:?}"),
        Value::Bytes(bytes) if bytes.is_empty() => "''".to_owned(),
        Value::Bytes(bytes) => {
            let mut hex = String::with_capacity(2 * bytes.len() + 32);
            hex.push_str("CONVERT(X'");
            for byte in bytes {
                let _ = write!(hex, "{byte:02x}");
            }
            hex.push_str("' USING utf8mb4)");
            hex
        }
    }
}

/// A row of a text-protocol answer: each value the bytes of its text.
fn row(row: &MySqlRow) -> Vec<Value> {
    (0..row.len())
        .map(|i| {
            row.try_get_unchecked::<Option<Vec<u8>>, _>(i)
                .ok()
                .flatten()
                .map_or(Value::Null, Value::Bytes)
        })
        .collect()
}

/// sqlx's error as the backend reads it: the server's code and words when
/// it answered; a broken connection says the session is gone.
#[allow(clippy::needless_pass_by_value)] // `map_err` hands the error over
fn failure(error: sqlx::Error) -> Failure {
    if let sqlx::Error::Database(db) = &error
        && let Some(mysql) = db.try_downcast_ref::<MySqlDatabaseError>()
    {
        return server(
            mysql.number(),
            mysql.code().unwrap_or("HY000"),
            mysql.message(),
        );
    }
    let gone = matches!(
        error,
        sqlx::Error::Io(_) | sqlx::Error::Protocol(_) | sqlx::Error::WorkerCrashed
    );
    client(error.to_string(), gone)
}

#[cfg(test)]
mod tests {
    use super::{Value, with_literals};

    #[test]
    fn parameters_are_literals_outside_quoted_strings_and_names() {
        assert_eq!(
            with_literals(
                "SELECT ?, '?', `a?`, ?, ? FROM t WHERE v = ?",
                &[
                    Value::UInt(7),
                    Value::from("it's\\"),
                    Value::Null,
                    Value::Int(-1)
                ],
            ),
            "SELECT 7, '?', `a?`, CONVERT(X'697427735c' USING utf8mb4), NULL FROM t WHERE v = -1"
        );
    }
}
