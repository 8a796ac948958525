//! The PostgreSQL backend: [`Backend`](crate::Backend) for
//! `postgres::Client` (blocking) and `tokio_postgres::Client` (async),
//! written once (`backend.rs`) over the two clients (`client.rs`), with its
//! SQL and its reading of the server's answers here. Each works on one session: a connection of its
//! own or one taken from a pool, never the pool, because the lock belongs to
//! one session.
//!
//! The lock is keyed on the schema-qualified history table, so two
//! applications in two schemas of one database do not wait for each other.
//! Every try is one short transaction: `pg_try_advisory_xact_lock` on the
//! key, then the lock table's one row (`<history table>_lock`) claimed with
//! `FOR UPDATE SKIP LOCKED` where no live lease holds it; a waiter rolls
//! back at once and sleeps, so it never holds a transaction or a snapshot
//! while it waits (the holder's `CREATE INDEX CONCURRENTLY` completes). The
//! wait is bounded; the error names the holder. Nothing lasts a server
//! session, so the lock works through a pooler in transaction mode
//! (PgBouncer):
//!
//! - A run that is one transaction keeps the try's transaction: the
//!   advisory lock and the row lock last exactly as long as the run, and a
//!   killed holder's transaction is rolled back, which frees both.
//! - A run across transactions (`NoTransaction` migrations, `per_migration`)
//!   writes a lease into the row: a token and an expiry, renewed before each
//!   statement outside a transaction and in each of its transactions, which
//!   also lock the row (a fence: a run whose lease was taken stops before
//!   its next change). A statement outside a transaction carries the token
//!   in a leading comment, so a waiter sees in `pg_stat_activity` that the
//!   holder is still at work however long the statement runs. A killed
//!   holder's lease ends at its expiry.
//!
//! Every transaction of a run (and every try) tells the server to end the
//! session should it sit idle in that transaction longer than the lease
//! (`idle_in_transaction_session_timeout`, set for the transaction only): a
//! holder paused inside a transaction (SIGSTOP, a debugger, a swapped-out
//! VM) would otherwise keep the row locked, and every waiter waiting, for
//! as long as it stays paused. The server rolls that transaction back, and
//! the holder, should it come back, stops with `LockLost`.

use std::borrow::Cow;
use std::fmt;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::{DriverError, Error, LockHolder, Result, TableName};
use settings::{Own, Settings};

/// The server checks every second that this client is still there, also
/// during a long statement: a migrator killed in the middle of one releases
/// the lock within a second (PostgreSQL 14 and later; older servers do not
/// know the setting, which is then left alone, and release the lock when
/// the statement ends). For the transaction only, like every setting of a
/// run.
macro_rules! check_client {
    () => {
        "CASE WHEN current_setting('client_connection_check_interval', true) IS NOT NULL \
         THEN set_config('client_connection_check_interval', '1s', true) END"
    };
}

mod backend;
mod client;
#[cfg(any(feature = "postgres", feature = "tokio-postgres"))]
mod drivers;
mod history;
mod settings;
#[cfg(feature = "sqlx-postgres")]
mod sqlx_client;

use client::{Failure, FromValue, Param, Row};

use history::{
    applied, applied_sql, columns, create_sql, delete_sql, failure_sql, history, history_rows,
    history_sql, insert_sql, lacks_failure_column, progress_literal_sql, progress_sql,
    renumber_sql, row_values, rows_sql, values,
};

/// What the lock holds on PostgreSQL: for a run that is one transaction,
/// that transaction; for a run across transactions, a lease.
#[derive(Debug)]
pub struct PostgresLock {
    /// The history table, in the schema it was in when the lock was
    /// taken: what every statement of the run's own names.
    table: TableName,
    /// The lease of a run across transactions; `None` for a run that is
    /// one transaction (the lock ends with it).
    lease: Option<Lease>,
    /// The lease's length, also how long a transaction of the run may sit
    /// idle before the server ends the session.
    length: Duration,
    /// Whether a transaction of the run is open.
    open: bool,
    /// The run's settings, and what its open transaction holds.
    settings: Settings,
}

