//! What a database must do for the executor, and nothing more. The policy
//! (plans, drift checks, actions, reports) is written once against this
//! trait; SQLite implements it in `sqlite.rs`, and another database plugs in
//! by implementing it too.

use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::time::Duration;

use crate::{Checksum, DriverError, Migration, Result, TableName, Value, Version};

/// How long the migration lock lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockScope {
    /// From [`Backend::lock`] to [`Backend::unlock`], across transactions:
    /// for runs of several transactions or with statements outside one.
    Session,
    /// The run's one transaction, which taking the lock opens: for a run
    /// that is one transaction, on a backend that can (PostgreSQL, also
    /// through PgBouncer in transaction mode).
    Transaction,
}

/// One row of the history table: a migration applied to the database.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
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

impl AppliedMigration {
    /// A history row, as a [`Backend`] reads it.
    pub fn new(
        version: Version,
        name: String,
        checksum: String,
        applied_at: String,
        execution_time: Duration,
    ) -> AppliedMigration {
        AppliedMigration {
            version,
            name,
            checksum,
            applied_at,
            execution_time,
        }
    }
}

/// What a run needs of one history row: the version and its checksum, or
/// the failure recorded in its place.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AppliedVersion {
    /// The version.
    pub version: Version,
    /// The checksum recorded when it was applied; `None` when the recorded
    /// text is not a checksum (which counts as drift, unless it is a failure).
    pub checksum: Option<Checksum>,
    /// Where the migration failed outside a transaction, part-way: recorded
    /// in the checksum's place, until [`resolve`](crate::Migrator::resolve).
    pub failure: Option<String>,
}

/// How a failure is recorded in the checksum's place.
pub(crate) const FAILED: &str = "failed ";

impl AppliedVersion {
    /// A version and its recorded checksum, as a [`Backend`] reads them.
    pub fn new(version: Version, checksum: Option<Checksum>) -> AppliedVersion {
        AppliedVersion {
            version,
            checksum,
            failure: None,
        }
    }

    /// A version and the text recorded with it: a checksum, or a failure
    /// that [`Backend::record_failure`] wrote.
    pub fn recorded(version: Version, text: &str) -> AppliedVersion {
        match text.strip_prefix(FAILED) {
            Some(_) => AppliedVersion {
                version,
                checksum: None,
                failure: Some(text.to_owned()),
            },
            None => AppliedVersion::new(version, Checksum::from_hex(text)),
        }
    }
}

/// Where backups go and how many are kept, for backends that write them.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct BackupSettings {
    /// The folder; `None` means beside the database.
    pub dir: Option<PathBuf>,
    /// How many backups of the database to keep, the one just written included.
    pub keep: NonZeroUsize,
}

impl BackupSettings {
    /// Backups into `dir` (`None`: beside the database), keeping the newest `keep`.
    pub fn new(dir: Option<PathBuf>, keep: NonZeroUsize) -> BackupSettings {
        BackupSettings { dir, keep }
    }
}

/// What a database must do for the executor. Implemented for
/// [`rusqlite::Connection`].
///
/// The required methods are what every database has: a lock that is taken
/// before and released after the whole run (across transactions, so that it
/// covers `NoTransaction` migrations too), transactions, statements, and the
/// history table. The provided methods are protocols only some databases
/// need (SQLite's backup and `ForeignKeys off`); they do nothing by default.
///
/// Every method but [`execute`](Backend::execute) returns this crate's
/// [`Error`](crate::Error) with the context filled in; `execute` returns the
/// driver's error, which the executor wraps with the migration's file, line
/// and statement. Table names arrive as a [`TableName`], already validated.
pub trait Backend {
    /// What [`lock`](Backend::lock) hands out and [`unlock`](Backend::unlock)
    /// takes back: the lock itself and any setting of the connection to
    /// restore afterwards.
    type Lock;

