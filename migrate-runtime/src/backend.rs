//! What a database must do for the executor, split into capabilities: the
//! lock ([`Locking`]), the session ([`Session`]: transactions and
//! statements), the history table ([`HistoryStore`]), reading another
//! tool's tables ([`Catalog`]), and what only some databases offer
//! ([`Backups`], [`SearchPath`], [`ForeignKeys`], [`LockWaits`]).
//! [`Backend`] gathers them.
//!
//! Every method is async. A blocking database (SQLite, `postgres::Client`)
//! implements them with futures that are ready when first polled, and the
//! blocking operations drive them on the calling thread (`ready.rs`): the
//! policy and the run loop are written once for both forms.

use std::future::Future;
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::time::Duration;

use crate::{
    Blocker, Checksum, DriverError, Error, Function, Migration, Result, Statement, TableName,
    Value, Version,
};

/// How long the migration lock lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockScope {
    /// From [`Locking::lock`] to [`Locking::unlock`], across transactions:
    /// for runs of several transactions or with statements outside one.
    Session,
    /// The run's one transaction, which taking the lock opens: for a run
    /// that is one transaction, on a backend that can (PostgreSQL, also
    /// through PgBouncer in transaction mode).
    Transaction,
}

/// One row of the history table: a migration applied to the database, or
/// one that failed part-way outside a transaction.
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
    /// Where it failed, part-way outside a transaction, until
    /// [`resolve`](crate::Migrator::resolve): the history table's `failure`
    /// column.
    pub failure: Option<String>,
}

