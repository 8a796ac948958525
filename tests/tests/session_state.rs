//! A migration that changes its session — `SET search_path`, `pg_dump`'s
//! `set_config('search_path', '', false)`, `RESET ALL`, `DISCARD ALL`, a
//! short `statement_timeout` — in one transaction, per migration and
//! outside a transaction, on a direct session and through PgBouncer in
//! transaction mode (one server session, so every leak lands where the
//! run goes next): the history stays in the schema the run started in,
//! while another schema holds a history of its own; the next migration
//! runs where it would have without the change; the lock is free after
//! the run; the next run applies nothing; and the session is given its own
//! settings back. The oracle is the server's catalogs, read from a
//! session of the test's own.
//!
//! And a revert that fails part-way outside a transaction is recorded,
//! refused and advised as a revert: following the advice literally leaves
//! history and schema in agreement.

use migrate_runtime::postgres::Client;
use migrate_runtime::{Error, Migrations, Resolution, Version};
use migrate_tests::generated;
use migrate_tests::pg::{Bouncer, Scratch};

/// How the set runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    OneTransaction,
    PerMigration,
    /// Version 2 is `NoTransaction`.
    Outside,
}

/// What version 2 does to its session, after creating its table.
const CHANGES: [&str; 5] = [
    "SET search_path = other2",
    "SELECT set_config('search_path', '', false)",
    "RESET ALL",
    "SET statement_timeout = '20ms'",
    "DISCARD ALL",
];

/// Three migrations: `a1`; `a2`, then `change`; `a3`, then a 50 ms sleep
/// that a leftover 20 ms `statement_timeout` would stop.
fn set(change: &str, mode: Mode) -> Migrations {
    let outside = if mode == Mode::Outside {
        "-- +migrate NoTransaction\n"
    } else {
        ""
    };
    generated(&[
        (
            "001_a.sql",
            "-- +migrate Up\nCREATE TABLE a1 (n INT);\n-- +migrate Down\nDROP TABLE a1;\n".into(),
        ),
        (
            "002_b.sql",
            format!(
                "{outside}-- +migrate Up\nCREATE TABLE a2 (n INT);\n{change};\n\
                 -- +migrate Down\nDROP TABLE public.a2;\n"
            ),
        ),
        (
            "003_c.sql",
            "-- +migrate Up\nCREATE TABLE a3 (n INT);\nSELECT pg_sleep(0.05);\n\
             -- +migrate Down\nDROP TABLE a3;\n"
                .into(),
        ),
    ])
}

/// `sql`'s rows, as text, one per row.
fn texts(client: &mut Client, sql: &str) -> Vec<String> {
    client
        .query(sql, &[])
        .expect(sql)
        .iter()
        .map(|row| row.get(0))
        .collect()
}

/// The history of `schema`, version and time applied.
fn history_of(client: &mut Client, schema: &str) -> Vec<String> {
    texts(
        client,
        &format!(
            "SELECT version || ' ' || applied_at FROM {schema}.schema_migrations ORDER BY version"
        ),
    )
}

/// The tables of `schema`.
fn tables_of(client: &mut Client, schema: &str) -> Vec<String> {
    texts(
        client,
        &format!(
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = '{schema}' ORDER BY 1"
        ),
    )
}

/// What a session reads of the settings a migration may change.
const SETTINGS: &str = "SELECT current_setting('search_path') || ' | ' || \
     current_setting('statement_timeout') || ' | ' || current_setting('lock_timeout')";

