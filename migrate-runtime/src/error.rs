//! The one error type of the runtime: a variant per situation, each with what
//! a person needs to act on it.

use std::path::PathBuf;
use std::time::Duration;

use migrate_core::{Library, Remedy, Worded, Wording};

use crate::lock_wait::{Blocker, LockWait, seconds};
use crate::{AdoptProblem, Checksum, Tool, Version};

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An error of the underlying database driver, boxed so that the error type
/// does not depend on which backend is in use.
pub type DriverError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything that can stop a migration run. Every refusal is raised before
/// anything is changed; every failure leaves the database as it was before
/// the transaction it happened in.
///
/// Each message is one line, with the driver's message in it once: the
/// driver's own error is kept in a `driver` field, not repeated as
/// [`source`](std::error::Error::source).
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The database holds a version this binary does not embed.
    #[non_exhaustive]
    UnknownVersion {
        /// The version applied in the database that no embedded migration has.
        applied: Version,
        /// The newest version this binary embeds.
        known: Option<Version>,
    },

    /// An applied migration's file was changed after it was applied.
    #[non_exhaustive]
    ChecksumMismatch {
        /// The version.
        version: Version,
        /// The migration file.
        path: String,
        /// The checksum recorded when it was applied.
        applied: String,
        /// The checksum of the file embedded now.
        embedded: Checksum,
    },

    /// A pending migration is older than the newest applied one.
    #[non_exhaustive]
    OutOfOrder {
        /// The pending migration's version.
        version: Version,
        /// Its file.
        path: String,
        /// The newest applied version.
        latest: Version,
    },

    /// A revert would have to undo a migration without a Down section.
    #[non_exhaustive]
    Irreversible {
        /// The irreversible migration's version.
        version: Version,
        /// Its file.
        path: String,
    },

    /// A target version that no embedded migration has.
    #[non_exhaustive]
    NoSuchVersion {
        /// The version asked for.
        version: Version,
        /// The environment selected.
        environment: Option<String>,
    },

    /// An `up` target below the current version.
    #[non_exhaustive]
    TargetBelowCurrent {
        /// The newest applied version.
        current: Version,
        /// The target asked for.
        target: Version,
    },

    /// `baseline` below the newest applied version.
    #[non_exhaustive]
    BaselineBelowCurrent {
        /// The newest applied version.
        current: Version,
        /// The baseline asked for.
        target: Version,
    },

    /// A `to(…)` target was set for an operation it has no meaning for.
    TargetNotUsed {
        /// The operation called.
        operation: &'static str,
    },

    /// A statement of a migration failed.
    #[non_exhaustive]
    MigrationFailed {
        /// The migration's version.
        version: Version,
        /// The file holding the statement.
        path: String,
        /// The 1-based line in that file: the statement's, or the line of
        /// the error within it where the server says where (PostgreSQL).
        line: u32,
        /// The 1-based column of the error on that line, where the server
        /// says where.
        column: Option<u32>,
        /// The statement.
        statement: String,
        /// Whether the failing migration's own changes were rolled back
        /// (`false` for a `NoTransaction` migration: the statements before
        /// the failing one stay applied).
        rolled_back: bool,
        /// The migration ran outside a transaction and its first statement
        /// failed, changing nothing (one statement is all or nothing): it
        /// is not recorded as failed and stays pending.
        left_nothing: bool,
        /// The migrations this run committed before the failure (with
        /// `per_migration()`, or before a `NoTransaction` migration); they
        /// stay applied.
        committed: Vec<Version>,
        /// For a migration that opens its own transaction: the line of its
        /// `BEGIN` when the statement failed inside it. That transaction was
        /// rolled back, so what ran from that line on is undone.
        own_transaction: Option<u32>,
        /// The driver's error.
        #[source]
        driver: DriverError,
    },

    /// A statement was stopped at the migration's or the run's time limit.
    #[non_exhaustive]
    TimedOut {
        /// The migration's version.
        version: Version,
        /// The file holding the statement.
        path: String,
        /// The statement's line in that file.
        line: u32,
        /// The statement.
        statement: String,
        /// The limit that stopped it.
        limit: Duration,
        /// Whether the migration's own changes were rolled back.
        rolled_back: bool,
        /// The migration ran outside a transaction and its first statement
        /// failed, changing nothing (one statement is all or nothing): it
        /// is not recorded as failed and stays pending.
        left_nothing: bool,
        /// The migrations this run committed before it; they stay applied.
        committed: Vec<Version>,
        /// The driver's error (the cancellation).
        #[source]
        driver: DriverError,
    },

    /// A migration's statement waited for a lock (on a table, a row) as
    /// long as each attempt may, on every attempt, until the run's wait was
    /// spent (PostgreSQL). Each attempt that timed out was rolled back and
    /// tried again after a pause, so that the queries queued behind it ran.
    #[non_exhaustive]
    LockTimeout {
        /// The migration's version.
        version: Version,
        /// The file holding the statement.
        path: String,
        /// The statement's line in that file.
        line: u32,
        /// The statement.
        statement: String,
        /// How long it waited, and who was in the way.
        wait: Box<LockWait>,
        /// Whether the migration's own changes were rolled back.
        rolled_back: bool,
        /// The migration ran outside a transaction and its first statement
        /// failed, changing nothing (one statement is all or nothing): it
        /// is not recorded as failed and stays pending.
        left_nothing: bool,
        /// The migrations this run committed before it; they stay applied.
        committed: Vec<Version>,
        /// The driver's error (the last lock timeout).
        #[source]
        driver: DriverError,
    },

    /// `PRAGMA foreign_key_check` found violations after migrations that ran
    /// with foreign keys off; the transaction was rolled back.
    #[non_exhaustive]
    ForeignKeyViolations {
        /// The migration after which the check ran.
        version: Version,
        /// Its file.
        path: String,
        /// One line per violating row: table, rowid, referenced table.
        violations: Vec<String>,
        /// Whether the migration was rolled back (`false`: it ran outside
        /// a transaction, its statements stay, and it is recorded as
        /// failed until resolved).
        rolled_back: bool,
    },

    /// Another connection held the database lock, or another migrator the
    /// migration lock, longer than the wait allowed.
    #[non_exhaustive]
    Locked {
        /// How long this run waited.
        waited: Duration,
        /// Who holds the lock, where the database can tell (PostgreSQL).
        holder: Option<Box<LockHolder>>,
    },

    /// The lease of the migration lock of a run across transactions
    /// (PostgreSQL) ran out before this run renewed it, and another
    /// migrator may have taken the lock: the run stopped before its next
    /// change.
    #[non_exhaustive]
    LockLost {
        /// The lease the run held.
        lease: Duration,
    },

    /// The history table records a version twice (a table without a primary key).
    #[non_exhaustive]
    DuplicateHistoryRow {
        /// The version recorded twice.
        version: Version,
    },

    /// A history row whose version no migration can have.
    #[non_exhaustive]
    BadHistoryRow {
        /// The table.
        table: String,
        /// The version as stored.
        version: i64,
    },

    /// The file is not an SQLite database.
    #[non_exhaustive]
    NotADatabase {
        /// SQLite's message.
        message: String,
    },

    /// The database file is damaged (truncated, overwritten).
    #[non_exhaustive]
    CorruptDatabase {
        /// SQLite's message.
        message: String,
    },

    /// The database file, or a file SQLite or the lock keeps beside it
    /// (journal, lock file), cannot be opened or created.
    #[non_exhaustive]
    CannotOpen {
        /// SQLite's or the operating system's message.
        message: String,
    },

    /// The database is open read-only, so it cannot be migrated.
    ReadOnly,

    /// The history table name is not a plain identifier.
    InvalidTableName(String),

    /// The schema given to the run is not a plain identifier.
    InvalidSchemaName(String),

    /// The history table exists but does not have the expected columns.
    #[non_exhaustive]
    InvalidHistory {
        /// The table.
        table: String,
        /// What was wrong.
        message: String,
    },

    /// The backup before migrating failed; nothing was migrated.
    #[non_exhaustive]
    Backup {
        /// The backup file.
        path: PathBuf,
        /// The error.
        #[source]
        driver: DriverError,
    },

    /// Another tool migrated this database and this crate's history is
    /// empty or missing: running would apply that tool's migrations again.
    #[non_exhaustive]
    ForeignHistory {
        /// The tool.
        tool: Tool,
        /// Its history table.
        table: String,
        /// The newest version it applied.
        reached: Option<Version>,
        /// Whether its table has the name this run uses for its own history.
        shares_table: bool,
    },

    /// Another tool's history cannot be adopted; nothing was changed.
    #[non_exhaustive]
    CannotAdopt {
        /// The tool.
        tool: Tool,
        /// Why.
        problem: AdoptProblem,
    },

    /// A Rust migration this program does not carry compiled: the set was
    /// read at run time ([`Migrations::from_set`](crate::Migrations::from_set)).
    /// Refused before anything runs.
    #[non_exhaustive]
    RustMigrationNotCompiled {
        /// Its file.
        path: String,
    },

    /// A Rust migration written for another connection than the run's
    /// (a `postgres::Transaction` function run on SQLite, a blocking one
    /// with the `*_async` methods). Refused before anything runs.
    #[non_exhaustive]
    RustMigrationDriver {
        /// Its file.
        path: String,
        /// The connection its function takes, as a user names it.
        written_for: &'static str,
        /// The database of the run (`sqlite`, `postgres`).
        backend: &'static str,
    },

    /// A migration failed outside a transaction, part-way, in an earlier
    /// run: the database holds part of it. Nothing runs until it is resolved.
    #[non_exhaustive]
    UnresolvedFailure {
        /// The version.
        version: Version,
        /// Its file.
        path: String,
        /// What was recorded: `failed at statement k of n (file:line): …`.
        failure: String,
        /// Whether its revert (its Down) was under way, not its apply.
        reverting: bool,
    },

    /// A Rust migration's function ended the run's transaction itself (ran
    /// `COMMIT` or `ROLLBACK`, or a statement whose conflict clause rolls
    /// back): the run stopped there, and wrote no history row outside its
    /// transaction.
    #[non_exhaustive]
    TransactionEnded {
        /// The migration's version.
        version: Version,
        /// Its file.
        path: String,
        /// Whether the transaction was committed (`Some(true)`), rolled
        /// back (`Some(false)`), or the database cannot tell (`None`).
        committed: Option<bool>,
        /// The migrations committed before that transaction, in order.
        before: Vec<Version>,
    },

    /// The connection given to the run is inside a transaction the run did
    /// not open. Refused before any change: the run would go on inside it,
    /// and that transaction's `COMMIT` or `ROLLBACK` would decide the
    /// run's changes.
    SessionInTransaction,

    /// A blocking operation was given an async client on the thread of a
    /// current-thread async runtime, whose connection cannot make
    /// progress while that thread waits. Refused before any change.
    BlockingOnAsyncRuntime,

    /// `resolve` of a version that is not recorded as failed.
    #[non_exhaustive]
    NotFailed {
        /// The version.
        version: Version,
    },

    /// No other tool's history to adopt.
    #[non_exhaustive]
    NothingToAdopt {
        /// The tool asked for, if one was.
        tool: Option<Tool>,
        /// The newest version of this project's own history, when the
        /// database has one: it is migrated here already.
        ours_at: Option<Version>,
    },

    /// refinery cannot take a migration (`Migrations::refinery_runner`).
    #[non_exhaustive]
    Refinery {
        /// The migration's file.
        path: String,
        /// refinery's message.
        message: String,
    },

    /// Any other database error, with what was being done.
    #[non_exhaustive]
    Database {
        /// What the runtime was doing.
        action: &'static str,
        /// The driver's error.
        #[source]
        driver: DriverError,
    },
}

