//! Lints for changes a running system cannot survive: destructive,
//! backward-incompatible, data-dependent and (on PostgreSQL) locking
//! statements of Up sections, about real objects.
//!
//! The lints follow the schema through the set, migration by migration: a
//! table created in the same migration (or, with a release start, in the
//! same release) has no rows and no reader yet, so creating an index on it,
//! renaming it or dropping it is no finding; a table recreated under its
//! own name in the same migration (SQLite's table rebuild) is not dropped.
//! Down sections are not linted: undoing is what they are for.
//!
//! ```
//! # let root = tempfile::tempdir()?;
//! # std::fs::create_dir(root.path().join("migrations"))?;
//! std::fs::write(
//!     root.path().join("migrations/001_users.sql"),
//!     "-- +migrate Up\nCREATE TABLE users (id INT, email TEXT);\n-- +migrate Down\nDROP TABLE users;\n",
//! )?;
//! std::fs::write(
//!     root.path().join("migrations/002_no_email.sql"),
//!     "-- +migrate Up\nALTER TABLE users DROP COLUMN email;\n-- +migrate Down\nALTER TABLE users ADD COLUMN email TEXT;\n",
//! )?;
//! let set = migrate_core::load(root.path(), "migrations", &Default::default()).expect("valid");
//! let findings = migrate_core::lint(&set, migrate_core::Dialect::Sqlite, None);
//! assert_eq!(findings[0].rule.code(), "drop-column");
//! assert_eq!(findings[0].line, 2);
//! # Ok::<(), std::io::Error>(())
//! ```

mod column;
mod cursor;
mod rule;
mod shape;
mod statement;
mod trace;

use std::collections::{BTreeMap, BTreeSet};

use crate::{Dialect, MigrationSet, Version};

pub use rule::{Category, Finding, Rule};
pub use trace::{Hazard, LockMode, RelationKind, TracedRelation, TracedStatement};

/// Every finding of the Up sections of `set`, in version order, except the
/// ones a migration acknowledges with `-- +migrate Allow <code> <reason>`.
///
/// `release` is the first version of the release being made, when there is
/// one: an object created from that version on is new, whatever migration
/// created it. Without it each migration is its own release.
pub fn lint(set: &MigrationSet, dialect: Dialect, release: Option<Version>) -> Vec<Finding> {
    lint_traced(set, dialect, release, &[])
}

/// [`lint`], with what the build-time replay on a PostgreSQL server traced
/// of each statement (`migrate_replay::replay_postgres_traced`): a rule's
/// finding that the server confirmed says what it saw, one it refuted (a
/// type change without a rewrite) is dropped, and a rewrite or a scan under
/// a lock that blocks writes that no rule found is a finding of its own
/// ([`Rule::RewriteUnderLock`], [`Rule::ScanUnderLock`]). `Allow` applies
/// to all of them alike.
pub fn lint_traced(
    set: &MigrationSet,
    dialect: Dialect,
    release: Option<Version>,
    traced: &[TracedStatement],
) -> Vec<Finding> {
    let mut schema = Schema::default();
    let mut findings = Vec::new();
    // A Rust migration's functions are not SQL to read.
    for migration in set.migrations.iter().filter(|m| !m.rust) {
        let start = match release {
            Some(first) if migration.version >= first => first,
            _ => migration.version,
        };
        let mut scope = statement::Scope::new(&mut schema, migration, start, dialect);
        for statement in migration.up.iter() {
            // A block sent as one statement (goose's `StatementBegin`) is
            // read statement by statement.
            let inner = statement
                .sql()
                .trim_end()
                .trim_end_matches(';')
                .contains(';');
            match inner.then(|| crate::split(statement.sql(), statement.line, dialect)) {
                Some(Ok(parts)) => {
                    for part in &parts {
                        scope.statement(part.sql(), part.line);
                    }
                }
                _ => scope.statement(statement.sql(), statement.line),
            }
        }
        let found: Vec<Finding> = scope
            .finish()
            .into_iter()
            .map(|(rule, line, what)| Finding {
                rule,
                version: migration.version,
                path: migration.up_path.to_string(),
                line,
                what,
                traced: None,
            })
            .collect();
        let found = if traced.is_empty() {
            found
        } else {
            trace::merge(found, migration, start, traced)
        };
        let allowed = set.allowed(&migration.up_path);
        findings.extend(found.into_iter().filter(|f| !allowed.contains(&f.rule)));
    }
    findings
}

/// The objects the lints know of, each with the version that created it.
#[derive(Debug, Default)]
struct Schema {
    tables: BTreeMap<String, Version>,
    views: BTreeMap<String, Version>,
    schemas: BTreeMap<String, Version>,
    /// (table, column) added by `ADD COLUMN`, with the version that added it.
    columns: BTreeMap<(String, String), Version>,
    /// (table, column) with a `CHECK (column IS NOT NULL)`.
    not_null_checks: BTreeSet<(String, String)>,
    /// (table, column) added without a default: NULL in every row there
    /// was, so a unique index on it cannot meet duplicates.
    null_columns: BTreeSet<(String, String)>,
    /// Each index by name → its table.
    indexes: BTreeMap<String, String>,
    /// The columns of each table the set created with a column list.
    shapes: BTreeMap<String, shape::Columns>,
    domains: BTreeMap<String, Version>,
}

impl Schema {
    /// The objects of `kind`: `table`, `view` or `schema`.
    fn objects(&self, kind: &str) -> &BTreeMap<String, Version> {
        match kind {
            "table" => &self.tables,
            "view" => &self.views,
            _ => &self.schemas,
        }
    }

    fn objects_mut(&mut self, kind: &str) -> &mut BTreeMap<String, Version> {
        match kind {
            "table" => &mut self.tables,
            "view" => &mut self.views,
            _ => &mut self.schemas,
        }
    }
}
