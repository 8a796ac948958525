//! A plan turned into the actions that carry it out. Every decision of a run
//! — what is backed up, where transactions begin and end, when foreign keys
//! are checked, which history row is written, when a step counts as done,
//! what a failure says — is made here, as data, once for every driver. A
//! run loop (`perform.rs`) only performs the actions in order.

use std::time::{Duration, Instant};

use crate::lock_wait::{Attempts, LockRetry, LockWait};
use crate::mark::Mark;
use crate::plan::Plan;
use crate::report::section;
use crate::{Change, DriverError, Error, Migration, Report, Result, Statement, Step, Version};

/// Where in the statement the driver says the error is: a 1-based
/// character position (PostgreSQL's error position).
fn error_offset(error: &DriverError) -> Option<u32> {
    #[cfg(any(
        feature = "postgres",
        feature = "tokio-postgres",
        feature = "sqlx-postgres"
    ))]
    if let Some(server) = error.downcast_ref::<crate::ServerError>() {
        return server.position;
    }
    let _ = error;
    None
}

/// One thing a driver does, in order. Steps are indexes into the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    /// Run in the migrator's schema until the lock is released.
    SearchPath,
    /// Refuse the plan's renumbered rows whose recorded name differs (the
    /// names are read only then, not at every start-up).
    ConfirmRenumbered,
    /// Back the database up before the first change.
    Backup,
    /// Turn foreign key enforcement off, outside any transaction, for the
    /// one migration that asks.
    ForeignKeysOff,
    /// Turn it back on (as it was) after that migration, outside any
    /// transaction.
    ForeignKeysOn,
    /// Start a transaction.
    Begin,
    /// Rename another tool's history table that has the name of ours (an
    /// adoption in place), before ours is created.
    SetAside,
    /// Create the history table if it is missing (in the first transaction).
    CreateHistory,
    /// Record, in a transaction of its own, that the step's migration
    /// outside a transaction is starting: if the run dies before it ends,
    /// the history says so and no later run goes on over it.
    Started(usize),
    /// Run the step's statements, in order.
    Run(usize),
    /// Record the step's migration as applied.
    Insert(usize),
    /// Remove the step's migration from the history.
    Delete(usize),
    /// Give a history row its new version (`migrate fix` renumbered it);
    /// an index into the plan's renumbered rows.
    Renumber(usize),
    /// Removes the history row `plan.forgotten[_]`, a version no migration
    /// here has.
    ForgetUnknown(usize),
    /// Refuse to commit (or, outside a transaction, to record as applied)
    /// if foreign keys are violated after this step.
    CheckForeignKeys(usize),
    /// Commit the transaction.
    Commit,
    /// The step is committed: report it.
    Done(usize),
}

/// The choices of the caller that shape the actions.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Shape {
    /// Commit after each migration instead of once.
    pub per_migration: bool,
    /// Back up before the first change.
    pub backup: bool,
    /// Run in the migrator's schema (PostgreSQL's `search_path`).
    pub schema: bool,
    /// The lock opens the run's one transaction (a transaction-scoped
    /// lock): the script does not begin it again.
    pub lock_opens_transaction: bool,
    /// How long a migration may run when its file says nothing.
    pub timeout: Option<Duration>,
    /// How long the whole run may take.
    pub run_timeout: Option<Duration>,
    /// How long a statement may wait for a lock when its file says nothing.
    pub lock_timeout: Duration,
    /// On a database whose schema changes commit by themselves (MySQL's
    /// implicit commit), which statements do: a migration with one runs
    /// outside a transaction, and the history table is created before the
    /// first transaction. `None` where every statement keeps the
    /// transaction open.
    pub implicit_commit: Option<fn(&Statement) -> bool>,
}

/// A plan and the actions that carry it out.
#[derive(Debug)]
pub(crate) struct Script<'m> {
    pub plan: Plan<'m>,
    pub actions: Vec<Action>,
    /// The function each step calls, a Rust migration's (`None` for SQL),
    /// set once the run's connection has said it can call them.
    pub functions: Vec<Option<crate::Function>>,
    /// The migration, run and lock-wait limits of the shape.
    limits: (Option<Duration>, Option<Duration>, Duration),
    /// Whether each step runs outside a transaction (see [`Script::outside`]).
    outside: Vec<bool>,
    /// The statements that commit by themselves (see [`Shape::implicit_commit`]).
    implicit_commit: Option<fn(&Statement) -> bool>,
}