/// The lease a run across transactions holds on the lock table's row.
#[derive(Debug)]
struct Lease {
    token: String,
    /// How long the lease lasts after each renewal, in seconds.
    seconds: f64,
    /// When it was last renewed (by this process's clock).
    renewed: Instant,
    renew: String,
    fence: String,
    release: String,
    /// The release with the token written in, for a message sent without
    /// parameters (a run dropped part-way).
    release_now: String,
}

/// The parameters of a statement, with their types.
type Params<'a, const N: usize> = [Param<'a>; N];

/// Where a run keeps its lease.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Moment {
    /// A transaction was begun: the fence locks the row until its end (no
    /// other migrator can take the lease meanwhile) and checks the lease
    /// is still this run's.
    Begun,
    /// Before a commit: the lease is renewed in the transaction when half
    /// of it has gone by since the last renewal.
    Committing,
    /// Before a statement outside a transaction: renewed, always.
    Statement,
}

impl PostgresLock {
    /// The statement that keeps the lease at `moment`, if any. When it
    /// answers no row, the lease is lost.
    fn keeping(&self, moment: Moment) -> Option<(&str, Params<'_, 2>)> {
        let lease = self.lease.as_ref()?;
        let sql = match moment {
            Moment::Begun => &lease.fence,
            Moment::Committing if lease.renewed.elapsed() < self.length / 2 => return None,
            Moment::Statement if self.open => return None,
            Moment::Committing | Moment::Statement => &lease.renew,
        };
        Some((sql, lease.renewal()))
    }

    /// The statement of [`keeping`](PostgresLock::keeping) answered a row.
    fn kept(&mut self, moment: Moment) {
        if let Some(lease) = &mut self.lease
            && moment != Moment::Begun
        {
            lease.renewed = Instant::now();
        }
    }

    /// The error of a lease found lost.
    fn lost(&self) -> Error {
        Error::LockLost { lease: self.length }
    }

    /// Whether `error` is the server ending the session because a
    /// transaction of this run sat idle longer than the lease (the
    /// run was paused): its transaction was rolled back, and another
    /// migrator may hold the lock by now.
    fn ended_idle(error: &Error) -> bool {
        let mut source = std::error::Error::source(error);
        while let Some(error) = source {
            if error
                .downcast_ref::<ServerError>()
                .is_some_and(|server| server.code == IDLE_IN_TRANSACTION_TIMEOUT)
            {
                return true;
            }
            source = error.source();
        }
        false
    }

    /// The lease, when a statement outside a transaction must carry its token.
    fn tagging(&self) -> Option<&Lease> {
        self.lease.as_ref().filter(|_| !self.open)
    }
}

impl Lease {
    /// The leading comment of a message sent outside a transaction: the
    /// token, which waiters look for in `pg_stat_activity`.
    fn prefix(&self) -> String {
        format!("/* migration lock {} */\n", self.token)
    }

    /// The parameters of the renewal.
    fn renewal(&self) -> Params<'_, 2> {
        [Param::Text(&self.token), Param::Float8(self.seconds)]
    }
}

/// The driver's error of a statement sent after `prefix` (the lease's
/// comment, settings) in one message: the server's position moved back
/// into the statement as written.
fn driver_after(error: Failure, prefix: &str) -> DriverError {
    let mut error = driver(error);
    if !prefix.is_empty()
        && let Some(server) = error.downcast_mut::<ServerError>()
        && let Some(at) = server.position
    {
        let shift = u32::try_from(prefix.chars().count()).unwrap_or(u32::MAX);
        server.position = at.checked_sub(shift).filter(|at| *at > 0);
    }
    error
}

