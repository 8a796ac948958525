//! A position in a statement's words, and the reading the rules share.

use crate::sql::{Token, depths, split_top_level};

/// A position in a statement's words.
pub(super) struct Cursor<'w> {
    pub(super) words: &'w [Token],
    pub(super) i: usize,
}

impl<'w> Cursor<'w> {
    pub(super) fn done(&self) -> bool {
        self.i >= self.words.len()
    }

    pub(super) fn peek_name(&self) -> Option<&'w str> {
        self.words.get(self.i).and_then(Token::word)
    }

    /// The next word when it is a keyword (not a quoted name).
    pub(super) fn peek_keyword(&self) -> Option<&'w str> {
        self.words
            .get(self.i)
            .filter(|word| !word.quoted)
            .and_then(Token::word)
    }

    pub(super) fn peek_is(&self, name: &str) -> bool {
        self.words.get(self.i).is_some_and(|w| w.is(name))
    }

    /// Moves past `name` when it is next.
    pub(super) fn eat(&mut self, name: &str) -> bool {
        let found = self.peek_is(name);
        if found {
            self.i += 1;
        }
        found
    }

    /// Moves past all of `names` when they come next, in order.
    pub(super) fn eat_all(&mut self, names: &[&str]) -> bool {
        let found = names
            .iter()
            .enumerate()
            .all(|(k, name)| self.words.get(self.i + k).is_some_and(|w| w.is(name)));
        if found {
            self.i += names.len();
        }
        found
    }

    /// A possibly qualified name; PostgreSQL's `public.` is dropped.
    pub(super) fn name(&mut self, postgres: bool) -> Option<String> {
        let mut name = self.peek_name()?.to_owned();
        self.i += 1;
        while self.eat(".") {
            let Some(next) = self.peek_name() else { break };
            name = format!("{name}.{next}");
            self.i += 1;
        }
        if postgres && let Some(rest) = name.strip_prefix("public.") {
            name = rest.to_owned();
        }
        Some(name)
    }

    /// The rest of the statement (without its `;`) split at the commas
    /// outside parentheses: the actions of an `ALTER TABLE`.
    pub(super) fn actions(&self) -> Vec<&'w [Token]> {
        let mut rest = &self.words[self.i.min(self.words.len())..];
        if let [before @ .., last] = rest
            && last.is(";")
        {
            rest = before;
        }
        let mut out = split_top_level(rest);
        out.retain(|action| !action.is_empty());
        out
    }
}

/// Whether the keyword `name` stands in `words` outside parentheses.
pub(super) fn top_level_has(words: &[Token], name: &str) -> bool {
    depths(words).any(|(depth, word)| depth == 0 && word.is(name))
}

/// Whether `words` reuse an existing index (`USING INDEX name`), not only
/// place the new one (`USING INDEX TABLESPACE ts`).
pub(super) fn uses_existing_index(words: &[Token]) -> bool {
    words
        .windows(3)
        .any(|w| w[0].is("using") && w[1].is("index") && !w[2].is("tablespace"))
}
