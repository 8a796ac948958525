//! A statement of a migration outside a transaction commits together with
//! the record that it is done, where the database can: when the record
//! cannot be written, the statement is rolled back with it, so the history
//! never says less than what ran. The record is refused here by a trigger
//! on the history table (the server's own rollback is the oracle). A
//! statement that cannot run in a transaction still runs, alone, and is
//! recorded after it.

use std::fs;
use std::path::Path;

use migrate_core::{Dialect, Options};
use migrate_runtime::rusqlite::Connection;
use migrate_runtime::{Error, Migrations};
use migrate_tests::pg::Scratch;

/// The set of `files` (name, text) in `dir/migrations`, read as `dialect`.
fn load(dir: &Path, dialect: Dialect, files: &[(&str, &str)]) -> Migrations {
    let folder = dir.join("migrations");
    fs::create_dir_all(&folder).expect("mkdir");
    for (name, text) in files {
        fs::write(folder.join(name), text).expect("write");
    }
    let options = Options {
        dialect,
        ..Options::default()
    };
    let set = migrate_core::load(dir, "migrations", &options)
        .unwrap_or_else(|problems| panic!("{problems:?}"));
    Migrations::from_set(set)
}

/// Version 1, which makes `t`.
const TABLE: (&str, &str) = (
    "001_t.sql",
    "-- +migrate Up\nCREATE TABLE t (n INTEGER);\n-- +migrate Down\nDROP TABLE t;\n",
);

/// Version 1 makes `t`; version 2, outside a transaction, inserts 1, 2, 3
/// with `between` (a statement that must run alone) after the first.
fn set(dir: &Path, dialect: Dialect, between: &str) -> Migrations {
    let fill = format!(
        "-- +migrate NoTransaction\n-- +migrate Up\nINSERT INTO t VALUES (1);\n{between}\n\
         INSERT INTO t VALUES (2);\nINSERT INTO t VALUES (3);\n\
         -- +migrate Down\nDELETE FROM t;\n"
    );
    load(dir, dialect, &[TABLE, ("002_fill.sql", &fill)])
}

/// The failure the history row of version 2 keeps.
fn failure_of_sqlite(conn: &Connection) -> String {
    conn.query_row(
        "SELECT failure FROM schema_migrations WHERE version = 2",
        [],
        |row| row.get(0),
    )
    .expect("the row of version 2")
}

/// The run failed writing the record, and said so.
fn refused_record(error: &Error) {
    assert!(
        error
            .to_string()
            .contains("recording a statement of a migration outside a transaction as done"),
        "{error}"
    );
}

#[test]
fn on_sqlite_a_row_change_is_rolled_back_with_its_record() {
    let root = tempfile::tempdir().expect("tempdir");
    let migrations = set(root.path(), Dialect::Sqlite, "");
    let mut conn = Connection::open(root.path().join("app.db")).expect("open");
    migrations
        .migrator()
        .to(migrate_runtime::Version(1))
        .run(&mut conn)
        .expect("version 1");
    // The record that statement 2 (the insert of 2) is done is refused.
    conn.execute_batch(
        "CREATE TRIGGER refuse BEFORE UPDATE OF failure ON schema_migrations
           WHEN NEW.failure LIKE '%statements known done: 2 of 3%'
           BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;",
    )
    .expect("trigger");
    let error = migrations.migrate(&mut conn).expect_err("the record fails");
    refused_record(&error);
    let rows: Vec<i64> = conn
        .prepare("SELECT n FROM t ORDER BY n")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .expect("rows");
    assert_eq!(rows, [1], "the insert of 2 went with its record");
    let failure = failure_of_sqlite(&conn);
    assert!(
        failure.contains("failed at statement 2 of 3")
            || failure.contains("statements known done: 1 of 3"),
        "{failure}"
    );
}

#[test]
fn on_sqlite_a_statement_that_must_run_alone_runs_and_is_recorded_after_it() {
    let root = tempfile::tempdir().expect("tempdir");
    // VACUUM cannot run inside a transaction on SQLite.
    let migrations = set(root.path(), Dialect::Sqlite, "VACUUM;");
    let mut conn = Connection::open(root.path().join("app.db")).expect("open");
    migrations.migrate(&mut conn).expect("applies");
    let count: i64 = conn
        .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
        .expect("count");
    assert_eq!(count, 3);
}

const PG_REFUSE: &str = "
    CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'refused by the test'; END $$;
    CREATE TRIGGER refuse BEFORE UPDATE OF failure ON schema_migrations FOR EACH ROW
      WHEN (NEW.failure LIKE '%statements known done: 2 of 3%') EXECUTE FUNCTION refuse();";

