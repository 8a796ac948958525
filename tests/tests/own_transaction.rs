//! A migration that controls its own transaction (`BEGIN … COMMIT` in the
//! file, run outside the run's) and fails inside it: its transaction is
//! rolled back, the error and the history say so, the statements before
//! its `BEGIN` stay, and the connection is left outside any transaction —
//! on SQLite and on PostgreSQL, the same.

use migrate_runtime::{Error, Migrations, Version};
use migrate_tests::generated;

/// `kept` before the file's own transaction; `undone` inside it, then a
/// failing insert (line 6).
fn set() -> Migrations {
    generated(&[(
        "001_own.sql",
        "-- +migrate Up\nCREATE TABLE kept (x INT);\nBEGIN;\nCREATE TABLE undone (x INT);\n\n\
         INSERT INTO missing VALUES (1);\nCOMMIT;\n-- +migrate Down\nDROP TABLE kept;\n"
            .into(),
    )])
}

/// The error says the file's own transaction, from its `BEGIN` on line 3,
/// was rolled back.
fn says_its_transaction_was_rolled_back(error: &Error) {
    assert!(
        matches!(
            error,
            Error::MigrationFailed {
                own_transaction: Some(3),
                line: 6,
                ..
            }
        ),
        "{error}"
    );
    assert!(
        error
            .to_string()
            .contains("own transaction (its `BEGIN` on line 3) was rolled back"),
        "{error}"
    );
}

#[test]
fn sqlite_a_failure_inside_the_files_own_transaction_rolls_it_back_and_says_so() {
    let (_dir, mut conn) = migrate_tests::sqlite_file();
    let set = set();
    let error = set.migrate(&mut conn).expect_err("fails");
    says_its_transaction_was_rolled_back(&error);
    assert!(conn.is_autocommit(), "left inside a transaction");
    assert!(migrate_tests::table_exists(&conn, "kept"));
    assert!(!migrate_tests::table_exists(&conn, "undone"));
    let failure: String = conn
        .query_row(
            "SELECT failure FROM schema_migrations WHERE version = 1",
            [],
            |row| row.get(0),
        )
        .expect("recorded");
    assert!(failure.contains("was rolled back"), "{failure}");
    let refused = set.migrate(&mut conn).expect_err("refused until resolved");
    assert!(
        matches!(
            refused,
            Error::UnresolvedFailure {
                version: Version(1),
                ..
            }
        ),
        "{refused}"
    );
}

#[test]
fn postgres_a_failure_inside_the_files_own_transaction_rolls_it_back_and_says_so() {
    let Some(db) = migrate_tests::pg::Scratch::new() else {
        return;
    };
    let mut client = db.client();
    let set = set();
    let error = set.migrate(&mut client).expect_err("fails");
    says_its_transaction_was_rolled_back(&error);
    let tables: Vec<String> = client
        .query(
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = 'public' AND table_name IN ('kept', 'undone')",
            &[],
        )
        .expect("the client is usable, outside a transaction")
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(tables, ["kept"]);
    let failure: String = client
        .query_one(
            "SELECT failure FROM schema_migrations WHERE version = 1",
            &[],
        )
        .expect("recorded")
        .get(0);
    assert!(failure.contains("was rolled back"), "{failure}");
}
