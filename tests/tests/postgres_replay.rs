//! The build-time replay on a real PostgreSQL server
//! (`MIGRATE_TEST_POSTGRES_URL`): every Down proven on a scratch database
//! created from `template0`, every failure at its file, line and column
//! with its SQLSTATE, and no scratch database left afterwards, whatever
//! the replay found.

use std::path::Path;
use std::sync::Mutex;

use migrate_runtime::postgres::{Client, NoTls};

/// The replays of this file one at a time: each test checks that no scratch
/// database of this process is left, which another test's replay under way
/// would break.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// The server's URL, or `None` when there is none (and none is required).
fn server() -> Option<String> {
    migrate_tests::server_url(
        "MIGRATE_TEST_POSTGRES_URL",
        "postgres://postgres@127.0.0.1:5432/postgres",
        |url| Client::connect(url, NoTls).is_ok(),
    )
}

/// Replays `files` (path under `migrations/`, text) on the server; the
/// problems as text. Asserts that the replay left no database behind.
fn replay(files: &[(&str, &str)]) -> Option<Vec<String>> {
    let url = server()?;
    let _one = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let root = tempfile::tempdir().expect("tempdir");
    for (name, text) in files {
        let path = root.path().join("migrations").join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }
    let options = migrate_core::Options {
        dialect: migrate_core::Dialect::Postgres,
        ..migrate_core::Options::default()
    };
    let set =
        migrate_core::load(Path::new(root.path()), "migrations", &options).expect("valid format");
    let problems = migrate_replay::replay_postgres(&set, &url).expect("the server is usable");
    assert_eq!(scratch_databases(&url), Vec::<String>::new(), "left behind");
    Some(problems.iter().map(ToString::to_string).collect())
}

/// The replay's databases of this process still on the server.
fn scratch_databases(url: &str) -> Vec<String> {
    let mut client = Client::connect(url, NoTls).expect("connect");
    let pattern = format!("migrate\\_replay\\_{}\\_%", std::process::id());
    client
        .query(
            "SELECT datname::text FROM pg_database WHERE datname LIKE $1",
            &[&pattern],
        )
        .expect("list databases")
        .iter()
        .map(|row| row.get(0))
        .collect()
}

const ACCOUNTS: (&str, &str) = (
    "001_accounts.sql",
    "-- +migrate Up\n\
     CREATE TABLE accounts (id BIGSERIAL PRIMARY KEY, email TEXT NOT NULL UNIQUE, n INT DEFAULT 0);\n\
     CREATE INDEX accounts_n ON accounts (n);\n\
     -- +migrate Down\n\
     DROP TABLE accounts;\n",
);

const TAIL: &str = "make the Down section undo exactly what the Up section does, or declare the migration irreversible";

#[test]
fn a_sound_set_of_every_kind_of_object_replays_without_a_problem() {
    let Some(problems) = replay(&[
        ACCOUNTS,
        (
            "002_everything.sql",
            "-- +migrate Up\n\
             CREATE EXTENSION IF NOT EXISTS citext;\n\
             CREATE SCHEMA billing;\n\
             CREATE TYPE billing.state AS ENUM ('open', 'paid');\n\
             CREATE DOMAIN billing.cents AS BIGINT CHECK (VALUE >= 0);\n\
             CREATE TABLE billing.invoices (\n  id INT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n  account BIGINT REFERENCES accounts (id),\n  state billing.state NOT NULL DEFAULT 'open',\n  total billing.cents,\n  note CITEXT\n);\n\
             CREATE VIEW billing.open_invoices AS SELECT id, total FROM billing.invoices WHERE state = 'open';\n\
             -- +migrate StatementBegin\n\
             CREATE FUNCTION billing.touch() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  NEW.note := lower(NEW.note);\n  RETURN NEW;\nEND $$;\n\
             -- +migrate StatementEnd\n\
             CREATE TRIGGER invoices_touch BEFORE INSERT ON billing.invoices FOR EACH ROW EXECUTE FUNCTION billing.touch();\n\
             ALTER TABLE accounts ADD COLUMN plan TEXT;\n\
             ALTER TABLE accounts DROP COLUMN n;\n\
             -- +migrate Down\n\
             ALTER TABLE accounts ADD COLUMN n INT DEFAULT 0;\n\
             CREATE INDEX accounts_n ON accounts (n);\n\
             ALTER TABLE accounts DROP COLUMN plan;\n\
             DROP SCHEMA billing CASCADE;\n\
             DROP EXTENSION citext;\n",
        ),
        (
            "003_concurrently.sql",
            "-- +migrate NoTransaction\n-- +migrate Up\n\
             CREATE INDEX CONCURRENTLY accounts_plan ON accounts (plan);\n\
             -- +migrate Down\n\
             DROP INDEX CONCURRENTLY accounts_plan;\n",
        ),
    ]) else {
        return;
    };
    assert_eq!(problems, Vec::<String>::new());
}

