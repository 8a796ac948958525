//! The migration lock on MySQL and MariaDB: `GET_LOCK`, held by the
//! session; the session's settings read before and given back after; the
//! sessions in a migration's way.

use std::time::Duration;

use super::client::Value;

use super::client::{Client, Completion, Failure};
use super::{MysqlLock, Own, ROLLBACK, UNKNOWN_VARIABLE, driver, failed, number, params, text};
use crate::backoff::Backoff;
use crate::{Blocker, Error, LockHolder, LockRequest, Result, TableName};

/// The session as the lock finds it: its database, the server's flavour
/// and the settings a run changes.
struct SessionState {
    database: Option<String>,
    mariadb: bool,
    own: Own,
}

async fn session_state<C: Client>(conn: &mut C) -> Result<SessionState> {
    let action = "reading the session's database and settings";
    let rows = conn
        .text_rows(
            "SELECT DATABASE(), VERSION(), @@session.wait_timeout, @@session.lock_wait_timeout, \
             @@session.innodb_lock_wait_timeout, @@session.completion_type",
        )
        .await
        .map_err(failed(action))?;
    let row = rows
        .into_iter()
        .next()
        .ok_or_else(|| Error::database(action, "the server answered no row"))?;
    let version = row.get(1).and_then(text).unwrap_or_default();
    let mariadb = version.to_ascii_lowercase().contains("mariadb");
    let seconds = |at: usize| {
        row.get(at)
            .and_then(number)
            .and_then(|n| u64::try_from(n).ok())
            .unwrap_or(28_800)
    };
    let max_statement_time = if mariadb {
        let rows = conn
            .text_rows("SELECT @@session.max_statement_time")
            .await
            .map_err(failed(action))?;
        rows.first()
            .and_then(|row| row.first())
            .and_then(text)
            .and_then(|t| t.parse().ok())
            .unwrap_or(0.0)
    } else {
        0.0
    };
    Ok(SessionState {
        database: row.first().and_then(text),
        mariadb,
        own: Own {
            wait_timeout: seconds(2),
            lock_wait_timeout: seconds(3),
            innodb_lock_wait_timeout: seconds(4),
            max_statement_time,
            completion: Completion::read(&row.get(5).and_then(text).unwrap_or_default()),
        },
    })
}

/// Whole seconds, at least one, for MySQL's settings in seconds.
pub(super) fn whole_seconds(limit: Duration) -> u64 {
    let seconds = limit.as_secs() + u64::from(limit.subsec_nanos() > 0);
    seconds.clamp(1, 31_536_000)
}

/// The first column of the first row `sql` answers, as a number.
async fn first_number<C: Client>(
    conn: &mut C,
    sql: &str,
    values: Vec<Value>,
) -> std::result::Result<Option<i64>, Failure> {
    let rows = conn.rows(sql, params(values)).await?;
    Ok(rows.first().and_then(|row| row.first()).and_then(number))
}

/// The `GET_LOCK` name of `table` (qualified): `migrate:` and the SHA-1 of
/// the qualified name, computed by the server so that every client, of
/// any version, takes the same lock.
const LOCK_NAME: &str = "SELECT CONCAT('migrate:', SHA1(?))";

/// Who holds the lock named `?`: its session, as the server lists it.
const HOLDER: &str = "SELECT p.id, p.user, p.host, p.time FROM information_schema.processlist p \
     WHERE p.id = IS_USED_LOCK(?)";

async fn holder<C: Client>(conn: &mut C, name: &str) -> Option<LockHolder> {
    let rows = conn.rows(HOLDER, params(vec![name.into()])).await.ok()?;
    let row = rows.first()?;
    let id = i32::try_from(row.first().and_then(number)?).ok()?;
    let user = row.get(1).and_then(text).unwrap_or_default();
    let host = row.get(2).and_then(text);
    let seconds = row.get(3).and_then(number).unwrap_or(0);
    Some(LockHolder::new(
        id,
        user,
        host,
        format!("in its current state for {seconds} s"),
    ))
}

/// Takes the lock: `GET_LOCK` tried without waiting, and again after
/// growing pauses until `request.timeout`; then the session's idle limit
/// set to the lease.
pub(super) async fn lock<C: Client>(conn: &mut C, request: LockRequest<'_>) -> Result<MysqlLock> {
    let state = session_state(conn).await?;
    // Armed before the first `GET_LOCK`, whose answer may be the lock: a
    // run dropped from here on ends the session, and the lock with it.
    let own = state.own.completion;
    let taken = match conn.arm().await {
        Ok(()) => take(conn, request, state).await,
        Err(failure) => Err(failed("preparing the session for the run")(failure)),
    };
    if taken.is_err()
        && let Err(failure) = conn.disarm(own).await
    {
        tracing::error!(
            "could not give the session its completion_type back: {}",
            driver(failure)
        );
    }
    taken
}

