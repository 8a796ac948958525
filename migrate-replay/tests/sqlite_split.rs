//! Our statement splitter against SQLite's own reader: SQLite prepares
//! the text statement by statement (rusqlite's `Batch`, each statement's
//! text as SQLite kept it), on a schema where every generated name exists.
//! Generated SQLite files hold what misled splitters: `;` in strings,
//! quoted and bracketed names (`[a;b]`) and comments, `/* /* */` (which
//! SQLite does not nest), trigger bodies whose columns are named `begin`
//! and `end`, `CASE … END` inside them. A disagreement is a bug in ours.

use migrate_core::{Dialect, split};
use proptest::prelude::*;
use rusqlite::fallible_iterator::FallibleIterator;
use rusqlite::{Batch, Connection};

/// The table every generated statement reads, with every generated name.
const SCHEMA: &str = "CREATE TABLE t (c_a INT, c_b INT, begin INT, end INT, \"e;nd\" INT, \
     [a;b] INT, `x;y` INT)";

/// SQLite's statements of `text`, as it prepares them one after another.
fn sqlites(conn: &Connection, text: &str) -> Vec<String> {
    let mut batch = Batch::new(conn, text);
    let mut statements = Vec::new();
    loop {
        match batch.next() {
            Ok(Some(statement)) => {
                statements.push(normal(&statement.expanded_sql().expect("its text")));
            }
            Ok(None) => return statements,
            Err(error) => panic!("SQLite cannot prepare {text:?}: {error}"),
        }
    }
}

/// A statement without its surrounding whitespace, leading comments and
/// final `;`, to compare.
fn normal(statement: &str) -> String {
    let mut text = statement.trim().trim_end_matches(';').trim_end();
    loop {
        let before = text;
        if let Some(rest) = text.strip_prefix("--") {
            text = rest
                .split_once('\n')
                .map_or("", |(_, after)| after)
                .trim_start();
        }
        if let Some(rest) = text.strip_prefix("/*") {
            text = rest
                .split_once("*/")
                .map_or("", |(_, after)| after)
                .trim_start();
        }
        if text == before {
            return text.to_owned();
        }
    }
}

fn ours(text: &str) -> Vec<String> {
    split(text, 1, Dialect::Sqlite)
        .expect("our split")
        .iter()
        .map(|s| normal(s.sql()))
        .filter(|s| !s.is_empty())
        .collect()
}

/// A column, sometimes a keyword SQLite takes as a name.
fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("c_a".to_owned()),
        Just("c_b".to_owned()),
        Just("begin".to_owned()),
        Just("end".to_owned()),
        Just("[a;b]".to_owned()),
        Just("\"e;nd\"".to_owned()),
        Just("`x;y`".to_owned()),
    ]
}

/// An expression holding what a splitter may misread.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("1".to_owned()),
        "[a-z ;]{0,6}".prop_map(|s| format!("'{s}'")),
        "[a-z ;]{0,4}".prop_map(|s| format!("'it''s{s}'")),
        name().prop_map(|n| format!("CASE WHEN {n} THEN 1 ELSE 2 END")),
        "[a-z ;]{0,6}".prop_map(|s| format!("/* {s} /* not nested; */ 3")),
        "[a-z ;']{0,6}".prop_map(|s| format!("-- {s}\n4")),
    ]
}

/// One statement.
fn statement() -> impl Strategy<Value = String> {
    prop_oneof![
        (name(), value()).prop_map(|(n, v)| format!("UPDATE t SET {n} = {v}")),
        (name(), "[a-z ;]{0,6}")
            .prop_map(|(a, s)| format!("CREATE TABLE new_t ({a} TEXT DEFAULT '{s}')")),
        (name(), name(), value(), value()).prop_map(|(a, b, v, w)| format!(
            "CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE t SET {a} = {v}; \
             UPDATE t SET {b} = {w}; END"
        )),
        (name(), value()).prop_map(|(a, v)| format!(
            "CREATE TEMP TRIGGER tr BEFORE DELETE ON t WHEN {v} BEGIN SELECT {a}; END"
        )),
        value().prop_map(|v| format!("SELECT {v} FROM t")),
        Just("BEGIN".to_owned()),
        Just("END".to_owned()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn our_split_is_sqlites(statements in prop::collection::vec(statement(), 1..6)) {
        let conn = Connection::open_in_memory().expect("memory");
        conn.execute_batch(SCHEMA).expect("schema");
        let text = format!("{};\n", statements.join(";\n"));
        prop_assert_eq!(ours(&text), sqlites(&conn, &text), "{}", text);
    }
}
