//! What a run will do, decided from the history and the embedded migrations
//! alone: the drift checks and the list of steps. No database access here.

pub(crate) use crate::adopt::SetAside;
use crate::mark::Mark;
use crate::{
    AppliedMigration, AppliedVersion, Checksum, Error, Migration, Migrations, Result, Version,
};

/// What a step does to the database: runs a section (`Up`, `Down`), or
/// changes only the history (`Baseline`, `Adopt`, `Forget`, `Resolved…`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(rename_all = "lowercase")
)]
pub enum Change {
    /// The Up section runs and the migration is recorded.
    Up,
    /// The Down section runs and the record is removed.
    Down,
    /// The migration is recorded as applied without running (`baseline`,
    /// `force`).
    Baseline,
    /// The migration, applied by another tool, is recorded as applied
    /// without running (`adopt`).
    Adopt,
    /// The record is removed without running the Down (`force` to a lower
    /// version, for a database fixed by hand).
    Forget,
    /// A failed migration, finished by hand, is recorded as applied
    /// (`resolve --applied`); `resolved_applied` in JSON.
    #[cfg_attr(feature = "serde", serde(rename = "resolved_applied"))]
    ResolvedApplied,
    /// A failed migration, undone by hand, is pending again (`resolve
    /// --pending`); `resolved_pending` in JSON.
    #[cfg_attr(feature = "serde", serde(rename = "resolved_pending"))]
    ResolvedPending,
}

impl Change {
    /// The word for a report's table: `up`, `down`, `baseline`.
    pub fn label(self) -> &'static str {
        match self {
            Change::Up => "up",
            Change::Down => "down",
            Change::Baseline => "baseline",
            Change::Adopt => "adopt",
            Change::Forget => "forget",
            Change::ResolvedApplied | Change::ResolvedPending => "resolve",
        }
    }

    /// What happened to a migration: `applied`, `reverted`, `baselined`.
    pub fn past_tense(self) -> &'static str {
        match self {
            Change::Up => "applied",
            Change::Down => "reverted",
            Change::Baseline => "baselined",
            Change::Adopt => "adopted",
            Change::Forget => "forgotten",
            Change::ResolvedApplied => "recorded as applied",
            Change::ResolvedPending => "made pending again",
        }
    }

    /// Whether the step runs SQL (`up`, `down`); the others only change the history.
    pub fn runs_sql(self) -> bool {
        matches!(self, Change::Up | Change::Down)
    }

    /// Whether the step ends with the migration recorded as applied.
    pub fn records(self) -> bool {
        matches!(
            self,
            Change::Up | Change::Baseline | Change::Adopt | Change::ResolvedApplied
        )
    }

    /// Whether the step clears a failure recorded for its migration.
    pub fn resolves(self) -> bool {
        matches!(self, Change::ResolvedApplied | Change::ResolvedPending)
    }
}

/// What the caller asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Operation {
    /// Apply pending migrations, up to `target` when given.
    Up { target: Option<Version> },
    /// Revert the newest `n` applied migrations.
    DownSteps(usize),
    /// Revert every applied migration above `target`; `None`: every
    /// applied migration, a version 0 included.
    DownTo(Option<Version>),
    /// Revert the newest applied migration and apply it again.
    Redo,
    /// Record every migration up to `target` as applied, without running it.
    Baseline(Version),
    /// Make the history say exactly the migrations up to `target` are
    /// applied, running nothing.
    Force(Version),
    /// Record what another tool applied (that tool's, or any found).
    Adopt(Option<crate::Tool>),
    /// Clear the failure recorded for a version, as applied or as pending.
    Resolve(Version, Resolution),
    /// Revert the applied migrations above a version, or apply the pending
    /// ones up to it, whichever way the history read under the lock says.
    Goto(Version),
}

