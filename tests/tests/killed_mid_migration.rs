//! A migrator killed with SIGKILL in the middle of a migration outside a
//! transaction, then a plain run: the history says the migration was
//! started and did not finish, so the next run refuses to go on over it
//! (and says how to resolve it) instead of running it again. Before the
//! mark, such a run re-ran the whole migration and reported success.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use migrate_runtime::rusqlite::Connection;
use migrate_runtime::{Error, State, Version};
use migrate_tests::pg::{Scratch, counter};
use migrate_tests::{NO_TX_LONG, NO_TX_RESUMABLE, PG_HELD, PG_NO_TX_LONG, PG_PAUSED};
use migrate_tests::{Rng, in_rounds};

const CHILD: &str = env!("CARGO_BIN_EXE_migrate-child");

/// The statements of version 2 of both sets: one row each.
const SQLITE_ROWS: i64 = 4_000;
const PG_ROWS: i64 = 400;

fn spawn(db: &str, set: &str) -> Child {
    spawn_on(db, set, "")
}

/// [`spawn`] with the child's driver: `sqlx` for sqlx's `PgConnection` or
/// `SqliteConnection`, else the blocking client (rusqlite on SQLite).
fn spawn_on(db: &str, set: &str, driver: &str) -> Child {
    Command::new(CHILD)
        .args([db, set, "atomic"])
        .env("MIGRATE_CHILD_DRIVER", driver)
        // On PostgreSQL, a killed run's lock is a lease: a short one ends soon.
        .env("MIGRATE_CHILD_LEASE_MS", "500")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn the child")
}

/// Kills `child` once `rows` (polled) says it is inside version 2: some of
/// its rows are there, not all. `false` when the child finished first.
fn kill_in_the_middle(
    mut child: Child,
    rows: &mut dyn FnMut() -> i64,
    all: i64,
    skip: i64,
) -> bool {
    let started = Instant::now();
    loop {
        let n = rows();
        if n > skip && n < all {
            child.kill().expect("SIGKILL");
            child.wait().expect("reaped");
            return true;
        }
        if n >= all || child.try_wait().expect("wait").is_some() {
            child.wait().expect("reaped");
            return false;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the child never got going"
        );
        std::thread::sleep(Duration::from_micros(500));
    }
}

/// What a plain run says after the kill, and that it ran nothing;
/// `leased`: the killed run's lock was a lease (PostgreSQL).
fn refused_after_the_kill(
    leased: bool,
    before: i64,
    run: Result<migrate_runtime::Report, Error>,
    after: i64,
) {
    let failure = the_mark(leased, run);
    assert_eq!(
        after, before,
        "the refused run ran nothing of the migration"
    );
    // It says exactly where the migration stopped: each statement writes
    // one row and commits with the record that it is done, so the rows are
    // the statements known done, never one more.
    let done = known_done(&failure);
    assert_eq!(
        before, done,
        "{before} rows, but the record says {done} statements are known done: {failure}"
    );
}

/// The refusal of a plain run after the kill: the mark of version 2, the
/// killed run's, which names the statement that may or may not have run.
fn the_mark(leased: bool, run: Result<migrate_runtime::Report, Error>) -> String {
    let Err(error) = run else {
        panic!("the migration that did not finish ran again");
    };
    let Error::UnresolvedFailure {
        version, failure, ..
    } = &error
    else {
        panic!("expected UnresolvedFailure, got {error}");
    };
    assert_eq!(*version, Version(2));
    assert!(
        failure.starts_with("was started outside a transaction by a run that did not finish it"),
        "{failure}"
    );
    assert!(error.to_string().contains("Resolution::Applied"), "{error}");
    // Which run: its process, and on PostgreSQL its lease.
    assert!(failure.contains("; process "), "{failure}");
    assert_eq!(failure.contains(", lease "), leased, "{failure}");
    let done = known_done(failure);
    assert!(
        failure.contains(&format!("statement {} (", done + 1))
            && failure.contains("may or may not have run"),
        "{failure}"
    );
    failure.clone()
}

/// The number of statements a mark records as known done.
fn known_done(failure: &str) -> i64 {
    let (_, after) = failure
        .split_once("statements known done: ")
        .unwrap_or_else(|| panic!("no statements known done in: {failure}"));
    let (done, _) = after.split_once(" of ").expect("N of M");
    done.parse().expect("a number")
}

