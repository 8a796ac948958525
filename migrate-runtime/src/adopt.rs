//! Adoption: another tool's history checked against the embedded set and
//! turned into a plan that records those migrations as ours, without
//! running them. Also the refusal of a run on a database another tool
//! migrated. The reads go through the [`Backend`]; the decisions are here.

use std::fmt;
use std::time::Duration;

use migrate_core::{Library, Remedy, Worded, Wording};

use crate::foreign::{ForeignChecksum, ForeignHistory, ForeignRow, ForeignState, interpret};
use crate::plan::Plan;
use crate::report::KeptHistory;
use crate::{
    AppliedVersion, Backend, Change, Error, Migration, Migrations, Result, TableName, Tool, Version,
};

/// Why another tool's history cannot be adopted; nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AdoptProblem {
    /// Our history table already records migrations.
    HistoryExists {
        /// Our history table.
        table: String,
    },
    /// Our history table's name is taken by a table that is not ours, and
    /// the tool's history is in another table.
    SharedTable {
        /// The table.
        table: String,
    },
    /// golang-migrate left this version dirty.
    Dirty(Version),
    /// sqlx recorded this version as failed.
    Failed(Version),
    /// The tool applied a version the embedded set lacks.
    UnknownVersion(Version),
    /// The tool recorded another name for this version.
    NameDiffers {
        /// The version.
        version: Version,
        /// The name the tool recorded.
        recorded: String,
        /// The embedded migration's name.
        embedded: String,
    },
    /// The tool's checksum differs from the embedded file's.
    ChecksumDiffers {
        /// The version.
        version: Version,
        /// The embedded file.
        path: String,
    },
    /// refinery's checksums are computed with `refinery-core`, which this
    /// build does not include, or the file's text was not embedded.
    NeedsRefineryFeature,
    /// The table has the tool's name and shape but rows it could not have written.
    Unreadable {
        /// The table.
        table: String,
        /// What is wrong.
        message: String,
    },
}

impl AdoptProblem {
    /// The problem with its remedy in `wording`'s words.
    pub fn worded<'a>(&'a self, wording: &'a dyn Wording) -> Worded<'a, AdoptProblem> {
        Worded::new(self, wording, write)
    }
}

impl fmt::Display for AdoptProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write(self, f, &Library)
    }
}

/// Writes `problem` with its remedy in `w`'s words.
fn write(problem: &AdoptProblem, f: &mut fmt::Formatter<'_>, w: &dyn Wording) -> fmt::Result {
    {
        match problem {
            AdoptProblem::HistoryExists { table } => write!(
                f,
                "the history table `{table}` already records migrations; adopting starts a history, it does not merge one"
            ),
            AdoptProblem::SharedTable { table } => write!(
                f,
                "the history table `{table}` is taken by a table that is neither this crate's nor the tool's; \
                 choose another history table with {} and keep using it",
                w.remedy(Remedy::ChooseTable)
            ),
            AdoptProblem::Dirty(version) => write!(
                f,
                "golang-migrate left version {version} dirty (its migration failed part-way); \
                 finish or undo that migration by hand, clear the flag with golang-migrate's `force {version}` \
                 (or `force` of the version before it), then adopt again"
            ),
            AdoptProblem::Failed(version) => write!(
                f,
                "sqlx recorded version {version} as failed (`success = false`); \
                 fix the database by hand, delete that row of `_sqlx_migrations`, then adopt again"
            ),
            AdoptProblem::UnknownVersion(version) => write!(
                f,
                "it applied version {version}, which no embedded migration has; \
                 add that migration's file, unchanged, to the directory"
            ),
            AdoptProblem::NameDiffers {
                version,
                recorded,
                embedded,
            } => write!(
                f,
                "it applied version {version} as `{recorded}`, the embedded migration is `{embedded}`; \
                 give the file its old name back"
            ),
            AdoptProblem::ChecksumDiffers { version, path } => write!(
                f,
                "{path} is not the file it applied as version {version} (the checksums differ); \
                 restore the file as it was applied, and put the change in a new migration"
            ),
            AdoptProblem::NeedsRefineryFeature => write!(
                f,
                "refinery's checksums are compared with refinery-core; turn on the `refinery` feature of migrate-runtime"
            ),
            AdoptProblem::Unreadable { table, message } => {
                write!(f, "table `{table}` does not read as its history: {message}")
            }
        }
    }
}