impl Operation {
    /// Its name in logs: `up`, `down`, `redo`, `baseline`, `force`,
    /// `adopt`, `resolve`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Operation::Up { .. } => "up",
            Operation::DownSteps(_) | Operation::DownTo(_) => "down",
            Operation::Redo => "redo",
            Operation::Baseline(_) => "baseline",
            Operation::Force(_) => "force",
            Operation::Adopt(_) => "adopt",
            Operation::Resolve(..) => "resolve",
            Operation::Goto(_) => "goto",
        }
    }

    /// The operation itself, or for `goto` the way it goes from `current`:
    /// a `down --to` when the database is above the target, or the target
    /// is 0 and no migration has it (`goto 0` means "revert everything", and
    /// says "nothing to do" when nothing is applied), else an `up --to`.
    fn way(self, current: Option<Version>, exists: impl Fn(Version) -> bool) -> Operation {
        match self {
            Operation::Goto(target)
                if current.is_some_and(|current| current > target)
                    || (target.0 == 0 && !exists(target)) =>
            {
                Operation::DownTo(Some(target))
            }
            Operation::Goto(target) => Operation::Up {
                target: Some(target),
            },
            other => other,
        }
    }
}

/// What a migration that failed outside a transaction has become, after a
/// fix by hand: see [`Migrator::resolve`](crate::Migrator::resolve).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    /// Its remaining statements were run by hand: record it as applied.
    Applied,
    /// What it did was undone by hand: it is pending again.
    Pending,
}

/// The choices that change a plan.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rules<'a> {
    pub environment: Option<&'a str>,
    pub allow_out_of_order: bool,
}

/// The steps of a run, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Plan<'m> {
    /// The newest applied version before the run.
    pub from: Option<Version>,
    /// The newest applied version after the run.
    pub to: Option<Version>,
    /// Each migration with the way it moves.
    pub steps: Vec<(&'m Migration, Change)>,
    /// History rows to give a new version first, `(timestamp, sequential)`.
    pub renumbered: Vec<(Version, Version)>,
    /// History rows above a `force` target that no migration here has (a
    /// newer release applied them): removed first.
    pub forgotten: Vec<Version>,
    /// Another tool's history table, in the place of ours, renamed before
    /// ours is created (an adoption in place).
    pub set_aside: Option<SetAside>,
    /// How many statements of the first step are known done: a migration
    /// declared `Idempotent` that a run left part-way goes on after them.
    pub resume: usize,
}

impl Plan<'_> {
    /// Whether the run changes nothing at all: no step, no history row
    /// renumbered or forgotten.
    pub fn changes_nothing(&self) -> bool {
        self.steps.is_empty() && self.renumbered.is_empty() && self.forgotten.is_empty()
    }
}

/// Refuses a database that does not match the binary: a version the binary
/// does not know, or an applied migration whose file changed.
///
/// Both lists are sorted by version, so one merge pass checks them: this
/// runs at every start-up.
pub(crate) fn check_drift(
    migrations: &Migrations,
    history: &[AppliedVersion],
    environment: Option<&str>,
) -> Result<()> {
    let all = migrations.all();
    let mut unknown = None;
    let mut edited = None;
    if let Some(pair) = history
        .windows(2)
        .find(|pair| pair[0].version == pair[1].version)
    {
        return Err(Error::DuplicateHistoryRow {
            version: pair[0].version,
        });
    }
    for row in history {
        match migrations.get_for(row.version, environment) {
            Some(migration) => {
                if edited.is_none() && is_edited(migration, row.checksum) {
                    edited = Some((row, migration));
                }
            }
            None => unknown = Some(row.version),
        }
    }
    if let Some(applied) = unknown {
        return Err(Error::UnknownVersion {
            applied,
            known: all.last().map(Migration::version),
        });
    }
    if let Some((row, migration)) = edited {
        return Err(Error::ChecksumMismatch {
            version: row.version,
            path: migration.up_path().to_owned(),
            applied: row
                .checksum
                .map_or_else(|| "(not a checksum)".to_owned(), |c| c.to_string()),
            embedded: migration.checksum(),
        });
    }
    Ok(())
}

/// Whether the embedded `migration` differs from what was recorded when it
/// was applied (`None`: the recorded text is not a checksum).
pub(crate) fn is_edited(migration: &Migration, recorded: Option<Checksum>) -> bool {
    recorded != Some(migration.checksum())
}

/// Whether a pending `version` is older than the newest applied one.
pub(crate) fn is_out_of_order(version: Version, latest: Option<Version>) -> bool {
    latest.is_some_and(|latest| version < latest)
}

