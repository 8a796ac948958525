//! [`Client`] for the two clients of the `postgres` crates:
//! `postgres::Client` (blocking: its futures are ready at once) and
//! `tokio_postgres::Client`, their rows, parameters and errors read into
//! the backend's own.

use std::time::Duration;

use tokio_postgres::types::{ToSql, Type};

use super::ServerError;
use super::client::{Client, Failure, Param, Row, other_client};
use crate::{DriverError, Function, Value, code};

/// The parameters as the driver sends them, each with its type.
fn typed<'a>(params: &'a [Param<'a>]) -> Vec<(&'a (dyn ToSql + Sync), Type)> {
    params
        .iter()
        .map(|param| match param {
            Param::Int8(value) => (value as &(dyn ToSql + Sync), Type::INT8),
            Param::Int4(value) => (value as &(dyn ToSql + Sync), Type::INT4),
            Param::Float8(value) => (value as &(dyn ToSql + Sync), Type::FLOAT8),
            Param::Text(value) => (value as &(dyn ToSql + Sync), Type::TEXT),
            Param::MaybeText(value) => (value as &(dyn ToSql + Sync), Type::TEXT),
        })
        .collect()
}

/// A row read by its columns' types; `Null` for what does not read as
/// its type says.
fn row(row: &tokio_postgres::Row) -> Row {
    Row((0..row.len()).map(|i| value(row, i)).collect())
}

fn value(row: &tokio_postgres::Row, i: usize) -> Value {
    let ty = row.columns()[i].type_();
    let got = if *ty == Type::INT8 {
        row.try_get::<_, Option<i64>>(i)
            .map(|v| v.map(Value::Integer))
    } else if *ty == Type::INT4 {
        row.try_get::<_, Option<i32>>(i)
            .map(|v| v.map(|v| Value::Integer(v.into())))
    } else if *ty == Type::INT2 {
        row.try_get::<_, Option<i16>>(i)
            .map(|v| v.map(|v| Value::Integer(v.into())))
    } else if *ty == Type::OID {
        row.try_get::<_, Option<u32>>(i)
            .map(|v| v.map(|v| Value::Integer(v.into())))
    } else if *ty == Type::BOOL {
        row.try_get::<_, Option<bool>>(i)
            .map(|v| v.map(|v| Value::Integer(v.into())))
    } else if *ty == Type::FLOAT8 {
        row.try_get::<_, Option<f64>>(i).map(|v| v.map(Value::Real))
    } else if *ty == Type::FLOAT4 {
        row.try_get::<_, Option<f32>>(i)
            .map(|v| v.map(|v| Value::Real(v.into())))
    } else if *ty == Type::BYTEA {
        row.try_get::<_, Option<Vec<u8>>>(i)
            .map(|v| v.map(Value::Blob))
    } else {
        row.try_get::<_, Option<String>>(i)
            .map(|v| v.map(Value::Text))
    };
    got.ok().flatten().unwrap_or(Value::Null)
}

/// The driver's error as the backend reads it: the server's own words
/// when it sent any, else the client's.
pub(super) fn failure(error: tokio_postgres::Error) -> Failure {
    match error.as_db_error() {
        Some(db) => Failure::server(ServerError {
            code: db.code().code().to_owned(),
            message: db.message().to_owned(),
            detail: db.detail().map(str::to_owned),
            hint: db.hint().map(str::to_owned),
            position: match db.position() {
                Some(tokio_postgres::error::ErrorPosition::Original(at)) => Some(*at),
                _ => None,
            },
        }),
        None => Failure::client(error),
    }
}

/// The columns of the last row of a simple query's answer.
fn last_row(messages: &[tokio_postgres::SimpleQueryMessage]) -> Vec<Option<String>> {
    messages
        .iter()
        .rev()
        .find_map(|message| match message {
            tokio_postgres::SimpleQueryMessage::Row(row) => Some(
                (0..row.len())
                    .map(|i| row.get(i).map(str::to_owned))
                    .collect(),
            ),
            _ => None,
        })
        .unwrap_or_default()
}

#[cfg(feature = "postgres")]
impl Client for postgres::Client {
    async fn batch(&mut self, sql: &str) -> Result<(), Failure> {
        self.batch_execute(sql).map_err(failure)
    }

    async fn query(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Vec<Row>, Failure> {
        let rows = self.query_typed(sql, &typed(params)).map_err(failure)?;
        Ok(rows.iter().map(row).collect())
    }

    async fn simple_row(&mut self, sql: &str) -> Result<Vec<Option<String>>, Failure> {
        Ok(last_row(&self.simple_query(sql).map_err(failure)?))
    }

    fn send_and_forget(&mut self, sql: &str) {
        // A blocking client cannot be dropped part-way: this runs when a
        // lock could not be taken cleanly, and waits, as every call here.
        let _ = self.batch_execute(sql);
    }

    async fn pause(&mut self, pause: Duration) {
        std::thread::sleep(pause);
    }

    fn can_call(&self, function: &Function) -> bool {
        matches!(
            function,
            Function::Postgres(_) | Function::PostgresClient(_)
        )
    }

    async fn call(&mut self, function: Function) -> Result<(), DriverError> {
        match function {
            Function::Postgres(run) => {
                // The run's transaction is open: `transaction()` sends a
                // BEGIN the server only warns about, and gives the driver's
                // handle on the open transaction. The handle is forgotten,
                // not dropped: dropping it would roll the run back, and the
                // run commits (or rolls back) it itself.
                let mut transaction = self.transaction()?;
                let result = code::call(|| run(&mut transaction));
                std::mem::forget(transaction);
                result
            }
            Function::PostgresClient(run) => code::call(|| run(self)),
            #[allow(unreachable_patterns)]
            other => Err(other_client(other, "a `postgres::Client`")),
        }
    }
}

#[cfg(feature = "tokio-postgres")]
impl Client for tokio_postgres::Client {
    async fn batch(&mut self, sql: &str) -> Result<(), Failure> {
        self.batch_execute(sql).await.map_err(failure)
    }

    async fn query(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Vec<Row>, Failure> {
        let rows = self
            .query_typed(sql, &typed(params))
            .await
            .map_err(failure)?;
        Ok(rows.iter().map(row).collect())
    }

    async fn simple_row(&mut self, sql: &str) -> Result<Vec<Option<String>>, Failure> {
        Ok(last_row(&self.simple_query(sql).await.map_err(failure)?))
    }

    fn send_and_forget(&mut self, sql: &str) {
        // The driver queues a request for its connection when its future is
        // first polled, before it waits for the answer; the answer of a
        // request whose future is gone is read and set aside.
        let sending = std::pin::pin!(self.batch_execute(sql));
        let _ = sending.poll(&mut std::task::Context::from_waker(std::task::Waker::noop()));
    }

    async fn pause(&mut self, pause: Duration) {
        crate::backoff::sleep_async(pause).await;
    }

    fn can_call(&self, function: &Function) -> bool {
        matches!(
            function,
            Function::TokioPostgres(_) | Function::TokioPostgresClient(_)
        )
    }

    async fn call(&mut self, function: Function) -> Result<(), DriverError> {
        match function {
            Function::TokioPostgres(run) => {
                // As for the blocking client: the handle on the run's open
                // transaction is forgotten, since dropping it rolls back.
                let mut transaction = self.transaction().await?;
                let result = code::call_async(run(&mut transaction)).await;
                std::mem::forget(transaction);
                result
            }
            Function::TokioPostgresClient(run) => code::call_async(run(self)).await,
            #[allow(unreachable_patterns)]
            other => Err(other_client(other, "a `tokio_postgres::Client`")),
        }
    }
}
