//! Run-time rules of other tools' formats, on real SQLite files: goose's
//! hybrid versioning (`migrate fix` renumbers a timestamp that a database
//! already applied), refinery's unversioned migrations, and environment
//! folders that reuse a version.

use std::fs;
use std::path::Path;

use migrate_runtime::rusqlite::Connection;
use migrate_runtime::{Error, Migrations, Version};

fn write(dir: &Path, files: &[(&str, &str)]) {
    for (name, text) in files {
        let path = dir.join("migrations").join(name);
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(path, text).expect("write");
    }
}

fn load(dir: &Path) -> Migrations {
    let set = migrate_core::load(dir, "migrations", &migrate_core::Options::default())
        .unwrap_or_else(|problems| panic!("{problems:?}"));
    Migrations::from_set(set)
}

fn versions(conn: &Connection) -> Vec<i64> {
    migrate_tests::versions_in(conn, "schema_migrations")
}

const USERS: &str =
    "-- +goose Up\nCREATE TABLE users (id INTEGER);\n-- +goose Down\nDROP TABLE users;\n";
const POSTS: &str =
    "-- +goose Up\nCREATE TABLE posts (id INTEGER);\n-- +goose Down\nDROP TABLE posts;\n";
const TAGS: &str =
    "-- +goose Up\nCREATE TABLE tags (id INTEGER);\n-- +goose Down\nDROP TABLE tags;\n";

/// A database that applied `001` and, on a branch, a timestamp after it.
fn applied_on_a_branch() -> (tempfile::TempDir, Connection) {
    let root = tempfile::tempdir().expect("tempdir");
    write(
        root.path(),
        &[
            ("001_users.sql", USERS),
            ("20240301120000_posts.sql", POSTS),
        ],
    );
    let mut conn = Connection::open(root.path().join("app.db")).expect("open");
    load(root.path()).migrate(&mut conn).expect("first run");
    assert_eq!(versions(&conn), [1, 20240301120000]);
    (root, conn)
}

#[test]
fn after_fix_a_migration_applied_under_its_timestamp_is_recognised() {
    let (root, mut conn) = applied_on_a_branch();

    // Before the release, `migrate fix` renames it to 002; a new 003 comes.
    fs::rename(
        root.path().join("migrations/20240301120000_posts.sql"),
        root.path().join("migrations/002_posts.sql"),
    )
    .expect("rename");
    write(root.path(), &[("003_tags.sql", TAGS)]);
    let released = load(root.path());
    let report = released
        .migrate(&mut conn)
        .expect("the renumbered row is recognised");
    assert_eq!(report.renumbered, [(Version(20240301120000), Version(2))]);
    assert_eq!(
        report.steps.len(),
        1,
        "only 003 runs; 002 is not applied again"
    );
    assert!(
        report.to_string().starts_with(
            "recorded version 20240301120000 as 2: the same migration (its text and name) has \
             that version now (`migrate fix` renumbered it, or diesel's versions are numbered \
             anew)\n"
        ),
        "{report}"
    );
    assert_eq!(versions(&conn), [1, 2, 3]);
    assert!(released.migrate(&mut conn).expect("again").is_empty());
}

#[test]
fn a_renumbered_row_alone_is_rewritten_and_an_edited_or_renamed_one_is_not() {
    let (root, mut conn) = applied_on_a_branch();
    fs::remove_file(root.path().join("migrations/20240301120000_posts.sql")).expect("remove");

    // Renumbered and edited: not the same migration, so the database is
    // still one a newer release migrated, and nothing changes.
    write(
        root.path(),
        &[("002_posts.sql", &POSTS.replace("id INTEGER", "id TEXT"))],
    );
    let error = load(root.path()).migrate(&mut conn).expect_err("refused");
    assert!(matches!(error, Error::UnknownVersion { .. }), "{error:?}");
    assert_eq!(versions(&conn), [1, 20240301120000]);

    // Renumbered with the same text under another name: another migration.
    fs::remove_file(root.path().join("migrations/002_posts.sql")).expect("remove");
    write(root.path(), &[("002_articles.sql", POSTS)]);
    let error = load(root.path()).migrate(&mut conn).expect_err("refused");
    assert!(matches!(error, Error::UnknownVersion { .. }), "{error:?}");
    assert_eq!(versions(&conn), [1, 20240301120000]);
    fs::remove_file(root.path().join("migrations/002_articles.sql")).expect("remove");

    // Renumbered as it was: the row alone is rewritten, in a transaction.
    write(root.path(), &[("002_posts.sql", POSTS)]);
    let report = load(root.path()).migrate(&mut conn).expect("renumbered");
    assert!(report.steps.is_empty());
    assert_eq!(report.renumbered, [(Version(20240301120000), Version(2))]);
    assert_eq!(versions(&conn), [1, 2]);
}

#[test]
fn refinery_unversioned_migrations_may_come_after_newer_ones() {
    let root = tempfile::tempdir().expect("tempdir");
    let db = root.path().join("app.db");
    write(
        root.path(),
        &[
            ("V1__a.sql", "CREATE TABLE a (x INT);"),
            ("V3__c.sql", "CREATE TABLE c (x INT);"),
        ],
    );
    let mut conn = Connection::open(&db).expect("open");
    load(root.path()).migrate(&mut conn).expect("first run");
    // A versioned migration older than the newest applied is refused …
    write(root.path(), &[("V2__b.sql", "CREATE TABLE b (x INT);")]);
    let error = load(root.path())
        .migrate(&mut conn)
        .expect_err("out of order");
    assert!(
        matches!(
            error,
            Error::OutOfOrder {
                version: Version(2),
                ..
            }
        ),
        "{error:?}"
    );
    // … an unversioned one is applied.
    fs::rename(
        root.path().join("migrations/V2__b.sql"),
        root.path().join("migrations/U2__b.sql"),
    )
    .expect("rename");
    let report = load(root.path()).migrate(&mut conn).expect("unordered");
    assert_eq!(report.steps.len(), 1);
    assert_eq!(versions(&conn), [1, 2, 3]);
}

#[test]
fn environments_that_reuse_a_version_each_migrate_their_own() {
    let root = tempfile::tempdir().expect("tempdir");
    write(
        root.path(),
        &[
            (
                "base/1_t.sql",
                "-- +goose Up\nCREATE TABLE t (v TEXT);\n-- +goose Down\nDROP TABLE t;\n",
            ),
            (
                "production/2_seed.sql",
                "-- +goose Up\nINSERT INTO t VALUES ('prod');\n-- +goose Down\nDELETE FROM t;\n",
            ),
            (
                "test/2_seed.sql",
                "-- +goose Up\nINSERT INTO t VALUES ('test');\n-- +goose Down\nDELETE FROM t;\n",
            ),
        ],
    );
    let migrations = load(root.path());
    for environment in ["production", "test"] {
        let mut conn =
            Connection::open(root.path().join(format!("{environment}.db"))).expect("open");
        let migrator = || migrations.migrator().environment(environment);
        migrator().run(&mut conn).expect("migrates");
        let value: String = conn
            .query_row("SELECT v FROM t", [], |r| r.get(0))
            .expect("row");
        assert_eq!(
            value,
            if environment == "production" {
                "prod"
            } else {
                "test"
            }
        );
        // Its own checksum is the one checked: no drift on the next start.
        assert!(migrator().run(&mut conn).expect("again").is_empty());
        migrator().reset(&mut conn).expect("reverts");
    }
}
