//! Without `lint_errors_from` a finding is a warning (a deprecation
//! warning, the one a proc macro can give on stable Rust), so a history
//! that already ran keeps compiling; denied here to show its text.
#![deny(deprecated)]

static MIGRATIONS: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("fixtures/lint-warning");

fn main() {}
