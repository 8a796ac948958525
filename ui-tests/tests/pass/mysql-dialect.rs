//! A `dialect = "mysql"` set compiles, read by MySQL's rules: `#` comments,
//! backslash escapes in strings, and a routine's body with its inner `;`
//! one statement. (Without `MIGRATE_REPLAY_MYSQL_URL` nothing connects.)

static MYSQL: migrate_runtime::Migrations =
    migrate_runtime::embed_migrations!("fixtures/pass-mysql", dialect = "mysql");

fn main() {
    let migration = MYSQL.iter().next().expect("one migration");
    let up: Vec<&str> = migration.up().iter().map(|s| s.sql()).collect();
    assert_eq!(up.len(), 2, "{up:?}");
    assert!(up[0].starts_with("CREATE TABLE accounts"), "{up:?}");
    assert!(up[1].starts_with("CREATE PROCEDURE total") && up[1].ends_with("END;"), "{up:?}");
}
