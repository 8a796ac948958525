//! One conformance suite, written once and run against SQLite (a real file),
//! PostgreSQL and MariaDB (fresh databases on the test servers): apply, revert,
//! target, drift refusals, atomic rollback with schema and data compared,
//! status, baseline, adoption, the failed-outside-a-transaction state, and
//! timeouts.
//! The migration sets are SQL every database takes. On MySQL, where a
//! schema change commits by itself, the rollback of a migration with one
//! is not promised: `mysql.rs` tests what happens there instead.

use migrate_runtime::mysql::prelude::Queryable;
use migrate_runtime::rusqlite::Connection;
use migrate_runtime::{
    Backend, Error, HistoryStore, Migrations, Resolution, State, TableName, Tool, Version, postgres,
};
use migrate_tests::pg::Scratch;

static SET: Migrations = migrate_runtime::embed_migrations!("migrations/portable_rt");
static EDITED: Migrations = migrate_runtime::embed_migrations!("migrations/portable_rt_edited");
static TWO: Migrations = migrate_runtime::embed_migrations!("migrations/portable_rt_two");
static FAILING: Migrations = migrate_runtime::embed_migrations!(
    "migrations/portable_rt_failing",
    check = false,
    reason = "version 3 fails on purpose, for the atomic rollback on every backend"
);
static NO_TX: Migrations = migrate_runtime::embed_migrations!(
    "migrations/portable_rt_no_tx",
    check = false,
    reason = "version 2 fails outside a transaction on purpose"
);

/// What the suite needs of a database beyond the [`Backend`]: a fresh one,
/// SQL of its own, and what it holds.
trait Database {
    type Conn: Backend;
    /// A fresh, empty database; `None` when its server is not there (and
    /// none is required).
    fn fresh() -> Option<Self>
    where
        Self: Sized;
    fn conn(&mut self) -> &mut Self::Conn;
    fn exec(&mut self, sql: &str);
    /// One column of numbers.
    fn numbers(&mut self, sql: &str) -> Vec<i64>;
    /// The tables, sorted.
    fn tables(&mut self) -> Vec<String>;
    /// The tables the migrator itself keeps: the history, and on
    /// PostgreSQL the lock table beside it.
    const OWN_TABLES: &'static [&'static str];
    /// goose's history table, as goose creates it on this database.
    fn goose_table(&self) -> &'static str;
    /// golang-migrate's history table, as its driver for this database
    /// creates it: our history table's name, another shape.
    fn golang_migrate_table(&self) -> &'static str;
    /// A migration that runs past its file's `Timeout` on this database.
    fn too_slow() -> &'static Migrations;
    /// What the run's report writes before a table's name: the schema or
    /// database the run found it in (empty on SQLite).
    fn qualifier(&self) -> String {
        String::new()
    }
}

struct Sqlite {
    _dir: tempfile::TempDir,
    conn: Connection,
}

impl Database for Sqlite {
    const OWN_TABLES: &'static [&'static str] = &["schema_migrations"];
    type Conn = Connection;

    fn fresh() -> Option<Sqlite> {
        let dir = tempfile::tempdir().expect("tempdir");
        let conn = Connection::open(dir.path().join("app.db")).expect("open");
        Some(Sqlite { _dir: dir, conn })
    }

    fn conn(&mut self) -> &mut Connection {
        &mut self.conn
    }

    fn exec(&mut self, sql: &str) {
        self.conn.execute_batch(sql).expect("sql");
    }

    fn numbers(&mut self, sql: &str) -> Vec<i64> {
        let mut statement = self.conn.prepare(sql).expect("prepare");
        statement
            .query_map([], |r| r.get(0))
            .expect("query")
            .map(|r| r.expect("row"))
            .collect()
    }

    fn tables(&mut self) -> Vec<String> {
        let mut statement = self
            .conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .expect("prepare");
        statement
            .query_map([], |r| r.get(0))
            .expect("query")
            .map(|r| r.expect("row"))
            .collect()
    }

    fn goose_table(&self) -> &'static str {
        "CREATE TABLE goose_db_version (id INTEGER PRIMARY KEY AUTOINCREMENT, version_id INTEGER NOT NULL,
             is_applied INTEGER NOT NULL, tstamp TIMESTAMP DEFAULT (datetime('now')))"
    }

    fn golang_migrate_table(&self) -> &'static str {
        // golang-migrate's sqlite3 driver.
        "CREATE TABLE IF NOT EXISTS schema_migrations (version uint64,dirty bool);
         CREATE UNIQUE INDEX IF NOT EXISTS version_unique ON schema_migrations (version);"
    }

    fn too_slow() -> &'static Migrations {
        &migrate_tests::SLOW_SQLITE
    }
}

struct Postgres {
    _db: Scratch,
    client: postgres::Client,
}