impl Error {
    /// The error with its remedy in `wording`'s words (the command line's
    /// flags, say); [`Display`](std::fmt::Display) uses [`Library`]'s
    /// (methods of [`Migrator`](crate::Migrator)).
    pub fn worded<'a>(&'a self, wording: &'a dyn Wording) -> Worded<'a, Error> {
        Worded::new(self, wording, write)
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write(self, f, &Library)
    }
}

/// Writes `error` with its remedies in `w`'s words.
#[allow(clippy::too_many_lines)]
fn write(error: &Error, f: &mut std::fmt::Formatter<'_>, w: &dyn Wording) -> std::fmt::Result {
    match error {
            // A version below the newest embedded one: its file is gone.
            Error::UnknownVersion { applied, known: Some(known) } if applied < known => write!(
                f,
                "version {applied} is applied in the database, but {} has no migration {applied} \
         (it has migrations up to {known}): its file was removed or renamed; restore it, since \
         an applied migration stays in the set",
                w.embedded()
            ),
            Error::UnknownVersion { applied, known } => write!(
                f,
                "the database is at version {applied}, {} has {}: a newer release migrated it; {}",
                w.embedded(),
                match known { Some(v) => format!("migrations up to {v}"), None => "no migration".to_owned() },
                w.remedy(Remedy::NewerRelease)
            ),
            Error::ChecksumMismatch { version, path, applied, embedded } => write!(
                f,
                "{path} was edited after it was applied (version {version}: checksum {applied} in the database, \
         {embedded} in {}); restore the file, and put the change in a new migration",
                w.embedded()
            ),
            Error::OutOfOrder { version, path, latest } => write!(
                f,
                "{path} (version {version}) is pending but the database is already at version {latest}; \
         give it a version after {latest} (`migrate fix` renumbers), or allow out-of-order migrations with {}",
                w.remedy(Remedy::AllowOutOfOrder)
            ),
            Error::Irreversible { version, path } => write!(
                f,
                "{path} (version {version}) is irreversible, so the database cannot be reverted past it; \
         nothing was changed"
            ),
            Error::NoSuchVersion { version, environment } => write!(
                f,
                "no migration has version {version}{}; use one of the versions {} has ({} lists them)",
                match environment {
                    Some(env) => format!(" in the base set or environment `{env}`"),
                    None => String::new(),
                },
                w.embedded(),
                w.remedy(Remedy::Status)
            ),
            Error::TargetBelowCurrent { current, target } => write!(
                f,
                "the database is at version {current}, above the target {target}; \
         revert with {} to go down",
                w.remedy(Remedy::DownTo)
            ),
            Error::BaselineBelowCurrent { current, target } => write!(
                f,
                "cannot baseline at version {target}: version {current} is already applied; \
         a baseline marks versions as applied, it does not revert"
            ),
            Error::TargetNotUsed { operation } => write!(
                f,
                "{} has no meaning for `{operation}`; remove it, or revert to a version with {}",
                w.remedy(Remedy::Target),
                w.remedy(Remedy::DownTo)
            ),
            Error::MigrationFailed { version, path, line, column, rolled_back, left_nothing, committed, own_transaction, driver, .. } => write!(
                f,
                "{path}:{line}{}: {}; {}",
        match column { Some(column) => format!(":{column}"), None => String::new() },
        match driver.downcast_ref::<SettingsRefused>() {
            Some(refused) => refused.worded(w),
            None => driver.to_string(),
        },
        match own_transaction {
            Some(begin) => own_outcome(*begin, *version, committed, w),
            None => outcome((*rolled_back, *left_nothing), *version, committed, w),
        }
            ),
            Error::TimedOut { version, path, line, limit, rolled_back, left_nothing, committed, driver, .. } => write!(
                f,
                "{path}:{line}: the migration was stopped at its time limit of {limit:?} \
         (`-- +migrate Timeout` in its file, or {}): {driver}; {}",
                w.remedy(Remedy::TimeLimits),
        outcome((*rolled_back, *left_nothing), *version, committed, w)
            ),
            Error::LockTimeout {
                version,
                path,
                line,
                wait,
                rolled_back,
                left_nothing,
                committed,
                ..
            } => write!(
                f,
                "{path}:{line}: the statement waited for a lock {} times, each time for {} \
         (`-- +migrate LockTimeout` in its file, or {}), over {} (the run's wait, {}), and did \
         not get it; {}; {}; end those sessions or wait for them to finish, then {}",
                wait.attempts,
                seconds(wait.lock_timeout),
                w.remedy(Remedy::LockTimeout),
                seconds(wait.spent),
                w.remedy(Remedy::BusyTimeout),
                blocked_by(&wait.blockers),
                outcome((*rolled_back, *left_nothing), *version, committed, w),
                // Part of it stays applied: resolved first, or the next run refuses.
                if *rolled_back || *left_nothing {
                    "run again"
                } else {
                    "resolve it as above and run again"
                }
            ),
            Error::ForeignKeyViolations { version, path, violations, rolled_back: true } => write!(
                f,
                "foreign key violations after {path} (version {version}), rolled back: {}",
        violations.join("; ")
            ),
            Error::ForeignKeyViolations { version, path, violations, rolled_back: false } => write!(
                f,
                "foreign key violations after {path} (version {version}): {}; it ran outside a \
         transaction, so its statements stay applied, and it is recorded as failed until it \
         is resolved ({})",
        violations.join("; "),
                w.remedy(Remedy::Resolve(*version))
            ),
            Error::Locked { waited, holder } => write!(
                f,
                "the database is locked by another {} and stayed locked for {:.1} s{}; \
         wait for the other migrator or process to finish, or raise the wait with {}",
        if holder.is_some() { "migrator" } else { "connection" },
        waited.as_secs_f64(),
        match holder { Some(holder) => format!(" ({holder})"), None => String::new() },
                w.remedy(Remedy::BusyTimeout)
            ),
            Error::LockLost { lease } => write!(
                f,
                "the migration lock's lease ({lease:?}) ran out while this run was paused longer than that, and \
         another migrator may have taken the lock; this run stopped before its next change (what it \
         committed before stays); run again, or give the lock a longer lease with {}",
                w.remedy(Remedy::LockLease)
            ),
            Error::DuplicateHistoryRow { version } => write!(
                f,
                "the history table records version {version} more than once; delete the duplicate row by hand"
            ),
            Error::BadHistoryRow { table, version } => write!(
                f,
                "the history table `{table}` holds version {version}, which is not a migration version; fix or delete that row by hand"
            ),
            Error::NotADatabase { message } => write!(
                f,
                "the database file is not an SQLite database ({message}); check the path, and that the file is not encrypted; nothing was changed"
            ),
            Error::CorruptDatabase { message } => write!(
                f,
                "the database file is damaged ({message}); nothing was changed; restore it from a backup (`<database>.backup-v…` beside it, unless backups were off)"
            ),
            Error::CannotOpen { message } => write!(
                f,
                "cannot open or create the database file or a file beside it ({message}); nothing was changed; check that its folder exists and is writable by this user"
            ),
            Error::ReadOnly => write!(
                f,
                "the database is read-only (its file is not writable by this user, or the connection was opened read-only), so it cannot be migrated; nothing was changed and no backup was written"
            ),
            Error::InvalidTableName(value) => write!(
                f,
                "history table name `{value}` must be letters, digits and `_`, not starting with a digit"
            ),
            Error::InvalidSchemaName(value) => write!(
                f,
                "schema name `{value}` must be letters, digits and `_`, not starting with a digit"
            ),
            Error::InvalidHistory { table, message } => write!(
                f,
                "table `{table}` does not look like a migration history table ({message}); \
         choose another table name with {}",
                w.remedy(Remedy::ChooseTable)
            ),
            Error::Backup { path, driver } => write!(
                f,
                "backup to {} failed, nothing was migrated: {driver}; write backups into another folder with \
         {}, or migrate without one with {}",
        path.display(),
                w.remedy(Remedy::BackupDir),
                w.remedy(Remedy::NoBackup)
            ),
            Error::ForeignHistory { tool, table, reached, shares_table } => write!(
                f,
                "this database was migrated by {tool} (table `{table}`, {}); nothing was run; \
         adopt its history first with {}{}",
        match reached { Some(v) => format!("version {v}"), None => "no version yet".to_owned() },
                w.remedy(Remedy::Adopt),
        if *shares_table { " (its table is then kept under a new name)" } else { "" }
            ),
            Error::CannotAdopt { tool, problem } => write!(
                f,
                "cannot adopt {tool}'s history: {}; nothing was changed",
                problem.worded(w)
            ),
            Error::RustMigrationNotCompiled { path } => write!(
                f,
                "{path} is a Rust migration, and this set was read at run time, where Rust \
         cannot be compiled; nothing was changed: {}",
                w.remedy(Remedy::RunRustMigrations)
            ),
            Error::RustMigrationDriver { path, written_for, backend } => write!(
                f,
                "{path} is a Rust migration written for {written_for}, and this run is on a \
         {backend} connection; nothing was changed: run the set with the connection its \
         functions take, or change the function's parameter"
            ),
            Error::UnresolvedFailure { version, path, failure, reverting: false } => write!(
                f,
                "nothing ran: the history records that {path} (version {version}) {failure}; what \
         ran of it stays applied, so nothing runs \
         until it is resolved: fix the database by hand, then mark the migration with \
         {} if you completed it, or {} if you undid it",
                w.remedy(Remedy::ResolveApplied(*version)),
                w.remedy(Remedy::ResolvePending(*version))
            ),
            Error::UnresolvedFailure { version, path, failure, reverting: true } => write!(
                f,
                "nothing ran: the history records that {path} (version {version}) {failure}; what \
         ran of its revert stays done, so \
         nothing runs until it is resolved: fix the database by hand, then mark the migration \
         with {} if you completed the revert, or {} if you restored what it had undone",
                w.remedy(Remedy::ResolvePending(*version)),
                w.remedy(Remedy::ResolveApplied(*version))
            ),
            Error::TransactionEnded { version, path, committed, before } => write!(
                f,
                "{path} (version {version}): its function ended the run's transaction itself \
         (COMMIT, ROLLBACK, or a statement whose conflict clause rolls back), so the run \
         stopped and recorded nothing more: {}{}",
                match committed {
                    Some(false) => "the transaction was rolled back, so nothing of it is applied \
                         or recorded"
                        .to_owned(),
                    Some(true) => format!(
                        "the transaction was committed without its history rows, so the database \
                         holds changes of this migration (up to where its function ended it) and \
                         of any migration before it in that transaction, which the history does \
                         not record: restore a backup, or undo them by hand; {} shows what is \
                         recorded",
                        w.remedy(Remedy::Status)
                    ),
                    None => format!(
                        "whether it was committed or rolled back cannot be told, so the database \
                         may hold changes the history does not record; {} shows what is recorded",
                        w.remedy(Remedy::Status)
                    ),
                },
                match before.as_slice() {
                    [] => String::new(),
                    [one] => format!("; migration {one} was committed before it and stays applied"),
                    [first, .., last] => format!(
                        "; migrations {first} to {last} were committed before it and stay applied"
                    ),
                }
            ),
            Error::SessionInTransaction => f.write_str(
                "the connection is inside a transaction that this run did not open; nothing \
         was changed: end it (COMMIT or ROLLBACK) before migrating, or give the run a \
         connection of its own",
            ),
            Error::BlockingOnAsyncRuntime => f.write_str(
                "a blocking operation was given an async client on a current-thread async \
         runtime, where the client's connection cannot make progress while the operation \
         waits; nothing was changed: await the `_async` form of the operation instead",
            ),
            Error::NotFailed { version } => write!(
                f,
                "version {version} is not recorded as failed, so there is nothing to resolve; {} shows each migration's state",
                w.remedy(Remedy::Status)
            ),
            Error::NothingToAdopt { tool, ours_at } => write!(
                f,
                "nothing to adopt: {}; nothing was changed{}",
        match tool { Some(tool) => format!("no migration applied by {tool} is recorded in this database (table `{}`)", tool.table()),
                      None => "no history of goose, golang-migrate, sqlx, refinery, diesel or SuperChat is in this database".to_owned() },
        match ours_at {
            Some(version) => format!(
                "; the database is migrated here already (its history is at version {version}): {} shows it",
                w.remedy(Remedy::Status)
            ),
            None => String::new(),
        }
            ),
            Error::Refinery { path, message } => write!(
                f,
                "{path}: refinery cannot run this migration: {message}"
            ),
            Error::Database { action, driver } => write!(
                f,
                "{action}: {driver}"
            ),
    }
}