/// [`lock`] once the session is armed.
async fn take<C: Client>(
    conn: &mut C,
    request: LockRequest<'_>,
    state: SessionState,
) -> Result<MysqlLock> {
    let database = match (request.table.schema(), &state.database) {
        // The migrations change the session's database: a history kept in
        // another would record them there, and revert them here.
        (Some(schema), Some(database)) if schema != database => {
            return Err(Error::database(
                "finding the database of the history table",
                format!(
                    "the history table `{}` is in another database than the connection's \
                     (`{database}`), where the migrations run: on MySQL the history lives in the \
                     database the migrations change; name that database in the connection \
                     (the URL) and the table alone",
                    request.table
                ),
            ));
        }
        (Some(schema), _) => schema.to_owned(),
        (None, Some(database)) => database.clone(),
        (None, None) => {
            return Err(Error::database(
                "finding the database of the history table",
                "the connection has no database selected: name one in the URL \
                 (mysql://host/app) or qualify the table (app.schema_migrations)",
            ));
        }
    };
    let table = TableName::in_schema(Some(&database), request.table.name())?;
    let rows = conn
        .rows(LOCK_NAME, params(vec![table.to_string().into()]))
        .await
        .map_err(failed("naming the migration lock"))?;
    let name = rows
        .first()
        .and_then(|row| row.first())
        .and_then(text)
        .unwrap_or_default();
    let mut backoff = Backoff::new(request.timeout);
    loop {
        let taken = first_number(conn, "SELECT GET_LOCK(?, 0)", vec![name.as_str().into()])
            .await
            .map_err(failed("taking the migration lock"))?;
        if taken == Some(1) {
            break;
        }
        match backoff.next() {
            Ok(pause) => conn.pause(pause).await,
            Err(waited) => {
                return Err(Error::Locked {
                    waited,
                    holder: holder(conn, &name).await.map(Box::new),
                });
            }
        }
    }
    let lock = MysqlLock {
        name,
        table,
        mariadb: state.mariadb,
        own: state.own,
        lock_wait: None,
    };
    let lease = format!(
        "SET SESSION wait_timeout = {}",
        whole_seconds(request.lease)
    );
    if let Err(error) = conn.run(&lease).await {
        unlock(conn, lock).await;
        return Err(failed(
            "setting the session's idle limit (the lock's lease)",
        )(error));
    }
    Ok(lock)
}

/// Refuses a session inside a transaction the run did not open.
pub(super) async fn outside_transaction<C: Client>(conn: &mut C) -> Result<()> {
    let action = "reading whether the session is in a transaction";
    let open = match first_number(conn, "SELECT @@in_transaction", Vec::new()).await {
        Ok(open) => open.unwrap_or(0) > 0,
        // MySQL has no such variable: its InnoDB transactions are listed.
        Err(failure) if failure.code == Some(UNKNOWN_VARIABLE) => {
            first_number(
                conn,
                "SELECT COUNT(*) FROM information_schema.innodb_trx \
                 WHERE trx_mysql_thread_id = CONNECTION_ID()",
                Vec::new(),
            )
            .await
            .map_err(failed(action))?
            .unwrap_or(0)
                > 0
        }
        Err(failure) => return Err(failed(action)(failure)),
    };
    if open {
        return Err(Error::SessionInTransaction);
    }
    Ok(())
}

/// Ends the run's transaction, releases the lock and gives the session its
/// settings back. Never fails: the server releases the lock when the
/// session ends. Until the last step a dropped run still ends the session.
pub(super) async fn unlock<C: Client>(conn: &mut C, lock: MysqlLock) {
    let _ = conn.run(ROLLBACK).await;
    if let Err(failure) = conn
        .change(
            "DO RELEASE_LOCK(?)",
            params(vec![lock.name.as_str().into()]),
        )
        .await
    {
        tracing::error!(
            "could not release the migration lock; the server releases it when the session ends: {}",
            driver(failure)
        );
    }
    if let Err(failure) = conn.run(&lock.own.give_back(lock.mariadb)).await {
        tracing::error!(
            "could not give the session its settings back: {}",
            driver(failure)
        );
    }
    if let Err(failure) = conn.disarm(lock.own.completion).await {
        tracing::error!(
            "could not give the session its completion_type back: {}",
            driver(failure)
        );
    }
}

/// The sessions with an open transaction, longest open first: what holds
/// a table's metadata lock until it ends. MySQL does not say which tables
/// a transaction has read without `performance_schema`, so every open
/// transaction is named.
pub(super) async fn blockers<C: Client>(conn: &mut C) -> Vec<Blocker> {
    let sql = "SELECT p.id, p.user, p.host, TIMESTAMPDIFF(SECOND, t.trx_started, NOW()), \
               p.command, p.time \
               FROM information_schema.innodb_trx t \
               JOIN information_schema.processlist p ON p.id = t.trx_mysql_thread_id \
               WHERE p.id <> CONNECTION_ID() ORDER BY t.trx_started";
    let rows = match conn.rows(sql, params(Vec::new())).await {
        Ok(rows) => rows,
        Err(failure) => {
            // Without the PROCESS privilege the server shows no other
            // session's transaction.
            tracing::warn!(
                "could not read the sessions in the migration's way (naming them needs the \
                 PROCESS privilege): {}",
                driver(failure)
            );
            return Vec::new();
        }
    };
    let seconds = |value: Option<&Value>| {
        value
            .and_then(number)
            .and_then(|n| u64::try_from(n).ok())
            .map(Duration::from_secs)
    };
    rows.iter()
        .filter_map(|row| {
            let id = i32::try_from(row.first().and_then(number)?).ok()?;
            let user = row.get(1).and_then(text).unwrap_or_default();
            Some(Blocker::new(id, user).with(
                row.get(2).and_then(text),
                seconds(row.get(3)),
                row.get(4).and_then(text).map(|c| c.to_ascii_lowercase()),
                seconds(row.get(5)),
            ))
        })
        .collect()
}
