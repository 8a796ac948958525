//! A history table written before the `failure` column: read as it is
//! (its failures were kept in the checksum column), then brought up to
//! date by the next run that writes, on SQLite and on PostgreSQL.

use std::time::Duration;

use migrate_runtime::rusqlite::Connection;
use migrate_runtime::{
    Error, HistoryStore, Migrations, Resolution, State, TableName, Version, postgres,
};
use migrate_tests::pg::Scratch;
use migrate_tests::{NO_TX_FAILING, PG_NO_TX_FAILING};

/// What an earlier release recorded for version 2 of `set`, which failed
/// outside a transaction: the failure in the checksum's place.
const LEGACY_FAILURE: &str =
    "failed at statement 2 of 2 (002_outside.sql:4): no such table: missing";

fn checksum(set: &Migrations, version: u64) -> String {
    set.iter()
        .find(|m| m.version() == Version(version))
        .expect("embedded")
        .checksum()
        .to_string()
}

/// The backend's own call.
fn create_history(db: &mut impl HistoryStore, table: &TableName) {
    migrate_tests::ready(db.create_history(table)).expect("creates or upgrades");
}

/// An applied row is never written over: recording it again, or recording
/// progress over it, is an error.
fn recorded_twice_is_an_error(db: &mut impl HistoryStore, set: &Migrations) {
    let table = TableName::new("schema_migrations").expect("valid");
    let first = set.get(Version(1)).expect("version 1");
    let error = migrate_tests::ready(db.insert_history(&table, first, Duration::ZERO))
        .expect_err("version 1 is applied");
    assert!(
        error.to_string().contains("already recorded as applied"),
        "{error}"
    );
    // Nor is an applied row turned back into a mark by a run's progress
    // (a run that lost its lease while another finished the migration).
    let error = migrate_tests::ready(db.record_progress(
        &table,
        Version(1),
        "statements known done: 1 of 2",
    ))
    .expect_err("version 1 is applied");
    assert!(
        error
            .to_string()
            .contains("another run finished or resolved it"),
        "{error}"
    );
}

fn refused_as_failed(error: &Error) -> bool {
    matches!(
        error,
        Error::UnresolvedFailure {
            version: Version(2),
            ..
        }
    )
}

#[test]
fn an_sqlite_history_from_before_the_failure_column_is_read_then_upgraded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut conn = Connection::open(dir.path().join("app.db")).expect("open");
    conn.execute_batch(
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,
             checksum TEXT NOT NULL, applied_at TEXT NOT NULL, execution_time_us INTEGER NOT NULL);
         CREATE TABLE a (x INTEGER); CREATE TABLE b (x INTEGER);",
    )
    .expect("old table");
    conn.execute(
        "INSERT INTO schema_migrations VALUES (1, 'inside', ?1, '2026-01-01T00:00:00.000Z', 5),
                                              (2, 'outside', ?2, '2026-01-01T00:00:01.000Z', 0)",
        [checksum(&NO_TX_FAILING, 1), LEGACY_FAILURE.to_owned()],
    )
    .expect("old rows");

    // Read as it is: the failure stops every run, and status shows it.
    let status = NO_TX_FAILING.status(&mut conn).expect("status");
    assert_eq!(status.entries[1].state, State::Failed);
    assert_eq!(status.entries[1].failure.as_deref(), Some(LEGACY_FAILURE));
    let refused = NO_TX_FAILING.migrate(&mut conn).expect_err("refused");
    assert!(refused_as_failed(&refused), "{refused}");

    // Brought up to date: the failure moves to its own column.
    let table = TableName::new("schema_migrations").expect("valid");
    create_history(&mut conn, &table);
    let (kept, failure): (String, Option<String>) = conn
        .query_row(
            "SELECT checksum, failure FROM schema_migrations WHERE version = 2",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("row 2");
    assert_eq!(
        (kept.as_str(), failure.as_deref()),
        ("", Some(LEGACY_FAILURE))
    );
    create_history(&mut conn, &table); // a second time changes nothing
    let refused = NO_TX_FAILING.migrate(&mut conn).expect_err("still refused");
    assert!(refused_as_failed(&refused), "{refused}");

    // Resolved: an applied row with its checksum and no failure.
    NO_TX_FAILING
        .migrator()
        .resolve(&mut conn, Version(2), Resolution::Applied)
        .expect("resolves");
    let (kept, failure): (String, Option<String>) = conn
        .query_row(
            "SELECT checksum, failure FROM schema_migrations WHERE version = 2",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("row 2");
    assert_eq!((kept, failure), (checksum(&NO_TX_FAILING, 2), None));
    assert!(NO_TX_FAILING.migrate(&mut conn).expect("runs").is_empty());
}

#[test]
fn a_new_failure_is_recorded_in_its_own_column_with_the_checksum() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut conn = Connection::open(dir.path().join("app.db")).expect("open");
    NO_TX_FAILING
        .migrate(&mut conn)
        .expect_err("version 2 fails");
    let (kept, failure): (String, Option<String>) = conn
        .query_row(
            "SELECT checksum, failure FROM schema_migrations WHERE version = 2",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("row 2");
    assert_eq!(kept, checksum(&NO_TX_FAILING, 2));
    assert!(failure.is_some_and(|f| f.starts_with("failed at statement 2 of 2")));
    recorded_twice_is_an_error(&mut conn, &NO_TX_FAILING);
}

#[test]
fn a_postgres_history_from_before_the_failure_column_is_read_then_upgraded() {
    let Some(scratch) = Scratch::new() else {
        return;
    };
    let mut client: postgres::Client = scratch.client();
    client
        .batch_execute(
            "CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL,
                 checksum TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now(),
                 execution_time_us BIGINT NOT NULL);
             CREATE TABLE counter (k INTEGER NOT NULL);",
        )
        .expect("old table");
    client
        .execute(
            "INSERT INTO schema_migrations (version, name, checksum, execution_time_us)
             VALUES (1, 'counter', $1, 5), (2, 'outside', $2, 0)",
            &[&checksum(&PG_NO_TX_FAILING, 1), &LEGACY_FAILURE],
        )
        .expect("old rows");

    let status = PG_NO_TX_FAILING.status(&mut client).expect("status");
    assert_eq!(status.entries[1].state, State::Failed);
    let refused = PG_NO_TX_FAILING.migrate(&mut client).expect_err("refused");
    assert!(refused_as_failed(&refused), "{refused}");

    let table = TableName::new("schema_migrations").expect("valid");
    create_history(&mut client, &table);
    create_history(&mut client, &table);
    let row = client
        .query_one(
            "SELECT checksum, failure FROM schema_migrations WHERE version = 2",
            &[],
        )
        .expect("row 2");
    assert_eq!(row.get::<_, String>(0), "");
    assert_eq!(
        row.get::<_, Option<String>>(1).as_deref(),
        Some(LEGACY_FAILURE)
    );

    PG_NO_TX_FAILING
        .migrator()
        .resolve(&mut client, Version(2), Resolution::Pending)
        .expect("resolves");
    let status = PG_NO_TX_FAILING
        .migrator()
        .busy_timeout(Duration::from_secs(5))
        .status(&mut client)
        .expect("status");
    assert_eq!(status.entries[1].state, State::Pending);
    recorded_twice_is_an_error(&mut client, &PG_NO_TX_FAILING);
}
