//! The docs and the code kept together where a machine can check it: every
//! test the README and `docs/` cite by name (a long snake-case name in
//! backticks, `file.rs: name` or `module::name`) is a test function of the
//! workspace, so renaming a test that proves a promise fails here.

use std::fs;
use std::path::{Path, PathBuf};

/// The workspace's root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace")
        .to_path_buf()
}

/// The files under `dir` whose name ends in `suffix`, outside `target/`.
fn files(dir: &Path, suffix: &str, found: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            if name != "target" && !name.starts_with('.') {
                files(&path, suffix, found);
            }
        } else if name.ends_with(suffix) {
            found.push(path);
        }
    }
}

/// The test names a text cites: what stands between backticks and reads
/// as a test's name (lowercase words joined by at least five `_`), the last
/// part of a `module::name`; names with `*` or `{…}` stand for several and
/// are left out.
fn cited(text: &str) -> Vec<String> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .map(|quoted| {
            quoted
                .rsplit("::")
                .next()
                .unwrap_or(quoted)
                .trim()
                .to_owned()
        })
        .filter(|name| {
            name.matches('_').count() >= 5
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        })
        .collect()
}

#[test]
fn every_test_the_docs_cite_exists() {
    let root = root();
    let mut docs = vec![root.join("README.md")];
    files(&root.join("docs"), ".md", &mut docs);
    let mut sources = Vec::new();
    files(&root, ".rs", &mut sources);
    let code: String = sources
        .iter()
        .filter_map(|path| fs::read_to_string(path).ok())
        .collect::<Vec<_>>()
        .join("\n");
    let mut missing = Vec::new();
    let mut checked = 0;
    for doc in &docs {
        let text = fs::read_to_string(doc).expect("a doc");
        for name in cited(&text) {
            checked += 1;
            if !code.contains(&format!("fn {name}(")) && !code.contains(&format!("fn {name}<")) {
                missing.push(format!(
                    "{}: `{name}`",
                    doc.strip_prefix(&root).unwrap_or(doc).display()
                ));
            }
        }
    }
    assert!(
        checked >= 50,
        "only {checked} cited names found: the reading broke"
    );
    assert!(
        missing.is_empty(),
        "the docs cite tests that do not exist:\n  {}",
        missing.join("\n  ")
    );
}

/// The README's sqlx lines are the example crate's own, which its test
/// builds and runs against the server.
#[test]
fn the_readmes_sqlx_lines_are_the_example_services() {
    let readme = fs::read_to_string(root().join("README.md")).expect("README");
    let service =
        fs::read_to_string(root().join("examples/sqlx-service/src/main.rs")).expect("the example");
    let (_, after) = readme
        .split_once("```rust,ignore\n")
        .expect("the README's sqlx block");
    let (block, _) = after.split_once("```").expect("its end");
    let lines: Vec<&str> = block.lines().filter(|line| !line.is_empty()).collect();
    assert!(!lines.is_empty());
    for line in lines {
        assert!(
            service.lines().any(|own| own.trim() == line.trim()),
            "the README shows a line the example service does not have: {line}"
        );
    }
}
