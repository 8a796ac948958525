//! The locks each statement of an Up really takes, traced during the
//! replay: after each statement, `pg_locks` of the replay's own session
//! (the locks its transaction holds), each locked relation's
//! `relfilenode` (new storage: a rewrite) and its sequential scans counted
//! in the transaction (`pg_stat_get_xact_numscans`), compared with the
//! same readings before. Only relations that existed before the migration
//! count: what a migration creates is empty and no one else uses it yet.
//!
//! The readings before are taken inside the transaction the statement runs
//! in (the server flushes a session's counts only between transactions),
//! once per migration for one that runs in a transaction, and around each
//! statement, in a transaction of the tracer's own, for one that does not
//! (a statement that refuses a transaction block, `CREATE INDEX
//! CONCURRENTLY`, runs untraced: it blocks no one by its nature).

use std::collections::{BTreeSet, HashMap};

use migrate_core::{LockMode, RelationKind, TracedRelation, TracedStatement, Version};
use postgres::{Client, SimpleQueryMessage};

/// Every relation of the user's schemas, its storage and its scans so far.
const RELATIONS: &str = r"
SELECT c.oid, c.relfilenode, pg_stat_get_xact_numscans(c.oid), c.relkind, n.nspname, c.relname
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\_%'
  AND c.relkind IN ('r', 'p', 'i', 'I', 'm', 'v', 'S')";

/// Each lock the session holds on a relation of the user's schemas.
const LOCKS: &str = r"
SELECT l.relation, c.relfilenode, l.mode, pg_stat_get_xact_numscans(l.relation)
FROM pg_catalog.pg_locks l
LEFT JOIN pg_catalog.pg_class c ON c.oid = l.relation
WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND l.granted
  AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())";

/// A relation's storage and scans at the last reading, its kind and name.
#[derive(Debug, Clone)]
struct Reading {
    filenode: u32,
    scans: i64,
    kind: RelationKind,
    name: String,
}

/// The trace of one replay.
#[derive(Debug, Default)]
pub(super) struct Tracer {
    /// Every relation seen at a migration's start → the migration that
    /// created it (the one replayed before the first start that saw it).
    created_in: HashMap<u32, Version>,
    /// The migration replayed last, and the one under way.
    previous: Option<Version>,
    current: Option<Version>,
    /// The relations that existed before the migration, as last read in
    /// the current transaction; `None` until read in it.
    before: Option<HashMap<u32, Reading>>,
    /// The modes the current transaction holds on each relation.
    held: HashMap<u32, BTreeSet<LockMode>>,
    /// The statements traced.
    pub statements: Vec<TracedStatement>,
}

impl Tracer {
    /// A migration starts: its Up's transaction is a new one.
    pub fn start(&mut self, version: Version) {
        self.previous = self.current.replace(version);
        self.transaction_starts();
    }

    /// At the start of a migration whose statements are not traced: the
    /// relations that exist now were created before it.
    pub fn untraced(&mut self, client: &mut Client) -> Result<(), postgres::Error> {
        let creator = self.previous.unwrap_or(Version(0));
        for row in rows(client, RELATIONS)? {
            self.created_in.entry(number(&row, 0)).or_insert(creator);
        }
        Ok(())
    }

    /// A transaction starts: nothing is held and nothing read yet.
    pub fn transaction_starts(&mut self) {
        self.before = None;
        self.held.clear();
    }

    /// Before a statement, inside its transaction: the relations that
    /// exist, read once per transaction.
    pub fn before_statement(&mut self, client: &mut Client) -> Result<(), postgres::Error> {
        if self.before.is_some() {
            return Ok(());
        }
        let creator = self.previous.unwrap_or(Version(0));
        let mut before = HashMap::new();
        for row in rows(client, RELATIONS)? {
            let oid = number(&row, 0);
            self.created_in.entry(oid).or_insert(creator);
            before.insert(
                oid,
                Reading {
                    filenode: number(&row, 1),
                    scans: number(&row, 2),
                    kind: RelationKind::from_relkind(text(&row, 3)),
                    name: match text(&row, 4) {
                        "public" => text(&row, 5).to_owned(),
                        schema => format!("{schema}.{}", text(&row, 5)),
                    },
                },
            );
        }
        self.before = Some(before);
        Ok(())
    }

    /// After a statement that succeeded: what it did to the relations that
    /// existed before its migration.
    pub fn after_statement(
        &mut self,
        client: &mut Client,
        path: &str,
        (index, line): (usize, u32),
    ) -> Result<(), postgres::Error> {
        let mut locked: HashMap<u32, Locked> = HashMap::new();
        for row in rows(client, LOCKS)? {
            let entry = locked.entry(number(&row, 0)).or_insert_with(|| Locked {
                // No storage: the statement dropped the relation.
                filenode: row.get(1).and_then(|n| n.parse().ok()),
                modes: BTreeSet::new(),
                scans: number(&row, 3),
            });
            entry.modes.extend(LockMode::from_pg_locks(text(&row, 2)));
        }
        let before = self.before.get_or_insert_with(HashMap::new);
        let mut relations = Vec::new();
        let mut oids: Vec<u32> = locked.keys().copied().collect();
        oids.sort_unstable();
        for oid in oids {
            let now = &locked[&oid];
            let (Some(was), Some(&created_in), Some(&strongest)) = (
                before.get_mut(&oid),
                self.created_in.get(&oid),
                now.modes.last(),
            ) else {
                continue;
            };
            let held = self.held.entry(oid).or_default();
            let taken: Vec<LockMode> = now.modes.difference(held).copied().collect();
            let relation = TracedRelation {
                name: was.name.clone(),
                kind: was.kind,
                created_in,
                taken,
                held: strongest,
                rewritten: now
                    .filenode
                    .is_some_and(|filenode| filenode != was.filenode),
                // An index's count is of index scans, which read a part.
                scanned: now.scans > was.scans && was.kind != RelationKind::Index,
                dropped: now.filenode.is_none(),
            };
            held.extend(now.modes.iter().copied());
            was.filenode = now.filenode.unwrap_or(was.filenode);
            was.scans = now.scans;
            relations.push(relation);
        }
        self.statements.push(TracedStatement {
            path: path.to_owned(),
            index,
            line,
            relations,
        });
        Ok(())
    }
}

/// A relation the session holds locks on.
struct Locked {
    /// `None` when the relation is gone.
    filenode: Option<u32>,
    modes: BTreeSet<LockMode>,
    scans: i64,
}

/// The rows of a query sent with the simple protocol (one round trip).
fn rows(client: &mut Client, sql: &str) -> Result<Vec<postgres::SimpleQueryRow>, postgres::Error> {
    Ok(client
        .simple_query(sql)?
        .into_iter()
        .filter_map(|message| match message {
            SimpleQueryMessage::Row(row) => Some(row),
            _ => None,
        })
        .collect())
}

fn text(row: &postgres::SimpleQueryRow, i: usize) -> &str {
    row.get(i).unwrap_or_default()
}

fn number<N: std::str::FromStr + Default>(row: &postgres::SimpleQueryRow, i: usize) -> N {
    text(row, i).parse().unwrap_or_default()
}
