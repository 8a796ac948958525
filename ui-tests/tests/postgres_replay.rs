//! trybuild with `MIGRATE_REPLAY_POSTGRES_URL` set to the test server
//! (`MIGRATE_TEST_POSTGRES_URL`): PostgreSQL sets replayed on a scratch
//! database at build time, their problems compile errors, and no scratch
//! database left afterwards, when the build fails too.
//!
//! Regenerate the `.stderr` files with `TRYBUILD=overwrite cargo test -p
//! migrate-ui-tests --test postgres_replay`, then read every change.

use migrate_runtime::postgres::{Client, NoTls};

/// The replay's scratch databases still on the server. Test binaries run
/// one after another, so no other replay is under way.
fn scratch_databases(url: &str) -> Vec<String> {
    let mut client = Client::connect(url, NoTls).expect("connect");
    client
        .query(
            "SELECT datname::text FROM pg_database WHERE datname LIKE 'migrate\\_replay\\_%'",
            &[],
        )
        .expect("list databases")
        .iter()
        .map(|row| row.get(0))
        .collect()
}

#[test]
fn postgres_replay() {
    let url = std::env::var("MIGRATE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    if Client::connect(&url, NoTls).is_err() {
        assert!(
            std::env::var_os("MIGRATE_REQUIRE_SERVERS").is_none(),
            "no server answers at MIGRATE_TEST_POSTGRES_URL; MIGRATE_REQUIRE_SERVERS is set, so this is a failure"
        );
        eprintln!("skipped: no server answers at MIGRATE_TEST_POSTGRES_URL");
        return;
    }
    // This binary runs this one test, which sets the variables before
    // anything else reads the environment (see `ui.rs`).
    std::env::set_var("MIGRATE_MANIFEST_DIR", env!("CARGO_MANIFEST_DIR"));
    std::env::set_var("MIGRATE_REPLAY_POSTGRES_URL", &url);
    {
        let cases = trybuild::TestCases::new();
        cases.compile_fail("tests/postgres-replay/*.rs");
        cases.pass("tests/postgres-replay-pass/*.rs");
    }
    assert_eq!(scratch_databases(&url), Vec::<String>::new(), "left behind");
}
