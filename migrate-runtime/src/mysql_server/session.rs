//! Transactions and statements on MySQL and MariaDB, a statement run
//! together with its record, and the bounds of its waits.

use std::time::Duration;

use super::client::{Client, Completion};
use super::lock::whole_seconds;
use super::{COMMIT, MysqlLock, ROLLBACK, driver, failed, history};
use crate::{DriverError, Error, ProgressRecord, Result, Statement};

pub(super) async fn begin<C: Client>(conn: &mut C) -> Result<()> {
    conn.run("START TRANSACTION")
        .await
        .map_err(failed("starting the migration transaction"))
}

pub(super) async fn commit<C: Client>(conn: &mut C) -> Result<()> {
    match conn.run(COMMIT).await {
        Ok(()) => Ok(()),
        Err(failure) => {
            rollback(conn).await;
            Err(Error::database(
                "committing the migrations",
                driver(failure),
            ))
        }
    }
}

pub(super) async fn rollback<C: Client>(conn: &mut C) {
    if let Err(failure) = conn.run(ROLLBACK).await {
        tracing::error!(
            "ROLLBACK failed, the server rolls back when the session ends: {}",
            driver(failure)
        );
    }
}

/// Runs one statement of a migration; with `limit`, the server stops it
/// after that long, and the session's own limit is given back.
pub(super) async fn execute<C: Client>(
    conn: &mut C,
    lock: &MysqlLock,
    sql: &str,
    limit: Option<Duration>,
) -> Result<(), DriverError> {
    if sets_autocommit(sql) {
        return Err(
            "a migration may not change autocommit: the run keeps it on, so that each record \
             it writes of a migration outside a transaction is committed when written; nothing \
             of the statement ran: for a transaction of the migration's own, write START \
             TRANSACTION … COMMIT"
                .into(),
        );
    }
    let ending;
    let sql = if conn.ends_dropped_runs() && may_end_transaction(sql) {
        // The migration's own `COMMIT` or `ROLLBACK` (or a procedure's)
        // does what the session's setting says, not what the run armed.
        // One round trip; the statement's own `;` (and a comment after
        // it) is not doubled.
        let body = sql.trim_end();
        ending = format!(
            "{};\n{}\n;\n{}",
            lock.own.completion.set(),
            body.strip_suffix(';').unwrap_or(body),
            Completion::Release.set()
        );
        &ending
    } else {
        sql
    };
    let Some(limit) = limit else {
        return conn.run(sql).await.map_err(driver);
    };
    let (set, unset) = limit_settings(lock, sql, limit)?;
    conn.run(&set).await.map_err(driver)?;
    let result = conn.run(sql).await.map_err(driver);
    if let Err(failure) = conn.run(&unset).await {
        tracing::error!(
            "could not give the session its time limit back: {}",
            driver(failure)
        );
    }
    result
}

/// Whether `sql` may end a transaction, which `completion_type` applies
/// to: a `COMMIT`, a `ROLLBACK` not to a savepoint, or a `CALL` (a
/// procedure may commit inside).
fn may_end_transaction(sql: &str) -> bool {
    let first = sql
        .split(|c: char| !c.is_ascii_alphabetic())
        .find(|word| !word.is_empty())
        .unwrap_or_default();
    let statement = Statement {
        sql: std::borrow::Cow::Owned(sql.to_owned()),
        line: 0,
    };
    first.eq_ignore_ascii_case("call")
        || statement.transaction_control() == Some(migrate_core::TransactionControl::Close)
}

/// Whether `sql` is a `SET` of `autocommit` (`SET autocommit = 0`,
/// `SET SESSION autocommit = OFF`, `SET @@autocommit = 0` …).
fn sets_autocommit(sql: &str) -> bool {
    let lower = sql.trim_start().to_ascii_lowercase();
    lower.starts_with("set") && lower.contains("autocommit")
}

/// Calls a Rust migration's function, its statements limited as a
/// migration's are: each stopped after `limit` by MariaDB's
/// `max_statement_time`; on MySQL, whose `max_execution_time` stops only a
/// `SELECT`, its `SELECT`s.
pub(super) async fn call<C: Client>(
    conn: &mut C,
    lock: &MysqlLock,
    function: crate::Function,
    limit: Option<Duration>,
) -> Result<(), DriverError> {
    // The function's own transactions end as the session's setting says.
    conn.disarm(lock.own.completion).await.map_err(driver)?;
    let result = call_limited(conn, lock, function, limit).await;
    let armed = conn.arm().await.map_err(driver);
    result.and(armed)
}

