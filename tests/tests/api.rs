//! The public API's guarantees: table names are validated before they reach
//! SQL on every path, the lock is held across the whole run, the
//! connection's settings are given back, and the builder rejects what it
//! cannot honour.

use std::time::Duration;

use migrate_runtime::{Error, HistoryStore, TableName, Version};
use migrate_tests::{BASIC, EDITED, FAILING, NO_TX, dump, history, table_exists};

use migrate_tests::sqlite_file as database;

const CRAFTED: &str = r#"x" (id INTEGER); DROP TABLE users; --"#;

#[test]
fn a_crafted_table_name_never_reaches_sql() {
    let (_dir, mut conn) = database();
    conn.execute_batch(
        "CREATE TABLE users (id INTEGER PRIMARY KEY); INSERT INTO users VALUES (1);",
    )
    .expect("users");
    let before = dump(&conn).expect("dump");
    let migrator = BASIC.migrator().table(CRAFTED);
    let refused = [
        migrator.run(&mut conn).map(drop),
        migrator.status(&mut conn).map(drop),
        migrator.pending(&mut conn).map(drop),
        migrator.down(&mut conn).map(drop),
        migrator.baseline(&mut conn, Version(1)).map(drop),
        BASIC
            .migrator()
            .table(CRAFTED)
            .dry_run(true)
            .run(&mut conn)
            .map(drop),
    ];
    for result in refused {
        match result {
            Err(Error::InvalidTableName(name)) => assert_eq!(name, CRAFTED),
            other => panic!("expected InvalidTableName, got {other:?}"),
        }
    }
    // The backend itself only takes a validated name: the one way to make
    // one refuses the crafted text (and a compile-fail case shows that a
    // `&str` does not compile).
    assert!(matches!(
        TableName::new(CRAFTED),
        Err(Error::InvalidTableName(_))
    ));
    assert_eq!(
        dump(&conn).expect("dump"),
        before,
        "users is intact, nothing was created"
    );
}

#[test]
fn a_schema_qualified_table_name_works_on_an_attached_database() {
    let (dir, mut conn) = database();
    conn.execute(
        "ATTACH DATABASE ?1 AS meta",
        [dir.path().join("meta.db").to_string_lossy()],
    )
    .expect("attach");
    let migrator = BASIC.migrator().table("meta.history");
    migrator.run(&mut conn).expect("migrates");
    let recorded: i64 = conn
        .query_row("SELECT count(*) FROM meta.history", [], |r| r.get(0))
        .expect("history in the attached database");
    assert_eq!(recorded, 3);
    assert!(!table_exists(&conn, "schema_migrations"));
    assert!(migrator.pending(&mut conn).expect("reads").is_empty());
    let table = TableName::new("meta.history").expect("valid");
    // The backend's own read, awaited on a runtime of the test's.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let applied = runtime
        .block_on(conn.read_applied(&table, Duration::from_secs(1)))
        .expect("reads");
    assert_eq!(applied.len(), 3);
}

#[test]
fn the_lock_is_held_across_the_whole_run_and_released_after() {
    let (dir, mut conn) = database();
    let lock_path = dir.path().join("app.db-migrate-lock");
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let record = seen.clone();
    let probe = lock_path.clone();
    // NO_TX: version 2 runs VACUUM outside any transaction; the lock must be
    // held then too.
    NO_TX
        .migrator()
        .on_progress(move |step| {
            let file = std::fs::File::open(&probe).expect("the lock file exists");
            let held = matches!(file.try_lock(), Err(std::fs::TryLockError::WouldBlock));
            record.lock().expect("lock").push((step.version, held));
        })
        .run(&mut conn)
        .expect("migrates");
    let seen = seen.lock().expect("lock").clone();
    assert_eq!(seen.len(), 3);
    assert!(
        seen.iter().all(|(_, held)| *held),
        "held at every step: {seen:?}"
    );
    let file = std::fs::File::open(&lock_path).expect("lock file");
    file.try_lock().expect("free after the run");
}

#[test]
fn a_held_migration_lock_times_out_with_the_configured_bound() {
    let (dir, mut conn) = database();
    let holder = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.path().join("app.db-migrate-lock"))
        .expect("lock file");
    holder.lock().expect("another migrator holds it");
    let before = dump(&conn).expect("dump");
    let error = BASIC
        .migrator()
        .busy_timeout(Duration::from_millis(300))
        .run(&mut conn)
        .expect_err("locked");
    match error {
        Error::Locked { waited, .. } => {
            assert!(waited >= Duration::from_millis(300), "{waited:?}");
            assert!(waited < Duration::from_secs(5), "{waited:?}");
        }
        other => panic!("expected Locked, got {other}"),
    }
    assert_eq!(dump(&conn).expect("dump"), before);
    drop(holder);
    BASIC
        .migrate(&mut conn)
        .expect("migrates once the lock is free");
}

