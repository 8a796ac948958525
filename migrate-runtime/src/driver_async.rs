//! The async driver: `driver.rs` again with `.await` after each backend
//! call, performing the same [`Script`] over an [`AsyncBackend`]. It
//! decides nothing itself.

use std::panic::AssertUnwindSafe;
use std::time::{Duration, Instant};

use futures_util::FutureExt;
use tracing::Instrument;

use crate::adopt::{Ours, candidates, recognised};
use crate::plan::{Operation, Plan};
use crate::script::{Action, Progress, Script};
use crate::{
    AsyncBackend, ForeignHistory, LockScope, Migrator, Report, Result, Status, TableName, Tool,
    trace,
};

/// As `driver::execute`: plans without the lock, takes it, plans again and
/// performs the actions; the lock is released on every path.
pub(crate) async fn execute<B: AsyncBackend>(
    migrator: &Migrator<'_>,
    db: &mut B,
    operation: Operation,
) -> Result<Report> {
    let started = Instant::now();
    let table = migrator.table_name()?;
    let span = trace::run(operation, db.kind(), &table);
    execute_in(migrator, db, operation, table, started)
        .instrument(span)
        .await
}

/// [`execute`] inside the run's span.
async fn execute_in<B: AsyncBackend>(
    migrator: &Migrator<'_>,
    db: &mut B,
    operation: Operation,
    table: TableName,
    started: Instant,
) -> Result<Report> {
    let plan = plan(migrator, db, &table, operation).await?;
    trace::planned(&tracing::Span::current(), plan.from, plan.to);
    if let Some(report) = migrator.report_without_lock(&plan, started) {
        return Ok(report);
    }
    let scope = migrator.lock_scope(&plan, db.takes_transaction_lock());
    let waiting = Instant::now();
    let lock = db
        .lock(&table, migrator.busy_timeout, scope, migrator.lock_lease)
        .await;
    trace::lock(&lock, waiting.elapsed());
    let mut lock = lock?;
    let result = AssertUnwindSafe(locked(
        migrator, db, &mut lock, &table, operation, scope, started,
    ))
    .catch_unwind()
    .await;
    db.unlock(lock).await;
    result.unwrap_or_else(|payload| std::panic::resume_unwind(payload))
}

