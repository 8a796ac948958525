//! Annotations and sections: reads the `-- +migrate …` lines (goose's
//! `-- +goose …` and dbmate's `-- migrate:up` alike) of a migration file
//! into its Up and Down statements. A file without section annotations is
//! all Up.

use crate::{Dialect, ProblemKind, Statement, split};

/// Which kind of file is being read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileForm {
    /// `<version>_<name>.sql`: Up and Down sections marked by annotations.
    Single,
    /// `<version>_<name>.up.sql`: the whole file is the Up section.
    Up,
    /// `<version>_<name>.down.sql`: the whole file is the Down section.
    Down,
    /// `<version>_<name>.rs`: a Rust migration, its Up and Down functions
    /// (see [`parse_rust`](crate::parse_rust)).
    Rust,
}

/// One section of a file: its statements and its text for the checksum.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Section {
    /// The line of the section's annotation (`None` in a pair file).
    pub line: Option<u32>,
    /// The statements, each with its line in the file.
    pub statements: Vec<Statement>,
    /// The section's text: its lines without the section annotation itself.
    pub text: String,
    /// Whether every piece of the section split (false after an unterminated quote).
    pub complete: bool,
}

/// What one file says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedFile {
    /// The Up section, if the file has one.
    pub up: Option<Section>,
    /// The Down section, if the file has one.
    pub down: Option<Section>,
    /// `-- +migrate Irreversible` or `-- +migrate Down irreversible`.
    pub irreversible: bool,
    /// `-- +migrate NoTransaction` (goose: `-- +goose NO TRANSACTION`).
    pub no_transaction: bool,
    /// `-- +migrate ForeignKeys off`.
    pub foreign_keys_off: bool,
    /// `-- +migrate NoCheck <reason>`: the reason the build-time replay
    /// skips this migration.
    pub no_check: Option<String>,
    /// A single file without section annotations: the whole file is its Up
    /// (sqlx's and refinery's plain files).
    pub plain: bool,
    /// `-- +migrate Timeout 30s`: how long the migration may run.
    pub timeout: Option<std::time::Duration>,
    /// `-- +migrate Idempotent <reason>`: its line, and why the statements
    /// of this migration outside a transaction may run again.
    pub idempotent: Option<(u32, String)>,
    /// `-- +migrate LockTimeout 2s`: how long each statement may wait for
    /// a lock (PostgreSQL).
    pub lock_timeout: Option<std::time::Duration>,
    /// `-- +migrate Allow <code> <reason>`: the lint findings acknowledged.
    pub allow: Vec<crate::Allowed>,
}

/// An annotation line, recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Annotation {
    Up,
    Down,
    DownIrreversible,
    Irreversible,
    StatementBegin,
    StatementEnd,
    NoTransaction,
    ForeignKeysOff,
    NoCheck,
    Idempotent,
    Timeout,
    LockTimeout,
    Allow,
}

/// The annotations by their normalised spelling (lowercase, no spaces), goose's
/// among them; what `did you mean` may suggest comes first.
const ANNOTATIONS: &[(&str, Annotation, &str)] = &[
    ("up", Annotation::Up, "Up"),
    ("down", Annotation::Down, "Down"),
    (
        "downirreversible",
        Annotation::DownIrreversible,
        "Down irreversible",
    ),
    ("irreversible", Annotation::Irreversible, "Irreversible"),
    (
        "statementbegin",
        Annotation::StatementBegin,
        "StatementBegin",
    ),
    ("statementend", Annotation::StatementEnd, "StatementEnd"),
    ("notransaction", Annotation::NoTransaction, "NoTransaction"),
    (
        "foreignkeysoff",
        Annotation::ForeignKeysOff,
        "ForeignKeys off",
    ),
];

/// The known annotations as the message about an unknown one lists them.
pub(crate) fn known_annotations() -> String {
    let mut shown: Vec<String> = ANNOTATIONS
        .iter()
        .map(|(_, _, shown)| format!("`{shown}`"))
        .collect();
    shown.push("`Timeout <duration>`".to_owned());
    shown.push("`LockTimeout <duration>`".to_owned());
    shown.push("`NoCheck <reason>`".to_owned());
    shown.push("`Idempotent <reason>`".to_owned());
    shown.push("`Allow <lint code> <reason>`".to_owned());
    let last = shown.pop().unwrap_or_default();
    format!("{} and {last}", shown.join(", "))
}

