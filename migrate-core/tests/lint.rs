//! The lints on sets written here: what each rule finds, and what it must
//! not (a table new in the migration or the release, a rebuild, a Down, an
//! acknowledged finding).

use migrate_core::{Dialect, Finding, Version, lint};

/// The findings of `files` (name, Up section or whole file).
fn found(dialect: Dialect, release: Option<u64>, files: &[(&str, &str)]) -> Vec<Finding> {
    let root = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(root.path().join("migrations")).expect("mkdir");
    for (name, up) in files {
        let text = if up.contains("+migrate Up") || up.contains("+goose Up") {
            (*up).to_owned()
        } else {
            format!("-- +migrate Up\n{up}\n")
        };
        std::fs::write(root.path().join("migrations").join(name), text).expect("write");
    }
    let options = migrate_core::Options {
        dialect,
        ..migrate_core::Options::default()
    };
    let set = migrate_core::load(root.path(), "migrations", &options).expect("valid");
    lint(&set, dialect, release.map(Version))
}

/// The findings of `files` as `version code what`, one string each.
fn findings(dialect: Dialect, release: Option<u64>, files: &[(&str, &str)]) -> Vec<String> {
    found(dialect, release, files)
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
                "CREATE TABLE accounts_new (id INT PRIMARY KEY, email TEXT NOT NULL, visits INT);\n\
                 INSERT INTO accounts_new SELECT id, email, visits FROM accounts;\n\
                 DROP TABLE accounts;\n\
                 ALTER TABLE accounts_new RENAME TO accounts;",
            ),
            (
                "003_rebuild_other_way.sql",
                "ALTER TABLE accounts RENAME TO accounts_old;\n\
                 CREATE TABLE accounts (id INT PRIMARY KEY, email TEXT NOT NULL, visits INT);\n\
                 INSERT INTO accounts SELECT id, email, visits FROM accounts_old;\n\
                 DROP TABLE accounts_old;",
            ),
        ],
    );
    assert_eq!(found, Vec::<String>::new());
}

/// SQLite's rebuild that leaves a column out drops it, as `DROP COLUMN`
/// would: found at the `DROP TABLE`, either way round.
#[test]
fn a_table_rebuilt_without_a_column_drops_it() {
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
                 CREATE TABLE accounts (id INT PRIMARY KEY);\n\
                 INSERT INTO accounts SELECT id FROM accounts_old;\n\
                 DROP TABLE accounts_old;",
            ),
        ],
    );
    assert_eq!(
        found,
        [
            "2 drop-column drops column `visits` of table `accounts` (the table is made again without it)",
            "3 drop-column drops column `email` of table `accounts` (the table is made again without it)",
        ]
    );
}