impl Database for Postgres {
    const OWN_TABLES: &'static [&'static str] = &["schema_migrations", "schema_migrations_lock"];
    type Conn = postgres::Client;

    fn fresh() -> Option<Postgres> {
        let db = Scratch::new()?;
        let client = db.client();
        Some(Postgres { _db: db, client })
    }

    fn conn(&mut self) -> &mut postgres::Client {
        &mut self.client
    }

    fn exec(&mut self, sql: &str) {
        self.client.batch_execute(sql).expect("sql");
    }

    fn numbers(&mut self, sql: &str) -> Vec<i64> {
        self.client
            .query(sql, &[])
            .expect("query")
            .iter()
            .map(|row| {
                row.try_get::<_, i64>(0)
                    .unwrap_or_else(|_| i64::from(row.get::<_, i32>(0)))
            })
            .collect()
    }

    fn tables(&mut self) -> Vec<String> {
        self.client
            .query(
                "SELECT table_name::text FROM information_schema.tables
                 WHERE table_schema = 'public' ORDER BY 1",
                &[],
            )
            .expect("tables")
            .iter()
            .map(|row| row.get(0))
            .collect()
    }

    fn golang_migrate_table(&self) -> &'static str {
        // golang-migrate's postgres driver.
        "CREATE TABLE IF NOT EXISTS \"schema_migrations\" (version bigint not null primary key, dirty boolean not null)"
    }

    fn goose_table(&self) -> &'static str {
        "CREATE TABLE goose_db_version (id serial NOT NULL, version_id bigint NOT NULL,
             is_applied boolean NOT NULL, tstamp timestamp NULL default now(), PRIMARY KEY(id))"
    }

    fn too_slow() -> &'static Migrations {
        &migrate_tests::PG_TIMEOUT
    }

    fn qualifier(&self) -> String {
        "public.".to_owned()
    }
}

struct Mysql {
    db: migrate_tests::mysql::Scratch,
    conn: migrate_runtime::mysql::Conn,
}

impl Database for Mysql {
    const OWN_TABLES: &'static [&'static str] = &["schema_migrations"];
    type Conn = migrate_runtime::mysql::Conn;

    fn fresh() -> Option<Mysql> {
        let db = migrate_tests::mysql::Scratch::new()?;
        let conn = db.connect();
        Some(Mysql { db, conn })
    }

    fn conn(&mut self) -> &mut migrate_runtime::mysql::Conn {
        &mut self.conn
    }

    fn exec(&mut self, sql: &str) {
        self.conn.query_drop(sql).expect("sql");
    }

    fn numbers(&mut self, sql: &str) -> Vec<i64> {
        self.conn.query(sql).expect("query")
    }

    fn tables(&mut self) -> Vec<String> {
        self.conn
            .query(
                "SELECT table_name FROM information_schema.tables
                 WHERE table_schema = DATABASE() ORDER BY 1",
            )
            .expect("tables")
    }

    fn golang_migrate_table(&self) -> &'static str {
        // golang-migrate's mysql driver.
        "CREATE TABLE IF NOT EXISTS `schema_migrations` (version bigint not null primary key, dirty boolean not null)"
    }

    fn goose_table(&self) -> &'static str {
        // goose's mysql dialect.
        "CREATE TABLE goose_db_version (id serial NOT NULL, version_id bigint NOT NULL,
             is_applied boolean NOT NULL, tstamp timestamp NULL default now(), PRIMARY KEY(id))"
    }

    fn too_slow() -> &'static Migrations {
        &migrate_tests::MY_TIMEOUT
    }

    fn qualifier(&self) -> String {
        format!("{}.", self.db.name())
    }
}

fn history<D: Database>(db: &mut D) -> Vec<i64> {
    db.numbers("SELECT version FROM schema_migrations ORDER BY version")
}

/// Tables and rows: what a rollback must leave as it was.
fn contents<D: Database>(db: &mut D) -> (Vec<String>, Vec<i64>, Vec<i64>) {
    let tables = db.tables();
    let accounts = if tables.iter().any(|t| t == "accounts") {
        db.numbers("SELECT id FROM accounts ORDER BY id")
    } else {
        Vec::new()
    };
    let entries = if tables.iter().any(|t| t == "entries") {
        db.numbers("SELECT amount FROM entries ORDER BY id")
    } else {
        Vec::new()
    };
    (tables, accounts, entries)
}