/// Finds another tool's history: `tool`'s, or the first of [`Tool::ALL`]
/// whose table is there with that tool's shape. `ours` is our history
/// table; a table of the same name counts only when `ours_is_foreign`
/// (ours could not be read as ours).
pub(crate) async fn find<B: Backend>(
    db: &mut B,
    tool: Option<Tool>,
    ours: &TableName,
    ours_is_foreign: bool,
    wait: Duration,
) -> Result<Option<ForeignHistory>> {
    for (tool, table) in candidates(tool, ours, ours_is_foreign)? {
        let Some(columns) = db.table_columns(&table, wait).await? else {
            continue;
        };
        if tool.has_shape(&columns) {
            let rows = db.read_rows(&table, tool.columns(), wait).await?;
            return recognised(tool, &table, &rows).map(Some);
        }
    }
    Ok(None)
}

/// The tables to look at for `tool`'s history (every tool's when `None`),
/// in order, in the schema of `ours`.
pub(crate) fn candidates(
    tool: Option<Tool>,
    ours: &TableName,
    ours_is_foreign: bool,
) -> Result<Vec<(Tool, TableName)>> {
    let one = tool.map(|t| [t]);
    let tools: &[Tool] = one.as_ref().map_or(&Tool::ALL[..], |t| &t[..]);
    let mut tables = Vec::with_capacity(tools.len());
    for &tool in tools {
        let table = TableName::in_schema(ours.schema(), tool.table())?;
        if table != *ours || ours_is_foreign {
            tables.push((tool, table));
        }
    }
    Ok(tables)
}

/// `tool`'s history in `table`, from its rows.
pub(crate) fn recognised(
    tool: Tool,
    table: &TableName,
    rows: &[Vec<crate::Value>],
) -> Result<ForeignHistory> {
    let state = interpret(tool, rows).map_err(|unreadable| Error::CannotAdopt {
        tool,
        problem: AdoptProblem::Unreadable {
            table: table.to_string(),
            message: unreadable.0,
        },
    })?;
    Ok(ForeignHistory {
        tool,
        table: table.to_string(),
        state,
    })
}

/// Whether a table with these (lowercase) columns is this crate's history
/// table (the columns an adoption needs to tell ours from another tool's).
fn has_our_shape(columns: &[String]) -> bool {
    ["version", "name", "checksum"]
        .iter()
        .all(|c| columns.iter().any(|column| column == c))
}

/// For an adoption, before our history is read: the error that says
/// `table` (with `columns`) is not ours, so that it is not read. A table of
/// our name with another shape is found from its columns, not by a read
/// that fails: in a PostgreSQL transaction a failed statement ends it.
pub(crate) fn not_ours(columns: Option<&[String]>, table: &TableName) -> Option<Error> {
    let columns = columns.filter(|c| !has_our_shape(c))?;
    Some(Error::InvalidHistory {
        table: table.to_string(),
        message: format!("its columns are {}", columns.join(", ")),
    })
}

/// What the read of our history says (its rows are `T`: what a run or a
/// status reads): rows of ours (no other tool is looked for), or empty or
/// not ours (another tool is looked for).
pub(crate) enum Ours<T> {
    /// Our history, with rows.
    Rows(Vec<T>),
    /// Empty or missing; another tool's history is looked for.
    Empty,
    /// A table of our name that is not ours; another tool's is looked for.
    Foreign(Error),
}