/// An annotation this format does not know: its text, and the known one it
/// resembles with that one's spelling.
type Unknown = (String, Option<(Annotation, &'static str)>);

/// Reads a line as an annotation: `Ok(None)` when it is not one,
/// `Err(text)` when it is one this format does not know.
fn annotation(line: &str) -> Result<Option<Annotation>, Unknown> {
    let Some(comment) = line.trim_start().strip_prefix("--") else {
        return Ok(None);
    };
    let comment = comment.trim();
    let Some(directive) = ["+migrate", "+goose"].iter().find_map(|prefix| {
        let rest = comment.strip_prefix(prefix)?;
        (rest.is_empty() || rest.starts_with(char::is_whitespace)).then_some(rest)
    }) else {
        return foreign_section(comment);
    };
    let first = directive.split_whitespace().next();
    if first.is_some_and(|word| word.eq_ignore_ascii_case("nocheck")) {
        return Ok(Some(Annotation::NoCheck));
    }
    if first.is_some_and(|word| word.eq_ignore_ascii_case("idempotent")) {
        return Ok(Some(Annotation::Idempotent));
    }
    if first.is_some_and(|word| word.eq_ignore_ascii_case("timeout")) {
        return Ok(Some(Annotation::Timeout));
    }
    if first.is_some_and(|word| word.eq_ignore_ascii_case("locktimeout")) {
        return Ok(Some(Annotation::LockTimeout));
    }
    if first.is_some_and(|word| word.eq_ignore_ascii_case("allow")) {
        return Ok(Some(Annotation::Allow));
    }
    let key: String = directive
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect();
    if let Some((_, annotation, _)) = ANNOTATIONS.iter().find(|(spelling, _, _)| *spelling == key) {
        Ok(Some(*annotation))
    } else {
        let suggestion = ANNOTATIONS
            .iter()
            .map(|(spelling, annotation, shown)| {
                (edit_distance(spelling, &key), (*annotation, *shown))
            })
            .filter(|(distance, _)| *distance <= 2)
            .min_by_key(|(distance, _)| *distance)
            .map(|(_, suggestion)| suggestion);
        Err((comment.to_owned(), suggestion))
    }
}

/// `-- +<tool> Up` / `Down` of a tool this format does not read (micrate,
/// a misspelt `+goose`): an error, not a comment, for in a file without
/// sections it would make the Down's SQL part of the Up.
fn foreign_section(comment: &str) -> Result<Option<Annotation>, Unknown> {
    let mut words = comment.split_whitespace();
    let tool = words.next().and_then(|w| w.strip_prefix('+'));
    let section = words.next().map(str::to_ascii_lowercase);
    let looks_like = tool.is_some_and(|t| {
        t.starts_with(|c: char| c.is_ascii_alphabetic())
            && t.chars().all(|c| c.is_ascii_alphanumeric())
    }) && matches!(section.as_deref(), Some("up" | "down"));
    if looks_like {
        let annotation = if section.as_deref() == Some("up") {
            Annotation::Up
        } else {
            Annotation::Down
        };
        let shown = if annotation == Annotation::Up {
            "Up"
        } else {
            "Down"
        };
        Err((comment.to_owned(), Some((annotation, shown))))
    } else {
        Ok(None)
    }
}

/// Levenshtein distance, for `did you mean`.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitution.min(previous + 1).min(row[j] + 1);
        }
    }
    row[b.len()]
}

/// A piece of a section: plain SQL to split, or a `StatementBegin` block.
#[derive(Debug)]
enum Piece {
    Sql { first_line: u32, text: String },
    Block { first_line: u32, text: String },
}

/// A section being read.
#[derive(Debug, Default)]
struct Building {
    line: Option<u32>,
    pieces: Vec<Piece>,
    text: String,
}

impl Building {
    /// A section whose annotation is on `line`.
    fn starting(line: u32) -> Building {
        Building {
            line: Some(line),
            ..Building::default()
        }
    }

    fn push_line(&mut self, line: u32, text: &str, in_block: bool) {
        let last = self.pieces.last_mut();
        match last {
            Some(Piece::Sql { text: sql, .. }) if !in_block => {
                sql.push('\n');
                sql.push_str(text);
            }
            Some(Piece::Block { text: block, .. }) if in_block => {
                block.push('\n');
                block.push_str(text);
            }
            _ => self.pieces.push(if in_block {
                Piece::Block {
                    first_line: line,
                    text: text.to_owned(),
                }
            } else {
                Piece::Sql {
                    first_line: line,
                    text: text.to_owned(),
                }
            }),
        }
    }

    /// The section's statements; a piece that does not split is reported and
    /// leaves the section incomplete.
    fn finish(self, problems: &mut Found, dialect: Dialect) -> Section {
        let mut statements = Vec::new();
        let mut complete = true;
        for piece in self.pieces {
            match piece {
                Piece::Sql { first_line, text } => match split(&text, first_line, dialect) {
                    Ok(found) => statements.extend(found),
                    Err(error) => {
                        complete = false;
                        problems.push((Some(error.line()), ProblemKind::Unsplit(error)));
                    }
                },
                Piece::Block { first_line, text } => {
                    let leading = text.lines().take_while(|l| l.trim().is_empty()).count();
                    let sql = text.trim();
                    if !sql.is_empty() {
                        statements.push(Statement {
                            sql: sql.to_owned().into(),
                            line: first_line + u32::try_from(leading).unwrap_or(0),
                        });
                    }
                }
            }
        }
        Section {
            line: self.line,
            statements,
            text: self.text,
            complete,
        }
    }
}