#[test]
fn a_down_that_leaves_an_index_is_a_problem() {
    let Some(problems) = replay(&[
        ACCOUNTS,
        (
            "002_index.sql",
            "-- +migrate Up\nCREATE INDEX accounts_email_n ON accounts (email, n);\n-- +migrate Down\n",
        ),
    ]) else {
        return;
    };
    assert_eq!(
        problems,
        [format!(
            "migrations/002_index.sql: Down of 002_index leaves index `public.accounts_email_n` behind; {TAIL}"
        )]
    );
}

#[test]
fn a_down_that_drops_too_much_is_a_problem_said_once_per_object() {
    let Some(problems) = replay(&[
        ACCOUNTS,
        (
            "002_notes.sql",
            "-- +migrate Up\nCREATE TABLE notes (id INT);\n-- +migrate Down\nDROP TABLE notes;\nDROP TABLE accounts;\n",
        ),
    ]) else {
        return;
    };
    assert_eq!(
        problems,
        [format!(
            "migrations/002_notes.sql: Down of 002_notes drops table `public.accounts`, which existed before its Up; {TAIL}"
        ),],
        "its columns, constraints, indexes and the sequence of its `BIGSERIAL` are not said again"
    );
}

#[test]
fn a_down_that_changes_a_column_type_is_a_problem() {
    let Some(problems) = replay(&[
        ACCOUNTS,
        (
            "002_bigger.sql",
            "-- +migrate Up\nALTER TABLE accounts ALTER COLUMN n TYPE BIGINT;\n\
             -- +migrate Down\nALTER TABLE accounts ALTER COLUMN n TYPE NUMERIC(10, 2);\n",
        ),
    ]) else {
        return;
    };
    assert_eq!(
        problems,
        [format!(
            "migrations/002_bigger.sql: Down of 002_bigger leaves column `public.accounts.n` changed: \
             `integer default 0` before its Up, `numeric(10,2) default 0` after its Down; {TAIL}"
        )]
    );
}

#[test]
fn a_down_that_fails_is_a_problem_at_its_line_and_column_and_the_replay_goes_on() {
    let Some(problems) = replay(&[
        ACCOUNTS,
        (
            "002_plan.sql",
            "-- +migrate Up\nALTER TABLE accounts ADD COLUMN plan TEXT;\n\
             -- +migrate Down\nALTER TABLE acounts DROP COLUMN plan;\n",
        ),
        (
            "003_after.sql",
            "-- +migrate Up\nCREATE INDEX accounts_plan ON accounts (plan);\n-- +migrate Down\nDROP INDEX accounts_plan;\n",
        ),
    ]) else {
        return;
    };
    assert_eq!(
        problems,
        [
            "migrations/002_plan.sql:4: SQLSTATE 42P01: relation \"acounts\" does not exist; \
             found by replaying the Down section right after the Up on a scratch PostgreSQL database at build time"
        ],
        "the state after the Up is kept, so the next migration finds its column; \
         the server gives no position for a relation `ALTER TABLE` cannot find, so the line is the statement's"
    );
}

#[test]
fn a_data_statement_that_violates_a_constraint_is_a_problem_with_the_servers_detail() {
    let Some(problems) = replay(&[
        ACCOUNTS,
        (
            "002_seed.sql",
            "-- +migrate Up\nINSERT INTO accounts (email) VALUES ('a@example.com');\n\
             INSERT INTO accounts (email)\n  VALUES ('a@example.com');\n\
             -- +migrate Down\nDELETE FROM accounts;\n",
        ),
    ]) else {
        return;
    };
    assert_eq!(
        problems,
        [
            "migrations/002_seed.sql:3: SQLSTATE 23505: duplicate key value violates unique constraint \"accounts_email_key\" \
             (detail: Key (email)=(a@example.com) already exists.); \
             found by replaying the Up section on a scratch PostgreSQL database at build time"
        ]
    );
}