#[test]
fn on_postgres_a_statement_is_rolled_back_with_its_record() {
    let Some(db) = Scratch::new() else { return };
    let root = tempfile::tempdir().expect("tempdir");
    let migrations = set(root.path(), Dialect::Postgres, "");
    let mut client = db.client();
    migrations
        .migrator()
        .to(migrate_runtime::Version(1))
        .run(&mut client)
        .expect("version 1");
    client.batch_execute(PG_REFUSE).expect("trigger");
    let error = migrations
        .migrate(&mut client)
        .expect_err("the record fails");
    let rows: Vec<i32> = client
        .query("SELECT n FROM t ORDER BY n", &[])
        .expect("rows")
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(rows, [1], "the insert of 2 went with its record: {error}");
    let failure: String = client
        .query_one(
            "SELECT failure FROM schema_migrations WHERE version = 2",
            &[],
        )
        .expect("the row of version 2")
        .get(0);
    assert!(
        failure.contains("statement 2 of 3") || failure.contains("statements known done: 1 of 3"),
        "{failure}"
    );
    assert!(error.to_string().contains("refused by the test"), "{error}");
}

#[test]
fn on_postgres_a_statement_refused_in_a_transaction_block_runs_alone_and_is_recorded() {
    let Some(db) = Scratch::new() else { return };
    let root = tempfile::tempdir().expect("tempdir");
    let migrations = set(
        root.path(),
        Dialect::Postgres,
        "CREATE INDEX CONCURRENTLY t_n ON t (n);",
    );
    let mut client = db.client();
    migrations.migrate(&mut client).expect("applies");
    let count: i64 = client
        .query_one("SELECT count(*) FROM t", &[])
        .expect("count")
        .get(0);
    assert_eq!(count, 3);
    let valid: bool = client
        .query_one(
            "SELECT indisvalid FROM pg_index WHERE indexrelid = 't_n'::regclass",
            &[],
        )
        .expect("index")
        .get(0);
    assert!(valid);
}

/// Version 2, outside a transaction, whose first statement fails: `INSERT`
/// into a table that does not exist, then an insert into `t`.
fn first_fails(dir: &Path, dialect: Dialect) -> Migrations {
    let fill = "-- +migrate NoTransaction\n-- +migrate Up\nINSERT INTO missing VALUES (1);\n\
                INSERT INTO t VALUES (2);\n-- +migrate Down\nDELETE FROM t;\n";
    load(dir, dialect, &[TABLE, ("002_fill.sql", fill)])
}

/// What the failure of [`first_fails`] says: nothing of it ran.
fn stays_pending(error: &Error) {
    assert!(
        matches!(
            error,
            Error::MigrationFailed {
                left_nothing: true,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(
        error.to_string().contains(
            "its first statement failed without changing anything, so nothing of it ran: it is \
             not recorded as failed and stays pending"
        ),
        "{error}"
    );
}

/// A migration outside a transaction whose first statement fails changed
/// nothing (a statement is all or nothing): it is not marked failed, the
/// next run is not refused, and once the table exists it applies. It used
/// to be recorded as failed part-way, "dirty", with "statements before
/// this one stay applied" when there were none.
#[test]
fn on_sqlite_a_first_statement_that_fails_leaves_the_migration_pending() {
    let root = tempfile::tempdir().expect("tempdir");
    let migrations = first_fails(root.path(), Dialect::Sqlite);
    let mut conn = Connection::open(root.path().join("app.db")).expect("open");
    let error = migrations.migrate(&mut conn).expect_err("fails");
    stays_pending(&error);
    let versions = migrate_tests::versions_in(&conn, "schema_migrations");
    assert_eq!(versions, [1], "no row for version 2");
    let again = migrations
        .migrate(&mut conn)
        .expect_err("fails again, not refused");
    stays_pending(&again);
    conn.execute_batch("CREATE TABLE missing (n INTEGER)")
        .expect("the fix");
    migrations.migrate(&mut conn).expect("applies");
    let versions = migrate_tests::versions_in(&conn, "schema_migrations");
    assert_eq!(versions, [1, 2]);
}

#[test]
fn on_postgres_a_first_statement_that_fails_leaves_the_migration_pending() {
    let Some(db) = Scratch::new() else { return };
    let root = tempfile::tempdir().expect("tempdir");
    let migrations = first_fails(root.path(), Dialect::Postgres);
    let mut client = db.client();
    let error = migrations.migrate(&mut client).expect_err("fails");
    stays_pending(&error);
    let rows: i64 = client
        .query_one(
            "SELECT count(*) FROM schema_migrations WHERE version = 2",
            &[],
        )
        .expect("count")
        .get(0);
    assert_eq!(rows, 0, "no row for version 2");
    client
        .batch_execute("CREATE TABLE missing (n INTEGER)")
        .expect("the fix");
    migrations.migrate(&mut client).expect("applies");
}
