//! Two definitions of a table compared as SQLite reads them: each is created
//! on a scratch in-memory database and described by `table_xinfo`,
//! `foreign_key_list`, `index_list`/`index_xinfo`, and for what only the text
//! holds (column collations, `CHECK`, generated columns, `AUTOINCREMENT`,
//! `STRICT`/`WITHOUT ROWID`) the token-level normal form. A Down that
//! rebuilds a table by hand often writes the same table differently
//! (`PRIMARY KEY (id)` for `id … PRIMARY KEY`, a column's `REFERENCES` for a
//! table's `FOREIGN KEY`): that is no difference. What is one is said column
//! by column.

use rusqlite::Connection;

use crate::normal::Normal;

/// One column as `table_xinfo` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Column {
    name: String,
    kind: String,
    not_null: bool,
    /// The default as SQLite keeps it, e.g. `'x'` or `FALSE`.
    default: Option<String>,
    primary_key: i64,
    hidden: i64,
}

impl Column {
    fn same(&self, other: &Column) -> bool {
        self.name.eq_ignore_ascii_case(&other.name)
            && self.kind.eq_ignore_ascii_case(&other.kind)
            && self.not_null == other.not_null
            && self.default.as_deref().map(Normal::of_value)
                == other.default.as_deref().map(Normal::of_value)
            && self.primary_key == other.primary_key
            && self.hidden == other.hidden
    }

    /// `TEXT NOT NULL DEFAULT 'x'`, as a message shows the column.
    fn described(&self) -> String {
        let mut out = self.kind.clone();
        if self.primary_key > 0 {
            out.push_str(" PRIMARY KEY");
        }
        if self.not_null {
            out.push_str(" NOT NULL");
        }
        if let Some(default) = &self.default {
            out.push_str(" DEFAULT ");
            out.push_str(default);
        }
        out.trim_start().to_owned()
    }
}

/// A table as SQLite reads it.
#[derive(Debug)]
struct Description {
    columns: Vec<Column>,
    foreign_keys: Vec<Vec<String>>,
    indexes: Vec<Vec<String>>,
    /// What only the text holds.
    textual: Vec<String>,
}

/// `None` when the two definitions make the same table; otherwise what
/// differs, for a person. `Err` when SQLite refuses one of them on a
/// scratch database (the caller then compares the text).
pub fn compare(before: &str, after: &str) -> rusqlite::Result<Option<String>> {
    let (a, b) = (describe(before)?, describe(after)?);
    let mut out = Vec::new();
    let by_name = |columns: &[Column], name: &str| -> Option<usize> {
        columns
            .iter()
            .position(|c| c.name.eq_ignore_ascii_case(name))
    };
    for column in &a.columns {
        match by_name(&b.columns, &column.name) {
            None => out.push(format!("column `{}` is gone", column.name)),
            Some(at) if !column.same(&b.columns[at]) => out.push(format!(
                "column `{}` is `{}` before its Up, `{}` after its Down",
                column.name,
                column.described(),
                b.columns[at].described()
            )),
            Some(_) => {}
        }
    }
    for column in &b.columns {
        if by_name(&a.columns, &column.name).is_none() {
            out.push(format!("column `{}` is new", column.name));
        }
    }
    let same_columns = out.is_empty();
    if same_columns {
        let order = |d: &Description| -> Vec<String> {
            d.columns.iter().map(|c| c.name.to_lowercase()).collect()
        };
        if order(&a) != order(&b) {
            out.push(format!(
                "its columns are in another order: ({}) before its Up, ({}) after its Down",
                order(&a).join(", "),
                order(&b).join(", ")
            ));
        }
    }
    if a.foreign_keys != b.foreign_keys {
        out.push("its foreign keys differ".to_owned());
    }
    if a.indexes != b.indexes {
        out.push("its primary key or unique constraints differ".to_owned());
    }
    if a.textual != b.textual {
        out.push(
            "its collations, CHECK constraints, generated columns or table options differ"
                .to_owned(),
        );
    }
    Ok((!out.is_empty()).then(|| out.join("; ")))
}

