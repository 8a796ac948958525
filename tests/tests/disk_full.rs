//! A disk that fills up in the middle of a run, on a real (small) file
//! system: the run fails, is rolled back completely before the error comes
//! back, and no hot journal is left for the next open to find.

use std::path::Path;
use std::process::Command;

use migrate_runtime::Error;
use migrate_runtime::rusqlite::Connection;
use migrate_tests::{CRASH, table_exists};

/// A tmpfs of `size` mounted at `dir`, unmounted when dropped; `None` where
/// this process may not mount (not root): the test says so and passes.
struct Mount(std::path::PathBuf);

impl Mount {
    fn new(dir: &Path, size: &str) -> Option<Mount> {
        std::fs::create_dir_all(dir).expect("mkdir");
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .status()
            .ok()?;
        status.success().then(|| Mount(dir.to_path_buf()))
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_full_disk_rolls_back_completely_before_the_error_returns() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some(mount) = Mount::new(&dir.path().join("small"), "1536k") else {
        eprintln!("skipped: mounting a small tmpfs needs root (CI runs as root)");
        return;
    };
    let db = mount.0.join("app.db");
    let mut conn = Connection::open(&db).expect("open");
    // Rollback journal, SQLite's default: the journal holds the old pages.
    let error = CRASH
        .migrator()
        .backup(false)
        .run(&mut conn)
        .expect_err("the disk fills up");
    let message = error.to_string();
    assert!(message.contains("full"), "{message}");
    if let Error::MigrationFailed { rolled_back, .. } = &error {
        assert!(*rolled_back, "{message}");
    }
    let journal = mount.0.join("app.db-journal");
    let hot = std::fs::metadata(&journal).is_ok_and(|m| m.len() > 0);
    assert!(!hot, "a hot journal is left after: {message}");
    assert!(!table_exists(&conn, "t_1"), "rolled back: {message}");
    drop(conn);
    let conn = Connection::open(&db).expect("open");
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("check");
    assert_eq!(integrity, "ok");
    assert!(
        !table_exists(&conn, "schema_migrations"),
        "nothing recorded"
    );
}
