//! The set of migrations a binary carries: embedded by `embed_migrations!`
//! at build time, or read from a directory at run time, as one type.

use std::borrow::Cow;

use crate::{Migration, Version};

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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migrations {
    pub(crate) migrations: Cow<'static, [Migration]>,
}

impl Migrations {
    /// All migrations, base set and every environment, sorted by version.
    pub fn all(&self) -> &[Migration] {
        &self.migrations
    }

    /// Iterates over all migrations in version order.
    pub fn iter(&self) -> std::slice::Iter<'_, Migration> {
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

    /// The migration with this version (of the base set, or the first
    /// environment's that has it; see [`get_for`](Migrations::get_for)).
    pub fn get(&self, version: Version) -> Option<&Migration> {
        self.get_for(version, None)
    }

    /// The migration with this version for `environment`: environment
    /// folders that never run together may reuse a version, so the one of
    /// the base set or of `environment` comes first, then any other.
    pub fn get_for(&self, version: Version, environment: Option<&str>) -> Option<&Migration> {
        let start = self.migrations.partition_point(|m| m.version < version);
        let same = self.migrations[start..]
            .iter()
            .take_while(|m| m.version == version);
        same.clone()
            .find(|m| m.applies_to(environment))
            .or_else(|| same.clone().next())
    }

    /// The migrations of the base set plus those of `environment`, in
    /// version order; `None` selects the base set alone.
    pub fn for_environment<'s, 'e>(
        &'s self,
        environment: Option<&'e str>,
    ) -> impl Iterator<Item = &'s Migration> + use<'s, 'e> {
        self.migrations
            .iter()
            .filter(move |m| m.applies_to(environment))
    }

    /// The names of the environments that have migrations, sorted.
    pub fn environments(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .migrations
            .iter()
            .filter_map(Migration::environment)
            .collect();
        names.sort_unstable();
        names.dedup();
        names
    }

    /// The highest version of the base set plus `environment`.
    pub fn latest(&self, environment: Option<&str>) -> Option<Version> {
        self.for_environment(environment).last().map(|m| m.version)
    }

    /// The migrations of a directory read at run time with
    /// [`migrate_core::load`], for programs that cannot embed them at build
    /// time (the `migrate` command line, benchmarks with generated sets).
    pub fn from_set(set: migrate_core::MigrationSet) -> Migrations {
        Migrations {
            migrations: Cow::Owned(set.migrations),
        }
    }
}

impl<'a> IntoIterator for &'a Migrations {
    type Item = &'a Migration;
    type IntoIter = std::slice::Iter<'a, Migration>;

    fn into_iter(self) -> Self::IntoIter {
        self.migrations.iter()
    }
}
