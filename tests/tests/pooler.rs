//! Runs with a schema through a real PgBouncer in transaction mode, whose
//! pool of two server sessions other clients keep busy: every row lands in
//! the run's schema and none in `public` (which has a table of the same
//! name), and no other client of the pool ever sees a setting of the run —
//! during the run, and after a migrator killed at a random point. On a
//! session of its own, a run's limits end with the statements that need
//! them, and the session keeps its own. The oracle is the server as other
//! clients, or the statements themselves, see it, not the run's own report.

use std::collections::BTreeSet;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

use migrate_runtime::postgres::{Client, NoTls};
use migrate_runtime::{Error, Migrations, SettingsRefused};
use migrate_tests::pg::{Bouncer, Scratch};
use migrate_tests::{
    PG_LIMITS, PG_NO_TX_FAILING, PG_TENANT, PG_TENANT_CONCURRENT, PG_TENANT_RUST,
    PG_TENANT_RUST_OUTSIDE, PG_TENANT_TX, Rng,
};

const CHILD: &str = env!("CARGO_BIN_EXE_migrate-child");

/// Trials of each kind of run.
const TRIALS: usize = 20;

/// The rows each set inserts.
const ROWS: i64 = 150;

/// What a client reads of its session: every setting a run needs, and
/// the server session it was given.
const SETTINGS: &str = "SELECT current_setting('search_path') || ' | lock_timeout ' || \
     current_setting('lock_timeout') || ' | statement_timeout ' || \
     current_setting('statement_timeout') || ' | idle ' || \
     current_setting('idle_in_transaction_session_timeout') || ' | check ' || \
     coalesce(current_setting('client_connection_check_interval', true), '-'), \
     pg_backend_pid()";

/// A pooler of two server sessions in front of a new database, which has
/// `public.items`, and a direct session on it.
fn setup() -> Option<(Bouncer, Scratch, Client)> {
    let bouncer = Bouncer::with_pool(2)?;
    let db = Scratch::new()?;
    let mut direct = db.client();
    direct
        .batch_execute("CREATE TABLE public.items (n INTEGER NOT NULL)")
        .expect("public.items");
    Some((bouncer, db, direct))
}

/// The first row of `sql`, sent unnamed (a pooler in transaction mode
/// loses named prepared statements).
fn first(client: &mut Client, sql: &str) -> migrate_runtime::postgres::Row {
    client
        .query_typed(sql, &[])
        .expect("a query")
        .into_iter()
        .next()
        .expect("a row")
}

/// What a new session reads: the settings no run may change.
fn own_settings(client: &mut Client) -> String {
    first(client, SETTINGS).get(0)
}

/// Clients of the pool reading their session's settings until stopped.
struct Samplers {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<Seen>>,
    own: String,
}

/// What the samplers saw.
#[derive(Default)]
struct Seen {
    samples: usize,
    /// Settings other than the server's own.
    foreign: BTreeSet<String>,
    /// The server sessions they were given.
    sessions: BTreeSet<i32>,
}

impl Samplers {
    fn start(url: &str, own: String) -> Samplers {
        let stop = Arc::new(AtomicBool::new(false));
        let threads = (0..3)
            .map(|_| {
                let (stop, url, own) = (stop.clone(), url.to_owned(), own.clone());
                std::thread::spawn(move || {
                    let mut client = Client::connect(&url, NoTls).expect("a client of the pool");
                    let mut seen = Seen::default();
                    while !stop.load(Ordering::Relaxed) {
                        let row = first(&mut client, SETTINGS);
                        let settings: String = row.get(0);
                        seen.sessions.insert(row.get(1));
                        if settings != own {
                            seen.foreign.insert(settings);
                        }
                        seen.samples += 1;
                    }
                    seen
                })
            })
            .collect();
        Samplers { stop, threads, own }
    }

    fn finish(self) -> Seen {
        self.stop.store(true, Ordering::Relaxed);
        let mut seen = Seen::default();
        for thread in self.threads {
            let one = thread.join().expect("sampler");
            seen.samples += one.samples;
            seen.foreign.extend(one.foreign);
            seen.sessions.extend(one.sessions);
        }
        seen
    }