/// Whether `migration`, making `change`, runs outside a transaction: its
/// file says so (`NoTransaction`), or a statement it runs would end the
/// transaction by itself on this database (`implicit_commit`, MySQL's
/// schema changes), where a transaction would claim an atomicity the
/// server does not give.
pub(crate) fn runs_outside(
    migration: &Migration,
    change: Change,
    implicit_commit: Option<fn(&Statement) -> bool>,
) -> bool {
    migration.no_transaction()
        || (change.runs_sql()
            && implicit_commit.is_some_and(|commits| {
                section(migration, change)
                    .1
                    .is_some_and(|statements| statements.iter().any(commits))
            }))
}

impl<'m> Script<'m> {
    /// Decides the actions of `plan`.
    pub fn new(plan: Plan<'m>, shape: Shape) -> Script<'m> {
        let outside: Vec<bool> = plan
            .steps
            .iter()
            .map(|&(migration, change)| runs_outside(migration, change, shape.implicit_commit))
            .collect();
        let mut builder = Builder {
            set_aside: plan.set_aside.is_some(),
            history_outside: shape.implicit_commit.is_some(),
            ..Builder::default()
        };
        if shape.schema {
            builder.actions.push(Action::SearchPath);
        }
        if !plan.renumbered.is_empty() {
            builder.actions.push(Action::ConfirmRenumbered);
        }
        // Before any change, a history-only one too (`force`, `baseline`,
        // `resolve`, `adopt`): the history is what a bad `force` loses.
        if shape.backup && !plan.changes_nothing() {
            builder.actions.push(Action::Backup);
        }
        // Rows `migrate fix` renumbered change in the run's first transaction.
        for index in 0..plan.renumbered.len() {
            builder.begin();
            builder.actions.push(Action::Renumber(index));
        }
        for index in 0..plan.forgotten.len() {
            builder.begin();
            builder.actions.push(Action::ForgetUnknown(index));
        }
        for (index, &(migration, change)) in plan.steps.iter().enumerate() {
            let record = if change.records() {
                Action::Insert(index)
            } else {
                Action::Delete(index)
            };
            // Foreign keys are off for exactly the migration that asks:
            // SQLite changes the setting only outside a transaction, so the
            // migration is a transaction of its own, checked before its
            // commit (or, outside a transaction, before it is recorded).
            let keys_off = change.runs_sql() && migration.foreign_keys_off();
            if keys_off {
                builder.commit();
                builder.actions.push(Action::ForeignKeysOff);
            }
            if !change.runs_sql() {
                builder.begin();
                // The failed row goes; `--applied` writes it again, done.
                if change == Change::ResolvedApplied {
                    builder.records.push(Action::Delete(index));
                }
                builder.stage(index, record);
            } else if outside[index] {
                builder.commit();
                builder.begin();
                builder.actions.push(Action::Started(index));
                builder.commit();
                builder.actions.push(Action::Run(index));
                if keys_off {
                    builder.actions.push(Action::CheckForeignKeys(index));
                }
                builder.begin();
                builder.stage(index, record);
                builder.commit();
            } else {
                builder.begin();
                builder.actions.push(Action::Run(index));
                builder.stage(index, record);
                if keys_off {
                    builder.foreign_keys_checked_after = Some(index);
                    builder.commit();
                }
            }
            if keys_off {
                builder.actions.push(Action::ForeignKeysOn);
                continue;
            }
            if outside[index] && change.runs_sql() {
                continue;
            }
            if shape.per_migration {
                builder.commit();
            }
        }
        builder.commit();
        let mut actions = builder.actions;
        if shape.lock_opens_transaction
            && let Some(first) = actions.iter().position(|a| *a == Action::Begin)
        {
            actions.remove(first);
        }
        Script {
            plan,
            actions,
            functions: Vec::new(),
            limits: (shape.timeout, shape.run_timeout, shape.lock_timeout),
            outside,
            implicit_commit: shape.implicit_commit,
        }
    }

    /// When step `step`, started at `step_started` in a run started at
    /// `run_started`, must stop, and the limit that says so: its file's
    /// `Timeout` (else the migrator's), or the run's, whichever ends first.
    pub fn deadline(
        &self,
        step: usize,
        step_started: Instant,
        run_started: Instant,
    ) -> Option<(Instant, Duration)> {
        let own = self.migration(step).timeout().or(self.limits.0);
        let migration = own.map(|limit| (step_started + limit, limit));
        let run = self.limits.1.map(|limit| (run_started + limit, limit));
        match (migration, run) {
            (Some(m), Some(r)) => Some(if m.0 <= r.0 { m } else { r }),
            (one, other) => one.or(other),
        }
    }

    /// How long each statement of step `step` may wait for a lock: its
    /// file's `LockTimeout`, else the migrator's.
    pub fn lock_timeout(&self, step: usize) -> Duration {
        self.migration(step).lock_timeout().unwrap_or(self.limits.2)
    }

    /// What a retry after statement `statement` of step `step` waited for
    /// a lock says: attempt `attempts.count()`, then `pause`.
    pub fn lock_retry(
        &self,
        step: usize,
        statement: usize,
        attempts: &Attempts,
        pause: Duration,
    ) -> LockRetry {
        let migration = self.migration(step);
        LockRetry {
            version: migration.version(),
            path: section(migration, self.plan.steps[step].1).0.to_string(),
            line: self.statements(step)[statement].line(),
            attempt: attempts.count(),
            lock_timeout: self.lock_timeout(step),
            pause,
            spent: attempts.spent(),
            budget: attempts.budget(),
            transaction: !self.outside(step),
        }
    }

    /// The error of statement `statement` of step `step` (action number
    /// `at`) when it waited for a lock on its last attempt: the blocking
    /// sessions are named later, once its transaction is rolled back.
    pub fn lock_timed_out(
        &self,
        at: usize,
        step: usize,
        statement: usize,
        source: DriverError,
        attempts: &Attempts,
    ) -> Error {
        let migration = self.migration(step);
        let index = statement;
        let statement = &self.statements(step)[statement];
        Error::LockTimeout {
            version: migration.version(),
            path: section(migration, self.plan.steps[step].1).0.to_string(),
            line: statement.line(),
            statement: statement.sql().to_owned(),
            wait: Box::new(LockWait {
                lock_timeout: self.lock_timeout(step),
                attempts: attempts.count(),
                spent: attempts.spent(),
                blockers: Vec::new(),
            }),
            rolled_back: !self.outside(step),
            left_nothing: self.left_nothing(step, index),
            committed: self.committed_before(at),
            driver: source,
        }
    }

    /// Whether statement `index` of step `step`, failing, left nothing of
    /// its migration: a migration outside a transaction being applied, its
    /// first statement (not one a resumed run starts from), which is all or
    /// nothing (not a `CONCURRENTLY` form, which can leave an invalid
    /// index), and not the `BEGIN` of a transaction of the file's own. Its
    /// started mark is taken back instead of recorded as a failure.
    pub fn left_nothing(&self, step: usize, index: usize) -> bool {
        let statement = &self.statements(step)[index];
        // A Rust function is not one statement: what it did before failing
        // stays. A statement that commits by itself may have done part of
        // its work (MySQL's `DROP TABLE a, b` drops `a` when `b` fails).
        self.outside(step)
            && !self.migration(step).is_rust()
            && !self
                .implicit_commit
                .is_some_and(|commits| commits(statement))
            && self.plan.steps[step].1 == Change::Up
            && index == 0
            && self.first_statement(step) == 0
            && !statement.is_concurrent()
            && statement.transaction_control().is_none()
    }

    /// Whether the whole script is one transaction: one `Begin`, no
    /// statement outside it. Such a run can take a lock that lasts the
    /// transaction.
    pub fn is_one_transaction(&self) -> bool {
        let begins = self.actions.iter().filter(|a| **a == Action::Begin).count();
        let outside = self
            .plan
            .steps
            .iter()
            .zip(&self.outside)
            .any(|((_, change), outside)| change.runs_sql() && *outside);
        begins <= 1 && !outside
    }

    /// Whether step `step` runs outside a transaction: its file says
    /// `NoTransaction`, or it runs a statement that commits by itself on
    /// this database ([`Shape::implicit_commit`]).
    pub fn outside(&self, step: usize) -> bool {
        self.outside[step]
    }

    /// The migration of step `step`.
    pub fn migration(&self, step: usize) -> &'m Migration {
        self.plan.steps[step].0
    }

