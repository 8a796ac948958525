//! The builder of a run and the executor that carries it out against any
//! [`Backend`].

use std::fmt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::plan::{Operation, Plan, Rules, plan};
use crate::{
    AppliedVersion, Backend, Direction, Error, Migration, Migrations, Report, Result, Status, Step,
    Version,
};

/// The default history table.
pub const DEFAULT_TABLE: &str = "schema_migrations";

/// How long a run waits by default for another connection's write lock.
pub const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// How many backups of a database are kept by default.
pub const DEFAULT_KEEP_BACKUPS: usize = 5;

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
/// let report = MIGRATIONS.migrator().to(Version(2)).per_migration().run(&mut conn)?;
/// assert_eq!(report.to, Some(Version(2)));
/// let report = MIGRATIONS.migrator().down(&mut conn)?;
/// assert_eq!(report.to, Some(Version(1)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Migrator<'m> {
    migrations: &'m Migrations,
    target: Option<Version>,
    per_migration: bool,
    dry_run: bool,
    environment: Option<String>,
    table: String,
    allow_out_of_order: bool,
    busy_timeout: Duration,
    backup: bool,
    backup_dir: Option<PathBuf>,
    keep_backups: usize,
    progress: Option<Progress>,
}

impl fmt::Debug for Migrator<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Migrator")
            .field("target", &self.target)
            .field("per_migration", &self.per_migration)
            .field("dry_run", &self.dry_run)
            .field("environment", &self.environment)
            .field("table", &self.table)
            .field("allow_out_of_order", &self.allow_out_of_order)
            .field("busy_timeout", &self.busy_timeout)
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
    pub fn migrate(&self, db: &mut impl Backend) -> Result<Report> {
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
            allow_out_of_order: false,
            busy_timeout: DEFAULT_BUSY_TIMEOUT,
            backup: true,
            backup_dir: None,
            keep_backups: DEFAULT_KEEP_BACKUPS,
            progress: None,
        }
    }

    /// The status of every migration of the base set in `db`.
    ///
    /// # Errors
    ///
    /// See [`Migrator::status`].
    pub fn status(&self, db: &mut impl Backend) -> Result<Status> {
        self.migrator().status(db)
    }
}

impl<'m> Migrator<'m> {
    /// Applies pending migrations up to and including `version` only.
    pub fn to(mut self, version: Version) -> Self {
        self.target = Some(version);
        self
    }

    /// Commits each migration on its own instead of all in one transaction:
    /// a failure keeps the migrations before it.
    pub fn per_migration(mut self) -> Self {
        self.per_migration = true;
        self
    }

    /// Plans and reports without changing anything: no backup, no history
    /// table, no SQL run. The report holds every statement that would run.
    pub fn dry_run(mut self) -> Self {
        self.dry_run = true;
        self
    }

    /// Applies the base set plus the migrations of `migrations/<environment>/`.
    pub fn environment(mut self, environment: impl Into<String>) -> Self {
        self.environment = Some(environment.into());
        self
    }

    /// The history table's name (default `schema_migrations`).
    pub fn table(mut self, table: impl Into<String>) -> Self {
        self.table = table.into();
        self
    }

    /// Applies pending migrations older than the newest applied one instead
    /// of refusing (for branches merged out of order).
    pub fn allow_out_of_order(mut self) -> Self {
        self.allow_out_of_order = true;
        self
    }

