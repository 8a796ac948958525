//! The two PostgreSQL clients as one: the backend is written once over
//! [`Client`], which `postgres::Client` implements with futures that are
//! ready at once (each call blocks, as a blocking client does) and
//! `tokio_postgres::Client` with its own futures.

use std::future::Future;
use std::time::Duration;

use tokio_postgres::Row;

use crate::{DriverError, Function, code};
use tokio_postgres::types::{ToSql, Type};

/// The parameters of a statement, with their types.
pub(super) type Typed<'a> = [(&'a (dyn ToSql + Sync), Type)];

/// What the backend sends to the server: statements without results, and
/// queries with typed parameters; and how it waits between tries of the lock.
pub trait Client: Send {
    /// Runs `sql`, one or more statements, without parameters.
    fn batch(
        &mut self,
        sql: &str,
    ) -> impl Future<Output = Result<(), tokio_postgres::Error>> + Send;

    /// Runs one statement with typed parameters, answering its rows.
    fn query(
        &mut self,
        sql: &str,
        params: &Typed<'_>,
    ) -> impl Future<Output = Result<Vec<Row>, tokio_postgres::Error>> + Send;

    /// Runs `sql` as a simple query (its own message, the way `psql` sends
    /// one), answering the columns of the last row it returned, as text
    /// (the answer of the last statement that returns one row).
    fn simple_row(
        &mut self,
        sql: &str,
    ) -> impl Future<Output = Result<Vec<Option<String>>, tokio_postgres::Error>> + Send;

    /// Sends `sql` without waiting for the server's answer: queued before
    /// anything the connection sends next. For a run whose future was
    /// dropped, which can wait for nothing.
    fn send_and_forget(&mut self, sql: &str);

    /// Waits `pause` between two tries of the lock.
    fn pause(&mut self, pause: Duration) -> impl Future<Output = ()> + Send;

    /// Whether `function`, a Rust migration's, is written for this client.
    fn can_call(&self, function: &Function) -> bool;

    /// Calls a Rust migration's function: one taking a transaction gets
    /// the run's open one, one taking the client (`NoTransaction`) the
    /// client itself.
    fn call(&mut self, function: Function) -> impl Future<Output = Result<(), DriverError>> + Send;
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

/// The message for a function of another client's.
fn other_client(function: Function, this: &str) -> DriverError {
    format!(
        "a function written for {} cannot run on {this}",
        function.driver()
    )
    .into()
}

#[cfg(feature = "postgres")]
impl Client for postgres::Client {
    async fn batch(&mut self, sql: &str) -> Result<(), tokio_postgres::Error> {
        self.batch_execute(sql)
    }

    async fn query(
        &mut self,
        sql: &str,
        params: &Typed<'_>,
    ) -> Result<Vec<Row>, tokio_postgres::Error> {
        self.query_typed(sql, params)
    }

    async fn simple_row(
        &mut self,
        sql: &str,
    ) -> Result<Vec<Option<String>>, tokio_postgres::Error> {
        Ok(last_row(&self.simple_query(sql)?))
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
    async fn batch(&mut self, sql: &str) -> Result<(), tokio_postgres::Error> {
        self.batch_execute(sql).await
    }

    async fn query(
        &mut self,
        sql: &str,
        params: &Typed<'_>,
    ) -> Result<Vec<Row>, tokio_postgres::Error> {
        self.query_typed(sql, params).await
    }

    async fn simple_row(
        &mut self,
        sql: &str,
    ) -> Result<Vec<Option<String>>, tokio_postgres::Error> {
        Ok(last_row(&self.simple_query(sql).await?))
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
