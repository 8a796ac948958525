//! `Migrations::refinery_runner` on a real MariaDB server: the embedded,
//! build-time-checked set applied by refinery's MySQL driver, with the
//! checksums refinery computes from the same files.

use migrate_runtime::refinery_core::mysql::prelude::Queryable;
use migrate_tests::PORTABLE;
use migrate_tests::mysql::Scratch;

#[test]
fn the_refinery_runner_migrates_mariadb() {
    let Some(scratch) = Scratch::new() else {
        return;
    };
    let mut conn = scratch.connect();
    let runner = PORTABLE.refinery_runner().expect("runner");
    let report = runner
        .run(&mut conn)
        .expect("refinery's MySQL driver runs the set");
    assert_eq!(report.applied_migrations().len(), 3);
    let title: Option<String> = conn
        .query_first("SELECT p.title FROM posts p JOIN users u ON u.id = p.user_id")
        .expect("query");
    assert_eq!(title.as_deref(), Some("hello"));

    // refinery's own checksums, from the files as refinery's embed reads them.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/portable");
    let mut expected = Vec::new();
    for name in ["V1__users", "V2__posts", "V3__seed"] {
        let text = std::fs::read_to_string(dir.join(format!("{name}.sql"))).expect("read");
        let migration =
            migrate_runtime::refinery_core::Migration::unapplied(name, &text).expect("refinery");
        expected.push((
            i64::from(migration.version()),
            migration.checksum().to_string(),
        ));
    }
    let recorded: Vec<(i64, String)> = conn
        .query("SELECT version, checksum FROM refinery_schema_history ORDER BY version")
        .expect("history");
    assert_eq!(recorded, expected);

    // Run again: nothing pending.
    let again = PORTABLE
        .refinery_runner()
        .expect("runner")
        .run(&mut conn)
        .expect("again");
    assert!(again.applied_migrations().is_empty());
}
