//! What PostgreSQL itself saw each statement do, traced by the build-time
//! replay on a real server: the locks it took on relations that existed
//! before its migration, and whether it rewrote or scanned them. The
//! replay (`migrate-replay`, feature `postgres-replay`) records it; this
//! module turns it into findings beside the rules':
//!
//! - a rewrite under a lock that blocks writes, or a scan under one, is a
//!   hazard: the lock is held for as long as the table takes to read or
//!   write, not for a catalog change;
//! - a hazard that a rule found on the same statement confirms that rule's
//!   finding, which then says what the server saw;
//! - a hazard no rule found is a finding of its own (`rewrite-under-lock`,
//!   `scan-under-lock`);
//! - a rule about a long lock (a rewrite, a scan, a build) on a statement
//!   the server traced without any hazard is refuted: the change was
//!   catalog-only there (a binary-compatible type change, a `SET NOT NULL`
//!   that a valid check made quick), and the finding is dropped.

use std::fmt;

use super::rule::{Finding, Rule};
use crate::{Migration, Version};

/// A table-level lock mode of PostgreSQL, weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LockMode {
    /// `ACCESS SHARE`: `SELECT`.
    AccessShare,
    /// `ROW SHARE`: `SELECT … FOR UPDATE`.
    RowShare,
    /// `ROW EXCLUSIVE`: `INSERT`, `UPDATE`, `DELETE`.
    RowExclusive,
    /// `SHARE UPDATE EXCLUSIVE`: `VACUUM`, `CREATE INDEX CONCURRENTLY`,
    /// `VALIDATE CONSTRAINT`.
    ShareUpdateExclusive,
    /// `SHARE`: `CREATE INDEX`.
    Share,
    /// `SHARE ROW EXCLUSIVE`: `CREATE TRIGGER`, a foreign key.
    ShareRowExclusive,
    /// `EXCLUSIVE`: `REFRESH MATERIALIZED VIEW CONCURRENTLY`.
    Exclusive,
    /// `ACCESS EXCLUSIVE`: most of `ALTER TABLE`, `DROP`, `TRUNCATE`.
    AccessExclusive,
}

impl LockMode {
    /// The mode as `pg_locks.mode` names it (`AccessExclusiveLock`).
    pub fn from_pg_locks(mode: &str) -> Option<LockMode> {
        Some(match mode {
            "AccessShareLock" => LockMode::AccessShare,
            "RowShareLock" => LockMode::RowShare,
            "RowExclusiveLock" => LockMode::RowExclusive,
            "ShareUpdateExclusiveLock" => LockMode::ShareUpdateExclusive,
            "ShareLock" => LockMode::Share,
            "ShareRowExclusiveLock" => LockMode::ShareRowExclusive,
            "ExclusiveLock" => LockMode::Exclusive,
            "AccessExclusiveLock" => LockMode::AccessExclusive,
            _ => return None,
        })
    }

    /// The mode as `LOCK TABLE` and the documentation write it.
    pub fn sql_name(self) -> &'static str {
        match self {
            LockMode::AccessShare => "ACCESS SHARE",
            LockMode::RowShare => "ROW SHARE",
            LockMode::RowExclusive => "ROW EXCLUSIVE",
            LockMode::ShareUpdateExclusive => "SHARE UPDATE EXCLUSIVE",
            LockMode::Share => "SHARE",
            LockMode::ShareRowExclusive => "SHARE ROW EXCLUSIVE",
            LockMode::Exclusive => "EXCLUSIVE",
            LockMode::AccessExclusive => "ACCESS EXCLUSIVE",
        }
    }

    /// Whether a plain `SELECT` of the relation waits for it.
    pub fn blocks_reads(self) -> bool {
        self == LockMode::AccessExclusive
    }

    /// Whether `INSERT`, `UPDATE` and `DELETE` wait for it.
    pub fn blocks_writes(self) -> bool {
        self >= LockMode::Share
    }

    /// What waits for it, for a message: `reads and writes`, `writes`, or
    /// `neither reads nor writes`.
    pub fn blocks(self) -> &'static str {
        if self.blocks_reads() {
            "reads and writes"
        } else if self.blocks_writes() {
            "writes"
        } else {
            "neither reads nor writes"
        }
    }
}

impl fmt::Display for LockMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.sql_name())
    }
}

/// What a relation is (`pg_class.relkind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelationKind {
    /// An ordinary table (`r`).
    Table,
    /// A partitioned table (`p`), which has no rows of its own.
    PartitionedTable,
    /// An index (`i`) or a partitioned index (`I`).
    Index,
    /// A materialized view (`m`).
    MaterializedView,
    /// A view (`v`).
    View,
    /// A sequence (`S`).
    Sequence,
    /// Anything else (a TOAST table, a foreign table, a composite type).
    Other,
}

