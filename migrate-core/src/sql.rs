//! SQL read as tokens, for the build-time checks that look at a statement's
//! shape (the replay's normal form of a schema object, the lints): comments
//! and whitespace dropped, identifier quotes removed, case folded outside
//! string literals, a string literal or a dollar-quoted body one opaque
//! token, punctuation one token each. Never used to run anything.

/// One token: a string literal as written, anything else lowercased with
/// identifier quotes removed. Two tokens are equal when their text and
/// literalness are: a quoted name equals the same name unquoted.
#[derive(Debug, Clone)]
pub struct Token {
    /// The text: lowercased unless `literal`.
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

/// The tokens of `sql`.
pub fn tokens(sql: &str) -> Vec<Token> {
    let chars: Vec<char> = sql.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let word = |text: String, quoted: bool| Token {
        text: text.to_lowercase(),
        literal: false,
        quoted,
    };
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '-' && chars.get(i + 1) == Some(&'-') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && chars.get(i + 1) == Some(&'*') {
            i += 2;
            while i < chars.len() && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
                i += 1;
            }
            i += 2;
        } else if matches!(c, '\'' | '"' | '`' | '[') {
            let close = if c == '[' { ']' } else { c };
            let mut text = String::new();
            i += 1;
            while i < chars.len() {
                if chars[i] == close {
                    if close != ']' && chars.get(i + 1) == Some(&close) {
                        text.push(close);
                        i += 2;
                        continue;
                    }
                    break;
                }
                text.push(chars[i]);
                i += 1;
            }
            i += 1;
            if c == '\'' {
                out.push(Token {
                    text,
                    literal: true,
                    quoted: false,
                });
            } else {
                out.push(word(text, true));
            }
        } else if c == '$'
            && let Some(end) = dollar_quote(&chars, i)
        {
            out.push(Token {
                text: chars[i..end].iter().collect(),
                literal: true,
                quoted: false,
            });
            i = end;
        } else if c.is_alphanumeric() || c == '_' || c == '$' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || matches!(chars[i], '_' | '$')) {
                i += 1;
            }
            out.push(word(chars[start..i].iter().collect(), false));
        } else {
            out.push(word(c.to_string(), false));
            i += 1;
        }
    }
    out
}

/// The end of a PostgreSQL `$tag$ … $tag$` body starting at `start`, if one
/// starts there (`$` then letters, digits or `_`, then `$`; a tag does not
/// start with a digit, so `$1` is not one).
fn dollar_quote(chars: &[char], start: usize) -> Option<usize> {
    let mut i = start + 1;
    if chars.get(i).is_some_and(char::is_ascii_digit) {
        return None;
    }
    while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
        i += 1;
    }
    if chars.get(i) != Some(&'$') {
        return None;
    }
    let tag = &chars[start..=i];
    let mut j = i + 1;
    while j + tag.len() <= chars.len() {
        if &chars[j..j + tag.len()] == tag {
            return Some(j + tag.len());
        }
        j += 1;
    }
    Some(chars.len())
}

/// Splits `tokens` at the commas outside parentheses.
pub fn split_top_level(tokens: &[Token]) -> Vec<&[Token]> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0usize, 0);
    for (i, token) in tokens.iter().enumerate() {
        if token.literal {
            continue;
        }
        match token.text.as_str() {
            "(" => depth += 1,
            ")" => depth = depth.saturating_sub(1),
            "," if depth == 0 => {
                parts.push(&tokens[start..i]);
                start = i + 1;
            }
            _ => {}
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
        let texts: Vec<(String, bool)> =
            tokens("ALTER TABLE \"Users\" -- note\n ADD x TEXT DEFAULT 'a;b' /* c */;")
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
        let body = tokens("SELECT $f$ DROP TABLE x $f$, $1");
        assert!(body[1].literal, "{body:?}");
        assert_eq!(body[3].word(), Some("$1"), "a parameter is no dollar quote");
    }
}
