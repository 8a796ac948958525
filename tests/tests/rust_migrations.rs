//! Rust migrations (`<version>_<name>.rs`) in the sequence of SQL ones, on
//! real databases — a SQLite file, and PostgreSQL with the blocking and the
//! async client: applied in the run's one transaction with their
//! neighbours, reverted by their `down`, rolled back whole on an error and
//! on a panic (the error naming the file and the function's line, the lock
//! released), stopped at their time limit, an edit after they ran refused,
//! and a set that cannot call them refused before anything changes.

use std::time::Duration;

use migrate_runtime::rusqlite::Connection;
use migrate_runtime::testing::MigrationTest;
use migrate_runtime::tokio_postgres::{self, NoTls};
use migrate_runtime::{Error, Migrations, Report, Version};
use migrate_tests::pg::{Scratch, lock_is_free};

static SQLITE: Migrations = migrate_runtime::embed_migrations!("migrations/rust_sqlite");
static SQLITE_EDITED: Migrations =
    migrate_runtime::embed_migrations!("migrations/rust_sqlite_edited");
static PG: Migrations =
    migrate_runtime::embed_migrations!("migrations/rust_pg", dialect = "postgres");
static PG_ASYNC: Migrations =
    migrate_runtime::embed_migrations!("migrations/rust_pg_async", dialect = "postgres");
static PG_SLOW: Migrations =
    migrate_runtime::embed_migrations!("migrations/rust_pg_slow", dialect = "postgres");

/// What the scenarios need of a database: runs of a set, and SQL.
trait Database {
    fn migrate(&mut self, to: Option<Version>) -> Result<Report, Error>;
    fn down_to(&mut self, version: Version) -> Result<Report, Error>;
    fn exec(&mut self, sql: &str);
    /// `email_key` of every user, by id.
    fn keys(&mut self) -> Vec<Option<String>>;
    fn history(&mut self) -> Vec<i64>;
    fn lock_is_free(&mut self) -> bool;
}

struct Sqlite {
    dir: tempfile::TempDir,
    conn: Connection,
}

impl Sqlite {
    fn fresh() -> Sqlite {
        let dir = tempfile::tempdir().expect("tempdir");
        let conn = Connection::open(dir.path().join("app.db")).expect("open");
        Sqlite { dir, conn }
    }
}

impl Database for Sqlite {
    fn migrate(&mut self, to: Option<Version>) -> Result<Report, Error> {
        let migrator = SQLITE.migrator();
        match to {
            Some(to) => migrator.to(to).run(&mut self.conn),
            None => migrator.run(&mut self.conn),
        }
    }
    fn down_to(&mut self, version: Version) -> Result<Report, Error> {
        SQLITE.migrator().down_to(&mut self.conn, version)
    }
    fn exec(&mut self, sql: &str) {
        self.conn.execute_batch(sql).expect("sql");
    }
    fn keys(&mut self) -> Vec<Option<String>> {
        let mut statement = self
            .conn
            .prepare("SELECT email_key FROM users ORDER BY id")
            .expect("prepare");
        let rows = statement.query_map([], |row| row.get(0)).expect("query");
        rows.collect::<Result<_, _>>().expect("rows")
    }
    fn history(&mut self) -> Vec<i64> {
        migrate_tests::history(&self.conn)
            .into_iter()
            .map(|v| i64::try_from(v).expect("small"))
            .collect()
    }
    fn lock_is_free(&mut self) -> bool {
        // The migrator's lock is an OS lock on `<database>-migrate-lock`:
        // released, another process (or this one) takes it at once.
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(self.dir.path().join("app.db-migrate-lock"))
            .expect("the lock file");
        file.try_lock().is_ok()
    }
}

/// PostgreSQL with the blocking client, the set of `postgres::Transaction` functions.
struct Postgres {
    db: Scratch,
    client: migrate_runtime::postgres::Client,
}

impl Postgres {
    fn fresh() -> Option<Postgres> {
        let db = Scratch::new()?;
        let client = db.client();
        Some(Postgres { db, client })
    }
}

