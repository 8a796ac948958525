//! A MySQL or MariaDB database's schema read from `information_schema`:
//! its tables and views, columns (type, nullability, default, extra),
//! indexes, foreign keys and checks, routines and triggers, each described
//! as the server writes it. Columns are compared by name, as on PostgreSQL.

use std::collections::BTreeMap;

use mysql::Conn;
use mysql::prelude::Queryable;

use crate::catalog::Catalog;

/// (kind, name, parent, description) of every object of the current
/// database, one query each.
const OBJECTS: &[&str] = &[
    "SELECT IF(TABLE_TYPE = 'VIEW', 'view', 'table'), TABLE_NAME, '', \
            IF(TABLE_TYPE = 'VIEW', '', CONCAT_WS(' ', ENGINE, TABLE_COLLATION)) \
     FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()",
    "SELECT 'view definition', TABLE_NAME, TABLE_NAME, VIEW_DEFINITION \
     FROM information_schema.VIEWS WHERE TABLE_SCHEMA = DATABASE()",
    "SELECT 'column', CONCAT(TABLE_NAME, '.', COLUMN_NAME), TABLE_NAME, \
            CONCAT_WS(' ', COLUMN_TYPE, IF(IS_NULLABLE = 'NO', 'not null', NULL), \
                      CONCAT('default ', COLUMN_DEFAULT), NULLIF(EXTRA, ''), \
                      NULLIF(COLLATION_NAME, '')) \
     FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()",
    "SELECT 'index', CONCAT(TABLE_NAME, '.', INDEX_NAME), TABLE_NAME, \
            CONCAT(IF(NON_UNIQUE = 0, 'unique ', ''), INDEX_TYPE, ' (', \
                   GROUP_CONCAT(CONCAT(COLUMN_NAME, IFNULL(CONCAT('(', SUB_PART, ')'), '')) \
                                ORDER BY SEQ_IN_INDEX SEPARATOR ', '), ')') \
     FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() \
     GROUP BY TABLE_NAME, INDEX_NAME, NON_UNIQUE, INDEX_TYPE",
    "SELECT 'constraint', CONCAT(k.TABLE_NAME, '.', k.CONSTRAINT_NAME), k.TABLE_NAME, \
            CONCAT('foreign key (', GROUP_CONCAT(k.COLUMN_NAME ORDER BY k.ORDINAL_POSITION), \
                   ') references ', k.REFERENCED_TABLE_NAME, ' (', \
                   GROUP_CONCAT(k.REFERENCED_COLUMN_NAME ORDER BY k.ORDINAL_POSITION), \
                   ') on update ', r.UPDATE_RULE, ' on delete ', r.DELETE_RULE) \
     FROM information_schema.KEY_COLUMN_USAGE k \
     JOIN information_schema.REFERENTIAL_CONSTRAINTS r \
       ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME \
      AND r.TABLE_NAME = k.TABLE_NAME \
     WHERE k.TABLE_SCHEMA = DATABASE() AND k.REFERENCED_TABLE_NAME IS NOT NULL \
     GROUP BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.REFERENCED_TABLE_NAME, r.UPDATE_RULE, r.DELETE_RULE",
    "SELECT 'check', CONCAT(t.TABLE_NAME, '.', t.CONSTRAINT_NAME), t.TABLE_NAME, c.CHECK_CLAUSE \
     FROM information_schema.TABLE_CONSTRAINTS t \
     JOIN information_schema.CHECK_CONSTRAINTS c \
       ON c.CONSTRAINT_SCHEMA = t.CONSTRAINT_SCHEMA AND c.CONSTRAINT_NAME = t.CONSTRAINT_NAME \
     WHERE t.TABLE_SCHEMA = DATABASE() AND t.CONSTRAINT_TYPE = 'CHECK'",
    "SELECT LOWER(ROUTINE_TYPE), ROUTINE_NAME, '', \
            CONCAT_WS(' ', DTD_IDENTIFIER, ROUTINE_DEFINITION) \
     FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE()",
    "SELECT 'trigger', TRIGGER_NAME, EVENT_OBJECT_TABLE, \
            CONCAT_WS(' ', ACTION_TIMING, EVENT_MANIPULATION, ACTION_STATEMENT) \
     FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()",
];

/// One object: kind, name, parent, description (any may be `NULL`).
type Row = (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// Reads the schema of the database `conn` is in.
pub(super) fn read(conn: &mut Conn) -> Result<Catalog, mysql::Error> {
    objects(conn).map(Catalog::from)
}

/// Every object of the schema of the database `conn` is in: (kind, name)
/// → (the table it belongs to, or `""`; its description as the server
/// writes it).
///
/// # Errors
///
/// The server's, when `information_schema` cannot be read.
pub fn objects(
    conn: &mut Conn,
) -> Result<migrate_core::SchemaObjects<(String, String)>, mysql::Error> {
    conn.query_drop("SET SESSION group_concat_max_len = 1048576")?;
    let mut objects = BTreeMap::new();
    for query in OBJECTS {
        let rows: Vec<Row> = conn.query(*query)?;
        for (kind, name, parent, description) in rows {
            objects.insert(
                (kind.unwrap_or_default(), name.unwrap_or_default()),
                (parent.unwrap_or_default(), description.unwrap_or_default()),
            );
        }
    }
    Ok(objects)
}