/// The sentence, as [`Display`](std::fmt::Display) writes it, and for a
/// failed statement the statement on the next line: what `main` prints when
/// it returns this error (`Error: …`), and what `{:?}` shows in logs.
impl std::fmt::Debug for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)?;
        if let Error::MigrationFailed { statement, .. } = self {
            write!(f, "\n  in statement: {statement}")?;
        }
        Ok(())
    }
}

/// Why a statement outside a transaction that the database refuses inside
/// a transaction block (PostgreSQL's `CREATE INDEX CONCURRENTLY`, `VACUUM`
/// …) was not sent: it needs the run's schema or a time limit, and without
/// a transaction of its own it can carry neither through a pooler in
/// transaction mode (the source of an [`Error::MigrationFailed`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SettingsRefused {
    /// The run's schema, which the statement's unqualified names would mean.
    pub schema: Option<String>,
    /// The time limit the statement would run under.
    pub limit: Option<std::time::Duration>,
}

/// What a Rust migration's function did to the run's transaction, found
/// when it returned (the source a backend gives; the run reports it as
/// [`Error::TransactionEnded`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct TransactionEnded {
    /// Committed (`Some(true)`), rolled back (`Some(false)`), or unknown.
    pub committed: Option<bool>,
}

impl std::fmt::Display for TransactionEnded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the function ended the run's transaction")
    }
}

