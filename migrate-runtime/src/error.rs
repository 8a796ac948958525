//! The one error type of the runtime: a variant per situation, each with what
//! a person needs to act on it.

use std::path::PathBuf;
use std::time::Duration;

use crate::{Checksum, Version};

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An error of the underlying database driver, boxed so that the error type
/// does not depend on which backend is in use.
pub type DriverError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything that can stop a migration run. Every refusal is raised before
/// anything is changed; every failure leaves the database as it was before
/// the transaction it happened in.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The database holds a version this binary does not embed.
    #[error(
        "the database is at version {applied}, this binary knows {}: a newer release migrated it; \
         run that release (or a newer one), or revert the database with it",
        match .known { Some(v) => format!("up to {v}"), None => "no migration".to_owned() }
    )]
    UnknownVersion {
        /// The version applied in the database that no embedded migration has.
        applied: Version,
        /// The newest version this binary embeds.
        known: Option<Version>,
    },

    /// An applied migration's file was changed after it was applied.
    #[error(
        "{path} was edited after it was applied (version {version}: checksum {applied} in the database, \
         {embedded} in this binary); restore the file, and put the change in a new migration"
    )]
    ChecksumMismatch {
        /// The version.
        version: Version,
        /// The migration file.
        path: &'static str,
        /// The checksum recorded when it was applied.
        applied: String,
        /// The checksum of the file embedded now.
        embedded: Checksum,
    },

    /// A pending migration is older than the newest applied one.
    #[error(
        "{path} (version {version}) is pending but the database is already at version {latest}; \
         give it a version after {latest} (`migrate fix` renumbers), or allow out-of-order migrations"
    )]
    OutOfOrder {
        /// The pending migration's version.
        version: Version,
        /// Its file.
        path: &'static str,
        /// The newest applied version.
        latest: Version,
    },

    /// A revert would have to undo a migration without a Down section.
    #[error(
        "{path} (version {version}) is irreversible, so the database cannot be reverted past it; \
         nothing was changed"
    )]
    Irreversible {
        /// The irreversible migration's version.
        version: Version,
        /// Its file.
        path: &'static str,
    },

    /// A target version that no embedded migration has.
    #[error("no migration has version {version}{}; use one of the embedded versions (`status` lists them)",
        match .environment { Some(env) => format!(" in the base set or environment `{env}`"), None => String::new() })]
    NoSuchVersion {
        /// The version asked for.
        version: Version,
        /// The environment selected.
        environment: Option<String>,
    },

    /// An `up` target below the current version.
    #[error(
        "the database is at version {current}, above the target {target}; \
         use a revert (`down_to`) to go down"
    )]
    TargetBelowCurrent {
        /// The newest applied version.
        current: Version,
        /// The target asked for.
        target: Version,
    },

    /// `baseline` below the newest applied version.
    #[error(
        "cannot baseline at version {target}: version {current} is already applied; \
         a baseline marks versions as applied, it does not revert"
    )]
    BaselineBelowCurrent {
        /// The newest applied version.
        current: Version,
        /// The baseline asked for.
        target: Version,
    },

    /// A statement of a migration failed; the transaction was rolled back.
    #[error(
        "{path}:{line}: {message}\n  in statement: {statement}\n  {}",
        if *.rolled_back { "the database was rolled back to where it was before this run's transaction" }
        else { "this migration runs outside a transaction: statements before this one stay applied" }
    )]
    MigrationFailed {
        /// The migration's version.
        version: Version,
        /// The file holding the statement.
        path: &'static str,
        /// The statement's 1-based line in that file.
        line: u32,
        /// The statement.
        statement: &'static str,
        /// The database's message.
        message: String,
        /// Whether the failure was rolled back entirely.
        rolled_back: bool,
        /// The driver's error.
        #[source]
        source: DriverError,
    },

    /// `PRAGMA foreign_key_check` found violations after migrations that ran
    /// with foreign keys off; the transaction was rolled back.
    #[error(
        "foreign key violations after {path} (version {version}), rolled back: {}",
        .violations.join("; ")
    )]
    ForeignKeyViolations {
        /// The migration after which the check ran.
        version: Version,
        /// Its file.
        path: &'static str,
        /// One line per violating row: table, rowid, referenced table.
        violations: Vec<String>,
    },

    /// Another connection held the database lock longer than the busy timeout.
    #[error(
        "the database is locked by another connection and stayed locked for {waited:?}; \
         wait for the other migrator or process to finish, or raise the busy timeout"
    )]
    Locked {
        /// How long this run waited.
        waited: Duration,
    },

    /// The history table name is not a plain identifier.
    #[error("history table name `{0}` must be letters, digits and `_`, not starting with a digit")]
    InvalidTableName(String),

    /// The history table exists but does not have the expected columns.
    #[error(
        "table `{table}` does not look like a migration history table ({message}); \
         choose another table name with `table(…)`"
    )]
    InvalidHistory {
        /// The table.
        table: String,
        /// What was wrong.
        message: String,
    },

    /// The backup before migrating failed; nothing was migrated.
    #[error("backup to {} failed, nothing was migrated: {source}", .path.display())]
    Backup {
        /// The backup file.
        path: PathBuf,
        /// The error.
        #[source]
        source: DriverError,
    },

    /// Any other database error, with what was being done.
    #[error("{action}: {source}")]
    Database {
        /// What the runtime was doing.
        action: &'static str,
        /// The driver's error.
        #[source]
        source: DriverError,
    },
}

impl Error {
    /// A database error while doing `action`.
    pub(crate) fn database(action: &'static str, source: impl Into<DriverError>) -> Error {
        Error::Database {
            action,
            source: source.into(),
        }
    }
}
