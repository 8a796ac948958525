//! diesel's folders numbered as diesel numbers them: the same second with
//! and without diesel's `-0000` suffix is two migrations, in diesel's
//! order (its version text, sorted as text); diesel's own history, holding
//! both forms, is adopted on SQLite and PostgreSQL; a history an earlier
//! release recorded by bare timestamps is renumbered once, nothing run.

use std::path::Path;

use migrate_core::{MigrationSet, Options, Version};
use migrate_runtime::Migrations;
use migrate_runtime::rusqlite::Connection;
use migrate_tests::versions_in;

/// A diesel directory of this project's own, of the shape real ones have:
/// the initial setup, old folders without dashes and with, an old Down
/// that does not restore (history), a second with and without the suffix,
/// folders before and after it.
const FOLDERS: &[(&str, &str, &str)] = &[
    (
        "00000000000000_diesel_initial_setup",
        "CREATE TABLE setup (id INTEGER);",
        "DROP TABLE setup;",
    ),
    (
        "20160107082941_create_crates",
        "CREATE TABLE crates (id INTEGER PRIMARY KEY, name TEXT NOT NULL);",
        "DROP TABLE crates;",
    ),
    (
        "2017-09-26-200549_add_index",
        "CREATE INDEX crates_name ON crates (name);",
        // Forgets the index: an old Down nobody will run.
        "SELECT 1;",
    ),
    (
        "2026-05-27-115959-0000_before",
        "CREATE TABLE before_it (id INTEGER);",
        "DROP TABLE before_it;",
    ),
    (
        "2026-05-27-120000_add_username",
        "ALTER TABLE crates ADD COLUMN username TEXT;",
        "ALTER TABLE crates DROP COLUMN username;",
    ),
    (
        "2026-05-27-120000-0000_not_null",
        "CREATE TABLE not_null (id INTEGER);",
        "DROP TABLE not_null;",
    ),
    (
        "2026-05-27-130000-0000_after",
        "CREATE TABLE after_it (id INTEGER);",
        "DROP TABLE after_it;",
    ),
    (
        "2026-06-05-120000_later",
        "CREATE TABLE later (id INTEGER);",
        "DROP TABLE later;",
    ),
];

fn write_project(root: &Path, folders: &[(&str, &str, &str)]) {
    let dir = root.join("migrations");
    for (folder, up, down) in folders {
        std::fs::create_dir_all(dir.join(folder)).expect("mkdir");
        std::fs::write(dir.join(folder).join("up.sql"), format!("{up}\n")).expect("up");
        std::fs::write(dir.join(folder).join("down.sql"), format!("{down}\n")).expect("down");
    }
    // A data script diesel does not read, nor this.
    std::fs::write(
        dir.join("backfill_usernames.sql"),
        "UPDATE crates SET username = '';\n",
    )
    .expect("loose");
}

fn load(root: &Path, irreversible_before: Option<u64>) -> Result<MigrationSet, Vec<String>> {
    let options = Options {
        irreversible_before: irreversible_before.map(Version),
        ..Options::default()
    };
    migrate_core::load(root, "migrations", &options)
        .map_err(|problems| problems.iter().map(ToString::to_string).collect())
}

/// The folders in diesel's order: by version, the text before the first
/// `_` without its dashes, compared as text.
fn diesel_order(folders: &[(&str, &str, &str)]) -> Vec<String> {
    let version = |folder: &str| folder.split('_').next().unwrap_or("").replace('-', "");
    let mut names: Vec<&str> = folders.iter().map(|(folder, _, _)| *folder).collect();
    names.sort_by_key(|folder| version(folder));
    names
        .into_iter()
        .map(|folder| {
            folder
                .split_once('_')
                .map_or("", |(_, name)| name)
                .to_owned()
        })
        .collect()
}

