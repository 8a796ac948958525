//! The builder of a run and the executor that carries it out against any
//! [`Backend`].

use std::fmt;
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::plan::{Operation, Plan, Resolution, Rules, plan};
use crate::script::{Script, Shape};
use crate::{
    AppliedVersion, Backend, BackupSettings, Error, LockScope, Migration, Migrations, Report,
    Result, Status, Step, TableName, Tool, Version,
};

/// The default history table.
pub const DEFAULT_TABLE: &str = "schema_migrations";

/// How long a run waits by default for another connection's write lock.
pub const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// How long, by default, the lock of a run across transactions on
/// PostgreSQL outlives its holder's last sign of life.
pub const DEFAULT_LOCK_LEASE: Duration = Duration::from_secs(10);

/// How many backups of a database are kept by default.
pub const DEFAULT_KEEP_BACKUPS: usize = 5;

const KEEP_DEFAULT: NonZeroUsize = NonZeroUsize::new(DEFAULT_KEEP_BACKUPS).expect("not zero");

type Progress = Box<dyn Fn(&Step) + Send + Sync>;

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
    migrations: &'m Migrations,
    target: Option<Version>,
    per_migration: bool,
    dry_run: bool,
    environment: Option<String>,
    table: String,
    pub(crate) schema: Option<String>,
    timeout: Option<Duration>,
    run_timeout: Option<Duration>,
    allow_out_of_order: bool,
    pub(crate) busy_timeout: Duration,
    pub(crate) lock_lease: Duration,
    backup: bool,
    backup_dir: Option<PathBuf>,
    keep_backups: NonZeroUsize,
    pub(crate) progress: Option<Progress>,
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
            .field("backup", &self.backup)
            .field("backup_dir", &self.backup_dir)
            .field("keep_backups", &self.keep_backups)
            .finish_non_exhaustive()
    }
}

impl Migrations {
    /// Applies every pending migration of the base set, in one transaction,
    /// after a backup of a file database. The same as
    /// `self.migrator().run(db)`.
    ///
    /// ```
    /// static MIGRATIONS: migrate_runtime::Migrations =
    ///     migrate_runtime::embed_migrations!("../examples/migrations");
    ///
    /// let mut conn = migrate_runtime::rusqlite::Connection::open_in_memory()?;
    /// let report = MIGRATIONS.migrate(&mut conn)?;
    /// println!("{report}");
    /// assert!(MIGRATIONS.migrate(&mut conn)?.is_empty(), "nothing pending the second time");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// See [`Migrator::run`].
    pub fn migrate<B: Backend>(&self, db: &mut B) -> Result<Report> {
        self.migrator().run(db)
    }

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
            backup: true,
            backup_dir: None,
            keep_backups: KEEP_DEFAULT,
            progress: None,
        }
    }

    /// The status of every migration of the base set in `db`.
    ///
    /// # Errors
    ///
    /// See [`Migrator::status`].
    pub fn status<B: Backend>(&self, db: &mut B) -> Result<Status> {
        self.migrator().status(db)
    }
}

/// Our history as `status` reads it, and whether another tool's is to be
/// looked for: `Some(ours_is_foreign)` when ours is empty or not ours.
pub(crate) fn status_history(
    read: Result<Vec<crate::AppliedMigration>>,
) -> Result<(Vec<crate::AppliedMigration>, Looks)> {
    match read {
        Ok(history) if history.is_empty() => Ok((history, Looks::Empty)),
        Ok(history) => Ok((history, Looks::No)),
        Err(error @ Error::InvalidHistory { .. }) => Ok((Vec::new(), Looks::NotOurs(error))),
        Err(error) => Err(error),
    }
}

/// Whether `status` looks for another tool's history, after reading ours.
pub(crate) enum Looks {
    /// Ours has rows: no other tool is looked for.
    No,
    /// Ours is empty or missing.
    Empty,
    /// A table of our name is not ours; its error stands unless another
    /// tool's history is what it holds.
    NotOurs(Error),
}

