//! One statement read for the lints: what it creates, drops, renames or
//! alters, and the findings that follow from it.

use std::collections::{BTreeMap, BTreeSet};

use super::Schema;
use super::cursor::{Cursor, top_level_has, uses_existing_index};
use super::rule::Rule;
use super::shape::{self, Columns};
use crate::Dialect;
use crate::sql::{Token, depths, tokens};

mod alter;
mod mysql;
mod whole;
use crate::{Migration, Version};

/// The lints of one migration under way.
pub(super) struct Scope<'s> {
    schema: &'s mut Schema,
    version: Version,
    /// Objects created from this version on are new.
    release_start: Version,
    postgres: bool,
    /// How the statements are read.
    dialect: Dialect,
    no_transaction: bool,
    /// (rule, line, what).
    found: Vec<(Rule, u32, String)>,
    /// A table renamed in this migration → its name before it.
    origin: BTreeMap<String, String>,
    /// The findings that an object of this kind and name existing after
    /// the migration cancels (a dropped or renamed table, view or schema
    /// that the migration made again): (index in `found`, kind, the name
    /// before the migration).
    rebuilds: Vec<(usize, &'static str, String)>,
    /// The tables an `INSERT … SELECT` of this migration read.
    copied: BTreeSet<String>,
    /// The tables in use that an `ALTER TABLE` of this migration's
    /// transaction locked (PostgreSQL).
    altered: BTreeSet<String>,
    /// Tables in use dropped after their rows were copied (a rebuild, if
    /// the migration makes them again): the `DROP`'s line, the name, and
    /// the columns the table had.
    dropped_shapes: Vec<(u32, String, Columns)>,
}

impl<'s> Scope<'s> {
    /// The lints of `migration`, on the schema the earlier ones left;
    /// objects created from `release_start` on are new.
    pub fn new(
        schema: &'s mut Schema,
        migration: &Migration,
        release_start: Version,
        dialect: Dialect,
    ) -> Self {
        Scope {
            schema,
            version: migration.version,
            release_start,
            postgres: dialect == Dialect::Postgres,
            dialect,
            no_transaction: migration.no_transaction,
            found: Vec::new(),
            origin: BTreeMap::new(),
            rebuilds: Vec::new(),
            copied: BTreeSet::new(),
            altered: BTreeSet::new(),
            dropped_shapes: Vec::new(),
        }
    }

    /// Reads one statement of the Up section.
    pub fn statement(&mut self, sql: &str, line: u32) {
        let words = tokens(sql, self.dialect);
        let mut at = Cursor {
            words: &words,
            i: 0,
        };
        if self.dialect == Dialect::Mysql && self.mysql_statement(&mut at, line) {
            return;
        }
        if at.eat("create") {
            self.create(&mut at, line);
        } else if at.eat("drop") {
            self.drop(&mut at, line);
        } else if at.eat_all(&["alter", "table"]) {
            self.alter_table(&mut at, line);
        } else if at.eat_all(&["alter", "domain"]) {
            self.alter_domain(&mut at, line);
        } else if at.eat("with") {
            self.with(&words, line);
        } else if at.eat("update") {
            self.update(&mut at, line);
        } else if at.eat("delete") {
            self.delete(&mut at, line);
        } else if at.eat_all(&["refresh", "materialized", "view"]) {
            self.refresh(&mut at, line);
        } else if at.eat("truncate") {
            self.truncate(&mut at, line);
        } else if at.eat("vacuum") {
            self.vacuum(&mut at, line);
        } else if at.eat("cluster") {
            self.cluster(&mut at, line);
        } else if at.eat("reindex") {
            self.reindex(&mut at, line);
        } else if at.eat("lock") {
            self.lock(&mut at, line);
        } else if at.eat("insert") {
            // `INSERT … SELECT … FROM t`: the rows of `t` are copied.
            for (k, word) in words.iter().enumerate() {
                if word.is("from") || word.is("join") {
                    let mut from = Cursor {
                        words: &words,
                        i: k + 1,
                    };
                    if let Some(name) = from.name(self.postgres) {
                        self.copied.insert(name);
                    }
                }
            }
        }
    }

    /// The findings, without those of a table this migration rebuilt.
    pub fn finish(mut self) -> Vec<(Rule, u32, String)> {
        self.columns_lost_in_rebuilds();
        let rebuilt: Vec<usize> = self
            .rebuilds
            .iter()
            .filter(|(_, kind, before)| self.schema.objects(kind).contains_key(before))
            .map(|(index, _, _)| *index)
            .collect();
        self.found
            .into_iter()
            .enumerate()
            .filter(|(index, _)| !rebuilt.contains(index))
            .map(|(_, finding)| finding)
            .collect()
    }

