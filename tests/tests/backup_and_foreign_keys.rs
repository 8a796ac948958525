//! Backups before a change, and SQLite table rebuilds with foreign keys off.

use migrate_runtime::rusqlite::Connection;
use migrate_runtime::{Error, Version, backups_of};
use migrate_tests::{BASIC, REBUILD, REBUILD_BAD, REBUILD_UNSAFE, dump, dump_file, history};

#[test]
fn a_backup_holds_the_state_before_the_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("app.db");
    let mut conn = Connection::open(&path).expect("open");
    BASIC
        .migrator()
        .to(Version(2))
        .run(&mut conn)
        .expect("1 and 2");
    let before = dump(&conn).expect("dump");

    let report = BASIC.migrate(&mut conn).expect("3");
    let backup = report.backup.clone().expect("a backup");
    let name = backup
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    // `app.db.backup-<8 hex digits of the path's digest>-v2-<time>Z`.
    let id = &name[14..22];
    assert!(
        name.starts_with("app.db.backup-")
            && id.bytes().all(|b| b.is_ascii_hexdigit())
            && name[22..].starts_with("-v2-"),
        "{name}"
    );
    assert_eq!(backup.parent(), Some(dir.path()));
    assert_eq!(
        dump_file(&backup),
        before,
        "the backup is the database before the run"
    );
    assert_eq!(backups_of(&path, None), std::slice::from_ref(&backup));
    assert!(
        report
            .to_string()
            .ends_with(&format!("backup: {}\n", backup.display()))
    );

    // Nothing pending: nothing written.
    BASIC.migrate(&mut conn).expect("nothing");
    assert_eq!(backups_of(&path, None).len(), 1);
}

#[test]
fn backups_can_go_elsewhere_be_limited_or_be_turned_off() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("app.db");
    let elsewhere = dir.path().join("backups");
    let mut conn = Connection::open(&path).expect("open");
    let migrator = BASIC.migrator().backup_dir(&elsewhere).keep_backups(2);
    for _ in 0..3 {
        migrator.run(&mut conn).expect("up");
        migrator.down(&mut conn).expect("down");
    }
    let kept = backups_of(&path, Some(&elsewhere));
    assert_eq!(kept.len(), 2, "{kept:?}");
    let newest = kept[1]
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    assert!(
        newest.starts_with("app.db.backup-") && newest[22..].starts_with("-v3-"),
        "the last run reverted from 3: {newest}"
    );

    let before = std::fs::read_dir(dir.path()).expect("dir").count();
    let report = BASIC.migrator().backup(false).run(&mut conn).expect("up");
    assert_eq!(report.backup, None);
    assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), before);
}

#[test]
fn a_failed_backup_stops_the_run_before_any_change() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("app.db");
    let blocker = dir.path().join("not-a-directory");
    std::fs::write(&blocker, "a file where the backup directory should be").expect("write");
    let mut conn = Connection::open(&path).expect("open");
    conn.execute_batch("CREATE TABLE precious (x TEXT); INSERT INTO precious VALUES ('data');")
        .expect("content worth a backup");
    let before = dump(&conn).expect("dump");
    let error = BASIC
        .migrator()
        .backup_dir(&blocker)
        .run(&mut conn)
        .expect_err("backup fails");
    assert!(matches!(error, Error::Backup { .. }), "{error}");
    assert!(error.to_string().contains("nothing was migrated"));
    assert_eq!(dump(&conn).expect("dump"), before);
}

fn family(conn: &Connection) -> (i64, i64) {
    let parents = conn
        .query_row("SELECT count(*) FROM parents", [], |r| r.get(0))
        .expect("parents");
    let children = conn
        .query_row("SELECT count(*) FROM children", [], |r| r.get(0))
        .expect("children");
    (parents, children)
}

fn foreign_keys(conn: &Connection) -> bool {
    conn.query_row("PRAGMA foreign_keys", [], |r| r.get(0))
        .expect("pragma")
}

#[test]
fn a_table_rebuild_with_foreign_keys_off_keeps_cascading_children() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut conn = Connection::open(dir.path().join("app.db")).expect("open");
    conn.execute_batch("PRAGMA foreign_keys = ON").expect("on");
    REBUILD.migrate(&mut conn).expect("rebuilds");
    assert_eq!(family(&conn), (2, 3), "the children survived the rebuild");
    assert!(foreign_keys(&conn), "the setting was restored");
    let parent_sql: String = conn
        .query_row(
            "SELECT sql FROM sqlite_master WHERE name = 'parents'",
            [],
            |r| r.get(0),
        )
        .expect("sql");
    assert!(
        parent_sql.contains("NOT NULL DEFAULT ''"),
        "the rebuilt table is in place: {parent_sql}"
    );
    // The same rebuild in per-migration mode, too.
    let dir = tempfile::tempdir().expect("tempdir");
    let mut conn = Connection::open(dir.path().join("app.db")).expect("open");
    conn.execute_batch("PRAGMA foreign_keys = ON").expect("on");
    REBUILD
        .migrator()
        .per_migration(true)
        .run(&mut conn)
        .expect("rebuilds");
    assert_eq!(family(&conn), (2, 3));
    assert!(foreign_keys(&conn));
}

#[test]
fn without_the_annotation_the_same_rebuild_deletes_the_children() {
    // Why the annotation exists: with foreign keys on, DROP TABLE parents
    // deletes every parent row first, and the cascade takes the children.
    let dir = tempfile::tempdir().expect("tempdir");
    let mut conn = Connection::open(dir.path().join("app.db")).expect("open");
    conn.execute_batch("PRAGMA foreign_keys = ON").expect("on");
    REBUILD_UNSAFE.migrate(&mut conn).expect("rebuilds");
    assert_eq!(family(&conn), (2, 0));
}

#[test]
fn foreign_key_violations_roll_the_rebuild_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("app.db");
    let mut conn = Connection::open(&path).expect("open");
    conn.execute_batch("PRAGMA foreign_keys = ON").expect("on");
    REBUILD_BAD
        .migrator()
        .to(Version(1))
        .run(&mut conn)
        .expect("1");
    let before = dump(&conn).expect("dump");
    let error = REBUILD_BAD.migrate(&mut conn).expect_err("violations");
    match &error {
        Error::ForeignKeyViolations {
            version,
            violations,
            ..
        } => {
            assert_eq!(*version, Version(2));
            assert_eq!(
                violations,
                &["`children` row 12 references a missing row of `parents`"]
            );
        }
        other => panic!("expected ForeignKeyViolations, got {other}"),
    }
    assert_eq!(
        error.to_string(),
        "foreign key violations after migrations/rebuild_bad/002_rebuild_parents.sql (version 2), rolled back: \
         `children` row 12 references a missing row of `parents`"
    );
    assert_eq!(dump(&conn).expect("dump"), before);
    assert_eq!(history(&conn), [1]);
    assert!(
        foreign_keys(&conn),
        "the setting was restored after the failure"
    );
}