    /// The file whose statements step `step` runs.
    pub fn file(&self, step: usize) -> &'m str {
        let (migration, change) = self.plan.steps[step];
        section(migration, change).0
    }

    /// The span of step `step`'s statements.
    pub fn span(&self, step: usize) -> tracing::Span {
        let (migration, change) = self.plan.steps[step];
        crate::trace::migration(migration, change, self.file(step), !self.outside(step))
    }

    /// The statements step `step` runs.
    pub fn statements(&self, step: usize) -> &'m [Statement] {
        let (migration, change) = self.plan.steps[step];
        section(migration, change).1.map_or(&[], |s| &s[..])
    }

    /// The error for statement `statement` of step `step` failing with
    /// `source`, while performing action number `at`.
    pub fn statement_failed(
        &self,
        at: usize,
        step: usize,
        statement: usize,
        mut source: DriverError,
        deadline: Option<(Instant, Duration)>,
    ) -> Error {
        // A lease lost before the statement: the statement was not sent.
        if let Some(Error::LockLost { lease }) = source.downcast_ref::<Error>() {
            return Error::LockLost { lease: *lease };
        }
        // A function that ended the run's transaction: the run stops there.
        if let Some(ended) = source.downcast_ref::<crate::TransactionEnded>() {
            let migration = self.migration(step);
            return Error::TransactionEnded {
                version: migration.version(),
                path: section(migration, self.plan.steps[step].1).0.to_string(),
                committed: ended.committed,
                before: self.committed_before(at),
            };
        }
        // A statement refused its settings was given what remained of its
        // limit: say the limit itself.
        if let Some(refused) = source.downcast_mut::<crate::SettingsRefused>()
            && refused.limit.is_some()
            && let Some((_, limit)) = deadline
        {
            refused.limit = Some(limit);
        }
        let migration = self.migration(step);
        let left_nothing = self.left_nothing(step, statement);
        let statement = &self.statements(step)[statement];
        let (line, column) = match error_offset(&source) {
            Some(offset) => {
                let (line, column) = statement.line_and_column(offset);
                (line, Some(column))
            }
            None => (statement.line(), None),
        };
        // Stopped at (or a moment before) the deadline: the limit stopped it.
        if let Some((at_deadline, limit)) = deadline
            && Instant::now() + Duration::from_millis(20) >= at_deadline
        {
            return Error::TimedOut {
                version: migration.version(),
                path: section(migration, self.plan.steps[step].1).0.to_string(),
                line,
                statement: statement.sql().to_owned(),
                limit,
                rolled_back: !self.outside(step),
                left_nothing,
                committed: self.committed_before(at),
                driver: source,
            };
        }
        Error::MigrationFailed {
            version: migration.version(),
            path: section(migration, self.plan.steps[step].1).0.to_string(),
            line,
            column,
            statement: statement.sql().to_owned(),
            rolled_back: !self.outside(step),
            left_nothing,
            committed: self.committed_before(at),
            own_transaction: None,
            driver: source,
        }
    }

    /// The line of the `BEGIN` of step `step`'s own transaction, when its
    /// statement `index` runs inside it (a file that controls its own
    /// transaction, run outside the run's).
    pub fn own_transaction_at(&self, step: usize, index: usize) -> Option<u32> {
        let mut open = None;
        for statement in self.statements(step).iter().take(index) {
            match statement.transaction_control() {
                Some(migrate_core::TransactionControl::Open) => open = Some(statement.line()),
                Some(migrate_core::TransactionControl::Close) => open = None,
                None => {}
            }
        }
        open
    }

    /// What to record when action number `at` failed with `error`: a
    /// migration outside a transaction that failed part-way is recorded as
    /// failed, at its statement and line, so that no later run goes on over
    /// a half-applied migration. `None` for a failure that was rolled back.
    pub fn failure_to_record(&self, at: usize, error: &Error) -> Option<(usize, String)> {
        if let (
            Action::CheckForeignKeys(step),
            Error::ForeignKeyViolations {
                path,
                violations,
                rolled_back: false,
                ..
            },
        ) = (self.actions[at], error)
        {
            // Every statement ran, outside a transaction: the violations stay.
            let statements = self.statements(step);
            let last = statements.last().map_or(1, Statement::line);
            let message: String = format!(
                "foreign key violations after its last statement: {}",
                violations.join("; ")
            )
            .chars()
            .take(300)
            .collect();
            return Some((
                step,
                crate::mark::failed_text(
                    self.plan.steps[step].1 == Change::Down,
                    (statements.len(), statements.len()),
                    (path, last),
                    &message,
                ),
            ));
        }
        let Action::Run(step) = self.actions[at] else {
            return None;
        };
        let own = match error {
            Error::MigrationFailed {
                own_transaction: Some(begin),
                ..
            } => format!(" (its own transaction from line {begin} was rolled back)"),
            _ => String::new(),
        };
        let (Error::MigrationFailed {
            path,
            line,
            driver,
            left_nothing: false,
            ..
        }
        | Error::TimedOut {
            path,
            line,
            driver,
            left_nothing: false,
            ..
        }
        | Error::LockTimeout {
            path,
            line,
            driver,
            left_nothing: false,
            ..
        }) = error
        else {
            return None;
        };
        if !self.outside(step) {
            return None;
        }
        let statements = self.statements(step);
        let k = statements
            .iter()
            .filter(|s| s.line() <= *line)
            .count()
            .max(1);
        let message: String = format!("{driver}{own}").chars().take(300).collect();
        let reverting = self.plan.steps[step].1 == Change::Down;
        Some((
            step,
            crate::mark::failed_text(reverting, (k, statements.len()), (path, *line), &message),
        ))
    }

    /// The step whose started mark action number `at`, failing with
    /// `error`, takes back: a migration outside a transaction whose first
    /// statement failed without changing anything stays pending.
    pub fn mark_to_take_back(&self, at: usize, error: &Error) -> Option<usize> {
        let Action::Run(step) = self.actions[at] else {
            return None;
        };
        matches!(
            error,
            Error::MigrationFailed {
                left_nothing: true,
                ..
            } | Error::TimedOut {
                left_nothing: true,
                ..
            } | Error::LockTimeout {
                left_nothing: true,
                ..
            }
        )
        .then_some(step)
    }

    /// The refusal to commit after step `step` when `violations` is not empty.
    pub fn check_foreign_keys(&self, step: usize, violations: Vec<String>) -> Result<()> {
        if violations.is_empty() {
            return Ok(());
        }
        let migration = self.migration(step);
        Err(Error::ForeignKeyViolations {
            version: migration.version(),
            path: section(migration, self.plan.steps[step].1).0.to_string(),
            violations,
            rolled_back: !self.outside(step),
        })
    }

    /// The versions whose steps were committed before action number `at`.
    fn committed_before(&self, at: usize) -> Vec<Version> {
        self.actions[..at]
            .iter()
            .filter_map(|action| match action {
                Action::Done(step) => Some(self.migration(*step).version()),
                _ => None,
            })
            .collect()
    }

    /// What the history row of step `step`, outside a transaction, says
    /// once `done` of its statements are known done (written by
    /// [`Action::Started`] and after each statement): the run did not
    /// finish it, the last statement known done and the next.
    pub fn mark(&self, step: usize, done: usize, lease: Option<&str>) -> String {
        let (migration, change) = self.plan.steps[step];
        let statements = self.statements(step);
        let mark = Mark {
            reverting: change == Change::Down,
            done,
            total: statements.len(),
        };
        mark.text(statements, section(migration, change).0, lease)
    }

    /// The first statement of step `step` to run: after those a run that
    /// stopped left known done, for an `Idempotent` migration it goes on with.
    pub fn first_statement(&self, step: usize) -> usize {
        if step == 0 { self.plan.resume } else { 0 }
    }

    /// What a run of this script has done so far.
    pub fn start(&self, started: Instant) -> Progress {
        Progress {
            started,
            durations: vec![Duration::ZERO; self.plan.steps.len()],
            done: Vec::with_capacity(self.plan.steps.len()),
            backup: None,
            attempts: Attempts::new(Duration::ZERO),
        }
    }
}