impl AppliedMigration {
    /// A history row, as a [`HistoryStore`] reads it; `failure` is the
    /// `failure` column, `None` for a table from before that column (whose
    /// failures are read from the checksum column, where they were kept).
    pub fn new(
        version: Version,
        name: String,
        checksum: String,
        applied_at: String,
        execution_time: Duration,
        failure: Option<String>,
    ) -> AppliedMigration {
        let failure = failure.or_else(|| legacy_failure(&checksum));
        AppliedMigration {
            version,
            name,
            checksum,
            applied_at,
            execution_time,
            failure,
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
    /// Where the migration failed outside a transaction, part-way, until
    /// [`resolve`](crate::Migrator::resolve).
    pub failure: Option<String>,
}

/// How a table from before the `failure` column recorded a failure: in
/// the checksum's place, starting with this.
const LEGACY_FAILED: &str = "failed ";

/// The failure a table from before the `failure` column kept in the
/// checksum column, if `checksum` is one. The only reading of that form.
fn legacy_failure(checksum: &str) -> Option<String> {
    checksum
        .starts_with(LEGACY_FAILED)
        .then(|| checksum.to_owned())
}

impl AppliedVersion {
    /// A version and its recorded checksum, as a [`HistoryStore`] reads them.
    pub fn new(version: Version, checksum: Option<Checksum>) -> AppliedVersion {
        AppliedVersion {
            version,
            checksum,
            failure: None,
        }
    }

    /// A history row's version, checksum column and `failure` column
    /// (`None` when the table predates it).
    pub fn recorded(version: Version, checksum: &str, failure: Option<String>) -> AppliedVersion {
        AppliedVersion {
            version,
            checksum: Checksum::from_hex(checksum),
            failure: failure.or_else(|| legacy_failure(checksum)),
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

/// What a run asks of [`Locking::lock`].
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct LockRequest<'a> {
    /// The history table whose database (and, on PostgreSQL, schema) the
    /// lock covers.
    pub table: &'a TableName,
    /// How long to wait for another migrator to release it.
    pub timeout: Duration,
    /// How long the lock lasts.
    pub scope: LockScope,
    /// For a lock across transactions that cannot be tied to a session
    /// (PostgreSQL, also through a pooler): how long it outlives its
    /// holder's last sign of life.
    pub lease: Duration,
    /// The connection is a server session of the run's own, with no pooler
    /// in transaction mode between ([`Migrator::direct_connection`](crate::Migrator::direct_connection)).
    pub direct: bool,
    /// This run's identifier, unique among runs (32 hex digits): the token
    /// of a lease, known before it is written, so that a run dropped while
    /// writing it can still release it ([`Locking::abandon`]).
    pub run: &'a str,
}

/// The migration lock: taken before and released after the whole run,
/// across transactions, so that it covers `NoTransaction` migrations too.
pub trait Locking: Send {
    /// What [`lock`](Locking::lock) hands out and [`unlock`](Locking::unlock)
    /// takes back: the lock itself and any setting of the connection to
    /// restore afterwards.
    type Lock: Send;

    /// Takes the migration lock, waiting at most `request.timeout` for
    /// another migrator, and released by the operating system or the server
    /// if the process dies. With [`LockScope::Session`] it is held across
    /// transactions until [`unlock`](Locking::unlock); with
    /// [`LockScope::Transaction`] (only asked when
    /// [`takes_transaction_lock`](Locking::takes_transaction_lock) says so)
    /// it opens the run's one transaction and lasts until it ends.
    ///
    /// # Errors
    ///
    /// [`Error::Locked`](crate::Error::Locked) when the lock stayed taken.
    fn lock(&mut self, request: LockRequest<'_>)
    -> impl Future<Output = Result<Self::Lock>> + Send;

    /// Refuses a connection already inside a transaction that the run did
    /// not open (an application's, or one left by a dropped future of
    /// another library): the run would go on inside it, and its owner's
    /// `COMMIT` or `ROLLBACK` would decide the run's changes. Called
    /// before [`lock`](Locking::lock). `Ok` by default.
    ///
    /// # Errors
    ///
    /// [`Error::SessionInTransaction`](crate::Error::SessionInTransaction).
    fn outside_transaction(&mut self) -> impl Future<Output = Result<()>> + Send {
        std::future::ready(Ok(()))
    }

    /// The run's future was dropped (a timeout, `select!`, an aborted
    /// task) while it was taking, holding or releasing the lock (`lock`,
    /// once [`lock`](Locking::lock) has handed it out), or taking it
    /// failed: queues, without waiting, what ends the run's transaction,
    /// gives the session its own settings back and releases the lock
    /// (`run`'s lease, on `table`), so that whatever the connection sends
    /// next runs after it. Nothing by default: a blocking connection's run
    /// cannot be dropped part-way.
    fn abandon(&mut self, table: &TableName, run: &str, lock: Option<&Self::Lock>) {
        let _ = (table, run, lock);
    }

    /// Whether the backend can take a lock that lasts one transaction
    /// ([`LockScope::Transaction`]): the lock that works through a
    /// connection pooler in transaction mode. `false` by default.
    fn takes_transaction_lock(&self) -> bool {
        false
    }

    /// The history table as `lock` found it when taken: in the schema an
    /// unqualified name resolved to then (PostgreSQL's `current_schema()`),
    /// which every statement of the run's own names from then on, so that
    /// nothing a migration does to the session moves them. `None` by
    /// default: the table as asked.
    fn history_table<'l>(&self, lock: &'l Self::Lock) -> Option<&'l TableName> {
        let _ = lock;
        None
    }

    /// The token of `lock`'s lease, for a lock that is one (PostgreSQL's
    /// run across transactions): which run holds it, written into the mark
    /// of a migration outside a transaction. `None` by default.
    fn lease_token<'l>(&self, lock: &'l Self::Lock) -> Option<&'l str> {
        let _ = lock;
        None
    }

    /// When `error`, which stopped a run holding `lock`, means that the
    /// lock was lost meanwhile (PostgreSQL ended the session of a run
    /// paused inside a transaction longer than its lease), the error that
    /// says so. `None` by default.
    fn lost_lock(&self, lock: &Self::Lock, error: &Error) -> Option<Error> {
        let _ = (lock, error);
        None
    }

    /// Releases the lock and restores what it changed on the connection.
    /// Never fails: a lock that cannot be released explicitly is released
    /// when the connection or the process ends.
    fn unlock(&mut self, lock: Self::Lock) -> impl Future<Output = ()> + Send;
}

/// Transactions and statements, under the lock.
pub trait Session: Locking {
    /// Starts a transaction that takes the database's write lock.
    ///
    /// # Errors
    ///
    /// [`Error::Locked`](crate::Error::Locked) when another writer kept it;
    /// [`Error::LockLost`](crate::Error::LockLost) when the lock's lease
    /// was lost.
    fn begin(&mut self, lock: &mut Self::Lock) -> impl Future<Output = Result<()>> + Send;

