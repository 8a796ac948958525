//! What a run tells `tracing`: a span per run and per migration, an event
//! per statement, lock wait and backup, each with fields a structured
//! subscriber (`tracing-subscriber`'s JSON output, say) can read. Both
//! drivers and the backends call these, so each span and event is written
//! once. With no subscriber, a span costs a check of a cached flag.

#[cfg(feature = "_sqlite")]
use std::path::Path;
use std::time::Duration;

use tracing::field::{Empty, display};
use tracing::{Span, debug, info, info_span, warn};

use crate::plan::Operation;
use crate::report::VersionOrNone;
use crate::{Change, Error, Migration, Result, Statement, TableName, Version};

/// Milliseconds with a fraction, the unit of every duration field.
fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// The span of one run: `operation` on a `database` (its kind: `sqlite`,
/// `postgresql`) whose history is `table`. `from` and `to` are recorded
/// once the run is planned.
pub(crate) fn run(operation: Operation, database: &'static str, table: &TableName) -> Span {
    info_span!(
        "migrate",
        operation = operation.name(),
        database,
        history_table = %table,
        from = Empty,
        to = Empty,
    )
}

/// Records where a run goes in its span.
pub(crate) fn planned(span: &Span, from: Option<Version>, to: Option<Version>) {
    span.record("from", display(VersionOrNone(from)));
    span.record("to", display(VersionOrNone(to)));
}

/// The span of one migration's statements.
pub(crate) fn migration(
    migration: &Migration,
    change: Change,
    file: &str,
    transaction: bool,
) -> Span {
    info_span!(
        "migration",
        version = migration.version().0,
        // Not `name`: JSON output gives a span's own name that key.
        migration_name = %migration.name(),
        change = change.label(),
        file,
        transaction,
    )
}

/// One statement of `file` ran in `elapsed`.
pub(crate) fn statement(file: &str, statement: &Statement, elapsed: Duration) {
    debug!(
        file,
        line = statement.line(),
        elapsed_ms = ms(elapsed),
        "statement"
    );
}

/// A migration is committed (or recorded): the line the report prints.
pub(crate) fn step(step: &crate::Step) {
    info!(
        version = step.version.0,
        migration_name = %step.name,
        change = step.change.label(),
        elapsed_ms = ms(step.duration),
        "{step}"
    );
}

/// The migration lock was taken after `waited`, or the wait ran out.
/// A statement waited its lock timeout and is tried again after a pause.
pub(crate) fn lock_retry(retry: &crate::LockRetry) {
    warn!(
        version = retry.version.0,
        file = %retry.path,
        line = retry.line,
        attempt = retry.attempt,
        lock_timeout_ms = ms(retry.lock_timeout),
        pause_ms = ms(retry.pause),
        spent_ms = ms(retry.spent),
        "a statement waited its lock timeout for a lock; trying again after a pause"
    );
}

pub(crate) fn lock<L>(taken: &Result<L>, waited: Duration) {
    match taken {
        Ok(_) if waited >= Duration::from_millis(1) => {
            info!(waited_ms = ms(waited), "migration lock taken after a wait");
        }
        Ok(_) => debug!(waited_ms = ms(waited), "migration lock taken"),
        Err(Error::Locked { waited, holder }) => warn!(
            waited_ms = ms(*waited),
            holder = holder.as_ref().map(display),
            "migration lock still taken, waited in vain"
        ),
        Err(_) => {}
    }
}

/// A backup of `database` was written to `path`.
#[cfg(feature = "_sqlite")]
pub(crate) fn backup(database: &Path, path: &Path, elapsed: Duration) {
    let bytes = std::fs::metadata(path).map_or(0, |m| m.len());
    info!(
        database = %database.display(),
        path = %path.display(),
        bytes,
        elapsed_ms = ms(elapsed),
        "backup written"
    );
}