/// `DROP NOT NULL` on a column the set made without `NOT NULL` changes
/// nothing; on one made `NOT NULL`, added so or set so later, it is found.
#[test]
fn drop_not_null_is_found_only_on_a_column_that_had_it() {
    let found = findings(
        Dialect::Postgres,
        None,
        &[
            (
                "001_t.sql",
                "CREATE TABLE t (id INT PRIMARY KEY, a TEXT, b TEXT NOT NULL, \
                 c TEXT CHECK (c IS NOT NULL), d TEXT);\nALTER TABLE t ADD COLUMN e TEXT NOT NULL DEFAULT '';\n\
                 ALTER TABLE t ALTER COLUMN d SET NOT NULL;",
            ),
            (
                "002_drop.sql",
                "ALTER TABLE t ALTER COLUMN a DROP NOT NULL;\n\
                 ALTER TABLE t ALTER COLUMN b DROP NOT NULL;\n\
                 ALTER TABLE t ALTER COLUMN c DROP NOT NULL;\n\
                 ALTER TABLE t ALTER COLUMN d DROP NOT NULL;\n\
                 ALTER TABLE t ALTER COLUMN e DROP NOT NULL;\n\
                 ALTER TABLE t ALTER COLUMN id DROP NOT NULL;",
            ),
        ],
    );
    let dropped: Vec<&str> = found
        .iter()
        .filter(|f| f.contains("drop-not-null"))
        .map(|f| f.split('`').nth(1).unwrap_or_default())
        .collect();
    assert_eq!(dropped, ["b", "d", "e", "id"]);
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

/// A table with rows, an index on it and a domain, from migration 1, for
/// the PostgreSQL reviewer's rules.
const ORDERS: (&str, &str) = (
    "001_orders.sql",
    "CREATE TABLE orders (id INT, total INT, code TEXT NOT NULL, user_id INT);\nCREATE INDEX orders_user ON orders (user_id);\nCREATE DOMAIN positive AS INT;",
);

/// The findings of migration 2 holding `up`, on [`ORDERS`], as `code what`.
fn reviewed(up: &str) -> Vec<String> {
    findings(Dialect::Postgres, None, &[ORDERS, ("002_change.sql", up)])
        .into_iter()
        .map(|f| {
            f.split_once(' ')
                .map(|(_, rest)| rest.to_owned())
                .unwrap_or(f)
        })
        .collect()
}

/// Each hazard a PostgreSQL reviewer names, and exactly what is found.
const HAZARDS: &[(&str, &[&str])] = &[
    (
        "ALTER TABLE orders ADD COLUMN token uuid DEFAULT gen_random_uuid();",
        &[
            "add-column-rewrite adds column `token` to `orders` with a default that calls `gen_random_uuid()`, evaluated for every row, rewriting the table under an exclusive lock",
        ],
    ),
    (
        "ALTER TABLE orders ADD COLUMN n bigserial;",
        &[
            "add-column-rewrite adds column `n` to `orders` with a serial type, a sequence value for every row, rewriting the table under an exclusive lock",
        ],
    ),
    (
        "ALTER TABLE orders ADD COLUMN doubled int GENERATED ALWAYS AS (total * 2) STORED;",
        &[
            "add-column-rewrite adds column `doubled` to `orders` with a stored generated value, computed for every row, rewriting the table under an exclusive lock",
        ],
    ),
    (
        "DROP INDEX orders_user;",
        &[
            "drop-index-not-concurrently drops index `orders_user` without CONCURRENTLY, locking its table against reads and writes",
        ],
    ),
    (
        "VACUUM FULL orders;",
        &["blocking-rebuild VACUUM FULL rewrites `orders` under an exclusive lock"],
    ),
    (
        "VACUUM (FULL, ANALYZE) orders;",
        &["blocking-rebuild VACUUM FULL rewrites `orders` under an exclusive lock"],
    ),
    (
        "CLUSTER orders USING orders_user;",
        &["blocking-rebuild CLUSTER rewrites `orders` under an exclusive lock"],
    ),
    (
        "REINDEX TABLE orders;",
        &["blocking-rebuild REINDEX rebuilds the indexes of `orders` under an exclusive lock"],
    ),
    (
        "REINDEX INDEX orders_user;",
        &["blocking-rebuild REINDEX rebuilds index `orders_user` while its table waits"],
    ),
    (
        "LOCK TABLE orders IN ACCESS EXCLUSIVE MODE;",
        &[
            "lock-table locks table `orders` in ACCESS EXCLUSIVE mode until the transaction ends, blocking its writes and reads",
        ],
    ),
    (
        "LOCK orders;",
        &[
            "lock-table locks table `orders` in ACCESS EXCLUSIVE mode until the transaction ends, blocking its writes and reads",
        ],
    ),
    (
        "LOCK TABLE orders IN SHARE MODE NOWAIT;",
        &[
            "lock-table locks table `orders` in SHARE mode until the transaction ends, blocking its writes",
        ],
    ),
    (
        "ALTER TABLE orders ADD CONSTRAINT orders_code UNIQUE (code);",
        &[
            "unique-on-existing-data adds a unique constraint to `orders`, which fails if its rows hold duplicates",
            "constraint-builds-index adds a unique constraint to `orders`, building its index while reads and writes wait",
        ],
    ),
    (
        "ALTER TABLE orders ADD PRIMARY KEY (id) USING INDEX TABLESPACE fast;",
        &[
            "unique-on-existing-data adds a unique constraint to `orders`, which fails if its rows hold duplicates",
            "constraint-builds-index adds a primary key to `orders`, building its index while reads and writes wait",
        ],
    ),
    (
        "ALTER TABLE orders ADD CONSTRAINT no_overlap EXCLUDE USING gist (code WITH =);",
        &[
            "constraint-builds-index adds an exclusion constraint to `orders`, building its index while reads and writes wait",
        ],
    ),
    (
        "UPDATE orders SET total = 0;",
        &[
            "update-without-where updates every row of `orders` in the migration's transaction, keeping them all locked until it commits",
        ],
    ),
    (
        "UPDATE orders SET total = (SELECT 0 WHERE true);",
        &[
            "update-without-where updates every row of `orders` in the migration's transaction, keeping them all locked until it commits",
        ],
    ),
    (
        "UPDATE orders SET \"where\" = 1;",
        &[
            "update-without-where updates every row of `orders` in the migration's transaction, keeping them all locked until it commits",
        ],
    ),
    (
        "ALTER TABLE orders DETACH PARTITION orders_2020;",
        &[
            "detach-partition-not-concurrently detaches partition `orders_2020` from `orders`, locking it against reads and writes",
        ],
    ),
    (
        "DROP DATABASE IF EXISTS legacy;",
        &["drop-database drops database `legacy`"],
    ),
    (
        "ALTER TABLE orders ALTER COLUMN code DROP NOT NULL;",
        &[
            "drop-not-null drops NOT NULL from column `code` of table `orders`, which the running release may read as never NULL",
        ],
    ),
    (
        "TRUNCATE orders CASCADE;",
        &[
            "truncate-table empties table `orders` and, with CASCADE, every table with a foreign key to it",
        ],
    ),
    (
        "ALTER DOMAIN positive ADD CONSTRAINT p CHECK (VALUE > 0);",
        &[
            "constraint-not-valid adds a constraint to domain `positive` without NOT VALID, checking every column of that type under lock",
        ],
    ),
    (
        "ALTER TABLE orders ADD COLUMN account_id INT REFERENCES orders (id);",
        &[
            "constraint-not-valid adds column `account_id` to `orders` with a foreign key, checked under a lock on both tables",
        ],
    ),
    (
        "ALTER TABLE orders ADD COLUMN ref TEXT UNIQUE;",
        &[
            "constraint-builds-index adds column `ref` to `orders` with a unique index, built while reads and writes wait",
        ],
    ),
];

#[test]
fn each_hazard_a_postgresql_reviewer_names_is_found() {
    for (up, expected) in HAZARDS {
        assert_eq!(reviewed(up), *expected, "{up}");
    }
}

#[test]
fn what_a_postgresql_reviewer_lets_pass_is_not_found() {
    let quiet = [
        "ALTER TABLE orders ADD COLUMN seen timestamptz DEFAULT now() NOT NULL;",
        "ALTER TABLE orders ADD COLUMN state TEXT DEFAULT 'new';",
        "ALTER TABLE orders ADD COLUMN price numeric(10, 2) DEFAULT 0::numeric(10, 2);",
        "ALTER TABLE orders ADD CONSTRAINT orders_code UNIQUE USING INDEX orders_code_idx;",
        "ALTER DOMAIN positive ADD CONSTRAINT p CHECK (VALUE > 0) NOT VALID;",
        "VACUUM ANALYZE orders;",
        "LOCK TABLE orders IN ROW EXCLUSIVE MODE;",
        "UPDATE orders SET total = 0 WHERE total IS NULL;",
        "-- +migrate NoTransaction\n-- +migrate Up\nUPDATE orders SET total = 0;\n",
        "-- +migrate NoTransaction\n-- +migrate Up\nDROP INDEX CONCURRENTLY orders_user;\n",
        "-- +migrate NoTransaction\n-- +migrate Up\nREINDEX INDEX CONCURRENTLY orders_user;\n",
        "-- +migrate NoTransaction\n-- +migrate Up\nALTER TABLE orders DETACH PARTITION orders_2020 CONCURRENTLY;\n",
        // A table made in the same migration has no rows and no readers.
        "CREATE TABLE fresh (id INT);\nCREATE INDEX fresh_id ON fresh (id);\nUPDATE fresh SET id = 1;\nTRUNCATE fresh;\nVACUUM FULL fresh;\nCLUSTER fresh;\nLOCK TABLE fresh;\nDROP INDEX fresh_id;\nALTER TABLE fresh ADD COLUMN t uuid DEFAULT gen_random_uuid();",
    ];
    for up in quiet {
        assert_eq!(reviewed(up), Vec::<String>::new(), "{up}");
    }
}

mod parsed {
    //! Statements PostgreSQL accepts, written with random names (plain,
    //! or quoted words that are also keywords), random keyword case, and
    //! comments and line breaks between words: each rule finds exactly
    //! the statement it names, at its line, never one it does not.

    use proptest::prelude::*;

    use super::{Dialect, findings};

    /// A statement (names as `{t}` table, `{c}` column, `{i}` index,
    /// `{k}` constraint), and the codes it must be found under.
    const SHAPES: &[(&str, &[&str])] = &[
        (
            "ALTER TABLE {t} ADD COLUMN {k} uuid DEFAULT gen_random_uuid ( )",
            &["add-column-rewrite"],
        ),
        (
            "ALTER TABLE {t} ADD COLUMN {k} timestamptz DEFAULT now ( )",
            &[],
        ),
        (
            "ALTER TABLE {t} ADD COLUMN {k} int GENERATED ALWAYS AS IDENTITY",
            &["add-column-rewrite"],
        ),
        ("DROP INDEX {i}", &["drop-index-not-concurrently"]),
        ("DROP INDEX IF EXISTS {i}", &["drop-index-not-concurrently"]),
        ("VACUUM FULL {t}", &["blocking-rebuild"]),
        ("VACUUM ( FULL ) {t}", &["blocking-rebuild"]),
        ("VACUUM {t}", &[]),
        ("VACUUM ( ANALYZE ) {t} ( {c} )", &[]),
        ("CLUSTER {t} USING {i}", &["blocking-rebuild"]),
        ("REINDEX TABLE {t}", &["blocking-rebuild"]),
        ("LOCK TABLE {t}", &["lock-table"]),
        ("LOCK TABLE ONLY {t} IN EXCLUSIVE MODE", &["lock-table"]),
        ("LOCK TABLE {t} IN ACCESS SHARE MODE", &[]),
        ("LOCK TABLE {t} IN SHARE UPDATE EXCLUSIVE MODE", &[]),
        ("UPDATE {t} SET {c} = 0", &["update-without-where"]),
        (
            "UPDATE {t} SET {c} = ( SELECT 1 WHERE true )",
            &["update-without-where"],
        ),
        ("UPDATE {t} SET {c} = 0 WHERE {c} IS NULL", &[]),
        (
            "UPDATE ONLY {t} AS x SET {c} = 0 FROM {t} y WHERE x . {c} = y . {c}",
            &[],
        ),
        (
            "ALTER TABLE {t} ADD CONSTRAINT {k} UNIQUE ( {c} )",
            &["constraint-builds-index", "unique-on-existing-data"],
        ),
        (
            "ALTER TABLE {t} ADD CONSTRAINT {k} UNIQUE USING INDEX {i}",
            &[],
        ),
        (
            "ALTER TABLE {t} ADD CONSTRAINT {k} CHECK ( {c} > 0 ) NOT VALID",
            &[],
        ),
        (
            "ALTER TABLE {t} ALTER COLUMN {c} DROP NOT NULL",
            &["drop-not-null"],
        ),
        ("ALTER TABLE {t} ALTER COLUMN {c} DROP DEFAULT", &[]),
        ("TRUNCATE TABLE {t}", &["truncate-table"]),
        ("SELECT {c} FROM {t} WHERE {c} = 'VACUUM FULL'", &[]),
    ];

    /// Names a statement may use: plain, or quoted keywords.
    fn name() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-z][a-z0-9_]{0,6}".prop_map(|n| format!("n_{n}")),
            prop::sample::select(
                &[
                    "where",
                    "full",
                    "concurrently",
                    "valid",
                    "using",
                    "mode",
                    "default",
                    "only",
                    "set",
                    "index",
                    "not",
                    "null",
                    "exclusive",
                    "cascade",
                    "unique",
                ][..]
            )
            .prop_map(|k| format!("\"{k}\"")),
        ]
    }

    /// What may stand between two words.
    fn gap() -> impl Strategy<Value = &'static str> {
        prop::sample::select(&[" ", "  ", "\n", " /* a; b */ ", " -- c;\n", "\t"][..])
    }

    /// `word` in a random case, when it is a keyword.
    fn cased(word: &str, upper: &[bool]) -> String {
        if word.starts_with('"') || word.starts_with('\'') {
            return word.to_owned();
        }
        word.chars()
            .zip(upper.iter().cycle())
            .map(|(c, up)| {
                if *up {
                    c.to_ascii_uppercase()
                } else {
                    c.to_ascii_lowercase()
                }
            })
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        #[test]
        fn each_rule_finds_exactly_the_statements_it_names(
            shape in 0..SHAPES.len(),
            names in prop::collection::vec(name(), 4),
            gaps in prop::collection::vec(gap(), 40),
            upper in prop::collection::vec(any::<bool>(), 1..5),
            blank_lines in 0usize..4,
        ) {
            let (t, c, i, k) = (&names[0], &names[1], &names[2], &names[3]);
            prop_assume!(t != i && c != k);
            let (template, codes) = SHAPES[shape];
            let mut up = String::new();
            for (n, word) in template.split(' ').enumerate() {
                let word = word.replace("{t}", t).replace("{c}", c).replace("{i}", i).replace("{k}", k);
                if n > 0 {
                    up.push_str(gaps[n % gaps.len()]);
                }
                up.push_str(&cased(&word, &upper));
            }
            let first = format!(
                "CREATE TABLE {t} ({c} INT NOT NULL);\nCREATE INDEX {i} ON {t} ({c});"
            );
            let second = format!("-- +migrate Up\n{}{up};\n", "\n".repeat(blank_lines));
            let found = findings(
                Dialect::Postgres,
                None,
                &[("001_first.sql", &first), ("002_second.sql", &second)],
            );
            let mut got: Vec<&str> = found
                .iter()
                .map(|f| f.split(' ').nth(1).unwrap_or_default())
                .collect();
            got.sort_unstable();
            prop_assert_eq!(&got, &codes.to_vec(), "{}", up);
        }
    }
}

