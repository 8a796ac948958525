//! Compile-pass cases: what `embed_migrations!` builds at compile time is
//! exactly what `migrate-core` reads from the same directory at run time.

use std::path::Path;

use migrate_runtime::{embed_migrations, Migrations, Version};

static SINGLE: Migrations = embed_migrations!("fixtures/pass-single");
static PAIRS: Migrations = embed_migrations!("fixtures/pass-pairs");
// PostgreSQL-only SQL (`CREATE FUNCTION … plpgsql`, `CONCURRENTLY`): no SQLite replay.
static GOOSE: Migrations = embed_migrations!("fixtures/pass-goose", dialect = "postgres");
static TIMESTAMPS: Migrations = embed_migrations!("fixtures/pass-timestamps");
static ENVIRONMENTS: Migrations = embed_migrations!("fixtures/pass-environments");
static CRLF: Migrations = embed_migrations!("fixtures/pass-crlf");
static CRLF_TWIN: Migrations = embed_migrations!("fixtures/pass-crlf-twin");
static GAPS: Migrations = embed_migrations!("fixtures/gap-in-sequence", allow_gaps = true,);
// Other tools' layouts and spellings, each replayed on SQLite.
static HYBRID: Migrations = embed_migrations!("fixtures/pass-hybrid");
static UP_ONLY: Migrations = embed_migrations!("fixtures/pass-up-only");
static DBMATE: Migrations = embed_migrations!("fixtures/pass-dbmate");
static DIESEL: Migrations = embed_migrations!("fixtures/pass-diesel");
static REFINERY: Migrations = embed_migrations!("fixtures/pass-refinery");
static GOOSEPLUS: Migrations = embed_migrations!("fixtures/pass-gooseplus");
static NOOP: Migrations = embed_migrations!("fixtures/pass-noop");
static OWN_TRANSACTION: Migrations = embed_migrations!("fixtures/pass-own-transaction");

/// Asserts that the embedded set equals what `migrate_core::load` reads now:
/// versions, names, paths, environments, every statement with its line,
/// checksums and flags.
fn assert_same_as_core(embedded: &Migrations, dir: &str, allow_gaps: bool) {
    assert_same_as_core_in(embedded, dir, allow_gaps, migrate_core::Dialect::Sqlite);
}

/// [`assert_same_as_core`] for a set of `dialect`, whose rules read its files.
fn assert_same_as_core_in(
    embedded: &Migrations,
    dir: &str,
    allow_gaps: bool,
    dialect: migrate_core::Dialect,
) {
    let options = migrate_core::Options {
        allow_gaps,
        dialect,
        ..migrate_core::Options::default()
    };
    let set =
        migrate_core::load(Path::new(env!("CARGO_MANIFEST_DIR")), dir, &options).expect("valid");
    // One type for both: every field, statements and lines included.
    assert_eq!(embedded.all(), set.migrations.as_slice());
}

fn summary(migrations: &Migrations) -> Vec<(u64, &str, usize, Option<usize>)> {
    migrations
        .iter()
        .map(|m| {
            (
                m.version().0,
                m.name(),
                m.up().len(),
                m.down().map(<[_]>::len),
            )
        })
        .collect()
}

#[test]
fn single_files() {
    assert_same_as_core(&SINGLE, "fixtures/pass-single", false);
    assert_eq!(
        summary(&SINGLE),
        [
            (1, "create_users", 2, Some(2)),
            (2, "add_names", 2, Some(1)),
            (3, "audit", 2, None),
        ]
    );
    let first = SINGLE.get(Version(1)).expect("version 1");
    let lines: Vec<u32> = first
        .up()
        .iter()
        .map(migrate_runtime::Statement::line)
        .collect();
    assert_eq!(lines, [3, 7]);
    assert_eq!(first.down().expect("down")[1].line(), 11);
    assert_eq!(first.down().expect("down")[1].sql(), "DROP TABLE users;");
    assert!(SINGLE.get(Version(3)).expect("3").no_transaction());
    let trigger = &SINGLE.get(Version(3)).expect("3").up()[1];
    assert!(trigger.sql().starts_with("CREATE TRIGGER") && trigger.sql().ends_with("END;"));
    assert_eq!(trigger.line(), 4);
}

#[test]
fn pairs() {
    assert_same_as_core(&PAIRS, "fixtures/pass-pairs", false);
    assert_eq!(
        summary(&PAIRS),
        [
            (1, "create_items", 1, Some(1)),
            (2, "index_items", 1, Some(1)),
            (3, "rebuild_items", 4, None),
        ]
    );
    let index = PAIRS.get(Version(2)).expect("2");
    assert!(index.no_transaction());
    assert_eq!(index.up()[0].line(), 2);
    assert_eq!(
        index.down_path(),
        Some("fixtures/pass-pairs/2_index_items.down.sql")
    );
    assert!(PAIRS.get(Version(3)).expect("3").foreign_keys_off());
}

#[test]
fn goose_spelling() {
    assert_same_as_core_in(
        &GOOSE,
        "fixtures/pass-goose",
        false,
        migrate_core::Dialect::Postgres,
    );
    assert_eq!(
        summary(&GOOSE),
        [
            (20240105093000, "create_accounts", 1, Some(1)),
            (20240212171500, "add_balance", 2, Some(2)),
            (20240301000000, "concurrent_index", 1, Some(1)),
        ]
    );
    let function = &GOOSE.get(Version(20240212171500)).expect("function").up()[1];
    assert!(
        function.sql().ends_with("LANGUAGE plpgsql;"),
        "{}",
        function.sql()
    );
    assert!(GOOSE
        .get(Version(20240301000000))
        .expect("index")
        .no_transaction());
}

