//! The build-time proof against SQLite itself, in one run: `replay/N`
//! replays N generated migrations (three statements Up, two Down, each
//! reversible) on an in-memory SQLite — Up, Down, schema comparison, Up
//! again — against raw rusqlite applying the same Up statements once on an
//! in-memory database (`raw_up_once`). The proof applies the set three
//! times, so 3× is its floor; the goal is at most 4×.
//!
//! `postgres_parse/1000`: PostgreSQL's parser over every statement of 1,000
//! generated PostgreSQL migrations (what `dialect = "postgres"` adds to a
//! build with `postgres-parse`), beside reading and validating the same
//! directory (`load`, what every build does).
//!
//! `postgres_replay/100`: the replay of 100 of those PostgreSQL migrations
//! on a scratch database of a local server (`MIGRATE_TEST_POSTGRES_URL`,
//! default `postgres://postgres@127.0.0.1:5432/postgres`) — what a build
//! with `MIGRATE_REPLAY_POSTGRES_URL` adds — against raw `postgres`
//! creating a database from `template0`, applying the same Up statements
//! once in one transaction and dropping it (`raw_up_once`). The replay runs
//! every Up twice and every Down once and reads the catalogs twice per
//! migration.
//!
//! `postgres_trace/200`: the replay of 200 of those PostgreSQL migrations
//! on the server with the locks traced (`traced`, what a build with
//! `MIGRATE_REPLAY_POSTGRES_URL` runs) beside the same replay untraced.
//!
//! `lint/1000`: the lints over those 1,000 PostgreSQL migrations (what every
//! build adds), beside `load` of the same directory.
//!
//! `cargo bench -p migrate-benches --features bench --bench replay`

use std::fs;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use migrate_core::MigrationSet;
use migrate_runtime::rusqlite::Connection;

const SIZES: [usize; 2] = [1_000, 10_000];

/// A directory of `count` generated reversible migrations, read as the
/// macro reads it.
fn set(count: usize) -> MigrationSet {
    generated(count, |k| {
        format!(
            "-- +migrate Up\n\
             CREATE TABLE t_{k} (id INTEGER PRIMARY KEY, label TEXT NOT NULL, n INTEGER);\n\
             CREATE INDEX t_{k}_n ON t_{k} (n);\n\
             INSERT INTO t_{k} (label, n) VALUES ('a', 1), ('b', 2), ('c', 3);\n\
             -- +migrate Down\n\
             DROP INDEX t_{k}_n;\n\
             DROP TABLE t_{k};\n"
        )
    })
}

/// A directory of `count` generated PostgreSQL migrations.
fn postgres_set(count: usize) -> (tempfile::TempDir, MigrationSet) {
    let root = tempfile::tempdir().expect("tempdir");
    let set = generated_in(root.path(), count, |k| {
        format!(
            "-- +migrate Up\n\
             CREATE TABLE t_{k} (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, label TEXT NOT NULL, doc JSONB DEFAULT '{{}}'::jsonb);\n\
             CREATE INDEX t_{k}_doc ON t_{k} USING gin (doc);\n\
             INSERT INTO t_{k} (label) VALUES ('a'), ('b'), ('c') ON CONFLICT DO NOTHING;\n\
             -- +migrate Down\n\
             DROP INDEX t_{k}_doc;\n\
             DROP TABLE t_{k};\n"
        )
    });
    (root, set)
}

fn generated(count: usize, text: impl Fn(usize) -> String) -> MigrationSet {
    let root = tempfile::tempdir().expect("tempdir");
    generated_in(root.path(), count, text)
}

fn generated_in(
    root: &std::path::Path,
    count: usize,
    text: impl Fn(usize) -> String,
) -> MigrationSet {
    let dir = root.join("migrations");
    fs::create_dir(&dir).expect("mkdir");
    for k in 1..=count {
        fs::write(dir.join(format!("{k:05}_m{k}.sql")), text(k)).expect("write");
    }
    migrate_core::load(root, "migrations", &migrate_core::Options::default()).expect("a valid set")
}

/// Raw rusqlite: every Up statement once, on a new in-memory database.
fn raw_up_once(set: &MigrationSet) {
    let conn = Connection::open_in_memory().expect("open");
    for migration in &set.migrations {
        for statement in migration.up.iter() {
            conn.execute_batch(statement.sql()).expect("statement");
        }
    }
}

fn replay(c: &mut Criterion) {
    let mut group = c.benchmark_group("replay");
    group.sample_size(10);
    for count in SIZES {
        let set = set(count);
        group.bench_with_input(BenchmarkId::new("ours", count), &set, |b, set| {
            b.iter(|| assert!(migrate_replay::replay(set).is_empty()));
        });
        group.bench_with_input(BenchmarkId::new("raw_up_once", count), &set, |b, set| {
            b.iter(|| raw_up_once(set));
        });
    }
    group.finish();
}

