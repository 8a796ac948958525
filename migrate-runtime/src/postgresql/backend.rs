//! The PostgreSQL backend, written once over [`Client`]: the capabilities
//! of [`Backend`] for every PostgreSQL client.

use std::time::Duration;

use super::client::{Client, Failure, Param, Row};
use super::settings::{Alone, Settings};
use super::{
    Attempt, BLOCKERS, COLUMNS, IN_TRANSACTION, LOCK_NOT_AVAILABLE, Moment, PostgresLock,
    SESSION_STATE, ServerError, Taken, applied, applied_sql, blocker, columns, create_sql,
    delete_sql, driver, driver_after, failed, failure_sql, first, history, history_rows,
    history_sql, in_transaction, insert_sql, lacks_failure_column, literal, lock_table,
    progress_literal_sql, progress_sql, release_sql, renumber_sql, row_values, rows_sql,
    session_state, single, values,
};
use crate::backoff::Backoff;
use crate::mark::{NO_LONGER_MARKED, RECORDING_PROGRESS};
use crate::{
    AppliedMigration, AppliedVersion, Backend, Blocker, Catalog, DriverError, Error, HistoryStore,
    LockRequest, LockWaits, Locking, Migration, ProgressRecord, Result, SearchPath, Session,
    Statement, TableName, Value, Version,
};

/// SQLSTATE `active_sql_transaction`: a statement that refuses to run in
/// a transaction block.
const ACTIVE_SQL_TRANSACTION: &str = "25001";

/// Keeps the lease at `moment` (see [`Moment`]); the driver rolls back
/// when it is lost.
async fn keep<C: Client>(client: &mut C, lock: &mut PostgresLock, moment: Moment) -> Result<()> {
    let Some((sql, params)) = lock.keeping(moment) else {
        return Ok(());
    };
    let kept = !client
        .query(sql, &params)
        .await
        .map_err(failed("keeping the migration lock"))?
        .is_empty();
    if !kept {
        return Err(lock.lost());
    }
    lock.kept(moment);
    Ok(())
}

impl<C: Client> Locking for C {
    type Lock = PostgresLock;

