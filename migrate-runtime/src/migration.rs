//! The set of migrations a binary carries: embedded by `embed_migrations!`
//! at build time, or read from a directory at run time, as one type.

use std::borrow::Cow;
use std::sync::OnceLock;

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
#[derive(Debug, Clone)]
pub struct Migrations {
    pub(crate) source: Source,
    /// The functions of the Rust migrations, compiled with the set.
    pub(crate) code: &'static [crate::Code],
}

/// Where a set's migrations are.
#[derive(Debug, Clone)]
pub(crate) enum Source {
    /// Built from constants, or read at run time.
    Listed(Cow<'static, [Migration]>),
    /// As `embed_migrations!` keeps it in `OUT_DIR` (see
    /// [`migrate_core::encoded`]): decoded once, at first use.
    Encoded(&'static [u8], OnceLock<Vec<Migration>>),
}

impl PartialEq for Migrations {
    fn eq(&self, other: &Migrations) -> bool {
        self.all() == other.all()
    }
}

impl Eq for Migrations {}

impl Migrations {
    /// All migrations, base set and every environment, sorted by version.
    ///
    /// # Panics
    ///
    /// When the set `embed_migrations!` encoded does not decode: the build
    /// output was damaged, and the program must be built again.
    pub fn all(&self) -> &[Migration] {
        match &self.source {
            Source::Listed(list) => list,
            Source::Encoded(bytes, decoded) => decoded.get_or_init(|| {
                migrate_core::encoded::decode(bytes).expect(
                    "the migrations embedded by `embed_migrations!` are damaged; build the program again",
                )
            }),
        }
    }

    /// Iterates over all migrations in version order.
    pub fn iter(&self) -> std::slice::Iter<'_, Migration> {
        self.all().iter()
    }

    /// The number of migrations, every environment included.
    pub fn len(&self) -> usize {
        self.all().len()
    }

    /// Whether there are no migrations (only a placeholder after a compile error has none).
    pub fn is_empty(&self) -> bool {
        self.all().is_empty()
    }

    /// The migration with this version (of the base set, or the first
    /// environment's that has it; see [`get_for`](Migrations::get_for)).
    pub fn get(&self, version: Version) -> Option<&Migration> {
        self.get_for(version, None)
    }

    /// The version a person means by the number `written`: the migration's
    /// that has it, else the diesel folder's whose version diesel writes
    /// so (`20260527120000`, `202605271200000000`: see
    /// [`Version::diesel`](migrate_core::Version::diesel)), else the number
    /// itself (a target that no migration has is refused where it is used).
    ///
    /// ```
    /// # use migrate_runtime::{Migrations, Version};
    /// # let root = tempfile::tempdir()?;
    /// # for (folder, sql) in [("2026-05-27-120000_a", "CREATE TABLE a (x INT);"),
    /// #                       ("2026-05-27-120000-0000_b", "CREATE TABLE b (x INT);")] {
    /// #     std::fs::create_dir_all(root.path().join("m").join(folder))?;
    /// #     std::fs::write(root.path().join("m").join(folder).join("up.sql"), sql)?;
    /// # }
    /// # let set = migrate_core::load(root.path(), "m", &Default::default()).expect("valid");
    /// let migrations = Migrations::from_set(set);
    /// let suffixed = migrations.version_written(202605271200000000);
    /// assert_eq!(migrations.get(suffixed).map(|m| m.name()), Some("b"));
    /// let plain = migrations.version_written(20260527120000);
    /// assert_eq!(migrations.get(plain).map(|m| m.name()), Some("a"));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn version_written(&self, written: u64) -> Version {
        let number = Version(written);
        if self.get(number).is_some() {
            return number;
        }
        migrate_core::Version::diesel(&written.to_string())
            .filter(|diesel| self.get(*diesel).is_some())
            .unwrap_or(number)
    }

    /// The migration with this version for `environment`: environment
    /// folders that never run together may reuse a version, so the one of
    /// the base set or of `environment` comes first, then any other.
    pub fn get_for(&self, version: Version, environment: Option<&str>) -> Option<&Migration> {
        let start = self.all().partition_point(|m| m.version < version);
        let same = self.all()[start..]
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
        self.all().iter().filter(move |m| m.applies_to(environment))
    }

    /// The names of the environments that have migrations, sorted.
    pub fn environments(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .all()
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

    /// The functions of a Rust migration, compiled into this program by
    /// `embed_migrations!`; `None` for a SQL migration, and for a Rust one
    /// in a set read at run time ([`from_set`](Migrations::from_set)),
    /// which cannot compile it.
    pub fn code_of(&self, migration: &Migration) -> Option<&crate::Code> {
        self.code.iter().find(|code| {
            code.version == migration.version && code.environment == migration.environment()
        })
    }

    /// The migrations of a directory read at run time with
    /// [`migrate_core::load`], for programs that cannot embed them at build
    /// time (the `migrate` command line, benchmarks with generated sets).
    pub fn from_set(set: migrate_core::MigrationSet) -> Migrations {
        Migrations {
            source: Source::Listed(Cow::Owned(set.migrations)),
            code: &[],
        }
    }
}

impl<'a> IntoIterator for &'a Migrations {
    type Item = &'a Migration;
    type IntoIter = std::slice::Iter<'a, Migration>;

    fn into_iter(self) -> Self::IntoIter {
        self.all().iter()
    }
}
