//! MySQL's and MariaDB's online DDL: the `ALTER TABLE` actions and the
//! statements that copy a table, or block its writes, while they run — on
//! a table the running release uses (a table made in this release is
//! empty and unread).
//!
//! Left out, on purpose: what the server decides by version and table
//! (whether a column added in the middle is `INSTANT` on MySQL 8.0.29+,
//! whether a `VARCHAR` grows in place within the same length byte), which
//! the replay on a server can tell and a rule cannot; `pt-osc` and gh-ost
//! triggers; foreign keys added with `foreign_key_checks` on (a scan).

use super::{Cursor, Rule, Scope};

impl Scope<'_> {
    /// An `ALTER TABLE` action MySQL reads its own way (`ALGORITHM=`,
    /// `LOCK=`, `MODIFY`, `CHANGE`, `CONVERT TO`, `ENGINE=`, `ADD INDEX`,
    /// `ADD FULLTEXT` …): whether it was one. `ADD PRIMARY KEY` is noted
    /// and then read as on the other dialects too.
    pub(super) fn mysql_alter_action(
        &mut self,
        table: &str,
        at: &mut Cursor<'_>,
        line: u32,
        in_use: bool,
    ) -> bool {
        let start = at.i;
        let copies = |scope: &mut Scope<'_>, what: String| {
            if in_use {
                scope.find(Rule::MysqlTableCopy, line, what);
            }
        };
        if at.eat("algorithm") {
            at.eat("=");
            if at.eat("copy") {
                copies(
                    self,
                    format!("asks for ALGORITHM=COPY: table `{table}` is copied while writes wait"),
                );
            }
        } else if at.eat("lock") {
            at.eat("=");
            let mode = at.peek_name().unwrap_or_default().to_owned();
            if matches!(mode.as_str(), "shared" | "exclusive") && in_use {
                let blocks = if mode == "shared" {
                    "writes"
                } else {
                    "reads and writes"
                };
                let what = format!(
                    "asks for LOCK={mode} on table `{table}`: {blocks} wait for the change"
                );
                self.find(Rule::MysqlExplicitLock, line, what);
            }
        } else if at.eat("modify") {
            at.eat("column");
            let column = at.name(false).unwrap_or_default();
            let new_type = at.peek_name().unwrap_or_default().to_owned();
            self.mysql_retype(table, &column, &new_type, line, in_use);
        } else if at.eat("change") {
            at.eat("column");
            let old = at.name(false).unwrap_or_default();
            let new = at.name(false).unwrap_or_default();
            if old != new {
                self.rename_column(table, old.clone(), new, line);
            }
            let new_type = at.peek_name().unwrap_or_default().to_owned();
            self.mysql_retype(table, &old, &new_type, line, in_use);
        } else if at.eat("rename") {
            if at.peek_is("column") {
                at.i = start;
                return false;
            }
            // `RENAME INDEX a TO b`, `RENAME KEY …`: a name only.
            if !(at.eat("index") || at.eat("key")) {
                if !(at.eat("to") || at.eat("as")) {
                    at.eat("=");
                }
                self.rename_table(table, at, line, in_use);
            }
        } else if at.eat("convert") {
            at.eat("to");
            copies(
                self,
                format!("converts table `{table}` to another character set, copying it"),
            );
        } else if at.eat("engine") {
            copies(
                self,
                format!("changes the engine of table `{table}`, copying it"),
            );
        } else if at.eat_all(&["drop", "primary", "key"]) {
            copies(
                self,
                format!("drops the primary key of table `{table}`, which copies it"),
            );
        } else if at.eat("add") {
            let kind = at.peek_keyword().unwrap_or_default();
            match kind {
                // A secondary index is built in place, writes going on.
                "index" | "key" => {}
                "fulltext" | "spatial" => {
                    if in_use {
                        let what = format!(
                            "adds a {} index to table `{table}`, which blocks writes while it builds",
                            kind.to_uppercase()
                        );
                        self.find(Rule::MysqlBlockingIndex, line, what);
                    }
                }
                _ => {
                    if kind == "primary" {
                        copies(
                            self,
                            format!("adds a primary key to table `{table}`, which copies it"),
                        );
                    }
                    at.i = start;
                    return false;
                }
            }
        } else {
            return false;
        }
        true
    }

    /// `MODIFY` or `CHANGE` a column to `new_type`: a change of type for
    /// the running release (as `ALTER COLUMN … TYPE`), and a copy of the
    /// table for MySQL.
    fn mysql_retype(&mut self, table: &str, column: &str, new_type: &str, line: u32, in_use: bool) {
        self.change_type(table, column, new_type, line);
        if in_use {
            let what = format!(
                "changes column `{column}` of table `{table}`, which MySQL makes by copying the \
                 table unless the change is one it can make in place"
            );
            self.find(Rule::MysqlTableCopy, line, what);
        }
    }

    /// A whole statement MySQL reads its own way (`OPTIMIZE TABLE`, `LOCK
    /// TABLES`, `CREATE FULLTEXT|SPATIAL INDEX`): whether it was one.
    pub(super) fn mysql_statement(&mut self, at: &mut Cursor<'_>, line: u32) -> bool {
        let start = at.i;
        if at.eat("optimize") {
            at.eat("no_write_to_binlog");
            at.eat("local");
            at.eat("table");
            while let Some(table) = at.name(false) {
                if self.table_in_use(&table) {
                    let what = format!("optimizes table `{table}`, which copies it");
                    self.find(Rule::MysqlTableCopy, line, what);
                }
                if !at.eat(",") {
                    break;
                }
            }
            return true;
        }
        if at.eat_all(&["rename", "table"]) {
            // `RENAME TABLE a TO b, c TO d`.
            while let Some(table) = at.name(false) {
                at.eat("to");
                let in_use = self.table_in_use(&table);
                self.rename_table(&table, at, line, in_use);
                if !at.eat(",") {
                    break;
                }
            }
            return true;
        }
        if at.eat_all(&["lock", "tables"]) || at.eat_all(&["lock", "table"]) {
            let what = "locks tables (`LOCK TABLES`) for the rest of the session".to_owned();
            self.find(Rule::MysqlExplicitLock, line, what);
            return true;
        }
        if at.eat("create") && (at.eat("fulltext") || at.eat("spatial")) && at.eat("index") {
            at.name(false);
            at.eat("on");
            if let Some(table) = at.name(false)
                && self.table_in_use(&table)
            {
                let what = format!(
                    "adds an index of that kind to table `{table}`, which blocks writes while it builds"
                );
                self.find(Rule::MysqlBlockingIndex, line, what);
            }
            return true;
        }
        at.i = start;
        false
    }
}