/// Collects actions; tracks the open transaction.
///
/// The history rows of a transaction are written together just before its
/// commit: in between the migrations' DDL changes the schema, which makes
/// SQLite prepare the history statement again each time (measured: about
/// 15 µs a migration, a tenth of a run).
#[derive(Default)]
struct Builder {
    actions: Vec<Action>,
    open: bool,
    history_created: bool,
    /// Another tool's table is renamed before the history table is created.
    set_aside: bool,
    /// Both happen before the first transaction, not in it: on a database
    /// where they would commit it (MySQL).
    history_outside: bool,
    /// The history actions of the open transaction.
    records: Vec<Action>,
    uncommitted: Vec<usize>,
    foreign_keys_checked_after: Option<usize>,
}

impl Builder {
    fn begin(&mut self) {
        if self.open {
            return;
        }
        let at = self.actions.len();
        self.actions.push(Action::Begin);
        if !self.history_created {
            if self.set_aside {
                self.actions.push(Action::SetAside);
            }
            self.actions.push(Action::CreateHistory);
            self.history_created = true;
            if self.history_outside {
                self.actions[at..].rotate_left(1);
            }
        }
        self.open = true;
    }

    /// Step `step`'s history action, written at the commit.
    fn stage(&mut self, step: usize, record: Action) {
        self.records.push(record);
        self.uncommitted.push(step);
    }