    /// Stops them and checks that they shared both server sessions of the
    /// pool (so every session the migrator used) and never saw a setting
    /// other than the server's own.
    fn assert_clean(self, what: &str) {
        let own = self.own.clone();
        let seen = self.finish();
        assert!(seen.samples >= 100, "{what}: only {} samples", seen.samples);
        // Two, or more where the pooler replaced a session a killed
        // migrator left in a transaction.
        assert!(
            seen.sessions.len() >= 2,
            "{what}: the samplers did not share both server sessions of the pool"
        );
        assert!(
            seen.foreign.is_empty(),
            "{what}: other clients of the pool saw {:?} instead of {own:?}",
            seen.foreign
        );
    }
}

fn count(direct: &mut Client, table: &str) -> i64 {
    direct
        .query_typed(&format!("SELECT count(*) FROM {table}"), &[])
        .ok()
        .and_then(|rows| rows.first().map(|row| row.get(0)))
        .unwrap_or(-1)
}

/// A new schema for a trial.
fn tenant(direct: &mut Client, name: &str) -> String {
    direct
        .batch_execute(&format!("CREATE SCHEMA {name}"))
        .expect("schema");
    name.to_owned()
}

/// Every row in `schema`, none in `public`, and both migrations recorded
/// in `schema`'s history.
fn assert_landed(direct: &mut Client, schema: &str, what: &str) {
    assert_eq!(count(direct, &format!("{schema}.items")), ROWS, "{what}");
    assert_eq!(count(direct, "public.items"), 0, "{what}: rows in public");
    let versions: Vec<i64> = direct
        .query(
            &format!("SELECT version FROM {schema}.schema_migrations ORDER BY version"),
            &[],
        )
        .expect("history")
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(versions, [1, 2], "{what}");
}

/// `TRIALS` runs of `set` with a schema each, through the pooler, on the
/// blocking client; `per_migration` for a run across transactions.
fn blocking_trials(set: &'static Migrations, per_migration: bool, what: &str) {
    let Some((bouncer, db, mut direct)) = setup() else {
        return;
    };
    let url = bouncer.url(&db);
    let samplers = Samplers::start(&url, own_settings(&mut db.client()));
    for trial in 0..TRIALS {
        let schema = tenant(&mut direct, &format!("tenant_{trial}"));
        let mut client = Client::connect(&url, NoTls).expect("through the pooler");
        set.migrator()
            .schema(schema.clone())
            .per_migration(per_migration)
            .run(&mut client)
            .unwrap_or_else(|e| panic!("{what}, trial {trial}: {e}"));
        assert_landed(&mut direct, &schema, &format!("{what}, trial {trial}"));
    }
    samplers.assert_clean(what);
}

#[test]
fn a_no_transaction_migration_with_a_schema_writes_every_row_into_it_and_leaves_no_setting() {
    blocking_trials(&PG_TENANT, false, "NoTransaction");
}

#[test]
fn a_run_in_one_transaction_with_a_schema_writes_into_it_and_leaves_no_setting() {
    blocking_trials(&PG_TENANT_TX, false, "one transaction");
}

#[test]
fn a_run_per_migration_with_a_schema_writes_into_it_and_leaves_no_setting() {
    blocking_trials(&PG_TENANT_TX, true, "per migration");
}

#[test]
fn a_rust_migration_with_a_schema_writes_into_it_and_leaves_no_setting() {
    blocking_trials(&PG_TENANT_RUST, false, "Rust migration");
}

