//! Everything that can be wrong with a migration directory, and how it is said.

use std::fmt;

use crate::{Library, Remedy, SplitError, Version, Worded, Wording};

/// One problem of a migration directory: where it is and what it is.
///
/// `Display` writes the message the compile error and `migrate validate`
/// show: `path:line: what is wrong; what to do`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file or directory, relative to the crate root (or the working
    /// directory of the CLI), with `/` separators.
    pub path: String,
    /// The 1-based line in that file, where the problem has one.
    pub line: Option<u32>,
    /// What is wrong.
    pub kind: ProblemKind,
}

impl Problem {
    /// A problem at `path` (and `line`, where there is one).
    pub fn new(path: impl Into<String>, line: Option<u32>, kind: ProblemKind) -> Problem {
        Problem {
            path: path.into(),
            line,
            kind,
        }
    }
}

impl Problem {
    /// The problem with its remedy in `wording`'s words (the command
    /// line's flags, say); [`Display`](fmt::Display) uses [`Library`]'s.
    pub fn worded<'a>(&'a self, wording: &'a dyn Wording) -> Worded<'a, Problem> {
        Worded::new(self, wording, |problem, f, wording| {
            let kind = problem.kind.worded(wording);
            match (problem.line, problem.kind.column()) {
                (Some(line), Some(column)) => {
                    write!(f, "{}:{line}:{column}: {kind}", problem.path)
                }
                (Some(line), None) => write!(f, "{}:{line}: {kind}", problem.path),
                (None, _) => write!(f, "{}: {kind}", problem.path),
            }
        })
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.worded(&Library).fmt(f)
    }
}

impl std::error::Error for Problem {}

