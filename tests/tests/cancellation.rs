//! A run's future dropped at random points — by `tokio::time::timeout`,
//! by `select!` against another future, by `JoinHandle::abort` — in one
//! transaction, per migration, outside a transaction and while waiting for
//! the lock, 50 times each. After each, read from another session
//! (`pg_stat_activity`, `pg_locks`, the lock table) and from the same
//! client: the client's session leaves the run's transaction and the lock
//! is free at once (well inside the lease), the client has its own
//! settings, an application's transaction on it commits nothing of the
//! migration (every version recorded applied has its rows, and no other
//! version does), and a retry on the same client applies each migration
//! exactly once (a counter table proves it). A run never starts inside a
//! transaction it did not open; a blocking operation given an async client
//! where it cannot work ends in a typed error.

use std::sync::Arc;
use std::time::{Duration, Instant};

use migrate_runtime::tokio_postgres::{self, NoTls};
use migrate_runtime::{Error, Migrations, Version};
use migrate_tests::pg::Scratch;
use migrate_tests::{Rng, generated};

/// Trials of each kind of drop.
const TRIALS: usize = 50;

/// The migrations of a set: `counter` (1), then migrations 2..=6, each
/// counting itself once in `counter`, creating `t_<k>` and sleeping 4 ms;
/// with `outside`, migration 4 runs outside a transaction, its statements
/// written to run again harmlessly.
fn set(outside: bool) -> Migrations {
    let mut files = vec![(
        "001_counter.sql".to_owned(),
        "-- +migrate Up\nCREATE TABLE counter (v INT NOT NULL);\n-- +migrate Down\nDROP TABLE counter;\n"
            .to_owned(),
    )];
    for k in 2..=6 {
        let text = if outside && k == 4 {
            format!(
                "-- +migrate NoTransaction\n-- +migrate Idempotent each statement checks what it did\n\
                 -- +migrate Up\nCREATE TABLE IF NOT EXISTS t_{k} (n INT);\n\
                 SELECT pg_sleep(0.004);\n\
                 INSERT INTO counter SELECT {k} WHERE NOT EXISTS (SELECT 1 FROM counter WHERE v = {k});\n\
                 SELECT pg_sleep(0.004);\n\
                 -- +migrate Down\nDROP TABLE t_{k};\n"
            )
        } else {
            format!(
                "-- +migrate Up\nCREATE TABLE t_{k} (n INT);\nINSERT INTO counter VALUES ({k});\n\
                 SELECT pg_sleep(0.004);\n-- +migrate Down\nDROP TABLE t_{k};\n"
            )
        };
        files.push((format!("00{k}_m{k}.sql"), text));
    }
    let files: Vec<(&str, String)> = files.iter().map(|(n, t)| (n.as_str(), t.clone())).collect();
    generated(&files)
}

/// How the run goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    OneTransaction,
    PerMigration,
    /// Migration 4 outside a transaction.
    Outside,
}

