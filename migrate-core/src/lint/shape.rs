//! The columns of a table the set created with a column list, and which of
//! them are `NOT NULL`: for the rules that must know what a column was
//! (`DROP NOT NULL` on a column that never had it is no change) and what a
//! rebuilt table lost (SQLite's rebuild: a new table with fewer columns,
//! the rows copied, the old one dropped, the new one renamed).

use std::collections::BTreeMap;

use super::cursor::top_level_has;
use crate::sql::{Token, depths, split_top_level};

/// A table's columns by name: whether each is `NOT NULL`.
pub(super) type Columns = BTreeMap<String, bool>;

/// The words that start a table constraint rather than a column.
const CONSTRAINTS: [&str; 7] = [
    "constraint",
    "primary",
    "unique",
    "check",
    "foreign",
    "exclude",
    "like",
];

/// The columns `CREATE TABLE name …` defines, `words` from after the name:
/// `None` when they cannot be known from the statement (`AS SELECT`,
/// `LIKE`, `INHERITS`, `PARTITION OF`).
pub(super) fn defined(words: &[Token]) -> Option<Columns> {
    let [open, body @ ..] = words else {
        return None;
    };
    if !open.is("(") {
        return None;
    }
    // The list ends at the `)` that closes the first `(`.
    let mut depth = 1usize;
    let end = body.iter().position(|word| {
        if word.is("(") {
            depth += 1;
        } else if word.is(")") {
            depth -= 1;
        }
        depth == 0
    })?;
    let after = &body[end + 1..];
    if after.iter().any(|word| word.is("inherits")) {
        return None;
    }
    let mut columns = Columns::new();
    let mut keys = Vec::new();
    for part in split_top_level(&body[..end]) {
        let Some(first) = part.first() else { continue };
        if CONSTRAINTS.iter().any(|word| first.is(word)) {
            if first.is("like") {
                return None;
            }
            keys.extend(primary_key_columns(part));
            continue;
        }
        let name = first.word()?.to_owned();
        columns.insert(name, is_not_null(&part[1..]));
    }
    for key in keys {
        if let Some(not_null) = columns.get_mut(&key) {
            *not_null = true;
        }
    }
    Some(columns)
}

/// Whether a column's definition (the words after its name) makes it
/// `NOT NULL`: said so, or part of the primary key.
pub(super) fn is_not_null(definition: &[Token]) -> bool {
    // Outside parentheses: a `CHECK (c IS NOT NULL)` is not the column's.
    let top: Vec<&Token> = depths(definition)
        .filter(|(depth, _)| *depth == 0)
        .map(|(_, word)| word)
        .collect();
    top.windows(2).any(|w| w[0].is("not") && w[1].is("null"))
        || top_level_has(definition, "primary")
}

/// The columns of a table constraint `PRIMARY KEY (a, b)`.
fn primary_key_columns(part: &[Token]) -> Vec<String> {
    let Some(at) = part.iter().position(|word| word.is("primary")) else {
        return Vec::new();
    };
    part[at..]
        .iter()
        .skip_while(|word| !word.is("("))
        .skip(1)
        .take_while(|word| !word.is(")"))
        .filter_map(Token::word)
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::defined;
    use crate::Dialect;
    use crate::sql::tokens;

    /// The columns of `create` (from after the table's name).
    fn columns(create: &str) -> Option<Vec<(String, bool)>> {
        let words = tokens(create, Dialect::Postgres);
        defined(&words).map(|columns| columns.into_iter().collect())
    }

    #[test]
    fn columns_and_their_not_null_are_read_from_the_list() {
        let read = columns(
            "(id INT, email TEXT NOT NULL, code TEXT CHECK (code IS NOT NULL), n NUMERIC(10, 2), \
             PRIMARY KEY (id), CONSTRAINT u UNIQUE (email));",
        );
        let expected = [("code", false), ("email", true), ("id", true), ("n", false)]
            .map(|(name, not_null)| (name.to_owned(), not_null));
        assert_eq!(read, Some(expected.to_vec()));
        assert_eq!(
            columns("(id SERIAL PRIMARY KEY, \"Name\" TEXT)"),
            Some(vec![("Name".to_owned(), false), ("id".to_owned(), true)])
        );
    }

    #[test]
    fn a_table_whose_columns_the_statement_does_not_list_is_unknown() {
        for create in [
            "AS SELECT 1 AS x;",
            "(LIKE other INCLUDING ALL);",
            "(id INT) INHERITS (parent);",
            "PARTITION OF parent FOR VALUES IN (1);",
        ] {
            assert_eq!(columns(create), None, "{create}");
        }
    }
}
