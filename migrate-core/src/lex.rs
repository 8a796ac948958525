//! The one SQL lexer: the pieces of a text as SQLite or PostgreSQL reads
//! them (each by its own rules), with comments and whitespace left out.
//! The splitter cuts statements from them (`split.rs`) and the build-time
//! checks read them as tokens (`sql.rs`), so both agree on what is a
//! string, a name, a comment and a body.
//!
//! - `'…'` is a string, `''` inside it a quote; PostgreSQL's `E'…'` also
//!   takes `\'`.
//! - `"…"` and `` `…` `` are quoted names (`""` inside a name is a quote);
//!   on SQLite so is `[…]`, whatever it holds (`[a;b]`), while on PostgreSQL
//!   `[` is punctuation, a subscript or an array.
//! - PostgreSQL's `$tag$…$tag$` and `$$…$$` are bodies; `$1` is a
//!   parameter, one word (on SQLite, `$name` is one).
//! - `--` runs to the end of the line; `/* … */` to its close, and on
//!   PostgreSQL block comments nest (`/* a /* b */ still a comment */`), as
//!   its lexer reads them.
//! - On PostgreSQL a `\` outside a string starts a psql meta-command
//!   (`\set`, `\i`), which is not SQL: an error at its line.
//! - Whitespace is ASCII whitespace, as SQLite reads it: a no-break space
//!   is part of a word (and an error for the database), never nothing.
//! - MySQL (and MariaDB) read `'…'` and `"…"` as strings where `\` escapes
//!   the next character, `` `…` `` as a name; `#` runs to the end of the
//!   line, `--` only when a blank (or the end) follows it; `/* … */` does
//!   not nest, and `/*! … */` (an executable comment, as mysqldump writes
//!   `/*!40101 SET … */`) and `/*+ … */` (optimizer hints) are SQL, kept
//!   whole as a body.

use crate::{Dialect, SplitError};

/// What a piece is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A keyword, an unquoted name or a number.
    Word,
    /// A `'…'` or `E'…'` string.
    Literal,
    /// A `"…"`, `` `…` `` or `[…]` name.
    Quoted,
    /// A `$tag$…$tag$` body.
    Body,
    /// One ASCII character of punctuation (`;`, `(`, `,`, `.`…).
    Punct,
}

/// One piece of the text: its kind, its byte range and its first line.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Piece {
    pub(crate) kind: Kind,
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) line: u32,
}

/// The pieces of a text, in order; an unterminated quote, comment or body
/// ends them with its error.
pub(crate) struct Lexer<'a> {
    bytes: &'a [u8],
    pos: usize,
    line: u32,
    dialect: Dialect,
}

impl<'a> Lexer<'a> {
    /// The pieces of `text` as `dialect` reads it, whose first line is
    /// line `first_line` of its file.
    pub(crate) fn new(text: &'a str, first_line: u32, dialect: Dialect) -> Lexer<'a> {
        Lexer {
            bytes: text.as_bytes(),
            pos: 0,
            line: first_line,
            dialect,
        }
    }

    /// Where the lexer is: the end of the last piece or comment read.
    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    /// Moves to byte `end`: on past a `DELIMITER` line or a custom
    /// delimiter, counting the lines on the way, or back into the word just
    /// read that a delimiter ends (`END$$`: a word has no newline).
    pub(crate) fn skip_to(&mut self, end: usize) {
        if end < self.pos {
            self.pos = end;
        } else {
            self.advance_to(end);
        }
    }

    fn peek(&self, ahead: usize) -> Option<u8> {
        self.bytes.get(self.pos + ahead).copied()
    }

    /// Whether the `--` here starts a comment: always, but on MySQL only
    /// when a blank or a control character (or the end) follows it
    /// (`SELECT 1--1` is a subtraction there).
    fn dash_comment(&self) -> bool {
        self.dialect != Dialect::Mysql || self.peek(2).is_none_or(|b| b <= b' ')
    }

    /// Moves past `end`, counting the newlines on the way.
    fn advance_to(&mut self, end: usize) {
        let end = end.min(self.bytes.len());
        self.line += count_newlines(&self.bytes[self.pos..end]);
        self.pos = end;
    }

    /// The piece of `kind` from `start` to where the lexer is now.
    fn piece(&self, kind: Kind, start: usize, line: u32) -> Piece {
        Piece {
            kind,
            start,
            end: self.pos,
            line,
        }
    }

    /// Moves past a `/* … */` comment; PostgreSQL's nest.
    fn block_comment(&mut self) -> Result<(), SplitError> {
        let line = self.line;
        let nests = self.dialect == Dialect::Postgres;
        let mut depth = 0_usize;
        let mut i = self.pos;
        while i + 1 < self.bytes.len() {
            match (self.bytes[i], self.bytes[i + 1]) {
                (b'/', b'*') if depth == 0 || nests => {
                    depth += 1;
                    i += 2;
                }
                (b'*', b'/') => {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        self.advance_to(i);
                        return Ok(());
                    }
                }
                _ => i += 1,
            }
        }
        Err(SplitError::UnterminatedComment {
            line,
            nested: nests,
        })
    }