    /// A migration's statements follow: what an earlier migration of the
    /// run changed in the session (PostgreSQL's `search_path`, time limits)
    /// is set back to the run's with the first of them. Nothing by default.
    fn starting_migration(&mut self, lock: &mut Self::Lock) {
        let _ = lock;
    }

    /// Commits the transaction.
    ///
    /// # Errors
    ///
    /// The commit failed; the transaction is rolled back.
    fn commit(&mut self, lock: &mut Self::Lock) -> impl Future<Output = Result<()>> + Send;

    /// Rolls the transaction back, if one is open. Never fails: a failed
    /// rollback leaves the transaction to be rolled back when the
    /// connection closes.
    fn rollback(&mut self, lock: &mut Self::Lock) -> impl Future<Output = ()> + Send;

    /// Runs one statement of a migration; with `limit`, the database stops
    /// it after that long (PostgreSQL's `statement_timeout`, SQLite's
    /// interrupt), and the session's own setting is given back. Outside a
    /// transaction, a backend whose lock is a lease renews it first.
    ///
    /// # Errors
    ///
    /// The driver's error, which the executor wraps with the migration's
    /// file, line and statement.
    fn execute(
        &mut self,
        lock: &mut Self::Lock,
        sql: &str,
        limit: Option<Duration>,
    ) -> impl Future<Output = Result<(), DriverError>> + Send;

    /// Whether [`call`](Session::call) runs `function` on this connection:
    /// a Rust migration written for it. None by default.
    fn can_call(&self, function: &Function) -> bool {
        let _ = function;
        false
    }

    /// Calls a Rust migration's function where [`execute`](Session::execute)
    /// would run a statement (in the open transaction, if any; under the
    /// same `limit`). A panic in it is its error.
    ///
    /// # Errors
    ///
    /// The function's error, or the panic's message; the executor wraps it
    /// with the migration's file and the function's line.
    fn call(
        &mut self,
        lock: &mut Self::Lock,
        function: Function,
        limit: Option<Duration>,
    ) -> impl Future<Output = Result<(), DriverError>> + Send {
        let _ = (lock, function, limit);
        async { Err::<(), DriverError>("this database runs no Rust migrations".into()) }
    }
}

/// The history table. Table names arrive as a [`TableName`], already
/// validated. Reads wait at most `wait` for another connection's lock
/// where the database makes readers wait (SQLite).
pub trait HistoryStore: Send {
    /// Reads the whole history table, sorted by version; empty when the
    /// table does not exist yet. For status displays.
    ///
    /// # Errors
    ///
    /// The table exists but cannot be read as a history table, or the
    /// database cannot be read.
    fn read_history(
        &mut self,
        table: &TableName,
        wait: Duration,
    ) -> impl Future<Output = Result<Vec<AppliedMigration>>> + Send;

    /// Reads the versions, checksums and failures of the history table,
    /// sorted by version; empty when the table does not exist yet. This is
    /// the one small read a start-up with nothing pending costs, so it is
    /// one query and reads no more than that.
    ///
    /// # Errors
    ///
    /// As [`read_history`](HistoryStore::read_history).
    fn read_applied(
        &mut self,
        table: &TableName,
        wait: Duration,
    ) -> impl Future<Output = Result<Vec<AppliedVersion>>> + Send;

