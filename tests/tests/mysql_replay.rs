//! The build-time replay of `dialect = "mysql"` sets on a real MariaDB
//! server (`MIGRATE_TEST_MYSQL_URL`; `.ci/servers` starts it): each
//! migration's Up, the schema read from `information_schema`, its Down,
//! compared, its Up again, on a scratch database dropped after; problems
//! at their file and line with the server's error number.

use std::path::Path;

use migrate_replay::replay_mysql;
use migrate_runtime::refinery_core::mysql::{self, prelude::Queryable};

fn server() -> Option<String> {
    migrate_tests::server_url(
        "MIGRATE_TEST_MYSQL_URL",
        "mysql://root@127.0.0.1:3306",
        |url| mysql::Opts::from_url(url).is_ok_and(|o| mysql::Conn::new(o).is_ok()),
    )
}

/// The set of `files` (name, text) in `dialect = "mysql"`.
fn set(root: &Path, files: &[(&str, &str)]) -> migrate_core::MigrationSet {
    for (name, text) in files {
        let path = root.join("migrations").join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }
    let options = migrate_core::Options {
        dialect: migrate_core::Dialect::Mysql,
        ..migrate_core::Options::default()
    };
    migrate_core::load(root, "migrations", &options).unwrap_or_else(|p| panic!("{p:?}"))
}

/// Replays `files` on the server: the problems as text; asserts that no
/// scratch database of this process is left.
fn replay(files: &[(&str, &str)]) -> Option<Vec<String>> {
    // One replay at a time: each looks for the databases of this process.
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let url = server()?;
    let _one = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let root = tempfile::tempdir().expect("tempdir");
    let set = set(root.path(), files);
    let problems = replay_mysql(&set, &url).expect("the server is usable");
    let mut conn = mysql::Conn::new(mysql::Opts::from_url(&url).expect("url")).expect("connect");
    let left: Vec<String> = conn
        .query(format!(
            "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA \
             WHERE SCHEMA_NAME LIKE 'migrate\\_replay\\_{}\\_%'",
            std::process::id()
        ))
        .expect("schemata");
    assert_eq!(left, Vec::<String>::new(), "left behind");
    Some(problems.iter().map(ToString::to_string).collect())
}

#[test]
fn a_sound_set_with_routines_a_trigger_goose_blocks_and_delimiter_lines_replays_clean() {
    let Some(problems) = replay(&[
        (
            "001_accounts.sql",
            "-- +goose Up\nCREATE TABLE accounts (id INT AUTO_INCREMENT PRIMARY KEY, \
             name VARCHAR(100) NOT NULL DEFAULT '', balance DECIMAL(10,2) NOT NULL DEFAULT 0) \
             ENGINE=InnoDB;\nCREATE INDEX accounts_name ON accounts (name);\n\
             -- +goose Down\nDROP TABLE accounts;\n",
        ),
        (
            "002_total.sql",
            "-- +goose Up\n-- +goose StatementBegin\nCREATE PROCEDURE total(OUT t DECIMAL(10,2))\n\
             BEGIN\n  SELECT SUM(balance) INTO t FROM accounts;\n  IF t IS NULL THEN SET t = 0; END IF;\nEND;\n\
             -- +goose StatementEnd\n\
             CREATE TRIGGER accounts_name BEFORE INSERT ON accounts FOR EACH ROW \
             BEGIN SET NEW.name = TRIM(NEW.name); END;\n\
             -- +goose Down\nDROP TRIGGER accounts_name;\nDROP PROCEDURE total;\n",
        ),
        (
            "003_seed.sql",
            "-- +goose Up\n# MariaDB's own form\nALTER TABLE accounts ADD COLUMN IF NOT EXISTS \
             note TEXT;\nINSERT INTO accounts (name) VALUES (\"it\\\"s\"), ('a;b');\n\
             -- +goose Down\nALTER TABLE accounts DROP COLUMN note;\nDELETE FROM accounts;\n",
        ),
        (
            "004_function.sql",
            "-- +goose Up\nDELIMITER //\nCREATE FUNCTION doubled(x INT) RETURNS INT DETERMINISTIC\n\
             BEGIN\n  DECLARE y INT;\n  SET y = x * 2;\n  RETURN y;\nEND//\nDELIMITER ;\n\
             -- +goose Down\nDROP FUNCTION doubled;\n",
        ),
    ]) else {
        return;
    };
    assert_eq!(problems, Vec::<String>::new());
}

#[test]
fn a_failing_statement_is_named_at_its_line_with_the_servers_error() {
    let Some(problems) = replay(&[
        (
            "001_a.sql",
            "-- +goose Up\nCREATE TABLE a (id INT PRIMARY KEY);\n-- +goose Down\nDROP TABLE a;\n",
        ),
        (
            "002_b.sql",
            "-- +goose Up\nCREATE TABLE b (id INT);\nINSERT INTO missing VALUES (1);\n\
             -- +goose Down\nDROP TABLE b;\n",
        ),
    ]) else {
        return;
    };
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].starts_with("migrations/002_b.sql:3: ERROR 1146 (42S02): Table '"),
        "{problems:?}"
    );
    assert!(
        problems[0].contains("found by replaying the Up section on a scratch MariaDB"),
        "{problems:?}"
    );
}

