//! Statements that act on a whole table, index or domain at once, under a
//! lock the running release waits behind: `UPDATE` without `WHERE`,
//! `TRUNCATE`, `VACUUM FULL`, `CLUSTER`, `REINDEX`, `LOCK TABLE`,
//! `DROP INDEX` and `ALTER DOMAIN … ADD`.

use super::{Cursor, Rule, Scope, top_level_has};

/// `LOCK TABLE` modes that let writes go on.
const WRITES_GO_ON: &[&str] = &[
    "access share",
    "row share",
    "row exclusive",
    "share update exclusive",
];

impl Scope<'_> {
    /// `UPDATE [ONLY] t … ` without a `WHERE` of its own.
    pub(super) fn update(&mut self, at: &mut Cursor<'_>, line: u32) {
        at.eat("only");
        let Some(table) = at.name(self.postgres) else {
            return;
        };
        self.after_alter(&table, "updates", line);
        if self.no_transaction
            || !self.table_in_use(&table)
            || top_level_has(&at.words[at.i..], "where")
        {
            return;
        }
        let what = format!(
            "updates every row of `{table}` in the migration's transaction, keeping them all locked until it commits"
        );
        self.find(Rule::UpdateWithoutWhere, line, what);
    }

    /// An `UPDATE` or `DELETE` of a table an `ALTER TABLE` of the same
    /// transaction locked: the lock is held while the rows change.
    fn after_alter(&mut self, table: &str, verb: &str, line: u32) {
        if self.altered.contains(table) {
            let what = format!(
                "{verb} `{table}` after an `ALTER TABLE` of it in the same transaction, whose lock (ACCESS EXCLUSIVE for most changes) is held while the rows change"
            );
            self.find(Rule::BackfillAfterAlter, line, what);
        }
    }

    /// `DELETE FROM [ONLY] t … ` without a `WHERE` of its own: every row
    /// gone.
    pub(super) fn delete(&mut self, at: &mut Cursor<'_>, line: u32) {
        at.eat("from");
        at.eat("only");
        let Some(table) = at.name(self.postgres) else {
            return;
        };
        self.after_alter(&table, "deletes from", line);
        if !self.table_in_use(&table) || top_level_has(&at.words[at.i..], "where") {
            return;
        }
        let what = format!(
            "deletes every row of `{table}`{}",
            if self.no_transaction {
                ""
            } else {
                ", each locked until the migration's transaction commits"
            }
        );
        self.find(Rule::DeleteWithoutWhere, line, what);
    }

    /// `REFRESH MATERIALIZED VIEW [CONCURRENTLY] v [WITH [NO] DATA]`.
    pub(super) fn refresh(&mut self, at: &mut Cursor<'_>, line: u32) {
        // The concurrent refresh runs in a transaction too (the server
        // takes it there: `tests/tests/lint_trace.rs`), and blocks no reader.
        if at.eat("concurrently") {
            return;
        }
        let Some(view) = at.name(self.postgres) else {
            return;
        };
        if self.in_use(self.schema.objects("view").get(&view)) {
            let what = format!(
                "refreshes materialized view `{view}` without CONCURRENTLY: its readers wait for the whole refresh (an ACCESS EXCLUSIVE lock)"
            );
            self.find(Rule::RefreshNotConcurrently, line, what);
        }
    }

    /// `TRUNCATE [TABLE] [ONLY] t [, …] [CASCADE]`.
    pub(super) fn truncate(&mut self, at: &mut Cursor<'_>, line: u32) {
        at.eat("table");
        let cascade = top_level_has(at.words, "cascade");
        for table in self.tables_listed(at) {
            if self.table_in_use(&table) {
                let also = if cascade {
                    " and, with CASCADE, every table with a foreign key to it"
                } else {
                    ""
                };
                let what = format!("empties table `{table}`{also}");
                self.find(Rule::TruncateTable, line, what);
            }
        }
    }

    /// `VACUUM FULL …` or `VACUUM (FULL …) …`.
    pub(super) fn vacuum(&mut self, at: &mut Cursor<'_>, line: u32) {
        let mut full = false;
        if at.eat("(") {
            while !at.done() && !at.eat(")") {
                full |= at.peek_is("full");
                at.i += 1;
            }
        }
        loop {
            if at.eat("full") {
                full = true;
            } else if !["freeze", "verbose", "analyze", "analyse"]
                .iter()
                .any(|option| at.eat(option))
            {
                break;
            }
        }
        if full {
            self.rebuild(at, line, "VACUUM FULL", "rewrites");
        }
    }

    /// `CLUSTER [VERBOSE] [t [USING index]]`.
    pub(super) fn cluster(&mut self, at: &mut Cursor<'_>, line: u32) {
        at.eat("verbose");
        self.rebuild(at, line, "CLUSTER", "rewrites");
    }

    /// `REINDEX [(…)] {INDEX | TABLE | SCHEMA | DATABASE | SYSTEM} [CONCURRENTLY] name`.
    pub(super) fn reindex(&mut self, at: &mut Cursor<'_>, line: u32) {
        if at.eat("(") {
            while !at.done() && !at.eat(")") {
                at.i += 1;
            }
        }
        let index = at.eat("index");
        if !index {
            at.i += 1;
        }
        if at.eat("concurrently") {
            self.concurrently(line);
            return;
        }
        if index {
            let name = at.name(self.postgres).unwrap_or_default();
            if self.index_in_use(&name) {
                let what = format!("REINDEX rebuilds index `{name}` while its table waits");
                self.find(Rule::BlockingRebuild, line, what);
            }
        } else {
            self.rebuild(at, line, "REINDEX", "rebuilds the indexes of");
        }
    }

    /// A finding for `statement` on the table named next (or every table,
    /// when none is), unless that table is new.
    fn rebuild(&mut self, at: &mut Cursor<'_>, line: u32, statement: &str, does: &str) {
        let what = match at.name(self.postgres) {
            Some(table) if !self.table_in_use(&table) => return,
            Some(table) => format!("{statement} {does} `{table}` under an exclusive lock"),
            None => format!("{statement} {does} every table under an exclusive lock"),
        };
        self.find(Rule::BlockingRebuild, line, what);
    }

    /// `LOCK [TABLE] [ONLY] t [, …] [IN <mode> MODE] [NOWAIT]`.
    pub(super) fn lock(&mut self, at: &mut Cursor<'_>, line: u32) {
        at.eat("table");
        let tables = self.tables_listed(at);
        let mut mode = String::from("access exclusive");
        if at.eat("in") {
            let mut words = Vec::new();
            while let Some(word) = at.peek_name().filter(|_| !at.peek_is("mode")) {
                words.push(word);
                at.i += 1;
            }
            mode = words.join(" ");
        }
        if WRITES_GO_ON.contains(&mode.as_str()) {
            return;
        }
        for table in tables {
            if self.table_in_use(&table) {
                let what = format!(
                    "locks table `{table}` in {} mode until the transaction ends, blocking its writes{}",
                    mode.to_uppercase(),
                    if mode == "access exclusive" {
                        " and reads"
                    } else {
                        ""
                    }
                );
                self.find(Rule::LockTable, line, what);
            }
        }
    }

    /// `DROP INDEX [CONCURRENTLY] [IF EXISTS] name [, …]`.
    pub(super) fn drop_index(&mut self, at: &mut Cursor<'_>, line: u32) {
        if at.eat("concurrently") {
            self.concurrently(line);
            return;
        }
        at.eat_all(&["if", "exists"]);
        while let Some(name) = at.name(self.postgres) {
            if self.index_in_use(&name) {
                let what = format!(
                    "drops index `{name}` without CONCURRENTLY, locking its table against reads and writes"
                );
                self.find(Rule::DropIndexNotConcurrently, line, what);
            }
            self.schema.indexes.remove(&name);
            if !at.eat(",") {
                break;
            }
        }
    }

    /// `ALTER DOMAIN d ADD [CONSTRAINT c] CHECK (…)` without `NOT VALID`:
    /// every column of the domain is checked under lock.
    pub(super) fn alter_domain(&mut self, at: &mut Cursor<'_>, line: u32) {
        let Some(domain) = at.name(self.postgres) else {
            return;
        };
        let rest = &at.words[at.i..];
        let created = self.schema.domains.get(&domain).copied();
        if at.eat("add") && !top_level_has(rest, "valid") && self.in_use(created.as_ref()) {
            let what = format!(
                "adds a constraint to domain `{domain}` without NOT VALID, checking every column of that type under lock"
            );
            self.find(Rule::ConstraintNotValid, line, what);
        }
    }

    /// Whether the index `name` may be on a table with rows: its table is
    /// in use, or the lints never saw it made.
    fn index_in_use(&self, name: &str) -> bool {
        self.schema
            .indexes
            .get(name)
            .is_none_or(|table| self.table_in_use(table))
    }

    /// The tables of `[ONLY] t [*] [, …]`.
    fn tables_listed(&self, at: &mut Cursor<'_>) -> Vec<String> {
        let mut tables = Vec::new();
        loop {
            at.eat("only");
            let Some(table) = at.name(self.postgres) else {
                break;
            };
            tables.push(table);
            at.eat("*");
            if !at.eat(",") {
                break;
            }
        }
        tables
    }
}
