//! What a run did (or, in a dry run, would do).

use std::borrow::Cow;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::{Change, Migration, Statement, Version};

/// One migration applied, reverted or recorded by a run.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Step {
    /// The migration's version.
    pub version: Version,
    /// The migration's name.
    pub name: Cow<'static, str>,
    /// The file whose SQL ran (the Down file for a revert).
    pub path: Cow<'static, str>,
    /// What the step did: ran a section, or changed only the history.
    pub change: Change,
    /// How long the SQL took (zero in a dry run and for a baseline);
    /// `duration_ms` in JSON.
    #[cfg_attr(
        feature = "serde",
        serde(rename = "duration_ms", serialize_with = "crate::report::millis")
    )]
    pub duration: Duration,
    /// Whether it ran inside a transaction (`false` for `NoTransaction` migrations).
    pub transaction: bool,
    /// The statements that ran (or would run), in order; for a Rust
    /// migration, the function called (`up`, `down`) at its line.
    #[cfg_attr(feature = "serde", serde(skip))]
    pub statements: Cow<'static, [Statement]>,
    /// Whether the migration is a Rust file, whose function ran instead of SQL.
    pub rust: bool,
}

/// The file whose SQL a step of `migration` making `change` runs, and
/// that SQL (none for a baseline).
pub(crate) fn section(
    migration: &Migration,
    change: Change,
) -> (&Cow<'static, str>, Option<&Cow<'static, [Statement]>>) {
    match change {
        Change::Up => (&migration.up_path, Some(&migration.up)),
        Change::Down => (
            migration.down_path.as_ref().unwrap_or(&migration.up_path),
            migration.down.as_ref(),
        ),
        Change::Baseline
        | Change::Adopt
        | Change::Forget
        | Change::ResolvedApplied
        | Change::ResolvedPending => (&migration.up_path, None),
    }
}

impl Step {
    /// The step of `migration` making `change`, not run yet, `outside` a
    /// transaction or not (as the script decides it). Cheap for an
    /// embedded migration: its texts are borrowed, not copied.
    pub(crate) fn new(migration: &Migration, change: Change, outside: bool) -> Step {
        let (path, statements) = section(migration, change);
        Step {
            version: migration.version(),
            name: migration.name.clone(),
            path: path.clone(),
            change,
            duration: Duration::ZERO,
            transaction: !outside,
            statements: statements.cloned().unwrap_or(Cow::Borrowed(&[])),
            rust: migration.is_rust(),
        }
    }
}

impl Step {
    /// Whether the step ran SQL outside a transaction.
    fn outside_transaction(&self) -> bool {
        !self.transaction && self.change.runs_sql()
    }
}

/// One line for logs and progress output: `applied 3 seed in 0.12 ms`.
impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {}",
            self.change.past_tense(),
            self.version,
            self.name
        )?;
        // Only SQL takes time worth saying; a record takes none.
        if self.change.runs_sql() {
            write!(f, " in {}", Millis(self.duration))?;
        }
        if self.outside_transaction() {
            f.write_str(" (outside a transaction)")?;
        }
        Ok(())
    }
}

/// The outcome of a run: where the database was, where it is, each step with
/// its time, and the backup written before it. `Display` prints it for people.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Report {
    /// The newest applied version before the run (`None`: nothing applied).
    pub from: Option<Version>,
    /// The newest applied version after the run.
    pub to: Option<Version>,
    /// What ran, in order; empty when nothing was to do.
    pub steps: Vec<Step>,
    /// The backup written before the first change, if any.
    pub backup: Option<PathBuf>,
    /// History rows given a new version, `(timestamp, sequential)`: the
    /// migrations `migrate fix` renumbered after this database applied them,
    /// and diesel folders an earlier release recorded by their timestamp.
    pub renumbered: Vec<(Version, Version)>,
    /// History rows removed by a `force` below them: versions that no
    /// migration here has (a newer release applied them).
    pub forgotten: Vec<Version>,
    /// Another tool's history table that had the name of ours, kept under
    /// a new name by an adoption.
    pub kept_history: Option<KeptHistory>,
    /// Whether this was a dry run: nothing was changed.
    pub dry_run: bool,
    /// The whole run's time, lock and backup included; `duration_ms` in JSON.
    #[cfg_attr(
        feature = "serde",
        serde(rename = "duration_ms", serialize_with = "crate::report::millis")
    )]
    pub duration: Duration,
}

/// Another tool's history table that had the name of this crate's: an
/// adoption renamed it (in the transaction that wrote this crate's history)
/// and kept it, so that later runs need no other table name.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct KeptHistory {
    /// The tool.
    pub tool: crate::Tool,
    /// The table's name before, now this crate's history table.
    pub table: String,
    /// The name it is kept under.
    pub kept_as: String,
}

impl Report {
    /// Whether the run changed nothing because nothing was to do.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }
}

