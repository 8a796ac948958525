//! The async backend (`tokio_postgres::Client`) on a real server: the same
//! actions as the blocking driver, and the lock among concurrent tasks,
//! each on its own session.

use std::time::Duration;

use migrate_runtime::tokio_postgres::{self, NoTls};
use migrate_runtime::{Error, Version};
use migrate_tests::pg::{Scratch, history, kill, lock_is_free, spawn, wait_for_lock};
use migrate_tests::{PG_BASIC, PG_FAILING, PG_ONCE, PG_ROWS, PG_SLOW};

async fn connect(db: &Scratch) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(&db.url(), NoTls)
        .await
        .expect("connect");
    tokio::spawn(connection);
    client
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .expect("runtime")
}

#[test]
fn run_status_down_and_a_failure_async() {
    let Some(db) = Scratch::new() else { return };
    runtime().block_on(async {
        let mut client = connect(&db).await;
        let report = PG_BASIC
            .migrator()
            .run_async(&mut client)
            .await
            .expect("runs");
        assert_eq!(report.to, Some(Version(3)));
        let status = PG_BASIC
            .migrator()
            .status_async(&mut client)
            .await
            .expect("status");
        assert_eq!(status.current, Some(Version(3)));
        PG_BASIC
            .migrator()
            .down_async(&mut client)
            .await
            .expect("down");
        let status = PG_BASIC
            .migrator()
            .status_async(&mut client)
            .await
            .expect("status");
        assert_eq!(status.current, Some(Version(2)));
        let error = PG_FAILING
            .migrator()
            .run_async(&mut client)
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
    });
    assert_eq!(history(&mut db.client()), [1, 2]);
}

/// Eight spawned tasks, each on its own session, run `migrations` at once
/// (`per_migration` as given); how many migrations they applied in all.
fn eight_tasks_at_once(
    db: &Scratch,
    migrations: &'static migrate_runtime::Migrations,
    per_migration: bool,
) -> usize {
    runtime().block_on(async {
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let mut client = connect(db).await;
            // Spawned: the run's future is `Send`.
            tasks.push(tokio::spawn(async move {
                migrations
                    .migrator()
                    .per_migration(per_migration)
                    .busy_timeout(Duration::from_secs(30))
                    .run_async(&mut client)
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
fn concurrent_tasks_apply_each_migration_once() {
    let Some(db) = Scratch::new() else { return };
    assert_eq!(eight_tasks_at_once(&db, &PG_ROWS, false), 20);
    assert_eq!(history(&mut db.client()).len(), 20);
}

#[test]
fn concurrent_tasks_across_transactions_share_the_lease() {
    // A NoTransaction index, one commit per migration: the lease path.
    let Some(db) = Scratch::new() else { return };
    assert_eq!(eight_tasks_at_once(&db, &PG_ONCE, true), 20);
    let mut client = db.client();
    assert_eq!(history(&mut client).len(), 20);
    assert!(lock_is_free(&mut client));
}

#[test]
fn the_async_wait_is_bounded_and_names_the_holder() {
    let Some(db) = Scratch::new() else { return };
    let slow = spawn(
        env!("CARGO_BIN_EXE_migrate-child"),
        &db,
        "pg_slow",
        "slow-holder",
    );
    wait_for_lock(&mut db.client());
    runtime().block_on(async {
        let mut waiter = connect(&db).await;
        let error = PG_SLOW
            .migrator()
            .busy_timeout(Duration::from_millis(300))
            .run_async(&mut waiter)
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

#[test]
fn an_async_run_whose_lease_was_taken_stops_before_its_next_statement() {
    let Some(db) = Scratch::new() else { return };
    let url = db.url();
    let paused = std::sync::atomic::AtomicBool::new(false);
    let error = runtime().block_on(async {
        let mut client = connect(&db).await;
        PG_ONCE
            .migrator()
            .per_migration(true)
            .lock_lease(Duration::from_millis(200))
            .on_progress(move |step| {
                if step.version == Version(9)
                    && !paused.swap(true, std::sync::atomic::Ordering::SeqCst)
                {
                    // Paused past the lease while another migrator, on a
                    // thread of its own, takes the lock and finishes.
                    std::thread::sleep(Duration::from_millis(400));
                    let url = url.clone();
                    std::thread::spawn(move || {
                        let mut other = migrate_runtime::postgres::Client::connect(
                            &url,
                            migrate_runtime::postgres::NoTls,
                        )
                        .expect("connect");
                        PG_ONCE.migrate(&mut other).expect("the other migrator");
                    })
                    .join()
                    .expect("the other migrator's thread");
                }
            })
            .run_async(&mut client)
            .await
            .expect_err("the paused run stops")
    });
    // Version 10 runs outside a transaction: stopped before its statement.
    assert!(matches!(error, Error::LockLost { .. }), "{error}");
    let mut client = db.client();
    assert_eq!(history(&mut client).len(), 20, "nothing recorded as failed");
    assert!(lock_is_free(&mut client));
}
