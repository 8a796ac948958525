//! The one run loop: performs a [`Script`]'s actions over a [`Backend`],
//! in order, and decides nothing itself. It is async; the blocking
//! operations drive it with `ready::block_on`.

use std::mem;
use std::panic;
use std::time::{Duration, Instant};

use tracing::Instrument;

use crate::abandon::Held;
use crate::backend::{Backups, ForeignKeys, LockWaits, SearchPath};
use crate::lock_wait::{Attempts, LockRetry};
use crate::plan::{Operation, Plan};
use crate::script::{Action, Progress, Script};
use crate::{
    Backend, Error, LockRequest, LockScope, Migrator, ProgressRecord, Report, Result, TableName,
    trace,
};

/// Plans without the lock (nothing pending costs this one read), then takes
/// the lock, plans again on what it reads then, and performs the actions.
/// The lock is released on every path. A transaction whose statement
/// waited its lock timeout for a table's lock is rolled back, the lock
/// released, and the whole tried again after a pause (what it committed
/// before stays), until the run's wait is spent.
pub(crate) async fn perform<B: Backend>(
    migrator: &Migrator<'_>,
    db: &mut B,
    operation: Operation,
) -> Result<Report> {
    let started = Instant::now();
    let table = migrator.table_name()?;
    let span = trace::run(operation, db.kind(), &table);
    let mut attempts = Attempts::new(migrator.busy_timeout);
    let asked = Asked {
        table: &table,
        operation,
        started,
    };
    async {
        loop {
            let mut result = attempt(migrator, db, asked, &mut attempts).await;
            if let Some(retry) = attempts.retry.take() {
                retried(migrator, db, &retry).await;
                continue;
            }
            // Named once the transaction is rolled back and the lock released.
            if let Err(Error::LockTimeout {
                statement, wait, ..
            }) = &mut result
                && let Some(waits) = db.lock_waits()
            {
                wait.blockers = waits.blockers(statement).await;
            }
            return result;
        }
    }
    .instrument(span)
    .await
}

/// Says that a statement waited for a lock and will be tried again
/// (tracing, [`Migrator::on_lock_retry`]), and waits its pause.
async fn retried<B: Backend>(migrator: &Migrator<'_>, db: &mut B, retry: &LockRetry) {
    trace::lock_retry(retry);
    if let Some(callback) = &migrator.lock_retry {
        callback(retry);
    }
    if let Some(waits) = db.lock_waits() {
        waits.pause(retry.pause).await;
    }
}

/// What a run was asked to do, and when.
#[derive(Clone, Copy)]
struct Asked<'t> {
    table: &'t TableName,
    operation: Operation,
    started: Instant,
}

/// One attempt of the run: plans, takes the lock, performs the actions
/// and releases the lock.
async fn attempt<B: Backend>(
    migrator: &Migrator<'_>,
    db: &mut B,
    asked: Asked<'_>,
    attempts: &mut Attempts,
) -> Result<Report> {
    let Asked {
        table,
        operation,
        started,
    } = asked;
    let scope = match read_and_plan(migrator, db, table, operation).await {
        Ok(plan) => {
            trace::planned(&tracing::Span::current(), plan.from, plan.to);
            if let Some(report) = migrator.report_without_lock(&plan, started, B::IMPLICIT_COMMIT) {
                return Ok(report);
            }
            migrator.lock_scope(&plan, db.takes_transaction_lock(), B::IMPLICIT_COMMIT)
        }
        // A migration marked as started may be another migrator's, at
        // work under the lock: only under the lock does the mark say
        // that its run is gone.
        Err(Error::UnresolvedFailure { .. }) => LockScope::Session,
        // A read without the lock may meet another migrator's work half
        // done (a table created, renamed or dropped between two reads; a
        // pooler's statements on two sessions): it is read again under the
        // lock, where nothing moves, and an error that persists there is
        // the answer.
        Err(error @ Error::Database { .. }) => {
            tracing::debug!("read again under the lock after: {error}");
            LockScope::Session
        }
        Err(error) => return Err(error),
    };
    // A session inside someone's transaction is refused before any change.
    db.outside_transaction().await?;
    let run = crate::abandon::run_id();
    let request = LockRequest {
        table,
        timeout: migrator.busy_timeout,
        scope,
        lease: migrator.lock_lease,
        direct: migrator.direct_connection,
        run: &run,
    };
    // From here until the lock is released, a dropped future (or a lock
    // not taken cleanly) leaves the connection as the run found it.
    let mut held = Held::new(db, table, &run);
    let waiting = Instant::now();
    let lock = held.db.lock(request).await;
    trace::lock(&lock, waiting.elapsed());
    let lock = match lock {
        Ok(lock) => lock,
        // Another migrator kept it: the tries left nothing open.
        Err(error @ Error::Locked { .. }) => {
            held.released();
            return Err(error);
        }
        Err(error) => return Err(error),
    };
    held.taken(lock);
    // Released on every path: a panic (in a progress callback, say) is
    // caught, the lock released and the connection's settings restored,
    // and the panic resumed.
    let result = {
        let Held { db, lock, .. } = &mut held;
        let lock = lock.as_mut().expect("taken just above");
        crate::ready::caught(locked(migrator, &mut **db, lock, asked, scope, attempts)).await
    };
    if let Some(lock) = held.lock.take() {
        held.db.unlock(lock).await;
    }
    held.released();
    result.unwrap_or_else(|payload| panic::resume_unwind(payload))
}

