//! The histories other migration tools keep, read the way each tool reads
//! its own: which tool a table belongs to, and what it says is applied.
//! No database access here: a [`Backend`](crate::Backend) hands over the
//! columns and rows, this module interprets them.

use std::fmt;
use std::str::FromStr;

use crate::Version;

/// A migration tool whose history this crate can recognise and adopt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(rename_all = "kebab-case")
)]
pub enum Tool {
    /// pressly/goose: `goose_db_version(id, version_id, is_applied, tstamp)`.
    Goose,
    /// golang-migrate: `schema_migrations(version, dirty)`, one row.
    GolangMigrate,
    /// sqlx: `_sqlx_migrations(version, description, success, checksum, …)`.
    Sqlx,
    /// refinery: `refinery_schema_history(version, name, applied_on, checksum)`.
    Refinery,
    /// diesel: `__diesel_schema_migrations(version, run_on)`.
    Diesel,
    /// SuperChat's runner: `schema_migrations(version, name, applied_at)`.
    SuperChat,
    /// dbmate: `schema_migrations(version)`, the version as text.
    Dbmate,
}

impl Tool {
    /// Every tool, in the order their tables are looked for.
    pub const ALL: [Tool; 7] = [
        Tool::Goose,
        Tool::Sqlx,
        Tool::Refinery,
        Tool::Diesel,
        Tool::GolangMigrate,
        Tool::SuperChat,
        Tool::Dbmate,
    ];

    /// The tool's name as a command line takes it (`--from`): `goose`,
    /// `golang-migrate`, `sqlx`, `refinery`, `diesel`, `superchat`, `dbmate`.
    pub fn name(self) -> &'static str {
        match self {
            Tool::Goose => "goose",
            Tool::GolangMigrate => "golang-migrate",
            Tool::Sqlx => "sqlx",
            Tool::Refinery => "refinery",
            Tool::Diesel => "diesel",
            Tool::SuperChat => "superchat",
            Tool::Dbmate => "dbmate",
        }
    }

    /// The history table the tool creates by default.
    pub fn table(self) -> &'static str {
        match self {
            Tool::Goose => "goose_db_version",
            Tool::GolangMigrate | Tool::SuperChat | Tool::Dbmate => "schema_migrations",
            Tool::Sqlx => "_sqlx_migrations",
            Tool::Refinery => "refinery_schema_history",
            Tool::Diesel => "__diesel_schema_migrations",
        }
    }

    /// The columns read from the tool's table, in the order [`interpret`] takes them.
    pub(crate) fn columns(self) -> &'static [&'static str] {
        match self {
            Tool::Goose => &["id", "version_id", "is_applied"],
            Tool::GolangMigrate => &["version", "dirty"],
            Tool::Sqlx => &["version", "description", "success", "checksum"],
            Tool::Refinery => &["version", "name", "checksum"],
            Tool::Diesel | Tool::Dbmate => &["version"],
            Tool::SuperChat => &["version", "name"],
        }
    }

    /// Whether a table with these (lowercase) columns is this tool's.
    pub(crate) fn has_shape(self, columns: &[String]) -> bool {
        let has = |name: &str| columns.iter().any(|c| c == name);
        let all = |names: &[&str]| names.iter().all(|n| has(n));
        match self {
            Tool::Goose => all(&["version_id", "is_applied"]),
            Tool::GolangMigrate => all(&["version", "dirty"]) && columns.len() == 2,
            Tool::Sqlx => all(&["version", "description", "success", "checksum"]),
            Tool::Refinery => all(&["version", "name", "applied_on", "checksum"]),
            Tool::Diesel => all(&["version", "run_on"]),
            Tool::SuperChat => all(&["version", "name", "applied_at"]) && !has("checksum"),
            Tool::Dbmate => all(&["version"]) && columns.len() == 1,
        }
    }
}

/// The tool's name in a sentence: `goose`, `golang-migrate`, `SuperChat` …
impl fmt::Display for Tool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Tool::SuperChat => f.write_str("SuperChat"),
            other => f.write_str(other.name()),
        }
    }
}

