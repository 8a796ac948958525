//! A whole directory: the input is cut into files (name, then text, at NUL
//! separators) written into a fresh directory. A loaded set has sorted,
//! unique versions whose statements are pieces of their files; a refused
//! one has problems that each say something, at a line inside their file.
#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &str| {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path().join("migrations");
    std::fs::create_dir(&dir).expect("mkdir");
    let mut texts = BTreeMap::new();
    let mut parts = input.split('\0');
    while let (Some(name), Some(text)) = (parts.next(), parts.next()) {
        // Names stay plain file names in the directory, a few per input.
        let name: String = name.chars().filter(|c| c.is_ascii_alphanumeric() || "_.-".contains(*c)).take(40).collect();
        if name.is_empty() || name.starts_with('.') || texts.len() >= 8 {
            continue;
        }
        if std::fs::write(dir.join(&name), text).is_ok() {
            // As the parser reads it: CRLF as LF, without a leading BOM.
            let read: Vec<&str> = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).collect();
            texts.insert(format!("migrations/{name}"), read.join("\n"));
        }
    }
    match migrate_core::load(root.path(), "migrations", &Default::default()) {
        Ok(set) => {
            for pair in set.migrations.windows(2) {
                assert!(pair[0].version < pair[1].version, "versions not sorted and unique");
            }
            for migration in &set.migrations {
                let up = &texts[migration.up_path()];
                // Annotation lines are not SQL: each statement line is the file's.
                for statement in migration.up() {
                    for line in statement.sql().lines() {
                        assert!(up.contains(line), "Up statement line {line:?} not in its file");
                    }
                }
                if let (Some(path), Some(down)) = (migration.down_path(), migration.down()) {
                    for statement in down {
                        for line in statement.sql().lines() {
                            assert!(texts[path].contains(line), "Down statement line {line:?} not in its file");
                        }
                    }
                }
            }
        }
        Err(problems) => {
            assert!(!problems.is_empty());
            for problem in &problems {
                assert!(!problem.to_string().is_empty());
                if let (Some(line), Some(text)) = (problem.line, texts.get(&problem.path)) {
                    let lines = u32::try_from(text.split('\n').count()).unwrap_or(u32::MAX);
                    assert!((1..=lines).contains(&line), "{problem}: line {line} of {lines}");
                }
            }
        }
    }
});
