//! The MySQL backend against the raw `mysql` crate and refinery's MySQL
//! driver, in one run on one server (`MIGRATE_TEST_MYSQL_URL`, default
//! `mysql://root@127.0.0.1:3306`). Each iteration gets a new database
//! (made outside the timing).
//!
//! - `mysql_apply_rows/1000`: 1,000 generated migrations that only change
//!   rows (an `INSERT` each into one table): ours (one transaction, history
//!   rows, lock, drift checks) vs the raw `mysql` crate running the same
//!   SQL in one transaction (`raw`), vs the same plus a history table and
//!   its rows (`raw_with_history`), vs refinery 0.10 grouped
//!   (`refinery_grouped`).
//! - `mysql_apply_schema/100`: 100 migrations of three statements each
//!   (`CREATE TABLE`, `CREATE INDEX`, `INSERT`): each runs outside a
//!   transaction, every statement recorded as done, since MySQL commits a
//!   schema change by itself; vs raw running the same SQL (each schema
//!   change commits anyway), vs raw with one history row a migration
//!   (`raw_with_history`), vs refinery (`refinery`, not grouped: grouping
//!   claims an atomicity MySQL does not give).
//!   In `mysql_apply_rows` also ours on sqlx's `MySqlConnection`
//!   (`ours_sqlx`) and sqlx 0.9's migrator over the same SQL as files
//!   (`sqlx`, a transaction per migration, its only way).
//! - `mysql_startup/1000`: all applied, nothing pending, on a new
//!   connection each time (connecting included on both sides): ours vs
//!   connecting and one raw query of every version and checksum (`raw`,
//!   the text protocol, one round trip, as ours reads it); ours on a new
//!   sqlx connection (`ours_sqlx`), and sqlx's migrator on a database it
//!   migrated itself (`sqlx`).
//!
//! `cargo bench -p migrate-benches --features bench --bench mysql`

use std::time::Duration;

use criterion::{BatchSize, BenchmarkId, Criterion, criterion_group, criterion_main};
use migrate_runtime::Migrations;
use migrate_runtime::mysql::prelude::Queryable;
use migrate_runtime::mysql::{Conn, Opts, OptsBuilder};

/// The SQL of generated migration `k` that changes rows only.
fn rows_sql(k: usize) -> String {
    format!("INSERT INTO t_0 (label, n) VALUES ('row {k}', {k});\n")
}

/// The SQL of generated migration `k` that changes the schema.
fn schema_sql(k: usize) -> String {
    format!(
        "CREATE TABLE t_{k} (id BIGINT AUTO_INCREMENT PRIMARY KEY, label VARCHAR(20) NOT NULL, n INT);\n\
         CREATE INDEX t_{k}_n ON t_{k} (n);\n\
         INSERT INTO t_{k} (label, n) VALUES ('a', 1), ('b', 2), ('c', 3);\n"
    )
}

/// The table the row migrations fill, made before each iteration.
const ROWS_TABLE: &str =
    "CREATE TABLE t_0 (id BIGINT AUTO_INCREMENT PRIMARY KEY, label VARCHAR(20) NOT NULL, n INT)";

fn server_url() -> String {
    std::env::var("MIGRATE_TEST_MYSQL_URL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".to_owned())
}

fn server() -> Opts {
    Opts::from_url(&server_url()).expect("a MySQL URL")
}

/// A sqlx connection to database `name` of the server.
async fn sqlx_connect(name: &str) -> sqlx::MySqlConnection {
    use sqlx::Connection as _;
    let url = server_url();
    let base = url.split('?').next().unwrap_or(&url).trim_end_matches('/');
    let authority = base.find("://").map_or(0, |i| i + 3);
    let root = match base[authority..].find('/') {
        Some(slash) => &base[..authority + slash],
        None => base,
    };
    sqlx::MySqlConnection::connect(&format!("{root}/{name}"))
        .await
        .expect("sqlx connects")
}

/// A database made for one iteration, dropped after it.
struct Scratch {
    name: String,
}

