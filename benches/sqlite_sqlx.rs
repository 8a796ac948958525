//! SQLite on sqlx's `SqliteConnection` against sqlx's own migrator and
//! against ours on rusqlite, in one run on one machine, each on a new
//! database file per iteration (`apply`) or on one migrated file
//! (`startup`), the same SQL everywhere.
//!
//! - `sqlite_sqlx_apply/1000`: 1,000 generated migrations of three
//!   statements: ours on sqlx's connection in one transaction
//!   (`ours_sqlx`) and one per migration (`ours_sqlx_per_migration`, the
//!   fair form beside sqlx's default), sqlx 0.9's migrator (`sqlx`: one
//!   transaction per migration, its checksums and history), ours on
//!   rusqlite (`ours_rusqlite`), and raw rusqlite running the SQL in one
//!   transaction (`raw`).
//! - `sqlite_sqlx_startup/1000`: all applied, nothing pending, each
//!   iteration on a newly opened connection as a process start has it:
//!   ours on sqlx's (`ours_sqlx`), sqlx's migrator on a file it migrated
//!   (`sqlx`), ours on rusqlite (`ours_rusqlite`), and raw rusqlite reading
//!   every version and checksum (`raw`).
//!
//! `cargo bench -p migrate-benches --features bench --bench sqlite_sqlx`

use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{BatchSize, BenchmarkId, Criterion, criterion_group, criterion_main};
use migrate_runtime::Migrations;
use migrate_runtime::rusqlite::Connection;
use sqlx::ConnectOptions as _;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};

const COUNT: usize = 1000;

/// The SQL of generated migration `k`.
fn up_sql(k: usize) -> String {
    format!(
        "CREATE TABLE t_{k} (id INTEGER PRIMARY KEY, label TEXT NOT NULL, n INTEGER);\n\
         CREATE INDEX t_{k}_n ON t_{k} (n);\n\
         INSERT INTO t_{k} (label, n) VALUES ('a', 1), ('b', 2), ('c', 3);\n"
    )
}

fn ours(count: usize) -> Migrations {
    migrate_benches::generated(count, up_sql)
}

/// A new database file in a folder of its own.
struct Scratch {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

fn scratch() -> Scratch {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bench.db");
    Scratch { _dir: dir, path }
}

async fn sqlx_open(path: &Path) -> SqliteConnection {
    SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .connect()
        .await
        .expect("sqlx opens")
}

fn apply(c: &mut Criterion) {
    let migrations = ours(COUNT);
    let (_files, sqlx, runtime) = migrate_benches::sqlx_migrator(COUNT, up_sql);
    let sql: Vec<String> = (1..=COUNT).map(up_sql).collect();
    let mut group = c.benchmark_group("sqlite_sqlx_apply");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    for per_migration in [false, true] {
        let name = if per_migration {
            "ours_sqlx_per_migration"
        } else {
            "ours_sqlx"
        };
        group.bench_function(BenchmarkId::new(name, COUNT), |b| {
            b.iter_batched(
                || {
                    let db = scratch();
                    let conn = runtime.block_on(sqlx_open(&db.path));
                    (db, conn)
                },
                |(db, mut conn)| {
                    let report = runtime
                        .block_on(
                            migrations
                                .migrator()
                                .backup(false)
                                .per_migration(per_migration)
                                .run_async(&mut conn),
                        )
                        .expect("migrates");
                    assert_eq!(report.steps.len(), COUNT);
                    (db, conn)
                },
                BatchSize::PerIteration,
            );
        });
    }
    group.bench_function(BenchmarkId::new("sqlx", COUNT), |b| {
        b.iter_batched(
            || {
                let db = scratch();
                let conn = runtime.block_on(sqlx_open(&db.path));
                (db, conn)
            },
            |(db, mut conn)| {
                runtime
                    .block_on(sqlx.run(&mut conn))
                    .expect("sqlx migrates");
                (db, conn)
            },
            BatchSize::PerIteration,
        );
    });
    group.bench_function(BenchmarkId::new("ours_rusqlite", COUNT), |b| {
        b.iter_batched(
            scratch,
            |db| {
                let mut conn = Connection::open(&db.path).expect("open");
                let report = migrations
                    .migrator()
                    .backup(false)
                    .run(&mut conn)
                    .expect("migrates");
                assert_eq!(report.steps.len(), COUNT);
                db
            },
            BatchSize::PerIteration,
        );
    });
    group.bench_function(BenchmarkId::new("raw", COUNT), |b| {
        b.iter_batched(
            scratch,
            |db| {
                let mut conn = Connection::open(&db.path).expect("open");
                let tx = conn.transaction().expect("begin");
                for statement in &sql {
                    tx.execute_batch(statement).expect("statement");
                }
                tx.commit().expect("commit");
                db
            },
            BatchSize::PerIteration,
        );
    });
    group.finish();
}

fn startup(c: &mut Criterion) {
    let migrations = ours(COUNT);
    let (_files, sqlx, runtime) = migrate_benches::sqlx_migrator(COUNT, up_sql);
    let ours_db = scratch();
    let mut conn = Connection::open(&ours_db.path).expect("open");
    migrations
        .migrator()
        .backup(false)
        .run(&mut conn)
        .expect("migrates");
    drop(conn);
    let sqlx_db = scratch();
    runtime.block_on(async {
        let mut conn = sqlx_open(&sqlx_db.path).await;
        sqlx.run(&mut conn).await.expect("sqlx migrates");
    });
    let mut group = c.benchmark_group("sqlite_sqlx_startup");
    group.bench_function(BenchmarkId::new("ours_sqlx", COUNT), |b| {
        b.iter(|| {
            runtime.block_on(async {
                let mut conn = sqlx_open(&ours_db.path).await;
                let report = migrations.migrate_async(&mut conn).await.expect("runs");
                assert!(report.is_empty());
            });
        });
    });
    group.bench_function(BenchmarkId::new("sqlx", COUNT), |b| {
        b.iter(|| {
            runtime.block_on(async {
                let mut conn = sqlx_open(&sqlx_db.path).await;
                sqlx.run(&mut conn).await.expect("runs");
            });
        });
    });
    group.bench_function(BenchmarkId::new("ours_rusqlite", COUNT), |b| {
        b.iter(|| {
            let mut conn = Connection::open(&ours_db.path).expect("open");
            assert!(migrations.migrate(&mut conn).expect("runs").is_empty());
        });
    });
    group.bench_function(BenchmarkId::new("raw", COUNT), |b| {
        b.iter(|| {
            migrate_benches::raw_history_scan(
                &Connection::open(&ours_db.path).expect("open"),
                COUNT,
            );
        });
    });
    group.finish();
}

criterion_group!(benches, apply, startup);
criterion_main!(benches);
