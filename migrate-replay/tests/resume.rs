//! A replay that resumes from the snapshot of the longest prefix of its set
//! that replayed before, as the macro runs it after a change.

use std::fs;
use std::path::Path;

fn table(name: &str) -> String {
    format!(
        "-- +migrate Up\nCREATE TABLE {name} (x INTEGER);\n-- +migrate Down\nDROP TABLE {name};\n"
    )
}

/// A crate root with `migrations/` holding one table migration per name
/// (`001_a.sql` …), and where its snapshots go.
fn project(names: &[&str]) -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path().join("migrations");
    fs::create_dir(&dir).expect("mkdir");
    for (i, name) in names.iter().enumerate() {
        fs::write(dir.join(format!("{:03}_{name}.sql", i + 1)), table(name)).expect("write");
    }
    let snapshots = root.path().join("snapshots");
    (root, dir, snapshots)
}

/// The set in `root/migrations`.
fn set(root: &Path) -> migrate_core::MigrationSet {
    migrate_core::load(root, "migrations", &migrate_core::Options::default()).expect("valid")
}

fn texts(problems: &[migrate_core::Problem]) -> Vec<String> {
    problems.iter().map(ToString::to_string).collect()
}

/// Adds a table `marker` to every snapshot in `snapshots`: a migration
/// that uses it replays only from a snapshot, never from the start.
fn mark_snapshots(snapshots: &Path) {
    for file in snapshot_files(snapshots) {
        let conn = open_snapshot(&file);
        conn.execute_batch("CREATE TABLE marker (x INTEGER);")
            .expect("mark");
    }
}

/// The snapshot files of `snapshots`.
fn snapshot_files(snapshots: &Path) -> Vec<std::path::PathBuf> {
    fs::read_dir(snapshots)
        .expect("snapshots")
        .flatten()
        .map(|f| f.path())
        .filter(|p| p.extension().is_some_and(|e| e == "db"))
        .collect()
}

fn open_snapshot(path: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).expect("open the snapshot")
}

#[test]
fn an_edit_to_the_newest_migration_replays_from_the_one_before() {
    let (root, dir, snapshots) = project(&["a", "b", "c"]);
    assert!(migrate_replay::replay_resuming(&set(root.path()), &snapshots, "salt").is_empty());
    assert_eq!(snapshot_files(&snapshots).len(), 2, "after 2 and after 3");
    mark_snapshots(&snapshots);

    // The newest migration edited to use the marker: only a replay from
    // the snapshot after 002 finds it.
    let uses_marker = "-- +migrate Up\nINSERT INTO marker VALUES (1);\n-- +migrate Down\nDELETE FROM marker WHERE x = 1;\n";
    fs::write(dir.join("003_c.sql"), uses_marker).expect("edit");
    let edited = set(root.path());
    assert!(
        !migrate_replay::replay(&edited).is_empty(),
        "a whole replay has no marker"
    );
    assert_eq!(
        texts(&migrate_replay::replay_resuming(
            &edited, &snapshots, "salt"
        )),
        Vec::<String>::new(),
        "resumed after 002"
    );

    // Another salt (another build of the checks) trusts no snapshot.
    assert!(!migrate_replay::replay_resuming(&edited, &snapshots, "other").is_empty());
}

#[test]
fn an_edit_to_an_older_migration_replays_from_before_it_and_problems_read_the_same() {
    let (root, dir, snapshots) = project(&["a", "b", "c"]);
    assert!(migrate_replay::replay_resuming(&set(root.path()), &snapshots, "salt").is_empty());
    mark_snapshots(&snapshots);

    // 001 changed: no snapshot is of a prefix of the new set, so the
    // marker is nowhere, and the problems are those of a whole replay.
    fs::write(
        dir.join("001_a.sql"),
        "-- +migrate Up\nCREATE TABLE a (x INTEGER);\nINSERT INTO marker VALUES (1);\n-- +migrate Down\nDROP TABLE a;\n",
    )
    .expect("edit");
    let edited = set(root.path());
    let resumed = texts(&migrate_replay::replay_resuming(
        &edited, &snapshots, "salt",
    ));
    assert!(!resumed.is_empty());
    assert_eq!(resumed, texts(&migrate_replay::replay(&edited)));

    // A new migration after the set replays from the snapshot of all three.
    fs::write(dir.join("001_a.sql"), table("a")).expect("restore");
    fs::write(
        dir.join("004_d.sql"),
        "-- +migrate Up\nINSERT INTO marker VALUES (4);\n-- +migrate Down\nDELETE FROM marker WHERE x = 4;\n",
    )
    .expect("add");
    assert!(migrate_replay::replay_resuming(&set(root.path()), &snapshots, "salt").is_empty());
}