/// One trial: `change` in version 2, run as `mode`, through the pooler
/// when `bouncer` is given.
fn trial(bouncer: Option<&Bouncer>, mode: Mode, change: &str) {
    let what = format!(
        "{change:?} {mode:?} {}",
        if bouncer.is_some() {
            "through PgBouncer"
        } else {
            "direct"
        }
    );
    let Some(db) = Scratch::new() else { return };
    let mut oracle = db.client();
    let set = set(change, mode);
    // Another tenant's schema, with its own history of the same set.
    oracle
        .batch_execute("CREATE SCHEMA other2")
        .expect("schema");
    set.migrator()
        .schema("other2")
        .direct_connection(true)
        .per_migration(mode == Mode::PerMigration)
        .run(&mut db.client())
        .unwrap_or_else(|e| panic!("{what}: the other tenant's run: {e}"));
    let other_history = history_of(&mut oracle, "other2");
    let other_tables = tables_of(&mut oracle, "other2");

    let url = bouncer.map_or_else(|| db.url(), |b| b.url(&db));
    let mut client = Client::connect(&url, migrate_runtime::postgres::NoTls).expect("connect");
    let own: String = client.query_one(SETTINGS, &[]).expect("settings").get(0);
    let migrator = set.migrator().per_migration(mode == Mode::PerMigration);
    let report = migrator
        .run(&mut client)
        .unwrap_or_else(|e| panic!("{what}: {e:?}"));
    assert_eq!(report.to, Some(Version(3)), "{what}");

    assert_eq!(
        texts(
            &mut oracle,
            "SELECT version::text FROM public.schema_migrations ORDER BY 1"
        ),
        ["1", "2", "3"],
        "{what}: the history left the schema the run started in"
    );
    assert_eq!(
        tables_of(&mut oracle, "public"),
        [
            "a1",
            "a2",
            "a3",
            "schema_migrations",
            "schema_migrations_lock"
        ],
        "{what}: a later migration ran elsewhere"
    );
    assert_eq!(
        history_of(&mut oracle, "other2"),
        other_history,
        "{what}: the other tenant's history was written"
    );
    assert_eq!(
        tables_of(&mut oracle, "other2"),
        other_tables,
        "{what}: the other tenant's tables changed"
    );
    for schema in ["public", "other2"] {
        let held = texts(
            &mut oracle,
            &format!("SELECT coalesce(token, 'free') FROM {schema}.schema_migrations_lock"),
        );
        assert_eq!(held, ["free"], "{what}: the lock in {schema} is left held");
    }
    let advisory = texts(
        &mut oracle,
        "SELECT a.state || ': ' || a.query FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
         WHERE l.locktype = 'advisory'
           AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
    );
    assert!(
        advisory.is_empty(),
        "{what}: an advisory lock is left held by {advisory:?}"
    );

    // The session (the pooler's one server session, too) has its own
    // settings back.
    let after: String = client.query_one(SETTINGS, &[]).expect("settings").get(0);
    if change != "DISCARD ALL" && change != "RESET ALL" {
        assert_eq!(
            after, own,
            "{what}: the session kept what the migration set"
        );
    }

    // The next run applies nothing.
    let again = migrator
        .run(&mut client)
        .unwrap_or_else(|e| panic!("{what}: the next run: {e:?}"));
    assert!(
        again.steps.is_empty(),
        "{what}: the next run applied {:?}",
        again.steps
    );
}

#[test]
fn a_migration_that_changes_its_session_moves_nothing_of_the_run_on_a_direct_session() {
    for mode in [Mode::OneTransaction, Mode::PerMigration, Mode::Outside] {
        for change in CHANGES {
            // DISCARD ALL cannot run inside a transaction block.
            if change == "DISCARD ALL" && mode != Mode::Outside {
                continue;
            }
            trial(None, mode, change);
        }
    }
}

#[test]
fn a_migration_that_changes_its_session_moves_nothing_of_the_run_through_a_pooler() {
    let Some(bouncer) = Bouncer::with_pool(1) else {
        return;
    };
    for mode in [Mode::OneTransaction, Mode::PerMigration, Mode::Outside] {
        for change in CHANGES {
            if change == "DISCARD ALL" && mode != Mode::Outside {
                continue;
            }
            trial(Some(&bouncer), mode, change);
        }
    }
}

/// `r1`, `r2`, `r3` outside a transaction, whose revert fails at its
/// second statement (line 7).
fn failing_revert() -> Migrations {
    generated(&[
        (
            "001_a.sql",
            "-- +migrate Up\nCREATE TABLE a1 (n INT);\n-- +migrate Down\nDROP TABLE a1;\n".into(),
        ),
        (
            "002_r.sql",
            "-- +migrate NoTransaction\n-- +migrate Up\nCREATE TABLE r1 (n INT);\n\
             CREATE TABLE r2 (n INT);\nCREATE TABLE r3 (n INT);\n-- +migrate Down\n\
             DROP TABLE r3;\nDROP TABLE missing;\nDROP TABLE r1;\nDROP TABLE r2;\n"
                .into(),
        ),
    ])
}