/// Where the reader is in a single file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    BeforeUp,
    Up,
    Down,
}

/// Problems with their line; the caller adds the path.
type Found = Vec<(Option<u32>, ProblemKind)>;

/// Reads a file's text. Problems come back with their line; the caller adds
/// the path. Every problem of the file is reported, not just the first.
pub fn parse(text: &str, form: FileForm, dialect: Dialect) -> (ParsedFile, Found) {
    if form == FileForm::Rust {
        return crate::parse_rust(text);
    }
    let mut reader = Reader::new(form, dialect);
    for (index, raw) in text.split('\n').enumerate() {
        let line = u32::try_from(index + 1).unwrap_or(u32::MAX);
        reader.line(line, raw.strip_suffix('\r').unwrap_or(raw));
    }
    reader.finish()
}

/// The state of one file being read, line by line: one method per
/// annotation, and the checks of the whole file at the end.
struct Reader {
    form: FileForm,
    dialect: Dialect,
    place: Place,
    before: Building,
    up: Option<Building>,
    down: Option<Building>,
    /// The line of the open `StatementBegin`.
    block: Option<u32>,
    /// A Down annotation was written, even if misplaced: no "missing Down" then.
    saw_down: bool,
    /// An Up or Down annotation was written: the file is not plain.
    saw_section: bool,
    parsed: ParsedFile,
    problems: Found,
}

impl Reader {
    fn new(form: FileForm, dialect: Dialect) -> Reader {
        Reader {
            form,
            dialect,
            place: match form {
                FileForm::Single => Place::BeforeUp,
                FileForm::Up | FileForm::Rust => Place::Up,
                FileForm::Down => Place::Down,
            },
            before: Building::default(),
            up: (form == FileForm::Up).then(Building::default),
            down: (form == FileForm::Down).then(Building::default),
            block: None,
            saw_down: false,
            saw_section: false,
            parsed: ParsedFile::default(),
            problems: Vec::new(),
        }
    }

    fn problem(&mut self, line: u32, kind: ProblemKind) {
        self.problems.push((Some(line), kind));
    }

    /// The section the current line belongs to.
    fn current(&mut self) -> &mut Building {
        match self.place {
            Place::BeforeUp => &mut self.before,
            Place::Up => self.up.get_or_insert_with(Building::default),
            Place::Down => self.down.get_or_insert_with(Building::default),
        }
    }

    fn line(&mut self, line: u32, content: &str) {
        if let Some(found) = peer_annotation(content) {
            return match found {
                Ok(found) => {
                    for annotation in found {
                        self.annotation(line, content, annotation);
                    }
                }
                Err(text) => self.problem(
                    line,
                    ProblemKind::UnknownAnnotation {
                        text,
                        suggestion: None,
                    },
                ),
            };
        }
        let found = match annotation(content) {
            Ok(Some(found)) => found,
            Ok(None) => {
                let in_block = self.block.is_some();
                let current = self.current();
                current.push_line(line, content, in_block);
                push_text(&mut current.text, content);
                return;
            }
            // A near miss (`Upp`) is reported, then read as what it resembles,
            // so that it does not cause follow-on errors.
            Err((text, suggestion)) => {
                let shown = suggestion.map(|(_, shown)| shown);
                self.problem(
                    line,
                    ProblemKind::UnknownAnnotation {
                        text,
                        suggestion: shown,
                    },
                );
                match suggestion {
                    Some((resembles, _)) => resembles,
                    None => return,
                }
            }
        };
        self.annotation(line, content, found);
    }

