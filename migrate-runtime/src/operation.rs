//! The operations of a [`Migrator`], each in its two forms: `run` blocks
//! the calling thread, `run_async` is a future for an async client. The
//! async form is the one written; the blocking form polls it on the
//! calling thread (`ready::block_on`), where a blocking database's futures
//! are ready at once.

use crate::adopt::{Ours, read_applied};
use crate::perform::perform;
use crate::plan::Operation;
use crate::ready::block_on;
use crate::{
    Backend, Error, Migration, Migrations, Migrator, Report, Resolution, Result, Status, Tool,
    Version,
};

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
        block_on(self.migrate_async(db))
    }

    /// [`migrate`](Migrations::migrate) as a future: for an async client
    /// (`tokio_postgres::Client`), performing the same actions.
    ///
    /// # Errors
    ///
    /// As [`migrate`](Migrations::migrate).
    pub async fn migrate_async<B: Backend>(&self, db: &mut B) -> Result<Report> {
        self.migrator().run_async(db).await
    }

    /// The status of every migration of the base set in `db`.
    ///
    /// # Errors
    ///
    /// See [`Migrator::status`].
    pub fn status<B: Backend>(&self, db: &mut B) -> Result<Status> {
        block_on(self.status_async(db))
    }

    /// [`status`](Migrations::status) as a future: for an async client
    /// (`tokio_postgres::Client`), performing the same actions.
    ///
    /// # Errors
    ///
    /// As [`status`](Migrations::status).
    pub async fn status_async<B: Backend>(&self, db: &mut B) -> Result<Status> {
        self.migrator().status_async(db).await
    }
}

