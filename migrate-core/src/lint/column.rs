//! What an added column makes PostgreSQL do to the rows already there: a
//! constant default (or a stable one such as `now()`) is stored once in
//! the catalog (PostgreSQL 11+); any value computed per row rewrites the
//! whole table under an `ACCESS EXCLUSIVE` lock.

use crate::sql::{Token, depths};

/// Functions a default may call without a rewrite: stable or immutable
/// built-ins (and the SQL keywords written like calls). Any other call
/// may be volatile, as a user's function is unless declared otherwise.
const NOT_VOLATILE: &[&str] = &[
    "abs",
    "array",
    "array_fill",
    "btrim",
    "cast",
    "ceil",
    "coalesce",
    "concat",
    "current_date",
    "current_schema",
    "current_setting",
    "current_time",
    "current_timestamp",
    "current_user",
    "date_trunc",
    "decode",
    "encode",
    "extract",
    "floor",
    "format",
    "greatest",
    "int4range",
    "int8range",
    "json_build_array",
    "json_build_object",
    "jsonb_build_array",
    "jsonb_build_object",
    "least",
    "left",
    "length",
    "localtime",
    "localtimestamp",
    "lower",
    "lpad",
    "ltrim",
    "make_date",
    "make_interval",
    "make_timestamp",
    "make_timestamptz",
    "md5",
    "now",
    "nullif",
    "replace",
    "right",
    "round",
    "row",
    "rpad",
    "rtrim",
    "session_user",
    "statement_timestamp",
    "substring",
    "timezone",
    "to_char",
    "to_date",
    "to_json",
    "to_jsonb",
    "to_timestamp",
    "transaction_timestamp",
    "trim",
    "trunc",
    "tsrange",
    "tstzrange",
    "upper",
    "user",
];

/// Types whose length or precision is written in parentheses.
const SIZED_TYPES: &[&str] = &[
    "bit",
    "char",
    "character",
    "decimal",
    "interval",
    "numeric",
    "time",
    "timestamp",
    "timestamptz",
    "varbit",
    "varchar",
    "varying",
];

/// Serial types: a sequence's `nextval` for every row.
const SERIAL: &[&str] = &[
    "bigserial",
    "serial",
    "serial2",
    "serial4",
    "serial8",
    "smallserial",
];

/// Words that end a column's default expression.
const CONSTRAINT_WORDS: &[&str] = &[
    "check",
    "collate",
    "constraint",
    "generated",
    "not",
    "null",
    "primary",
    "references",
    "unique",
];

/// Why adding the column `words` describes (its name, type and
/// constraints) rewrites the table, if it does: ``a default that calls
/// `gen_random_uuid()` ``, `a serial type`, …
pub(super) fn rewrite(words: &[Token]) -> Option<String> {
    if words
        .get(1)
        .is_some_and(|word| SERIAL.iter().any(|serial| word.is(serial)))
    {
        return Some("a serial type, a sequence value for every row".to_owned());
    }
    if let Some(at) = words.iter().position(|word| word.is("generated")) {
        let rest = &words[at..];
        if rest.iter().any(|word| word.is("identity")) {
            return Some("an identity, a value for every row".to_owned());
        }
        if rest.iter().any(|word| word.is("stored")) {
            return Some("a stored generated value, computed for every row".to_owned());
        }
    }
    let at = words.iter().position(|word| word.is("default"))?;
    let expression = default_expression(&words[at + 1..]);
    let call = first_unknown_call(expression)?;
    Some(format!(
        "a default that calls `{call}()`, evaluated for every row"
    ))
}

/// The words of a default expression: up to the first constraint word
/// outside parentheses.
fn default_expression(words: &[Token]) -> &[Token] {
    let end = depths(words)
        .position(|(depth, word)| depth == 0 && CONSTRAINT_WORDS.iter().any(|end| word.is(end)))
        .unwrap_or(words.len());
    &words[..end]
}

/// The first function the expression calls that is not known to be
/// stable or immutable: a name followed by `(`, not a type's size
/// (`varchar(20)`, `::numeric(10, 2)`).
fn first_unknown_call(expression: &[Token]) -> Option<&str> {
    expression.windows(2).enumerate().find_map(|(i, pair)| {
        let name = pair[0].word()?;
        let cast = i > 0 && (expression[i - 1].is(":") || expression[i - 1].is("as"));
        let sized = SIZED_TYPES.iter().any(|t| pair[0].is(t));
        let known = !pair[0].quoted && NOT_VOLATILE.contains(&name);
        (pair[1].is("(") && !cast && !sized && !known).then_some(name)
    })
}

#[cfg(test)]
mod tests {
    use super::rewrite;
    use crate::sql::tokens;

    fn why(column: &str) -> Option<String> {
        rewrite(&tokens(column, crate::Dialect::Sqlite))
    }

    #[test]
    fn a_volatile_or_unknown_call_rewrites_and_a_stable_one_does_not() {
        assert!(why("token uuid DEFAULT gen_random_uuid()").is_some());
        assert!(why("n int DEFAULT nextval('s'::regclass) NOT NULL").is_some());
        assert!(why("v int DEFAULT app.pick(1)").is_some());
        assert!(why("seen timestamptz DEFAULT now()").is_none());
        assert!(why("seen timestamptz DEFAULT CURRENT_TIMESTAMP(3) NOT NULL").is_none());
        assert!(why("at timestamp DEFAULT timezone('utc', now())").is_none());
        assert!(why("price numeric(10, 2) DEFAULT 0::numeric(10, 2)").is_none());
        assert!(why("tags jsonb DEFAULT '{}'::jsonb CHECK (length(x) > 0)").is_none());
        assert!(why("name text DEFAULT CAST(1 AS varchar(3))").is_none());
    }

    #[test]
    fn serial_identity_and_stored_columns_rewrite() {
        assert!(why("id bigserial").is_some());
        assert!(why("id int GENERATED ALWAYS AS IDENTITY").is_some());
        assert!(why("total int GENERATED ALWAYS AS (a + b) STORED").is_some());
        assert!(why("total int GENERATED ALWAYS AS (a + b) VIRTUAL").is_none());
        assert!(why("\"serial\" int").is_none());
    }
}
