//! The migration sets and helpers shared by the integration tests and the
//! `migrate-child` process they start.
// Test helpers panic on purpose, with the reason, instead of returning errors.
#![allow(clippy::missing_panics_doc, clippy::missing_errors_doc)]

use std::fmt::Write as _;
use std::path::Path;

use migrate_runtime::rusqlite::{self, Connection};
use migrate_runtime::{Migrations, embed_migrations};

pub mod mysql;

/// A set loaded at run time from `files` (path in `migrations/`, text), as
/// the command line loads a directory; the directory lives as long as the
/// returned guard.
pub fn set_from_files(files: &[(&str, &str)]) -> (tempfile::TempDir, Migrations) {
    let root = tempfile::tempdir().expect("tempdir");
    for (name, text) in files {
        let path = root.path().join("migrations").join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }
    let set = migrate_core::load(root.path(), "migrations", &migrate_core::Options::default())
        .unwrap_or_else(|problems| panic!("{problems:?}"));
    (root, Migrations::from_set(set))
}

/// Accounts, entries (with a cascading foreign key) and seed rows.
pub static BASIC: Migrations = embed_migrations!("migrations/basic");
/// `BASIC` plus a version 4: what a newer release embeds.
pub static NEWER: Migrations = embed_migrations!("migrations/newer");
/// `BASIC` with version 3 edited after the fact.
pub static EDITED: Migrations = embed_migrations!("migrations/edited");
/// Version 3 of 4 fails on its second statement, at line 4 of its file.
pub static FAILING: Migrations = embed_migrations!(
    "migrations/failing",
    check = false,
    reason = "version 3 fails on purpose, for the runtime tests of a failing migration"
);
/// Version 2 has a syntax error, which only the run time sees here.
pub static SYNTAX: Migrations = embed_migrations!(
    "migrations/syntax",
    check = false,
    reason = "version 2 has a syntax error on purpose, for the runtime's error message"
);
/// Version 2 runs outside a transaction and fails on its second statement.
pub static NO_TX_FAILING: Migrations = embed_migrations!(
    "migrations/no_tx_failing",
    check = false,
    reason = "version 2 fails on purpose, for the runtime test of a failure outside a transaction"
);
/// Version 2 of 3 is irreversible.
pub static IRREVERSIBLE: Migrations = embed_migrations!("migrations/irreversible");
/// Versions 1 and 3.
pub static GAPPED: Migrations = embed_migrations!("migrations/gapped", allow_gaps = true);
/// `GAPPED` with version 2 filled in afterwards.
pub static FILLED: Migrations = embed_migrations!("migrations/filled");
/// A base set (1, 3) and a `test` environment (2).
pub static ENVS: Migrations = embed_migrations!("migrations/envs");
/// Version 2 runs `VACUUM`, outside a transaction.
pub static NO_TX: Migrations = embed_migrations!("migrations/no_tx");
/// A table rebuild of a parent with cascading children, foreign keys off.
pub static REBUILD: Migrations = embed_migrations!("migrations/rebuild");
/// The same rebuild without `ForeignKeys off`: the children are lost.
pub static REBUILD_UNSAFE: Migrations = embed_migrations!("migrations/rebuild_unsafe");
/// A rebuild that drops a parent row its children reference.
pub static REBUILD_BAD: Migrations = embed_migrations!("migrations/rebuild_bad");
/// 40 migrations of a table with 2,000 rows and an index each, and a
/// `counter` table with one row per migration applied.
pub static CRASH: Migrations = embed_migrations!("migrations/crash");

/// 50 migrations, each adding one row to `counter` (which has no unique
/// constraint); version 25 runs outside a transaction.
pub static ONCE: Migrations = embed_migrations!("migrations/once");

/// Rust migrations that count themselves, one in the run's transaction and
/// one outside any (`NoTransaction`), between SQL ones.
pub static RUST_ONCE: Migrations = embed_migrations!("migrations/rust_once");

/// Rust migrations that count themselves and then sleep 1.5 s, in the
/// run's transaction and outside any: for SIGKILL inside the function.
pub static RUST_KILLED: Migrations = embed_migrations!("migrations/rust_killed");