    fn annotation(&mut self, line: u32, content: &str, found: Annotation) {
        self.saw_down |= matches!(found, Annotation::Down | Annotation::DownIrreversible);
        let is_section = matches!(
            found,
            Annotation::Up | Annotation::Down | Annotation::DownIrreversible
        );
        self.saw_section |= is_section;
        if is_section && self.form != FileForm::Single {
            return self.problem(line, ProblemKind::SectionInPairFile);
        }
        if is_section && let Some(open) = self.block {
            return self.problem(line, ProblemKind::AnnotationInsideBlock { open });
        }
        if !is_section {
            push_text(&mut self.current().text, content);
        }
        match found {
            Annotation::Up => self.up_section(line),
            Annotation::Down => self.down_section(line),
            Annotation::DownIrreversible => {
                self.down_section(line);
                self.parsed.irreversible = true;
            }
            Annotation::Irreversible => self.parsed.irreversible = true,
            Annotation::NoTransaction => self.parsed.no_transaction = true,
            Annotation::ForeignKeysOff => self.parsed.foreign_keys_off = true,
            Annotation::Timeout => {
                if let Some(limit) = self.duration(line, content, "Timeout") {
                    self.parsed.timeout = Some(limit);
                }
            }
            Annotation::LockTimeout => {
                if let Some(limit) = self.duration(line, content, "LockTimeout") {
                    self.parsed.lock_timeout = Some(limit);
                }
            }
            Annotation::Allow => self.allow(line, after_word(content, "allow")),
            Annotation::NoCheck => match no_check_reason(content) {
                "" => self.problem(line, ProblemKind::NoCheckWithoutReason),
                reason => self.parsed.no_check = Some(reason.to_owned()),
            },
            Annotation::Idempotent => match after_word(content, "idempotent") {
                "" => self.problem(line, ProblemKind::IdempotentWithoutReason),
                reason => self.parsed.idempotent = Some((line, reason.to_owned())),
            },
            Annotation::StatementBegin => self.statement_begin(line),
            Annotation::StatementEnd => {
                if self.block.take().is_none() {
                    self.problem(line, ProblemKind::StatementEndWithoutBegin);
                }
            }
        }
    }

    /// The duration after `directive` (`Timeout 30s`); a problem when
    /// there is none it can read.
    fn duration(
        &mut self,
        line: u32,
        content: &str,
        directive: &'static str,
    ) -> Option<std::time::Duration> {
        let text = after_word(content, &directive.to_ascii_lowercase());
        let limit = parse_duration(text);
        if limit.is_none() {
            self.problem(
                line,
                ProblemKind::BadTimeout {
                    directive,
                    text: text.to_owned(),
                },
            );
        }
        limit
    }

    /// `Allow <code> <reason>`: a known code, and a reason.
    fn allow(&mut self, line: u32, text: &str) {
        let (code, reason) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
        let Some(rule) = crate::Rule::from_code(code) else {
            let code = code.to_owned();
            return self.problem(line, ProblemKind::UnknownLintCode { code });
        };
        if reason.trim().is_empty() {
            return self.problem(
                line,
                ProblemKind::AllowWithoutReason {
                    code: code.to_owned(),
                },
            );
        }
        let reason = reason.trim().to_owned();
        self.parsed.allow.push(crate::Allowed { rule, reason });
    }

    fn up_section(&mut self, line: u32) {
        if self.place == Place::BeforeUp {
            self.place = Place::Up;
            self.up = Some(Building::starting(line));
        } else {
            let first = self.up.as_ref().and_then(|b| b.line).unwrap_or(line);
            self.problem(line, ProblemKind::SecondUp { first });
        }
    }

    fn down_section(&mut self, line: u32) {
        match self.place {
            Place::BeforeUp => self.problem(line, ProblemKind::DownBeforeUp),
            Place::Up => {
                self.place = Place::Down;
                self.down = Some(Building::starting(line));
            }
            Place::Down => {
                let first = self.down.as_ref().and_then(|b| b.line).unwrap_or(line);
                self.problem(line, ProblemKind::SecondDown { first });
            }
        }
    }

    fn statement_begin(&mut self, line: u32) {
        match (self.block, self.place) {
            (Some(open), _) => self.problem(line, ProblemKind::NestedStatementBegin { open }),
            (None, Place::BeforeUp) => {
                self.problem(line, ProblemKind::StatementBeginOutsideSection);
            }
            (None, _) => self.block = Some(line),
        }
    }

    /// The sections, split, and the checks of the whole file.
    fn finish(mut self) -> (ParsedFile, Found) {
        if let Some(open) = self.block {
            self.problem(open, ProblemKind::UnclosedStatementBegin);
        }
        let problems = &mut self.problems;
        let before = self.before.finish(problems, self.dialect);
        let mut parsed = self.parsed;
        if self.form == FileForm::Single && !self.saw_section {
            parsed.plain = true;
            parsed.up = Some(before);
        } else if let Some(first) = before.statements.first() {
            problems.push((Some(first.line), ProblemKind::SqlBeforeUp));
        }
        if parsed.up.is_none() {
            parsed.up = self.up.map(|b| b.finish(problems, self.dialect));
        }
        parsed.down = self.down.map(|b| b.finish(problems, self.dialect));
        check_sections(&parsed, problems);
        self.problems.sort_by_key(|(line, _)| *line);
        (parsed, self.problems)
    }
}