#[test]
fn the_async_client_with_a_schema_writes_into_it_and_leaves_no_setting() {
    let Some((bouncer, db, mut direct)) = setup() else {
        return;
    };
    let url = bouncer.url(&db);
    let samplers = Samplers::start(&url, own_settings(&mut db.client()));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    for trial in 0..TRIALS {
        let schema = tenant(&mut direct, &format!("tenant_{trial}"));
        runtime.block_on(async {
            let (mut client, connection) = migrate_runtime::tokio_postgres::connect(&url, NoTls)
                .await
                .expect("through the pooler");
            tokio::spawn(connection);
            PG_TENANT
                .migrator()
                .schema(schema.clone())
                .run_async(&mut client)
                .await
                .unwrap_or_else(|e| panic!("async, trial {trial}: {e}"));
        });
        assert_landed(&mut direct, &schema, &format!("async, trial {trial}"));
    }
    samplers.assert_clean("async");
}

/// sqlx's `PgConnection`, taken from a sqlx pool on the pooler: each
/// trial's rows land in its schema, none in `public`, and the other
/// clients of the pooler never see a setting of the run.
#[test]
fn sqlx_with_a_schema_writes_into_it_and_leaves_no_setting() {
    let Some((bouncer, db, mut direct)) = setup() else {
        return;
    };
    let url = bouncer.url(&db);
    let samplers = Samplers::start(&url, own_settings(&mut db.client()));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let pool = runtime.block_on(async {
        migrate_runtime::sqlx::postgres::PgPoolOptions::new()
            .max_connections(2)
            .connect(&url)
            .await
            .expect("a sqlx pool on the pooler")
    });
    for (set, what, prefix) in [
        (&PG_TENANT, "sqlx, NoTransaction", "sqlx_outside"),
        (&PG_TENANT_TX, "sqlx, one transaction", "sqlx_inside"),
    ] {
        for trial in 0..TRIALS {
            let schema = tenant(&mut direct, &format!("{prefix}_{trial}"));
            runtime.block_on(async {
                let mut conn = pool.acquire().await.expect("a connection");
                set.migrator()
                    .schema(schema.clone())
                    .run_async(&mut *conn)
                    .await
                    .unwrap_or_else(|e| panic!("{what}, trial {trial}: {e}"));
            });
            assert_landed(&mut direct, &schema, &format!("{what}, trial {trial}"));
        }
    }
    samplers.assert_clean("sqlx");
}

/// Migrators killed at a random point of the `NoTransaction` migration
/// (a random number of its rows written) leave no setting on any server
/// session: 20 queries of a new client after each kill, and the samplers
/// throughout, read the server's own; and no row ever lands in `public`.
#[test]
fn a_migrator_killed_at_a_random_point_leaves_no_setting_on_the_pool() {
    let Some((bouncer, db, mut direct)) = setup() else {
        return;
    };
    let url = bouncer.url(&db);
    let own = own_settings(&mut db.client());
    let samplers = Samplers::start(&url, own.clone());
    let mut rng = Rng(0x5eed_0033);
    for trial in 0..TRIALS {
        let schema = tenant(&mut direct, &format!("tenant_{trial}"));
        let at = i64::try_from(rng.below(u64::try_from(ROWS).unwrap_or(1))).unwrap_or(0);
        let mut child = Command::new(CHILD)
            .args([url.as_str(), "pg_tenant", "atomic"])
            .env("MIGRATE_CHILD_SCHEMA", &schema)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        // Killed once `at` rows are in (or when it is done): the state, not a time.
        while count(&mut direct, &format!("{schema}.items")) < at
            && child.try_wait().expect("wait").is_none()
        {
            std::thread::yield_now();
        }
        let _ = child.kill();
        let _ = child.wait();
        let mut after = Client::connect(&url, NoTls).expect("through the pooler");
        for query in 0..20 {
            assert_eq!(
                own_settings(&mut after),
                own,
                "trial {trial}: query {query} after the kill (at {at} rows)"
            );
        }
        assert_eq!(count(&mut direct, "public.items"), 0, "trial {trial}");
    }
    samplers.assert_clean("killed");
}

/// The `MigrationFailed` error's source, as a refusal of settings.
fn refused(error: &Error) -> Option<&SettingsRefused> {
    std::error::Error::source(error)?.downcast_ref::<SettingsRefused>()
}

