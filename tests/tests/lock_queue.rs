//! A migration behind a long transaction on PostgreSQL: a plain `ALTER
//! TABLE` waits for its lock, and every query on the table queues behind
//! it. Each statement waits at most its lock timeout; an attempt that
//! timed out is rolled back and tried again after a pause, so the queued
//! readers run, until the run's `busy_timeout` is spent. Real sessions: a
//! reader holding a transaction open, readers timed from their own
//! sessions, the migrator on a third.

use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use migrate_runtime::postgres::Client;
use migrate_runtime::{DEFAULT_LOCK_TIMEOUT, Error, LockRetry, LockWait, Version};
use migrate_tests::PG_QUEUE;
use migrate_tests::pg::{Scratch, history};

/// A session named `long_reader` that reads `readings` in a transaction
/// and keeps it open for `hold`: it holds the table's lock when this returns.
fn hold_readings(db: &Scratch, hold: Duration) -> JoinHandle<()> {
    hold_after(db, "SELECT count(*) FROM readings", hold)
}

/// A session named `long_reader` that runs `sql` in a transaction and keeps
/// it open for `hold`.
fn hold_after(db: &Scratch, sql: &str, hold: Duration) -> JoinHandle<()> {
    let mut client = db.client();
    client
        .batch_execute(&format!(
            "SET application_name = 'long_reader'; BEGIN; {sql};"
        ))
        .expect("the long transaction starts");
    thread::spawn(move || {
        thread::sleep(hold);
        client
            .batch_execute("COMMIT")
            .expect("the long transaction ends");
    })
}

/// Readers on sessions of their own, one every half second from 0.5 s to
/// 5.5 s after `start`: how long each `SELECT count(*) FROM readings` took.
fn readers(db: &Scratch, start: Instant) -> Vec<JoinHandle<Duration>> {
    (1..=11u32)
        .map(|k| {
            let mut client = db.client();
            thread::spawn(move || {
                thread::sleep(
                    (start + Duration::from_millis(500) * k)
                        .saturating_duration_since(Instant::now()),
                );
                let asked = Instant::now();
                client
                    .query_one("SELECT count(*) FROM readings", &[])
                    .expect("the reader reads");
                asked.elapsed()
            })
        })
        .collect()
}

fn waits(readers: Vec<JoinHandle<Duration>>) -> Vec<Duration> {
    readers
        .into_iter()
        .map(|reader| reader.join().expect("a reader"))
        .collect()
}

/// A session on `db`, migrated to `version` with nothing in the way.
fn at(db: &Scratch, version: u64) -> Client {
    let mut client = db.client();
    PG_QUEUE
        .migrator()
        .to(Version(version))
        .run(&mut client)
        .expect("the set up to there");
    client
}

fn has_column(client: &mut Client, column: &str) -> bool {
    client
        .query_one(
            "SELECT count(*) FROM information_schema.columns
             WHERE table_name = 'readings' AND column_name = $1",
            &[&column],
        )
        .expect("the catalog")
        .get::<_, i64>(0)
        == 1
}

/// What `on_lock_retry` was called with.
fn recorder() -> (
    Arc<Mutex<Vec<LockRetry>>>,
    impl Fn(&LockRetry) + Send + Sync + 'static,
) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let kept = Arc::clone(&seen);
    (seen, move |retry: &LockRetry| {
        kept.lock().expect("the list").push(retry.clone());
    })
}

fn retries(seen: &Arc<Mutex<Vec<LockRetry>>>) -> Vec<LockRetry> {
    seen.lock().expect("the list").clone()
}

#[test]
fn with_the_defaults_no_reader_waits_past_the_lock_timeout_and_the_migration_completes() {
    let Some(db) = Scratch::new() else { return };
    let mut client = at(&db, 1);
    let blocker = hold_readings(&db, Duration::from_secs(6));
    let start = Instant::now();
    let readers = readers(&db, start);
    let (seen, record) = recorder();
    let report = PG_QUEUE
        .migrator()
        .to(Version(2))
        .on_lock_retry(record)
        .run(&mut client)
        .expect("the migration completes once the long transaction ends");
    let took = start.elapsed();
    blocker.join().expect("the blocker");
    let waits = waits(readers);
    assert_eq!(report.to, Some(Version(2)));
    assert!(has_column(&mut client, "note"));
    assert!(took >= Duration::from_millis(5_500), "{took:?}");
    let retries = retries(&seen);
    assert!(retries.len() >= 2, "{retries:?}");
    assert!(
        retries
            .iter()
            .all(|r| r.transaction && r.lock_timeout == DEFAULT_LOCK_TIMEOUT)
    );
    eprintln!(
        "reader waits with the defaults: {waits:?}; retries: {}",
        retries.len()
    );
    let bound = DEFAULT_LOCK_TIMEOUT + Duration::from_secs(1);
    assert!(waits.iter().all(|wait| *wait <= bound), "{waits:?}");
}

