//! [`AsyncBackend`] for `tokio_postgres::Client`: the blocking backend's
//! statements, awaited.

use std::time::Duration;

use tokio_postgres::Client;

use tokio_postgres::types::Type;

use super::{
    Attempt, Backoff, CHECK_CLIENT, COLUMNS, CURRENT_SCHEMA, Moment, PostgresLock,
    RESTORE_STATEMENT_TIMEOUT, SET_SEARCH_PATH, SET_STATEMENT_TIMEOUT, SHOW_SEARCH_PATH, Taken,
    applied, applied_sql, columns, create_sql, delete_sql, driver, driver_tagged, failed,
    failure_sql, first, history, history_rows, history_sql, insert_sql, millis, renumber_sql,
    row_values, rows_sql, search_path, values,
};
use crate::{
    AppliedMigration, AppliedVersion, AsyncBackend, DriverError, Error, LockScope, Migration,
    Result, TableName, Value, Version,
};

/// Keeps the lease at `moment` (see [`Moment`]); the driver rolls back
/// when it is lost.
async fn keep(client: &mut Client, lock: &mut PostgresLock, moment: Moment) -> Result<()> {
    let Some((sql, params)) = lock.keeping(moment) else {
        return Ok(());
    };
    let kept = !client
        .query_typed(sql, &params)
        .await
        .map_err(failed("keeping the migration lock"))?
        .is_empty();
    if !kept {
        return Err(lock.lost());
    }
    lock.kept(moment);
    Ok(())
}

impl AsyncBackend for Client {
    type Lock = PostgresLock;