/// PostgreSQL: accounts, entries (a foreign key, a check) and a seed.
pub static PG_BASIC: Migrations = embed_migrations!("migrations/pg_basic", dialect = "postgres");
/// PostgreSQL: version 3 fails on its second statement, at line 3.
pub static PG_FAILING: Migrations =
    embed_migrations!("migrations/pg_failing", dialect = "postgres");
/// PostgreSQL: 20 migrations, each adding a row to `counter`; version 10
/// is a `NoTransaction` `CREATE INDEX CONCURRENTLY`.
pub static PG_ONCE: Migrations = embed_migrations!("migrations/pg_once", dialect = "postgres");
/// PostgreSQL: 20 migrations, each adding a row to `counter` and sleeping
/// 5 ms, all in transactions: for the SIGKILL trials.
pub static PG_ROWS: Migrations = embed_migrations!("migrations/pg_rows", dialect = "postgres");
/// PostgreSQL: a syntax error on line 4, column 19 of a statement that starts on line 2.
pub static PG_SYNTAX: Migrations = embed_migrations!(
    "migrations/pg_syntax",
    dialect = "postgres",
    check = false,
    reason = "a syntax error on purpose: the server's error position is tested"
);
/// PostgreSQL: version 2 runs outside a transaction, creates an index
/// concurrently, and fails on its second statement.
pub static PG_NO_TX_FAILING: Migrations =
    embed_migrations!("migrations/pg_no_tx_failing", dialect = "postgres");
/// PostgreSQL: a migration whose file allows it 300 ms sleeps 3 s.
pub static PG_TIMEOUT: Migrations =
    embed_migrations!("migrations/pg_timeout", dialect = "postgres");
/// MySQL: a migration without a schema change (so in a transaction) whose
/// file allows it 300 ms sleeps 3 s.
pub static MY_TIMEOUT: Migrations = embed_migrations!("migrations/my_timeout", dialect = "mysql");
/// 50 rows from a Rust function on sqlx's SQLite connection in the run's
/// transaction (version 2), a 51st outside any (version 3).
pub static SQLX_SQLITE_RUST: Migrations = embed_migrations!("migrations/sqlx_sqlite_rust");
/// MySQL: 50 rows from a Rust function on sqlx's MySQL connection (version 2).
pub static MY_SQLX_RUST: Migrations =
    embed_migrations!("migrations/my_sqlx_rust", dialect = "mysql");
/// MySQL: a file with transactions of its own (version 2): one committed,
/// one rolled back, then a row outside any; a procedure that commits
/// inside, called (version 3): `ledger` ends with ids 1, 3, 4.
pub static MY_OWN_TX: Migrations = embed_migrations!("migrations/my_own_tx", dialect = "mysql");
/// MySQL: 20 migrations, each adding a row to `counter`; versions 1 and 10
/// change the schema too (so they run outside a transaction).
pub static MY_ONCE: Migrations = embed_migrations!("migrations/my_once", dialect = "mysql");
/// MySQL: 400 INSERTs of about 2 ms each outside a transaction (version 2).
pub static MY_NO_TX_LONG: Migrations =
    embed_migrations!("migrations/my_no_tx_long", dialect = "mysql");
/// MySQL: 100 `CREATE TABLE`s, each followed by an INSERT of about 2 ms
/// (version 2): a migration with schema changes, outside a transaction.
pub static MY_DDL_LONG: Migrations = embed_migrations!("migrations/my_ddl_long", dialect = "mysql");
/// MySQL: a table of readings (version 1), then a plain `ALTER TABLE` on
/// it (version 2), for the metadata lock queue.
pub static MY_QUEUE: Migrations = embed_migrations!("migrations/my_queue", dialect = "mysql");
/// MySQL: a procedure and a trigger written between `DELIMITER` lines,
/// with `;` inside their bodies, then called (version 2).
pub static MY_ROUTINES: Migrations = embed_migrations!("migrations/my_routines", dialect = "mysql");
/// MySQL: a Rust migration (version 2) that fills a column through the
/// blocking client; `fail@…` makes it fail after it changed rows.
pub static RUST_MYSQL: Migrations = embed_migrations!("migrations/rust_mysql", dialect = "mysql");
/// MySQL: the same through the async client.
pub static RUST_MYSQL_ASYNC: Migrations =
    embed_migrations!("migrations/rust_mysql_async", dialect = "mysql");
