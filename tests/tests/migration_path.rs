//! `migrate_runtime::testing` on real SQLite files and real PostgreSQL and
//! MariaDB servers: a sound chain walks up and down with its seeds and checks, and
//! each kind of failure names the migration's file and the check.

use std::cell::Cell;

use migrate_runtime::Version;
use migrate_runtime::testing::{Failure, MigrationTest};

// Sets loaded at run time (a Down that does not restore would not compile
// through the macro).
use migrate_tests::set_from_files as set;

const USERS: (&str, &str) = (
    "001_users.sql",
    "-- +migrate Up\nCREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);\n-- +migrate Down\nDROP TABLE users;\n",
);
const NAMES: (&str, &str) = (
    "002_names.sql",
    "-- +migrate Up\nALTER TABLE users ADD COLUMN name TEXT NOT NULL DEFAULT '';\n-- +migrate Down\nALTER TABLE users DROP COLUMN name;\n",
);
const POSTS: (&str, &str) = (
    "003_posts.sql",
    "-- +migrate Up\nCREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users (id));\n\
     CREATE INDEX posts_user ON posts (user_id);\n-- +migrate Down\nDROP INDEX posts_user;\nDROP TABLE posts;\n",
);

fn count(db: &mut migrate_runtime::rusqlite::Connection, table: &str) -> i64 {
    db.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .expect("count")
}

#[test]
fn a_sound_chain_walks_up_and_down_with_its_seeds_and_checks() {
    let (_root, migrations) = set(&[USERS, NAMES, POSTS]);
    let at_two = Cell::new(0);
    MigrationTest::sqlite(&migrations)
        .expect("temporary directory")
        .seed(Version(1), |db| {
            db.execute("INSERT INTO users (email) VALUES ('ada@example.com')", [])?;
            Ok(())
        })
        .check(Version(2), |db| {
            at_two.set(at_two.get() + 1);
            let name: String = db.query_row("SELECT name FROM users", [], |r| r.get(0))?;
            assert_eq!(name, "", "the new column's default");
            Ok(())
        })
        .check(Version(3), |db| {
            assert_eq!(count(db, "users"), 1);
            Ok(())
        })
        .walk()
        .expect("the chain is sound");
    assert_eq!(at_two.get(), 2, "once going up, once coming down from 3");
}

#[test]
fn a_path_seeds_at_n_checks_at_m_and_comes_back_down() {
    let (_root, migrations) = set(&[USERS, NAMES, POSTS]);
    let checked = Cell::new(Vec::new());
    let note = |what: &'static str| {
        let mut seen = checked.take();
        seen.push(what);
        checked.set(seen);
    };
    MigrationTest::sqlite(&migrations)
        .expect("temporary directory")
        .seed(Version(1), |db| {
            db.execute("INSERT INTO users (email) VALUES ('grace@example.com')", [])?;
            Ok(())
        })
        .check(Version(1), |db| {
            note("at 1");
            assert_eq!(count(db, "users"), 1);
            Ok(())
        })
        .check(Version(3), |db| {
            note("at 3");
            db.execute("INSERT INTO posts (user_id) VALUES (1)", [])?;
            Ok(())
        })
        .path(Version(1), Version(3))
        .expect("the path is sound");
    assert_eq!(checked.take(), ["at 1", "at 3", "at 1"]);
}

#[test]
fn a_path_to_a_version_below_the_set_is_a_failure_that_says_so() {
    let (_root, migrations) = set(&[USERS, NAMES]);
    let failure = MigrationTest::sqlite(&migrations)
        .expect("temporary directory")
        .path(Version(1), Version(0))
        .expect_err("no migration at or below 0");
    assert_eq!(
        failure.to_string(),
        "no migration at or below version 0 in this set"
    );
}

