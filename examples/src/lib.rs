//! The examples of the README and of the guide (`docs/`), compiled and run
//! as doctests against this crate's `migrations/` folder, the way a user's
//! crate would hold it; and a function of the application that a Rust
//! migration (`rust_migrations/003_fill_email_keys.rs`) calls.

/// An email as the application compares it: trimmed, lower case.
///
/// ```
/// assert_eq!(migrate_examples::email_key("  Ada@Example.COM"), "ada@example.com");
/// ```
pub fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

/// Each page of the guide, its examples as doctests.
#[cfg(doctest)]
pub mod guide {
    #[doc = include_str!("../../docs/format.md")]
    pub struct Format;
    #[doc = include_str!("../../docs/build-time-proof.md")]
    pub struct BuildTimeProof;
    #[doc = include_str!("../../docs/lints.md")]
    pub struct Lints;
    #[doc = include_str!("../../docs/testing.md")]
    pub struct Testing;
    #[doc = include_str!("../../docs/compile-errors.md")]
    pub struct CompileErrors;
    #[doc = include_str!("../../docs/switching.md")]
    pub struct Switching;
    #[doc = include_str!("../../docs/postgresql.md")]
    pub struct Postgresql;
    #[doc = include_str!("../../docs/mysql.md")]
    pub struct Mysql;
    #[doc = include_str!("../../docs/refinery-drivers.md")]
    pub struct RefineryDrivers;
    #[doc = include_str!("../../docs/runtime.md")]
    pub struct Runtime;
    #[doc = include_str!("../../docs/rust-migrations.md")]
    pub struct RustMigrations;
    #[doc = include_str!("../../docs/speed.md")]
    pub struct Speed;
    #[doc = include_str!("../../docs/cli.md")]
    pub struct Cli;
    #[doc = include_str!("../../docs/development.md")]
    pub struct Development;
}