/// What is wrong, with the values a person needs to fix it. Each variant's
/// message (what is wrong; what to do) is written beside it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProblemKind {
    /// The migration directory does not exist.
    #[error("{}", self.worded(&Library))]
    DirectoryMissing,
    /// The migration directory's path names a file.
    #[error("is a file, not a directory; point to the folder that holds the migration files")]
    NotADirectory,
    /// The build's replay ran past its limit before this migration: it and
    /// the ones after it were not checked.
    #[error(
        "the replay stopped here: it ran past the {minutes} minutes one build may spend replaying, so this migration and the ones after it were not checked; a set that needs longer turns the replay off (`check = false, reason = \"…\"`)"
    )]
    ReplayOverBuildLimit {
        /// The limit, in minutes.
        minutes: u64,
    },
    /// A symbolic link to nothing: its target does not exist.
    #[error("links to `{target}`, which does not exist; restore the file, or remove the link")]
    LinkDangling {
        /// The link's target, as the link says it.
        target: String,
    },
    /// A symbolic link that cannot be followed (a loop of links, a target
    /// that cannot be read).
    #[error("links to `{target}`, which cannot be followed: {cause}; link to the file itself")]
    LinkUnfollowable {
        /// The link's target, as the link says it.
        target: String,
        /// Why, as the operating system says it ("Too many levels of
        /// symbolic links" for a loop).
        cause: String,
    },
    /// A symbolic link to something outside the migration directory.
    #[error(
        "links to `{target}`, outside the migration directory; copy the file into the directory, or link to one inside it"
    )]
    LinkOutside {
        /// The link's target, as the link says it.
        target: String,
    },
    /// A NUL byte in a migration file.
    #[error(
        "NUL byte in the file; SQLite stops reading a statement at a NUL and would silently skip the rest, so remove it"
    )]
    NulByte,
    /// The migration directory, or a file in it, could not be read.
    #[error("cannot be read: {message}")]
    Unreadable {
        /// The operating system's message.
        message: String,
    },
    /// The directory holds no migration files.
    #[error(
        "no migrations found; add a file such as `001_init.sql` (`migrate new init` creates one)"
    )]
    EmptyDirectory,
    /// A directory inside an environment folder.
    #[error(
        "directory inside an environment folder; environment folders hold migration files only"
    )]
    NestedDirectory,
    /// An environment folder whose name is not letters, digits, `_` and `-`.
    #[error(
        "environment folder `{name}` is not a valid environment name; use letters, digits, `_` and `-`"
    )]
    InvalidEnvironmentName {
        /// The folder's name.
        name: String,
    },
    /// A `.sql` file whose name does not start with a version number.
    #[error(
        "file name does not start with a version; name it `<version>_<name>.sql`, e.g. `001_create_users.sql`"
    )]
    MissingVersion,
    /// refinery's `V<version>__<name>.rs`, a function returning SQL text.
    #[error(
        "this is a refinery Rust migration, which returns SQL text; put that SQL in \
         `V<version>__<name>.sql`, byte for byte (print it once: `print!(\"{{}}\", migration())`), or make it \
         a Rust migration of this format, `<version>_<name>.rs` with `pub fn up` (see the README's \
         \"Rust migrations\")"
    )]
    RefineryRustMigration,
    /// A Rust migration without `pub fn up`.
    #[error(
        "Rust migration defines no `pub fn up`; add it, e.g. \
         `pub fn up(tx: &rusqlite::Connection) -> Result<(), Box<dyn std::error::Error + Send + Sync>>`"
    )]
    RustWithoutUp,
    /// A Rust migration's `up` or `down` that is not `pub`.
    #[error("`fn {function}` must be public: write `pub fn {function}`")]
    RustFunctionNotPublic {
        /// `up` or `down`.
        function: String,
    },
    /// A `// +migrate` line of a Rust migration that is not one it takes.
    #[error(
        "`// +migrate {directive}` is not a directive of a Rust migration; it takes \
         `// +migrate NoTransaction`, `// +migrate Timeout <duration>` and \
         `// +migrate LockTimeout <duration>`"
    )]
    UnknownRustDirective {
        /// The directive as written.
        directive: String,
    },
    /// A file or folder that no known layout takes, with what it seems to be.
    #[error("{what}")]
    UnknownLayout {
        /// What the name seems to be and what to do, said for a person.
        what: String,
    },
    /// A folder named like a diesel migration without its `up.sql`.
    #[error(
        "folder named like a diesel migration (`<version>_<name>/`) has no `up.sql`; add `up.sql` (and `down.sql`), or rename the folder if it is an environment"
    )]
    MigrationFolderWithoutUp,
    /// A `.sql` file whose name has a version but no `_<name>` after it.
    #[error(
        "file name has no name after its version; name it `<version>_<name>.sql`, e.g. `001_create_users.sql`"
    )]
    MissingName,
    /// A `.sql` file whose version is not followed by `_`.
    #[error(
        "version is not followed by `_`; name it `<version>_<name>.sql`, e.g. `001_create_users.sql`"
    )]
    MissingSeparator,
    /// A migration name with a path separator or a control character.
    #[error(
        "migration name `{}` has a control character or a path separator; rename the file",
        name.escape_debug()
    )]
    InvalidName {
        /// The name as written.
        name: String,
    },
    /// A version too large for 64 bits.
    #[error("version `{digits}` does not fit in 64 bits; use a smaller number")]
    VersionTooLarge {
        /// The digits as written.
        digits: String,
    },
    /// A file that is not UTF-8 text.
    #[error("file is not UTF-8 text; save it as UTF-8")]
    NotUtf8,
    /// Several files with the same version.
    #[error(
        "version {version} is used by {} files: {}; give each migration its own version (`migrate fix` renumbers)",
        files.len(),
        list(files)
    )]
    DuplicateVersion {
        /// The version.
        version: Version,
        /// Every file with that version, this one first.
        files: Vec<String>,
    },
    /// A timestamp version left among sequential ones (goose's hybrid
    /// versioning), reported by `migrate validate --sequential-only`.
    #[error(
        "timestamp version {version}; run `migrate fix` before the release to renumber it to a sequential version"
    )]
    LeftoverTimestamp {
        /// The timestamp version.
        version: Version,
    },
    /// A 14-digit version, in a directory of timestamps, that is not a real date.
    #[error(
        "version `{digits}` is not a real UTC date and time `YYYYMMDDHHMMSS`; fix the timestamp"
    )]
    InvalidTimestamp {
        /// The digits as written.
        digits: String,
    },
    /// A sequential set whose first version is not 1.
    #[error("{}", self.worded(&Library))]
    DoesNotStartAtOne {
        /// The first version present.
        first: Version,
    },
    /// Versions missing from a sequential set.
    #[error("{}", self.worded(&Library))]
    Gap {
        /// The first missing version.
        from: Version,
        /// The last missing version.
        to: Version,
        /// The file before the gap.
        after: String,
    },
    /// A `.down.sql` file without its `.up.sql`.
    #[error("`.down.sql` file without its `.up.sql`; add the `.up.sql` file or remove this one")]
    OrphanDown,
    /// An `.up.sql` and a `.down.sql` of one version with different names.
    #[error(
        "the name differs from its down file `{down}`{}; give both files of a pair the same name",
        if up_name.ends_with('.') { " (one dot too many before `up.sql`?)" } else { "" }
    )]
    PairNameMismatch {
        /// The name in the `.up.sql` file's name.
        up_name: String,
        /// The `.down.sql` file.
        down: String,
    },
    /// A `.up.sql` without a `.down.sql` that was not declared irreversible,
    /// in a directory where other migrations have a Down.
    #[error(
        "no down file `{expected}`, while other migrations of this directory have one; add it, or put `-- +migrate Irreversible` in this file to declare the migration irreversible"
    )]
    MissingDownFile {
        /// The `.down.sql` file that would make the pair.
        expected: String,
    },
    /// A file without section annotations in a directory whose other
    /// single-file migrations have them.
    #[error(
        "no `-- +migrate Up` line, while the other migrations of this directory are written with sections; start the migration with `-- +migrate Up` (goose: `-- +goose Up`, dbmate: `-- migrate:up`)"
    )]
    MissingUp,
    /// A migration without a Down that was not declared irreversible, in a
    /// directory where other migrations have a Down.
    #[error(
        "no `-- +migrate Down` section, while other migrations of this directory have one; add one, or write `-- +migrate Down irreversible` to declare the migration irreversible"
    )]
    MissingDown,
    /// SQL before the first section annotation.
    #[error("SQL before the first `-- +migrate Up`; only comments may come before it")]
    SqlBeforeUp,
    /// A second `-- +migrate Up`.
    #[error(
        "second `-- +migrate Up` (the first is on line {first}); a migration has one Up section"
    )]
    SecondUp {
        /// The line of the first one.
        first: u32,
    },
    /// A second `-- +migrate Down`.
    #[error(
        "second `-- +migrate Down` (the first is on line {first}); a migration has one Down section"
    )]
    SecondDown {
        /// The line of the first one.
        first: u32,
    },
    /// `-- +migrate Down` before `-- +migrate Up`.
    #[error("`-- +migrate Down` before `-- +migrate Up`; put the Up section first")]
    DownBeforeUp,
    /// An Up section (or `.up.sql` file) without a statement whose Down has one.
    #[error(
        "the Up section has no SQL statement but the Down has; add the Up's SQL (a migration with neither is a valid no-op)"
    )]
    EmptyUp,
    /// A migration declared irreversible that still has Down SQL or a `.down.sql`.
    #[error(
        "the migration is declared irreversible but has Down SQL; remove the Down SQL or the `irreversible` mark"
    )]
    IrreversibleWithDown,
    /// An annotation this format does not know.
    #[error("unknown annotation `{text}`; {}", annotation_hint(text, *suggestion))]
    UnknownAnnotation {
        /// The annotation as written, e.g. `-- +migrate Upp`.
        text: String,
        /// The known annotation it most resembles.
        suggestion: Option<&'static str>,
    },
    /// `-- +migrate Up` or `Down` inside a `.up.sql` or `.down.sql` file.
    #[error(
        "section annotation in a `.up.sql`/`.down.sql` file; the file itself is the section, remove the annotation"
    )]
    SectionInPairFile,
    /// `StatementBegin` without `StatementEnd`.
    #[error("`-- +migrate StatementBegin` without `-- +migrate StatementEnd`; close the block")]
    UnclosedStatementBegin,
    /// `StatementEnd` without `StatementBegin`.
    #[error(
        "`-- +migrate StatementEnd` without `-- +migrate StatementBegin`; open the block or remove this line"
    )]
    StatementEndWithoutBegin,
    /// `StatementBegin` inside a `StatementBegin` block.
    #[error(
        "`-- +migrate StatementBegin` inside the block opened on line {open}; close that block first"
    )]
    NestedStatementBegin {
        /// The line of the open block.
        open: u32,
    },
    /// `StatementBegin` before the first section.
    #[error("`-- +migrate StatementBegin` before `-- +migrate Up`; blocks belong inside a section")]
    StatementBeginOutsideSection,
    /// A section annotation inside an open `StatementBegin` block.
    #[error(
        "section annotation inside the block opened on line {open}; add `-- +migrate StatementEnd` before it"
    )]
    AnnotationInsideBlock {
        /// The line of the open block.
        open: u32,
    },
    /// Text that does not split into SQL statements: a quote, comment or
    /// dollar quote that is never closed, or what is not SQL (a psql
    /// meta-command, `COPY … FROM stdin`).
    #[error("{0}")]
    Unsplit(SplitError),
    /// `-- +migrate NoCheck` without a reason after it.
    #[error(
        "`-- +migrate NoCheck` needs a reason after it, e.g. `-- +migrate NoCheck uses the spatialite extension`"
    )]
    NoCheckWithoutReason,
    /// A `BEGIN` the section never ends.
    #[error(
        "this `BEGIN` opens a transaction that the file never ends (no `COMMIT`, `END` or `ROLLBACK` after it): the run, and the build's replay, would stay inside it; end it in the same section"
    )]
    TransactionNeverEnded,
    /// A `BEGIN` while the file's own transaction is open.
    #[error(
        "a transaction is already open here (its `BEGIN` is on line {since}); end it with `COMMIT` before opening another"
    )]
    TransactionAlreadyOpen {
        /// The line of the open transaction's `BEGIN`.
        since: u32,
    },
    /// A `COMMIT`, `END` or `ROLLBACK` with no transaction of the file's open.
    #[error(
        "this ends a transaction that the file did not open (no `BEGIN` before it in the section); a migration runs in the run's transaction unless it opens its own: remove it, or add the `BEGIN`"
    )]
    TransactionNotOpen,
    /// `-- +migrate Idempotent` without a reason.
    #[error(
        "`-- +migrate Idempotent` needs a reason after it, e.g. `-- +migrate Idempotent every statement says IF NOT EXISTS`"
    )]
    IdempotentWithoutReason,
    /// `-- +migrate Idempotent` on a migration that runs in a transaction.
    #[error(
        "`-- +migrate Idempotent` is for migrations outside a transaction (`-- +migrate NoTransaction`): one in a transaction is never left half-applied, so it never goes on from where a run stopped"
    )]
    IdempotentInTransaction,
    /// `-- +migrate Allow <code>` without a reason after the code.
    #[error(
        "`-- +migrate Allow {code}` needs a reason after the code, e.g. `-- +migrate Allow {code} the table is empty in every deployment`"
    )]
    AllowWithoutReason {
        /// The code as written.
        code: String,
    },
    /// `-- +migrate Allow` naming a lint code that does not exist.
    #[error("`{code}` is not a lint code; the codes are {}", crate::Rule::codes())]
    UnknownLintCode {
        /// The code as written.
        code: String,
    },
    /// `-- +migrate Timeout` or `LockTimeout` without a duration it can read.
    #[error(
        "`-- +migrate {directive}` needs a duration after it, a number and a unit: `500ms`, `30s`, `5m` or `1h` (found `{text}`)"
    )]
    BadTimeout {
        /// The directive: `Timeout` or `LockTimeout`.
        directive: &'static str,
        /// What followed it.
        text: String,
    },
    /// A statement failed when the migrations were replayed on SQLite.
    #[error("{message}; found by replaying {} on SQLite at build time{}", section.described(), failure_hint(message))]
    StatementFailed {
        /// Which section the statement is in.
        section: ReplayedSection,
        /// SQLite's message.
        message: String,
    },
    /// PostgreSQL's parser refused a statement (`dialect = "postgres"`).
    #[error("{message}; found by PostgreSQL's parser at build time")]
    PostgresSyntax {
        /// The 1-based column of the line the parser points at.
        column: u32,
        /// The parser's message, e.g. `syntax error at or near "CREAT"`.
        message: String,
    },
    /// A statement failed when the migrations were replayed on a scratch
    /// PostgreSQL database (`dialect = "postgres"` with a replay server).
    #[error(
        "SQLSTATE {code}: {message}; found by replaying {} on a scratch PostgreSQL database at build time",
        section.described()
    )]
    PostgresFailed {
        /// Which section the statement is in.
        section: ReplayedSection,
        /// The 1-based column of the line the server's error points at, where it points.
        column: Option<u32>,
        /// The server's SQLSTATE, e.g. `42P01`.
        code: String,
        /// The server's message, with its detail and hint where it gives them.
        message: String,
    },
    /// A statement failed when the migrations were replayed on a scratch
    /// MySQL or MariaDB database (`dialect = "mysql"` with a replay server).
    #[error(
        "ERROR {code} ({state}): {message}; found by replaying {} on a scratch {server} database at build time",
        section.described()
    )]
    MysqlFailed {
        /// Which section the statement is in.
        section: ReplayedSection,
        /// The server: `MySQL 8.4.2` or `MariaDB 10.11.6`.
        server: String,
        /// The server's error number, e.g. `1146`.
        code: u16,
        /// The server's SQLSTATE, e.g. `42S02`.
        state: String,
        /// The server's message.
        message: String,
    },
    /// A Down section does not restore the schema its Up section changed.
    #[error(
        "Down of {migration} {difference}; make the Down section undo exactly what the Up section does, or declare the migration irreversible"
    )]
    DownDoesNotRestore {
        /// The migration, as `<version>_<name>`.
        migration: String,
        /// What differs, e.g. ``leaves index `a_n` behind``.
        difference: String,
    },
}

