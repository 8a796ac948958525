//! [`Client`] for sqlx's `PgConnection` (feature `sqlx-postgres`): the
//! connection a sqlx service already holds, alone or taken from its
//! `PgPool` (`&mut *pool.acquire().await?`).
//!
//! Every statement of the backend goes as a simple query (sqlx's
//! `raw_sql`), one message and one round trip, with its parameters
//! written in as typed literals: sqlx prepares a statement with parameters
//! in a round trip of its own before it binds them, and through a pooler
//! in transaction mode (PgBouncer) the next round trip outside a
//! transaction may reach another server session, where that statement
//! does not exist. The answers come as text and are read by their
//! columns' types into the backend's [`Row`].

use std::time::Duration;

use sqlx::postgres::{PgConnection, PgDatabaseError, PgErrorPosition, PgRow};
use sqlx::{Column as _, Row as _, TypeInfo as _, ValueRef as _};

use super::client::{Client, Failure, Param, Row, other_client};
use super::{ServerError, literal};
use crate::{DriverError, Function, Value, code};

impl Client for PgConnection {
    async fn batch(&mut self, sql: &str) -> Result<(), Failure> {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
            .execute(&mut *self)
            .await
            .map(drop)
            .map_err(failure)
    }

    async fn query(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Vec<Row>, Failure> {
        let rows = sqlx::raw_sql(sqlx::AssertSqlSafe(with_literals(sql, params)))
            .fetch_all(&mut *self)
            .await
            .map_err(failure)?;
        Ok(rows.iter().map(row).collect())
    }

    async fn simple_row(&mut self, sql: &str) -> Result<Vec<Option<String>>, Failure> {
        let rows = sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
            .fetch_all(&mut *self)
            .await
            .map_err(failure)?;
        Ok(rows.last().map(texts).unwrap_or_default())
    }

    fn send_and_forget(&mut self, sql: &str) {
        // A sqlx connection has no task of its own: nothing is written
        // unless a future of it is polled, and a query future dropped
        // before its first poll writes nothing. The one public way to put
        // a message on the connection without waiting for its answer is
        // how sqlx begins a transaction with a statement of the caller's:
        // it queues the statement and flushes it before its first wait,
        // and whatever answers are still due are read before the
        // connection's next query. The statement here ends the run's
        // transaction rather than begins one, so that `begin` ends in an
        // error nobody waits for, and sqlx counts no transaction.
        // (`a_run_on_sqlx_dropped_anywhere_leaves_its_connection_free_and_runs_once_after`
        // proves the message reaches the server at once.)
        use sqlx::Connection as _;
        let sending = std::pin::pin!(self.begin_with(sqlx::AssertSqlSafe(sql.to_owned())));
        let _ = sending.poll(&mut std::task::Context::from_waker(std::task::Waker::noop()));
    }

    async fn pause(&mut self, pause: Duration) {
        crate::backoff::sleep_async(pause).await;
    }

    fn can_call(&self, function: &Function) -> bool {
        matches!(function, Function::SqlxPostgres(_))
    }

    async fn call(&mut self, function: Function) -> Result<(), DriverError> {
        match function {
            // In a run's transaction the connection is in it: the function
            // gets the connection either way.
            Function::SqlxPostgres(run) => code::call_async(run(self)).await,
            #[allow(unreachable_patterns)]
            other => Err(other_client(other, "sqlx's `PgConnection`")),
        }
    }
}

/// `sql` with each `$n` outside a quoted string replaced by parameter
/// `n`, written as a literal of its type.
fn with_literals(sql: &str, params: &[Param<'_>]) -> String {
    let mut out = String::with_capacity(sql.len() + 16 * params.len());
    let mut chars = sql.char_indices().peekable();
    let mut quoted = false;
    while let Some((at, c)) = chars.next() {
        if c == '\'' {
            quoted = !quoted;
        }
        let digits = if c == '$' && !quoted {
            let rest = &sql[at + 1..];
            rest.find(|d: char| !d.is_ascii_digit())
                .unwrap_or(rest.len())
        } else {
            0
        };
        let param = sql[at + 1..at + 1 + digits]
            .parse::<usize>()
            .ok()
            .and_then(|n| params.get(n.checked_sub(1)?));
        match param {
            Some(param) => {
                out.push_str(&typed_literal(param));
                for _ in 0..digits {
                    chars.next();
                }
            }
            None => out.push(c),
        }
    }
    out
}

/// A parameter as a literal of its type.
fn typed_literal(param: &Param<'_>) -> String {
    match param {
        Param::Int8(n) => format!("({n})::int8"),
        Param::Int4(n) => format!("({n})::int4"),
        Param::Float8(n) => format!("({n:?})::float8"),
        Param::Text(text) | Param::MaybeText(Some(text)) => format!("{}::text", literal(text)),
        Param::MaybeText(None) => "NULL::text".to_owned(),
    }
}

/// A row of a simple query's answer (text), read by its columns' types.
fn row(row: &PgRow) -> Row {
    Row((0..row.len())
        .map(|i| {
            let name = row.columns()[i].type_info().name().to_owned();
            text(row, i).map_or(Value::Null, |text| value(&name, text))
        })
        .collect())
}

/// Column `i` as the server wrote it; `None` for `NULL`.
fn text(row: &PgRow, i: usize) -> Option<String> {
    let raw = row.try_get_raw(i).ok()?;
    if raw.is_null() {
        return None;
    }
    raw.as_str().ok().map(str::to_owned)
}

/// Every column as text.
fn texts(row: &PgRow) -> Vec<Option<String>> {
    (0..row.len()).map(|i| text(row, i)).collect()
}

/// A column's text read as its type says; `Null` when it does not read.
fn value(type_name: &str, text: String) -> Value {
    let read = match type_name {
        "INT2" | "INT4" | "INT8" | "OID" => text.parse().ok().map(Value::Integer),
        "BOOL" => Some(Value::Integer(i64::from(text == "t"))),
        "FLOAT4" | "FLOAT8" => text.parse().ok().map(Value::Real),
        "BYTEA" => hex(&text).map(Value::Blob),
        _ => Some(Value::Text(text)),
    };
    read.unwrap_or(Value::Null)
}

/// `bytea` in its text form (`\x0a1b…`).
fn hex(text: &str) -> Option<Vec<u8>> {
    let digits = text.strip_prefix("\\x")?;
    (0..digits.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(digits.get(i..i + 2)?, 16).ok())
        .collect()
}

/// sqlx's error as the backend reads it: the server's own words when it
/// sent any, else sqlx's.
fn failure(error: sqlx::Error) -> Failure {
    let server = match &error {
        sqlx::Error::Database(db) => db.try_downcast_ref::<PgDatabaseError>(),
        _ => None,
    };
    match server {
        Some(db) => Failure::server(ServerError {
            code: db.code().to_owned(),
            message: db.message().to_owned(),
            detail: db.detail().map(str::to_owned),
            hint: db.hint().map(str::to_owned),
            position: match db.position() {
                Some(PgErrorPosition::Original(at)) => u32::try_from(at).ok(),
                _ => None,
            },
        }),
        None => Failure::client(error),
    }
}

#[cfg(test)]
mod tests {
    use super::{Param, with_literals};

    #[test]
    fn parameters_are_written_in_as_typed_literals_outside_strings() {
        assert_eq!(
            with_literals(
                "SELECT $1, $2, '$1', $3, $10, regexp_split_to_table(lower($2), '[^a-z_$]+')",
                &[Param::Int8(-7), Param::Text("it's"), Param::MaybeText(None)],
            ),
            "SELECT (-7)::int8, 'it''s'::text, '$1', NULL::text, $10, \
             regexp_split_to_table(lower('it''s'::text), '[^a-z_$]+')"
        );
        assert_eq!(
            with_literals("SELECT $1", &[Param::Float8(60.0)]),
            "SELECT (60.0)::float8"
        );
    }
}