#[test]
fn a_block_sent_as_one_statement_is_read_statement_by_statement() {
    // goose's StatementBegin block: an added column, then a unique index
    // on it. The column is NULL in every row, so the index meets no
    // duplicates; the ALTER TABLE holds no NOT NULL and no UNIQUE.
    let block = "-- +goose Up\n-- +goose StatementBegin\nALTER TABLE orders ADD COLUMN label text;\n\nCREATE UNIQUE INDEX IF NOT EXISTS orders_label ON orders (user_id, label) WHERE label IS NOT NULL;\nDROP INDEX orders_user;\n-- +goose StatementEnd\n";
    let said = findings(Dialect::Postgres, None, &[ORDERS, ("002_label.sql", block)]);
    assert_eq!(
        said,
        [
            "2 index-not-concurrently builds an index on `orders` without CONCURRENTLY, blocking its writes while it builds",
            "2 drop-index-not-concurrently drops index `orders_user` without CONCURRENTLY, locking its table against reads and writes",
        ]
    );
    let lines: Vec<u32> = found(Dialect::Postgres, None, &[ORDERS, ("002_label.sql", block)])
        .iter()
        .map(|f| f.line)
        .collect();
    assert_eq!(lines, [5, 6]);
}

/// `CREATE TABLE IF NOT EXISTS` over a table an earlier migration made
/// creates nothing: the table's later changes in the same migration are
/// changes to a table in use, and are found.
#[test]
fn create_table_if_not_exists_over_an_existing_table_hides_nothing() {
    let found = findings(
        Dialect::Postgres,
        None,
        &[
            ACCOUNTS,
            (
                "002_again.sql",
                "CREATE TABLE IF NOT EXISTS accounts (id INT PRIMARY KEY, email TEXT, visits INT);\n\
                 ALTER TABLE accounts DROP COLUMN visits;\n\
                 CREATE INDEX accounts_email ON accounts (email);",
            ),
        ],
    );
    assert!(
        found.iter().any(|f| f.starts_with("2 drop-column")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|f| f.starts_with("2 ") && f.contains("index")),
        "{found:?}"
    );
}

