//! The layouts and spellings of other tools that `load` takes as they are:
//! Up-only directories, no-op migrations, display-text names, files that run
//! their own transaction, dbmate, diesel, refinery and gooseplus. Every
//! fixture here is written for the rule it shows.

mod common;
use common::dir;

use migrate_core::{Migration, Options, Problem, ProblemKind, Version, load};

fn migrations(root: &tempfile::TempDir) -> Vec<Migration> {
    load(root.path(), "migrations", &Options::default())
        .expect("valid")
        .migrations
}

fn problems(root: &tempfile::TempDir) -> Vec<Problem> {
    load(root.path(), "migrations", &Options::default()).expect_err("problems")
}

#[test]
fn a_directory_of_plain_files_is_up_only() {
    // sqlx's default `<version>_<name>.sql`, SuperChat's plain files.
    let root = dir(&[
        (
            "20240101000000_create_users.sql",
            "CREATE TABLE users (id INTEGER);\n",
        ),
        (
            "20240102000000_add-email.sql",
            "-- why\nALTER TABLE users ADD email TEXT;\n",
        ),
    ]);
    let set = migrations(&root);
    assert_eq!(set.len(), 2);
    assert!(set.iter().all(|m| !m.is_reversible()));
    assert_eq!(set[1].name, "add-email");
    assert_eq!(set[1].up[0].line, 2);
}

#[test]
fn up_files_without_downs_are_up_only_unless_another_has_a_down() {
    // A golang-migrate set with only `.up.sql` files.
    let only_up = dir(&[
        ("0001_a.up.sql", "SELECT 1;"),
        ("0002_b.up.sql", "SELECT 2;"),
    ]);
    assert!(migrations(&only_up).iter().all(|m| !m.is_reversible()));
    // goose files with only `-- +goose Up`.
    let goose_up = dir(&[("00001_a.sql", "-- +goose Up\nSELECT 1;\n")]);
    assert!(!migrations(&goose_up)[0].is_reversible());
    // Where some have a Down, a forgotten one is the mistake to catch.
    let forgotten = dir(&[
        (
            "1_a.sql",
            "-- +goose Up\nSELECT 1;\n-- +goose Down\nSELECT 2;\n",
        ),
        ("2_b.sql", "-- +goose Up\nSELECT 3;\n"),
    ]);
    let found = problems(&forgotten);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].kind, ProblemKind::MissingDown);
    assert_eq!(found[0].path, "migrations/2_b.sql");
}

#[test]
fn a_plain_file_among_annotated_ones_is_one_error() {
    let root = dir(&[
        (
            "1_a.sql",
            "-- +migrate Up\nSELECT 1;\n-- +migrate Down\nSELECT 2;\n",
        ),
        ("2_b.sql", "CREATE TABLE b (x INT);\n"),
    ]);
    let found = problems(&root);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].kind, ProblemKind::MissingUp);
}

#[test]
fn a_no_op_migration_needs_no_down() {
    let root = dir(&[
        (
            "00001_a.sql",
            "-- +goose Up\nSELECT 1;\n-- +goose Down\nSELECT 2;\n",
        ),
        ("00002_empty.sql", "-- +goose Up\n"),
        (
            "00003_comments.sql",
            "-- +goose Up\n-- nothing to do here\n",
        ),
    ]);
    let set = migrations(&root);
    for noop in &set[1..] {
        assert!(noop.up.is_empty());
        assert_eq!(
            noop.down.as_deref(),
            Some(&[][..]),
            "{noop}: reversible, nothing to undo"
        );
    }
    // An Up with nothing whose Down does something is still a mistake.
    let lopsided = dir(&[(
        "1_a.sql",
        "-- +migrate Up\n-- +migrate Down\nDROP TABLE a;\n",
    )]);
    assert_eq!(problems(&lopsided)[0].kind, ProblemKind::EmptyUp);
}

#[test]
fn pairs_are_matched_by_version_and_a_typo_is_one_error() {
    let root = dir(&[
        ("1_a.up.sql", "SELECT 1;"),
        ("1_a.down.sql", "SELECT 2;"),
        ("2_flags..up.sql", "SELECT 3;"),
        ("2_flags.down.sql", "SELECT 4;"),
    ]);
    let found = problems(&root);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        found[0].to_string(),
        "migrations/2_flags..up.sql: the name differs from its down file `migrations/2_flags.down.sql` \
         (one dot too many before `up.sql`?); give both files of a pair the same name"
    );
}

#[test]
fn files_that_run_their_own_transaction_run_outside_the_runners() {
    let root = dir(&[
        (
            "1_rebuild.up.sql",
            "PRAGMA foreign_keys=OFF;\nBEGIN;\nCREATE TABLE a (x INT);\nCOMMIT;\nPRAGMA foreign_keys=ON;\n",
        ),
        (
            "1_rebuild.down.sql",
            "BEGIN TRANSACTION;\nDROP TABLE a;\nEND;\n",
        ),
        ("2_plain.up.sql", "CREATE TABLE b (x INT);"),
        ("2_plain.down.sql", "DROP TABLE b;"),
        (
            "3_trigger.up.sql",
            "CREATE TABLE c (x INT);\nCREATE TRIGGER t AFTER INSERT ON c BEGIN SELECT 1; END;\n",
        ),
        ("3_trigger.down.sql", "DROP TABLE c;"),
    ]);
    let set = migrations(&root);
    let flags: Vec<bool> = set.iter().map(|m| m.no_transaction).collect();
    assert_eq!(flags, [true, false, false]);
}