/// What a file must not say once read: that it is irreversible and still
/// has Down SQL. Whether a missing Down is a mistake depends on the other
/// files of the directory, so `load` decides that.
fn check_sections(parsed: &ParsedFile, problems: &mut Found) {
    if let Some(section) = &parsed.down
        && parsed.irreversible
        && let Some(first) = section.statements.first()
    {
        problems.push((Some(first.line), ProblemKind::IrreversibleWithDown));
    }
}

/// A peer's annotation line: dbmate's `-- migrate:up` / `-- migrate:down`
/// (with `transaction:false`), or SuperChat's `-- @foreign_keys=off`.
/// `None` when the line is not one; `Err(text)` for a `migrate:` line this
/// reading does not know.
fn peer_annotation(line: &str) -> Option<Result<Vec<Annotation>, String>> {
    let comment = line.trim_start().strip_prefix("--")?.trim();
    if comment.eq_ignore_ascii_case("@foreign_keys=off") {
        return Some(Ok(vec![Annotation::ForeignKeysOff]));
    }
    // dbmate's marker has its word right after the colon (`-- migrate: up
    // to v3` is prose).
    let rest = comment
        .strip_prefix("migrate:")
        .filter(|rest| rest.starts_with(|c: char| !c.is_whitespace()))?;
    let mut words = rest.split_whitespace();
    let section = match words.next().map(str::to_ascii_lowercase).as_deref() {
        Some("up") => Annotation::Up,
        Some("down") => Annotation::Down,
        _ => return Some(Err(comment.to_owned())),
    };
    // The options first, so that their line is not part of the section's text.
    let mut found = Vec::new();
    for option in words {
        match option.to_ascii_lowercase().as_str() {
            "transaction:false" => found.push(Annotation::NoTransaction),
            "transaction:true" => {}
            _ => return Some(Err(comment.to_owned())),
        }
    }
    found.push(section);
    Some(Ok(found))
}

/// The text after `NoCheck` on its annotation line.
fn no_check_reason(line: &str) -> &str {
    after_word(line, "nocheck")
}

/// The text after `word` (lowercase) on an annotation line, trimmed.
fn after_word<'l>(line: &'l str, word: &str) -> &'l str {
    let lower = line.to_ascii_lowercase();
    lower
        .find(word)
        .and_then(|at| line.get(at + word.len()..))
        .map_or("", str::trim)
}

/// `500ms`, `30s`, `5m`, `1h` (a space before the unit allowed).
pub(crate) fn parse_duration(text: &str) -> Option<std::time::Duration> {
    let text = text.trim();
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let number: u64 = text[..digits].parse().ok()?;
    let millis = match text[digits..].trim() {
        "ms" => 1,
        "s" => 1000,
        "m" | "min" => 60_000,
        "h" => 3_600_000,
        _ => return None,
    };
    let total = number.checked_mul(millis)?;
    (total > 0).then(|| std::time::Duration::from_millis(total))
}

