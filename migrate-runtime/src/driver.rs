//! The blocking driver: performs a [`Script`]'s actions over a [`Backend`],
//! in order, and decides nothing itself. An async driver is this file again
//! with `.await` after each backend call.

use std::panic::{self, AssertUnwindSafe};
use std::time::Instant;

use crate::plan::{Operation, Plan};
use crate::script::{Action, Progress, Script};
use crate::{Backend, LockScope, Migrator, Report, Result, TableName};

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
    let plan = plan(migrator, db, &table, operation)?;
    if let Some(report) = migrator.report_without_lock(&plan, started) {
        return Ok(report);
    }
    let scope = migrator.lock_scope(&plan, db.takes_transaction_lock());
    let mut lock = db.lock(&table, migrator.busy_timeout, scope, migrator.lock_lease)?;
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
                log::error!(
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
            let ours = db.read_applied(table, wait);
            let ours_is_foreign = matches!(ours, Err(crate::Error::InvalidHistory { .. }));
            let foreign = crate::adopt::find(db, tool, table, ours_is_foreign, wait)?;
            migrator.adoption(ours, foreign, tool, table)
        }
        // A baseline is the by-hand way past another tool's history.
        Operation::Baseline(_) => migrator.plan(&db.read_applied(table, wait)?, operation),
        _ => migrator.plan(&crate::adopt::read_applied(db, table, wait)?, operation),
    }
}

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
    for (index, statement) in script.statements(step).iter().enumerate() {
        let limit = deadline.map(|(end, _)| end.saturating_duration_since(Instant::now()));
        db.execute(lock, statement.sql(), limit)
            .map_err(|source| script.statement_failed(at, step, index, source, deadline))?;
    }
    progress.ran(step, started.elapsed());
    Ok(())
}