/// MySQL: version 2 creates a table, then fails.
pub static MY_FAILING: Migrations = embed_migrations!(
    "migrations/my_failing",
    dialect = "mysql",
    check = false,
    reason = "version 2 fails after its schema change on purpose"
);
/// MySQL: version 3, rows only, inserts one then fails.
pub static MY_ROWS_FAILING: Migrations = embed_migrations!(
    "migrations/my_rows_failing",
    dialect = "mysql",
    check = false,
    reason = "version 3 fails on purpose"
);
/// SQLite: a migration whose file allows it 100 ms counts to a hundred million.
pub static SLOW_SQLITE: Migrations = embed_migrations!("migrations/slow_sqlite");
/// PostgreSQL: version 2 sleeps 30 s before its insert, to be killed.
pub static PG_SLOW: Migrations = embed_migrations!("migrations/pg_slow", dialect = "postgres");

/// PostgreSQL: `readings` (100 rows) and `log`, then plain `ALTER TABLE
/// readings ADD COLUMN`s: in a transaction (2), outside one after an
/// insert into `log` (3), and with `LockTimeout 300ms` in its file (4);
/// then `CREATE INDEX CONCURRENTLY` (5); then, outside a transaction,
/// an `UPDATE` of row 1 and an insert into `log` (6).
pub static PG_QUEUE: Migrations = embed_migrations!("migrations/pg_queue", dialect = "postgres");

/// 4,000 INSERTs outside a transaction (version 2), each its own commit:
/// for killing a run in the middle of a migration outside a transaction.
pub static NO_TX_LONG: Migrations = embed_migrations!("migrations/no_tx_long");
/// The same 4,000 statements declared `Idempotent`: each writes its row,
/// or counts in `times` that it ran again.
pub static NO_TX_RESUMABLE: Migrations = embed_migrations!("migrations/no_tx_resumable");
/// PostgreSQL: 400 INSERTs of about 2 ms each outside a transaction
/// (version 2), for the same.
pub static PG_NO_TX_LONG: Migrations =
    embed_migrations!("migrations/pg_no_tx_long", dialect = "postgres");

/// PostgreSQL: after `counter`, four migrations outside a transaction,
/// each sleeping 0.3 s, adding its number to `counter`, sleeping 0.3 s:
/// for pausing a lease holder in the middle.
pub static PG_PAUSED: Migrations = embed_migrations!("migrations/pg_paused", dialect = "postgres");
/// PostgreSQL, for a tenant's schema: `items`, then 150 rows inserted
/// outside a transaction, each statement limited to 30 s.
pub static PG_TENANT: Migrations = embed_migrations!("migrations/pg_tenant", dialect = "postgres");
/// The same 150 rows in a transaction.
pub static PG_TENANT_TX: Migrations =
    embed_migrations!("migrations/pg_tenant_tx", dialect = "postgres");
/// 150 rows from a Rust function on sqlx's connection (version 2), then a
/// Rust function that inserts a row and fails (version 3).
pub static PG_SQLX_RUST: Migrations =
    embed_migrations!("migrations/pg_sqlx_rust", dialect = "postgres");
/// The same 150 rows from a Rust function in the run's transaction.
pub static PG_TENANT_RUST: Migrations =
    embed_migrations!("migrations/pg_tenant_rust", dialect = "postgres");
/// The same 150 rows from a Rust function given the client, outside a transaction.
pub static PG_TENANT_RUST_OUTSIDE: Migrations =
    embed_migrations!("migrations/pg_tenant_rust_outside", dialect = "postgres");
/// `items`, then `CREATE INDEX CONCURRENTLY` on it.
pub static PG_TENANT_CONCURRENT: Migrations =
    embed_migrations!("migrations/pg_tenant_concurrent", dialect = "postgres");
/// PostgreSQL: a migration limited to 10 s, then one without a limit, each
/// recording the `statement_timeout` and `lock_timeout` it ran under.
pub static PG_LIMITS: Migrations = embed_migrations!("migrations/pg_limits", dialect = "postgres");

/// PostgreSQL: a counter, a migration in a transaction that inserts and
/// then sleeps 1.5 s, and one after it: for pausing a holder while its
/// transaction is open.
pub static PG_HELD: Migrations = embed_migrations!("migrations/pg_held", dialect = "postgres");

