//! The runtime against its baselines, in one run on one machine. Each
//! comparison is made in its fair form (the same work on both sides), and
//! where a peer's default differs, the default-vs-default form is measured
//! beside it under its own label.
//!
//! - `apply/N` (N = 10, 100, 1,000 generated migrations of three statements
//!   each, on a new database file): ours (one transaction, history rows,
//!   lock, drift checks; backup off, as a new empty file gets none anyway)
//!   vs raw rusqlite running the same SQL in one transaction (`raw`), vs the
//!   same plus a history table and its rows (`raw_with_history`: what any
//!   tool must write), vs refinery 0.10 grouped in one transaction
//!   (`refinery_grouped`, fair) and with its default of one transaction per
//!   migration (`refinery_default`). `ours_lock_file_there` is ours on a
//!   database whose lock file exists, as it does after a first run: a new
//!   file costs a directory entry, which is slow on some file systems.
//! - `startup_fresh/1000`: all applied, nothing pending, drift check
//!   included, each iteration on a newly opened connection as a process
//!   start has it: ours vs opening and reading every version and checksum
//!   (`raw`) vs refinery; `ours_first_use_decoded` adds what a process's
//!   first run pays with an embedded set: decoding it from the bytes
//!   `embed_migrations!` keeps. `startup_warm/1000` reuses one connection and its
//!   cached statement (labelled: what a long-running process re-checking
//!   pays, not a start-up).
//! - `apply/N/ours_via_refinery_runner`: our set through
//!   `Migrations::refinery_runner` (refinery's runner, grouped): what the
//!   MySQL/MariaDB path costs beside refinery's own `refinery_grouped`.
//! - `adopt/1000`: adopting a goose history of 1,000 applied versions
//!   (read as goose reads it, checked, our rows written in one
//!   transaction) vs raw rusqlite reading the same table and inserting the
//!   same 1,000 history rows in one transaction (`raw`).
//! - `apply_outside_transaction/100`: one migration outside a transaction
//!   of 100 inserts, each its own commit, on a database at version 1: ours
//!   (a started mark, then each statement committed together with the
//!   record that it is done,
//!   then the row applied) vs raw rusqlite running the same inserts and
//!   writing one history row (`raw`).
//! - `backup_100mb`: our backup vs a file copy followed by fsync (`copy_fsync`,
//!   fair: both are on disk when they return) and a plain copy (`copy`).
//!
//! `cargo bench -p migrate-benches --features bench`

use std::fs;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::{BatchSize, BenchmarkId, Criterion, criterion_group, criterion_main};
use migrate_runtime::rusqlite::Connection;
use migrate_runtime::{BackupSettings, Backups, Migrations};

const SIZES: [usize; 3] = [10, 100, 1000];

/// The SQL of generated migration `k`.
fn up_sql(k: usize) -> String {
    format!(
        "CREATE TABLE t_{k} (id INTEGER PRIMARY KEY, label TEXT NOT NULL, n INTEGER);\n\
         CREATE INDEX t_{k}_n ON t_{k} (n);\n\
         INSERT INTO t_{k} (label, n) VALUES ('a', 1), ('b', 2), ('c', 3);\n"
    )
}

/// Our set of `count` migrations.
fn ours(count: usize) -> Migrations {
    migrate_benches::generated(count, up_sql)
}

fn refinery_migrations(count: usize) -> Vec<refinery::Migration> {
    (1..=count)
        .map(|k| {
            refinery::Migration::unapplied(&format!("V{k}__table_{k}"), &up_sql(k))
                .expect("refinery migration")
        })
        .collect()
}

fn raw_apply(conn: &mut Connection, sql: &[String]) {
    let tx = conn.transaction().expect("begin");
    for text in sql {
        tx.execute_batch(text).expect("sql");
    }
    tx.commit().expect("commit");
}

/// [`raw_apply`] plus what any migration tool must also write: a history
/// table and one row per migration, in the same transaction.
fn raw_apply_with_history(conn: &mut Connection, sql: &[String]) {
    let tx = conn.transaction().expect("begin");
    tx.execute_batch(
        "CREATE TABLE history (version INTEGER PRIMARY KEY, name TEXT NOT NULL, \
         checksum TEXT NOT NULL, applied_at TEXT NOT NULL, execution_time_us INTEGER NOT NULL)",
    )
    .expect("history");
    for text in sql {
        tx.execute_batch(text).expect("sql");
    }
    {
        let mut insert = tx
            .prepare(
                "INSERT INTO history VALUES (?1, ?2, ?3, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), ?4)",
            )
            .expect("prepare");
        for version in 1..=sql.len() {
            insert
                .execute((version, "table", "0".repeat(64), 10))
                .expect("row");
        }
    }
    tx.commit().expect("commit");
}

