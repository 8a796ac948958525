//! The one run loop: performs a [`Script`]'s actions over a [`Backend`],
//! in order, and decides nothing itself. It is async; the blocking
//! operations drive it with `ready::block_on`.

use std::future::poll_fn;
use std::panic::{self, AssertUnwindSafe};
use std::pin::pin;
use std::task::Poll;
use std::time::Instant;

use tracing::Instrument;

use crate::backend::{Backups, ForeignKeys, SearchPath};
use crate::plan::{Operation, Plan};
use crate::script::{Action, Progress, Script};
use crate::{Backend, Error, LockRequest, LockScope, Migrator, Report, Result, TableName, trace};

/// Plans without the lock (nothing pending costs this one read), then takes
/// the lock, plans again on what it reads then, and performs the actions.
/// The lock is released on every path.
pub(crate) async fn perform<B: Backend>(
    migrator: &Migrator<'_>,
    db: &mut B,
    operation: Operation,
) -> Result<Report> {
    let started = Instant::now();
    let table = migrator.table_name()?;
    let span = trace::run(operation, db.kind(), &table);
    let planned = span.clone();
    async move {
        let scope = match plan(migrator, db, &table, operation).await {
            Ok(plan) => {
                trace::planned(&planned, plan.from, plan.to);
                if let Some(report) = migrator.report_without_lock(&plan, started) {
                    return Ok(report);
                }
                migrator.lock_scope(&plan, db.takes_transaction_lock())
            }
            // A migration marked as started may be another migrator's, at
            // work under the lock: only under the lock does the mark say
            // that its run is gone.
            Err(Error::UnresolvedFailure { .. }) => LockScope::Session,
            Err(error) => return Err(error),
        };
        let waiting = Instant::now();
        let request = LockRequest {
            table: &table,
            timeout: migrator.busy_timeout,
            scope,
            lease: migrator.lock_lease,
        };
        let lock = db.lock(request).await;
        trace::lock(&lock, waiting.elapsed());
        let mut lock = lock?;
        // Released on every path: a panic (in a progress callback, say) is
        // caught, the lock released and the connection's settings restored,
        // and the panic resumed.
        let result = {
            let mut run = pin!(locked(
                migrator, db, &mut lock, &table, operation, scope, started
            ));
            poll_fn(
                |cx| match panic::catch_unwind(AssertUnwindSafe(|| run.as_mut().poll(cx))) {
                    Ok(Poll::Pending) => Poll::Pending,
                    Ok(Poll::Ready(result)) => Poll::Ready(Ok(result)),
                    Err(payload) => Poll::Ready(Err(payload)),
                },
            )
            .await
        };
        db.unlock(lock).await;
        result.unwrap_or_else(|payload| panic::resume_unwind(payload))
    }
    .instrument(span)
    .await
}

async fn locked<B: Backend>(
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
        let outcome = act(
            migrator,
            db,
            lock,
            table,
            &script,
            &mut progress,
            at,
            action,
        )
        .await;
        if let Err(error) = outcome {
            db.rollback(lock).await;
            if let Some((step, failure)) = script.failure_to_record(at, &error) {
                let recorded = match db.create_history(table).await {
                    Ok(()) => {
                        db.record_failure(table, script.migration(step), &failure)
                            .await
                    }
                    Err(error) => Err(error),
                };
                if let Err(not_recorded) = recorded {
                    tracing::error!(
                        "the failure could not be recorded in the history table: {not_recorded}"
                    );
                }
            }
            return Err(error);
        }
    }
    Ok(progress.report(&script))
}

/// Performs action number `at` of `script`.
#[allow(clippy::too_many_arguments)]
async fn act<B: Backend>(
    migrator: &Migrator<'_>,
    db: &mut B,
    lock: &mut B::Lock,
    table: &TableName,
    script: &Script<'_>,
    progress: &mut Progress,
    at: usize,
    action: Action,
) -> Result<()> {
    match action {
        Action::ConfirmRenumbered => {
            let history = db.read_history(table, migrator.busy_timeout).await?;
            migrator.confirm_renumbered(&script.plan, &history)
        }
        Action::SearchPath => match db.search_path() {
            Some(path) => {
                path.set_search_path(lock, migrator.schema.as_deref().unwrap_or_default())
                    .await
            }
            None => Ok(()),
        },
        Action::Backup => {
            if let Some(backups) = db.backups() {
                let settings = migrator.backup_settings();
                progress.backup = backups.write_backup(&settings, script.plan.from).await?;
            }
            Ok(())
        }
        Action::ForeignKeysOff => match db.foreign_keys() {
            Some(keys) => keys.foreign_keys_off(lock).await,
            None => Ok(()),
        },
        Action::Begin => db.begin(lock).await,
        Action::SetAside => match &script.plan.set_aside {
            Some(set_aside) => db
                .execute(lock, &set_aside.sql(), None)
                .await
                .map_err(|e| Error::database(SET_ASIDE, e)),
            None => Ok(()),
        },
        Action::CreateHistory => db.create_history(table).await,
        Action::Started(step) => {
            let started = script.started(step);
            db.record_failure(table, script.migration(step), &started)
                .await
        }
        Action::Run(step) => run(db, lock, script, progress, at, step).await,
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
        Action::CheckForeignKeys(step) => match db.foreign_keys() {
            Some(keys) => {
                let violations = keys.foreign_key_violations().await?;
                script.check_foreign_keys(step, violations)
            }
            None => Ok(()),
        },
        Action::Commit => db.commit(lock).await,
        Action::Done(step) => {
            progress.done(script, step, migrator.progress.as_deref());
            Ok(())
        }
    }
}

/// Reads what `operation` is planned from (our history; another tool's
/// for an adoption) and plans it.
pub(crate) async fn plan<'m, B: Backend>(
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
            let ours_is_foreign = matches!(ours, Err(Error::InvalidHistory { .. }));
            let foreign = crate::adopt::find(db, tool, table, ours_is_foreign, wait).await?;
            migrator.adoption(ours, foreign, tool, table)
        }
        // A baseline is the by-hand way past another tool's history.
        Operation::Baseline(_) => {
            let history = db.read_applied(table, wait).await?;
            migrator.plan(&history, operation)
        }
        _ => {
            let history = crate::adopt::read_applied(db, table, wait).await?;
            migrator.plan(&history, operation)
        }
    }
}

/// What a failed set-aside (renaming another tool's table that has the
/// name of ours) was doing.
const SET_ASIDE: &str =
    "keeping the other tool's history table under a new name (a table of that name exists?)";

/// Runs the statements of step `step` (action number `at`), timed.
async fn run<B: Backend>(
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
        Ok::<_, Error>(())
    }
    .instrument(script.span(step))
    .await?;
    progress.ran(step, started.elapsed());
    Ok(())
}
