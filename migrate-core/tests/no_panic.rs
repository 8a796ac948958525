//! Arbitrary input never panics the splitter or the section parser, and what
//! the splitter returns is always a piece of its input at a line within it.

use migrate_core::{Dialect, FileForm, parse, split};
use proptest::prelude::*;

/// Text made of the pieces the lexer cares about, so that quotes, comments,
/// dollar quotes, trigger bodies and annotations meet in every order.
fn sqlish() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("'".to_owned()),
        Just("\"".to_owned()),
        Just("`".to_owned()),
        Just("$$".to_owned()),
        Just("$a$".to_owned()),
        Just("$1".to_owned()),
        Just("E'".to_owned()),
        Just("\\".to_owned()),
        Just("--".to_owned()),
        Just("/*".to_owned()),
        Just("*/".to_owned()),
        Just(";".to_owned()),
        Just("\n".to_owned()),
        Just("\r\n".to_owned()),
        Just(" ".to_owned()),
        Just("CREATE TRIGGER t ".to_owned()),
        Just("BEGIN ".to_owned()),
        Just("CASE ".to_owned()),
        Just("END".to_owned()),
        Just("SELECT 1".to_owned()),
        Just("é".to_owned()),
        Just("-- +migrate Up\n".to_owned()),
        Just("-- +migrate Down\n".to_owned()),
        Just("-- +goose StatementBegin\n".to_owned()),
        Just("-- +goose StatementEnd\n".to_owned()),
        Just("-- +migrate Irreversible\n".to_owned()),
        Just("-- +migrate Whatever\n".to_owned()),
        "[a-z]{1,3}",
    ];
    prop::collection::vec(piece, 0..40).prop_map(|pieces| pieces.concat())
}

fn check_split(text: &str) {
    for dialect in [Dialect::Sqlite, Dialect::Postgres] {
        check_split_in(text, dialect);
    }
}

fn check_split_in(text: &str, dialect: Dialect) {
    if let Ok(statements) = split(text, 1, dialect) {
        let last_line = 1 + u32::try_from(text.matches('\n').count()).expect("fits");
        for statement in statements {
            assert!(!statement.sql.is_empty());
            assert!(
                text.contains(statement.sql()),
                "{:?} not in {text:?}",
                statement.sql
            );
            assert!((1..=last_line).contains(&statement.line));
        }
    }
}

fn check_parse(text: &str) {
    for (form, dialect) in [
        (FileForm::Single, Dialect::Sqlite),
        (FileForm::Up, Dialect::Postgres),
        (FileForm::Down, Dialect::Sqlite),
    ] {
        let (parsed, problems) = parse(text, form, dialect);
        // Without problems, a file has an Up (empty for a no-op).
        if problems.is_empty() && form != FileForm::Down {
            assert!(parsed.up.is_some());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn splitter_never_panics_on_sqlish_text(text in sqlish()) {
        check_split(&text);
    }

    #[test]
    fn parser_never_panics_on_sqlish_text(text in sqlish()) {
        check_parse(&text);
    }

    #[test]
    fn nothing_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let text = String::from_utf8_lossy(&bytes);
        check_split(&text);
        check_parse(&text);
    }

    #[test]
    fn file_names_never_panic(name in "\\PC{0,20}") {
        let _ = migrate_core::parse_file_name(&name);
        let _ = migrate_core::is_migration_file(&name);
    }
}
