//! Every capability of the runtime against real SQLite files.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use migrate_runtime::rusqlite::Connection;
use migrate_runtime::{Change, State, Version};
use migrate_tests::{BASIC, ENVS, FAILING, NO_TX, NO_TX_FAILING, dump, history, table_exists};

use migrate_tests::sqlite_file as database;

#[test]
fn migrate_applies_everything_and_records_it() {
    let (_dir, mut conn) = database();
    let report = BASIC.migrate(&mut conn).expect("migrates");
    assert_eq!(report.from, None);
    assert_eq!(report.to, Some(Version(3)));
    let steps: Vec<_> = report
        .steps
        .iter()
        .map(|s| (s.version.0, &*s.name, s.change))
        .collect();
    assert_eq!(
        steps,
        [
            (1, "accounts", Change::Up),
            (2, "entries", Change::Up),
            (3, "seed", Change::Up)
        ]
    );
    assert!(report.steps.iter().all(|s| s.transaction));
    assert_eq!(history(&conn), [1, 2, 3]);
    let (name, checksum, applied_at, micros): (String, String, String, i64) = conn
        .query_row(
            "SELECT name, checksum, applied_at, execution_time_us FROM schema_migrations WHERE version = 2",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .expect("row");
    assert_eq!(name, "entries");
    assert_eq!(
        checksum,
        BASIC.get(Version(2)).expect("2").checksum().to_string()
    );
    assert!(
        applied_at.ends_with('Z') && applied_at.len() == 24,
        "{applied_at}"
    );
    assert!(micros >= 0);
    let entries: i64 = conn
        .query_row("SELECT count(*) FROM entries", [], |r| r.get(0))
        .expect("count");
    assert_eq!(entries, 3);
    let text = report.to_string();
    assert!(
        text.starts_with("moved the database from version none (no migration applied) to 3 in "),
        "{text}"
    );
    assert!(text.contains("  up       2 entries "), "{text}");
}

#[test]
fn a_second_run_has_nothing_to_do() {
    let (_dir, mut conn) = database();
    BASIC.migrate(&mut conn).expect("migrates");
    let report = BASIC.migrate(&mut conn).expect("runs");
    assert!(report.is_empty());
    assert_eq!(report.backup, None);
    assert_eq!(
        report.to_string(),
        "nothing to do: the database is at version 3\n"
    );
}

#[test]
fn target_version_applies_up_to_it() {
    let (_dir, mut conn) = database();
    let report = BASIC
        .migrator()
        .to(Version(2))
        .run(&mut conn)
        .expect("migrates");
    assert_eq!(report.to, Some(Version(2)));
    assert_eq!(history(&conn), [1, 2]);
    assert!(BASIC.migrator().has_pending(&mut conn).expect("reads"));
    let pending: Vec<u64> = BASIC
        .migrator()
        .pending(&mut conn)
        .expect("reads")
        .iter()
        .map(|m| m.version().0)
        .collect();
    assert_eq!(pending, [3]);
    BASIC.migrate(&mut conn).expect("migrates");
    assert!(!BASIC.migrator().has_pending(&mut conn).expect("reads"));
}

#[test]
fn down_redo_and_reset() {
    let (_dir, mut conn) = database();
    BASIC.migrate(&mut conn).expect("migrates");

    let report = BASIC.migrator().down(&mut conn).expect("reverts");
    assert_eq!(
        (report.from, report.to),
        (Some(Version(3)), Some(Version(2)))
    );
    assert_eq!(report.steps[0].change, Change::Down);
    assert_eq!(report.steps[0].path, "migrations/basic/003_seed.sql");
    assert_eq!(history(&conn), [1, 2]);
    let accounts: i64 = conn
        .query_row("SELECT count(*) FROM accounts", [], |r| r.get(0))
        .expect("count");
    assert_eq!(accounts, 0);

    BASIC.migrate(&mut conn).expect("migrates");
    let report = BASIC.migrator().redo(&mut conn).expect("redoes");
    let steps: Vec<_> = report
        .steps
        .iter()
        .map(|s| (s.version.0, s.change))
        .collect();
    assert_eq!(steps, [(3, Change::Down), (3, Change::Up)]);
    assert_eq!(history(&conn), [1, 2, 3]);

    let report = BASIC
        .migrator()
        .down_to(&mut conn, Version(1))
        .expect("reverts");
    assert_eq!(
        report.steps.iter().map(|s| s.version.0).collect::<Vec<_>>(),
        [3, 2]
    );
    assert_eq!(history(&conn), [1]);
    assert!(!table_exists(&conn, "entries"));

    BASIC.migrate(&mut conn).expect("migrates");
    let report = BASIC.migrator().down_steps(&mut conn, 2).expect("reverts");
    assert_eq!(report.to, Some(Version(1)));

    let report = BASIC.migrator().reset(&mut conn).expect("resets");
    assert_eq!(report.to, None);
    assert!(history(&conn).is_empty());
    assert!(!table_exists(&conn, "accounts"));
    assert!(
        BASIC
            .migrator()
            .down(&mut conn)
            .expect("nothing to revert")
            .is_empty()
    );
}

#[test]
fn baseline_records_without_running() {
    let (_dir, mut conn) = database();
    // A database that already has the schema of versions 1 and 2.
    conn.execute_batch(
        "CREATE TABLE accounts (id INTEGER PRIMARY KEY, owner TEXT NOT NULL);
         CREATE TABLE entries (id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE, amount INTEGER NOT NULL);
         CREATE INDEX entries_account ON entries (account_id);",
    )
    .expect("schema");
    let report = BASIC
        .migrator()
        .baseline(&mut conn, Version(2))
        .expect("baselines");
    assert_eq!(
        report
            .steps
            .iter()
            .map(|s| (s.version.0, s.change))
            .collect::<Vec<_>>(),
        [(1, Change::Baseline), (2, Change::Baseline)]
    );
    // The history is what a mistaken baseline or force loses: backed up.
    let backup = report.backup.expect("a backup before the history changes");
    let copy = migrate_runtime::rusqlite::Connection::open(&backup).expect("the backup opens");
    assert!(
        !migrate_tests::table_exists(&copy, "schema_migrations"),
        "taken before the change"
    );
    assert_eq!(history(&conn), [1, 2]);
    let report = BASIC.migrate(&mut conn).expect("migrates the rest");
    assert_eq!(report.steps.len(), 1);
    let error = BASIC
        .migrator()
        .baseline(&mut conn, Version(1))
        .expect_err("below current");
    assert_eq!(
        error.to_string(),
        "cannot baseline at version 1: version 3 is already applied; a baseline marks versions as applied, it does not revert"
    );
}

#[test]
fn dry_run_changes_nothing_and_shows_the_sql() {
    let (dir, mut conn) = database();
    let before = dump(&conn).expect("dump");
    let report = BASIC
        .migrator()
        .dry_run(true)
        .run(&mut conn)
        .expect("plans");
    assert!(report.dry_run);
    assert_eq!(report.steps.len(), 3);
    assert_eq!(dump(&conn).expect("dump"), before);
    assert!(!table_exists(&conn, "schema_migrations"));
    assert_eq!(
        std::fs::read_dir(dir.path()).expect("dir").count(),
        1,
        "no backup"
    );
    let text = report.to_string();
    assert!(
        text.starts_with(
            "dry run: would move the database from version none (no migration applied) to 3\n"
        ),
        "{text}"
    );
    assert!(text.contains("      -- migrations/basic/002_entries.sql:7\n      CREATE INDEX entries_account ON entries (account_id);"), "{text}");
}

#[test]
fn environments_add_their_migrations() {
    let (_dir, mut conn) = database();
    ENVS.migrate(&mut conn).expect("base set");
    assert_eq!(history(&conn), [1, 3]);
    let (_dir2, mut test_conn) = database();
    let report = ENVS
        .migrator()
        .environment("test")
        .run(&mut test_conn)
        .expect("test set");
    assert_eq!(report.steps.len(), 3);
    let owner: String = test_conn
        .query_row("SELECT owner FROM accounts", [], |r| r.get(0))
        .expect("row");
    assert_eq!(owner, "test-user");
    let error = ENVS
        .migrator()
        .to(Version(2))
        .run(&mut conn)
        .expect_err("2 is not in the base set");
    assert_eq!(
        error.to_string(),
        "no migration has version 2; use one of the versions this binary has (`status` lists them)"
    );
}

#[test]
fn custom_history_table() {
    let (_dir, mut conn) = database();
    BASIC
        .migrator()
        .table("_migrations")
        .run(&mut conn)
        .expect("migrates");
    assert!(table_exists(&conn, "_migrations"));
    assert!(!table_exists(&conn, "schema_migrations"));
    assert!(
        BASIC
            .migrator()
            .table("_migrations")
            .run(&mut conn)
            .expect("runs")
            .is_empty()
    );
    let error = BASIC
        .migrator()
        .table("bad name\"")
        .run(&mut conn)
        .expect_err("refused");
    assert_eq!(
        error.to_string(),
        "history table name `bad name\"` must be letters, digits and `_`, not starting with a digit"
    );
}

#[test]
fn a_table_that_is_not_a_history_table_is_refused() {
    let (_dir, mut conn) = database();
    conn.execute_batch("CREATE TABLE schema_migrations (id INTEGER)")
        .expect("table");
    let error = BASIC.migrate(&mut conn).expect_err("refused");
    assert!(
        matches!(error, migrate_runtime::Error::InvalidHistory { .. }),
        "{error}"
    );
}

#[test]
fn progress_is_reported_per_migration() {
    let (_dir, mut conn) = database();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    BASIC
        .migrator()
        .on_progress(move |step| sink.lock().expect("lock").push(step.version.0))
        .run(&mut conn)
        .expect("migrates");
    assert_eq!(*seen.lock().expect("lock"), [1, 2, 3]);
}

#[test]
fn per_migration_mode_keeps_what_came_before_a_failure() {
    let (_dir, mut conn) = database();
    let error = FAILING
        .migrator()
        .per_migration(true)
        .run(&mut conn)
        .expect_err("fails");
    assert!(matches!(
        error,
        migrate_runtime::Error::MigrationFailed {
            version: Version(3),
            rolled_back: true,
            ..
        }
    ));
    assert_eq!(history(&conn), [1, 2]);
    let accounts: i64 = conn
        .query_row("SELECT count(*) FROM accounts", [], |r| r.get(0))
        .expect("count");
    assert_eq!(accounts, 0, "migration 3 itself was rolled back");
}

#[test]
fn no_transaction_migrations_run_outside_and_say_so() {
    let (_dir, mut conn) = database();
    let report = NO_TX
        .migrate(&mut conn)
        .expect("VACUUM runs outside a transaction");
    let outside: Vec<_> = report
        .steps
        .iter()
        .map(|s| (s.version.0, s.transaction))
        .collect();
    assert_eq!(outside, [(1, true), (2, false), (3, true)]);
    assert!(report.to_string().contains("(outside a transaction)"));
    assert_eq!(history(&conn), [1, 2, 3]);
    NO_TX.migrator().down(&mut conn).expect("reverts 3");
    let report = NO_TX
        .migrator()
        .down(&mut conn)
        .expect("reverts 2 outside a transaction");
    assert!(!report.steps[0].transaction);
    assert_eq!(history(&conn), [1]);
}

#[test]
fn a_failure_outside_a_transaction_says_what_stays_applied() {
    let (_dir, mut conn) = database();
    let error = NO_TX_FAILING.migrate(&mut conn).expect_err("fails");
    assert!(matches!(
        error,
        migrate_runtime::Error::MigrationFailed {
            version: Version(2),
            line: 4,
            rolled_back: false,
            ..
        }
    ));
    assert_eq!(
        error.to_string(),
        "migrations/no_tx_failing/002_outside.sql:4: no such table: missing; \
         this migration runs outside a transaction: statements before this one stay applied, \
         and it is recorded as failed until it is resolved \
         (`resolve(Version(2), Resolution::Applied)` or `…Pending`); \
         migration 1 was committed before it and stays applied"
    );
    // Version 1 committed before the migration outside a transaction began;
    // its first statement stays, and it is recorded as failed.
    assert_eq!(history(&conn), [1, 2]);
    assert!(table_exists(&conn, "b"));
    let status = NO_TX_FAILING.status(&mut conn).expect("status");
    let failed = &status.entries[1];
    assert_eq!(failed.state, migrate_runtime::State::Failed);
    assert_eq!(
        failed.failure.as_deref(),
        Some(
            "failed at statement 2 of 2 (migrations/no_tx_failing/002_outside.sql:4): no such table: missing"
        )
    );

    // No run goes on over the half-applied migration.
    let refused = NO_TX_FAILING.migrate(&mut conn).expect_err("refused");
    assert!(
        matches!(
            refused,
            migrate_runtime::Error::UnresolvedFailure {
                version: Version(2),
                ..
            }
        ),
        "{refused}"
    );
    assert!(
        refused
            .to_string()
            .contains("`resolve(Version(2), Resolution::Pending)` if you undid it")
    );
    // Undone by hand, then pending again: the next run fails the same way.
    conn.execute_batch("DROP TABLE b").expect("undo by hand");
    NO_TX_FAILING
        .migrator()
        .resolve(&mut conn, Version(2), migrate_runtime::Resolution::Pending)
        .expect("resolve");
    assert_eq!(history(&conn), [1]);
    NO_TX_FAILING.migrate(&mut conn).expect_err("fails again");
    // Completed by hand: applied.
    NO_TX_FAILING
        .migrator()
        .resolve(&mut conn, Version(2), migrate_runtime::Resolution::Applied)
        .expect("resolve");
    assert_eq!(history(&conn), [1, 2]);
    NO_TX_FAILING
        .migrate(&mut conn)
        .expect("nothing refused any more");
    let not_failed = NO_TX_FAILING
        .migrator()
        .resolve(&mut conn, Version(2), migrate_runtime::Resolution::Applied)
        .expect_err("not failed");
    assert!(matches!(
        not_failed,
        migrate_runtime::Error::NotFailed { .. }
    ));
}

#[test]
fn a_held_lock_times_out_with_a_typed_error() {
    let (dir, mut conn) = database();
    let holder = Connection::open(dir.path().join("app.db")).expect("open");
    holder
        .execute_batch("BEGIN IMMEDIATE; CREATE TABLE held (x INTEGER);")
        .expect("lock");
    let error = BASIC
        .migrator()
        .busy_timeout(Duration::from_millis(100))
        .run(&mut conn)
        .expect_err("locked");
    match &error {
        migrate_runtime::Error::Locked { waited, .. } => {
            assert!(*waited >= Duration::from_millis(90), "{waited:?}");
        }
        other => panic!("expected Locked, got {other}"),
    }
    assert!(
        error
            .to_string()
            .starts_with("the database is locked by another connection")
    );
    holder.execute_batch("ROLLBACK").expect("release");
    BASIC
        .migrate(&mut conn)
        .expect("migrates once the lock is free");
}

/// SQLite's answer to a long transaction in front of a migration: in WAL
/// mode a reader holding a snapshot never blocks the migration (readers and
/// the writer do not wait for each other), so a migration with a wait far
/// shorter than the reader's transaction completes while the reader is
/// still open; and the reader, still on its snapshot, is not blocked either.
/// A long writer makes the migration wait, bounded by `busy_timeout`
/// (`a_held_lock_times_out_with_a_typed_error`).
#[test]
fn a_long_reader_in_wal_mode_does_not_block_the_migration() {
    let (dir, mut conn) = database();
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .expect("wal");
    assert_eq!(mode, "wal");
    BASIC
        .migrator()
        .to(Version(1))
        .run(&mut conn)
        .expect("version 1");
    let reader = Connection::open(dir.path().join("app.db")).expect("open");
    reader
        .execute_batch("BEGIN; SELECT count(*) FROM accounts;")
        .expect("a reader's open transaction");
    let report = BASIC
        .migrator()
        .busy_timeout(Duration::from_millis(50))
        .run(&mut conn)
        .expect("not blocked by the reader");
    assert_eq!(report.to, Some(Version(3)));
    let seen: i64 = reader
        .query_row("SELECT count(*) FROM schema_migrations", [], |r| r.get(0))
        .expect("the reader reads on");
    assert_eq!(seen, 1, "the reader still sees its snapshot");
    reader.execute_batch("COMMIT").expect("the reader ends");
    assert_eq!(history(&conn), [1, 2, 3]);
}

#[test]
fn status_shows_applied_pending_and_drift() {
    let (_dir, mut conn) = database();
    BASIC
        .migrator()
        .to(Version(2))
        .run(&mut conn)
        .expect("migrates");
    let status = BASIC.status(&mut conn).expect("status");
    assert_eq!(status.current, Some(Version(2)));
    let rows: Vec<_> = status
        .entries
        .iter()
        .map(|e| (e.version.0, e.state, e.drift))
        .collect();
    assert_eq!(
        rows,
        [
            (1, State::Applied, false),
            (2, State::Applied, false),
            (3, State::Pending, false)
        ]
    );
    assert!(status.entries[0].applied_at.is_some());
    assert!(!status.has_drift());
    let text = status.to_string();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "database at version 2");
    assert!(
        lines[1].starts_with("version  name      state    applied at (UTC)"),
        "{text}"
    );
    assert!(
        lines[4].starts_with("      3  seed      pending  -"),
        "{text}"
    );

    // Drift: the history holds a checksum that is not the file's.
    conn.execute(
        "UPDATE schema_migrations SET checksum = 'abc' WHERE version = 1",
        [],
    )
    .expect("tamper");
    let status = BASIC.status(&mut conn).expect("status");
    assert!(status.entries[0].drift);
    assert!(
        status
            .to_string()
            .contains("DRIFT: file edited after it was applied")
    );

    let json = serde_json::to_value(&status).expect("serialises");
    assert_eq!(json["current"], 2);
    assert_eq!(json["entries"][0]["drift"], true);
    assert_eq!(json["entries"][2]["state"], "pending");
}

#[test]
fn in_memory_databases_migrate_without_a_backup() {
    let mut conn = Connection::open_in_memory().expect("open");
    let report = BASIC.migrate(&mut conn).expect("migrates");
    assert_eq!(report.backup, None);
    assert_eq!(report.steps.len(), 3);
}

#[test]
fn a_timeout_interrupts_sqlite_and_rolls_back() {
    let (_dir, mut conn) = database();
    let started = std::time::Instant::now();
    let error = migrate_tests::SLOW_SQLITE
        .migrate(&mut conn)
        .expect_err("interrupted");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(
        matches!(
            error,
            migrate_runtime::Error::TimedOut {
                rolled_back: true,
                ..
            }
        ),
        "{error}"
    );
    assert!(!table_exists(&conn, "counted"));
}
