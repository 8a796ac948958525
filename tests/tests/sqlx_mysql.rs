//! The migrations run on sqlx's `MySqlConnection` (feature `sqlx-mysql`),
//! taken from a sqlx pool, on MariaDB: applied (a schema change outside a
//! transaction, rows inside one), reverted, a failure part-way recorded;
//! 16 tasks on 16 connections of one pool apply each migration once; a
//! wait for the lock that is bounded and names the holder's session; a
//! run whose future is dropped part-way, then its connection closed,
//! never applies a migration twice; nor, given back to its pool, hands
//! the run's session to the pool's next caller.

use std::time::Duration;

use migrate_runtime::sqlx::mysql::{MySqlPool, MySqlPoolOptions};
use migrate_runtime::{Error, State, Version};
use migrate_tests::mysql::Scratch;
use migrate_tests::{MY_FAILING, MY_NO_TX_LONG, MY_ONCE, MY_OWN_TX};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .expect("a runtime")
}

async fn pool(db: &Scratch, size: u32) -> MySqlPool {
    MySqlPoolOptions::new()
        .max_connections(size)
        .connect(&db.url())
        .await
        .expect("the pool connects")
}

async fn numbers(pool: &MySqlPool, sql: &'static str) -> Vec<i64> {
    sqlx::query_scalar::<_, i64>(sql)
        .fetch_all(pool)
        .await
        .expect("query")
}

#[test]
fn sqlx_applies_reverts_and_records_a_failure() {
    let Some(db) = Scratch::new() else { return };
    runtime().block_on(async {
        let pool = pool(&db, 2).await;
        let mut conn = pool.acquire().await.expect("a connection");
        let settings = "SELECT CONCAT(@@session.wait_timeout, ' ', @@session.lock_wait_timeout, ' ', \
                        @@session.innodb_lock_wait_timeout, ' ', @@session.completion_type)";
        let own: String = sqlx::query_scalar(settings)
            .fetch_one(&mut *conn)
            .await
            .expect("the session's settings");
        let report = MY_ONCE.migrate_async(&mut *conn).await.expect("applied");
        assert_eq!(report.steps.len(), 20);
        // The pool's connection goes back as it came: its settings its own,
        // and the lock free, as another session reads it.
        let after: String = sqlx::query_scalar(settings)
            .fetch_one(&mut *conn)
            .await
            .expect("the session's settings");
        assert_eq!(after, own);
        let holder: Option<u64> = sqlx::query_scalar(
            "SELECT IS_USED_LOCK(CONCAT('migrate:', SHA1(CONCAT(DATABASE(), '.schema_migrations'))))",
        )
        .fetch_one(&pool)
        .await
        .expect("the lock's holder");
        assert_eq!(holder, None, "the lock is free once the run ends");
        assert!(!report.steps[0].transaction && report.steps[1].transaction);
        assert!(
            MY_ONCE
                .migrate_async(&mut *conn)
                .await
                .expect("runs")
                .is_empty(),
            "nothing pending the second time"
        );
        MY_ONCE
            .migrator()
            .down_to_async(&mut *conn, Version(9))
            .await
            .expect("reverted");
        assert_eq!(
            numbers(&pool, "SELECT k FROM counter ORDER BY k").await,
            (1..=9).collect::<Vec<i64>>()
        );
        let status = MY_ONCE.status_async(&mut *conn).await.expect("status");
        assert_eq!(status.current, Some(Version(9)));
        assert!(
            status.entries[9].outside_transaction,
            "the index: a schema change"
        );

        let failing = Scratch::new().expect("a second database");
        let pool = self::pool(&failing, 1).await;
        let mut conn = pool.acquire().await.expect("a connection");
        let error = MY_FAILING
            .migrate_async(&mut *conn)
            .await
            .expect_err("version 2 fails");
        assert!(
            matches!(
                error,
                Error::MigrationFailed {
                    version: Version(2),
                    rolled_back: false,
                    ..
                }
            ),
            "{error}"
        );
        assert!(
            error.to_string().contains("ERROR "),
            "the server's words: {error}"
        );
        let status = MY_FAILING.status_async(&mut *conn).await.expect("status");
        assert_eq!(status.entries[1].state, State::Failed);
    });
}

#[test]
fn sixteen_tasks_on_one_pool_apply_each_migration_once() {
    let Some(db) = Scratch::new() else { return };
    runtime().block_on(async {
        let pool = pool(&db, 16).await;
        let mut tasks = Vec::new();
        for _ in 0..16 {
            let mut conn = pool.acquire().await.expect("a connection");
            tasks.push(tokio::spawn(async move {
                MY_ONCE
                    .migrator()
                    .busy_timeout(Duration::from_secs(60))
                    .run_async(&mut *conn)
                    .await
                    .expect("runs")
                    .steps
                    .len()
            }));
        }
        let mut applied = 0;
        for task in tasks {
            applied += task.await.expect("a task");
        }
        assert_eq!(applied, 20, "each migration applied once");
        assert_eq!(
            numbers(&pool, "SELECT k FROM counter ORDER BY k").await,
            (1..=20).collect::<Vec<i64>>()
        );
    });
}