impl Looks {
    /// `Some(ours_is_foreign)` when another tool's history is looked for.
    pub(crate) fn ours_is_foreign(&self) -> Option<bool> {
        match self {
            Looks::No => None,
            Looks::Empty => Some(false),
            Looks::NotOurs(_) => Some(true),
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
    /// is set to it, so that unqualified names in the migrations mean its
    /// objects; the session's own `search_path` is restored afterwards.
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
    pub fn lock_lease(mut self, lease: Duration) -> Self {
        self.lock_lease = lease;
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

    /// Applies the pending migrations (up to the target, if one was set).
    ///
    /// # Errors
    ///
    /// Before anything changes: [`Error::UnknownVersion`],
    /// [`Error::ChecksumMismatch`], [`Error::OutOfOrder`],
    /// [`Error::NoSuchVersion`], [`Error::TargetBelowCurrent`],
    /// [`Error::InvalidTableName`], [`Error::Locked`], [`Error::Backup`].
    /// While applying: [`Error::MigrationFailed`] and
    /// [`Error::ForeignKeyViolations`], after which the open transaction is
    /// rolled back and the error says what stays committed.
    pub fn run<B: Backend>(&self, db: &mut B) -> Result<Report> {
        crate::driver::execute(
            self,
            db,
            Operation::Up {
                target: self.target,
            },
        )
    }

    /// Reverts the newest applied migration, or, after [`to`](Migrator::to),
    /// every applied migration above the target.
    ///
    /// # Errors
    ///
    /// As [`run`](Migrator::run), and [`Error::Irreversible`] before
    /// anything changes.
    pub fn down<B: Backend>(&self, db: &mut B) -> Result<Report> {
        let operation = match self.target {
            Some(target) => Operation::DownTo(target),
            None => Operation::DownSteps(1),
        };
        crate::driver::execute(self, db, operation)
    }

    /// Reverts the newest `steps` applied migrations, in one transaction.
    ///
    /// # Errors
    ///
    /// As [`down`](Migrator::down), and [`Error::TargetNotUsed`] after `to(…)`.
    pub fn down_steps<B: Backend>(&self, db: &mut B, steps: usize) -> Result<Report> {
        self.without_target("down_steps", db, Operation::DownSteps(steps))
    }

    /// Reverts every applied migration above `version`, in one transaction.
    ///
    /// # Errors
    ///
    /// As [`down_steps`](Migrator::down_steps).
    pub fn down_to<B: Backend>(&self, db: &mut B, version: Version) -> Result<Report> {
        self.without_target("down_to", db, Operation::DownTo(version))
    }

    /// Reverts the newest applied migration and applies it again, in one transaction.
    ///
    /// # Errors
    ///
    /// As [`down_steps`](Migrator::down_steps).
    pub fn redo<B: Backend>(&self, db: &mut B) -> Result<Report> {
        self.without_target("redo", db, Operation::Redo)
    }

    /// Reverts every applied migration, in one transaction.
    ///
    /// # Errors
    ///
    /// As [`down_steps`](Migrator::down_steps).
    pub fn reset<B: Backend>(&self, db: &mut B) -> Result<Report> {
        self.without_target("reset", db, Operation::DownTo(Version(0)))
    }

    /// Records every migration up to `version` as applied without running
    /// it, for a database that already has that schema.
    ///
    /// # Errors
    ///
    /// As [`run`](Migrator::run), [`Error::BaselineBelowCurrent`], and
    /// [`Error::TargetNotUsed`] after `to(…)`.
    pub fn baseline<B: Backend>(&self, db: &mut B, version: Version) -> Result<Report> {
        self.without_target("baseline", db, Operation::Baseline(version))
    }

    /// Records the migrations another tool applied to this database as
    /// applied, without running them, so that this crate takes over: the
    /// history of goose, golang-migrate, sqlx, refinery, diesel or
    /// SuperChat, whichever is found (see [`adopt_from`](Migrator::adopt_from)).
    ///
    /// Each history is read as its tool reads it, and checked against the
    /// embedded migrations: every version it applied must be embedded, with
    /// the same name where the tool records names, and the same file where
    /// it keeps checksums (sqlx's SHA-384; refinery's, computed with
    /// `refinery-core`, needs the `refinery` feature). The other tool's
    /// table is left as it was; our rows are written in one transaction.
    ///
    /// ```
    /// use migrate_runtime::rusqlite::Connection;
    ///
    /// static MIGRATIONS: migrate_runtime::Migrations =
    ///     migrate_runtime::embed_migrations!("../examples/migrations");
    ///
    /// let mut conn = Connection::open_in_memory()?;
    /// // What goose leaves behind after applying versions 1 and 2.
    /// conn.execute_batch(
    ///     "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE);
    ///      CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL,
    ///          title TEXT NOT NULL, body TEXT NOT NULL DEFAULT '');
    ///      CREATE TABLE goose_db_version (id INTEGER PRIMARY KEY AUTOINCREMENT,
    ///          version_id INTEGER NOT NULL, is_applied INTEGER NOT NULL,
    ///          tstamp TIMESTAMP DEFAULT (datetime('now')));
    ///      INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, 1), (1, 1), (2, 1);",
    /// )?;
    /// assert!(MIGRATIONS.migrate(&mut conn).is_err(), "goose's migrations never run twice");
    /// let report = MIGRATIONS.migrator().adopt(&mut conn)?;
    /// assert_eq!(report.to, Some(migrate_runtime::Version(2)));
    /// MIGRATIONS.migrate(&mut conn)?; // applies 3 onwards
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::NothingToAdopt`], and [`Error::CannotAdopt`] with the
    /// reason (a dirty or failed migration, a version or file that differs,
    /// a history of our own already there); nothing is changed then.
    pub fn adopt<B: Backend>(&self, db: &mut B) -> Result<Report> {
        self.without_target("adopt", db, Operation::Adopt(None))
    }

    /// [`adopt`](Migrator::adopt) the history of `tool` only.
    ///
    /// # Errors
    ///
    /// As [`adopt`](Migrator::adopt).
    pub fn adopt_from<B: Backend>(&self, db: &mut B, tool: Tool) -> Result<Report> {
        self.without_target("adopt_from", db, Operation::Adopt(Some(tool)))
    }

    /// Makes the history say that exactly the migrations up to `version`
    /// are applied, running no SQL: migrations up to it are recorded,
    /// records above it are removed. For a database fixed by hand after a
    /// failure (golang-migrate's `force`); `Version(0)` forgets everything.
    ///
    /// # Errors
    ///
    /// As [`baseline`](Migrator::baseline), without
    /// [`Error::BaselineBelowCurrent`].
    pub fn force<B: Backend>(&self, db: &mut B, version: Version) -> Result<Report> {
        self.without_target("force", db, Operation::Force(version))
    }

    /// Clears the failure recorded for `version`, a migration that failed
    /// outside a transaction part-way (see [`Error::FailedMigration`]),
    /// after the database was fixed by hand: [`Resolution::Applied`]
    /// records it as applied, [`Resolution::Pending`] makes it pending
    /// again. No SQL of the migration runs.
    ///
    /// # Errors
    ///
    /// [`Error::NotFailed`] when the version is not recorded as failed;
    /// the drift refusals of [`run`](Migrator::run).
    pub fn resolve<B: Backend>(
        &self,
        db: &mut B,
        version: Version,
        resolution: Resolution,
    ) -> Result<Report> {
        self.without_target("resolve", db, Operation::Resolve(version, resolution))
    }

    /// Where the database stands: every migration with its state, time and drift.
    ///
    /// # Errors
    ///
    /// The history table cannot be read.
    pub fn status<B: Backend>(&self, db: &mut B) -> Result<Status> {
        let table = self.table_name()?;
        let read = db.read_history(&table, self.busy_timeout);
        let (history, looks) = status_history(read)?;
        let foreign = match looks.ours_is_foreign() {
            Some(ours_is_foreign) => {
                crate::adopt::find(db, None, &table, ours_is_foreign, self.busy_timeout)?
            }
            None => None,
        };
        self.status_of(&history, looks, foreign)
    }

    /// The status of `history`, with `foreign` (looked for as `looks`
    /// says): a table of ours that is not ours is an error unless another
    /// tool's history is what it holds.
    pub(crate) fn status_of(
        &self,
        history: &[crate::AppliedMigration],
        looks: Looks,
        foreign: Option<crate::ForeignHistory>,
    ) -> Result<Status> {
        if let (Looks::NotOurs(error), None) = (looks, &foreign) {
            return Err(error);
        }
        let mut status = Status::new(self.migrations, history, self.environment.as_deref());
        status.foreign = foreign;
        Ok(status)
    }

    /// The migrations a [`run`](Migrator::run) would apply, after the same checks.
    ///
    /// # Errors
    ///
    /// As the checks of [`run`](Migrator::run).
    pub fn pending<B: Backend>(&self, db: &mut B) -> Result<Vec<&'m Migration>> {
        let table = self.table_name()?;
        let history = crate::adopt::read_applied(db, &table, self.busy_timeout)?;
        let plan = self.plan(
            &history,
            Operation::Up {
                target: self.target,
            },
        )?;
        Ok(plan.steps.into_iter().map(|(m, _)| m).collect())
    }

    /// Whether a [`run`](Migrator::run) would apply anything.
    ///
    /// # Errors
    ///
    /// As [`pending`](Migrator::pending).
    pub fn has_pending<B: Backend>(&self, db: &mut B) -> Result<bool> {
        self.pending(db).map(|p| !p.is_empty())
    }

    /// [`run`](Migrator::run) over an async client (`tokio_postgres::Client`),
    /// performing the same actions.
    ///
    /// # Errors
    ///
    /// As [`run`](Migrator::run).
    #[cfg(feature = "tokio-postgres")]
    pub async fn run_async<B: crate::AsyncBackend>(&self, db: &mut B) -> Result<Report> {
        let operation = Operation::Up {
            target: self.target,
        };
        crate::driver_async::execute(self, db, operation).await
    }

    /// [`down`](Migrator::down) over an async client.
    ///
    /// # Errors
    ///
    /// As [`down`](Migrator::down).
    #[cfg(feature = "tokio-postgres")]
    pub async fn down_async<B: crate::AsyncBackend>(&self, db: &mut B) -> Result<Report> {
        let operation = match self.target {
            Some(target) => Operation::DownTo(target),
            None => Operation::DownSteps(1),
        };
        crate::driver_async::execute(self, db, operation).await
    }

    /// [`adopt`](Migrator::adopt) over an async client.
    ///
    /// # Errors
    ///
    /// As [`adopt`](Migrator::adopt).
    #[cfg(feature = "tokio-postgres")]
    pub async fn adopt_async<B: crate::AsyncBackend>(&self, db: &mut B) -> Result<Report> {
        if self.target.is_some() {
            return Err(Error::TargetNotUsed { operation: "adopt" });
        }
        crate::driver_async::execute(self, db, Operation::Adopt(None)).await
    }

    /// [`status`](Migrator::status) over an async client.
    ///
    /// # Errors
    ///
    /// As [`status`](Migrator::status).
    #[cfg(feature = "tokio-postgres")]
    pub async fn status_async<B: crate::AsyncBackend>(&self, db: &mut B) -> Result<Status> {
        crate::driver_async::status(self, db).await
    }

    fn without_target<B: Backend>(
        &self,
        operation_name: &'static str,
        db: &mut B,
        operation: Operation,
    ) -> Result<Report> {
        if self.target.is_some() {
            return Err(Error::TargetNotUsed {
                operation: operation_name,
            });
        }
        crate::driver::execute(self, db, operation)
    }

    pub(crate) fn table_name(&self) -> Result<TableName> {
        match &self.schema {
            Some(schema) if !self.table.contains('.') => {
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
        plan(self.migrations, history, operation, rules)
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
    pub(crate) fn script(&self, plan: Plan<'m>, scope: LockScope) -> Script<'m> {
        Script::new(
            plan,
            Shape {
                per_migration: self.per_migration,
                backup: self.backup,
                schema: self.schema.is_some(),
                lock_opens_transaction: scope == LockScope::Transaction,
                timeout: self.timeout,
                run_timeout: self.run_timeout,
            },
        )
    }

    /// The lock a run of `plan` takes: one that lasts its transaction when
    /// the run is one transaction and the backend can (it also works
    /// through a connection pooler in transaction mode), else one that lasts
    /// the session.
    pub(crate) fn lock_scope(&self, plan: &Plan<'m>, takes_transaction_lock: bool) -> LockScope {
        if takes_transaction_lock
            && self
                .script(plan.clone(), LockScope::Session)
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
    pub(crate) fn report_without_lock(&self, plan: &Plan<'m>, started: Instant) -> Option<Report> {
        let nothing = plan.steps.is_empty() && plan.renumbered.is_empty();
        let dry_run = self.dry_run && !nothing;
        (dry_run || nothing).then(|| Report {
            from: plan.from,
            to: plan.to,
            steps: plan.steps.iter().map(|&(m, d)| Step::new(m, d)).collect(),
            backup: None,
            renumbered: plan.renumbered.clone(),
            kept_history: plan.set_aside.as_ref().map(crate::plan::SetAside::kept),
            dry_run,
            duration: started.elapsed(),
        })
    }
}