impl<T> Ours<T> {
    /// Classifies the read of our history.
    fn of(read: Result<Vec<T>>) -> Result<Ours<T>> {
        match read {
            Ok(rows) if !rows.is_empty() => Ok(Ours::Rows(rows)),
            Ok(_) => Ok(Ours::Empty),
            Err(error @ Error::InvalidHistory { .. }) => Ok(Ours::Foreign(error)),
            Err(error) => Err(error),
        }
    }

    /// Whether our table is another tool's.
    pub(crate) fn is_foreign(&self) -> bool {
        matches!(self, Ours::Foreign(_))
    }

    /// Classifies `read`, and looks for another tool's history when ours
    /// is empty or not ours.
    pub(crate) async fn with_foreign<B: Backend>(
        read: Result<Vec<T>>,
        db: &mut B,
        table: &TableName,
        wait: Duration,
    ) -> Result<(Ours<T>, Option<ForeignHistory>)> {
        let ours = Ours::of(read)?;
        let foreign = match ours {
            Ours::Rows(_) => None,
            _ => find(db, None, table, ours.is_foreign(), wait).await?,
        };
        Ok((ours, foreign))
    }

    /// The history a run plans from, after `foreign` (what was found
    /// when ours is empty or not ours): another tool that applied anything
    /// is refused ([`Error::ForeignHistory`]), so that none of its
    /// migrations runs again.
    pub(crate) fn or_refuse(self, foreign: Option<ForeignHistory>) -> Result<Vec<T>> {
        let shares_table = self.is_foreign();
        match (self, foreign) {
            (Ours::Rows(rows), _) => Ok(rows),
            (ours, Some(foreign)) if foreign.reached().is_some() || ours.is_foreign() => {
                Err(Error::ForeignHistory {
                    tool: foreign.tool,
                    reached: foreign.reached(),
                    shares_table,
                    table: foreign.table,
                })
            }
            (Ours::Foreign(error), _) => Err(error),
            (Ours::Empty, _) => Ok(Vec::new()),
        }
    }
}

/// Reads our history for a run, refusing a database another tool migrated
/// (see [`Ours::or_refuse`]).
pub(crate) async fn read_applied<B: Backend>(
    db: &mut B,
    table: &TableName,
    wait: Duration,
) -> Result<Vec<AppliedVersion>> {
    let read = db.read_applied(table, wait).await;
    let (ours, foreign) = Ours::with_foreign(read, db, table, wait).await?;
    ours.or_refuse(foreign)
}

/// Another tool's history table that has the name of ours (golang-migrate's
/// and SuperChat's `schema_migrations`), kept under a new name: the
/// adoption renames it in the transaction that creates ours, so that later
/// runs need no other table name, and going back is a rename.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SetAside {
    tool: Tool,
    table: TableName,
    kept_as: TableName,
}

impl SetAside {
    /// `tool`'s table `table`, to be kept as `<tool>_<table>` in its schema
    /// (`golang_migrate_schema_migrations`).
    fn new(tool: Tool, table: &TableName) -> Result<SetAside> {
        let kept = format!("{}_{}", tool.name().replace('-', "_"), table.name());
        Ok(SetAside {
            tool,
            table: table.clone(),
            kept_as: TableName::in_schema(table.schema(), &kept)?,
        })
    }

    /// The statement that renames the table, its names quoted by `quote`,
    /// the database's (SQLite and PostgreSQL roll it back with the
    /// transaction; MySQL runs it before the first one).
    pub(crate) fn sql(&self, quote: fn(&TableName) -> String) -> String {
        let kept_as = TableName::new(self.kept_as.name()).unwrap_or_else(|_| self.kept_as.clone());
        format!(
            "ALTER TABLE {} RENAME TO {}",
            quote(&self.table),
            quote(&kept_as)
        )
    }

    /// What the report says of it.
    pub(crate) fn kept(&self) -> KeptHistory {
        KeptHistory {
            tool: self.tool,
            table: self.table.to_string(),
            kept_as: self.kept_as.to_string(),
        }
    }
}

