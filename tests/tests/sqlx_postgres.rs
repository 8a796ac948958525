//! The migrations run on sqlx's `PgConnection` (feature `sqlx-postgres`),
//! the connection a sqlx service already holds, taken from its `PgPool`:
//! the same operations and promises as the other PostgreSQL clients, on a
//! real server — apply, status, revert, a failure rolled back; 16 tasks at
//! once apply each migration once, in one transaction and across
//! transactions (the lease); a wait for the lock that is bounded and names
//! the holder; a statement behind a long transaction that waits its lock
//! timeout, is tried again, and ends naming the blocking session. The
//! pooler (`pooler.rs`) and the kill trials (`killed_mid_migration.rs`)
//! run on this connection too.

use std::time::Duration;

use migrate_runtime::sqlx::postgres::{PgPool, PgPoolOptions};
use migrate_runtime::{Error, LockWait, Migrations, Resolution, Version};
use migrate_tests::pg::{Scratch, history, kill, lock_is_free, spawn, wait_for_lock};
use migrate_tests::{PG_BASIC, PG_FAILING, PG_ONCE, PG_QUEUE, PG_ROWS, PG_SLOW};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .expect("runtime")
}

/// The service's pool on the scratch database.
async fn pool(db: &Scratch, size: u32) -> PgPool {
    PgPoolOptions::new()
        .max_connections(size)
        .connect(&db.url())
        .await
        .expect("the pool connects")
}

#[test]
fn run_status_down_and_a_failure_on_a_connection_of_the_pool() {
    let Some(db) = Scratch::new() else { return };
    runtime().block_on(async {
        let pool = pool(&db, 2).await;
        let mut conn = pool.acquire().await.expect("a connection");
        let report = PG_BASIC.migrate_async(&mut *conn).await.expect("runs");
        assert_eq!((report.from, report.to), (None, Some(Version(3))));
        assert!(
            PG_BASIC
                .migrate_async(&mut *conn)
                .await
                .expect("runs")
                .is_empty(),
            "nothing pending the second time"
        );
        let status = PG_BASIC.status_async(&mut *conn).await.expect("status");
        assert_eq!(status.current, Some(Version(3)));
        PG_BASIC
            .migrator()
            .down_async(&mut *conn)
            .await
            .expect("down");
        let status = PG_BASIC.status_async(&mut *conn).await.expect("status");
        assert_eq!(status.current, Some(Version(2)));
        let error = PG_FAILING
            .migrate_async(&mut *conn)
            .await
            .expect_err("fails");
        assert!(
            matches!(
                error,
                Error::MigrationFailed {
                    version: Version(3),
                    ..
                }
            ),
            "{error}"
        );
        // The server's own words reach the error, with the SQLSTATE.
        assert!(error.to_string().contains("SQLSTATE"), "{error}");
        // The connection goes back to the pool usable.
        drop(conn);
        let mut again = pool.acquire().await.expect("a connection");
        let status = PG_BASIC.status_async(&mut *again).await.expect("status");
        assert_eq!(status.current, Some(Version(2)));
    });
    assert_eq!(history(&mut db.client()), [1, 2]);
}

/// Sixteen spawned tasks, each on its own connection of one pool, run
/// `migrations` at once; how many migrations they applied in all.
fn sixteen_tasks_at_once(
    db: &Scratch,
    migrations: &'static Migrations,
    per_migration: bool,
) -> usize {
    runtime().block_on(async {
        let pool = pool(db, 16).await;
        let mut tasks = Vec::new();
        for _ in 0..16 {
            let mut conn = pool.acquire().await.expect("a connection");
            // Spawned: the run's future is `Send`.
            tasks.push(tokio::spawn(async move {
                migrations
                    .migrator()
                    .per_migration(per_migration)
                    .busy_timeout(Duration::from_secs(60))
                    .run_async(&mut *conn)
                    .await
                    .map(|report| report.steps.len())
            }));
        }
        let mut applied = 0;
        for task in tasks {
            applied += task.await.expect("task").expect("migrates");
        }
        applied
    })
}

#[test]
fn sixteen_tasks_apply_each_migration_once() {
    let Some(db) = Scratch::new() else { return };
    assert_eq!(sixteen_tasks_at_once(&db, &PG_ROWS, false), 20);
    assert_eq!(history(&mut db.client()).len(), 20);
}

#[test]
fn sixteen_tasks_across_transactions_share_the_lease() {
    // A NoTransaction index, one commit per migration: the lease path.
    let Some(db) = Scratch::new() else { return };
    assert_eq!(sixteen_tasks_at_once(&db, &PG_ONCE, true), 20);
    let mut client = db.client();
    assert_eq!(history(&mut client).len(), 20);
    assert!(lock_is_free(&mut client));
}