/// A small, seeded generator (xorshift64*) for the kill and pause trials:
/// random, but the same from run to run, so a failing trial can be replayed.
pub struct Rng(pub u64);

impl Rng {
    /// A number below `bound` (0 when `bound` is 0).
    pub fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % bound.max(1)
    }
}

/// Runs `trial` for each of `inputs`, `at_once` at a time (each trial has
/// its own database and child; most of a trial is waiting for them); how
/// many returned `true`.
pub fn in_rounds<T: Copy + Send>(
    inputs: &[T],
    at_once: usize,
    trial: impl Fn(T) -> bool + Sync,
) -> usize {
    let mut passed = 0;
    for round in inputs.chunks(at_once) {
        passed += std::thread::scope(|scope| {
            let running: Vec<_> = round
                .iter()
                .map(|&input| {
                    let trial = &trial;
                    scope.spawn(move || trial(input))
                })
                .collect();
            running
                .into_iter()
                .map(|t| t.join().expect("a trial"))
                .filter(|&passed| passed)
                .count()
        });
    }
    passed
}

/// The output of a blocking backend's future, which is ready when first
/// polled: polled once, with a waker that does nothing.
pub fn ready<F: std::future::Future>(future: F) -> F::Output {
    let future = std::pin::pin!(future);
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    match future.poll(&mut context) {
        std::task::Poll::Ready(output) => output,
        std::task::Poll::Pending => panic!("a blocking backend's future is ready at once"),
    }
}

/// A new directory, and the path of a database file in it (not created).
pub fn sqlite_path() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("app.db");
    (dir, path)
}

/// A new database file, open.
pub fn sqlite_file() -> (tempfile::TempDir, Connection) {
    let (dir, path) = sqlite_path();
    let conn = Connection::open(path).expect("open");
    (dir, conn)
}

/// A set read at run time from `files` (name, text), written to a new
/// directory as a user's would be: for trials over many variants of one
/// migration.
pub fn generated(files: &[(&str, String)]) -> Migrations {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path().join("migrations");
    std::fs::create_dir(&dir).expect("mkdir");
    for (name, text) in files {
        std::fs::write(dir.join(name), text).expect("write");
    }
    let set = migrate_core::load(root.path(), "migrations", &migrate_core::Options::default())
        .expect("a valid set");
    Migrations::from_set(set)
}

/// SQLite: `items` and `actions` (1), a seed row (2), a Rust function that
/// ends the run's transaction as `actions` says (3), and a table (4).
pub static RUST_SQLITE_TX: Migrations = embed_migrations!(
    "migrations/rust_sqlite_tx",
    check = false,
    reason = "version 3 ends the run's transaction on purpose, for the runtime's check"
);
/// SQLite: a Rust function that works 0.7 s past its 300 ms limit.
pub static RUST_SQLITE_SLOW: Migrations = embed_migrations!("migrations/rust_sqlite_slow");

/// The migration set called `name`, for the child process.
pub fn set(name: &str) -> Option<&'static Migrations> {
    Some(match name {
        "basic" => &BASIC,
        "crash" => &CRASH,
        "newer" => &NEWER,
        "once" => &ONCE,
        "rust_once" => &RUST_ONCE,
        "rust_killed" => &RUST_KILLED,
        "pg_once" => &PG_ONCE,
        "pg_slow" => &PG_SLOW,
        "pg_rows" => &PG_ROWS,
        "no_tx_long" => &NO_TX_LONG,
        "no_tx_resumable" => &NO_TX_RESUMABLE,
        "pg_no_tx_long" => &PG_NO_TX_LONG,
        "pg_paused" => &PG_PAUSED,
        "pg_tenant" => &PG_TENANT,
        "pg_tenant_tx" => &PG_TENANT_TX,
        "pg_held" => &PG_HELD,
        "my_once" => &MY_ONCE,
        "my_no_tx_long" => &MY_NO_TX_LONG,
        "my_ddl_long" => &MY_DDL_LONG,
        _ => return None,
    })
}