fn sqlite_count(db: &Path) -> i64 {
    let Ok(conn) = Connection::open(db) else {
        return 0;
    };
    let _ = conn.busy_timeout(Duration::from_millis(50));
    conn.query_row("SELECT count(*) FROM filled", [], |r| r.get(0))
        .unwrap_or(0)
}

/// Trials of each kind, as issue 22 asks: 50 SIGKILLs on SQLite and on
/// PostgreSQL, direct and through PgBouncer.
const KILLS: u64 = 50;

#[test]
fn a_run_killed_outside_a_transaction_is_refused_next_time_never_run_twice() {
    let mut rng = Rng(0x5eed_0022);
    // Killed after a random number of the migration's statements.
    let skips: Vec<i64> = (0..KILLS)
        .map(|_| i64::try_from(rng.below(1_200)).expect("small"))
        .collect();
    let killed = in_rounds(&skips, 10, |skip| sqlite_killed_after("", skip));
    assert!(
        killed >= usize::try_from(KILLS - 5).expect("small"),
        "only {killed} of {KILLS} children were killed inside the migration"
    );
}

/// The same on sqlx's `SqliteConnection` in the child, read back with
/// rusqlite.
#[test]
fn a_sqlx_sqlite_run_killed_outside_a_transaction_is_refused_next_time() {
    let mut rng = Rng(0x5eed_0056);
    let skips: Vec<i64> = (0..KILLS)
        .map(|_| i64::try_from(rng.below(1_200)).expect("small"))
        .collect();
    let killed = in_rounds(&skips, 10, |skip| sqlite_killed_after("sqlx", skip));
    assert!(
        killed >= usize::try_from(KILLS - 5).expect("small"),
        "only {killed} of {KILLS} children were killed inside the migration"
    );
}

/// One SQLite trial: the child, on `driver` (`sqlx`, or rusqlite), killed
/// after `skip` statements; whether it was killed inside the migration.
fn sqlite_killed_after(driver: &str, skip: i64) -> bool {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("app.db");
    let child = spawn_on(db.to_str().expect("utf-8"), "no_tx_long", driver);
    if !kill_in_the_middle(child, &mut || sqlite_count(&db), SQLITE_ROWS, skip) {
        return false;
    }
    let before = sqlite_count(&db);
    let mut conn = Connection::open(&db).expect("open");
    let status = NO_TX_LONG.status(&mut conn).expect("status");
    assert_eq!(status.entries[1].state, State::Failed, "{status}");
    let run = NO_TX_LONG.migrate(&mut conn);
    refused_after_the_kill(false, before, run, sqlite_count(&db));
    // Finished by hand, then resolved: the migration counts as applied
    // and never runs again.
    conn.execute(
        "INSERT INTO filled (n) SELECT value FROM generate_series(?1, ?2)",
        [before + 1, SQLITE_ROWS],
    )
    .or_else(|_| {
        conn.execute_batch(&format!(
            "WITH RECURSIVE k(x) AS (SELECT {} UNION ALL SELECT x + 1 FROM k WHERE x < {SQLITE_ROWS})
             INSERT INTO filled (n) SELECT x FROM k",
            before + 1
        ))
        .map(|()| 0)
    })
    .expect("finished by hand");
    NO_TX_LONG
        .migrator()
        .resolve(&mut conn, Version(2), migrate_runtime::Resolution::Applied)
        .expect("resolved");
    assert!(NO_TX_LONG.migrate(&mut conn).expect("runs").is_empty());
    assert_eq!(sqlite_count(&db), SQLITE_ROWS);
    true
}