impl<'m> Migrator<'m> {
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
        block_on(self.run_async(db))
    }

    /// [`run`](Migrator::run) as a future: for an async client
    /// (`tokio_postgres::Client`), performing the same actions.
    ///
    /// # Errors
    ///
    /// As [`run`](Migrator::run).
    pub async fn run_async<B: Backend>(&self, db: &mut B) -> Result<Report> {
        let operation = Operation::Up {
            target: self.target,
        };
        perform(self, db, operation).await
    }

    /// Reverts the newest applied migration, or, after [`to`](Migrator::to),
    /// every applied migration above the target.
    ///
    /// # Errors
    ///
    /// As [`run`](Migrator::run), and [`Error::Irreversible`] before
    /// anything changes.
    pub fn down<B: Backend>(&self, db: &mut B) -> Result<Report> {
        block_on(self.down_async(db))
    }

    /// [`down`](Migrator::down) as a future: for an async client
    /// (`tokio_postgres::Client`), performing the same actions.
    ///
    /// # Errors
    ///
    /// As [`down`](Migrator::down).
    pub async fn down_async<B: Backend>(&self, db: &mut B) -> Result<Report> {
        let operation = match self.target {
            Some(target) => Operation::DownTo(Some(target)),
            None => Operation::DownSteps(1),
        };
        perform(self, db, operation).await
    }

    /// Reverts the newest `steps` applied migrations, in one transaction.
    ///
    /// # Errors
    ///
    /// As [`down`](Migrator::down), and [`Error::TargetNotUsed`] after `to(…)`.
    pub fn down_steps<B: Backend>(&self, db: &mut B, steps: usize) -> Result<Report> {
        block_on(self.down_steps_async(db, steps))
    }

    /// [`down_steps`](Migrator::down_steps) as a future: for an async client
    /// (`tokio_postgres::Client`), performing the same actions.
    ///
    /// # Errors
    ///
    /// As [`down_steps`](Migrator::down_steps).
    pub async fn down_steps_async<B: Backend>(&self, db: &mut B, steps: usize) -> Result<Report> {
        self.without_target("down_steps", db, Operation::DownSteps(steps))
            .await
    }

    /// Reverts every applied migration above `version`, in one transaction.
    ///
    /// # Errors
    ///
    /// As [`down_steps`](Migrator::down_steps).
    pub fn down_to<B: Backend>(&self, db: &mut B, version: Version) -> Result<Report> {
        block_on(self.down_to_async(db, version))
    }

    /// [`down_to`](Migrator::down_to) as a future: for an async client
    /// (`tokio_postgres::Client`), performing the same actions.
    ///
    /// # Errors
    ///
    /// As [`down_to`](Migrator::down_to).
    pub async fn down_to_async<B: Backend>(&self, db: &mut B, version: Version) -> Result<Report> {
        self.without_target("down_to", db, Operation::DownTo(Some(version)))
            .await
    }

    /// Moves the database to `version`, whichever way it lies: reverts every
    /// applied migration above it, or applies the pending ones up to it.
    /// The way is decided on the history read under the lock, so a run
    /// that moved the database meanwhile does not make it the wrong one.
    ///
    /// # Errors
    ///
    /// As [`run`](Migrator::run) and [`down_to`](Migrator::down_to);
    /// [`Error::NoSuchVersion`] when no migration has `version`.
    pub fn goto<B: Backend>(&self, db: &mut B, version: Version) -> Result<Report> {
        block_on(self.goto_async(db, version))
    }

    /// [`goto`](Migrator::goto) as a future: for an async client
    /// (`tokio_postgres::Client`), performing the same actions.
    ///
    /// # Errors
    ///
    /// As [`goto`](Migrator::goto).
    pub async fn goto_async<B: Backend>(&self, db: &mut B, version: Version) -> Result<Report> {
        self.without_target("goto", db, Operation::Goto(version))
            .await
    }

    /// Reverts the newest applied migration and applies it again, in one transaction.
    ///
    /// # Errors
    ///
    /// As [`down_steps`](Migrator::down_steps).
    pub fn redo<B: Backend>(&self, db: &mut B) -> Result<Report> {
        block_on(self.redo_async(db))
    }

    /// [`redo`](Migrator::redo) as a future: for an async client
    /// (`tokio_postgres::Client`), performing the same actions.
    ///
    /// # Errors
    ///
    /// As [`redo`](Migrator::redo).
    pub async fn redo_async<B: Backend>(&self, db: &mut B) -> Result<Report> {
        self.without_target("redo", db, Operation::Redo).await
    }

    /// Reverts every applied migration, in one transaction.
    ///
    /// # Errors
    ///
    /// As [`down_steps`](Migrator::down_steps).
    pub fn reset<B: Backend>(&self, db: &mut B) -> Result<Report> {
        block_on(self.reset_async(db))
    }

    /// [`reset`](Migrator::reset) as a future: for an async client
    /// (`tokio_postgres::Client`), performing the same actions.
    ///
    /// # Errors
    ///
    /// As [`reset`](Migrator::reset).
    pub async fn reset_async<B: Backend>(&self, db: &mut B) -> Result<Report> {
        self.without_target("reset", db, Operation::DownTo(None))
            .await
    }

    /// Records every migration up to `version` as applied without running
    /// it, for a database that already has that schema.
    ///
    /// # Errors
    ///
    /// As [`run`](Migrator::run), [`Error::BaselineBelowCurrent`], and
    /// [`Error::TargetNotUsed`] after `to(…)`.
    pub fn baseline<B: Backend>(&self, db: &mut B, version: Version) -> Result<Report> {
        block_on(self.baseline_async(db, version))
    }

    /// [`baseline`](Migrator::baseline) as a future: for an async client
    /// (`tokio_postgres::Client`), performing the same actions.
    ///
    /// # Errors
    ///
    /// As [`baseline`](Migrator::baseline).
    pub async fn baseline_async<B: Backend>(&self, db: &mut B, version: Version) -> Result<Report> {
        self.without_target("baseline", db, Operation::Baseline(version))
            .await
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
        block_on(self.adopt_async(db))
    }

    /// [`adopt`](Migrator::adopt) as a future: for an async client
    /// (`tokio_postgres::Client`), performing the same actions.
    ///
    /// # Errors
    ///
    /// As [`adopt`](Migrator::adopt).
    pub async fn adopt_async<B: Backend>(&self, db: &mut B) -> Result<Report> {
        self.without_target("adopt", db, Operation::Adopt(None))
            .await
    }

    /// [`adopt`](Migrator::adopt) the history of `tool` only.
    ///
    /// # Errors
    ///
    /// As [`adopt`](Migrator::adopt).
    pub fn adopt_from<B: Backend>(&self, db: &mut B, tool: Tool) -> Result<Report> {
        block_on(self.adopt_from_async(db, tool))
    }

    /// [`adopt_from`](Migrator::adopt_from) as a future: for an async client
    /// (`tokio_postgres::Client`), performing the same actions.
    ///
    /// # Errors
    ///
    /// As [`adopt_from`](Migrator::adopt_from).
    pub async fn adopt_from_async<B: Backend>(&self, db: &mut B, tool: Tool) -> Result<Report> {
        self.without_target("adopt_from", db, Operation::Adopt(Some(tool)))
            .await
    }

    /// Makes the history say that exactly the migrations up to `version`
    /// are applied, running no SQL: migrations up to it are recorded,
    /// records above it are removed. For a database fixed by hand after a
    /// failure (golang-migrate's `force`). It always means "exactly the
    /// migrations up to `version`": `Version(0)` forgets everything where
    /// no migration has version 0, and keeps a real version 0 recorded.
    ///
    /// # Errors
    ///
    /// As [`baseline`](Migrator::baseline), without
    /// [`Error::BaselineBelowCurrent`].
    pub fn force<B: Backend>(&self, db: &mut B, version: Version) -> Result<Report> {
        block_on(self.force_async(db, version))
    }

    /// [`force`](Migrator::force) as a future: for an async client
    /// (`tokio_postgres::Client`), performing the same actions.
    ///
    /// # Errors
    ///
    /// As [`force`](Migrator::force).
    pub async fn force_async<B: Backend>(&self, db: &mut B, version: Version) -> Result<Report> {
        self.without_target("force", db, Operation::Force(version))
            .await
    }

    /// Clears the failure recorded for `version`, a migration that failed
    /// outside a transaction part-way (see [`Error::UnresolvedFailure`]),
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
        block_on(self.resolve_async(db, version, resolution))
    }

    /// [`resolve`](Migrator::resolve) as a future: for an async client
    /// (`tokio_postgres::Client`), performing the same actions.
    ///
    /// # Errors
    ///
    /// As [`resolve`](Migrator::resolve).
    pub async fn resolve_async<B: Backend>(
        &self,
        db: &mut B,
        version: Version,
        resolution: Resolution,
    ) -> Result<Report> {
        let operation = Operation::Resolve(version, resolution);
        self.without_target("resolve", db, operation).await
    }

    /// Where the database stands: every migration with its state, time and drift.
    ///
    /// # Errors
    ///
    /// The history table cannot be read.
    pub fn status<B: Backend>(&self, db: &mut B) -> Result<Status> {
        block_on(self.status_async(db))
    }

    /// [`status`](Migrator::status) as a future: for an async client
    /// (`tokio_postgres::Client`), performing the same actions.
    ///
    /// # Errors
    ///
    /// As [`status`](Migrator::status).
    pub async fn status_async<B: Backend>(&self, db: &mut B) -> Result<Status> {
        let table = self.table_name()?;
        let read = db.read_history(&table, self.busy_timeout).await;
        let (ours, foreign) = Ours::with_foreign(read, db, &table, self.busy_timeout).await?;
        let history = match ours {
            Ours::Rows(history) => history,
            Ours::Foreign(error) if foreign.is_none() => return Err(error),
            Ours::Empty | Ours::Foreign(_) => Vec::new(),
        };
        let mut status = Status::new(self.migrations, &history, self.environment.as_deref());
        status.foreign = foreign;
        status.mark_outside_transaction(self.migrations, B::IMPLICIT_COMMIT);
        Ok(status)
    }

    /// The migrations a [`run`](Migrator::run) would apply, after the same checks.
    ///
    /// # Errors
    ///
    /// As the checks of [`run`](Migrator::run).
    pub fn pending<B: Backend>(&self, db: &mut B) -> Result<Vec<&'m Migration>> {
        block_on(self.pending_async(db))
    }

    /// [`pending`](Migrator::pending) as a future: for an async client
    /// (`tokio_postgres::Client`), performing the same actions.
    ///
    /// # Errors
    ///
    /// As [`pending`](Migrator::pending).
    pub async fn pending_async<B: Backend>(&self, db: &mut B) -> Result<Vec<&'m Migration>> {
        let table = self.table_name()?;
        let history = read_applied(db, &table, self.busy_timeout).await?;
        let operation = Operation::Up {
            target: self.target,
        };
        let plan = self.plan(&history, operation)?;
        Ok(plan.steps.into_iter().map(|(m, _)| m).collect())
    }

    /// Whether a [`run`](Migrator::run) would apply anything.
    ///
    /// # Errors
    ///
    /// As [`pending`](Migrator::pending).
    pub fn has_pending<B: Backend>(&self, db: &mut B) -> Result<bool> {
        block_on(self.has_pending_async(db))
    }

    /// [`has_pending`](Migrator::has_pending) as a future: for an async client
    /// (`tokio_postgres::Client`), performing the same actions.
    ///
    /// # Errors
    ///
    /// As [`has_pending`](Migrator::has_pending).
    pub async fn has_pending_async<B: Backend>(&self, db: &mut B) -> Result<bool> {
        let pending = self.pending_async(db).await?;
        Ok(!pending.is_empty())
    }

    async fn without_target<B: Backend>(
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
        perform(self, db, operation).await
    }
}
