//! Migration-path tests on MySQL and MariaDB: fresh databases made as the
//! build-time replay makes them, and their schema read as it reads it.

use std::collections::BTreeMap;

use migrate_core::SchemaObjects;
use migrate_replay::MysqlScratch;
use mysql::Conn;
use mysql::prelude::Queryable;

use super::inspect::{Fresh, Inspect};
use super::{Failure, MigrationTest};
use crate::Migrations;

/// Fresh databases on a MySQL or MariaDB server, each dropped when the
/// next is made or this is dropped (by the build-time replay's own scratch
/// databases: a test process killed before its end leaves databases the
/// next one drops).
pub struct MysqlDatabases {
    url: String,
    current: Option<MysqlScratch>,
}

impl MysqlDatabases {
    /// The server at `url` (`mysql://user@host:3306`; the user may create
    /// and drop databases; the password from `MYSQL_PWD` when the URL has
    /// none).
    pub fn new(url: &str) -> MysqlDatabases {
        MysqlDatabases {
            url: url.to_owned(),
            current: None,
        }
    }
}

impl Fresh for MysqlDatabases {
    type Conn = Conn;

    fn fresh(&mut self) -> Result<Conn, Failure> {
        self.current = None;
        let scratch = MysqlScratch::create(&self.url).map_err(Failure::database)?;
        let conn = scratch.connect().map_err(Failure::database);
        self.current = Some(scratch);
        conn
    }
}

impl<'m> MigrationTest<'m, '_, MysqlDatabases> {
    /// A test on fresh databases of the MySQL or MariaDB server at `url`,
    /// each created and dropped after (the user needs the right to).
    pub fn mysql(migrations: &'m Migrations, url: &str) -> Self {
        Self::on(migrations, MysqlDatabases::new(url))
    }
}

impl Inspect for Conn {
    fn schema(&mut self, own: &[String]) -> Result<SchemaObjects<String>, Failure> {
        let objects = migrate_replay::mysql_schema_objects(self).map_err(Failure::database)?;
        Ok(objects
            .into_iter()
            // The runtime's own tables, and what belongs to them.
            .filter(|((kind, name), (parent, _))| {
                let ours = own.contains(parent) || (kind == "table" && own.contains(name));
                !ours
            })
            .map(|(key, (_, description))| {
                let line = description.split_whitespace().collect::<Vec<_>>().join(" ");
                (key, line)
            })
            .collect())
    }

    fn row_counts(&mut self, own: &[String]) -> Result<BTreeMap<String, i64>, Failure> {
        let tables: Vec<String> = self
            .query(
                "SELECT TABLE_NAME FROM information_schema.TABLES \
                 WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'",
            )
            .map_err(Failure::database)?;
        let mut counts = BTreeMap::new();
        for table in tables.into_iter().filter(|t| !own.contains(t)) {
            let sql = format!("SELECT COUNT(*) FROM `{}`", table.replace('`', "``"));
            let rows: Option<i64> = self.query_first(sql).map_err(Failure::database)?;
            counts.insert(table, rows.unwrap_or(0));
        }
        Ok(counts)
    }
}
