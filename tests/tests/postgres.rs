//! The PostgreSQL backend on a real server (`MIGRATE_TEST_POSTGRES_URL`),
//! each test in a fresh database it drops: the same run as on SQLite, the
//! lock's promises, and real processes started together and killed.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use migrate_runtime::{Error, Version};
use migrate_tests::pg::{
    Scratch, at_once_through, counter, history, kill, lock_is_free, schema, spawn, total_applied,
    wait_for_lock,
};
use migrate_tests::{
    PG_BASIC, PG_FAILING, PG_HELD, PG_NO_TX_FAILING, PG_ONCE, PG_ROWS, PG_SLOW, PG_SYNTAX,
    PG_TIMEOUT,
};

const CHILD: &str = env!("CARGO_BIN_EXE_migrate-child");

#[test]
fn apply_status_revert_and_apply_again() {
    let Some(db) = Scratch::new() else { return };
    let mut client = db.client();
    let report = PG_BASIC.migrate(&mut client).expect("migrates");
    assert_eq!((report.from, report.to), (None, Some(Version(3))));
    assert_eq!(history(&mut client), [1, 2, 3]);
    let status = PG_BASIC.status(&mut client).expect("status");
    assert_eq!(status.current, Some(Version(3)));
    assert!(status.pending().next().is_none());

    PG_BASIC.migrator().down(&mut client).expect("down");
    assert_eq!(history(&mut client), [1, 2]);
    let accounts: i64 = client
        .query_one("SELECT count(*) FROM accounts", &[])
        .expect("count")
        .get(0);
    assert_eq!(accounts, 0, "the seed's Down ran");
    PG_BASIC.migrate(&mut client).expect("again");
    assert!(PG_BASIC.migrate(&mut client).expect("nothing").is_empty());
    assert_eq!(history(&mut client), [1, 2, 3]);
}

#[test]
fn an_edited_migration_is_refused() {
    let Some(db) = Scratch::new() else { return };
    let mut client = db.client();
    PG_BASIC.migrate(&mut client).expect("migrates");
    // PG_FAILING's version 3 is another file under the same version.
    let error = PG_FAILING.migrate(&mut client).expect_err("drift");
    assert!(
        matches!(
            error,
            Error::ChecksumMismatch {
                version: Version(3),
                ..
            }
        ),
        "{error}"
    );
}

#[test]
fn a_failing_migration_leaves_schema_and_data_as_they_were() {
    let Some(db) = Scratch::new() else { return };
    let mut client = db.client();
    PG_BASIC
        .migrator()
        .to(Version(2))
        .run(&mut client)
        .expect("to 2");
    client
        .batch_execute("INSERT INTO accounts (email) VALUES ('grace@example.com')")
        .expect("data");
    let before = (schema(&mut client), history(&mut client));
    let error = PG_FAILING
        .migrate(&mut client)
        .expect_err("version 3 fails");
    let Error::MigrationFailed {
        version,
        path,
        line,
        ..
    } = &error
    else {
        panic!("{error}");
    };
    assert_eq!(
        (*version, path.as_str(), *line),
        (Version(3), "migrations/pg_failing/003_audit.sql", 3)
    );
    let message = error.to_string();
    assert!(
        message.contains("relation \"nowhere\" does not exist (SQLSTATE 42P01)"),
        "{message}"
    );
    assert_eq!((schema(&mut client), history(&mut client)), before);
    let emails: Vec<String> = client
        .query("SELECT email FROM accounts", &[])
        .expect("accounts")
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(emails, ["grace@example.com"]);
}

#[test]
fn the_error_names_the_line_and_column_the_server_points_at() {
    let Some(db) = Scratch::new() else { return };
    let error = PG_SYNTAX
        .migrate(&mut db.client())
        .expect_err("a syntax error");
    assert!(
        error.to_string().starts_with(
            "migrations/pg_syntax/001_t.sql:4:19: syntax error at or near \"NUL\" (SQLSTATE 42601)"
        ),
        "{error}"
    );
}