impl std::error::Error for TransactionEnded {}

impl TransactionEnded {
    /// The transaction ended, committed or not.
    pub fn new(committed: Option<bool>) -> TransactionEnded {
        TransactionEnded { committed }
    }
}

impl SettingsRefused {
    #[cfg_attr(
        not(any(
            feature = "postgres",
            feature = "tokio-postgres",
            feature = "sqlx-postgres"
        )),
        allow(dead_code)
    )]
    pub(crate) fn new(schema: Option<String>, limit: Option<std::time::Duration>) -> Self {
        SettingsRefused { schema, limit }
    }

    /// The reason with its remedy in `w`'s words.
    fn worded(&self, w: &dyn Wording) -> String {
        let needs = match (&self.schema, self.limit) {
            (Some(schema), Some(limit)) => {
                format!("the schema `{schema}` nor the time limit of {limit:?}")
            }
            (Some(schema), None) => format!("the schema `{schema}`"),
            (None, Some(limit)) => format!("the time limit of {limit:?}"),
            (None, None) => "the run's settings".to_owned(),
        };
        format!(
            "this statement cannot run inside a transaction block, so it cannot carry {needs} \
             through a pooler in transaction mode, and it was not sent: on a connection straight \
             to the server (no pooler), say so with {}; through a pooler, write the schema into \
             its names and run it without a time limit",
            w.remedy(Remedy::DirectConnection)
        )
    }
}

