//! The async MySQL client (`mysql_async::Conn`, feature `mysql-async`) on
//! MariaDB: the same run loop as the blocking one, through the `*_async`
//! operations — applied, reverted, a schema change that fails part-way
//! recorded, eight tasks on eight sessions applying each migration once,
//! and a run whose future is dropped part-way never applying a migration
//! twice once its connection is dropped.

use std::time::Duration;

use migrate_runtime::mysql_async::prelude::Queryable;
use migrate_runtime::mysql_async::{Conn, Opts, OptsBuilder};
use migrate_runtime::{Error, State, Version};
use migrate_tests::mysql::Scratch;
use migrate_tests::{MY_FAILING, MY_NO_TX_LONG, MY_ONCE};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime")
}

async fn connect(db: &Scratch) -> Conn {
    let opts = Opts::from_url(&db.url()).expect("a MySQL URL");
    Conn::new(OptsBuilder::from_opts(opts))
        .await
        .expect("connect")
}

async fn numbers(conn: &mut Conn, sql: &str) -> Vec<i64> {
    conn.query(sql).await.expect("query")
}

#[test]
fn the_async_client_applies_reverts_and_records_a_failure() {
    let Some(db) = Scratch::new() else { return };
    runtime().block_on(async {
        let mut conn = connect(&db).await;
        let report = MY_ONCE
            .migrator()
            .run_async(&mut conn)
            .await
            .expect("applied");
        assert_eq!(report.steps.len(), 20);
        assert!(!report.steps[0].transaction && report.steps[1].transaction);
        MY_ONCE
            .migrator()
            .down_to_async(&mut conn, Version(9))
            .await
            .expect("reverted");
        assert_eq!(
            numbers(&mut conn, "SELECT k FROM counter ORDER BY k").await,
            (1..=9).collect::<Vec<i64>>()
        );
        let status = MY_ONCE
            .migrator()
            .status_async(&mut conn)
            .await
            .expect("status");
        assert_eq!(status.current, Some(Version(9)));
        assert!(
            status.entries[9].outside_transaction,
            "the index: a schema change"
        );

        let failing = Scratch::new().expect("a second database");
        let mut conn = connect(&failing).await;
        let error = MY_FAILING
            .migrator()
            .run_async(&mut conn)
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
        let status = MY_FAILING
            .migrator()
            .status_async(&mut conn)
            .await
            .expect("status");
        assert_eq!(status.entries[1].state, State::Failed);
    });
}

#[test]
fn eight_tasks_on_eight_sessions_apply_each_migration_once() {
    let Some(db) = Scratch::new() else { return };
    runtime().block_on(async {
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let mut conn = connect(&db).await;
            tasks.push(tokio::spawn(async move {
                MY_ONCE
                    .migrator()
                    .busy_timeout(Duration::from_secs(60))
                    .run_async(&mut conn)
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
        let mut conn = connect(&db).await;
        assert_eq!(
            numbers(&mut conn, "SELECT k FROM counter ORDER BY k").await,
            (1..=20).collect::<Vec<i64>>()
        );
    });
}

/// A run dropped part-way (a timeout around it) inside a migration outside
/// a transaction, then its connection dropped, which ends the session and
/// frees the lock: the next run refuses the migration the mark says was
/// under way, with the rows exactly those of the statements known done.
#[test]
fn a_dropped_run_then_its_dropped_connection_never_apply_a_migration_twice() {
    for trial in 0..10u64 {
        let Some(db) = Scratch::new() else { return };
        runtime().block_on(async {
            let mut conn = connect(&db).await;
            let cut = Duration::from_millis(150 + 40 * trial);
            let run =
                tokio::time::timeout(cut, MY_NO_TX_LONG.migrator().run_async(&mut conn)).await;
            assert!(
                run.is_err(),
                "trial {trial}: the run finished before the cut"
            );
            drop(conn);
            let mut conn = connect(&db).await;
            let refused = MY_NO_TX_LONG
                .migrator()
                .busy_timeout(Duration::from_secs(20))
                .run_async(&mut conn)
                .await;
            let rows = numbers(&mut conn, "SELECT COUNT(*) FROM filled").await[0];
            match refused {
                Err(Error::UnresolvedFailure { failure, .. }) => {
                    let known: i64 = failure
                        .split_once("statements known done: ")
                        .and_then(|(_, rest)| rest.split_once(" of "))
                        .and_then(|(n, _)| n.parse().ok())
                        .unwrap_or_else(|| panic!("{failure}"));
                    assert_eq!(known, rows, "trial {trial}: {failure}");
                }
                // Cut before version 2 started: it ran whole, once.
                Ok(report) => assert_eq!(rows, 400, "trial {trial}: {report}"),
                Err(other) => panic!("trial {trial}: {other}"),
            }
        });
    }
}