/// Everything in the database as text: every schema object and every row of
/// every table, in a fixed order, and `user_version`. Two databases with the
/// same dump hold the same schema and data.
pub fn dump(conn: &Connection) -> rusqlite::Result<String> {
    let mut out = String::new();
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let _ = writeln!(out, "user_version {version}");
    let mut objects = conn
        .prepare("SELECT type, name, coalesce(sql, '') FROM sqlite_master ORDER BY type, name")?;
    let objects: Vec<(String, String, String)> = objects
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (kind, name, sql) in &objects {
        let _ = writeln!(out, "{kind} {name}: {sql}");
        if kind == "table" {
            for row in rows(conn, name)? {
                let _ = writeln!(out, "  {row}");
            }
        }
    }
    Ok(out)
}

/// Every row of `table`, in rowid order, one line each: its values'
/// `Debug` forms joined by `|` (`Integer(2)|Text("a")`).
pub fn rows(conn: &Connection, table: &str) -> rusqlite::Result<Vec<String>> {
    let mut rows = conn.prepare(&format!("SELECT * FROM \"{table}\" ORDER BY rowid"))?;
    let columns = rows.column_count();
    rows.query_map([], |r| {
        let mut cells = Vec::with_capacity(columns);
        for i in 0..columns {
            let value: rusqlite::types::Value = r.get(i)?;
            cells.push(format!("{value:?}"));
        }
        Ok(cells.join("|"))
    })?
    .collect()
}

/// Runs `refused` on a connection to the file at `path`, and asserts that
/// the file's bytes did not change. Returns what `refused` returned.
pub fn file_unchanged<E: std::fmt::Display>(
    path: &Path,
    refused: impl FnOnce(&mut Connection) -> E,
) -> E {
    let bytes = std::fs::read(path).expect("read");
    let mut conn = Connection::open(path).expect("open");
    let error = refused(&mut conn);
    drop(conn);
    assert_eq!(
        std::fs::read(path).expect("read"),
        bytes,
        "the file changed after: {error}"
    );
    error
}

/// [`dump`] of the database file at `path`.
pub fn dump_file(path: &Path) -> String {
    let conn = Connection::open(path).expect("open");
    dump(&conn).expect("dump")
}

/// The versions recorded in the history table, sorted.
pub fn history(conn: &Connection) -> Vec<u64> {
    let mut statement = conn
        .prepare("SELECT version FROM schema_migrations ORDER BY version")
        .expect("history table");
    statement
        .query_map([], |r| r.get::<_, i64>(0))
        .expect("query")
        .map(|v| u64::try_from(v.expect("row")).expect("positive"))
        .collect()
}

/// Whether a table exists.
pub fn table_exists(conn: &Connection, table: &str) -> bool {
    conn.query_row(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
        [table],
        |r| r.get::<_, i64>(0),
    )
    .expect("query")
        == 1
}

/// Three migrations in SQL that SQLite and MariaDB both take, named as
/// refinery names them: for `Migrations::refinery_runner`.
pub static PORTABLE: Migrations = embed_migrations!("migrations/portable");

/// The versions recorded in `table` (a history table of ours or another
/// tool's), in order.
pub fn versions_in(conn: &Connection, table: &str) -> Vec<i64> {
    let sql = format!("SELECT version FROM {table} ORDER BY version");
    let mut statement = conn.prepare(&sql).expect("a history table");
    statement
        .query_map([], |r| r.get(0))
        .expect("query")
        .map(|r| r.expect("row"))
        .collect()
}

/// This test binary run again, as a child process to kill, for its
/// ignored test `name` only, with `variable` set to `value`; its output
/// thrown away.
pub fn spawn_ignored_test(name: &str, variable: &str, value: &str) -> std::process::Child {
    std::process::Command::new(std::env::current_exe().expect("this binary"))
        .args(["--ignored", "--exact", name, "--test-threads=1"])
        .env(variable, value)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the child test process")
}

/// The URL of a test server from `variable`, or `default`; `None` (after
/// saying so once on standard error) when no server answers and the
/// environment does not require one. `.ci/test` sets
/// `MIGRATE_REQUIRE_SERVERS=1`: there a missing server fails the test. The
/// URL is not printed: it may hold a password.
pub fn server_url(
    variable: &str,
    default: &str,
    reachable: impl FnOnce(&str) -> bool,
) -> Option<String> {
    static SAID: std::sync::Once = std::sync::Once::new();
    let url = std::env::var(variable).unwrap_or_else(|_| default.to_owned());
    if reachable(&url) {
        return Some(url);
    }
    assert!(
        std::env::var_os("MIGRATE_REQUIRE_SERVERS").is_none(),
        "no server answers at {variable} (or its default); MIGRATE_REQUIRE_SERVERS is set, so this is a failure"
    );
    SAID.call_once(|| {
        eprintln!(
            "skipped: no server answers at {variable} (or its default); start one (`.ci/servers` does), or set {variable}"
        );
    });
    None
}