async fn locked<B: AsyncBackend>(
    migrator: &Migrator<'_>,
    db: &mut B,
    lock: &mut B::Lock,
    table: &TableName,
    operation: Operation,
    scope: LockScope,
    started: Instant,
) -> Result<Report> {
    let plan = plan(migrator, db, table, operation).await?;
    let script = migrator.script(plan, scope);
    let mut progress = script.start(started);
    for (at, &action) in script.actions.iter().enumerate() {
        let outcome = match action {
            Action::ConfirmRenumbered => {
                match db.read_history(table, migrator.busy_timeout).await {
                    Ok(history) => migrator.confirm_renumbered(&script.plan, &history),
                    Err(error) => Err(error),
                }
            }
            Action::SearchPath => {
                db.set_search_path(lock, migrator.schema.as_deref().unwrap_or_default())
                    .await
            }
            Action::Backup => db
                .write_backup(&migrator.backup_settings(), script.plan.from)
                .await
                .map(|path| progress.backup = path),
            Action::ForeignKeysOff => db.foreign_keys_off(lock).await,
            Action::Begin => db.begin(lock).await,
            Action::SetAside => match &script.plan.set_aside {
                Some(set_aside) => db
                    .execute(lock, &set_aside.sql(), None)
                    .await
                    .map_err(|e| crate::Error::database(crate::driver::SET_ASIDE, e)),
                None => Ok(()),
            },
            Action::CreateHistory => db.create_history(table).await,
            Action::Run(step) => run(db, lock, &script, &mut progress, at, step).await,
            Action::Insert(step) => {
                db.insert_history(table, script.migration(step), progress.duration(step))
                    .await
            }
            Action::Delete(step) => {
                db.delete_history(table, script.migration(step).version())
                    .await
            }
            Action::Renumber(index) => {
                let (from, to) = script.plan.renumbered[index];
                db.renumber_history(table, from, to).await
            }
            Action::CheckForeignKeys(step) => match db.foreign_key_violations().await {
                Ok(violations) => script.check_foreign_keys(step, violations),
                Err(error) => Err(error),
            },
            Action::Commit => db.commit(lock).await,
            Action::Done(step) => {
                progress.done(&script, step, migrator.progress.as_deref());
                Ok(())
            }
        };
        if let Err(error) = outcome {
            db.rollback(lock).await;
            if let Some((step, failure)) = script.failure_to_record(at, &error)
                && let Err(not_recorded) = match db.create_history(table).await {
                    Ok(()) => {
                        db.record_failure(table, script.migration(step), &failure)
                            .await
                    }
                    Err(error) => Err(error),
                }
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

/// As `driver::plan`: reads what `operation` is planned from, and plans it.
async fn plan<'m, B: AsyncBackend>(
    migrator: &Migrator<'m>,
    db: &mut B,
    table: &TableName,
    operation: Operation,
) -> Result<Plan<'m>> {
    let wait = migrator.busy_timeout;
    match operation {
        Operation::Adopt(tool) => {
            let columns = db.table_columns(table, wait).await?;
            let ours = match crate::adopt::not_ours(columns.as_deref(), table) {
                Some(error) => Err(error),
                None => db.read_applied(table, wait).await,
            };
            let ours_is_foreign = matches!(ours, Err(crate::Error::InvalidHistory { .. }));
            let foreign = find(db, tool, table, ours_is_foreign, wait).await?;
            migrator.adoption(ours, foreign, tool, table)
        }
        Operation::Baseline(_) => migrator.plan(&db.read_applied(table, wait).await?, operation),
        _ => {
            let ours = Ours::of(db.read_applied(table, wait).await)?;
            let foreign = match ours {
                Ours::Rows(_) => None,
                _ => find(db, None, table, ours.is_foreign(), wait).await?,
            };
            migrator.plan(&ours.or_refuse(foreign)?, operation)
        }
    }
}

/// As `adopt::find`, awaited.
async fn find<B: AsyncBackend>(
    db: &mut B,
    tool: Option<Tool>,
    ours: &TableName,
    ours_is_foreign: bool,
    wait: Duration,
) -> Result<Option<ForeignHistory>> {
    for (tool, table) in candidates(tool, ours, ours_is_foreign)? {
        let Some(columns) = db.table_columns(&table, wait).await? else {
            continue;
        };
        if tool.has_shape(&columns) {
            let rows = db.read_rows(&table, tool.columns(), wait).await?;
            return recognised(tool, &table, &rows).map(Some);
        }
    }
    Ok(None)
}

/// As `Migrator::status`, awaited.
pub(crate) async fn status<B: AsyncBackend>(migrator: &Migrator<'_>, db: &mut B) -> Result<Status> {
    let table = migrator.table_name()?;
    let read = db.read_history(&table, migrator.busy_timeout).await;
    let (history, looks) = crate::migrator::status_history(read)?;
    let foreign = match looks.ours_is_foreign() {
        Some(ours_is_foreign) => {
            find(db, None, &table, ours_is_foreign, migrator.busy_timeout).await?
        }
        None => None,
    };
    migrator.status_of(&history, looks, foreign)
}

/// As `driver::run`: the statements of step `step`, timed.
async fn run<B: AsyncBackend>(
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
    async {
        for (index, statement) in script.statements(step).iter().enumerate() {
            let limit = deadline.map(|(end, _)| end.saturating_duration_since(Instant::now()));
            let ran = Instant::now();
            db.execute(lock, statement.sql(), limit)
                .await
                .map_err(|source| script.statement_failed(at, step, index, source, deadline))?;
            trace::statement(file, statement, ran.elapsed());
        }
        Ok::<_, crate::Error>(())
    }
    .instrument(script.span(step))
    .await?;
    progress.ran(step, started.elapsed());
    Ok(())
}
