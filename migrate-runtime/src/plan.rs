//! What a run will do, decided from the history and the embedded migrations
//! alone: the drift checks and the list of steps. No database access here.

use std::collections::BTreeMap;

use crate::{AppliedMigration, Checksum, Error, Migration, Migrations, Result, Version};

/// Which way a step moves the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(rename_all = "lowercase")
)]
pub enum Direction {
    /// The Up section runs and the migration is recorded.
    Up,
    /// The Down section runs and the record is removed.
    Down,
    /// The migration is recorded as applied without running (`baseline`).
    Baseline,
}

/// What the caller asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Operation {
    /// Apply pending migrations, up to `target` when given.
    Up { target: Option<Version> },
    /// Revert the newest `n` applied migrations.
    DownSteps(usize),
    /// Revert every applied migration above `target` (0: all).
    DownTo(Version),
    /// Revert the newest applied migration and apply it again.
    Redo,
    /// Record every migration up to `target` as applied, without running it.
    Baseline(Version),
}

/// The choices that change a plan.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rules<'a> {
    pub environment: Option<&'a str>,
    pub allow_out_of_order: bool,
}

/// The steps of a run, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Plan {
    /// The newest applied version before the run.
    pub from: Option<Version>,
    /// The newest applied version after the run.
    pub to: Option<Version>,
    /// Each migration with the way it moves.
    pub steps: Vec<(&'static Migration, Direction)>,
}

/// Refuses a database that does not match the binary: a version the binary
/// does not know, or an applied migration whose file changed.
pub(crate) fn check_drift(migrations: &Migrations, history: &[AppliedMigration]) -> Result<()> {
    if let Some(unknown) = history
        .iter()
        .rev()
        .find(|row| migrations.get(row.version).is_none())
    {
        return Err(Error::UnknownVersion {
            applied: unknown.version,
            known: migrations.iter().last().map(Migration::version),
        });
    }
    for row in history {
        if let Some(migration) = migrations.get(row.version)
            && Checksum::from_hex(&row.checksum) != Some(migration.checksum())
        {
            return Err(Error::ChecksumMismatch {
                version: row.version,
                path: migration.up_path(),
                applied: row.checksum.clone(),
                embedded: migration.checksum(),
            });
        }
    }
    Ok(())
}

/// Checks the database and decides the steps of `operation`.
pub(crate) fn plan(
    migrations: &Migrations,
    history: &[AppliedMigration],
    operation: Operation,
    rules: Rules<'_>,
) -> Result<Plan> {
    check_drift(migrations, history)?;
    let applied: BTreeMap<Version, &AppliedMigration> =
        history.iter().map(|r| (r.version, r)).collect();
    let from = applied.keys().next_back().copied();
    let known = |version: Version| -> Result<&'static Migration> {
        migrations
            .get(version)
            .filter(|m| m.applies_to(rules.environment))
            .ok_or_else(|| Error::NoSuchVersion {
                version,
                environment: rules.environment.map(str::to_owned),
            })
    };
    let applied_desc = || {
        applied
            .keys()
            .rev()
            .filter_map(|v| migrations.get(*v))
            .collect::<Vec<&'static Migration>>()
    };
    let steps: Vec<(&'static Migration, Direction)> = match operation {
        Operation::Up { target } => {
            if let Some(target) = target {
                known(target)?;
                if let Some(current) = from
                    && target < current
                {
                    return Err(Error::TargetBelowCurrent { current, target });
                }
            }
            let pending: Vec<&'static Migration> = migrations
                .for_environment(rules.environment)
                .filter(|m| !applied.contains_key(&m.version()))
                .filter(|m| target.is_none_or(|t| m.version() <= t))
                .collect();
            if !rules.allow_out_of_order
                && let (Some(latest), Some(old)) = (from, pending.first())
                && old.version() < latest
            {
                return Err(Error::OutOfOrder {
                    version: old.version(),
                    path: old.up_path(),
                    latest,
                });
            }
            pending.into_iter().map(|m| (m, Direction::Up)).collect()
        }
        Operation::DownSteps(n) => down(applied_desc().into_iter().take(n))?,
        Operation::DownTo(target) => {
            if target.0 != 0 {
                known(target)?;
            }
            down(
                applied_desc()
                    .into_iter()
                    .take_while(|m| m.version() > target),
            )?
        }
        Operation::Redo => {
            let mut steps = down(applied_desc().into_iter().take(1))?;
            if let Some(&(migration, _)) = steps.first() {
                steps.push((migration, Direction::Up));
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
            migrations
                .for_environment(rules.environment)
                .filter(|m| m.version() <= target && !applied.contains_key(&m.version()))
                .map(|m| (m, Direction::Baseline))
                .collect()
        }
    };
    let mut after: Vec<Version> = applied.keys().copied().collect();
    for (migration, direction) in &steps {
        match direction {
            Direction::Up | Direction::Baseline => after.push(migration.version()),
            Direction::Down => after.retain(|v| *v != migration.version()),
        }
    }
    Ok(Plan {
        from,
        to: after.into_iter().max(),
        steps,
    })
}

/// Down steps for `migrations`, refused as a whole when one is irreversible.
fn down(
    migrations: impl Iterator<Item = &'static Migration>,
) -> Result<Vec<(&'static Migration, Direction)>> {
    migrations
        .map(|m| match m.down() {
            Some(_) => Ok((m, Direction::Down)),
            None => Err(Error::Irreversible {
                version: m.version(),
                path: m.up_path(),
            }),
        })
        .collect()
}
