//! SQLite's connection state across a run, on real files: foreign keys
//! off for exactly the migration that asks (checked after it, in a
//! transaction or not, and on again for the next); a Rust function that
//! ends the run's transaction stops the run, and the history never lies;
//! a Rust function past its time limit is stopped; backups named for their
//! database and pruned by this crate's own names only; the application's
//! busy handler kept; a shared-cache database's lock a typed error.

use std::cell::Cell;
use std::time::Duration;

use migrate_runtime::rusqlite::Connection;
use migrate_runtime::{Error, Migrations, Resolution, Version, backups_of};
use migrate_tests::{RUST_SQLITE_SLOW, RUST_SQLITE_TX, generated, history, sqlite_path};

/// Owners and their pets (a cascading foreign key) and `misc`; a
/// `ForeignKeys off` rebuild of `misc` (2, outside a transaction when
/// `outside`, and then leaving `extra` in an orphan pet); owner 1 deleted (3).
fn pets(outside: bool) -> Migrations {
    let mode = if outside {
        "-- +migrate NoTransaction\n"
    } else {
        ""
    };
    let orphan = if outside {
        "INSERT INTO pet (id, owner) VALUES (11, 99);\n"
    } else {
        ""
    };
    generated(&[
        (
            "001_pets.sql",
            "-- +migrate Up\nCREATE TABLE owner (id INTEGER PRIMARY KEY);\n\
             CREATE TABLE pet (id INTEGER PRIMARY KEY, owner INTEGER NOT NULL \
             REFERENCES owner (id) ON DELETE CASCADE);\n\
             CREATE TABLE misc (x INTEGER);\n\
             INSERT INTO owner (id) VALUES (1), (2);\n\
             INSERT INTO pet (id, owner) VALUES (10, 1), (20, 2);\n\
             INSERT INTO misc (x) VALUES (7);\n\
             -- +migrate Down\nDROP TABLE pet;\nDROP TABLE owner;\nDROP TABLE misc;\n"
                .into(),
        ),
        (
            "002_rebuild_misc.sql",
            format!(
                "{mode}-- +migrate ForeignKeys off\n-- +migrate Up\n\
                 CREATE TABLE misc_new (x INTEGER, y INTEGER);\n\
                 INSERT INTO misc_new (x) SELECT x FROM misc;\n\
                 DROP TABLE misc;\nALTER TABLE misc_new RENAME TO misc;\n{orphan}\
                 -- +migrate Down\nSELECT 1;\n"
            ),
        ),
        (
            "003_forget_owner.sql",
            "-- +migrate Up\nDELETE FROM owner WHERE id = 1;\n-- +migrate Down\nSELECT 1;\n".into(),
        ),
    ])
}

fn foreign_key_check(conn: &Connection) -> Vec<String> {
    conn.prepare("PRAGMA foreign_key_check")
        .expect("check")
        .query_map([], |row| row.get::<_, String>(0))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("rows")
}

fn pet_ids(conn: &Connection) -> Vec<i64> {
    conn.prepare("SELECT id FROM pet ORDER BY id")
        .expect("pets")
        .query_map([], |row| row.get(0))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("rows")
}

fn foreign_keys_on(conn: &Connection) -> bool {
    conn.query_row("PRAGMA foreign_keys", [], |row| row.get(0))
        .expect("pragma")
}

#[test]
fn foreign_keys_are_off_for_the_migration_that_asks_only_per_migration_and_in_one_run() {
    for per_migration in [true, false] {
        let (_dir, path) = sqlite_path();
        let mut conn = Connection::open(&path).expect("open");
        conn.execute_batch("PRAGMA foreign_keys = ON").expect("on");
        let set = pets(false);
        set.migrator()
            .per_migration(per_migration)
            .run(&mut conn)
            .unwrap_or_else(|e| panic!("per_migration {per_migration}: {e}"));
        // 003's delete cascaded: foreign keys were on again.
        assert_eq!(pet_ids(&conn), [20], "per_migration {per_migration}");
        assert!(foreign_key_check(&conn).is_empty());
        assert!(foreign_keys_on(&conn), "the connection's setting is back");
        assert_eq!(history(&conn), [1, 2, 3]);
    }
}