#[test]
fn a_failed_revert_outside_a_transaction_is_recorded_refused_and_advised_as_a_revert() {
    let Some(db) = Scratch::new() else { return };
    let mut client = db.client();
    let set = failing_revert();
    set.migrator().run(&mut client).expect("up");
    let failed = set
        .migrator()
        .down(&mut client)
        .expect_err("the revert fails");
    assert!(
        matches!(failed, Error::MigrationFailed { line: 8, .. }),
        "{failed}"
    );

    let recorded = texts(
        &mut client,
        "SELECT failure FROM schema_migrations WHERE version = 2",
    );
    assert!(
        recorded[0].starts_with("failed while being reverted, at statement 2 of 4"),
        "{recorded:?}"
    );
    let status = set.migrator().status(&mut client).expect("status");
    let shown = status.to_string();
    assert!(shown.contains("failed while being reverted"), "{shown}");

    // Every operation is refused, with the advice the right way round.
    let refused = set.migrator().run(&mut client).expect_err("refused");
    let Error::UnresolvedFailure { reverting, .. } = &refused else {
        panic!("{refused}");
    };
    assert!(reverting);
    let advice = refused.to_string();
    let pending = advice.find("Resolution::Pending").expect("pending advised");
    let applied = advice.find("Resolution::Applied").expect("applied advised");
    assert!(
        pending < applied && advice.contains("if you completed the revert"),
        "{advice}"
    );

    // The user completes the revert by hand and follows the advice.
    client
        .batch_execute("DROP TABLE r1; DROP TABLE r2")
        .expect("the revert, by hand");
    set.migrator()
        .resolve(&mut client, Version(2), Resolution::Pending)
        .expect("resolve");
    assert_eq!(
        texts(
            &mut client,
            "SELECT version::text FROM schema_migrations ORDER BY 1"
        ),
        ["1"]
    );
    // History and schema agree: version 2 applies again from nothing.
    set.migrator().run(&mut client).expect("up again");
    assert_eq!(
        tables_of(&mut client, "public"),
        [
            "a1",
            "r1",
            "r2",
            "r3",
            "schema_migrations",
            "schema_migrations_lock"
        ]
    );
}

/// A session whose `search_path` names no schema that exists gives an
/// unqualified history table no schema to be in: the run says so before
/// any change (the server's catalogs show nothing created).
#[test]
fn a_session_with_no_schema_to_create_in_is_refused_before_any_change() {
    let Some(db) = Scratch::new() else { return };
    let mut client = db.client();
    client
        .batch_execute("SET search_path = nowhere")
        .expect("the session's path");
    let set = set("SELECT 1", Mode::OneTransaction);
    let error = set.migrator().run(&mut client).expect_err("refused");
    assert!(
        error
            .to_string()
            .contains("no schema of the session's search_path (nowhere) exists"),
        "{error}"
    );
    assert!(tables_of(&mut db.client(), "public").is_empty());
}

/// The session's own settings travel in the run's messages as string
/// literals: a schema whose name has a backslash, in the path of a session
/// with `standard_conforming_strings` off (where `'\\'` starts an escape),
/// is still in it after the run, in a transaction and outside one.
#[test]
fn a_session_path_with_a_backslash_is_given_back_where_backslashes_are_escapes() {
    let Some(db) = Scratch::new() else { return };
    let mut client = db.client();
    client
        .batch_execute(
            r#"CREATE SCHEMA "we\ird";
               SET standard_conforming_strings = off; SET escape_string_warning = off;
               SET search_path = public, "we\ird""#,
        )
        .expect("the session");
    let set = generated(&[
        (
            "001_a.sql",
            "-- +migrate Up\nCREATE TABLE a1 (n INT);\n-- +migrate Down\nDROP TABLE a1;\n".into(),
        ),
        (
            "002_b.sql",
            "-- +migrate NoTransaction\n-- +migrate Up\nCREATE TABLE b1 (n INT);\n\
             INSERT INTO b1 VALUES (1);\nCREATE TABLE b2 (n INT);\n\
             -- +migrate Down\nDROP TABLE b2;\nDROP TABLE b1;\n"
                .into(),
        ),
    ]);
    set.migrate(&mut client).expect("applies");
    let path: String = client
        .query_one("SELECT current_setting('search_path')", &[])
        .expect("path")
        .get(0);
    assert_eq!(path, r#"public, "we\ird""#);
    assert_eq!(
        tables_of(&mut db.client(), "public"),
        [
            "a1",
            "b1",
            "b2",
            "schema_migrations",
            "schema_migrations_lock"
        ]
    );
}
