//! Migration-path tests (feature `testing`): a fresh database put at a
//! version, the test's data inserted, the set migrated on, the data and the
//! schema checked, and back down where the migrations are reversible — on
//! the real backend, in a few lines.
//!
//! ```
//! use migrate_runtime::testing::MigrationTest;
//! use migrate_runtime::{Migrations, Version, embed_migrations};
//!
//! static MIGRATIONS: Migrations = embed_migrations!("../examples/migrations");
//!
//! # fn main() -> Result<(), migrate_runtime::testing::Failure> {
//! MigrationTest::sqlite(&MIGRATIONS)?
//!     // At version 1, a user the later migrations must keep.
//!     .seed(Version(1), |db| {
//!         db.execute("INSERT INTO users (email) VALUES ('ada@example.com')", [])?;
//!         Ok(())
//!     })
//!     // Wherever the chain stands from version 2 on, she is still there.
//!     .check(Version(2), |db| {
//!         let n: i64 = db.query_row("SELECT count(*) FROM users", [], |r| r.get(0))?;
//!         assert_eq!(n, 1);
//!         Ok(())
//!     })
//!     // Every migration up one at a time, every Down proven, up again.
//!     .walk()?;
//! # Ok(())
//! # }
//! ```
//!
//! [`walk`](MigrationTest::walk) proves on the real backend what the
//! build-time replay proves on SQLite: each migration Up one at a time
//! (seeds at their version, then every row the seeds inserted checked to
//! survive each later Up), then each Down one at a time from the newest
//! (the schema compared with the one from before its Up), then Up again to
//! the newest. [`path`](MigrationTest::path) is SuperChat's test: the
//! database at version N, seeded, migrated to M in one run, checked, then
//! down to N again and checked again.

mod failure;
mod inspect;
#[cfg(feature = "mysql")]
mod mysql;

use std::collections::BTreeMap;

use crate::{DEFAULT_TABLE, Migration, Migrations, Version};

pub use failure::Failure;
pub use inspect::{Fresh, Inspect};
#[cfg(feature = "mysql")]
pub use mysql::MysqlDatabases;

/// What a seed or a check returns: any error, said in the failure.
pub type HookResult = std::result::Result<(), Box<dyn std::error::Error>>;

/// A seed or a check, with where the test registered it.
struct Hook<'h, C> {
    run: Box<dyn FnMut(&mut C) -> HookResult + 'h>,
    at: &'static std::panic::Location<'static>,
}

impl<'h, C> Hook<'h, C> {
    /// The hook, with the place of the caller's caller (`seed` or `check`).
    #[track_caller]
    fn new(run: impl FnMut(&mut C) -> HookResult + 'h) -> Self {
        Hook {
            run: Box::new(run),
            at: std::panic::Location::caller(),
        }
    }
}

/// A migration-path test of one set on fresh databases of one backend.
pub struct MigrationTest<'m, 'h, F: Fresh> {
    migrations: &'m Migrations,
    environment: Option<String>,
    fresh: F,
    seeds: BTreeMap<Version, Vec<Hook<'h, F::Conn>>>,
    checks: BTreeMap<Version, Vec<Hook<'h, F::Conn>>>,
}

#[cfg(feature = "sqlite")]
impl<'m> MigrationTest<'m, '_, inspect::SqliteFiles> {
    /// A test on fresh SQLite files in a temporary directory, removed after.
    ///
    /// # Errors
    ///
    /// [`Failure::Database`] when the temporary directory cannot be made.
    pub fn sqlite(migrations: &'m Migrations) -> Result<Self, Failure> {
        Ok(Self::on(migrations, inspect::SqliteFiles::new()?))
    }
}

#[cfg(feature = "postgres")]
impl<'m> MigrationTest<'m, '_, inspect::PostgresDatabases> {
    /// A test on fresh databases of the PostgreSQL server at `url`, each
    /// created from `template0` and dropped after (the role needs `CREATEDB`).
    ///
    /// # Errors
    ///
    /// [`Failure::Database`] when the server cannot be reached.
    pub fn postgres(migrations: &'m Migrations, url: &str) -> Result<Self, Failure> {
        Ok(Self::on(migrations, inspect::PostgresDatabases::new(url)?))
    }
}

impl<'m, 'h, F: Fresh> MigrationTest<'m, 'h, F> {
    /// A test on the databases `fresh` makes.
    pub fn on(migrations: &'m Migrations, fresh: F) -> Self {
        MigrationTest {
            migrations,
            environment: None,
            fresh,
            seeds: BTreeMap::new(),
            checks: BTreeMap::new(),
        }
    }

