//! Where the database stands against the embedded migrations.

use std::collections::BTreeMap;
use std::fmt;

use migrate_core::{Library, Remedy, Worded, Wording};
use std::time::Duration;

use crate::plan::{is_edited, is_out_of_order};
use unicode_width::UnicodeWidthStr;

use crate::report::{Millis, VersionOrNone};
use crate::{AppliedMigration, Checksum, ForeignHistory, Migration, Migrations, Version};

/// The state of one migration in the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(rename_all = "snake_case")
)]
pub enum State {
    /// Recorded in the history table.
    Applied,
    /// Embedded, not applied yet.
    Pending,
    /// Recorded in the history table, but not embedded in this binary (a
    /// newer release applied it).
    Unknown,
    /// Failed outside a transaction, part-way, in an earlier run; nothing
    /// runs until it is resolved ([`Migrator::resolve`](crate::Migrator::resolve)).
    Failed,
}

/// One line of [`Status`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct StatusEntry {
    /// The version.
    pub version: Version,
    /// The name (from the binary, or from the history for an unknown version).
    pub name: String,
    /// The environment folder it comes from, `None` for the base set.
    pub environment: Option<String>,
    /// Applied, pending or unknown.
    pub state: State,
    /// When it was applied, UTC.
    pub applied_at: Option<String>,
    /// How long it took to apply; `None` when it is not applied, or was
    /// recorded without running (a baseline, an adoption);
    /// `execution_time_ms` in JSON.
    #[cfg_attr(
        feature = "serde",
        serde(
            rename = "execution_time_ms",
            serialize_with = "crate::report::millis_or_null"
        )
    )]
    pub execution_time: Option<Duration>,
    /// Whether the embedded file differs from what was applied (edited after
    /// it was applied).
    pub drift: bool,
    /// Whether it is pending but older than the newest applied version.
    pub out_of_order: bool,
    /// What was recorded when it failed outside a transaction.
    pub failure: Option<String>,
    /// Whether the embedded migration is a Rust file (`<version>_<name>.rs`).
    pub rust: bool,
    /// Whether the embedded migration can be reverted (`false` for one
    /// without a Down, and for a version this binary does not have).
    pub reversible: bool,
    /// For a pending migration: whether applying it runs outside a
    /// transaction on this database, each statement recorded as done but
    /// none rolled back — its file says `NoTransaction`, or (MySQL) it
    /// changes the schema, which commits by itself.
    pub outside_transaction: bool,
}

impl StatusEntry {
    /// For a migration left part-way, which resolution means what, in
    /// `w`'s words: for one being applied, `Applied` once completed by
    /// hand and `Pending` once undone; for one being reverted (its Down
    /// failed), the other way round.
    pub fn how_to_resolve(&self, w: &dyn Wording) -> String {
        let applied = w.remedy(Remedy::ResolveApplied(self.version));
        let pending = w.remedy(Remedy::ResolvePending(self.version));
        if self.failure.as_deref().is_some_and(crate::mark::is_revert) {
            format!(
                "{pending} if you completed the revert by hand, {applied} if you restored what it had undone"
            )
        } else {
            format!("{applied} if you completed it by hand, {pending} if you undid it")
        }
    }
}

/// Every migration of the selected environment, and every version of the
/// history, with its state. `Display` prints an aligned table.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Status {
    /// The newest applied version.
    pub current: Option<Version>,
    /// One entry per version, in version order.
    pub entries: Vec<StatusEntry>,
    /// Another tool's history, found when this crate's is empty or missing:
    /// adopt it ([`Migrator::adopt`](crate::Migrator::adopt)) before migrating.
    pub foreign: Option<ForeignHistory>,
}

