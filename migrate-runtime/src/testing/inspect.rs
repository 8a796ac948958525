//! The databases a migration-path test runs on, and what it reads of them:
//! the schema (to compare around a Down) and each table's rows (to see
//! seeded rows survive).

use std::collections::BTreeMap;

use migrate_core::SchemaObjects;

use super::Failure;
use crate::Backend;

/// What a test reads of a database.
pub trait Inspect: Backend {
    /// The schema: each object (a table, a column, an index, a constraint
    /// …) by kind and name, with its definition on one line, without the
    /// runtime's own tables `own`.
    ///
    /// # Errors
    ///
    /// [`Failure::Database`] when the catalog cannot be read.
    fn schema(&mut self, own: &[String]) -> Result<SchemaObjects<String>, Failure>;

    /// Each table's number of rows, without the runtime's own tables.
    ///
    /// # Errors
    ///
    /// [`Failure::Database`] when a table cannot be counted.
    fn row_counts(&mut self, own: &[String]) -> Result<BTreeMap<String, i64>, Failure>;
}

/// Makes a fresh, empty database for each walk or path.
pub trait Fresh {
    /// The connection the migrations, seeds and checks use.
    type Conn: Inspect;

    /// A new empty database.
    ///
    /// # Errors
    ///
    /// [`Failure::Database`] when it cannot be made.
    fn fresh(&mut self) -> Result<Self::Conn, Failure>;
}

/// What `after` (the schema after a Down) lacks, has more or has changed
/// against `before`, said as the build-time replay says it.
pub(super) fn differences(
    before: &SchemaObjects<String>,
    after: &SchemaObjects<String>,
) -> Vec<String> {
    migrate_core::schema_differences(
        before,
        after,
        |_| false,
        |kind, name, was, now| {
            (was != now)
                .then(|| migrate_core::schema_diff::changed(kind, name, "changed", was, now))
        },
    )
}

/// `text` on one line, its whitespace collapsed.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(feature = "sqlite")]
pub use sqlite::SqliteFiles;

#[cfg(feature = "sqlite")]
mod sqlite {
    use std::collections::BTreeMap;

    use migrate_core::SchemaObjects;
    use rusqlite::Connection;

    use super::{Failure, Fresh, Inspect, one_line};

    /// Fresh SQLite files in a temporary directory, removed with it.
    pub struct SqliteFiles {
        dir: tempfile::TempDir,
        made: u32,
    }

    impl SqliteFiles {
        /// A new temporary directory.
        ///
        /// # Errors
        ///
        /// [`Failure::Database`] when it cannot be made.
        pub fn new() -> Result<SqliteFiles, Failure> {
            let dir = tempfile::tempdir().map_err(Failure::database)?;
            Ok(SqliteFiles { dir, made: 0 })
        }
    }

    impl Fresh for SqliteFiles {
        type Conn = Connection;

        fn fresh(&mut self) -> Result<Connection, Failure> {
            self.made += 1;
            let path = self.dir.path().join(format!("test-{}.db", self.made));
            Connection::open(path).map_err(Failure::database)
        }
    }

    impl Inspect for Connection {
        fn schema(&mut self, own: &[String]) -> Result<SchemaObjects<String>, Failure> {
            let mut statement = self
                .prepare("SELECT type, name, coalesce(sql, '') FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name")
                .map_err(Failure::database)?;
            let rows = statement
                .query_map([], |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, String>(2)?,
                    ))
                })
                .map_err(Failure::database)?;
            let mut objects = SchemaObjects::new();
            for row in rows {
                let (kind, name, sql) = row.map_err(Failure::database)?;
                if !own.contains(&name) {
                    objects.insert((kind, name), one_line(&sql));
                }
            }
            Ok(objects)
        }

        fn row_counts(&mut self, own: &[String]) -> Result<BTreeMap<String, i64>, Failure> {
            let tables: Vec<String> = {
                let mut statement = self
                    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
                    .map_err(Failure::database)?;
                let names = statement
                    .query_map([], |row| row.get(0))
                    .map_err(Failure::database)?;
                names.collect::<Result<_, _>>().map_err(Failure::database)?
            };
            let mut counts = BTreeMap::new();
            for table in tables.into_iter().filter(|t| !own.contains(t)) {
                let sql = format!("SELECT count(*) FROM \"{}\"", table.replace('"', "\"\""));
                let rows: i64 = self
                    .query_row(&sql, [], |row| row.get(0))
                    .map_err(Failure::database)?;
                counts.insert(table, rows);
            }
            Ok(counts)
        }
    }
}

#[cfg(feature = "postgres")]
pub use postgres::PostgresDatabases;

#[cfg(feature = "postgres")]
mod postgres {
    use std::collections::BTreeMap;