impl RelationKind {
    /// The kind of a `pg_class.relkind`.
    pub fn from_relkind(relkind: &str) -> RelationKind {
        match relkind {
            "r" => RelationKind::Table,
            "p" => RelationKind::PartitionedTable,
            "i" | "I" => RelationKind::Index,
            "m" => RelationKind::MaterializedView,
            "v" => RelationKind::View,
            "S" => RelationKind::Sequence,
            _ => RelationKind::Other,
        }
    }

    /// How a message names it.
    pub fn noun(self) -> &'static str {
        match self {
            RelationKind::Table => "table",
            RelationKind::PartitionedTable => "partitioned table",
            RelationKind::Index => "index",
            RelationKind::MaterializedView => "materialized view",
            RelationKind::View => "view",
            RelationKind::Sequence => "sequence",
            RelationKind::Other => "relation",
        }
    }

    /// Whether its rows are read or written by a rewrite or a scan: a
    /// sequence's one row, or a view without rows, never take long.
    fn holds_rows(self) -> bool {
        matches!(
            self,
            RelationKind::Table | RelationKind::Index | RelationKind::MaterializedView
        )
    }
}

/// One relation that existed before the statement's migration, as the
/// server saw the statement use it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TracedRelation {
    /// Its name, qualified unless it is in `public`.
    pub name: String,
    /// What it is.
    pub kind: RelationKind,
    /// The migration that created it (for a release's scope).
    pub created_in: Version,
    /// The lock modes the statement took on it, weakest first (none when
    /// its transaction held them already).
    pub taken: Vec<LockMode>,
    /// The strongest mode its transaction held on it after the statement.
    pub held: LockMode,
    /// Whether it was given new storage (`relfilenode`): rewritten.
    pub rewritten: bool,
    /// Whether it was read in full (a sequential scan counted by the
    /// server's statistics).
    pub scanned: bool,
    /// Whether the statement dropped it.
    pub dropped: bool,
}

/// A rewrite or a scan under a lock that blocks writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hazard {
    /// The relation was rewritten.
    Rewrite,
    /// The relation was read in full.
    Scan,
}

impl TracedRelation {
    /// The hazard, when the statement held a lock blocking writes on it
    /// while it rewrote or read all of it.
    pub fn hazard(&self) -> Option<Hazard> {
        // A materialized view has no writers but its refresh: what counts
        // is whether its readers wait.
        let blocking = match self.kind {
            RelationKind::MaterializedView => self.held.blocks_reads(),
            _ => self.held.blocks_writes(),
        };
        if !blocking || !self.kind.holds_rows() || self.dropped {
            return None;
        }
        if self.rewritten {
            Some(Hazard::Rewrite)
        } else if self.scanned {
            Some(Hazard::Scan)
        } else {
            None
        }
    }

    /// What the server saw, for a message: ``took ACCESS EXCLUSIVE on
    /// table `accounts` (blocks reads and writes) and rewrote it``.
    pub fn said(&self) -> String {
        let took = if self.taken.contains(&self.held) {
            "took"
        } else {
            "held"
        };
        let action = match self.hazard() {
            Some(Hazard::Rewrite) => " and rewrote it",
            Some(Hazard::Scan) => " and read all of it",
            None if self.dropped => " and dropped it",
            None => "",
        };
        format!(
            "{took} {} on {} `{}` (blocks {}){action}",
            self.held,
            self.kind.noun(),
            self.name,
            self.held.blocks()
        )
    }
}

/// One statement of an Up section as the server saw it run, on the
/// relations that existed before its migration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TracedStatement {
    /// The Up file, as problems name it.
    pub path: String,
    /// The statement's place in its Up section (0 for the first): two
    /// statements may share a line.
    pub index: usize,
    /// The statement's first line.
    pub line: u32,
    /// Every relation that existed before the migration and that the
    /// statement's transaction held a lock on after it.
    pub relations: Vec<TracedRelation>,
}

impl TracedStatement {
    /// The relations the statement rewrote or scanned under a lock that
    /// blocks writes, leaving out those created from `new_from` on.
    pub fn hazards(&self, new_from: Option<Version>) -> Vec<(&TracedRelation, Hazard)> {
        self.relations
            .iter()
            .filter(|relation| new_from.is_none_or(|first| relation.created_in < first))
            .filter_map(|relation| relation.hazard().map(|hazard| (relation, hazard)))
            .collect()
    }
}

/// The rules whose finding is about a lock held for a rewrite, a scan or
/// an index build: what the trace confirms or refutes.
pub(super) fn long_lock(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::TypeRewrite
            | Rule::AddColumnRewrite
            | Rule::SetUnlogged
            | Rule::SetLogged
            | Rule::IndexNotConcurrently
            | Rule::ConstraintNotValid
            | Rule::ConstraintBuildsIndex
            | Rule::SetNotNull
            | Rule::AttachPartitionScan
            | Rule::RefreshNotConcurrently
            | Rule::BlockingRebuild
    )
}

