//! What the command line prints: the runtime's errors with the library's
//! advice (methods) said as flags and commands, and output that a closed
//! pipe (`migrate status | head`) does not turn into a panic.

use std::io::Write;

/// The library's words for what to do, and the command line's.
const ADVICE: &[(&str, &str)] = &[
    ("`Migrator::adopt`", "`migrate adopt`"),
    ("with `table(…)`", "with `--table NAME`"),
    ("`down_to(…)`", "`migrate down --to VERSION`"),
    (
        "with `allow_out_of_order(true)`",
        "with `--allow-out-of-order`",
    ),
    ("with `busy_timeout(…)`", "with `--busy-timeout MS`"),
    ("with `lock_lease(…)`", "with `--lock-lease MS`"),
    ("with `backup_dir(…)`", "with `--backup-dir DIR`"),
    ("with `backup(false)`", "with `--no-backup`"),
    ("(`status` lists them)", "(`migrate status` lists them)"),
    (
        "`timeout(…)` / `run_timeout(…)`",
        "`--timeout MS` / `--run-timeout MS`",
    ),
    (
        "`status` shows each migration's state",
        "`migrate status` shows each migration's state",
    ),
    (
        "(`resolve(…)`)",
        "(`migrate resolve VERSION --applied | --pending`)",
    ),
    ("this binary knows", "the migration directory has"),
    ("in this binary", "in the migration directory"),
    (
        "run that release (or a newer one), or revert the database with it",
        "use that release's migration directory (or a newer one)",
    ),
];

/// A problem of the migration directory, as the command line says it: the
/// macro's options as flags.
pub fn problem(problem: &migrate_core::Problem) -> String {
    problem
        .to_string()
        .replace("pass `allow_gaps = true`", "pass `--allow-gaps`")
        .replace(
            "which is relative to the crate root",
            "which is relative to the working directory (`--dir`)",
        )
}

/// A runtime error for a person at a terminal: its one-line message with
/// the advice in the command line's words, and the failing statement on
/// the next line when there is one.
pub fn describe(error: &migrate_runtime::Error) -> String {
    let mut text = error.to_string();
    for (library, command_line) in ADVICE {
        text = text.replace(library, command_line);
    }
    if let migrate_runtime::Error::FailedMigration { version, .. } = error {
        for (resolution, flag) in [("Applied", "--applied"), ("Pending", "--pending")] {
            text = text.replace(
                &format!("`resolve(Version({version}), Resolution::{resolution})`"),
                &format!("`migrate resolve {version} {flag}`"),
            );
        }
    }
    if let migrate_runtime::Error::MigrationFailed { statement, .. } = error {
        text.push_str("\n  in statement: ");
        text.push_str(statement);
    }
    text
}

/// Writes `text` to standard output; a reader that went away (`| head`)
/// ends the output quietly instead of panicking.
pub fn print(text: &str) {
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

/// [`print`] with a newline.
pub fn println(text: &str) {
    print(&format!("{text}\n"));
}

/// Writes `line` and a newline to standard error in one write: progress
/// lines stay whole when several processes share a terminal.
pub fn progress(line: &str) {
    let _ = std::io::stderr().write_all(format!("{line}\n").as_bytes());
}

#[cfg(test)]
mod tests {
    use super::ADVICE;

    #[test]
    fn the_advice_speaks_of_flags() {
        for (library, command_line) in ADVICE {
            assert!(!command_line.contains("(…)"), "{library} -> {command_line}");
        }
    }
}