    fn commit(&mut self) {
        if !self.open {
            return;
        }
        self.actions.append(&mut self.records);
        if let Some(step) = self.foreign_keys_checked_after.take() {
            self.actions.push(Action::CheckForeignKeys(step));
        }
        self.actions.push(Action::Commit);
        self.actions
            .extend(self.uncommitted.drain(..).map(Action::Done));
        self.open = false;
    }
}

/// The state of a run as a driver performs a script: each step's time, the
/// committed steps, the backup.
#[derive(Debug)]
pub(crate) struct Progress {
    started: Instant,
    durations: Vec<Duration>,
    done: Vec<Step>,
    /// The backup written before the first change.
    pub backup: Option<std::path::PathBuf>,
    /// The run's attempts at its locks, across the tries of its transactions.
    pub attempts: Attempts,
}

impl Progress {
    /// Step `step`'s statements took `duration`.
    /// When the run started.
    pub fn run_started(&self) -> Instant {
        self.started
    }

    /// Step `step`'s statements took `duration`. At least a microsecond
    /// is recorded, so that a history row's zero time says only "recorded,
    /// nothing ran" (a baseline, an adoption).
    pub fn ran(&mut self, step: usize, duration: Duration) {
        self.durations[step] = duration.max(Duration::from_micros(1));
    }