/// On PostgreSQL a quoted name keeps its case: a table `"Users"` made in
/// the migration is another one than the `users` it then changes, so the
/// change is found. On SQLite the two are one name.
#[test]
fn a_quoted_name_with_capitals_is_another_table_on_postgresql() {
    let files = [
        ("001_users.sql", "CREATE TABLE users (id INT, email TEXT);"),
        (
            "002_users_again.sql",
            "CREATE TABLE \"Users\" (id INT, email TEXT);\nALTER TABLE users DROP COLUMN email;",
        ),
    ];
    assert_eq!(
        findings(Dialect::Postgres, None, &files),
        ["2 drop-column drops column `email` of table `users`"]
    );
    let quoted_drop = [
        (
            "001_users.sql",
            "CREATE TABLE \"Users\" (id INT, email TEXT);",
        ),
        ("002_drop.sql", "ALTER TABLE \"Users\" DROP COLUMN email;"),
    ];
    assert_eq!(
        findings(Dialect::Postgres, None, &quoted_drop),
        ["2 drop-column drops column `email` of table `Users`"]
    );
}

/// MySQL's online DDL: what copies a table or blocks its writes is found on
/// a table of an earlier migration, with the general rules alongside; a
/// secondary index built in place, and anything on a table of this
/// release, is not.
#[test]
fn mysql_changes_that_copy_a_table_or_block_writes_are_found() {
    let accounts = (
        "001_accounts.sql",
        "CREATE TABLE accounts (id INT PRIMARY KEY, email VARCHAR(100), body TEXT, visits INT);",
    );
    let cases: &[(&str, &[&str])] = &[
        (
            "ALTER TABLE accounts MODIFY COLUMN visits BIGINT;",
            &[
                "change-column-type changes the type of column `visits` of table `accounts` to `bigint`",
                "mysql-table-copy changes column `visits` of table `accounts`, which MySQL makes by copying the table unless the change is one it can make in place",
            ],
        ),
        (
            "ALTER TABLE accounts CHANGE email mail VARCHAR(200);",
            &[
                "rename-column renames column `email` of table `accounts` to `mail`",
                "change-column-type changes the type of column `email` of table `accounts` to `varchar`",
                "mysql-table-copy changes column `email` of table `accounts`, which MySQL makes by copying the table unless the change is one it can make in place",
            ],
        ),
        (
            "ALTER TABLE accounts ADD COLUMN note TEXT, ALGORITHM=COPY, LOCK=SHARED;",
            &[
                "mysql-table-copy asks for ALGORITHM=COPY: table `accounts` is copied while writes wait",
                "mysql-explicit-lock asks for LOCK=shared on table `accounts`: writes wait for the change",
            ],
        ),
        (
            "ALTER TABLE accounts ADD FULLTEXT INDEX accounts_body (body);",
            &[
                "mysql-blocking-index adds a FULLTEXT index to table `accounts`, which blocks writes while it builds",
            ],
        ),
        (
            "ALTER TABLE accounts CONVERT TO CHARACTER SET utf8mb4;",
            &["mysql-table-copy converts table `accounts` to another character set, copying it"],
        ),
        (
            "OPTIMIZE TABLE accounts;",
            &["mysql-table-copy optimizes table `accounts`, which copies it"],
        ),
        (
            "LOCK TABLES accounts WRITE;",
            &["mysql-explicit-lock locks tables (`LOCK TABLES`) for the rest of the session"],
        ),
        (
            "CREATE FULLTEXT INDEX accounts_body ON accounts (body);",
            &[
                "mysql-blocking-index adds an index of that kind to table `accounts`, which blocks writes while it builds",
            ],
        ),
        (
            "RENAME TABLE accounts TO users;",
            &["rename-table renames table `accounts` to `users`"],
        ),
        (
            "ALTER TABLE accounts RENAME users;",
            &["rename-table renames table `accounts` to `users`"],
        ),
        ("ALTER TABLE accounts RENAME INDEX a TO b;", &[]),
        (
            "ALTER TABLE accounts ADD INDEX accounts_email (email);",
            &[],
        ),
        (
            "ALTER TABLE accounts ADD COLUMN note TEXT, ALGORITHM=INSTANT;",
            &[],
        ),
    ];
    for (up, expected) in cases {
        let said = findings(Dialect::Mysql, None, &[accounts, ("002_change.sql", up)]);
        let expected: Vec<String> = expected.iter().map(|e| format!("2 {e}")).collect();
        assert_eq!(said, expected, "{up}");
    }
    // The same on a table of this release: new, empty, unread.
    let new_table = findings(
        Dialect::Mysql,
        Some(1),
        &[
            accounts,
            (
                "002_change.sql",
                "ALTER TABLE accounts MODIFY visits BIGINT, ALGORITHM=COPY;",
            ),
        ],
    );
    assert!(new_table.is_empty(), "{new_table:?}");
    // The MySQL rules are MySQL's only.
    let on_sqlite = findings(
        Dialect::Sqlite,
        None,
        &[accounts, ("002_change.sql", "OPTIMIZE TABLE accounts;")],
    );
    assert!(on_sqlite.is_empty(), "{on_sqlite:?}");
}

