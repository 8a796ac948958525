//! What differs on MySQL and MariaDB, on the real server: a schema change
//! commits by itself, so a migration with one runs outside a transaction
//! (recorded statement by statement, refused after a failure until
//! resolved) while migrations of rows only stay one transaction; the lock
//! is `GET_LOCK`, held by the session, so processes started together apply
//! each migration once and a migrator whose session was killed stops; an
//! `ALTER TABLE` behind a long transaction waits at most its lock timeout
//! at a time, so the queries queued behind it go on.

use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use migrate_runtime::mysql::Conn;
use migrate_runtime::mysql::prelude::Queryable;
use migrate_runtime::{DEFAULT_LOCK_TIMEOUT, Error, LockRetry, Resolution, State, Version};
use migrate_tests::mysql::Scratch;
use migrate_tests::pg::{at_once_through, total_applied};
use migrate_tests::{
    MY_FAILING, MY_NO_TX_LONG, MY_QUEUE, MY_ROUTINES, MY_ROWS_FAILING, RUST_MYSQL, RUST_MYSQL_ASYNC,
};

const CHILD: &str = env!("CARGO_BIN_EXE_migrate-child");

fn tables(conn: &mut Conn) -> Vec<String> {
    conn.query(
        "SELECT table_name FROM information_schema.tables
         WHERE table_schema = DATABASE() ORDER BY 1",
    )
    .expect("tables")
}

fn numbers(conn: &mut Conn, sql: &str) -> Vec<i64> {
    conn.query(sql).expect("query")
}

/// A migration whose schema change ran before its second statement
/// failed: nothing claims a rollback the server cannot give. The table
/// stays, the history records where it failed, and the next run refuses
/// until it is resolved.
#[test]
fn a_schema_change_that_fails_part_way_is_recorded_not_rolled_back() {
    let Some(db) = Scratch::new() else { return };
    let mut conn = db.connect();
    let error = MY_FAILING.migrate(&mut conn).expect_err("version 2 fails");
    assert!(
        matches!(
            &error,
            Error::MigrationFailed {
                version: Version(2),
                line: 3,
                rolled_back: false,
                left_nothing: false,
                ..
            }
        ),
        "{error}"
    );
    assert!(error.to_string().contains("ERROR 1146"), "{error}");
    assert_eq!(
        tables(&mut conn),
        ["accounts", "audit", "schema_migrations"],
        "the CREATE TABLE committed by itself"
    );
    let status = MY_FAILING.status(&mut conn).expect("status");
    assert_eq!(status.entries[1].state, State::Failed);
    let failure = status.entries[1].failure.clone().expect("the record");
    assert!(
        failure.starts_with("failed at statement 2 of 2 (migrations/my_failing/002_audit.sql:3)"),
        "{failure}"
    );
    let refused = MY_FAILING.migrate(&mut conn).expect_err("refused");
    assert!(
        matches!(
            refused,
            Error::UnresolvedFailure {
                version: Version(2),
                ..
            }
        ),
        "{refused}"
    );
    MY_FAILING
        .migrator()
        .resolve(&mut conn, Version(2), Resolution::Pending)
        .expect("resolved as pending");
    assert_eq!(
        numbers(&mut conn, "SELECT version FROM schema_migrations"),
        [1]
    );
}

/// Migrations of rows only are one transaction, as on the other
/// databases: a failure in the second rolls back both; the first
/// migration, a schema change, ran outside it and stays, as the report
/// and the error say.
#[test]
fn migrations_of_rows_only_are_one_transaction_and_roll_back_together() {
    let Some(db) = Scratch::new() else { return };
    let mut conn = db.connect();
    let error = MY_ROWS_FAILING.migrate(&mut conn).expect_err("3 fails");
    let Error::MigrationFailed {
        version,
        rolled_back,
        committed,
        ..
    } = &error
    else {
        panic!("{error}");
    };
    assert_eq!(
        (*version, *rolled_back, committed.as_slice()),
        (Version(3), true, [Version(1)].as_slice()),
        "{error}"
    );
    assert!(
        numbers(&mut conn, "SELECT id FROM accounts").is_empty(),
        "version 2's row was rolled back with version 3"
    );
    assert_eq!(
        numbers(&mut conn, "SELECT version FROM schema_migrations"),
        [1]
    );
    let report = MY_ROWS_FAILING
        .migrator()
        .to(Version(2))
        .run(&mut conn)
        .expect("version 2 alone");
    assert!(report.steps[0].transaction, "rows only: in a transaction");
    let second = Scratch::new().expect("a second database");
    let mut fresh = second.connect();
    let report = MY_ROWS_FAILING
        .migrator()
        .to(Version(1))
        .run(&mut fresh)
        .expect("version 1");
    assert!(!report.steps[0].transaction);
    assert!(
        report.to_string().contains("(outside a transaction)"),
        "{report}"
    );
}