struct Scratch {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

fn new_database() -> Scratch {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bench.db");
    Scratch { _dir: dir, path }
}

/// A new database whose migration lock file already exists, as it does
/// beside every database after its first migration run.
fn database_with_lock_file() -> Scratch {
    let db = new_database();
    fs::write(db.path.with_file_name("bench.db-migrate-lock"), "").expect("lock file");
    db
}

/// Runs `body` on a new, empty database file per iteration.
fn on_new_database(b: &mut criterion::Bencher<'_>, body: impl FnMut(&mut Connection)) {
    on(b, new_database, body);
}

/// Runs `body` on a database made by `setup` per iteration.
fn on(
    b: &mut criterion::Bencher<'_>,
    setup: fn() -> Scratch,
    mut body: impl FnMut(&mut Connection),
) {
    b.iter_batched(
        setup,
        |db| {
            let mut conn = Connection::open(&db.path).expect("open");
            body(&mut conn);
            db
        },
        BatchSize::PerIteration,
    );
}

fn apply(c: &mut Criterion) {
    let mut group = c.benchmark_group("apply");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(10));
    for count in SIZES {
        let migrations = ours(count);
        let sql: Vec<String> = (1..=count).map(up_sql).collect();
        let grouped = refinery::Runner::new(&refinery_migrations(count)).set_grouped(true);
        let default = refinery::Runner::new(&refinery_migrations(count));
        group.bench_function(BenchmarkId::new("ours", count), |b| {
            on_new_database(b, |conn| {
                let report = migrations
                    .migrator()
                    .backup(false)
                    .run(conn)
                    .expect("migrates");
                assert_eq!(report.steps.len(), count);
            });
        });
        group.bench_function(BenchmarkId::new("ours_lock_file_there", count), |b| {
            on(b, database_with_lock_file, |conn| {
                let report = migrations
                    .migrator()
                    .backup(false)
                    .run(conn)
                    .expect("migrates");
                assert_eq!(report.steps.len(), count);
            });
        });
        group.bench_function(BenchmarkId::new("raw", count), |b| {
            on_new_database(b, |conn| raw_apply(conn, &sql));
        });
        group.bench_function(BenchmarkId::new("raw_with_history", count), |b| {
            on_new_database(b, |conn| raw_apply_with_history(conn, &sql));
        });
        group.bench_function(BenchmarkId::new("refinery_grouped", count), |b| {
            on_new_database(b, |conn| {
                let report = grouped.run(conn).expect("refinery migrates");
                assert_eq!(report.applied_migrations().len(), count);
            });
        });
        let through_refinery = migrations.refinery_runner().expect("runner");
        group.bench_function(BenchmarkId::new("ours_via_refinery_runner", count), |b| {
            on_new_database(b, |conn| {
                let report = through_refinery.run(conn).expect("refinery migrates");
                assert_eq!(report.applied_migrations().len(), count);
            });
        });
        group.bench_function(BenchmarkId::new("refinery_default", count), |b| {
            on_new_database(b, |conn| {
                let report = default.run(conn).expect("refinery migrates");
                assert_eq!(report.applied_migrations().len(), count);
            });
        });
    }
    group.finish();
}

/// Statements in the migration outside a transaction of `outside`.
const OUTSIDE_STATEMENTS: usize = 100;

/// A migration outside a transaction: each statement its own commit, and
/// ours records after each that it is done. Ours applies version 2 on a
/// database at version 1; raw runs the same inserts, each its own commit,
/// and writes one history row.
fn outside(c: &mut Criterion) {
    let (migrations, inserts) = migrate_benches::outside_transaction(OUTSIDE_STATEMENTS);
    let at_one = || {
        let db = new_database();
        let mut conn = Connection::open(&db.path).expect("open");
        migrations
            .migrator()
            .to(migrate_runtime::Version(1))
            .backup(false)
            .run(&mut conn)
            .expect("version 1");
        db
    };
    let mut group = c.benchmark_group("apply_outside_transaction");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(10));
    group.bench_function(BenchmarkId::new("ours", OUTSIDE_STATEMENTS), |b| {
        b.iter_batched(
            at_one,
            |db| {
                let mut conn = Connection::open(&db.path).expect("open");
                let report = migrations
                    .migrator()
                    .backup(false)
                    .run(&mut conn)
                    .expect("migrates");
                assert_eq!(report.steps.len(), 1);
                db
            },
            BatchSize::PerIteration,
        );
    });
    group.bench_function(BenchmarkId::new("raw", OUTSIDE_STATEMENTS), |b| {
        b.iter_batched(
            at_one,
            |db| {
                let conn = Connection::open(&db.path).expect("open");
                for insert in &inserts {
                    conn.execute_batch(insert).expect("insert");
                }
                conn.execute(
                    "INSERT INTO schema_migrations (version, name, checksum, applied_at, execution_time_us) \
                     VALUES (2, 'fill', '', '', 1)",
                    [],
                )
                .expect("history row");
                db
            },
            BatchSize::PerIteration,
        );
    });
    group.finish();
}

