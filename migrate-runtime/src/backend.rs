//! The small set of database operations the executor needs. The executor
//! (plans, drift checks, reports) is written against this trait only; SQLite
//! implements it in `sqlite.rs`, and another database plugs in by
//! implementing it too.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::{Checksum, DriverError, Result, Version};

/// One row of the history table: a migration applied to the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedMigration {
    /// The version.
    pub version: Version,
    /// The name it had when it was applied.
    pub name: String,
    /// The checksum it had when it was applied, as hex.
    pub checksum: String,
    /// When it was applied, UTC, ISO 8601 (`2026-11-24T10:01:02.345Z`).
    pub applied_at: String,
    /// How long it took.
    pub execution_time: Duration,
}

/// What a run needs of one history row: the version and its checksum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppliedVersion {
    /// The version.
    pub version: Version,
    /// The checksum recorded when it was applied; `None` when the recorded
    /// text is not a checksum (which counts as drift).
    pub checksum: Option<Checksum>,
}

/// What a database must do for the executor. Implemented for
/// [`rusqlite::Connection`].
///
/// Every method but [`execute`](Backend::execute) returns this crate's
/// [`Error`](crate::Error) with the context filled in; `execute` returns the
/// driver's error, which the executor wraps with the migration's file, line
/// and statement.
pub trait Backend {
    /// Reads the whole history table, sorted by version; empty when the
    /// table does not exist yet. For status displays.
    ///
    /// # Errors
    ///
    /// The table exists but cannot be read as a history table, or the
    /// database cannot be read.
    fn read_history(&mut self, table: &str) -> Result<Vec<AppliedMigration>>;

    /// Reads the versions and checksums of the history table, sorted by
    /// version; empty when the table does not exist yet. This is the one
    /// small read a start-up with nothing pending costs, so it reads no
    /// more than that and allocates nothing per row.
    ///
    /// # Errors
    ///
    /// As [`read_history`](Backend::read_history).
    fn read_applied(&mut self, table: &str) -> Result<Vec<AppliedVersion>>;

    /// Starts a transaction that holds the database's write lock, waiting up
    /// to `busy_timeout` for another writer, and creates the history table
    /// inside it if it is missing.
    ///
    /// # Errors
    ///
    /// [`Error::Locked`](crate::Error::Locked) when the lock stayed taken.
    fn lock(&mut self, table: &str, busy_timeout: Duration) -> Result<()>;

    /// Commits the transaction `lock` started.
    ///
    /// # Errors
    ///
    /// The commit failed; the transaction is rolled back.
    fn commit(&mut self) -> Result<()>;

    /// Rolls the transaction back, if one is open. Never fails: a failed
    /// rollback leaves the transaction to be rolled back when the
    /// connection closes.
    fn rollback(&mut self);

    /// Runs one statement of a migration.
    ///
    /// # Errors
    ///
    /// The driver's error, for the executor to wrap.
    fn execute(&mut self, sql: &str) -> Result<(), DriverError>;

    /// Records a migration as applied, with the current UTC time.
    ///
    /// # Errors
    ///
    /// The row could not be written.
    fn insert_history(
        &mut self,
        table: &str,
        version: Version,
        name: &str,
        checksum: &str,
        execution_time: Duration,
    ) -> Result<()>;

    /// Removes a migration from the history (after it was reverted).
    ///
    /// # Errors
    ///
    /// The row could not be removed.
    fn delete_history(&mut self, table: &str, version: Version) -> Result<()>;

    /// Whether foreign key enforcement is on for this connection.
    ///
    /// # Errors
    ///
    /// The setting could not be read.
    fn foreign_keys(&mut self) -> Result<bool>;

    /// Turns foreign key enforcement on or off; only called outside a transaction.
    ///
    /// # Errors
    ///
    /// The setting could not be changed.
    fn set_foreign_keys(&mut self, on: bool) -> Result<()>;

    /// The rows that violate a foreign key, one line each; empty when none.
    ///
    /// # Errors
    ///
    /// The check could not run.
    fn foreign_key_violations(&mut self) -> Result<Vec<String>>;

    /// Writes a consistent copy of the database, before migrating from
    /// version `from`, into `dir` (default: beside the database), and deletes
    /// all but the newest `keep` backups. `None` when the database has no
    /// file (in memory or temporary) or its file is still empty.
    ///
    /// # Errors
    ///
    /// [`Error::Backup`](crate::Error::Backup) when the copy failed.
    fn create_backup(
        &mut self,
        dir: Option<&Path>,
        from: Option<Version>,
        keep: usize,
    ) -> Result<Option<PathBuf>>;
}