impl std::fmt::Display for SettingsRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.worded(&Library))
    }
}

impl std::error::Error for SettingsRefused {}

/// The session that holds the migration lock, as the server reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LockHolder {
    /// The server process of the holding session; for a lease (a run
    /// across transactions), the holder's own process id.
    pub pid: i32,
    /// Its `application_name` (empty when it set none).
    pub application_name: String,
    /// Its client address; `None` for a Unix socket.
    pub client_addr: Option<String>,
    /// When its session started, as the server writes it; for a lease,
    /// when the lease was taken.
    pub since: String,
    /// For a lease (a run across transactions): when it runs out unless
    /// the holder renews it, as the server writes it.
    pub lease_until: Option<String>,
}

impl LockHolder {
    /// A holder, as a backend reads it from the server.
    pub fn new(
        pid: i32,
        application_name: String,
        client_addr: Option<String>,
        since: String,
    ) -> LockHolder {
        LockHolder {
            pid,
            application_name,
            client_addr,
            since,
            lease_until: None,
        }
    }

    /// The holder of a lease that runs out at `until` unless renewed.
    #[must_use]
    pub fn with_lease_until(mut self, until: String) -> LockHolder {
        self.lease_until = Some(until);
        self
    }
}

impl std::fmt::Display for LockHolder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.lease_until {
            None => write!(f, "held by server process {}", self.pid)?,
            Some(_) => write!(
                f,
                "held by process {} (a run across transactions)",
                self.pid
            )?,
        }
        if !self.application_name.is_empty() {
            write!(f, ", application `{}`", self.application_name)?;
        }
        match &self.client_addr {
            Some(addr) => write!(f, ", client {addr}")?,
            None => f.write_str(", a local socket")?,
        }
        match &self.lease_until {
            None => write!(f, ", connected since {}", self.since),
            Some(until) => write!(
                f,
                ", since {}; its lease runs until {until} unless the holder renews it",
                self.since
            ),
        }
    }
}