impl Scratch {
    fn new(n: usize) -> Scratch {
        let name = format!("migrate_test_bench_{}_{n}", std::process::id());
        let mut admin = Conn::new(server()).expect("a MySQL server");
        admin
            .query_drop(format!("DROP DATABASE IF EXISTS `{name}`"))
            .expect("drop");
        admin
            .query_drop(format!("CREATE DATABASE `{name}`"))
            .expect("create");
        Scratch { name }
    }

    fn connect(&self) -> Conn {
        Conn::new(OptsBuilder::from_opts(server()).db_name(Some(&self.name))).expect("connect")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Ok(mut admin) = Conn::new(server()) {
            let _ = admin.query_drop(format!("DROP DATABASE IF EXISTS `{}`", self.name));
        }
    }
}

/// The raw `mysql` crate running `sql` (in one transaction when `one`),
/// with a history row a migration when `history`.
fn raw_apply(conn: &mut Conn, sql: &[String], one: bool, history: bool) {
    if history {
        conn.query_drop(
            "CREATE TABLE history (version BIGINT UNSIGNED PRIMARY KEY, name TEXT NOT NULL, \
             checksum VARCHAR(128) NOT NULL, applied_at VARCHAR(32) NOT NULL, \
             execution_time_us BIGINT NOT NULL)",
        )
        .expect("history");
    }
    if one {
        conn.query_drop("START TRANSACTION").expect("begin");
    }
    for (k, text) in sql.iter().enumerate() {
        conn.query_drop(text).expect("sql");
        if history {
            conn.exec_drop(
                "INSERT INTO history VALUES (?, ?, ?, '2026-12-06T10:00:00.000Z', ?)",
                (k + 1, "table", "0".repeat(64), 10),
            )
            .expect("row");
        }
    }
    if one {
        conn.query_drop("COMMIT").expect("commit");
    }
}

fn refinery_migrations(count: usize, sql: fn(usize) -> String) -> Vec<refinery::Migration> {
    (1..=count)
        .map(|k| {
            refinery::Migration::unapplied(&format!("V{k}__table_{k}"), &sql(k))
                .expect("refinery migration")
        })
        .collect()
}

fn on_new_database(
    b: &mut criterion::Bencher<'_>,
    n: &mut usize,
    setup: &str,
    mut body: impl FnMut(&mut Conn),
) {
    b.iter_batched(
        || {
            *n += 1;
            let db = Scratch::new(*n);
            let mut conn = db.connect();
            if !setup.is_empty() {
                conn.query_drop(setup).expect("setup");
            }
            (db, conn)
        },
        |(db, mut conn)| {
            body(&mut conn);
            (db, conn)
        },
        BatchSize::PerIteration,
    );
}

/// One group: ours, raw, raw with history and refinery over `sql`.
fn apply_group(
    c: &mut Criterion,
    (group_name, setup, count): (&str, &str, usize),
    sql: fn(usize) -> String,
    one_transaction: bool,
) {
    let migrations: Migrations = migrate_benches::generated(count, sql);
    let texts: Vec<String> = (1..=count).map(sql).collect();
    let refinery =
        refinery::Runner::new(&refinery_migrations(count, sql)).set_grouped(one_transaction);
    let mut n = if one_transaction { 0 } else { 10_000 };
    let mut group = c.benchmark_group(group_name);
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    group.bench_function(BenchmarkId::new("ours", count), |b| {
        on_new_database(b, &mut n, setup, |conn| {
            let report = migrations.migrate(conn).expect("migrates");
            assert_eq!(report.steps.len(), count);
        });
    });
    group.bench_function(BenchmarkId::new("raw", count), |b| {
        on_new_database(b, &mut n, setup, |conn| {
            raw_apply(conn, &texts, one_transaction, false);
        });
    });
    group.bench_function(BenchmarkId::new("raw_with_history", count), |b| {
        on_new_database(b, &mut n, setup, |conn| {
            raw_apply(conn, &texts, one_transaction, true);
        });
    });
    let name = if one_transaction {
        "refinery_grouped"
    } else {
        "refinery"
    };
    group.bench_function(BenchmarkId::new(name, count), |b| {
        on_new_database(b, &mut n, setup, |conn| {
            let report = refinery.run(conn).expect("refinery migrates");
            assert_eq!(report.applied_migrations().len(), count);
        });
    });
    if one_transaction {
        sqlx_apply(&mut group, &mut n, setup, &migrations, (count, sql));
    }
    group.finish();
}