/// The statements a reviewer flags that the rules missed before (issue
/// 37), each found at its line on objects of an earlier migration, and
/// the safe neighbours not: a constant-default `ADD COLUMN`, a bounded
/// `UPDATE` and `DELETE`, a concurrent refresh, a partition made in the
/// same release.
#[test]
fn data_hazards_and_whole_relation_locks_a_reviewer_flags() {
    let before = (
        "001_before.sql",
        "CREATE TABLE accounts (id INT PRIMARY KEY, email TEXT);\n\
         CREATE TABLE events (id INT, at DATE) PARTITION BY RANGE (at);\n\
         CREATE TABLE events_2026 (id INT, at DATE);\n\
         CREATE MATERIALIZED VIEW totals AS SELECT count(*) AS n FROM accounts;\n\
         CREATE SCHEMA archive;",
    );
    let reviewed = (
        "002_reviewed.sql",
        "REFRESH MATERIALIZED VIEW totals;\n\
         ALTER TABLE events ATTACH PARTITION events_2026 FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');\n\
         DELETE FROM accounts;\n\
         ALTER TABLE accounts SET UNLOGGED;\n\
         ALTER TABLE accounts DISABLE TRIGGER ALL;\n\
         DROP SCHEMA archive CASCADE;",
    );
    let under_with = (
        "003_under_with.sql",
        "WITH gone AS (SELECT 1) DELETE FROM accounts;\n\
         WITH gone AS (DELETE FROM accounts RETURNING id) SELECT count(*) FROM gone;",
    );
    // Each in a migration of its own: a bounded UPDATE after an ALTER
    // TABLE of the same transaction is `backfill-after-alter`.
    let add_column = (
        "004_add_column.sql",
        "ALTER TABLE accounts ADD COLUMN plan TEXT DEFAULT 'free';",
    );
    let bounded = (
        "005_bounded.sql",
        "UPDATE accounts SET email = lower(email) WHERE id < 1000;\n\
         DELETE FROM accounts WHERE id = 7;\n\
         REFRESH MATERIALIZED VIEW CONCURRENTLY totals;",
    );
    let found = found(
        Dialect::Postgres,
        Some(2),
        &[before, reviewed, under_with, add_column, bounded],
    );
    let seen: Vec<(&str, u32, &str)> = found
        .iter()
        .map(|f| (&f.path["migrations/".len()..][..3], f.line, f.rule.code()))
        .collect();
    assert_eq!(
        seen,
        [
            ("002", 2, "refresh-not-concurrently"),
            ("002", 3, "attach-partition-scan"),
            ("002", 4, "delete-without-where"),
            ("002", 5, "set-unlogged"),
            ("002", 6, "disable-trigger"),
            ("002", 7, "drop-schema"),
            ("003", 2, "delete-without-where"),
            ("003", 3, "delete-without-where"),
            // A concurrent refresh runs in a transaction too: nothing in 005.
        ],
        "{found:#?}"
    );
    let said: Vec<String> = found.iter().map(ToString::to_string).collect();
    assert!(
        said[4].contains("disables ALL triggers of `accounts`, its foreign-key checks included"),
        "{said:?}"
    );
    assert!(
        said[5].contains("with CASCADE: every table, view and function in it"),
        "{said:?}"
    );
    // Made in the same release: empty, nothing to find.
    let new = (
        "002_new.sql",
        "CREATE TABLE fresh (id INT);\nDELETE FROM fresh;\nALTER TABLE fresh SET UNLOGGED;",
    );
    assert!(findings(Dialect::Postgres, Some(2), &[before, new]).is_empty());
    // Offline on MySQL too, for the rule that is every dialect's.
    let mysql = findings(
        Dialect::Mysql,
        Some(2),
        &[
            ("001_a.sql", "CREATE TABLE accounts (id INT PRIMARY KEY);"),
            ("002_b.sql", "DELETE FROM accounts;"),
        ],
    );
    assert_eq!(
        mysql,
        [
            "2 delete-without-where deletes every row of `accounts`, each locked until the migration's transaction commits"
        ]
    );
}

