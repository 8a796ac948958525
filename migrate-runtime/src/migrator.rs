//! The builder of a run: its options, and what the run loop asks of them
//! (the plan, the script, the lock's scope). The operations are in
//! `operation.rs`.

use std::fmt;
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::lock_wait::LockRetry;
use crate::plan::{Operation, Plan, Rules, decide};
use crate::script::{Script, Shape};
use crate::{
    AppliedVersion, BackupSettings, LockScope, Migrations, Report, Result, Statement, Step,
    TableName, Tool, Version,
};

/// The default history table.
pub const DEFAULT_TABLE: &str = "schema_migrations";

/// How long a run waits by default for another connection's write lock.
pub const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// How long, by default, the lock of a run across transactions on
/// PostgreSQL outlives its holder's last sign of life.
pub const DEFAULT_LOCK_LEASE: Duration = Duration::from_secs(10);

/// How long a statement waits for a lock on PostgreSQL before its attempt
/// is rolled back and retried, unless set: 2 s. Every query on the table
/// queues behind a waiting `ALTER TABLE`, so this is how long a migration
/// may stall its table's traffic: about the longest a web request is
/// usually let wait, and longer than an ordinary transaction of the
/// application lasts, so that most attempts get their lock.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(2);

/// How many backups of a database are kept by default.
pub const DEFAULT_KEEP_BACKUPS: usize = 5;

const KEEP_DEFAULT: NonZeroUsize = NonZeroUsize::new(DEFAULT_KEEP_BACKUPS).expect("not zero");

type Progress = Box<dyn Fn(&Step) + Send + Sync>;

/// What [`Migrator::on_lock_retry`] keeps.
type LockRetryCallback = Box<dyn Fn(&LockRetry) + Send + Sync>;

/// A configured run over the embedded migrations: choose the options, then
/// call one operation ([`run`](Migrator::run), [`down`](Migrator::down),
/// [`status`](Migrator::status) …) with a connection.
///
/// ```
/// use migrate_runtime::{rusqlite::Connection, Version};
///
/// static MIGRATIONS: migrate_runtime::Migrations =
///     migrate_runtime::embed_migrations!("../examples/migrations");
///
/// let mut conn = Connection::open_in_memory()?;
/// let report = MIGRATIONS.migrator().to(Version(2)).per_migration(true).run(&mut conn)?;
/// assert_eq!(report.to, Some(Version(2)));
/// let report = MIGRATIONS.migrator().down(&mut conn)?;
/// assert_eq!(report.to, Some(Version(1)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use = "a Migrator does nothing until an operation such as `run` is called"]
pub struct Migrator<'m> {
    pub(crate) migrations: &'m Migrations,
    pub(crate) target: Option<Version>,
    per_migration: bool,
    dry_run: bool,
    pub(crate) environment: Option<String>,
    table: String,
    pub(crate) schema: Option<String>,
    timeout: Option<Duration>,
    run_timeout: Option<Duration>,
    allow_out_of_order: bool,
    pub(crate) busy_timeout: Duration,
    pub(crate) lock_lease: Duration,
    pub(crate) direct_connection: bool,
    lock_timeout: Duration,
    backup: bool,
    backup_dir: Option<PathBuf>,
    keep_backups: NonZeroUsize,
    pub(crate) progress: Option<Progress>,
    pub(crate) lock_retry: Option<LockRetryCallback>,
}

impl fmt::Debug for Migrator<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Migrator")
            .field("target", &self.target)
            .field("per_migration", &self.per_migration)
            .field("dry_run", &self.dry_run)
            .field("environment", &self.environment)
            .field("table", &self.table)
            .field("schema", &self.schema)
            .field("timeout", &self.timeout)
            .field("run_timeout", &self.run_timeout)
            .field("allow_out_of_order", &self.allow_out_of_order)
            .field("busy_timeout", &self.busy_timeout)
            .field("lock_lease", &self.lock_lease)
            .field("direct_connection", &self.direct_connection)
            .field("lock_timeout", &self.lock_timeout)
            .field("backup", &self.backup)
            .field("backup_dir", &self.backup_dir)
            .field("keep_backups", &self.keep_backups)
            .finish_non_exhaustive()
    }
}