    /// Creates the history table if it is missing, and adds the `failure`
    /// column to a table from before it (moving the failures recorded in
    /// the checksum column there); called inside the run's first
    /// transaction.
    ///
    /// # Errors
    ///
    /// The table could not be created.
    fn create_history(&mut self, table: &TableName) -> impl Future<Output = Result<()>> + Send;

    /// Records `migration` as applied, with the current UTC time: a new
    /// row, or the row [`record_failure`](HistoryStore::record_failure)
    /// wrote for it (never over an applied row).
    ///
    /// # Errors
    ///
    /// The row could not be written.
    fn insert_history(
        &mut self,
        table: &TableName,
        migration: &Migration,
        execution_time: Duration,
    ) -> impl Future<Output = Result<()>> + Send;

    /// Removes a migration from the history (after it was reverted).
    ///
    /// # Errors
    ///
    /// The row could not be removed.
    fn delete_history(
        &mut self,
        table: &TableName,
        version: Version,
    ) -> impl Future<Output = Result<()>> + Send;

    /// Records that `migration` did not finish outside a transaction: it
    /// is starting (written before its first statement, so that a run that
    /// dies leaves a mark), or it failed part-way. A history row with its
    /// checksum and, in its `failure` column, `failure`; an existing row of
    /// the version keeps all but its `failure`. Written outside any
    /// transaction (the driver has made sure the table is there). The next
    /// runs refuse the database until the row is resolved.
    ///
    /// # Errors
    ///
    /// The row could not be written.
    fn record_failure(
        &mut self,
        table: &TableName,
        migration: &Migration,
        failure: &str,
    ) -> impl Future<Output = Result<()>> + Send;

    /// Replaces the `failure` of `version`'s row, while it has one, with
    /// `progress`: where a migration outside a transaction got to, written
    /// after each of its statements. Never writes over an applied row.
    ///
    /// # Errors
    ///
    /// The row could not be written, or is no longer marked (another run
    /// finished or resolved the migration).
    fn record_progress(
        &mut self,
        table: &TableName,
        version: Version,
        progress: &str,
    ) -> impl Future<Output = Result<()>> + Send;

    /// Changes a history row's version from `from` to `to`: the migration
    /// applied under a timestamp that `migrate fix` renumbered.
    ///
    /// # Errors
    ///
    /// The row could not be changed.
    fn renumber_history(
        &mut self,
        table: &TableName,
        from: Version,
        to: Version,
    ) -> impl Future<Output = Result<()>> + Send;
}

/// Reading another tool's history table, for adoption.
pub trait Catalog: Send {
    /// The names of `table`'s columns, lowercase; `None` when the table
    /// does not exist.
    ///
    /// # Errors
    ///
    /// The database cannot be read.
    fn table_columns(
        &mut self,
        table: &TableName,
        wait: Duration,
    ) -> impl Future<Output = Result<Option<Vec<String>>>> + Send;

    /// Every row of `columns` of `table` (names [`table_columns`](Catalog::table_columns)
    /// listed), in no particular order.
    ///
    /// # Errors
    ///
    /// The table cannot be read.
    fn read_rows(
        &mut self,
        table: &TableName,
        columns: &[&str],
        wait: Duration,
    ) -> impl Future<Output = Result<Vec<Vec<Value>>>> + Send;
}

/// Backups before a run's first change (SQLite's file copy).
pub trait Backups: Send {
    /// Writes a consistent copy of the database before the first change of
    /// a run that starts at version `from`; `None` when there is nothing to
    /// lose (an in-memory database, an empty file).
    ///
    /// # Errors
    ///
    /// [`Error::Backup`](crate::Error::Backup) when the copy failed.
    fn write_backup(
        &mut self,
        settings: &BackupSettings,
        from: Option<Version>,
    ) -> impl Future<Output = Result<Option<PathBuf>>> + Send;
}

/// A search path: the schema unqualified names resolve to (PostgreSQL's
/// `search_path`), under lock `L`.
pub trait SearchPath<L>: Send {
    /// Makes `schema` the one unqualified names resolve to until the
    /// unlock, which restores the session's own.
    ///
    /// # Errors
    ///
    /// The setting could not be changed.
    fn set_search_path(
        &mut self,
        lock: &mut L,
        schema: &str,
    ) -> impl Future<Output = Result<()>> + Send;
}

/// Foreign key enforcement that can be turned off for a run (SQLite's
/// `PRAGMA foreign_keys`, which cannot change inside a transaction), under
/// lock `L`.
pub trait ForeignKeys<L>: Send {
    /// Turns enforcement off, outside any transaction, for the migration
    /// that asks; [`foreign_keys_on`](ForeignKeys::foreign_keys_on) after
    /// it, and the unlock on every path, restore it.
    ///
    /// # Errors
    ///
    /// The setting could not be changed.
    fn foreign_keys_off(&mut self, lock: &mut L) -> impl Future<Output = Result<()>> + Send;