fn apply_revert_and_target<D: Database>() {
    let Some(mut db) = D::fresh() else { return };
    let report = SET.migrator().to(Version(2)).run(db.conn()).expect("to 2");
    assert_eq!(report.to, Some(Version(2)));
    assert_eq!(history(&mut db), [1, 2]);
    SET.migrate(db.conn()).expect("the rest");
    assert_eq!(contents(&mut db).1, [1]);
    SET.migrator().down(db.conn()).expect("down one");
    assert_eq!(history(&mut db), [1, 2]);
    assert!(contents(&mut db).1.is_empty(), "the seed's Down ran");
    SET.migrator()
        .to(Version(1))
        .down(db.conn())
        .expect("down to 1");
    assert_eq!(history(&mut db), [1]);
    SET.migrate(db.conn()).expect("up again");
    assert!(SET.migrate(db.conn()).expect("nothing").is_empty());
}

fn drift_is_refused<D: Database>() {
    let Some(mut db) = D::fresh() else { return };
    SET.migrate(db.conn()).expect("migrates");
    let edited = EDITED.migrate(db.conn()).expect_err("edited");
    assert!(
        matches!(
            edited,
            Error::ChecksumMismatch {
                version: Version(3),
                ..
            }
        ),
        "{edited}"
    );
    let older = TWO
        .migrate(db.conn())
        .expect_err("a newer release migrated it");
    assert!(
        matches!(
            older,
            Error::UnknownVersion {
                applied: Version(3),
                ..
            }
        ),
        "{older}"
    );
}

fn a_failure_rolls_everything_back<D: Database>() {
    let Some(mut db) = D::fresh() else { return };
    FAILING
        .migrator()
        .to(Version(2))
        .run(db.conn())
        .expect("to 2");
    db.exec("INSERT INTO accounts (id, email) VALUES (7, 'grace@example.com')");
    let before = (contents(&mut db), history(&mut db));
    let error = FAILING.migrate(db.conn()).expect_err("3 fails");
    assert!(
        matches!(
            error,
            Error::MigrationFailed {
                version: Version(3),
                line: 3,
                rolled_back: true,
                ..
            }
        ),
        "{error}"
    );
    assert_eq!((contents(&mut db), history(&mut db)), before);
}

fn status_and_baseline<D: Database>() {
    let Some(mut db) = D::fresh() else { return };
    let report = SET
        .migrator()
        .baseline(db.conn(), Version(2))
        .expect("baseline");
    assert_eq!(report.to, Some(Version(2)));
    assert_eq!(db.tables(), D::OWN_TABLES, "no SQL ran");
    let status = SET.status(db.conn()).expect("status");
    let each: Vec<State> = status.entries.iter().map(|e| e.state).collect();
    assert_eq!(each, [State::Applied, State::Applied, State::Pending]);
    assert_eq!(status.current, Some(Version(2)));
}

fn adoption<D: Database>() {
    let Some(mut db) = D::fresh() else { return };
    let goose = db.goose_table();
    db.exec(goose);
    db.exec(
        "CREATE TABLE accounts (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE);
         INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, true), (1, true);",
    );
    let refused = SET.migrate(db.conn()).expect_err("goose's history");
    assert!(
        matches!(
            refused,
            Error::ForeignHistory {
                tool: Tool::Goose,
                reached: Some(Version(1)),
                ..
            }
        ),
        "{refused}"
    );
    SET.migrator().adopt(db.conn()).expect("adopt");
    SET.migrate(db.conn()).expect("further");
    assert_eq!(history(&mut db), [1, 2, 3]);
}

/// golang-migrate's table has our history table's name: the adoption keeps
/// it under a new name, and a plain run (no table option) works after it.
fn adoption_in_place<D: Database>() {
    let Some(mut db) = D::fresh() else { return };
    let golang_migrate = db.golang_migrate_table();
    db.exec(golang_migrate);
    db.exec(
        "CREATE TABLE accounts (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE);
         INSERT INTO schema_migrations (version, dirty) VALUES (1, false);",
    );
    let refused = SET
        .migrate(db.conn())
        .expect_err("golang-migrate's history");
    assert!(
        matches!(
            refused,
            Error::ForeignHistory {
                tool: Tool::GolangMigrate,
                reached: Some(Version(1)),
                shares_table: true,
                ..
            }
        ),
        "{refused}"
    );
    assert!(
        refused
            .to_string()
            .contains("(its table is then kept under a new name)"),
        "{refused}"
    );
    let report = SET.migrator().adopt(db.conn()).expect("adopt in place");
    let kept = report.kept_history.as_ref().expect("the tool's table kept");
    // The report names the schema (the database) the run found the table in.
    let qualifier = db.qualifier();
    let unqualified = |name: &'_ str| name.trim_start_matches(qualifier.as_str()).to_owned();
    assert_eq!(
        (
            kept.tool,
            unqualified(&kept.table),
            unqualified(&kept.kept_as)
        ),
        (
            Tool::GolangMigrate,
            "schema_migrations".to_owned(),
            "golang_migrate_schema_migrations".to_owned()
        )
    );
    assert!(
        report.to_string().replace(&qualifier, "").contains(
            "golang-migrate's history table `schema_migrations` is kept as `golang_migrate_schema_migrations`; \
             to go back to golang-migrate, drop the table `schema_migrations` and rename \
             `golang_migrate_schema_migrations` to `schema_migrations`"
        ),
        "{report}"
    );
    assert_eq!(history(&mut db), [1]);
    assert_eq!(
        db.numbers("SELECT version FROM golang_migrate_schema_migrations"),
        [1],
        "golang-migrate's row kept as it was"
    );
    // No table option, no other setting: the default run goes on.
    SET.migrate(db.conn())
        .expect("a plain run after the adoption");
    assert_eq!(history(&mut db), [1, 2, 3]);
    assert!(SET.migrate(db.conn()).expect("nothing left").is_empty());
}

