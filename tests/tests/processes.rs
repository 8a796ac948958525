//! Real child processes: killed with SIGKILL at random points while they
//! migrate, and many of them migrating one file at once.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use migrate_runtime::backups_of;
use migrate_runtime::rusqlite::Connection;
use migrate_tests::{BASIC, CRASH, ONCE, RUST_KILLED, Rng, history, table_exists};

const CHILD: &str = env!("CARGO_BIN_EXE_migrate-child");

fn child(db: &Path, set: &str, mode: &str) -> Command {
    let mut command = Command::new(CHILD);
    command
        .arg(db)
        .arg(set)
        .arg(mode)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// After a crash: the file is intact, every recorded migration's table is
/// there with all its rows, no unrecorded migration left a trace, and a rerun
/// completes.
fn check_after_crash(db: &Path) -> usize {
    let mut conn = Connection::open(db).expect("open");
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("check");
    assert_eq!(integrity, "ok");
    let applied = if table_exists(&conn, "schema_migrations") {
        history(&conn)
    } else {
        Vec::new()
    };
    for k in 1..=40u64 {
        let table = format!("t_{k}");
        assert_eq!(
            table_exists(&conn, &table),
            applied.contains(&k),
            "table {table} exists iff version {k} is recorded (recorded: {applied:?})"
        );
        if k > 1 && applied.contains(&k) {
            let rows: i64 = conn
                .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
                .expect("count");
            assert_eq!(rows, 2000, "{table} is complete");
        }
    }
    if !applied.is_empty() {
        let counted: Vec<u64> = conn
            .prepare("SELECT migration FROM counter ORDER BY migration")
            .expect("counter")
            .query_map([], |r| r.get::<_, i64>(0))
            .expect("rows")
            .map(|v| u64::try_from(v.expect("row")).expect("positive"))
            .collect();
        assert_eq!(counted, applied, "each recorded migration ran exactly once");
    }
    let report = CRASH
        .migrator()
        .backup(false)
        .run(&mut conn)
        .expect("a rerun completes");
    assert_eq!(history(&conn), (1..=40).collect::<Vec<u64>>());
    assert_eq!(report.steps.len(), 40 - applied.len());
    applied.len()
}

fn crash_trials(trials: u32, seed: u64) {
    let dir = tempfile::tempdir().expect("tempdir");
    // How long a whole run takes here, so that kills land all along it.
    let full = dir.path().join("full.db");
    let started = Instant::now();
    let output = child(&full, "crash", "atomic")
        .output()
        .expect("child runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let span = u64::try_from(started.elapsed().as_micros()).expect("fits") * 11 / 10;

    let mut rng = Rng(seed);
    let mut partial = 0;
    for trial in 0..trials {
        let db = dir.path().join(format!("trial-{trial}.db"));
        let mode = if trial % 2 == 0 {
            "atomic"
        } else {
            "per-migration"
        };
        let mut process = child(&db, "crash", mode).spawn().expect("spawn");
        std::thread::sleep(Duration::from_micros(rng.below(span)));
        process.kill().expect("SIGKILL"); // std sends SIGKILL on Unix
        let status = process.wait().expect("wait");
        let applied = check_after_crash(&db);
        if !status.success() && applied > 0 && applied < 40 {
            partial += 1;
        }
        assert!(
            mode == "per-migration" || applied == 0 || applied == 40,
            "atomic mode applied {applied} of 40"
        );
        std::fs::remove_file(&db).expect("remove");
    }
    // The kills must have landed mid-run often enough for the test to mean something.
    assert!(
        partial > 0 || trials < 10,
        "no kill landed between migrations in per-migration mode"
    );
}

#[test]
fn sigkill_at_random_points_never_corrupts_or_half_applies() {
    crash_trials(50, 0x5EED_0001);
}

#[test]
#[ignore = "long: 500 kills; run with `cargo test -- --ignored`"]
fn sigkill_long_run() {
    crash_trials(500, 0x5EED_0002);
}

#[test]
fn eight_processes_migrating_at_once_apply_each_migration_once() {
    for (set, expected) in [("crash", 40), ("basic", 3)] {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("shared.db");
        let go = dir.path().join("go");
        let applied_by_children = all_at_once(&db, set, 8, &go);
        assert_eq!(
            applied_by_children, expected,
            "{set}: each migration applied by exactly one process"
        );
        let conn = Connection::open(&db).expect("open");
        assert_eq!(history(&conn).len(), expected);
        if set == "crash" {
            let counted: i64 = conn
                .query_row("SELECT count(*) FROM counter", [], |r| r.get(0))
                .expect("count");
            assert_eq!(counted, 40);
        } else {
            let entries: i64 = conn
                .query_row("SELECT count(*) FROM entries", [], |r| r.get(0))
                .expect("count");
            assert_eq!(entries, 3, "the seed ran once");
            assert!(
                BASIC
                    .migrator()
                    .pending(&mut Connection::open(&db).expect("open"))
                    .expect("reads")
                    .is_empty()
            );
        }
    }
}

/// Starts `count` children on `db` at the same instant; each must succeed.
/// Returns how many migrations they applied in all.
fn all_at_once(db: &Path, set: &str, count: usize, go: &Path) -> usize {
    let children: Vec<_> = (0..count)
        .map(|_| {
            let mut command = child(db, set, "atomic");
            command.arg(go);
            command.spawn().expect("spawn")
        })
        .collect();
    std::fs::write(go, "").expect("start them all");
    let mut applied = 0;
    for process in children {
        let output = process.wait_with_output().expect("wait");
        assert!(
            output.status.success(),
            "a child failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        applied += String::from_utf8_lossy(&output.stdout)
            .trim()
            .parse::<usize>()
            .expect("count");
    }
    applied
}

/// `trials` rounds of `processes` children migrating a new file of the
/// `once` set together, in `journal_mode`: every migration, the one outside
/// a transaction included, runs exactly once.
fn no_transaction_runs_once(processes: usize, trials: usize, journal_mode: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    for trial in 0..trials {
        let db = dir
            .path()
            .join(format!("{journal_mode}-{processes}-{trial}.db"));
        let conn = Connection::open(&db).expect("open");
        let mode: String = conn
            .query_row(&format!("PRAGMA journal_mode = {journal_mode}"), [], |r| {
                r.get(0)
            })
            .expect("journal mode");
        assert_eq!(mode, journal_mode);
        drop(conn);
        let go = dir
            .path()
            .join(format!("go-{journal_mode}-{processes}-{trial}"));
        let applied = all_at_once(&db, "once", processes, &go);
        assert_eq!(applied, 50, "trial {trial}: the children applied 50 in all");
        let conn = Connection::open(&db).expect("open");
        let counted: Vec<(i64, i64)> = conn
            .prepare(
                "SELECT migration, count(*) FROM counter GROUP BY migration ORDER BY migration",
            )
            .expect("counter")
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("rows")
            .map(|row| row.expect("row"))
            .collect();
        let once: Vec<(i64, i64)> = (1..=50).map(|k| (k, 1)).collect();
        assert_eq!(
            counted, once,
            "trial {trial} ({journal_mode}, {processes} processes)"
        );
        assert_eq!(history(&conn), (1..=50).collect::<Vec<u64>>());
        assert!(
            ONCE.migrator()
                .pending(&mut Connection::open(&db).expect("open"))
                .expect("reads")
                .is_empty()
        );
    }
}

/// 16 processes started together on a new file, 10 times: each Rust
/// migration's function runs exactly once, the one outside a transaction
/// included (only the lock keeps a second process from calling it).
#[test]
fn rust_migrations_run_once_under_16_processes() {
    let dir = tempfile::tempdir().expect("tempdir");
    for trial in 0..10 {
        let db = dir.path().join(format!("rust-{trial}.db"));
        let go = dir.path().join(format!("go-rust-{trial}"));
        let applied = all_at_once(&db, "rust_once", 16, &go);
        assert_eq!(applied, 4, "trial {trial}: the children applied 4 in all");
        let conn = Connection::open(&db).expect("open");
        let counted: Vec<i64> = conn
            .prepare("SELECT migration FROM counter ORDER BY migration")
            .expect("counter")
            .query_map([], |r| r.get(0))
            .expect("rows")
            .map(|row| row.expect("row"))
            .collect();
        assert_eq!(counted, [1, 2, 3, 4], "trial {trial}");
        assert_eq!(history(&conn), [1, 2, 3, 4]);
    }
}

/// The counts in `db`'s `counter`, in order.
fn counted(db: &Path) -> Vec<i64> {
    let conn = Connection::open(db).expect("open");
    let mut statement = conn
        .prepare("SELECT migration FROM counter ORDER BY migration")
        .expect("counter");
    statement
        .query_map([], |r| r.get(0))
        .expect("rows")
        .map(|row| row.expect("row"))
        .collect()
}

/// SIGKILL inside a Rust migration's function. Inside the run's
/// transaction: nothing of the run stays, and the next run applies each
/// migration once. Outside a transaction: its count stays, the history
/// says it started, and the next run refuses instead of calling it again.
#[test]
fn sigkill_inside_a_rust_migration_never_runs_it_twice() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("in-transaction.db");
    let mut process = child(&db, "rust_killed", "atomic").spawn().expect("spawn");
    // Version 2 sleeps 1.5 s inside the run's one transaction.
    std::thread::sleep(Duration::from_millis(700));
    process.kill().expect("SIGKILL");
    process.wait().expect("wait");
    let mut conn = Connection::open(&db).expect("open");
    assert!(
        !table_exists(&conn, "counter"),
        "the transaction was rolled back"
    );
    assert!(RUST_KILLED.migrate(&mut conn).is_ok());
    assert_eq!(counted(&db), [1, 2, 3]);

    let db = dir.path().join("outside.db");
    let mut process = child(&db, "rust_killed", "atomic").spawn().expect("spawn");
    // Versions 1 and 2 commit (1.5 s), then version 3 starts outside a
    // transaction and sleeps 1.5 s after its count.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let conn = Connection::open(&db).expect("open");
        if table_exists(&conn, "counter") && counted(&db).contains(&3) {
            break;
        }
        assert!(Instant::now() < deadline, "version 3 never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    process.kill().expect("SIGKILL");
    process.wait().expect("wait");
    let mut conn = Connection::open(&db).expect("open");
    let error = RUST_KILLED.migrate(&mut conn).expect_err("refused");
    assert!(
        matches!(&error, migrate_runtime::Error::UnresolvedFailure { version, path, .. }
            if version.0 == 3 && path.ends_with("003_slow_outside.rs")),
        "{error:?}"
    );
    assert_eq!(counted(&db), [1, 2, 3], "called once, never again");
}

#[test]
fn a_no_transaction_migration_runs_once_under_16_processes() {
    no_transaction_runs_once(16, 20, "wal");
    no_transaction_runs_once(16, 20, "delete");
}

#[test]
fn a_no_transaction_migration_runs_once_under_32_processes() {
    no_transaction_runs_once(32, 20, "wal");
    no_transaction_runs_once(32, 20, "delete");
}

#[test]
fn sigkill_during_a_backup_never_leaves_a_file_that_looks_like_a_backup() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A database big enough that its backup takes a while.
    let template = dir.path().join("template.db");
    Connection::open(&template)
        .expect("open")
        .execute_batch(
            "CREATE TABLE blobs (id INTEGER PRIMARY KEY, payload BLOB NOT NULL);
             INSERT INTO blobs (payload)
                 WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 10000)
                 SELECT randomblob(4000) FROM n;",
        )
        .expect("fill");
    let db = dir.path().join("app.db");
    std::fs::copy(&template, &db).expect("copy");
    let started = Instant::now();
    let output = child(&db, "basic", "backup").output().expect("child runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let span = u64::try_from(started.elapsed().as_micros()).expect("fits");
    let mut rng = Rng(0x5EED_0003);
    let mut killed_mid_copy = 0;
    for trial in 0..12 {
        let db = dir.path().join(format!("trial-{trial}.db"));
        std::fs::copy(&template, &db).expect("copy");
        let mut process = child(&db, "basic", "backup").spawn().expect("spawn");
        std::thread::sleep(Duration::from_micros(rng.below(span)));
        process.kill().expect("SIGKILL");
        process.wait().expect("wait");
        let partial = std::fs::read_dir(dir.path())
            .expect("list")
            .filter_map(Result::ok)
            .any(|e| e.file_name().to_string_lossy().ends_with(".partial"));
        killed_mid_copy += usize::from(partial);
        for backup in backups_of(&db, None) {
            let conn = Connection::open(&backup).expect("open the backup");
            let rows: i64 = conn
                .query_row("SELECT count(*) FROM blobs", [], |r| r.get(0))
                .unwrap_or_else(|e| {
                    panic!(
                        "trial {trial}: {} is not a whole backup: {e}",
                        backup.display()
                    )
                });
            assert_eq!(
                rows,
                10000,
                "trial {trial}: {} is complete",
                backup.display()
            );
        }
        for entry in std::fs::read_dir(dir.path())
            .expect("list")
            .filter_map(Result::ok)
        {
            if entry.file_name().to_string_lossy().ends_with(".partial") {
                std::fs::remove_file(entry.path()).expect("remove");
            }
        }
    }
    // The kills must have landed during a copy for the test to mean something.
    assert!(killed_mid_copy > 0, "no kill landed during a backup");
}