/// The server's error, written whole: `Display` of the driver's error says
/// only "db error" and keeps the message in its source.
#[derive(Debug)]
#[non_exhaustive]
pub struct ServerError {
    /// The SQLSTATE code, e.g. `42601`.
    pub code: String,
    /// The primary message.
    pub message: String,
    /// The detail, when the server gave one.
    pub detail: Option<String>,
    /// The hint, when the server gave one.
    pub hint: Option<String>,
    /// The 1-based character position of the error in the statement.
    pub position: Option<u32>,
}

impl fmt::Display for ServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (SQLSTATE {})", self.message, self.code)?;
        if let Some(detail) = &self.detail {
            write!(f, "; detail: {detail}")?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "; hint: {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ServerError {}

/// The driver's error as this crate reports it: the server's own words
/// when it sent any, else the client's.
fn driver(error: Failure) -> DriverError {
    error.into_driver()
}

/// The first row of an answer, or the error of doing `action`. The
/// backends send every statement unnamed, in one round trip
/// (`query_typed`): named prepared statements do not survive a pooler in
/// transaction mode, which may send the next message to another server
/// session.
fn first(answer: Result<Vec<Row>, Failure>, action: &'static str) -> Result<Row> {
    answer
        .map_err(failed(action))?
        .into_iter()
        .next()
        .ok_or_else(|| Error::database(action, "the server sent no row"))
}

/// The first column of the first row of `answer`, of type `T`: an error,
/// never a panic, when the server's answer is not that.
fn single<T: FromValue>(answer: Result<Vec<Row>, Failure>, action: &'static str) -> Result<T> {
    first(answer, action)?.try_get(0).map_err(failed(action))
}

/// A database error while doing `action`, in the server's words.
fn failed(action: &'static str) -> impl Fn(Failure) -> Error {
    move |error| Error::database(action, driver(error))
}

/// The session's state when a run takes its lock: the schema of an
/// unqualified history table, and the session's own settings that every
/// migration starts from ([`Own`]).
const SESSION_STATE: &str = "SELECT current_schema()::text, current_setting('search_path'),
     current_setting('statement_timeout'), current_setting('lock_timeout'),
     current_setting('idle_in_transaction_session_timeout')";

/// Whether the session is inside a transaction: sent as a simple query
/// (a message of its own), whose start is its implicit transaction's start
/// unless a transaction was open before it.
const IN_TRANSACTION: &str = "SELECT (statement_timestamp() <> transaction_timestamp())::text";

/// SQLSTATE `in_failed_sql_transaction`: the session is inside a
/// transaction that failed, which refuses every statement until it ends.
const IN_FAILED_TRANSACTION: &str = "25P02";

/// Whether the answer of [`IN_TRANSACTION`] says the session is inside a
/// transaction (one that failed, too).
fn in_transaction(answer: Result<Vec<Option<String>>, Failure>) -> Result<bool> {
    match answer {
        Err(error) if error.code() == Some(IN_FAILED_TRANSACTION) => Ok(true),
        Err(error) => Err(Error::database(
            "reading the session's state",
            driver(error),
        )),
        Ok(row) => Ok(row.first().cloned().flatten().as_deref() == Some("true")),
    }
}

/// The session's state as [`SESSION_STATE`] answered it: the history
/// table in the schema an unqualified name resolves to now, and the
/// session's own settings. Resolved once, so that nothing a migration
/// does to the session (`SET search_path`, `RESET ALL`) moves the run's
/// own statements.
fn session_state(table: &TableName, row: &Row) -> Result<(TableName, Own)> {
    let action = "reading the session's schema and settings";
    let current: Option<String> = row.try_get(0).map_err(failed(action))?;
    let own = Own {
        search_path: row.try_get(1).map_err(failed(action))?,
        statement_timeout: row.try_get(2).map_err(failed(action))?,
        lock_timeout: row.try_get(3).map_err(failed(action))?,
        idle_timeout: row.try_get(4).map_err(failed(action))?,
    };
    if table.schema().is_some() {
        return Ok((table.clone(), own));
    }
    let Some(schema) = current else {
        return Err(Error::database(
            "finding the schema of the history table",
            format!(
                "no schema of the session's search_path ({}) exists; create one, or give the \
                 run its schema",
                own.search_path
            ),
        ));
    };
    let resolved = TableName::in_schema(Some(&schema), table.name()).map_err(|_| {
        Error::database(
            "finding the schema of the history table",
            format!(
                "the current schema `{schema}` is not a plain name (letters, digits, `_`); give \
                 the run its schema"
            ),
        )
    })?;
    Ok((resolved, own))
}

/// PostgreSQL's `lock_not_available`: a lock wait ran past `lock_timeout`.
const LOCK_NOT_AVAILABLE: &str = "55P03";

/// The sessions whose open transactions hold locks on the tables a
/// statement (`$1`) names: its words, compared with the names of the
/// relations locked in this database by other sessions.
const BLOCKERS: &str = "WITH words AS (
       SELECT DISTINCT word FROM regexp_split_to_table(lower($1), '[^a-z0-9_$]+') AS word
       WHERE word <> ''),
     holders AS (
       SELECT DISTINCT l.pid FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
       WHERE l.granted AND l.locktype = 'relation' AND l.pid <> pg_backend_pid()
         AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
         AND lower(c.relname) IN (SELECT word FROM words))
     SELECT a.pid, coalesce(a.application_name, ''), host(a.client_addr),
       extract(epoch FROM clock_timestamp() - a.xact_start)::float8,
       a.state,
       extract(epoch FROM clock_timestamp() - a.query_start)::float8
     FROM pg_stat_activity a JOIN holders h ON h.pid = a.pid
     ORDER BY a.xact_start NULLS LAST, a.pid
     LIMIT 10";