#[test]
fn the_connections_busy_timeout_is_given_back() {
    let (_dir, mut conn) = database();
    conn.busy_timeout(Duration::from_millis(1234)).expect("set");
    BASIC
        .migrator()
        .busy_timeout(Duration::from_secs(7))
        .run(&mut conn)
        .expect("migrates");
    let after: i64 = conn
        .query_row("PRAGMA busy_timeout", [], |r| r.get(0))
        .expect("read");
    assert_eq!(after, 1234);
}

#[test]
fn a_target_means_down_to_for_down_and_is_refused_where_it_means_nothing() {
    let (_dir, mut conn) = database();
    BASIC.migrate(&mut conn).expect("migrates");
    let report = BASIC
        .migrator()
        .to(Version(1))
        .down(&mut conn)
        .expect("reverts to 1");
    assert_eq!(report.to, Some(Version(1)));
    assert_eq!(history(&conn), [1]);
    let targeted = BASIC.migrator().to(Version(1));
    for (operation, result) in [
        ("redo", targeted.redo(&mut conn)),
        ("reset", targeted.reset(&mut conn)),
        ("down_steps", targeted.down_steps(&mut conn, 1)),
        ("baseline", targeted.baseline(&mut conn, Version(3))),
    ] {
        match result {
            Err(error @ Error::TargetNotUsed { .. }) => assert_eq!(
                error.to_string(),
                format!(
                    "`to(…)` has no meaning for `{operation}`; remove it, or revert to a version with `down_to(…)`"
                )
            ),
            other => panic!("{operation}: expected TargetNotUsed, got {other:?}"),
        }
    }
    assert_eq!(history(&conn), [1], "nothing changed");
}

#[test]
fn keep_backups_zero_keeps_the_backup_just_written() {
    let (dir, mut conn) = database();
    BASIC.migrator().to(Version(1)).run(&mut conn).expect("1");
    let report = BASIC
        .migrator()
        .keep_backups(0)
        .run(&mut conn)
        .expect("2, 3");
    let backup = report.backup.expect("a backup");
    assert!(backup.exists());
    assert_eq!(
        migrate_runtime::backups_of(&dir.path().join("app.db"), None),
        [backup]
    );
}

#[test]
fn the_busy_timeout_is_given_back_on_every_path() {
    let (_dir, mut conn) = database();
    conn.busy_timeout(Duration::from_millis(4321)).expect("set");
    let migrator = FAILING.migrator().busy_timeout(Duration::from_secs(3));
    migrator.run(&mut conn).expect_err("version 3 fails");
    migrator.status(&mut conn).expect("status");
    migrator.pending(&mut conn).expect("pending");
    migrator.adopt(&mut conn).expect_err("nothing to adopt");
    migrator.down(&mut conn).expect("down");
    let after: i64 = conn
        .query_row("PRAGMA busy_timeout", [], |r| r.get(0))
        .expect("read");
    assert_eq!(after, 4321);
}

/// `fn main() -> Result<(), Box<dyn Error>>` prints `Error: ` and the
/// error's `Debug`: that is the sentence. The driver's own error is its
/// `source()`, for a caller to inspect (SQLite's code, say).
#[test]
fn an_error_returned_from_main_prints_its_sentence() {
    let (_dir, mut conn) = database();
    let error = FAILING.migrate(&mut conn).expect_err("version 3 fails");
    let Error::MigrationFailed { statement, .. } = &error else {
        panic!("{error}");
    };
    assert_eq!(
        format!("{error:?}"),
        format!("{error}\n  in statement: {statement}")
    );
    assert!(
        !error.to_string().contains('\n'),
        "Display is one line: {error}"
    );
    let source = std::error::Error::source(&error).expect("the driver's error is the source");
    let sqlite = source
        .downcast_ref::<migrate_runtime::rusqlite::Error>()
        .expect("a rusqlite::Error");
    assert!(error.to_string().contains(&sqlite.to_string()), "{error}");
    BASIC.migrate(&mut conn).expect("migrates");
    let refused = EDITED.migrate(&mut conn).expect_err("drift");
    assert_eq!(format!("{refused:?}"), refused.to_string());
    assert!(
        !format!("{refused:?}").contains("ChecksumMismatch {"),
        "{refused:?}"
    );
}
