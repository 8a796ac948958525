//! One statement read for the lints: what it creates, drops, renames or
//! alters, and the findings that follow from it.

use std::collections::{BTreeMap, BTreeSet};

use super::Schema;
use super::column;
use super::cursor::{Cursor, top_level_has, uses_existing_index};
use super::rule::Rule;
use crate::Dialect;
use crate::sql::{Token, depths, tokens};

mod whole;
use crate::{Migration, Version};

/// The lints of one migration under way.
pub(super) struct Scope<'s> {
    schema: &'s mut Schema,
    version: Version,
    /// Objects created from this version on are new.
    release_start: Version,
    postgres: bool,
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
            no_transaction: migration.no_transaction,
            found: Vec::new(),
            origin: BTreeMap::new(),
            rebuilds: Vec::new(),
            copied: BTreeSet::new(),
        }
    }

    /// Reads one statement of the Up section.
    pub fn statement(&mut self, sql: &str, line: u32) {
        let dialect = if self.postgres {
            Dialect::Postgres
        } else {
            Dialect::Sqlite
        };
        let words = tokens(sql, dialect);
        let mut at = Cursor {
            words: &words,
            i: 0,
        };
        if at.eat("create") {
            self.create(&mut at, line);
        } else if at.eat("drop") {
            self.drop(&mut at, line);
        } else if at.eat_all(&["alter", "table"]) {
            self.alter_table(&mut at, line);
        } else if at.eat_all(&["alter", "domain"]) {
            self.alter_domain(&mut at, line);
        } else if at.eat("update") {
            self.update(&mut at, line);
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
    pub fn finish(self) -> Vec<(Rule, u32, String)> {
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
        if rule.postgres_only() && !self.postgres {
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

    fn table_in_use(&self, table: &str) -> bool {
        self.in_use(self.schema.tables.get(table))
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
            let absent = created.is_none() && at.words.iter().any(|w| w.is("if"));
            if self.in_use(created.as_ref()) && !absent {
                let what = format!("drops {kind} `{name}`");
                // A view holds no rows: made again, nothing is lost. A table
                // is rebuilt only when its rows were copied out first.
                let rebuilt = kind == "view" || (kind == "table" && self.copied.contains(&name));
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

    fn alter_table(&mut self, at: &mut Cursor<'_>, line: u32) {
        at.eat_all(&["if", "exists"]);
        at.eat("only");
        let Some(table) = at.name(self.postgres) else {
            return;
        };
        for action in at.actions() {
            let mut act = Cursor {
                words: action,
                i: 0,
            };
            self.alter_action(&table, &mut act, line);
        }
    }

    fn alter_action(&mut self, table: &str, at: &mut Cursor<'_>, line: u32) {
        let in_use = self.table_in_use(table);
        if at.eat("rename") {
            if at.eat("to") {
                self.rename_table(table, at, line, in_use);
            } else if !at.peek_is("constraint") {
                at.eat("column");
                let column = at.name(false).unwrap_or_default();
                at.eat("to");
                let new = at.name(false).unwrap_or_default();
                if self.column_in_use(table, &column) {
                    let what = format!("renames column `{column}` of table `{table}` to `{new}`");
                    self.find(Rule::RenameColumn, line, what);
                }
                let key = (table.to_owned(), column);
                if let Some(created) = self.schema.columns.remove(&key) {
                    self.schema.columns.insert((table.to_owned(), new), created);
                }
            }
        } else if at.eat("drop") {
            if at.peek_is("constraint") {
                return;
            }
            at.eat("column");
            at.eat_all(&["if", "exists"]);
            let column = at.name(false).unwrap_or_default();
            if self.column_in_use(table, &column) {
                let what = format!("drops column `{column}` of table `{table}`");
                self.find(Rule::DropColumn, line, what);
            }
            self.schema.columns.remove(&(table.to_owned(), column));
        } else if at.eat("add") {
            self.add(table, at, line, in_use);
        } else if at.eat_all(&["detach", "partition"]) {
            let partition = at.name(self.postgres).unwrap_or_default();
            if at.eat("concurrently") {
                self.concurrently(line);
            } else if in_use {
                let what = format!(
                    "detaches partition `{partition}` from `{table}`, locking it against reads and writes"
                );
                self.find(Rule::DetachPartition, line, what);
            }
        } else if at.eat("alter") {
            at.eat("column");
            let column = at.name(false).unwrap_or_default();
            if at.eat_all(&["set", "not", "null"]) {
                self.set_not_null(table, &column, line, in_use);
            } else if at.eat_all(&["drop", "not", "null"]) {
                if self.column_in_use(table, &column) {
                    let what = format!(
                        "drops NOT NULL from column `{column}` of table `{table}`, which the running release may read as never NULL"
                    );
                    self.find(Rule::DropNotNull, line, what);
                }
            } else if at.eat_all(&["set", "data", "type"]) || at.eat("type") {
                let new_type = at.peek_name().unwrap_or_default().to_owned();
                self.change_type(table, &column, &new_type, line);
            }
        }
    }

    /// Whether the running release may read `column` of `table`: the table
    /// is in use and the column was not added in this release.
    fn column_in_use(&self, table: &str, column: &str) -> bool {
        self.table_in_use(table)
            && self
                .schema
                .columns
                .get(&(table.to_owned(), column.to_owned()))
                .is_none_or(|created| *created < self.release_start)
    }

    fn rename_table(&mut self, table: &str, at: &mut Cursor<'_>, line: u32, in_use: bool) {
        let Some(new) = at.name(self.postgres) else {
            return;
        };
        if let Some(created) = self.schema.tables.remove(table) {
            self.schema.tables.insert(new.clone(), created);
        }
        let columns: Vec<_> = self
            .schema
            .columns
            .keys()
            .filter(|(owner, _)| owner == table)
            .cloned()
            .collect();
        for key in columns {
            if let Some(created) = self.schema.columns.remove(&key) {
                self.schema.columns.insert((new.clone(), key.1), created);
            }
        }
        if in_use {
            let what = format!("renames table `{table}` to `{new}`");
            self.find_unless_rebuilt(Rule::RenameTable, line, ("table", table), what);
        }
        let before = self
            .origin
            .remove(table)
            .unwrap_or_else(|| table.to_owned());
        self.origin.insert(new, before);
    }

    /// `SET NOT NULL`: the rows are there even when the column is new.
    fn set_not_null(&mut self, table: &str, column: &str, line: u32, in_use: bool) {
        if !in_use {
            return;
        }
        let what = format!("sets NOT NULL on column `{column}` of table `{table}`");
        self.find(
            Rule::NotNullOnExistingData,
            line,
            format!("{what}, which fails if a row holds NULL"),
        );
        let checked = (table.to_owned(), column.to_owned());
        if !self.schema.not_null_checks.contains(&checked) {
            let what = format!("{what}, scanning it under an exclusive lock");
            self.find(Rule::SetNotNull, line, what);
        }
    }

    /// `ALTER COLUMN … TYPE`: the table is rewritten whenever it has rows;
    /// the running release breaks only on a column it knows.
    fn change_type(&mut self, table: &str, column: &str, new_type: &str, line: u32) {
        if self.column_in_use(table, column) {
            let what =
                format!("changes the type of column `{column}` of table `{table}` to `{new_type}`");
            self.find(Rule::ChangeColumnType, line, what);
        }
        if self.table_in_use(table) {
            let what = format!(
                "changes the type of column `{column}` of table `{table}`, which rewrites it under an exclusive lock unless the change is binary-compatible"
            );
            self.find(Rule::TypeRewrite, line, what);
        }
    }

    fn add(&mut self, table: &str, at: &mut Cursor<'_>, line: u32, in_use: bool) {
        let constraint = at.eat("constraint");
        if constraint {
            at.name(false);
        }
        let kind = at.peek_keyword().unwrap_or_default();
        match kind {
            "primary" | "unique" | "foreign" | "check" | "exclude" => {
                self.add_constraint(table, kind, &at.words[at.i..], line, in_use);
            }
            _ if constraint => {}
            _ => {
                at.eat("column");
                at.eat_all(&["if", "not", "exists"]);
                self.add_column(table, &at.words[at.i..], line, in_use);
            }
        }
    }

    /// `ADD [CONSTRAINT name] <kind> …`, `rest` from the kind on.
    fn add_constraint(&mut self, table: &str, kind: &str, rest: &[Token], line: u32, in_use: bool) {
        if kind == "check" {
            self.note_not_null_check(table, rest);
        }
        if !in_use {
            return;
        }
        let reuses_index = uses_existing_index(rest);
        if matches!(kind, "primary" | "unique") && !reuses_index {
            self.find(
                Rule::UniqueOnExistingData,
                line,
                format!(
                    "adds a unique constraint to `{table}`, which fails if its rows hold duplicates"
                ),
            );
        }
        if matches!(kind, "primary" | "unique" | "exclude") && !reuses_index {
            let what = match kind {
                "primary" => "a primary key",
                "unique" => "a unique constraint",
                _ => "an exclusion constraint",
            };
            self.find(
                Rule::ConstraintBuildsIndex,
                line,
                format!("adds {what} to `{table}`, building its index while reads and writes wait"),
            );
        }
        if matches!(kind, "foreign" | "check") && !top_level_has(rest, "valid") {
            let what = if kind == "check" {
                "check"
            } else {
                "foreign key"
            };
            self.find(
                Rule::ConstraintNotValid,
                line,
                format!("adds a {what} constraint to `{table}` without NOT VALID, scanning it under lock"),
            );
        }
    }

    /// `ADD [COLUMN] [IF NOT EXISTS] <column> …`, `rest` from the column on.
    fn add_column(&mut self, table: &str, rest: &[Token], line: u32, in_use: bool) {
        let column = rest
            .first()
            .and_then(Token::word)
            .unwrap_or_default()
            .to_owned();
        self.schema
            .columns
            .insert((table.to_owned(), column.clone()), self.version);
        let has = |name: &str| top_level_has(rest, name);
        let key = (table.to_owned(), column.clone());
        if has("default") || has("generated") || column::rewrite(rest).is_some() {
            self.schema.null_columns.remove(&key);
        } else {
            self.schema.null_columns.insert(key);
        }
        if !in_use {
            return;
        }
        let not_null = rest.windows(2).any(|w| w[0].is("not") && w[1].is("null"));
        if not_null && !has("default") && !has("generated") {
            self.find(
                Rule::AddNotNullColumn,
                line,
                format!("adds column `{column}` to `{table}` as NOT NULL without a default"),
            );
        }
        if let Some(why) = column::rewrite(rest) {
            let what = format!(
                "adds column `{column}` to `{table}` with {why}, rewriting the table under an exclusive lock"
            );
            self.find(Rule::AddColumnRewrite, line, what);
        }
        if has("references") {
            let what = format!(
                "adds column `{column}` to `{table}` with a foreign key, checked under a lock on both tables"
            );
            self.find(Rule::ConstraintNotValid, line, what);
        }
        if has("unique") || has("primary") {
            let what = format!(
                "adds column `{column}` to `{table}` with a unique index, built while reads and writes wait"
            );
            self.find(Rule::ConstraintBuildsIndex, line, what);
        }
    }

    /// Remembers `CHECK (column IS NOT NULL)`.
    fn note_not_null_check(&mut self, table: &str, rest: &[Token]) {
        for window in rest.windows(4) {
            if let (Some(column), true, true, true) = (
                window[0].word(),
                window[1].is("is"),
                window[2].is("not"),
                window[3].is("null"),
            ) {
                self.schema
                    .not_null_checks
                    .insert((table.to_owned(), column.to_owned()));
            }
        }
    }
}
