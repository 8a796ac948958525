//! What the benchmarks share: generated migration sets, and sqlx's
//! migrator over the same SQL. The benchmarks themselves are `runtime.rs`
//! (SQLite), `postgres.rs`, `mysql.rs` and `replay.rs`.

use std::fs;

use migrate_runtime::Migrations;

/// A set of `count` migrations whose Up sections are `up_sql(k)` and whose
/// Downs drop `t_<k>`, read from a generated directory with `migrate-core`,
/// as the CLI reads one.
///
/// # Panics
///
/// When the temporary directory cannot be written.
pub fn generated(count: usize, up_sql: fn(usize) -> String) -> Migrations {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path().join("migrations");
    fs::create_dir(&dir).expect("mkdir");
    for k in 1..=count {
        let text = format!(
            "-- +migrate Up\n{}\n-- +migrate Down\nDROP TABLE t_{k};\n",
            up_sql(k)
        );
        fs::write(dir.join(format!("{k:04}_table_{k}.sql")), text).expect("write");
    }
    let set = migrate_core::load(root.path(), "migrations", &migrate_core::Options::default())
        .expect("valid");
    Migrations::from_set(set)
}

/// A table `filled` (version 1), then one migration outside a transaction
/// (version 2) of `count` inserts, each its own commit; and those inserts.
///
/// # Panics
///
/// When the temporary directory cannot be written.
pub fn outside_transaction(count: usize) -> (Migrations, Vec<String>) {
    let inserts: Vec<String> = (1..=count)
        .map(|k| format!("INSERT INTO filled (n) VALUES ({k});"))
        .collect();
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path().join("migrations");
    fs::create_dir(&dir).expect("mkdir");
    fs::write(
        dir.join("001_filled.sql"),
        "-- +migrate Up\nCREATE TABLE filled (n INTEGER);\n-- +migrate Down\nDROP TABLE filled;\n",
    )
    .expect("write");
    fs::write(
        dir.join("002_fill.sql"),
        format!(
            "-- +migrate NoTransaction\n-- +migrate Up\n{}\n-- +migrate Down\nDELETE FROM filled;\n",
            inserts.join("\n")
        ),
    )
    .expect("write");
    let set = migrate_core::load(root.path(), "migrations", &migrate_core::Options::default())
        .expect("valid");
    (Migrations::from_set(set), inserts)
}

/// sqlx's migrator over `count` migrations whose SQL is `sql(k)`, read
/// from files as sqlx reads them (`<k>_m<k>.sql`), with a runtime to run
/// it on; the directory lives as long as the first value.
///
/// # Panics
///
/// When the temporary directory cannot be written or sqlx cannot read it.
#[cfg(feature = "bench")]
pub fn sqlx_migrator(
    count: usize,
    sql: fn(usize) -> String,
) -> (
    tempfile::TempDir,
    sqlx::migrate::Migrator,
    tokio::runtime::Runtime,
) {
    let dir = tempfile::tempdir().expect("tempdir");
    for k in 1..=count {
        fs::write(dir.path().join(format!("{k}_m{k}.sql")), sql(k)).expect("write");
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let migrator = runtime
        .block_on(sqlx::migrate::Migrator::new(dir.path()))
        .expect("sqlx reads");
    (dir, migrator, runtime)
}

/// The least a drift check can read: every version and checksum.
///
/// # Panics
///
/// When the history table cannot be read, or has not `count` rows.
pub fn raw_history_scan(conn: &migrate_runtime::rusqlite::Connection, count: usize) {
    let mut statement = conn
        .prepare_cached("SELECT version, checksum FROM schema_migrations ORDER BY version")
        .expect("prepare");
    let mut rows = statement.query([]).expect("query");
    let mut seen = 0;
    while let Some(row) = rows.next().expect("row") {
        let version: i64 = row.get(0).expect("version");
        let checksum = row.get_ref(1).expect("checksum").as_str().expect("text");
        seen += usize::from(version > 0 && checksum.len() == 64);
    }
    assert_eq!(seen, count);
}