#[test]
fn foreign_keys_off_outside_a_transaction_are_checked_and_a_violation_is_recorded() {
    let (_dir, path) = sqlite_path();
    let mut conn = Connection::open(&path).expect("open");
    conn.execute_batch("PRAGMA foreign_keys = ON").expect("on");
    let set = pets(true);
    let error = set
        .migrator()
        .run(&mut conn)
        .expect_err("the orphan is found");
    let Error::ForeignKeyViolations {
        version,
        rolled_back,
        ..
    } = &error
    else {
        panic!("{error}");
    };
    assert_eq!((*version, *rolled_back), (Version(2), false), "{error}");
    assert!(
        error.to_string().contains("stay applied") && error.to_string().contains("`pet` row 11"),
        "{error}"
    );
    assert!(foreign_keys_on(&conn), "the connection's setting is back");
    // Recorded as failed, not applied: the next run refuses.
    let refused = set.migrator().run(&mut conn).expect_err("refused");
    assert!(
        matches!(refused, Error::UnresolvedFailure { .. }),
        "{refused}"
    );
    conn.execute_batch("DELETE FROM pet WHERE id = 11")
        .expect("fixed by hand");
    set.migrator()
        .resolve(&mut conn, Version(2), Resolution::Applied)
        .expect("resolved");
    set.migrator().run(&mut conn).expect("the rest");
    assert_eq!(pet_ids(&conn), [20]);
}

/// Runs `RUST_SQLITE_TX` to version 1, sets `action`, and runs the rest.
fn ended(action: &str) -> (tempfile::TempDir, Connection, Error) {
    let (dir, path) = sqlite_path();
    let mut conn = Connection::open(&path).expect("open");
    RUST_SQLITE_TX
        .migrator()
        .to(Version(1))
        .backup(false)
        .run(&mut conn)
        .expect("version 1");
    conn.execute("INSERT INTO actions (what) VALUES (?1)", [action])
        .expect("action");
    let error = RUST_SQLITE_TX
        .migrator()
        .backup(false)
        .run(&mut conn)
        .expect_err("the run stops");
    (dir, conn, error)
}

fn items(conn: &Connection) -> Vec<i64> {
    conn.prepare("SELECT n FROM items ORDER BY n")
        .expect("items")
        .query_map([], |row| row.get(0))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("rows")
}

#[test]
fn a_rust_function_that_rolls_the_run_back_stops_it_and_nothing_is_recorded() {
    let (_dir, mut conn, error) = ended("rollback");
    assert!(
        matches!(
            error,
            Error::TransactionEnded {
                version: Version(3),
                committed: Some(false),
                ..
            }
        ),
        "{error}"
    );
    assert!(
        error
            .to_string()
            .contains("rolled back, so nothing of it is applied or recorded"),
        "{error}"
    );
    assert_eq!(
        history(&conn),
        [1],
        "the history says what the database holds"
    );
    assert!(
        items(&conn).is_empty(),
        "002's row went with the transaction"
    );
    conn.execute_batch("DELETE FROM actions").expect("fixed");
    RUST_SQLITE_TX
        .migrator()
        .backup(false)
        .run(&mut conn)
        .expect("the rest");
    assert_eq!(history(&conn), [1, 2, 3, 4]);
    assert_eq!(items(&conn), [1, 3]);
}

#[test]
fn a_rust_function_that_commits_stops_the_run_and_says_what_the_database_holds() {
    let (_dir, conn, error) = ended("commit");
    assert!(
        matches!(
            error,
            Error::TransactionEnded {
                committed: Some(true),
                ..
            }
        ),
        "{error}"
    );
    assert!(
        error
            .to_string()
            .contains("which the history does not record"),
        "{error}"
    );
    // No history row was written outside the run's transaction.
    assert_eq!(history(&conn), [1]);
    assert_eq!(items(&conn), [1], "002's row was committed by the function");
    let in_transaction = !conn.is_autocommit();
    assert!(
        !in_transaction,
        "the connection is left outside any transaction"
    );
}

#[test]
fn a_rust_function_past_its_time_limit_is_stopped_and_rolled_back() {
    let (_dir, path) = sqlite_path();
    let mut conn = Connection::open(&path).expect("open");
    let error = RUST_SQLITE_SLOW.migrate(&mut conn).expect_err("stopped");
    assert!(
        matches!(
            error,
            Error::TimedOut {
                version: Version(2),
                rolled_back: true,
                ..
            }
        ),
        "{error}"
    );
    assert!(
        !migrate_tests::table_exists(&conn, "items"),
        "the run was rolled back"
    );
}

/// `runs` runs of a growing set on the database at `path` into `dir` (`None`: beside it).
fn back_up(
    path: &std::path::Path,
    dir: Option<&std::path::Path>,
    keep: usize,
    runs: std::ops::RangeInclusive<usize>,
) {
    for k in runs {
        let mut conn = Connection::open(path).expect("open");
        // Each run has one more migration than the last.
        let files: Vec<(String, String)> = (1..=k)
            .map(|j| {
                (
                    format!("{j:03}_t.sql"),
                    format!(
                        "-- +migrate Up\nCREATE TABLE t{j} (x INTEGER);\n-- +migrate Down\nDROP TABLE t{j};\n"
                    ),
                )
            })
            .collect();
        let files: Vec<(&str, String)> =
            files.iter().map(|(n, t)| (n.as_str(), t.clone())).collect();
        let set = generated(&files);
        let mut migrator = set.migrator().keep_backups(keep);
        if let Some(dir) = dir {
            migrator = migrator.backup_dir(dir);
        }
        migrator.run(&mut conn).expect("run");
    }
}