/// The folder of the TLS test certificates (`MIGRATE_TEST_TLS_DIR`, which
/// `.ci/servers` sets after turning TLS on): `ca.crt` (the CA that signed
/// the server's certificate, for `localhost` and `127.0.0.1`),
/// `other-ca.crt` (a CA that signed nothing), `client.crt` and `client.key`
/// (the role `migrate_tls_cert`). `None` when it is not set and servers are
/// not required.
pub fn tls_dir() -> Option<std::path::PathBuf> {
    let dir = std::env::var_os("MIGRATE_TEST_TLS_DIR").map(std::path::PathBuf::from);
    match dir {
        Some(dir) if dir.join("ca.crt").is_file() => Some(dir),
        _ => {
            assert!(
                std::env::var_os("MIGRATE_REQUIRE_SERVERS").is_none(),
                "MIGRATE_TEST_TLS_DIR names no TLS test certificates; MIGRATE_REQUIRE_SERVERS is set, so this is a failure"
            );
            eprintln!("skipped: no TLS test certificates (`.ci/servers` makes them)");
            None
        }
    }
}

/// Scratch databases on the PostgreSQL server of `MIGRATE_TEST_POSTGRES_URL`
/// (default `postgres://postgres@127.0.0.1:5432/postgres`): each test works
/// in a fresh database it drops.
pub mod pg {
    use std::process::{Child, Command, Stdio};
    use std::time::{Duration, Instant};

    use migrate_runtime::postgres::{Client, NoTls};

    /// The server's URL.
    fn server() -> Option<String> {
        crate::server_url(
            "MIGRATE_TEST_POSTGRES_URL",
            "postgres://postgres@127.0.0.1:5432/postgres",
            |url| Client::connect(url, NoTls).is_ok(),
        )
    }

    /// A database created for one test and dropped after it (by
    /// `migrate_replay::Scratch`, the one scratch-database maker: a test
    /// process killed before its end leaves databases the next one drops).
    pub struct Scratch {
        server: String,
        /// The database's name.
        pub name: String,
        _database: migrate_replay::Scratch,
    }

    impl Scratch {
        /// A new, empty database; `None` when no server answers (and none is required).
        pub fn new() -> Option<Scratch> {
            let server = server()?;
            let address = migrate_replay::ServerAddress::parse(&server).expect("the server's URL");
            let database =
                migrate_replay::Scratch::create(&address).expect("create the scratch database");
            Some(Scratch {
                name: database.name().to_owned(),
                server,
                _database: database,
            })
        }

        /// The scratch database's URL (the server's, with this database).
        pub fn url(&self) -> String {
            let (base, query) = match self.server.split_once('?') {
                Some((base, query)) => (base, format!("?{query}")),
                None => (self.server.as_str(), String::new()),
            };
            let authority = base.find("://").map_or(0, |i| i + 3);
            let base = match base[authority..].find('/') {
                Some(slash) => &base[..authority + slash],
                None => base,
            };
            format!("{base}/{}{query}", self.name)
        }

        /// The URL of the scratch database for the TLS-only test role
        /// `role` (`migrate_tls_only`, `migrate_tls_cert`: `.ci/servers`
        /// makes them), given the rights to create in it, with `query`.
        pub fn tls_url(&self, role: &str, query: &str) -> String {
            self.client()
                .batch_execute(&format!("GRANT ALL ON SCHEMA public TO {role}"))
                .expect("grant");
            format!("postgres://{role}@127.0.0.1:5432/{}?{query}", self.name)
        }

        /// A new session on the scratch database.
        pub fn client(&self) -> Client {
            Client::connect(&self.url(), NoTls).expect("connect to the scratch database")
        }
    }

