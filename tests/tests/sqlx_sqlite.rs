//! The migrations run on sqlx's `SqliteConnection` (feature
//! `sqlx-sqlite`), taken from a sqlx pool on a real file, and checked
//! through another client (rusqlite) and the file system: applied,
//! reverted and a failure said in SQLite's words as on rusqlite's; 16
//! tasks on 16 connections of one pool apply each migration once; a run
//! dropped at random points leaves the pool's connection outside any
//! transaction and the lock file free, and the next run applies each
//! migration once; a time limit stops a statement; the backup is the file
//! before the run; a Rust migration on sqlx's connection, and one for
//! rusqlite refused before anything runs; the wait for a held lock
//! bounded; a connection inside someone else's transaction refused.

use std::path::Path;
use std::time::Duration;

use migrate_runtime::rusqlite::Connection;
use migrate_runtime::sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};
use migrate_runtime::{Error, Version};
use migrate_tests::{
    BASIC, NO_TX_FAILING, ONCE, RUST_ONCE, SQLX_SQLITE_RUST, history, in_rounds, sqlite_path,
    table_exists,
};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .expect("a runtime")
}

async fn pool(path: &Path, size: u32) -> SqlitePool {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .busy_timeout(Duration::from_secs(30));
    SqlitePoolOptions::new()
        .max_connections(size)
        .connect_with(options)
        .await
        .expect("the pool opens the file")
}

/// The rows of `counter`, in order, as another client reads them.
fn counter(path: &Path) -> Vec<i64> {
    let conn = Connection::open(path).expect("open");
    conn.prepare("SELECT migration FROM counter ORDER BY migration")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .expect("counter")
}

/// Whether another process could take the migration lock now.
fn lock_file_free(path: &Path) -> bool {
    let mut name = path.as_os_str().to_owned();
    name.push("-migrate-lock");
    match std::fs::File::open(name) {
        Ok(file) => file.try_lock().is_ok(),
        Err(_) => true,
    }
}

#[test]
fn sqlx_applies_reverts_and_says_a_failure_in_sqlites_words() {
    let (_dir, path) = sqlite_path();
    runtime().block_on(async {
        let pool = pool(&path, 2).await;
        let mut conn = pool.acquire().await.expect("a connection");
        let report = BASIC.migrate_async(&mut *conn).await.expect("applied");
        assert_eq!(report.to, Some(Version(3)));
        assert!(
            BASIC
                .migrate_async(&mut *conn)
                .await
                .expect("runs")
                .is_empty(),
            "nothing pending the second time"
        );
        BASIC
            .migrator()
            .down_to_async(&mut *conn, Version(1))
            .await
            .expect("reverted");
        let status = BASIC.status_async(&mut *conn).await.expect("status");
        assert_eq!(status.current, Some(Version(1)));
    });
    let other = Connection::open(&path).expect("open");
    assert_eq!(history(&other), [1]);

    let (_dir, path) = sqlite_path();
    runtime().block_on(async {
        let pool = pool(&path, 1).await;
        let mut conn = pool.acquire().await.expect("a connection");
        let error = NO_TX_FAILING
            .migrate_async(&mut *conn)
            .await
            .expect_err("fails");
        assert_eq!(
            error.to_string(),
            "migrations/no_tx_failing/002_outside.sql:4: no such table: missing; \
             this migration runs outside a transaction: statements before this one stay applied, \
             and it is recorded as failed until it is resolved \
             (`resolve(Version(2), Resolution::Applied)` or `…Pending`); \
             migration 1 was committed before it and stays applied"
        );
    });
    let other = Connection::open(&path).expect("open");
    assert_eq!(history(&other), [1, 2]);
    assert!(table_exists(&other, "b"));
}

#[test]
fn sixteen_tasks_on_one_pool_apply_each_migration_once() {
    let (_dir, path) = sqlite_path();
    runtime().block_on(async {
        let pool = pool(&path, 16).await;
        let tasks: Vec<_> = (0..16)
            .map(|_| {
                let pool = pool.clone();
                tokio::spawn(async move {
                    let mut conn = pool.acquire().await.expect("a connection");
                    ONCE.migrator()
                        .busy_timeout(Duration::from_secs(60))
                        .run_async(&mut *conn)
                        .await
                        .map(|report| report.steps.len())
                })
            })
            .collect();
        let mut applied = 0;
        for task in tasks {
            applied += task.await.expect("the task").expect("the run");
        }
        assert_eq!(applied, 50, "each migration applied by one task");
    });
    assert_eq!(counter(&path), (1..=50).collect::<Vec<i64>>());
}