/// The hazard the lock timeout removes, measured the same way: without it,
/// the readers queue behind the waiting `ALTER` until the long
/// transaction ends.
#[test]
fn without_a_lock_timeout_readers_queue_until_the_long_transaction_ends() {
    let Some(db) = Scratch::new() else { return };
    let mut client = at(&db, 1);
    let blocker = hold_readings(&db, Duration::from_secs(6));
    let start = Instant::now();
    let readers = readers(&db, start);
    PG_QUEUE
        .migrator()
        .to(Version(2))
        .lock_timeout(Duration::ZERO)
        .run(&mut client)
        .expect("the migration completes once the long transaction ends");
    blocker.join().expect("the blocker");
    let waits = waits(readers);
    eprintln!("reader waits without a lock timeout: {waits:?}");
    let longest = waits.iter().max().copied().unwrap_or_default();
    assert!(longest >= Duration::from_secs(4), "{waits:?}");
}

#[test]
fn a_run_that_never_gets_its_lock_names_the_blocking_session_and_changes_nothing() {
    let Some(db) = Scratch::new() else { return };
    let mut client = at(&db, 1);
    let blocker = hold_readings(&db, Duration::from_secs(4));
    let (seen, record) = recorder();
    let error = PG_QUEUE
        .migrator()
        .to(Version(2))
        .lock_timeout(Duration::from_millis(200))
        .busy_timeout(Duration::from_secs(1))
        .on_lock_retry(record)
        .run(&mut client)
        .expect_err("the lock stays taken past the run's wait");
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
    assert_eq!(retries(&seen).len(), *attempts as usize - 1);
    assert!(*rolled_back);
    let [blocker_session] = blockers.as_slice() else {
        panic!("one blocker: {message}")
    };
    assert_eq!(blocker_session.application_name, "long_reader");
    assert_eq!(
        blocker_session.state.as_deref(),
        Some("idle in transaction")
    );
    assert!(
        blocker_session.transaction_age >= Some(Duration::from_millis(800)),
        "{message}"
    );
    for said in [
        "002_add_note.sql:3",
        "application `long_reader`",
        "`lock_timeout(…)`",
        "`busy_timeout(…)`",
        "rolled back",
    ] {
        assert!(message.contains(said), "{said}: {message}");
    }
    assert_eq!(history(&mut client), [1]);
    assert!(!has_column(&mut client, "note"));
    blocker.join().expect("the blocker");
}

#[test]
fn a_statement_outside_a_transaction_is_tried_again_alone() {
    let Some(db) = Scratch::new() else { return };
    let mut client = at(&db, 2);
    let blocker = hold_readings(&db, Duration::from_secs(2));
    let (seen, record) = recorder();
    PG_QUEUE
        .migrator()
        .to(Version(3))
        .lock_timeout(Duration::from_millis(300))
        .on_lock_retry(record)
        .run(&mut client)
        .expect("completes once the long transaction ends");
    blocker.join().expect("the blocker");
    let retries = retries(&seen);
    assert!(!retries.is_empty());
    assert!(
        retries.iter().all(|r| !r.transaction && r.line == 4),
        "{retries:?}"
    );
    // The statement before the blocked one ran once.
    let logged: Vec<i32> = client
        .query("SELECT k FROM log", &[])
        .expect("log")
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(logged, [3]);
    assert!(has_column(&mut client, "unit"));
    assert_eq!(history(&mut client), [1, 2, 3]);
}

#[test]
fn a_file_lock_timeout_wins_over_the_migrators() {
    let Some(db) = Scratch::new() else { return };
    let mut client = at(&db, 3);
    let blocker = hold_readings(&db, Duration::from_millis(1_500));
    let (seen, record) = recorder();
    PG_QUEUE
        .migrator()
        .to(Version(4))
        .lock_timeout(Duration::from_secs(10))
        .on_lock_retry(record)
        .run(&mut client)
        .expect("completes once the long transaction ends");
    blocker.join().expect("the blocker");
    let retries = retries(&seen);
    assert!(!retries.is_empty());
    assert!(
        retries
            .iter()
            .all(|r| r.lock_timeout == Duration::from_millis(300) && r.version == Version(4)),
        "{retries:?}"
    );
    assert!(has_column(&mut client, "source"));
    // The session's own setting is given back.
    let own: String = client
        .query_one("SHOW lock_timeout", &[])
        .expect("show")
        .get(0);
    assert_eq!(own, "0");
}

