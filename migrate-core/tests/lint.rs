//! The lints on sets written here: what each rule finds, and what it must
//! not (a table new in the migration or the release, a rebuild, a Down, an
//! acknowledged finding).

use migrate_core::{Dialect, Version, lint};

/// The findings of `files` as `version code what`, one string each.
fn findings(dialect: Dialect, release: Option<u64>, files: &[(&str, &str)]) -> Vec<String> {
    let root = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(root.path().join("migrations")).expect("mkdir");
    for (name, up) in files {
        let text = if up.contains("+migrate Up") {
            (*up).to_owned()
        } else {
            format!("-- +migrate Up\n{up}\n")
        };
        std::fs::write(root.path().join("migrations").join(name), text).expect("write");
    }
    let set = migrate_core::load(root.path(), "migrations", &migrate_core::Options::default())
        .expect("valid");
    lint(&set, dialect, release.map(Version))
        .iter()
        .map(|f| format!("{} {} {}", f.version, f.rule.code(), f.what))
        .collect()
}

const ACCOUNTS: (&str, &str) = (
    "001_accounts.sql",
    "CREATE TABLE accounts (id INT PRIMARY KEY, email TEXT, visits INT);\nCREATE VIEW active AS SELECT id FROM accounts;\nCREATE SCHEMA billing;",
);

#[test]
fn each_rule_finds_its_statement_on_a_table_from_an_earlier_migration() {
    let cases: &[(&str, &str)] = &[
        (
            "DROP TABLE accounts CASCADE;",
            "drop-table drops table `accounts`",
        ),
        (
            "DROP VIEW IF EXISTS active;",
            "drop-view drops view `active`",
        ),
        ("DROP SCHEMA billing;", "drop-schema drops schema `billing`"),
        (
            "ALTER TABLE accounts DROP COLUMN visits;",
            "drop-column drops column `visits` of table `accounts`",
        ),
        (
            "ALTER TABLE accounts RENAME TO users;",
            "rename-table renames table `accounts` to `users`",
        ),
        (
            "ALTER TABLE accounts RENAME COLUMN email TO mail;",
            "rename-column renames column `email` of table `accounts` to `mail`",
        ),
        (
            "ALTER TABLE accounts ADD COLUMN plan TEXT NOT NULL;",
            "add-not-null-column adds column `plan` to `accounts` as NOT NULL without a default",
        ),
        (
            "CREATE UNIQUE INDEX CONCURRENTLY a_email ON accounts (email);",
            "unique-on-existing-data creates a unique index on `accounts`, which fails if its rows hold duplicates",
        ),
        (
            "ALTER TABLE public.accounts ADD CONSTRAINT a_email UNIQUE (email);",
            "unique-on-existing-data adds a unique constraint to `accounts`, which fails if its rows hold duplicates",
        ),
        (
            "CREATE INDEX a_email ON ONLY \"accounts\" (email);",
            "index-not-concurrently builds an index on `accounts` without CONCURRENTLY, blocking its writes while it builds",
        ),
        (
            "ALTER TABLE accounts ADD CONSTRAINT v CHECK (visits >= 0);",
            "constraint-not-valid adds a check constraint to `accounts` without NOT VALID, scanning it under lock",
        ),
        (
            "ALTER TABLE accounts ADD FOREIGN KEY (id) REFERENCES accounts (id);",
            "constraint-not-valid adds a foreign key constraint to `accounts` without NOT VALID, scanning it under lock",
        ),
    ];
    for (up, expected) in cases {
        let mut found = findings(Dialect::Postgres, None, &[ACCOUNTS, ("002_change.sql", up)]);
        found.retain(|f| !f.contains("concurrently-in-transaction"));
        assert_eq!(found, [format!("2 {expected}")], "{up}");
    }
}

