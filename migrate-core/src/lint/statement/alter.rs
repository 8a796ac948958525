//! `ALTER TABLE`: each action read against what the set made of the
//! table — columns dropped, renamed, added, made or no longer `NOT NULL`,
//! retyped, constraints added — and the findings that follow.

use super::super::column;
use super::{Cursor, Rule, Scope, Token, shape, top_level_has, uses_existing_index};

impl Scope<'_> {
    pub(super) fn alter_table(&mut self, at: &mut Cursor<'_>, line: u32) {
        at.eat_all(&["if", "exists"]);
        at.eat("only");
        let Some(table) = at.name(self.postgres) else {
            return;
        };
        if self.postgres && !self.no_transaction && self.table_in_use(&table) {
            self.altered.insert(table.clone());
        }
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
        if self.dialect == crate::Dialect::Mysql && self.mysql_alter_action(table, at, line, in_use)
        {
            return;
        }
        if at.eat("rename") {
            if at.eat("to") {
                self.rename_table(table, at, line, in_use);
            } else if !at.peek_is("constraint") {
                at.eat("column");
                let column = at.name(false).unwrap_or_default();
                at.eat("to");
                let new = at.name(false).unwrap_or_default();
                self.rename_column(table, column, new, line);
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
            if let Some(columns) = self.schema.shapes.get_mut(table) {
                columns.remove(&column);
            }
            self.schema.columns.remove(&(table.to_owned(), column));
        } else if at.eat("add") {
            self.add(table, at, line, in_use);
        } else if at.eat_all(&["attach", "partition"]) {
            let partition = at.name(self.postgres).unwrap_or_default();
            if self.table_in_use(&partition) {
                let what = format!(
                    "attaches partition `{partition}` to `{table}`, scanning every row of it to check its bounds while its writes wait"
                );
                self.find(Rule::AttachPartitionScan, line, what);
            }
        } else if at.eat_all(&["set", "unlogged"]) {
            self.set_persistence(table, "unlogged", line, in_use);
        } else if at.eat_all(&["set", "logged"]) {
            self.set_persistence(table, "logged", line, in_use);
        } else if at.eat_all(&["disable", "trigger"]) {
            let trigger = at.name(false).unwrap_or_default();
            if in_use {
                let all = trigger.eq_ignore_ascii_case("all");
                let what = if all || trigger.eq_ignore_ascii_case("user") {
                    format!(
                        "disables {} triggers of `{table}`{}",
                        trigger.to_uppercase(),
                        if all {
                            ", its foreign-key checks included"
                        } else {
                            ""
                        }
                    )
                } else {
                    format!("disables trigger `{trigger}` of `{table}`")
                };
                self.find(Rule::DisableTrigger, line, what);
            }
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
            let was_not_null = self
                .schema
                .shapes
                .get(table)
                .and_then(|columns| columns.get(&column).copied());
            if at.eat_all(&["set", "not", "null"]) {
                self.set_not_null(table, &column, line, in_use);
                self.note_not_null(table, &column, true);
            } else if at.eat_all(&["drop", "not", "null"]) {
                self.note_not_null(table, &column, false);
                // A column known never to have been NOT NULL loses nothing.
                if was_not_null != Some(false) && self.column_in_use(table, &column) {
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

    /// `column` of `table` renamed to `new`: a finding when the running
    /// release reads it, and what the set knows of it under the new name.
    pub(super) fn rename_column(&mut self, table: &str, column: String, new: String, line: u32) {
        if self.column_in_use(table, &column) {
            let what = format!("renames column `{column}` of table `{table}` to `{new}`");
            self.find(Rule::RenameColumn, line, what);
        }
        if let Some(columns) = self.schema.shapes.get_mut(table)
            && let Some(not_null) = columns.remove(&column)
        {
            columns.insert(new.clone(), not_null);
        }
        let key = (table.to_owned(), column);
        if let Some(created) = self.schema.columns.remove(&key) {
            self.schema.columns.insert((table.to_owned(), new), created);
        }
    }

    /// Whether the running release may read `column` of `table`: the table
    /// is in use and the column was not added in this release.
    pub(super) fn column_in_use(&self, table: &str, column: &str) -> bool {
        self.table_in_use(table)
            && self
                .schema
                .columns
                .get(&(table.to_owned(), column.to_owned()))
                .is_none_or(|created| *created < self.release_start)
    }

    pub(super) fn rename_table(
        &mut self,
        table: &str,
        at: &mut Cursor<'_>,
        line: u32,
        in_use: bool,
    ) {
        let Some(new) = at.name(self.postgres) else {
            return;
        };
        if let Some(created) = self.schema.tables.remove(table) {
            self.schema.tables.insert(new.clone(), created);
        }
        match self.schema.shapes.remove(table) {
            Some(columns) => self.schema.shapes.insert(new.clone(), columns),
            None => self.schema.shapes.remove(&new),
        };
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

    /// `SET UNLOGGED` or `SET LOGGED`: a rewrite under an exclusive lock.
    fn set_persistence(&mut self, table: &str, to: &str, line: u32, in_use: bool) {
        if !in_use {
            return;
        }
        if to == "unlogged" {
            let what = format!(
                "makes `{table}` unlogged: rewritten under an ACCESS EXCLUSIVE lock, then emptied by a crash and absent from replicas"
            );
            self.find(Rule::SetUnlogged, line, what);
        } else {
            let what = format!(
                "makes `{table}` logged: rewritten, every row written to the WAL, under an ACCESS EXCLUSIVE lock"
            );
            self.find(Rule::SetLogged, line, what);
        }
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
    pub(super) fn change_type(&mut self, table: &str, column: &str, new_type: &str, line: u32) {
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
        self.note_not_null(
            table,
            &column,
            shape::is_not_null(&rest[1.min(rest.len())..]),
        );
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

    /// Remembers whether `column` of `table` is `NOT NULL`, when the
    /// table's columns are known.
    fn note_not_null(&mut self, table: &str, column: &str, not_null: bool) {
        if let Some(columns) = self.schema.shapes.get_mut(table) {
            columns.insert(column.to_owned(), not_null);
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
