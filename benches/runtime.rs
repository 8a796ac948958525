//! The runtime against its baselines, in one run on one machine:
//!
//! - `apply_1000`: 1,000 generated migrations of three statements each on a
//!   new database file: ours (one transaction, history rows, lock, drift
//!   checks; backup off, as a new empty file gets none anyway) vs raw
//!   rusqlite running the same SQL in one transaction vs refinery 0.9
//!   (which commits per migration).
//! - `startup_1000`: all 1,000 applied, nothing pending, drift check
//!   included: ours vs a raw scan of the history table vs refinery.
//! - `backup_100mb`: the backup of a 100 MB database vs a plain file copy.
//!
//! `cargo bench -p migrate-benches`

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use migrate_runtime::rusqlite::Connection;
use migrate_runtime::{Backend, Migrations};

const COUNT: usize = 1000;

/// The SQL of generated migration `k`.
fn up_sql(k: usize) -> String {
    format!(
        "CREATE TABLE t_{k} (id INTEGER PRIMARY KEY, label TEXT NOT NULL, n INTEGER);\n\
         CREATE INDEX t_{k}_n ON t_{k} (n);\n\
         INSERT INTO t_{k} (label, n) VALUES ('a', 1), ('b', 2), ('c', 3);\n"
    )
}

/// Our set, read once from a generated directory with `migrate-core`, as
/// the CLI reads one.
fn ours() -> &'static Migrations {
    static SET: OnceLock<Migrations> = OnceLock::new();
    SET.get_or_init(|| {
        let root = tempfile::tempdir().expect("tempdir");
        let dir = root.path().join("migrations");
        fs::create_dir(&dir).expect("mkdir");
        for k in 1..=COUNT {
            let text = format!(
                "-- +migrate Up\n{}\n-- +migrate Down\nDROP TABLE t_{k};\n",
                up_sql(k)
            );
            fs::write(dir.join(format!("{k:04}_table_{k}.sql")), text).expect("write");
        }
        let set =
            migrate_core::load(root.path(), "migrations", &Default::default()).expect("valid");
        Migrations::from_set(set)
    })
}

fn refinery_migrations() -> Vec<refinery::Migration> {
    (1..=COUNT)
        .map(|k| {
            refinery::Migration::unapplied(&format!("V{k}__table_{k}"), &up_sql(k))
                .expect("refinery migration")
        })
        .collect()
}

fn raw_apply(conn: &mut Connection) {
    let tx = conn.transaction().expect("begin");
    for k in 1..=COUNT {
        tx.execute_batch(&up_sql(k)).expect("sql");
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

fn apply(c: &mut Criterion) {
    let migrations = ours();
    let runner = refinery::Runner::new(&refinery_migrations());
    let mut group = c.benchmark_group("apply_1000");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    group.bench_function("ours", |b| {
        b.iter_batched(
            new_database,
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
    group.bench_function("raw_rusqlite", |b| {
        b.iter_batched(
            new_database,
            |db| {
                let mut conn = Connection::open(&db.path).expect("open");
                raw_apply(&mut conn);
                db
            },
            BatchSize::PerIteration,
        );
    });
    group.bench_function("refinery", |b| {
        b.iter_batched(
            new_database,
            |db| {
                let mut conn = Connection::open(&db.path).expect("open");
                let report = runner.run(&mut conn).expect("refinery migrates");
                assert_eq!(report.applied_migrations().len(), COUNT);
                db
            },
            BatchSize::PerIteration,
        );
    });
    group.finish();
}

fn startup(c: &mut Criterion) {
    let migrations = ours();
    let runner = refinery::Runner::new(&refinery_migrations());
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

    let mut group = c.benchmark_group("startup_1000");
    group.bench_function("ours", |b| {
        b.iter(|| {
            let report = migrations.migrate(&mut ours_conn).expect("runs");
            assert!(report.is_empty());
        });
    });
    // The least a drift check can read: every version and checksum, with
    // plain rusqlite, no allocation per row.
    group.bench_function("raw_history_scan", |b| {
        b.iter(|| {
            let mut statement = ours_conn
                .prepare_cached("SELECT version, checksum FROM schema_migrations ORDER BY version")
                .expect("prepare");
            let mut rows = statement.query([]).expect("query");
            let mut count = 0;
            while let Some(row) = rows.next().expect("row") {
                let version: i64 = row.get(0).expect("version");
                let checksum = row.get_ref(1).expect("checksum").as_str().expect("text");
                count += usize::from(version > 0 && checksum.len() == 64);
            }
            assert_eq!(count, COUNT);
        });
    });
    group.bench_function("refinery", |b| {
        b.iter(|| {
            let report = runner.run(&mut refinery_conn).expect("runs");
            assert!(report.applied_migrations().is_empty());
        });
    });
    group.finish();
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

fn backup(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = big_database(dir.path());
    let size = fs::metadata(&path).expect("size").len();
    eprintln!("backup_100mb: database of {:.1} MB", size as f64 / 1e6);
    let out = dir.path().join("out");
    fs::create_dir(&out).expect("mkdir");
    let mut group = c.benchmark_group("backup_100mb");
    group.sample_size(10);
    group.bench_function("ours", |b| {
        b.iter_custom(|iters| {
            let mut conn = Connection::open(&path).expect("open");
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let started = Instant::now();
                let written = conn
                    .create_backup(Some(&out), None, usize::MAX)
                    .expect("backup")
                    .expect("a file");
                total += started.elapsed();
                fs::remove_file(written).expect("remove");
            }
            total
        });
    });
    group.bench_function("file_copy", |b| {
        b.iter_custom(|iters| {
            let target = out.join("copy.db");
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let started = Instant::now();
                fs::copy(&path, &target).expect("copy");
                total += started.elapsed();
                fs::remove_file(&target).expect("remove");
            }
            total
        });
    });
    group.finish();
}

criterion_group!(benches, apply, startup, backup);
criterion_main!(benches);