/// 60 runs, each on the pool's one connection, its future dropped at a
/// random point (a timeout) and the connection given back: the pool's next caller
/// gets it outside any transaction (a `BEGIN` of its own works), the lock
/// file is free, and the next run applies each migration once (a drop
/// inside the migration outside a transaction, version 25, is refused
/// until resolved as the file says).
#[test]
fn a_run_dropped_anywhere_leaves_the_pools_connection_free_and_runs_once_after() {
    let mut rng = migrate_tests::Rng(0x5eed_0055);
    let mut whole = Duration::MAX;
    for _ in 0..3 {
        let (_dir, path) = sqlite_path();
        whole = whole.min(runtime().block_on(async {
            let pool = pool(&path, 1).await;
            let mut conn = pool.acquire().await.expect("a connection");
            let started = std::time::Instant::now();
            ONCE.migrate_async(&mut *conn).await.expect("applied");
            started.elapsed()
        }));
    }
    let cuts: Vec<(u64, Duration)> = (0..60)
        .map(|trial| {
            let micros = rng.below(u64::try_from(whole.as_micros()).unwrap_or(1));
            (trial, Duration::from_micros(micros))
        })
        .collect();
    let dropped = in_rounds(&cuts, 6, |(trial, after)| {
        let what = format!("trial {trial}, dropped after {after:?} of {whole:?}");
        let (_dir, path) = sqlite_path();
        runtime().block_on(async {
            let pool = pool(&path, 1).await;
            let mut conn = pool.acquire().await.expect("a connection");
            let cut = tokio::time::timeout(after, ONCE.migrator().run_async(&mut *conn))
                .await
                .is_err();
            drop(conn);
            let mut conn = pool.acquire().await.expect("the next caller's connection");
            sqlx::raw_sql("BEGIN; ROLLBACK")
                .execute(&mut *conn)
                .await
                .unwrap_or_else(|e| panic!("{what}: the connection is in a transaction: {e}"));
            assert!(lock_file_free(&path), "{what}: the lock file is held");
            let migrator = || ONCE.migrator().busy_timeout(Duration::from_secs(20));
            match migrator().run_async(&mut *conn).await {
                Ok(_) => {}
                Err(Error::UnresolvedFailure {
                    version: Version(25),
                    ..
                }) => {
                    // Undone by hand, as the file says it is.
                    sqlx::raw_sql(
                        "DROP INDEX IF EXISTS counter_migration; \
                         DELETE FROM counter WHERE migration = 25",
                    )
                    .execute(&mut *conn)
                    .await
                    .expect("undone");
                    migrator()
                        .resolve_async(
                            &mut *conn,
                            Version(25),
                            migrate_runtime::Resolution::Pending,
                        )
                        .await
                        .unwrap_or_else(|e| panic!("{what}: resolve: {e}"));
                    migrator()
                        .run_async(&mut *conn)
                        .await
                        .unwrap_or_else(|e| panic!("{what}: after resolving: {e}"));
                }
                Err(other) => panic!("{what}: {other}"),
            }
            assert_eq!(counter(&path), (1..=50).collect::<Vec<i64>>(), "{what}");
            cut
        })
    });
    assert!(
        dropped >= 16,
        "only {dropped} of 24 runs were dropped part-way"
    );
}