/// The plan of an adoption of `tool`'s history (any tool's when `None`):
/// `ours` is the read of our history table, `foreign` what was found.
pub(crate) fn adoption<'m>(
    migrations: &'m Migrations,
    ours: Result<Vec<AppliedVersion>>,
    foreign: Option<ForeignHistory>,
    tool: Option<Tool>,
    table: &TableName,
    environment: Option<&str>,
) -> Result<Plan<'m>> {
    let Some(foreign) = foreign else {
        return match ours {
            // Not ours, and no other tool's either: say what is wrong with it.
            Err(error @ Error::InvalidHistory { .. }) if tool.is_none() => Err(error),
            Ok(rows) => Err(Error::NothingToAdopt {
                tool,
                ours_at: rows.last().map(|row| row.version),
            }),
            Err(_) => Err(Error::NothingToAdopt {
                tool,
                ours_at: None,
            }),
        };
    };
    let refuse = |problem| Error::CannotAdopt {
        tool: foreign.tool,
        problem,
    };
    match ours {
        // The tool's table has our table's name: adopted in place, the
        // tool's table kept under a new name.
        Err(Error::InvalidHistory { .. }) if foreign.table == table.to_string() => {
            let mut plan = adoption_plan(migrations, &foreign, environment)?;
            plan.set_aside = Some(SetAside::new(foreign.tool, table)?);
            Ok(plan)
        }
        Err(Error::InvalidHistory { .. }) => Err(refuse(AdoptProblem::SharedTable {
            table: table.to_string(),
        })),
        Err(error) => Err(error),
        Ok(rows) if !rows.is_empty() => Err(refuse(AdoptProblem::HistoryExists {
            table: table.to_string(),
        })),
        Ok(_) => adoption_plan(migrations, &foreign, environment),
    }
}

/// The plan that records `foreign`'s migrations as ours, after checking
/// each against the embedded set.
pub(crate) fn adoption_plan<'m>(
    migrations: &'m Migrations,
    foreign: &ForeignHistory,
    environment: Option<&str>,
) -> Result<Plan<'m>> {
    let refuse = |problem| Error::CannotAdopt {
        tool: foreign.tool,
        problem,
    };
    let known = |version: Version| {
        migrations
            .get_for(version, environment)
            .filter(|m| m.applies_to(environment))
            .ok_or_else(|| refuse(AdoptProblem::UnknownVersion(version)))
    };
    let adopted: Vec<&'m Migration> = match &foreign.state {
        ForeignState::Dirty(version) => return Err(refuse(AdoptProblem::Dirty(*version))),
        ForeignState::Failed(version) => return Err(refuse(AdoptProblem::Failed(*version))),
        ForeignState::UpTo(version) => {
            known(*version)?;
            migrations
                .for_environment(environment)
                .filter(|m| m.version() <= *version)
                .collect()
        }
        ForeignState::Applied(rows) => {
            let mut adopted = Vec::with_capacity(rows.len());
            for row in rows {
                let migration = known(row.version)?;
                check_row(foreign.tool, row, migration).map_err(refuse)?;
                adopted.push(migration);
            }
            adopted
        }
    };
    if adopted.is_empty() {
        return Err(Error::NothingToAdopt {
            tool: Some(foreign.tool),
            ours_at: None,
        });
    }
    Ok(Plan {
        from: None,
        to: adopted.iter().map(|m| m.version()).max(),
        steps: adopted.into_iter().map(|m| (m, Change::Adopt)).collect(),
        renumbered: Vec::new(),
        forgotten: Vec::new(),
        set_aside: None,
        resume: 0,
    })
}

