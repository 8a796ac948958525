//! Why a replay on a server could not go on (not a problem of the SQL):
//! PostgreSQL's and MySQL's alike.

use migrate_core::ProblemKind;

/// Why the replay could not use the server (not a problem of the SQL).
/// Its message names the server by host, port, user and database, never by
/// its URL, which may hold a password.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// The URL or connection string cannot be read.
    #[error("the server's URL (or a TLS file it names) cannot be used: {message}")]
    Url {
        /// The driver's message.
        message: String,
    },
    /// The server cannot be reached, or refused the login.
    #[error("cannot connect to the PostgreSQL server ({server}): {message}")]
    Connect {
        /// The server, without its password.
        server: String,
        /// The driver's message.
        message: String,
    },
    /// The MySQL or MariaDB server cannot be reached, or refused the login.
    #[error("cannot connect to the MySQL or MariaDB server ({server}): {message}")]
    MysqlConnect {
        /// The server, without its password.
        server: String,
        /// The driver's message.
        message: String,
    },
    /// The role may not create a database.
    #[error(
        "cannot create a scratch database on the PostgreSQL server ({server}): {message}; the role needs the right to create databases (`ALTER ROLE … CREATEDB`)"
    )]
    Create {
        /// The server, without its password.
        server: String,
        /// The server's message.
        message: String,
    },
    /// A scratch database could not be dropped.
    #[error(
        "the scratch database `{name}` could not be dropped: {message}; drop it with `DROP DATABASE {name}`"
    )]
    Drop {
        /// The database left behind.
        name: String,
        /// The server's message.
        message: String,
    },
    /// The replay's own session failed (a savepoint refused, the connection lost).
    #[error("the replay's session on the PostgreSQL server failed: {message}")]
    Session {
        /// The driver's message.
        message: String,
    },
}

impl ServerError {
    /// The error as a problem of the replay.
    pub(crate) fn problem(&self) -> ProblemKind {
        ProblemKind::Unreadable {
            message: self.to_string(),
        }
    }
}