#[test]
fn a_time_limit_stops_a_statement_and_the_backup_is_the_file_before_the_run() {
    let (dir, path) = sqlite_path();
    let slow = migrate_tests::generated(&[
        (
            "001_seed.sql",
            "-- +migrate Up\nCREATE TABLE seed (n INTEGER);\nINSERT INTO seed VALUES (1);\n\
             -- +migrate Down\nDROP TABLE seed;\n"
                .to_owned(),
        ),
        (
            "002_slow.sql",
            "-- +migrate Up\nCREATE TABLE slow AS WITH RECURSIVE k(x) AS \
             (SELECT 1 UNION ALL SELECT x + 1 FROM k WHERE x < 1000000000) SELECT count(*) AS n FROM k;\n\
             -- +migrate Down\nDROP TABLE slow;\n"
                .to_owned(),
        ),
    ]);
    let backups = dir.path().join("backups");
    runtime().block_on(async {
        let pool = pool(&path, 1).await;
        let mut conn = pool.acquire().await.expect("a connection");
        slow.migrator()
            .to(Version(1))
            .run_async(&mut *conn)
            .await
            .expect("the seed");
        let error = slow
            .migrator()
            .timeout(Duration::from_millis(200))
            .backup(true)
            .backup_dir(&backups)
            .run_async(&mut *conn)
            .await
            .expect_err("stopped");
        let said = error.to_string();
        assert!(
            said.starts_with(
                "migrations/002_slow.sql:2: the migration was stopped at its time limit of 200ms"
            ) && said.contains("rolled back"),
            "{said}"
        );
    });
    let copies: Vec<_> = std::fs::read_dir(&backups)
        .expect("the backup folder")
        .map(|entry| entry.expect("an entry").path())
        .collect();
    assert_eq!(copies.len(), 1, "{copies:?}");
    let copy = Connection::open(&copies[0]).expect("the backup opens");
    assert_eq!(history(&copy), [1]);
    assert!(table_exists(&copy, "seed") && !table_exists(&copy, "slow"));
}

#[test]
fn a_rust_migration_on_sqlxs_sqlite_connection_runs_and_reverts_and_rusqlites_is_refused() {
    let (_dir, path) = sqlite_path();
    runtime().block_on(async {
        let pool = pool(&path, 1).await;
        let mut conn = pool.acquire().await.expect("a connection");
        let report = SQLX_SQLITE_RUST
            .migrate_async(&mut *conn)
            .await
            .expect("applied");
        assert!(report.steps[1].transaction && !report.steps[2].transaction);
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM items")
            .fetch_one(&mut *conn)
            .await
            .expect("count");
        assert_eq!(n, 51);
        SQLX_SQLITE_RUST
            .migrator()
            .down_to_async(&mut *conn, Version(1))
            .await
            .expect("reverted");
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM items")
            .fetch_one(&mut *conn)
            .await
            .expect("count");
        assert_eq!(n, 0);
    });
    let (_dir, path) = sqlite_path();
    runtime().block_on(async {
        let pool = pool(&path, 1).await;
        let mut conn = pool.acquire().await.expect("a connection");
        let refused = RUST_ONCE
            .migrate_async(&mut *conn)
            .await
            .expect_err("a rusqlite function");
        assert!(refused.to_string().contains("rusqlite"), "{refused}");
    });
    assert!(!table_exists(
        &Connection::open(&path).expect("open"),
        "counter"
    ));
}

/// Another migrator holds the lock (the lock file, locked here as another
/// process would): the run waits at most its `busy_timeout`, then says
/// so with `Error::Locked`, having changed nothing.
#[test]
fn the_wait_for_the_lock_is_bounded() {
    let (_dir, path) = sqlite_path();
    let mut name = path.as_os_str().to_owned();
    name.push("-migrate-lock");
    let held = std::fs::File::create(name).expect("the lock file");
    held.lock().expect("held");
    runtime().block_on(async {
        let pool = pool(&path, 1).await;
        let mut conn = pool.acquire().await.expect("a connection");
        let refused = BASIC
            .migrator()
            .busy_timeout(Duration::from_millis(300))
            .run_async(&mut *conn)
            .await
            .expect_err("locked");
        assert!(matches!(refused, Error::Locked { .. }), "{refused}");
    });
    drop(held);
    assert!(!table_exists(
        &Connection::open(&path).expect("open"),
        "accounts"
    ));
}

#[test]
fn a_connection_inside_someone_elses_transaction_is_refused() {
    let (_dir, path) = sqlite_path();
    runtime().block_on(async {
        let pool = pool(&path, 1).await;
        let mut conn = pool.acquire().await.expect("a connection");
        sqlx::raw_sql("BEGIN; CREATE TABLE mine (x INTEGER)")
            .execute(&mut *conn)
            .await
            .expect("the application's transaction");
        let refused = BASIC.migrate_async(&mut *conn).await.expect_err("refused");
        assert!(matches!(refused, Error::SessionInTransaction), "{refused}");
        sqlx::raw_sql("ROLLBACK")
            .execute(&mut *conn)
            .await
            .expect("the application ends it");
    });
}