/// The migrations of the environment not in the history, in version order
/// (one merge pass over the two sorted lists).
fn unapplied<'m, 'h>(
    migrations: &'m Migrations,
    history: &'h [AppliedVersion],
    environment: Option<&'h str>,
) -> impl Iterator<Item = &'m Migration> + 'h
where
    'm: 'h,
{
    let mut next = 0;
    migrations.for_environment(environment).filter(move |m| {
        while next < history.len() && history[next].version < m.version() {
            next += 1;
        }
        history.get(next).is_none_or(|r| r.version != m.version())
    })
}

/// The history rows whose migration has a new version: renumbered by
/// `migrate fix` (goose's hybrid versioning), or a diesel folder recorded
/// by an earlier release as its bare timestamp ([`Version::diesel`]
/// numbers it with room for diesel's `-0000` suffix). Each is a timestamp
/// version this set does not have, whose checksum (its Up and Down text,
/// which neither touches) is that of exactly one unapplied migration of
/// the set that is not a timestamp. Each comes back as `(timestamp, new)`.
pub(crate) fn renumbered(
    migrations: &Migrations,
    history: &[AppliedVersion],
    environment: Option<&str>,
) -> Vec<(Version, Version)> {
    let applied = |version: Version| history.iter().any(|r| r.version == version);
    // The number, not its display: a diesel version displays as diesel's text.
    let timestamp = |version: Version| migrate_core::is_timestamp(&version.0.to_string());
    history
        .iter()
        // The lookup first: at start-up every row is known, and the
        // timestamp test writes the version out.
        .filter(|row| {
            migrations.get_for(row.version, environment).is_none() && timestamp(row.version)
        })
        .filter_map(|row| {
            let mut candidates = migrations.for_environment(environment).filter(|m| {
                Some(m.checksum()) == row.checksum
                    && !timestamp(m.version())
                    && !applied(m.version())
            });
            match (candidates.next(), candidates.next()) {
                (Some(only), None) => Some((row.version, only.version())),
                _ => None,
            }
        })
        .collect()
}

/// Refuses a renumbering whose history row has another name than the
/// migration it would become: `migrate fix` keeps names, so the same text
/// under another name is another migration. The script's first action when
/// the plan renumbers (the names are not part of the start-up read).
pub(crate) fn confirm_renumbered(
    migrations: &Migrations,
    plan: &Plan<'_>,
    history: &[AppliedMigration],
    environment: Option<&str>,
) -> Result<()> {
    for &(from, to) in &plan.renumbered {
        let recorded = history
            .iter()
            .find(|r| r.version == from)
            .map(|r| r.name.as_str());
        if !recorded.is_some_and(|name| keeps_its_name(migrations, to, name, environment)) {
            return Err(Error::UnknownVersion {
                applied: from,
                known: migrations.all().last().map(Migration::version),
            });
        }
    }
    Ok(())
}

/// Whether the migration of version `to` has the name `recorded` (a
/// renumbering keeps names: the same text under another name is another
/// migration).
pub(crate) fn keeps_its_name(
    migrations: &Migrations,
    to: Version,
    recorded: &str,
    environment: Option<&str>,
) -> bool {
    migrations
        .get_for(to, environment)
        .is_some_and(|m| m.name() == recorded)
}

/// The history as it is once `renumbered` rows have their new versions.
fn renumber<'h>(
    history: &'h [AppliedVersion],
    renumbered: &[(Version, Version)],
) -> std::borrow::Cow<'h, [AppliedVersion]> {
    if renumbered.is_empty() {
        return std::borrow::Cow::Borrowed(history);
    }
    let mut rows = history.to_vec();
    for row in &mut rows {
        if let Some(&(_, to)) = renumbered.iter().find(|(from, _)| *from == row.version) {
            row.version = to;
        }
    }
    rows.sort_by_key(|r| r.version);
    std::borrow::Cow::Owned(rows)
}