impl Migrations {
    /// A [`Migrator`] with the default options, to configure.
    pub fn migrator(&self) -> Migrator<'_> {
        Migrator {
            migrations: self,
            target: None,
            per_migration: false,
            dry_run: false,
            environment: None,
            table: DEFAULT_TABLE.to_owned(),
            schema: None,
            timeout: None,
            run_timeout: None,
            allow_out_of_order: false,
            busy_timeout: DEFAULT_BUSY_TIMEOUT,
            lock_lease: DEFAULT_LOCK_LEASE,
            direct_connection: false,
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
            backup: true,
            backup_dir: None,
            keep_backups: KEEP_DEFAULT,
            progress: None,
            lock_retry: None,
        }
    }
}

impl<'m> Migrator<'m> {
    /// Applies pending migrations up to and including `version` only; with
    /// [`down`](Migrator::down), reverts down to `version`. Other operations
    /// refuse it.
    pub fn to(mut self, version: Version) -> Self {
        self.target = Some(version);
        self
    }

    /// With `true`, commits each migration on its own instead of all in one
    /// transaction: a failure keeps the migrations before it (default `false`).
    pub fn per_migration(mut self, on: bool) -> Self {
        self.per_migration = on;
        self
    }

    /// With `true`, plans and reports without changing anything: no lock, no
    /// backup, no history table, no SQL run. The report holds every
    /// statement that would run (default `false`).
    pub fn dry_run(mut self, on: bool) -> Self {
        self.dry_run = on;
        self
    }

    /// Applies the base set plus the migrations of `migrations/<environment>/`.
    pub fn environment(mut self, environment: impl Into<String>) -> Self {
        self.environment = Some(environment.into());
        self
    }

    /// The history table's name (default `schema_migrations`): letters,
    /// digits and `_`, optionally after a schema and a `.`. Checked when an
    /// operation runs ([`Error::InvalidTableName`]).
    pub fn table(mut self, table: impl Into<String>) -> Self {
        self.table = table.into();
        self
    }

    /// The schema to migrate (PostgreSQL): the history table is in it (when
    /// [`table`](Migrator::table) names none), and the run's `search_path`
    /// is set to it in each of its transactions (never for the session),
    /// so that unqualified names in the migrations mean its objects. A
    /// statement that cannot run inside a transaction block (`CREATE INDEX
    /// CONCURRENTLY` …) cannot carry it: see
    /// [`direct_connection`](Migrator::direct_connection).
    /// Letters, digits and `_`. On SQLite it names the attached database
    /// of the history table.
    pub fn schema(mut self, schema: impl Into<String>) -> Self {
        self.schema = Some(schema.into());
        self
    }

    /// How long one migration may run when its file does not say
    /// (`-- +migrate Timeout 30s`); a statement still running then is
    /// stopped by the database (PostgreSQL's `statement_timeout`, SQLite's
    /// interrupt) and the run fails with [`Error::TimedOut`], its
    /// transaction rolled back (default: no limit).
    pub fn timeout(mut self, limit: Duration) -> Self {
        self.timeout = Some(limit);
        self
    }

    /// How long the whole run may take, its migrations' statements
    /// stopped as with [`timeout`](Migrator::timeout) (default: no limit).
    pub fn run_timeout(mut self, limit: Duration) -> Self {
        self.run_timeout = Some(limit);
        self
    }

    /// With `true`, applies pending migrations older than the newest applied
    /// one instead of refusing (for branches merged out of order; default `false`).
    pub fn allow_out_of_order(mut self, on: bool) -> Self {
        self.allow_out_of_order = on;
        self
    }

    /// How long any wait may last: for another migrator's lock, for another
    /// connection's write lock, and for the history to be readable (default
    /// 30 s; SQLite's limit is about 24 days, and a longer wait is that
    /// long). The connection's own busy timeout is restored after each use.
    pub fn busy_timeout(mut self, timeout: Duration) -> Self {
        self.busy_timeout = timeout;
        self
    }