    /// How long to wait for another connection's write lock (default 30 s).
    /// This sets the connection's busy timeout.
    pub fn busy_timeout(mut self, timeout: Duration) -> Self {
        self.busy_timeout = timeout;
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

    /// Keeps the newest `n` backups of the database (default 5; at least 1).
    pub fn keep_backups(mut self, n: usize) -> Self {
        self.keep_backups = n.max(1);
        self
    }

    /// Calls `progress` after each migration that ran, with its step.
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
    /// [`Error::Locked`], [`Error::Backup`]. While applying:
    /// [`Error::MigrationFailed`] and [`Error::ForeignKeyViolations`], after
    /// which the transaction is rolled back.
    pub fn run(&self, db: &mut impl Backend) -> Result<Report> {
        self.execute(
            db,
            Operation::Up {
                target: self.target,
            },
        )
    }

    /// Reverts the newest applied migration.
    ///
    /// # Errors
    ///
    /// As [`run`](Migrator::run), and [`Error::Irreversible`] before
    /// anything changes.
    pub fn down(&self, db: &mut impl Backend) -> Result<Report> {
        self.execute(db, Operation::DownSteps(1))
    }

    /// Reverts the newest `steps` applied migrations, in one transaction.
    ///
    /// # Errors
    ///
    /// As [`down`](Migrator::down).
    pub fn down_steps(&self, db: &mut impl Backend, steps: usize) -> Result<Report> {
        self.execute(db, Operation::DownSteps(steps))
    }

    /// Reverts every applied migration above `version`, in one transaction.
    ///
    /// # Errors
    ///
    /// As [`down`](Migrator::down).
    pub fn down_to(&self, db: &mut impl Backend, version: Version) -> Result<Report> {
        self.execute(db, Operation::DownTo(version))
    }

    /// Reverts the newest applied migration and applies it again, in one transaction.
    ///
    /// # Errors
    ///
    /// As [`down`](Migrator::down).
    pub fn redo(&self, db: &mut impl Backend) -> Result<Report> {
        self.execute(db, Operation::Redo)
    }

    /// Reverts every applied migration, in one transaction.
    ///
    /// # Errors
    ///
    /// As [`down`](Migrator::down).
    pub fn reset(&self, db: &mut impl Backend) -> Result<Report> {
        self.execute(db, Operation::DownTo(Version(0)))
    }

    /// Records every migration up to `version` as applied without running
    /// it, for a database that already has that schema.
    ///
    /// # Errors
    ///
    /// As [`run`](Migrator::run), and [`Error::BaselineBelowCurrent`].
    pub fn baseline(&self, db: &mut impl Backend, version: Version) -> Result<Report> {
        self.execute(db, Operation::Baseline(version))
    }

    /// Where the database stands: every migration with its state, time and drift.
    ///
    /// # Errors
    ///
    /// The history table cannot be read.
    pub fn status(&self, db: &mut impl Backend) -> Result<Status> {
        check_table_name(&self.table)?;
        let history = db.read_history(&self.table)?;
        Ok(Status::new(
            self.migrations,
            &history,
            self.environment.as_deref(),
        ))
    }

    /// The migrations a [`run`](Migrator::run) would apply, after the same checks.
    ///
    /// # Errors
    ///
    /// As the checks of [`run`](Migrator::run).
    pub fn pending(&self, db: &mut impl Backend) -> Result<Vec<&'m Migration>> {
        let history = self.read_applied(db)?;
        let plan = plan(
            self.migrations,
            &history,
            Operation::Up {
                target: self.target,
            },
            self.rules(),
        )?;
        Ok(plan.steps.into_iter().map(|(m, _)| m).collect())
    }

    /// Whether a [`run`](Migrator::run) would apply anything.
    ///
    /// # Errors
    ///
    /// As [`pending`](Migrator::pending).
    pub fn has_pending(&self, db: &mut impl Backend) -> Result<bool> {
        self.pending(db).map(|p| !p.is_empty())
    }