#[test]
fn the_wait_for_the_lock_is_bounded_and_names_the_holder() {
    let Some(db) = Scratch::new() else { return };
    let slow = spawn(
        env!("CARGO_BIN_EXE_migrate-child"),
        &db,
        "pg_slow",
        "slow-holder",
    );
    wait_for_lock(&mut db.client());
    runtime().block_on(async {
        let pool = pool(&db, 1).await;
        let mut conn = pool.acquire().await.expect("a connection");
        let error = PG_SLOW
            .migrator()
            .busy_timeout(Duration::from_millis(300))
            .run_async(&mut *conn)
            .await
            .expect_err("locked");
        let Error::Locked {
            holder: Some(holder),
            ..
        } = &error
        else {
            panic!("{error}");
        };
        assert_eq!(holder.application_name, "slow-holder");
    });
    kill(slow);
}

/// A statement behind a long transaction waits at most its lock timeout,
/// is rolled back and tried again, and when the run's wait is spent the
/// error names the blocking session; nothing of the migration stays.
#[test]
fn a_statement_behind_a_long_transaction_waits_its_lock_timeout_and_names_the_blocker() {
    let Some(db) = Scratch::new() else { return };
    let mut direct = db.client();
    PG_QUEUE
        .migrator()
        .to(Version(1))
        .run(&mut direct)
        .expect("version 1");
    let mut blocker = db.client();
    blocker
        .batch_execute(
            "SET application_name = 'long_reader'; BEGIN; SELECT count(*) FROM readings;",
        )
        .expect("the long transaction starts");
    let error = runtime().block_on(async {
        let pool = pool(&db, 1).await;
        let mut conn = pool.acquire().await.expect("a connection");
        PG_QUEUE
            .migrator()
            .to(Version(2))
            .lock_timeout(Duration::from_millis(200))
            .busy_timeout(Duration::from_secs(1))
            .run_async(&mut *conn)
            .await
            .expect_err("the lock stays taken past the run's wait")
    });
    let message = error.to_string();
    let Error::LockTimeout {
        version,
        line,
        wait,
        rolled_back,
        ..
    } = &error
    else {
        panic!("{error}")
    };
    let LockWait {
        lock_timeout,
        attempts,
        blockers,
        ..
    } = wait.as_ref();
    assert_eq!((*version, *line), (Version(2), 3));
    assert_eq!(*lock_timeout, Duration::from_millis(200));
    assert!(*attempts >= 2, "{message}");
    assert!(*rolled_back);
    let [session] = blockers.as_slice() else {
        panic!("one blocker: {message}")
    };
    assert_eq!(session.application_name, "long_reader");
    blocker
        .batch_execute("COMMIT")
        .expect("the long transaction ends");
    assert_eq!(history(&mut direct), [1]);
    // Once the long transaction is gone, the same connection's run completes.
    runtime().block_on(async {
        let pool = pool(&db, 1).await;
        let mut conn = pool.acquire().await.expect("a connection");
        let report = PG_QUEUE
            .migrator()
            .to(Version(2))
            .run_async(&mut *conn)
            .await
            .expect("runs");
        assert_eq!(report.to, Some(Version(2)));
    });
}

/// A Rust migration written for another client is refused on sqlx's
/// connection before anything of the run happens.
#[test]
fn a_rust_migration_of_another_client_is_refused_before_anything_runs() {
    let Some(db) = Scratch::new() else { return };
    let error = runtime().block_on(async {
        let pool = pool(&db, 1).await;
        let mut conn = pool.acquire().await.expect("a connection");
        migrate_tests::PG_TENANT_RUST
            .migrate_async(&mut *conn)
            .await
            .expect_err("refused")
    });
    assert!(
        matches!(error, Error::RustMigrationDriver { .. }),
        "{error}"
    );
    let items: Option<String> = db
        .client()
        .query_one("SELECT to_regclass('items')::text", &[])
        .expect("the catalog")
        .get(0);
    assert_eq!(items, None, "nothing of the run happened");
}

/// A Rust migration written for sqlx's connection runs on it, in the run's
/// transaction: a later function that fails takes its rows back with its
/// own; to version 2 they stay, and its `down` runs on the same
/// connection. On another client it is refused before anything runs.
#[test]
fn a_rust_migration_on_sqlxs_connection_runs_in_the_runs_transaction() {
    let Some(db) = Scratch::new() else { return };
    let count = |db: &Scratch| -> i64 {
        db.client()
            .query_one("SELECT count(*) FROM items", &[])
            .map_or(-1, |row| row.get(0))
    };
    let refused = migrate_tests::PG_SQLX_RUST
        .migrate(&mut db.client())
        .expect_err("written for sqlx");
    assert!(
        matches!(refused, Error::RustMigrationDriver { .. }),
        "{refused}"
    );
    runtime().block_on(async {
        let pool = pool(&db, 1).await;
        let mut conn = pool.acquire().await.expect("a connection");
        let error = migrate_tests::PG_SQLX_RUST
            .migrate_async(&mut *conn)
            .await
            .expect_err("version 3 fails");
        assert!(
            error
                .to_string()
                .contains("the fill found what it did not expect"),
            "{error}"
        );
    });
    assert_eq!(count(&db), -1, "the whole run was rolled back");
    runtime().block_on(async {
        let pool = pool(&db, 1).await;
        let mut conn = pool.acquire().await.expect("a connection");
        migrate_tests::PG_SQLX_RUST
            .migrator()
            .to(Version(2))
            .run_async(&mut *conn)
            .await
            .expect("to version 2");
    });
    assert_eq!(count(&db), 150);
    runtime().block_on(async {
        let pool = pool(&db, 1).await;
        let mut conn = pool.acquire().await.expect("a connection");
        migrate_tests::PG_SQLX_RUST
            .migrator()
            .down_async(&mut *conn)
            .await
            .expect("down");
    });
    assert_eq!(count(&db), 0, "down ran on sqlx's connection");
    assert_eq!(history(&mut db.client()), [1]);
}