/// What a failure left behind, for [`Error::MigrationFailed`].
/// The sessions in the way of a statement's lock, for a message.
fn blocked_by(blockers: &[Blocker]) -> String {
    if blockers.is_empty() {
        return "no session holding a lock on the tables it names was found (the blocking \
                transactions ended, or hold locks on tables it reaches through others)"
            .to_owned();
    }
    let each: Vec<String> = blockers.iter().map(|b| format!("({b})")).collect();
    format!("blocked by {}", each.join(", "))
}

/// What a failure inside a migration's own transaction (its `BEGIN` on
/// line `begin`) left: that transaction rolled back, the statements before
/// it applied.
fn own_outcome(begin: u32, version: Version, committed: &[Version], w: &dyn Wording) -> String {
    let own = format!(
        "this migration's own transaction (its `BEGIN` on line {begin}) was rolled back, so \
         what ran from that line on is undone; statements before it stay applied, and it is \
         recorded as failed until it is resolved ({})",
        w.remedy(Remedy::Resolve(version))
    );
    match committed {
        [] => own,
        [one] => format!("{own}; migration {one} was committed before it and stays applied"),
        [first, .., last] => format!(
            "{own}; migrations {first} to {last} ({} in all) were committed before it and stay applied",
            committed.len()
        ),
    }
}

