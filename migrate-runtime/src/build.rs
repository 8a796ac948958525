//! For the user's `build.rs`: rebuild when a migration file is added.
//!
//! `embed_migrations!` includes every file it embeds, so editing a file
//! already rebuilds the crate; a NEW file is only seen when cargo is told to
//! watch the directory:
//!
//! ```no_run
//! // build.rs
//! fn main() {
//!     migrate_runtime::build::track("migrations");
//! }
//! ```
// The example is a whole build.rs, `fn main` included.
#![allow(clippy::needless_doctest_main)]

/// Tells cargo to rebuild the crate when anything in `dir` (relative to the
/// crate root), its environment folders included, changes.
pub fn track(dir: &str) {
    println!("cargo::rerun-if-changed={dir}");
}
