//! A snapshot of a database's schema, normalised, and the differences
//! between two snapshots said for a person.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use rusqlite::Connection;
use rusqlite::hooks::{AuthAction, AuthContext, Authorization};

use crate::normal::{Normal, collapsed};
use migrate_core::schema_diff::changed;
use migrate_core::{SchemaObjects, schema_differences};

/// Every object of `sqlite_master` (tables, indexes, views, triggers) by
/// type and name, with its SQL (compared in its token-level normal form,
/// see [`Normal`]), and `PRAGMA user_version`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schema {
    objects: SchemaObjects<String>,
    user_version: i64,
}

/// The schema of the replayed database, kept up to date from what each
/// section touched, so that comparing the schema around a migration costs
/// what the migration changed, not the size of the whole schema.
///
/// An authorizer on the connection collects the names every statement
/// creates, drops or alters. The objects those names are or belong to
/// (a table's indexes and triggers) are the only ones a section can have
/// changed; new objects get a `sqlite_master` rowid above the largest one
/// seen. `ALTER TABLE` (whose renames rewrite other objects' SQL) or
/// `PRAGMA writable_schema` (direct writes to the schema table) makes the
/// next comparison read the whole schema.
pub struct Tracker {
    /// Every object by its `sqlite_master` rowid.
    rows: BTreeMap<i64, Object>,
    /// Lowercase name or table name → the rowids of the objects it names or
    /// belongs to.
    by_name: HashMap<String, BTreeSet<i64>>,
    max_rowid: i64,
    user_version: i64,
    touched: Arc<Mutex<Touched>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Object {
    kind: String,
    name: String,
    table: String,
    sql: String,
}

/// What the statements since the last [`Tracker::start`] touched.
#[derive(Debug, Default)]
struct Touched {
    names: BTreeSet<String>,
    everything: bool,
}

/// Every object of the schema.
const ALL: &str = "SELECT rowid, type, name, tbl_name, coalesce(sql, '') FROM sqlite_master \
                   WHERE name NOT LIKE 'sqlite_%'";
/// The objects above a rowid: the new ones.
const ABOVE: &str = "SELECT rowid, type, name, tbl_name, coalesce(sql, '') FROM sqlite_master \
                     WHERE rowid > ?1 AND name NOT LIKE 'sqlite_%'";
/// The object at a rowid.
const AT: &str = "SELECT rowid, type, name, tbl_name, coalesce(sql, '') FROM sqlite_master \
                  WHERE rowid = ?1 AND name NOT LIKE 'sqlite_%'";

impl Tracker {
    /// Reads the whole schema of `conn` and watches its statements from now on.
    pub fn new(conn: &Connection) -> rusqlite::Result<Tracker> {
        let touched = Arc::new(Mutex::new(Touched::default()));
        let sink = Arc::clone(&touched);
        conn.authorizer(Some(move |context: AuthContext<'_>| {
            if let Ok(mut touched) = sink.lock() {
                touched.note(context.action);
            }
            Authorization::Allow
        }));
        let mut tracker = Tracker {
            rows: BTreeMap::new(),
            by_name: HashMap::new(),
            max_rowid: 0,
            user_version: 0,
            touched,
        };
        tracker.read_all(conn)?;
        Ok(tracker)
    }

    /// Forgets what was touched: what runs next is what [`before`](Tracker::before)
    /// and [`now`](Tracker::now) compare.
    pub fn start(&self) {
        if let Ok(mut touched) = self.touched.lock() {
            *touched = Touched::default();
        }
    }

    /// The rowids of the objects the statements since `start` may have
    /// changed, as the tracker knows them; `None` when anything may have.
    fn affected(&self) -> Option<BTreeSet<i64>> {
        let touched = self.touched.lock().ok()?;
        if touched.everything {
            return None;
        }
        Some(
            touched
                .names
                .iter()
                .filter_map(|name| self.by_name.get(name))
                .flatten()
                .copied()
                .collect(),
        )
    }

    /// The objects the statements since `start` may have changed, as they
    /// were at `start` (the state the tracker holds).
    pub fn before(&self) -> Schema {
        let objects = match self.affected() {
            Some(rowids) => rowids
                .iter()
                .filter_map(|rowid| self.rows.get(rowid))
                .map(Object::entry)
                .collect(),
            None => self.rows.values().map(Object::entry).collect(),
        };
        Schema {
            objects,
            user_version: self.user_version,
        }
    }

    /// The same objects as [`before`](Tracker::before), and any new one, as
    /// they are now in `conn`.
    pub fn now(&self, conn: &Connection) -> rusqlite::Result<Schema> {
        let rows = match self.affected() {
            Some(rowids) => self.read_changed(conn, &rowids)?,
            None => read_rows(conn, ALL, [])?,
        };
        Ok(Schema {
            objects: rows.into_iter().map(|(_, o)| o.entry()).collect(),
            user_version: user_version(conn)?,
        })
    }

    /// Takes the current state of `conn` as known, for what was touched
    /// since `start`.
    pub fn refresh(&mut self, conn: &Connection) -> rusqlite::Result<()> {
        let Some(rowids) = self.affected() else {
            return self.read_all(conn);
        };
        for rowid in &rowids {
            self.forget(*rowid);
        }
        for (rowid, object) in self.read_changed(conn, &rowids)? {
            self.remember(rowid, object);
        }
        self.user_version = user_version(conn)?;
        self.start();
        Ok(())
    }

