//! The words of a statement, as the lints read it: comments dropped,
//! string literals kept as one opaque token, identifiers unquoted and
//! lowercased, punctuation one token each. Enough to recognise the shape of
//! a DDL statement; never used to run anything.

/// One token of a statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Word {
    /// A keyword or identifier, lowercased (a quoted identifier unquoted,
    /// its case kept).
    Name(String),
    /// A string literal or dollar-quoted body.
    Literal,
    /// One punctuation character: `(`, `)`, `,`, `.`, `;` …
    Punct(char),
}

impl Word {
    /// Whether this is the keyword or identifier `name` (lowercase).
    pub(crate) fn is(&self, name: &str) -> bool {
        matches!(self, Word::Name(n) if n == name)
    }

    pub(crate) fn name(&self) -> Option<&str> {
        match self {
            Word::Name(n) => Some(n),
            _ => None,
        }
    }
}

/// The tokens of `sql`.
pub(crate) fn words(sql: &str) -> Vec<Word> {
    let chars: Vec<char> = sql.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c.is_whitespace() {
            i += 1;
        } else if c == '-' && next == Some('-') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            i += 2;
            while i < chars.len() && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
                i += 1;
            }
            i += 2;
        } else if c == '\'' {
            i = closing(&chars, i + 1, '\'');
            out.push(Word::Literal);
        } else if c == '"' || c == '`' || c == '[' {
            let close = if c == '[' { ']' } else { c };
            let end = closing(&chars, i + 1, close);
            let inner: String = chars[i + 1..end.saturating_sub(1).max(i + 1)]
                .iter()
                .collect();
            out.push(Word::Name(inner));
            i = end;
        } else if c == '$'
            && let Some(end) = dollar_quote(&chars, i)
        {
            out.push(Word::Literal);
            i = end;
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '$')
            {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            out.push(Word::Name(word.to_lowercase()));
        } else {
            out.push(Word::Punct(c));
            i += 1;
        }
    }
    out
}

/// The index after the closing `quote` (a doubled quote is an escaped one).
fn closing(chars: &[char], mut i: usize, quote: char) -> usize {
    while i < chars.len() {
        if chars[i] == quote {
            if chars.get(i + 1) == Some(&quote) && quote != ']' {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i += 1;
    }
    chars.len()
}

/// The end of a `$tag$ … $tag$` body starting at `start`, if one starts there.
fn dollar_quote(chars: &[char], start: usize) -> Option<usize> {
    let mut i = start + 1;
    while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
        i += 1;
    }
    if chars.get(i) != Some(&'$') {
        return None;
    }
    let tag: Vec<char> = chars[start..=i].to_vec();
    let mut j = i + 1;
    while j + tag.len() <= chars.len() {
        if chars[j..j + tag.len()] == tag[..] {
            return Some(j + tag.len());
        }
        j += 1;
    }
    Some(chars.len())
}

#[cfg(test)]
mod tests {
    use super::{Word, words};

    #[test]
    fn comments_go_literals_stay_opaque_and_quoted_names_keep_their_case() {
        let w = words("ALTER TABLE \"Users\" -- note\n ADD x TEXT DEFAULT 'a;b' /* c */;");
        assert_eq!(
            w,
            [
                Word::Name("alter".into()),
                Word::Name("table".into()),
                Word::Name("Users".into()),
                Word::Name("add".into()),
                Word::Name("x".into()),
                Word::Name("text".into()),
                Word::Name("default".into()),
                Word::Literal,
                Word::Punct(';'),
            ]
        );
        assert_eq!(words("SELECT $f$ DROP TABLE x $f$")[1], Word::Literal);
    }
}
