//! The migration-path test of this example's migrations, as a user's crate
//! would hold it: a user with posts inserted at the versions where their
//! tables appear, kept through every later migration, the denormalised
//! post count right for those old rows, every Down proven on a real SQLite
//! file; the `dev` environment's seed on top; and the same chain from
//! version 1 to 3 and back.

use migrate_runtime::testing::MigrationTest;
use migrate_runtime::{Migrations, Version};

static MIGRATIONS: Migrations = migrate_runtime::embed_migrations!("migrations");

type Db = migrate_runtime::rusqlite::Connection;

fn ada(db: &mut Db) -> migrate_runtime::testing::HookResult {
    db.execute("INSERT INTO users (email) VALUES ('ada@example.com')", [])?;
    Ok(())
}

fn two_posts(db: &mut Db) -> migrate_runtime::testing::HookResult {
    db.execute(
        "INSERT INTO posts (user_id, title) VALUES (1, 'first'), (1, 'second')",
        [],
    )?;
    Ok(())
}

fn post_count(db: &mut Db) -> migrate_runtime::testing::HookResult {
    let count: i64 = db.query_row(
        "SELECT post_count FROM users WHERE email = 'ada@example.com'",
        [],
        |r| r.get(0),
    )?;
    if count != 2 {
        return Err(format!("post_count is {count}, ada has 2 posts").into());
    }
    // The triggers keep it up to date for new posts.
    db.execute("INSERT INTO posts (user_id, title) VALUES (1, 'third')", [])?;
    db.execute("DELETE FROM posts WHERE title = 'third'", [])?;
    Ok(())
}

#[test]
fn the_whole_chain_keeps_the_users_and_their_posts() {
    MigrationTest::sqlite(&MIGRATIONS)
        .expect("a temporary directory")
        .seed(Version(1), ada)
        .seed(Version(2), two_posts)
        .check(Version(3), post_count)
        .walk()
        .unwrap_or_else(|failure| panic!("{failure}"));
}

#[test]
fn the_dev_environment_seeds_on_top_of_the_chain() {
    MigrationTest::sqlite(&MIGRATIONS)
        .expect("a temporary directory")
        .environment("dev")
        .check(Version(4), |db| {
            let users: i64 = db.query_row("SELECT count(*) FROM users", [], |r| r.get(0))?;
            assert_eq!(users, 2, "ada and grace");
            Ok(())
        })
        .walk()
        .unwrap_or_else(|failure| panic!("{failure}"));
}

#[test]
fn from_version_one_to_three_and_back() {
    MigrationTest::sqlite(&MIGRATIONS)
        .expect("a temporary directory")
        .seed(Version(1), ada)
        .check(Version(3), |db| {
            let count: i64 = db.query_row("SELECT post_count FROM users", [], |r| r.get(0))?;
            assert_eq!(count, 0, "no posts yet: the new column's default");
            Ok(())
        })
        .path(Version(1), Version(3))
        .unwrap_or_else(|failure| panic!("{failure}"));
}
