//! Adopting the MySQL databases other tools migrated, on MariaDB: refinery
//! migrates with its own MySQL runner; for sqlx, diesel and golang-migrate
//! the table is created as each tool's MySQL driver creates it, with the
//! rows it writes (goose and golang-migrate in place are in
//! `conformance.rs`). Each is refused as that tool's history, adopted,
//! then migrated further; a dirty or failed row is refused.

use migrate_runtime::mysql::Conn;
use migrate_runtime::mysql::prelude::Queryable;
use migrate_runtime::{AdoptProblem, Error, Migrations, Tool, Version};
use migrate_tests::mysql::Scratch;

// Migration directories loaded as the runtime loads one at run time.
use migrate_tests::set_from_files as set;

fn versions(conn: &mut Conn, table: &str) -> Vec<u64> {
    conn.query(format!("SELECT version FROM {table} ORDER BY version"))
        .expect("versions")
}

/// A run is refused as `tool`'s history at `reached`, then the adoption
/// records it and a run applies the rest.
fn refused_adopted_and_migrated(
    conn: &mut Conn,
    migrations: &Migrations,
    tool: Tool,
    reached: Version,
) {
    let refused = migrations
        .migrate(conn)
        .expect_err("another tool's history");
    assert!(
        matches!(&refused, Error::ForeignHistory { tool: t, reached: Some(r), .. } if *t == tool && *r == reached),
        "{refused}"
    );
    let report = migrations.migrator().adopt(conn).expect("adopted");
    assert_eq!(report.to, Some(reached));
    migrations.migrate(conn).expect("migrated further");
}

const USERS: &str = "CREATE TABLE users (id INT PRIMARY KEY);\n";
const POSTS: &str = "-- posts belong to users\nCREATE TABLE posts (id INT, user_id INT);\n";
const TAGS: &str = "CREATE TABLE tags (id INT);\n";

#[test]
fn a_refinery_mysql_database_is_adopted_with_refinerys_own_checksums() {
    let Some(db) = Scratch::new() else { return };
    let mut conn = db.connect();
    let files = [("V1__users.sql", USERS), ("V2__posts.sql", POSTS)];
    let applied: Vec<migrate_runtime::refinery_core::Migration> = files
        .iter()
        .map(|(name, sql)| {
            let stem = name.trim_end_matches(".sql");
            migrate_runtime::refinery_core::Migration::unapplied(stem, sql).expect("refinery")
        })
        .collect();
    migrate_runtime::refinery_core::Runner::new(&applied)
        .run(&mut conn)
        .expect("refinery's MySQL runner migrates");
    let (_root, migrations) = set(&[files[0], files[1], ("V3__tags.sql", TAGS)]);
    refused_adopted_and_migrated(&mut conn, &migrations, Tool::Refinery, Version(2));
    assert_eq!(versions(&mut conn, "schema_migrations"), [1, 2, 3]);
    assert_eq!(versions(&mut conn, "refinery_schema_history"), [1, 2]);
}

/// sqlx's MySQL table, as its driver creates it.
const SQLX_TABLE: &str = "CREATE TABLE IF NOT EXISTS _sqlx_migrations (
    version BIGINT PRIMARY KEY,
    description TEXT NOT NULL,
    installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    success BOOLEAN NOT NULL,
    checksum BLOB NOT NULL,
    execution_time BIGINT NOT NULL
)";

#[test]
fn a_sqlx_mysql_database_is_adopted_with_its_checksums_compared() {
    let Some(db) = Scratch::new() else { return };
    let mut conn = db.connect();
    let (_root, migrations) = set(&[
        ("1_users.sql", USERS),
        ("2_posts.sql", POSTS),
        ("3_tags.sql", TAGS),
    ]);
    conn.query_drop(SQLX_TABLE).expect("sqlx's table");
    for version in [1, 2] {
        let migration = migrations.get(Version(version)).expect("embedded");
        let sql = if version == 1 { USERS } else { POSTS };
        conn.query_drop(sql).expect("sqlx ran it");
        conn.exec_drop(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
             VALUES (?, ?, TRUE, ?, 1000)",
            (
                version,
                migration.name().replace('_', " "),
                migration.up_file_sha384().to_vec(),
            ),
        )
        .expect("sqlx's row");
    }
    conn.query_drop("UPDATE _sqlx_migrations SET success = FALSE WHERE version = 2")
        .expect("a failed row");
    let error = migrations
        .migrator()
        .adopt(&mut conn)
        .expect_err("a failed row");
    assert!(
        matches!(
            &error,
            Error::CannotAdopt {
                problem: AdoptProblem::Failed(Version(2)),
                ..
            }
        ),
        "{error}"
    );
    conn.query_drop("UPDATE _sqlx_migrations SET success = TRUE WHERE version = 2")
        .expect("fixed");
    refused_adopted_and_migrated(&mut conn, &migrations, Tool::Sqlx, Version(2));
    assert_eq!(versions(&mut conn, "schema_migrations"), [1, 2, 3]);
}