#[test]
fn backups_are_pruned_by_this_crates_own_names_only_with_their_side_files() {
    let (dir, path) = sqlite_path();
    Connection::open(&path)
        .expect("open")
        .execute_batch("CREATE TABLE seed (x INTEGER)")
        .expect("seed");
    // A user's own files beside the database, named like backups.
    let mine = [
        "app.db.backup-v1-before-upgrade",
        "app.db.backup-v1-before-upgrade-wal",
        "app.db.backup-v1-before-upgrade-shm",
    ];
    for name in mine {
        std::fs::write(dir.path().join(name), "mine").expect("write");
    }
    back_up(&path, None, 3, 1..=5);
    let kept = backups_of(&path, None);
    assert_eq!(kept.len(), 3, "{kept:?}");
    for name in mine {
        assert!(dir.path().join(name).exists(), "{name} was deleted");
    }
    // A pruned backup's side files go with it.
    let oldest = kept[0].clone();
    let mut wal = oldest.clone().into_os_string();
    wal.push("-wal");
    std::fs::write(&wal, "side").expect("side file");
    back_up(&path, None, 1, 6..=6);
    assert!(
        !std::path::Path::new(&wal).exists(),
        "the pruned backup's -wal stayed"
    );
}

#[test]
fn a_shared_backup_folder_keeps_each_databases_own_backups() {
    let root = tempfile::tempdir().expect("tempdir");
    let backups = root.path().join("backups");
    let (a, b) = (root.path().join("a"), root.path().join("b"));
    for folder in [&a, &b] {
        std::fs::create_dir(folder).expect("mkdir");
        Connection::open(folder.join("app.db"))
            .expect("open")
            .execute_batch("CREATE TABLE seed (x INTEGER)")
            .expect("seed");
    }
    back_up(&a.join("app.db"), Some(&backups), 1, 1..=1);
    back_up(&b.join("app.db"), Some(&backups), 1, 1..=1);
    assert_eq!(
        backups_of(&a.join("app.db"), Some(&backups)).len(),
        1,
        "a's backup was deleted"
    );
    assert_eq!(backups_of(&b.join("app.db"), Some(&backups)).len(), 1);
    assert_eq!(std::fs::read_dir(&backups).expect("dir").count(), 2);
}

#[test]
fn the_applications_busy_handler_is_kept_by_a_run_with_nothing_pending() {
    let (_dir, path) = sqlite_path();
    let mut conn = Connection::open(&path).expect("open");
    migrate_tests::BASIC.migrate(&mut conn).expect("up");
    // rusqlite takes a plain function: the count lives in a thread local.
    thread_local!(static CALLS: Cell<u32> = const { Cell::new(0) });
    fn handler(_: i32) -> bool {
        CALLS.with(|c| c.set(c.get() + 1));
        CALLS.with(Cell::get) < 3
    }
    conn.busy_handler(Some(handler))
        .expect("the application's handler");
    assert!(
        migrate_tests::BASIC
            .migrate(&mut conn)
            .expect("nothing pending")
            .is_empty()
    );
    let other = Connection::open(&path).expect("open");
    other.execute_batch("BEGIN EXCLUSIVE").expect("held");
    let _ = conn.execute_batch("INSERT INTO accounts (name) VALUES ('x')");
    assert!(
        CALLS.with(Cell::get) > 0,
        "the application's busy handler was removed"
    );
}

#[test]
fn a_shared_cache_database_locked_by_another_connection_is_a_typed_error() {
    let url = "file:shared_state_test?mode=memory&cache=shared";
    let flags = migrate_runtime::rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE
        | migrate_runtime::rusqlite::OpenFlags::SQLITE_OPEN_CREATE
        | migrate_runtime::rusqlite::OpenFlags::SQLITE_OPEN_URI;
    let holder = Connection::open_with_flags(url, flags).expect("holder");
    let mut conn = Connection::open_with_flags(url, flags).expect("migrator");
    holder
        .execute_batch("BEGIN IMMEDIATE; CREATE TABLE held (x INTEGER)")
        .expect("the schema held");
    let error = migrate_tests::BASIC
        .migrator()
        .busy_timeout(Duration::from_millis(200))
        .run(&mut conn)
        .expect_err("locked");
    assert!(matches!(error, Error::Locked { .. }), "{error}");
    holder.execute_batch("COMMIT").expect("released");
    migrate_tests::BASIC
        .migrate(&mut conn)
        .expect("runs once free");
    assert_eq!(history(&conn), [1, 2, 3]);
}