/// `history` with each row whose migration has a new version (renumbered
/// by `migrate fix`, or a diesel folder an earlier release recorded by its
/// bare timestamp) under that version, as the next run records it: the
/// same migration by checksum and name, shown once and applied.
fn under_new_versions<'h>(
    migrations: &Migrations,
    history: &'h [AppliedMigration],
    environment: Option<&str>,
) -> std::borrow::Cow<'h, [AppliedMigration]> {
    let versions: Vec<crate::AppliedVersion> = history
        .iter()
        .map(|r| crate::AppliedVersion::recorded(r.version, &r.checksum, r.failure.clone()))
        .collect();
    let renumbered = crate::plan::renumbered(migrations, &versions, environment);
    if renumbered.is_empty() {
        return std::borrow::Cow::Borrowed(history);
    }
    let mut rows = history.to_vec();
    for row in &mut rows {
        let new = renumbered.iter().find(|(from, _)| *from == row.version);
        if let Some(&(_, to)) = new
            && crate::plan::keeps_its_name(migrations, to, &row.name, environment)
        {
            row.version = to;
        }
    }
    rows.sort_by_key(|r| r.version);
    std::borrow::Cow::Owned(rows)
}

impl Status {
    pub(crate) fn new(
        migrations: &Migrations,
        history: &[AppliedMigration],
        environment: Option<&str>,
    ) -> Status {
        let history = &*under_new_versions(migrations, history, environment);
        let current = history.iter().map(|r| r.version).max();
        let mut entries: BTreeMap<Version, StatusEntry> = BTreeMap::new();
        for migration in migrations.for_environment(environment) {
            entries.insert(
                migration.version(),
                StatusEntry {
                    version: migration.version(),
                    name: migration.name().to_owned(),
                    environment: migration.environment().map(str::to_owned),
                    state: State::Pending,
                    applied_at: None,
                    execution_time: None,
                    drift: false,
                    out_of_order: is_out_of_order(migration.version(), current),
                    failure: None,
                    rust: migration.is_rust(),
                    reversible: migration.is_reversible(),
                    outside_transaction: migration.no_transaction(),
                },
            );
        }
        for row in history {
            let embedded = migrations.get_for(row.version, environment);
            let failure = row.failure.clone();
            entries.insert(
                row.version,
                StatusEntry {
                    version: row.version,
                    name: embedded.map_or_else(|| row.name.clone(), |m| m.name().to_owned()),
                    environment: embedded.and_then(|m| m.environment()).map(str::to_owned),
                    state: match (&failure, embedded) {
                        (Some(_), _) => State::Failed,
                        (None, Some(_)) => State::Applied,
                        (None, None) => State::Unknown,
                    },
                    applied_at: Some(row.applied_at.clone()),
                    execution_time: Some(row.execution_time).filter(|d| !d.is_zero()),
                    drift: failure.is_none()
                        && embedded
                            .is_some_and(|m| is_edited(m, Checksum::from_hex(&row.checksum))),
                    out_of_order: false,
                    failure,
                    rust: embedded.is_some_and(Migration::is_rust),
                    reversible: embedded.is_some_and(Migration::is_reversible),
                    outside_transaction: false,
                },
            );
        }
        Status {
            current,
            entries: entries.into_values().collect(),
            foreign: None,
        }
    }

    /// Marks the pending entries whose migration runs outside a
    /// transaction on a database whose schema changes commit by
    /// themselves (`implicit_commit`, MySQL's).
    pub(crate) fn mark_outside_transaction(
        &mut self,
        migrations: &Migrations,
        implicit_commit: Option<fn(&migrate_core::Statement) -> bool>,
    ) {
        for entry in &mut self.entries {
            if entry.state == State::Pending
                && let Some(migration) =
                    migrations.get_for(entry.version, entry.environment.as_deref())
            {
                entry.outside_transaction =
                    crate::script::runs_outside(migration, crate::Change::Up, implicit_commit);
            }
        }
    }

    /// The entries still to apply.
    pub fn pending(&self) -> impl Iterator<Item = &StatusEntry> {
        self.entries.iter().filter(|e| e.state == State::Pending)
    }

    /// Whether any entry has drifted, or is unknown to this binary.
    pub fn has_drift(&self) -> bool {
        self.entries
            .iter()
            .any(|e| e.drift || e.state == State::Unknown)
    }
}

impl Status {
    /// The table with its advice in `wording`'s words (the command line's
    /// commands, say); [`Display`](fmt::Display) uses [`Library`]'s.
    pub fn worded<'a>(&'a self, wording: &'a dyn Wording) -> Worded<'a, Status> {
        Worded::new(self, wording, write)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write(self, f, &Library)
    }
}

