//! Our statement splitter against PostgreSQL's own (`libpg_query`'s
//! `split_with_parser`), on generated PostgreSQL: quotes, quoted
//! identifiers, comments (nested ones too) and dollar quotes holding `;`;
//! `begin` as a name (a parameter, a column, in a `BEGIN ATOMIC` body);
//! `CASE … END` inside such bodies; a rule's parenthesised actions; a
//! trigger's condition. A disagreement is a bug in ours.

use proptest::prelude::*;

/// A piece of a statement that may hold a `;` PostgreSQL does not split on.
fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        // Never a reserved word: `c_` first.
        "c_[a-z0-9_]{0,6}".prop_map(|s| s),
        Just("1".to_owned()),
        "[a-z ;]{0,6}".prop_map(|s| format!("'{s}'")),
        "[a-z ;]{0,4}".prop_map(|s| format!("'it''s{s}'")),
        "[a-z ;]{0,6}".prop_map(|s| format!("\"q{s}\"")),
        "[a-z ;]{0,6}".prop_map(|s| format!("$${s}$$")),
        ("[a-z]{1,3}", "[a-z ;]{0,6}").prop_map(|(t, s)| format!("$t{t}${s}$t{t}$")),
        "[a-z ;]{0,6}".prop_map(|s| format!("/* {s} */")),
        "[a-z ;']{0,6}".prop_map(|s| format!("-- {s}\n")),
    ]
}

/// `SELECT` lists of pieces, joined as PostgreSQL reads them.
fn statements() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(
        prop::collection::vec(piece(), 1..5).prop_map(|pieces| {
            let items: Vec<String> = pieces
                .iter()
                .map(|p| {
                    if p.starts_with("--") || p.starts_with("/*") {
                        format!("{p} 0")
                    } else {
                        p.clone()
                    }
                })
                .collect();
            format!("SELECT {}", items.join(", "))
        }),
        1..5,
    )
}

/// A statement as both splitters are compared: PostgreSQL's fingerprint
/// (comments, whitespace and constants do not count, the structure does).
fn fingerprint(sql: &str) -> String {
    pg_query::fingerprint(sql, 0, 0)
        .unwrap_or_else(|e| panic!("{sql:?} does not parse: {e}"))
        .hex
}

fn agree(text: &str) {
    let ours: Vec<String> = migrate_core::split(text, 1, migrate_core::Dialect::Postgres)
        .expect("our split")
        .iter()
        .map(|s| fingerprint(s.sql()))
        .collect();
    let theirs: Vec<String> = pg_query::split_with_parser(text)
        .expect("PostgreSQL's split")
        .iter()
        .map(|s| fingerprint(s))
        .collect();
    assert_eq!(ours, theirs, "split differently: {text:?}");
}

/// A statement of the constructs that misled splitters.
fn construct() -> impl Strategy<Value = String> {
    let text = "[a-z ;]{0,6}";
    prop_oneof![
        text.prop_map(|s| format!("/* a /* b{s} */ DROP TABLE t; */ SELECT 1")),
        text.prop_map(|s| format!(
            "CREATE FUNCTION f(begin int, c_x int) RETURNS int LANGUAGE sql \
             BEGIN ATOMIC SELECT begin; SELECT CASE WHEN c_x = 1 THEN '{s}' END; END"
        )),
        text.prop_map(|s| format!(
            "CREATE OR REPLACE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC \
             UPDATE t SET begin = 1 WHERE c_a = '{s}'; END"
        )),
        text.prop_map(|s| format!(
            "CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); \
             INSERT INTO b VALUES ('{s}'))"
        )),
        Just(
            "CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW WHEN (NEW.begin IS NULL) \
              EXECUTE FUNCTION f()"
                .to_owned()
        ),
        Just(
            "CREATE FUNCTION span(begin timestamptz, finish timestamptz) RETURNS interval \
              LANGUAGE sql AS $$ SELECT finish - begin $$"
                .to_owned()
        ),
        Just("BEGIN".to_owned()),
        Just("COMMIT".to_owned()),
        Just("CREATE INDEX CONCURRENTLY i ON t (begin)".to_owned()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn our_split_is_postgresqls(statements in statements()) {
        agree(&format!("{};\n", statements.join(";\n")));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn our_split_of_bodies_comments_and_names_is_postgresqls(
        statements in prop::collection::vec(prop_oneof![construct(), statements().prop_map(|s| s.join(";\n"))], 1..6)
    ) {
        agree(&format!("{};\n", statements.join(";\n")));
    }
}

#[test]
fn function_bodies_and_blocks_split_as_postgresql_splits_them() {
    agree(
        "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $body$
BEGIN
    PERFORM 1; -- a ; in a comment
    RETURN 2;
END;
$body$;
DO $$ BEGIN RAISE NOTICE 'a;b'; END $$;
CREATE TABLE \"t;1\" (a text DEFAULT 'x;y' /* ; */);
",
    );
}