/// A blocker as [`BLOCKERS`] answers it; `None` for a row that does not read.
fn blocker(row: &Row) -> Option<crate::Blocker> {
    let age = |column: usize| {
        row.try_get::<Option<f64>>(column)
            .ok()
            .flatten()
            .and_then(|seconds| Duration::try_from_secs_f64(seconds.max(0.0)).ok())
    };
    Some(
        crate::Blocker::new(row.try_get(0).ok()?, row.try_get(1).ok()?).with(
            row.try_get(2).ok().flatten(),
            age(3),
            row.try_get(4).ok().flatten(),
            age(5),
        ),
    )
}

/// `value` as an SQL string literal, read the same whatever the session's
/// `standard_conforming_strings` (an `E''` string when it has a backslash,
/// as libpq's `PQescapeLiteral` writes one).
fn literal(value: &str) -> String {
    let quoted = value.replace('\'', "''");
    if value.contains('\\') {
        format!("E'{}'", quoted.replace('\\', "\\\\"))
    } else {
        format!("'{quoted}'")
    }
}

/// A limit as `statement_timeout` takes it: whole milliseconds, at least 1
/// (0 would mean no limit).
fn millis(limit: Duration) -> String {
    limit.as_millis().max(1).to_string()
}

/// The advisory lock of a try, held until the try's transaction ends.
/// The server ends a session idle in a transaction longer than this, in
/// seconds (`$2`), for the rest of the transaction: part of every
/// transaction of a run, which a paused holder must not keep open.
macro_rules! idle_limit {
    () => {
        "set_config('idle_in_transaction_session_timeout', ceil($2::float8 * 1000)::bigint::text, true)"
    };
}

/// Tries the advisory lock of the key (`$1`), and limits the try's
/// transaction's idling (`$2`, see [`idle_limit`]).
/// The try's transaction (a run's, when the run is one transaction) also
/// checks that the client is still there.
const TRY_TRANSACTION_LOCK: &str = concat!(
    "SELECT pg_try_advisory_xact_lock($1), ",
    idle_limit!(),
    ", ",
    check_client!()
);

