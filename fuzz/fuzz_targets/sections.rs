//! The section parser, for each file form: statements are pieces of the
//! input (CRLF read as LF) with lines inside it; every problem has a message and, where it has
//! a line, one inside the text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use migrate_core::FileForm;

fuzz_target!(|text: &str| {
    let lines = u32::try_from(text.split('\n').count()).unwrap_or(u32::MAX);
    // The parser reads a CRLF line ending as LF.
    let read: Vec<&str> = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).collect();
    let read = read.join("\n");
    for form in [FileForm::Single, FileForm::Up, FileForm::Down, FileForm::Rust] {
        let (parsed, problems) = migrate_core::parse(text, form);
        for section in [&parsed.up, &parsed.down].into_iter().flatten() {
            for statement in &section.statements {
                // Annotation lines are not SQL: a statement is the input's
                // lines, maybe without those between them.
                for line in statement.sql().lines() {
                    assert!(read.contains(line), "{line:?} is not in the text");
                }
                assert!((1..=lines).contains(&statement.line), "line {} of {lines}", statement.line);
            }
        }
        for (line, kind) in &problems {
            assert!(!kind.to_string().is_empty(), "an empty message");
            if let Some(line) = line {
                assert!((1..=lines).contains(line), "problem line {line} of {lines}");
            }
        }
    }
});
