//! A token-level normal form of an object's SQL, so that what SQLite keeps
//! as the same object compares equal: whitespace, comments, keyword and
//! identifier case, identifier quoting, and the order of a column's
//! constraints are not differences. A type, a constraint, a default or the
//! order of the columns still is one.

use migrate_core::sql::{Token, split_top_level, tokens};

/// A column definition (its name and type, then its constraints sorted) or
/// a table constraint.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Definition {
    /// The column's name and type tokens; a table constraint's every token.
    head: Vec<Token>,
    /// A column's constraints, each from its keyword on, sorted.
    constraints: Vec<Vec<Token>>,
    table_constraint: bool,
}

/// The SQL of a schema object, normalised: its tokens, and for a table its
/// column definitions with their constraints sorted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Normal {
    /// Everything but a table's definitions (or the whole SQL of another object).
    head: Vec<Token>,
    /// A table's column definitions and table constraints, in order.
    definitions: Vec<Definition>,
    /// What follows a table's `)`: `STRICT`, `WITHOUT ROWID`.
    tail: Vec<Token>,
}

impl Normal {
    /// The normal form of `sql`, SQL as SQLite keeps it.
    pub fn of(sql: &str) -> Normal {
        let tokens = tokens(sql, migrate_core::Dialect::Sqlite);
        let is_table = tokens
            .iter()
            .take(4)
            .any(|t| !t.literal && t.text == "table")
            && tokens.first().is_some_and(|t| t.text == "create");
        let open = tokens.iter().position(|t| !t.literal && t.text == "(");
        let (Some(open), true) = (open, is_table) else {
            return Normal {
                head: tokens,
                definitions: Vec::new(),
                tail: Vec::new(),
            };
        };
        // `CREATE TABLE t AS SELECT …` has no definitions.
        if tokens[..open].iter().any(|t| !t.literal && t.text == "as") {
            return Normal {
                head: tokens,
                definitions: Vec::new(),
                tail: Vec::new(),
            };
        }
        let close = matching(&tokens, open).unwrap_or(tokens.len());
        let definitions = split_top_level(&tokens[open + 1..close.min(tokens.len())])
            .into_iter()
            .map(definition)
            .collect();
        Normal {
            head: tokens[..open].to_vec(),
            definitions,
            tail: tokens
                .get(close + 1..)
                .map(<[Token]>::to_vec)
                .unwrap_or_default(),
        }
    }

    /// The normal form of a column's default: also `TRUE`/`FALSE` as the
    /// `1`/`0` SQLite stores for them.
    pub fn of_value(sql: &str) -> Normal {
        let mut normal = Normal::of(sql);
        for token in normal.head.iter_mut().filter(|t| !t.literal) {
            let stored = match token.text.as_str() {
                "true" => "1",
                "false" => "0",
                _ => continue,
            };
            token.text.clear();
            token.text.push_str(stored);
        }
        normal
    }