#[test]
fn create_index_concurrently_runs_outside_a_transaction() {
    let Some(db) = Scratch::new() else { return };
    let mut client = db.client();
    PG_ONCE.migrate(&mut client).expect("migrates");
    assert_eq!(history(&mut client).len(), 20);
    let valid: bool = client
        .query_one(
            "SELECT indisvalid FROM pg_index WHERE indexrelid = 'counter_k'::regclass",
            &[],
        )
        .expect("the index")
        .get(0);
    assert!(valid);
    assert_eq!(counter(&mut client).len(), 19);
    PG_ONCE
        .migrator()
        .down_to(&mut client, Version(9))
        .expect("down past it");
    assert_eq!(history(&mut client).len(), 9);
}

#[test]
fn two_schemas_of_one_database_do_not_wait_for_each_other() {
    let Some(db) = Scratch::new() else { return };
    let mut admin = db.client();
    admin
        .batch_execute("CREATE SCHEMA app_a; CREATE SCHEMA app_b")
        .expect("schemas");
    let mut holder = db.client();
    let slow = spawn(CHILD, &db, "pg_slow", "slow-holder");
    wait_for_lock(&mut holder);
    // The holder migrates `public`; a migrator of another schema's table is not kept waiting.
    let mut other = db.client();
    other
        .batch_execute("SET search_path = app_a")
        .expect("search path");
    PG_BASIC
        .migrator()
        .table("app_a.schema_migrations")
        .busy_timeout(Duration::from_millis(500))
        .run(&mut other)
        .expect("another schema's lock is free");
    kill(slow);
}

#[test]
fn the_wait_is_bounded_names_the_holder_and_ends_when_the_holder_is_killed() {
    let Some(db) = Scratch::new() else { return };
    let mut client = db.client();
    let slow = spawn(CHILD, &db, "pg_slow", "slow-holder");
    wait_for_lock(&mut client);
    let started = Instant::now();
    let error = PG_SLOW
        .migrator()
        .busy_timeout(Duration::from_millis(300))
        .run(&mut client)
        .expect_err("the lock is held");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "bounded: {:?}",
        started.elapsed()
    );
    let Error::Locked {
        holder: Some(holder),
        ..
    } = &error
    else {
        panic!("{error}");
    };
    assert_eq!(holder.application_name, "slow-holder");
    assert_eq!(holder.client_addr.as_deref(), Some("127.0.0.1"));
    let message = error.to_string();
    assert!(
        message.contains(&format!("held by server process {}", holder.pid)),
        "{message}"
    );
    assert!(message.contains("application `slow-holder`"), "{message}");

    // SIGKILL in the middle of its 30-second statement: the server notices
    // within a second, and the next migrator gets the lock.
    kill(slow);
    let killed = Instant::now();
    PG_SLOW
        .migrator()
        .busy_timeout(Duration::from_secs(10))
        .to(Version(1))
        .run(&mut client)
        .expect("the lock is free again");
    assert!(
        killed.elapsed() < Duration::from_secs(5),
        "{:?}",
        killed.elapsed()
    );
    assert_eq!(history(&mut client), [1]);
}

#[test]
fn the_lock_is_released_after_an_error_and_a_panic() {
    let Some(db) = Scratch::new() else { return };
    let mut client = db.client();
    PG_FAILING.migrate(&mut client).expect_err("fails");
    let mut other = db.client();
    let quick = PG_BASIC.migrator().busy_timeout(Duration::from_millis(200));
    quick
        .to(Version(1))
        .run(&mut other)
        .expect("free after an error");

    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        PG_BASIC
            .migrator()
            .on_progress(|_| panic!("a progress callback panics"))
            .run(&mut client)
    }));
    assert!(panicked.is_err());
    PG_BASIC
        .migrator()
        .busy_timeout(Duration::from_millis(200))
        .run(&mut other)
        .expect("free after a panic, with the panicking session still open");
}

/// `processes` children migrate one database at once, `rounds` times.
fn migrate_at_once(set: &str, rounds: usize, processes: usize, versions: usize, rows: usize) {
    for round in 0..rounds {
        let Some(db) = Scratch::new() else { return };
        let outputs = at_once_through(CHILD, &db.url(), (set, "atomic"), processes, 60_000, &[]);
        let applied = total_applied(&outputs, round);
        let mut client = db.client();
        assert_eq!(
            applied, versions,
            "round {round}: each migration applied once"
        );
        assert_eq!(history(&mut client).len(), versions);
        let mut rows_seen = counter(&mut client);
        rows_seen.dedup();
        assert_eq!(rows_seen.len(), rows, "round {round}: no row twice");
        assert!(
            lock_is_free(&mut client),
            "round {round}: the lock is free afterwards"
        );
    }
}

