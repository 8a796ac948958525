//! Compile-time checked, embedded SQL migrations.
//!
//! A complete program: put `.sql` files in `migrations/` beside
//! `Cargo.toml`, then
//!
//! ```no_run
//! use migrate_runtime::rusqlite::Connection;
//!
//! // Read, checked and replayed on SQLite when this crate compiles.
//! static MIGRATIONS: migrate_runtime::Migrations =
//!     migrate_runtime::embed_migrations!("migrations");
//!
//! fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let mut conn = Connection::open("app.db")?;
//!     // Applies what is pending, in one transaction, after a backup of
//!     // `app.db`; refuses an edited or unknown migration.
//!     let report = MIGRATIONS.migrate(&mut conn)?;
//!     println!("{report}");
//!     Ok(())
//! }
//! ```
//!
//! An error returned from `main` prints its sentence, e.g. `Error:
//! migrations/001_create_users.sql was edited after it was applied …; restore
//! the file, and put the change in a new migration`.
//!
//! `embed_migrations!("migrations")` reads the migration directory at build
//! time: a bad file name, a duplicate version, a gap, a malformed section or
//! an unterminated quote is a compile error naming the file and the line. A
//! good directory becomes a `static` [`Migrations`] value: no file system
//! access, no parsing and no allocation at start-up.
//!
//! ```
//! static MIGRATIONS: migrate_runtime::Migrations =
//!     migrate_runtime::embed_migrations!("../examples/migrations");
//!
//! for migration in &MIGRATIONS {
//!     println!("{} ({} statements)", migration, migration.up().len());
//! }
//! ```
//!
//! Add a one-line `build.rs` so that a *new* file in the directory triggers a
//! rebuild (edits to existing files already do); it needs no dependency:
//!
//! ```no_run
//! // build.rs
//! fn main() {
//!     println!("cargo::rerun-if-changed=migrations");
//! }
//! ```
#![warn(missing_docs)]
// The build.rs example is a whole file, `fn main` included.
#![allow(clippy::needless_doctest_main)]

mod abandon;
mod adopt;
mod backend;
#[cfg(feature = "_backend")]
mod backoff;
#[cfg(feature = "_sqlite")]
mod backup;
mod code;
mod error;
mod foreign;
mod lock_wait;
mod mark;
mod migration;
mod migrator;
#[cfg(any(feature = "mysql", feature = "mysql-async", feature = "sqlx-mysql"))]
mod mysql_server;
mod operation;
mod perform;
mod plan;
#[cfg(any(
    feature = "postgres",
    feature = "tokio-postgres",
    feature = "sqlx-postgres"
))]
mod postgresql;
mod ready;
#[cfg(feature = "refinery")]
mod refinery;
mod report;
mod script;
#[cfg(feature = "_sqlite")]
mod sqlite;
mod status;
mod table;
#[cfg(feature = "testing")]
pub mod testing;
mod trace;