    /// PostgreSQL: how long the lock of a run across transactions
    /// (`NoTransaction` migrations, [`per_migration`](Migrator::per_migration))
    /// outlives its holder's last sign of life (default 10 s). The run
    /// renews it before each statement outside a transaction and in each of
    /// its transactions, and a statement that runs longer keeps it alive, so
    /// only a run paused longer than this between two statements loses it
    /// (and then stops with [`Error::LockLost`](crate::Error::LockLost)); a
    /// killed holder's lock is free this long after its last renewal. A run
    /// in one transaction needs no lease: its lock ends with its transaction.
    /// Either way, a transaction of the run that sits idle longer than this
    /// (its process paused) has its session ended by the server
    /// (`idle_in_transaction_session_timeout`) and is rolled back, so that
    /// a paused holder does not keep every other migrator waiting; the run,
    /// should it come back, stops with [`Error::LockLost`](crate::Error::LockLost).
    pub fn lock_lease(mut self, lease: Duration) -> Self {
        self.lock_lease = lease;
        self
    }

    /// PostgreSQL: with `true`, says that the connection is a server
    /// session of the run's own — straight to the server, or through a
    /// pooler in session mode — and not one of a pooler in transaction
    /// mode, which may send each transaction to another server session
    /// (default `false`).
    ///
    /// Every setting of a run (the [`schema`](Migrator::schema), the
    /// statement and lock timeouts) is set inside the transaction it
    /// serves, also for a statement outside a transaction, which gets a
    /// transaction of its own. A statement that the server refuses inside a
    /// transaction block (`CREATE INDEX CONCURRENTLY`, `VACUUM` …) cannot
    /// carry them: when it needs the schema or a time limit, it is sent
    /// only on a connection declared direct, with the two set for the
    /// session around it and given back after it; otherwise the run fails
    /// at it without sending it ([`SettingsRefused`](crate::SettingsRefused)).
    /// So is a Rust migration's function outside a transaction.
    pub fn direct_connection(mut self, direct: bool) -> Self {
        self.direct_connection = direct;
        self
    }

    /// PostgreSQL: how long each statement may wait for a lock on a table
    /// or a row (its `lock_timeout`) before its attempt is rolled back and,
    /// after a pause, tried again, until the run's
    /// [`busy_timeout`](Migrator::busy_timeout) is spent; then the run fails
    /// with [`Error::LockTimeout`](crate::Error::LockTimeout), naming the
    /// sessions in the way (default [`DEFAULT_LOCK_TIMEOUT`], 2 s). Every
    /// query on a table queues behind a statement waiting to change it, so
    /// this bounds how long the migration stalls the table's traffic. A
    /// file's `-- +migrate LockTimeout 10s` wins for its statements;
    /// `Duration::ZERO` waits without limit (and never retries).
    pub fn lock_timeout(mut self, limit: Duration) -> Self {
        self.lock_timeout = limit;
        self
    }

    /// Calls `retry` each time a statement waited its
    /// [`lock_timeout`](Migrator::lock_timeout) for a lock and is about to
    /// be tried again, with what waited and for how long.
    pub fn on_lock_retry(mut self, retry: impl Fn(&LockRetry) + Send + Sync + 'static) -> Self {
        self.lock_retry = Some(Box::new(retry));
        self
    }

    /// Turns the backup before a change on or off (default on).
    pub fn backup(mut self, on: bool) -> Self {
        self.backup = on;
        self
    }