#[test]
fn each_environment_is_replayed_on_the_base_set_in_a_database_of_its_own() {
    let Some(problems) = replay(&[
        ACCOUNTS,
        (
            "dev/002_seed.sql",
            "-- +migrate Up\nINSERT INTO accounts (email, n) VALUES ('dev@example.com', 1);\n\
             -- +migrate Down\nDELETE FROM accounts WHERE email = 'dev@example.com';\n",
        ),
        (
            "staging/002_seed.sql",
            "-- +migrate Up\nINSERT INTO accounts (email, n) VALUES ('staging@example.com', 'many');\n\
             -- +migrate Down\nDELETE FROM accounts;\n",
        ),
    ]) else {
        return;
    };
    assert_eq!(
        problems,
        [
            "migrations/staging/002_seed.sql:2:64: SQLSTATE 22P02: invalid input syntax for type integer: \"many\"; \
             found by replaying the Up section on a scratch PostgreSQL database at build time"
        ],
        "`dev` replays cleanly: the base set plus one environment at a time"
    );
}

#[test]
fn a_migration_outside_a_transaction_that_fails_is_undone_from_a_copy() {
    let Some(problems) = replay(&[
        ACCOUNTS,
        (
            "002_two.sql",
            "-- +migrate NoTransaction\n-- +migrate Up\n\
             CREATE INDEX CONCURRENTLY accounts_email_n ON accounts (email, n);\n\
             CREATE INDEX CONCURRENTLY accounts_plan ON accounts (plan);\n\
             -- +migrate Down\nDROP INDEX CONCURRENTLY accounts_email_n;\n",
        ),
        (
            "003_again.sql",
            "-- +migrate Up\nCREATE INDEX accounts_email_n ON accounts (email, n);\n\
             -- +migrate Down\nDROP INDEX accounts_email_n;\n",
        ),
    ]) else {
        return;
    };
    assert_eq!(
        problems,
        [
            "migrations/002_two.sql:4: SQLSTATE 42703: column \"plan\" does not exist; \
             found by replaying the Up section on a scratch PostgreSQL database at build time"
        ],
        "the first index is gone with the copy, so 003 creates it again without a problem"
    );
}

#[test]
fn a_server_that_cannot_be_reached_is_an_error_that_does_not_echo_the_password() {
    let root = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(root.path().join("migrations")).expect("mkdir");
    std::fs::write(root.path().join("migrations").join(ACCOUNTS.0), ACCOUNTS.1).expect("write");
    let set = migrate_core::load(root.path(), "migrations", &migrate_core::Options::default())
        .expect("valid");
    let error = migrate_replay::replay_postgres(
        &set,
        "postgres://deployer:s3cret-pw@127.0.0.1:1/app?connect_timeout=2",
    )
    .expect_err("nothing listens on port 1");
    let message = error.to_string();
    assert!(
        message.starts_with(
            "cannot connect to the PostgreSQL server (127.0.0.1:1, user deployer, database app): "
        ),
        "{message}"
    );
    assert!(!message.contains("s3cret"), "{message}");
}

#[test]
fn a_role_that_may_not_create_databases_is_told_so_and_nothing_is_left() {
    let Some(url) = server() else {
        return;
    };
    let _one = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut admin = Client::connect(&url, NoTls).expect("connect");
    let role = "migrate_replay_no_createdb";
    let _ = admin.batch_execute(&format!("CREATE ROLE {role} LOGIN NOCREATEDB"));
    let config: migrate_runtime::postgres::Config = url.parse().expect("url");
    let host = match config.get_hosts().first() {
        Some(migrate_runtime::postgres::config::Host::Tcp(host)) => host.clone(),
        _ => "127.0.0.1".to_owned(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let as_role = format!("host={host} port={port} user={role} dbname=postgres");

    let root = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(root.path().join("migrations")).expect("mkdir");
    std::fs::write(root.path().join("migrations").join(ACCOUNTS.0), ACCOUNTS.1).expect("write");
    let set = migrate_core::load(root.path(), "migrations", &migrate_core::Options::default())
        .expect("valid");
    let error = migrate_replay::replay_postgres(&set, &as_role).expect_err("no CREATEDB");
    assert_eq!(
        error.to_string(),
        format!(
            "cannot create a scratch database on the PostgreSQL server ({host}:{port}, user {role}, database postgres): \
             permission denied to create database; the role needs the right to create databases (`ALTER ROLE … CREATEDB`)"
        )
    );
    assert_eq!(scratch_databases(&url), Vec::<String>::new(), "left behind");
}

/// A statement that sleeps past its file's `Timeout` is stopped at the
/// limit at build time, as the run would stop it, at its line.
#[test]
fn a_statement_past_its_files_time_limit_is_stopped_at_build_time() {
    let Some(problems) = replay(&[(
        "001_slow.sql",
        "-- +migrate Timeout 1s\n-- +migrate Up\nCREATE TABLE a (x INT);\nSELECT pg_sleep(30);\n\
         -- +migrate Down\nDROP TABLE a;\n",
    )]) else {
        return;
    };
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0]
            .starts_with("migrations/001_slow.sql:4: stopped at its migration's time limit of 1s"),
        "{problems:?}"
    );
}