/// SQLSTATE `idle_in_transaction_session_timeout`: the server ended a
/// session that sat idle in a transaction too long.
const IDLE_IN_TRANSACTION_TIMEOUT: &str = "25P03";

/// Who holds an advisory lock, by the two halves of its key.
const HOLDER: &str = "SELECT a.pid, coalesce(a.application_name, ''), host(a.client_addr),
        to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')
     FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
     WHERE l.locktype = 'advisory' AND l.granted
       AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
       AND l.classid::bigint = $1 AND l.objid::bigint = $2 AND l.objsubid = 1
     LIMIT 1";

const COLUMNS: &str = "SELECT column_name::text FROM information_schema.columns
     WHERE table_schema = coalesce($1, current_schema()) AND table_name = $2
     ORDER BY ordinal_position";

/// The advisory lock key of `schema.table`: the first 8 bytes of a SHA-256,
/// the same in every process and release.
fn lock_key(schema: &str, table: &str) -> i64 {
    let digest = Sha256::digest(format!("embedded-migrations lock {schema}.{table}"));
    let mut bytes = [0; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}

/// The halves of `key` as `pg_locks` shows an advisory lock on it.
fn key_halves(key: i64) -> (i64, i64) {
    let bits = key.cast_unsigned();
    (
        (bits >> 32).cast_signed(),
        (bits & 0xffff_ffff).cast_signed(),
    )
}

/// The holder of the advisory lock, from [`HOLDER`]; `None` when the
/// server's answer does not read as one.
fn holder_of(row: &Row) -> Option<LockHolder> {
    Some(LockHolder::new(
        row.try_get(0).ok()?,
        row.try_get(1).ok()?,
        row.try_get(2).ok()?,
        row.try_get::<Option<String>>(3).ok()?.unwrap_or_default(),
    ))
}

/// The lock table of `table`: `<table>_lock` beside it, one row.
fn lock_table(table: &TableName) -> Result<TableName> {
    TableName::in_schema(table.schema(), &crate::table::lock_table_name(table.name()))
}

/// Creates the lock table and its row if they are missing (under the
/// try's advisory lock, so that concurrent tries do not race to create it).
/// The row is inserted only when none is seen: an insert that met the row
/// while a holder's transaction has it locked would wait for that
/// transaction.
fn ensure_lock_sql(lock: &str) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {lock} (
            id INT PRIMARY KEY CHECK (id = 1),
            token TEXT,
            process INT,
            application TEXT,
            client TEXT,
            taken_at TIMESTAMPTZ,
            expires_at TIMESTAMPTZ NOT NULL DEFAULT '-infinity'
        );
        INSERT INTO {lock} (id) SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM {lock})
            ON CONFLICT (id) DO NOTHING"
    )
}

/// Whether the row of `lock` carries a live lease: not expired, or its
/// holder's statement (which carries the token) still running.
fn live_lease(lock: &str) -> String {
    format!(
        "{lock}.token IS NOT NULL AND ({lock}.expires_at >= clock_timestamp()
             OR EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.state <> 'idle'
                        AND a.query LIKE '/* migration lock ' || {lock}.token || ' */%'))"
    )
}

/// The row, locked for this try's transaction, when no lease is live and
/// no transaction of a holder has it locked.
fn claim_sql(lock: &str) -> String {
    format!(
        "SELECT true FROM {lock} WHERE id = 1 AND NOT ({}) FOR UPDATE SKIP LOCKED",
        live_lease(lock)
    )
}

/// Writes this run's lease into the claimed row: its token, who holds
/// it, and its expiry ($1: the process id, $2: the lease in seconds, $3:
/// the token, the run's own, so that a run dropped while its lease was
/// being written can still release it).
fn take_sql(lock: &str) -> String {
    format!(
        "UPDATE {lock} SET
            token = $3::text,
            process = $1, application = current_setting('application_name'),
            client = host(inet_client_addr()), taken_at = clock_timestamp(),
            expires_at = clock_timestamp() + make_interval(secs => $2)
         WHERE id = 1 RETURNING token"
    )
}

