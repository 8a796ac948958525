//! The splitter: every statement is a piece of the input, in order, with a
//! line inside the text; an error names a line inside the text.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let lines = u32::try_from(text.matches('\n').count()).unwrap_or(u32::MAX - 1) + 1;
    match migrate_core::split(text, 1) {
        Ok(statements) => {
            let mut previous = 1;
            for statement in &statements {
                assert!(!statement.sql.is_empty(), "an empty statement in {text:?}: {statements:?}");
                assert!(text.contains(statement.sql()), "{:?} is not in the text", statement.sql);
                assert!((1..=lines).contains(&statement.line), "line {} of {lines}", statement.line);
                assert!(statement.line >= previous, "statements out of order");
                previous = statement.line;
            }
        }
        Err(error) => {
            assert!((1..=lines).contains(&error.line()), "error line {} of {lines}", error.line());
            assert!(!error.to_string().is_empty());
        }
    }
});