/// `CREATE INDEX CONCURRENTLY` waits for the transactions before it while
/// queries go on: a lock timeout would leave an invalid index behind.
#[test]
fn a_concurrent_index_waits_for_the_long_transaction_instead_of_timing_out() {
    let Some(db) = Scratch::new() else { return };
    let mut client = at(&db, 4);
    // A writer: the index waits for it to end.
    let blocker = hold_after(
        &db,
        "UPDATE readings SET id = id WHERE id = 1",
        Duration::from_millis(1_500),
    );
    let start = Instant::now();
    let (seen, record) = recorder();
    PG_QUEUE
        .migrator()
        .to(Version(5))
        .lock_timeout(Duration::from_millis(200))
        .on_lock_retry(record)
        .run(&mut client)
        .expect("completes once the long transaction ends");
    let took = start.elapsed();
    blocker.join().expect("the blocker");
    assert!(retries(&seen).is_empty(), "{:?}", retries(&seen));
    assert!(took >= Duration::from_millis(1_200), "{took:?}");
    let valid: bool = client
        .query_one(
            "SELECT indisvalid FROM pg_index WHERE indexrelid = 'readings_note'::regclass",
            &[],
        )
        .expect("the index")
        .get(0);
    assert!(valid);
}

/// Through PgBouncer in transaction mode, the run is one transaction and
/// its lock timeout is the transaction's own: the retry works, and no
/// server session is left with the setting.
#[test]
fn through_pgbouncer_the_retry_works_and_leaves_no_setting_behind() {
    let Some(bouncer) = migrate_tests::pg::Bouncer::start() else {
        return;
    };
    let Some(db) = Scratch::new() else { return };
    let url = bouncer.url(&db);
    let connect = || {
        Client::connect(&url, migrate_runtime::postgres::NoTls).expect("connect through pgbouncer")
    };
    let mut client = connect();
    PG_QUEUE
        .migrator()
        .to(Version(1))
        .run(&mut client)
        .expect("the table");
    let blocker = hold_readings(&db, Duration::from_millis(1_500));
    let (seen, record) = recorder();
    PG_QUEUE
        .migrator()
        .to(Version(2))
        .lock_timeout(Duration::from_millis(300))
        .on_lock_retry(record)
        .run(&mut client)
        .expect("completes once the long transaction ends");
    blocker.join().expect("the blocker");
    assert!(!retries(&seen).is_empty());
    assert!(has_column(&mut db.client(), "note"));
    let mut others: Vec<Client> = (0..8).map(|_| connect()).collect();
    for other in &mut others {
        let setting: String = other
            .query_one("SHOW lock_timeout", &[])
            .expect("show")
            .get(0);
        assert_eq!(setting, "0");
    }
}

/// A row change outside a transaction blocked by a row lock: the statement
/// alone is tried again, and what ran before it is not.
#[test]
fn a_row_change_outside_a_transaction_is_tried_again_alone() {
    let Some(db) = Scratch::new() else { return };
    let mut client = at(&db, 5);
    let blocker = hold_after(
        &db,
        "UPDATE readings SET id = id WHERE id = 1",
        Duration::from_millis(1_500),
    );
    let (seen, record) = recorder();
    PG_QUEUE
        .migrator()
        .lock_timeout(Duration::from_millis(300))
        .on_lock_retry(record)
        .run(&mut client)
        .expect("completes once the long transaction ends");
    blocker.join().expect("the blocker");
    let retries = retries(&seen);
    assert!(!retries.is_empty());
    assert!(
        retries
            .iter()
            .all(|r| !r.transaction && r.version == Version(6) && r.line == 4),
        "{retries:?}"
    );
    let note: Option<String> = client
        .query_one("SELECT note FROM readings WHERE id = 1", &[])
        .expect("row 1")
        .get(0);
    assert_eq!(note.as_deref(), Some("first"));
    let logged: Vec<i32> = client
        .query("SELECT k FROM log WHERE k = 6", &[])
        .expect("log")
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(logged, [6]);
    assert_eq!(history(&mut client), [1, 2, 3, 4, 5, 6]);
}

#[test]
fn the_async_client_retries_the_same_way() {
    let Some(db) = Scratch::new() else { return };
    PG_QUEUE
        .migrator()
        .to(Version(1))
        .run(&mut db.client())
        .expect("the table");
    let blocker = hold_readings(&db, Duration::from_millis(1_500));
    let (seen, record) = recorder();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let report = runtime.block_on(async {
        let (mut client, connection) = migrate_runtime::tokio_postgres::connect(
            &db.url(),
            migrate_runtime::tokio_postgres::NoTls,
        )
        .await
        .expect("connect");
        tokio::spawn(connection);
        PG_QUEUE
            .migrator()
            .to(Version(2))
            .lock_timeout(Duration::from_millis(300))
            .on_lock_retry(record)
            .run_async(&mut client)
            .await
    });
    blocker.join().expect("the blocker");
    assert_eq!(report.expect("completes").to, Some(Version(2)));
    assert!(!retries(&seen).is_empty());
}