#[test]
fn the_same_second_with_and_without_the_suffix_is_two_migrations_in_diesels_order() {
    let root = tempfile::tempdir().expect("tempdir");
    write_project(root.path(), FOLDERS);
    // The old Down that does not restore is refused without the option…
    let refused = load(root.path(), None).map(|set| migrate_replay::replay(&set));
    let said = format!("{refused:?}");
    assert!(said.contains("leaves index `crates_name` behind"), "{said}");
    // …and taken as history with it, written as a timestamp.
    let set = load(root.path(), Some(20200101000000)).expect("a valid set");
    assert!(migrate_replay::replay(&set).is_empty());
    assert_eq!(set.history_count(), 3);
    let names: Vec<String> = set.migrations.iter().map(|m| m.name.to_string()).collect();
    assert_eq!(names, diesel_order(FOLDERS));
    assert_eq!(set.ignored, ["migrations/backfill_usernames.sql"]);
    // Shown as diesel writes the versions.
    let shown: Vec<String> = set
        .migrations
        .iter()
        .map(|m| m.version.to_string())
        .collect();
    assert_eq!(
        shown,
        [
            "0",
            "20160107082941",
            "20170926200549",
            "202605271159590000",
            "20260527120000",
            "202605271200000000",
            "202605271300000000",
            "20260605120000"
        ]
    );
    // A version written either way names its migration.
    let migrations = Migrations::from_set(set);
    for (written, name) in [
        (20260527120000, "add_username"),
        (202605271200000000, "not_null"),
        (20160107082941, "create_crates"),
    ] {
        let version = migrations.version_written(written);
        assert_eq!(
            migrations.get(version).map(migrate_core::Migration::name),
            Some(name)
        );
    }
}

#[test]
fn the_same_text_twice_is_still_one_version() {
    let root = tempfile::tempdir().expect("tempdir");
    write_project(
        root.path(),
        &[
            (
                "2026-05-27-120000_a",
                "CREATE TABLE a (id INTEGER);",
                "DROP TABLE a;",
            ),
            (
                "20260527120000_b",
                "CREATE TABLE b (id INTEGER);",
                "DROP TABLE b;",
            ),
        ],
    );
    let problems = load(root.path(), None).expect_err("diesel has one version twice too");
    assert!(
        problems
            .iter()
            .any(|p| p.contains("version 20260527120000 is used by 4 files")),
        "{problems:?}"
    );
}

/// diesel's table, as `diesel_migrations` creates it.
const DIESEL_TABLE: &str = "CREATE TABLE __diesel_schema_migrations (
    version VARCHAR(50) PRIMARY KEY NOT NULL,
    run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
)";

/// What diesel recorded: up to the second with both forms, as diesel
/// writes each (the suffix's four digits kept).
const DIESEL_ROWS: &str = "INSERT INTO __diesel_schema_migrations (version) VALUES
    ('00000000000000'), ('20160107082941'), ('20170926200549'), ('202605271159590000'),
    ('20260527120000'), ('202605271200000000')";

/// The schema diesel left at that point.
const DIESEL_SCHEMA: &str = "CREATE TABLE setup (id INTEGER);
    CREATE TABLE crates (id INTEGER PRIMARY KEY, name TEXT NOT NULL, username TEXT);
    CREATE INDEX crates_name ON crates (name);
    CREATE TABLE before_it (id INTEGER);
    CREATE TABLE not_null (id INTEGER);";

fn project_migrations(root: &Path) -> Migrations {
    write_project(root, FOLDERS);
    Migrations::from_set(load(root, Some(20200101000000)).expect("a valid set"))
}

#[test]
fn diesels_history_with_both_forms_is_adopted_then_migrated_on_sqlite() {
    let root = tempfile::tempdir().expect("tempdir");
    let migrations = project_migrations(root.path());
    let mut conn = Connection::open(root.path().join("app.db")).expect("open");
    conn.execute_batch(&format!("{DIESEL_TABLE}; {DIESEL_ROWS}; {DIESEL_SCHEMA}"))
        .expect("diesel's state");
    let adopted = migrations.migrator().adopt(&mut conn).expect("adopt");
    assert_eq!(adopted.steps.len(), 6);
    assert_eq!(
        adopted.to.map(|v| v.to_string()).as_deref(),
        Some("202605271200000000")
    );
    let up = migrations.migrate(&mut conn).expect("the rest");
    let names: Vec<&str> = up.steps.iter().map(|s| s.name.as_ref()).collect();
    assert_eq!(names, ["after", "later"]);
    let recorded: Vec<i64> = versions_in(&conn, "schema_migrations");
    let expected: Vec<i64> = migrations
        .iter()
        .map(|m| i64::try_from(m.version().0).expect("fits"))
        .collect();
    assert_eq!(recorded, expected);
}

