//! Why a migration-path test failed, said with the migration's file and
//! the place in the test that registered the failing seed or check.

use std::panic::Location;

use crate::{Migration, Version};

/// A migration-path test's failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Failure {
    /// Running a migration failed (the runtime's error says the statement's line).
    #[error("{path}: migrating {direction} through version {version} failed: {error}")]
    Migration {
        /// The migration.
        version: Version,
        /// Its Up file.
        path: String,
        /// `up`, `down` or `up again after the Downs`.
        direction: &'static str,
        /// The runtime's error.
        error: Box<crate::Error>,
    },
    /// A seed or a check returned an error (or its query failed).
    #[error(
        "the {kind} registered at {registered} failed at version {version} ({path}, reached going {direction}): {message}"
    )]
    Hook {
        /// `seed` or `check`.
        kind: &'static str,
        /// `file:line` of the `seed` or `check` call in the test.
        registered: String,
        /// The version the database stood at.
        version: Version,
        /// That migration's Up file.
        path: String,
        /// `up` or `down`.
        direction: &'static str,
        /// What the hook said.
        message: String,
    },
    /// Rows a seed inserted are gone after a later Up.
    #[error(
        "{path}: migrating up to version {version} lost rows seeded at version {seeded_at}: table `{table}` had {rows}, {}",
        left.map_or("and is gone".to_owned(), |n| format!("now {n}"))
    )]
    SeededRowsLost {
        /// The table the seed filled.
        table: String,
        /// Its rows after the seed.
        rows: i64,
        /// Its rows now; `None` when the table is gone.
        left: Option<i64>,
        /// The seed's version.
        seeded_at: Version,
        /// The migration that lost them.
        version: Version,
        /// Its Up file.
        path: String,
    },
    /// A Down did not give back the schema from before its Up.
    #[error(
        "{path}: the Down of version {version} does not restore the schema from before its Up: {}",
        differences.join("; ")
    )]
    DownDoesNotRestore {
        /// The migration.
        version: Version,
        /// Its Down file (or its only file).
        path: String,
        /// What differs, one sentence each.
        differences: Vec<String>,
    },
    /// A Rust migration's `up` changed the schema: a Rust migration is
    /// declared to change data only, so the build-time replay goes around
    /// it; a schema change there would escape its proof.
    #[error(
        "{path}: the Rust migration of version {version} changed the schema: {}; a Rust \
         migration changes data only (the build-time replay goes around it), so put the \
         schema change in a SQL migration before or after it",
        differences.join("; ")
    )]
    RustChangedSchema {
        /// The migration.
        version: Version,
        /// Its `.rs` file.
        path: String,
        /// What differs, one sentence each.
        differences: Vec<String>,
    },
    /// `path` was given a version the set does not reach.
    #[error("no migration at or below version {version} in this set")]
    NoSuchVersion {
        /// The version asked for.
        version: Version,
    },
    /// The test database could not be made or read.
    #[error("the test database: {message}")]
    Database {
        /// What failed.
        message: String,
    },
}

impl Failure {
    pub(super) fn migration(
        migration: &Migration,
        direction: &'static str,
        error: crate::Error,
    ) -> Failure {
        Failure::Migration {
            version: migration.version(),
            path: migration.up_path().to_owned(),
            direction,
            error: Box::new(error),
        }
    }

    pub(super) fn hook(
        kind: &'static str,
        at: &Location<'_>,
        migration: &Migration,
        direction: &'static str,
        error: &dyn std::error::Error,
    ) -> Failure {
        Failure::Hook {
            kind,
            registered: format!("{}:{}", at.file(), at.line()),
            version: migration.version(),
            path: migration.up_path().to_owned(),
            direction,
            message: error.to_string(),
        }
    }

    #[cfg_attr(not(any(feature = "sqlite", feature = "postgres")), allow(dead_code))]
    pub(super) fn database(error: impl std::fmt::Display) -> Failure {
        Failure::Database {
            message: error.to_string(),
        }
    }
}
