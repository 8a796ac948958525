//! The migration file format of `embed_migrations!`, as a plain library.
//!
//! One parser, used by the `embed_migrations!` macro at build time and by the
//! `migrate` command line at run time, so that both judge a directory the
//! same way and say the same thing about it.
//!
//! ```
//! # let root = tempfile::tempdir()?;
//! # std::fs::create_dir(root.path().join("migrations"))?;
//! std::fs::write(
//!     root.path().join("migrations/001_create_users.sql"),
//!     "-- +migrate Up\nCREATE TABLE users (id INTEGER PRIMARY KEY);\n\n-- +migrate Down\nDROP TABLE users;\n",
//! )?;
//! let set = migrate_core::load(root.path(), "migrations", &Default::default()).expect("valid");
//! assert_eq!(set.migrations[0].name, "create_users");
//! assert_eq!(set.migrations[0].down.as_ref().map(|d| d[0].line), Some(5));
//! # Ok::<(), std::io::Error>(())
//! ```
#![warn(missing_docs)]

mod advice;
mod checksum;
mod compound;
mod dialect;
mod directory;
pub mod encoded;
mod lex;
mod lint;
mod migration;
mod name;
mod problem;
mod rust_file;
mod scan;
pub mod schema_diff;
mod sections;
mod split;
pub mod sql;
mod version;

pub use advice::{Library, Remedy, Worded, Wording};
pub use checksum::Checksum;
pub use dialect::Dialect;
pub use directory::{Allowed, MigrationSet, Options, leftover_timestamps, load};
pub use lint::{
    Category, Finding, Hazard, LockMode, RelationKind, Rule, TracedRelation, TracedStatement, lint,
    lint_traced,
};
pub use migration::{Migration, Statement, TransactionControl};
pub use name::{
    FileName, Naming, diesel_digits, is_display_name, is_migration_file, is_rust_file,
    parse_file_name, parse_folder_name,
};
pub use problem::{Problem, ProblemKind, ReplayedSection};
pub use rust_file::parse_rust;
pub use scan::{Entry, Folder, Listing, display_dir, is_environment_name, scan};
pub use schema_diff::{SchemaObjects, schema_differences};
pub use sections::{FileForm, ParsedFile, Section, parse};
pub use split::{SplitError, split};
pub use version::{Scheme, Version, is_timestamp, scheme_of};