/// The `mysql` this crate is built against.
#[cfg(feature = "mysql")]
pub use ::mysql;
/// The `mysql_async` this crate is built against.
#[cfg(feature = "mysql-async")]
pub use ::mysql_async;
/// The `postgres` this crate is built against.
#[cfg(feature = "postgres")]
pub use ::postgres;
pub use adopt::AdoptProblem;
pub use backend::{
    AppliedMigration, AppliedVersion, Backend, BackupSettings, Backups, Catalog, ForeignKeys,
    HistoryStore, LockRequest, LockScope, LockWaits, Locking, ProgressRecord, SearchPath, Session,
    Unsupported,
};
#[cfg(feature = "_sqlite")]
pub use backup::backups_of;
pub use code::{Code, CodeResult, Function, PendingCode};
pub use error::{DriverError, Error, LockHolder, Result, SettingsRefused, TransactionEnded};
pub use foreign::{
    ForeignChecksum, ForeignHistory, ForeignRow, ForeignState, Tool, UnknownTool, Value,
};
pub use lock_wait::{Blocker, LockRetry, LockWait};
pub use migrate_core::{Checksum, Library, Migration, Remedy, Statement, Version, Worded, Wording};
pub use migration::Migrations;
pub use migrator::{
    DEFAULT_BUSY_TIMEOUT, DEFAULT_KEEP_BACKUPS, DEFAULT_LOCK_LEASE, DEFAULT_LOCK_TIMEOUT,
    DEFAULT_TABLE, Migrator,
};
#[cfg(any(feature = "mysql", feature = "mysql-async", feature = "sqlx-mysql"))]
pub use mysql_server::MysqlLock;
pub use plan::{Change, Resolution};
#[cfg(any(
    feature = "postgres",
    feature = "tokio-postgres",
    feature = "sqlx-postgres"
))]
pub use postgresql::{PostgresLock, ServerError};
/// The `refinery-core` this crate is built against: turn on its driver
/// features (`mysql`, `tiberius`, `tokio-postgres` …) for the database
/// [`Migrations::refinery_runner`] runs against.
#[cfg(feature = "refinery")]
pub use refinery_core;
pub use report::{KeptHistory, Report, Step};
/// The `rusqlite` this crate is built against, so that users and this crate
/// share one version.
#[cfg(feature = "sqlite")]
pub use rusqlite;
#[cfg(feature = "_sqlite")]
pub use sqlite::SqliteLock;
/// The `sqlx` this crate is built against (its `PgConnection` is a
/// [`Backend`] with the `sqlx-postgres` feature, its `MySqlConnection`
/// with `sqlx-mysql`, its `SqliteConnection` with `sqlx-sqlite`).
#[cfg(any(
    feature = "sqlx-postgres",
    feature = "sqlx-mysql",
    feature = "sqlx-sqlite"
))]
pub use sqlx;
pub use status::{State, Status, StatusEntry};
pub use table::TableName;
/// The `tokio-postgres` this crate is built against.
#[cfg(feature = "tokio-postgres")]
pub use tokio_postgres;

/// Embeds the migration directory `dir` (relative to the crate root;
/// `"migrations"` when omitted), validated at build time.
///
/// ```
/// static MIGRATIONS: migrate_runtime::Migrations =
///     migrate_runtime::embed_migrations!("../examples/migrations", allow_gaps = false);
/// assert!(!MIGRATIONS.is_empty());
/// ```
///
/// Options, after the path:
/// - `allow_gaps = true`: accept a sequential set that does not start at 1 or
///   has gaps (a squashed history).
/// - `check = false, reason = "…"`: skip the build-time replay on SQLite (the
///   reason is required).
/// - `dialect = "postgres"`: a PostgreSQL-only set; no SQLite replay. With
///   the `postgres-parse` feature every statement is parsed by PostgreSQL's
///   own parser; with `postgres-replay` and `MIGRATE_REPLAY_POSTGRES_URL`
///   set at build time, the set is replayed (Up, Down, schema compared, Up
///   again) on a scratch database of that server, dropped afterwards.
/// - `lint_errors_from = V`: the lint findings of migrations from version
///   `V` on are compile errors (earlier ones, already applied, stay
///   warnings).
/// - `irreversible_before = V`: migrations before version `V` are history,
///   applied everywhere and never reverted: their Down is not required and
///   not replayed.
///
/// After the format checks, every migration is replayed on an in-memory
/// SQLite in version order, and each reversible migration's Down must give
/// back the schema from before its Up; a failing statement or a Down that
/// leaves or drops an object is a compile error too. A file marked
/// `-- +migrate NoCheck <reason>` is skipped.
///
/// Every problem of the directory is a compile error on the literal, e.g.
/// ``migrations/003_add_index.sql:7: `-- +migrate Down` before `-- +migrate Up`; put the Up section first``.
pub use migrate_macros::embed_migrations;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;