/// A migration declared `Idempotent`, killed part-way: the next plain run
/// goes on from the first statement not known done, so at most that one
/// statement runs twice, and the migration completes.
#[test]
fn an_idempotent_migration_killed_part_way_goes_on_where_it_stopped() {
    let killed = in_rounds(&[0_i64, 1, 2, 3, 4], 5, |trial| {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("app.db");
        let child = spawn(db.to_str().expect("utf-8"), "no_tx_resumable");
        if !kill_in_the_middle(child, &mut || sqlite_count(&db), SQLITE_ROWS, trial * 300) {
            return false;
        }
        let mut conn = Connection::open(&db).expect("open");
        let status = NO_TX_RESUMABLE.status(&mut conn).expect("status");
        let failure = status.entries[1].failure.clone().expect("the mark");
        let done = known_done(&failure);
        let report = NO_TX_RESUMABLE
            .migrate(&mut conn)
            .expect("goes on where it stopped");
        assert_eq!(report.to, Some(Version(2)));
        assert_eq!(sqlite_count(&db), SQLITE_ROWS);
        let twice: Vec<i64> = conn
            .prepare("SELECT n FROM filled WHERE times > 1")
            .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
            .expect("rows");
        assert!(
            twice.is_empty() || twice == [done + 1],
            "ran twice: {twice:?}; the record said {done} known done"
        );
        assert!(NO_TX_RESUMABLE.migrate(&mut conn).expect("runs").is_empty());
        true
    });
    assert!(
        killed >= 3,
        "only {killed} of 5 children were killed inside the migration"
    );
}

/// `KILLS` children killed inside the PostgreSQL migration outside a
/// transaction, each reaching the server at the URL `through` gives.
fn postgres_kills(through: &(dyn Fn(&Scratch) -> String + Sync), driver: &str, seed: u64) {
    let mut rng = Rng(seed);
    let skips: Vec<i64> = (0..KILLS)
        .map(|_| i64::try_from(rng.below(200)).expect("small"))
        .collect();
    // Five at a time: each child holds a lease of 500 ms, which a child
    // starved of the processor longer than that loses.
    let killed = in_rounds(&skips, 5, |skip| {
        postgres_killed_after(through, driver, skip)
    });
    assert!(
        killed >= usize::try_from(KILLS - 5).expect("small"),
        "only {killed} of {KILLS} children were killed inside the migration"
    );
}

/// One PostgreSQL trial: the child killed after `skip` statements; whether
/// it was killed inside the migration.
fn postgres_killed_after(
    through: &(dyn Fn(&Scratch) -> String + Sync),
    driver: &str,
    skip: i64,
) -> bool {
    let Some(scratch) = Scratch::new() else {
        return true;
    };
    let mut reader = scratch.client();
    let mut count = || {
        reader
            .query_one("SELECT count(*) FROM filled", &[])
            .map_or(0, |row| row.get::<_, i64>(0))
    };
    let child = spawn_on(&through(&scratch), "pg_no_tx_long", driver);
    if !kill_in_the_middle(child, &mut count, PG_ROWS, skip) {
        return false;
    }
    // The killed session's statement ends with it; the server may take
    // a moment to notice the connection is gone.
    std::thread::sleep(Duration::from_millis(200));
    let before = count();
    let mut client = scratch.client();
    // The killed child's lease is short; this run's own need not be (a
    // short one is lost by a run starved of the processor on a busy machine).
    let run = PG_NO_TX_LONG
        .migrator()
        .busy_timeout(Duration::from_secs(20))
        .run(&mut client);
    let after = count();
    refused_after_the_kill(true, before, run, after);
    true
}

#[test]
fn a_postgres_run_killed_outside_a_transaction_is_refused_next_time() {
    postgres_kills(&Scratch::url, "", 0x5eed_0023);
}

#[test]
fn a_run_through_pgbouncer_killed_outside_a_transaction_is_refused_next_time() {
    let Some(bouncer) = migrate_tests::pg::Bouncer::start() else {
        return;
    };
    postgres_kills(&|scratch| bouncer.url(scratch), "", 0x5eed_0024);
}

/// The same trials with the child on sqlx's `PgConnection`, through the
/// pooler: what a sqlx service behind PgBouncer does when it is killed.
#[test]
fn a_sqlx_run_through_pgbouncer_killed_outside_a_transaction_is_refused_next_time() {
    let Some(bouncer) = migrate_tests::pg::Bouncer::start() else {
        return;
    };
    postgres_kills(&|scratch| bouncer.url(scratch), "sqlx", 0x5eed_0025);
}

