//! The blocking driver: performs a [`Script`]'s actions over a [`Backend`],
//! in order, and decides nothing itself. An async driver is this file again
//! with `.await` after each backend call.

use std::panic::{self, AssertUnwindSafe};
use std::time::Instant;

use crate::plan::{Operation, Plan};
use crate::script::{Action, Progress, Script};
use crate::{Backend, LockScope, Migrator, Report, Result, TableName, trace};

/// Plans without the lock (nothing pending costs this one read), then takes
/// the lock, plans again on what it reads then, and performs the actions.
/// The lock is released on every path.
pub(crate) fn execute<B: Backend>(
    migrator: &Migrator<'_>,
    db: &mut B,
    operation: Operation,
) -> Result<Report> {
    let started = Instant::now();
    let table = migrator.table_name()?;
    let span = trace::run(operation, db.kind(), &table);
    let _entered = span.enter();
    let plan = plan(migrator, db, &table, operation)?;
    trace::planned(&span, plan.from, plan.to);
    if let Some(report) = migrator.report_without_lock(&plan, started) {
        return Ok(report);
    }
    let scope = migrator.lock_scope(&plan, db.takes_transaction_lock());
    let waiting = Instant::now();
    let lock = db.lock(&table, migrator.busy_timeout, scope, migrator.lock_lease);
    trace::lock(&lock, waiting.elapsed());
    let mut lock = lock?;
    // Released on every path: a panic (in a progress callback, say) is
    // caught, the lock released and the connection's settings restored,
    // and the panic resumed.
    let result = panic::catch_unwind(AssertUnwindSafe(|| {
        locked(migrator, db, &mut lock, &table, operation, scope, started)
    }));
    db.unlock(lock);
    result.unwrap_or_else(|payload| panic::resume_unwind(payload))
}

fn locked<B: Backend>(
    migrator: &Migrator<'_>,
    db: &mut B,
    lock: &mut B::Lock,
    table: &TableName,
    operation: Operation,
    scope: LockScope,
    started: Instant,
) -> Result<Report> {
    let plan = plan(migrator, db, table, operation)?;
    let script = migrator.script(plan, scope);
    let mut progress = script.start(started);
    for (at, &action) in script.actions.iter().enumerate() {
        let outcome = match action {
            Action::ConfirmRenumbered => db
                .read_history(table, migrator.busy_timeout)
                .and_then(|history| migrator.confirm_renumbered(&script.plan, &history)),
            Action::SearchPath => {
                db.set_search_path(lock, migrator.schema.as_deref().unwrap_or_default())
            }
            Action::Backup => db
                .write_backup(&migrator.backup_settings(), script.plan.from)
                .map(|path| progress.backup = path),
            Action::ForeignKeysOff => db.foreign_keys_off(lock),
            Action::Begin => db.begin(lock),
            Action::SetAside => set_aside(db, lock, &script),
            Action::CreateHistory => db.create_history(table),
            Action::Run(step) => run(db, lock, &script, &mut progress, at, step),
            Action::Insert(step) => {
                db.insert_history(table, script.migration(step), progress.duration(step))
            }
            Action::Delete(step) => db.delete_history(table, script.migration(step).version()),
            Action::Renumber(index) => {
                let (from, to) = script.plan.renumbered[index];
                db.renumber_history(table, from, to)
            }
            Action::CheckForeignKeys(step) => db
                .foreign_key_violations()
                .and_then(|violations| script.check_foreign_keys(step, violations)),
            Action::Commit => db.commit(lock),
            Action::Done(step) => {
                progress.done(&script, step, migrator.progress.as_deref());
                Ok(())
            }
        };
        if let Err(error) = outcome {
            db.rollback(lock);
            if let Some((step, failure)) = script.failure_to_record(at, &error)
                && let Err(not_recorded) = db
                    .create_history(table)
                    .and_then(|()| db.record_failure(table, script.migration(step), &failure))
            {
                tracing::error!(
                    "the failure could not be recorded in the history table: {not_recorded}"
                );
            }
            return Err(error);
        }
    }
    Ok(progress.report(&script))
}

/// Reads what `operation` is planned from (our history; another tool's
/// for an adoption) and plans it.
fn plan<'m, B: Backend>(
    migrator: &Migrator<'m>,
    db: &mut B,
    table: &TableName,
    operation: Operation,
) -> Result<Plan<'m>> {
    let wait = migrator.busy_timeout;
    match operation {
        Operation::Adopt(tool) => {
            let columns = db.table_columns(table, wait)?;
            let ours = match crate::adopt::not_ours(columns.as_deref(), table) {
                Some(error) => Err(error),
                None => db.read_applied(table, wait),
            };
            let ours_is_foreign = matches!(ours, Err(crate::Error::InvalidHistory { .. }));
            let foreign = crate::adopt::find(db, tool, table, ours_is_foreign, wait)?;
            migrator.adoption(ours, foreign, tool, table)
        }
        // A baseline is the by-hand way past another tool's history.
        Operation::Baseline(_) => migrator.plan(&db.read_applied(table, wait)?, operation),
        _ => migrator.plan(&crate::adopt::read_applied(db, table, wait)?, operation),
    }
}

/// Renames another tool's table that has the name of ours.
fn set_aside<B: Backend>(db: &mut B, lock: &mut B::Lock, script: &Script<'_>) -> Result<()> {
    let Some(set_aside) = &script.plan.set_aside else {
        return Ok(());
    };
    db.execute(lock, &set_aside.sql(), None)
        .map_err(|e| crate::Error::database(SET_ASIDE, e))
}

/// What a failed [`set_aside`] was doing.
pub(crate) const SET_ASIDE: &str =
    "keeping the other tool's history table under a new name (a table of that name exists?)";

/// Runs the statements of step `step` (action number `at`), timed.
fn run<B: Backend>(
    db: &mut B,
    lock: &mut B::Lock,
    script: &Script<'_>,
    progress: &mut Progress,
    at: usize,
    step: usize,
) -> Result<()> {
    let started = Instant::now();
    let deadline = script.deadline(step, started, progress.run_started());
    let file = script.file(step);
    let span = script.span(step);
    let _entered = span.enter();
    for (index, statement) in script.statements(step).iter().enumerate() {
        let limit = deadline.map(|(end, _)| end.saturating_duration_since(Instant::now()));
        let ran = Instant::now();
        db.execute(lock, statement.sql(), limit)
            .map_err(|source| script.statement_failed(at, step, index, source, deadline))?;
        trace::statement(file, statement, ran.elapsed());
    }
    progress.ran(step, started.elapsed());
    Ok(())
}
