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
//!
//! A run's future dropped part-way (a timeout, `select!`) cannot wait for
//! its `ROLLBACK` and `RELEASE_LOCK`, and sqlx's pool would hand the
//! session, in the run's transaction and holding the lock, to its next
//! caller. So while the run holds the connection, the session ends on
//! its next plain `ROLLBACK` (`completion_type = RELEASE`), and sqlx is
//! made to queue one when the run is dropped: the server rolls the
//! transaction back and frees the lock, and the pool, finding the session
//! gone, opens a new one.

use std::fmt::Write as _;
use std::time::Duration;

use sqlx::Row as _;
use sqlx::SqlSafeStr as _;
use sqlx::mysql::{MySqlConnection, MySqlDatabaseError, MySqlRow, MySqlTransactionManager};
use sqlx_core::transaction::TransactionManager as _;

use super::client::{Client, Completion, Failure, Params, Value, client, other_client, server};
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

    fn ends_dropped_runs(&self) -> bool {
        true
    }

    /// sqlx queues a message without waiting for one thing only: the
    /// `ROLLBACK` of a transaction it counts, when its owner is dropped
    /// (the pool sends it before the connection is used again, and closes
    /// a connection whose session is gone). So the run has sqlx count one
    /// transaction from here to `disarm`, and the session's `ROLLBACK`
    /// ends it. sqlx counts a transaction once the server has said it is
    /// open: a run dropped in that one round trip leaves an empty
    /// read-only transaction (writes refused, reads fresh, until its
    /// `COMMIT`), and nothing else.
    async fn arm(&mut self) -> Result<(), Failure> {
        MySqlTransactionManager::begin(
            self,
            Some(
                "SET TRANSACTION ISOLATION LEVEL READ COMMITTED; START TRANSACTION READ ONLY"
                    .into_sql_str(),
            ),
        )
        .await
        .map_err(failure)?;
        self.run(&format!(
            "COMMIT AND NO CHAIN NO RELEASE; {}",
            Completion::Release.set()
        ))
        .await
    }

    async fn disarm(&mut self, own: Completion) -> Result<(), Failure> {
        let given_back = self.run(own.set()).await;
        // sqlx's count back to none; a session that could not be given its
        // own setting back ends here, rather than go on releasing itself.
        if MySqlTransactionManager::get_transaction_depth(self) > 0 {
            MySqlTransactionManager::rollback(self)
                .await
                .map_err(failure)?;
        }
        given_back
    }

    fn abandon(&mut self) {
        MySqlTransactionManager::start_rollback(self);
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
