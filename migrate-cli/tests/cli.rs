//! The `migrate` binary on real directories and database files.

use std::fs;
use std::path::Path;
use std::process::Command;

mod common;
use common::{command, fails, migrate, ok, stderr, stdout, write};

use migrate_runtime::rusqlite::Connection;

const GOOD: &str =
    "-- +migrate Up\nCREATE TABLE a (x INTEGER);\n\n-- +migrate Down\nDROP TABLE a;\n";

/// The names in a folder, sorted: to compare before and after a command.
fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn new_creates_the_next_file_with_the_directory_padding() {
    let root = tempfile::tempdir().expect("tempdir");
    let out = ok(&migrate(root.path(), &["new", "create_users"]));
    assert_eq!(out.trim(), "migrations/001_create_users.sql");
    let text =
        fs::read_to_string(root.path().join("migrations/001_create_users.sql")).expect("read");
    assert_eq!(text, "-- +migrate Up\n\n\n-- +migrate Down\n\n");

    write(root.path(), "migrations/0007_old.sql", GOOD);
    let out = ok(&migrate(root.path(), &["new", "add_email", "--pair"]));
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        [
            "migrations/0008_add_email.up.sql",
            "migrations/0008_add_email.down.sql"
        ]
    );
    ok(&migrate(root.path(), &["new", "purge", "--irreversible"]));
    let text = fs::read_to_string(root.path().join("migrations/0009_purge.sql")).expect("read");
    assert!(text.ends_with("-- +migrate Down irreversible\n"));
}

#[test]
fn new_with_timestamps_and_bad_names() {
    let root = tempfile::tempdir().expect("tempdir");
    let out = ok(&migrate(root.path(), &["new", "first", "--timestamp"]));
    let file = out
        .trim()
        .strip_prefix("migrations/")
        .expect("path")
        .to_owned();
    let digits = &file[..14];
    assert!(migrate_core::is_timestamp(digits), "{file}");
    assert_eq!(&file[14..], "_first.sql");

    let bad = migrate(root.path(), &["new", "add/users"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        stderr(&bad).contains(
            "`add/users` cannot be a migration's name: it has a control character or a path \
             separator; choose another NAME"
        ),
        "{}",
        stderr(&bad)
    );
    assert_eq!(
        files(&root.path().join("migrations")).len(),
        1,
        "nothing was written"
    );
}

#[test]
fn fix_renumbers_timestamps_after_the_sequence_keeping_pairs_together() {
    let root = tempfile::tempdir().expect("tempdir");
    write(root.path(), "migrations/001_a.sql", GOOD);
    write(
        root.path(),
        "migrations/002_b.sql",
        &GOOD.replace(" a", " b"),
    );
    write(
        root.path(),
        "migrations/20240301000000_d.sql",
        &GOOD.replace(" a", " d"),
    );
    write(
        root.path(),
        "migrations/20240101000000_c.up.sql",
        "CREATE TABLE c (x INTEGER);",
    );
    write(
        root.path(),
        "migrations/20240101000000_c.down.sql",
        "DROP TABLE c;",
    );
    // goose's hybrid versioning: timestamps after the sequence are valid,
    // and `--sequential-only` is the check a release makes.
    ok(&migrate(root.path(), &["validate"]));
    let before = migrate(root.path(), &["validate", "--sequential-only"]);
    assert_eq!(before.status.code(), Some(1), "leftover timestamps");
    assert!(
        stderr(&before).contains(
            "migrations/20240101000000_c.up.sql: timestamp version 20240101000000; run `migrate fix`"
        ),
        "{}",
        stderr(&before)
    );

    let out = ok(&migrate(root.path(), &["fix"]));
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        [
            "migrations/20240101000000_c.down.sql -> migrations/003_c.down.sql",
            "migrations/20240101000000_c.up.sql -> migrations/003_c.up.sql",
            "migrations/20240301000000_d.sql -> migrations/004_d.sql",
        ]
    );
    assert_eq!(
        files(&root.path().join("migrations")),
        [
            "001_a.sql",
            "002_b.sql",
            "003_c.down.sql",
            "003_c.up.sql",
            "004_d.sql"
        ]
    );
    ok(&migrate(root.path(), &["validate"]));
    assert_eq!(
        ok(&migrate(root.path(), &["fix"])).trim(),
        "nothing to renumber: no timestamp versions"
    );
}

