//! The embedded migrations as a [`refinery_core::Runner`]: refinery's
//! drivers (MySQL, MariaDB, SQL Server, async PostgreSQL …) applying a set
//! this crate checked at build time.

use crate::{Error, Migration, Migrations};

impl Migrations {
    /// A `refinery_core::Runner` over the Up sections of the base set, for
    /// the databases refinery's drivers reach and this crate's backends do
    /// not yet (MySQL, MariaDB, SQL Server). The set is the one
    /// `embed_migrations!` checked at build time.
    ///
    /// Each migration reaches refinery as `V<version>__<name>` with its
    /// file's text, so refinery's own checksums agree with the ones it
    /// recorded from the same files. A file that also holds its Down section
    /// gives its Up statements only. The runner is grouped (the whole run
    /// in one transaction, where the database allows) unless a migration
    /// runs outside a transaction.
    ///
    /// What refinery's path does not have: Down migrations, backups, the
    /// migration lock, the drift and out-of-order refusals of
    /// [`Migrator`](crate::Migrator), and environments.
    ///
    /// ```
    /// # #[cfg(feature = "sqlite")] {
    /// static MIGRATIONS: migrate_runtime::Migrations =
    ///     migrate_runtime::embed_migrations!("../examples/migrations");
    ///
    /// let mut conn = migrate_runtime::rusqlite::Connection::open_in_memory()?;
    /// let report = MIGRATIONS.refinery_runner()?.run(&mut conn)?;
    /// assert_eq!(report.applied_migrations().len(), MIGRATIONS.for_environment(None).count());
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Refinery`] when refinery cannot take a migration (a version
    /// above `i32::MAX`, which refinery does not accept, or a name it does
    /// not read), or the set holds a Rust migration, which refinery's
    /// runner, running SQL text, cannot call.
    pub fn refinery_runner(&self) -> Result<refinery_core::Runner, Error> {
        let migrations: Vec<&Migration> = self.for_environment(None).collect();
        if let Some(rust) = migrations.iter().find(|m| m.is_rust()) {
            return Err(Error::Refinery {
                path: rust.up_path().to_owned(),
                message: "a Rust migration, whose functions refinery's runner (which runs SQL \
                          text) cannot call; run the set with `Migrator` on a backend of this \
                          crate (SQLite, PostgreSQL)"
                    .to_owned(),
            });
        }
        let converted = migrations
            .iter()
            .map(|m| to_refinery(m))
            .collect::<Result<Vec<_>, Error>>()?;
        let grouped = !migrations.iter().any(|m| m.no_transaction());
        Ok(refinery_core::Runner::new(&converted).set_grouped(grouped))
    }
}

/// One migration as refinery's, named and written as refinery reads it.
pub(crate) fn to_refinery(migration: &Migration) -> Result<refinery_core::Migration, Error> {
    let prefix = if migration.unordered() { 'U' } else { 'V' };
    let name = format!("{prefix}{}__{}", migration.version(), migration.name());
    let same_file_down = migration.down_path() == Some(migration.up_path());
    let joined;
    let sql = match migration.up_file_text() {
        Some(text) if !same_file_down => text,
        _ => {
            joined = migration
                .up()
                .iter()
                .map(crate::Statement::sql)
                .collect::<Vec<_>>()
                .join("\n");
            &joined
        }
    };
    refinery_core::Migration::unapplied(&name, sql).map_err(|error| Error::Refinery {
        path: migration.up_path().to_owned(),
        message: error.to_string(),
    })
}