#[test]
fn diesels_history_with_both_forms_is_adopted_then_migrated_on_postgresql() {
    let Some(db) = migrate_tests::pg::Scratch::new() else {
        return;
    };
    let root = tempfile::tempdir().expect("tempdir");
    let migrations = project_migrations(root.path());
    let mut client = db.client();
    client
        .batch_execute(&format!("{DIESEL_TABLE}; {DIESEL_ROWS}; {DIESEL_SCHEMA}"))
        .expect("diesel's state");
    let adopted = migrations.migrator().adopt(&mut client).expect("adopt");
    assert_eq!(adopted.steps.len(), 6);
    let up = migrations.migrate(&mut client).expect("the rest");
    let names: Vec<&str> = up.steps.iter().map(|s| s.name.as_ref()).collect();
    assert_eq!(names, ["after", "later"]);
    assert_eq!(migrate_tests::pg::history(&mut client).len(), FOLDERS.len());
}

/// An earlier release numbered a diesel folder by its bare timestamp (and
/// refused two folders of one second): such a history is given the new
/// versions by the next run, the same migrations by text and name, and
/// nothing runs again.
#[test]
fn a_history_recorded_by_bare_timestamps_is_renumbered_once_and_nothing_runs() {
    let root = tempfile::tempdir().expect("tempdir");
    // Every second once, as the earlier release required.
    let folders: Vec<(&str, &str, &str)> = FOLDERS
        .iter()
        .copied()
        .filter(|(folder, _, _)| *folder != "2026-05-27-120000_add_username")
        .collect();
    write_project(root.path(), &folders);
    let migrations =
        Migrations::from_set(load(root.path(), Some(20200101000000)).expect("a valid set"));
    let mut conn = Connection::open(root.path().join("app.db")).expect("open");
    migrations.migrate(&mut conn).expect("migrated");
    let new = versions_in(&conn, "schema_migrations");
    // What the earlier release recorded: the timestamp alone.
    conn.execute_batch("UPDATE schema_migrations SET version = version / 100000")
        .expect("the earlier numbering");
    let before = migrate_tests::dump(&conn).expect("dump");
    // Before the run that records them anew, `status` shows each migration
    // once, applied, under its new version.
    let status = migrations.status(&mut conn).expect("status");
    assert_eq!(status.entries.len(), folders.len(), "{status}");
    assert!(
        status
            .entries
            .iter()
            .all(|e| e.state == migrate_runtime::State::Applied),
        "{status}"
    );
    let report = migrations.migrate(&mut conn).expect("renumbered");
    assert!(report.steps.is_empty(), "{report}");
    assert_eq!(report.renumbered.len(), folders.len() - 1, "{report}");
    assert!(
        report
            .to_string()
            .contains("recorded version 20260527120000 as 202605271200000000"),
        "{report}"
    );
    assert!(
        report.to_string().contains(
            "recorded version 20260605120000 under diesel's numbering, with room for its `-0000` \
             suffix: the same migration (its text and name)"
        ),
        "{report}"
    );
    assert_eq!(versions_in(&conn, "schema_migrations"), new);
    let after = migrate_tests::dump(&conn).expect("dump");
    assert_eq!(
        before.replace(char::is_numeric, ""),
        after.replace(char::is_numeric, ""),
        "only the versions changed"
    );
    let again = migrations.migrate(&mut conn).expect("a no-op");
    assert!(again.is_empty() && again.renumbered.is_empty(), "{again}");
}