/// A data change after an `ALTER TABLE` of the same table in the same
/// transaction holds the `ALTER`'s lock while the rows change (what the
/// server's trace finds as a read under `ACCESS EXCLUSIVE`); in a
/// migration outside a transaction, or of a table made in it, it does not.
#[test]
fn a_data_change_after_an_alter_of_its_table_in_one_transaction_is_found() {
    let accounts = (
        "001_accounts.sql",
        "CREATE TABLE accounts (id INT PRIMARY KEY, n INT);",
    );
    let backfill = (
        "002_backfill.sql",
        "ALTER TABLE accounts ADD COLUMN c INT;\nUPDATE accounts SET c = n WHERE id < 1000;\nDELETE FROM accounts WHERE n IS NULL;",
    );
    let seen: Vec<(u32, &str)> = found(Dialect::Postgres, None, &[accounts, backfill])
        .iter()
        .map(|f| (f.line, f.rule.code()))
        .collect();
    assert_eq!(
        seen,
        [(3, "backfill-after-alter"), (4, "backfill-after-alter")]
    );
    let outside = (
        "002_backfill.sql",
        "-- +migrate Up\n-- +migrate NoTransaction\nALTER TABLE accounts ADD COLUMN c INT;\nUPDATE accounts SET c = n WHERE id < 1000;\n",
    );
    assert!(findings(Dialect::Postgres, None, &[accounts, outside]).is_empty());
    let before_alter = (
        "002_backfill.sql",
        "UPDATE accounts SET n = 0 WHERE id < 1000;\nALTER TABLE accounts ADD COLUMN c INT;",
    );
    assert!(findings(Dialect::Postgres, None, &[accounts, before_alter]).is_empty());
}

/// A unique index on a materialized view made in the same migration (what
/// `REFRESH … CONCURRENTLY` needs) is on no rows anyone reads yet: no
/// finding; on one made by an earlier migration, it is.
#[test]
fn an_index_on_a_materialized_view_of_the_same_migration_is_no_finding() {
    let made = (
        "001_made.sql",
        "CREATE TABLE a (id INT PRIMARY KEY);\n\
         CREATE MATERIALIZED VIEW mv AS SELECT id FROM a;\n\
         CREATE UNIQUE INDEX mv_id ON mv (id);",
    );
    assert!(findings(Dialect::Postgres, None, &[made]).is_empty());
    let later = ("002_index.sql", "CREATE UNIQUE INDEX mv_id2 ON mv (id);");
    let codes: Vec<String> = findings(Dialect::Postgres, None, &[made, later]);
    assert!(
        codes.iter().any(|f| f.contains("unique-on-existing-data")),
        "{codes:?}"
    );
}