/// Checks the database and decides the steps of `operation`.
pub(crate) fn decide<'m>(
    migrations: &'m Migrations,
    history: &[AppliedVersion],
    operation: Operation,
    rules: Rules<'_>,
) -> Result<Plan<'m>> {
    let failed = history.iter().find(|r| r.failure.is_some());
    let operation = operation.way(history.last().map(|r| r.version), |version| {
        migrations.get_for(version, rules.environment).is_some()
    });
    if let Operation::Resolve(version, resolution) = operation {
        return resolve(migrations, history, version, resolution, rules);
    }
    if let Some(row) = failed {
        return go_on(migrations, history, row, operation, rules);
    }
    let renumbered = renumbered(migrations, history, rules.environment);
    let history = &*renumber(history, &renumbered);
    let from = history.last().map(|r| r.version);
    let (forgotten, history) = match operation {
        Operation::Force(target) => unknown_above(migrations, history, target, rules.environment),
        _ => (Vec::new(), std::borrow::Cow::Borrowed(history)),
    };
    let history = &*history;
    check_drift(migrations, history, rules.environment)?;
    let steps = steps(migrations, history, operation, rules, from)?;
    let mut after: Vec<Version> = history.iter().map(|r| r.version).collect();
    for (migration, change) in &steps {
        if change.records() {
            after.push(migration.version());
        } else {
            after.retain(|v| *v != migration.version());
        }
    }
    Ok(Plan {
        from,
        to: after.into_iter().max(),
        steps,
        renumbered,
        forgotten,
        set_aside: None,
        resume: 0,
    })
}

/// The steps of `operation` (neither a resolution nor a `goto`, which
/// [`decide`] turns into `up` or `down`) on a database at `from` whose
/// `history` matches the migrations.
fn steps<'m>(
    migrations: &'m Migrations,
    history: &[AppliedVersion],
    operation: Operation,
    rules: Rules<'_>,
    from: Option<Version>,
) -> Result<Vec<(&'m Migration, Change)>> {
    let known = |version: Version| -> Result<&'m Migration> {
        migrations
            .get_for(version, rules.environment)
            .filter(|m| m.applies_to(rules.environment))
            .ok_or_else(|| Error::NoSuchVersion {
                version,
                environment: rules.environment.map(str::to_owned),
            })
    };
    let applied_desc = || {
        history
            .iter()
            .rev()
            .filter_map(|r| migrations.get_for(r.version, rules.environment))
            .collect::<Vec<&'m Migration>>()
    };
    Ok(match operation {
        Operation::Up { target } => {
            if let Some(target) = target {
                known(target)?;
            }
            up(migrations, history, rules, target, from)?
        }
        Operation::DownSteps(n) => down(applied_desc().into_iter().take(n))?,
        Operation::DownTo(target) => {
            // `down --to 0` reverts everything above 0 where no migration has 0.
            if let Some(target) = target
                && target.0 != 0
            {
                known(target)?;
            }
            down(
                applied_desc()
                    .into_iter()
                    .take_while(|m| target.is_none_or(|target| m.version() > target)),
            )?
        }
        Operation::Redo => {
            let mut steps = down(applied_desc().into_iter().take(1))?;
            if let Some(&(migration, _)) = steps.first() {
                steps.push((migration, Change::Up));
            }
            steps
        }
        Operation::Baseline(target) => {
            known(target)?;
            if let Some(current) = from
                && target < current
            {
                return Err(Error::BaselineBelowCurrent { current, target });
            }
            unapplied(migrations, history, rules.environment)
                .filter(|m| m.version() <= target)
                .map(|m| (m, Change::Baseline))
                .collect()
        }
        Operation::Force(target) => {
            if target.0 != 0 {
                known(target)?;
            }
            force(
                applied_desc(),
                unapplied(migrations, history, rules.environment),
                target,
            )
        }
        // The driver plans an adoption from the other tool's history, and
        // a resolution is planned above.
        Operation::Adopt(_) | Operation::Resolve(..) | Operation::Goto(_) => Vec::new(),
    })
}

/// The plan past a migration left part-way outside a transaction: one
/// declared `Idempotent`, with the same checksum, marked by a run that
/// stopped (not failed), goes on from its first statement not known done
/// when the operation's first step moves it the way it was moving;
/// anything else is refused until resolved.
fn go_on<'m>(
    migrations: &'m Migrations,
    history: &[AppliedVersion],
    row: &AppliedVersion,
    operation: Operation,
    rules: Rules<'_>,
) -> Result<Plan<'m>> {
    let migration = migrations.get_for(row.version, rules.environment);
    let refused = || Error::UnresolvedFailure {
        version: row.version,
        path: migration.map_or_else(|| row.version.to_string(), |m| m.up_path().to_owned()),
        failure: row.failure.clone().unwrap_or_default(),
        reverting: row.failure.as_deref().is_some_and(crate::mark::is_revert),
    };
    let Some((migration, mark)) = migration
        // Only a migration run outside a transaction leaves a mark to read.
        .filter(|m| m.idempotent().is_some())
        .filter(|m| row.checksum == Some(m.checksum()))
        .zip(row.failure.as_deref().and_then(Mark::read))
    else {
        return Err(refused());
    };
    // Being applied, it is pending; being reverted, still applied.
    let rest: Vec<AppliedVersion> = history
        .iter()
        .filter(|r| mark.reverting || r.version != row.version)
        .map(|r| AppliedVersion {
            failure: r.failure.clone().filter(|_| r.version != row.version),
            ..r.clone()
        })
        .collect();
    let mut plan = decide(migrations, &rest, operation, rules)?;
    let way = if mark.reverting {
        Change::Down
    } else {
        Change::Up
    };
    match plan.steps.first() {
        Some(&(first, change)) if first.version() == migration.version() && change == way => {
            plan.resume = mark.done;
            Ok(plan)
        }
        _ => Err(refused()),
    }
}