/// What a failed migration left: `(rolled_back, left_nothing)` as the
/// error's fields say.
fn outcome(
    (rolled_back, left_nothing): (bool, bool),
    version: Version,
    committed: &[Version],
    w: &dyn Wording,
) -> String {
    let own = if left_nothing {
        "this migration runs outside a transaction, and its first statement failed without \
         changing anything, so nothing of it ran: it is not recorded as failed and stays pending"
    } else if rolled_back {
        if committed.is_empty() {
            "the database was rolled back to where it was before this run's transaction"
        } else {
            "this migration's transaction was rolled back"
        }
    } else {
        &format!(
            "this migration runs outside a transaction: statements before this one stay applied, \
             and it is recorded as failed until it is resolved ({})",
            w.remedy(Remedy::Resolve(version))
        )
    };
    match committed {
        [] => own.to_owned(),
        [one] => format!("{own}; migration {one} was committed before it and stays applied"),
        [first, .., last] => format!(
            "{own}; migrations {first} to {last} ({} in all) were committed before it and stay applied",
            committed.len()
        ),
    }
}

impl Error {
    /// A database error while doing `action`.
    #[cfg_attr(not(feature = "_sqlite"), allow(dead_code))]
    pub(crate) fn database(action: &'static str, driver: impl Into<DriverError>) -> Error {
        Error::Database {
            action,
            driver: driver.into(),
        }
    }
}