fn startup(c: &mut Criterion) {
    let count = 1000;
    let migrations = ours(count);
    let runner = refinery::Runner::new(&refinery_migrations(count)).set_grouped(true);
    let ours_db = new_database();
    let mut ours_conn = Connection::open(&ours_db.path).expect("open");
    migrations
        .migrator()
        .backup(false)
        .run(&mut ours_conn)
        .expect("migrates");
    let refinery_db = new_database();
    let mut refinery_conn = Connection::open(&refinery_db.path).expect("open");
    runner.run(&mut refinery_conn).expect("refinery migrates");

    let mut fresh = c.benchmark_group("startup_fresh");
    fresh.bench_function(BenchmarkId::new("ours", count), |b| {
        b.iter(|| {
            let mut conn = Connection::open(&ours_db.path).expect("open");
            assert!(migrations.migrate(&mut conn).expect("runs").is_empty());
        });
    });
    fresh.bench_function(BenchmarkId::new("raw", count), |b| {
        b.iter(|| {
            migrate_benches::raw_history_scan(
                &Connection::open(&ours_db.path).expect("open"),
                count,
            );
        });
    });
    // As a process's first run has it with `embed_migrations!` and the
    // README's build.rs: the set decoded from its bytes, then the run.
    // Without the files' text, as the macro embeds a set unless the
    // `refinery` feature needs it.
    let embedded: Vec<migrate_core::Migration> = migrations
        .all()
        .iter()
        .map(|m| migrate_core::Migration {
            up_file_text: None,
            ..m.clone()
        })
        .collect();
    let encoded: &'static [u8] =
        Box::leak(migrate_core::encoded::encode(&embedded).into_boxed_slice());
    fresh.bench_function(BenchmarkId::new("ours_first_use_decoded", count), |b| {
        b.iter(|| {
            let set =
                migrate_runtime::__private::set(migrate_runtime::__private::encoded(encoded), &[]);
            let mut conn = Connection::open(&ours_db.path).expect("open");
            assert!(set.migrate(&mut conn).expect("runs").is_empty());
        });
    });
    fresh.bench_function(BenchmarkId::new("refinery", count), |b| {
        b.iter(|| {
            let mut conn = Connection::open(&refinery_db.path).expect("open");
            assert!(
                runner
                    .run(&mut conn)
                    .expect("runs")
                    .applied_migrations()
                    .is_empty()
            );
        });
    });
    fresh.finish();

    let mut warm = c.benchmark_group("startup_warm");
    warm.bench_function(BenchmarkId::new("ours", count), |b| {
        b.iter(|| assert!(migrations.migrate(&mut ours_conn).expect("runs").is_empty()));
    });
    warm.bench_function(BenchmarkId::new("raw", count), |b| {
        b.iter(|| migrate_benches::raw_history_scan(&ours_conn, count));
    });
    warm.bench_function(BenchmarkId::new("refinery", count), |b| {
        b.iter(|| {
            let report = runner.run(&mut refinery_conn).expect("runs");
            assert!(report.applied_migrations().is_empty());
        });
    });
    warm.finish();
}

/// A database of about 100 MB.
fn big_database(dir: &Path) -> PathBuf {
    let path = dir.join("big.db");
    let conn = Connection::open(&path).expect("open");
    conn.execute_batch(
        "CREATE TABLE blobs (id INTEGER PRIMARY KEY, payload BLOB NOT NULL);
         INSERT INTO blobs (payload)
             WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 25000)
             SELECT randomblob(4000) FROM n;",
    )
    .expect("fill");
    path
}