/// The steps that clear the failure recorded for `version`: its row is
/// removed, and for [`Resolution::Applied`] recorded again as applied.
fn resolve<'m>(
    migrations: &'m Migrations,
    history: &[AppliedVersion],
    version: Version,
    resolution: Resolution,
    rules: Rules<'_>,
) -> Result<Plan<'m>> {
    let migration = history
        .iter()
        .find(|r| r.version == version && r.failure.is_some())
        .and_then(|_| migrations.get_for(version, rules.environment))
        .ok_or(Error::NotFailed { version })?;
    let rest: Vec<AppliedVersion> = history
        .iter()
        .filter(|r| r.version != version)
        .cloned()
        .collect();
    check_drift(migrations, &rest, rules.environment)?;
    let change = match resolution {
        Resolution::Applied => Change::ResolvedApplied,
        Resolution::Pending => Change::ResolvedPending,
    };
    let mut after: Vec<Version> = rest.iter().map(|r| r.version).collect();
    if resolution == Resolution::Applied {
        after.push(version);
    }
    Ok(Plan {
        from: history.iter().map(|r| r.version).max(),
        to: after.into_iter().max(),
        steps: vec![(migration, change)],
        renumbered: Vec::new(),
        forgotten: Vec::new(),
        set_aside: None,
        resume: 0,
    })
}

/// The steps of an `up` to `target` (every pending one when `None`) from
/// version `from`: refused below the current version, and with a pending
/// migration older than the newest applied one unless that is allowed.
fn up<'m>(
    migrations: &'m Migrations,
    history: &[AppliedVersion],
    rules: Rules<'_>,
    target: Option<Version>,
    from: Option<Version>,
) -> Result<Vec<(&'m Migration, Change)>> {
    if let (Some(target), Some(current)) = (target, from)
        && target < current
    {
        return Err(Error::TargetBelowCurrent { current, target });
    }
    let pending: Vec<&'m Migration> = unapplied(migrations, history, rules.environment)
        .filter(|m| target.is_none_or(|t| m.version() <= t))
        .collect();
    // refinery's unversioned migrations may come after newer ones.
    if !rules.allow_out_of_order
        && let Some(latest) = from
        && let Some(old) = pending
            .iter()
            .find(|m| !m.unordered() && is_out_of_order(m.version(), from))
    {
        return Err(Error::OutOfOrder {
            version: old.version(),
            path: old.up_path().to_owned(),
            latest,
        });
    }
    Ok(pending.into_iter().map(|m| (m, Change::Up)).collect())
}

/// The versions above `target` in `history` that no migration here has
/// (what a `force` down to `target` forgets of a newer release's history),
/// and the history without them.
fn unknown_above<'h>(
    migrations: &Migrations,
    history: &'h [AppliedVersion],
    target: Version,
    environment: Option<&str>,
) -> (Vec<Version>, std::borrow::Cow<'h, [AppliedVersion]>) {
    let unknown = |r: &AppliedVersion| {
        r.version > target && migrations.get_for(r.version, environment).is_none()
    };
    if !history.iter().any(unknown) {
        return (Vec::new(), std::borrow::Cow::Borrowed(history));
    }
    let (forgotten, kept): (Vec<AppliedVersion>, Vec<AppliedVersion>) =
        history.iter().cloned().partition(|r| unknown(r));
    (
        forgotten.into_iter().map(|r| r.version).collect(),
        std::borrow::Cow::Owned(kept),
    )
}

