//! The embedded migrations: the types `embed_migrations!` fills at build time.

use std::fmt;

use crate::{Checksum, Version};

/// One SQL statement of a migration, split at build time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Statement {
    pub(crate) sql: &'static str,
    pub(crate) line: u32,
}

impl Statement {
    /// The statement's SQL, as written in the file.
    pub fn sql(&self) -> &'static str {
        self.sql
    }

    /// The 1-based line of the statement in its file.
    pub fn line(&self) -> u32 {
        self.line
    }
}

/// One migration: its version, name, statements and checksum, all computed
/// at build time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Migration {
    pub(crate) version: Version,
    pub(crate) name: &'static str,
    pub(crate) environment: Option<&'static str>,
    pub(crate) up_path: &'static str,
    pub(crate) down_path: Option<&'static str>,
    pub(crate) up: &'static [Statement],
    pub(crate) down: Option<&'static [Statement]>,
    pub(crate) no_transaction: bool,
    pub(crate) foreign_keys_off: bool,
    pub(crate) checksum: Checksum,
}

impl Migration {
    /// The version.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The name after the version in the file name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The environment folder the migration comes from; `None` for the base set.
    pub fn environment(&self) -> Option<&'static str> {
        self.environment
    }

    /// The file holding the Up section, relative to the crate, e.g.
    /// `migrations/001_create_users.sql`.
    pub fn up_path(&self) -> &'static str {
        self.up_path
    }

    /// The file holding the Down section (the same file for a single-file
    /// migration); `None` for an irreversible migration.
    pub fn down_path(&self) -> Option<&'static str> {
        self.down_path
    }

    /// The Up statements, in order.
    pub fn up(&self) -> &'static [Statement] {
        self.up
    }

    /// The Down statements, in order; `None` for an irreversible migration.
    pub fn down(&self) -> Option<&'static [Statement]> {
        self.down
    }

    /// Whether the migration can be reverted.
    pub fn is_reversible(&self) -> bool {
        self.down.is_some()
    }

    /// Whether the migration runs outside a transaction (`-- +migrate NoTransaction`).
    pub fn no_transaction(&self) -> bool {
        self.no_transaction
    }

    /// Whether the migration needs `PRAGMA foreign_keys = OFF` while it runs
    /// (`-- +migrate ForeignKeys off`, for SQLite table rebuilds).
    pub fn foreign_keys_off(&self) -> bool {
        self.foreign_keys_off
    }

    /// The checksum of the Up and Down text, stored in the history table.
    pub fn checksum(&self) -> Checksum {
        self.checksum
    }

    /// Whether the migration belongs to the base set or to `environment`.
    pub fn applies_to(&self, environment: Option<&str>) -> bool {
        self.environment.is_none() || self.environment == environment
    }
}

impl fmt::Display for Migration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.version, self.name)
    }
}

/// Every migration of a directory, sorted by version: what
/// `embed_migrations!` returns.
///
/// ```
/// static MIGRATIONS: migrate_runtime::Migrations =
///     migrate_runtime::embed_migrations!("../examples/migrations");
///
/// let first = MIGRATIONS.iter().next().expect("one migration at least");
/// assert_eq!(first.version(), migrate_runtime::Version(1));
/// assert_eq!(MIGRATIONS.get(first.version()).map(|m| m.name()), Some(first.name()));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Migrations {
    pub(crate) migrations: &'static [Migration],
}

impl Migrations {
    /// All migrations, base set and every environment, sorted by version.
    pub fn all(&self) -> &'static [Migration] {
        self.migrations
    }

    /// Iterates over all migrations in version order.
    pub fn iter(&self) -> std::slice::Iter<'static, Migration> {
        self.migrations.iter()
    }

    /// The number of migrations, every environment included.
    pub fn len(&self) -> usize {
        self.migrations.len()
    }

    /// Whether there are no migrations (only a placeholder after a compile error has none).
    pub fn is_empty(&self) -> bool {
        self.migrations.is_empty()
    }

    /// The migration with this version.
    pub fn get(&self, version: Version) -> Option<&'static Migration> {
        self.migrations
            .binary_search_by_key(&version, |m| m.version)
            .ok()
            .map(|i| &self.migrations[i])
    }

    /// The migrations of the base set plus those of `environment`, in
    /// version order; `None` selects the base set alone.
    pub fn for_environment<'a>(
        &self,
        environment: Option<&'a str>,
    ) -> impl Iterator<Item = &'static Migration> + 'a {
        self.migrations
            .iter()
            .filter(move |m| m.applies_to(environment))
    }

    /// The names of the environments that have migrations, sorted.
    pub fn environments(&self) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = self
            .migrations
            .iter()
            .filter_map(|m| m.environment)
            .collect();
        names.sort_unstable();
        names.dedup();
        names
    }

    /// The highest version of the base set plus `environment`.
    pub fn latest(&self, environment: Option<&str>) -> Option<Version> {
        self.for_environment(environment).last().map(|m| m.version)
    }
}

impl Migrations {
    /// The migrations of a directory read at run time with
    /// [`migrate_core::load`], for programs that cannot embed them at build
    /// time (the `migrate` command line, benchmarks with generated sets).
    ///
    /// The set is leaked to give it the `'static` lifetime embedded sets
    /// have: call this once per process, not in a loop.
    pub fn from_set(set: migrate_core::MigrationSet) -> Migrations {
        fn leak(text: String) -> &'static str {
            Box::leak(text.into_boxed_str())
        }
        fn statements(list: Vec<migrate_core::Statement>) -> &'static [Statement] {
            let list: Vec<Statement> = list
                .into_iter()
                .map(|s| Statement {
                    sql: leak(s.sql),
                    line: s.line,
                })
                .collect();
            Box::leak(list.into_boxed_slice())
        }
        let migrations: Vec<Migration> = set
            .migrations
            .into_iter()
            .map(|m| Migration {
                version: m.version,
                name: leak(m.name),
                environment: m.environment.map(leak),
                up_path: leak(m.up_path),
                down_path: m.down_path.map(leak),
                up: statements(m.up),
                down: m.down.map(statements),
                no_transaction: m.no_transaction,
                foreign_keys_off: m.foreign_keys_off,
                checksum: m.checksum,
            })
            .collect();
        Migrations {
            migrations: Box::leak(migrations.into_boxed_slice()),
        }
    }
}

impl IntoIterator for &Migrations {
    type Item = &'static Migration;
    type IntoIter = std::slice::Iter<'static, Migration>;

    fn into_iter(self) -> Self::IntoIter {
        self.migrations.iter()
    }
}