#[test]
fn a_diesel_mysql_database_is_adopted() {
    let Some(db) = Scratch::new() else { return };
    let mut conn = db.connect();
    // diesel's MySQL table, as `diesel_migrations` creates it.
    conn.query_drop(
        "CREATE TABLE IF NOT EXISTS __diesel_schema_migrations (
             version VARCHAR(50) PRIMARY KEY NOT NULL,
             run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
         );
         CREATE TABLE users (id INT PRIMARY KEY);
         INSERT INTO __diesel_schema_migrations (version) VALUES ('20240101120000');",
    )
    .expect("diesel's state");
    let (_root, migrations) = set(&[
        ("2024-01-01-120000_users/up.sql", USERS),
        ("2024-01-01-120000_users/down.sql", "DROP TABLE users;\n"),
        ("2024-02-01-120000_posts/up.sql", POSTS),
        ("2024-02-01-120000_posts/down.sql", "DROP TABLE posts;\n"),
    ]);
    let first = Version::diesel("20240101120000").expect("a diesel version");
    refused_adopted_and_migrated(&mut conn, &migrations, Tool::Diesel, first);
    assert_eq!(
        versions(&mut conn, "schema_migrations"),
        [2_024_010_112_000_000_000, 2_024_020_112_000_000_000]
    );
}

/// dbmate's MySQL table has our history table's name: renamed before the
/// run's first transaction (a rename commits by itself on MySQL), then
/// migrated further with no other setting.
#[test]
fn a_dbmate_mysql_database_is_adopted_in_place() {
    let Some(db) = Scratch::new() else { return };
    let mut conn = db.connect();
    // dbmate's mysql driver.
    conn.query_drop(
        "create table if not exists schema_migrations (version varchar(128) primary key);
         CREATE TABLE users (id INT PRIMARY KEY);
         INSERT INTO schema_migrations (version) VALUES ('20240101120000');",
    )
    .expect("dbmate's state");
    let (_root, migrations) = set(&[
        (
            "20240101120000_users.sql",
            "-- migrate:up\nCREATE TABLE users (id INT PRIMARY KEY);\n\n-- migrate:down\nDROP TABLE users;\n",
        ),
        (
            "20240201120000_posts.sql",
            "-- migrate:up\nCREATE TABLE posts (id INT);\n\n-- migrate:down\nDROP TABLE posts;\n",
        ),
    ]);
    refused_adopted_and_migrated(
        &mut conn,
        &migrations,
        Tool::Dbmate,
        Version(20_240_101_120_000),
    );
    assert_eq!(
        versions(&mut conn, "schema_migrations"),
        [20_240_101_120_000, 20_240_201_120_000]
    );
    let kept: Vec<String> = conn
        .query("SELECT version FROM dbmate_schema_migrations")
        .expect("dbmate's table kept");
    assert_eq!(kept, ["20240101120000"]);
}

#[test]
fn a_dirty_golang_migrate_mysql_version_is_refused() {
    let Some(db) = Scratch::new() else { return };
    let mut conn = db.connect();
    conn.query_drop(
        "CREATE TABLE IF NOT EXISTS `schema_migrations` (version bigint not null primary key, dirty boolean not null);
         CREATE TABLE users (id INT PRIMARY KEY);
         INSERT INTO schema_migrations VALUES (2, true);",
    )
    .expect("golang-migrate's state");
    let (_root, migrations) = set(&[
        ("1_users.up.sql", USERS),
        ("1_users.down.sql", "DROP TABLE users;\n"),
        ("2_posts.up.sql", POSTS),
        ("2_posts.down.sql", "DROP TABLE posts;\n"),
    ]);
    let error = migrations.migrator().adopt(&mut conn).expect_err("dirty");
    assert!(
        matches!(
            &error,
            Error::CannotAdopt {
                tool: Tool::GolangMigrate,
                problem: AdoptProblem::Dirty(Version(2)),
                ..
            }
        ),
        "{error}"
    );
    assert!(
        error
            .to_string()
            .contains("golang-migrate left version 2 dirty"),
        "{error}"
    );
}
