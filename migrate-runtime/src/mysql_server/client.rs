//! The two MySQL clients as one: the backend is written once over
//! [`Client`], which `mysql::Conn` implements with futures that are ready at
//! once (each call blocks, as a blocking client does) and `mysql_async::Conn`
//! with its own futures. Both speak `mysql_common`'s values and rows.

use std::future::Future;
use std::time::Duration;

use mysql_common::params::Params;
use mysql_common::value::Value;

use crate::{DriverError, Function, code};

/// A failure of a call, whichever client made it: the server's answer
/// (its code and words) or the client's own (a broken connection).
#[derive(Debug)]
pub(crate) struct Failure {
    /// The server's error code, when the server answered.
    pub code: Option<u16>,
    /// What happened, in the server's or the client's words.
    pub message: String,
    /// The session is gone: the connection broke or the server closed it.
    pub gone: bool,
}

/// What the backend sends to the server, and how it waits between tries.
pub(crate) trait Client: Send {
    /// Runs `sql` (one statement, or several) and reads every result it
    /// gives: an error that arrives while rows are sent (a failing `CALL`,
    /// a limit reached in a `SELECT`) is the statement's error.
    fn run(&mut self, sql: &str) -> impl Future<Output = Result<(), Failure>> + Send;

    /// Runs `sql`, one query without parameters, through the text protocol
    /// (one round trip, no statement prepared), answering its rows: every
    /// value but `NULL` as the bytes of its text.
    fn text_rows(
        &mut self,
        sql: &str,
    ) -> impl Future<Output = Result<Vec<Vec<Value>>, Failure>> + Send;

    /// Runs one statement with `params` through the binary protocol (a
    /// prepared statement, which keeps numbers numbers), answering its rows.
    fn rows(
        &mut self,
        sql: &str,
        params: Params,
    ) -> impl Future<Output = Result<Vec<Vec<Value>>, Failure>> + Send;

    /// Runs one statement with `params`, answering how many rows it changed.
    fn change(
        &mut self,
        sql: &str,
        params: Params,
    ) -> impl Future<Output = Result<u64, Failure>> + Send;

    /// Waits `pause` between two tries.
    fn pause(&mut self, pause: Duration) -> impl Future<Output = ()> + Send;

    /// Whether `function`, a Rust migration's, is written for this client.
    fn can_call(&self, function: &Function) -> bool;

    /// Calls a Rust migration's function with the client (outside any
    /// transaction); a panic in it is its error.
    fn call(&mut self, function: Function) -> impl Future<Output = Result<(), DriverError>> + Send;
}

/// The message for a function of another client's.
fn other_client(function: Function, this: &str) -> DriverError {
    format!(
        "a function written for {} cannot run on {this}",
        function.driver()
    )
    .into()
}

/// The server's errors that mean the session is gone: ended by `KILL`
/// (MariaDB's 1927), closed after `wait_timeout` idle (MySQL's 4031).
const SESSION_ENDED: [u16; 2] = [1927, 4031];

/// A server's error as a [`Failure`]: `ERROR 1146 (42S02): …`.
fn server(code: u16, state: &str, message: &str) -> Failure {
    Failure {
        code: Some(code),
        message: format!("ERROR {code} ({state}): {message}"),
        gone: SESSION_ENDED.contains(&code),
    }
}

/// A client's own error as a [`Failure`].
fn client(message: String, gone: bool) -> Failure {
    Failure {
        code: None,
        message,
        gone,
    }
}

#[cfg(feature = "mysql")]
impl From<mysql::Error> for Failure {
    fn from(error: mysql::Error) -> Failure {
        match error {
            mysql::Error::MySqlError(e) => server(e.code, &e.state, &e.message),
            mysql::Error::IoError(e) => client(e.to_string(), true),
            mysql::Error::CodecError(e) => client(e.to_string(), true),
            mysql::Error::DriverError(e) => client(e.to_string(), false),
            other => client(other.to_string(), false),
        }
    }
}