#[test]
fn sixteen_processes_at_once_apply_each_migration_once() {
    migrate_at_once("pg_rows", 20, 16, 20, 20);
}

#[test]
fn sixteen_processes_at_once_with_create_index_concurrently() {
    migrate_at_once("pg_once", 5, 16, 20, 19);
}

#[test]
fn a_holder_killed_at_random_points_leaves_nothing_half_applied() {
    let mut rng = migrate_tests::Rng(0x5eed);
    let trials: Vec<(u64, u64)> = (0..50).map(|trial| (trial, rng.below(120))).collect();
    // Ten trials at a time, each on its own database with its own child.
    migrate_tests::in_rounds(&trials, 10, |(trial, pause)| {
        let Some(db) = Scratch::new() else {
            return false;
        };
        let child = spawn(CHILD, &db, "pg_rows", "doomed");
        std::thread::sleep(Duration::from_millis(pause));
        kill(child);
        let mut client = db.client();
        migrate_tests::PG_ROWS
            .migrator()
            .busy_timeout(Duration::from_secs(10))
            .run(&mut client)
            .unwrap_or_else(|e| panic!("trial {trial}: the next migrator completes: {e}"));
        let rows = counter(&mut client);
        assert_eq!(
            rows,
            (1..=20).collect::<Vec<i32>>(),
            "trial {trial}: every row once"
        );
        assert_eq!(history(&mut client).len(), 20, "trial {trial}");
        true
    });
}

#[test]
fn the_schema_option_migrates_each_schema_on_its_own() {
    let Some(db) = Scratch::new() else { return };
    let mut client = db.client();
    client
        .batch_execute("CREATE SCHEMA app_a; CREATE SCHEMA app_b")
        .expect("schemas");
    let own: String = client
        .query_one("SELECT current_setting('search_path')", &[])
        .expect("search path")
        .get(0);
    for schema in ["app_a", "app_b"] {
        PG_BASIC
            .migrator()
            .schema(schema)
            .run(&mut client)
            .expect("migrates the schema");
    }
    let tables: Vec<String> = client
        .query(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables
             WHERE table_schema LIKE 'app_%' ORDER BY 1",
            &[],
        )
        .expect("tables")
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(
        tables,
        [
            "app_a.accounts",
            "app_a.entries",
            "app_a.schema_migrations",
            "app_a.schema_migrations_lock",
            "app_b.accounts",
            "app_b.entries",
            "app_b.schema_migrations",
            "app_b.schema_migrations_lock",
        ]
    );
    let after: String = client
        .query_one("SELECT current_setting('search_path')", &[])
        .expect("search path")
        .get(0);
    assert_eq!(after, own, "the session's search_path is given back");
    let status = PG_BASIC
        .migrator()
        .schema("app_b")
        .status(&mut client)
        .expect("status");
    assert_eq!(status.current, Some(Version(3)));
}

#[test]
fn a_half_applied_migration_outside_a_transaction_is_recorded_and_refused_until_resolved() {
    let Some(db) = Scratch::new() else { return };
    let mut client = db.client();
    let error = PG_NO_TX_FAILING
        .migrate(&mut client)
        .expect_err("fails part-way");
    assert!(
        matches!(
            error,
            Error::MigrationFailed {
                rolled_back: false,
                line: 4,
                ..
            }
        ),
        "{error}"
    );
    let status = PG_NO_TX_FAILING.status(&mut client).expect("status");
    assert_eq!(status.entries[1].state, migrate_runtime::State::Failed);
    assert!(status.to_string().contains("FAILED  "), "{status}");
    let refused = PG_NO_TX_FAILING.migrate(&mut client).expect_err("refused");
    assert_eq!(
        refused.to_string(),
        "nothing ran: the history records that migrations/pg_no_tx_failing/002_index.sql \
         (version 2) failed at statement 2 of 2 \
         (migrations/pg_no_tx_failing/002_index.sql:4): relation \"missing\" does not exist (SQLSTATE 42P01); \
         what ran of it stays applied, so nothing runs until it is resolved: fix the database \
         by hand, then mark the migration with `resolve(Version(2), Resolution::Applied)` if you completed it, \
         or `resolve(Version(2), Resolution::Pending)` if you undid it"
    );
    // The index stayed; the rest is done by hand, then the migration is resolved.
    client
        .batch_execute("CREATE TABLE missing (x INTEGER); INSERT INTO missing VALUES (1)")
        .expect("by hand");
    PG_NO_TX_FAILING
        .migrator()
        .resolve(
            &mut client,
            Version(2),
            migrate_runtime::Resolution::Applied,
        )
        .expect("resolved");
    PG_NO_TX_FAILING.migrate(&mut client).expect("goes on");
    assert_eq!(history(&mut client), [1, 2, 3]);
    assert_eq!(counter(&mut client), [1, 3]);
}