    fn kind(&self) -> &'static str {
        "postgresql"
    }

    async fn lock(
        &mut self,
        table: &TableName,
        timeout: Duration,
        scope: LockScope,
        lease: Duration,
    ) -> Result<PostgresLock> {
        let current = match table.schema() {
            Some(_) => None,
            None => Some(first(
                self.query_typed(CURRENT_SCHEMA, &[]).await,
                "reading the current schema",
            )?),
        };
        let attempt = Attempt::new(table, current.as_ref(), scope, lease)?;
        let _ = self.batch_execute(CHECK_CLIENT).await;
        let mut backoff = Backoff::new(timeout);
        loop {
            self.batch_execute("BEGIN")
                .await
                .map_err(failed("starting the migration transaction"))?;
            let (try_lock, key) = attempt.try_lock();
            let mut claimed = first(
                self.query_typed(try_lock, &key).await,
                "taking the migration lock",
            )?
            .get::<_, bool>(0);
            if claimed {
                self.batch_execute(&attempt.ensure)
                    .await
                    .map_err(failed("creating the lock and history tables"))?;
                claimed = !self
                    .query_typed(&attempt.claim, &[])
                    .await
                    .map_err(failed("taking the migration lock"))?
                    .is_empty();
            }
            if claimed {
                let (take, params) = match attempt.taken() {
                    Taken::Lease(take, params) => (take, params),
                    Taken::Keep(clear) => {
                        self.batch_execute(clear)
                            .await
                            .map_err(failed("taking the migration lock"))?;
                        return Ok(attempt.lock(None));
                    }
                };
                let token: String = first(
                    self.query_typed(take, &params).await,
                    "taking the migration lock",
                )?
                .get(0);
                self.batch_execute("COMMIT")
                    .await
                    .map_err(failed("taking the migration lock"))?;
                return Ok(attempt.lock(Some(token)));
            }
            let _ = self.batch_execute("ROLLBACK").await;
            match backoff.next() {
                Ok(pause) => tokio::time::sleep(pause).await,
                Err(waited) => {
                    let mut holder = None;
                    for (sql, params, read) in attempt.holder_lookups() {
                        if let Ok(rows) = self.query_typed(&sql, &params).await
                            && let Some(row) = rows.first()
                        {
                            holder = Some(read(row));
                            break;
                        }
                    }
                    return Err(Error::Locked {
                        waited,
                        holder: holder.map(Box::new),
                    });
                }
            }
        }
    }

    fn takes_transaction_lock(&self) -> bool {
        true
    }

    async fn set_search_path(&mut self, lock: &mut PostgresLock, schema: &str) -> Result<()> {
        let own: String = first(
            self.query_typed(SHOW_SEARCH_PATH, &[]).await,
            "reading the search path",
        )?
        .get(0);
        lock.search_path = Some(own);
        self.query_typed(SET_SEARCH_PATH, &[(&search_path(schema), Type::TEXT)])
            .await
            .map(drop)
            .map_err(failed("setting the search path"))
    }

    async fn unlock(&mut self, lock: PostgresLock) {
        let _ = self.batch_execute("ROLLBACK").await;
        if let Some(own) = &lock.search_path
            && let Err(error) = self
                .query_typed(SET_SEARCH_PATH, &[(own, Type::TEXT)])
                .await
        {
            tracing::error!("could not restore the search path: {}", driver(error));
        }
        if let Some(lease) = &lock.lease
            && let Err(error) = self
                .query_typed(&lease.release, &[(&lease.token, Type::TEXT)])
                .await
        {
            tracing::error!(
                "could not release the migration lock; its lease runs out by itself: {}",
                driver(error)
            );
        }
    }

    async fn begin(&mut self, lock: &mut PostgresLock) -> Result<()> {
        self.batch_execute("BEGIN")
            .await
            .map_err(failed("starting the migration transaction"))?;
        lock.open = true;
        keep(self, lock, Moment::Begun).await
    }

    async fn commit(&mut self, lock: &mut PostgresLock) -> Result<()> {
        let renewed = keep(self, lock, Moment::Committing).await;
        lock.open = false;
        renewed?;
        match self.batch_execute("COMMIT").await {
            Ok(()) => Ok(()),
            Err(error) => {
                AsyncBackend::rollback(self, lock).await;
                Err(Error::database("committing the migrations", driver(error)))
            }
        }
    }

    async fn rollback(&mut self, lock: &mut PostgresLock) {
        lock.open = false;
        if let Err(error) = self.batch_execute("ROLLBACK").await {
            tracing::error!(
                "ROLLBACK failed, the server rolls back when the session ends: {}",
                driver(error)
            );
        }
    }

    async fn execute(
        &mut self,
        lock: &mut PostgresLock,
        sql: &str,
        limit: Option<Duration>,
    ) -> Result<(), DriverError> {
        // Outside a transaction, a lease is renewed before each statement,
        // and the statement carries its token.
        keep(self, lock, Moment::Statement).await?;
        let lease = lock.tagging();
        let tagged = lease.map(|lease| lease.tag(sql));
        let sql = tagged.as_deref().unwrap_or(sql);
        let Some(limit) = limit else {
            return self
                .batch_execute(sql)
                .await
                .map_err(|e| driver_tagged(e, lease));
        };
        let own: String = self
            .query_typed(SET_STATEMENT_TIMEOUT, &[(&millis(limit), Type::TEXT)])
            .await
            .map_err(driver)?
            .first()
            .map(|row| row.get(0))
            .unwrap_or_default();
        let result = self
            .batch_execute(sql)
            .await
            .map_err(|e| driver_tagged(e, lease));
        // In a transaction the statement's failure aborted, the setting
        // goes back with the rollback; elsewhere it is set back here.
        let _ = self
            .query_typed(RESTORE_STATEMENT_TIMEOUT, &[(&own, Type::TEXT)])
            .await;
        result
    }

    async fn read_history(
        &mut self,
        table: &TableName,
        _wait: Duration,
    ) -> Result<Vec<AppliedMigration>> {
        let answer = self.query_typed(&history_sql(table), &[]).await;
        history(table, history_rows(table, answer)?)
    }

    async fn read_applied(
        &mut self,
        table: &TableName,
        _wait: Duration,
    ) -> Result<Vec<AppliedVersion>> {
        let answer = self.query_typed(&applied_sql(table), &[]).await;
        applied(table, history_rows(table, answer)?)
    }

    async fn create_history(&mut self, table: &TableName) -> Result<()> {
        self.batch_execute(&create_sql(table))
            .await
            .map_err(failed("creating the history table"))
    }

    async fn insert_history(
        &mut self,
        table: &TableName,
        migration: &Migration,
        execution_time: Duration,
    ) -> Result<()> {
        let (version, name, checksum, micros) = row_values(migration, execution_time);
        self.query_typed(
            &insert_sql(table),
            &[
                (&version, Type::INT8),
                (&name, Type::TEXT),
                (&checksum, Type::TEXT),
                (&micros, Type::INT8),
            ],
        )
        .await
        .map(drop)
        .map_err(failed("recording the migration in the history table"))
    }

    async fn record_failure(
        &mut self,
        table: &TableName,
        migration: &Migration,
        failure: &str,
    ) -> Result<()> {
        let version = migration.version().0.cast_signed();
        self.query_typed(
            &failure_sql(table),
            &[
                (&version, Type::INT8),
                (&migration.name(), Type::TEXT),
                (&failure, Type::TEXT),
            ],
        )
        .await
        .map(drop)
        .map_err(failed(
            "recording the failed migration in the history table",
        ))
    }

    async fn delete_history(&mut self, table: &TableName, version: Version) -> Result<()> {
        self.query_typed(
            &delete_sql(table),
            &[(&version.0.cast_signed(), Type::INT8)],
        )
        .await
        .map(drop)
        .map_err(failed("removing the migration from the history table"))
    }

    async fn renumber_history(
        &mut self,
        table: &TableName,
        from: Version,
        to: Version,
    ) -> Result<()> {
        self.query_typed(
            &renumber_sql(table),
            &[
                (&from.0.cast_signed(), Type::INT8),
                (&to.0.cast_signed(), Type::INT8),
            ],
        )
        .await
        .map(drop)
        .map_err(failed("renumbering a row of the history table"))
    }

    async fn table_columns(
        &mut self,
        table: &TableName,
        _wait: Duration,
    ) -> Result<Option<Vec<String>>> {
        let rows = self
            .query_typed(
                COLUMNS,
                &[(&table.schema(), Type::TEXT), (&table.name(), Type::TEXT)],
            )
            .await
            .map_err(failed("reading another tool's history table"))?;
        Ok(columns(&rows))
    }

    async fn read_rows(
        &mut self,
        table: &TableName,
        columns: &[&str],
        _wait: Duration,
    ) -> Result<Vec<Vec<Value>>> {
        let rows = self
            .query_typed(&rows_sql(table, columns), &[])
            .await
            .map_err(failed("reading another tool's history table"))?;
        Ok(values(&rows, columns.len()))
    }
}