/// Ours on sqlx's connection, and sqlx's migrator, over the same SQL.
fn sqlx_apply(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    n: &mut usize,
    setup: &str,
    migrations: &Migrations,
    (count, sql): (usize, fn(usize) -> String),
) {
    let (_files, sqlx, runtime) = migrate_benches::sqlx_migrator(count, sql);
    let mut fresh = || {
        *n += 1;
        let db = Scratch::new(*n);
        if !setup.is_empty() {
            db.connect().query_drop(setup).expect("setup");
        }
        let conn = runtime.block_on(sqlx_connect(&db.name));
        (db, conn)
    };
    group.bench_function(BenchmarkId::new("ours_sqlx", count), |b| {
        b.iter_batched(
            &mut fresh,
            |(db, mut conn)| {
                let report = runtime
                    .block_on(migrations.migrate_async(&mut conn))
                    .expect("migrates");
                assert_eq!(report.steps.len(), count);
                (db, conn)
            },
            BatchSize::PerIteration,
        );
    });
    group.bench_function(BenchmarkId::new("sqlx", count), |b| {
        b.iter_batched(
            &mut fresh,
            |(db, mut conn)| {
                runtime
                    .block_on(sqlx.run(&mut conn))
                    .expect("sqlx migrates");
                (db, conn)
            },
            BatchSize::PerIteration,
        );
    });
}

fn apply(c: &mut Criterion) {
    apply_group(c, ("mysql_apply_rows", ROWS_TABLE, 1000), rows_sql, true);
    // A schema change costs the server milliseconds (a table's files):
    // 100 of them keep a sample within seconds.
    apply_group(c, ("mysql_apply_schema", "", 100), schema_sql, false);
}

fn startup(c: &mut Criterion) {
    let count = 1000;
    let migrations: Migrations = migrate_benches::generated(count, rows_sql);
    let db = Scratch::new(0);
    db.connect().query_drop(ROWS_TABLE).expect("the table");
    migrations.migrate(&mut db.connect()).expect("migrates");
    let mut group = c.benchmark_group("mysql_startup");
    group.bench_function(BenchmarkId::new("ours", count), |b| {
        b.iter(|| {
            let mut conn = db.connect();
            assert!(migrations.migrate(&mut conn).expect("runs").is_empty());
        });
    });
    group.bench_function(BenchmarkId::new("raw", count), |b| {
        b.iter(|| {
            let mut conn = db.connect();
            let rows: Vec<(u64, String)> = conn
                .query("SELECT version, checksum FROM schema_migrations ORDER BY version")
                .expect("query");
            let seen = rows
                .iter()
                .filter(|(version, checksum)| *version > 0 && checksum.len() == 64)
                .count();
            assert_eq!(seen, count);
        });
    });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    group.bench_function(BenchmarkId::new("ours_sqlx", count), |b| {
        b.iter(|| {
            runtime.block_on(async {
                let mut conn = sqlx_connect(&db.name).await;
                assert!(
                    migrations
                        .migrate_async(&mut conn)
                        .await
                        .expect("runs")
                        .is_empty()
                );
            });
        });
    });
    let (_files, sqlx, _) = migrate_benches::sqlx_migrator(count, rows_sql);
    let by_sqlx = Scratch::new(1);
    by_sqlx.connect().query_drop(ROWS_TABLE).expect("the table");
    runtime
        .block_on(async { sqlx.run(&mut sqlx_connect(&by_sqlx.name).await).await })
        .expect("sqlx migrates");
    group.bench_function(BenchmarkId::new("sqlx", count), |b| {
        b.iter(|| {
            runtime
                .block_on(async { sqlx.run(&mut sqlx_connect(&by_sqlx.name).await).await })
                .expect("nothing to do");
        });
    });
    group.finish();
}

criterion_group!(benches, apply, startup);
criterion_main!(benches);
