//! The service started twice on a fresh SQLite file: the first start
//! migrates (there is nothing to back up yet), the second finds nothing to
//! do, and both serve.

use std::process::Command;

fn start(url: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_sqlx-sqlite-service"))
        .env("DATABASE_URL", url)
        .output()
        .expect("the service runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_service_migrates_on_start_with_its_own_pool() {
    let dir = tempfile::tempdir().expect("a folder");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("app.db").display());
    let first = start(&url);
    assert!(
        first.starts_with("moved the database from version none (no migration applied) to 2"),
        "{first}"
    );
    assert!(first.ends_with("serving 1 account(s)\n"), "{first}");
    let second = start(&url);
    assert!(
        second.starts_with("nothing to do: the database is at version 2"),
        "{second}"
    );
    assert!(second.ends_with("serving 1 account(s)\n"), "{second}");
}