    /// Tests the base set plus this environment's migrations.
    #[must_use]
    pub fn environment(mut self, environment: impl Into<String>) -> Self {
        self.environment = Some(environment.into());
        self
    }

    /// Runs `seed` when the database first reaches `version` going up: the
    /// rows it inserts must survive every later Up.
    #[must_use]
    #[track_caller]
    pub fn seed(
        mut self,
        version: Version,
        seed: impl FnMut(&mut F::Conn) -> HookResult + 'h,
    ) -> Self {
        self.seeds.entry(version).or_default().push(Hook::new(seed));
        self
    }

    /// Runs `check` each time the database stands at `version`, going up
    /// or down.
    #[must_use]
    #[track_caller]
    pub fn check(
        mut self,
        version: Version,
        check: impl FnMut(&mut F::Conn) -> HookResult + 'h,
    ) -> Self {
        self.checks
            .entry(version)
            .or_default()
            .push(Hook::new(check));
        self
    }

    /// The whole chain on a fresh database: Up one migration at a time
    /// (seeds, the seeded rows checked after each later Up, checks; a Rust
    /// migration must leave the schema as it found it), then
    /// Down one at a time from the newest while the migrations are
    /// reversible (the schema compared with the one from before each Up,
    /// checks), then Up again to the newest.
    ///
    /// # Errors
    ///
    /// The first [`Failure`], naming the migration's file and the check.
    pub fn walk(&mut self) -> Result<(), Failure> {
        let chain: Vec<&Migration> = self.chain().collect();
        let mut db = self.fresh.fresh()?;
        let mut run = Run::default();
        let mut before = Vec::new();
        for migration in &chain {
            let schema = F::Conn::schema(&mut db, &own())?;
            let unchanged = migration.is_rust().then_some(&schema);
            self.up_to(&mut db, migration, &mut run, unchanged)?;
            before.push(schema);
        }
        for (i, migration) in chain.iter().enumerate().rev() {
            if !migration.is_reversible() {
                break;
            }
            let below = i.checked_sub(1).map(|k| chain[k]);
            self.down_to(&mut db, migration, below, &before[i])?;
        }
        if let Some(newest) = chain.last() {
            self.migrator(Some(newest.version()))
                .run(&mut db)
                .map_err(|error| Failure::migration(newest, "up again after the Downs", error))?;
        }
        Ok(())
    }

    /// SuperChat's test on a fresh database: migrated to `from` (seeds and
    /// checks at `from`), then to `to` in one run (every seeded row checked
    /// to survive, checks at `to`), then, when every migration in between
    /// is reversible, down to `from` again (the schema compared, checks at
    /// `from`).
    ///
    /// # Errors
    ///
    /// The first [`Failure`], naming the migration's file and the check.
    pub fn path(&mut self, from: Version, to: Version) -> Result<(), Failure> {
        let chain: Vec<&Migration> = self.chain().collect();
        let start = chain.iter().rev().find(|m| m.version() <= from).copied();
        let end = chain
            .iter()
            .rev()
            .find(|m| m.version() <= to)
            .copied()
            .ok_or(Failure::NoSuchVersion { version: to })?;
        let mut db = self.fresh.fresh()?;
        let mut run = Run::default();
        match start {
            Some(start) => self.up_to(&mut db, start, &mut run, None)?,
            None => return Err(Failure::NoSuchVersion { version: from }),
        }
        let at_from = F::Conn::schema(&mut db, &own())?;
        self.up_to(&mut db, end, &mut run, None)?;
        let mut between = chain
            .iter()
            .filter(|m| m.version() > from && m.version() <= to);
        if between.clone().all(|m| m.is_reversible()) {
            let top = between.next_back().copied().unwrap_or(end);
            self.down_to(&mut db, top, start, &at_from)?;
        }
        Ok(())
    }