/// The steps of a `force` to `target`: the applied migrations above it
/// forgotten, the unapplied ones up to it recorded; no SQL.
fn force<'m>(
    applied_desc: Vec<&'m Migration>,
    unapplied: impl Iterator<Item = &'m Migration>,
    target: Version,
) -> Vec<(&'m Migration, Change)> {
    let forget = applied_desc
        .into_iter()
        .take_while(|m| m.version() > target)
        .map(|m| (m, Change::Forget));
    let record = unapplied
        .filter(|m| m.version() <= target)
        .map(|m| (m, Change::Baseline));
    forget.chain(record).collect()
}

/// Down steps for `migrations`, refused as a whole when one is irreversible.
fn down<'m>(
    migrations: impl Iterator<Item = &'m Migration>,
) -> Result<Vec<(&'m Migration, Change)>> {
    migrations
        .map(|m| match m.down() {
            Some(_) => Ok((m, Change::Down)),
            None => Err(Error::Irreversible {
                version: m.version(),
                path: m.up_path().to_owned(),
            }),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{Change, Operation, Resolution, Rules, decide};
    use crate::mark::Mark;
    use crate::{AppliedVersion, Checksum, Error, Migrations, Version};

    const RULES: Rules<'static> = Rules {
        environment: None,
        allow_out_of_order: false,
    };

    /// Three migrations, each creating a table, in a directory of their own.
    fn three() -> Migrations {
        let root = tempfile::tempdir().expect("tempdir");
        let dir = root.path().join("migrations");
        std::fs::create_dir(&dir).expect("mkdir");
        for (version, table) in [(1, "a"), (2, "b"), (3, "c")] {
            std::fs::write(
                dir.join(format!("00{version}_{table}.sql")),
                format!(
                    "-- +migrate Up\nCREATE TABLE {table} (x INT);\n-- +migrate Down\nDROP TABLE {table};\n"
                ),
            )
            .expect("write");
        }
        let set = migrate_core::load(root.path(), "migrations", &migrate_core::Options::default())
            .expect("valid");
        Migrations::from_set(set)
    }

    fn applied(migrations: &Migrations, versions: &[u64]) -> Vec<AppliedVersion> {
        versions
            .iter()
            .map(|&v| {
                let checksum = migrations.get(Version(v)).expect("embedded").checksum();
                AppliedVersion::new(Version(v), Some(checksum))
            })
            .collect()
    }

    fn steps(
        migrations: &Migrations,
        history: &[AppliedVersion],
        operation: Operation,
    ) -> Vec<(u64, Change)> {
        decide(migrations, history, operation, RULES)
            .expect("plans")
            .steps
            .iter()
            .map(|(m, d)| (m.version().0, *d))
            .collect()
    }

    #[test]
    fn up_applies_what_is_pending_up_to_the_target() {
        let set = three();
        let up = Operation::Up { target: None };
        assert_eq!(
            steps(&set, &[], up),
            [(1, Change::Up), (2, Change::Up), (3, Change::Up)]
        );
        assert_eq!(steps(&set, &applied(&set, &[1, 2]), up), [(3, Change::Up)]);
        let to_two = Operation::Up {
            target: Some(Version(2)),
        };
        assert_eq!(steps(&set, &applied(&set, &[1]), to_two), [(2, Change::Up)]);
        assert!(steps(&set, &applied(&set, &[1, 2, 3]), up).is_empty());
    }

    #[test]
    fn down_reverts_newest_first() {
        let set = three();
        let all = applied(&set, &[1, 2, 3]);
        assert_eq!(
            steps(&set, &all, Operation::DownSteps(2)),
            [(3, Change::Down), (2, Change::Down)]
        );
        assert_eq!(
            steps(&set, &all, Operation::DownTo(Some(Version(2)))),
            [(3, Change::Down)]
        );
        assert_eq!(
            steps(&set, &all, Operation::Redo),
            [(3, Change::Down), (3, Change::Up)]
        );
    }

    /// `goto` goes whichever way the history it is given says: the plan
    /// made under the lock decides, not an earlier look.
    #[test]
    fn goto_goes_down_or_up_as_the_history_says() {
        let set = three();
        let to_two = Operation::Goto(Version(2));
        assert_eq!(
            steps(&set, &applied(&set, &[1, 2, 3]), to_two),
            [(3, Change::Down)]
        );
        assert_eq!(steps(&set, &applied(&set, &[1]), to_two), [(2, Change::Up)]);
        assert!(steps(&set, &applied(&set, &[1, 2]), to_two).is_empty());
        // No migration has 0: `goto 0` reverts everything, and again finds
        // nothing to do, as `down-to 0` does.
        let to_zero = Operation::Goto(Version(0));
        assert_eq!(
            steps(&set, &applied(&set, &[1, 2]), to_zero),
            [(2, Change::Down), (1, Change::Down)]
        );
        assert!(steps(&set, &[], to_zero).is_empty());
    }

    #[test]
    fn a_reset_reverts_a_version_0_too() {
        let root = tempfile::tempdir().expect("tempdir");
        let dir = root.path().join("migrations");
        std::fs::create_dir(&dir).expect("mkdir");
        for (version, table) in [(0, "a"), (1, "b")] {
            std::fs::write(
                dir.join(format!("00{version}_{table}.sql")),
                format!(
                    "-- +migrate Up\nCREATE TABLE {table} (x INT);\n-- +migrate Down\nDROP TABLE {table};\n"
                ),
            )
            .expect("write");
        }
        let options = migrate_core::Options {
            allow_gaps: true,
            ..migrate_core::Options::default()
        };
        let set = Migrations::from_set(
            migrate_core::load(root.path(), "migrations", &options).expect("valid"),
        );
        let all = applied(&set, &[0, 1]);
        assert_eq!(
            steps(&set, &all, Operation::DownTo(None)),
            [(1, Change::Down), (0, Change::Down)]
        );
        assert_eq!(
            steps(&set, &all, Operation::DownTo(Some(Version(0)))),
            [(1, Change::Down)]
        );
        // `force` means "exactly the migrations up to it": forced to 0,
        // a real version 0 stays recorded, or is recorded.
        assert_eq!(
            steps(&set, &all, Operation::Force(Version(0))),
            [(1, Change::Forget)]
        );
        assert_eq!(
            steps(&set, &[], Operation::Force(Version(0))),
            [(0, Change::Baseline)]
        );
        assert_eq!(
            steps(
                &three(),
                &applied(&three(), &[1, 2]),
                Operation::Force(Version(0))
            )
            .len(),
            2
        );
    }

    #[test]
    fn drift_and_an_unknown_version_are_refused_before_anything() {
        let set = three();
        let mut edited = applied(&set, &[1, 2]);
        edited[1].checksum = Some(Checksum::of("SELECT 1;", None));
        let up = Operation::Up { target: None };
        assert!(matches!(
            decide(&set, &edited, up, RULES),
            Err(Error::ChecksumMismatch {
                version: Version(2),
                ..
            })
        ));
        let mut newer = applied(&set, &[1, 2, 3]);
        newer.push(AppliedVersion::new(Version(4), None));
        assert!(matches!(
            decide(&set, &newer, up, RULES),
            Err(Error::UnknownVersion {
                applied: Version(4),
                ..
            })
        ));
    }

    #[test]
    fn a_gap_in_the_history_is_out_of_order_unless_allowed() {
        let set = three();
        let gap = applied(&set, &[1, 3]);
        let up = Operation::Up { target: None };
        assert!(matches!(
            decide(&set, &gap, up, RULES),
            Err(Error::OutOfOrder {
                version: Version(2),
                ..
            })
        ));
        let allowed = Rules {
            allow_out_of_order: true,
            ..RULES
        };
        let planned = decide(&set, &gap, up, allowed).expect("plans");
        assert_eq!(planned.steps.len(), 1);
    }

    #[test]
    fn an_unresolved_failure_stops_every_operation_but_resolve() {
        let set = three();
        let mut history = applied(&set, &[1]);
        history.push(AppliedVersion::recorded(
            Version(2),
            "",
            Some("failed at statement 1 of 1".to_owned()),
        ));
        assert!(matches!(
            decide(&set, &history, Operation::Up { target: None }, RULES),
            Err(Error::UnresolvedFailure {
                version: Version(2),
                ..
            })
        ));
        let resolved = decide(
            &set,
            &history,
            Operation::Resolve(Version(2), Resolution::Pending),
            RULES,
        )
        .expect("resolve plans");
        assert_eq!(resolved.to, Some(Version(1)));
    }

    /// Version 2 outside a transaction, three statements, `Idempotent`
    /// when `idempotent`.
    fn outside(idempotent: bool) -> Migrations {
        let root = tempfile::tempdir().expect("tempdir");
        let dir = root.path().join("migrations");
        std::fs::create_dir(&dir).expect("mkdir");
        std::fs::write(
            dir.join("001_a.sql"),
            "-- +migrate Up\nCREATE TABLE a (x INT);\n-- +migrate Down\nDROP TABLE a;\n",
        )
        .expect("write");
        let declared = if idempotent {
            "-- +migrate Idempotent each insert ignores a row that is there\n"
        } else {
            ""
        };
        std::fs::write(
            dir.join("002_b.sql"),
            format!(
                "-- +migrate NoTransaction\n{declared}-- +migrate Up\nINSERT OR IGNORE INTO a VALUES (1);\n\
                 INSERT OR IGNORE INTO a VALUES (2);\nINSERT OR IGNORE INTO a VALUES (3);\n\
                 -- +migrate Down\nDELETE FROM a;\n"
            ),
        )
        .expect("write");
        let set = migrate_core::load(root.path(), "migrations", &migrate_core::Options::default())
            .expect("valid");
        Migrations::from_set(set)
    }

    /// History: 1 applied, 2 marked with `mark`, under `checksum`.
    fn marked(set: &Migrations, mark: Mark, checksum: Checksum) -> Vec<AppliedVersion> {
        let two = set.get(Version(2)).expect("embedded");
        let text = mark.text(two.up(), two.up_path(), None);
        let mut history = applied(set, &[1]);
        history.push(AppliedVersion::recorded(
            Version(2),
            &checksum.to_string(),
            Some(text),
        ));
        history
    }

    #[test]
    fn an_idempotent_migration_left_part_way_goes_on_after_what_is_known_done() {
        let set = outside(true);
        let checksum = set.get(Version(2)).expect("embedded").checksum();
        let mark = Mark {
            reverting: false,
            done: 2,
            total: 3,
        };
        let history = marked(&set, mark, checksum);
        let up = Operation::Up { target: None };
        let plan = decide(&set, &history, up, RULES).expect("goes on");
        assert_eq!(plan.resume, 2);
        assert_eq!(plan.from, Some(Version(1)));
        assert_eq!(
            plan.steps
                .iter()
                .map(|(m, d)| (m.version().0, *d))
                .collect::<Vec<_>>(),
            [(2, Change::Up)]
        );
        // Another operation than the one it was doing is refused.
        assert!(matches!(
            super::decide(&set, &history, Operation::DownSteps(1), RULES),
            Err(Error::UnresolvedFailure { .. })
        ));
        // So is a file edited since the mark.
        let edited = marked(&set, mark, Checksum([7; 32]));
        assert!(matches!(
            super::decide(&set, &edited, up, RULES),
            Err(Error::UnresolvedFailure { .. })
        ));
        // And a revert left part-way goes on reverting.
        let reverting = Mark {
            reverting: true,
            done: 0,
            total: 1,
        };
        let two = set.get(Version(2)).expect("embedded");
        let mut history = applied(&set, &[1]);
        history.push(AppliedVersion::recorded(
            Version(2),
            &checksum.to_string(),
            Some(reverting.text(two.down().expect("down"), two.up_path(), None)),
        ));
        let down = super::decide(&set, &history, Operation::DownSteps(1), RULES).expect("goes on");
        assert_eq!((down.resume, down.steps[0].1), (0, Change::Down));
    }

    #[test]
    fn a_migration_not_declared_idempotent_is_refused_where_it_stopped() {
        let set = outside(false);
        let checksum = set.get(Version(2)).expect("embedded").checksum();
        let mark = Mark {
            reverting: false,
            done: 2,
            total: 3,
        };
        let history = marked(&set, mark, checksum);
        let Err(Error::UnresolvedFailure { failure, .. }) =
            decide(&set, &history, Operation::Up { target: None }, RULES)
        else {
            panic!("refused")
        };
        assert!(
            failure.contains("statements known done: 2 of 3 (the last at migrations/002_b.sql:4)")
                && failure.contains("statement 3 (migrations/002_b.sql:5) may or may not have run"),
            "{failure}"
        );
    }
}
