//! Rebuild when a migration file is added, not only when one is edited.
fn main() {
    migrate_runtime::build::track("migrations");
}