/// How its future is dropped.
#[derive(Debug, Clone, Copy)]
enum Cancel {
    Timeout,
    Select,
    Abort,
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

async fn connect(db: &Scratch) -> tokio_postgres::Client {
    connect_to(&db.url()).await
}

async fn connect_to(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await.expect("connect");
    tokio::spawn(connection);
    client
}

/// A new client of the database at `url`, to share between tasks, with
/// its server process and its own settings as it reads them.
async fn shared_client(
    url: &str,
) -> (Arc<tokio::sync::Mutex<tokio_postgres::Client>>, i32, String) {
    let client = connect_to(url).await;
    let pid: i32 = client
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .expect("pid")
        .get(0);
    let own = text(&client, SETTINGS).await;
    (Arc::new(tokio::sync::Mutex::new(client)), pid, own)
}

/// What a session reads of the settings a run sets.
const SETTINGS: &str = "SELECT current_setting('search_path') || ' | ' || \
     current_setting('statement_timeout') || ' | ' || current_setting('lock_timeout') || ' | ' || \
     current_setting('idle_in_transaction_session_timeout')";

async fn text(client: &tokio_postgres::Client, sql: &str) -> String {
    client
        .query_one(sql, &[])
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .get(0)
}

/// Waits, reading from `oracle`, until session `pid` is outside any
/// transaction and holds no advisory lock, and no lease is written in
/// `schema`'s lock table; panics after 5 s (the lease is 60 s:
/// the lock must be free because it was released, not because it ran out).
async fn wait_until_free(oracle: &tokio_postgres::Client, pid: i32, schema: &str, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    let session = format!(
        "SELECT coalesce((SELECT state FROM pg_stat_activity WHERE pid = {pid}), 'gone') || ' | ' ||
            (SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = {pid})"
    );
    let lease = format!(
        "SELECT count(*)::text FROM {schema}.schema_migrations_lock WHERE token IS NOT NULL"
    );
    loop {
        let mut state = text(oracle, &session).await;
        if exists(oracle, &format!("{schema}.schema_migrations_lock")).await {
            state = format!("{state} | {}", text(oracle, &lease).await);
        } else {
            state.push_str(" | 0");
        }
        if state == "idle | 0 | 0" {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: 5 s after the drop, the session, advisory locks and lease are {state}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Whether `table` exists.
async fn exists(oracle: &tokio_postgres::Client, table: &str) -> bool {
    oracle
        .query_one(&format!("SELECT to_regclass('{table}') IS NOT NULL"), &[])
        .await
        .expect("catalog")
        .get(0)
}

/// Whether the session of `client` is inside a transaction, by a simple
/// query (its own message): its start is its transaction's unless one was
/// open before.
async fn in_transaction(client: &tokio_postgres::Client) -> bool {
    let answer = client
        .simple_query("SELECT (statement_timestamp() <> transaction_timestamp())::text")
        .await;
    match answer {
        Ok(messages) => messages.iter().any(|message| {
            matches!(message, tokio_postgres::SimpleQueryMessage::Row(row) if row.get(0) == Some("true"))
        }),
        // A failed transaction refuses every statement.
        Err(_) => true,
    }
}

/// Every version recorded applied has its row in `counter` and its
/// table, and every other version has neither: the database holds whole
/// migrations only (a version marked part-way outside a transaction is
/// left out).
async fn whole_migrations_only(oracle: &tokio_postgres::Client, schema: &str, what: &str) {
    if !exists(oracle, &format!("{schema}.schema_migrations")).await
        || !exists(oracle, &format!("{schema}.counter")).await
    {
        // Nothing was committed: the counter is created with the first
        // migration and recorded with it.
        for k in 2..=6 {
            let table = format!("{schema}.t_{k}");
            assert!(
                !exists(oracle, &table).await,
                "{what}: {table} without its record"
            );
        }
        return;
    }
    let rows = oracle
        .query(
            &format!(
                "SELECT k,
                    EXISTS (SELECT 1 FROM {schema}.schema_migrations h WHERE h.version = k AND h.failure IS NULL),
                    EXISTS (SELECT 1 FROM {schema}.schema_migrations h WHERE h.version = k AND h.failure IS NOT NULL),
                    (SELECT count(*) FROM {schema}.counter c WHERE c.v = k)::int,
                    to_regclass('{schema}.t_' || k) IS NOT NULL
                 FROM generate_series(2, 6) k"
            ),
            &[],
        )
        .await
        .expect("oracle");
    for row in rows {
        let (k, applied, marked, counted, table): (i32, bool, bool, i32, bool) =
            (row.get(0), row.get(1), row.get(2), row.get(3), row.get(4));
        if marked {
            continue;
        }
        assert!(
            (applied && counted == 1 && table) || (!applied && counted == 0 && !table),
            "{what}: version {k} applied {applied}, counted {counted} times, table {table}"
        );
    }
}

/// One trial: a run of `set` in `schema` on a new client of the database
/// at `url`, dropped by `cancel` after `after`; then the checks and the
/// retry.
async fn trial(
    url: &str,
    oracle: &tokio_postgres::Client,
    set: &'static Migrations,
    (mode, cancel, after): (Mode, Cancel, Duration),
    schema: &str,
) {
    let what = format!("{mode:?} dropped by {cancel:?} after {after:?} in {schema}");
    let (client, pid, own) = shared_client(url).await;
    let migrator = move || {
        set.migrator()
            .schema(schema.to_owned())
            .per_migration(mode == Mode::PerMigration)
            .lock_lease(Duration::from_secs(60))
    };
    oracle
        .batch_execute(&format!("CREATE SCHEMA {schema}"))
        .await
        .expect("schema");
    match cancel {
        Cancel::Timeout => {
            let mut c = client.lock().await;
            let _ = tokio::time::timeout(after, migrator().run_async(&mut *c)).await;
        }
        Cancel::Select => {
            let mut c = client.lock().await;
            let run = migrator();
            tokio::select! {
                _ = run.run_async(&mut *c) => {}
                () = tokio::time::sleep(after) => {}
            }
        }
        Cancel::Abort => {
            let task = {
                let client = client.clone();
                let migrator = migrator();
                tokio::spawn(async move {
                    let mut c = client.lock().await;
                    let _ = migrator.run_async(&mut *c).await;
                })
            };
            tokio::time::sleep(after).await;
            task.abort();
            let _ = task.await;
        }
    }
    wait_until_free(oracle, pid, schema, &what).await;
    let mut c = client.lock().await;
    assert!(
        !in_transaction(&c).await,
        "{what}: the client is inside a transaction"
    );
    assert_eq!(
        text(&c, SETTINGS).await,
        own,
        "{what}: the client kept the run's settings"
    );
    // The application's next transaction on the client commits nothing of
    // the migration.
    let app = c
        .transaction()
        .await
        .expect("the application's transaction");
    app.batch_execute("SELECT 1")
        .await
        .expect("the application's statement");
    app.commit().await.expect("the application's commit");
    whole_migrations_only(oracle, schema, &what).await;
    // A retry on the same client applies each migration exactly once.
    let retried = migrator().run_async(&mut *c).await;
    retried.unwrap_or_else(|e| panic!("{what}: the retry: {e:?}"));
    let counted = text(
        oracle,
        &format!("SELECT string_agg(v::text, ',' ORDER BY v) FROM {schema}.counter"),
    )
    .await;
    assert_eq!(counted, "2,3,4,5,6", "{what}: the counter after the retry");
}

/// The sets, once per process (a set read at run time lives as long as
/// the trials).
fn sets() -> (&'static Migrations, &'static Migrations) {
    static IN_TRANSACTIONS: std::sync::OnceLock<Migrations> = std::sync::OnceLock::new();
    static OUTSIDE: std::sync::OnceLock<Migrations> = std::sync::OnceLock::new();
    (
        IN_TRANSACTIONS.get_or_init(|| set(false)),
        OUTSIDE.get_or_init(|| set(true)),
    )
}

/// How long a whole run of the set takes here, to spread the drops over.
async fn run_length(db: &Scratch, set: &'static Migrations, mode: Mode) -> Duration {
    let mut client = connect(db).await;
    let oracle = connect(db).await;
    oracle
        .batch_execute("CREATE SCHEMA timing")
        .await
        .expect("schema");
    let started = Instant::now();
    set.migrator()
        .schema("timing")
        .per_migration(mode == Mode::PerMigration)
        .run_async(&mut client)
        .await
        .expect("a whole run");
    started.elapsed()
}

fn trials(mode: Mode, seed: u64) {
    let Some(db) = Scratch::new() else { return };
    let (in_transactions, outside) = sets();
    let set = if mode == Mode::Outside {
        outside
    } else {
        in_transactions
    };
    let url = db.url();
    runtime().block_on(async {
        let length = run_length(&db, set, mode).await;
        let oracle = Arc::new(connect(&db).await);
        let mut rng = Rng(seed);
        // Each trial's drop, drawn in order: up to 1.2 times a whole run,
        // so some drops come after the end.
        let mut drops = Vec::new();
        for cancel in [Cancel::Timeout, Cancel::Select, Cancel::Abort] {
            for _ in 0..TRIALS {
                let micros = rng.below(u64::try_from(length.as_micros()).unwrap_or(1) * 6 / 5);
                drops.push((cancel, Duration::from_micros(micros)));
            }
        }
        // Five at a time, each in a schema and on a client of its own.
        for (round, chunk) in drops.chunks(5).enumerate() {
            let mut running = tokio::task::JoinSet::new();
            for (i, &(cancel, after)) in chunk.iter().enumerate() {
                let (url, oracle) = (url.clone(), oracle.clone());
                let schema = format!("trial_{}", round * 5 + i + 1);
                running.spawn(async move {
                    trial(&url, &oracle, set, (mode, cancel, after), &schema).await;
                });
            }
            while let Some(done) = running.join_next().await {
                if let Err(error) = done {
                    std::panic::resume_unwind(error.into_panic());
                }
            }
        }
    });
}

#[test]
fn a_run_in_one_transaction_dropped_anywhere_leaves_nothing_and_runs_once_after() {
    trials(Mode::OneTransaction, 0x5eed_0001);
}

#[test]
fn a_run_per_migration_dropped_anywhere_leaves_nothing_and_runs_once_after() {
    trials(Mode::PerMigration, 0x5eed_0002);
}

#[test]
fn a_run_outside_a_transaction_dropped_anywhere_leaves_nothing_and_runs_once_after() {
    trials(Mode::Outside, 0x5eed_0003);
}

/// A waiter for a lock held by another session's transaction (the lock
/// table's row, locked), dropped while it waits, 50 times.
#[test]
fn a_lock_waiter_dropped_while_waiting_leaves_its_client_as_it_was() {
    let Some(db) = Scratch::new() else { return };
    let (set, _) = sets();
    runtime().block_on(async {
        let mut holder = connect(&db).await;
        let oracle = connect(&db).await;
        let mut setup = connect(&db).await;
        set.migrator()
            .to(Version(1))
            .run_async(&mut setup)
            .await
            .expect("version 1");
        let held = holder
            .transaction()
            .await
            .expect("the holder's transaction");
        held.batch_execute("SELECT * FROM schema_migrations_lock FOR UPDATE")
            .await
            .expect("the row held");
        let mut rng = Rng(0x5eed_0004);
        let (client, pid, own) = shared_client(&db.url()).await;
        for trial in 0..TRIALS {
            let after = Duration::from_micros(rng.below(50_000));
            let what = format!("waiter {trial} dropped after {after:?}");
            {
                let mut c = client.lock().await;
                let _ = tokio::time::timeout(
                    after,
                    set.migrator()
                        .busy_timeout(Duration::from_secs(30))
                        .run_async(&mut *c),
                )
                .await;
            }
            // The holder's row lock is the only lock: no advisory lock is
            // left, and the waiter is outside any transaction.
            wait_until_free(&oracle, pid, "public", &what).await;
            let c = client.lock().await;
            assert!(
                !in_transaction(&c).await,
                "{what}: the client is inside a transaction"
            );
            assert_eq!(text(&c, SETTINGS).await, own, "{what}: settings kept");
        }
        held.rollback().await.expect("released");
        let mut c = client.lock().await;
        set.migrator()
            .run_async(&mut *c)
            .await
            .expect("runs once free");
        assert_eq!(
            text(
                &oracle,
                "SELECT string_agg(v::text, ',' ORDER BY v) FROM counter"
            )
            .await,
            "2,3,4,5,6"
        );
    });
}

/// A run of `set` on `client`, which is inside a transaction: refused.
async fn refused_inside_a_transaction(
    set: &Migrations,
    client: &mut tokio_postgres::Client,
) -> Error {
    let refused = set.migrator().run_async(client).await.expect_err("refused");
    assert!(matches!(refused, Error::SessionInTransaction), "{refused}");
    refused
}

#[test]
fn a_run_refuses_a_session_inside_a_transaction_it_did_not_open() {
    let Some(db) = Scratch::new() else { return };
    let (set, _) = sets();
    runtime().block_on(async {
        let mut client = connect(&db).await;
        // On a database without a history table, the first read fails and
        // so ends the application's transaction in failure, as any failed
        // statement does; the run is refused all the same.
        client
            .batch_execute("BEGIN; SELECT 1")
            .await
            .expect("begin");
        refused_inside_a_transaction(set, &mut client).await;
        client.batch_execute("ROLLBACK").await.expect("rollback");
        set.migrator()
            .to(Version(1))
            .run_async(&mut client)
            .await
            .expect("version 1");
        client
            .batch_execute("BEGIN; CREATE TABLE app_rows (n INT); INSERT INTO app_rows VALUES (1)")
            .await
            .expect("the application's work");
        let refused = refused_inside_a_transaction(set, &mut client).await;
        assert!(
            refused.to_string().contains("nothing was changed"),
            "{refused}"
        );
        // Nothing of the run is in the application's transaction, which
        // is still open and its own.
        let ours = text(
            &client,
            "SELECT string_agg(version::text, ',') FROM schema_migrations",
        )
        .await;
        assert_eq!(
            ours, "1",
            "the run changed the history inside the application's transaction"
        );
        assert!(
            !exists(&client, "t_2").await,
            "the run ran inside the application's transaction"
        );
        client
            .batch_execute("COMMIT")
            .await
            .expect("the application commits");
        let oracle = connect(&db).await;
        assert_eq!(
            text(&oracle, "SELECT count(*)::text FROM app_rows").await,
            "1"
        );
        // A failed transaction is refused the same way.
        client.batch_execute("BEGIN").await.expect("begin");
        let _ = client.batch_execute("SELECT 1/0").await;
        refused_inside_a_transaction(set, &mut client).await;
    });
    // On SQLite too.
    let (_dir, mut conn) = migrate_tests::sqlite_file();
    conn.execute_batch("BEGIN; CREATE TABLE app_rows (n INT);")
        .expect("the application's work");
    let refused = migrate_tests::BASIC
        .migrate(&mut conn)
        .expect_err("refused");
    assert!(matches!(refused, Error::SessionInTransaction), "{refused}");
}

/// The blocking operations given a `tokio_postgres::Client`: from a plain
/// thread under lock contention, the lock wait ends in `Locked` (no
/// panic); on the thread of a current-thread runtime, a typed error (no
/// hang).
#[test]
fn a_blocking_operation_with_an_async_client_ends_in_a_typed_error_where_it_cannot_work() {
    let Some(db) = Scratch::new() else { return };
    let (set, _) = sets();
    let runtime = runtime();
    let (holder, mut waiter) = runtime.block_on(async {
        let mut setup = connect(&db).await;
        set.migrator()
            .to(Version(1))
            .run_async(&mut setup)
            .await
            .expect("version 1");
        (connect(&db).await, connect(&db).await)
    });
    runtime.block_on(async {
        holder
            .batch_execute("BEGIN; SELECT * FROM schema_migrations_lock FOR UPDATE")
            .await
            .expect("the row held");
    });
    let outcome = std::thread::spawn(move || {
        let result = set
            .migrator()
            .busy_timeout(Duration::from_millis(300))
            .run(&mut waiter);
        (result, waiter)
    })
    .join()
    .expect("no panic on a thread of no runtime");
    let (result, _waiter) = outcome;
    assert!(matches!(result, Err(Error::Locked { .. })), "{result:?}");
    runtime.block_on(async { holder.batch_execute("ROLLBACK").await.expect("released") });

    let current = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime");
    let refused = current.block_on(async {
        let mut client = connect(&db).await;
        set.migrator().run(&mut client)
    });
    assert!(
        matches!(refused, Err(Error::BlockingOnAsyncRuntime)),
        "{refused:?}"
    );
    let oracle = runtime.block_on(connect(&db));
    let counted = runtime.block_on(text(&oracle, "SELECT count(*)::text FROM counter"));
    assert_eq!(counted, "0", "nothing ran");
}