/// The pooled connection's server session, read through the connection.
async fn backend_pid(conn: &mut migrate_runtime::sqlx::PgConnection) -> i32 {
    sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(conn)
        .await
        .expect("the session's pid")
}

/// A run on sqlx's connection dropped at a random point (a timeout around
/// its future), in one transaction and across transactions (the lease),
/// 20 times each: read from another session, the connection's session
/// leaves the run's transaction and holds no lock at once (the lease is
/// 60 s), and the same connection then applies each migration exactly once
/// (a drop inside the concurrent index, outside a transaction, is refused
/// until resolved as the server's catalog says).
#[test]
fn a_run_on_sqlx_dropped_anywhere_leaves_its_connection_free_and_runs_once_after() {
    let Some(db) = Scratch::new() else { return };
    let mut rng = migrate_tests::Rng(0x5eed_0053);
    runtime().block_on(async {
        // Another session: what the server says of the run's session.
        let oracle = pool(&db, 1).await;
        for (set, per_migration) in [(&PG_ROWS, false), (&PG_ONCE, true)] {
            for trial in 0..20 {
                let schema = format!("dropped_{}_{trial}", u8::from(per_migration));
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
                    .execute(&oracle)
                    .await
                    .expect("schema");
                let after = Duration::from_micros(rng.below(150_000));
                let what = format!("per migration {per_migration}, dropped after {after:?}");
                let migrator = || {
                    set.migrator()
                        .schema(schema.clone())
                        .per_migration(per_migration)
                        .lock_lease(Duration::from_secs(60))
                        // No pooler here: the concurrent index may carry the schema.
                        .direct_connection(true)
                };
                let pool = pool(&db, 1).await;
                let mut conn = pool.acquire().await.expect("a connection");
                let pid = backend_pid(&mut conn).await;
                let _ = tokio::time::timeout(after, migrator().run_async(&mut *conn)).await;
                // The session is idle, outside any transaction, with no
                // advisory lock and no lease written.
                let session = format!(
                    "SELECT coalesce((SELECT state FROM pg_stat_activity WHERE pid = {pid}), 'gone')
                       || ' | ' || (SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = {pid})"
                );
                let deadline = std::time::Instant::now() + Duration::from_secs(5);
                loop {
                    let mut state: String = sqlx::query_scalar(sqlx::AssertSqlSafe(session.clone()))
                        .fetch_one(&oracle)
                        .await
                        .expect("the oracle");
                    let lock_table: Option<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                        "SELECT to_regclass('{schema}.schema_migrations_lock')::text"
                    )))
                    .fetch_one(&oracle)
                    .await
                    .expect("the catalog");
                    let leases: i64 = match lock_table {
                        Some(table) => sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                            "SELECT count(*) FROM {table} WHERE token IS NOT NULL"
                        )))
                        .fetch_one(&oracle)
                        .await
                        .expect("the lock table"),
                        None => 0,
                    };
                    state = format!("{state} | {leases}");
                    if state == "idle | 0 | 0" {
                        break;
                    }
                    assert!(std::time::Instant::now() < deadline, "{what}: {state}");
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                match migrator().run_async(&mut *conn).await {
                    Ok(_) => {}
                    // Dropped inside the concurrent index (outside a
                    // transaction): refused until resolved, as the server
                    // says it is.
                    Err(Error::UnresolvedFailure {
                        version: Version(10),
                        ..
                    }) => {
                        let built: Option<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                            "SELECT to_regclass('{schema}.counter_k')::text"
                        )))
                        .fetch_one(&oracle)
                        .await
                        .expect("the catalog");
                        if built.is_some() {
                            sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                                "DROP INDEX {schema}.counter_k"
                            )))
                            .execute(&oracle)
                            .await
                            .expect("undo the index");
                        }
                        migrator()
                            .resolve_async(&mut *conn, Version(10), Resolution::Pending)
                            .await
                            .unwrap_or_else(|e| panic!("{what}: resolve: {e}"));
                        migrator()
                            .run_async(&mut *conn)
                            .await
                            .unwrap_or_else(|e| panic!("{what}: the run after resolve: {e}"));
                    }
                    Err(e) => panic!("{what}: the retry: {e}"),
                }
                let counted: Vec<i32> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                    "SELECT k FROM {schema}.counter ORDER BY k"
                )))
                .fetch_all(&oracle)
                .await
                .expect("the counter");
                // Each migration once (PG_ONCE's version 10 is its index).
                let once: Vec<i32> = (1..=20).filter(|k| !per_migration || *k != 10).collect();
                assert_eq!(counted, once, "{what}");
            }
        }
    });
}