#[test]
fn fix_stops_before_any_rename_on_a_conflict() {
    let root = tempfile::tempdir().expect("tempdir");
    write(root.path(), "migrations/001_a.sql", GOOD);
    write(root.path(), "migrations/20240101000000_b.sql", GOOD);
    // Two files share one timestamp: renumbering cannot pick an order for them.
    write(root.path(), "migrations/20240101000000_c.sql", GOOD);
    write(root.path(), "migrations/20240201000000_d.sql", GOOD);
    let before = files(&root.path().join("migrations"));
    let out = migrate(root.path(), &["fix"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "error: version 20240101000000 is used by 2 migrations (`b`, `c`); give one of them another version first; nothing was renamed\n"
    );
    assert_eq!(files(&root.path().join("migrations")), before);
}

#[test]
fn new_and_fix_refuse_a_directory_they_cannot_list() {
    let root = tempfile::tempdir().expect("tempdir");
    write(root.path(), "migrations/001_a.sql", GOOD);
    write(root.path(), "migrations/test/deeper/002_b.sql", GOOD);
    for args in [&["new", "b"][..], &["fix"][..]] {
        let out = migrate(root.path(), args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert_eq!(
            stderr(&out),
            "error: migrations/test/deeper: directory inside an environment folder; environment folders hold migration files only\n"
        );
    }
    assert_eq!(
        files(&root.path().join("migrations")),
        ["001_a.sql", "test"]
    );
}

#[test]
fn validate_prints_the_compile_errors_and_fails() {
    let root = tempfile::tempdir().expect("tempdir");
    write(root.path(), "migrations/001_a.sql", GOOD);
    write(
        root.path(),
        "migrations/003_c.sql",
        "-- +migrate Upp\nSELECT 1;\n-- +migrate Down\n",
    );
    let out = migrate(root.path(), &["validate"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("error: migrations/003_c.sql:1: unknown annotation `+migrate Upp`; did you mean `-- +migrate Up`?"), "{err}");
    assert!(
        err.contains(
            "error: migrations/003_c.sql: version 2 is missing after `migrations/001_a.sql`"
        ),
        "{err}"
    );
    assert!(err.contains("2 problems in migrations"), "{err}");
    let ok_out = migrate(root.path(), &["validate", "--allow-gaps"]);
    assert_eq!(
        ok_out.status.code(),
        Some(1),
        "the annotation is still wrong"
    );
    let missing = migrate(root.path(), &["validate", "--dir", "nope"]);
    assert!(stderr(&missing).contains("nope: migration directory does not exist"));
}

#[test]
fn validate_parses_postgresql_with_postgresqls_parser() {
    let root = tempfile::tempdir().expect("tempdir");
    write(
        root.path(),
        "migrations/001_a.sql",
        "-- +migrate Up\nCREATE TABLE a (\n  id BIGINT GENERATED ALWAYS AS IDENTITY,\n  doc JSONB NOT NUL\n);\n\n-- +migrate Down\nDROP TABLE a;\n",
    );
    let out = migrate(root.path(), &["validate", "--dialect", "postgres"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "error: migrations/001_a.sql:4:17: syntax error at or near \"NUL\"; found by PostgreSQL's parser at build time\n\
         1 problem in migrations\n"
    );
    write(
        root.path(),
        "migrations/001_a.sql",
        "-- +migrate Up\nCREATE TABLE a (doc JSONB NOT NULL DEFAULT '{}'::jsonb);\n\n-- +migrate Down\nDROP TABLE a;\n",
    );
    assert_eq!(
        ok(&migrate(
            root.path(),
            &["validate", "--dialect", "postgres"]
        )),
        "ok: 1 migration in migrations, every statement parsed by PostgreSQL's parser\n"
    );
}

#[test]
fn validate_replays_the_sql_like_the_macro() {
    let root = tempfile::tempdir().expect("tempdir");
    write(root.path(), "migrations/001_a.sql", GOOD);
    write(
        root.path(),
        "migrations/002_index.sql",
        "-- +migrate Up\nCREATE INDEX a_x ON a (x);\n\n-- +migrate Down\n",
    );
    let out = migrate(root.path(), &["validate"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "error: migrations/002_index.sql: Down of 002_index leaves index `a_x` behind; \
         make the Down section undo exactly what the Up section does, or declare the migration irreversible\n\
         1 problem in migrations\n"
    );
    assert!(
        ok(&migrate(root.path(), &["validate", "--no-check"]))
            .starts_with("ok: 2 migrations in migrations\n")
    );
    ok(&migrate(
        root.path(),
        &["validate", "--dialect", "postgres"],
    ));
    write(
        root.path(),
        "migrations/002_index.sql",
        "-- +migrate Up\nCREATE INDEX a_x ON a (x);\n\n-- +migrate Down\nDROP INDEX a_x;\n",
    );
    assert_eq!(
        ok(&migrate(root.path(), &["validate"])),
        "ok: 2 migrations in migrations, replayed on SQLite, every Down restores its schema\n"
    );
}

#[test]
fn counts_are_said_in_words() {
    let root = tempfile::tempdir().expect("tempdir");
    write(root.path(), "migrations/001_a.sql", GOOD);
    assert_eq!(
        ok(&migrate(root.path(), &["validate", "--no-check"])),
        "ok: 1 migration in migrations\n"
    );
}

#[test]
fn round_trip_new_up_status_down_status() {
    let root = tempfile::tempdir().expect("tempdir");
    let path = ok(&migrate(root.path(), &["new", "create_a"]));
    fs::write(root.path().join(path.trim()), GOOD).expect("fill the template");
    write(
        root.path(),
        "migrations/002_fill.sql",
        "-- +migrate Up\nINSERT INTO a VALUES (1);\n-- +migrate Down\nDELETE FROM a;\n",
    );

    let up = migrate(root.path(), &["up", "--db", "app.db"]);
    let out = ok(&up);
    assert!(
        out.starts_with("moved the database from version none (no migration applied) to 2"),
        "{out}"
    );

    let status = ok(&migrate(root.path(), &["status", "--db", "sqlite:app.db"]));
    let lines: Vec<&str> = status.lines().collect();
    assert_eq!(lines[0], "database at version 2");
    assert!(
        lines[2].starts_with("      1  create_a  applied  "),
        "{status}"
    );
    assert!(
        lines[3].starts_with("      2  fill      applied  "),
        "{status}"
    );

    let down = migrate(root.path(), &["down", "--db", "app.db"]);
    assert!(stderr(&down).contains("reverted 2 fill"));
    ok(&down);
    let json = ok(&migrate(
        root.path(),
        &["status", "--db", "app.db", "--json"],
    ));
    let value: serde_json::Value = serde_json::from_str(&json).expect("json");
    assert_eq!(value["current"], 1);
    assert_eq!(value["entries"][1]["state"], "pending");
}

#[test]
fn up_to_dry_run_down_to_redo_baseline_and_database_url() {
    let root = tempfile::tempdir().expect("tempdir");
    for (k, table) in [(1, "a"), (2, "b"), (3, "c")] {
        write(
            root.path(),
            &format!("migrations/00{k}_{table}.sql"),
            &format!(
                "-- +migrate Up\nCREATE TABLE {table} (x INTEGER);\n-- +migrate Down\nDROP TABLE {table};\n"
            ),
        );
    }
    let dry = ok(&migrate(
        root.path(),
        &["up", "--db", "app.db", "--dry-run", "--to", "2"],
    ));
    assert!(
        dry.starts_with(
            "dry run: would move the database from version none (no migration applied) to 2"
        ),
        "{dry}"
    );
    assert!(dry.contains("CREATE TABLE b (x INTEGER);"));
    assert!(
        !root.path().join("app.db").exists(),
        "a dry run changes nothing, not even the file system"
    );

    let out = Command::new(env!("CARGO_BIN_EXE_migrate"))
        .current_dir(root.path())
        .args(["up", "--to", "2"])
        .env("DATABASE_URL", "sqlite://app.db")
        .output()
        .expect("runs");
    assert!(ok(&out).contains("to 2"));
    ok(&migrate(root.path(), &["up", "--db", "app.db"]));
    let out = ok(&migrate(
        root.path(),
        &["down", "--db", "app.db", "--to", "1"],
    ));
    assert!(out.contains("from version 3 to 1"), "{out}");
    ok(&migrate(root.path(), &["up", "--db", "app.db"]));
    let out = ok(&migrate(root.path(), &["redo", "--db", "app.db"]));
    assert!(
        out.contains("down     3 c") && out.contains("up       3 c"),
        "{out}"
    );

    // An existing database made by hand up to version 2's schema.
    Connection::open(root.path().join("other.db"))
        .expect("create")
        .execute_batch("CREATE TABLE a (x INTEGER); CREATE TABLE b (x INTEGER);")
        .expect("the schema");
    let fresh = ok(&migrate(
        root.path(),
        &["baseline", "2", "--db", "other.db"],
    ));
    assert!(
        fresh.contains("baseline 1 a") || fresh.contains("baseline 1"),
        "{fresh}"
    );
    let status = ok(&migrate(root.path(), &["status", "--db", "other.db"]));
    assert!(status.contains("      3  c     pending"), "{status}");
}

#[test]
fn runtime_errors_are_printed_for_a_person_with_exit_code_1() {
    let root = tempfile::tempdir().expect("tempdir");
    write(root.path(), "migrations/001_a.sql", GOOD);
    ok(&migrate(root.path(), &["up", "--db", "app.db"]));

    // Edited after it was applied.
    write(
        root.path(),
        "migrations/001_a.sql",
        &GOOD.replace("x INTEGER", "y INTEGER"),
    );
    let out = migrate(root.path(), &["up", "--db", "app.db"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with("error: migrations/001_a.sql was edited after it was applied"),
        "{}",
        stderr(&out)
    );
    write(root.path(), "migrations/001_a.sql", GOOD);

    // A database file that does not exist is not created by `status`.
    let out = migrate(root.path(), &["status", "--db", "typo.db"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "error: the database typo.db does not exist; check the path (`migrate up` creates a new database)\n"
    );
    assert!(!root.path().join("typo.db").exists());

    // An unknown version.
    let out = migrate(root.path(), &["down", "--db", "app.db", "--to", "7"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no migration has version 7"),
        "{}",
        stderr(&out)
    );

    // A bad directory stops before the database is touched.
    write(root.path(), "migrations/002_b.down.sql", "DROP TABLE b;");
    let out = migrate(root.path(), &["up", "--db", "app.db"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("`.down.sql` file without its `.up.sql`"),
        "{}",
        stderr(&out)
    );
    fs::remove_file(root.path().join("migrations/002_b.down.sql")).expect("remove");

    // A locked database.
    write(
        root.path(),
        "migrations/002_b.sql",
        &GOOD.replace(" a", " b"),
    );
    let holder = Connection::open(root.path().join("app.db")).expect("open");
    holder
        .execute_batch("BEGIN IMMEDIATE; CREATE TABLE held (x INTEGER);")
        .expect("lock");
    let out = migrate(
        root.path(),
        &["up", "--db", "app.db", "--busy-timeout", "100"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("the database is locked by another connection"),
        "{}",
        stderr(&out)
    );
    holder.execute_batch("ROLLBACK").expect("release");
    ok(&migrate(root.path(), &["up", "--db", "app.db"]));
}

#[test]
fn help_has_an_example_per_command() {
    let root = tempfile::tempdir().expect("tempdir");
    for command in [
        "new", "fix", "validate", "status", "up", "down", "redo", "baseline", "adopt", "force",
        "resolve", "up-to", "down-to", "goto", "version", "reset",
    ] {
        let help = ok(&migrate(root.path(), &[command, "--help"]));
        assert!(help.contains("Example"), "{command}: {help}");
        assert!(
            help.contains(&format!("migrate {command}")),
            "{command}: {help}"
        );
    }
}

#[test]
fn an_empty_or_in_memory_database_url_fails_loudly() {
    let root = tempfile::tempdir().expect("tempdir");
    fs::create_dir(root.path().join("migrations")).expect("mkdir");
    fs::write(root.path().join("migrations/001_a.sql"), GOOD).expect("write");
    for url in ["", ":memory:", "sqlite:", "sqlite://", "sqlite::memory:"] {
        let out = Command::new(env!("CARGO_BIN_EXE_migrate"))
            .current_dir(root.path())
            .args(["up"])
            .env("DATABASE_URL", url)
            .env("NO_COLOR", "1")
            .output()
            .expect("runs");
        assert!(!out.status.success(), "{url:?}: {}", stdout(&out));
        assert_eq!(
            stderr(&out).trim(),
            format!(
                "error: --db (or DATABASE_URL) names no database file (`{url}`): an in-memory or unnamed \
                 database would vanish when the command ends; pass the path of the database file"
            ),
            "{url:?}"
        );
        assert!(
            stdout(&out).is_empty(),
            "{url:?}: nothing reported as moved"
        );
    }
}

#[test]
fn a_dir_that_is_a_file_is_said_to_be_one() {
    let root = tempfile::tempdir().expect("tempdir");
    fs::write(root.path().join("schema.sql"), GOOD).expect("write");
    let out = migrate(root.path(), &["validate", "--dir", "schema.sql"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains(
            "error: schema.sql: is a file, not a directory; point to the folder that holds the migration files"
        ),
        "{}",
        stderr(&out)
    );
}

#[test]
fn lint_reports_findings_as_text_and_json_and_fails_on_them() {
    let root = tempfile::tempdir().expect("tempdir");
    write(
        root.path(),
        "migrations/001_users.sql",
        "-- +migrate Up\nCREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, age INT);\n\n-- +migrate Down\nDROP TABLE users;\n",
    );
    write(
        root.path(),
        "migrations/002_no_age.sql",
        "-- +migrate Up\nALTER TABLE users DROP COLUMN age;\n\n-- +migrate Down\nALTER TABLE users ADD COLUMN age INT;\n",
    );
    write(
        root.path(),
        "migrations/003_email_index.sql",
        "-- +migrate Up\nCREATE INDEX users_email ON users (email);\n\n-- +migrate Down\nDROP INDEX users_email;\n",
    );
    let out = migrate(root.path(), &["lint"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stdout(&out),
        "migrations/002_no_age.sql:2: drop-column (destructive): drops column `age` of table `users`; \
         stop reading and writing the column in one release, then drop it in a later one; \
         if it is safe here, say why with `-- +migrate Allow drop-column <reason>`\n"
    );
    assert_eq!(stderr(&out), "1 finding in migrations\n");

    let postgres = migrate(root.path(), &["lint", "--dialect", "postgres", "--json"]);
    assert_eq!(postgres.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_str(&stdout(&postgres)).expect("json");
    let codes: Vec<&str> = json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["code"].as_str().expect("code"))
        .collect();
    assert_eq!(codes, ["drop-column", "index-not-concurrently"]);
    assert_eq!(json["findings"][1]["category"], "locking");
    assert_eq!(json["findings"][1]["version"], 3);
    assert_eq!(json["findings"][1]["line"], 2);

    let from_three = migrate(root.path(), &["lint", "--from", "3"]);
    assert_eq!(
        from_three.status.code(),
        Some(0),
        "002 already ran; SQLite has no locking rule"
    );
    assert_eq!(
        stderr(&from_three),
        "0 findings from version 3 on in migrations\n"
    );
    write(
        root.path(),
        "migrations/002_no_age.sql",
        "-- +migrate Allow drop-column age was never read by any release\n-- +migrate Up\nALTER TABLE users DROP COLUMN age;\n\n-- +migrate Down\nALTER TABLE users ADD COLUMN age INT;\n",
    );
    assert_eq!(ok(&migrate(root.path(), &["lint"])), "");

    let missing = migrate(root.path(), &["lint", "--dir", "nope"]);
    assert!(!missing.status.success());
    assert!(
        stderr(&missing).starts_with("error: the migration directory has 1 problem:\n  nope: migration directory does not exist"),
        "{}",
        stderr(&missing)
    );
}

#[test]
fn rust_log_shows_the_runtime_events_and_nothing_changes_without_it() {
    let root = tempfile::tempdir().expect("tempdir");
    write(root.path(), "migrations/001_a.sql", GOOD);
    let plain = migrate(root.path(), &["up", "--db", "app.db"]);
    ok(&plain);
    assert!(!stderr(&plain).contains("DEBUG"), "{}", stderr(&plain));

    let logged = command(root.path(), &["up", "--db", "logged.db"])
        .env("RUST_LOG", "debug")
        .output()
        .expect("runs");
    let report = stdout(&logged);
    assert!(
        report.starts_with("moved the database from version none (no migration applied) to 1 in ")
            && !report.contains("statement"),
        "the report alone on stdout: {report}"
    );
    let log = stderr(&logged);
    assert!(log.contains("DEBUG"), "{log}");
    assert!(log.contains("statement"), "{log}");
    assert!(log.contains("file=\"migrations/001_a.sql\""), "{log}");
    assert!(log.contains("migration{version=1"), "{log}");
    assert!(log.contains("operation=\"up\""), "{log}");
}

#[test]
fn status_columns_line_up_and_a_recorded_row_took_no_time() {
    let root = tempfile::tempdir().expect("tempdir");
    write(root.path(), "migrations/001_créer la table.sql", GOOD);
    write(
        root.path(),
        "migrations/002_b.sql",
        "-- +migrate Up\nCREATE TABLE b (x INTEGER);\n\n-- +migrate Down\nDROP TABLE b;\n",
    );
    // An existing database that has migration 1's table, taken as version 1.
    Connection::open(root.path().join("app.db"))
        .expect("create")
        .execute_batch("CREATE TABLE a (x INTEGER);")
        .expect("the table");
    ok(&migrate(root.path(), &["baseline", "1", "--db", "app.db"]));
    ok(&migrate(root.path(), &["up", "--db", "app.db"]));
    let status = ok(&migrate(root.path(), &["status", "--db", "app.db"]));
    let table: Vec<&str> = status.lines().skip(1).collect();
    assert_eq!(table.len(), 3, "{status}");
    assert!(table[1].ends_with("recorded"), "{status}");
    assert!(table[2].ends_with(" ms"), "{status}");
    let widths: Vec<usize> = table.iter().map(|l| l.chars().count()).collect();
    assert!(
        widths.iter().all(|w| *w == widths[0]),
        "every line ends at the `took` column: {status}"
    );
}

#[test]
fn irreversible_before_takes_old_migrations_as_history() {
    let root = tempfile::tempdir().expect("tempdir");
    write(
        root.path(),
        "migrations/2017-01-01-000000_users/up.sql",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);\n",
    );
    // An old Down with a missing `;`: a true problem nobody will run.
    write(
        root.path(),
        "migrations/2017-01-01-000000_users/down.sql",
        "DROP TABLE users\nDROP TABLE nothing;\n",
    );
    write(
        root.path(),
        "migrations/2017-02-01-000000_unique/up.sql",
        "CREATE UNIQUE INDEX users_email ON users (email);\n",
    );
    write(
        root.path(),
        "migrations/2017-02-01-000000_unique/down.sql",
        "SELECT 1;\n",
    );
    write(
        root.path(),
        "migrations/2026-07-30-140000-0000_posts/up.sql",
        "CREATE TABLE posts (id INTEGER);\n",
    );
    write(
        root.path(),
        "migrations/2026-07-30-140000-0000_posts/down.sql",
        "DROP TABLE posts;\n",
    );
    write(
        root.path(),
        "migrations/data_oauth_github.sql",
        "SELECT 1;\n",
    );
    write(root.path(), "migrations/README.md", "notes\n");

    let refused = migrate(root.path(), &["validate"]);
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    assert!(
        stderr(&refused)
            .contains("Down of 2017-02-01-000000_unique leaves index `users_email` behind"),
        "{}",
        stderr(&refused)
    );
    let history = ["--irreversible-before", "20260101000000"];
    let validated = migrate(root.path(), &[&["validate"][..], &history].concat());
    assert_eq!(
        ok(&validated),
        "ok: 3 migrations in migrations (2 migrations below version 20260101000000 taken as history: \
         Downs not checked, irreversible), replayed on SQLite, every Down restores its schema\n"
    );
    assert!(
        stderr(&validated).contains("note: migrations/data_oauth_github.sql is not a migration"),
        "{}",
        stderr(&validated)
    );
    // The old unique index is a finding, not counted in the history.
    assert_eq!(migrate(root.path(), &["lint"]).status.code(), Some(1));
    ok(&migrate(root.path(), &[&["lint"][..], &history].concat()));

    // At run time the history is irreversible: a revert into it is refused.
    let db = [&history[..], &["--db", "app.db"]].concat();
    ok(&migrate(root.path(), &[&["up"][..], &db].concat()));
    ok(&migrate(root.path(), &[&["down"][..], &db].concat()));
    let refused = migrate(root.path(), &[&["down"][..], &db].concat());
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).contains("irreversible"),
        "{}",
        stderr(&refused)
    );
    let status = ok(&migrate(root.path(), &[&["status"][..], &db].concat()));
    assert!(
        status.contains("database at version 20170201000000"),
        "{status}"
    );
}

/// The set a program embeds, Rust migration compiled: what ran on the
/// database the command then reads.
static RUST_SET: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("../tests/migrations/rust_sqlite");

#[test]
fn rust_migrations_are_checked_in_place_never_run_and_read_from_the_history() {
    let root = tempfile::tempdir().expect("tempdir");
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/migrations/rust_sqlite");
    for entry in fs::read_dir(&source).expect("fixture") {
        let entry = entry.expect("entry");
        let text = fs::read_to_string(entry.path()).expect("read");
        write(
            root.path(),
            &format!("migrations/{}", entry.file_name().to_string_lossy()),
            &text,
        );
    }
    // validate and lint: its place checked, the file said to be skipped.
    let validated = migrate(root.path(), &["validate"]);
    ok(&validated);
    assert!(
        stderr(&validated)
            .contains("1 Rust migration checked in the sequence but not replayed or parsed (Rust"),
        "{}",
        stderr(&validated)
    );
    assert!(stderr(&validated).contains("migrations/002_email_keys.rs"));
    let linted = migrate(root.path(), &["lint"]);
    assert!(
        stderr(&linted).contains("but not linted"),
        "{}",
        stderr(&linted)
    );

    // up: refused before anything changes, with the program to write.
    let up = migrate(root.path(), &["up", "--db", "app.db"]);
    assert_eq!(up.status.code(), Some(1));
    let said = stderr(&up);
    assert!(
        said.contains("migrations/002_email_keys.rs is a Rust migration"),
        "{said}"
    );
    assert!(said.contains("nothing was changed"), "{said}");
    assert!(said.contains("embed_migrations!(\"migrations\")"), "{said}");
    let conn = Connection::open(root.path().join("app.db")).expect("open");
    let tables: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
        .expect("count");
    assert_eq!(tables, 0, "nothing was created");

    // The application ran them: status and down work from the history,
    // until a down would have to call the Rust function.
    let mut conn = conn;
    RUST_SET.migrate(&mut conn).expect("the program migrates");
    let status = ok(&migrate(root.path(), &["status", "--db", "app.db"]));
    let line = status
        .lines()
        .find(|l| l.contains("email_keys"))
        .expect("the Rust migration's line");
    assert!(
        line.contains("applied") && line.ends_with("Rust"),
        "{status}"
    );
    let down = migrate(root.path(), &["down", "--db", "app.db"]);
    ok(&down);
    assert!(
        stderr(&down).contains("reverted 3 email_index"),
        "{}",
        stderr(&down)
    );
    let refused = migrate(root.path(), &["down", "--db", "app.db"]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).contains("is a Rust migration"),
        "{}",
        stderr(&refused)
    );
    assert_eq!(migrate_tests::history(&conn), [1, 2]);
}

#[test]
fn new_writes_a_rust_migration_for_each_driver() {
    let root = tempfile::tempdir().expect("tempdir");
    write(root.path(), "migrations/001_users.sql", GOOD);
    let path = ok(&migrate(root.path(), &["new", "fill_keys", "--rust"]));
    assert_eq!(path.trim(), "migrations/002_fill_keys.rs");
    let text = fs::read_to_string(root.path().join(path.trim())).expect("written");
    assert!(
        text.contains("pub fn up(conn: &Connection) -> Result {"),
        "{text}"
    );
    assert!(
        text.contains("pub fn down(conn: &Connection) -> Result {"),
        "{text}"
    );
    // Its place is checked with the SQL files: the next version follows it.
    let validated = migrate(root.path(), &["validate"]);
    assert!(stderr(&validated).contains("1 Rust migration checked in the sequence"));
    let path = ok(&migrate(
        root.path(),
        &["new", "later", "--rust", "tokio-postgres", "--irreversible"],
    ));
    assert_eq!(path.trim(), "migrations/003_later.rs");
    let text = fs::read_to_string(root.path().join(path.trim())).expect("written");
    assert!(
        text.contains("pub async fn up(tx: &mut Transaction<'_>) -> Result {"),
        "{text}"
    );
    assert!(!text.contains("fn down"), "{text}");
    let (parsed, problems) = migrate_core::parse_rust(&text);
    assert!(problems.is_empty() && parsed.irreversible, "{problems:?}");
    let refused = migrate(root.path(), &["new", "x", "--rust", "mysql"]);
    assert!(!refused.status.success());
}

/// A `ForeignKeys off` rebuild between a migration that creates a
/// cascading key and one that deletes a parent: the delete cascades, per
/// migration and in one run (foreign keys are off for the rebuild only).
#[test]
fn foreign_keys_are_off_for_the_rebuild_only_from_the_command_line() {
    for per_migration in [true, false] {
        let root = tempfile::tempdir().expect("tempdir");
        write(
            root.path(),
            "migrations/001_pets.sql",
            "-- +migrate Up\nCREATE TABLE owner (id INTEGER PRIMARY KEY);\n\
             CREATE TABLE pet (id INTEGER PRIMARY KEY, owner INTEGER NOT NULL \
             REFERENCES owner (id) ON DELETE CASCADE);\nCREATE TABLE misc (x INTEGER);\n\
             INSERT INTO owner (id) VALUES (1), (2);\nINSERT INTO pet (id, owner) VALUES (10, 1), (20, 2);\n\
             -- +migrate Down\nDROP TABLE pet;\nDROP TABLE owner;\nDROP TABLE misc;\n",
        );
        write(
            root.path(),
            "migrations/002_rebuild.sql",
            "-- +migrate ForeignKeys off\n-- +migrate Up\nCREATE TABLE misc_new (x INTEGER, y INTEGER);\n\
             INSERT INTO misc_new (x) SELECT x FROM misc;\nDROP TABLE misc;\n\
             ALTER TABLE misc_new RENAME TO misc;\n-- +migrate Down\nSELECT 1;\n",
        );
        write(
            root.path(),
            "migrations/003_forget.sql",
            "-- +migrate Up\nDELETE FROM owner WHERE id = 1;\n-- +migrate Down\nSELECT 1;\n",
        );
        let mut args = vec!["up", "--db", "app.db"];
        if per_migration {
            args.push("--per-migration");
        }
        ok(&migrate(root.path(), &args));
        let conn = Connection::open(root.path().join("app.db")).expect("open");
        let pets: i64 = conn
            .query_row("SELECT count(*) FROM pet WHERE id = 10", [], |row| {
                row.get(0)
            })
            .expect("pets");
        assert_eq!(
            pets, 0,
            "per_migration {per_migration}: the delete did not cascade"
        );
        let orphans: i64 = conn
            .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |row| {
                row.get(0)
            })
            .expect("check");
        assert_eq!(orphans, 0);
    }
}

/// Three table migrations, `001_a` … `003_c`.
fn three_tables(root: &Path) {
    for (file, table) in [("001_a.sql", "a"), ("002_b.sql", "b"), ("003_c.sql", "c")] {
        write(
            root,
            &format!("migrations/{file}"),
            &GOOD.replace(" a", &format!(" {table}")),
        );
    }
}

/// A dry run and a refused command on a path that does not exist change
/// nothing, not even the file system; `baseline` there is refused as
/// `force` is.
#[test]
fn a_dry_run_or_a_refused_command_creates_no_database_file() {
    let root = tempfile::tempdir().expect("tempdir");
    three_tables(root.path());
    let before = files(root.path());
    let plan = ok(&migrate(
        root.path(),
        &["up", "--db", "new.db", "--dry-run"],
    ));
    assert!(plan.contains("to 3"), "{plan}");
    let refused = migrate(root.path(), &["goto", "9", "--db", "new.db"]);
    assert!(!refused.status.success());
    let baseline = migrate(root.path(), &["baseline", "2", "--db", "typo.db"]);
    assert!(!baseline.status.success());
    assert!(
        stderr(&baseline).contains("does not exist"),
        "{}",
        stderr(&baseline)
    );
    assert_eq!(files(root.path()), before, "a file was created");
    // `up` itself creates it.
    ok(&migrate(root.path(), &["up", "--db", "new.db"]));
    assert!(root.path().join("new.db").exists());
}

/// An applied migration whose file was removed is named as such, not as a
/// newer release's.
#[test]
fn an_applied_migration_whose_file_is_gone_is_named() {
    let root = tempfile::tempdir().expect("tempdir");
    three_tables(root.path());
    ok(&migrate(root.path(), &["up", "--db", "app.db"]));
    fs::remove_file(root.path().join("migrations/002_b.sql")).expect("removed");
    let refused = migrate(root.path(), &["up", "--db", "app.db", "--allow-gaps"]);
    assert!(!refused.status.success());
    let said = stderr(&refused);
    assert!(
        said.contains("version 2 is applied in the database")
            && said.contains("its file was removed or renamed")
            && !said.contains("newer release"),
        "{said}"
    );
}

/// `force` below versions a newer release applied forgets them too, as its
/// help says (those above VERSION are forgotten), and says which.
#[test]
fn force_forgets_versions_of_a_newer_release() {
    let root = tempfile::tempdir().expect("tempdir");
    three_tables(root.path());
    ok(&migrate(root.path(), &["up", "--db", "app.db"]));
    fs::remove_file(root.path().join("migrations/003_c.sql")).expect("removed");
    let refused = fails(&migrate(root.path(), &["up", "--db", "app.db"]));
    assert!(refused.contains("a newer release migrated it"), "{refused}");
    let forced = ok(&migrate(
        root.path(),
        &["force", "1", "--db", "app.db", "--yes"],
    ));
    assert!(
        forced.starts_with(
            "forgot version 3: no migration in this directory has it\n\
             the history now says version 1 (it said 3); no SQL ran\n  forget   2 b\n\
             backup: "
        ),
        "{forced}"
    );
    let version = ok(&migrate(root.path(), &["version", "--db", "app.db"]));
    assert_eq!(version, "1\n");
}

/// What the audit of every command in every state found, mended: `fix`
/// on a directory that is not there fails as the others do; `--schema` on
/// SQLite is named as the flag it is; an absolute `--dir` gets no advice
/// about relative paths that reads as if it were one.
#[test]
fn flags_that_cannot_apply_are_refused_in_their_own_words() {
    let root = tempfile::tempdir().expect("tempdir");
    three_tables(root.path());
    let fix = fails(&migrate(root.path(), &["fix", "--dir", "nowhere"]));
    assert!(
        fix.contains("nowhere: migration directory does not exist"),
        "{fix}"
    );
    ok(&migrate(root.path(), &["up", "--db", "app.db"]));
    let schema = fails(&migrate(
        root.path(),
        &["status", "--db", "app.db", "--schema", "foo"],
    ));
    assert!(schema.contains("--schema is for PostgreSQL"), "{schema}");
    assert!(!schema.contains("PRAGMA"), "{schema}");
    let absolute = fails(&migrate(
        root.path(),
        &[
            "status",
            "--db",
            "app.db",
            "--dir",
            "/nonexistent/migrations",
        ],
    ));
    assert!(
        absolute.contains(
            "migration directory does not exist; create it or fix the path (a relative path is \
             from the working directory, `--dir`)"
        ),
        "{absolute}"
    );
}

/// diesel's folders: a version is written as diesel writes it, in
/// arguments and in what is printed; the same second with and without the
/// `-0000` suffix is two migrations, the plain one first.
#[test]
fn diesel_versions_are_written_and_read_as_diesel_writes_them() {
    let root = tempfile::tempdir().expect("tempdir");
    for (folder, table) in [
        ("2026-05-27-120000_plain", "a"),
        ("2026-05-27-120000-0000_suffixed", "b"),
        ("2026-05-28-000000_later", "c"),
    ] {
        write(
            root.path(),
            &format!("migrations/{folder}/up.sql"),
            &format!("CREATE TABLE {table} (x INTEGER);\n"),
        );
        write(
            root.path(),
            &format!("migrations/{folder}/down.sql"),
            &format!("DROP TABLE {table};\n"),
        );
    }
    let up = ok(&migrate(
        root.path(),
        &["up-to", "20260527120000", "--db", "app.db"],
    ));
    assert!(
        up.starts_with(
            "moved the database from version none (no migration applied) to 20260527120000"
        ),
        "{up}"
    );
    ok(&migrate(
        root.path(),
        &["up-to", "202605271200000000", "--db", "app.db"],
    ));
    let status = ok(&migrate(root.path(), &["status", "--db", "app.db"]));
    for line in [
        "20260527120000  plain",
        "202605271200000000  suffixed",
        "20260528000000  later",
    ] {
        assert!(
            status.lines().any(|l| l
                .split_whitespace()
                .collect::<Vec<_>>()
                .join("  ")
                .starts_with(line)),
            "{line}: {status}"
        );
    }
    assert_eq!(
        ok(&migrate(root.path(), &["version", "--db", "app.db"])),
        "202605271200000000\n"
    );
}

/// A migration left part-way makes `version` say `(dirty)` with exit code
/// 1 and what to do, and `status` say it first.
#[test]
fn version_and_status_mark_a_migration_left_part_way() {
    let root = tempfile::tempdir().expect("tempdir");
    write(root.path(), "migrations/001_a.sql", GOOD);
    write(
        root.path(),
        "migrations/002_b.sql",
        "-- +migrate NoTransaction\n-- +migrate Up\nCREATE TABLE b (x INTEGER);\nINSERT INTO missing VALUES (1);\n\n\
         -- +migrate Down\nDROP TABLE b;\n",
    );
    let up = migrate(root.path(), &["up", "--db", "app.db"]);
    assert!(!up.status.success());
    let version = migrate(root.path(), &["version", "--db", "app.db"]);
    assert_eq!(version.status.code(), Some(1));
    assert!(
        stdout(&version).ends_with("(dirty)\n"),
        "{}",
        stdout(&version)
    );
    assert!(
        stderr(&version).contains("migrate resolve 2 --applied"),
        "{}",
        stderr(&version)
    );
    let status = migrate(root.path(), &["status", "--db", "app.db"]);
    assert!(
        stdout(&status).contains("version 2 failed part-way (dirty)"),
        "{}",
        stdout(&status)
    );
}

/// A SQLite URL asking what the command line would not do as SQLite does
/// (read-only, a percent-encoded path) is refused, and nothing is created.
#[test]
fn sqlite_url_parameters_it_would_drop_are_refused() {
    let root = tempfile::tempdir().expect("tempdir");
    write(root.path(), "migrations/001_a.sql", GOOD);
    let before = files(root.path());
    let bare = migrate(root.path(), &["up", "--db", "x.db?mode=ro"]);
    assert_eq!(bare.status.code(), Some(1));
    assert!(
        stderr(&bare).contains("whose `?mode=ro` looks like a URL's parameters"),
        "{}",
        stderr(&bare)
    );
    let read_only = migrate(root.path(), &["up", "--db", "sqlite://x.db?mode=ro"]);
    assert!(!read_only.status.success());
    assert!(
        stderr(&read_only).contains("`mode=ro`"),
        "{}",
        stderr(&read_only)
    );
    let encoded = migrate(root.path(), &["up", "--db", "file:rel%20sp.db"]);
    assert!(!encoded.status.success());
    assert!(
        stderr(&encoded).contains("percent-encoded"),
        "{}",
        stderr(&encoded)
    );
    assert_eq!(files(root.path()), before);
}

/// `resolve` without `--applied` or `--pending` names both.
#[test]
fn resolve_without_a_resolution_names_both() {
    let root = tempfile::tempdir().expect("tempdir");
    write(root.path(), "migrations/001_a.sql", GOOD);
    let out = migrate(root.path(), &["resolve", "1", "--db", "app.db"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("<--applied|--pending>"),
        "{}",
        stderr(&out)
    );
}

/// An invalid `--schema` is said to be the schema, not the history table.
#[test]
fn an_invalid_schema_is_named_as_the_schema() {
    let Some(db) = migrate_tests::pg::Scratch::new() else {
        return;
    };
    let root = tempfile::tempdir().expect("tempdir");
    write(root.path(), "migrations/001_a.sql", GOOD);
    let url = db.url();
    let out = migrate(
        root.path(),
        &["up", "--db", url.as_str(), "--schema", "a-b"],
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("schema name `a-b`"),
        "{}",
        stderr(&out)
    );
    assert!(
        !stderr(&out).contains("history table name"),
        "{}",
        stderr(&out)
    );
}

/// Every flag README.md and docs/cli.md name for the command line (in a
/// code line that runs `migrate`, or a backticked `migrate …` or `--flag`)
/// is one some command's `--help` lists: a renamed or removed flag fails
/// here.
#[test]
fn every_flag_the_docs_name_is_in_the_help() {
    let commands = [
        "new", "fix", "validate", "lint", "status", "up", "down", "redo", "up-to", "down-to",
        "goto", "version", "reset", "force", "resolve", "adopt", "baseline",
    ];
    let root = tempfile::tempdir().expect("tempdir");
    let mut help = String::new();
    for command in commands {
        help.push_str(&stdout(&migrate(root.path(), &[command, "--help"])));
    }
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace");
    let mut docs = vec![workspace.join("README.md"), workspace.join("docs/cli.md")];
    docs.sort();
    let mut missing = Vec::new();
    let mut checked = 0;
    for doc in &docs {
        let text = fs::read_to_string(doc).expect("a doc");
        // Where the docs name our flags: lines of a code block that run
        // `migrate`, and spans in backticks that start with `migrate` or a flag.
        let runs = text
            .lines()
            .filter(|l| l.trim_start().starts_with("migrate "))
            .map(str::to_owned);
        let spans = text
            .split('`')
            .skip(1)
            .step_by(2)
            .filter(|span| span.starts_with("migrate ") || span.starts_with("--"))
            .map(str::to_owned);
        for place in runs.chain(spans) {
            for flag in place.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-')) {
                let is_flag = flag.starts_with("--")
                    && flag.len() > 3
                    && flag[2..]
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c == '-');
                checked += usize::from(is_flag);
                if is_flag && !help.contains(flag) {
                    missing.push(format!("{}: {flag}", doc.display()));
                }
            }
        }
    }
    assert!(
        checked >= 20,
        "only {checked} flags found: the reading broke"
    );
    missing.sort();
    missing.dedup();
    assert!(
        missing.is_empty(),
        "flags the help does not list:\n  {}",
        missing.join("\n  ")
    );
}

/// Whether process `pid` has `path` open (its `/proc/<pid>/fd` links).
fn has_open(pid: u32, path: &Path) -> bool {
    fs::read_dir(format!("/proc/{pid}/fd")).is_ok_and(|mut fds| {
        fds.any(|fd| fd.is_ok_and(|fd| fs::read_link(fd.path()).is_ok_and(|to| to == path)))
    })
}

/// `goto` decides its way on the database as it is once it holds the lock:
/// started while an `up` holds it (the `goto` has read the database at
/// version 1 and waits for the lock file), it finds the database at 3 and
/// goes down to 2. It used to read the version first, choose `up`, and
/// find nothing to do under the lock.
#[cfg(target_os = "linux")]
#[test]
fn goto_racing_an_up_goes_the_way_the_database_is_when_it_gets_the_lock() {
    use std::sync::{Arc, Mutex};

    let root = tempfile::tempdir().expect("tempdir");
    three_tables(root.path());
    let set = migrate_core::load(root.path(), "migrations", &migrate_core::Options::default())
        .expect("valid");
    let migrations = migrate_runtime::Migrations::from_set(set);
    let lock = fs::canonicalize(root.path())
        .expect("root")
        .join("app.db-migrate-lock");
    let goto: Arc<Mutex<Option<std::process::Child>>> = Arc::default();
    let started = Arc::clone(&goto);
    let dir = root.path().to_owned();
    let mut conn = Connection::open(root.path().join("app.db")).expect("open");
    migrations
        .migrator()
        .per_migration(true)
        .on_progress(move |step| {
            if step.version != migrate_runtime::Version(1) {
                return;
            }
            // Version 1 is committed and the run holds the lock: `goto 2`
            // reads 1, plans to go up, and waits for the lock file.
            let child = command(&dir, &["goto", "2", "--db", "app.db"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("goto");
            let waiting = std::time::Instant::now();
            let mut child = child;
            while !has_open(child.id(), &lock) {
                if let Ok(Some(_)) = child.try_wait() {
                    let output = child.wait_with_output().expect("output");
                    panic!("goto ended first: {}{}", stdout(&output), stderr(&output));
                }
                assert!(
                    waiting.elapsed() < std::time::Duration::from_secs(30),
                    "goto never reached the lock"
                );
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            *started.lock().expect("child") = Some(child);
        })
        .run(&mut conn)
        .expect("up to 3");
    let child = goto.lock().expect("child").take().expect("goto started");
    let output = child.wait_with_output().expect("goto ends");
    ok(&output);
    let version = ok(&migrate(root.path(), &["version", "--db", "app.db"]));
    assert!(version.starts_with('2'), "{version}");
}

/// The status table lines up in a terminal with wide characters in a
/// name: each state starts at the same column, counting a CJK character
/// as the two columns a terminal gives it.
#[test]
fn the_status_table_lines_up_with_wide_characters() {
    let root = tempfile::tempdir().expect("tempdir");
    write(root.path(), "migrations/001_ユーザー.sql", GOOD);
    write(
        root.path(),
        "migrations/002_b.sql",
        &GOOD.replace(" a", " b"),
    );
    ok(&migrate(root.path(), &["up-to", "1", "--db", "app.db"]));
    let status = ok(&migrate(root.path(), &["status", "--db", "app.db"]));
    // Columns of a terminal: two for the katakana here, one for the rest.
    let columns = |text: &str| -> usize {
        text.chars()
            .map(|c| {
                if ('\u{30a0}'..='\u{30ff}').contains(&c) {
                    2
                } else {
                    1
                }
            })
            .sum()
    };
    let starts: Vec<usize> = status
        .lines()
        .filter(|line| line.trim_start().starts_with(|c: char| c.is_ascii_digit()))
        .filter_map(|line| {
            ["applied", "pending"]
                .iter()
                .find_map(|state| line.find(&format!("  {state}")))
                .map(|at| columns(&line[..at]))
        })
        .collect();
    assert_eq!(starts.len(), 2, "{status}");
    assert_eq!(starts[0], starts[1], "{status}");
}

/// A password never shows in what the command line says, in whichever
/// form the URL carries it (`user:password@`, `?password=`, a libpq
/// `keyword=value` string); a `keyword=value` string names a server, never
/// a SQLite file (nothing is created under that name).
#[test]
fn a_password_in_any_form_of_the_url_is_never_shown_and_names_no_file() {
    let root = tempfile::tempdir().expect("tempdir");
    three_tables(root.path());
    let before = files(root.path());
    for url in [
        "postgres://postgres:S3cretA@127.0.0.1:1/app",
        "postgres://postgres@127.0.0.1:1/app?password=S3cretB",
        "host=127.0.0.1 port=1 user=postgres password=S3cretC dbname=app",
        "host=127.0.0.1 port=1 user=postgres PASSWORD=S3cretD dbname=app",
        "postgress://postgres:S3cretE@127.0.0.1:1/app",
        "pg://postgres:S3cretF@127.0.0.1:1/app",
        "postgres:/postgres:S3cretG@127.0.0.1:1/app",
        "sqlite://postgres:S3cretH@x/app.db",
        "postgres://postgres@127.0.0.1:1/app?sslpassword=S3cretI",
        "host=127.0.0.1 port=1 user=postgres password=ab\\ S3cretJ dbname=app",
        "host=127.0.0.1 port=1 user=postgres password='x\\'S3cretK' dbname=app",
    ] {
        for args in [["status", "--db", url], ["up", "--db", url]] {
            let output = migrate(root.path(), &args);
            assert!(!output.status.success(), "{url}");
            let said = format!("{}{}", stdout(&output), stderr(&output));
            assert!(!said.contains("S3cret"), "{said}");
            assert!(
                said.contains("PostgreSQL server")
                    || said.contains("names no database")
                    || said.contains("with a user"),
                "{said}"
            );
        }
        let with_env = command(root.path(), &["status"])
            .env("DATABASE_URL", url)
            .output()
            .expect("runs");
        assert!(
            !stderr(&with_env).contains("S3cret"),
            "{}",
            stderr(&with_env)
        );
    }
    assert_eq!(files(root.path()), before, "a file was created");
}

/// Runs `migrate` in `dir` as a user who cannot write what root owns:
/// `nobody` when the tests run as root (who writes anywhere), else the
/// test's own user.
#[cfg(target_os = "linux")]
fn migrate_unprivileged(dir: &Path, args: &[&str]) -> std::process::Output {
    use std::os::unix::fs::MetadataExt;
    let root = fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0);
    if !root {
        return migrate(dir, args);
    }
    let mut as_nobody = vec![
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        env!("CARGO_BIN_EXE_migrate"),
    ];
    as_nobody.extend_from_slice(args);
    let mut setpriv = Command::new("setpriv");
    setpriv.args(&as_nobody);
    common::in_clean_env(&mut setpriv, dir);
    setpriv.output().expect("setpriv runs")
}

/// A database whose folder this user cannot write (SQLite keeps its
/// journal there) is refused before anything, naming the folder, with or
/// without a lock file already beside it: no backup written, nothing
/// changed. It used to blame the backup (and advise `--backup-dir`), or
/// the migration's SQL, or say "no such file".
#[cfg(target_os = "linux")]
#[test]
fn a_database_whose_folder_cannot_be_written_is_refused_before_anything() {
    use std::os::unix::fs::PermissionsExt;
    let root = tempfile::tempdir().expect("tempdir");
    three_tables(root.path());
    fs::create_dir(root.path().join("data")).expect("mkdir");
    ok(&migrate(
        root.path(),
        &["up-to", "1", "--db", "data/app.db"],
    ));
    let mode = |path: &Path, mode: u32| {
        fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("chmod");
    };
    mode(root.path(), 0o755);
    mode(&root.path().join("data/app.db"), 0o666);
    // A backup folder elsewhere that can be written gets no backup either.
    fs::create_dir(root.path().join("backups")).expect("mkdir");
    mode(&root.path().join("backups"), 0o777);
    for lock_file_there in [true, false] {
        let lock = root.path().join("data/app.db-migrate-lock");
        if lock_file_there {
            mode(&lock, 0o666);
        } else {
            fs::remove_file(&lock).expect("rm");
        }
        mode(&root.path().join("data"), 0o555);
        let before = files(&root.path().join("data"));
        for args in [
            &["up", "--db", "data/app.db"][..],
            &["up", "--no-backup", "--db", "data/app.db"],
            &["up", "--backup-dir", "backups", "--db", "data/app.db"],
            &["force", "2", "--yes", "--db", "data/app.db"],
        ] {
            let output = migrate_unprivileged(root.path(), args);
            assert!(!output.status.success(), "{args:?}");
            let said = stderr(&output);
            assert!(
                said.contains("/data cannot be written: Permission denied")
                    || said.contains("data/app.db-migrate-lock: Permission denied"),
                "{args:?}: {said}"
            );
            assert!(!said.contains("--backup-dir"), "{said}");
        }
        assert_eq!(files(&root.path().join("data")), before, "a file was made");
        assert_eq!(files(&root.path().join("backups")), Vec::<String>::new());
        mode(&root.path().join("data"), 0o755);
    }
    let version = ok(&migrate(root.path(), &["version", "--db", "data/app.db"]));
    assert!(version.starts_with('1'), "{version}");
}

/// A new database in a folder that does not exist is said as such (SQLite
/// says only "unable to open database file"), and nothing is created.
#[test]
fn a_database_in_a_missing_folder_names_the_folder() {
    let root = tempfile::tempdir().expect("tempdir");
    three_tables(root.path());
    let before = files(root.path());
    let output = migrate(root.path(), &["up", "--db", "nodir/app.db"]);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("the folder nodir of the database nodir/app.db does not exist"),
        "{}",
        stderr(&output)
    );
    assert_eq!(files(root.path()), before);
}
