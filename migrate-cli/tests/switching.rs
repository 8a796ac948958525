//! What a user switching from another tool meets first, on the real
//! binary: adopting the other tool's database, its verbs, its URL forms,
//! and messages that speak of flags.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

mod common;
use common::{command, fails, migrate, ok, stderr, stdout, write};

use migrate_runtime::rusqlite::Connection;

fn table(n: u32) -> String {
    format!("-- +migrate Up\nCREATE TABLE t{n} (x INTEGER);\n-- +migrate Down\nDROP TABLE t{n};\n")
}

/// A project with migrations 1 to `n`.
fn project(n: u32) -> tempfile::TempDir {
    let root = tempfile::tempdir().expect("tempdir");
    for i in 1..=n {
        write(
            root.path(),
            &format!("migrations/{i:03}_t{i}.sql"),
            &table(i),
        );
    }
    root
}

fn recorded(root: &Path, table: &str) -> Vec<i64> {
    let conn = Connection::open(root.join("app.db")).expect("open");
    let mut statement = conn
        .prepare(&format!("SELECT version FROM {table} ORDER BY version"))
        .expect("prepare");
    statement
        .query_map([], |r| r.get(0))
        .expect("query")
        .map(|r| r.expect("row"))
        .collect()
}

#[test]
fn a_goose_database_is_adopted_from_the_command_line() {
    let root = project(3);
    Connection::open(root.path().join("app.db"))
        .expect("open")
        .execute_batch(
            "CREATE TABLE goose_db_version (id INTEGER PRIMARY KEY AUTOINCREMENT,
                 version_id INTEGER NOT NULL, is_applied INTEGER NOT NULL,
                 tstamp TIMESTAMP DEFAULT (datetime('now')));
             INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, 1), (1, 1), (2, 1);
             CREATE TABLE t1 (x INTEGER); CREATE TABLE t2 (x INTEGER);",
        )
        .expect("goose's state");
    let before = fs::read(root.path().join("app.db")).expect("read");
    let refused = fails(&migrate(root.path(), &["up", "--db", "app.db"]));
    assert_eq!(
        refused.trim(),
        "error: this database was migrated by goose (table `goose_db_version`, version 2); nothing was run; \
         adopt its history first with `migrate adopt`"
    );
    assert_eq!(fs::read(root.path().join("app.db")).expect("read"), before);
    let status = ok(&migrate(root.path(), &["status", "--db", "app.db"]));
    assert!(
        status.contains("goose's history is in table `goose_db_version`, at version 2: adopt it (`migrate adopt`)"),
        "{status}"
    );
    let adopted = ok(&migrate(root.path(), &["adopt", "--db", "app.db"]));
    assert!(
        adopted.starts_with(
            "the history now says version 2 (it held no migration before); no SQL ran"
        ),
        "{adopted}"
    );
    assert!(adopted.contains("adopt    1 t1"), "{adopted}");
    ok(&migrate(root.path(), &["up", "--db", "app.db"]));
    assert_eq!(recorded(root.path(), "schema_migrations"), [1, 2, 3]);
}

#[test]
fn a_golang_migrate_database_is_adopted_in_place_then_plain_up_works() {
    let root = project(2);
    Connection::open(root.path().join("app.db"))
        .expect("open")
        .execute_batch(
            "CREATE TABLE schema_migrations (version uint64,dirty bool);
             CREATE UNIQUE INDEX version_unique ON schema_migrations (version);
             INSERT INTO schema_migrations VALUES (1, 0);
             CREATE TABLE t1 (x INTEGER);",
        )
        .expect("golang-migrate's state");
    let refused = fails(&migrate(root.path(), &["up", "--db", "app.db"]));
    assert!(
        refused.contains(
            "adopt its history first with `migrate adopt` (its table is then kept under a new name)"
        ),
        "{refused}"
    );
    assert!(!refused.contains("(…)"), "no method names: {refused}");
    let adopted = ok(&migrate(root.path(), &["adopt", "--db", "app.db"]));
    assert!(
        adopted.contains(
            "golang-migrate's history table `schema_migrations` is kept as `golang_migrate_schema_migrations`"
        ),
        "{adopted}"
    );
    // No flag after the adoption.
    ok(&migrate(root.path(), &["up", "--db", "app.db"]));
    assert_eq!(recorded(root.path(), "schema_migrations"), [1, 2]);
    assert_eq!(
        recorded(root.path(), "golang_migrate_schema_migrations"),
        [1]
    );
    let unknown = migrate(
        root.path(),
        &["adopt", "--db", "app.db", "--from", "flyway"],
    );
    assert!(
        stderr(&unknown).contains("unknown tool `flyway`; use one of goose"),
        "{}",
        stderr(&unknown)
    );
}