    /// Moves past a quoted string or name opened at `self.pos + skip`; a
    /// doubled quote is an escaped quote, and with `backslash` (`E'…'`)
    /// so is `\'`.
    fn quoted(&mut self, skip: usize, close: u8, backslash: bool) -> Result<(), SplitError> {
        let line = self.line;
        let mut i = self.pos + skip + 1;
        while let Some(&b) = self.bytes.get(i) {
            if backslash && b == b'\\' {
                i += 2;
            } else if b == close {
                if self.bytes.get(i + 1) == Some(&close) {
                    i += 2;
                } else {
                    self.advance_to(i + 1);
                    return Ok(());
                }
            } else {
                i += 1;
            }
        }
        Err(SplitError::UnterminatedQuote {
            line,
            quote: char::from(self.bytes[self.pos + skip]),
        })
    }

    /// Moves past SQLite's `[name]` opened at `self.pos`: everything up to
    /// the first `]` is the name.
    fn bracket_name(&mut self) -> Result<(), SplitError> {
        let line = self.line;
        match memchr(b']', &self.bytes[self.pos + 1..]) {
            Some(n) => {
                self.advance_to(self.pos + 1 + n + 1);
                Ok(())
            }
            None => Err(SplitError::UnterminatedQuote { line, quote: '[' }),
        }
    }

    /// A `$` outside a word: a body `$tag$…$tag$` (true), or a parameter
    /// such as `$1`, or a lone `$` (false, nothing moved).
    fn dollar(&mut self) -> Result<bool, SplitError> {
        let rest = &self.bytes[self.pos + 1..];
        let tag_len = rest
            .iter()
            .position(|&b| !(b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80))
            .unwrap_or(rest.len());
        let opens =
            rest.get(tag_len) == Some(&b'$') && rest.first().is_none_or(|&b| !b.is_ascii_digit());
        if !opens {
            return Ok(false);
        }
        let tag = &self.bytes[self.pos..self.pos + tag_len + 2];
        let line = self.line;
        match find(&self.bytes[self.pos + tag.len()..], tag) {
            Some(n) => {
                self.advance_to(self.pos + tag.len() + n + tag.len());
                Ok(true)
            }
            None => Err(SplitError::UnterminatedDollarQuote {
                line,
                tag: String::from_utf8_lossy(tag).into_owned(),
            }),
        }
    }

    /// The next piece after `self.pos`, which starts it.
    fn next_piece(&mut self, byte: u8) -> Result<Piece, SplitError> {
        let (start, line) = (self.pos, self.line);
        let kind = match byte {
            b'\'' => {
                self.quoted(0, b'\'', self.dialect == Dialect::Mysql)?;
                Kind::Literal
            }
            b'"' if self.dialect == Dialect::Mysql => {
                self.quoted(0, b'"', true)?;
                Kind::Literal
            }
            b'/' if self.dialect == Dialect::Mysql
                && self.peek(1) == Some(b'*')
                && matches!(self.peek(2), Some(b'!' | b'+')) =>
            {
                self.block_comment()?;
                Kind::Body
            }
            b'"' | b'`' => {
                self.quoted(0, byte, false)?;
                Kind::Quoted
            }
            b'[' if self.dialect == Dialect::Sqlite => {
                self.bracket_name()?;
                Kind::Quoted
            }
            b'$' if self.dialect == Dialect::Postgres && self.dollar()? => Kind::Body,
            b'\\' if self.dialect == Dialect::Postgres => {
                return Err(SplitError::MetaCommand { line });
            }
            b if is_word_start(b)
                || (b == b'$' && self.peek(1).is_some_and(|d| d.is_ascii_digit()))
                || (b == b'$' && self.dialect == Dialect::Sqlite) =>
            {
                let len = self.bytes[start..]
                    .iter()
                    .position(|&b| !is_word_byte(b))
                    .unwrap_or(self.bytes.len() - start);
                if self.dialect == Dialect::Postgres
                    && matches!(&self.bytes[start..start + len], b"E" | b"e")
                    && self.bytes.get(start + len) == Some(&b'\'')
                {
                    self.quoted(len, b'\'', true)?;
                    Kind::Literal
                } else {
                    self.pos += len;
                    Kind::Word
                }
            }
            _ => {
                self.pos += 1;
                Kind::Punct
            }
        };
        Ok(self.piece(kind, start, line))
    }
}

impl Iterator for Lexer<'_> {
    type Item = Result<Piece, SplitError>;

    fn next(&mut self) -> Option<Self::Item> {
        while let Some(&byte) = self.bytes.get(self.pos) {
            match byte {
                b'\n' => {
                    self.line += 1;
                    self.pos += 1;
                }
                b' ' | b'\t' | b'\r' | 0x0b | 0x0c => self.pos += 1,
                b'-' if self.peek(1) == Some(b'-') && self.dash_comment() => {
                    self.pos = memchr(b'\n', &self.bytes[self.pos..])
                        .map_or(self.bytes.len(), |n| self.pos + n);
                }
                b'#' if self.dialect == Dialect::Mysql => {
                    self.pos = memchr(b'\n', &self.bytes[self.pos..])
                        .map_or(self.bytes.len(), |n| self.pos + n);
                }
                b'/' if self.peek(1) == Some(b'*')
                    && !(self.dialect == Dialect::Mysql
                        && matches!(self.peek(2), Some(b'!' | b'+'))) =>
                {
                    if let Err(error) = self.block_comment() {
                        self.pos = self.bytes.len();
                        return Some(Err(error));
                    }
                }
                _ => {
                    let piece = self.next_piece(byte);
                    if piece.is_err() {
                        self.pos = self.bytes.len();
                    }
                    return Some(piece);
                }
            }
        }
        None
    }
}