#[test]
fn a_type_change_and_set_not_null_are_found_once_per_rule() {
    let found = findings(
        Dialect::Postgres,
        None,
        &[
            ACCOUNTS,
            (
                "002_change.sql",
                "ALTER TABLE accounts ALTER COLUMN visits TYPE BIGINT, ALTER COLUMN email SET NOT NULL;",
            ),
        ],
    );
    let codes: Vec<&str> = found
        .iter()
        .map(|f| f.split(' ').nth(1).unwrap_or_default())
        .collect();
    assert_eq!(
        codes,
        [
            "change-column-type",
            "type-rewrite",
            "not-null-on-existing-data",
            "set-not-null"
        ]
    );
}

#[test]
fn a_check_for_null_first_leaves_only_the_data_finding_of_set_not_null() {
    let found = findings(
        Dialect::Postgres,
        None,
        &[
            ACCOUNTS,
            (
                "002_check.sql",
                "ALTER TABLE accounts ADD CONSTRAINT e CHECK (email IS NOT NULL) NOT VALID;",
            ),
            (
                "003_not_null.sql",
                "ALTER TABLE accounts ALTER COLUMN email SET NOT NULL;",
            ),
        ],
    );
    let codes: Vec<&str> = found
        .iter()
        .map(|f| f.split(' ').nth(1).unwrap_or_default())
        .collect();
    assert_eq!(codes, ["not-null-on-existing-data"]);
}

#[test]
fn the_postgresql_rules_stay_silent_on_sqlite() {
    let found = findings(
        Dialect::Sqlite,
        None,
        &[
            ACCOUNTS,
            ("002_index.sql", "CREATE INDEX a_email ON accounts (email);"),
        ],
    );
    assert_eq!(found, Vec::<String>::new());
}

#[test]
fn concurrently_inside_a_transaction_is_found_and_outside_it_is_not() {
    let inside = findings(
        Dialect::Postgres,
        None,
        &[
            ACCOUNTS,
            (
                "002_index.sql",
                "CREATE INDEX CONCURRENTLY a_email ON accounts (email);",
            ),
        ],
    );
    assert_eq!(
        inside,
        [
            "2 concurrently-in-transaction runs CONCURRENTLY in a migration that runs in a transaction, which PostgreSQL refuses"
        ]
    );
    let outside = findings(
        Dialect::Postgres,
        None,
        &[
            ACCOUNTS,
            (
                "002_index.sql",
                "-- +migrate NoTransaction\n-- +migrate Up\nCREATE INDEX CONCURRENTLY a_email ON accounts (email);\n",
            ),
        ],
    );
    assert_eq!(outside, Vec::<String>::new());
}

#[test]
fn a_table_new_in_the_migration_or_the_release_has_no_findings() {
    let same_migration = findings(
        Dialect::Postgres,
        None,
        &[(
            "001_a.sql",
            "CREATE TABLE a (x INT);\nCREATE INDEX a_x ON a (x);\nALTER TABLE a ADD COLUMN y INT NOT NULL;\nALTER TABLE a RENAME COLUMN x TO z;\nDROP TABLE a;",
        )],
    );
    assert_eq!(same_migration, Vec::<String>::new());
    let files = [
        ("001_a.sql", "CREATE TABLE a (x INT);"),
        ("002_b.sql", "CREATE TABLE b (x INT);"),
        (
            "003_c.sql",
            "CREATE INDEX a_x ON a (x);\nCREATE INDEX b_x ON b (x);",
        ),
    ];
    assert_eq!(
        findings(Dialect::Postgres, Some(2), &files),
        [
            "3 index-not-concurrently builds an index on `a` without CONCURRENTLY, blocking its writes while it builds"
        ],
        "`b` was created in this release (from version 2), `a` before it"
    );
    assert_eq!(findings(Dialect::Postgres, None, &files).len(), 2);
}