#[test]
fn gooses_and_golang_migrates_verbs() {
    fn with<'a>(verb: &[&'a str]) -> Vec<&'a str> {
        [verb, &["--db", "app.db"][..]].concat()
    }
    let root = project(4);
    let created = ok(&migrate(root.path(), &["create", "t5"]));
    assert_eq!(created.trim(), "migrations/005_t5.sql");
    write(root.path(), "migrations/005_t5.sql", &table(5));

    ok(&migrate(root.path(), &with(&["up-to", "2"])));
    assert_eq!(ok(&migrate(root.path(), &with(&["version"]))).trim(), "2");
    ok(&migrate(root.path(), &with(&["goto", "4"])));
    assert_eq!(ok(&migrate(root.path(), &with(&["version"]))).trim(), "4");
    ok(&migrate(root.path(), &with(&["goto", "3"])));
    assert_eq!(ok(&migrate(root.path(), &with(&["version"]))).trim(), "3");
    ok(&migrate(root.path(), &with(&["down-to", "1"])));
    assert_eq!(recorded(root.path(), "schema_migrations"), [1]);
    ok(&migrate(root.path(), &with(&["reset"])));
    assert_eq!(
        ok(&migrate(root.path(), &with(&["version"]))).trim(),
        "none"
    );

    // `force` asks first, and then rewrites the history without SQL.
    let before = fs::read(root.path().join("app.db")).expect("read");
    let asked = fails(&migrate(root.path(), &with(&["force", "3"])));
    assert!(asked.contains("run it again with --yes"), "{asked}");
    assert_eq!(
        fs::read(root.path().join("app.db")).expect("read"),
        before,
        "nothing changed"
    );
    let forced = ok(&migrate(root.path(), &with(&["force", "3", "--yes"])));
    assert!(
        forced.starts_with("the history now says version 3"),
        "{forced}"
    );
    assert!(
        !forced.contains(" ms"),
        "a record takes no time worth saying: {forced}"
    );
    assert_eq!(recorded(root.path(), "schema_migrations"), [1, 2, 3]);
    ok(&migrate(root.path(), &with(&["force", "1", "--yes"])));
    assert_eq!(recorded(root.path(), "schema_migrations"), [1]);
}

#[test]
fn urls_of_other_tools_name_the_same_file() {
    let root = project(1);
    for url in [
        "sqlite3://app.db",
        "file:app.db",
        "sqlite://app.db?mode=rwc",
        "sqlite:app.db",
    ] {
        ok(&migrate(root.path(), &["up", "--db", url]));
        assert_eq!(recorded(root.path(), "schema_migrations"), [1], "{url}");
        let out = ok(&migrate(root.path(), &["status", "--db", url]));
        assert!(out.starts_with("database at version 1"), "{url}: {out}");
    }
    // Nothing listens on port 1: the error names the server, not the password.
    let out = migrate(
        root.path(),
        &["up", "--db", "postgres://app:s3cret@127.0.0.1:1/app"],
    );
    let error = fails(&out);
    assert!(
        error.contains("cannot connect to the PostgreSQL server"),
        "{error}"
    );
    assert!(
        !error.contains("s3cret"),
        "the password is never printed: {error}"
    );
    assert!(
        error.contains("postgres://app:***@127.0.0.1:1/app"),
        "{error}"
    );
    let error = fails(&migrate(
        root.path(),
        &["up", "--db", "mysql://root:pw1@h/db"],
    ));
    assert!(!error.contains("pw1"), "{error}");

    write(
        root.path(),
        "notes.txt",
        "this is a text file, not a database\n",
    );
    let error = fails(&migrate(root.path(), &["up", "--db", "notes.txt"]));
    assert!(error.contains("is not an SQLite database"), "{error}");
    assert_eq!(
        fs::read_to_string(root.path().join("notes.txt")).expect("read"),
        "this is a text file, not a database\n"
    );
}