impl ProblemKind {
    /// What is wrong and what to do, the remedy in `wording`'s words.
    pub fn worded<'a>(&'a self, wording: &'a dyn Wording) -> Worded<'a, ProblemKind> {
        Worded::new(self, wording, |kind, f, wording| match kind {
            ProblemKind::DirectoryMissing => write!(
                f,
                "migration directory does not exist; create it or fix the path (a relative path is from {})",
                wording.relative_to()
            ),
            ProblemKind::DoesNotStartAtOne { first } => write!(
                f,
                "sequential versions start at {first}, not 1; renumber from 1, or pass {} for a squashed history",
                wording.remedy(Remedy::AllowGaps)
            ),
            ProblemKind::Gap { from, to, after } => write!(
                f,
                "{} missing after `{after}`; renumber the files (`migrate fix`), or pass {} for a squashed history",
                missing(*from, *to),
                wording.remedy(Remedy::AllowGaps)
            ),
            other => fmt::Display::fmt(other, f),
        })
    }

    /// The column the problem is at, where it has one.
    pub fn column(&self) -> Option<u32> {
        match self {
            ProblemKind::PostgresSyntax { column, .. } => Some(*column),
            ProblemKind::PostgresFailed { column, .. } => *column,
            _ => None,
        }
    }

    /// The database's message of a statement that failed in a replay, for
    /// the replay to add what it knows (that an earlier failure may explain it).
    pub fn replay_message_mut(&mut self) -> Option<&mut String> {
        match self {
            ProblemKind::StatementFailed { message, .. }
            | ProblemKind::PostgresFailed { message, .. }
            | ProblemKind::MysqlFailed { message, .. } => Some(message),
            _ => None,
        }
    }
}

