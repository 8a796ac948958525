//! Every refusal and failure leaves the database exactly as it was: the full
//! dump (schema and rows) and, for a failed migration, the file's bytes.

use std::path::Path;

use migrate_runtime::rusqlite::Connection;
use migrate_runtime::{Error, Version};
use migrate_tests::{
    BASIC, EDITED, FAILING, FILLED, GAPPED, IRREVERSIBLE, NEWER, SYNTAX, dump_file, file_unchanged,
    history,
};

use migrate_tests::sqlite_path as database;

/// Runs `refused` and asserts it fails and that the database did not change.
fn assert_refused_unchanged(path: &Path, refused: impl FnOnce(&mut Connection) -> Error) -> Error {
    let before = dump_file(path);
    let error = file_unchanged(path, refused);
    assert_eq!(dump_file(path), before, "the dump changed after: {error}");
    error
}

#[test]
fn a_database_from_a_newer_release_is_refused() {
    let (_dir, path) = database();
    NEWER
        .migrate(&mut Connection::open(&path).expect("open"))
        .expect("newer release");
    let error = assert_refused_unchanged(&path, |conn| BASIC.migrate(conn).expect_err("refused"));
    assert!(matches!(
        error,
        Error::UnknownVersion {
            applied: Version(4),
            known: Some(Version(3)),
            ..
        }
    ));
    assert_eq!(
        error.to_string(),
        "the database is at version 4, this binary has migrations up to 3: a newer release migrated it; \
         run that release (or a newer one), or revert the database with it"
    );
    // A revert is refused too: this binary cannot know how to undo version 4.
    assert_refused_unchanged(&path, |conn| {
        BASIC.migrator().down(conn).expect_err("refused")
    });
}

#[test]
fn an_edited_migration_is_refused() {
    let (_dir, path) = database();
    BASIC
        .migrate(&mut Connection::open(&path).expect("open"))
        .expect("applied");
    let error = assert_refused_unchanged(&path, |conn| EDITED.migrate(conn).expect_err("refused"));
    let embedded = EDITED.get(Version(3)).expect("3").checksum();
    let applied = BASIC.get(Version(3)).expect("3").checksum();
    assert_eq!(
        error.to_string(),
        format!(
            "migrations/edited/003_seed.sql was edited after it was applied (version 3: checksum {applied} in the database, \
             {embedded} in this binary); restore the file, and put the change in a new migration"
        )
    );
    assert_refused_unchanged(&path, |conn| {
        EDITED.migrator().down(conn).expect_err("refused")
    });
}

#[test]
fn an_older_pending_migration_is_refused_unless_allowed() {
    let (_dir, path) = database();
    GAPPED
        .migrate(&mut Connection::open(&path).expect("open"))
        .expect("1 and 3");
    let error = assert_refused_unchanged(&path, |conn| FILLED.migrate(conn).expect_err("refused"));
    assert_eq!(
        error.to_string(),
        "migrations/filled/002_note.sql (version 2) is pending but the database is already at version 3; \
         give it a version after 3 (`migrate fix` renumbers), or allow out-of-order migrations with `allow_out_of_order(true)`"
    );
    let mut conn = Connection::open(&path).expect("open");
    let report = FILLED
        .migrator()
        .allow_out_of_order(true)
        .run(&mut conn)
        .expect("allowed");
    assert_eq!(report.steps.len(), 1);
    assert_eq!(history(&conn), [1, 2, 3]);
}

#[test]
fn reverting_past_an_irreversible_migration_is_refused_before_any_change() {
    let (_dir, path) = database();
    IRREVERSIBLE
        .migrate(&mut Connection::open(&path).expect("open"))
        .expect("applied");
    // Reverting 3 alone is fine, but a reset must pass 2: nothing is reverted at all.
    let error = assert_refused_unchanged(&path, |conn| {
        IRREVERSIBLE.migrator().reset(conn).expect_err("refused")
    });
    assert_eq!(
        error.to_string(),
        "migrations/irreversible/002_purge.sql (version 2) is irreversible, so the database cannot be reverted past it; nothing was changed"
    );
    let mut conn = Connection::open(&path).expect("open");
    IRREVERSIBLE.migrator().down(&mut conn).expect("3 reverts");
    drop(conn);
    assert_refused_unchanged(&path, |conn| {
        IRREVERSIBLE.migrator().redo(conn).expect_err("refused")
    });
}

#[test]
fn a_target_below_the_current_version_or_unknown_is_refused() {
    let (_dir, path) = database();
    BASIC
        .migrate(&mut Connection::open(&path).expect("open"))
        .expect("applied");
    let error = assert_refused_unchanged(&path, |conn| {
        BASIC
            .migrator()
            .to(Version(2))
            .run(conn)
            .expect_err("refused")
    });
    assert_eq!(
        error.to_string(),
        "the database is at version 3, above the target 2; revert with `down_to(…)` to go down"
    );
    let error = assert_refused_unchanged(&path, |conn| {
        BASIC
            .migrator()
            .down_to(conn, Version(9))
            .expect_err("refused")
    });
    assert!(matches!(
        error,
        Error::NoSuchVersion {
            version: Version(9),
            ..
        }
    ));
}

#[test]
fn a_failing_migration_leaves_the_file_byte_identical() {
    let (_dir, path) = database();
    // Start from a database with content, so that the rollback has something to keep.
    FAILING
        .migrator()
        .to(Version(1))
        .run(&mut Connection::open(&path).expect("open"))
        .expect("1");
    let error = assert_refused_unchanged(&path, |conn| FAILING.migrate(conn).expect_err("fails"));
    match &error {
        Error::MigrationFailed {
            version,
            path,
            line,
            statement,
            driver,
            rolled_back,
            committed,
            ..
        } => {
            assert_eq!(*version, Version(3));
            assert_eq!(*path, "migrations/failing/003_broken.sql");
            assert_eq!(*line, 4);
            assert_eq!(
                *statement,
                "INSERT INTO entries (account_id, amount, note) VALUES (1, 10, 'x');"
            );
            assert!(
                driver.to_string().contains("no column named note"),
                "{driver}"
            );
            assert!(*rolled_back);
            assert!(committed.is_empty(), "{committed:?}");
        }
        other => panic!("expected MigrationFailed, got {other}"),
    }
    assert_eq!(
        error.to_string(),
        "migrations/failing/003_broken.sql:4: table entries has no column named note; \
         the database was rolled back to where it was before this run's transaction"
    );
    let source = std::error::Error::source(&error).expect("the driver's error is the source");
    assert!(
        source.to_string().contains("no column named note"),
        "{source}"
    );
}

#[test]
fn a_syntax_error_is_reported_with_sqlites_message_only() {
    let (_dir, path) = database();
    Connection::open(&path).expect("create the file");
    let error = assert_refused_unchanged(&path, |conn| SYNTAX.migrate(conn).expect_err("fails"));
    assert_eq!(
        error.to_string(),
        "migrations/syntax/002_typo.sql:2: near \"INDXE\": syntax error; \
         the database was rolled back to where it was before this run's transaction"
    );
}

#[test]
fn a_failure_on_an_empty_database_leaves_it_empty() {
    let (_dir, path) = database();
    Connection::open(&path).expect("create the file");
    let error = assert_refused_unchanged(&path, |conn| FAILING.migrate(conn).expect_err("fails"));
    assert!(matches!(error, Error::MigrationFailed { .. }));
}
