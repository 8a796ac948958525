//! trybuild with `MIGRATE_REPLAY_POSTGRES_URL` set to the test server
//! (`MIGRATE_TEST_POSTGRES_URL`): PostgreSQL sets replayed on a scratch
//! database at build time, their problems compile errors, and no scratch
//! database left afterwards, when the build fails too; the password given
//! in `PGPASSWORD` is in no file of `target/` afterwards.
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
    // The password goes in `PGPASSWORD` (the test server trusts any): a
    // value of this run's own, looked for in every file the builds wrote.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos());
    let secret = format!("replay-secret-{}-{nanos}", std::process::id());
    std::env::set_var("PGPASSWORD", &secret);
    {
        let cases = trybuild::TestCases::new();
        cases.compile_fail("tests/postgres-replay/*.rs");
        cases.pass("tests/postgres-replay-pass/*.rs");
    }
    assert_eq!(scratch_databases(&url), Vec::<String>::new(), "left behind");
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"),
        std::path::PathBuf::from,
    );
    let (holding, read) = files_holding(&target.join("tests"), secret.as_bytes());
    assert!(
        read > 100,
        "only {read} files read under {}",
        target.display()
    );
    assert_eq!(
        holding,
        Vec::<std::path::PathBuf>::new(),
        "the password was written into target/"
    );
}

/// The files under `dir` whose bytes hold `needle`, and how many files
/// were read.
fn files_holding(dir: &std::path::Path, needle: &[u8]) -> (Vec<std::path::PathBuf>, usize) {
    let mut found = Vec::new();
    let mut read = 0;
    let mut folders = vec![dir.to_owned()];
    while let Some(folder) = folders.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            match entry.file_type() {
                Ok(kind) if kind.is_dir() => folders.push(path),
                Ok(kind) if kind.is_file() => {
                    read += 1;
                    let holds = std::fs::read(&path)
                        .is_ok_and(|bytes| memchr::memmem::find(&bytes, needle).is_some());
                    if holds {
                        found.push(path);
                    }
                }
                _ => {}
            }
        }
    }
    (found, read)
}
