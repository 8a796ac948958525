//! The PostgreSQL backend against raw `postgres` and refinery's postgres
//! driver, in one run on one server (`MIGRATE_TEST_POSTGRES_URL`, default
//! `postgres://postgres@127.0.0.1:5432/postgres`). Each iteration gets a
//! new database (made outside the timing).
//!
//! - `pg_apply/1000`: 1,000 generated migrations of three statements each:
//!   ours (one transaction, history rows, lock, drift checks) vs raw
//!   `postgres` running the same SQL in one transaction (`raw`), vs the same
//!   plus a history table and its rows (`raw_with_history`), vs refinery 0.10
//!   grouped (`refinery_grouped`); `ours_per_migration` commits each
//!   migration on its own, as sqlx 0.9's migrator (`sqlx`, over the same SQL
//!   as `<k>_m<k>.sql` files) always does.
//!   `ours_sqlx` and `ours_sqlx_per_migration` are ours on sqlx's
//!   `PgConnection` (feature `sqlx-postgres`), the connection a sqlx
//!   service holds.
//! - `pg_startup/1000`: all applied, nothing pending, on a new connection
//!   each time (connecting included on both sides): ours vs connecting and
//!   one raw query of every version and checksum (`raw`); `ours_sqlx` on a
//!   new sqlx `PgConnection`, and sqlx's migrator (`sqlx`) on a database it
//!   migrated itself, on a new sqlx connection too.
//!
//! - `pg_outside_transaction/100`: one migration of 100 inserts outside a
//!   transaction on a database at version 1: ours (the lease renewed before
//!   each statement, the statement sent with its settings and the record
//!   that it is done in one message; `ours_schema` under a schema) vs raw `postgres`
//!   running the same inserts, each its own commit, and one history row.
//!
//! `cargo bench -p migrate-benches --features bench --bench postgres`

use std::time::Duration;

use criterion::{BatchSize, BenchmarkId, Criterion, criterion_group, criterion_main};
use migrate_runtime::Migrations;
use migrate_runtime::postgres::{Client, NoTls};

/// The SQL of generated migration `k`.
fn up_sql(k: usize) -> String {
    format!(
        "CREATE TABLE t_{k} (id BIGSERIAL PRIMARY KEY, label TEXT NOT NULL, n INTEGER);\n\
         CREATE INDEX t_{k}_n ON t_{k} (n);\n\
         INSERT INTO t_{k} (label, n) VALUES ('a', 1), ('b', 2), ('c', 3);\n"
    )
}