#[test]
fn timestamps() {
    assert_same_as_core(&TIMESTAMPS, "fixtures/pass-timestamps", false);
    let versions: Vec<u64> = TIMESTAMPS.iter().map(|m| m.version().0).collect();
    assert_eq!(versions, [20231231235959, 20240229120000]);
}

#[test]
fn environments() {
    assert_same_as_core(&ENVIRONMENTS, "fixtures/pass-environments", false);
    assert_eq!(ENVIRONMENTS.environments(), ["production", "test"]);
    let versions = |env| {
        ENVIRONMENTS
            .for_environment(env)
            .map(|m| m.version().0)
            .collect::<Vec<_>>()
    };
    assert_eq!(versions(None), [1, 4]);
    assert_eq!(versions(Some("test")), [1, 2, 4]);
    assert_eq!(versions(Some("production")), [1, 3, 4]);
    assert_eq!(ENVIRONMENTS.latest(Some("test")), Some(Version(4)));
}

#[test]
fn crlf_files_have_the_checksum_of_their_lf_twin() {
    assert_same_as_core(&CRLF, "fixtures/pass-crlf", false);
    let (crlf, lf) = (&CRLF.all()[0], &CRLF_TWIN.all()[0]);
    assert_eq!(crlf.checksum(), lf.checksum());
    assert_eq!(crlf.up()[0].sql(), "CREATE TABLE t (x INT);");
    assert_eq!(crlf.up()[1].line(), 4);
}

#[test]
fn allow_gaps_accepts_a_gap() {
    assert_same_as_core(&GAPS, "fixtures/gap-in-sequence", true);
    let versions: Vec<u64> = GAPS.iter().map(|m| m.version().0).collect();
    assert_eq!(versions, [1, 2, 4]);
}

/// Triggers, views, a reversible table rebuild with foreign keys off, seed
/// data and a `NoCheck` file: replayed and proven reversible at build time.
static REPLAYED: Migrations = embed_migrations!("fixtures/pass-replay");

#[test]
fn replayed_set_with_triggers_views_rebuild_and_seed_data() {
    assert_same_as_core(&REPLAYED, "fixtures/pass-replay", false);
    assert_eq!(REPLAYED.len(), 5);
    assert!(REPLAYED
        .get(Version(3))
        .expect("rebuild")
        .foreign_keys_off());
}

/// Versions, names and whether each is reversible and runs in a transaction.
fn shape(migrations: &Migrations) -> Vec<(u64, &str, bool, bool)> {
    migrations
        .iter()
        .map(|m| {
            (
                m.version().0,
                m.name(),
                m.is_reversible(),
                !m.no_transaction(),
            )
        })
        .collect()
}

#[test]
fn goose_hybrid_versions() {
    assert_same_as_core(&HYBRID, "fixtures/pass-hybrid", false);
    let versions: Vec<u64> = HYBRID.iter().map(|m| m.version().0).collect();
    assert_eq!(versions, [1, 2, 20240101120000]);
}

#[test]
fn sqlx_plain_files_are_up_only() {
    assert_same_as_core(&UP_ONLY, "fixtures/pass-up-only", false);
    assert_eq!(
        shape(&UP_ONLY),
        [
            (20210422143411, "create_history", false, true),
            (20220505083406, "add-search-index", false, true),
        ]
    );
}

#[test]
fn dbmate_sections() {
    assert_same_as_core(&DBMATE, "fixtures/pass-dbmate", false);
    assert_eq!(
        shape(&DBMATE),
        [
            (20151129054053, "create_users", true, true),
            (20200227231541, "index_users", true, false),
        ]
    );
}

#[test]
fn diesel_folders() {
    assert_same_as_core(&DIESEL, "fixtures/pass-diesel", false);
    assert_eq!(
        shape(&DIESEL),
        [
            (0, "diesel_initial_setup", true, true),
            (2018011417161100000, "create_users", true, true),
            (2018020109000000000, "index_users", true, false),
        ]
    );
}

#[test]
fn refinery_files() {
    assert_same_as_core(&REFINERY, "fixtures/pass-refinery", false);
    assert_eq!(
        shape(&REFINERY),
        [
            (1, "initial", false, true),
            (2, "url", false, true),
            (3, "seed", false, true)
        ]
    );
    let unordered: Vec<bool> = REFINERY
        .iter()
        .map(migrate_runtime::Migration::unordered)
        .collect();
    assert_eq!(unordered, [false, false, true]);
}

#[test]
fn gooseplus_environments_reuse_a_version() {
    assert_same_as_core(&GOOSEPLUS, "fixtures/pass-gooseplus", false);
    assert_eq!(GOOSEPLUS.environments(), ["production", "test"]);
    for (environment, value) in [
        ("production", "Two in production"),
        ("test", "Two in tests"),
    ] {
        let last = GOOSEPLUS
            .for_environment(Some(environment))
            .last()
            .expect("a migration");
        assert_eq!(last.version(), Version(20231103204911));
        assert!(last.up()[0].sql().contains(value), "{environment}");
    }
    assert_eq!(GOOSEPLUS.for_environment(None).count(), 2);
}

#[test]
fn no_op_migrations() {
    assert_same_as_core(&NOOP, "fixtures/pass-noop", false);
    assert_eq!(
        shape(&NOOP),
        [
            (1, "owners", true, true),
            (2, "empty", true, true),
            (3, "placeholder", true, true)
        ]
    );
}

#[test]
fn files_with_their_own_transaction_run_outside_the_runners() {
    assert_same_as_core(&OWN_TRANSACTION, "fixtures/pass-own-transaction", false);
    assert_eq!(
        shape(&OWN_TRANSACTION),
        [
            (20240731203656, "init", true, true),
            (20240813211251, "unique_email", true, false),
        ]
    );
}
