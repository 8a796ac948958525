//! The two PostgreSQL clients as one: the backend is written once over
//! [`Client`], which `postgres::Client` implements with futures that are
//! ready at once (each call blocks, as a blocking client does) and
//! `tokio_postgres::Client` with its own futures.

use std::future::Future;
use std::time::Duration;

use tokio_postgres::Row;
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

    /// Waits `pause` between two tries of the lock.
    fn pause(&mut self, pause: Duration) -> impl Future<Output = ()> + Send;
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

    async fn pause(&mut self, pause: Duration) {
        std::thread::sleep(pause);
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

    async fn pause(&mut self, pause: Duration) {
        tokio::time::sleep(pause).await;
    }
}
