//! [`Backend`] for the blocking `postgres::Client`.

use std::time::Duration;

use postgres::Client;

use tokio_postgres::types::Type;

use super::{
    Attempt, Backoff, CHECK_CLIENT, COLUMNS, CURRENT_SCHEMA, Moment, PostgresLock,
    RESTORE_STATEMENT_TIMEOUT, SET_SEARCH_PATH, SET_STATEMENT_TIMEOUT, SHOW_SEARCH_PATH, Taken,
    applied, applied_sql, columns, create_sql, delete_sql, driver, driver_tagged, failed,
    failure_sql, first, history, history_rows, history_sql, insert_sql, millis, renumber_sql,
    row_values, rows_sql, search_path, values,
};
use crate::{
    AppliedMigration, AppliedVersion, Backend, DriverError, Error, LockScope, Migration, Result,
    TableName, Value, Version,
};

/// Keeps the lease at `moment` (see [`Moment`]); the driver rolls back
/// when it is lost.
fn keep(client: &mut Client, lock: &mut PostgresLock, moment: Moment) -> Result<()> {
    let Some((sql, params)) = lock.keeping(moment) else {
        return Ok(());
    };
    let kept = !client
        .query_typed(sql, &params)
        .map_err(failed("keeping the migration lock"))?
        .is_empty();
    if !kept {
        return Err(lock.lost());
    }
    lock.kept(moment);
    Ok(())
}

impl Backend for Client {
    type Lock = PostgresLock;