async fn locked<B: Backend>(
    migrator: &Migrator<'_>,
    db: &mut B,
    lock: &mut B::Lock,
    asked: Asked<'_>,
    scope: LockScope,
    attempts: &mut Attempts,
) -> Result<Report> {
    let Asked {
        table,
        operation,
        started,
    } = asked;
    // From here on the run's own statements name the table where the lock
    // found it, whatever a migration does to the session.
    let resolved = db.history_table(lock).cloned();
    let table = resolved.as_ref().unwrap_or(table);
    let plan = read_and_plan(migrator, db, table, operation).await?;
    let mut script = migrator.script(plan, scope, B::IMPLICIT_COMMIT);
    script.functions = crate::code::functions(migrator.migrations, &script.plan, db.kind(), |f| {
        db.can_call(f)
    })?;
    let mut progress = script.start(started);
    progress.attempts = mem::replace(attempts, Attempts::new(Duration::ZERO));
    let result = actions(migrator, db, lock, table, &script, &mut progress).await;
    *attempts = mem::replace(&mut progress.attempts, Attempts::new(Duration::ZERO));
    result.map(|()| progress.report(&script))
}

/// Performs the actions of `script`, in order.
async fn actions<B: Backend>(
    migrator: &Migrator<'_>,
    db: &mut B,
    lock: &mut B::Lock,
    table: &TableName,
    script: &Script<'_>,
    progress: &mut Progress,
) -> Result<()> {
    for (at, &action) in script.actions.iter().enumerate() {
        let outcome = act(migrator, db, lock, table, script, progress, at, action).await;
        if let Err(error) = outcome {
            if let Some(lost) = db.lost_lock(lock, &error) {
                return Err(lost);
            }
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
            } else if let Some(step) = script.mark_to_take_back(at, &error) {
                let version = script.migration(step).version();
                if let Err(kept) = db.delete_history(table, version).await {
                    tracing::error!(
                        "the mark that version {version} was started could not be taken back: {kept}"
                    );
                }
            }
            return Err(error);
        }
    }
    Ok(())
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
        Action::ForeignKeysOn => match db.foreign_keys() {
            Some(keys) => keys.foreign_keys_on(lock).await,
            None => Ok(()),
        },
        Action::Begin => db.begin(lock).await,
        Action::SetAside => match &script.plan.set_aside {
            Some(set_aside) => db
                .execute(lock, &set_aside.sql(B::QUOTE), None)
                .await
                .map_err(|e| Error::database(SET_ASIDE, e)),
            None => Ok(()),
        },
        Action::CreateHistory => db.create_history(table).await,
        Action::Started(step) => {
            let lease = db.lease_token(lock);
            let mark = script.mark(step, script.first_statement(step), lease);
            db.record_failure(table, script.migration(step), &mark)
                .await
        }
        Action::Run(step) => {
            let at = Place { table, at, step };
            run(migrator, db, lock, script, progress, at).await
        }
        Action::Insert(step) => {
            db.insert_history(table, script.migration(step), progress.duration(step))
                .await
        }
        Action::Delete(step) => {
            db.delete_history(table, script.migration(step).version())
                .await
        }
        Action::ForgetUnknown(index) => {
            db.delete_history(table, script.plan.forgotten[index]).await
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
pub(crate) async fn read_and_plan<'m, B: Backend>(
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

/// Calls the function of step `step` (action number `at`), a Rust
/// migration's, where its statements would run. It is not tried again
/// after a lock timeout: what it did before is its own.
async fn call<B: Backend>(
    db: &mut B,
    lock: &mut B::Lock,
    script: &Script<'_>,
    (at, step): (usize, usize),
    deadline: Option<(Instant, Duration)>,
    lock_timeout: Duration,
) -> Result<()> {
    let Some(function) = script.functions.get(step).copied().flatten() else {
        return Ok(());
    };
    if let Some(waits) = db.lock_waits() {
        waits.set_lock_timeout(lock, lock_timeout).await?;
    }
    let limit = deadline.map(|(end, _)| end.saturating_duration_since(Instant::now()));
    let ran = Instant::now();
    let named = &script.statements(step)[0];
    match db.call(lock, function, limit).await {
        // A function that works in Rust past its limit is not interrupted
        // by the database: it is stopped when it returns.
        Ok(()) if deadline.is_some_and(|(end, _)| Instant::now() >= end) => Err(script
            .statement_failed(
                at,
                step,
                0,
                "the function returned after its time limit".into(),
                deadline,
            )),
        Ok(()) => {
            trace::statement(script.file(step), named, ran.elapsed());
            Ok(())
        }
        Err(source) => {
            let source = crate::code::named(named.sql(), source);
            Err(script.statement_failed(at, step, 0, source, deadline))
        }
    }
}

/// What a failed set-aside (renaming another tool's table that has the
/// name of ours) was doing.
const SET_ASIDE: &str =
    "keeping the other tool's history table under a new name (a table of that name exists?)";

/// Where in a run a step's statements run: the history table, the action
/// number and the step.
#[derive(Clone, Copy)]
struct Place<'t> {
    table: &'t TableName,
    at: usize,
    step: usize,
}

