//! The history table's name, validated once so that no backend ever splices
//! an unchecked string into SQL.

use std::fmt;

use crate::{Error, Result};

/// A validated history table name: `name` or `schema.name`, each part
/// letters, digits and `_`, not starting with a digit (at most 63 bytes,
/// PostgreSQL's limit).
///
/// The only way to get one is [`TableName::new`], so every SQL text a
/// [`Backend`](crate::Backend) builds from it is safe to quote.
///
/// ```
/// use migrate_runtime::TableName;
///
/// let table = TableName::new("app.schema_migrations")?;
/// assert_eq!(table.schema(), Some("app"));
/// assert_eq!(table.name(), "schema_migrations");
/// assert_eq!(table.quoted(), r#""app"."schema_migrations""#);
/// assert!(TableName::new(r#"x"; DROP TABLE users; --"#).is_err());
/// # Ok::<(), migrate_runtime::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TableName {
    schema: Option<String>,
    name: String,
}

/// The name of the lock table beside the history table `history`
/// (PostgreSQL's lease row): `<history>_lock`.
#[cfg_attr(
    not(any(
        feature = "postgres",
        feature = "tokio-postgres",
        feature = "sqlx-postgres",
        feature = "testing"
    )),
    allow(dead_code)
)]
pub(crate) fn lock_table_name(history: &str) -> String {
    format!("{history}_lock")
}

impl TableName {
    /// Checks `text` (`name` or `schema.name`).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidTableName`] when a part is empty, too long, or has a
    /// character other than ASCII letters, digits and `_`, or starts with a
    /// digit.
    pub fn new(text: &str) -> Result<TableName> {
        let invalid = || Error::InvalidTableName(text.to_owned());
        let (schema, name) = match text.split_once('.') {
            Some((schema, name)) => (Some(schema), name),
            None => (None, text),
        };
        if !schema.is_none_or(is_identifier) || !is_identifier(name) {
            return Err(invalid());
        }
        Ok(TableName {
            schema: schema.map(str::to_owned),
            name: name.to_owned(),
        })
    }

    /// `name` in `schema` (`None`: unqualified), checked as [`new`](TableName::new) checks.
    ///
    /// # Errors
    ///
    /// As [`new`](TableName::new).
    pub fn in_schema(schema: Option<&str>, name: &str) -> Result<TableName> {
        match schema {
            Some(schema) => TableName::new(&format!("{schema}.{name}")),
            None => TableName::new(name),
        }
    }

    /// The schema, when the name was qualified.
    pub fn schema(&self) -> Option<&str> {
        self.schema.as_deref()
    }

    /// The table's own name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The name quoted for SQL: `"name"` or `"schema"."name"`.
    pub fn quoted(&self) -> String {
        match &self.schema {
            Some(schema) => format!("\"{schema}\".\"{}\"", self.name),
            None => format!("\"{}\"", self.name),
        }
    }

    /// The name quoted for MySQL and MariaDB: `` `name` `` or
    /// `` `schema`.`name` `` (the schema is the database there).
    pub fn backquoted(&self) -> String {
        match &self.schema {
            Some(schema) => format!("`{schema}`.`{}`", self.name),
            None => format!("`{}`", self.name),
        }
    }
}

impl fmt::Display for TableName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.schema {
            Some(schema) => write!(f, "{schema}.{}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

fn is_identifier(part: &str) -> bool {
    let mut bytes = part.bytes();
    part.len() <= 63
        && bytes
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::TableName;

    #[test]
    fn only_plain_identifiers_pass() {
        for good in ["schema_migrations", "_t", "a1", "app.history", "A.B_2"] {
            assert!(TableName::new(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "1a",
            "a-b",
            "a b",
            "a.b.c",
            ".a",
            "a.",
            "x\"; DROP TABLE users; --",
            "é",
            &"a".repeat(64),
        ] {
            assert!(TableName::new(bad).is_err(), "{bad}");
        }
    }
}