/// Renews the lease while it is still this run's ($1: the token, $2: the
/// lease in seconds).
fn renew_sql(lock: &str) -> String {
    format!(
        "UPDATE {lock} SET expires_at = clock_timestamp() + make_interval(secs => $2)
         WHERE id = 1 AND token = $1 RETURNING true"
    )
}

/// Clears a lease that ran out, in the transaction of a run that claimed
/// the row: its holder, should it come back, stops at its next renewal.
fn clear_sql(lock: &str) -> String {
    format!(
        "UPDATE {lock} SET token = NULL, expires_at = '-infinity' WHERE id = 1 AND token IS NOT NULL"
    )
}

/// Locks the row until the transaction ends when the lease is still this
/// run's (the same parameters as [`renew_sql`]); a waiter's claim skips a
/// locked row. The transaction may sit idle no longer than the lease.
fn fence_sql(lock: &str) -> String {
    format!(
        concat!(
            "SELECT ",
            idle_limit!(),
            " FROM {lock} WHERE id = 1 AND token = $1 FOR KEY SHARE"
        ),
        lock = lock
    )
}

/// Releases the lease whose token `token` says (`$1`, or a literal).
fn release_sql(lock: &str, token: &str) -> String {
    format!(
        "UPDATE {lock} SET token = NULL, expires_at = '-infinity' WHERE id = 1 AND token = {token}"
    )
}

/// The holder of the lease written in the row, for a wait that ran out:
/// its lease is live, or its open transaction has the row locked (a
/// lease that ran out while its holder's transaction goes on).
fn lease_holder_sql(lock: &str) -> String {
    format!(
        "SELECT process, coalesce(application, ''), client,
             to_char(taken_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),
             to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')
         FROM {lock} WHERE id = 1 AND token IS NOT NULL"
    )
}

/// One try of the migration lock, decided once for both backends: each
/// try is a transaction that takes the advisory lock, makes the tables
/// sure, and claims the lock table's row; what follows a claim depends on
/// the scope. The backends only send what it says.
struct Attempt {
    /// The history table, schema-qualified.
    table: TableName,
    /// The lease's token: the run's.
    token: String,
    /// The session's own settings.
    own: Own,
    key: i64,
    high: i64,
    low: i64,
    scope: crate::LockScope,
    process: i32,
    seconds: f64,
    lease: Duration,
    /// The connection is a server session of the run's own.
    direct: bool,
    /// What makes the tables sure: the lock table, and for a run in one
    /// transaction the history table (created in the run's transaction).
    ensure: String,
    claim: String,
    take: String,
    clear: String,
    lock_table: String,
}

/// A query for the lock's holder, its parameters, and how to read its row.
type HolderLookup<'a> = (Cow<'a, str>, Vec<Param<'a>>, fn(&Row) -> Option<LockHolder>);

/// What follows a claimed row.
enum Taken<'a> {
    /// A run across transactions writes its lease ($1, $2 as given) and
    /// commits; the statement answers the lease's token.
    Lease(&'a str, Params<'a, 3>),
    /// A run in one transaction clears a lease that ran out and keeps the
    /// try's transaction as its own.
    Keep(&'a str),
}