/// A server that accepts the connection and never answers (a dead tunnel)
/// ends the replay with an error that says so, not a build that hangs.
#[test]
fn a_server_that_never_answers_ends_the_replay_with_an_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let port = listener.local_addr().expect("address").port();
    let held = std::thread::spawn(move || listener.accept().map(|(stream, _)| stream));
    let root = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(root.path().join("migrations")).expect("mkdir");
    std::fs::write(
        root.path().join("migrations/001_a.sql"),
        "-- +migrate Up\nCREATE TABLE a (x INT);\n-- +migrate Down\nDROP TABLE a;\n",
    )
    .expect("write");
    let options = migrate_core::Options {
        dialect: migrate_core::Dialect::Postgres,
        ..migrate_core::Options::default()
    };
    let set = migrate_core::load(root.path(), "migrations", &options).expect("valid");
    let error =
        migrate_replay::replay_postgres(&set, &format!("postgres://app@127.0.0.1:{port}/app"))
            .expect_err("no answer");
    assert!(error.to_string().contains("did not answer"), "{error}");
    drop(held);
}

/// The variable that makes [`replay_to_be_killed`] replay, and on which
/// server.
const CHILD_URL: &str = "MIGRATE_TEST_REPLAY_TO_KILL";

/// Not a test of its own: the replay that
/// [`a_killed_replays_databases_are_dropped_by_the_next_replay`] starts as
/// a child process (this test binary, running only this test) and kills
/// with SIGKILL in the middle of a statement.
#[test]
#[ignore = "run as a child process by a_killed_replays_databases_are_dropped_by_the_next_replay"]
fn replay_to_be_killed() {
    let Ok(url) = std::env::var(CHILD_URL) else {
        return;
    };
    let root = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(root.path().join("migrations")).expect("mkdir");
    std::fs::write(
        root.path().join("migrations/001_a.sql"),
        "-- +migrate Timeout 120s\n-- +migrate Up\nCREATE TABLE a (x INT);\n\
         SELECT pg_sleep(100);\n-- +migrate Down\nDROP TABLE a;\n",
    )
    .expect("write");
    let options = migrate_core::Options {
        dialect: migrate_core::Dialect::Postgres,
        ..migrate_core::Options::default()
    };
    let set = migrate_core::load(root.path(), "migrations", &options).expect("valid");
    let _ = migrate_replay::replay_postgres(&set, &url);
}

/// A replay killed (SIGKILL) while its scratch database is in use cannot
/// drop it; the next replay on the server does, whatever its set, once
/// the killed one's session is gone.
#[test]
fn a_killed_replays_databases_are_dropped_by_the_next_replay() {
    let Some(url) = server() else { return };
    let mut child = migrate_tests::spawn_ignored_test("replay_to_be_killed", CHILD_URL, &url);
    let pattern = format!("migrate\\_replay\\_{}\\_%", child.id());
    let sleeping = || {
        !watcher_rows(
            &url,
            "SELECT 1 FROM pg_stat_activity WHERE query LIKE '%pg_sleep(100)%' \
               AND state = 'active' AND datname LIKE $1",
            &pattern,
        )
        .is_empty()
    };
    let started = std::time::Instant::now();
    while !sleeping() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "the child replay never reached its sleep"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
    assert!(
        !watcher_rows(
            &url,
            "SELECT 1 FROM pg_database WHERE datname LIKE $1",
            &pattern
        )
        .is_empty(),
        "the killed replay's database is there"
    );
    // Its owner session ends when the server sees the connection closed.
    let owner = format!("migrate replay owner {pattern}");
    let started = std::time::Instant::now();
    while !watcher_rows(
        &url,
        "SELECT 1 FROM pg_stat_activity WHERE application_name LIKE $1",
        &owner,
    )
    .is_empty()
    {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "the killed replay's owner session stays"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(replay(&[ACCOUNTS]), Some(Vec::new()));
    assert_eq!(
        watcher_rows(
            &url,
            "SELECT datname::text FROM pg_database WHERE datname LIKE $1",
            &pattern
        ),
        Vec::<String>::new(),
        "the next replay dropped the killed one's databases"
    );
}

/// The rows of `sql` (one text parameter, `param`), from a session of the
/// test's own: the first column as text when it is text.
fn watcher_rows(url: &str, sql: &str, param: &str) -> Vec<String> {
    let mut client = Client::connect(url, NoTls).expect("connect");
    client
        .query(sql, &[&param])
        .expect(sql)
        .iter()
        .map(|row| row.try_get::<_, String>(0).unwrap_or_default())
        .collect()
}
