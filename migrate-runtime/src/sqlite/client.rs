//! The SQLite clients as one: the backend is written once over [`Client`],
//! in the runtime's [`Value`]s, which rusqlite's `Connection` implements
//! with futures that are ready at once (each call blocks, as rusqlite
//! does) and sqlx's `SqliteConnection` with its worker's
//! (`sqlx_client.rs`).

use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::{DriverError, Function, Value};

/// SQLite's primary result codes the backend tells apart.
pub(crate) mod code {
    /// `SQLITE_BUSY`: another connection holds the lock.
    pub const BUSY: i32 = 5;
    /// `SQLITE_LOCKED`: a table of a shared cache is locked.
    pub const LOCKED: i32 = 6;
    /// `SQLITE_CORRUPT`.
    pub const CORRUPT: i32 = 11;
    /// `SQLITE_CANTOPEN`.
    pub const CANTOPEN: i32 = 14;
    /// `SQLITE_NOTADB`.
    pub const NOTADB: i32 = 26;
}

/// A failure of a call, whichever client made it: SQLite's primary result
/// code, when SQLite answered, and the client's own error (the source a
/// caller can inspect).
#[derive(Debug)]
pub(crate) struct Failure {
    /// SQLite's primary result code (the extended code's low byte).
    pub code: Option<i32>,
    /// The client's error.
    pub error: DriverError,
}

impl From<Failure> for DriverError {
    fn from(failure: Failure) -> DriverError {
        failure.error
    }
}

/// A value of a row, borrowed while the row is read.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Cell<'a> {
    /// SQL `NULL`.
    Null,
    /// An integer.
    Integer(i64),
    /// A floating-point number.
    Real(f64),
    /// Text.
    Text(&'a str),
    /// Bytes.
    Blob(&'a [u8]),
}

impl Cell<'_> {
    /// The cell as an integer, as SQLite would compare it.
    pub(crate) fn integer(self) -> Option<i64> {
        match self {
            Cell::Integer(n) => Some(n),
            Cell::Text(text) => text.trim().parse().ok(),
            _ => None,
        }
    }

    /// The cell as text; `None` for `NULL`.
    pub(crate) fn text(self) -> Option<String> {
        match self {
            Cell::Null => None,
            Cell::Integer(n) => Some(n.to_string()),
            Cell::Real(r) => Some(r.to_string()),
            Cell::Text(text) => Some(text.to_owned()),
            Cell::Blob(bytes) => Some(String::from_utf8_lossy(bytes).into_owned()),
        }
    }
}

impl<'a> From<&'a Value> for Cell<'a> {
    fn from(value: &'a Value) -> Cell<'a> {
        match value {
            Value::Null => Cell::Null,
            Value::Integer(i) => Cell::Integer(*i),
            Value::Real(r) => Cell::Real(*r),
            Value::Text(t) => Cell::Text(t),
            Value::Blob(b) => Cell::Blob(b),
        }
    }
}

/// What the backend asks of a SQLite connection.
pub(crate) trait Client: Send {
    /// Runs `sql`, one statement or several, answering no rows.
    fn batch(&mut self, sql: &str) -> impl Future<Output = Result<(), Failure>> + Send;

    /// Runs one statement with `params` (`?1`, `?2` …), answering its rows.
    fn rows(
        &mut self,
        sql: &str,
        params: &[Value],
    ) -> impl Future<Output = Result<Vec<Vec<Value>>, Failure>> + Send;

    /// Runs one statement without parameters, handing each row's values to
    /// `visit` as it is read, none kept (the history's thousand rows on a
    /// start with nothing to do).
    fn visit_rows(
        &mut self,
        sql: &str,
        visit: &mut (dyn FnMut(&[Cell<'_>]) + Send),
    ) -> impl Future<Output = Result<(), Failure>> + Send;

    /// Runs one statement with `params`, answering how many rows it changed.
    fn change(
        &mut self,
        sql: &str,
        params: &[Value],
    ) -> impl Future<Output = Result<u64, Failure>> + Send;

    /// Whether a transaction is open on the connection.
    fn in_transaction(&mut self) -> impl Future<Output = Result<bool, Failure>> + Send;

    /// The main database's file; `None` for a database in memory.
    fn path(&mut self) -> impl Future<Output = Option<PathBuf>> + Send;

    /// Whether the connection was opened to read only.
    fn is_readonly(&mut self) -> impl Future<Output = bool> + Send;

    /// Sets how long a statement waits for another connection's lock
    /// (SQLite's busy timeout), in milliseconds.
    fn set_busy_timeout(&mut self, ms: u32) -> impl Future<Output = Result<(), Failure>> + Send;

    /// Interrupts the connection's statements once `deadline` has passed
    /// (checked every thousand steps of SQLite's virtual machine); `None`
    /// lifts it.
    fn set_deadline(&mut self, deadline: Option<Instant>) -> impl Future<Output = ()> + Send;

    /// Begins the run's transaction with `sql` (`BEGIN IMMEDIATE`), counted
    /// by a client that rolls back what a dropped owner left open.
    fn begin(&mut self, sql: &str) -> impl Future<Output = Result<(), Failure>> + Send {
        self.batch(sql)
    }

    /// Commits the run's transaction.
    fn commit(&mut self) -> impl Future<Output = Result<(), Failure>> + Send {
        self.batch("COMMIT")
    }

    /// Rolls the open transaction back.
    fn rollback(&mut self) -> impl Future<Output = Result<(), Failure>> + Send {
        self.batch("ROLLBACK")
    }

    /// The run's future was dropped: queues, without waiting, the rollback
    /// of the transaction the client counts. Nothing by default: a
    /// blocking client cannot be dropped part-way.
    fn abandon(&mut self) {}

    /// Copies the last committed state of the database file `source` into
    /// the new file `copy`, through a connection of the client's own that
    /// reads only (the run's holds the write lock).
    fn copy_file(
        &mut self,
        source: &Path,
        copy: &Path,
    ) -> impl Future<Output = Result<(), DriverError>> + Send;

    /// Waits `pause` between two tries.
    fn pause(&mut self, pause: Duration) -> impl Future<Output = ()> + Send;

    /// Whether `function`, a Rust migration's, is written for this client.
    fn can_call(&self, function: &Function) -> bool;

    /// Calls a Rust migration's function with the client; a panic in it
    /// is its error.
    fn call(&mut self, function: Function) -> impl Future<Output = Result<(), DriverError>> + Send;
}