/// What a MySQL trial's child has done of version 2: its rows, and (for
/// `my_ddl_long`) its tables, each one statement.
fn mysql_statements_done(conn: &mut migrate_runtime::mysql::Conn) -> i64 {
    use migrate_runtime::mysql::prelude::Queryable;
    let rows: i64 = conn
        .query_first("SELECT COUNT(*) FROM filled")
        .ok()
        .flatten()
        .unwrap_or(0);
    let tables: i64 = conn
        .query_first(
            "SELECT COUNT(*) FROM information_schema.tables
             WHERE table_schema = DATABASE() AND table_name LIKE 'part\\_%'",
        )
        .expect("tables")
        .unwrap_or(0);
    rows + tables
}

/// Waits until the server has ended every other session on the database
/// (a killed child's: the server rolls back its open transaction then).
fn mysql_sessions_gone(conn: &mut migrate_runtime::mysql::Conn) {
    use migrate_runtime::mysql::prelude::Queryable;
    let started = Instant::now();
    while conn
        .query_first::<i64, _>(
            "SELECT COUNT(*) FROM information_schema.processlist
             WHERE db = DATABASE() AND id <> CONNECTION_ID()",
        )
        .expect("processlist")
        .unwrap_or(0)
        > 0
    {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the killed child's session stayed"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// One MySQL trial: a child migrating `set` killed after `skip` of the
/// `all` statements of version 2; whether it was killed inside it. Rows
/// commit with their record, so the record is exact after them; a
/// `CREATE TABLE` commits by itself, so the statement after the last
/// known done may be done too, and the mark says so ("may or may not
/// have run").
fn mysql_killed_after((set, all): (&'static str, i64), skip: i64) -> bool {
    let Some(scratch) = migrate_tests::mysql::Scratch::new() else {
        return true;
    };
    let mut reader = scratch.connect();
    let child = spawn(&scratch.url(), set);
    let mut done = || mysql_statements_done(&mut reader);
    if !kill_in_the_middle(child, &mut done, all, skip) {
        return false;
    }
    mysql_sessions_gone(&mut reader);
    let before = mysql_statements_done(&mut reader);
    let run = migrate_tests::set(set)
        .expect("a set")
        .migrator()
        .busy_timeout(Duration::from_secs(20))
        .run(&mut scratch.connect());
    let after = mysql_statements_done(&mut reader);
    assert_eq!(
        after, before,
        "the refused run ran nothing of the migration"
    );
    let failure = the_mark(false, run);
    let known = known_done(&failure);
    // Statement `known + 1` of my_ddl_long is a CREATE TABLE when odd.
    let next_commits_alone = set == "my_ddl_long" && known % 2 == 0;
    assert!(
        before == known || (next_commits_alone && before == known + 1),
        "{before} statements done, but the record says {known}: {failure}"
    );
    true
}

/// `KILLS` children killed inside a MySQL migration outside a transaction.
fn mysql_kills(set: (&'static str, i64), seed: u64) {
    let mut rng = Rng(seed);
    let skips: Vec<i64> = (0..KILLS)
        .map(|_| i64::try_from(rng.below(u64::try_from(set.1 / 2).expect("small"))).expect("small"))
        .collect();
    let killed = in_rounds(&skips, 5, |skip| mysql_killed_after(set, skip));
    assert!(
        killed >= usize::try_from(KILLS - 5).expect("small"),
        "only {killed} of {KILLS} children were killed inside the migration"
    );
}

/// 400 INSERTs outside a transaction (`NoTransaction`) on MariaDB.
#[test]
fn a_mysql_run_killed_outside_a_transaction_is_refused_next_time() {
    mysql_kills(("my_no_tx_long", 400), 0x5eed_0035);
}

/// A migration with schema changes, outside a transaction because MySQL
/// commits each of them by itself.
#[test]
fn a_mysql_run_killed_inside_a_migration_with_schema_changes_is_refused_next_time() {
    mysql_kills(("my_ddl_long", 200), 0x5eed_0036);
}

/// Sends `signal` (`STOP`, `CONT`) to `child`.
fn signal(child: &Child, signal: &str) {
    let status = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success(), "kill -{signal}");
}

/// A lease holder paused (SIGSTOP) past its lease in the middle of the
/// migrations outside a transaction, while a second migrator runs, then
/// resumed: no migration runs twice. The second refuses a migration the
/// first marked as started, or applies what the first had not begun; the
/// first, resumed, stops before its next change (`LockLost`).
#[test]
fn a_lease_holder_paused_past_its_lease_never_makes_a_migration_run_twice() {
    let mut rng = Rng(0x5eed_0025);
    // Each trial's pause point, drawn in order.
    let pauses: Vec<(usize, u64)> = (0..20)
        .map(|trial| (trial, 300 + rng.below(2_100)))
        .collect();
    // Paused trials sleep most of their time: ten at once.
    in_rounds(&pauses, 10, |(trial, pause)| {
        paused_past_the_lease(trial, pause);
        true
    });
}

/// One trial of [`a_lease_holder_paused_past_its_lease_never_makes_a_migration_run_twice`]:
/// the holder paused after `pause` milliseconds.
fn paused_past_the_lease(trial: usize, pause: u64) {
    let Some(scratch) = Scratch::new() else {
        return;
    };
    let url = scratch.url();
    let first = Command::new(CHILD)
        .args([url.as_str(), "pg_paused", "atomic"])
        .env("MIGRATE_CHILD_LEASE_MS", "1000")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // Paused at a random point of its 2.4 s of migrations.
    std::thread::sleep(Duration::from_millis(pause));
    signal(&first, "STOP");
    std::thread::sleep(Duration::from_millis(2_500));
    let mut client = scratch.client();
    let second = PG_PAUSED
        .migrator()
        .lock_lease(Duration::from_secs(1))
        .busy_timeout(Duration::from_secs(20))
        .run(&mut client);
    signal(&first, "CONT");
    let first = first.wait_with_output().expect("wait");
    let counted: Vec<i32> = client
        .query("SELECT k FROM counter ORDER BY k", &[])
        .map(|rows| rows.iter().map(|row| row.get(0)).collect())
        .unwrap_or_default();
    let mut once = counted.clone();
    once.dedup();
    assert_eq!(counted, once, "trial {trial}: a migration ran twice");
    if let Err(error) = &second
        && !matches!(error, Error::UnresolvedFailure { .. })
    {
        panic!("trial {trial}: the second migrator: {error}");
    }
    let first_said = String::from_utf8_lossy(&first.stderr);
    assert!(
        first.status.success() || first_said.contains("lease"),
        "trial {trial}: the first migrator: {first_said}"
    );
}

/// A holder paused (SIGSTOP) while a transaction of its run is open keeps
/// the lock's row locked for as long as it stays paused, unless the server
/// ends its session: once the transaction has sat idle for the lease, it
/// does, rolls the transaction back, and a second migrator applies
/// everything; the first, resumed, stops with the lease's error. For a run
/// across transactions (`per-migration`) and a run in one (`atomic`).
/// Without the limit, the second waited out its 10 s and said `Locked`.
#[test]
fn a_holder_paused_inside_a_transaction_past_its_lease_lets_the_next_migrator_go_on() {
    for mode in ["per-migration", "atomic"] {
        let Some(scratch) = Scratch::new() else {
            return;
        };
        let url = scratch.url();
        let mut client = scratch.client();
        let first = Command::new(CHILD)
            .args([url.as_str(), "pg_held", mode])
            .env("MIGRATE_CHILD_LEASE_MS", "1000")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        // Paused during the sleep of version 2, inside its transaction.
        let started = Instant::now();
        while client
            .query(
                "SELECT 1 FROM pg_stat_activity WHERE datname = current_database()
                   AND pid <> pg_backend_pid() AND state = 'active'
                   AND query LIKE '%pg_sleep(1.5)%'",
                &[],
            )
            .expect("pg_stat_activity")
            .is_empty()
        {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "{mode}: the child never reached version 2"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        signal(&first, "STOP");
        let second = PG_HELD
            .migrator()
            .lock_lease(Duration::from_secs(1))
            .busy_timeout(Duration::from_secs(10))
            .run(&mut client);
        signal(&first, "CONT");
        let first = first.wait_with_output().expect("wait");
        if let Err(error) = &second {
            panic!("{mode}: the second migrator: {error}");
        }
        assert_eq!(
            counter(&mut client),
            [2, 3],
            "{mode}: each migration ran once"
        );
        let first_said = String::from_utf8_lossy(&first.stderr);
        assert!(
            !first.status.success() && first_said.contains("lease (1s) ran out"),
            "{mode}: the first migrator: {first_said}"
        );
    }
}