#[test]
fn dbmate_files() {
    let root = dir(&[
        (
            "20200101000000_a.sql",
            "-- migrate:up\ncreate table a (x int);\n\n-- migrate:down\ndrop table a;\n",
        ),
        (
            "20200102000000_b.sql",
            "-- migrate:up transaction:false\ncreate index b on a (x);\n-- migrate:down\ndrop index b;\n",
        ),
    ]);
    let set = migrations(&root);
    assert_eq!(set[0].up[0].line, 2);
    assert_eq!(set[0].down.as_deref().map(|d| d[0].line), Some(5));
    assert_eq!(
        (set[0].no_transaction, set[1].no_transaction),
        (false, true)
    );
}

#[test]
fn diesel_folders() {
    let root = dir(&[
        (
            "00000000000000_diesel_initial_setup/up.sql",
            "CREATE TABLE setup (x INT);",
        ),
        (
            "00000000000000_diesel_initial_setup/down.sql",
            "DROP TABLE setup;",
        ),
        (
            "2018-01-14-171611_create_users/up.sql",
            "CREATE TABLE users (id INT);",
        ),
        (
            "2018-01-14-171611_create_users/down.sql",
            "DROP TABLE users;",
        ),
        ("2018-01-14-171611_create_users/metadata.toml", "# none\n"),
        (
            "2019-13-45-999999_not_a_date/up.sql",
            "CREATE INDEX u ON users (id);",
        ),
        ("2019-13-45-999999_not_a_date/down.sql", "DROP INDEX u;"),
        (
            "2019-13-45-999999_not_a_date/metadata.toml",
            "run_in_transaction = false\n",
        ),
    ]);
    let set = migrations(&root);
    let found: Vec<_> = set
        .iter()
        .map(|m| {
            (
                m.version.0,
                m.name.as_ref(),
                m.no_transaction,
                m.down_path.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            (
                0,
                "diesel_initial_setup",
                false,
                Some("migrations/00000000000000_diesel_initial_setup/down.sql")
            ),
            // diesel's versions, with room for its `-0000` suffix.
            (
                2018011417161100000,
                "create_users",
                false,
                Some("migrations/2018-01-14-171611_create_users/down.sql")
            ),
            (
                2019134599999900000,
                "not_a_date",
                true,
                Some("migrations/2019-13-45-999999_not_a_date/down.sql")
            ),
        ]
    );
    assert_eq!(
        set[1].up_path,
        "migrations/2018-01-14-171611_create_users/up.sql"
    );
    // A folder named so without its `up.sql` says what it lacks.
    let lacking = dir(&[("2020-01-01-000000_x/migration.sql", "SELECT 1;")]);
    let kinds: Vec<_> = problems(&lacking).into_iter().map(|p| p.kind).collect();
    assert!(
        kinds.contains(&ProblemKind::MigrationFolderWithoutUp),
        "{kinds:?}"
    );
    // An `up.sql` outside a folder is told where it belongs.
    let loose = dir(&[("up.sql", "SELECT 1;")]);
    assert!(
        problems(&loose)[0]
            .to_string()
            .contains("`<version>_<name>/` folder")
    );
}

#[test]
fn refinery_files() {
    let root = dir(&[
        ("V1__initial.sql", "CREATE TABLE a (x INT);"),
        ("V2__more.sql", "CREATE TABLE b (x INT);"),
        ("U3__seed.sql", "INSERT INTO a VALUES (1);"),
    ]);
    let set = migrations(&root);
    let found: Vec<_> = set
        .iter()
        .map(|m| (m.version.0, m.name.as_ref(), m.unordered))
        .collect();
    assert_eq!(
        found,
        [(1, "initial", false), (2, "more", false), (3, "seed", true)]
    );
    assert!(set.iter().all(|m| !m.is_reversible()));
}

#[test]
fn gooseplus_base_and_environments() {
    let up = |sql: &str| format!("-- +goose Up\n{sql}\n-- +goose Down\nSELECT 0;\n");
    let root = dir(&[
        (
            "base/20231102000000_create.sql",
            &up("CREATE TABLE t (x TEXT);"),
        ),
        (
            "base/20231103000000_populate.sql",
            &up("INSERT INTO t VALUES ('one');"),
        ),
        (
            "production/20231104000000_seed.sql",
            &up("INSERT INTO t VALUES ('prod');"),
        ),
        (
            "test/20231104000000_seed.sql",
            &up("INSERT INTO t VALUES ('test');"),
        ),
    ]);
    let set = load(root.path(), "migrations", &Options::default()).expect("valid");
    assert_eq!(set.environments(), ["production", "test"]);
    let base: Vec<_> = set
        .migrations
        .iter()
        .filter(|m| m.environment.is_none())
        .collect();
    assert_eq!(base.len(), 2);
    assert_eq!(base[0].up_path, "migrations/base/20231102000000_create.sql");

    // Each base+environment set is checked for gaps on its own.
    let gap = dir(&[
        ("base/1_a.sql", &up("SELECT 1;")),
        ("production/2_b.sql", &up("SELECT 2;")),
        ("test/3_c.sql", &up("SELECT 3;")),
    ]);
    let found = problems(&gap);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].path, "migrations/test/3_c.sql");
    assert!(matches!(
        found[0].kind,
        ProblemKind::Gap {
            from: Version(2),
            ..
        }
    ));
}

#[test]
fn names_are_display_text_stored_as_given() {
    let root = dir(&[(
        "1_créer la table.sql",
        "-- +migrate Up\nSELECT 1;\n-- +migrate Down\nSELECT 2;\n",
    )]);
    assert_eq!(migrations(&root)[0].name, "créer la table");
}