    fn rules(&self) -> Rules<'_> {
        Rules {
            environment: self.environment.as_deref(),
            allow_out_of_order: self.allow_out_of_order,
        }
    }

    fn read_applied(&self, db: &mut impl Backend) -> Result<Vec<AppliedVersion>> {
        check_table_name(&self.table)?;
        db.read_applied(&self.table)
    }

    /// Plans without the lock (the cheap path: nothing pending costs this one
    /// read), then takes the lock, plans again on what it reads then, backs
    /// up, and applies.
    fn execute(&self, db: &mut impl Backend, operation: Operation) -> Result<Report> {
        let started = Instant::now();
        let history = self.read_applied(db)?;
        let first = plan(self.migrations, &history, operation, self.rules())?;
        if first.steps.is_empty() || self.dry_run {
            return Ok(self.report(&first, Vec::new(), None, started));
        }
        let needs_fk_off = first
            .steps
            .iter()
            .any(|(m, d)| m.foreign_keys_off() && *d != Direction::Baseline);
        let restore_fk = needs_fk_off && db.foreign_keys()?;
        if restore_fk {
            db.set_foreign_keys(false)?;
        }
        let result = self.apply(db, operation, started);
        if restore_fk && let Err(error) = db.set_foreign_keys(true) {
            log::error!("could not turn foreign keys back on: {error}");
        }
        result
    }

    fn apply(
        &self,
        db: &mut impl Backend,
        operation: Operation,
        started: Instant,
    ) -> Result<Report> {
        db.lock(&self.table, self.busy_timeout)?;
        let locked = db
            .read_applied(&self.table)
            .and_then(|history| plan(self.migrations, &history, operation, self.rules()));
        let plan = match locked {
            Ok(plan) if plan.steps.is_empty() => {
                db.rollback();
                return Ok(self.report(&plan, Vec::new(), None, started));
            }
            Ok(plan) => plan,
            Err(error) => {
                db.rollback();
                return Err(error);
            }
        };
        let backup = if self.backup && !matches!(operation, Operation::Baseline(_)) {
            match db.create_backup(self.backup_dir.as_deref(), plan.from, self.keep_backups) {
                Ok(path) => path,
                Err(error) => {
                    db.rollback();
                    return Err(error);
                }
            }
        } else {
            None
        };
        let mut done = Vec::with_capacity(plan.steps.len());
        match self.apply_steps(db, &plan, &mut done) {
            Ok(()) => Ok(self.report(&plan, done, backup, started)),
            Err(error) => {
                db.rollback();
                Err(error)
            }
        }
    }

    /// Runs the steps. The lock is held on entry. Transactional steps share
    /// one transaction (or one each, per migration); a `NoTransaction` step
    /// commits what came before, runs on its own, and is recorded in a
    /// transaction of its own.
    fn apply_steps(&self, db: &mut impl Backend, plan: &Plan, done: &mut Vec<Step>) -> Result<()> {
        let mut in_transaction = true;
        let mut fk_off_since_commit: Option<&'static Migration> = None;
        for &(migration, direction) in &plan.steps {
            let mut step = Step::new(migration, direction);
            let outside = migration.no_transaction() && direction != Direction::Baseline;
            if outside {
                if in_transaction {
                    commit(db, fk_off_since_commit.take())?;
                    in_transaction = false;
                }
                // Without a transaction there is no lock to hold: check
                // that no other migrator has taken over since the last one.
                if !still_to_do(&db.read_applied(&self.table)?, migration, direction) {
                    return Ok(());
                }
                self.run_statements(db, &mut step, false)?;
                db.lock(&self.table, self.busy_timeout)?;
                self.record(db, migration, &step)?;
                db.commit()?;
            } else {
                if !in_transaction {
                    db.lock(&self.table, self.busy_timeout)?;
                    in_transaction = true;
                    if !still_to_do(&db.read_applied(&self.table)?, migration, direction) {
                        // Another migrator took over between two transactions.
                        db.rollback();
                        return Ok(());
                    }
                }
                self.run_statements(db, &mut step, true)?;
                self.record(db, migration, &step)?;
                if migration.foreign_keys_off() {
                    fk_off_since_commit = Some(migration);
                }
                if self.per_migration {
                    commit(db, fk_off_since_commit.take())?;
                    in_transaction = false;
                }
            }
            log::info!("{step}");
            if let Some(progress) = &self.progress {
                progress(&step);
            }
            done.push(step);
        }
        if in_transaction {
            commit(db, fk_off_since_commit)?;
        }
        Ok(())
    }

    fn run_statements(
        &self,
        db: &mut impl Backend,
        step: &mut Step,
        in_transaction: bool,
    ) -> Result<()> {
        let started = Instant::now();
        for statement in step.statements {
            db.execute(statement.sql())
                .map_err(|source| Error::MigrationFailed {
                    version: step.version,
                    path: step.path,
                    line: statement.line(),
                    statement: statement.sql(),
                    message: source.to_string(),
                    rolled_back: in_transaction,
                    source,
                })?;
        }
        step.duration = started.elapsed();
        Ok(())
    }

    fn record(&self, db: &mut impl Backend, migration: &Migration, step: &Step) -> Result<()> {
        match step.direction {
            Direction::Up | Direction::Baseline => db.insert_history(
                &self.table,
                migration.version(),
                migration.name(),
                &migration.checksum().to_string(),
                step.duration,
            ),
            Direction::Down => db.delete_history(&self.table, migration.version()),
        }
    }

    fn report(
        &self,
        plan: &Plan,
        done: Vec<Step>,
        backup: Option<PathBuf>,
        started: Instant,
    ) -> Report {
        let dry_run = self.dry_run && !plan.steps.is_empty();
        let steps = if dry_run {
            plan.steps.iter().map(|&(m, d)| Step::new(m, d)).collect()
        } else {
            done
        };
        let to = if dry_run || steps.len() == plan.steps.len() {
            plan.to
        } else {
            // Stopped early because another migrator took over.
            steps.last().map(|s| s.version).or(plan.from)
        };
        Report {
            from: plan.from,
            to,
            steps,
            backup,
            dry_run,
            duration: started.elapsed(),
        }
    }
}

/// Commits, after checking foreign keys when a migration ran with them off.
fn commit(db: &mut impl Backend, fk_off: Option<&'static Migration>) -> Result<()> {
    if let Some(migration) = fk_off {
        let violations = db.foreign_key_violations()?;
        if !violations.is_empty() {
            db.rollback();
            return Err(Error::ForeignKeyViolations {
                version: migration.version(),
                path: migration.up_path(),
                violations,
            });
        }
    }
    db.commit()
}

/// Whether `migration` still needs `direction` given the history just read.
fn still_to_do(history: &[AppliedVersion], migration: &Migration, direction: Direction) -> bool {
    let applied = history.iter().any(|r| r.version == migration.version());
    match direction {
        Direction::Up | Direction::Baseline => !applied,
        Direction::Down => applied,
    }
}

fn check_table_name(table: &str) -> Result<()> {
    let mut bytes = table.bytes();
    let valid = bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if valid {
        Ok(())
    } else {
        Err(Error::InvalidTableName(table.to_owned()))
    }
}