fn postgres_parse(c: &mut Criterion) {
    let mut group = c.benchmark_group("postgres_parse");
    group.sample_size(10);
    let (root, set) = postgres_set(1_000);
    group.bench_function(BenchmarkId::new("ours", 1_000), |b| {
        b.iter(|| {
            let problems = migrate_replay::parse_postgres(&set).expect("the feature is on");
            assert!(problems.is_empty(), "{problems:?}");
        });
    });
    group.bench_function(BenchmarkId::new("load", 1_000), |b| {
        b.iter(|| {
            migrate_core::load(root.path(), "migrations", &migrate_core::Options::default())
                .expect("a valid set")
        });
    });
    group.finish();
}

/// Raw `postgres`: a database from `template0`, every Up statement once in
/// one transaction, the database dropped.
fn raw_postgres_up_once(url: &str, set: &MigrationSet) {
    use migrate_runtime::postgres::{Client, Config, NoTls};
    let mut admin = Client::connect(url, NoTls).expect("connect");
    admin
        .batch_execute("CREATE DATABASE bench_raw_up_once TEMPLATE template0")
        .expect("create");
    {
        let mut config: Config = url.parse().expect("url");
        config.dbname("bench_raw_up_once");
        let mut client = config.connect(NoTls).expect("connect");
        let mut transaction = client.transaction().expect("begin");
        for migration in &set.migrations {
            for statement in migration.up.iter() {
                transaction
                    .batch_execute(statement.sql())
                    .expect("statement");
            }
        }
        transaction.commit().expect("commit");
    }
    admin
        .batch_execute("DROP DATABASE bench_raw_up_once WITH (FORCE)")
        .expect("drop");
}

fn postgres_replay(c: &mut Criterion) {
    let url = std::env::var("MIGRATE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let mut group = c.benchmark_group("postgres_replay");
    group.sample_size(10);
    let (_root, set) = postgres_set(100);
    group.bench_function(BenchmarkId::new("ours", 100), |b| {
        b.iter(|| {
            let problems = migrate_replay::replay_postgres(&set, &url).expect("the server");
            assert!(problems.is_empty(), "{problems:?}");
        });
    });
    group.bench_function(BenchmarkId::new("raw_up_once", 100), |b| {
        b.iter(|| raw_postgres_up_once(&url, &set));
    });
    group.finish();
}

/// The cost of tracing the locks: the replay of 200 of the PostgreSQL
/// migrations on the server with the trace (what a build with
/// `MIGRATE_REPLAY_POSTGRES_URL` runs) and without it, in the same run.
/// Not 1,000: one replay of 1,000 takes about six minutes (the catalogs,
/// read twice per migration, grow with the set), so criterion's ten
/// samples of each would take two hours; and the trace's share only falls
/// as the set grows (its readings per statement stay, the catalogs'
/// grow), so 200 bounds the ratio at 1,000 from above.
fn postgres_trace(c: &mut Criterion) {
    const TRACED: usize = 200;
    let url = std::env::var("MIGRATE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let mut group = c.benchmark_group("postgres_trace");
    group.sample_size(10);
    let (_root, set) = postgres_set(TRACED);
    group.bench_function(BenchmarkId::new("traced", TRACED), |b| {
        b.iter(|| {
            let traced = migrate_replay::replay_postgres_traced(&set, &url).expect("the server");
            assert!(traced.problems.is_empty(), "{:?}", traced.problems);
            assert_eq!(traced.statements.len(), 3 * TRACED);
        });
    });
    group.bench_function(BenchmarkId::new("untraced", TRACED), |b| {
        b.iter(|| {
            let problems = migrate_replay::replay_postgres(&set, &url).expect("the server");
            assert!(problems.is_empty(), "{problems:?}");
        });
    });
    group.finish();
}

/// The lints over every statement of 1,000 generated migrations (what
/// every build adds), beside reading and validating the same directory.
fn lint(c: &mut Criterion) {
    let mut group = c.benchmark_group("lint");
    group.sample_size(10);
    let (root, set) = postgres_set(1_000);
    group.bench_function(BenchmarkId::new("ours", 1_000), |b| {
        b.iter(|| migrate_core::lint(&set, migrate_core::Dialect::Postgres, None));
    });
    group.bench_function(BenchmarkId::new("load", 1_000), |b| {
        b.iter(|| {
            migrate_core::load(root.path(), "migrations", &migrate_core::Options::default())
                .expect("a valid set")
        });
    });
    group.finish();
}

criterion_group!(
    benches,
    replay,
    postgres_parse,
    postgres_replay,
    postgres_trace,
    lint
);
criterion_main!(benches);