    /// Writes backups into `dir` instead of beside the database.
    pub fn backup_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.backup_dir = Some(dir.into());
        self
    }

    /// Keeps the newest `n` backups of the database, the one just written
    /// included (default 5). `0` counts as `1`: the backup a run just wrote
    /// is never deleted; turn backups off with [`backup(false)`](Migrator::backup).
    pub fn keep_backups(mut self, n: usize) -> Self {
        self.keep_backups = NonZeroUsize::new(n).unwrap_or(NonZeroUsize::MIN);
        self
    }

    /// Calls `progress` after each migration is committed, with its step.
    pub fn on_progress(mut self, progress: impl Fn(&Step) + Send + Sync + 'static) -> Self {
        self.progress = Some(Box::new(progress));
        self
    }

    pub(crate) fn table_name(&self) -> Result<TableName> {
        match &self.schema {
            Some(schema) if !self.table.contains('.') => {
                // The schema is checked as the one name it is.
                TableName::new(schema)
                    .map_err(|_| crate::Error::InvalidSchemaName(schema.clone()))?;
                TableName::in_schema(Some(schema), &self.table)
            }
            _ => TableName::new(&self.table),
        }
    }

    /// The plan of `operation` on a database whose history is `history`.
    pub(crate) fn plan(
        &self,
        history: &[AppliedVersion],
        operation: Operation,
    ) -> Result<Plan<'m>> {
        let rules = Rules {
            environment: self.environment.as_deref(),
            allow_out_of_order: self.allow_out_of_order,
        };
        decide(self.migrations, history, operation, rules)
    }

    /// The plan of an adoption (see [`crate::adopt::adoption`]).
    pub(crate) fn adoption(
        &self,
        ours: Result<Vec<AppliedVersion>>,
        foreign: Option<crate::ForeignHistory>,
        tool: Option<Tool>,
        table: &TableName,
    ) -> Result<Plan<'m>> {
        crate::adopt::adoption(
            self.migrations,
            ours,
            foreign,
            tool,
            table,
            self.environment.as_deref(),
        )
    }

    /// Refuses `plan`'s renumbered rows whose recorded name differs.
    pub(crate) fn confirm_renumbered(
        &self,
        plan: &Plan<'m>,
        history: &[crate::AppliedMigration],
    ) -> Result<()> {
        crate::plan::confirm_renumbered(self.migrations, plan, history, self.environment.as_deref())
    }

    /// The actions that carry out `plan`.
    pub(crate) fn script(
        &self,
        plan: Plan<'m>,
        scope: LockScope,
        implicit_commit: Option<fn(&Statement) -> bool>,
    ) -> Script<'m> {
        Script::new(
            plan,
            Shape {
                per_migration: self.per_migration,
                backup: self.backup,
                schema: self.schema.is_some(),
                lock_opens_transaction: scope == LockScope::Transaction,
                timeout: self.timeout,
                run_timeout: self.run_timeout,
                lock_timeout: self.lock_timeout,
                implicit_commit,
            },
        )
    }

    /// The lock a run of `plan` takes: one that lasts its transaction when
    /// the run is one transaction and the backend can (it also works
    /// through a connection pooler in transaction mode), else one that lasts
    /// the session.
    pub(crate) fn lock_scope(
        &self,
        plan: &Plan<'m>,
        takes_transaction_lock: bool,
        implicit_commit: Option<fn(&Statement) -> bool>,
    ) -> LockScope {
        if takes_transaction_lock
            && self
                .script(plan.clone(), LockScope::Session, implicit_commit)
                .is_one_transaction()
        {
            LockScope::Transaction
        } else {
            LockScope::Session
        }
    }

    pub(crate) fn backup_settings(&self) -> BackupSettings {
        BackupSettings {
            dir: self.backup_dir.clone(),
            keep: self.keep_backups,
        }
    }

    /// The report of a run that needs no lock: nothing to do, or a dry run.
    pub(crate) fn report_without_lock(
        &self,
        plan: &Plan<'m>,
        started: Instant,
        implicit_commit: Option<fn(&Statement) -> bool>,
    ) -> Option<Report> {
        let nothing = plan.changes_nothing();
        let dry_run = self.dry_run && !nothing;
        (dry_run || nothing).then(|| Report {
            from: plan.from,
            to: plan.to,
            steps: plan
                .steps
                .iter()
                .map(|&(m, d)| Step::new(m, d, crate::script::runs_outside(m, d, implicit_commit)))
                .collect(),
            backup: None,
            renumbered: plan.renumbered.clone(),
            forgotten: plan.forgotten.clone(),
            kept_history: plan.set_aside.as_ref().map(crate::plan::SetAside::kept),
            dry_run,
            duration: started.elapsed(),
        })
    }
}
