//! The statement splitter: cuts a section into statements the way SQLite
//! and PostgreSQL read them, from the pieces of the one lexer (`lex.rs`).
//!
//! A `;` ends a statement unless it is inside a quoted string or identifier
//! (`'…'`, `"…"`, `` `…` ``, `E'…'` with backslash escapes), a comment (`--`,
//! `/* */`), a PostgreSQL dollar quote (`$$…$$`, `$tag$…$tag$`), or the
//! `BEGIN … END` body of a `CREATE TRIGGER` (or a `BEGIN ATOMIC` body of a
//! `CREATE FUNCTION`/`PROCEDURE`), where `CASE … END` nests.

use std::fmt;

use crate::Statement;
use crate::lex::{Kind, Lexer};

/// A construct the splitter found open at the end of the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SplitError {
    /// A quoted string or identifier that is never closed.
    UnterminatedQuote {
        /// The line of the opening quote.
        line: u32,
        /// The quote character: `'`, `"` or `` ` ``.
        quote: char,
    },
    /// A `/*` comment that is never closed.
    UnterminatedComment {
        /// The line of the `/*`.
        line: u32,
    },
    /// A dollar-quoted string that is never closed.
    UnterminatedDollarQuote {
        /// The line of the opening tag.
        line: u32,
        /// The opening tag, e.g. `$$` or `$body$`.
        tag: String,
    },
}

impl SplitError {
    /// The 1-based line where the unterminated construct starts.
    pub fn line(&self) -> u32 {
        match self {
            SplitError::UnterminatedQuote { line, .. }
            | SplitError::UnterminatedComment { line }
            | SplitError::UnterminatedDollarQuote { line, .. } => *line,
        }
    }
}

impl fmt::Display for SplitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SplitError::UnterminatedQuote { quote, .. } => {
                write!(
                    f,
                    "unterminated quote `{quote}`; close it with a matching `{quote}`"
                )
            }
            SplitError::UnterminatedComment { .. } => {
                write!(f, "unterminated comment `/*`; close it with `*/`")
            }
            SplitError::UnterminatedDollarQuote { tag, .. } => {
                write!(
                    f,
                    "unterminated dollar quote `{tag}`; close it with `{tag}`"
                )
            }
        }
    }
}

impl std::error::Error for SplitError {}

/// Splits `text` into statements. `first_line` is the 1-based line in the file
/// of the first line of `text`, so every statement knows its line in the file.
///
/// Statements that hold only comments or nothing (`;;`) are dropped.
///
/// # Errors
///
/// [`SplitError`] for a quote, comment or dollar quote that is never closed.
///
/// # Examples
///
/// ```
/// let statements = migrate_core::split("CREATE TABLE a (x TEXT DEFAULT ';');\n\nINSERT INTO a VALUES ('b');", 1)?;
/// assert_eq!(statements.len(), 2);
/// assert_eq!(statements[1].line, 3);
/// # Ok::<(), migrate_core::SplitError>(())
/// ```
pub fn split(text: &str, first_line: u32) -> Result<Vec<Statement>, SplitError> {
    let mut lexer = Lexer::new(text, first_line);
    let mut statements = Vec::new();
    let mut current: Option<Current> = None;
    for piece in lexer.by_ref() {
        let piece = piece?;
        if piece.kind == Kind::Punct && text.as_bytes()[piece.start] == b';' {
            if current.as_ref().is_none_or(|c| c.depth == 0) {
                finish(text, current.take(), piece.end, &mut statements);
            }
            continue;
        }
        let current = current.get_or_insert(Current {
            start: piece.start,
            line: piece.line,
            words: 0,
            create: false,
            has_body: false,
            depth: 0,
        });
        if piece.kind == Kind::Word {
            current.word(&text[piece.start..piece.end]);
        }
    }
    finish(text, current, lexer.position(), &mut statements);
    Ok(statements)
}

/// Ends the statement under way, if any, at byte `end`.
fn finish(text: &str, current: Option<Current>, end: usize, statements: &mut Vec<Statement>) {
    if let Some(current) = current {
        // ASCII whitespace only, as SQLite reads it: a statement of a
        // no-break space is a statement (and an error), not nothing.
        let sql = text[current.start..end].trim_end_matches(|c: char| c.is_ascii_whitespace());
        statements.push(Statement {
            sql: sql.to_owned().into(),
            line: current.line,
        });
    }
}

/// What the splitter knows of the statement it is inside.
struct Current {
    start: usize,
    line: u32,
    words: u32,
    create: bool,
    has_body: bool,
    depth: u32,
}