fn push_text(text: &mut String, line: &str) {
    if !text.is_empty() {
        text.push('\n');
    }
    text.push_str(line);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The file read as SQLite reads it.
    fn parse(text: &str, form: FileForm) -> (ParsedFile, Found) {
        super::parse(text, form, Dialect::Sqlite)
    }

    fn kinds(text: &str, form: FileForm) -> Vec<(Option<u32>, ProblemKind)> {
        parse(text, form).1
    }

    fn ok(text: &str) -> ParsedFile {
        let (parsed, problems) = parse(text, FileForm::Single);
        assert!(problems.is_empty(), "{problems:?}");
        parsed
    }

    #[test]
    fn timeouts_are_read_with_their_unit() {
        use std::time::Duration;
        assert_eq!(super::parse_duration("30s"), Some(Duration::from_secs(30)));
        assert_eq!(
            super::parse_duration("500 ms"),
            Some(Duration::from_millis(500))
        );
        assert_eq!(super::parse_duration("2m"), Some(Duration::from_secs(120)));
        for bad in ["", "30", "0s", "s", "1.5s", "10x"] {
            assert_eq!(super::parse_duration(bad), None, "{bad}");
        }
    }

    #[test]
    fn reads_the_time_limits_of_a_file() {
        use std::time::Duration;
        let parsed = ok(
            "-- +migrate Timeout 30s\n-- +migrate LockTimeout 500ms\n-- +migrate Up\nALTER TABLE a ADD COLUMN b INT;\n",
        );
        assert_eq!(parsed.timeout, Some(Duration::from_secs(30)));
        assert_eq!(parsed.lock_timeout, Some(Duration::from_millis(500)));
        let problems = kinds(
            "-- +migrate LockTimeout soon\n-- +migrate Up\nSELECT 1;\n",
            FileForm::Single,
        );
        assert_eq!(
            problems,
            vec![(
                Some(1),
                ProblemKind::BadTimeout {
                    directive: "LockTimeout",
                    text: "soon".to_owned()
                }
            )]
        );
    }

    #[test]
    fn reads_up_and_down() {
        let parsed = ok(
            "-- a comment\n-- +migrate Up\nCREATE TABLE a (x INT);\nCREATE INDEX i ON a (x);\n\n-- +migrate Down\nDROP TABLE a;\n",
        );
        let up = parsed.up.expect("up");
        assert_eq!(up.line, Some(2));
        assert_eq!(up.statements.len(), 2);
        assert_eq!(up.statements[1].line, 4);
        let down = parsed.down.expect("down");
        assert_eq!(down.statements[0].line, 7);
        assert_eq!(down.statements[0].sql, "DROP TABLE a;");
        assert!(!parsed.irreversible);
    }

    #[test]
    fn reads_goose_spelling() {
        let parsed = ok(
            "-- +goose NO TRANSACTION\n-- +goose Up\n-- +goose StatementBegin\nCREATE TRIGGER t AFTER INSERT ON a BEGIN SELECT 1; SELECT 2; END;\n-- +goose StatementEnd\n-- +goose Down\nDROP TRIGGER t;\n",
        );
        assert!(parsed.no_transaction);
        let up = parsed.up.expect("up");
        assert_eq!(up.statements.len(), 1);
        assert_eq!(up.statements[0].line, 4);
    }

    #[test]
    fn statement_blocks_are_one_statement() {
        let parsed = ok(
            "-- +migrate Up\n-- +migrate StatementBegin\n\nSELECT 1; SELECT 2;\n-- +migrate StatementEnd\nSELECT 3;\n-- +migrate Down\nSELECT 4;",
        );
        let up = parsed.up.expect("up");
        let sqls: Vec<_> = up.statements.iter().map(|s| (s.sql(), s.line)).collect();
        assert_eq!(sqls, [("SELECT 1; SELECT 2;", 4), ("SELECT 3;", 6)]);
    }

    #[test]
    fn annotations_are_case_and_space_insensitive() {
        let parsed = ok(
            "--+migrate up\nSELECT 1;\n--   +migrate   DOWN   IRREVERSIBLE\n-- +migrate foreignkeys OFF\n",
        );
        assert!(parsed.irreversible);
        assert!(parsed.foreign_keys_off);
    }

    #[test]
    fn irreversible_needs_no_down() {
        let parsed = ok("-- +migrate Irreversible\n-- +migrate Up\nSELECT 1;");
        assert!(parsed.irreversible);
        assert!(parsed.down.is_none());
    }

    #[test]
    fn empty_down_is_allowed() {
        let parsed = ok("-- +goose Up\nSELECT 1;\n-- +goose Down\n");
        assert!(parsed.down.expect("down").statements.is_empty());
    }

    #[test]
    fn crlf_lines_parse() {
        let parsed = ok("-- +migrate Up\r\nSELECT 1;\r\n-- +migrate Down\r\nSELECT 2;\r\n");
        assert_eq!(parsed.down.expect("down").statements[0].sql, "SELECT 2;");
    }

    #[test]
    fn section_text_excludes_section_annotations() {
        let parsed = ok(
            "-- head\n-- +migrate Up\nA;\n-- +migrate StatementBegin\nB;\n-- +migrate StatementEnd\n-- +migrate Down\nC;\n",
        );
        assert_eq!(
            parsed.up.expect("up").text,
            "A;\n-- +migrate StatementBegin\nB;\n-- +migrate StatementEnd"
        );
        assert_eq!(parsed.down.expect("down").text, "C;\n");
    }

    #[test]
    fn sql_before_up() {
        assert_eq!(
            kinds(
                "/* ok */\n-- ok\nSELECT 1;\n-- +migrate Up\nSELECT 2;\n-- +migrate Down\n",
                FileForm::Single
            ),
            [(Some(3), ProblemKind::SqlBeforeUp)]
        );
    }

    #[test]
    fn a_file_without_sections_is_all_up() {
        let (parsed, problems) = parse(
            "-- a comment\nCREATE TABLE a (x INT);\nSELECT 1;\n",
            FileForm::Single,
        );
        assert_eq!(problems, []);
        assert!(parsed.plain);
        let up = parsed.up.expect("the whole file is the Up");
        assert_eq!(
            up.statements.iter().map(|s| s.line).collect::<Vec<_>>(),
            [2, 3]
        );
        assert_eq!(parsed.down, None);
        let (comments, problems) = parse("-- only a comment\n", FileForm::Single);
        assert_eq!(problems, []);
        assert!(comments.plain && comments.up.is_some_and(|up| up.statements.is_empty()));
    }

    #[test]
    fn whether_a_missing_down_is_a_mistake_is_not_the_files_to_say() {
        assert_eq!(kinds("-- +migrate Up\nA;\n", FileForm::Single), []);
        assert_eq!(kinds("-- +goose Up\n", FileForm::Single), []);
        assert_eq!(kinds("  \n", FileForm::Up), []);
    }

    #[test]
    fn dbmate_sections() {
        let (parsed, problems) = parse(
            "-- migrate:up transaction:false\nCREATE TABLE a (x INT);\n-- migrate:down\nDROP TABLE a;\n",
            FileForm::Single,
        );
        assert_eq!(problems, []);
        assert!(parsed.no_transaction && !parsed.plain);
        assert_eq!(
            parsed.up.map(|s| (s.line, s.statements.len())),
            Some((Some(1), 1))
        );
        assert_eq!(parsed.down.map(|s| s.statements[0].line), Some(4));
        assert_eq!(
            kinds("-- migrate:sideways\nA;\n", FileForm::Single),
            [(
                Some(1),
                ProblemKind::UnknownAnnotation {
                    text: "migrate:sideways".into(),
                    suggestion: None
                }
            )]
        );
    }

    #[test]
    fn another_tools_sections_are_not_comments() {
        // micrate's spelling: read as the section it means, and reported.
        let (parsed, problems) = parse(
            "-- +micrate Up\nCREATE TABLE a (x INT);\n-- +micrate Down\nDROP TABLE a;\n",
            FileForm::Single,
        );
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(matches!(
            &problems[0].1,
            ProblemKind::UnknownAnnotation {
                suggestion: Some("Up"),
                ..
            }
        ));
        assert!(!parsed.plain);
        assert_eq!(parsed.down.map(|d| d.statements.len()), Some(1));
    }

    #[test]
    fn prose_that_resembles_an_annotation_is_a_comment() {
        for comment in ["-- +1 up the counter", "-- migrate: up to v3 later"] {
            let text = format!("{comment}\nCREATE TABLE a (x INT);\n");
            let (parsed, problems) = parse(&text, FileForm::Single);
            assert_eq!(problems, [], "{comment}");
            assert!(parsed.plain, "{comment}");
        }
    }

    #[test]
    fn superchat_foreign_keys_header() {
        let (parsed, problems) = parse(
            "-- @foreign_keys=off\nCREATE TABLE a (x INT);\n",
            FileForm::Single,
        );
        assert_eq!(problems, []);
        assert!(parsed.plain && parsed.foreign_keys_off);
    }

    #[test]
    fn second_up() {
        assert_eq!(
            kinds(
                "-- +migrate Up\nA;\n-- +migrate Up\nB;\n-- +migrate Down\n",
                FileForm::Single
            ),
            [(Some(3), ProblemKind::SecondUp { first: 1 })]
        );
    }

    #[test]
    fn up_after_down_is_a_second_up() {
        assert_eq!(
            kinds(
                "-- +migrate Up\nA;\n-- +migrate Down\nB;\n-- +migrate Up\n",
                FileForm::Single
            ),
            [(Some(5), ProblemKind::SecondUp { first: 1 })]
        );
    }

    #[test]
    fn second_down() {
        assert_eq!(
            kinds(
                "-- +migrate Up\nA;\n-- +migrate Down\nB;\n-- +migrate Down\n",
                FileForm::Single
            ),
            [(Some(5), ProblemKind::SecondDown { first: 3 })]
        );
    }

    #[test]
    fn down_before_up() {
        assert_eq!(
            kinds(
                "-- +migrate Down\nDROP TABLE a;\n-- +migrate Up\nCREATE TABLE a (x INT);\n",
                FileForm::Single
            ),
            [
                (Some(1), ProblemKind::DownBeforeUp),
                (Some(2), ProblemKind::SqlBeforeUp)
            ]
        );
    }

    #[test]
    fn irreversible_with_down_sql() {
        assert_eq!(
            kinds(
                "-- +migrate Up\nA;\n-- +migrate Down irreversible\nB;\n",
                FileForm::Single
            ),
            [(Some(4), ProblemKind::IrreversibleWithDown)]
        );
    }

    #[test]
    fn unknown_annotation_with_suggestion() {
        assert_eq!(
            kinds("-- +migrate Upp\nA;\n-- +migrate Down\n", FileForm::Single),
            [(
                Some(1),
                ProblemKind::UnknownAnnotation {
                    text: "+migrate Upp".into(),
                    suggestion: Some("Up")
                }
            )]
        );
        let found = kinds(
            "-- +goose ENVSUB ON\n-- +goose Up\nA;\n-- +goose Down\n",
            FileForm::Single,
        );
        assert_eq!(
            found,
            [(
                Some(1),
                ProblemKind::UnknownAnnotation {
                    text: "+goose ENVSUB ON".into(),
                    suggestion: None
                }
            )]
        );
    }

    #[test]
    fn suggestions_keep_the_spelling_written() {
        let problems = kinds("-- +goose Up\nA;\n-- +goose Dwn\n", FileForm::Single);
        assert_eq!(
            problems[0].1.to_string(),
            "unknown annotation `+goose Dwn`; did you mean `-- +goose Down`?"
        );
    }

    #[test]
    fn idempotent_needs_a_reason() {
        let parsed = ok(
            "-- +migrate NoTransaction\n-- +migrate Idempotent every statement says IF NOT EXISTS\n-- +migrate Up\nA;\n",
        );
        assert_eq!(
            parsed.idempotent,
            Some((2, "every statement says IF NOT EXISTS".to_owned()))
        );
        assert_eq!(
            kinds(
                "-- +migrate Idempotent\n-- +migrate Up\nA;\n",
                FileForm::Single
            ),
            [(Some(1), ProblemKind::IdempotentWithoutReason)]
        );
    }

    #[test]
    fn no_check_needs_a_reason() {
        let parsed = ok(
            "-- +migrate NoCheck uses the spatialite extension\n-- +migrate Up\nA;\n-- +migrate Down\n",
        );
        assert_eq!(
            parsed.no_check.as_deref(),
            Some("uses the spatialite extension")
        );
        assert_eq!(
            kinds(
                "-- +migrate NoCheck\n-- +migrate Up\nA;\n-- +migrate Down\n",
                FileForm::Single
            ),
            [(Some(1), ProblemKind::NoCheckWithoutReason)]
        );
    }

    #[test]
    fn other_plus_comments_are_plain_comments() {
        ok("-- +migrated by hand\n-- +migrate Up\nA;\n-- +migrate Down\n");
    }

    #[test]
    fn unclosed_and_unopened_blocks() {
        assert_eq!(
            kinds(
                "-- +migrate Up\n-- +migrate StatementBegin\nA;\n",
                FileForm::Up
            )
            .first(),
            Some(&(Some(1), ProblemKind::SectionInPairFile))
        );
        assert_eq!(
            kinds(
                "-- +migrate Up\n-- +migrate StatementBegin\nA;\n-- +migrate Down\nB;",
                FileForm::Single
            ),
            [
                (Some(2), ProblemKind::UnclosedStatementBegin),
                (Some(4), ProblemKind::AnnotationInsideBlock { open: 2 }),
            ]
        );
        assert_eq!(
            kinds(
                "-- +migrate Up\nA;\n-- +migrate StatementEnd\n-- +migrate Down\n",
                FileForm::Single
            ),
            [(Some(3), ProblemKind::StatementEndWithoutBegin)]
        );
        assert_eq!(
            kinds(
                "-- +migrate Up\n-- +migrate StatementBegin\n-- +migrate StatementBegin\nA;\n-- +migrate StatementEnd\n-- +migrate Down\n",
                FileForm::Single
            ),
            [(Some(3), ProblemKind::NestedStatementBegin { open: 2 })]
        );
        assert_eq!(
            kinds(
                "-- +migrate StatementBegin\n-- +migrate Up\nA;\n-- +migrate Down\n",
                FileForm::Single
            ),
            [(Some(1), ProblemKind::StatementBeginOutsideSection)]
        );
    }

    #[test]
    fn unterminated_quote_in_a_section() {
        assert_eq!(
            kinds(
                "-- +migrate Up\nSELECT 'a;\n-- +migrate Down\n",
                FileForm::Single
            ),
            [(
                Some(2),
                ProblemKind::Unsplit(crate::SplitError::UnterminatedQuote {
                    line: 2,
                    quote: '\''
                })
            ),]
        );
    }

    #[test]
    fn pair_files_are_whole_sections() {
        let (parsed, problems) = parse(
            "-- +migrate NoTransaction\nCREATE INDEX CONCURRENTLY i ON a (x);\n",
            FileForm::Up,
        );
        assert!(problems.is_empty());
        assert!(parsed.no_transaction);
        assert_eq!(parsed.up.expect("up").statements[0].line, 2);
        let (parsed, problems) = parse("DROP INDEX i;", FileForm::Down);
        assert!(problems.is_empty());
        assert_eq!(parsed.down.expect("down").statements.len(), 1);
        assert_eq!(
            kinds("-- +migrate Down\nA;", FileForm::Down),
            [(Some(1), ProblemKind::SectionInPairFile)]
        );
    }

    #[test]
    fn edit_distance_works() {
        assert_eq!(edit_distance("up", "upp"), 1);
        assert_eq!(edit_distance("down", "dwon"), 2);
        assert_eq!(edit_distance("", "abc"), 3);
    }
}