#[test]
fn the_wait_for_the_lock_is_bounded_and_names_the_holder() {
    let Some(db) = Scratch::new() else { return };
    runtime().block_on(async {
        let pool = pool(&db, 2).await;
        let mut holder = pool.acquire().await.expect("a connection");
        // The run's own lock name, taken by another session of the pool.
        let name: String = sqlx::query_scalar(
            "SELECT CONCAT('migrate:', SHA1(CONCAT(DATABASE(), '.', 'schema_migrations')))",
        )
        .fetch_one(&mut *holder)
        .await
        .expect("the lock's name");
        let holder_id: u64 = sqlx::query_scalar("SELECT CONNECTION_ID()")
            .fetch_one(&mut *holder)
            .await
            .expect("its id");
        let taken: i64 = sqlx::query_scalar("SELECT GET_LOCK(?, 0)")
            .bind(&name)
            .fetch_one(&mut *holder)
            .await
            .expect("GET_LOCK");
        assert_eq!(taken, 1);
        let mut waiter = pool.acquire().await.expect("a connection");
        let error = MY_ONCE
            .migrator()
            .busy_timeout(Duration::from_millis(300))
            .run_async(&mut *waiter)
            .await
            .expect_err("locked");
        let Error::Locked {
            holder: Some(seen), ..
        } = &error
        else {
            panic!("{error}");
        };
        assert_eq!(u64::try_from(seen.pid).ok(), Some(holder_id), "{error}");
        // The refused run gives its session back as it found it: outside
        // any transaction, its own `completion_type` (the run armed it
        // before its first `GET_LOCK`).
        let session: String =
            sqlx::query_scalar("SELECT CONCAT(@@in_transaction, ' ', @@session.completion_type)")
                .fetch_one(&mut *waiter)
                .await
                .expect("the waiter's session");
        assert_eq!(session, "0 NO_CHAIN");
    });
}

/// A run dropped part-way inside a migration outside a transaction, then
/// its connection closed (which ends the session and frees the lock): the
/// next run refuses the migration the mark says was under way, with the
/// rows exactly those of the statements known done.
#[test]
fn a_dropped_run_then_its_closed_connection_never_apply_a_migration_twice() {
    use migrate_runtime::sqlx::Connection as _;
    for trial in 0..6u64 {
        let Some(db) = Scratch::new() else { return };
        runtime().block_on(async {
            let mut conn = migrate_runtime::sqlx::MySqlConnection::connect(&db.url())
                .await
                .expect("connect");
            let cut = Duration::from_millis(150 + 40 * trial);
            let run =
                tokio::time::timeout(cut, MY_NO_TX_LONG.migrator().run_async(&mut conn)).await;
            assert!(
                run.is_err(),
                "trial {trial}: the run finished before the cut"
            );
            drop(conn);
            let pool = pool(&db, 2).await;
            let mut conn = pool.acquire().await.expect("a connection");
            let refused = MY_NO_TX_LONG
                .migrator()
                .busy_timeout(Duration::from_secs(20))
                .run_async(&mut *conn)
                .await;
            let rows = numbers(&pool, "SELECT COUNT(*) FROM filled").await[0];
            match refused {
                Err(Error::UnresolvedFailure { failure, .. }) => {
                    let known: i64 = failure
                        .split_once("statements known done: ")
                        .and_then(|(_, rest)| rest.split_once(" of "))
                        .and_then(|(n, _)| n.parse().ok())
                        .unwrap_or_else(|| panic!("{failure}"));
                    assert_eq!(known, rows, "trial {trial}: {failure}");
                }
                Ok(report) => assert_eq!(rows, 400, "trial {trial}: {report}"),
                Err(other) => panic!("trial {trial}: {other}"),
            }
        });
    }
}