    /// How long step `step` took, for its history row.
    pub fn duration(&self, step: usize) -> Duration {
        self.durations[step]
    }

    /// Step `step` is committed: log it and tell `on_progress`.
    pub fn done(
        &mut self,
        script: &Script<'_>,
        step: usize,
        on_progress: Option<&(dyn Fn(&Step) + Send + Sync)>,
    ) {
        let (migration, change) = script.plan.steps[step];
        let mut done = Step::new(migration, change, script.outside(step));
        done.duration = self.durations[step];
        crate::trace::step(&done);
        if let Some(on_progress) = on_progress {
            on_progress(&done);
        }
        self.done.push(done);
    }

    /// The report of the finished run.
    pub fn report(self, script: &Script<'_>) -> Report {
        Report {
            from: script.plan.from,
            to: script.plan.to,
            steps: self.done,
            backup: self.backup,
            renumbered: script.plan.renumbered.clone(),
            forgotten: script.plan.forgotten.clone(),
            kept_history: script
                .plan
                .set_aside
                .as_ref()
                .map(crate::plan::SetAside::kept),
            dry_run: false,
            duration: self.started.elapsed(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;
    use std::time::Duration;

    use super::{Action, Action::*, Script, Shape};
    use crate::plan::Plan;
    use crate::{Change, Checksum, Migration, Statement, Version};

    const STATEMENTS: &[Statement] = &[Statement {
        sql: Cow::Borrowed("SELECT 1;"),
        line: 2,
    }];

    fn migration(version: u64, no_transaction: bool, foreign_keys_off: bool) -> Migration {
        Migration {
            version: Version(version),
            name: Cow::Borrowed("m"),
            environment: None,
            up_path: Cow::Owned(format!("migrations/{version}_m.sql")),
            down_path: Some(Cow::Owned(format!("migrations/{version}_m.sql"))),
            up: Cow::Borrowed(STATEMENTS),
            down: Some(Cow::Borrowed(STATEMENTS)),
            no_transaction,
            foreign_keys_off,
            unordered: false,
            checksum: Checksum([0; 32]),
            up_file_sha384: [0; 48],
            up_file_text: None,
            timeout: None,
            lock_timeout: None,
            idempotent: None,
            no_check: None,
            rust: false,
        }
    }

    fn actions(steps: &[(&Migration, Change)], per_migration: bool, backup: bool) -> Vec<Action> {
        let plan = Plan {
            from: None,
            to: None,
            steps: steps.to_vec(),
            renumbered: Vec::new(),
            forgotten: Vec::new(),
            set_aside: None,
            resume: 0,
        };
        Script::new(
            plan,
            Shape {
                per_migration,
                backup,
                schema: false,
                lock_opens_transaction: false,
                timeout: None,
                run_timeout: None,
                lock_timeout: Duration::from_secs(2),
                implicit_commit: None,
            },
        )
        .actions
    }

    #[test]
    fn one_transaction_by_default_with_the_backup_first() {
        let (a, b) = (migration(1, false, false), migration(2, false, false));
        let up = [(&a, Change::Up), (&b, Change::Up)];
        assert_eq!(
            actions(&up, false, true),
            [
                Backup,
                Begin,
                CreateHistory,
                Run(0),
                Run(1),
                Insert(0),
                Insert(1),
                Commit,
                Done(0),
                Done(1)
            ]
        );
    }

    #[test]
    fn per_migration_commits_each_step() {
        let (a, b) = (migration(1, false, false), migration(2, false, false));
        let down = [(&b, Change::Down), (&a, Change::Down)];
        assert_eq!(
            actions(&down, true, false),
            [
                Begin,
                CreateHistory,
                Run(0),
                Delete(0),
                Commit,
                Done(0),
                Begin,
                Run(1),
                Delete(1),
                Commit,
                Done(1),
            ]
        );
    }

    #[test]
    fn a_no_transaction_step_runs_between_transactions_and_is_recorded_in_its_own() {
        let (a, b, c) = (
            migration(1, false, false),
            migration(2, true, false),
            migration(3, false, false),
        );
        let up = [(&a, Change::Up), (&b, Change::Up), (&c, Change::Up)];
        assert_eq!(
            actions(&up, false, false),
            [
                Begin,
                CreateHistory,
                Run(0),
                Insert(0),
                Commit,
                Done(0),
                // Marked as started, committed, before its first statement.
                Begin,
                Started(1),
                Commit,
                Run(1),
                Begin,
                Insert(1),
                Commit,
                Done(1),
                Begin,
                Run(2),
                Insert(2),
                Commit,
                Done(2),
            ]
        );
        // First in the run: the history table is created with its mark.
        assert_eq!(
            actions(&up[1..2], false, false),
            [
                Begin,
                CreateHistory,
                Started(0),
                Commit,
                Run(0),
                Begin,
                Insert(0),
                Commit,
                Done(0)
            ]
        );
    }

    #[test]
    fn foreign_keys_are_off_for_exactly_the_migration_that_asks_and_checked_before_its_commit() {
        let (a, b, c) = (
            migration(1, false, false),
            migration(2, false, true),
            migration(3, false, false),
        );
        let up = [(&a, Change::Up), (&b, Change::Up), (&c, Change::Up)];
        assert_eq!(
            actions(&up, false, false),
            [
                Begin,
                CreateHistory,
                Run(0),
                Insert(0),
                Commit,
                Done(0),
                ForeignKeysOff,
                Begin,
                Run(1),
                Insert(1),
                CheckForeignKeys(1),
                Commit,
                Done(1),
                ForeignKeysOn,
                Begin,
                Run(2),
                Insert(2),
                Commit,
                Done(2),
            ]
        );
        // Outside a transaction, the check follows its last statement,
        // before it is recorded as applied.
        let outside = migration(2, true, true);
        let up = [(&a, Change::Up), (&outside, Change::Up)];
        let actions = actions(&up, false, false);
        let at = |action| actions.iter().position(|a| *a == action).expect("present");
        assert!(at(ForeignKeysOff) < at(Run(1)));
        assert!(at(Run(1)) < at(CheckForeignKeys(1)));
        assert!(at(CheckForeignKeys(1)) < at(Insert(1)));
        assert!(at(Insert(1)) < at(ForeignKeysOn));
    }

    #[test]
    fn a_baseline_records_without_running_or_touching_foreign_keys_after_a_backup() {
        let (a, b) = (migration(1, true, true), migration(2, false, false));
        let baseline = [(&a, Change::Baseline), (&b, Change::Baseline)];
        assert_eq!(
            actions(&baseline, false, true),
            [
                Backup,
                Begin,
                CreateHistory,
                Insert(0),
                Insert(1),
                Commit,
                Done(0),
                Done(1)
            ]
        );
    }

    #[test]
    fn renumbered_rows_change_in_the_first_transaction() {
        let (a, b) = (migration(1, false, false), migration(2, true, false));
        let plan = |steps: Vec<(&'static Migration, Change)>| Plan {
            from: Some(Version(1)),
            to: Some(Version(2)),
            steps,
            renumbered: vec![(Version(20240101120000), Version(1))],
            forgotten: Vec::new(),
            set_aside: None,
            resume: 0,
        };
        let a: &'static Migration = Box::leak(Box::new(a));
        let b: &'static Migration = Box::leak(Box::new(b));
        let shape = Shape {
            per_migration: false,
            backup: false,
            schema: false,
            lock_opens_transaction: false,
            timeout: None,
            run_timeout: None,
            lock_timeout: Duration::from_secs(2),
            implicit_commit: None,
        };
        assert_eq!(
            Script::new(plan(vec![(a, Change::Up)]), shape).actions,
            [
                ConfirmRenumbered,
                Begin,
                CreateHistory,
                Renumber(0),
                Run(0),
                Insert(0),
                Commit,
                Done(0)
            ]
        );
        // Before a step outside a transaction, it has a transaction of its own.
        assert_eq!(
            Script::new(plan(vec![(b, Change::Up)]), shape).actions,
            [
                ConfirmRenumbered,
                Begin,
                CreateHistory,
                Renumber(0),
                Commit,
                Begin,
                Started(0),
                Commit,
                Run(0),
                Begin,
                Insert(0),
                Commit,
                Done(0)
            ]
        );
        // Alone, it is the whole run.
        assert_eq!(
            Script::new(plan(Vec::new()), shape).actions,
            [ConfirmRenumbered, Begin, CreateHistory, Renumber(0), Commit]
        );
    }

    #[test]
    fn a_failure_names_what_was_committed_before_it() {
        let (a, b) = (migration(1, false, false), migration(2, true, false));
        let up = [(&a, Change::Up), (&b, Change::Up)];
        let plan = Plan {
            from: None,
            to: Some(Version(2)),
            steps: up.to_vec(),
            renumbered: Vec::new(),
            forgotten: Vec::new(),
            set_aside: None,
            resume: 0,
        };
        let script = Script::new(
            plan,
            Shape {
                per_migration: false,
                backup: false,
                schema: false,
                lock_opens_transaction: false,
                timeout: None,
                run_timeout: None,
                lock_timeout: Duration::from_secs(2),
                implicit_commit: None,
            },
        );
        let at = script
            .actions
            .iter()
            .position(|a| *a == Run(1))
            .expect("runs 2");
        let error = script.statement_failed(at, 1, 0, "boom".into(), None);
        match error {
            crate::Error::MigrationFailed {
                committed,
                rolled_back,
                line,
                ..
            } => {
                assert_eq!(committed, [Version(1)]);
                assert!(!rolled_back, "a NoTransaction migration is not rolled back");
                assert_eq!(line, 2);
            }
            other => panic!("unexpected {other:?}"),
        }
        let first = script.statement_failed(2, 0, 0, "boom".into(), None);
        assert!(
            matches!(first, crate::Error::MigrationFailed { ref committed, rolled_back: true, .. } if committed.is_empty())
        );
    }
}
