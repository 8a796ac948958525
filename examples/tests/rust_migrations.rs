//! The migration-path test of `rust_migrations/`, whose version 3 is a Rust
//! migration calling this crate's `email_key()`: an account typed before
//! the key existed gets its key, every Down (the Rust one's `down` too) is
//! proven on a real SQLite file, and the chain goes up again.

use migrate_runtime::testing::MigrationTest;
use migrate_runtime::{Migrations, Version};

static MIGRATIONS: Migrations = migrate_runtime::embed_migrations!("rust_migrations");

#[test]
fn accounts_typed_before_the_key_get_the_applications_key() {
    MigrationTest::sqlite(&MIGRATIONS)
        .expect("a temporary directory")
        .seed(Version(1), |db| {
            db.execute(
                "INSERT INTO accounts (email) VALUES ('  Ada@Example.COM')",
                [],
            )?;
            Ok(())
        })
        .check(Version(3), |db| {
            let key: String = db.query_row("SELECT email_key FROM accounts", [], |r| r.get(0))?;
            assert_eq!(key, "ada@example.com");
            Ok(())
        })
        .walk()
        .unwrap_or_else(|failure| panic!("{failure}"));
}
