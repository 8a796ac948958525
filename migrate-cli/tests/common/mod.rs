//! What the command-line tests share: running the real binary and reading
//! what it printed.
#![allow(dead_code)]

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

/// Runs `migrate` in `dir` with `args`, without `DATABASE_URL`,
/// `MIGRATE_REPLAY_POSTGRES_URL` or `RUST_LOG`.
pub fn migrate(dir: &Path, args: &[&str]) -> Output {
    command(dir, args).output().expect("runs")
}

/// The command [`migrate`] runs, to add to.
pub fn command(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_migrate"));
    command.args(args);
    in_clean_env(&mut command, dir);
    command
}

/// `command` run in `dir` without `DATABASE_URL`,
/// `MIGRATE_REPLAY_POSTGRES_URL`, `RUST_LOG` or libpq's variables,
/// colours off.
pub fn in_clean_env(command: &mut Command, dir: &Path) {
    command.current_dir(dir);
    for variable in [
        "DATABASE_URL",
        "MIGRATE_REPLAY_POSTGRES_URL",
        "RUST_LOG",
        "PGPASSWORD",
        "PGSSLMODE",
        "PGSSLROOTCERT",
        "PGSSLCERT",
        "PGSSLKEY",
    ] {
        command.env_remove(variable);
    }
    command.env("NO_COLOR", "1");
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Fails with exit code 1, and returns standard error.
pub fn fails(output: &Output) -> String {
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}\n{}",
        stdout(output),
        stderr(output)
    );
    stderr(output)
}

/// Succeeds, and returns standard output.
pub fn ok(output: &Output) -> String {
    assert!(
        output.status.success(),
        "failed: {}\n{}",
        stdout(output),
        stderr(output)
    );
    stdout(output)
}

/// Writes `text` to `root/path`, creating its folders.
pub fn write(root: &Path, path: &str, text: &str) {
    let path = root.join(path);
    fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    fs::write(path, text).expect("write");
}
