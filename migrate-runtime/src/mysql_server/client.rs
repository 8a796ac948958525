//! The MySQL clients as one: the backend is written once over [`Client`],
//! in its own values ([`Value`], [`Params`]), which `mysql::Conn`
//! implements with futures that are ready at once (each call blocks, as a
//! blocking client does), `mysql_async::Conn` with its own futures (both
//! convert from `mysql_common`'s values), and sqlx's `MySqlConnection`
//! (`sqlx_client.rs`).

use std::future::Future;
use std::time::Duration;

#[cfg(any(feature = "mysql", feature = "mysql-async"))]
use crate::code;
use crate::{DriverError, Function};

/// A value of a row, or a parameter: MySQL's kinds, whichever client.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    /// SQL `NULL`.
    Null,
    /// A signed integer.
    Int(i64),
    /// An unsigned integer (`BIGINT UNSIGNED` versions).
    UInt(u64),
    /// A floating-point number (through the text protocol, as bytes).
    #[cfg_attr(not(any(feature = "mysql", feature = "mysql-async")), allow(dead_code))]
    Double(f64),
    /// Text or bytes; through the text protocol, every value but `NULL`.
    Bytes(Vec<u8>),
}

impl From<u64> for Value {
    fn from(n: u64) -> Value {
        Value::UInt(n)
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Value {
        Value::Int(n)
    }
}

impl From<&str> for Value {
    fn from(text: &str) -> Value {
        Value::Bytes(text.as_bytes().to_vec())
    }
}

impl From<String> for Value {
    fn from(text: String) -> Value {
        Value::Bytes(text.into_bytes())
    }
}

impl From<Option<&str>> for Value {
    fn from(text: Option<&str>) -> Value {
        text.map_or(Value::Null, Value::from)
    }
}

/// The parameters of a statement, in order.
pub(crate) type Params = Vec<Value>;

#[cfg(any(feature = "mysql", feature = "mysql-async"))]
impl From<mysql_common::value::Value> for Value {
    fn from(value: mysql_common::value::Value) -> Value {
        use mysql_common::value::Value as Mysql;
        match value {
            Mysql::NULL => Value::Null,
            Mysql::Int(n) => Value::Int(n),
            Mysql::UInt(n) => Value::UInt(n),
            Mysql::Float(n) => Value::Double(f64::from(n)),
            Mysql::Double(n) => Value::Double(n),
            Mysql::Bytes(bytes) => Value::Bytes(bytes),
            // Dates and times as the text MySQL shows.
            other => Value::Bytes(other.as_sql(true).trim_matches('\'').as_bytes().to_vec()),
        }
    }
}

/// The parameters as `mysql_common` sends them.
#[cfg(any(feature = "mysql", feature = "mysql-async"))]
fn driver_params(params: Params) -> mysql_common::params::Params {
    use mysql_common::value::Value as Mysql;
    mysql_common::params::Params::Positional(
        params
            .into_iter()
            .map(|value| match value {
                Value::Null => Mysql::NULL,
                Value::Int(n) => Mysql::Int(n),
                Value::UInt(n) => Mysql::UInt(n),
                Value::Double(n) => Mysql::Double(n),
                Value::Bytes(bytes) => Mysql::Bytes(bytes),
            })
            .collect(),
    )
}

/// Rows of a driver's values as the backend's.
#[cfg(any(feature = "mysql", feature = "mysql-async"))]
fn own_rows(rows: Vec<Vec<mysql_common::value::Value>>) -> Vec<Vec<Value>> {
    rows.into_iter()
        .map(|row| row.into_iter().map(Value::from).collect())
        .collect()
}

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

    /// Whether this client's run can be dropped part-way and queue what
    /// ends its session ([`abandon`](Client::abandon)): then, from
    /// [`arm`](Client::arm) to [`disarm`](Client::disarm), the session's
    /// `completion_type` is `RELEASE`, so that a plain `ROLLBACK` ends it,
    /// and the run's own ends of transactions say `NO RELEASE`.
    fn ends_dropped_runs(&self) -> bool {
        false
    }

