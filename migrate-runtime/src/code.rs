//! Rust migrations' functions: `embed_migrations!` compiles each
//! `<version>_<name>.rs` as a module of the user's crate and lists its `up`
//! and `down` here, typed for the driver they are written for. The run
//! calls them where a SQL migration's statements would run, in the same
//! transaction, under the same lock and time limit.

// Without a database feature no function exists to call.
#![cfg_attr(not(feature = "_backend"), allow(dead_code, unused_imports))]

use std::future::Future;
use std::pin::Pin;

use crate::plan::Plan;
use crate::{Change, DriverError, Error, Migrations, Result, Version};

/// What a Rust migration's function returns: any error, said in the
/// run's error beside the file and the function's line.
pub type CodeResult = std::result::Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// The future of an `async fn up` (`tokio-postgres`, `mysql-async`), boxed.
pub type PendingCode<'a> = Pin<Box<dyn Future<Output = CodeResult> + Send + 'a>>;

/// One function of a Rust migration, typed for the driver it is written
/// for: the parameter of `pub fn up` says which (see the README's "Rust
/// migrations").
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum Function {
    /// `fn(&rusqlite::Connection)`: SQLite, inside the run's transaction
    /// (or, with `// +migrate NoTransaction`, outside any).
    #[cfg(feature = "sqlite")]
    Sqlite(fn(&rusqlite::Connection) -> CodeResult),
    /// `fn(&mut postgres::Transaction<'_>)`: the blocking client, inside
    /// the run's transaction.
    #[cfg(feature = "postgres")]
    Postgres(fn(&mut postgres::Transaction<'_>) -> CodeResult),
    /// `fn(&mut postgres::Client)`: the blocking client, outside a
    /// transaction (`// +migrate NoTransaction`).
    #[cfg(feature = "postgres")]
    PostgresClient(fn(&mut postgres::Client) -> CodeResult),
    /// `async fn(&mut tokio_postgres::Transaction<'_>)`: the async client,
    /// inside the run's transaction.
    #[cfg(feature = "tokio-postgres")]
    TokioPostgres(for<'a, 'b> fn(&'a mut tokio_postgres::Transaction<'b>) -> PendingCode<'a>),
    /// `async fn(&mut tokio_postgres::Client)`: the async client, outside a
    /// transaction (`// +migrate NoTransaction`).
    #[cfg(feature = "tokio-postgres")]
    TokioPostgresClient(for<'a> fn(&'a mut tokio_postgres::Client) -> PendingCode<'a>),
    /// `fn(&mut mysql::Conn)`: MySQL and MariaDB, outside a transaction
    /// (a schema change would end one), as every statement it may send.
    #[cfg(feature = "mysql")]
    Mysql(fn(&mut mysql::Conn) -> CodeResult),
    /// `async fn(&mut mysql_async::Conn)`: the async client, outside a
    /// transaction.
    #[cfg(feature = "mysql-async")]
    MysqlAsync(for<'a> fn(&'a mut mysql_async::Conn) -> PendingCode<'a>),
    /// `async fn(&mut sqlx::PgConnection)`: sqlx's connection, inside the
    /// run's transaction (the connection is in it: the function must not
    /// begin or commit one) or, with `// +migrate NoTransaction`, outside
    /// any.
    #[cfg(feature = "sqlx-postgres")]
    SqlxPostgres(for<'a> fn(&'a mut sqlx::PgConnection) -> PendingCode<'a>),
    /// `async fn(&mut sqlx::MySqlConnection)`: sqlx's MySQL connection,
    /// outside a transaction (a schema change would end one).
    #[cfg(feature = "sqlx-mysql")]
    SqlxMysql(for<'a> fn(&'a mut sqlx::MySqlConnection) -> PendingCode<'a>),
    /// `async fn(&mut sqlx::SqliteConnection)`: sqlx's SQLite connection,
    /// inside the run's transaction (the connection is in it: the
    /// function must not begin or commit one) or, with `// +migrate
    /// NoTransaction`, outside any.
    #[cfg(feature = "sqlx-sqlite")]
    SqlxSqlite(for<'a> fn(&'a mut sqlx::SqliteConnection) -> PendingCode<'a>),
}

impl Function {
    /// The connection the function is written for, as a user names it.
    pub fn driver(&self) -> &'static str {
        #[allow(unreachable_patterns)]
        match *self {
            #[cfg(feature = "sqlite")]
            Function::Sqlite(_) => "a `rusqlite::Connection`",
            #[cfg(feature = "postgres")]
            Function::Postgres(_) | Function::PostgresClient(_) => "a `postgres::Client`",
            #[cfg(feature = "tokio-postgres")]
            Function::TokioPostgres(_) | Function::TokioPostgresClient(_) => {
                "a `tokio_postgres::Client` (with the `*_async` methods)"
            }
            #[cfg(feature = "mysql")]
            Function::Mysql(_) => "a `mysql::Conn`",
            #[cfg(feature = "mysql-async")]
            Function::MysqlAsync(_) => "a `mysql_async::Conn` (with the `*_async` methods)",
            #[cfg(feature = "sqlx-postgres")]
            Function::SqlxPostgres(_) => "sqlx's `PgConnection` (with the `*_async` methods)",
            #[cfg(feature = "sqlx-mysql")]
            Function::SqlxMysql(_) => "sqlx's `MySqlConnection` (with the `*_async` methods)",
            #[cfg(feature = "sqlx-sqlite")]
            Function::SqlxSqlite(_) => "sqlx's `SqliteConnection` (with the `*_async` methods)",
        }
    }
}

/// A Rust migration's functions, as `embed_migrations!` lists them.
#[derive(Debug, Clone, Copy)]
pub struct Code {
    /// The migration's version.
    pub version: Version,
    /// Its environment folder, `None` for the base set.
    pub environment: Option<&'static str>,
    /// `pub fn up`.
    pub up: Function,
    /// `pub fn down`, `None` when the file has none (irreversible).
    pub down: Option<Function>,
}

/// The function each step of `plan` calls (`None` for a SQL migration,
/// and for a step that runs nothing), checked before anything runs: every
/// Rust migration must have been compiled into this program, for a
/// connection like this one.
pub(crate) fn functions(
    migrations: &Migrations,
    plan: &Plan<'_>,
    backend: &'static str,
    can_call: impl Fn(&Function) -> bool,
) -> Result<Vec<Option<Function>>> {
    plan.steps
        .iter()
        .map(|&(migration, change)| {
            if !migration.is_rust() || !change.runs_sql() {
                return Ok(None);
            }
            let code =
                migrations
                    .code_of(migration)
                    .ok_or_else(|| Error::RustMigrationNotCompiled {
                        path: migration.up_path().to_owned(),
                    })?;
            let function = match change {
                Change::Down => code.down,
                _ => Some(code.up),
            };
            let Some(function) = function else {
                return Ok(None);
            };
            if can_call(&function) {
                Ok(Some(function))
            } else {
                Err(Error::RustMigrationDriver {
                    path: migration.up_path().to_owned(),
                    written_for: function.driver(),
                    backend,
                })
            }
        })
        .collect()
}

/// Calls a blocking function; a panic in it becomes its error.
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql", test))]
pub(crate) fn call(run: impl FnOnce() -> CodeResult) -> std::result::Result<(), DriverError> {
    use std::panic::{self, AssertUnwindSafe};
    match panic::catch_unwind(AssertUnwindSafe(run)) {
        Ok(result) => result.map_err(|error| Failed::Returned(error).into()),
        Err(payload) => Err(Failed::panicked(payload.as_ref()).into()),
    }
}

/// Awaits an async function's future; a panic in it becomes its error.
#[cfg(feature = "_tokio")]
pub(crate) async fn call_async(future: PendingCode<'_>) -> std::result::Result<(), DriverError> {
    match crate::ready::caught(future).await {
        Ok(result) => result.map_err(|error| Failed::Returned(error).into()),
        Err(payload) => Err(Failed::panicked(payload.as_ref()).into()),
    }
}

/// How a Rust migration's function failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Failed {
    /// It returned an error.
    #[error("it returned an error: {0}")]
    Returned(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// It panicked, with this message.
    #[error("it panicked: {0}")]
    Panicked(String),
}

/// How the function `function` (`up`, `down`) failed, as the run says it.
#[derive(Debug, thiserror::Error)]
#[error("`{function}` {}", failed.to_string().trim_start_matches("it "))]
pub(crate) struct FunctionFailed {
    pub function: String,
    #[source]
    pub failed: Failed,
}

/// `error` named after the function that failed, when the function failed
/// (rather than the lock or the connection around it).
pub(crate) fn named(function: &str, error: DriverError) -> DriverError {
    match error.downcast::<Failed>() {
        Ok(failed) => Box::new(FunctionFailed {
            function: function.to_owned(),
            failed: *failed,
        }),
        Err(other) => other,
    }
}

impl Failed {
    /// What a panic said.
    fn panicked(payload: &(dyn std::any::Any + Send)) -> Failed {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "with a value that is not a message".to_owned());
        Failed::Panicked(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_is_an_error_with_its_message() {
        let error = call(|| panic!("the hash is {}", 7)).expect_err("panicked");
        assert_eq!(error.to_string(), "it panicked: the hash is 7");
        assert!(call(|| Ok(())).is_ok());
        let error = call(|| Err("no such user".into())).expect_err("failed");
        assert_eq!(error.to_string(), "it returned an error: no such user");
        assert_eq!(
            named("up", error).to_string(),
            "`up` returned an error: no such user"
        );
    }
}