    /// Turns enforcement back on, outside any transaction, if
    /// [`foreign_keys_off`](ForeignKeys::foreign_keys_off) turned it off.
    ///
    /// # Errors
    ///
    /// The setting could not be changed.
    fn foreign_keys_on(&mut self, lock: &mut L) -> impl Future<Output = Result<()>> + Send;

    /// The rows that violate a foreign key, one line each, checked before a
    /// commit after migrations that ran with foreign keys off.
    ///
    /// # Errors
    ///
    /// The check could not run.
    fn foreign_key_violations(&mut self) -> impl Future<Output = Result<Vec<String>>> + Send;
}

/// Statements that wait a bounded time for a lock (PostgreSQL's
/// `lock_timeout`), under lock `L`: what lets a run roll an attempt back
/// and try again instead of stalling the traffic that queues behind it.
pub trait LockWaits<L>: Send {
    /// Makes each statement from now on wait at most `limit` for a lock on
    /// a table or a row (zero: without limit), until the transaction ends
    /// or the unlock restores the session's own setting.
    ///
    /// # Errors
    ///
    /// The setting could not be changed.
    fn set_lock_timeout(
        &mut self,
        lock: &mut L,
        limit: Duration,
    ) -> impl Future<Output = Result<()>> + Send;

    /// Whether `error`, a statement's, says that its wait for a lock ran out.
    fn is_lock_timeout(&self, error: &DriverError) -> bool;

    /// The sessions whose open transactions hold locks on the tables
    /// `statement` names, longest open first; empty when none or when they
    /// cannot be read. Called outside any transaction of the run.
    fn blockers(&mut self, statement: &str) -> impl Future<Output = Vec<Blocker>> + Send;

    /// Waits `pause` before the next attempt: a blocking client blocks its
    /// thread, an async one yields to its runtime.
    fn pause(&mut self, pause: Duration) -> impl Future<Output = ()> + Send;
}

/// A database the migrations run on: the capabilities every database has,
/// and the optional ones this one offers. Implemented for
/// [`rusqlite::Connection`](https://docs.rs/rusqlite), `postgres::Client`
/// and `tokio_postgres::Client`; a third database implements [`Locking`],
/// [`Session`], [`HistoryStore`] and [`Catalog`], then this trait with
/// `kind` and whichever optional capability it has.
///
/// Every operation has a blocking form (`run`) and an async one
/// (`run_async`) over any `Backend`: a blocking database's futures are
/// ready when first polled, and an async client's are awaited.
pub trait Backend: Session + HistoryStore + Catalog {
    /// The statements that end the open transaction by themselves on this
    /// database (MySQL's implicit commit of a schema change), if any: a
    /// migration that runs one runs outside a transaction, each statement
    /// recorded as done, and the history table is created before the
    /// run's first transaction. `None` (the default): a transaction holds
    /// every statement.
    const IMPLICIT_COMMIT: Option<fn(&Statement) -> bool> = None;

    /// How this database quotes a table's name in the run's own
    /// statements: [`TableName::quoted`] (`"name"`) by default.
    const QUOTE: fn(&TableName) -> String = TableName::quoted;

    /// What kind of database this is, for logs: `sqlite`, `postgresql`.
    fn kind(&self) -> &'static str;