    /// Makes a dropped run end the session (`ends_dropped_runs`). Nothing
    /// by default.
    fn arm(&mut self) -> impl Future<Output = Result<(), Failure>> + Send {
        std::future::ready(Ok(()))
    }

    /// Gives the session its own `completion_type` (`own`, one of
    /// [`Completion`]'s) and undoes [`arm`](Client::arm). Nothing by
    /// default.
    fn disarm(&mut self, own: Completion) -> impl Future<Output = Result<(), Failure>> + Send {
        let _ = own;
        std::future::ready(Ok(()))
    }

    /// The run's future was dropped: queues, without waiting, what ends an
    /// armed session (the server then rolls its transaction back and frees
    /// the lock and its settings with it). Nothing by default: a blocking
    /// client cannot be dropped part-way, and `mysql_async`'s pool resets
    /// a connection given back to it.
    fn abandon(&mut self) {}
}

/// What a session's `COMMIT` and `ROLLBACK` do after ending a transaction
/// (its `completion_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Completion {
    /// Nothing more (the default).
    NoChain,
    /// Start the next transaction.
    Chain,
    /// End the session.
    Release,
}

impl Completion {
    /// The setting as the server shows it (`@@completion_type`): by name
    /// or by number.
    pub(super) fn read(shown: &str) -> Completion {
        match shown.trim().to_ascii_uppercase().as_str() {
            "CHAIN" | "1" => Completion::Chain,
            "RELEASE" | "2" => Completion::Release,
            _ => Completion::NoChain,
        }
    }

    /// The statement that gives the session this setting.
    pub(super) fn set(self) -> &'static str {
        match self {
            Completion::NoChain => "SET SESSION completion_type = 'NO_CHAIN'",
            Completion::Chain => "SET SESSION completion_type = 'CHAIN'",
            Completion::Release => "SET SESSION completion_type = 'RELEASE'",
        }
    }
}

/// The message for a function of another client's.
pub(super) fn other_client(function: Function, this: &str) -> DriverError {
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
pub(super) fn server(code: u16, state: &str, message: &str) -> Failure {
    Failure {
        code: Some(code),
        message: format!("ERROR {code} ({state}): {message}"),
        gone: SESSION_ENDED.contains(&code),
    }
}

/// A client's own error as a [`Failure`].
pub(super) fn client(message: String, gone: bool) -> Failure {
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
        Ok(own_rows(rows.into_iter().map(mysql::Row::unwrap).collect()))
    }

    async fn rows(&mut self, sql: &str, params: Params) -> Result<Vec<Vec<Value>>, Failure> {
        use mysql::prelude::Queryable;
        let rows: Vec<mysql::Row> = self.exec(sql, driver_params(params))?;
        Ok(own_rows(rows.into_iter().map(mysql::Row::unwrap).collect()))
    }

    async fn change(&mut self, sql: &str, params: Params) -> Result<u64, Failure> {
        use mysql::prelude::Queryable;
        self.exec_drop(sql, driver_params(params))?;
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
        Ok(own_rows(
            rows.into_iter().map(mysql_async::Row::unwrap).collect(),
        ))
    }

    async fn rows(&mut self, sql: &str, params: Params) -> Result<Vec<Vec<Value>>, Failure> {
        use mysql_async::prelude::Queryable;
        let rows: Vec<mysql_async::Row> = self.exec(sql, driver_params(params)).await?;
        Ok(own_rows(
            rows.into_iter().map(mysql_async::Row::unwrap).collect(),
        ))
    }

    async fn change(&mut self, sql: &str, params: Params) -> Result<u64, Failure> {
        use mysql_async::prelude::Queryable;
        self.exec_drop(sql, driver_params(params)).await?;
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