/// A tool name that is not one of [`Tool::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown tool `{0}`; use one of goose, golang-migrate, sqlx, refinery, diesel, superchat, dbmate"
)]
pub struct UnknownTool(pub String);

impl FromStr for Tool {
    type Err = UnknownTool;

    /// `goose`, `golang-migrate` (or `migrate`), `sqlx`, `refinery`,
    /// `diesel`, `superchat`, `dbmate`; any case.
    fn from_str(name: &str) -> Result<Tool, UnknownTool> {
        match name.to_ascii_lowercase().as_str() {
            "goose" => Ok(Tool::Goose),
            "golang-migrate" | "golang_migrate" | "migrate" => Ok(Tool::GolangMigrate),
            "sqlx" => Ok(Tool::Sqlx),
            "refinery" => Ok(Tool::Refinery),
            "diesel" => Ok(Tool::Diesel),
            "superchat" => Ok(Tool::SuperChat),
            "dbmate" => Ok(Tool::Dbmate),
            _ => Err(UnknownTool(name.to_owned())),
        }
    }
}

/// One value of a row of another tool's table, as a [`Backend`](crate::Backend)
/// reads it (booleans as `Integer` 0 or 1).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Value {
    /// SQL `NULL`.
    Null,
    /// An integer (booleans too).
    Integer(i64),
    /// A floating-point number.
    Real(f64),
    /// Text.
    Text(String),
    /// Bytes.
    Blob(Vec<u8>),
}

impl Value {
    fn integer(&self) -> Option<i64> {
        match self {
            Value::Integer(i) => Some(*i),
            Value::Text(text) => text.trim().parse().ok(),
            Value::Real(r) if r.fract() == 0.0 => format!("{r:.0}").parse().ok(),
            _ => None,
        }
    }

    fn truth(&self) -> Option<bool> {
        match self {
            Value::Text(text) => match text.trim().to_ascii_lowercase().as_str() {
                "t" | "true" | "1" => Some(true),
                "f" | "false" | "0" => Some(false),
                _ => None,
            },
            other => other.integer().map(|i| i != 0),
        }
    }

    fn text(&self) -> Option<String> {
        match self {
            Value::Text(text) => Some(text.clone()),
            Value::Integer(i) => Some(i.to_string()),
            Value::Blob(bytes) => String::from_utf8(bytes.clone()).ok(),
            _ => None,
        }
    }

    fn bytes(&self) -> Option<Vec<u8>> {
        match self {
            Value::Blob(bytes) => Some(bytes.clone()),
            _ => None,
        }
    }
}

/// What another tool recorded of one migration it applied.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct ForeignRow {
    /// The version.
    pub version: Version,
    /// The name it recorded (sqlx's description, refinery's and SuperChat's name).
    pub name: Option<String>,
    /// The checksum it recorded.
    pub checksum: Option<ForeignChecksum>,
}

/// A checksum another tool recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub enum ForeignChecksum {
    /// sqlx: the SHA-384 of the migration file.
    Sha384(Vec<u8>),
    /// refinery: its checksum of the file's name, version and text, as written.
    Refinery(String),
}

/// What another tool's history says, read as that tool reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub enum ForeignState {
    /// These migrations are applied (goose, sqlx, refinery, diesel, SuperChat).
    Applied(Vec<ForeignRow>),
    /// Every migration up to this version is applied (golang-migrate).
    UpTo(Version),
    /// golang-migrate's dirty flag: the migration to this version failed
    /// part-way, and the database was left as it failed.
    Dirty(Version),
    /// sqlx recorded this migration as failed (`success = false`).
    Failed(Version),
}

/// Another tool's history in a database.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct ForeignHistory {
    /// The tool.
    pub tool: Tool,
    /// Its table.
    pub table: String,
    /// What it says.
    pub state: ForeignState,
}

impl ForeignHistory {
    /// The newest version the tool applied (or left dirty or failed);
    /// `None` when it applied nothing.
    pub fn reached(&self) -> Option<Version> {
        match &self.state {
            ForeignState::Applied(rows) => rows.iter().map(|r| r.version).max(),
            ForeignState::UpTo(v) | ForeignState::Dirty(v) | ForeignState::Failed(v) => Some(*v),
        }
    }
}