    async fn lock(&mut self, request: LockRequest<'_>) -> Result<PostgresLock> {
        let state = first(
            self.query(SESSION_STATE, &[]).await,
            "reading the session's schema and settings",
        )?;
        let attempt = Attempt::new(session_state(request.table, &state)?, &request)?;
        let mut backoff = Backoff::new(request.timeout);
        loop {
            match try_once(self, &attempt).await {
                Ok(Some(lock)) => return Ok(lock),
                Ok(None) => {}
                Err(error) => {
                    // The try's transaction ends with its error.
                    let _ = self.batch("ROLLBACK").await;
                    return Err(error);
                }
            }
            match backoff.next() {
                Ok(pause) => self.pause(pause).await,
                Err(waited) => {
                    let mut holder = None;
                    for (sql, params, read) in attempt.holder_lookups() {
                        if let Ok(rows) = self.query(&sql, &params).await
                            && let Some(row) = rows.first()
                        {
                            holder = read(row);
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

    async fn outside_transaction(&mut self) -> Result<()> {
        if in_transaction(self.simple_row(IN_TRANSACTION).await)? {
            return Err(Error::SessionInTransaction);
        }
        Ok(())
    }

    fn abandon(&mut self, table: &TableName, run: &str, lock: Option<&PostgresLock>) {
        // The run's transaction, if open, ends; the session gets its own
        // settings back; the lease, if taken (with the run's token), is
        // released.
        let sql = match lock {
            Some(lock) => format!(
                "ROLLBACK;\n{}{}",
                lock.settings.give_back(),
                lock.lease
                    .as_ref()
                    .map_or("", |lease| lease.release_now.as_str())
            ),
            None => format!(
                "ROLLBACK;\n{}",
                lock_table(table).map_or_else(
                    |_| String::new(),
                    |lock| release_sql(&lock.quoted(), &literal(run))
                )
            ),
        };
        self.send_and_forget(&sql);
    }

    fn takes_transaction_lock(&self) -> bool {
        true
    }

    fn history_table<'l>(&self, lock: &'l PostgresLock) -> Option<&'l TableName> {
        Some(&lock.table)
    }

    fn lease_token<'l>(&self, lock: &'l PostgresLock) -> Option<&'l str> {
        lock.lease.as_ref().map(|lease| lease.token.as_str())
    }

    fn lost_lock(&self, lock: &PostgresLock, error: &Error) -> Option<Error> {
        PostgresLock::ended_idle(error).then(|| lock.lost())
    }

    async fn unlock(&mut self, lock: PostgresLock) {
        // Every setting of the run was its transactions' own, and each
        // commit gave the session back what a migration set for it; a
        // statement outside a transaction may have set something since.
        let _ = self.batch("ROLLBACK").await;
        if lock.lease.is_some() {
            let _ = self.batch(&lock.settings.give_back()).await;
        }
        if let Some(lease) = &lock.lease
            && let Err(error) = self
                .query(&lease.release, &[Param::Text(&lease.token)])
                .await
        {
            tracing::error!(
                "could not release the migration lock; its lease runs out by itself: {}",
                driver(error)
            );
        }
    }
}

impl<C: Client> Session for C {
    async fn begin(&mut self, lock: &mut PostgresLock) -> Result<()> {
        self.batch(&lock.settings.begin())
            .await
            .map_err(failed("starting the migration transaction"))?;
        lock.open = true;
        keep(self, lock, Moment::Begun).await
    }

    fn starting_migration(&mut self, lock: &mut PostgresLock) {
        lock.settings.starting_migration();
    }

    async fn commit(&mut self, lock: &mut PostgresLock) -> Result<()> {
        let renewed = keep(self, lock, Moment::Committing).await;
        lock.open = false;
        lock.settings.ended();
        renewed?;
        match self
            .batch(&format!("{}COMMIT", lock.settings.give_back()))
            .await
        {
            Ok(()) => Ok(()),
            Err(error) => {
                Session::rollback(self, lock).await;
                Err(Error::database("committing the migrations", driver(error)))
            }
        }
    }

    async fn rollback(&mut self, lock: &mut PostgresLock) {
        lock.open = false;
        lock.settings.ended();
        if let Err(error) = self.batch("ROLLBACK").await {
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
        let tag = lock.tagging().map(super::Lease::prefix).unwrap_or_default();
        if lock.open {
            let prefix = format!("{tag}{}", lock.settings.inside(limit));
            return self
                .batch(&format!("{prefix}{sql}"))
                .await
                .map_err(|e| driver_after(e, &prefix));
        }
        outside(self, lock, sql, limit, None).await.map(drop)
    }

    fn can_call(&self, function: &crate::Function) -> bool {
        Client::can_call(self, function)
    }

    async fn call(
        &mut self,
        lock: &mut PostgresLock,
        function: crate::Function,
        limit: Option<Duration>,
    ) -> Result<(), DriverError> {
        keep(self, lock, Moment::Statement).await?;
        if lock.open {
            // The transaction's id, assigned now: when the function ends the
            // transaction, the server tells whether it was committed.
            let settings = lock.settings.inside(limit);
            let xid = self
                .simple_row(&format!("{settings}SELECT txid_current()::text"))
                .await
                .map_err(driver)?
                .first()
                .cloned()
                .flatten()
                .unwrap_or_default();
            let result = Client::call(self, function).await;
            if !in_transaction(self.simple_row(IN_TRANSACTION).await)? {
                lock.open = false;
                lock.settings.ended();
                let status = self
                    .simple_row(&format!("SELECT txid_status({})", literal(&xid)))
                    .await
                    .ok()
                    .and_then(|row| row.first().cloned().flatten());
                let committed = match status.as_deref() {
                    Some("committed") => Some(true),
                    Some("aborted") => Some(false),
                    _ => None,
                };
                return Err(Box::new(crate::TransactionEnded::new(committed)));
            }
            return result;
        }
        // The function's own statements outside a transaction cannot carry
        // the run's settings.
        let result = alone(self, &lock.settings, limit, "", async |client: &mut C| {
            Client::call(client, function).await
        })
        .await;
        if in_transaction(self.simple_row(IN_TRANSACTION).await)? {
            let _ = self.batch("ROLLBACK").await;
            return Err(
                "the function, given the client outside a transaction, left a transaction \
                        open; the run rolled it back, with what the function did in it"
                    .into(),
            );
        }
        result
    }
}

/// One try of the lock: `Some` when taken, `None` when another migrator
/// holds it (the try's transaction is then rolled back); on an error, the
/// try's transaction may be open.
async fn try_once<C: Client>(client: &mut C, attempt: &Attempt) -> Result<Option<PostgresLock>> {
    client
        .batch("BEGIN")
        .await
        .map_err(failed("starting the migration transaction"))?;
    let (try_lock, key) = attempt.try_lock();
    let mut claimed: bool = single(
        client.query(try_lock, &key).await,
        "taking the migration lock",
    )?;
    if claimed {
        client
            .batch(&attempt.ensure)
            .await
            .map_err(failed("creating the lock and history tables"))?;
        claimed = !client
            .query(&attempt.claim, &[])
            .await
            .map_err(failed("taking the migration lock"))?
            .is_empty();
    }
    if !claimed {
        let _ = client.batch("ROLLBACK").await;
        return Ok(None);
    }
    let (take, params) = match attempt.taken() {
        Taken::Lease(take, params) => (take, params),
        Taken::Keep(clear) => {
            client
                .batch(clear)
                .await
                .map_err(failed("taking the migration lock"))?;
            return Ok(Some(attempt.lock(false)));
        }
    };
    client
        .query(take, &params)
        .await
        .map_err(failed("taking the migration lock"))?;
    client
        .batch("COMMIT")
        .await
        .map_err(failed("taking the migration lock"))?;
    Ok(Some(attempt.lock(true)))
}

/// Runs `run` (a statement that cannot run inside a transaction block, or
/// a Rust function given the client outside a transaction) where it can
/// carry no setting in a transaction: as it is when it needs none; with
/// the schema and time limit it needs set for the session around it on a
/// connection declared the run's own; else not at all.
async fn alone<C: Client>(
    client: &mut C,
    settings: &Settings,
    limit: Option<Duration>,
    tag: &str,
    run: impl AsyncFnOnce(&mut C) -> Result<(), DriverError>,
) -> Result<(), DriverError> {
    match settings.alone(limit) {
        Alone::Bare => run(client).await,
        Alone::Refused(refused) => Err(Box::new(refused)),
        Alone::Session { set } => {
            let own = first(
                client.query(&format!("{tag}{set}"), &[]).await,
                "setting the schema and time limit for the session",
            )?;
            let path: String = own.try_get(0).map_err(driver)?;
            let timeout: String = own.try_get(1).map_err(driver)?;
            let result = run(client).await;
            if let Err(error) = client.batch(&Settings::restore(&path, &timeout)).await {
                tracing::error!(
                    "could not give the session its search path and statement timeout back: {}",
                    driver(error)
                );
            }
            result
        }
    }
}

/// Runs `sql` outside a transaction: the lease's tag, the settings it
/// needs and the statement in one message, which the server runs as one
/// implicit transaction, with `then` (SQL whose last row is answered) last
/// in it. A statement the server refuses in a transaction block (before
/// doing anything) runs [`alone`] instead, without `then`: `Ok(None)`.
async fn outside<C: Client>(
    client: &mut C,
    lock: &mut PostgresLock,
    sql: &str,
    limit: Option<Duration>,
    then: Option<&str>,
) -> Result<Option<Vec<Option<String>>>, DriverError> {
    let tag = lock.tagging().map(super::Lease::prefix).unwrap_or_default();
    let prefix = format!("{tag}{}", lock.settings.outside(limit));
    let sent = match then {
        // A line break ends a comment the statement may end with.
        Some(then) => client.simple_row(&format!("{prefix}{sql}\n;{then}")).await,
        None => client
            .batch(&format!("{prefix}{sql}"))
            .await
            .map(|()| Vec::new()),
    };
    match sent {
        Ok(row) => Ok(Some(row)),
        Err(error) if error.code() == Some(ACTIVE_SQL_TRANSACTION) => alone(
            client,
            &lock.settings,
            limit,
            &tag,
            async |client: &mut C| {
                client
                    .batch(&format!("{tag}{sql}"))
                    .await
                    .map_err(|e| driver_after(e, &tag))
            },
        )
        .await
        .map(|()| None),
        Err(error) => Err(driver_after(error, &prefix)),
    }
}

/// Reads the history with `sql(false)`, which names the `failure` column;
/// a table from before that column is read with `sql(true)` instead.
async fn read<C: Client>(
    client: &mut C,
    sql: impl Fn(bool) -> String,
) -> Result<Vec<Row>, Failure> {
    let answer = client.query(&sql(false), &[]).await;
    if lacks_failure_column(&answer) {
        return client.query(&sql(true), &[]).await;
    }
    answer
}

impl<C: Client> HistoryStore for C {
    async fn read_history(
        &mut self,
        table: &TableName,
        _wait: Duration,
    ) -> Result<Vec<AppliedMigration>> {
        let answer = read(self, |legacy| history_sql(table, legacy)).await;
        history(table, history_rows(table, answer)?)
    }

    async fn read_applied(
        &mut self,
        table: &TableName,
        _wait: Duration,
    ) -> Result<Vec<AppliedVersion>> {
        let answer = read(self, |legacy| applied_sql(table, legacy)).await;
        applied(table, history_rows(table, answer)?)
    }

    async fn create_history(&mut self, table: &TableName) -> Result<()> {
        self.batch(&create_sql(table))
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
        let action = "recording the migration in the history table";
        // A row marked as started (or failed) becomes an applied one; an
        // applied row is never written over.
        let written = self
            .query(
                &insert_sql(table),
                &[
                    Param::Int8(version),
                    Param::Text(&name),
                    Param::Text(&checksum),
                    Param::Int8(micros),
                ],
            )
            .await
            .map_err(failed(action))?;
        if written.is_empty() {
            return Err(Error::database(
                action,
                "the version is already recorded as applied",
            ));
        }
        Ok(())
    }

    async fn record_failure(
        &mut self,
        table: &TableName,
        migration: &Migration,
        failure: &str,
    ) -> Result<()> {
        let version = migration.version().0.cast_signed();
        self.query(
            &failure_sql(table),
            &[
                Param::Int8(version),
                Param::Text(migration.name()),
                Param::Text(&migration.checksum().to_string()),
                Param::Text(failure),
            ],
        )
        .await
        .map(drop)
        .map_err(failed(
            "recording the failed migration in the history table",
        ))
    }

    async fn record_progress(
        &mut self,
        table: &TableName,
        version: Version,
        progress: &str,
    ) -> Result<()> {
        let updated = self
            .query(
                &progress_sql(table),
                &[Param::Int8(version.0.cast_signed()), Param::Text(progress)],
            )
            .await
            .map_err(failed(RECORDING_PROGRESS))?;
        if updated.is_empty() {
            return Err(Error::database(RECORDING_PROGRESS, NO_LONGER_MARKED));
        }
        Ok(())
    }

    async fn delete_history(&mut self, table: &TableName, version: Version) -> Result<()> {
        self.query(&delete_sql(table), &[Param::Int8(version.0.cast_signed())])
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
        self.query(
            &renumber_sql(table),
            &[
                Param::Int8(from.0.cast_signed()),
                Param::Int8(to.0.cast_signed()),
            ],
        )
        .await
        .map(drop)
        .map_err(failed("renumbering a row of the history table"))
    }
}

impl<C: Client> Catalog for C {
    async fn table_columns(
        &mut self,
        table: &TableName,
        _wait: Duration,
    ) -> Result<Option<Vec<String>>> {
        let rows = self
            .query(
                COLUMNS,
                &[Param::MaybeText(table.schema()), Param::Text(table.name())],
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
            .query(&rows_sql(table, columns), &[])
            .await
            .map_err(failed("reading another tool's history table"))?;
        Ok(values(&rows, columns.len()))
    }
}

impl<C: Client> SearchPath<PostgresLock> for C {
    async fn set_search_path(&mut self, lock: &mut PostgresLock, schema: &str) -> Result<()> {
        lock.settings.set_schema(schema);
        // A run that is one transaction has it open already.
        if !lock.open {
            return Ok(());
        }
        match lock.settings.schema_now() {
            Some(set) => self
                .batch(&set)
                .await
                .map_err(failed("setting the search path")),
            None => Ok(()),
        }
    }
}

impl<C: Client> LockWaits<PostgresLock> for C {
    async fn set_lock_timeout(&mut self, lock: &mut PostgresLock, limit: Duration) -> Result<()> {
        // Sent with the next statement, for its transaction only.
        lock.settings.set_lock_timeout(limit);
        Ok(())
    }

    fn is_lock_timeout(&self, error: &DriverError) -> bool {
        error
            .downcast_ref::<ServerError>()
            .is_some_and(|server| server.code == LOCK_NOT_AVAILABLE)
    }

    async fn blockers(&mut self, statement: &str) -> Vec<Blocker> {
        match self.query(BLOCKERS, &[Param::Text(statement)]).await {
            Ok(rows) => rows.iter().filter_map(blocker).collect(),
            Err(error) => {
                tracing::warn!(
                    "could not read the sessions holding locks: {}",
                    driver(error)
                );
                Vec::new()
            }
        }
    }

    async fn pause(&mut self, pause: Duration) {
        Client::pause(self, pause).await;
    }
}

impl<C: Client> Backend for C {
    fn search_path(&mut self) -> Option<&mut impl SearchPath<PostgresLock>> {
        Some(self)
    }

    fn lock_waits(&mut self) -> Option<&mut impl LockWaits<PostgresLock>> {
        Some(self)
    }

    fn kind(&self) -> &'static str {
        "postgresql"
    }

    /// Outside a transaction, the statement and its record go in one
    /// message, one implicit transaction: no round trip of the record's
    /// own, no transaction a paused client could hold open, and after a
    /// kill either both are there or neither. A statement that cannot run
    /// in a transaction block runs alone, and the record follows.
    async fn execute_recorded(
        &mut self,
        lock: &mut PostgresLock,
        statement: &Statement,
        limit: Option<Duration>,
        record: ProgressRecord<'_>,
    ) -> Result<Result<(), DriverError>> {
        if !lock.open {
            if let Err(error) = keep(self, lock, Moment::Statement).await {
                return Ok(Err(Box::new(error)));
            }
            let then = progress_literal_sql(record.table, record.version, record.progress);
            match outside(self, lock, statement.sql(), limit, Some(&then)).await {
                Ok(Some(row)) if row.first().cloned().flatten().as_deref() == Some("1") => {
                    return Ok(Ok(()));
                }
                Ok(Some(_)) => return Err(Error::database(RECORDING_PROGRESS, NO_LONGER_MARKED)),
                Ok(None) => {}
                Err(error) => return Ok(Err(error)),
            }
        } else if let Err(error) = Session::execute(self, lock, statement.sql(), limit).await {
            return Ok(Err(error));
        }
        self.record_progress(record.table, record.version, record.progress)
            .await
            .map(Ok)
    }
}