/// A procedure and a trigger written between `DELIMITER` lines, as
/// mysqldump writes them, with `;` inside their bodies: each is sent whole,
/// runs, and is reverted; a `CALL` (which may change anything) runs
/// outside a transaction like a schema change.
#[test]
fn routines_between_delimiter_lines_run_and_revert() {
    let Some(db) = Scratch::new() else { return };
    let mut conn = db.connect();
    let report = MY_ROUTINES.migrate(&mut conn).expect("applied");
    assert!(!report.steps[1].transaction, "{report}");
    let audit: Vec<(i64, String)> = conn
        .query("SELECT account_id, note FROM audit ORDER BY note")
        .expect("audit");
    assert_eq!(
        audit,
        [
            (1, "credit 10".to_owned()),
            (1, "opened with a balance".to_owned())
        ]
    );
    assert_eq!(numbers(&mut conn, "SELECT balance FROM accounts"), [15]);
    MY_ROUTINES
        .migrator()
        .to(Version(1))
        .down(&mut conn)
        .expect("reverted");
    let routines: Vec<String> = conn
        .query(
            "SELECT routine_name FROM information_schema.routines WHERE routine_schema = DATABASE()
             UNION ALL SELECT trigger_name FROM information_schema.triggers
             WHERE trigger_schema = DATABASE()",
        )
        .expect("routines");
    assert!(routines.is_empty(), "{routines:?}");
    MY_ROUTINES.migrate(&mut conn).expect("applied again");
}

/// Sixteen processes started together, three rounds: each migration
/// applied once (those with a schema change outside a transaction, the
/// rest in one), every process at the newest version, the lock free.
#[test]
fn sixteen_processes_started_together_apply_each_migration_once() {
    for round in 0..3 {
        let Some(db) = Scratch::new() else { return };
        let outputs = at_once_through(CHILD, &db.url(), ("my_once", "atomic"), 16, 60_000, &[]);
        assert_eq!(total_applied(&outputs, round), 20, "round {round}");
        let mut conn = db.connect();
        assert_eq!(
            numbers(&mut conn, "SELECT k FROM counter ORDER BY k"),
            (1..=20).collect::<Vec<i64>>(),
            "round {round}: every row once"
        );
        assert_eq!(
            numbers(&mut conn, "SELECT COUNT(*) FROM schema_migrations"),
            [20]
        );
        let held: Vec<i64> = numbers(
            &mut conn,
            "SELECT COUNT(*) FROM information_schema.processlist
             WHERE db = DATABASE() AND id <> CONNECTION_ID()",
        );
        assert_eq!(held, [0], "round {round}: every session gone");
    }
}