impl Attempt {
    /// The try of `table`'s lock (schema-qualified, see
    /// [`session_state`]), for a run that starts from the session's `own`
    /// settings; `token`, the run's, is its lease's.
    fn new((table, own): (TableName, Own), request: &crate::LockRequest<'_>) -> Result<Attempt> {
        let crate::LockRequest {
            scope,
            lease,
            direct,
            run,
            ..
        } = *request;
        let key = lock_key(table.schema().unwrap_or_default(), table.name());
        let (high, low) = key_halves(key);
        let lock = lock_table(&table)?.quoted();
        let mut ensure = ensure_lock_sql(&lock);
        if scope == crate::LockScope::Transaction {
            ensure = format!("{ensure}; {}", create_sql(&table));
        }
        Ok(Attempt {
            table,
            own,
            token: run.to_owned(),
            key,
            high,
            low,
            scope,
            process: i32::try_from(std::process::id()).unwrap_or(i32::MAX),
            seconds: lease.as_secs_f64().max(0.001),
            lease,
            direct,
            ensure,
            claim: claim_sql(&lock),
            take: take_sql(&lock),
            clear: clear_sql(&lock),
            lock_table: lock,
        })
    }

    /// The statement that tries the advisory lock, and its parameters.
    fn try_lock(&self) -> (&'static str, Params<'_, 2>) {
        (
            TRY_TRANSACTION_LOCK,
            [Param::Int8(self.key), Param::Float8(self.seconds)],
        )
    }

    /// The key's halves, as [`HOLDER`] takes them.
    fn halves(&self) -> Params<'_, 2> {
        [Param::Int8(self.high), Param::Int8(self.low)]
    }

    /// What follows a claimed row.
    fn taken(&self) -> Taken<'_> {
        match self.scope {
            crate::LockScope::Session => Taken::Lease(
                &self.take,
                [
                    Param::Int4(self.process),
                    Param::Float8(self.seconds),
                    Param::Text(&self.token),
                ],
            ),
            crate::LockScope::Transaction => Taken::Keep(&self.clear),
        }
    }

    /// Where a wait that ran out looks for the holder, in order: the lease
    /// written in the lock table (a run across transactions, also one whose
    /// open transaction outlived its lease), then the session holding the
    /// advisory lock (a run in one transaction). The first row answers.
    fn holder_lookups(&self) -> [HolderLookup<'_>; 2] {
        [
            (
                Cow::Owned(lease_holder_sql(&self.lock_table)),
                Vec::new(),
                lease_holder_of,
            ),
            (Cow::Borrowed(HOLDER), self.halves().to_vec(), holder_of),
        ]
    }

    /// The lock, once taken: with a lease (the run's token) for a run
    /// across transactions.
    fn lock(&self, leased: bool) -> PostgresLock {
        PostgresLock {
            table: self.table.clone(),
            lease: leased.then(|| Lease {
                token: self.token.clone(),
                seconds: self.seconds,
                renewed: Instant::now(),
                renew: renew_sql(&self.lock_table),
                fence: fence_sql(&self.lock_table),
                release: release_sql(&self.lock_table, "$1"),
                release_now: release_sql(&self.lock_table, &literal(&self.token)),
            }),
            length: self.lease,
            open: self.scope == crate::LockScope::Transaction,
            settings: Settings::new(self.direct, self.own.clone()),
        }
    }
}

/// The holder of the lease, from [`lease_holder_sql`]; `None` when the
/// server's answer does not read as one.
fn lease_holder_of(row: &Row) -> Option<LockHolder> {
    let holder = LockHolder::new(
        row.try_get::<Option<i32>>(0).ok()?.unwrap_or_default(),
        row.try_get(1).ok()?,
        row.try_get(2).ok()?,
        row.try_get::<Option<String>>(3).ok()?.unwrap_or_default(),
    );
    let until = row.try_get::<Option<String>>(4).ok()?.unwrap_or_default();
    Some(holder.with_lease_until(until))
}

#[cfg(test)]
mod tests {
    use super::{key_halves, lock_key};

    #[test]
    fn lock_keys_differ_by_schema_and_are_stable() {
        assert_ne!(
            lock_key("app", "schema_migrations"),
            lock_key("billing", "schema_migrations")
        );
        assert_eq!(lock_key("app", "t"), lock_key("app", "t"));
        assert_eq!(key_halves(-1), (0xffff_ffff, 0xffff_ffff));
        assert_eq!(key_halves(0x1_0000_0002), (1, 2));
    }
}
