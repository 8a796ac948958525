//! Faults found by hostile testing: each gets its own typed error that says
//! what is wrong, and leaves the database as it was.

use std::borrow::Cow;
use std::path::Path;
use std::time::{Duration, Instant};

use migrate_runtime::rusqlite::{Connection, OpenFlags};
use migrate_runtime::{Error, Migration, Migrations, Statement, Version, backups_of};
use migrate_tests::{BASIC, file_unchanged, history};

use migrate_tests::sqlite_path as database;

#[test]
fn a_statement_with_a_nul_byte_fails_instead_of_running_in_part() {
    // The macro refuses such a file (a compile error); a set built at run
    // time reaches the backend, which must refuse it too.
    let sql = "INSERT INTO t VALUES (1);\0INSERT INTO t VALUES (2);";
    let set = migrate_core::MigrationSet {
        allowed: std::collections::BTreeMap::new(),
        history_before: None,
        ignored: Vec::new(),
        dir: "migrations".to_owned(),
        scheme: migrate_core::Scheme::Sequential,
        migrations: vec![Migration {
            version: Version(1),
            name: Cow::Borrowed("nul"),
            environment: None,
            up_path: Cow::Borrowed("migrations/001_nul.sql"),
            down_path: None,
            up: Cow::Owned(vec![
                Statement {
                    sql: Cow::Borrowed("CREATE TABLE t (x INT);"),
                    line: 2,
                },
                Statement {
                    sql: Cow::Borrowed(sql),
                    line: 3,
                },
            ]),
            down: None,
            no_transaction: false,
            foreign_keys_off: false,
            unordered: false,
            checksum: migrate_core::Checksum([0; 32]),
            up_file_sha384: [0; 48],
            up_file_text: None,
            timeout: None,
            lock_timeout: None,
            idempotent: None,
            no_check: None,
            rust: false,
        }],
        files: Vec::new(),
    };
    let migrations = Migrations::from_set(set);
    let (_dir, path) = database();
    let mut conn = Connection::open(&path).expect("open");
    let error = migrations.migrate(&mut conn).expect_err("refused");
    assert_eq!(
        error.to_string(),
        "migrations/001_nul.sql:3: the statement has a NUL byte at offset 25, where SQLite would stop \
         reading it; nothing of it ran; the database was rolled back to where it was before this run's transaction"
    );
    let tables: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
        .expect("count");
    assert_eq!(tables, 0, "nothing was created or recorded");
}

/// A connection in rollback-journal mode that holds SQLite's exclusive lock
/// on `path` until it is dropped.
fn exclusive_holder(path: &Path) -> Connection {
    let holder = Connection::open(path).expect("open");
    holder
        .execute_batch("CREATE TABLE IF NOT EXISTS busy (x INT); BEGIN EXCLUSIVE; INSERT INTO busy VALUES (1);")
        .expect("exclusive lock");
    holder
}

#[test]
fn the_first_history_read_waits_the_configured_time_and_says_how_long() {
    let (_dir, path) = database();
    let mut conn = Connection::open(&path).expect("open");
    // Used before, so that its statements are prepared and cached.
    BASIC.migrate(&mut conn).expect("migrates");
    let holder = exclusive_holder(&path);
    let started = Instant::now();
    let error = BASIC
        .migrator()
        .busy_timeout(Duration::from_millis(400))
        .run(&mut conn)
        .expect_err("locked");
    let took = started.elapsed();
    match &error {
        Error::Locked { waited, .. } => {
            assert!(*waited >= Duration::from_millis(400), "{waited:?}");
            let said = format!("stayed locked for {:.1} s", waited.as_secs_f64());
            assert!(error.to_string().contains(&said), "{error}");
            assert!(
                took < Duration::from_secs(3),
                "{took:?}: not rusqlite's fixed 5 s"
            );
        }
        other => panic!("expected Locked, got {other}"),
    }
    drop(holder);
}