#[cfg(feature = "mysql")]
impl Client for mysql::Conn {
    async fn run(&mut self, sql: &str) -> Result<(), Failure> {
        use mysql::prelude::Queryable;
        let mut result = self.query_iter(sql)?;
        while let Some(set) = result.iter() {
            for row in set {
                row?;
            }
        }
        Ok(())
    }

    async fn text_rows(&mut self, sql: &str) -> Result<Vec<Vec<Value>>, Failure> {
        use mysql::prelude::Queryable;
        let rows: Vec<mysql::Row> = self.query(sql)?;
        Ok(rows.into_iter().map(mysql::Row::unwrap).collect())
    }

    async fn rows(&mut self, sql: &str, params: Params) -> Result<Vec<Vec<Value>>, Failure> {
        use mysql::prelude::Queryable;
        let rows: Vec<mysql::Row> = self.exec(sql, params)?;
        Ok(rows.into_iter().map(mysql::Row::unwrap).collect())
    }

    async fn change(&mut self, sql: &str, params: Params) -> Result<u64, Failure> {
        use mysql::prelude::Queryable;
        self.exec_drop(sql, params)?;
        Ok(self.affected_rows())
    }

    async fn pause(&mut self, pause: Duration) {
        std::thread::sleep(pause);
    }

    fn can_call(&self, function: &Function) -> bool {
        matches!(function, Function::Mysql(_))
    }

    async fn call(&mut self, function: Function) -> Result<(), DriverError> {
        match function {
            Function::Mysql(run) => code::call(|| run(self)),
            #[allow(unreachable_patterns)]
            other => Err(other_client(other, "a `mysql::Conn`")),
        }
    }
}

#[cfg(feature = "mysql-async")]
impl From<mysql_async::Error> for Failure {
    fn from(error: mysql_async::Error) -> Failure {
        match error {
            mysql_async::Error::Server(e) => server(e.code, &e.state, &e.message),
            mysql_async::Error::Io(e) => client(e.to_string(), true),
            mysql_async::Error::Driver(e) => {
                let gone = matches!(e, mysql_async::DriverError::ConnectionClosed);
                client(e.to_string(), gone)
            }
            other => client(other.to_string(), false),
        }
    }
}

#[cfg(feature = "mysql-async")]
impl Client for mysql_async::Conn {
    async fn run(&mut self, sql: &str) -> Result<(), Failure> {
        use mysql_async::prelude::Queryable;
        // Every result set is read, and an error in any is the statement's.
        self.query_drop(sql).await.map_err(Failure::from)
    }

    async fn text_rows(&mut self, sql: &str) -> Result<Vec<Vec<Value>>, Failure> {
        use mysql_async::prelude::Queryable;
        let rows: Vec<mysql_async::Row> = self.query(sql).await?;
        Ok(rows.into_iter().map(mysql_async::Row::unwrap).collect())
    }

    async fn rows(&mut self, sql: &str, params: Params) -> Result<Vec<Vec<Value>>, Failure> {
        use mysql_async::prelude::Queryable;
        let rows: Vec<mysql_async::Row> = self.exec(sql, params).await?;
        Ok(rows.into_iter().map(mysql_async::Row::unwrap).collect())
    }

    async fn change(&mut self, sql: &str, params: Params) -> Result<u64, Failure> {
        use mysql_async::prelude::Queryable;
        self.exec_drop(sql, params).await?;
        Ok(self.affected_rows())
    }

    async fn pause(&mut self, pause: Duration) {
        crate::backoff::sleep_async(pause).await;
    }

    fn can_call(&self, function: &Function) -> bool {
        matches!(function, Function::MysqlAsync(_))
    }

    async fn call(&mut self, function: Function) -> Result<(), DriverError> {
        match function {
            Function::MysqlAsync(run) => code::call_async(run(self)).await,
            #[allow(unreachable_patterns)]
            other => Err(other_client(other, "a `mysql_async::Conn`")),
        }
    }
}