#[test]
fn a_down_that_does_not_restore_the_schema_is_a_failure_at_its_file() {
    let (_root, migrations) = set(&[
        USERS,
        (
            "002_names.sql",
            "-- +migrate Up\nALTER TABLE users ADD COLUMN name TEXT;\nCREATE INDEX users_name ON users (name);\n\
             -- +migrate Down\nALTER TABLE users DROP COLUMN name;\n",
        ),
    ]);
    let failure = MigrationTest::sqlite(&migrations)
        .expect("temporary directory")
        .walk()
        .expect_err("the index stays");
    assert!(matches!(
        failure,
        Failure::Migration { .. } | Failure::DownDoesNotRestore { .. }
    ));
    // SQLite refuses to drop a column an index uses: the Down itself fails.
    assert!(
        failure
            .to_string()
            .starts_with("migrations/002_names.sql: migrating down through version 2 failed: "),
        "{failure}"
    );

    let (_root, migrations) = set(&[
        USERS,
        (
            "002_audit.sql",
            "-- +migrate Up\nCREATE TABLE audit (at TEXT);\nCREATE INDEX users_email ON users (email);\n\
             -- +migrate Down\nDROP TABLE audit;\n",
        ),
    ]);
    let failure = MigrationTest::sqlite(&migrations)
        .expect("temporary directory")
        .walk()
        .expect_err("the index stays");
    assert_eq!(
        failure.to_string(),
        "migrations/002_audit.sql: the Down of version 2 does not restore the schema from before its Up: \
         leaves index `users_email` behind"
    );
}

#[test]
fn rows_a_seed_inserted_and_a_later_up_lost_are_a_failure_at_that_up() {
    let (_root, migrations) = set(&[
        USERS,
        (
            "002_rebuild.sql",
            "-- +migrate Up\nDROP TABLE users;\nCREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE);\n\
             -- +migrate Down\nDROP TABLE users;\nCREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);\n",
        ),
    ]);
    let failure = MigrationTest::sqlite(&migrations)
        .expect("temporary directory")
        .seed(Version(1), |db| {
            db.execute(
                "INSERT INTO users (email) VALUES ('a@example.com'), ('b@example.com')",
                [],
            )?;
            Ok(())
        })
        .walk()
        .expect_err("the rebuild forgot to copy the rows");
    assert_eq!(
        failure.to_string(),
        "migrations/002_rebuild.sql: migrating up to version 2 lost rows seeded at version 1: table `users` had 2, now 0"
    );
}

#[test]
fn a_failing_check_names_the_line_of_the_test_that_registered_it() {
    let (_root, migrations) = set(&[USERS, NAMES]);
    let line = line!() + 7;
    let failure = MigrationTest::sqlite(&migrations)
        .expect("temporary directory")
        .seed(Version(1), |db| {
            db.execute("INSERT INTO users (email) VALUES ('a@example.com')", [])?;
            Ok(())
        })
        .check(Version(2), |db| {
            let name: String = db.query_row("SELECT nickname FROM users", [], |r| r.get(0))?;
            assert!(name.is_empty());
            Ok(())
        })
        .walk()
        .expect_err("there is no such column");
    assert_eq!(
        failure.to_string(),
        format!(
            "the check registered at tests/tests/migration_path.rs:{line} failed at version 2 \
             (migrations/002_names.sql, reached going up): no such column: nickname in SELECT nickname FROM users at offset 7"
        )
    );
}

#[test]
fn on_postgresql_the_chain_walks_on_a_fresh_database_that_is_dropped_after() {
    let Some(scratch) = migrate_tests::pg::Scratch::new() else {
        return;
    };
    let (_root, migrations) = set(&[
        (
            "001_users.sql",
            "-- +migrate Up\nCREATE TABLE users (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email TEXT NOT NULL);\n\
             -- +migrate Down\nDROP TABLE users;\n",
        ),
        (
            "002_unique.sql",
            "-- +migrate NoTransaction\n-- +migrate Up\nCREATE UNIQUE INDEX CONCURRENTLY users_email ON users (email);\n\
             -- +migrate Down\nDROP INDEX CONCURRENTLY users_email;\n",
        ),
        (
            "003_type.sql",
            "-- +migrate Up\nALTER TABLE users ALTER COLUMN email TYPE VARCHAR(320);\n\
             -- +migrate Down\nALTER TABLE users ALTER COLUMN email TYPE VARCHAR(200);\n",
        ),
    ]);
    let url = scratch.url();
    let failure = MigrationTest::postgres(&migrations, &url)
        .expect("the server")
        .seed(Version(1), |db| {
            db.batch_execute("INSERT INTO users (email) VALUES ('ada@example.com')")?;
            Ok(())
        })
        .check(Version(2), |db| {
            let n: i64 = db.query_one("SELECT count(*) FROM users", &[])?.get(0);
            assert_eq!(n, 1);
            Ok(())
        })
        .walk()
        .expect_err("003's Down does not give back `text`");
    assert_eq!(
        failure.to_string(),
        "migrations/003_type.sql: the Down of version 3 does not restore the schema from before its Up: \
         leaves column `public.users.email` changed: `text not null` before its Up, \
         `character varying(200) not null` after its Down"
    );
    let (_root, migrations) = set(&[
        (
            "001_users.sql",
            "-- +migrate Up\nCREATE TABLE users (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email TEXT NOT NULL);\n\
             -- +migrate Down\nDROP TABLE users;\n",
        ),
        (
            "002_type.sql",
            "-- +migrate Up\nALTER TABLE users ALTER COLUMN email TYPE VARCHAR(320);\n\
             -- +migrate Down\nALTER TABLE users ALTER COLUMN email TYPE TEXT;\n",
        ),
    ]);
    MigrationTest::postgres(&migrations, &url)
        .expect("the server")
        .seed(Version(1), |db| {
            db.batch_execute("INSERT INTO users (email) VALUES ('ada@example.com')")?;
            Ok(())
        })
        .walk()
        .expect("a Down that gives back `text`");
    let mut client = scratch.client();
    let left: i64 = client
        .query_one(
            "SELECT count(*) FROM pg_database WHERE datname LIKE $1",
            &[&format!(
                "migrate\\_test\\_path\\_{}\\_%",
                std::process::id()
            )],
        )
        .expect("count")
        .get(0);
    assert_eq!(left, 0, "the test's databases are dropped");
}