    /// What kind of database this is, for logs: `sqlite`, `postgresql`.
    fn kind(&self) -> &'static str {
        "database"
    }

    /// Takes the migration lock for `table`'s database, waiting at most
    /// `timeout` for another migrator to release it, and released by the
    /// operating system or the server if the process dies. With
    /// [`LockScope::Session`] it is held across transactions until
    /// [`unlock`](Backend::unlock); with [`LockScope::Transaction`] (only
    /// asked of a backend whose [`takes_transaction_lock`](Backend::takes_transaction_lock)
    /// says so) it opens the run's one transaction and lasts until it ends.
    ///
    /// # Errors
    ///
    /// [`Error::Locked`](crate::Error::Locked) when the lock stayed taken.
    ///
    /// `lease` is for a backend whose lock across transactions cannot be
    /// tied to a session (PostgreSQL, also through a pooler): how long the
    /// lock outlives its holder's last sign of life. Others ignore it.
    fn lock(
        &mut self,
        table: &TableName,
        timeout: Duration,
        scope: LockScope,
        lease: Duration,
    ) -> Result<Self::Lock>;

    /// Whether the backend can take a lock that lasts one transaction
    /// ([`LockScope::Transaction`]): the lock that works through a
    /// connection pooler in transaction mode. `false` by default.
    fn takes_transaction_lock(&self) -> bool {
        false
    }

    /// Releases the lock and restores what it changed on the connection.
    /// Never fails: a lock that cannot be released explicitly is released
    /// when the connection or the process ends.
    fn unlock(&mut self, lock: Self::Lock);

    /// Starts a transaction that takes the database's write lock.
    ///
    /// # Errors
    ///
    /// [`Error::Locked`](crate::Error::Locked) when another writer kept it;
    /// [`Error::LockLost`](crate::Error::LockLost) when the lock's lease
    /// was lost.
    fn begin(&mut self, lock: &mut Self::Lock) -> Result<()>;

    /// Commits the transaction.
    ///
    /// # Errors
    ///
    /// The commit failed; the transaction is rolled back.
    fn commit(&mut self, lock: &mut Self::Lock) -> Result<()>;

    /// Rolls the transaction back, if one is open. Never fails: a failed
    /// rollback leaves the transaction to be rolled back when the
    /// connection closes.
    fn rollback(&mut self, lock: &mut Self::Lock);

    /// Runs one statement of a migration; with `limit`, the database stops
    /// it after that long (PostgreSQL's `statement_timeout`, SQLite's
    /// interrupt), and the session's own setting is given back. Outside a
    /// transaction, a backend whose lock is a lease renews it first.
    ///
    /// # Errors
    ///
    /// The driver's error, for the executor to wrap.
    fn execute(
        &mut self,
        lock: &mut Self::Lock,
        sql: &str,
        limit: Option<Duration>,
    ) -> Result<(), DriverError>;

    /// Reads the whole history table, sorted by version; empty when the
    /// table does not exist yet. For status displays. Waits at most `wait`
    /// for another connection's lock.
    ///
    /// # Errors
    ///
    /// The table exists but cannot be read as a history table, or the
    /// database cannot be read.
    fn read_history(&mut self, table: &TableName, wait: Duration) -> Result<Vec<AppliedMigration>>;

    /// Reads the versions and checksums of the history table, sorted by
    /// version; empty when the table does not exist yet. This is the one
    /// small read a start-up with nothing pending costs, so it reads no
    /// more than that. Waits at most `wait` for another connection's lock.
    ///
    /// # Errors
    ///
    /// As [`read_history`](Backend::read_history).
    fn read_applied(&mut self, table: &TableName, wait: Duration) -> Result<Vec<AppliedVersion>>;

    /// Creates the history table if it is missing; called inside the run's
    /// first transaction.
    ///
    /// # Errors
    ///
    /// The table could not be created.
    fn create_history(&mut self, table: &TableName) -> Result<()>;

    /// Records `migration` as applied, with the current UTC time.
    ///
    /// # Errors
    ///
    /// The row could not be written.
    fn insert_history(
        &mut self,
        table: &TableName,
        migration: &Migration,
        execution_time: Duration,
    ) -> Result<()>;

    /// Removes a migration from the history (after it was reverted).
    ///
    /// # Errors
    ///
    /// The row could not be removed.
    fn delete_history(&mut self, table: &TableName, version: Version) -> Result<()>;

    /// Records that `migration` failed outside a transaction, part-way:
    /// a history row with `failure` (which starts with `failed `) in the
    /// checksum's place, written outside any transaction (the driver has
    /// made sure the table is there). The next runs refuse the database
    /// until the row is resolved.
    ///
    /// # Errors
    ///
    /// The row could not be written.
    fn record_failure(
        &mut self,
        table: &TableName,
        migration: &Migration,
        failure: &str,
    ) -> Result<()>;

    /// Changes a history row's version from `from` to `to`: the migration
    /// applied under a timestamp that `migrate fix` renumbered.
    ///
    /// # Errors
    ///
    /// The row could not be changed.
    fn renumber_history(&mut self, table: &TableName, from: Version, to: Version) -> Result<()>;

    /// The names of `table`'s columns, lowercase; `None` when the table does
    /// not exist. For recognising another tool's history (adoption). Waits
    /// at most `wait` for another connection's lock.
    ///
    /// # Errors
    ///
    /// The database cannot be read.
    fn table_columns(&mut self, table: &TableName, wait: Duration) -> Result<Option<Vec<String>>>;

    /// Every row of `columns` of `table` (names [`table_columns`](Backend::table_columns)
    /// listed), in no particular order: another tool's history, for adoption.
    ///
    /// # Errors
    ///
    /// The table cannot be read.
    fn read_rows(
        &mut self,
        table: &TableName,
        columns: &[&str],
        wait: Duration,
    ) -> Result<Vec<Vec<Value>>>;

    /// Writes a consistent copy of the database before the first change of a
    /// run that starts at version `from`; `None` when this database keeps no
    /// backups (the default) or has nothing to lose.
    ///
    /// # Errors
    ///
    /// [`Error::Backup`](crate::Error::Backup) when the copy failed.
    fn write_backup(
        &mut self,
        settings: &BackupSettings,
        from: Option<Version>,
    ) -> Result<Option<PathBuf>> {
        let _ = (settings, from);
        Ok(None)
    }

    /// Makes `schema` the one unqualified names resolve to until `unlock`,
    /// which restores the session's own (PostgreSQL's `search_path`). Does
    /// nothing by default: SQLite has no search path.
    ///
    /// # Errors
    ///
    /// The setting could not be changed.
    fn set_search_path(&mut self, lock: &mut Self::Lock, schema: &str) -> Result<()> {
        let _ = (lock, schema);
        Ok(())
    }

    /// Turns foreign key enforcement off for the rest of the run, outside
    /// any transaction; `unlock` restores it. Does nothing by default.
    ///
    /// # Errors
    ///
    /// The setting could not be changed.
    fn foreign_keys_off(&mut self, lock: &mut Self::Lock) -> Result<()> {
        let _ = lock;
        Ok(())
    }

    /// The rows that violate a foreign key, one line each, checked before a
    /// commit after migrations that ran with foreign keys off; empty by
    /// default.
    ///
    /// # Errors
    ///
    /// The check could not run.
    fn foreign_key_violations(&mut self) -> Result<Vec<String>> {
        Ok(Vec::new())
    }
}