impl Report {
    /// The first line: where the database went (or would go), and in how long.
    fn headline(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let runs_sql = self.steps.iter().any(|s| s.change.runs_sql());
        let (from, to) = (VersionOrNone(self.from), VersionOrNone(self.to));
        let would = if self.dry_run { "dry run: would " } else { "" };
        let ran = if self.dry_run { "would run" } else { "ran" };
        if let [step] = self.steps.as_slice()
            && step.change.resolves()
        {
            let is = if self.dry_run { "would be" } else { "is" };
            let now = match step.change {
                Change::ResolvedApplied => "recorded as applied",
                _ => "pending again",
            };
            return writeln!(
                f,
                "the failed migration {} {is} {now}: the database {is} at version {to}; \
                 no SQL {ran}",
                step.version
            );
        }
        if !runs_sql {
            let says = if self.dry_run {
                "would say"
            } else {
                "now says"
            };
            write!(f, "the history {says} version {to}")?;
            match self.from {
                _ if self.from == self.to => {}
                Some(from) => write!(f, " (it said {from})")?,
                None => f.write_str(" (it held no migration before)")?,
            }
            return writeln!(f, "; no SQL {ran}");
        }
        if self.from == self.to && self.steps.iter().any(|s| s.change == Change::Down) {
            let verb = if self.dry_run {
                "would revert"
            } else {
                "reverted"
            };
            write!(f, "{would}redo version {to}: {verb} and applied again")?;
        } else {
            let verb = if self.dry_run { "move" } else { "moved" };
            write!(f, "{would}{verb} the database from version {from} to {to}")?;
        }
        if !self.dry_run {
            write!(f, " in {}", Millis(self.duration))?;
        }
        writeln!(f)
    }
}

/// A duration as milliseconds, for JSON (`"duration_ms": 1.25`).
#[cfg(feature = "serde")]
pub(crate) fn millis<S: serde::Serializer>(duration: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(duration.as_secs_f64() * 1000.0)
}

/// An optional duration as milliseconds, for JSON.
#[cfg(feature = "serde")]
// serde's `serialize_with` hands over a reference to the field.
#[allow(clippy::ref_option)]
pub(crate) fn millis_or_null<S: serde::Serializer>(
    duration: &Option<Duration>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match duration {
        Some(duration) => millis(duration, s),
        None => s.serialize_none(),
    }
}

/// `Some(v)` as `v`, `None` as `none (no migration applied)` (not "empty":
/// the database may hold tables of its own); version 0 is a real version
/// (diesel, golang-migrate sets that start at 0).
pub(crate) struct VersionOrNone(pub Option<Version>);

impl fmt::Display for VersionOrNone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(v) => write!(f, "{v}"),
            None => f.write_str("none (no migration applied)"),
        }
    }
}

/// A duration in milliseconds with two decimals, for tables.
pub(crate) struct Millis(pub Duration);

impl fmt::Display for Millis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = format!("{:.2} ms", self.0.as_secs_f64() * 1000.0);
        f.pad(&text)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let would = if self.dry_run {
            "would record"
        } else {
            "recorded"
        };
        for (from, to) in &self.renumbered {
            // A diesel folder's version written the same, numbered anew.
            if from.to_string() == to.to_string() {
                writeln!(
                    f,
                    "{would} version {to} under diesel's numbering, with room for its `-0000` \
                     suffix: the same migration (its text and name)"
                )?;
                continue;
            }
            writeln!(
                f,
                "{would} version {from} as {to}: the same migration (its text and name) has \
                 that version now (`migrate fix` renumbered it, or diesel's versions are numbered \
                 anew)"
            )?;
        }
        let forgot = if self.dry_run {
            "would forget"
        } else {
            "forgot"
        };
        for version in &self.forgotten {
            writeln!(
                f,
                "{forgot} version {version}: no migration in this directory has it"
            )?;
        }
        if self.steps.is_empty() && self.forgotten.is_empty() {
            return writeln!(
                f,
                "nothing to do: the database is at version {}",
                VersionOrNone(self.from)
            );
        }
        self.headline(f)?;
        if let Some(KeptHistory {
            tool,
            table,
            kept_as,
        }) = &self.kept_history
        {
            let kept = if self.dry_run {
                "would be kept"
            } else {
                "is kept"
            };
            writeln!(
                f,
                "{tool}'s history table `{table}` {kept} as `{kept_as}`; to go back to {tool}, \
                 drop the table `{table}` and rename `{kept_as}` to `{table}`"
            )?;
        }
        let name_width = self.steps.iter().map(|s| s.name.len()).max().unwrap_or(0);
        let version_width = self
            .steps
            .iter()
            .map(|s| s.version.to_string().len())
            .max()
            .unwrap_or(0);
        for step in &self.steps {
            let change = step.change.label();
            write!(
                f,
                "  {change:<8} {:>version_width$} {:<name_width$}",
                step.version, step.name
            )?;
            if !self.dry_run && step.change.runs_sql() {
                write!(f, " {:>10}", Millis(step.duration))?;
            }
            if step.outside_transaction() {
                write!(f, "  (outside a transaction)")?;
            }
            writeln!(f)?;
            if self.dry_run {
                for statement in step.statements.iter() {
                    writeln!(f, "      -- {}:{}", step.path, statement.line())?;
                    if step.rust {
                        writeln!(f, "      (the Rust function `{}`)", statement.sql())?;
                        continue;
                    }
                    for line in statement.sql().lines() {
                        writeln!(f, "      {line}")?;
                    }
                }
            }
        }
        if let Some(backup) = &self.backup {
            writeln!(f, "backup: {}", backup.display())?;
        }
        Ok(())
    }
}