fn server() -> String {
    std::env::var("MIGRATE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// A database made for one iteration, dropped after it.
struct Scratch {
    name: String,
    url: String,
}

impl Scratch {
    fn new(n: usize) -> Scratch {
        let name = format!("migrate_bench_{}_{n}", std::process::id());
        let mut admin = Client::connect(&server(), NoTls).expect("a PostgreSQL server");
        // Two statements: a batch would be one transaction, which neither takes.
        admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .expect("drop");
        admin
            .batch_execute(&format!("CREATE DATABASE {name} TEMPLATE template0"))
            .expect("create");
        let base = server();
        let url = match base.rfind('/') {
            Some(slash) if slash > base.find("://").map_or(0, |i| i + 2) => {
                format!("{}/{name}", &base[..slash])
            }
            _ => format!("{base}/{name}"),
        };
        Scratch { name, url }
    }

    fn connect(&self) -> Client {
        Client::connect(&self.url, NoTls).expect("connect")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Ok(mut admin) = Client::connect(&server(), NoTls) {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

fn raw_apply(client: &mut Client, sql: &[String], history: bool) {
    let mut tx = client.transaction().expect("begin");
    if history {
        tx.batch_execute(
            "CREATE TABLE history (version BIGINT PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, \
             applied_at TIMESTAMPTZ NOT NULL DEFAULT now(), execution_time_us BIGINT NOT NULL)",
        )
        .expect("history");
    }
    let insert = history.then(|| {
        tx.prepare("INSERT INTO history (version, name, checksum, execution_time_us) VALUES ($1, $2, $3, $4)")
            .expect("prepare")
    });
    for (k, text) in sql.iter().enumerate() {
        tx.batch_execute(text).expect("sql");
        if let Some(insert) = &insert {
            let version = i64::try_from(k + 1).expect("version");
            tx.execute(insert, &[&version, &"table", &"0".repeat(64), &10_i64])
                .expect("row");
        }
    }
    tx.commit().expect("commit");
}

fn refinery_migrations(count: usize) -> Vec<refinery::Migration> {
    (1..=count)
        .map(|k| {
            refinery::Migration::unapplied(&format!("V{k}__table_{k}"), &up_sql(k))
                .expect("refinery migration")
        })
        .collect()
}

async fn sqlx_connect(url: &str) -> sqlx::PgConnection {
    use sqlx::Connection as _;
    sqlx::PgConnection::connect(url)
        .await
        .expect("sqlx connects")
}

fn on_new_database(b: &mut criterion::Bencher<'_>, mut body: impl FnMut(&mut Client)) {
    let mut n = 0;
    b.iter_batched(
        || {
            n += 1;
            let db = Scratch::new(n);
            let client = db.connect();
            (db, client)
        },
        |(db, mut client)| {
            body(&mut client);
            (db, client)
        },
        BatchSize::PerIteration,
    );
}

fn apply(c: &mut Criterion) {
    let count = 1000;
    let migrations: Migrations = migrate_benches::generated(count, up_sql);
    let sql: Vec<String> = (1..=count).map(up_sql).collect();
    let grouped = refinery::Runner::new(&refinery_migrations(count)).set_grouped(true);
    let mut group = c.benchmark_group("pg_apply");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    group.bench_function(BenchmarkId::new("ours", count), |b| {
        on_new_database(b, |client| {
            let report = migrations.migrate(client).expect("migrates");
            assert_eq!(report.steps.len(), count);
        });
    });
    group.bench_function(BenchmarkId::new("ours_per_migration", count), |b| {
        on_new_database(b, |client| {
            let report = migrations
                .migrator()
                .per_migration(true)
                .run(client)
                .expect("migrates");
            assert_eq!(report.steps.len(), count);
        });
    });
    group.bench_function(BenchmarkId::new("raw", count), |b| {
        on_new_database(b, |client| raw_apply(client, &sql, false));
    });
    group.bench_function(BenchmarkId::new("raw_with_history", count), |b| {
        on_new_database(b, |client| raw_apply(client, &sql, true));
    });
    group.bench_function(BenchmarkId::new("refinery_grouped", count), |b| {
        on_new_database(b, |client| {
            let report = grouped.run(client).expect("refinery migrates");
            assert_eq!(report.applied_migrations().len(), count);
        });
    });
    let (_files, sqlx, runtime) = migrate_benches::sqlx_migrator(count, up_sql);
    let mut n = 1000;
    for per_migration in [false, true] {
        let name = if per_migration {
            "ours_sqlx_per_migration"
        } else {
            "ours_sqlx"
        };
        group.bench_function(BenchmarkId::new(name, count), |b| {
            b.iter_batched(
                || {
                    n += 1;
                    let db = Scratch::new(n);
                    let conn = runtime.block_on(sqlx_connect(&db.url));
                    (db, conn)
                },
                |(db, mut conn)| {
                    let report = runtime
                        .block_on(
                            migrations
                                .migrator()
                                .per_migration(per_migration)
                                .run_async(&mut conn),
                        )
                        .expect("migrates");
                    assert_eq!(report.steps.len(), count);
                    (db, conn)
                },
                BatchSize::PerIteration,
            );
        });
    }
    group.bench_function(BenchmarkId::new("sqlx", count), |b| {
        b.iter_batched(
            || {
                n += 1;
                let db = Scratch::new(n);
                let conn = runtime.block_on(sqlx_connect(&db.url));
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
    group.finish();
}

fn startup(c: &mut Criterion) {
    let count = 1000;
    let migrations: Migrations = migrate_benches::generated(count, up_sql);
    let db = Scratch::new(0);
    migrations.migrate(&mut db.connect()).expect("migrates");
    let mut group = c.benchmark_group("pg_startup");
    group.bench_function(BenchmarkId::new("ours", count), |b| {
        b.iter(|| {
            let mut client = db.connect();
            assert!(migrations.migrate(&mut client).expect("runs").is_empty());
        });
    });
    group.bench_function(BenchmarkId::new("raw", count), |b| {
        b.iter(|| {
            let mut client = db.connect();
            let rows = client
                .query(
                    "SELECT version, checksum FROM schema_migrations ORDER BY version",
                    &[],
                )
                .expect("query");
            let seen = rows
                .iter()
                .filter(|row| row.get::<_, i64>(0) > 0 && row.get::<_, &str>(1).len() == 64)
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
                let mut conn = sqlx_connect(&db.url).await;
                let report = migrations.migrate_async(&mut conn).await.expect("runs");
                assert!(report.is_empty());
            });
        });
    });
    let (_files, sqlx, _) = migrate_benches::sqlx_migrator(count, up_sql);
    let by_sqlx = Scratch::new(1);
    runtime
        .block_on(async { sqlx.run(&mut sqlx_connect(&by_sqlx.url).await).await })
        .expect("sqlx migrates");
    group.bench_function(BenchmarkId::new("sqlx", count), |b| {
        b.iter(|| {
            runtime
                .block_on(async { sqlx.run(&mut sqlx_connect(&by_sqlx.url).await).await })
                .expect("nothing to do");
        });
    });
    group.finish();
}

/// Statements of the migration outside a transaction.
const OUTSIDE_STATEMENTS: usize = 100;

fn outside(c: &mut Criterion) {
    let (migrations, inserts) = migrate_benches::outside_transaction(OUTSIDE_STATEMENTS);
    let mut n = 2000;
    let mut at_one = |schema: Option<&str>| {
        n += 1;
        let db = Scratch::new(n);
        let mut client = db.connect();
        let mut migrator = migrations.migrator().to(migrate_runtime::Version(1));
        if let Some(schema) = schema {
            client
                .batch_execute(&format!("CREATE SCHEMA {schema}"))
                .expect("schema");
            migrator = migrator.schema(schema);
        }
        migrator.run(&mut client).expect("version 1");
        (db, client)
    };
    let mut group = c.benchmark_group("pg_outside_transaction");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(10));
    for schema in [None, Some("tenant")] {
        let name = if schema.is_some() {
            "ours_schema"
        } else {
            "ours"
        };
        group.bench_function(BenchmarkId::new(name, OUTSIDE_STATEMENTS), |b| {
            b.iter_batched(
                || at_one(schema),
                |(db, mut client)| {
                    let mut migrator = migrations.migrator();
                    if let Some(schema) = schema {
                        migrator = migrator.schema(schema);
                    }
                    let report = migrator.run(&mut client).expect("migrates");
                    assert_eq!(report.steps.len(), 1);
                    (db, client)
                },
                BatchSize::PerIteration,
            );
        });
    }
    group.bench_function(BenchmarkId::new("raw", OUTSIDE_STATEMENTS), |b| {
        b.iter_batched(
            || at_one(None),
            |(db, mut client)| {
                for insert in &inserts {
                    client.batch_execute(insert).expect("insert");
                }
                client
                    .batch_execute(
                        "INSERT INTO schema_migrations (version, name, checksum, execution_time_us) \
                         VALUES (2, 'fill', '', 1)",
                    )
                    .expect("history row");
                (db, client)
            },
            BatchSize::PerIteration,
        );
    });
    group.finish();
}

criterion_group!(benches, apply, outside, startup);
criterion_main!(benches);