#[test]
fn a_down_that_does_not_restore_is_named_and_the_replay_goes_on() {
    let Some(problems) = replay(&[
        (
            "001_a.sql",
            "-- +goose Up\nCREATE TABLE a (id INT PRIMARY KEY, x INT);\n\
             CREATE INDEX a_x ON a (x);\n-- +goose Down\nDROP TABLE a;\n",
        ),
        (
            "002_b.sql",
            "-- +goose Up\nALTER TABLE a ADD COLUMN y INT NOT NULL DEFAULT 0;\n\
             CREATE TABLE b (id INT);\n-- +goose Down\nDROP TABLE b;\n",
        ),
        (
            "003_c.sql",
            "-- +goose Up\nCREATE TABLE c (id INT);\nINSERT INTO b VALUES (1);\n\
             -- +goose Down\nDROP TABLE c;\n",
        ),
    ]) else {
        return;
    };
    assert_eq!(
        problems,
        [
            "migrations/002_b.sql: Down of 002_b leaves column `a.y` behind; make the Down section \
             undo exactly what the Up section does, or declare the migration irreversible"
        ]
    );
}

/// The URL the child replay of the test below runs on.
const CHILD_URL: &str = "MIGRATE_TEST_MYSQL_REPLAY_TO_KILL";

/// The child of `a_killed_replays_database_is_dropped_by_the_next_replay`:
/// a replay whose migration sleeps, killed with SIGKILL in the middle.
#[test]
#[ignore = "run as a child process by a_killed_replays_database_is_dropped_by_the_next_replay"]
fn mysql_replay_to_be_killed() {
    let Ok(url) = std::env::var(CHILD_URL) else {
        return;
    };
    let root = tempfile::tempdir().expect("tempdir");
    let set = set(
        root.path(),
        &[(
            "001_a.sql",
            "-- +migrate Timeout 120s\n-- +migrate Up\nCREATE TABLE a (x INT);\n\
             SELECT SLEEP(100);\n-- +migrate Down\nDROP TABLE a;\n",
        )],
    );
    let _ = replay_mysql(&set, &url);
}

/// A replay killed (SIGKILL) while its scratch database is in use cannot
/// drop it; the next replay on the server does, once the server has freed
/// the killed session's named lock.
#[test]
fn a_killed_replays_database_is_dropped_by_the_next_replay() {
    let Some(url) = server() else { return };
    let mut child = migrate_tests::spawn_ignored_test("mysql_replay_to_be_killed", CHILD_URL, &url);
    let pattern = format!("migrate\\_replay\\_{}\\_%", child.id());
    let rows = |sql: &str| -> Vec<String> {
        let mut conn =
            mysql::Conn::new(mysql::Opts::from_url(&url).expect("url")).expect("connect");
        conn.exec(sql, (pattern.as_str(),)).expect(sql)
    };
    let sleeping = "SELECT DB FROM information_schema.PROCESSLIST \
                    WHERE INFO LIKE 'SELECT SLEEP(100)%' AND DB LIKE ?";
    let started = std::time::Instant::now();
    while rows(sleeping).is_empty() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "the child replay never reached its sleep"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
    let databases = "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?";
    assert_eq!(
        rows(databases).len(),
        1,
        "the killed replay's database is there"
    );
    // The server frees the named lock when it sees the connection closed.
    let held = "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA \
                WHERE SCHEMA_NAME LIKE ? AND IS_USED_LOCK(SCHEMA_NAME) IS NOT NULL";
    let started = std::time::Instant::now();
    while !rows(held).is_empty() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "the killed replay's session stays"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(
        replay(&[(
            "001_a.sql",
            "-- +goose Up\nCREATE TABLE a (id INT);\n-- +goose Down\nDROP TABLE a;\n"
        )]),
        Some(Vec::new())
    );
    assert_eq!(
        rows(databases),
        Vec::<String>::new(),
        "the next replay dropped the killed one's database"
    );
}

/// An error the server sends while it returns rows (a subquery of two
/// rows, a statement stopped at its migration's time limit) is the
/// statement's error, as the `mysql` client shows it.
#[test]
fn an_error_that_arrives_with_the_rows_fails_the_statement() {
    let Some(problems) = replay(&[(
        "001_a.sql",
        "-- +goose Up\nCREATE TABLE a (id INT);\nSELECT (SELECT 1 UNION SELECT 2);\n\
         -- +goose Down\nDROP TABLE a;\n",
    )]) else {
        return;
    };
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].starts_with("migrations/001_a.sql:3: ERROR 1242 (21000):"),
        "{problems:?}"
    );
    let Some(stopped) = replay(&[(
        "001_slow.sql",
        "-- +migrate Timeout 1s\n-- +migrate Up\nSELECT SLEEP(5);\n-- +migrate Down\nSELECT 1;\n",
    )]) else {
        return;
    };
    assert_eq!(stopped.len(), 1, "{stopped:?}");
    assert!(
        stopped[0].contains("stopped at its migration's time limit of 1s"),
        "{stopped:?}"
    );
}

/// A server that does not answer is the replay's error, naming the server
/// by host, port and user, never by the URL's password.
#[test]
fn an_unreachable_server_is_named_without_its_password() {
    let root = tempfile::tempdir().expect("tempdir");
    let set = set(
        root.path(),
        &[(
            "001_a.sql",
            "-- +goose Up\nCREATE TABLE a (id INT);\n-- +goose Down\nDROP TABLE a;\n",
        )],
    );
    let error = replay_mysql(&set, "mysql://deployer:S3cret@127.0.0.1:1/app")
        .expect_err("nothing listens on port 1")
        .to_string();
    assert!(
        error.starts_with(
            "cannot connect to the MySQL or MariaDB server (127.0.0.1:1, user deployer): "
        ),
        "{error}"
    );
    assert!(!error.contains("S3cret"), "{error}");
}