    fn chain(&self) -> impl Iterator<Item = &'m Migration> + use<'m, 'h, F> {
        let environment = self.environment.clone();
        self.migrations
            .iter()
            .filter(move |m| m.applies_to(environment.as_deref()))
    }

    /// The migrator of the test: no backups, the environment, and for a
    /// run up the version to stop at.
    fn migrator(&self, to: Option<Version>) -> crate::Migrator<'m> {
        let mut migrator = self.migrations.migrator().backup(false);
        if let Some(to) = to {
            migrator = migrator.to(to);
        }
        match &self.environment {
            Some(environment) => migrator.environment(environment.clone()),
            None => migrator,
        }
    }

    /// Up to `migration` in one run (the schema still `unchanged` after
    /// it, for a Rust migration run alone); its seeds; the seeded rows
    /// checked; its checks.
    fn up_to(
        &mut self,
        db: &mut F::Conn,
        migration: &Migration,
        run: &mut Run,
        unchanged: Option<&migrate_core::SchemaObjects<String>>,
    ) -> Result<(), Failure> {
        let version = migration.version();
        self.migrator(Some(version))
            .run(db)
            .map_err(|error| Failure::migration(migration, "up", error))?;
        if let Some(expected) = unchanged {
            let differences = inspect::differences(expected, &F::Conn::schema(db, &own())?);
            if !differences.is_empty() {
                return Err(Failure::RustChangedSchema {
                    version,
                    path: migration.up_path().to_owned(),
                    differences,
                });
            }
        }
        run.survived(db, migration)?;
        if let Some(seeds) = self.seeds.get_mut(&version) {
            let before = F::Conn::row_counts(db, &own())?;
            for seed in seeds.iter_mut() {
                (seed.run)(db)
                    .map_err(|error| Failure::hook("seed", seed.at, migration, "up", &*error))?;
            }
            run.seeded(version, &before, &F::Conn::row_counts(db, &own())?);
        }
        run_checks(&mut self.checks, db, migration, "up")
    }

    /// Down from `migration` to `below`: the schema compared with `expected`, checks at `below`.
    fn down_to(
        &mut self,
        db: &mut F::Conn,
        migration: &Migration,
        below: Option<&Migration>,
        expected: &migrate_core::SchemaObjects<String>,
    ) -> Result<(), Failure> {
        let migrator = self.migrator(None);
        match below {
            Some(below) => migrator.down_to(db, below.version()),
            None => migrator.reset(db),
        }
        .map_err(|error| Failure::migration(migration, "down", error))?;
        let now = F::Conn::schema(db, &own())?;
        let differences = inspect::differences(expected, &now);
        if !differences.is_empty() {
            return Err(Failure::DownDoesNotRestore {
                version: migration.version(),
                path: migration
                    .down_path()
                    .unwrap_or(migration.up_path())
                    .to_owned(),
                differences,
            });
        }
        match below {
            Some(below) => run_checks(&mut self.checks, db, below, "down"),
            None => Ok(()),
        }
    }
}

/// The runtime's own tables (the history and its lock table), which a
/// test neither compares nor counts.
fn own() -> [String; 2] {
    [
        DEFAULT_TABLE.to_owned(),
        crate::table::lock_table_name(DEFAULT_TABLE),
    ]
}

/// The checks at `migration`'s version.
fn run_checks<C>(
    checks: &mut BTreeMap<Version, Vec<Hook<'_, C>>>,
    db: &mut C,
    migration: &Migration,
    direction: &'static str,
) -> Result<(), Failure> {
    for check in checks.get_mut(&migration.version()).into_iter().flatten() {
        (check.run)(db)
            .map_err(|error| Failure::hook("check", check.at, migration, direction, &*error))?;
    }
    Ok(())
}

/// What a walk or a path has seeded so far: each table's rows after the
/// seeds, which every later Up must keep.
#[derive(Default)]
struct Run {
    seeded: BTreeMap<String, (i64, Version)>,
}

impl Run {
    fn seeded(
        &mut self,
        version: Version,
        before: &BTreeMap<String, i64>,
        after: &BTreeMap<String, i64>,
    ) {
        for (table, rows) in after {
            if *rows > before.get(table).copied().unwrap_or(0) {
                self.seeded.insert(table.clone(), (*rows, version));
            }
        }
    }

    fn survived<C: Inspect>(&self, db: &mut C, migration: &Migration) -> Result<(), Failure> {
        if self.seeded.is_empty() {
            return Ok(());
        }
        let counts = C::row_counts(db, &own())?;
        for (table, (rows, seeded_at)) in &self.seeded {
            let left = counts.get(table).copied();
            if left.is_none_or(|left| left < *rows) {
                return Err(Failure::SeededRowsLost {
                    table: table.clone(),
                    rows: *rows,
                    left,
                    seeded_at: *seeded_at,
                    version: migration.version(),
                    path: migration.up_path().to_owned(),
                });
            }
        }
        Ok(())
    }
}