/// Advice for a replay failure whose fix is known.
fn failure_hint(message: &str) -> &'static str {
    if message.starts_with("no such function") || message.starts_with("no such module") {
        "; if the application or an extension provides it at run time, write `-- +migrate NoCheck <reason>` in the migration"
    } else if message.contains("within a transaction") {
        "; the file controls its own transaction, so it runs outside the runner's (as `-- +migrate NoTransaction`)"
    } else {
        ""
    }
}

/// `version 3 is` or `versions 3 to 5 are`.
fn missing(from: Version, to: Version) -> String {
    if from == to {
        format!("version {from} is")
    } else {
        format!("versions {from} to {to} are")
    }
}

/// `did you mean …?`, or the list of the known annotations.
fn annotation_hint(text: &str, suggestion: Option<&str>) -> String {
    match suggestion {
        Some(s) => {
            let prefix = text.split_whitespace().next().unwrap_or("+migrate");
            if prefix == "+migrate" || prefix == "+goose" {
                format!("did you mean `-- {prefix} {s}`?")
            } else {
                // Another tool's spelling: say this format's.
                format!(
                    "this format reads `-- +migrate {s}` (or goose's `-- +goose {s}`, dbmate's `-- migrate:{}`)",
                    s.to_ascii_lowercase()
                )
            }
        }
        None => format!("known ones are {}", crate::sections::known_annotations()),
    }
}

/// The part of a migration whose statement failed in the replay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplayedSection {
    /// The Up section, applied the first time.
    Up,
    /// The Down section, applied right after the Up.
    Down,
    /// The Up section, applied again after the Down.
    UpAgain,
}

impl ReplayedSection {
    /// How the replay message names it.
    fn described(self) -> &'static str {
        match self {
            ReplayedSection::Up => "the Up section",
            ReplayedSection::Down => "the Down section right after the Up",
            ReplayedSection::UpAgain => "the Up section again after the Down",
        }
    }
}

/// Joins file names as `` `a`, `b` ``.
fn list(files: &[String]) -> String {
    files
        .iter()
        .map(|f| format!("`{f}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