/// [`call`] on a disarmed session.
async fn call_limited<C: Client>(
    conn: &mut C,
    lock: &MysqlLock,
    function: crate::Function,
    limit: Option<Duration>,
) -> Result<(), DriverError> {
    let Some(limit) = limit else {
        return conn.call(function).await;
    };
    let (set, unset) = limit_settings(lock, "SELECT", limit)?;
    conn.run(&set).await.map_err(driver)?;
    let result = conn.call(function).await;
    if let Err(failure) = conn.run(&unset).await {
        tracing::error!(
            "could not give the session its time limit back: {}",
            driver(failure)
        );
    }
    result
}

/// The settings that stop `sql` after `limit`, and those that give the
/// session its own back: MariaDB's `max_statement_time` stops any
/// statement; MySQL's `max_execution_time` only a `SELECT`, and a limit on
/// anything else is refused before it runs.
fn limit_settings(
    lock: &MysqlLock,
    sql: &str,
    limit: Duration,
) -> Result<(String, String), DriverError> {
    if lock.mariadb {
        return Ok((
            format!(
                "SET SESSION max_statement_time = {:.3}",
                limit.as_secs_f64().max(0.001)
            ),
            format!(
                "SET SESSION max_statement_time = {}",
                lock.own.max_statement_time
            ),
        ));
    }
    let is_select = sql
        .trim_start()
        .get(..6)
        .is_some_and(|word| word.eq_ignore_ascii_case("select"));
    if !is_select {
        return Err(
            "MySQL stops only a SELECT after a time limit (max_execution_time), and this \
             statement has one (the migration's Timeout, or the migrator's); nothing of it ran: \
             remove the limit for this migration, or run it on MariaDB (max_statement_time)"
                .into(),
        );
    }
    let millis = u64::try_from(limit.as_millis()).unwrap_or(u64::MAX).max(1);
    Ok((
        format!("SET SESSION max_execution_time = {millis}"),
        "SET SESSION max_execution_time = DEFAULT".to_owned(),
    ))
}

/// Makes each statement wait at most `limit` for a metadata or a row
/// lock, in whole seconds (zero: as long as MySQL lets a wait be, a year).
/// The setting lasts the session, until the unlock gives the session its
/// own back: sent only when it changes.
pub(super) async fn set_lock_timeout<C: Client>(
    conn: &mut C,
    lock: &mut MysqlLock,
    limit: Duration,
) -> Result<()> {
    let seconds = if limit.is_zero() {
        31_536_000
    } else {
        whole_seconds(limit)
    };
    if lock.lock_wait == Some(seconds) {
        return Ok(());
    }
    conn.run(&format!(
        "SET SESSION lock_wait_timeout = {seconds}, innodb_lock_wait_timeout = {seconds}"
    ))
    .await
    .map_err(failed("setting the lock timeout"))?;
    lock.lock_wait = Some(seconds);
    Ok(())
}

/// [`Backend::execute_recorded`](crate::Backend::execute_recorded) on
/// MySQL: a statement that only changes rows commits in one transaction
/// with its record; any other commits by itself, and the record follows.
pub(super) async fn execute_recorded<C: Client>(
    conn: &mut C,
    lock: &MysqlLock,
    statement: &Statement,
    limit: Option<Duration>,
    record: ProgressRecord<'_>,
) -> Result<Result<(), DriverError>> {
    let together = !statement.commits_on_mysql() && statement.changes_rows_only();
    if together && let Err(failure) = conn.run("START TRANSACTION").await {
        return Ok(Err(driver(failure)));
    }
    if let Err(error) = execute(conn, lock, statement.sql(), limit).await {
        if together {
            rollback(conn).await;
        }
        return Ok(Err(error));
    }
    let recorded =
        history::record_progress(conn, record.table, record.version, record.progress).await;
    if !together {
        return recorded.map(Ok);
    }
    if let Err(error) = recorded {
        rollback(conn).await;
        return Err(error);
    }
    commit(conn).await.map(Ok)
}
