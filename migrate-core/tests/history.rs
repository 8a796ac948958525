//! Large existing histories taken as they are: loose files beside diesel's
//! folders, old migrations taken as history (`irreversible_before`), and
//! diesel's `-0000` versions among the older form.

mod common;
use common::dir;

use migrate_core::{Options, ProblemKind, Version, load};

fn history_before(version: u64) -> Options {
    Options {
        irreversible_before: Some(Version(version)),
        ..Options::default()
    }
}

#[test]
fn a_loose_script_beside_diesel_folders_is_ignored_and_listed() {
    let root = dir(&[
        (
            "2024-01-01-000000_users/up.sql",
            "CREATE TABLE users (id INTEGER);\n",
        ),
        ("2024-01-01-000000_users/down.sql", "DROP TABLE users;\n"),
        ("data_oauth_github.sql", "INSERT INTO users VALUES (1);\n"),
        ("README.md", "notes"),
    ]);
    let set = load(root.path(), "migrations", &Options::default()).expect("loads");
    assert_eq!(set.migrations.len(), 1);
    assert_eq!(set.ignored, ["migrations/data_oauth_github.sql"]);
}

#[test]
fn a_loose_file_is_still_refused_where_it_can_be_a_misnamed_migration() {
    let root = dir(&[
        ("001_users.sql", "CREATE TABLE users (id INTEGER);\n"),
        ("data_oauth_github.sql", "INSERT INTO users VALUES (1);\n"),
    ]);
    let problems = load(root.path(), "migrations", &Options::default()).expect_err("refused");
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert_eq!(problems[0].path, "migrations/data_oauth_github.sql");
}

/// Old migrations: a Down the splitter refuses, a missing Down where the
/// others have one; then a sound one.
fn old_and_new() -> tempfile::TempDir {
    dir(&[
        ("001_a.up.sql", "CREATE TABLE a (x INTEGER);\n"),
        (
            "001_a.down.sql",
            "DROP TABLE a WHERE note = 'never closed;\n",
        ),
        ("002_b.up.sql", "CREATE TABLE b (x INTEGER);\n"),
        ("003_c.up.sql", "CREATE TABLE c (x INTEGER);\n"),
        ("003_c.down.sql", "DROP TABLE c;\n"),
    ])
}

#[test]
fn below_the_version_migrations_are_history_irreversible_and_unchecked() {
    let root = old_and_new();
    let problems = load(root.path(), "migrations", &Options::default()).expect_err("checked");
    assert!(
        problems
            .iter()
            .any(|p| p.path == "migrations/001_a.down.sql"),
        "{problems:#?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| matches!(p.kind, ProblemKind::MissingDownFile { .. })),
        "{problems:#?}"
    );

    let set = load(root.path(), "migrations", &history_before(3)).expect("history");
    assert_eq!(set.history_count(), 2);
    let reversible: Vec<bool> = set
        .migrations
        .iter()
        .map(migrate_core::Migration::is_reversible)
        .collect();
    assert_eq!(reversible, [false, false, true]);
    assert!(set.migrations[0].down_path.is_none());

    // From the version on, everything is checked as before.
    let problems = load(root.path(), "migrations", &history_before(2)).expect_err("002 checked");
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert_eq!(problems[0].path, "migrations/002_b.up.sql");
}

#[test]
fn taking_history_changes_no_checksum() {
    let root = dir(&[
        ("001_a.up.sql", "CREATE TABLE a (x INTEGER);\n"),
        ("001_a.down.sql", "DROP TABLE a;\n"),
        ("002_b.up.sql", "CREATE TABLE b (x INTEGER);\n"),
        ("002_b.down.sql", "DROP TABLE b;\n"),
    ]);
    let checked = load(root.path(), "migrations", &Options::default()).expect("loads");
    let history = load(root.path(), "migrations", &history_before(2)).expect("loads");
    let checksums = |set: &migrate_core::MigrationSet| {
        set.migrations
            .iter()
            .map(|m| m.checksum)
            .collect::<Vec<_>>()
    };
    assert_eq!(checksums(&checked), checksums(&history));
    assert!(!history.migrations[0].is_reversible());
}

#[test]
fn diesels_suffixed_versions_order_as_diesel_orders_them() {
    let root = dir(&[
        ("2024-03-01-000000-0000_c/up.sql", "SELECT 3;\n"),
        ("2024-02-01-000000_b/up.sql", "SELECT 2;\n"),
        ("2024-04-01-000000_d/up.sql", "SELECT 4;\n"),
        ("00000000000000_diesel_initial_setup/up.sql", "SELECT 0;\n"),
    ]);
    let set = load(root.path(), "migrations", &Options::default()).expect("loads");
    // Shown as diesel writes them, the suffix's four digits kept.
    let order: Vec<(String, &str)> = set
        .migrations
        .iter()
        .map(|m| (m.version.to_string(), m.name()))
        .collect();
    assert_eq!(
        order,
        [
            ("0".to_owned(), "diesel_initial_setup"),
            ("20240201000000".to_owned(), "b"),
            ("202403010000000000".to_owned(), "c"),
            ("20240401000000".to_owned(), "d")
        ]
    );
    assert_eq!(
        set.migrations[2].up_path,
        "migrations/2024-03-01-000000-0000_c/up.sql"
    );
}

/// diesel's version is the folder's text without dashes: the same second
/// with and without the suffix is two versions for diesel, and two
/// migrations here, in diesel's order (the shorter text first).
#[test]
fn one_second_written_both_ways_is_two_migrations_the_plain_one_first() {
    let root = dir(&[
        ("2024-03-01-000000-0000_c/up.sql", "SELECT 3;\n"),
        ("2024-03-01-000000_d/up.sql", "SELECT 4;\n"),
    ]);
    let set = load(root.path(), "migrations", &Options::default()).expect("two versions");
    let names: Vec<&str> = set
        .migrations
        .iter()
        .map(migrate_core::Migration::name)
        .collect();
    assert_eq!(names, ["d", "c"]);
    // The same text twice is one version twice, for diesel as here.
    let twice = dir(&[
        ("2024-03-01-000000_c/up.sql", "SELECT 3;\n"),
        ("20240301000000_d/up.sql", "SELECT 4;\n"),
    ]);
    let problems = load(twice.path(), "migrations", &Options::default()).expect_err("duplicate");
    assert!(
        matches!(problems[0].kind, ProblemKind::DuplicateVersion { .. }),
        "{problems:#?}"
    );
}