/// Whether `rule`'s finding on a statement already says what the trace's
/// hazard is: a long-lock rule, or a data rule whose statement reads or
/// rewrites the table by its nature (`TRUNCATE` gives the table new
/// storage; a unique index or `NOT NULL` on rows reads them).
pub(super) fn explains(rule: Rule, hazard: Hazard) -> bool {
    long_lock(rule)
        || match hazard {
            Hazard::Rewrite => rule == Rule::TruncateTable,
            Hazard::Scan => matches!(
                rule,
                Rule::AddNotNullColumn
                    | Rule::NotNullOnExistingData
                    | Rule::UniqueOnExistingData
                    | Rule::UpdateWithoutWhere
                    | Rule::DeleteWithoutWhere
                    | Rule::BackfillAfterAlter
            ),
        }
}

/// The rule of a hazard no rule found.
pub(super) fn rule_of(hazard: Hazard) -> Rule {
    match hazard {
        Hazard::Rewrite => Rule::RewriteUnderLock,
        Hazard::Scan => Rule::ScanUnderLock,
    }
}

/// The findings of `migration`'s rules (`found`, before any `Allow`), with
/// what the server traced of its statements: confirmed, refuted, or joined
/// by the hazards no rule found. Relations created from `new_from` on are
/// new (a release's), as they are for the rules.
pub(super) fn merge(
    mut found: Vec<Finding>,
    migration: &Migration,
    new_from: Version,
    traced: &[TracedStatement],
) -> Vec<Finding> {
    let mut added = Vec::new();
    for (index, statement) in migration.up.iter().enumerate() {
        let Some(trace) = traced
            .iter()
            .find(|t| t.index == index && t.path == migration.up_path.as_ref())
        else {
            continue;
        };
        let lines = u32::try_from(statement.sql().matches('\n').count()).unwrap_or(u32::MAX);
        let last = statement.line.saturating_add(lines);
        let within = |finding: &Finding| (statement.line..=last).contains(&finding.line);
        let hazards = trace.hazards(Some(new_from));
        // Refuted: a long lock the server did not see held for long.
        found.retain(|finding| !(within(finding) && long_lock(finding.rule) && hazards.is_empty()));
        for hazard in [Hazard::Rewrite, Hazard::Scan] {
            let relations: Vec<&TracedRelation> = hazards
                .iter()
                .filter(|(_, h)| *h == hazard)
                .map(|(relation, _)| *relation)
                .collect();
            let Some(said) = said(&relations) else {
                continue;
            };
            let mut explained = false;
            for finding in found
                .iter_mut()
                .filter(|f| within(f) && explains(f.rule, hazard))
            {
                explained = true;
                finding.traced = Some(said.clone());
            }
            if !explained {
                let relation = relations[0];
                let verb = match hazard {
                    Hazard::Rewrite => "rewrites",
                    Hazard::Scan => "reads all of",
                };
                added.push(Finding {
                    rule: rule_of(hazard),
                    version: migration.version,
                    path: migration.up_path.to_string(),
                    line: statement.line,
                    what: format!(
                        "{verb} {} `{}` while its {} wait",
                        relation.kind.noun(),
                        relation.name,
                        relation.held.blocks()
                    ),
                    traced: Some(said),
                });
            }
        }
        // Every other finding of the statement says the locks it took; one
        // that took none (its transaction held them already) says the
        // locks held on the relations it names.
        let took: Vec<&TracedRelation> = trace
            .relations
            .iter()
            .filter(|relation| !relation.taken.is_empty())
            .collect();
        let locked = if took.is_empty() {
            let sql = statement.sql().to_ascii_lowercase();
            trace
                .relations
                .iter()
                .filter(|relation| {
                    let name = relation.name.rsplit('.').next().unwrap_or(&relation.name);
                    sql.contains(&name.to_ascii_lowercase())
                })
                .collect()
        } else {
            took
        };
        if let Some(said) = said(&locked) {
            for finding in found.iter_mut().filter(|f| within(f) && f.traced.is_none()) {
                finding.traced = Some(said.clone());
            }
        }
    }
    found.extend(added);
    found.sort_by_key(|finding| finding.line);
    found
}

/// What the server saw of `relations`, the tables first; an index of a
/// table said beside it is left out. `None` for none.
fn said(relations: &[&TracedRelation]) -> Option<String> {
    let tables = relations
        .iter()
        .any(|relation| relation.kind != RelationKind::Index);
    let said: Vec<String> = relations
        .iter()
        .filter(|relation| !tables || relation.kind != RelationKind::Index)
        .map(|relation| relation.said())
        .collect();
    (!said.is_empty()).then(|| said.join(", "))
}
