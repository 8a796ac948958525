//! The replay's schema comparison reads only what a migration touched: these
//! cases make sure nothing it changes escapes it.

use std::path::Path;

/// Replays `files` (name, text) written into a fresh `migrations/`; the
/// problems as text.
fn replay(files: &[(&str, &str)]) -> Vec<String> {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path().join("migrations");
    std::fs::create_dir(&dir).expect("mkdir");
    for (name, text) in files {
        std::fs::write(dir.join(name), text).expect("write");
    }
    let set = migrate_core::load(
        Path::new(root.path()),
        "migrations",
        &migrate_core::Options::default(),
    )
    .expect("valid format");
    migrate_replay::replay(&set)
        .iter()
        .map(ToString::to_string)
        .collect()
}

const BASE: (&str, &str) = (
    "001_a.sql",
    "-- +migrate Up\nCREATE TABLE a (id INTEGER PRIMARY KEY, n INT);\nCREATE INDEX a_n ON a (n);\nCREATE VIEW a_view AS SELECT n FROM a;\n-- +migrate Down\nDROP VIEW a_view;\nDROP TABLE a;\n",
);

#[test]
fn a_down_that_drops_an_older_index_of_an_untouched_table_is_caught() {
    let problems = replay(&[
        BASE,
        (
            "002_b.sql",
            "-- +migrate Up\nCREATE TABLE b (x INT);\n-- +migrate Down\nDROP TABLE b;\nDROP INDEX a_n;\n",
        ),
    ]);
    assert_eq!(
        problems,
        [
            "migrations/002_b.sql: Down of 002_b drops index `a_n`, which existed before its Up; \
          make the Down section undo exactly what the Up section does, or declare the migration irreversible"
        ]
    );
}

#[test]
fn a_rename_and_its_undo_compare_equal_and_a_rename_left_behind_does_not() {
    let good = replay(&[
        BASE,
        (
            "002_rename.sql",
            "-- +migrate Up\nALTER TABLE a RENAME TO a2;\n-- +migrate Down\nALTER TABLE a2 RENAME TO a;\n",
        ),
    ]);
    assert_eq!(good, Vec::<String>::new());
    let bad = replay(&[
        BASE,
        (
            "002_rename.sql",
            "-- +migrate Up\nALTER TABLE a RENAME TO a2;\nCREATE TABLE c (x INT);\n-- +migrate Down\nDROP TABLE c;\n",
        ),
    ]);
    assert!(
        bad.iter().any(|p| p.contains("drops table `a`"))
            && bad.iter().any(|p| p.contains("leaves table `a2` behind")),
        "{bad:#?}"
    );
}

#[test]
fn an_added_column_left_behind_is_caught() {
    let problems = replay(&[
        BASE,
        (
            "002_col.sql",
            "-- +migrate Up\nALTER TABLE a ADD COLUMN label TEXT;\n-- +migrate Down\nSELECT 1;\n",
        ),
    ]);
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(
        problems[0].contains("leaves table `a` changed"),
        "{problems:#?}"
    );
}

#[test]
fn a_table_rebuild_that_restores_the_table_passes_and_later_migrations_see_the_new_state() {
    let problems = replay(&[
        BASE,
        (
            "002_rebuild.sql",
            "-- +migrate Up\nCREATE TABLE a_new (id INTEGER PRIMARY KEY, n INT, m INT);\nINSERT INTO a_new (id, n) SELECT id, n FROM a;\nDROP VIEW a_view;\nDROP TABLE a;\nALTER TABLE a_new RENAME TO a;\nCREATE INDEX a_n ON a (n);\nCREATE VIEW a_view AS SELECT n FROM a;\n\
             -- +migrate Down\nCREATE TABLE a_old (id INTEGER PRIMARY KEY, n INT);\nINSERT INTO a_old (id, n) SELECT id, n FROM a;\nDROP VIEW a_view;\nDROP TABLE a;\nALTER TABLE a_old RENAME TO a;\nCREATE INDEX a_n ON a (n);\nCREATE VIEW a_view AS SELECT n FROM a;\n",
        ),
        (
            "003_uses_m.sql",
            "-- +migrate Up\nCREATE INDEX a_m ON a (m);\n-- +migrate Down\nDROP INDEX a_m;\n",
        ),
    ]);
    assert_eq!(problems, Vec::<String>::new());
}

#[test]
fn user_version_left_changed_is_caught() {
    let problems = replay(&[
        BASE,
        (
            "002_version.sql",
            "-- +migrate Up\nPRAGMA user_version = 7;\n-- +migrate Down\nSELECT 1;\n",
        ),
    ]);
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(
        problems[0].contains("leaves `PRAGMA user_version` at 7, not 0"),
        "{problems:#?}"
    );
}