/// `CREATE INDEX CONCURRENTLY` cannot run in a transaction block, so it
/// cannot carry the schema through the pooler: under a schema it is not
/// sent and the run says so; on a connection declared direct it gets the
/// schema for the session around it, given back after; without a schema
/// it runs as it is.
#[test]
fn a_concurrent_index_under_a_schema_is_refused_through_the_pooler_and_built_on_a_direct_connection()
 {
    let Some((bouncer, db, mut direct)) = setup() else {
        return;
    };
    let indexes = |direct: &mut Client| -> Vec<String> {
        direct
            .query(
                "SELECT schemaname::text FROM pg_indexes WHERE indexname = 'items_n' ORDER BY 1",
                &[],
            )
            .expect("indexes")
            .iter()
            .map(|row| row.get(0))
            .collect()
    };
    let url = bouncer.url(&db);
    let schema = tenant(&mut direct, "tenant_c");
    let mut pooled = Client::connect(&url, NoTls).expect("through the pooler");
    let error = PG_TENANT_CONCURRENT
        .migrator()
        .schema(schema)
        .run(&mut pooled)
        .expect_err("refused");
    let reason = refused(&error).unwrap_or_else(|| panic!("not a refusal: {error}"));
    assert_eq!(reason.schema.as_deref(), Some("tenant_c"));
    let message = error.to_string();
    assert!(
        message.contains("002_index.sql:3")
            && message.contains("cannot run inside a transaction block")
            && message.contains("`direct_connection(true)`"),
        "{message}"
    );
    assert!(indexes(&mut direct).is_empty(), "no index was built");

    // Direct, and declared so: built in the schema; the session's own
    // search_path is as it was.
    let schema = tenant(&mut direct, "tenant_d");
    let mut own = db.client();
    own.batch_execute("SET search_path = public").expect("set");
    PG_TENANT_CONCURRENT
        .migrator()
        .schema(schema)
        .direct_connection(true)
        .run(&mut own)
        .expect("built");
    assert_eq!(indexes(&mut direct), ["tenant_d"]);
    let path: String = own.query_one("SHOW search_path", &[]).expect("show").get(0);
    assert_eq!(path, "public");

    // Without a schema it needs nothing: through the pooler it runs as it is.
    direct
        .batch_execute("DROP TABLE public.items")
        .expect("drop");
    PG_TENANT_CONCURRENT
        .migrator()
        .run(&mut pooled)
        .expect("no schema");
    assert_eq!(indexes(&mut direct), ["public", "tenant_d"]);
}

/// A Rust function given the client outside a transaction cannot carry
/// the schema through the pooler: it is not called, and nothing lands in
/// any schema.
#[test]
fn a_rust_function_outside_a_transaction_under_a_schema_is_refused_through_the_pooler() {
    let Some((bouncer, db, mut direct)) = setup() else {
        return;
    };
    let schema = tenant(&mut direct, "tenant_r");
    let mut pooled = Client::connect(&bouncer.url(&db), NoTls).expect("through the pooler");
    let error = PG_TENANT_RUST_OUTSIDE
        .migrator()
        .schema(schema)
        .run(&mut pooled)
        .expect_err("refused");
    assert!(refused(&error).is_some(), "not a refusal: {error}");
    assert_eq!(count(&mut direct, "tenant_r.items"), 0);
    assert_eq!(count(&mut direct, "public.items"), 0);
}

/// The session's own `statement_timeout` and `lock_timeout`, set for it.
const SESSION_LIMITS: &str = "SET statement_timeout = '5min'; SET lock_timeout = '7s'";

/// What each migration of `pg_limits` ran under, by the server's reading.
fn limits_seen(client: &mut Client) -> Vec<(i32, String, String)> {
    client
        .query(
            "SELECT migration, statement_timeout, lock_timeout FROM seen ORDER BY 1",
            &[],
        )
        .expect("seen")
        .iter()
        .map(|row| (row.get(0), row.get(1), row.get(2)))
        .collect()
}