#[test]
fn a_wait_longer_than_five_seconds_is_honoured() {
    let (_dir, path) = database();
    let mut conn = Connection::open(&path).expect("open");
    let holder = exclusive_holder(&path);
    let releaser = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(5500));
        drop(holder);
    });
    let report = BASIC
        .migrator()
        .busy_timeout(Duration::from_secs(20))
        .run(&mut conn)
        .expect("waits past rusqlite's default 5 s, then migrates");
    assert_eq!(report.to, Some(Version(3)));
    releaser.join().expect("releaser");
}

#[test]
fn a_file_that_is_not_a_database_is_said_to_be_one() {
    let (_dir, path) = database();
    std::fs::write(&path, "name,email\nada,ada@example.com\n".repeat(20)).expect("write");
    let error = file_unchanged(&path, |conn| BASIC.migrate(conn).expect_err("refused"));
    assert!(matches!(error, Error::NotADatabase { .. }), "{error:?}");
    assert_eq!(
        error.to_string(),
        "the database file is not an SQLite database (file is not a database); check the path, \
         and that the file is not encrypted; nothing was changed"
    );
    let status = BASIC.status(&mut Connection::open(&path).expect("open"));
    assert!(
        matches!(status, Err(Error::NotADatabase { .. })),
        "{status:?}"
    );
}

#[test]
fn a_truncated_database_is_said_to_be_damaged() {
    let (_dir, path) = database();
    {
        let mut conn = Connection::open(&path).expect("open");
        BASIC.migrate(&mut conn).expect("migrates");
        conn.execute_batch("CREATE TABLE filler (x BLOB); INSERT INTO filler SELECT randomblob(3000) FROM (SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4);")
            .expect("filler");
    }
    let bytes = std::fs::read(&path).expect("read");
    std::fs::write(&path, &bytes[..bytes.len() / 2]).expect("truncate");
    let error = file_unchanged(&path, |conn| BASIC.migrate(conn).expect_err("refused"));
    assert!(
        matches!(
            error,
            Error::CorruptDatabase { .. } | Error::NotADatabase { .. }
        ),
        "{error:?}"
    );
    assert!(!error.to_string().contains("history table"), "{error}");
}

#[test]
fn a_folder_that_cannot_take_new_files_is_said_to_be_one() {
    // Running as root, permissions cannot make a folder unwritable; a folder
    // removed under an open connection refuses new files the same way.
    let dir = tempfile::tempdir().expect("tempdir");
    let folder = dir.path().join("data");
    std::fs::create_dir(&folder).expect("mkdir");
    let mut conn = Connection::open(folder.join("app.db")).expect("open");
    BASIC.migrator().to(Version(1)).run(&mut conn).expect("1");
    std::fs::remove_dir_all(&folder).expect("remove the folder");
    let error = BASIC.migrate(&mut conn).expect_err("refused");
    assert!(matches!(error, Error::CannotOpen { .. }), "{error:?}");
    assert!(
        error
            .to_string()
            .starts_with("cannot open or create the database file or a file beside it"),
        "{error}"
    );
    assert!(
        error
            .to_string()
            .ends_with("check that its folder exists and is writable by this user"),
        "{error}"
    );
}

#[test]
fn a_read_only_database_is_refused_before_any_backup() {
    let (dir, path) = database();
    BASIC
        .migrator()
        .to(Version(1))
        .run(&mut Connection::open(&path).expect("open"))
        .expect("1");
    let bytes = std::fs::read(&path).expect("read");
    let mut conn =
        Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY).expect("read-only");
    let error = BASIC.migrate(&mut conn).expect_err("refused");
    assert!(matches!(error, Error::ReadOnly), "{error:?}");
    assert_eq!(
        error.to_string(),
        "the database is read-only (its file is not writable by this user, or the connection was \
         opened read-only), so it cannot be migrated; nothing was changed and no backup was written"
    );
    assert!(backups_of(&path, None).is_empty(), "no backup");
    assert_eq!(std::fs::read(&path).expect("read"), bytes);
    drop(dir);
}

