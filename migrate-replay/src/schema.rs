//! A snapshot of a database's schema, normalised, and the differences
//! between two snapshots said for a person.

use std::collections::BTreeMap;

use rusqlite::Connection;

/// Every object of `sqlite_master` (tables, indexes, views, triggers) by
/// type and name, with its SQL (compared normalised), and `PRAGMA user_version`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schema {
    objects: BTreeMap<(String, String), String>,
    user_version: i64,
}

/// The whole schema as one string built inside SQLite: equal fingerprints
/// mean equal schemas. Reading it costs one scan in C and one string, where
/// a full [`Schema`] costs a map entry per object — the replay compares
/// thousands of snapshots, so it compares fingerprints first.
///
/// Objects come in storage order; a Down that drops and makes an object
/// again moves it, so unequal fingerprints do not mean unequal schemas: the
/// full comparison decides then.
pub fn fingerprint(conn: &Connection) -> rusqlite::Result<String> {
    conn.prepare_cached(
        "SELECT coalesce(group_concat(type || char(1) || name || char(1) || coalesce(sql, ''), char(2)), '')
             || char(3) || (SELECT user_version FROM pragma_user_version)
         FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'",
    )?
    .query_row([], |row| row.get(0))
}

impl Schema {
    /// Reads the schema of `conn`'s main database.
    pub fn read(conn: &Connection) -> rusqlite::Result<Schema> {
        let mut statement = conn.prepare_cached(
            "SELECT type, name, coalesce(sql, '') FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'",
        )?;
        let mut rows = statement.query([])?;
        let mut objects = BTreeMap::new();
        while let Some(row) = rows.next()? {
            objects.insert((row.get(0)?, row.get(1)?), row.get(2)?);
        }
        let user_version = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        Ok(Schema {
            objects,
            user_version,
        })
    }

    /// What `after` has that `self` had not, what it lacks, and what changed,
    /// one sentence each (to follow "Down of 004_idx …").
    pub fn differences(&self, after: &Schema) -> Vec<String> {
        let mut out = Vec::new();
        for ((kind, name), sql) in &self.objects {
            match after.objects.get(&(kind.clone(), name.clone())) {
                None => out.push(format!(
                    "drops {kind} `{name}`, which existed before its Up"
                )),
                Some(other) if other != sql && normalise(other) != normalise(sql) => {
                    out.push(format!(
                        "leaves {kind} `{name}` changed: `{}` before its Up, `{}` after its Down",
                        normalise(sql),
                        normalise(other)
                    ))
                }
                Some(_) => {}
            }
        }
        for (kind, name) in after.objects.keys() {
            if !self.objects.contains_key(&(kind.clone(), name.clone())) {
                out.push(format!("leaves {kind} `{name}` behind"));
            }
        }
        if self.user_version != after.user_version {
            out.push(format!(
                "leaves `PRAGMA user_version` at {}, not {}",
                after.user_version, self.user_version
            ));
        }
        out
    }
}

/// SQL with whitespace runs made single spaces, and none inside parentheses'
/// edges or before commas, so that SQLite's rewrites of `ALTER TABLE … ADD`
/// and `DROP COLUMN` compare equal to the original text; and plain
/// identifiers unquoted, because `ALTER TABLE … RENAME TO t` stores `"t"`.
fn normalise(sql: &str) -> String {
    let sql = unquote_identifiers(sql);
    let mut out = String::with_capacity(sql.len());
    let mut pending_space = false;
    for c in sql.chars() {
        if c.is_whitespace() {
            pending_space = true;
            continue;
        }
        if pending_space && !out.is_empty() && !out.ends_with('(') && c != ')' && c != ',' {
            out.push(' ');
        }
        pending_space = false;
        out.push(c);
    }
    out
}

/// `"users"` and `` `users` `` become `users`; quotes around anything that is
/// not a plain identifier stay, and so does every `'…'` string.
fn unquote_identifiers(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut rest = sql;
    while let Some(at) = rest.find(['"', '`', '\'']) {
        let quote = rest[at..].chars().next().unwrap_or('"');
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let Some(end) = after.find(quote) else {
            out.push_str(&rest[at..]);
            return out;
        };
        let inner = &after[..end];
        let plain = quote != '\''
            && inner
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && inner.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if plain {
            out.push_str(inner);
        } else {
            out.push(quote);
            out.push_str(inner);
            out.push(quote);
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::normalise;

    #[test]
    fn normalise_ignores_layout() {
        assert_eq!(
            normalise("CREATE TABLE a (\n    x INT ,\n    y INT\n)"),
            normalise("CREATE TABLE a (x INT, y INT)")
        );
        assert_ne!(
            normalise("CREATE TABLE a (x INT)"),
            normalise("CREATE TABLE a (y INT)")
        );
    }
}