/// The SQL the PostgreSQL scenarios share between the two clients.
fn pg_keys(client: &mut migrate_runtime::postgres::Client) -> Vec<Option<String>> {
    let rows = client
        .query("SELECT email_key FROM users ORDER BY id", &[])
        .expect("keys");
    rows.iter().map(|row| row.get(0)).collect()
}

fn pg_history(client: &mut migrate_runtime::postgres::Client) -> Vec<i64> {
    migrate_tests::pg::history(client)
}

impl Database for Postgres {
    fn migrate(&mut self, to: Option<Version>) -> Result<Report, Error> {
        let migrator = PG.migrator();
        match to {
            Some(to) => migrator.to(to).run(&mut self.client),
            None => migrator.run(&mut self.client),
        }
    }
    fn down_to(&mut self, version: Version) -> Result<Report, Error> {
        PG.migrator().down_to(&mut self.client, version)
    }
    fn exec(&mut self, sql: &str) {
        self.client.batch_execute(sql).expect("sql");
    }
    fn keys(&mut self) -> Vec<Option<String>> {
        pg_keys(&mut self.client)
    }
    fn history(&mut self) -> Vec<i64> {
        pg_history(&mut self.client)
    }
    fn lock_is_free(&mut self) -> bool {
        let mut other = self.db.client();
        lock_is_free(&mut other)
    }
}

/// PostgreSQL with the async client, the set of `async fn`s.
struct PostgresAsync {
    db: Scratch,
    runtime: tokio::runtime::Runtime,
    client: tokio_postgres::Client,
    /// A blocking session for the checks.
    checks: migrate_runtime::postgres::Client,
}

impl PostgresAsync {
    fn fresh() -> Option<PostgresAsync> {
        let db = Scratch::new()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let client = runtime.block_on(async {
            let (client, connection) = tokio_postgres::connect(&db.url(), NoTls)
                .await
                .expect("connect");
            tokio::spawn(connection);
            client
        });
        let checks = db.client();
        Some(PostgresAsync {
            db,
            runtime,
            client,
            checks,
        })
    }
}

impl Database for PostgresAsync {
    fn migrate(&mut self, to: Option<Version>) -> Result<Report, Error> {
        let migrator = PG_ASYNC.migrator();
        let migrator = match to {
            Some(to) => migrator.to(to),
            None => migrator,
        };
        self.runtime.block_on(migrator.run_async(&mut self.client))
    }
    fn down_to(&mut self, version: Version) -> Result<Report, Error> {
        self.runtime
            .block_on(PG_ASYNC.migrator().down_to_async(&mut self.client, version))
    }
    fn exec(&mut self, sql: &str) {
        self.checks.batch_execute(sql).expect("sql");
    }
    fn keys(&mut self) -> Vec<Option<String>> {
        pg_keys(&mut self.checks)
    }
    fn history(&mut self) -> Vec<i64> {
        pg_history(&mut self.checks)
    }
    fn lock_is_free(&mut self) -> bool {
        let mut other = self.db.client();
        lock_is_free(&mut other)
    }
}

fn keyed(keys: &[&str]) -> Vec<Option<String>> {
    keys.iter().map(|k| Some((*k).to_owned())).collect()
}

/// Up: the Rust migration between two SQL ones, in one run; Down by its
/// `down`; Up again.
fn up_down_up(db: &mut impl Database) {
    let report = db.migrate(None).expect("migrates");
    assert_eq!(report.to, Some(Version(3)), "{report}");
    let step = &report.steps[1];
    assert_eq!(
        step.path,
        step.path.replace(".sql", ""),
        "the Rust file's step"
    );
    assert!(step.path.ends_with("002_email_keys.rs"), "{}", step.path);
    assert!(
        step.to_string().starts_with("applied 2 email_keys in "),
        "{step}"
    );
    assert_eq!(db.keys(), keyed(&["ada@example.com", "grace@example.com"]));
    db.down_to(Version(1)).expect("reverts");
    assert_eq!(db.keys(), [None, None]);
    assert_eq!(db.history(), [1]);
    db.migrate(None).expect("migrates again");
    assert_eq!(db.keys(), keyed(&["ada@example.com", "grace@example.com"]));
    assert_eq!(db.history(), [1, 2, 3]);
}