    /// The backups this database writes; `None` (the default) when it
    /// keeps none.
    fn backups(&mut self) -> Option<&mut impl Backups> {
        None::<&mut Unsupported>
    }

    /// The search path of this database; `None` (the default) when it has
    /// none, and a schema set with [`Migrator::schema`](crate::Migrator::schema)
    /// then only qualifies the history table.
    fn search_path(&mut self) -> Option<&mut impl SearchPath<Self::Lock>> {
        None::<&mut Unsupported>
    }

    /// Foreign key enforcement that a migration can ask to be off; `None`
    /// (the default) when the database has no such switch.
    fn foreign_keys(&mut self) -> Option<&mut impl ForeignKeys<Self::Lock>> {
        None::<&mut Unsupported>
    }

    /// Lock waits this database bounds per statement; `None` (the
    /// default) when a statement waits for a lock as the database makes it
    /// (SQLite: its one write lock, taken at the start of each transaction
    /// within the busy timeout).
    fn lock_waits(&mut self) -> Option<&mut impl LockWaits<Self::Lock>> {
        None::<&mut Unsupported>
    }

    /// Runs `statement`, one of a migration outside a transaction, as
    /// [`execute`](Session::execute) does, then writes `record` as
    /// [`record_progress`](HistoryStore::record_progress) does. A database
    /// that can commits the two together, so that the record is exact
    /// after a kill: either both are done or neither. By default (and for
    /// a statement that cannot run in a transaction) one after the other.
    ///
    /// # Errors
    ///
    /// The outer error: writing the record failed (the statement may be
    /// done). The inner one: the statement failed, the driver's error, and
    /// nothing was recorded.
    fn execute_recorded(
        &mut self,
        lock: &mut Self::Lock,
        statement: &Statement,
        limit: Option<Duration>,
        record: ProgressRecord<'_>,
    ) -> impl Future<Output = Result<Result<(), DriverError>>> + Send {
        async move {
            if let Err(error) = self.execute(lock, statement.sql(), limit).await {
                return Ok(Err(error));
            }
            self.record_progress(record.table, record.version, record.progress)
                .await
                .map(Ok)
        }
    }
}

/// The record that a migration outside a transaction has its first
/// statements done, written after one of them
/// ([`Backend::execute_recorded`]).
#[derive(Debug, Clone, Copy)]
pub struct ProgressRecord<'a> {
    /// The history table.
    pub table: &'a TableName,
    /// The migration's version, whose row is marked.
    pub version: Version,
    /// What the row says once the statement is done, as
    /// [`HistoryStore::record_progress`] writes it.
    pub progress: &'a str,
}

/// The optional capability a backend does not offer: a type with no value.
#[derive(Debug)]
pub enum Unsupported {}

impl Backups for Unsupported {
    async fn write_backup(
        &mut self,
        _: &BackupSettings,
        _: Option<Version>,
    ) -> Result<Option<PathBuf>> {
        match *self {}
    }
}

impl<L: Send> SearchPath<L> for Unsupported {
    async fn set_search_path(&mut self, _: &mut L, _: &str) -> Result<()> {
        match *self {}
    }
}

impl<L: Send> LockWaits<L> for Unsupported {
    async fn set_lock_timeout(&mut self, _: &mut L, _: Duration) -> Result<()> {
        match *self {}
    }

    fn is_lock_timeout(&self, _: &DriverError) -> bool {
        match *self {}
    }

    async fn blockers(&mut self, _: &str) -> Vec<Blocker> {
        match *self {}
    }

    async fn pause(&mut self, _: Duration) {
        match *self {}
    }
}

impl<L: Send> ForeignKeys<L> for Unsupported {
    async fn foreign_keys_off(&mut self, _: &mut L) -> Result<()> {
        match *self {}
    }

    async fn foreign_keys_on(&mut self, _: &mut L) -> Result<()> {
        match *self {}
    }

    async fn foreign_key_violations(&mut self) -> Result<Vec<String>> {
        match *self {}
    }
}