    /// The rows now at `rowids`, and every row above the largest rowid known.
    fn read_changed(
        &self,
        conn: &Connection,
        rowids: &BTreeSet<i64>,
    ) -> rusqlite::Result<Vec<(i64, Object)>> {
        let mut rows = read_rows(conn, ABOVE, [self.max_rowid])?;
        for rowid in rowids {
            rows.extend(read_rows(conn, AT, [*rowid])?);
        }
        Ok(rows)
    }

    fn read_all(&mut self, conn: &Connection) -> rusqlite::Result<()> {
        self.rows.clear();
        self.by_name.clear();
        self.max_rowid = 0;
        for (rowid, object) in read_rows(conn, ALL, [])? {
            self.remember(rowid, object);
        }
        self.user_version = user_version(conn)?;
        self.start();
        Ok(())
    }

    fn remember(&mut self, rowid: i64, object: Object) {
        for key in [
            object.name.to_ascii_lowercase(),
            object.table.to_ascii_lowercase(),
        ] {
            self.by_name.entry(key).or_default().insert(rowid);
        }
        self.max_rowid = self.max_rowid.max(rowid);
        self.rows.insert(rowid, object);
    }

    fn forget(&mut self, rowid: i64) {
        if let Some(object) = self.rows.remove(&rowid) {
            for key in [
                object.name.to_ascii_lowercase(),
                object.table.to_ascii_lowercase(),
            ] {
                if let Some(set) = self.by_name.get_mut(&key) {
                    set.remove(&rowid);
                }
            }
        }
    }
}

impl Touched {
    fn note(&mut self, action: AuthAction<'_>) {
        use AuthAction::{
            AlterTable, CreateIndex, CreateTable, CreateTrigger, CreateView, CreateVtable,
            DropIndex, DropTable, DropTrigger, DropView, DropVtable, Pragma,
        };
        let name = match action {
            CreateTable { table_name }
            | DropTable { table_name }
            | CreateVtable { table_name, .. }
            | DropVtable { table_name, .. } => table_name,
            CreateIndex { index_name, .. } | DropIndex { index_name, .. } => index_name,
            CreateTrigger { trigger_name, .. } | DropTrigger { trigger_name, .. } => trigger_name,
            CreateView { view_name } | DropView { view_name } => view_name,
            AlterTable { .. } => {
                self.everything = true;
                return;
            }
            // SQLite's own writes to the schema table show up here too;
            // a migration's can only follow this pragma.
            Pragma { pragma_name, .. } if pragma_name.eq_ignore_ascii_case("writable_schema") => {
                self.everything = true;
                return;
            }
            _ => return,
        };
        self.names.insert(name.to_ascii_lowercase());
    }
}

impl Object {
    fn entry(&self) -> ((String, String), String) {
        ((self.kind.clone(), self.name.clone()), self.sql.clone())
    }
}

fn read_rows(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> rusqlite::Result<Vec<(i64, Object)>> {
    let mut statement = conn.prepare_cached(sql)?;
    let rows = statement.query_map(params, |row| {
        Ok((
            row.get(0)?,
            Object {
                kind: row.get(1)?,
                name: row.get(2)?,
                table: row.get(3)?,
                sql: row.get(4)?,
            },
        ))
    })?;
    rows.collect()
}

fn user_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
}

impl Schema {
    /// What `after` has that `self` had not, what it lacks, and what changed,
    /// one sentence each (to follow "Down of `004_idx` …").
    pub fn differences(&self, after: &Schema) -> Vec<String> {
        let mut out = schema_differences(
            &self.objects,
            &after.objects,
            |_| false,
            |kind, name, sql, other| table_change(kind, name, sql, other),
        );
        if self.user_version != after.user_version {
            out.push(format!(
                "leaves `PRAGMA user_version` at {}, not {}",
                after.user_version, self.user_version
            ));
        }
        out
    }
}

/// How the object `kind` `name` changed from `sql` to `other`, if it did:
/// compared in normal form, a plain table as SQLite reads it, column by
/// column.
fn table_change(kind: &str, name: &str, sql: &str, other: &str) -> Option<String> {
    if other == sql {
        return None;
    }
    let (before, now) = (Normal::of(sql), Normal::of(other));
    if before == now {
        return None;
    }
    if kind == "table" && is_plain_table(sql) && is_plain_table(other) {
        match crate::table::compare(sql, other) {
            Ok(None) => return None,
            Ok(Some(what)) => return Some(format!("leaves table `{name}` changed: {what}")),
            Err(_) => {}
        }
    }
    let what = if before.differs_in_column_order(&now) {
        "with its columns in another order"
    } else {
        "changed"
    };
    Some(changed(
        kind,
        name,
        what,
        &collapsed(sql),
        &collapsed(other),
    ))
}

/// `CREATE TABLE …`, not a virtual table (whose module makes tables of its own).
fn is_plain_table(sql: &str) -> bool {
    let mut words = sql.split_whitespace();
    words
        .next()
        .is_some_and(|w| w.eq_ignore_ascii_case("create"))
        && words
            .next()
            .is_some_and(|w| w.eq_ignore_ascii_case("table"))
}