/// Times `copy(iteration)` `iters` times; each returns the file to delete.
fn timed(iters: u64, mut copy: impl FnMut() -> PathBuf) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        let started = Instant::now();
        let written = copy();
        total += started.elapsed();
        fs::remove_file(written).expect("remove");
    }
    total
}

fn backup(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = big_database(dir.path());
    let size = fs::metadata(&path).expect("size").len();
    eprintln!("backup_100mb: database of {} MB", size / 1_000_000);
    let out = dir.path().join("out");
    fs::create_dir(&out).expect("mkdir");
    let settings = BackupSettings::new(Some(out.clone()), NonZeroUsize::MAX);
    let target = out.join("copy.db");
    let mut group = c.benchmark_group("backup_100mb");
    group.sample_size(10);
    group.bench_function("ours", |b| {
        b.iter_custom(|iters| {
            let mut conn = Connection::open(&path).expect("open");
            // The backend's future is ready at once; a runtime polls it.
            let runtime = tokio::runtime::Builder::new_current_thread()
                .build()
                .expect("runtime");
            timed(iters, || {
                runtime
                    .block_on(conn.write_backup(&settings, None))
                    .expect("backup")
                    .expect("a file")
            })
        });
    });
    group.bench_function("copy_fsync", |b| {
        b.iter_custom(|iters| {
            timed(iters, || {
                fs::copy(&path, &target).expect("copy");
                fs::File::open(&target)
                    .and_then(|f| f.sync_all())
                    .expect("fsync");
                target.clone()
            })
        });
    });
    group.bench_function("copy", |b| {
        b.iter_custom(|iters| {
            timed(iters, || {
                fs::copy(&path, &target).expect("copy");
                target.clone()
            })
        });
    });
    group.finish();
}

/// A database goose migrated to version `count`: its table and rows.
fn goose_database(count: usize) -> Scratch {
    let db = new_database();
    let conn = Connection::open(&db.path).expect("open");
    conn.execute_batch(
        "CREATE TABLE goose_db_version (id INTEGER PRIMARY KEY AUTOINCREMENT,
             version_id INTEGER NOT NULL, is_applied INTEGER NOT NULL,
             tstamp TIMESTAMP DEFAULT (datetime('now')));
         INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, 1);",
    )
    .expect("goose's table");
    let mut insert = conn
        .prepare("INSERT INTO goose_db_version (version_id, is_applied) VALUES (?1, 1)")
        .expect("prepare");
    for version in 1..=count {
        insert.execute([version]).expect("row");
    }
    db
}

/// What adoption must do at least: read the other table, write the rows.
fn raw_adopt(conn: &mut Connection) {
    let tx = conn.transaction().expect("begin");
    let versions: Vec<i64> = {
        let mut select = tx
            .prepare("SELECT version_id FROM goose_db_version WHERE is_applied AND version_id > 0")
            .expect("prepare");
        select
            .query_map([], |r| r.get(0))
            .expect("query")
            .map(|r| r.expect("row"))
            .collect()
    };
    tx.execute_batch(
        "CREATE TABLE history (version INTEGER PRIMARY KEY, name TEXT NOT NULL, \
         checksum TEXT NOT NULL, applied_at TEXT NOT NULL, execution_time_us INTEGER NOT NULL)",
    )
    .expect("history");
    {
        let mut insert = tx
            .prepare(
                "INSERT INTO history VALUES (?1, ?2, ?3, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), 0)",
            )
            .expect("prepare");
        for version in versions {
            insert
                .execute((version, "table", "0".repeat(64)))
                .expect("row");
        }
    }
    tx.commit().expect("commit");
}

fn adopt(c: &mut Criterion) {
    let count = 1000;
    let migrations = ours(count);
    let mut group = c.benchmark_group("adopt");
    group.sample_size(20);
    group.bench_function(BenchmarkId::new("ours", count), |b| {
        b.iter_batched(
            || goose_database(count),
            |db| {
                let mut conn = Connection::open(&db.path).expect("open");
                let report = migrations.migrator().adopt(&mut conn).expect("adopts");
                assert_eq!(report.steps.len(), count);
                db
            },
            BatchSize::PerIteration,
        );
    });
    group.bench_function(BenchmarkId::new("raw", count), |b| {
        b.iter_batched(
            || goose_database(count),
            |db| {
                raw_adopt(&mut Connection::open(&db.path).expect("open"));
                db
            },
            BatchSize::PerIteration,
        );
    });
    group.finish();
}

criterion_group!(benches, apply, outside, startup, adopt, backup);
criterion_main!(benches);