/// The session of a migrator at work is killed (`KILL`, as an operator
/// does): the run stops with an error, never goes on over another
/// connection (it has none), the lock goes with the session, and the
/// history says exactly where the migration stopped.
#[test]
fn a_migrator_whose_session_is_killed_stops_and_never_goes_on() {
    let Some(db) = Scratch::new() else { return };
    let mut conn = db.connect();
    let id = conn.connection_id();
    let run = thread::spawn(move || MY_NO_TX_LONG.migrate(&mut conn));
    let mut watcher = db.connect();
    let rows = |watcher: &mut Conn| -> i64 {
        watcher
            .query_first("SELECT COUNT(*) FROM filled")
            .ok()
            .flatten()
            .unwrap_or(0)
    };
    let started = Instant::now();
    while rows(&mut watcher) < 20 {
        assert!(started.elapsed() < Duration::from_secs(30), "never started");
        thread::sleep(Duration::from_millis(1));
    }
    watcher
        .query_drop(format!("KILL {id}"))
        .expect("the session is killed");
    let error = run
        .join()
        .expect("the run returns")
        .expect_err("the killed run stops");
    assert!(
        error.to_string().contains("the session ended")
            && error
                .to_string()
                .contains("the migration lock went with it"),
        "{error}"
    );
    let at_stop = rows(&mut watcher);
    assert!(at_stop < 400, "it stopped part-way: {at_stop}");
    // The lock went with the session: the next run gets it at once and
    // refuses the migration the mark says was under way.
    let refused = MY_NO_TX_LONG
        .migrator()
        .busy_timeout(Duration::from_secs(5))
        .run(&mut db.connect())
        .expect_err("refused");
    let Error::UnresolvedFailure { failure, .. } = &refused else {
        panic!("{refused}");
    };
    let known: i64 = failure
        .split_once("statements known done: ")
        .and_then(|(_, rest)| rest.split_once(" of "))
        .and_then(|(n, _)| n.parse().ok())
        .unwrap_or_else(|| panic!("{failure}"));
    assert_eq!(rows(&mut watcher), at_stop, "nothing ran after the kill");
    assert_eq!(known, at_stop, "the record is exact: {failure}");
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

/// Readers on sessions of their own, one every half second from 0.5 s to
/// 5.5 s after `start`: how long each read of the table took.
fn readers(db: &Scratch, start: Instant) -> Vec<JoinHandle<Duration>> {
    (1..=11u32)
        .map(|k| {
            let mut conn = db.connect();
            thread::spawn(move || {
                thread::sleep(
                    (start + Duration::from_millis(500) * k)
                        .saturating_duration_since(Instant::now()),
                );
                let asked = Instant::now();
                let _: Option<i64> = conn
                    .query_first("SELECT COUNT(*) FROM readings")
                    .expect("the reader reads");
                asked.elapsed()
            })
        })
        .collect()
}

/// MySQL's classic outage, on the real server: an `ALTER TABLE` behind a
/// transaction that read the table 6 s ago waits for the metadata lock,
/// and every query on the table queues behind it. With the defaults each
/// attempt waits at most the lock timeout, the blocking session is named,
/// the readers get through between attempts, and the migration completes
/// once the transaction ends.
#[test]
fn an_alter_behind_a_long_transaction_never_holds_readers_past_the_lock_timeout() {
    let Some(db) = Scratch::new() else { return };
    let mut conn = db.connect();
    MY_QUEUE
        .migrator()
        .to(Version(1))
        .run(&mut conn)
        .expect("version 1");
    let mut long = db.connect();
    let long_id = long.connection_id();
    long.query_drop("START TRANSACTION").expect("begin");
    let _: Option<i64> = long
        .query_first("SELECT COUNT(*) FROM readings")
        .expect("the long transaction reads");
    let blocker = thread::spawn(move || {
        thread::sleep(Duration::from_secs(6));
        long.query_drop("COMMIT")
            .expect("the long transaction ends");
    });
    let start = Instant::now();
    let readers = readers(&db, start);
    let (seen, record) = recorder();
    let report = MY_QUEUE
        .migrator()
        .on_lock_retry(record)
        .run(&mut conn)
        .expect("the migration completes once the long transaction ends");
    let took = start.elapsed();
    blocker.join().expect("the blocker");
    let waits: Vec<Duration> = readers
        .into_iter()
        .map(|reader| reader.join().expect("a reader"))
        .collect();
    assert_eq!(report.to, Some(Version(2)));
    assert!(took >= Duration::from_millis(5_500), "{took:?}");
    let retries = seen.lock().expect("the list").clone();
    assert!(retries.len() >= 2, "{retries:?}");
    assert!(
        retries
            .iter()
            .all(|r| !r.transaction && r.lock_timeout == DEFAULT_LOCK_TIMEOUT),
        "{retries:?}"
    );
    eprintln!(
        "reader waits behind the ALTER: {waits:?}; retries: {}",
        retries.len()
    );
    let bound = DEFAULT_LOCK_TIMEOUT + Duration::from_secs(1);
    assert!(waits.iter().all(|wait| *wait <= bound), "{waits:?}");
    assert_eq!(
        numbers(
            &mut conn,
            "SELECT COUNT(*) FROM information_schema.columns
             WHERE table_schema = DATABASE() AND table_name = 'readings' AND column_name = 'note'"
        ),
        [1]
    );
    // A run that never gets its lock names the session in the way.
    let mut long = db.connect();
    long.query_drop("START TRANSACTION").expect("begin");
    let _: Option<i64> = long
        .query_first("SELECT COUNT(*) FROM readings")
        .expect("read");
    let error = MY_QUEUE
        .migrator()
        .to(Version(1))
        .busy_timeout(Duration::from_secs(3))
        .down(&mut conn)
        .expect_err("the long transaction stays");
    let Error::LockTimeout { wait, .. } = &error else {
        panic!("{error}");
    };
    assert!(
        wait.blockers.iter().any(
            |b| b.pid == i32::try_from(long.connection_id()).expect("an id")
                && b.pid != i32::try_from(long_id).expect("an id")
        ),
        "{error}"
    );
    assert!(error.to_string().contains("server process"), "{error}");
}

/// Sends `signal` (`STOP`, `CONT`) to the process `pid`.
fn signal(pid: u32, signal: &str) {
    let status = Command::new("kill")
        .args([&format!("-{signal}"), &pid.to_string()])
        .status()
        .expect("kill");
    assert!(status.success(), "kill -{signal}");
}

/// A migrator paused (SIGSTOP) in the middle of a migration outside a
/// transaction, past its lease (the session's `wait_timeout`): the server
/// closes its session, which frees the lock; the next migrator refuses the
/// migration the mark says was under way; the first, resumed, stops
/// without running another statement.
#[test]
fn a_migrator_paused_past_its_lease_loses_its_session_and_never_goes_on() {
    let Some(db) = Scratch::new() else { return };
    let mut watcher = db.connect();
    let child = Command::new(CHILD)
        .args([db.url().as_str(), "my_no_tx_long", "atomic"])
        .env("MIGRATE_CHILD_LEASE_MS", "1000")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let rows = |watcher: &mut Conn| -> i64 {
        watcher
            .query_first("SELECT COUNT(*) FROM filled")
            .ok()
            .flatten()
            .unwrap_or(0)
    };
    let started = Instant::now();
    while rows(&mut watcher) < 20 {
        assert!(started.elapsed() < Duration::from_secs(30), "never started");
        thread::sleep(Duration::from_millis(1));
    }
    signal(child.id(), "STOP");
    // The server ends the paused session once it has sat idle for the lease.
    let started = Instant::now();
    while numbers(
        &mut watcher,
        "SELECT COUNT(*) FROM information_schema.processlist
         WHERE db = DATABASE() AND id <> CONNECTION_ID()",
    ) != [0]
    {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the paused session stayed"
        );
        thread::sleep(Duration::from_millis(10));
    }
    let at_pause = rows(&mut watcher);
    let refused = MY_NO_TX_LONG
        .migrator()
        .busy_timeout(Duration::from_secs(5))
        .run(&mut db.connect())
        .expect_err("refused");
    assert!(
        matches!(refused, Error::UnresolvedFailure { .. }),
        "{refused}"
    );
    signal(child.id(), "CONT");
    let first = child.wait_with_output().expect("wait");
    let said = String::from_utf8_lossy(&first.stderr);
    assert!(
        !first.status.success() && said.contains("the session ended"),
        "the resumed migrator: {said}"
    );
    assert_eq!(rows(&mut watcher), at_pause, "nothing ran after the pause");
}

