//! The PostgreSQL clients as one: the backend is written once over
//! [`Client`], in the driver's words neither for what it sends
//! ([`Param`]) nor for what it reads ([`Row`], [`Failure`]), so that a
//! driver is an implementation of this trait: `postgres::Client` with
//! futures that are ready at once (each call blocks, as a blocking client
//! does), `tokio_postgres::Client` with its own futures (`drivers.rs`),
//! and sqlx's `PgConnection` (`sqlx_client.rs`).

use std::fmt;
use std::future::Future;
use std::time::Duration;

use super::ServerError;
use crate::{DriverError, Function, Value};

/// A parameter of one of the backend's own statements, with its type.
#[derive(Debug, Clone, Copy)]
pub enum Param<'a> {
    /// `int8`.
    Int8(i64),
    /// `int4`.
    Int4(i32),
    /// `float8`.
    Float8(f64),
    /// `text`.
    Text(&'a str),
    /// `text`, or `NULL`.
    MaybeText(Option<&'a str>),
}

/// A row of an answer, each column read by its type: integers (and
/// booleans, as 0 or 1), floating-point numbers, bytes, text; `Null` for
/// SQL `NULL` and for a type none of these reads.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Row(pub(super) Vec<Value>);

impl Row {
    /// The number of columns.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Column `i` as a [`Value`] (`Null` past the end).
    pub fn value(&self, i: usize) -> Value {
        self.0.get(i).cloned().unwrap_or(Value::Null)
    }

    /// Column `i` as a `T`; an error, never a panic, when it is not one.
    pub fn try_get<T: FromValue>(&self, i: usize) -> Result<T, Failure> {
        let value = self.0.get(i).unwrap_or(&Value::Null);
        T::from_value(value).ok_or_else(|| {
            Failure::client(format!(
                "column {i} of the server's answer is {value:?}, not {}",
                T::NAME
            ))
        })
    }
}

/// A type a column of a [`Row`] reads as.
pub trait FromValue: Sized {
    /// How a message names it.
    const NAME: &'static str;
    /// The value as this type, when it is one.
    fn from_value(value: &Value) -> Option<Self>;
}

impl FromValue for i64 {
    const NAME: &'static str = "an integer";
    fn from_value(value: &Value) -> Option<i64> {
        match value {
            Value::Integer(n) => Some(*n),
            _ => None,
        }
    }
}

impl FromValue for i32 {
    const NAME: &'static str = "an integer";
    fn from_value(value: &Value) -> Option<i32> {
        i64::from_value(value).and_then(|n| i32::try_from(n).ok())
    }
}

impl FromValue for f64 {
    const NAME: &'static str = "a number";
    fn from_value(value: &Value) -> Option<f64> {
        match value {
            Value::Real(n) => Some(*n),
            #[allow(clippy::cast_precision_loss)]
            Value::Integer(n) => Some(*n as f64),
            _ => None,
        }
    }
}

impl FromValue for bool {
    const NAME: &'static str = "a boolean";
    fn from_value(value: &Value) -> Option<bool> {
        i64::from_value(value).map(|n| n != 0)
    }
}

impl FromValue for String {
    const NAME: &'static str = "text";
    fn from_value(value: &Value) -> Option<String> {
        match value {
            Value::Text(text) => Some(text.clone()),
            _ => None,
        }
    }
}

impl<T: FromValue> FromValue for Option<T> {
    const NAME: &'static str = T::NAME;
    fn from_value(value: &Value) -> Option<Option<T>> {
        match value {
            Value::Null => Some(None),
            value => T::from_value(value).map(Some),
        }
    }
}

/// A statement that failed: the server's SQLSTATE when the server
/// answered, and the error as this crate reports it (the server's own
/// words, [`ServerError`], else the driver's).
#[derive(Debug)]
pub struct Failure {
    code: Option<String>,
    message: String,
    error: DriverError,
}

impl Failure {
    /// The server refused or stopped the statement.
    pub fn server(error: ServerError) -> Failure {
        Failure {
            code: Some(error.code.clone()),
            message: error.message.clone(),
            error: Box::new(error),
        }
    }

    /// The statement did not reach the server, or its answer could not
    /// be read.
    pub fn client(error: impl Into<DriverError>) -> Failure {
        let error = error.into();
        Failure {
            code: None,
            message: error.to_string(),
            error,
        }
    }

    /// The server's SQLSTATE, e.g. `55P03`.
    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }

    /// The server's primary message, else the driver's.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The error as this crate reports it.
    pub fn into_driver(self) -> DriverError {
        self.error
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.error.fmt(f)
    }
}

/// What the backend sends to the server: statements without results, and
/// queries with typed parameters; and how it waits between tries of the lock.
pub trait Client: Send {
    /// Runs `sql`, one or more statements, without parameters.
    fn batch(&mut self, sql: &str) -> impl Future<Output = Result<(), Failure>> + Send;

    /// Runs one statement with typed parameters, answering its rows. Sent
    /// unnamed, in one round trip: a named prepared statement does not
    /// survive a pooler in transaction mode, which may send the next
    /// message to another server session.
    fn query(
        &mut self,
        sql: &str,
        params: &[Param<'_>],
    ) -> impl Future<Output = Result<Vec<Row>, Failure>> + Send;

    /// Runs `sql` as a simple query (its own message, the way `psql` sends
    /// one), answering the columns of the last row it returned, as text
    /// (the answer of the last statement that returns one row).
    fn simple_row(
        &mut self,
        sql: &str,
    ) -> impl Future<Output = Result<Vec<Option<String>>, Failure>> + Send;

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

/// The message for a function of another client's.
pub(super) fn other_client(function: Function, this: &str) -> DriverError {
    format!(
        "a function written for {} cannot run on {this}",
        function.driver()
    )
    .into()
}