impl Current {
    /// A word (keyword or name); keeps track of trigger and function
    /// bodies, where `;` does not end the statement.
    fn word(&mut self, word: &str) {
        self.words += 1;
        let is = |keyword: &str| word.eq_ignore_ascii_case(keyword);
        if self.words == 1 {
            self.create = is("CREATE");
        } else if self.create
            && !self.has_body
            && (is("TRIGGER") || is("FUNCTION") || is("PROCEDURE"))
        {
            self.has_body = true;
        } else if self.has_body {
            if is("BEGIN") || (self.depth > 0 && is("CASE")) {
                self.depth += 1;
            } else if self.depth > 0 && is("END") {
                self.depth -= 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_statement_of_unicode_whitespace_is_kept_for_sqlite_to_judge() {
        // Found by fuzzing: `\u{a0}` started a statement that trimming emptied.
        assert_eq!(sqls("SELECT 1;\u{a0}"), ["SELECT 1;", "\u{a0}"]);
    }

    fn sqls(text: &str) -> Vec<String> {
        split(text, 1)
            .expect("splits")
            .into_iter()
            .map(|s| s.sql.into_owned())
            .collect()
    }

    fn lines(text: &str) -> Vec<u32> {
        split(text, 1)
            .expect("splits")
            .into_iter()
            .map(|s| s.line)
            .collect()
    }

    #[test]
    fn splits_on_semicolons_and_keeps_them() {
        assert_eq!(
            sqls("CREATE TABLE a (x INT);\nCREATE TABLE b (y INT);"),
            ["CREATE TABLE a (x INT);", "CREATE TABLE b (y INT);"]
        );
    }

    #[test]
    fn last_statement_needs_no_semicolon() {
        assert_eq!(sqls("SELECT 1;\nSELECT 2\n"), ["SELECT 1;", "SELECT 2"]);
    }

    #[test]
    fn lines_are_those_of_the_first_token() {
        assert_eq!(lines("\n\n-- note\nSELECT 1;\n\n  SELECT\n2;"), [4, 6]);
        let offset = split("SELECT 1;\nSELECT 2;", 10).expect("splits");
        assert_eq!(offset[1].line, 11);
    }

    #[test]
    fn semicolons_inside_quotes_do_not_split() {
        assert_eq!(
            sqls("INSERT INTO a VALUES ('x;y', \"c;d\", `e;f`);SELECT 'it''s;';"),
            [
                "INSERT INTO a VALUES ('x;y', \"c;d\", `e;f`);",
                "SELECT 'it''s;';"
            ]
        );
    }

    #[test]
    fn escape_strings_take_backslashes() {
        assert_eq!(
            sqls("SELECT E'a\\';b';SELECT 2;"),
            ["SELECT E'a\\';b';", "SELECT 2;"]
        );
    }

    #[test]
    fn semicolons_inside_comments_do_not_split() {
        assert_eq!(
            sqls("SELECT 1 -- a; b\n;\n/* c; d */ SELECT 2;"),
            ["SELECT 1 -- a; b\n;", "SELECT 2;"]
        );
    }

    #[test]
    fn comment_only_and_empty_statements_are_dropped() {
        assert!(sqls("-- nothing\n/* here */;;\n").is_empty());
    }

    #[test]
    fn dollar_quotes_hold_semicolons() {
        let text = "CREATE FUNCTION f() RETURNS trigger AS $body$\nBEGIN\n  NEW.x := 1;\n  RETURN NEW;\nEND;\n$body$ LANGUAGE plpgsql;\nSELECT $$a;b$$;";
        let got = sqls(text);
        assert_eq!(got.len(), 2);
        assert!(got[0].ends_with("LANGUAGE plpgsql;"));
        assert_eq!(got[1], "SELECT $$a;b$$;");
    }

    #[test]
    fn parameters_and_identifiers_with_dollars_are_not_quotes() {
        assert_eq!(
            sqls("SELECT $1, a$b$ FROM t;SELECT 2;"),
            ["SELECT $1, a$b$ FROM t;", "SELECT 2;"]
        );
    }

    #[test]
    fn trigger_bodies_stay_whole() {
        let text = "CREATE TRIGGER t AFTER INSERT ON a BEGIN\n  INSERT INTO log VALUES (CASE WHEN NEW.x THEN 1 ELSE 2 END);\n  UPDATE a SET y = 1;\nEND;\nSELECT 1;";
        let got = sqls(text);
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(got[0].ends_with("END;"));
        assert_eq!(got[1], "SELECT 1;");
    }

    #[test]
    fn case_outside_a_body_does_not_nest() {
        assert_eq!(
            sqls("SELECT CASE WHEN 1 THEN 2 END;SELECT 3;"),
            ["SELECT CASE WHEN 1 THEN 2 END;", "SELECT 3;"]
        );
    }

    #[test]
    fn begin_atomic_function_bodies_stay_whole() {
        let text =
            "CREATE FUNCTION one() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END;\nSELECT 2;";
        assert_eq!(sqls(text).len(), 2);
    }

    #[test]
    fn transaction_begin_is_a_plain_statement() {
        assert_eq!(sqls("BEGIN;\nCOMMIT;"), ["BEGIN;", "COMMIT;"]);
    }

    #[test]
    fn unterminated_constructs_name_their_line() {
        assert_eq!(
            split("SELECT 1;\nSELECT 'abc;\n", 1),
            Err(SplitError::UnterminatedQuote {
                line: 2,
                quote: '\''
            })
        );
        assert_eq!(
            split("\n\n/* open", 5),
            Err(SplitError::UnterminatedComment { line: 7 })
        );
        assert_eq!(
            split("SELECT $x$ abc", 1),
            Err(SplitError::UnterminatedDollarQuote {
                line: 1,
                tag: "$x$".into()
            })
        );
        assert_eq!(split("SELECT \"abc", 3).map_err(|e| e.line()), Err(3));
    }

    #[test]
    fn multi_line_strings_count_their_lines() {
        assert_eq!(lines("SELECT 'a\nb\nc';\nSELECT 2;"), [1, 4]);
    }

    #[test]
    fn non_ascii_text_is_kept() {
        assert_eq!(
            sqls("INSERT INTO t VALUES ('héllo; wörld');"),
            ["INSERT INTO t VALUES ('héllo; wörld');"]
        );
    }
}