fn keys(conn: &mut Conn) -> Vec<Option<String>> {
    conn.query("SELECT email_key FROM users ORDER BY id")
        .expect("keys")
}

/// A Rust migration on MySQL (`fn up(conn: &mut mysql::Conn)`): applied
/// between SQL ones, outside a transaction (a statement it sends may
/// commit by itself), reverted by its `down`, applied again; one that
/// fails after it changed rows is recorded where it failed and refused
/// until resolved, never called rolled back.
#[test]
fn a_rust_migration_runs_outside_a_transaction_and_reverts() {
    let Some(db) = Scratch::new() else { return };
    let mut conn = db.connect();
    RUST_MYSQL
        .migrator()
        .to(Version(1))
        .run(&mut conn)
        .expect("version 1");
    conn.query_drop("INSERT INTO users (id, email) VALUES (1, ' Ada@Example.COM ')")
        .expect("a user");
    let report = RUST_MYSQL.migrate(&mut conn).expect("applied");
    assert!(!report.steps[0].transaction, "{report}");
    assert_eq!(keys(&mut conn), [Some("ada@example.com".to_owned())]);
    RUST_MYSQL
        .migrator()
        .to(Version(1))
        .down(&mut conn)
        .expect("reverted");
    assert_eq!(keys(&mut conn), [None]);
    RUST_MYSQL.migrate(&mut conn).expect("applied again");
    assert_eq!(keys(&mut conn), [Some("ada@example.com".to_owned())]);

    let second = Scratch::new().expect("a second database");
    let mut conn = second.connect();
    RUST_MYSQL
        .migrator()
        .to(Version(1))
        .run(&mut conn)
        .expect("version 1");
    conn.query_drop("INSERT INTO users (id, email) VALUES (1, 'Ada@x'), (2, 'fail@x')")
        .expect("users");
    let error = RUST_MYSQL.migrate(&mut conn).expect_err("fails");
    assert!(
        matches!(
            &error,
            Error::MigrationFailed {
                version: Version(2),
                rolled_back: false,
                ..
            }
        ),
        "{error}"
    );
    assert!(
        error.to_string().contains("002_email_keys.rs")
            && error.to_string().contains("cannot key fail@x"),
        "{error}"
    );
    assert_eq!(
        keys(&mut conn),
        [Some("ada@x".to_owned()), Some("fail@x".to_owned())],
        "what it changed stays: nothing claims a rollback"
    );
    let refused = RUST_MYSQL.migrate(&mut conn).expect_err("refused");
    assert!(
        matches!(
            refused,
            Error::UnresolvedFailure {
                version: Version(2),
                ..
            }
        ),
        "{refused}"
    );
}