    /// What of a table only its text says, sorted: each column's
    /// `COLLATE`, `CHECK` and generated expression, the table's `CHECK`
    /// constraints, `AUTOINCREMENT`, and the options after its `)`.
    pub fn textual(&self) -> Vec<String> {
        let text = |tokens: &[Token]| -> String {
            tokens
                .iter()
                .map(|t| t.text.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        };
        let keyword = |tokens: &[Token]| -> String {
            // `CONSTRAINT <name>` names what follows it.
            let at = if tokens.first().is_some_and(|t| t.text == "constraint") {
                2
            } else {
                0
            };
            tokens.get(at).map(|t| t.text.clone()).unwrap_or_default()
        };
        let mut out = Vec::new();
        for definition in &self.definitions {
            if definition.table_constraint {
                if keyword(&definition.head) == "check" {
                    out.push(text(&definition.head));
                }
                continue;
            }
            let name = definition
                .head
                .first()
                .map(|t| t.text.as_str())
                .unwrap_or_default();
            for constraint in &definition.constraints {
                let kind = keyword(constraint);
                if matches!(kind.as_str(), "collate" | "check" | "generated" | "as") {
                    out.push(format!("{name}: {}", text(constraint)));
                }
                if constraint.iter().any(|t| t.text == "autoincrement") {
                    out.push(format!("{name}: autoincrement"));
                }
            }
        }
        if !self.tail.is_empty() {
            out.push(text(&self.tail));
        }
        out.sort();
        out
    }

    /// Whether the two differ only in the order of a table's definitions.
    pub fn differs_in_column_order(&self, other: &Normal) -> bool {
        if self == other || self.head != other.head || self.tail != other.tail {
            return false;
        }
        let mut a = self.definitions.clone();
        let mut b = other.definitions.clone();
        a.sort();
        b.sort();
        a == b
    }
}

/// SQL as a message shows it: as written, whitespace runs made one space.
pub fn collapsed(sql: &str) -> String {
    sql.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The index of the `)` that closes the `(` at `open`.
fn matching(tokens: &[Token], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, token) in tokens.iter().enumerate().skip(open) {
        if token.literal {
            continue;
        }
        match token.text.as_str() {
            "(" => depth += 1,
            ")" => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// The words that start a column constraint.
const CONSTRAINTS: &[&str] = &[
    "constraint",
    "primary",
    "not",
    "null",
    "unique",
    "check",
    "default",
    "collate",
    "references",
    "generated",
    "as",
];

/// A column definition with its constraints sorted; a table constraint as it is.
fn definition(tokens: &[Token]) -> Definition {
    let is_table_constraint = tokens.first().is_some_and(|t| {
        !t.literal
            && matches!(
                t.text.as_str(),
                "constraint" | "primary" | "unique" | "check" | "foreign"
            )
    });
    if is_table_constraint || tokens.is_empty() {
        return Definition {
            head: tokens.to_vec(),
            constraints: Vec::new(),
            table_constraint: true,
        };
    }
    let mut chunks: Vec<Vec<Token>> = Vec::new();
    let mut column: Vec<Token> = vec![tokens[0].clone()];
    let mut depth = 0usize;
    let mut previous = "";
    // `CONSTRAINT <name>` and the constraint after it are one chunk.
    let mut glued = 0u8;
    for token in &tokens[1..] {
        let text = if token.literal {
            ""
        } else {
            token.text.as_str()
        };
        let starts = depth == 0
            && !token.literal
            && CONSTRAINTS.contains(&text)
            && glued == 0
            && !continues(previous, text);
        glued = if text == "constraint" && depth == 0 {
            2
        } else {
            glued.saturating_sub(1)
        };
        match text {
            "(" => depth += 1,
            ")" => depth = depth.saturating_sub(1),
            _ => {}
        }
        if starts {
            chunks.push(vec![token.clone()]);
        } else if let Some(chunk) = chunks.last_mut() {
            chunk.push(token.clone());
        } else {
            column.push(token.clone());
        }
        if !token.literal {
            previous = &token.text;
        }
    }
    chunks.sort();
    Definition {
        head: column,
        constraints: chunks,
        table_constraint: false,
    }
}

/// Whether a constraint word continues the constraint before it: `NOT NULL`,
/// `DEFAULT NULL`, `SET NULL`/`SET DEFAULT` of a foreign key, `NOT
/// DEFERRABLE`, `GENERATED ALWAYS AS`, `ON CONFLICT`.
fn continues(previous: &str, word: &str) -> bool {
    matches!(
        (previous, word),
        ("not", "null") | ("default", _) | ("set", "null" | "default") | ("always", "as")
    )
}

#[cfg(test)]
mod tests {
    use super::Normal;

    fn same(a: &str, b: &str) -> bool {
        Normal::of(a) == Normal::of(b)
    }

    #[test]
    fn layout_case_and_quoting_are_not_differences() {
        assert!(same("CREATE INDEX i ON t(c)", "CREATE INDEX i ON t (c)"));
        assert!(same(
            "create table \"T\" (\n  a int, -- note\n  b text\n)",
            "CREATE TABLE t (A INT, b TEXT)"
        ));
        assert!(same("CREATE TABLE [t] (`a` INT)", "CREATE TABLE t (a INT)"));
    }

    #[test]
    fn the_order_of_a_columns_constraints_is_not_a_difference() {
        assert!(same(
            "CREATE TABLE t (a INT CONSTRAINT pk PRIMARY KEY NOT NULL)",
            "CREATE TABLE t (a INT NOT NULL CONSTRAINT pk PRIMARY KEY)"
        ));
        assert!(!same(
            "CREATE TABLE t (a INT CONSTRAINT pk PRIMARY KEY, b INT NOT NULL)",
            "CREATE TABLE t (a INT PRIMARY KEY, b INT CONSTRAINT pk NOT NULL)"
        ));
        assert!(same(
            "CREATE TABLE t (id INTEGER NOT NULL PRIMARY KEY, r INT REFERENCES u(id) ON DELETE SET NULL DEFAULT 0)",
            "CREATE TABLE t (id INTEGER PRIMARY KEY NOT NULL, r INT DEFAULT 0 REFERENCES u (id) ON DELETE SET NULL)"
        ));
    }

    #[test]
    fn real_differences_stay() {
        assert!(!same("CREATE TABLE t (a INT)", "CREATE TABLE t (a TEXT)"));
        assert!(!same(
            "CREATE TABLE t (a INT NOT NULL)",
            "CREATE TABLE t (a INT)"
        ));
        assert!(!same(
            "CREATE TABLE t (a INT DEFAULT 1)",
            "CREATE TABLE t (a INT DEFAULT 2)"
        ));
        assert!(!same(
            "CREATE TABLE t (a TEXT DEFAULT 'x')",
            "CREATE TABLE t (a TEXT DEFAULT 'X')"
        ));
        assert!(!same(
            "CREATE TABLE t (a INT) STRICT",
            "CREATE TABLE t (a INT)"
        ));
        let (a, b) = (
            Normal::of("CREATE TABLE t (a INT, b INT)"),
            Normal::of("CREATE TABLE t (b INT, a INT)"),
        );
        assert_ne!(a, b);
        assert!(a.differs_in_column_order(&b));
    }
}