/// An error or a panic in `up`, after it changed rows: the run's one
/// transaction is rolled back whole (the SQL migration after it never
/// committed either), the error names the file and the line of `pub fn
/// up`, and the lock is released for the next run, which applies the set.
fn an_error_or_a_panic_rolls_back(db: &mut impl Database) {
    for (email, said) in [
        (
            "fail@example.com",
            "`up` returned an error: cannot key fail@example.com",
        ),
        (
            "panic@example.com",
            "`up` panicked: cannot key panic@example.com",
        ),
    ] {
        db.migrate(Some(Version(1))).expect("version 1");
        db.exec(&format!("INSERT INTO users (email) VALUES ('{email}')"));
        let error = db.migrate(None).expect_err("the Rust migration fails");
        let Error::MigrationFailed {
            version,
            path,
            line,
            rolled_back,
            ..
        } = &error
        else {
            panic!("not a migration failure: {error:?}");
        };
        assert_eq!(*version, Version(2));
        assert!(path.ends_with("002_email_keys.rs"), "{path}");
        assert_eq!(*line, 15, "the line of `pub fn up`");
        assert!(*rolled_back);
        let message = error.to_string();
        assert!(message.contains(said), "{message}");
        assert!(message.starts_with(&format!("{path}:15: ")), "{message}");
        // Nothing of the run stays: not the keys `up` wrote before it failed.
        assert_eq!(db.keys(), [None, None, None]);
        assert_eq!(db.history(), [1]);
        assert!(db.lock_is_free());
        db.exec(&format!("DELETE FROM users WHERE email = '{email}'"));
        db.migrate(None).expect("applies once the row is gone");
        assert_eq!(db.keys(), keyed(&["ada@example.com", "grace@example.com"]));
        db.down_to(Version(0)).expect("all the way down");
    }
}

#[test]
fn sqlite_up_down_up() {
    up_down_up(&mut Sqlite::fresh());
}

#[test]
fn sqlite_an_error_or_a_panic_rolls_back() {
    an_error_or_a_panic_rolls_back(&mut Sqlite::fresh());
}

#[test]
fn postgres_up_down_up() {
    let Some(mut db) = Postgres::fresh() else {
        return;
    };
    up_down_up(&mut db);
}

#[test]
fn postgres_an_error_or_a_panic_rolls_back() {
    let Some(mut db) = Postgres::fresh() else {
        return;
    };
    an_error_or_a_panic_rolls_back(&mut db);
}

#[test]
fn tokio_postgres_up_down_up() {
    let Some(mut db) = PostgresAsync::fresh() else {
        return;
    };
    up_down_up(&mut db);
}

#[test]
fn tokio_postgres_an_error_or_a_panic_rolls_back() {
    let Some(mut db) = PostgresAsync::fresh() else {
        return;
    };
    an_error_or_a_panic_rolls_back(&mut db);
}

#[test]
fn an_edited_rust_migration_is_refused_naming_its_file() {
    let mut db = Sqlite::fresh();
    db.migrate(None).expect("migrates");
    let error = SQLITE_EDITED
        .migrate(&mut db.conn)
        .expect_err("the edit is refused");
    let Error::ChecksumMismatch { version, path, .. } = &error else {
        panic!("not drift: {error:?}");
    };
    assert_eq!(*version, Version(2));
    assert!(
        path.ends_with("rust_sqlite_edited/002_email_keys.rs"),
        "{path}"
    );
    assert!(
        error
            .to_string()
            .contains("was edited after it was applied")
    );
}

#[test]
fn a_set_read_at_run_time_refuses_its_rust_migrations_before_any_change() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let set = migrate_core::load(
        root,
        "migrations/rust_sqlite",
        &migrate_core::Options::default(),
    )
    .expect("a valid directory");
    let read = Migrations::from_set(set);
    let mut db = Sqlite::fresh();
    let error = read.migrate(&mut db.conn).expect_err("refused");
    assert!(
        matches!(&error, Error::RustMigrationNotCompiled { path, .. } if path.ends_with("002_email_keys.rs")),
        "{error:?}"
    );
    assert!(error.to_string().contains("nothing was changed"), "{error}");
    let tables: i64 = db
        .conn
        .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
        .expect("count");
    assert_eq!(tables, 0, "not even the history table");
}