/// Writes `status` with its advice in `w`'s words.
fn write(status: &Status, f: &mut fmt::Formatter<'_>, w: &dyn Wording) -> fmt::Result {
    {
        writeln!(f, "database at version {}", VersionOrNone(status.current))?;
        // A migration left part-way: the database is dirty until it is resolved.
        for failed in status.entries.iter().filter(|e| e.state == State::Failed) {
            writeln!(
                f,
                "version {} failed part-way (dirty): nothing runs until it is resolved ({})",
                failed.version,
                failed.how_to_resolve(w)
            )?;
        }
        if let Some(foreign) = &status.foreign {
            writeln!(
                f,
                "{}'s history is in table `{}`, at version {}: adopt it ({}) before migrating",
                foreign.tool,
                foreign.table,
                VersionOrNone(foreign.reached()),
                w.remedy(Remedy::Adopt)
            )?;
        }
        let rows: Vec<[String; 6]> = status
            .entries
            .iter()
            .map(|e| {
                let state = match e.state {
                    State::Applied => "applied",
                    State::Pending => "pending",
                    State::Unknown => "unknown",
                    State::Failed => "FAILED",
                };
                let notes = notes(e, w);
                [
                    e.version.to_string(),
                    e.name.clone(),
                    state.to_owned(),
                    e.applied_at.clone().unwrap_or_else(|| "-".to_owned()),
                    match (e.execution_time, &e.applied_at) {
                        (Some(took), _) => Millis(took).to_string(),
                        // In the history, but nothing ran.
                        (None, Some(_)) => "recorded".to_owned(),
                        (None, None) => "-".to_owned(),
                    },
                    notes,
                ]
            })
            .collect();
        // No notes column when no row has a note.
        let notes = if rows.iter().any(|r| !r[5].is_empty()) {
            "notes"
        } else {
            ""
        };
        let headers = [
            "version",
            "name",
            "state",
            "applied at (UTC)",
            "took",
            notes,
        ];
        // Widths in columns of a terminal: a name may be `créer` (one
        // column a character) or `ユーザー` (two).
        let mut widths = headers.map(UnicodeWidthStr::width);
        for row in &rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.width());
            }
        }
        let line = |f: &mut fmt::Formatter<'_>, cells: [&str; 6]| {
            let mut text = String::new();
            for (k, cell) in cells.iter().enumerate() {
                let gap = " ".repeat(widths[k].saturating_sub(cell.width()));
                // The version and the time taken align right.
                if k == 0 || k == 4 {
                    text.push_str(&gap);
                    text.push_str(cell);
                } else {
                    text.push_str(cell);
                    text.push_str(&gap);
                }
                text.push_str("  ");
            }
            writeln!(f, "{}", text.trim_end())
        };
        line(f, headers)?;
        for row in &rows {
            line(f, [&row[0], &row[1], &row[2], &row[3], &row[4], &row[5]])?;
        }
        Ok(())
    }
}

/// The notes of one entry: its environment, its kind, what is wrong.
fn notes(e: &StatusEntry, w: &dyn Wording) -> String {
    let mut notes = Vec::new();
    if let Some(env) = &e.environment {
        notes.push(format!("env {env}"));
    }
    match (e.rust, e.reversible) {
        (true, true) => notes.push("Rust".to_owned()),
        (true, false) => notes.push("Rust, irreversible: no `down`".to_owned()),
        (false, _) => {}
    }
    if e.drift {
        notes.push("DRIFT: file edited after it was applied".to_owned());
    }
    if e.state == State::Unknown {
        notes.push(format!("not in {}", w.embedded()));
    }
    if e.out_of_order {
        notes.push("out of order".to_owned());
    }
    if e.outside_transaction {
        notes.push("outside a transaction".to_owned());
    }
    if let Some(failure) = &e.failure {
        notes.push(format!("{failure}; resolve it ({})", e.how_to_resolve(w)));
    }
    notes.join(", ")
}
