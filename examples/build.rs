//! Rebuild when a migration file is added, not only when one is edited.
fn main() {
    println!("cargo::rerun-if-changed=migrations");
    println!("cargo::rerun-if-changed=rust_migrations");
}