#[test]
fn sixteen_processes_through_pgbouncer_in_transaction_mode_apply_each_migration_once() {
    let Some(bouncer) = migrate_tests::pg::Bouncer::start() else {
        return;
    };
    for round in 0..5 {
        let Some(db) = Scratch::new() else { return };
        let outputs = at_once_through(
            CHILD,
            &bouncer.url(&db),
            ("pg_rows", "atomic"),
            16,
            60_000,
            &[],
        );
        let applied = total_applied(&outputs, round);
        assert_eq!(applied, 20, "round {round}");
        let mut client = db.client();
        assert_eq!(counter(&mut client), (1..=20).collect::<Vec<i32>>());
        assert!(lock_is_free(&mut client), "round {round}");
    }
}

#[test]
fn a_holder_killed_behind_pgbouncer_releases_the_lock() {
    let Some(bouncer) = migrate_tests::pg::Bouncer::start() else {
        return;
    };
    let Some(db) = Scratch::new() else { return };
    let url = format!("{}?application_name=slow-holder", bouncer.url(&db));
    let slow = Command::new(CHILD)
        .args([url.as_str(), "pg_slow", "atomic"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    wait_for_lock(&mut db.client());
    kill(slow);
    let killed = Instant::now();
    let mut client = migrate_runtime::postgres::Client::connect(
        &bouncer.url(&db),
        migrate_runtime::postgres::NoTls,
    )
    .expect("through the pooler");
    PG_SLOW
        .migrator()
        .to(Version(1))
        .busy_timeout(Duration::from_secs(10))
        .run(&mut client)
        .expect("the lock is free again");
    assert!(
        killed.elapsed() < Duration::from_secs(5),
        "{:?}",
        killed.elapsed()
    );
}

#[test]
fn timeouts_stop_a_migration_and_roll_it_back() {
    let Some(db) = Scratch::new() else { return };
    let mut client = db.client();
    let own: String = client
        .query_one("SHOW statement_timeout", &[])
        .expect("show")
        .get(0);
    // The file's own limit.
    let started = Instant::now();
    let error = PG_TIMEOUT.migrate(&mut client).expect_err("stopped");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(
        matches!(error, Error::TimedOut { limit, rolled_back: true, line: 4, .. } if limit == Duration::from_millis(300)),
        "{error}"
    );
    assert!(
        error
            .to_string()
            .contains("stopped at its time limit of 300ms"),
        "{error}"
    );
    assert!(history(&mut client).is_empty());
    let after: String = client
        .query_one("SHOW statement_timeout", &[])
        .expect("show")
        .get(0);
    assert_eq!(after, own, "the session's statement_timeout is given back");

    // The migrator's limit for a migration, and the run's.
    let error = PG_SLOW
        .migrator()
        .timeout(Duration::from_millis(300))
        .run(&mut client)
        .expect_err("stopped");
    assert!(
        matches!(
            error,
            Error::TimedOut {
                version: Version(2),
                ..
            }
        ),
        "{error}"
    );
    let error = PG_ROWS
        .migrator()
        .run_timeout(Duration::from_millis(40))
        .run(&mut client)
        .expect_err("the run is stopped");
    assert!(
        matches!(error, Error::TimedOut { limit, .. } if limit == Duration::from_millis(40)),
        "{error}"
    );
    assert!(history(&mut client).is_empty(), "rolled back as a whole");
}

/// A history read that fails without the lock is read again under it (a
/// probe without the lock may meet another migrator's half-done work); an
/// error that persists there is the answer, as the server said it, and the
/// lock is released. Here the role may take the lock but not read the
/// history table.
#[test]
fn a_history_the_role_may_not_read_is_refused_after_a_second_read_under_the_lock() {
    let Some(db) = Scratch::new() else { return };
    let mut owner = db.client();
    PG_BASIC.migrate(&mut owner).expect("migrates");
    let role = format!("migrate_no_reader_{}", std::process::id());
    owner
        .batch_execute(&format!(
            "DROP ROLE IF EXISTS {role}; CREATE ROLE {role} LOGIN;
             GRANT USAGE, CREATE ON SCHEMA public TO {role};
             GRANT SELECT, INSERT, UPDATE ON schema_migrations_lock TO {role}"
        ))
        .expect("a role that may lock but not read");
    let url = db.url().replacen("postgres@", &format!("{role}@"), 1);
    let mut limited =
        migrate_runtime::postgres::Client::connect(&url, migrate_runtime::postgres::NoTls)
            .expect("connect as the role");
    let error = PG_BASIC
        .migrator()
        .busy_timeout(Duration::from_secs(5))
        .run(&mut limited)
        .expect_err("the history may not be read");
    assert!(
        matches!(error, Error::Database { .. }) && error.to_string().contains("permission denied"),
        "{error}"
    );
    drop(limited);
    assert!(lock_is_free(&mut owner), "the lock was released");
    owner
        .batch_execute(&format!(
            "REVOKE ALL ON schema_migrations_lock FROM {role};
             REVOKE ALL ON SCHEMA public FROM {role}; DROP ROLE {role}"
        ))
        .expect("the role goes");
}

/// The read without the lock fails, the one under the lock does not: the
/// run goes on instead of failing on what another migrator was doing. Here
/// the role may read the history only once the first migrator is at work
/// (granted meanwhile), and finds everything applied under the lock.
/// Without the second read, the run failed at once with the first error.
#[test]
fn a_history_read_that_fails_without_the_lock_is_read_again_under_it() {
    let Some(db) = Scratch::new() else { return };
    let mut owner = db.client();
    PG_HELD
        .migrator()
        .to(Version(1))
        .run(&mut owner)
        .expect("version 1");
    let role = format!("migrate_late_reader_{}", std::process::id());
    owner
        .batch_execute(&format!(
            "DROP ROLE IF EXISTS {role}; CREATE ROLE {role} LOGIN;
             GRANT USAGE, CREATE ON SCHEMA public TO {role};
             GRANT SELECT, INSERT, UPDATE ON schema_migrations_lock TO {role}"
        ))
        .expect("a role that may lock but not yet read");
    let url = db.url();
    let holder = std::thread::spawn(move || {
        let mut client =
            migrate_runtime::postgres::Client::connect(&url, migrate_runtime::postgres::NoTls)
                .expect("connect");
        PG_HELD.migrate(&mut client).expect("the holder migrates")
    });
    let started = Instant::now();
    while owner
        .query(
            "SELECT 1 FROM pg_stat_activity WHERE datname = current_database()
               AND state = 'active' AND query LIKE '%pg_sleep(1.5)%'
               AND pid <> pg_backend_pid()",
            &[],
        )
        .expect("pg_stat_activity")
        .is_empty()
    {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the holder never got going"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let url = db.url().replacen("postgres@", &format!("{role}@"), 1);
    let mut limited =
        migrate_runtime::postgres::Client::connect(&url, migrate_runtime::postgres::NoTls)
            .expect("connect as the role");
    let granter = {
        let url = db.url();
        let role = role.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            let mut client =
                migrate_runtime::postgres::Client::connect(&url, migrate_runtime::postgres::NoTls)
                    .expect("connect");
            client
                .batch_execute(&format!("GRANT SELECT ON schema_migrations TO {role}"))
                .expect("grant");
        })
    };
    let report = PG_HELD
        .migrator()
        .busy_timeout(Duration::from_secs(10))
        .run(&mut limited)
        .expect("read again under the lock, after the grant");
    assert!(report.is_empty(), "the holder applied everything");
    granter.join().expect("the grant");
    assert_eq!(holder.join().expect("the holder").steps.len(), 2);
    assert_eq!(counter(&mut owner), [2, 3]);
    drop(limited);
    owner
        .batch_execute(&format!(
            "REVOKE ALL ON schema_migrations, schema_migrations_lock FROM {role};
             REVOKE ALL ON SCHEMA public FROM {role}; DROP ROLE {role}"
        ))
        .expect("the role goes");
}