/// The same with the async client (`async fn up(conn: &mut mysql_async::Conn)`).
#[test]
fn an_async_rust_migration_runs_and_reverts() {
    use migrate_runtime::mysql_async::prelude::Queryable as _;
    let Some(db) = Scratch::new() else { return };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let opts = migrate_runtime::mysql_async::Opts::from_url(&db.url()).expect("a URL");
        let mut conn = migrate_runtime::mysql_async::Conn::new(opts)
            .await
            .expect("connect");
        RUST_MYSQL_ASYNC
            .migrator()
            .to(Version(1))
            .run_async(&mut conn)
            .await
            .expect("version 1");
        conn.query_drop("INSERT INTO users (id, email) VALUES (1, ' Ada@Example.COM ')")
            .await
            .expect("a user");
        RUST_MYSQL_ASYNC
            .migrator()
            .run_async(&mut conn)
            .await
            .expect("applied");
        let keys: Vec<Option<String>> = conn
            .query("SELECT email_key FROM users ORDER BY id")
            .await
            .expect("keys");
        assert_eq!(keys, [Some("ada@example.com".to_owned())]);
        RUST_MYSQL_ASYNC
            .migrator()
            .down_to_async(&mut conn, Version(1))
            .await
            .expect("reverted");
        let keys: Vec<Option<String>> = conn
            .query("SELECT email_key FROM users ORDER BY id")
            .await
            .expect("keys");
        assert_eq!(keys, [None]);
    });
}

/// What the audit of the binary found, each refused in its own words: a
/// history table in another database than the connection's (the
/// migrations would be recorded there and reverted here), a migration that
/// turns autocommit off (the run's records would never commit), and the
/// advice of a failed revert (the resolutions the other way round).
#[test]
fn a_history_elsewhere_and_autocommit_are_refused_and_a_failed_revert_is_advised_right() {
    let Some(db) = Scratch::new() else { return };
    let mut conn = db.connect();
    let other = Scratch::new().expect("a second database");
    let elsewhere = MY_ROWS_FAILING
        .migrator()
        .table(format!("{}.schema_migrations", other.name()))
        .run(&mut conn)
        .expect_err("another database");
    assert!(
        elsewhere
            .to_string()
            .contains("is in another database than the connection's"),
        "{elsewhere}"
    );
    assert!(tables(&mut conn).is_empty(), "nothing ran");

    let (_root, autocommit) = migrate_tests::set_from_files(&[(
        "001_off.sql",
        "-- +migrate Up\nSET SESSION autocommit = 0;\n-- +migrate Down\nSELECT 1;\n",
    )]);
    let refused = autocommit
        .migrate(&mut other.connect())
        .expect_err("refused");
    assert!(
        refused.to_string().contains("may not change autocommit"),
        "{refused}"
    );

    MY_FAILING
        .migrator()
        .to(Version(1))
        .run(&mut conn)
        .expect("version 1");
    let table = migrate_runtime::TableName::new("schema_migrations").expect("a name");
    let first = MY_FAILING.get(Version(1)).expect("version 1");
    migrate_tests::ready(migrate_runtime::HistoryStore::record_failure(
        &mut conn,
        &table,
        first,
        "failed while being reverted, at statement 1 of 1 (x.sql:1): boom",
    ))
    .expect("marked");
    let status = MY_FAILING.status(&mut conn).expect("status").to_string();
    assert!(
        status.contains(
            "`resolve(Version(1), Resolution::Pending)` if you completed the revert by hand, \
             `resolve(Version(1), Resolution::Applied)` if you restored what it had undone"
        ),
        "{status}"
    );
}