    fn kind(&self) -> &'static str {
        "postgresql"
    }

    fn lock(
        &mut self,
        table: &TableName,
        timeout: Duration,
        scope: LockScope,
        lease: Duration,
    ) -> Result<PostgresLock> {
        let current = match table.schema() {
            Some(_) => None,
            None => Some(first(
                self.query_typed(CURRENT_SCHEMA, &[]),
                "reading the current schema",
            )?),
        };
        let attempt = Attempt::new(table, current.as_ref(), scope, lease)?;
        let _ = self.batch_execute(CHECK_CLIENT);
        let mut backoff = Backoff::new(timeout);
        loop {
            self.batch_execute("BEGIN")
                .map_err(failed("starting the migration transaction"))?;
            let (try_lock, key) = attempt.try_lock();
            let mut claimed = first(
                self.query_typed(try_lock, &key),
                "taking the migration lock",
            )?
            .get::<_, bool>(0);
            if claimed {
                self.batch_execute(&attempt.ensure)
                    .map_err(failed("creating the lock and history tables"))?;
                claimed = !self
                    .query_typed(&attempt.claim, &[])
                    .map_err(failed("taking the migration lock"))?
                    .is_empty();
            }
            if claimed {
                let (take, params) = match attempt.taken() {
                    Taken::Lease(take, params) => (take, params),
                    Taken::Keep(clear) => {
                        self.batch_execute(clear)
                            .map_err(failed("taking the migration lock"))?;
                        return Ok(attempt.lock(None));
                    }
                };
                let token: String =
                    first(self.query_typed(take, &params), "taking the migration lock")?.get(0);
                self.batch_execute("COMMIT")
                    .map_err(failed("taking the migration lock"))?;
                return Ok(attempt.lock(Some(token)));
            }
            let _ = self.batch_execute("ROLLBACK");
            match backoff.next() {
                Ok(pause) => std::thread::sleep(pause),
                Err(waited) => {
                    let holder =
                        attempt
                            .holder_lookups()
                            .into_iter()
                            .find_map(|(sql, params, read)| {
                                self.query_typed(&sql, &params).ok()?.first().map(read)
                            });
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

    fn set_search_path(&mut self, lock: &mut PostgresLock, schema: &str) -> Result<()> {
        let own: String = first(
            self.query_typed(SHOW_SEARCH_PATH, &[]),
            "reading the search path",
        )?
        .get(0);
        lock.search_path = Some(own);
        self.query_typed(SET_SEARCH_PATH, &[(&search_path(schema), Type::TEXT)])
            .map(drop)
            .map_err(failed("setting the search path"))
    }

    fn unlock(&mut self, lock: PostgresLock) {
        // A failed rollback may leave the session in an aborted transaction.
        let _ = self.batch_execute("ROLLBACK");
        if let Some(own) = &lock.search_path
            && let Err(error) = self.query_typed(SET_SEARCH_PATH, &[(own, Type::TEXT)])
        {
            tracing::error!("could not restore the search path: {}", driver(error));
        }
        if let Some(lease) = &lock.lease
            && let Err(error) = self.query_typed(&lease.release, &[(&lease.token, Type::TEXT)])
        {
            tracing::error!(
                "could not release the migration lock; its lease runs out by itself: {}",
                driver(error)
            );
        }
    }

    fn begin(&mut self, lock: &mut PostgresLock) -> Result<()> {
        self.batch_execute("BEGIN")
            .map_err(failed("starting the migration transaction"))?;
        lock.open = true;
        keep(self, lock, Moment::Begun)
    }

    fn commit(&mut self, lock: &mut PostgresLock) -> Result<()> {
        let renewed = keep(self, lock, Moment::Committing);
        lock.open = false;
        renewed?;
        self.batch_execute("COMMIT").map_err(|e| {
            Backend::rollback(self, lock);
            Error::database("committing the migrations", driver(e))
        })
    }

    fn rollback(&mut self, lock: &mut PostgresLock) {
        lock.open = false;
        if let Err(error) = self.batch_execute("ROLLBACK") {
            tracing::error!(
                "ROLLBACK failed, the server rolls back when the session ends: {}",
                driver(error)
            );
        }
    }

    fn execute(
        &mut self,
        lock: &mut PostgresLock,
        sql: &str,
        limit: Option<Duration>,
    ) -> Result<(), DriverError> {
        // Outside a transaction, a lease is renewed before each statement,
        // and the statement carries its token.
        keep(self, lock, Moment::Statement)?;
        let lease = lock.tagging();
        let tagged = lease.map(|lease| lease.tag(sql));
        let sql = tagged.as_deref().unwrap_or(sql);
        let Some(limit) = limit else {
            return self.batch_execute(sql).map_err(|e| driver_tagged(e, lease));
        };
        let own: String = self
            .query_typed(SET_STATEMENT_TIMEOUT, &[(&millis(limit), Type::TEXT)])
            .map_err(driver)?
            .first()
            .map(|row| row.get(0))
            .unwrap_or_default();
        let result = self.batch_execute(sql).map_err(|e| driver_tagged(e, lease));
        // In a transaction the statement's failure aborted, the setting
        // goes back with the rollback; elsewhere it is set back here.
        let _ = self.query_typed(RESTORE_STATEMENT_TIMEOUT, &[(&own, Type::TEXT)]);
        result
    }

    fn read_history(
        &mut self,
        table: &TableName,
        _wait: Duration,
    ) -> Result<Vec<AppliedMigration>> {
        let answer = self.query_typed(&history_sql(table), &[]);
        history(table, history_rows(table, answer)?)
    }

    fn read_applied(&mut self, table: &TableName, _wait: Duration) -> Result<Vec<AppliedVersion>> {
        let answer = self.query_typed(&applied_sql(table), &[]);
        applied(table, history_rows(table, answer)?)
    }

    fn create_history(&mut self, table: &TableName) -> Result<()> {
        self.batch_execute(&create_sql(table))
            .map_err(failed("creating the history table"))
    }

    fn insert_history(
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
        .map(drop)
        .map_err(failed("recording the migration in the history table"))
    }

    fn record_failure(
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
        .map(drop)
        .map_err(failed(
            "recording the failed migration in the history table",
        ))
    }

    fn delete_history(&mut self, table: &TableName, version: Version) -> Result<()> {
        self.query_typed(
            &delete_sql(table),
            &[(&version.0.cast_signed(), Type::INT8)],
        )
        .map(drop)
        .map_err(failed("removing the migration from the history table"))
    }

    fn renumber_history(&mut self, table: &TableName, from: Version, to: Version) -> Result<()> {
        self.query_typed(
            &renumber_sql(table),
            &[
                (&from.0.cast_signed(), Type::INT8),
                (&to.0.cast_signed(), Type::INT8),
            ],
        )
        .map(drop)
        .map_err(failed("renumbering a row of the history table"))
    }

    fn table_columns(&mut self, table: &TableName, _wait: Duration) -> Result<Option<Vec<String>>> {
        let rows = self
            .query_typed(
                COLUMNS,
                &[(&table.schema(), Type::TEXT), (&table.name(), Type::TEXT)],
            )
            .map_err(failed("reading another tool's history table"))?;
        Ok(columns(&rows))
    }

    fn read_rows(
        &mut self,
        table: &TableName,
        columns: &[&str],
        _wait: Duration,
    ) -> Result<Vec<Vec<Value>>> {
        let rows = self
            .query_typed(&rows_sql(table, columns), &[])
            .map_err(failed("reading another tool's history table"))?;
        Ok(values(&rows, columns.len()))
    }
}
