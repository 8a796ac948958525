//! Transactions and statements on MySQL and MariaDB: [`Session`] for
//! [`mysql::Conn`], and a statement run together with its record.

use std::time::Duration;

use mysql::Conn;
use mysql::prelude::Queryable;

use super::{MysqlLock, driver, failed, run};
use crate::{DriverError, Error, HistoryStore, ProgressRecord, Result, Session, Statement};

impl Session for Conn {
    async fn begin(&mut self, _lock: &mut MysqlLock) -> Result<()> {
        self.query_drop("START TRANSACTION")
            .map_err(failed("starting the migration transaction"))
    }

    async fn commit(&mut self, lock: &mut MysqlLock) -> Result<()> {
        match self.query_drop("COMMIT") {
            Ok(()) => Ok(()),
            Err(error) => {
                Session::rollback(self, lock).await;
                Err(Error::database("committing the migrations", driver(error)))
            }
        }
    }

    async fn rollback(&mut self, _lock: &mut MysqlLock) {
        if let Err(error) = self.query_drop("ROLLBACK") {
            tracing::error!(
                "ROLLBACK failed, the server rolls back when the session ends: {}",
                driver(error)
            );
        }
    }

    async fn execute(
        &mut self,
        lock: &mut MysqlLock,
        sql: &str,
        limit: Option<Duration>,
    ) -> Result<(), DriverError> {
        let Some(limit) = limit else {
            return run(self, sql).map_err(driver);
        };
        let (set, unset) = limit_settings(lock, sql, limit)?;
        self.query_drop(&set).map_err(driver)?;
        let result = run(self, sql).map_err(driver);
        if let Err(error) = self.query_drop(&unset) {
            tracing::error!(
                "could not give the session its time limit back: {}",
                driver(error)
            );
        }
        result
    }
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
    let select = Statement {
        sql: std::borrow::Cow::Owned(sql.to_owned()),
        line: 1,
    };
    if !select
        .sql()
        .trim_start()
        .to_ascii_lowercase()
        .starts_with("select")
    {
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

/// [`Backend::execute_recorded`](crate::Backend::execute_recorded) on
/// MySQL: a statement that only changes rows commits in one transaction
/// with its record; any other commits by itself, and the record follows.
pub(super) async fn execute_recorded(
    conn: &mut Conn,
    lock: &mut MysqlLock,
    statement: &Statement,
    limit: Option<Duration>,
    record: ProgressRecord<'_>,
) -> Result<Result<(), DriverError>> {
    let together = !statement.commits_on_mysql() && statement.changes_rows_only();
    if together && let Err(error) = conn.query_drop("START TRANSACTION") {
        return Ok(Err(driver(error)));
    }
    if let Err(error) = Session::execute(conn, lock, statement.sql(), limit).await {
        if together {
            Session::rollback(conn, lock).await;
        }
        return Ok(Err(error));
    }
    let recorded = conn
        .record_progress(record.table, record.version, record.progress)
        .await;
    if !together {
        return recorded.map(Ok);
    }
    if let Err(error) = recorded {
        Session::rollback(conn, lock).await;
        return Err(error);
    }
    Session::commit(conn, lock).await.map(Ok)
}
