//! SQL read as tokens, for the build-time checks that look at a statement's
//! shape (the replay's normal form of a schema object, the lints): comments
//! and whitespace dropped, identifier quotes removed, case folded outside
//! string literals and (on PostgreSQL, which keeps their case) quoted names, a string literal or a dollar-quoted body one opaque
//! token, punctuation one token each. Never used to run anything.

use crate::lex::Kind;

/// One token: a string literal as written, a name quoted on PostgreSQL as
/// written without its quotes, anything else lowercased with identifier
/// quotes removed. Two tokens are equal when their text and
/// literalness are: a quoted name equals the same name unquoted.
#[derive(Debug, Clone)]
pub struct Token {
    /// The text: lowercased unless `literal` or, on PostgreSQL, `quoted`.
    pub text: String,
    /// A `'…'` literal or `$tag$…$tag$` body, never a keyword or identifier.
    pub literal: bool,
    /// A quoted identifier (`"where"`): a name, never a keyword.
    pub quoted: bool,
}

impl PartialEq for Token {
    fn eq(&self, other: &Token) -> bool {
        (&self.text, self.literal) == (&other.text, other.literal)
    }
}

impl Eq for Token {}

impl PartialOrd for Token {
    fn partial_cmp(&self, other: &Token) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Token {
    fn cmp(&self, other: &Token) -> std::cmp::Ordering {
        (&self.text, self.literal).cmp(&(&other.text, other.literal))
    }
}

impl Token {
    /// Whether this is the keyword, unquoted identifier or punctuation
    /// `text` (lowercase): a quoted identifier is never a keyword.
    pub fn is(&self, text: &str) -> bool {
        !self.literal && !self.quoted && self.text == text
    }

    /// The keyword or identifier, when the token is one (not a literal,
    /// not punctuation).
    pub fn word(&self) -> Option<&str> {
        let first = self.text.chars().next()?;
        (!self.literal && (first.is_alphanumeric() || first == '_' || first == '$'))
            .then_some(self.text.as_str())
    }
}

/// The tokens of `sql` as `dialect` reads it, from the pieces of the one
/// lexer (`lex.rs`); a quote, comment or body left open ends them.
pub fn tokens(sql: &str, dialect: crate::Dialect) -> Vec<Token> {
    let mut out = Vec::new();
    for piece in crate::lex::Lexer::new(sql, 1, dialect) {
        let Ok(piece) = piece else { break };
        let text = &sql[piece.start..piece.end];
        let token = match piece.kind {
            Kind::Word | Kind::Punct => Token {
                text: text.to_lowercase(),
                literal: false,
                quoted: false,
            },
            Kind::Quoted => {
                let close = if text.starts_with('[') {
                    "]"
                } else {
                    &text[..1]
                };
                // PostgreSQL folds only unquoted names: `"Users"` is
                // another name than `users`. SQLite compares names
                // without regard to case, quoted or not.
                let name = unquoted(text, close);
                Token {
                    text: if dialect == crate::Dialect::Postgres {
                        name
                    } else {
                        name.to_lowercase()
                    },
                    literal: false,
                    quoted: true,
                }
            }
            Kind::Literal => Token {
                text: unquoted(text.trim_start_matches(['E', 'e']), "'"),
                literal: true,
                quoted: false,
            },
            Kind::Body => Token {
                text: text.to_owned(),
                literal: true,
                quoted: false,
            },
        };
        out.push(token);
    }
    out
}

/// The inside of a quoted piece (its first and last characters dropped),
/// a doubled `close` read as one.
fn unquoted(text: &str, close: &str) -> String {
    let inside = text
        .get(1..text.len().saturating_sub(1))
        .unwrap_or_default();
    if close == "]" {
        inside.to_owned()
    } else {
        inside.replace(&close.repeat(2), close)
    }
}

/// Each token with the depth of parentheses it stands at: a `(` and its
/// `)` at the depth outside them, what is between them one deeper.
pub fn depths(tokens: &[Token]) -> impl Iterator<Item = (usize, &Token)> {
    let mut depth = 0usize;
    tokens.iter().map(move |token| {
        if token.is(")") {
            depth = depth.saturating_sub(1);
        }
        let at = depth;
        if token.is("(") {
            depth += 1;
        }
        (at, token)
    })
}

/// Splits `tokens` at the commas outside parentheses.
pub fn split_top_level(tokens: &[Token]) -> Vec<&[Token]> {
    let mut parts = Vec::new();
    let mut start = 0;
    for (i, (depth, token)) in depths(tokens).enumerate() {
        if depth == 0 && token.is(",") {
            parts.push(&tokens[start..i]);
            start = i + 1;
        }
    }
    parts.push(&tokens[start..]);
    parts
}

#[cfg(test)]
mod tests {
    use super::tokens;

    #[test]
    fn comments_go_literals_stay_opaque_and_quoted_names_are_unquoted() {
        let texts: Vec<(String, bool)> = tokens(
            "ALTER TABLE \"Users\" -- note\n ADD x TEXT DEFAULT 'a;b' /* c */;",
            crate::Dialect::Sqlite,
        )
        .into_iter()
        .map(|t| (t.text, t.literal))
        .collect();
        let expected = [
            ("alter", false),
            ("table", false),
            ("users", false),
            ("add", false),
            ("x", false),
            ("text", false),
            ("default", false),
            ("a;b", true),
            (";", false),
        ];
        assert_eq!(
            texts,
            expected.map(|(text, literal)| (text.to_owned(), literal))
        );
        let quoted = tokens(
            "ALTER TABLE \"Users\" RENAME TO users",
            crate::Dialect::Postgres,
        );
        assert_eq!(
            quoted[2].text, "Users",
            "PostgreSQL keeps a quoted name's case"
        );
        assert_ne!(quoted[2], quoted[5]);
        let body = tokens("SELECT $f$ DROP TABLE x $f$, $1", crate::Dialect::Postgres);
        assert!(body[1].literal, "{body:?}");
        assert_eq!(body[3].word(), Some("$1"), "a parameter is no dollar quote");
    }
}