fn a_half_applied_migration_is_refused_until_resolved<D: Database>() {
    let Some(mut db) = D::fresh() else { return };
    let error = NO_TX
        .migrate(db.conn())
        .expect_err("fails outside a transaction");
    assert!(
        matches!(
            error,
            Error::MigrationFailed {
                rolled_back: false,
                ..
            }
        ),
        "{error}"
    );
    let status = NO_TX.status(db.conn()).expect("status");
    assert_eq!(status.entries[1].state, State::Failed);
    let refused = NO_TX.migrate(db.conn()).expect_err("refused");
    assert!(
        matches!(
            refused,
            Error::UnresolvedFailure {
                version: Version(2),
                ..
            }
        ),
        "{refused}"
    );
    resolved_as_applied(&mut db);
}

/// Version 2 of `NO_TX`, refused until now, resolved as applied: recorded,
/// and nothing runs any more.
fn resolved_as_applied<D: Database>(db: &mut D) {
    NO_TX
        .migrator()
        .resolve(db.conn(), Version(2), Resolution::Applied)
        .expect("resolved");
    assert_eq!(history(db), [1, 2]);
    assert!(NO_TX.migrate(db.conn()).expect("nothing left").is_empty());
}

/// What a migrator killed inside a migration outside a transaction leaves:
/// the history row marked as started (written here as the run writes it,
/// through the backend). The lock-free read lets it pass, since it may be
/// a live run's; under the lock it is refused, until resolved.
fn a_started_mark_is_refused_under_the_lock_until_resolved<D: Database>() {
    let Some(mut db) = D::fresh() else { return };
    NO_TX
        .migrator()
        .to(Version(1))
        .run(db.conn())
        .expect("version 1");
    let table = TableName::new("schema_migrations").expect("valid");
    let second = NO_TX.get(Version(2)).expect("version 2");
    let mark = "was started outside a transaction by a run that did not finish it";
    migrate_tests::ready(db.conn().record_failure(&table, second, mark)).expect("marked");
    let status = NO_TX.status(db.conn()).expect("status");
    assert_eq!(status.entries[1].state, State::Failed);
    assert_eq!(status.entries[1].failure.as_deref(), Some(mark));
    let refused = NO_TX
        .migrate(db.conn())
        .expect_err("refused under the lock");
    assert!(
        matches!(&refused, Error::UnresolvedFailure { version: Version(2), failure, .. } if failure == mark),
        "{refused}"
    );
    resolved_as_applied(&mut db);
}

fn a_timeout_stops_and_rolls_back<D: Database>() {
    let Some(mut db) = D::fresh() else { return };
    let error = D::too_slow().migrate(db.conn()).expect_err("stopped");
    assert!(
        matches!(
            error,
            Error::TimedOut {
                rolled_back: true,
                ..
            }
        ),
        "{error}"
    );
    assert!(
        !db.tables().iter().any(|t| t != "schema_migrations"),
        "rolled back: {:?}",
        db.tables()
    );
}

/// Each behaviour as a test on each backend.
macro_rules! on_every_backend {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[test] fn $name() { super::$name::<super::Sqlite>(); })*
        }
        mod postgresql {
            $(#[test] fn $name() { super::$name::<super::Postgres>(); })*
        }
        mod mysql {
            $(#[test] fn $name() { super::$name::<super::Mysql>(); })*
        }
    };
}

/// Where a schema change can be rolled back: not on MySQL.
mod transactional_schema {
    #[test]
    fn sqlite_a_failure_rolls_everything_back() {
        super::a_failure_rolls_everything_back::<super::Sqlite>();
    }

    #[test]
    fn postgresql_a_failure_rolls_everything_back() {
        super::a_failure_rolls_everything_back::<super::Postgres>();
    }
}

on_every_backend!(
    apply_revert_and_target,
    a_started_mark_is_refused_under_the_lock_until_resolved,
    drift_is_refused,
    status_and_baseline,
    adoption,
    adoption_in_place,
    a_half_applied_migration_is_refused_until_resolved,
    a_timeout_stops_and_rolls_back,
);
