//! Prints the migrations embedded from `examples/migrations`. The runtime
//! issue turns this into a demo that migrates a real SQLite file.

use migrate_runtime::{Migrations, embed_migrations};

static MIGRATIONS: Migrations = embed_migrations!("migrations");

fn main() {
    println!("{} migrations embedded at build time:", MIGRATIONS.len());
    for migration in &MIGRATIONS {
        println!(
            "  {:>3} {:<16} {:<5} {} Up statement(s), {} ({}) checksum {}",
            migration.version(),
            migration.name(),
            migration.environment().unwrap_or("base"),
            migration.up().len(),
            if migration.is_reversible() {
                "reversible"
            } else {
                "irreversible"
            },
            migration.up_path(),
            &migration.checksum().to_string()[..12],
        );
    }
}
