//! What the command line prints: the library's errors, problems and
//! status with their remedies in the command line's words (flags and
//! commands, through [`CommandLine`]), and output that a closed pipe
//! (`migrate status | head`) does not turn into a panic.

use std::borrow::Cow;
use std::io::Write;

use migrate_runtime::{Remedy, Wording};

/// The command line's words for the library's remedies.
pub struct CommandLine;

impl Wording for CommandLine {
    fn remedy(&self, remedy: Remedy) -> Cow<'static, str> {
        Cow::Borrowed(match remedy {
            Remedy::Adopt => "`migrate adopt`",
            Remedy::ChooseTable => "`--table NAME`",
            Remedy::DownTo => "`migrate down --to VERSION`",
            Remedy::AllowOutOfOrder => "`--allow-out-of-order`",
            Remedy::BusyTimeout => "`--busy-timeout MS`",
            Remedy::LockLease => "`--lock-lease MS`",
            Remedy::DirectConnection => "`--direct`",
            Remedy::LockTimeout => "`--lock-timeout MS`",
            Remedy::BackupDir => "`--backup-dir DIR`",
            Remedy::NoBackup => "`--no-backup`",
            Remedy::Status => "`migrate status`",
            Remedy::TimeLimits => "`--timeout MS` / `--run-timeout MS`",
            Remedy::Target => "`--to VERSION`",
            Remedy::ResolveAny => "`migrate resolve VERSION --applied | --pending`",
            Remedy::Resolve(version) => {
                return format!("`migrate resolve {version} --applied | --pending`").into();
            }
            Remedy::ResolveApplied(version) => {
                return format!("`migrate resolve {version} --applied`").into();
            }
            Remedy::ResolvePending(version) => {
                return format!("`migrate resolve {version} --pending`").into();
            }
            Remedy::NewerRelease => {
                "use that release's migration directory, or a newer one (`--dir DIR`)"
            }
            Remedy::AllowGaps => "`--allow-gaps`",
            Remedy::RunRustMigrations => {
                "the `migrate` command cannot compile Rust: run your application's migrations, \
                 or a small binary of three lines, `static MIGRATIONS: Migrations = \
                 embed_migrations!(\"migrations\");` and `MIGRATIONS.migrate(&mut conn)?` in \
                 `main` (see the README's \"Rust migrations\")"
            }
            _ => return migrate_runtime::Library.remedy(remedy),
        })
    }

    fn embedded(&self) -> &'static str {
        "the migration directory"
    }

    fn relative_to(&self) -> &'static str {
        "the working directory, `--dir`"
    }
}

/// A problem of the migration directory, as the command line says it.
pub fn problem(problem: &migrate_core::Problem) -> String {
    problem.worded(&CommandLine).to_string()
}

/// A runtime error for a person at a terminal: its one-line message with
/// the remedy in the command line's words, and the failing statement on
/// the next line when there is one.
pub fn describe(error: &migrate_runtime::Error) -> String {
    let mut text = error.worded(&CommandLine).to_string();
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
    use migrate_runtime::{Library, Remedy, Version, Wording};

    use super::CommandLine;

    #[test]
    fn every_remedy_speaks_of_flags_and_commands() {
        let remedies = [
            Remedy::Adopt,
            Remedy::ChooseTable,
            Remedy::DownTo,
            Remedy::AllowOutOfOrder,
            Remedy::BusyTimeout,
            Remedy::LockLease,
            Remedy::LockTimeout,
            Remedy::BackupDir,
            Remedy::NoBackup,
            Remedy::Status,
            Remedy::TimeLimits,
            Remedy::Target,
            Remedy::ResolveAny,
            Remedy::ResolveApplied(Version(2)),
            Remedy::ResolvePending(Version(2)),
            Remedy::NewerRelease,
            Remedy::AllowGaps,
            Remedy::RunRustMigrations,
            Remedy::DirectConnection,
        ];
        for remedy in remedies {
            let said = CommandLine.remedy(remedy);
            assert!(!said.contains("(…)"), "{remedy:?}: {said}");
            assert!(!said.contains("Resolution::"), "{remedy:?}: {said}");
            assert_ne!(said, Library.remedy(remedy), "{remedy:?}");
        }
    }
}