/// A row of `tool`'s table that the tool itself could not have written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unreadable(pub String);

/// Reads `rows` (the values of [`Tool::columns`], in that order) as `tool`
/// reads its own history.
pub(crate) fn interpret(tool: Tool, rows: &[Vec<Value>]) -> Result<ForeignState, Unreadable> {
    // A backend of the user's may answer short rows: refused here, so that
    // the readers below index only what is there.
    let width = tool.columns().len();
    if let Some(row) = rows.iter().find(|row| row.len() < width) {
        return Err(Unreadable(format!(
            "a row has {} values where {width} columns were asked for",
            row.len()
        )));
    }
    let state = match tool {
        Tool::Goose => goose(rows)?,
        Tool::GolangMigrate => golang_migrate(rows)?,
        Tool::Sqlx => sqlx(rows)?,
        Tool::Refinery | Tool::SuperChat | Tool::Diesel | Tool::Dbmate => {
            let applied: Result<Vec<ForeignRow>, Unreadable> = rows
                .iter()
                .map(|row| {
                    Ok(ForeignRow {
                        version: version(tool, &row[0])?,
                        name: row.get(1).and_then(Value::text),
                        checksum: row
                            .get(2)
                            .and_then(Value::text)
                            .map(ForeignChecksum::Refinery),
                    })
                })
                .collect();
            ForeignState::Applied(applied?)
        }
    };
    Ok(match state {
        ForeignState::Applied(mut rows) => {
            rows.sort_by_key(|r| r.version);
            ForeignState::Applied(rows)
        }
        other => other,
    })
}

/// A version as `tool` stores it.
fn version(tool: Tool, value: &Value) -> Result<Version, Unreadable> {
    let version = match tool {
        // diesel keeps the folder's prefix as text: `20240101120000`, or
        // with its suffix `202401011200000000`.
        Tool::Diesel => value.text().and_then(|t| Version::diesel(&t)),
        // dbmate keeps the file's prefix as text: `20240101120000`.
        Tool::Dbmate => value
            .text()
            .and_then(|t| t.trim().parse().ok())
            .map(Version),
        _ => value
            .integer()
            .and_then(|n| u64::try_from(n).ok())
            .map(Version),
    };
    version.ok_or_else(|| Unreadable(format!("a version that is not a number: {value:?}")))
}

/// goose: the newest row of each version decides; `is_applied = false`
/// means reverted. Version 0 is the row goose writes when it creates its table.
fn goose(rows: &[Vec<Value>]) -> Result<ForeignState, Unreadable> {
    let mut newest: Vec<(i64, Version, bool)> = Vec::new();
    for row in rows {
        let id = row[0].integer().unwrap_or(0);
        let v = version(Tool::Goose, &row[1])?;
        let applied = row[2].truth().unwrap_or(false);
        match newest.iter_mut().find(|(_, seen, _)| *seen == v) {
            Some(entry) if entry.0 < id => *entry = (id, v, applied),
            Some(_) => {}
            None => newest.push((id, v, applied)),
        }
    }
    let applied = newest
        .into_iter()
        .filter(|&(_, v, applied)| applied && v.0 != 0)
        .map(|(_, version, _)| ForeignRow {
            version,
            name: None,
            checksum: None,
        });
    Ok(ForeignState::Applied(applied.collect()))
}

/// golang-migrate: one row, the version reached and whether it is dirty.
fn golang_migrate(rows: &[Vec<Value>]) -> Result<ForeignState, Unreadable> {
    match rows {
        [] => Ok(ForeignState::Applied(Vec::new())),
        // golang-migrate's "no version" is -1.
        [row] if row[0].integer().is_some_and(|v| v < 0) => Ok(ForeignState::Applied(Vec::new())),
        [row] => {
            let v = version(Tool::GolangMigrate, &row[0])?;
            Ok(if row[1].truth().unwrap_or(true) {
                ForeignState::Dirty(v)
            } else {
                ForeignState::UpTo(v)
            })
        }
        _ => Err(Unreadable(format!(
            "{} rows, where golang-migrate keeps one",
            rows.len()
        ))),
    }
}