    /// A table rebuilt under its name with fewer columns drops the others,
    /// as `DROP COLUMN` would.
    fn columns_lost_in_rebuilds(&mut self) {
        for (line, table, before) in std::mem::take(&mut self.dropped_shapes) {
            let Some(after) = self.schema.shapes.get(&table) else {
                continue;
            };
            let lost: Vec<String> = before
                .keys()
                .filter(|column| !after.contains_key(*column))
                .cloned()
                .collect();
            for column in lost {
                let what = format!(
                    "drops column `{column}` of table `{table}` (the table is made again without it)"
                );
                self.find(Rule::DropColumn, line, what);
            }
        }
    }

    /// A finding about the `kind` object `name`, cancelled if the migration
    /// makes it again.
    fn find_unless_rebuilt(
        &mut self,
        rule: Rule,
        line: u32,
        (kind, name): (&'static str, &str),
        what: String,
    ) {
        let before = self
            .origin
            .get(name)
            .cloned()
            .unwrap_or_else(|| name.to_owned());
        self.rebuilds.push((self.found.len(), kind, before));
        self.find(rule, line, what);
    }

    fn find(&mut self, rule: Rule, line: u32, what: String) {
        if (rule.postgres_only() && !self.postgres)
            || (rule.mysql_only() && self.dialect != Dialect::Mysql)
        {
            return;
        }
        self.found.push((rule, line, what));
    }

    /// Whether `created` (the version that created an object, `None` when
    /// the lints never saw it) is before this release: the object may have
    /// rows and readers.
    fn in_use(&self, created: Option<&Version>) -> bool {
        created.is_none_or(|v| *v < self.release_start)
    }

    /// Whether `table` (or a materialized view by that name, which takes
    /// indexes too) was there before this release.
    fn table_in_use(&self, table: &str) -> bool {
        self.in_use(
            self.schema
                .tables
                .get(table)
                .or_else(|| self.schema.views.get(table)),
        )
    }

    fn create(&mut self, at: &mut Cursor<'_>, line: u32) {
        at.eat_all(&["or", "replace"]);
        let unique = at.eat("unique");
        let mut temporary = false;
        while let Some(word) = at.peek_keyword() {
            match word {
                "temp" | "temporary" => temporary = true,
                "unlogged" | "global" | "local" | "materialized" | "recursive" | "virtual" => {}
                _ => break,
            }
            at.i += 1;
        }
        if at.eat("table") {
            let if_not_exists = at.eat_all(&["if", "not", "exists"]);
            // `IF NOT EXISTS` over a table that exists creates nothing: the
            // table stays as old as it was, and later changes to it are
            // changes to a table in use.
            if let Some(name) = at.name(self.postgres)
                && !temporary
                && !(if_not_exists && self.schema.tables.contains_key(&name))
            {
                match shape::defined(&at.words[at.i..]) {
                    Some(columns) => self.schema.shapes.insert(name.clone(), columns),
                    None => self.schema.shapes.remove(&name),
                };
                self.schema.tables.insert(name, self.version);
            }
        } else if at.eat("view") {
            at.eat_all(&["if", "not", "exists"]);
            if let Some(name) = at.name(self.postgres) {
                self.schema.views.entry(name).or_insert(self.version);
            }
        } else if at.eat("schema") {
            at.eat_all(&["if", "not", "exists"]);
            if let Some(name) = at.name(false) {
                self.schema.schemas.insert(name, self.version);
            }
        } else if at.eat("domain") {
            if let Some(name) = at.name(self.postgres) {
                self.schema.domains.insert(name, self.version);
            }
        } else if at.eat("index") {
            self.create_index(at, line, unique);
        }
    }

    fn create_index(&mut self, at: &mut Cursor<'_>, line: u32, unique: bool) {
        let concurrently = at.eat("concurrently");
        if concurrently {
            self.concurrently(line);
        }
        at.eat_all(&["if", "not", "exists"]);
        let index = if at.peek_is("on") {
            None
        } else {
            at.name(self.postgres)
        };
        while !at.done() && !at.eat("on") {
            at.i += 1;
        }
        at.eat("only");
        let Some(table) = at.name(self.postgres) else {
            return;
        };
        if let Some(index) = index {
            self.schema.indexes.insert(index, table.clone());
        }
        if !self.table_in_use(&table) {
            return;
        }
        if unique && !self.indexes_a_null_column(&table, &at.words[at.i..]) {
            self.find(
                Rule::UniqueOnExistingData,
                line,
                format!(
                    "creates a unique index on `{table}`, which fails if its rows hold duplicates"
                ),
            );
        }
        if !concurrently {
            self.find(
                Rule::IndexNotConcurrently,
                line,
                format!("builds an index on `{table}` without CONCURRENTLY, blocking its writes while it builds"),
            );
        }
    }

    /// Whether the index columns `(a, b …)` that `words` start with hold a
    /// column of `table` added in this release without a default: NULL in
    /// every row, so no two rows are equal.
    fn indexes_a_null_column(&self, table: &str, words: &[Token]) -> bool {
        let mut previous: Option<&Token> = None;
        for (depth, word) in depths(words) {
            if depth == 0 && word.is(")") {
                break;
            }
            let first = previous.is_some_and(|p| p.is("(") || p.is(","));
            previous = Some(word);
            if depth != 1 || !first {
                continue;
            }
            let key = (table.to_owned(), word.text.clone());
            let new = self
                .schema
                .columns
                .get(&key)
                .is_some_and(|added| *added >= self.release_start);
            if new && self.schema.null_columns.contains(&key) {
                return true;
            }
        }
        false
    }

    /// `WITH … AS (…) [, …] <statement>`: the statement after the common
    /// table expressions read as if it stood alone, and so is each
    /// `UPDATE` or `DELETE` inside one of them (a data-modifying `WITH`).
    fn with(&mut self, words: &[Token], line: u32) {
        let depth: Vec<usize> = depths(words).map(|(depth, _)| depth).collect();
        for (k, word) in words.iter().enumerate().skip(1) {
            if !(word.is("update") || word.is("delete")) {
                continue;
            }
            // The words of the statement: to the end, or for one inside a
            // common table expression to the parenthesis that closes it.
            let end = (k + 1..words.len())
                .find(|&j| depth[j] < depth[k])
                .unwrap_or(words.len());
            let mut rest = Cursor {
                words: &words[..end],
                i: k + 1,
            };
            if word.is("update") {
                self.update(&mut rest, line);
            } else {
                self.delete(&mut rest, line);
            }
        }
    }

    fn concurrently(&mut self, line: u32) {
        if !self.no_transaction {
            self.find(
                Rule::ConcurrentlyInTransaction,
                line,
                "runs CONCURRENTLY in a migration that runs in a transaction, which PostgreSQL refuses".to_owned(),
            );
        }
    }

    fn drop(&mut self, at: &mut Cursor<'_>, line: u32) {
        at.eat("materialized");
        let (rule, kind) = if at.eat("table") {
            (Rule::DropTable, "table")
        } else if at.eat("view") {
            (Rule::DropView, "view")
        } else if at.eat("schema") {
            (Rule::DropSchema, "schema")
        } else if at.eat("database") {
            at.eat_all(&["if", "exists"]);
            let name = at.name(false).unwrap_or_default();
            self.find(Rule::DropDatabase, line, format!("drops database `{name}`"));
            return;
        } else {
            if at.eat("index") {
                self.drop_index(at, line);
            }
            return;
        };
        at.eat_all(&["if", "exists"]);
        while let Some(name) = at.name(self.postgres && kind != "schema") {
            let created = self.schema.objects_mut(kind).remove(&name);
            let shape = if kind == "table" {
                self.schema.shapes.remove(&name)
            } else {
                None
            };
            let absent = created.is_none() && at.words.iter().any(|w| w.is("if"));
            if self.in_use(created.as_ref()) && !absent {
                let cascade = kind == "schema" && top_level_has(at.words, "cascade");
                let what = if cascade {
                    format!(
                        "drops {kind} `{name}` with CASCADE: every table, view and function in it"
                    )
                } else {
                    format!("drops {kind} `{name}`")
                };
                // A view holds no rows: made again, nothing is lost. A table
                // is rebuilt only when its rows were copied out first.
                let rebuilt = kind == "view" || (kind == "table" && self.copied.contains(&name));
                if let Some(columns) = shape.filter(|_| rebuilt) {
                    // Made again under the name it had before the migration.
                    let before = self.origin.get(&name).cloned().unwrap_or(name.clone());
                    self.dropped_shapes.push((line, before, columns));
                }
                if rebuilt {
                    self.find_unless_rebuilt(rule, line, (kind, &name), what);
                } else {
                    self.find(rule, line, what);
                }
            }
            if !at.eat(",") {
                break;
            }
        }
    }
}