#[test]
fn a_blocking_rust_migration_is_refused_on_the_async_client_before_any_change() {
    let Some(mut db) = PostgresAsync::fresh() else {
        return;
    };
    let error = db
        .runtime
        .block_on(PG.migrator().run_async(&mut db.client))
        .expect_err("refused");
    let Error::RustMigrationDriver { written_for, .. } = &error else {
        panic!("not the driver refusal: {error:?}");
    };
    assert!(written_for.contains("postgres::Client"), "{error}");
    let tables: i64 = db
        .checks
        .query_one(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename = 'users'",
            &[],
        )
        .expect("count")
        .get(0);
    assert_eq!(tables, 0);
}

#[test]
fn a_rust_migration_is_stopped_at_its_time_limit_and_rolled_back() {
    let Some(mut db) = Postgres::fresh() else {
        return;
    };
    let error = PG_SLOW.migrate(&mut db.client).expect_err("stopped");
    let Error::TimedOut {
        version,
        path,
        limit,
        rolled_back,
        ..
    } = &error
    else {
        panic!("not a time limit: {error:?}");
    };
    assert_eq!(*version, Version(2));
    assert!(path.ends_with("002_slow_backfill.rs"), "{path}");
    assert_eq!(*limit, Duration::from_secs(1));
    assert!(*rolled_back);
    assert!(pg_history(&mut db.client).is_empty());
}

/// The key the Rust migration gave the seeded user: `None` until version 2.
fn lin(keys: Option<&str>) -> migrate_runtime::testing::HookResult {
    match keys {
        Some("lin@example.org") => Ok(()),
        other => Err(format!("Lin's key is {other:?}").into()),
    }
}

#[test]
fn the_migration_path_test_runs_the_rust_migration_on_sqlite() {
    MigrationTest::sqlite(&SQLITE)
        .expect("a temporary directory")
        .seed(Version(1), |db| {
            db.execute(
                "INSERT INTO users (email) VALUES ('  Lin@Example.ORG ')",
                [],
            )?;
            Ok(())
        })
        .check(Version(2), |db| {
            let key: Option<String> = db.query_row(
                "SELECT email_key FROM users WHERE email LIKE '%Lin%'",
                [],
                |r| r.get(0),
            )?;
            lin(key.as_deref())
        })
        .walk()
        .unwrap_or_else(|failure| panic!("{failure}"));
    // A seed the function refuses: the walk fails at the Rust file.
    let failure = MigrationTest::sqlite(&SQLITE)
        .expect("a temporary directory")
        .seed(Version(1), |db| {
            db.execute("INSERT INTO users (email) VALUES ('fail@example.com')", [])?;
            Ok(())
        })
        .walk()
        .expect_err("the Rust migration fails on that row");
    let said = failure.to_string();
    assert!(said.contains("002_email_keys.rs:15"), "{said}");
    assert!(
        said.contains("`up` returned an error: cannot key fail@example.com"),
        "{said}"
    );
}

#[test]
fn the_migration_path_test_runs_the_rust_migration_on_postgresql() {
    let Some(scratch) = Scratch::new() else {
        return;
    };
    MigrationTest::postgres(&PG, &scratch.url())
        .expect("the server")
        .seed(Version(1), |db| {
            db.batch_execute("INSERT INTO users (email) VALUES ('  Lin@Example.ORG ')")?;
            Ok(())
        })
        .check(Version(2), |db| {
            let row = db.query_one("SELECT email_key FROM users WHERE email LIKE '%Lin%'", &[])?;
            lin(row.get::<_, Option<&str>>(0))
        })
        .walk()
        .unwrap_or_else(|failure| panic!("{failure}"));
}

static SQLITE_SCHEMA: Migrations =
    migrate_runtime::embed_migrations!("migrations/rust_sqlite_schema");

#[test]
fn the_migration_path_test_finds_a_schema_change_in_a_rust_migration() {
    let failure = MigrationTest::sqlite(&SQLITE_SCHEMA)
        .expect("a temporary directory")
        .walk()
        .expect_err("the schema changed");
    let said = failure.to_string();
    assert!(
        said.starts_with(
            "migrations/rust_sqlite_schema/002_audit_table.rs: the Rust migration of version 2 changed the schema: "
        ),
        "{said}"
    );
    assert!(said.contains("audit"), "{said}");
}