#[test]
fn an_object_made_again_under_a_reused_rowid_is_still_compared() {
    // The Down drops the newest object (the largest rowid) and the Up makes
    // a new one, which SQLite stores under the same rowid.
    let problems = replay(&[
        BASE,
        (
            "002_t.sql",
            "-- +migrate Up\nCREATE TABLE t (x INT);\n-- +migrate Down\nDROP TABLE t;\n",
        ),
        (
            "003_u.sql",
            "-- +migrate Up\nDROP TABLE t;\nCREATE TABLE u (y INT);\n-- +migrate Down\nDROP TABLE u;\nCREATE TABLE t (x INT, extra INT);\n",
        ),
    ]);
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(
        problems[0].contains("leaves table `t` changed"),
        "{problems:#?}"
    );
}

#[test]
fn every_bad_down_is_reported_in_one_replay() {
    let files: Vec<(String, String)> = (1..=30)
        .map(|version| {
            // Each Down forgets table `keep<n>`; every fifth fails instead.
            let down = if version % 5 == 0 {
                format!("DROP TABLE t{version};\nDROP TABLE nowhere;\n")
            } else {
                format!("DROP TABLE t{version};\n")
            };
            (
                format!("{version:03}_m.sql"),
                format!(
                    "-- +migrate Up\nCREATE TABLE t{version} (x INT);\nCREATE TABLE keep{version} (x INT);\n-- +migrate Down\n{down}"
                ),
            )
        })
        .collect();
    let files: Vec<(&str, &str)> = files
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    let problems = replay(&files);
    assert_eq!(problems.len(), 30, "{problems:#?}");
    assert!(
        problems[0].starts_with("migrations/001_m.sql: Down of 001_m leaves table `keep1` behind"),
        "{}",
        problems[0]
    );
    assert!(
        problems[4].starts_with("migrations/005_m.sql:6: no such table: nowhere"),
        "{}",
        problems[4]
    );
}

#[test]
fn after_a_failed_up_the_replay_goes_on_and_says_what_may_follow() {
    let problems = replay(&[
        (
            "001_a.sql",
            "-- +migrate Up\nCREATE TABLE a (x INT);\nSELECT normalize('x');\n-- +migrate Down\nDROP TABLE a;\n",
        ),
        (
            "002_b.sql",
            "-- +migrate Up\nCREATE TABLE b (x INT);\n-- +migrate Down\nDROP TABLE b;\nDROP TABLE b;\n",
        ),
        (
            "003_c.sql",
            "-- +migrate Up\nCREATE INDEX a_x ON a (x);\n-- +migrate Down\nDROP INDEX a_x;\n",
        ),
    ]);
    assert_eq!(problems.len(), 3, "{problems:#?}");
    assert_eq!(
        problems[0],
        "migrations/001_a.sql:3: no such function: normalize; found by replaying the Up section on \
         SQLite at build time; if the application or an extension provides it at run time, write \
         `-- +migrate NoCheck <reason>` in the migration"
    );
    assert!(
        problems[1].starts_with("migrations/002_b.sql:5: no such table: b (this may follow"),
        "{}",
        problems[1]
    );
    assert!(
        problems[2].starts_with(
            "migrations/003_c.sql:2: no such table: main.a (this may follow from the failure at `migrations/001_a.sql:3`)"
        ),
        "{}",
        problems[2]
    );
}

#[test]
fn a_file_with_its_own_transaction_replays_outside_one_and_is_put_back() {
    let problems = replay(&[
        (
            "1_a.up.sql",
            "PRAGMA foreign_keys=OFF;\nBEGIN;\nCREATE TABLE a (x INT);\nCOMMIT;\nPRAGMA foreign_keys=ON;\n",
        ),
        (
            "1_a.down.sql",
            "BEGIN;\nDROP TABLE a;\nDROP TABLE nowhere;\nCOMMIT;\n",
        ),
        ("2_b.up.sql", "CREATE INDEX a_x ON a (x);\n"),
        ("2_b.down.sql", "DROP INDEX a_x;\n"),
    ]);
    // The Down's failure inside its own BEGIN is reported; the copy taken
    // before it puts table `a` back, so version 2 replays cleanly.
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(
        problems[0].starts_with("migrations/1_a.down.sql:3: no such table: nowhere"),
        "{}",
        problems[0]
    );
}

/// A `SAVEPOINT` that nothing releases leaves SQLite inside a
/// transaction: the replay ends with an error instead of waiting forever.
#[test]
fn a_transaction_left_open_ends_the_replay_with_an_error_not_a_hang() {
    let problems = replay(&[
        BASE,
        (
            "002_b.sql",
            "-- +migrate NoTransaction\n-- +migrate Up\nSAVEPOINT s;\nCREATE TABLE b (x INT);\n\
             -- +migrate Down\nDROP TABLE b;\n",
        ),
    ]);
    assert!(
        problems
            .iter()
            .any(|p| p.contains("left a transaction open")),
        "{problems:?}"
    );
}

/// A syntax error is placed at its own line, not the statement's first.
#[test]
fn a_syntax_error_is_placed_at_its_own_line() {
    let problems = replay(&[(
        "001_a.sql",
        "-- +migrate Up\nCREATE TABLE a (\n  x INTEGER,\n  y INTEGR NOTNUL NULL,\n  z INTEGER,,\n);\n-- +migrate Down\nDROP TABLE a;\n",
    )]);
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("migrations/001_a.sql:5:")),
        "{problems:?}"
    );
}