#[test]
fn a_closed_pipe_ends_the_output_without_a_panic() {
    let root = project(3);
    ok(&migrate(root.path(), &["up", "--db", "app.db"]));
    for args in [
        &["status", "--db", "app.db"][..],
        &["validate"][..],
        &["version", "--db", "app.db"][..],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_migrate"))
            .current_dir(root.path())
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        // Nobody reads: the reader is gone before the command writes (`| head`).
        drop(child.stdout.take());
        let out = child.wait_with_output().expect("wait");
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        assert!(
            !stderr(&out).contains("panicked"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
}

#[test]
fn small_lies_are_gone() {
    let root = project(2);
    let db = ["--db", "app.db"];
    ok(&migrate(root.path(), &[&["up"][..], &db].concat()));

    // redo says what it did, not "from 2 to 2".
    let redo = ok(&migrate(root.path(), &[&["redo"][..], &db].concat()));
    assert!(
        redo.starts_with("redo version 2: reverted and applied again in"),
        "{redo}"
    );

    // A baseline ran no SQL, so it reports no time.
    let fresh = project(2);
    // The database exists (made by another tool); baseline takes it as 2.
    Connection::open(fresh.path().join("app.db")).expect("create");
    let out = migrate(fresh.path(), &["baseline", "2", "--db", "app.db"]);
    assert!(
        !ok(&out).contains(" ms") && !stderr(&out).contains(" ms"),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("baselined 1 t1\n"),
        "{}",
        stderr(&out)
    );

    // JSON durations are numbers, with the unit in the key.
    let status: serde_json::Value = serde_json::from_str(&ok(&migrate(
        root.path(),
        &[&["status", "--json"][..], &db].concat(),
    )))
    .expect("json");
    let took = &status["entries"][0]["execution_time_ms"];
    assert!(took.is_f64(), "{status}");
    assert!(
        status["entries"][0].get("execution_time").is_none(),
        "{status}"
    );

    // `new --sequential` numbers sequentially even among timestamps.
    let stamped = tempfile::tempdir().expect("tempdir");
    write(stamped.path(), "migrations/20240101000000_a.sql", &table(1));
    let out = ok(&migrate(stamped.path(), &["new", "b", "--sequential"]));
    assert_eq!(out.trim(), "migrations/001_b.sql");

    // A name with a dash is a name (dbmate writes them), not a file to rename.
    let dashed = tempfile::tempdir().expect("tempdir");
    assert_eq!(
        ok(&migrate(dashed.path(), &["new", "add-x"])).trim(),
        "migrations/001_add-x.sql"
    );
    write(dashed.path(), "migrations/001_add-x.sql", &table(1));
    ok(&migrate(dashed.path(), &["validate"]));
}

#[test]
fn a_failed_backup_says_how_to_go_on() {
    let root = project(2);
    ok(&migrate(root.path(), &["up-to", "1", "--db", "app.db"]));
    write(
        root.path(),
        "not-a-folder",
        "a file where the backups would go",
    );
    let error = fails(&migrate(
        root.path(),
        &["up", "--db", "app.db", "--backup-dir", "not-a-folder"],
    ));
    assert!(error.contains("nothing was migrated"), "{error}");
    assert!(
        error.contains("with `--backup-dir DIR`, or migrate without one with `--no-backup`"),
        "{error}"
    );
    ok(&migrate(
        root.path(),
        &["up", "--db", "app.db", "--no-backup"],
    ));
}

#[test]
fn progress_never_says_applied_for_what_was_rolled_back() {
    let root = project(2);
    write(
        root.path(),
        "migrations/003_bad.sql",
        "-- +migrate Up\nINSERT INTO nowhere VALUES (1);\n-- +migrate Down\nSELECT 1;\n",
    );
    let out = migrate(root.path(), &["up", "--db", "app.db"]);
    let error = fails(&out);
    assert!(
        !error.contains("applied"),
        "one transaction, rolled back: {error}"
    );
    assert!(
        error.contains("migrations/003_bad.sql:2: no such table: nowhere"),
        "{error}"
    );

    let out = migrate(root.path(), &["up", "--db", "app.db", "--per-migration"]);
    let error = fails(&out);
    assert!(
        error.contains("applied 1 t1") && error.contains("applied 2 t2"),
        "{error}"
    );
    assert!(!error.contains("applied 3"), "{error}");
}

#[test]
fn refusals_advise_flags() {
    let root = project(3);
    fs::rename(
        root.path().join("migrations/002_t2.sql"),
        root.path().join("002_t2.sql.aside"),
    )
    .expect("aside");
    let gap = fails(&migrate(root.path(), &["up", "--db", "app.db"]));
    assert!(
        gap.contains("or pass `--allow-gaps` for a squashed history"),
        "{gap}"
    );
    ok(&migrate(
        root.path(),
        &["up", "--db", "app.db", "--allow-gaps"],
    ));
    fs::rename(
        root.path().join("002_t2.sql.aside"),
        root.path().join("migrations/002_t2.sql"),
    )
    .expect("back");
    let error = fails(&migrate(root.path(), &["up", "--db", "app.db"]));
    assert!(error.contains("with `--allow-out-of-order`"), "{error}");
    ok(&migrate(
        root.path(),
        &["up", "--db", "app.db", "--allow-out-of-order"],
    ));
    let error = fails(&migrate(
        root.path(),
        &["up", "--db", "app.db", "--to", "1"],
    ));
    assert!(
        error.contains("revert with `migrate down --to VERSION` to go down"),
        "{error}"
    );
}

#[test]
fn the_command_line_speaks_of_directories_not_binaries() {
    let root = project(2);
    ok(&migrate(root.path(), &["up", "--db", "app.db"]));
    fs::remove_file(root.path().join("migrations/002_t2.sql")).expect("rm");
    let status = ok(&migrate(root.path(), &["status", "--db", "app.db"]));
    assert!(
        status.contains("not in the migration directory"),
        "{status}"
    );
    let error = fails(&migrate(root.path(), &["up", "--db", "app.db"]));
    assert!(
        error.contains("the migration directory has migrations up to 1"),
        "{error}"
    );
    assert!(!error.contains("binary"), "{error}");
    let missing = fails(&migrate(
        root.path(),
        &["up", "--db", "app.db", "--dir", "nowhere"],
    ));
    assert!(
        missing.contains("(a relative path is from the working directory, `--dir`)"),
        "{missing}"
    );
    assert!(!missing.contains("crate root"), "{missing}");
}

#[test]
fn every_command_works_on_postgresql() {
    let Some(db) = migrate_tests::pg::Scratch::new() else {
        return;
    };
    let root = project(3);
    let url = db.url();
    let with = |verb: &[&'static str]| [verb, &["--db", url.as_str()][..]].concat();
    let up = ok(&migrate(root.path(), &with(&["up"])));
    assert!(
        up.starts_with("moved the database from version none (no migration applied) to 3"),
        "{up}"
    );
    assert!(ok(&migrate(root.path(), &with(&["status"]))).contains("3  t3    applied"));
    ok(&migrate(root.path(), &with(&["down-to", "1"])));
    assert_eq!(ok(&migrate(root.path(), &with(&["version"]))).trim(), "1");
    ok(&migrate(root.path(), &with(&["goto", "3"])));
    ok(&migrate(root.path(), &with(&["redo"])));
    ok(&migrate(root.path(), &with(&["force", "2", "--yes"])));
    assert_eq!(migrate_tests::pg::history(&mut db.client()), [1, 2]);
    ok(&migrate(root.path(), &with(&["reset"])));
    assert_eq!(
        ok(&migrate(root.path(), &with(&["version"]))).trim(),
        "none"
    );
    let status: serde_json::Value =
        serde_json::from_str(&ok(&migrate(root.path(), &with(&["status", "--json"]))))
            .expect("json");
    assert_eq!(status["entries"].as_array().map(Vec::len), Some(3));
}

/// Every database command on MariaDB through `mysql://` and `mariadb://`
/// URLs; schema changes run (and are listed) outside a transaction; the
/// flags that cannot apply there are refused, and a password is never shown.
#[test]
fn every_command_works_on_mysql() {
    use migrate_runtime::mysql::prelude::Queryable;
    let Some(db) = migrate_tests::mysql::Scratch::new() else {
        return;
    };
    let root = project(3);
    let url = db.url();
    let with = |verb: &[&'static str]| [verb, &["--db", url.as_str()][..]].concat();
    let status = ok(&migrate(root.path(), &with(&["status"])));
    assert!(
        status.contains("1  t1    pending  -                    -  outside a transaction"),
        "{status}"
    );
    let up = ok(&migrate(root.path(), &with(&["up"])));
    assert!(
        up.starts_with("moved the database from version none (no migration applied) to 3")
            && up.contains("(outside a transaction)"),
        "{up}"
    );
    assert!(ok(&migrate(root.path(), &with(&["status"]))).contains("3  t3    applied"));
    ok(&migrate(root.path(), &with(&["down-to", "1"])));
    assert_eq!(ok(&migrate(root.path(), &with(&["version"]))).trim(), "1");
    ok(&migrate(root.path(), &with(&["goto", "3"])));
    ok(&migrate(root.path(), &with(&["redo"])));
    ok(&migrate(root.path(), &with(&["force", "2", "--yes"])));
    let history: Vec<i64> = db
        .connect()
        .query("SELECT version FROM schema_migrations ORDER BY version")
        .expect("history");
    assert_eq!(history, [1, 2]);
    let mariadb = url.replacen("mysql://", "mariadb://", 1);
    ok(&migrate(root.path(), &["reset", "--db", mariadb.as_str()]));
    assert_eq!(
        ok(&migrate(root.path(), &with(&["version"]))).trim(),
        "none"
    );
    let refused = fails(&migrate(root.path(), &with(&["up", "--schema", "app"])));
    assert!(refused.contains("remove --schema"), "{refused}");
    let refused = fails(&migrate(root.path(), &with(&["up", "--backup-dir", "b"])));
    assert!(refused.contains("mysqldump"), "{refused}");
    let refused = fails(&migrate(
        root.path(),
        &with(&["up", "--table", "other.history"]),
    ));
    assert!(refused.contains("give the table alone"), "{refused}");
    let server = url
        .rsplit_once('/')
        .map_or(url.as_str(), |(server, _)| server);
    let refused = fails(&migrate(root.path(), &["up", "--db", server]));
    assert!(refused.contains("names no database"), "{refused}");
    let wrong = url.replacen('@', ":s3cret-pw@", 1);
    let refused = fails(&migrate(root.path(), &["up", "--db", wrong.as_str()]));
    assert!(
        refused.contains(":***@") && !refused.contains("s3cret-pw"),
        "{refused}"
    );
}

#[test]
fn a_migration_blocked_by_a_long_transaction_says_each_retry_and_who_blocks_it() {
    let Some(db) = migrate_tests::pg::Scratch::new() else {
        return;
    };
    let root = project(1);
    let url = db.url();
    ok(&migrate(root.path(), &["up", "--db", url.as_str()]));
    write(
        root.path(),
        "migrations/002_add_y.sql",
        "-- +migrate Up\nALTER TABLE t1 ADD COLUMN y INTEGER;\n-- +migrate Down\nALTER TABLE t1 DROP COLUMN y;\n",
    );
    let mut reader = db.client();
    reader
        .batch_execute("SET application_name = 'nightly_report'; BEGIN; SELECT count(*) FROM t1;")
        .expect("the long transaction");
    let blocked = fails(&migrate(
        root.path(),
        &[
            "up",
            "--db",
            url.as_str(),
            "--lock-timeout",
            "200",
            "--busy-timeout",
            "1000",
        ],
    ));
    for said in [
        "002_add_y.sql:2: waited 0.2 s for a lock (attempt 1), rolled back",
        "application `nightly_report`",
        "idle in transaction",
        "`--lock-timeout MS`",
        "`--busy-timeout MS`",
    ] {
        assert!(blocked.contains(said), "{said}: {blocked}");
    }
    assert!(!blocked.contains("(…)"), "{blocked}");
    reader
        .batch_execute("COMMIT")
        .expect("the long transaction ends");
    let up = ok(&migrate(root.path(), &["up", "--db", url.as_str()]));
    assert!(
        up.starts_with("moved the database from version 1 to 2"),
        "{up}"
    );
}

#[test]
fn a_half_applied_migration_is_resolved_from_the_command_line() {
    let root = project(1);
    write(
        root.path(),
        "migrations/002_outside.sql",
        "-- +migrate NoTransaction\n-- +migrate Up\nCREATE TABLE b (x INTEGER);\nINSERT INTO missing VALUES (1);\n\n-- +migrate Down\nDROP TABLE b;\n",
    );
    let first = fails(&migrate(root.path(), &["up", "--db", "app.db"]));
    assert!(
        first.contains(
            "recorded as failed until it is resolved (`migrate resolve 2 --applied | --pending`)"
        ),
        "{first}"
    );
    let status = ok(&migrate(root.path(), &["status", "--db", "app.db"]));
    assert!(status.contains("FAILED"), "{status}");
    let refused = fails(&migrate(root.path(), &["up", "--db", "app.db"]));
    assert!(refused.contains("`migrate resolve 2 --applied` if you completed it, or `migrate resolve 2 --pending` if you undid it"), "{refused}");
    assert!(!refused.contains("Resolution::"), "{refused}");
    let resolved = ok(&migrate(
        root.path(),
        &["resolve", "2", "--pending", "--db", "app.db"],
    ));
    assert!(
        resolved.starts_with(
            "the failed migration 2 is pending again: the database is at version 1; no SQL \
             ran\n  resolve  2 outside\nbackup: "
        ),
        "{resolved}"
    );
    let neither = migrate(root.path(), &["resolve", "2", "--db", "app.db"]);
    assert!(!neither.status.success());
    // Undone by hand as `--pending` said; failed again, then finished by
    // hand: one step, in the user's words.
    Connection::open(root.path().join("app.db"))
        .expect("open")
        .execute_batch("DROP TABLE b")
        .expect("undone by hand");
    fails(&migrate(root.path(), &["up", "--db", "app.db"]));
    let applied = ok(&migrate(
        root.path(),
        &["resolve", "2", "--applied", "--db", "app.db"],
    ));
    assert!(
        applied.starts_with(
            "the failed migration 2 is recorded as applied: the database is at version 2; \
             no SQL ran\n  resolve  2 outside\nbackup: "
        ),
        "{applied}"
    );
    let status = ok(&migrate(root.path(), &["status", "--db", "app.db"]));
    assert!(!status.contains("FAILED"), "{status}");
}

#[test]
fn validate_replays_postgresql_on_the_server_of_replay_url() {
    let Some(db) = migrate_tests::pg::Scratch::new() else {
        return;
    };
    let root = tempfile::tempdir().expect("tempdir");
    write(
        root.path(),
        "migrations/001_a.sql",
        "-- +migrate Up\nCREATE TABLE a (id INT PRIMARY KEY, doc JSONB NOT NULL DEFAULT '{}');\n\n-- +migrate Down\nDROP TABLE a;\n",
    );
    write(
        root.path(),
        "migrations/002_index.sql",
        "-- +migrate Up\nCREATE INDEX a_doc ON a USING gin (doc);\n\n-- +migrate Down\n",
    );
    let url = db.url();
    let replay = [
        "validate",
        "--dialect",
        "postgres",
        "--replay-url",
        url.as_str(),
    ];
    let out = migrate(root.path(), &replay);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "error: migrations/002_index.sql: Down of 002_index leaves index `public.a_doc` behind; \
         make the Down section undo exactly what the Up section does, or declare the migration irreversible\n\
         1 problem in migrations\n"
    );
    write(
        root.path(),
        "migrations/002_index.sql",
        "-- +migrate Up\nCREATE INDEX a_doc ON a USING gin (doc);\n\n-- +migrate Down\nDROP INDEX a_doc;\n",
    );
    assert_eq!(
        ok(&migrate(root.path(), &replay)),
        "ok: 2 migrations in migrations, every statement parsed by PostgreSQL's parser, \
         replayed on a scratch PostgreSQL database, every Down restores its schema\n"
    );

    let sqlite = migrate(root.path(), &["validate", "--replay-url", url.as_str()]);
    assert_eq!(
        stderr(&sqlite),
        "error: `--replay-url` replays PostgreSQL or MySQL migrations on that server; add \
         `--dialect postgres` or `--dialect mysql`\n"
    );
    let unreachable = migrate(
        root.path(),
        &[
            "validate",
            "--dialect",
            "postgres",
            "--replay-url",
            "postgres://ci:s3cret@127.0.0.1:1/app?connect_timeout=2",
        ],
    );
    assert_eq!(
        stderr(&unreachable).lines().next(),
        Some(
            "error: cannot replay the migrations on the server of `--replay-url` (or its variable): \
             cannot connect to the PostgreSQL server (127.0.0.1:1, user ci, database app): error connecting to server: Connection refused (os error 111)"
        )
    );
    assert!(!stderr(&unreachable).contains("s3cret"));
}

/// A table, a longer `varchar` (no rewrite on PostgreSQL) and `INT` to
/// `BIGINT` (a rewrite), the backward-incompatible side acknowledged.
fn two_type_changes() -> tempfile::TempDir {
    let root = tempfile::tempdir().expect("tempdir");
    write(
        root.path(),
        "migrations/001_a.sql",
        "-- +migrate Up\nCREATE TABLE a (id INT PRIMARY KEY, name VARCHAR(10), n INT);\n",
    );
    write(
        root.path(),
        "migrations/002_longer_name.sql",
        "-- +migrate Allow change-column-type the release reads it as a string\n-- +migrate Up\nALTER TABLE a ALTER COLUMN name TYPE VARCHAR(40);\n",
    );
    write(
        root.path(),
        "migrations/003_bigger_n.sql",
        "-- +migrate Allow change-column-type the release reads it as an i64\n-- +migrate Up\nALTER TABLE a ALTER COLUMN n TYPE BIGINT;\n",
    );
    root
}

/// `migrate lint --replay-url` traces the locks on the server: the type
/// change the server makes without a rewrite (a longer `varchar`) is no
/// `type-rewrite` there, the one it rewrites says so, in text and JSON;
/// `validate` warns of the same findings; another dialect is refused.
#[test]
fn lint_traces_the_locks_on_the_server_of_replay_url() {
    let Some(db) = migrate_tests::pg::Scratch::new() else {
        return;
    };
    let root = two_type_changes();
    let offline = stdout(&migrate(root.path(), &["lint", "--dialect", "postgres"]));
    let codes = |text: &str| -> Vec<String> {
        text.lines()
            .map(|line| line.split(" (").next().unwrap_or_default().to_owned())
            .collect()
    };
    assert_eq!(
        codes(&offline),
        [
            "migrations/002_longer_name.sql:3: type-rewrite",
            "migrations/003_bigger_n.sql:3: type-rewrite"
        ]
    );
    let url = db.url();
    let traced = migrate(
        root.path(),
        &[
            "lint",
            "--dialect",
            "postgres",
            "--replay-url",
            url.as_str(),
        ],
    );
    assert_eq!(traced.status.code(), Some(1));
    let text = stdout(&traced);
    assert_eq!(
        codes(&text),
        ["migrations/003_bigger_n.sql:3: type-rewrite"]
    );
    assert!(
        text.contains(
            "traced on the PostgreSQL server, the statement took ACCESS EXCLUSIVE \
             on table `a` (blocks reads and writes) and rewrote it; add a column of the new type"
        ),
        "{text}"
    );
    assert!(
        stderr(&traced)
            .contains("1 finding in migrations, with the locks traced on the PostgreSQL server"),
        "{}",
        stderr(&traced)
    );
    let json = stdout(&migrate(
        root.path(),
        &[
            "lint",
            "--dialect",
            "postgres",
            "--replay-url",
            url.as_str(),
            "--json",
        ],
    ));
    let value: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(value["findings"][0]["code"], "type-rewrite");
    assert_eq!(
        value["findings"][0]["traced"],
        "took ACCESS EXCLUSIVE on table `a` (blocks reads and writes) and rewrote it"
    );
    let validated = migrate(
        root.path(),
        &[
            "validate",
            "--dialect",
            "postgres",
            "--replay-url",
            url.as_str(),
        ],
    );
    assert!(validated.status.success());
    assert!(
        stderr(&validated)
            .starts_with("warning: migrations/003_bigger_n.sql:3: type-rewrite (locking)"),
        "{}",
        stderr(&validated)
    );
    // The variable, set for a PostgreSQL set's build, does not break the
    // lint of another dialect's set in the same job.
    let from_variable = command(root.path(), &["lint"])
        .env("MIGRATE_REPLAY_POSTGRES_URL", &url)
        .output()
        .expect("runs");
    assert_eq!(
        from_variable.status.code(),
        Some(0),
        "{}",
        stderr(&from_variable)
    );
    let sqlite = migrate(root.path(), &["lint", "--replay-url", url.as_str()]);
    assert_eq!(
        fails(&sqlite),
        "error: `--replay-url` traces the locks on a PostgreSQL server (or comes from \
         `MIGRATE_REPLAY_POSTGRES_URL`): add `--dialect postgres`, or unset it\n"
    );
}

/// The server's scratch databases of the replay run by process `pid`.
fn scratch_databases_of(admin: &mut migrate_runtime::postgres::Client, pid: u32) -> Vec<String> {
    admin
        .query(
            "SELECT datname FROM pg_database WHERE starts_with(datname, $1)",
            &[&format!("migrate_replay_{pid}_")],
        )
        .expect("list databases")
        .iter()
        .map(|row| row.get(0))
        .collect()
}

#[test]
fn a_replay_killed_midway_leaves_databases_the_next_replay_drops() {
    let Some(db) = migrate_tests::pg::Scratch::new() else {
        return;
    };
    let url = db.url();
    let mut admin = db.client();
    let slow = tempfile::tempdir().expect("tempdir");
    write(
        slow.path(),
        "migrations/001_slow.sql",
        "-- +migrate Up\nCREATE TABLE a (id INT);\nSELECT pg_sleep(30);\n\n-- +migrate Down\nDROP TABLE a;\n",
    );
    let replay = [
        "validate",
        "--dialect",
        "postgres",
        "--replay-url",
        url.as_str(),
    ];
    // Two replays SIGKILLed while their scratch databases exist.
    let mut killed = Vec::new();
    for _ in 0..2 {
        let mut child = common::command(slow.path(), &replay)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn");
        let pid = child.id();
        let started = std::time::Instant::now();
        while scratch_databases_of(&mut admin, pid).is_empty() {
            assert!(
                started.elapsed() < std::time::Duration::from_secs(20),
                "the replay made no scratch database"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        child.kill().expect("SIGKILL");
        child.wait().expect("reaped");
        assert!(
            !scratch_databases_of(&mut admin, pid).is_empty(),
            "left behind"
        );
        killed.push(pid);
    }
    // The next replay, of any set, drops them; its own go at its end.
    let quick = tempfile::tempdir().expect("tempdir");
    write(
        quick.path(),
        "migrations/001_a.sql",
        "-- +migrate Up\nCREATE TABLE a (id INT);\n\n-- +migrate Down\nDROP TABLE a;\n",
    );
    ok(&migrate(quick.path(), &replay));
    for pid in killed {
        assert_eq!(scratch_databases_of(&mut admin, pid), Vec::<String>::new());
    }
}

/// A commented-out `DROP TABLE` inside a nested comment, in a migration
/// outside a transaction, read with PostgreSQL's rules by `migrate up` on a
/// PostgreSQL URL: only the index is built, and the table keeps its rows.
#[test]
fn up_on_postgresql_keeps_a_table_whose_drop_is_in_a_nested_comment() {
    let Some(db) = migrate_tests::pg::Scratch::new() else {
        return;
    };
    let root = tempfile::tempdir().expect("tempdir");
    write(
        root.path(),
        "migrations/001_orders.sql",
        "-- +migrate Up\nCREATE TABLE orders (id INT);\nINSERT INTO orders SELECT generate_series(1, 5);\n\
         -- +migrate Down\nDROP TABLE orders;\n",
    );
    write(
        root.path(),
        "migrations/002_index.sql",
        "-- +migrate NoTransaction\n-- +migrate Up\n/* Kept for reference, do not run:\n   \
         /* old cleanup */\n   DROP TABLE orders;\n*/\n\
         CREATE INDEX CONCURRENTLY orders_id_idx ON orders (id);\n\
         -- +migrate Down\nDROP INDEX orders_id_idx;\n",
    );
    let url = db.url();
    ok(&migrate(root.path(), &["up", "--db", url.as_str()]));
    let rows: i64 = db
        .client()
        .query_one("SELECT count(*) FROM orders", &[])
        .expect("the table survived")
        .get(0);
    assert_eq!(rows, 5);
    let indexed: bool = db
        .client()
        .query_one("SELECT to_regclass('orders_id_idx') IS NOT NULL", &[])
        .expect("catalog")
        .get(0);
    assert!(indexed);
}

/// A PostgreSQL connection that fails says the server's own cause: a
/// database that does not exist, a port where nothing listens.
#[test]
fn a_failed_postgresql_connection_says_why() {
    let Some(db) = migrate_tests::pg::Scratch::new() else {
        return;
    };
    let root = project(1);
    let url = db.url();
    let missing = url.replace(&db.name, "nonexist_db");
    let out = migrate(root.path(), &["status", "--db", missing.as_str()]);
    assert!(
        stderr(&out).contains("database \"nonexist_db\" does not exist"),
        "{}",
        stderr(&out)
    );
    let closed = migrate(
        root.path(),
        &["status", "--db", "postgres://app@127.0.0.1:1/app"],
    );
    assert!(
        stderr(&closed)
            .to_lowercase()
            .contains("connection refused"),
        "{}",
        stderr(&closed)
    );
}

/// The command line reaches a server that takes only TLS, verifying its
/// certificate as `sslmode=verify-full` asks; a certificate of another CA
/// is refused naming the host and the roots, and the password stays hidden.
#[test]
fn the_command_line_migrates_a_server_that_takes_only_tls() {
    let Some(tls) = migrate_tests::tls_dir() else {
        return;
    };
    let Some(db) = migrate_tests::pg::Scratch::new() else {
        return;
    };
    let root = project(2);
    let ca = tls.join("ca.crt").display().to_string();
    let url = db.tls_url(
        "migrate_tls_only",
        &format!("sslmode=verify-full&sslrootcert={ca}"),
    );
    let up = ok(&migrate(root.path(), &["up", "--db", url.as_str()]));
    assert!(
        up.starts_with("moved the database from version none"),
        "{up}"
    );
    let other = tls.join("other-ca.crt").display().to_string();
    let with_password = db
        .tls_url(
            "migrate_tls_only",
            &format!("sslmode=verify-ca&sslrootcert={other}"),
        )
        .replace("migrate_tls_only@", "migrate_tls_only:secret@");
    let refused = fails(&migrate(
        root.path(),
        &["status", "--db", with_password.as_str()],
    ));
    assert!(
        refused.contains(&format!(
            "the certificate of 127.0.0.1 is not signed by a CA of sslrootcert {other}"
        )),
        "{refused}"
    );
    assert!(!refused.contains("secret"), "{refused}");
}

/// `sslmode=prefer` (the default) through a server that offers no TLS (a
/// PgBouncer without it) connects in plain text and says so in `RUST_LOG`
/// output.
#[test]
fn prefer_without_tls_on_offer_says_so_in_the_log() {
    let Some(db) = migrate_tests::pg::Scratch::new() else {
        return;
    };
    let Some(bouncer) = migrate_tests::pg::Bouncer::start() else {
        return;
    };
    let root = project(1);
    let url = bouncer.url(&db);
    let output = migrate_tests_command(root.path(), &["status", "--db", url.as_str()]);
    let said = stderr(&output);
    assert!(output.status.success(), "{said}");
    assert!(
        said.contains("the server does not offer TLS: connected without it (sslmode=prefer)"),
        "{said}"
    );
}

/// `migrate` with `RUST_LOG=info`.
fn migrate_tests_command(dir: &Path, args: &[&str]) -> std::process::Output {
    common::command(dir, args)
        .env("RUST_LOG", "info")
        .output()
        .expect("runs")
}

/// `validate --dialect mysql` reads the files by MySQL's rules and, with a
/// `mysql://` `--replay-url`, replays them on a scratch database of that
/// server, naming a failing statement at its line with the server's error.
#[test]
fn validate_replays_mysql_on_the_server_of_replay_url() {
    let Some(url) = migrate_tests::server_url(
        "MIGRATE_TEST_MYSQL_URL",
        "mysql://root@127.0.0.1:3306",
        |url| url.starts_with("mysql://"),
    ) else {
        return;
    };
    let root = tempfile::tempdir().expect("tempdir");
    write(
        root.path(),
        "migrations/001_a.sql",
        "-- +goose Up\n# MySQL's comment\nCREATE TABLE a (id INT PRIMARY KEY, note TEXT);\n\
         INSERT INTO a VALUES (1, 'it\\'s; fine');\n-- +goose Down\nDROP TABLE a;\n",
    );
    let replay = [
        "validate",
        "--dialect",
        "mysql",
        "--replay-url",
        url.as_str(),
    ];
    let good = ok(&migrate(root.path(), &replay));
    assert_eq!(
        good,
        "ok: 1 migration in migrations, replayed on a scratch MySQL database, every Down \
         restores its schema\n"
    );
    write(
        root.path(),
        "migrations/002_b.sql",
        "-- +goose Up\nALTER TABLE a ADD COLUMN b INT;\n-- +goose Down\nSELECT 1;\n",
    );
    let bad = fails(&migrate(root.path(), &replay));
    assert!(
        bad.starts_with("error: migrations/002_b.sql: Down of 002_b leaves column `a.b` behind"),
        "{bad}"
    );
    write(
        root.path(),
        "migrations/003_c.sql",
        "-- +goose Up\nALTER TABLE a MODIFY note VARCHAR(10);\n-- +goose Down\n\
         ALTER TABLE a MODIFY note TEXT;\n",
    );
    let lint = migrate(root.path(), &["lint", "--dialect", "mysql"]);
    assert_eq!(lint.status.code(), Some(1), "{}", stderr(&lint));
    assert!(
        stdout(&lint).contains("mysql-table-copy"),
        "{}",
        stdout(&lint)
    );
}

/// `mysql://` URLs over TLS, as MySQL's own client takes them: a user the
/// server lets in only over TLS migrates with `root_cert_path`, the CA
/// that signed the server's certificate; without TLS the server
/// refuses it, and with another CA the certificate is refused, each said.
#[test]
fn mysql_urls_over_tls() {
    let (Some(db), Some(tls)) = (
        migrate_tests::mysql::Scratch::new(),
        migrate_tests::tls_dir(),
    ) else {
        return;
    };
    let root = project(2);
    let url = db.url();
    let (_, rest) = url.split_once('@').expect("a user in the URL");
    let tls_only = format!("mysql://migrate_tls_only@{rest}");
    let ca = tls.join("ca.crt");
    let trusted = format!("{tls_only}?root_cert_path={}", ca.display());
    let up = ok(&migrate(root.path(), &["up", "--db", trusted.as_str()]));
    assert!(up.contains("to 2"), "{up}");
    let plain = fails(&migrate(
        root.path(),
        &["status", "--db", tls_only.as_str()],
    ));
    assert!(plain.contains("Access denied"), "{plain}");
    let other = format!(
        "{tls_only}?root_cert_path={}",
        tls.join("other-ca.crt").display()
    );
    let refused = fails(&migrate(root.path(), &["status", "--db", other.as_str()]));
    assert!(
        refused.contains("cannot connect to the MySQL server")
            && refused.to_lowercase().contains("certificate"),
        "{refused}"
    );
}