/// `Statement::commits_on_mysql` against the server's own reading: each
/// statement run inside an open transaction, then `@@in_transaction` asked.
/// Every statement the server commits by itself must be classed as
/// committing (classing more is allowed: it only claims less atomicity).
#[test]
fn the_implicit_commit_classes_agree_with_the_server() {
    let Some(db) = Scratch::new() else { return };
    let mut conn = db.connect();
    conn.query_drop(
        "CREATE TABLE t (id INT PRIMARY KEY, a INT);
         CREATE PROCEDURE p() SELECT 1;",
    )
    .expect("setup");
    let corpus = [
        "INSERT INTO t VALUES (1, 1)",
        "UPDATE t SET a = 2",
        "DELETE FROM t WHERE id = 1",
        "REPLACE INTO t VALUES (2, 2)",
        "SELECT * FROM t",
        "SET @x = 1",
        "DO 1",
        "CREATE TEMPORARY TABLE tmp (x INT)",
        "DROP TEMPORARY TABLE tmp",
        "CREATE TABLE u (x INT)",
        "ALTER TABLE u ADD COLUMN y INT",
        "CREATE INDEX u_y ON u (y)",
        "DROP INDEX u_y ON u",
        "RENAME TABLE u TO v",
        "TRUNCATE TABLE v",
        "DROP TABLE v",
        "CREATE VIEW w AS SELECT id FROM t",
        "DROP VIEW w",
        "ANALYZE TABLE t",
        "CALL p()",
        "LOCK TABLES t WRITE",
        "UNLOCK TABLES",
        "SET autocommit = 1",
    ];
    let mut disagree = Vec::new();
    for sql in corpus {
        conn.query_drop("START TRANSACTION").expect("begin");
        conn.query_drop("INSERT INTO t VALUES (99, 0) ON DUPLICATE KEY UPDATE a = a")
            .expect("a write opens the transaction");
        conn.query_drop(sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        let open: Option<i64> = conn
            .query_first("SELECT @@in_transaction")
            .expect("the server's answer");
        conn.query_drop("ROLLBACK").expect("rollback");
        conn.query_drop("UNLOCK TABLES").expect("unlock");
        let statement = migrate_core::Statement {
            sql: std::borrow::Cow::Borrowed(sql),
            line: 1,
        };
        let server_committed = open == Some(0);
        if server_committed && !statement.commits_on_mysql() {
            disagree.push(sql);
        }
    }
    assert!(
        disagree.is_empty(),
        "committed by the server, classed as not committing: {disagree:?}"
    );
}

/// A connection already inside a transaction (its owner's COMMIT would
/// decide the run's changes) is refused before any change, as the server
/// says it is in one; a lock held by another session (the same name, taken
/// by hand) ends the wait with `Locked`, naming that session as the server
/// numbers it.
#[test]
fn a_session_in_a_transaction_is_refused_and_a_held_lock_names_its_holder() {
    let Some(db) = Scratch::new() else { return };
    let mut conn = db.connect();
    conn.query_drop("CREATE TABLE mine (x INT); START TRANSACTION; INSERT INTO mine VALUES (1)")
        .expect("a transaction of the application's");
    let refused = MY_ROWS_FAILING.migrate(&mut conn).expect_err("refused");
    assert!(matches!(refused, Error::SessionInTransaction), "{refused}");
    conn.query_drop("ROLLBACK").expect("rollback");
    assert_eq!(tables(&mut conn), ["mine"], "nothing was changed");

    let mut holder = db.connect();
    let taken: Option<i64> = holder
        .exec_first(
            "SELECT GET_LOCK(CONCAT('migrate:', SHA1(?)), 0)",
            (format!("{}.schema_migrations", db.name()),),
        )
        .expect("the lock taken by hand");
    assert_eq!(taken, Some(1));
    let error = MY_ROWS_FAILING
        .migrator()
        .busy_timeout(Duration::from_millis(300))
        .run(&mut conn)
        .expect_err("the lock stays taken");
    let Error::Locked { holder: named, .. } = &error else {
        panic!("{error}");
    };
    let named = named.as_ref().expect("the holder named");
    assert_eq!(
        named.pid,
        i32::try_from(holder.connection_id()).expect("an id"),
        "{error}"
    );
    assert_eq!(tables(&mut conn), ["mine"], "nothing was changed");
}
