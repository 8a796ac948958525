//! Rust migrations, `<version>_<name>.rs`: where the file defines its `up`
//! and `down` functions, and what its `// +migrate` lines say. The file is
//! compiled by `embed_migrations!` as a module of the user's crate (which
//! checks its types); here it is only read as text, so that the macro and
//! the `migrate` command judge its place in the sequence alike.
//!
//! A Rust migration becomes a [`ParsedFile`] whose Up section holds one
//! statement, `up`, at the line of `fn up`, and whose Down section (when
//! the file defines `fn down`) holds `down` likewise: errors and reports
//! name the file and the function's line as they name a statement's.

use std::borrow::Cow;

use crate::sections::parse_duration;
use crate::{ParsedFile, ProblemKind, Section, Statement};

/// Reads a Rust migration's text: its functions and directives. Problems
/// come back with their line.
///
/// ```
/// use migrate_core::parse_rust;
///
/// let text = "// +migrate NoTransaction\nuse postgres::Client;\n\npub fn up(client: &mut Client) -> Result<(), postgres::Error> {\n    Ok(())\n}\n";
/// let (parsed, problems) = parse_rust(text);
/// assert!(problems.is_empty());
/// assert!(parsed.no_transaction && parsed.irreversible);
/// assert_eq!(parsed.up.map(|up| up.statements[0].line), Some(4));
/// ```
pub fn parse_rust(text: &str) -> (ParsedFile, Vec<(Option<u32>, ProblemKind)>) {
    let mut parsed = ParsedFile::default();
    let mut problems = Vec::new();
    let mut up = None;
    let mut down = None;
    let mut in_comment = false;
    for (index, line) in text.lines().enumerate() {
        let number = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let trimmed = line.trim_start();
        if in_comment {
            in_comment = !trimmed.contains("*/");
            continue;
        }
        if trimmed.starts_with("/*") {
            in_comment = !trimmed.contains("*/");
            continue;
        }
        if let Some(comment) = trimmed.strip_prefix("//") {
            directive(comment, number, &mut parsed, &mut problems);
            continue;
        }
        let Some((public, name)) = function(trimmed) else {
            continue;
        };
        let slot = match name {
            "up" => &mut up,
            "down" => &mut down,
            _ => continue,
        };
        if slot.is_none() {
            if !public {
                problems.push((
                    Some(number),
                    ProblemKind::RustFunctionNotPublic {
                        function: name.to_owned(),
                    },
                ));
            }
            *slot = Some(number);
        }
    }
    let section = |name: &'static str, line: u32, text: &str| Section {
        line: Some(line),
        statements: vec![Statement {
            sql: Cow::Borrowed(name),
            line,
        }],
        text: text.to_owned(),
        complete: true,
    };
    match up {
        Some(line) => parsed.up = Some(section("up", line, text)),
        None => problems.push((None, ProblemKind::RustWithoutUp)),
    }
    parsed.down = down.map(|line| section("down", line, ""));
    parsed.irreversible = parsed.down.is_none();
    (parsed, problems)
}

/// A `// +migrate …` line: `NoTransaction`, `Timeout <d>`, `LockTimeout <d>`.
fn directive(
    comment: &str,
    line: u32,
    parsed: &mut ParsedFile,
    problems: &mut Vec<(Option<u32>, ProblemKind)>,
) {
    let Some(rest) = comment.trim().strip_prefix("+migrate") else {
        return;
    };
    let mut words = rest.split_whitespace();
    let word = words.next().unwrap_or_default();
    let value = words.collect::<Vec<_>>().join(" ");
    let timeout = |directive: &'static str| {
        parse_duration(&value).ok_or(ProblemKind::BadTimeout {
            directive,
            text: value.clone(),
        })
    };
    let result = match word.to_ascii_lowercase().as_str() {
        "notransaction" if value.is_empty() => {
            parsed.no_transaction = true;
            Ok(())
        }
        "timeout" => timeout("Timeout").map(|d| parsed.timeout = Some(d)),
        "locktimeout" => timeout("LockTimeout").map(|d| parsed.lock_timeout = Some(d)),
        _ => Err(ProblemKind::UnknownRustDirective {
            directive: rest.trim().to_owned(),
        }),
    };
    if let Err(kind) = result {
        problems.push((Some(line), kind));
    }
}

/// The function a line defines, if any: whether it is `pub`, and its name
/// (`pub fn up(`, `pub async fn down<'a>(`, `fn up (`).
fn function(line: &str) -> Option<(bool, &str)> {
    let (public, rest) = match line.strip_prefix("pub") {
        Some(rest) if rest.starts_with(char::is_whitespace) => (true, rest.trim_start()),
        Some(rest) if rest.starts_with('(') => (false, rest.split_once(')')?.1.trim_start()),
        _ => (false, line),
    };
    let rest = match rest.strip_prefix("async") {
        Some(after) if after.starts_with(char::is_whitespace) => after.trim_start(),
        _ => rest,
    };
    let rest = rest.strip_prefix("fn")?;
    if !rest.starts_with(char::is_whitespace) {
        return None;
    }
    let rest = rest.trim_start();
    let end = rest
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    Some((public, &rest[..end]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn functions_and_their_lines() {
        let text = "use rusqlite::Connection;\n\n/* pub fn up() in a comment\n*/\n// pub fn down\npub fn up(c: &Connection) -> R {\n}\n\npub async fn down<'a>(c: &Connection) -> R {\n}\n";
        let (parsed, problems) = parse_rust(text);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(parsed.up.expect("up").statements[0].line, 6);
        assert_eq!(parsed.down.expect("down").statements[0].line, 9);
        assert!(!parsed.irreversible);
    }

    #[test]
    fn what_is_wrong_is_said() {
        let (_, problems) = parse_rust("fn up() {}\n// +migrate Timeout soon\n// +migrate Up\n");
        let kinds: Vec<_> = problems
            .iter()
            .map(|(line, kind)| (*line, kind.to_string()))
            .collect();
        assert_eq!(kinds[0].0, Some(1));
        assert!(kinds[0].1.contains("pub fn up"), "{kinds:?}");
        assert_eq!(kinds[1].0, Some(2));
        assert_eq!(kinds[2].0, Some(3));
        assert!(kinds[2].1.contains("not a directive of a Rust migration"));
        let (_, problems) = parse_rust("pub fn upgrade() {}\n");
        assert_eq!(problems, vec![(None, ProblemKind::RustWithoutUp)]);
    }

    #[test]
    fn directives() {
        let (parsed, problems) =
            parse_rust("// +migrate Timeout 30s\n// +migrate LockTimeout 2s\npub fn up() {}\n");
        assert!(problems.is_empty());
        assert_eq!(parsed.timeout, Some(std::time::Duration::from_secs(30)));
        assert_eq!(parsed.lock_timeout, Some(std::time::Duration::from_secs(2)));
        assert!(!parsed.no_transaction);
    }
}