/// Compares what the tool recorded of one migration with the embedded one.
fn check_row(tool: Tool, row: &ForeignRow, migration: &Migration) -> Result<(), AdoptProblem> {
    if let Some(recorded) = &row.name {
        // sqlx's description is the name with spaces for underscores.
        let same = match tool {
            Tool::Sqlx => recorded.replace(' ', "_") == migration.name().replace(' ', "_"),
            _ => recorded == migration.name(),
        };
        if !same {
            return Err(AdoptProblem::NameDiffers {
                version: row.version,
                recorded: recorded.clone(),
                embedded: migration.name().to_owned(),
            });
        }
    }
    let differs = || AdoptProblem::ChecksumDiffers {
        version: row.version,
        path: migration.up_path().to_owned(),
    };
    let same = match &row.checksum {
        Some(ForeignChecksum::Sha384(recorded)) => recorded[..] == migration.up_file_sha384()[..],
        Some(ForeignChecksum::Refinery(recorded)) if tool == Tool::Refinery => {
            refinery_checksum(migration)?.to_string() == recorded.trim()
        }
        _ => true,
    };
    if same { Ok(()) } else { Err(differs()) }
}

/// refinery's checksum of `migration`, computed by `refinery-core` from
/// the name and text [`Migrations::refinery_runner`] gives refinery, so
/// that the two agree bit for bit.
#[cfg(feature = "refinery")]
pub(crate) fn refinery_checksum(migration: &Migration) -> Result<u64, AdoptProblem> {
    if migration.up_file_text().is_none() {
        return Err(AdoptProblem::NeedsRefineryFeature);
    }
    crate::refinery::to_refinery(migration)
        .map(|m| m.checksum())
        .map_err(|_| AdoptProblem::NeedsRefineryFeature)
}

#[cfg(not(feature = "refinery"))]
pub(crate) fn refinery_checksum(_migration: &Migration) -> Result<u64, AdoptProblem> {
    Err(AdoptProblem::NeedsRefineryFeature)
}

#[cfg(test)]
mod tests {
    use super::Ours;
    use crate::{AppliedVersion, Error, ForeignHistory, ForeignState, Tool, Version};

    fn goose(state: ForeignState) -> ForeignHistory {
        ForeignHistory {
            tool: Tool::Goose,
            table: "goose_db_version".to_owned(),
            state,
        }
    }

    fn not_ours() -> Error {
        Error::InvalidHistory {
            table: "schema_migrations".to_owned(),
            message: "its columns are id".to_owned(),
        }
    }

    #[test]
    fn our_rows_are_planned_from_whatever_else_is_there() {
        let rows = vec![AppliedVersion::new(Version(1), None)];
        let ours = Ours::Rows(rows.clone());
        assert_eq!(
            ours.or_refuse(Some(goose(ForeignState::UpTo(Version(3)))))
                .expect("ours"),
            rows
        );
    }

    #[test]
    fn another_tool_that_applied_anything_is_refused() {
        let refused = Ours::<AppliedVersion>::Empty
            .or_refuse(Some(goose(ForeignState::UpTo(Version(3)))))
            .expect_err("refused");
        assert!(matches!(
            refused,
            Error::ForeignHistory {
                tool: Tool::Goose,
                reached: Some(Version(3)),
                shares_table: false,
                ..
            }
        ));
        // Its table empty: nothing of it would run twice.
        let empty = Ours::<AppliedVersion>::Empty
            .or_refuse(Some(goose(ForeignState::Applied(Vec::new()))))
            .expect("nothing applied by it");
        assert!(empty.is_empty());
    }

    #[test]
    fn a_table_of_our_name_that_is_not_ours_is_refused_with_what_it_holds() {
        let shared = Ours::<AppliedVersion>::Foreign(not_ours())
            .or_refuse(Some(goose(ForeignState::Applied(Vec::new()))))
            .expect_err("refused");
        assert!(matches!(
            shared,
            Error::ForeignHistory {
                shares_table: true,
                ..
            }
        ));
        let unknown = Ours::<AppliedVersion>::Foreign(not_ours())
            .or_refuse(None)
            .expect_err("refused");
        assert!(matches!(unknown, Error::InvalidHistory { .. }));
    }
}