/// Creates the table on a scratch database and reads what SQLite reports.
fn describe(sql: &str) -> rusqlite::Result<Description> {
    let conn = Connection::open_in_memory()?;
    conn.execute_batch(sql)?;
    let table: String = conn.query_row(
        "SELECT name FROM sqlite_master WHERE type = 'table'",
        [],
        |r| r.get(0),
    )?;
    let quoted = format!("\"{}\"", table.replace('"', "\"\""));
    let columns = rows(&conn, &format!("PRAGMA table_xinfo({quoted})"), |r| {
        Ok(Column {
            name: r.get(1)?,
            kind: r
                .get::<_, String>(2)?
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" "),
            not_null: r.get::<_, i64>(3)? != 0,
            default: r.get(4)?,
            primary_key: r.get(5)?,
            hidden: r.get(6)?,
        })
    })?;
    // Foreign keys as SQLite reports them: parent, columns, actions, match.
    let mut foreign_keys = rows(&conn, &format!("PRAGMA foreign_key_list({quoted})"), |r| {
        let field = |i: usize| -> rusqlite::Result<String> {
            Ok(r.get::<_, Option<String>>(i)?
                .unwrap_or_default()
                .to_lowercase())
        };
        Ok(vec![
            field(2)?,
            field(3)?,
            field(4)?,
            field(5)?,
            field(6)?,
            field(7)?,
        ])
    })?;
    foreign_keys.sort();
    let index_names = rows(&conn, &format!("PRAGMA index_list({quoted})"), |r| {
        Ok((
            r.get::<_, String>(1)?,
            format!(
                "{}{}{}",
                r.get::<_, i64>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, i64>(4)?
            ),
        ))
    })?;
    let mut indexes = Vec::new();
    for (name, shape) in index_names {
        let quoted = format!("\"{}\"", name.replace('"', "\"\""));
        let mut index = vec![shape];
        index.extend(rows(
            &conn,
            &format!("PRAGMA index_xinfo({quoted})"),
            |r| {
                Ok(format!(
                    "{}:{}:{}:{}",
                    r.get::<_, Option<String>>(2)?
                        .unwrap_or_default()
                        .to_lowercase(),
                    r.get::<_, i64>(3)?,
                    r.get::<_, Option<String>>(4)?
                        .unwrap_or_default()
                        .to_lowercase(),
                    r.get::<_, i64>(5)?
                ))
            },
        )?);
        indexes.push(index);
    }
    indexes.sort();
    Ok(Description {
        columns,
        foreign_keys,
        indexes,
        textual: Normal::of(sql).textual(),
    })
}

fn rows<T>(
    conn: &Connection,
    sql: &str,
    row: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<Vec<T>> {
    let mut statement = conn.prepare(sql)?;
    let found = statement.query_map([], row)?;
    found.collect()
}

#[cfg(test)]
mod tests {
    use super::compare;

    #[test]
    fn the_same_table_written_differently_is_the_same() {
        let same = |a: &str, b: &str| compare(a, b).expect("valid SQL");
        assert_eq!(
            same(
                "CREATE TABLE t (id TEXT NOT NULL PRIMARY KEY, u TEXT REFERENCES users(id), e TEXT UNIQUE)",
                "CREATE TABLE t (id TEXT NOT NULL, u TEXT, e TEXT, PRIMARY KEY (id), \
                 FOREIGN KEY (u) REFERENCES users (id), UNIQUE (e))"
            ),
            None
        );
    }

    #[test]
    fn a_difference_is_said_column_by_column() {
        let said = compare(
            "CREATE TABLE users (id TEXT PRIMARY KEY, last_name TEXT, n INT DEFAULT 0)",
            "CREATE TABLE users (id TEXT PRIMARY KEY, last_name TEXT NOT NULL, n INT DEFAULT 1)",
        )
        .expect("valid SQL");
        assert_eq!(
            said.as_deref(),
            Some(
                "column `last_name` is `TEXT` before its Up, `TEXT NOT NULL` after its Down; \
                 column `n` is `INT DEFAULT 0` before its Up, `INT DEFAULT 1` after its Down"
            )
        );
        let order = compare(
            "CREATE TABLE t (a INT, b INT)",
            "CREATE TABLE t (b INT, a INT)",
        )
        .expect("valid SQL");
        assert_eq!(
            order.as_deref(),
            Some("its columns are in another order: (a, b) before its Up, (b, a) after its Down")
        );
        let collation = compare(
            "CREATE TABLE t (a TEXT COLLATE NOCASE)",
            "CREATE TABLE t (a TEXT)",
        )
        .expect("valid SQL");
        assert!(collation.is_some_and(|s| s.contains("collations")));
        let same_default = compare(
            "CREATE TABLE t (a BOOLEAN NOT NULL DEFAULT FALSE)",
            "CREATE TABLE t (a BOOLEAN DEFAULT 0 NOT NULL)",
        )
        .expect("valid SQL");
        assert_eq!(same_default, None);
        let cascade = compare(
            "CREATE TABLE t (u TEXT REFERENCES users ON DELETE CASCADE)",
            "CREATE TABLE t (u TEXT REFERENCES users)",
        )
        .expect("valid SQL");
        assert_eq!(cascade.as_deref(), Some("its foreign keys differ"));
    }
}