#[test]
fn refinerys_runner_refuses_a_set_with_a_rust_migration() {
    let Err(error) = SQLITE.refinery_runner() else {
        panic!("refinery's runner cannot call a Rust migration");
    };
    let said = error.to_string();
    assert!(said.contains("rust_sqlite/002_email_keys.rs"), "{said}");
    assert!(said.contains("refinery's runner"), "{said}");
}

static SQLITE_ENVS: Migrations = migrate_runtime::embed_migrations!("migrations/rust_envs");

#[test]
fn an_environments_rust_migration_runs_in_that_environment_only() {
    let mut db = Sqlite::fresh();
    let base = SQLITE_ENVS.migrate(&mut db.conn).expect("the base set");
    assert_eq!(base.to, Some(Version(1)));
    assert_eq!(db.keys(), [None, None]);
    let dry = SQLITE_ENVS
        .migrator()
        .environment("dev")
        .dry_run(true)
        .run(&mut db.conn)
        .expect("a dry run");
    let said = dry.to_string();
    assert!(
        said.contains(
            "-- migrations/rust_envs/dev/002_dev_keys.rs:6\n      (the Rust function `up`)"
        ),
        "{said}"
    );
    assert_eq!(db.keys(), [None, None], "a dry run calls nothing");
    SQLITE_ENVS
        .migrator()
        .environment("dev")
        .run(&mut db.conn)
        .expect("dev");
    assert_eq!(db.keys(), keyed(&["dev-1", "dev-2"]));
    // Irreversible: no `down`, and the status says so.
    let status = SQLITE_ENVS
        .migrator()
        .environment("dev")
        .status(&mut db.conn)
        .expect("status");
    assert!(
        status.to_string().contains("Rust, irreversible: no `down`"),
        "{status}"
    );
    let refused = SQLITE_ENVS
        .migrator()
        .environment("dev")
        .down(&mut db.conn)
        .expect_err("irreversible");
    assert!(matches!(refused, Error::Irreversible { .. }), "{refused:?}");
}

static PG_ENDS_TRANSACTION: Migrations = migrate_runtime::embed_migrations!(
    "migrations/rust_pg_tx",
    dialect = "postgres",
    check = false,
    reason = "version 2 commits the run's transaction on purpose"
);
static PG_LEFT_OPEN: Migrations = migrate_runtime::embed_migrations!(
    "migrations/rust_pg_left_open",
    dialect = "postgres",
    check = false,
    reason = "version 2 leaves a transaction open on purpose"
);

/// A function that commits the run's transaction stops the run, which
/// says so and writes no history row; one given the client that leaves a
/// transaction open has it rolled back and fails.
#[test]
fn postgres_a_function_that_ends_or_leaves_a_transaction_stops_the_run() {
    let Some(db) = Scratch::new() else { return };
    let mut client = db.client();
    let error = PG_ENDS_TRANSACTION
        .migrate(&mut client)
        .expect_err("stopped");
    assert!(
        matches!(
            error,
            Error::TransactionEnded {
                version: Version(2),
                committed: Some(true),
                ..
            }
        ),
        "{error}"
    );
    let rows: i64 = client
        .query_one("SELECT count(*) FROM items", &[])
        .expect("items")
        .get(0);
    assert_eq!(rows, 1, "the function committed its row");
    let recorded: i64 = client
        .query_one("SELECT count(*) FROM schema_migrations", &[])
        .expect("history")
        .get(0);
    assert_eq!(recorded, 0, "no history row outside the run's transaction");
    assert!(lock_is_free(&mut client));

    let Some(db) = Scratch::new() else { return };
    let mut client = db.client();
    let error = PG_LEFT_OPEN.migrate(&mut client).expect_err("stopped");
    assert!(
        error.to_string().contains("left a transaction open"),
        "{error}"
    );
    let rows: i64 = client
        .query_one("SELECT count(*) FROM items", &[])
        .expect("the client is usable, outside a transaction")
        .get(0);
    assert_eq!(rows, 0, "the open transaction was rolled back");
    assert!(lock_is_free(&mut client));
}