#[test]
fn a_column_added_in_the_release_is_not_read_by_the_running_one() {
    let files = [
        ACCOUNTS,
        ("002_plan.sql", "ALTER TABLE accounts ADD COLUMN plan TEXT;"),
        (
            "003_plan_kind.sql",
            "ALTER TABLE accounts RENAME COLUMN plan TO kind;\nALTER TABLE accounts ALTER COLUMN kind TYPE VARCHAR(20);\nALTER TABLE accounts DROP COLUMN kind;",
        ),
    ];
    let codes = |release| -> Vec<String> {
        findings(Dialect::Postgres, release, &files)
            .iter()
            .map(|f| f.split(' ').take(2).collect::<Vec<_>>().join(" "))
            .collect()
    };
    assert_eq!(
        codes(Some(2)),
        ["3 type-rewrite"],
        "`plan` is new in this release: only the rewrite of the table's rows is left"
    );
    assert_eq!(
        codes(None),
        [
            "3 rename-column",
            "3 change-column-type",
            "3 type-rewrite",
            "3 drop-column"
        ],
        "each migration its own release: 002's column is in use by 003"
    );
}

#[test]
fn a_table_rebuilt_under_its_own_name_is_not_dropped() {
    let found = findings(
        Dialect::Sqlite,
        None,
        &[
            ACCOUNTS,
            (
                "002_rebuild.sql",
                "CREATE TABLE accounts_new (id INT PRIMARY KEY, email TEXT NOT NULL);\n\
                 INSERT INTO accounts_new SELECT id, email FROM accounts;\n\
                 DROP TABLE accounts;\n\
                 ALTER TABLE accounts_new RENAME TO accounts;",
            ),
            (
                "003_rebuild_other_way.sql",
                "ALTER TABLE accounts RENAME TO accounts_old;\n\
                 CREATE TABLE accounts (id INT PRIMARY KEY, email TEXT NOT NULL);\n\
                 INSERT INTO accounts SELECT id, email FROM accounts_old;\n\
                 DROP TABLE accounts_old;",
            ),
        ],
    );
    assert_eq!(found, Vec::<String>::new());
}

#[test]
fn a_table_dropped_and_made_again_empty_loses_its_rows() {
    let found = findings(
        Dialect::Sqlite,
        None,
        &[
            ACCOUNTS,
            (
                "002_recreate.sql",
                "DROP TABLE IF EXISTS accounts;
CREATE TABLE accounts (id INT PRIMARY KEY, email TEXT NOT NULL);",
            ),
        ],
    );
    assert_eq!(found, ["2 drop-table drops table `accounts`"]);
}

#[test]
fn downs_are_not_linted_and_an_acknowledged_finding_is_silent() {
    let found = findings(
        Dialect::Sqlite,
        None,
        &[
            (
                "001_a.sql",
                "-- +migrate Up\nCREATE TABLE a (x INT, y INT);\n-- +migrate Down\nDROP TABLE a;\n",
            ),
            (
                "002_b.sql",
                "-- +migrate Allow drop-column y was never read\n-- +migrate Up\nALTER TABLE a DROP COLUMN y;\n\
                 ALTER TABLE a RENAME TO b;\n-- +migrate Down\nALTER TABLE b RENAME TO a;\nALTER TABLE a ADD COLUMN y INT;\n",
            ),
        ],
    );
    assert_eq!(found, ["2 rename-table renames table `a` to `b`"]);
}

#[test]
fn allow_needs_a_known_code_and_a_reason() {
    let root = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(root.path().join("migrations")).expect("mkdir");
    std::fs::write(
        root.path().join("migrations/001_a.sql"),
        "-- +migrate Allow drop-column\n-- +migrate Allow drop-colum it is empty\n-- +migrate Up\nCREATE TABLE a (x INT);\n",
    )
    .expect("write");
    let problems: Vec<String> =
        migrate_core::load(root.path(), "migrations", &migrate_core::Options::default())
            .expect_err("two problems")
            .iter()
            .map(ToString::to_string)
            .collect();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems[0]
            .starts_with("migrations/001_a.sql:1: `-- +migrate Allow drop-column` needs a reason"),
        "{problems:?}"
    );
    assert!(problems[1].starts_with("migrations/001_a.sql:2: `drop-colum` is not a lint code; the codes are `drop-table`, `drop-column`"), "{problems:?}");
}