/// A history table as another tool or a hand edit could leave it: no
/// primary key, so any row fits.
fn hand_made_history(path: &Path, rows: &[(i64, &str)]) {
    let conn = Connection::open(path).expect("open");
    conn.execute_batch(
        "CREATE TABLE schema_migrations (version INTEGER, name TEXT NOT NULL, checksum TEXT NOT NULL, \
         applied_at TEXT NOT NULL, execution_time_us INTEGER NOT NULL)",
    )
    .expect("table");
    for (version, name) in rows {
        let checksum = BASIC
            .get(Version(u64::try_from(*version).unwrap_or(1)))
            .map_or_else(|| "0".repeat(64), |m| m.checksum().to_string());
        conn.execute(
            "INSERT INTO schema_migrations VALUES (?1, ?2, ?3, '2026-01-01T00:00:00.000Z', 1)",
            (version, name, checksum),
        )
        .expect("row");
    }
}

#[test]
fn a_history_row_with_a_negative_version_is_named() {
    let (_dir, path) = database();
    hand_made_history(&path, &[(-1, "odd")]);
    let error = file_unchanged(&path, |conn| BASIC.migrate(conn).expect_err("refused"));
    assert_eq!(
        error.to_string(),
        "the history table `schema_migrations` holds version -1, which is not a \
         migration version; fix or delete that row by hand"
    );
    let status = BASIC.status(&mut Connection::open(&path).expect("open"));
    assert!(
        matches!(status, Err(Error::BadHistoryRow { .. })),
        "{status:?}"
    );
    // Version 0 is a real version (diesel's initial setup, sets numbered
    // from 0): one this binary does not have is an unknown version.
    let (_dir, path) = database();
    hand_made_history(&path, &[(0, "setup")]);
    let error = file_unchanged(&path, |conn| BASIC.migrate(conn).expect_err("refused"));
    assert!(matches!(error, Error::UnknownVersion { .. }), "{error:?}");
}

#[test]
fn duplicate_history_rows_are_refused_by_every_operation() {
    let (_dir, path) = database();
    {
        let mut conn = Connection::open(&path).expect("open");
        BASIC.migrator().to(Version(1)).run(&mut conn).expect("1");
        conn.execute_batch("DROP TABLE schema_migrations")
            .expect("drop");
    }
    hand_made_history(&path, &[(1, "accounts"), (1, "accounts")]);
    for operation in ["run", "reset", "down"] {
        let error = file_unchanged(&path, |conn| {
            let migrator = BASIC.migrator();
            match operation {
                "run" => migrator.run(conn),
                "reset" => migrator.reset(conn),
                _ => migrator.down(conn),
            }
            .expect_err("refused")
        });
        assert_eq!(
            error.to_string(),
            "the history table records version 1 more than once; delete the duplicate row by hand",
            "{operation}"
        );
    }
}

#[test]
fn a_busy_timeout_beyond_what_sqlite_takes_does_not_panic() {
    let (_dir, path) = database();
    let mut conn = Connection::open(&path).expect("open");
    let report = BASIC
        .migrator()
        .busy_timeout(Duration::MAX)
        .run(&mut conn)
        .expect("migrates");
    assert_eq!(report.to, Some(Version(3)));
    assert_eq!(history(&conn), [1, 2, 3]);
}

#[test]
fn a_partial_backup_is_never_counted_as_a_backup() {
    let (dir, path) = database();
    BASIC
        .migrator()
        .to(Version(1))
        .run(&mut Connection::open(&path).expect("open"))
        .expect("1");
    // What a run killed during its copy leaves.
    std::fs::write(
        dir.path()
            .join(".app.db.backup-v1-20260101T000000000Z.partial"),
        "half",
    )
    .expect("write");
    let report = BASIC
        .migrate(&mut Connection::open(&path).expect("open"))
        .expect("migrates");
    let written = report.backup.expect("a backup");
    assert_eq!(backups_of(&path, None), std::slice::from_ref(&written));
    let name = written
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    assert!(
        name.starts_with("app.db.backup-") && name[22..].starts_with("-v1-"),
        "{name}"
    );
    assert!(
        !dir.path().join(format!(".{name}.partial")).exists(),
        "the partial name is gone after the rename"
    );
}