    use migrate_core::SchemaObjects;
    use migrate_replay::{Scratch, ServerAddress};
    use postgres::Client;

    use super::{Failure, Fresh, Inspect, one_line};

    /// Fresh databases on a PostgreSQL server, each created from
    /// `template0` and dropped when the next is made or this is dropped
    /// (by `migrate_replay::Scratch`, the build-time replay's own: a test
    /// process killed before its end leaves databases the next one drops).
    pub struct PostgresDatabases {
        address: ServerAddress,
        current: Option<Scratch>,
    }

    impl PostgresDatabases {
        /// The server at `url` (its database creates and drops the test
        /// databases); TLS as libpq reads it from the URL (`sslmode`,
        /// `sslrootcert`, `sslcert`, `sslkey`).
        ///
        /// # Errors
        ///
        /// [`Failure::Database`] when the URL cannot be read, or a TLS
        /// file it names cannot.
        pub fn new(url: &str) -> Result<PostgresDatabases, Failure> {
            let address = ServerAddress::parse(url).map_err(Failure::database)?;
            Ok(PostgresDatabases {
                address,
                current: None,
            })
        }
    }

    impl Fresh for PostgresDatabases {
        type Conn = Client;

        fn fresh(&mut self) -> Result<Client, Failure> {
            self.current = None;
            let scratch = Scratch::create(&self.address).map_err(Failure::database)?;
            let client = self
                .address
                .with_database(scratch.name())
                .connect()
                .map_err(Failure::database);
            self.current = Some(scratch);
            client
        }
    }

    /// The user's schemas.
    const USER: &str = "n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'";

    impl Inspect for Client {
        fn schema(&mut self, own: &[String]) -> Result<SchemaObjects<String>, Failure> {
            let sql = format!(
                "SELECT c.relname::text, 'column', n.nspname || '.' || c.relname || '.' || a.attname, \
                        format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END \
                        || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '') \
                 FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
                 LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
                 WHERE {USER} AND c.relkind IN ('r', 'p', 'v', 'm') AND a.attnum > 0 AND NOT a.attisdropped \
                 UNION ALL \
                 SELECT c.relname::text, 'constraint', n.nspname || '.' || c.relname || '.' || con.conname, pg_get_constraintdef(con.oid) \
                 FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {USER} \
                 UNION ALL \
                 SELECT t.relname::text, 'index', n.nspname || '.' || ic.relname, pg_get_indexdef(i.indexrelid) \
                 FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid JOIN pg_class ic ON ic.oid = i.indexrelid \
                 JOIN pg_namespace n ON n.oid = t.relnamespace WHERE {USER} \
                 UNION ALL \
                 SELECT c.relname::text, 'view', n.nspname || '.' || c.relname, pg_get_viewdef(c.oid) \
                 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {USER} AND c.relkind IN ('v', 'm') \
                 UNION ALL \
                 SELECT t.relname::text, 'trigger', n.nspname || '.' || t.relname || '.' || tg.tgname, pg_get_triggerdef(tg.oid) \
                 FROM pg_trigger tg JOIN pg_class t ON t.oid = tg.tgrelid JOIN pg_namespace n ON n.oid = t.relnamespace \
                 WHERE {USER} AND NOT tg.tgisinternal"
            );
            let rows = self.query(&sql, &[]).map_err(Failure::database)?;
            let mut objects = SchemaObjects::new();
            for row in &rows {
                let text = |i: usize| row.try_get::<_, String>(i).map_err(Failure::database);
                if !own.contains(&text(0)?) {
                    objects.insert((text(1)?, text(2)?), one_line(&text(3)?));
                }
            }
            Ok(objects)
        }

        fn row_counts(&mut self, own: &[String]) -> Result<BTreeMap<String, i64>, Failure> {
            let sql = format!(
                "SELECT n.nspname::text, c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE {USER} AND c.relkind IN ('r', 'p')"
            );
            let tables: Vec<(String, String)> = self
                .query(&sql, &[])
                .map_err(Failure::database)?
                .iter()
                .map(|row| (row.get(0), row.get(1)))
                .filter(|(_, table): &(String, String)| !own.contains(table))
                .collect();
            let mut counts = BTreeMap::new();
            for (schema, table) in tables {
                let quoted = |name: &str| format!("\"{}\"", name.replace('"', "\"\""));
                let sql = format!(
                    "SELECT count(*) FROM {}.{}",
                    quoted(&schema),
                    quoted(&table)
                );
                let rows: i64 = self.query_one(&sql, &[]).map_err(Failure::database)?.get(0);
                counts.insert(format!("{schema}.{table}"), rows);
            }
            Ok(counts)
        }
    }
}