#[test]
fn an_older_migration_edited_again_replays_from_right_before_it() {
    let (root, dir, snapshots) = project(&["a", "b", "c", "d"]);
    assert!(migrate_replay::replay_resuming(&set(root.path()), &snapshots, "salt").is_empty());
    // 002 edited: the replay starts from the beginning, and leaves a
    // snapshot from right before 002.
    fs::write(dir.join("002_b.sql"), table("b2")).expect("edit");
    assert!(migrate_replay::replay_resuming(&set(root.path()), &snapshots, "salt").is_empty());
    assert_eq!(
        snapshot_files(&snapshots).len(),
        3,
        "before 002, after 003, after 004"
    );
    mark_snapshots(&snapshots);
    // Edited again to use the marker: only the snapshot before 002 has it.
    fs::write(
        dir.join("002_b.sql"),
        "-- +migrate Up\nINSERT INTO marker VALUES (2);\n-- +migrate Down\nDELETE FROM marker WHERE x = 2;\n",
    )
    .expect("edit again");
    assert_eq!(
        texts(&migrate_replay::replay_resuming(
            &set(root.path()),
            &snapshots,
            "salt"
        )),
        Vec::<String>::new()
    );
}

/// A TEMP table lives on the connection, not in a snapshot: `002` added
/// later that creates the same TEMP table gets the whole replay's verdict
/// (and the run's), never a resumed one's pass.
#[test]
fn a_temp_table_added_again_later_fails_as_in_a_whole_replay() {
    let (root, dir, snapshots) = project(&["a"]);
    fs::write(
        dir.join("001_a.sql"),
        "-- +migrate Up\nCREATE TEMP TABLE tmp (x INTEGER);\nCREATE TABLE a (x INTEGER);\n\
         -- +migrate Down\nDROP TABLE a;\nDROP TABLE tmp;\n",
    )
    .expect("write");
    assert!(migrate_replay::replay_resuming(&set(root.path()), &snapshots, "test").is_empty());
    fs::write(
        dir.join("002_b.sql"),
        "-- +migrate Up\nCREATE TEMP TABLE tmp (x INTEGER);\n-- +migrate Down\nDROP TABLE tmp;\n",
    )
    .expect("write");
    let whole = texts(&migrate_replay::replay(&set(root.path())));
    let resumed = texts(&migrate_replay::replay_resuming(
        &set(root.path()),
        &snapshots,
        "test",
    ));
    assert!(
        whole.iter().any(|p| p.contains("table tmp already exists")),
        "{whole:?}"
    );
    assert_eq!(resumed, whole);
}

/// A damaged snapshot (here overwritten with text) is not a database: the
/// replay resumes from an earlier one or starts over, gives the whole
/// replay's verdict, and writes the snapshot again.
#[test]
fn a_damaged_snapshot_is_replaced() {
    let (root, _, snapshots) = project(&["a", "b", "c"]);
    assert!(migrate_replay::replay_resuming(&set(root.path()), &snapshots, "salt").is_empty());
    let files = snapshot_files(&snapshots);
    assert!(!files.is_empty());
    for file in &files {
        fs::write(file, "not a database").expect("damage");
    }
    assert!(migrate_replay::replay_resuming(&set(root.path()), &snapshots, "salt").is_empty());
    for file in snapshot_files(&snapshots) {
        let tables: i64 = open_snapshot(&file)
            .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
            .unwrap_or_else(|e| panic!("{} is still damaged: {e}", file.display()));
        assert!(tables > 0, "{}", file.display());
    }
    assert_eq!(snapshot_files(&snapshots).len(), files.len());
}