/// On MariaDB: the chain walks on fresh databases of the server, made and
/// dropped as the build-time replay makes them; a Down that does not give
/// back a column's type is a failure at its file.
#[test]
fn on_mysql_the_chain_walks_on_a_fresh_database_that_is_dropped_after() {
    use migrate_runtime::mysql::prelude::Queryable;
    let Some(url) = migrate_tests::server_url(
        "MIGRATE_TEST_MYSQL_URL",
        "mysql://root@127.0.0.1:3306",
        |url| {
            migrate_runtime::mysql::Opts::from_url(url)
                .is_ok_and(|o| migrate_runtime::mysql::Conn::new(o).is_ok())
        },
    ) else {
        return;
    };
    let users = (
        "001_users.sql",
        "-- +migrate Up\nCREATE TABLE users (id BIGINT AUTO_INCREMENT PRIMARY KEY, email VARCHAR(200) NOT NULL);\n\
         -- +migrate Down\nDROP TABLE users;\n",
    );
    let (_root, migrations) = set(&[
        users,
        (
            "002_type.sql",
            "-- +migrate Up\nALTER TABLE users MODIFY email VARCHAR(320) NOT NULL;\n\
             -- +migrate Down\nALTER TABLE users MODIFY email VARCHAR(250) NOT NULL;\n",
        ),
    ]);
    let failure = MigrationTest::mysql(&migrations, &url)
        .seed(Version(1), |db| {
            db.query_drop("INSERT INTO users (email) VALUES ('ada@example.com')")?;
            Ok(())
        })
        .check(Version(2), |db| {
            let n: Option<i64> = db.query_first("SELECT COUNT(*) FROM users")?;
            assert_eq!(n, Some(1));
            Ok(())
        })
        .walk()
        .expect_err("002's Down does not give back varchar(200)");
    let said = failure.to_string();
    assert!(
        said.starts_with(
            "migrations/002_type.sql: the Down of version 2 does not restore the schema from before its Up"
        ) && said.contains("users.email")
            && said.contains("varchar(200)")
            && said.contains("varchar(250)"),
        "{said}"
    );
    let (_root, migrations) = set(&[
        users,
        (
            "002_type.sql",
            "-- +migrate Up\nALTER TABLE users MODIFY email VARCHAR(320) NOT NULL;\n\
             -- +migrate Down\nALTER TABLE users MODIFY email VARCHAR(200) NOT NULL;\n",
        ),
    ]);
    MigrationTest::mysql(&migrations, &url)
        .seed(Version(1), |db| {
            db.query_drop("INSERT INTO users (email) VALUES ('ada@example.com')")?;
            Ok(())
        })
        .walk()
        .expect("a Down that gives back varchar(200)");
    let mut conn = migrate_runtime::mysql::Conn::new(
        migrate_runtime::mysql::Opts::from_url(&url).expect("a URL"),
    )
    .expect("connect");
    let left: Vec<String> = conn
        .query(
            "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA \
             WHERE SCHEMA_NAME LIKE 'migrate\\_replay\\_%' AND IS_USED_LOCK(SCHEMA_NAME) IS NOT NULL",
        )
        .expect("the databases");
    assert!(
        left.is_empty(),
        "the test's databases are dropped: {left:?}"
    );
}