/// A limit set for one migration's statements ends with them: the next
/// migration, in the same transaction or the next one, runs under the
/// session's own `statement_timeout`, every statement under the run's lock
/// timeout, and the session has its own two back after the run.
#[test]
fn a_migrations_time_limit_ends_with_it_and_the_session_keeps_its_own() {
    for per_migration in [false, true] {
        let Some(db) = Scratch::new() else { return };
        let mut client = db.client();
        client
            .batch_execute(SESSION_LIMITS)
            .expect("session limits");
        PG_LIMITS
            .migrator()
            .per_migration(per_migration)
            .run(&mut client)
            .expect("runs");
        let seen = limits_seen(&mut client);
        assert_eq!(seen.len(), 2, "{seen:?}");
        let (_, limited, wait) = &seen[0];
        assert!(
            limited != "5min" && limited != "0",
            "per migration {per_migration}: the 10 s limit was not in force: {seen:?}"
        );
        assert_eq!(wait, "2s", "the run's lock timeout");
        assert_eq!(
            seen[1],
            (2, "5min".to_owned(), "2s".to_owned()),
            "per migration {per_migration}"
        );
        let after: Vec<String> = ["statement_timeout", "lock_timeout"]
            .iter()
            .map(|name| {
                client
                    .query_one(&format!("SHOW {name}"), &[])
                    .expect("show")
                    .get(0)
            })
            .collect();
        assert_eq!(after, ["5min", "7s"], "per migration {per_migration}");
    }
}

/// Without a schema, a time limit alone is what a statement that cannot
/// run in a transaction block cannot carry through the pooler: refused
/// unsent; on a session declared direct it is set around the statement
/// and the session's own given back.
#[test]
fn a_time_limit_on_a_concurrent_index_is_refused_through_the_pooler_and_set_on_a_direct_session() {
    let Some(bouncer) = Bouncer::with_pool(2) else {
        return;
    };
    let Some(db) = Scratch::new() else { return };
    let limited = || {
        PG_TENANT_CONCURRENT
            .migrator()
            .timeout(std::time::Duration::from_secs(10))
    };
    let mut pooled = Client::connect(&bouncer.url(&db), NoTls).expect("through the pooler");
    let error = limited().run(&mut pooled).expect_err("refused");
    let reason = refused(&error).unwrap_or_else(|| panic!("not a refusal: {error}"));
    assert_eq!(reason.schema, None);
    assert_eq!(reason.limit, Some(std::time::Duration::from_secs(10)));
    assert!(
        error.to_string().contains("the time limit of 10s"),
        "{error}"
    );
    let mut direct = db.client();
    let indexes: i64 = direct
        .query_one(
            "SELECT count(*) FROM pg_indexes WHERE indexname = 'items_n'",
            &[],
        )
        .expect("indexes")
        .get(0);
    assert_eq!(indexes, 0, "no index was built");

    let Some(db) = Scratch::new() else { return };
    let mut own = db.client();
    own.batch_execute(SESSION_LIMITS).expect("session limits");
    limited()
        .direct_connection(true)
        .run(&mut own)
        .expect("built");
    let timeout: String = own
        .query_one("SHOW statement_timeout", &[])
        .expect("show")
        .get(0);
    assert_eq!(timeout, "5min");
}

/// A failing statement outside a transaction, sent through the pooler
/// after its settings in one message, is reported at its own line and
/// column, as the server placed the error in the message.
#[test]
fn an_error_outside_a_transaction_through_the_pooler_is_placed_in_the_statement() {
    let Some(bouncer) = Bouncer::with_pool(2) else {
        return;
    };
    let Some(db) = Scratch::new() else { return };
    let mut pooled = Client::connect(&bouncer.url(&db), NoTls).expect("through the pooler");
    let error = PG_NO_TX_FAILING
        .migrate(&mut pooled)
        .expect_err("fails part-way");
    assert!(
        matches!(
            error,
            Error::MigrationFailed {
                line: 4,
                column: Some(13),
                rolled_back: false,
                ..
            }
        ),
        "{error}"
    );
}