    /// The schema of the `public` schema from the catalogs, one line per
    /// column, constraint and index, sorted: for comparing before and after.
    pub fn schema(client: &mut Client) -> Vec<String> {
        let rows = client
            .query(
                "SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' '
                        || is_nullable || ' ' || coalesce(column_default, '')
                 FROM information_schema.columns WHERE table_schema = 'public'
                 UNION ALL
                 SELECT 'constraint ' || conrelid::regclass::text || ' ' || conname || ' '
                        || pg_get_constraintdef(oid)
                 FROM pg_constraint WHERE connamespace = 'public'::regnamespace
                 UNION ALL
                 SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = 'public'
                 ORDER BY 1",
                &[],
            )
            .expect("catalogs");
        rows.iter().map(|row| row.get(0)).collect()
    }

    /// Starts the child process `child` (`migrate-child`) migrating `set` on `db`, as application `name`.
    pub fn spawn(child: &str, db: &Scratch, set: &str, name: &str) -> Child {
        let url = format!("{}?application_name={name}", db.url());
        Command::new(child)
            .args([url.as_str(), set, "atomic"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn")
    }

    pub fn kill(mut child: Child) {
        let _ = child.kill();
        let _ = child.wait();
    }

    /// Whether no session holds an advisory lock on this database and no
    /// lease is written in the lock table, waiting a moment for the
    /// sessions of exited processes to end on the server.
    pub fn lock_is_free(client: &mut Client) -> bool {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let held: i64 = client
                .query_one(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'
                     AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
                    &[],
                )
                .expect("pg_locks")
                .get(0);
            if held == 0 && !lease_is_written(client) {
                return true;
            }
            if Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// The rows of the `counter` table the `pg_rows` and `pg_once` sets fill.
    pub fn counter(client: &mut Client) -> Vec<i32> {
        client
            .query("SELECT k FROM counter ORDER BY k", &[])
            .expect("counter")
            .iter()
            .map(|row| row.get(0))
            .collect()
    }

    /// How many migrations the children applied in all; each must have succeeded.
    pub fn total_applied(outputs: &[std::process::Output], round: usize) -> usize {
        outputs
            .iter()
            .map(|out| {
                assert!(
                    out.status.success(),
                    "round {round}: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                String::from_utf8_lossy(&out.stdout)
                    .trim()
                    .parse::<usize>()
                    .expect("a count")
            })
            .sum()
    }

    /// `processes` children (the `child` binary) migrate `set` through
    /// `url` at once, in `mode` (`atomic`, `per-migration`), each waiting
    /// at most `wait_ms` for the lock; `env` is added to theirs.
    pub fn at_once_through(
        child: &str,
        url: &str,
        (set, mode): (&str, &str),
        processes: usize,
        wait_ms: u32,
        env: &[(&str, &str)],
    ) -> Vec<std::process::Output> {
        let go = tempfile::tempdir().expect("tempdir");
        let go_file = go.path().join("go");
        let children: Vec<Child> = (0..processes)
            .map(|_| {
                Command::new(child)
                    .args([url, set, mode])
                    .arg(&go_file)
                    .env("MIGRATE_CHILD_WAIT_MS", wait_ms.to_string())
                    .envs(env.iter().copied())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .expect("spawn")
            })
            .collect();
        std::fs::write(&go_file, "").expect("go");
        children
            .into_iter()
            .map(|c| c.wait_with_output().expect("wait"))
            .collect()
    }

    /// Whether the lock table holds a lease (a run across transactions).
    pub fn lease_is_written(client: &mut Client) -> bool {
        let exists: bool = client
            .query_one(
                "SELECT to_regclass('schema_migrations_lock') IS NOT NULL",
                &[],
            )
            .expect("catalog")
            .get(0);
        exists
            && client
                .query_one(
                    "SELECT count(*) > 0 FROM schema_migrations_lock WHERE token IS NOT NULL",
                    &[],
                )
                .expect("lock table")
                .get::<_, bool>(0)
    }

    /// Waits until some session holds an advisory lock on the database.
    pub fn wait_for_lock(client: &mut Client) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            let held: i64 = client
                .query_one(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted
                     AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
                    &[],
                )
                .expect("pg_locks")
                .get(0);
            if held > 0 {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("no migrator took the lock");
    }

    /// A PgBouncer in transaction pooling mode in front of the test server,
    /// started by the test on a free loopback port and stopped with it
    /// (Debian's `pgbouncer`; `.ci/servers` installs it).
    pub struct Bouncer {
        process: Child,
        port: u16,
        _dir: tempfile::TempDir,
    }

    impl Bouncer {
        /// Starts one with a pool of 8 server sessions; `None` when there
        /// is no server, or no `pgbouncer` and none is required.
        pub fn start() -> Option<Bouncer> {
            Bouncer::with_pool(8)
        }

        /// Starts one with a pool of `size` server sessions per database.
        pub fn with_pool(size: usize) -> Option<Bouncer> {
            Bouncer::configured(size, "")
        }

        /// Starts one that requires TLS of its clients, with the test
        /// server's certificate (signed by the test CA of
        /// [`tls_dir`](super::tls_dir)).
        pub fn with_tls(tls: &std::path::Path) -> Option<Bouncer> {
            Bouncer::configured(
                8,
                &format!(
                    "client_tls_sslmode = require\nclient_tls_cert_file = {0}/server.crt\n\
                     client_tls_key_file = {0}/server.key\n",
                    tls.display()
                ),
            )
        }

        fn configured(size: usize, extra: &str) -> Option<Bouncer> {
            let server: migrate_runtime::postgres::Config = server()?.parse().expect("a URL");
            let binary = ["/usr/sbin/pgbouncer", "/usr/bin/pgbouncer"]
                .into_iter()
                .find(|p| std::path::Path::new(p).exists());
            let Some(binary) = binary else {
                assert!(
                    std::env::var_os("MIGRATE_REQUIRE_SERVERS").is_none(),
                    "pgbouncer is not installed; MIGRATE_REQUIRE_SERVERS is set, so this is a failure"
                );
                eprintln!("skipped: pgbouncer is not installed (`.ci/servers` installs it)");
                return None;
            };
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .expect("a free port")
                .port();
            let dir = tempfile::tempdir().expect("tempdir");
            let host = match server.get_hosts().first() {
                Some(migrate_runtime::postgres::config::Host::Tcp(host)) => host.clone(),
                _ => "127.0.0.1".to_owned(),
            };
            let server_port = server.get_ports().first().copied().unwrap_or(5432);
            let user = server.get_user().unwrap_or("postgres");
            let password = server
                .get_password()
                .map(|p| format!(" password={}", String::from_utf8_lossy(p)))
                .unwrap_or_default();
            let config = format!(
                "[databases]\n* = host={host} port={server_port} user={user}{password}\n\
                 [pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {port}\nauth_type = any\n\
                 pool_mode = transaction\nmax_client_conn = 500\ndefault_pool_size = {size}\n\
                 unix_socket_dir =\nignore_startup_parameters = extra_float_digits,options\n\
                 logfile = {}/pgbouncer.log\n{extra}",
                dir.path().display()
            );
            let ini = dir.path().join("pgbouncer.ini");
            std::fs::write(&ini, config).expect("config");
            let mut command = Command::new(binary);
            // PgBouncer refuses to run as root: as root, it runs as `postgres`.
            if Command::new("id")
                .arg("-u")
                .output()
                .is_ok_and(|o| o.stdout.starts_with(b"0\n"))
            {
                let _ = Command::new("chown")
                    .args(["-R", "postgres"])
                    .arg(dir.path())
                    .status();
                command.args(["-u", "postgres"]);
            }
            let process = command
                .arg(&ini)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start pgbouncer");
            let bouncer = Bouncer {
                process,
                port,
                _dir: dir,
            };
            let deadline = Instant::now() + Duration::from_secs(10);
            while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
                assert!(Instant::now() < deadline, "pgbouncer did not start");
                std::thread::sleep(Duration::from_millis(20));
            }
            Some(bouncer)
        }

        /// The URL of `db` through this pooler.
        pub fn url(&self, db: &Scratch) -> String {
            format!("postgres://migrate@127.0.0.1:{}/{}", self.port, db.name)
        }
    }

    impl Drop for Bouncer {
        fn drop(&mut self) {
            let _ = self.process.kill();
            let _ = self.process.wait();
        }
    }

    /// The versions in the history table, in order.
    pub fn history(client: &mut Client) -> Vec<i64> {
        client
            .query(
                "SELECT version FROM schema_migrations ORDER BY version",
                &[],
            )
            .map(|rows| rows.iter().map(|row| row.get(0)).collect())
            .unwrap_or_default()
    }
}