/// sqlx: a row per migration; `success = false` is a failed one.
fn sqlx(rows: &[Vec<Value>]) -> Result<ForeignState, Unreadable> {
    let mut applied = Vec::new();
    for row in rows {
        let v = version(Tool::Sqlx, &row[0])?;
        if !row[2].truth().unwrap_or(false) {
            return Ok(ForeignState::Failed(v));
        }
        applied.push(ForeignRow {
            version: v,
            name: row[1].text(),
            checksum: row[3].bytes().map(ForeignChecksum::Sha384),
        });
    }
    Ok(ForeignState::Applied(applied))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_short_row_is_unreadable_not_a_panic() {
        for tool in super::Tool::ALL {
            let rows = vec![vec![super::Value::Integer(1)]];
            if tool.columns().len() > 1 {
                assert!(super::interpret(tool, &rows).is_err(), "{tool}");
            }
        }
    }

    use super::*;

    fn int(i: i64) -> Value {
        Value::Integer(i)
    }

    #[test]
    fn goose_newest_row_decides() {
        let rows = [
            vec![int(1), int(0), int(1)],
            vec![int(2), int(1), int(1)],
            vec![int(3), int(2), int(1)],
            vec![int(4), int(2), int(0)],
            vec![int(5), int(3), int(1)],
        ];
        let ForeignState::Applied(applied) = interpret(Tool::Goose, &rows).unwrap() else {
            panic!("applied expected");
        };
        let versions: Vec<u64> = applied.iter().map(|r| r.version.0).collect();
        assert_eq!(versions, [1, 3], "2 was reverted, 0 is goose's own row");
    }

    #[test]
    fn golang_migrate_dirty_and_clean() {
        let dirty = interpret(Tool::GolangMigrate, &[vec![int(3), int(1)]]).unwrap();
        assert_eq!(dirty, ForeignState::Dirty(Version(3)));
        let clean = interpret(Tool::GolangMigrate, &[vec![int(3), int(0)]]).unwrap();
        assert_eq!(clean, ForeignState::UpTo(Version(3)));
        let text = interpret(
            Tool::GolangMigrate,
            &[vec![int(3), Value::Text("f".into())]],
        );
        assert_eq!(text.unwrap(), ForeignState::UpTo(Version(3)));
        assert!(
            interpret(
                Tool::GolangMigrate,
                &[vec![int(1), int(0)], vec![int(2), int(0)]]
            )
            .is_err()
        );
    }

    #[test]
    fn sqlx_failed_row() {
        let rows = [
            vec![
                int(1),
                Value::Text("a".into()),
                int(1),
                Value::Blob(vec![1]),
            ],
            vec![
                int(2),
                Value::Text("b".into()),
                int(0),
                Value::Blob(vec![2]),
            ],
        ];
        assert_eq!(
            interpret(Tool::Sqlx, &rows).unwrap(),
            ForeignState::Failed(Version(2))
        );
    }

    #[test]
    fn diesel_versions_are_folder_prefixes() {
        let rows = [
            vec![Value::Text("2024-01-01-120000".into())],
            vec![Value::Text("00000000000000".into())],
            vec![Value::Text("2024-02-01-120000-0000".into())],
        ];
        let ForeignState::Applied(applied) = interpret(Tool::Diesel, &rows).unwrap() else {
            panic!("applied expected");
        };
        assert_eq!(applied[0].version, Version(0));
        assert_eq!(applied[1].version, Version(2024010112000000000));
        assert_eq!(
            applied[2].version,
            Version(2024020112000000001),
            "diesel's -0000 suffix kept: after the plain second"
        );
        assert_eq!(applied[2].version.to_string(), "202402011200000000");
    }

    #[test]
    fn tool_names_parse() {
        for tool in Tool::ALL {
            assert_eq!(tool.name().parse::<Tool>(), Ok(tool));
        }
        assert!("flyway".parse::<Tool>().is_err());
    }
}