fn is_word_start(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}

// Counting newlines is not worth a crate (`bytecount`) here.
#[allow(clippy::naive_bytecount)]
fn count_newlines(bytes: &[u8]) -> u32 {
    let n = bytes.iter().filter(|&&b| b == b'\n').count();
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn memchr(needle: u8, haystack: &[u8]) -> Option<usize> {
    haystack.iter().position(|&b| b == needle)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use crate::sql::tokens;
    use crate::{Dialect, split};

    /// The splitter and the tokens agree on each construct: one statement,
    /// and the token that construct makes.
    #[test]
    fn the_splitter_and_the_tokens_read_each_construct_alike() {
        let cases: &[(Dialect, &str, &str, bool)] = &[
            // (dialect, statement, the token of its second piece, literal)
            (
                Dialect::Postgres,
                "SELECT E'it\\'s; a' AS x;",
                "it\\'s; a",
                true,
            ),
            (Dialect::Sqlite, "SELECT 'a''b; c';", "a'b; c", true),
            (
                Dialect::Sqlite,
                "CREATE TABLE [odd name] (x INT);",
                "odd name",
                false,
            ),
            (Dialect::Sqlite, "CREATE TABLE [a;b] (x INT);", "a;b", false),
            (
                Dialect::Sqlite,
                "CREATE TABLE \"Odd\"\"Name\" (x INT);",
                "odd\"name",
                false,
            ),
            (Dialect::Sqlite, "CREATE TABLE `a;b` (x INT);", "a;b", false),
            (Dialect::Mysql, "SELECT 'it\\'s; a';", "it\\'s; a", true),
            (Dialect::Mysql, "SELECT \"a; \\\" b\";", "a; \\\" b", true),
            (Dialect::Mysql, "CREATE TABLE `a;b` (x INT);", "a;b", false),
            (
                Dialect::Postgres,
                "SELECT $f$ x; y $f$;",
                "$f$ x; y $f$",
                true,
            ),
        ];
        for (dialect, sql, token, literal) in cases {
            let statements = split(sql, 1, *dialect).expect("splits");
            assert_eq!(statements.len(), 1, "{sql}");
            let found = tokens(sql, *dialect);
            let piece = found
                .iter()
                .find(|t| t.text == *token)
                .unwrap_or_else(|| panic!("{sql}: {found:?}"));
            assert_eq!(piece.literal, *literal, "{sql}");
        }
    }

    #[test]
    fn a_postgresql_array_of_strings_is_no_bracketed_name() {
        let sql = "SELECT ARRAY[']', ';'], a[1] FROM t; SELECT 2;";
        assert_eq!(split(sql, 1, Dialect::Postgres).expect("splits").len(), 2);
        let found = tokens("SELECT ARRAY[']']", Dialect::Postgres);
        let texts: Vec<(&str, bool)> = found.iter().map(|t| (t.text.as_str(), t.literal)).collect();
        assert_eq!(
            texts,
            [
                ("select", false),
                ("array", false),
                ("[", false),
                ("]", true),
                ("]", false)
            ]
        );
    }

    #[test]
    fn postgresql_block_comments_nest_and_sqlites_do_not() {
        let sql = "/* a /* b */ DROP TABLE orders; */ SELECT 1;";
        let postgres = split(sql, 1, Dialect::Postgres).expect("splits");
        assert_eq!(postgres.len(), 1);
        assert_eq!(postgres[0].sql, "SELECT 1;");
        // SQLite ends the comment at the first `*/`.
        let sqlite = split(sql, 1, Dialect::Sqlite).expect("splits");
        assert_eq!(sqlite.len(), 2);
    }

    #[test]
    fn mysql_comments_are_read_as_mysql_reads_them() {
        let sql = "# a note; DROP TABLE x;\nSELECT 1--1;\n-- comment; DROP TABLE y;\n\
                   /*!40101 SET NAMES utf8 */;\nSELECT /*+ MAX_EXECUTION_TIME(1) */ 2;";
        let statements = split(sql, 1, Dialect::Mysql).expect("splits");
        let texts: Vec<&str> = statements.iter().map(|s| s.sql.as_ref()).collect();
        assert_eq!(
            texts,
            [
                "SELECT 1--1;",
                "/*!40101 SET NAMES utf8 */;",
                "SELECT /*+ MAX_EXECUTION_TIME(1) */ 2;"
            ]
        );
        assert_eq!(statements[0].line, 2);
    }
}