/// Runs the statements of step `step` (action number `at`), timed, each
/// waiting at most the step's lock timeout for a lock where the database
/// bounds it. A statement outside a transaction that waited that long is
/// tried again in place after a pause; one inside a transaction ends the
/// attempt, which is rolled back and tried again whole.
async fn run<B: Backend>(
    migrator: &Migrator<'_>,
    db: &mut B,
    lock: &mut B::Lock,
    script: &Script<'_>,
    progress: &mut Progress,
    place: Place<'_>,
) -> Result<()> {
    let Place { table, at, step } = place;
    let started = Instant::now();
    let deadline = script.deadline(step, started, progress.run_started());
    let file = script.file(step);
    let lock_timeout = script.lock_timeout(step);
    db.starting_migration(lock);
    async {
        if script.migration(step).is_rust() {
            return call(db, lock, script, (at, step), deadline, lock_timeout).await;
        }
        let statements = script.statements(step);
        let first = script.first_statement(step);
        let outside = script.outside(step);
        for (index, statement) in statements.iter().enumerate().skip(first) {
            // Outside a transaction, each statement but the last is
            // recorded as done (after the last, the row becomes applied):
            // together with it where the database can, alone after a
            // statement that ends or is part of the file's own transaction.
            let done = (outside && index + 1 < statements.len())
                .then(|| script.mark(step, index + 1, db.lease_token(lock)));
            let alone = statement.transaction_control().is_some()
                || script.own_transaction_at(step, index).is_some();
            let record = done
                .as_deref()
                .filter(|_| !alone)
                .map(|progress| ProgressRecord {
                    table,
                    version: script.migration(step).version(),
                    progress,
                });
            let mut lock_timeout = lock_timeout;
            if let Some(waits) = db.lock_waits() {
                // A `CONCURRENTLY` statement waits for transactions without
                // queries queuing behind it: a timeout would only stop it
                // half-done.
                if statement.is_concurrent() {
                    lock_timeout = Duration::ZERO;
                }
                waits.set_lock_timeout(lock, lock_timeout).await?;
            }
            loop {
                let limit = deadline.map(|(end, _)| end.saturating_duration_since(Instant::now()));
                let ran = Instant::now();
                let executed = match record {
                    Some(record) => db.execute_recorded(lock, statement, limit, record).await?,
                    None => db.execute(lock, statement.sql(), limit).await,
                };
                let Err(source) = executed else {
                    trace::statement(file, statement, ran.elapsed());
                    break;
                };
                let waited = db
                    .lock_waits()
                    .is_some_and(|waits| waits.is_lock_timeout(&source));
                if !waited || lock_timeout.is_zero() {
                    let mut error = script.statement_failed(at, step, index, source, deadline);
                    // Inside the file's own transaction: it is rolled back
                    // (the server aborted it), and the error says so.
                    if let Some(begin) = script.own_transaction_at(step, index)
                        && let Error::MigrationFailed {
                            own_transaction, ..
                        } = &mut error
                    {
                        db.rollback(lock).await;
                        *own_transaction = Some(begin);
                    }
                    return Err(error);
                }
                let Ok(pause) = progress.attempts.failed(ran, lock_timeout) else {
                    return Err(script.lock_timed_out(at, step, index, source, &progress.attempts));
                };
                let retry = script.lock_retry(step, index, &progress.attempts, pause);
                if retry.transaction {
                    progress.attempts.retry = Some(retry);
                    return Err(script.lock_timed_out(at, step, index, source, &progress.attempts));
                }
                retried(migrator, db, &retry).await;
            }
            if let Some(done) = &done
                && alone
            {
                db.record_progress(table, script.migration(step).version(), done)
                    .await?;
            }
        }
        Ok::<_, Error>(())
    }
    .instrument(script.span(step))
    .await?;
    progress.ran(step, started.elapsed());
    Ok(())
}