/// A run on a connection of sqlx's pool, its future dropped at a random
/// point (a timeout), then the connection given back to the pool: the
/// pool never hands the run's session on. As another session sees it, the
/// run's session is gone or idle, with no transaction open and the lock
/// free; the next caller's connection has the session's own settings, is
/// outside any transaction, and applies each migration once (a drop
/// inside a schema change, outside a transaction, is refused until
/// resolved as the server's catalog says).
#[test]
fn a_run_dropped_anywhere_never_hands_its_session_to_the_pools_next_caller() {
    let mut rng = migrate_tests::Rng(0x5eed_0054);
    // How long a whole run takes here (the fastest of three): the trials
    // drop theirs before that.
    let mut whole = Duration::MAX;
    for _ in 0..3 {
        let Some(db) = Scratch::new() else { return };
        whole = whole.min(runtime().block_on(async {
            let pool = pool(&db, 1).await;
            let mut conn = pool.acquire().await.expect("a connection");
            let started = std::time::Instant::now();
            MY_ONCE.migrate_async(&mut *conn).await.expect("applied");
            started.elapsed()
        }));
    }
    let (mut dropped, mut read_only) = (0, 0);
    for trial in 0..24 {
        let Some(db) = Scratch::new() else { return };
        let after = Duration::from_micros(rng.below(u64::try_from(whole.as_micros()).unwrap_or(1)));
        let what = format!("trial {trial}, dropped after {after:?} of {whole:?}");
        dropped += runtime().block_on(async {
            let oracle = pool(&db, 1).await;
            let pool = pool(&db, 1).await;
            sqlx::raw_sql("CREATE TABLE probe (n INT)")
                .execute(&oracle)
                .await
                .expect("a table to write to");
            let mut conn = pool.acquire().await.expect("a connection");
            let id: u64 = sqlx::query_scalar("SELECT CONNECTION_ID()")
                .fetch_one(&mut *conn)
                .await
                .expect("the session's id");
            let cut = tokio::time::timeout(after, MY_ONCE.migrator().run_async(&mut *conn))
                .await
                .is_err();
            drop(conn);
            let lock = format!("CONCAT('migrate:', SHA1('{}.schema_migrations'))", db.name());
            let state = format!(
                "SELECT CONCAT(\
                   COALESCE((SELECT command FROM information_schema.processlist WHERE id = {id}), 'gone'), \
                   ' | ', COALESCE(IS_USED_LOCK({lock}), 'free'))"
            );
            let deadline = std::time::Instant::now() + Duration::from_secs(10);
            loop {
                let seen: String = sqlx::query_scalar(sqlx::AssertSqlSafe(state.clone()))
                    .fetch_one(&oracle)
                    .await
                    .expect("the oracle");
                if seen == "gone | free" || seen == "Sleep | free" {
                    break;
                }
                assert!(std::time::Instant::now() < deadline, "{what}: {seen}");
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            let mut conn = pool.acquire().await.expect("the next caller's connection");
            let settings = "SELECT CONCAT(@@in_transaction, ' ', @@session.completion_type, ' ', \
                            @@session.wait_timeout = @@global.wait_timeout, ' ', \
                            @@session.lock_wait_timeout = @@global.lock_wait_timeout)";
            let session: String = sqlx::query_scalar(settings)
                .fetch_one(&mut *conn)
                .await
                .expect("the session");
            if session == "1 NO_CHAIN 1 1" {
                // Dropped in the run's first change, before sqlx counted its
                // transaction: an empty read-only one, which refuses a write
                // rather than keep it, and ends at the caller's `COMMIT`.
                let write = sqlx::raw_sql("INSERT INTO probe VALUES (1)")
                    .execute(&mut *conn)
                    .await
                    .expect_err("a write in the read-only transaction");
                assert!(write.to_string().contains("READ ONLY"), "{what}: {write}");
                sqlx::raw_sql("COMMIT").execute(&mut *conn).await.expect("ended");
                read_only += 1;
            } else {
                assert_eq!(session, "0 NO_CHAIN 1 1", "{what}");
            }
            run_once_to_the_end(&mut conn, &oracle, &what).await;
            u32::from(cut)
        });
    }
    assert!(
        dropped >= 16,
        "only {dropped} of 24 runs were dropped part-way"
    );
    eprintln!("{dropped} of 24 runs dropped part-way, {read_only} in their first change");
}

/// Runs `MY_ONCE` to its end on `conn`; a migration outside a transaction
/// cut off part-way is undone by hand, as the catalog says, and resolved.
/// Then each migration's row is there once.
async fn run_once_to_the_end(
    conn: &mut migrate_runtime::sqlx::MySqlConnection,
    oracle: &MySqlPool,
    what: &str,
) {
    let migrator = || MY_ONCE.migrator().busy_timeout(Duration::from_secs(20));
    match migrator().run_async(&mut *conn).await {
        Ok(_) => {}
        Err(Error::UnresolvedFailure { version, .. }) => {
            let undo = match version {
                Version(1) => "DROP TABLE IF EXISTS counter",
                Version(10) => {
                    "DELETE FROM counter WHERE k = 10; \
                     ALTER TABLE counter DROP INDEX IF EXISTS counter_k"
                }
                other => panic!("{what}: {other} is inside a transaction"),
            };
            sqlx::raw_sql(undo).execute(oracle).await.expect("undone");
            migrator()
                .resolve_async(&mut *conn, version, migrate_runtime::Resolution::Pending)
                .await
                .unwrap_or_else(|e| panic!("{what}: resolve: {e}"));
            migrator()
                .run_async(&mut *conn)
                .await
                .unwrap_or_else(|e| panic!("{what}: after resolving: {e}"));
        }
        Err(other) => panic!("{what}: {other}"),
    }
    assert_eq!(
        numbers(oracle, "SELECT k FROM counter ORDER BY k").await,
        (1..=20).collect::<Vec<i64>>(),
        "{what}"
    );
}

/// A file's own `COMMIT` and `ROLLBACK` on sqlx's connection, and a
/// procedure's it calls, end their transactions and nothing else (the run
/// ends the session on a dropped run's `ROLLBACK`, never on the
/// migration's), and the session is given its own `completion_type` back.
#[test]
fn a_migrations_own_transactions_end_as_written_on_sqlx() {
    let Some(db) = Scratch::new() else { return };
    runtime().block_on(async {
        let pool = pool(&db, 2).await;
        let mut conn = pool.acquire().await.expect("a connection");
        let id = "SELECT CONCAT(CONNECTION_ID(), ' ', @@session.completion_type)";
        let before: String = sqlx::query_scalar(id)
            .fetch_one(&mut *conn)
            .await
            .expect("the session");
        let report = MY_OWN_TX.migrate_async(&mut *conn).await.expect("applied");
        assert_eq!(report.steps.len(), 3);
        let after: String = sqlx::query_scalar(id)
            .fetch_one(&mut *conn)
            .await
            .expect("the same session");
        assert_eq!(after, before);
        assert_eq!(
            numbers(&pool, "SELECT id FROM ledger ORDER BY id").await,
            [1, 3, 4]
        );
        MY_OWN_TX
            .migrator()
            .down_to_async(&mut *conn, Version(1))
            .await
            .expect("reverted");
        assert!(numbers(&pool, "SELECT id FROM ledger").await.is_empty());
    });
}

/// A Rust migration written for sqlx's MySQL connection runs on it, and
/// its `down` too; on the `mysql` crate's connection it is refused before
/// anything runs.
#[test]
fn a_rust_migration_on_sqlxs_mysql_connection_runs_and_reverts() {
    let Some(db) = Scratch::new() else { return };
    let refused = migrate_tests::MY_SQLX_RUST
        .migrate(&mut db.connect())
        .expect_err("written for sqlx");
    assert!(
        matches!(refused, Error::RustMigrationDriver { .. }),
        "{refused}"
    );
    runtime().block_on(async {
        let pool = pool(&db, 2).await;
        let mut conn = pool.acquire().await.expect("a connection");
        migrate_tests::MY_SQLX_RUST
            .migrate_async(&mut *conn)
            .await
            .expect("runs");
        assert_eq!(numbers(&pool, "SELECT COUNT(*) FROM items").await, [50]);
        migrate_tests::MY_SQLX_RUST
            .migrator()
            .down_async(&mut *conn)
            .await
            .expect("down");
        assert_eq!(numbers(&pool, "SELECT COUNT(*) FROM items").await, [0]);
    });
}

/// The session of a run on sqlx's connection is killed (`KILL`, as an
/// operator does): the run stops saying the session ended and the lock
/// went with it, and the next run refuses the migration the mark says was
/// under way.
#[test]
fn a_sqlx_run_whose_session_is_killed_stops_and_says_so() {
    let Some(db) = Scratch::new() else { return };
    runtime().block_on(async {
        let pool = pool(&db, 3).await;
        let mut conn = pool.acquire().await.expect("a connection");
        let id: u64 = sqlx::query_scalar("SELECT CONNECTION_ID()")
            .fetch_one(&mut *conn)
            .await
            .expect("its id");
        let run = tokio::spawn(async move { MY_NO_TX_LONG.migrate_async(&mut *conn).await });
        let started = std::time::Instant::now();
        loop {
            let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM filled")
                .fetch_one(&pool)
                .await
                .unwrap_or(0);
            if rows >= 20 {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(30), "never started");
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("KILL {id}")))
            .execute(&pool)
            .await
            .expect("the session is killed");
        let error = run
            .await
            .expect("the run returns")
            .expect_err("the killed run stops");
        assert!(
            error.to_string().contains("the session ended")
                && error
                    .to_string()
                    .contains("the migration lock went with it"),
            "{error}"
        );
        let mut next = pool.acquire().await.expect("a connection");
        let refused = MY_NO_TX_LONG
            .migrator()
            .busy_timeout(Duration::from_secs(5))
            .run_async(&mut *next)
            .await
            .expect_err("refused");
        assert!(
            matches!(
                refused,
                Error::UnresolvedFailure {
                    version: Version(2),
                    ..
                }
            ),
            "{refused}"
        );
    });
}
