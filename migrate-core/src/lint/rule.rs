//! The lint rules: each one's code, kind and safe alternative, and a
//! finding said for a person.

use std::fmt;

use crate::Version;

/// What a rule guards against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    /// Data is lost.
    Destructive,
    /// The release still running breaks.
    BackwardIncompatible,
    /// The migration fails or not depending on the rows already there.
    DataDependent,
    /// PostgreSQL locks the table for longer than a deploy can afford.
    Locking,
}

impl Category {
    /// How messages and `--json` name it.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Destructive => "destructive",
            Category::BackwardIncompatible => "backward-incompatible",
            Category::DataDependent => "data-dependent",
            Category::Locking => "locking",
        }
    }
}

/// The databases a rule is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Only {
    /// Every dialect.
    Any,
    /// PostgreSQL's locks.
    Postgres,
    /// MySQL's and MariaDB's online DDL.
    Mysql,
}

macro_rules! rules {
    ($($(#[$doc:meta])* $rule:ident, $code:literal, $category:ident, $only:ident, $advice:literal;)*) => {
        /// A lint rule. Its code is what `-- +migrate Allow <code> <reason>`
        /// names.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[non_exhaustive]
        pub enum Rule {
            $($(#[$doc])* $rule,)*
        }

        impl Rule {
            /// Every rule.
            pub const ALL: &'static [Rule] = &[$(Rule::$rule),*];

            /// The rule's code, e.g. `drop-column`.
            pub fn code(self) -> &'static str {
                match self { $(Rule::$rule => $code,)* }
            }

            /// What the rule guards against.
            pub fn category(self) -> Category {
                match self { $(Rule::$rule => Category::$category,)* }
            }

            /// Whether the rule is about PostgreSQL only (`dialect = "postgres"`).
            pub fn postgres_only(self) -> bool {
                match self { $(Rule::$rule => Only::$only == Only::Postgres,)* }
            }

            /// Whether the rule is about MySQL and MariaDB only (`dialect = "mysql"`).
            pub fn mysql_only(self) -> bool {
                match self { $(Rule::$rule => Only::$only == Only::Mysql,)* }
            }

            /// The safe way to make the same change.
            pub fn advice(self) -> &'static str {
                match self { $(Rule::$rule => $advice,)* }
            }
        }
    };
}

rules! {
    /// `DROP TABLE` of a table the running release uses.
    DropTable, "drop-table", Destructive, Any,
        "stop using the table in one release, then drop it in a later one (a backup first if its rows matter)";
    /// `ALTER TABLE … DROP COLUMN` of a table the running release uses.
    DropColumn, "drop-column", Destructive, Any,
        "stop reading and writing the column in one release, then drop it in a later one";
    /// `DROP SCHEMA` of a schema that held objects before.
    DropSchema, "drop-schema", Destructive, Any,
        "move or drop its objects one by one in earlier releases, then drop the empty schema";
    /// `DROP VIEW` of a view the running release may query.
    DropView, "drop-view", Destructive, Any,
        "stop querying the view in one release, then drop it in a later one";
    /// `ALTER TABLE … RENAME TO` of a table the running release uses.
    RenameTable, "rename-table", BackwardIncompatible, Any,
        "create the new table (or a view under the new name), switch reads and writes to it, and drop the old name in a later release";
    /// `RENAME COLUMN` of a column the running release uses.
    RenameColumn, "rename-column", BackwardIncompatible, Any,
        "add the new column, backfill it and write both, switch reads, then drop the old one in a later release";
    /// `ALTER COLUMN … TYPE` of a column the running release uses.
    ChangeColumnType, "change-column-type", BackwardIncompatible, Any,
        "add a column of the new type, backfill it and write both, switch reads, then drop the old one in a later release";
    /// `ADD COLUMN … NOT NULL` without a default on a table with rows.
    AddNotNullColumn, "add-not-null-column", BackwardIncompatible, Any,
        "give the column a default, or add it nullable, backfill it, and make it NOT NULL in a later release";
    /// A unique index or constraint on a table that already has rows.
    UniqueOnExistingData, "unique-on-existing-data", DataDependent, Any,
        "check for duplicates first (and remove them in an earlier migration); on PostgreSQL build the index CONCURRENTLY, then add the constraint USING INDEX";
    /// `SET NOT NULL` on a column of a table that already has rows.
    NotNullOnExistingData, "not-null-on-existing-data", DataDependent, Any,
        "backfill the NULLs in an earlier migration, then set NOT NULL";
    /// `CREATE INDEX` without `CONCURRENTLY` on a table with rows (writes wait while it builds).
    IndexNotConcurrently, "index-not-concurrently", Locking, Postgres,
        "use CREATE INDEX CONCURRENTLY in a migration marked `-- +migrate NoTransaction`";
    /// A foreign key or check constraint added without `NOT VALID` (the whole table is scanned under lock).
    ConstraintNotValid, "constraint-not-valid", Locking, Postgres,
        "add it NOT VALID, then VALIDATE CONSTRAINT in a later migration (which does not block writes)";
    /// `SET NOT NULL` without a `CHECK (… IS NOT NULL)` added first (a scan under an exclusive lock).
    SetNotNull, "set-not-null", Locking, Postgres,
        "add CHECK (column IS NOT NULL) NOT VALID, VALIDATE it in a later migration, then SET NOT NULL (PostgreSQL 12+ uses the check and skips the scan)";
    /// A type change that rewrites the table under an exclusive lock.
    TypeRewrite, "type-rewrite", Locking, Postgres,
        "add a column of the new type and backfill it in batches instead; only a change PostgreSQL can make without a rewrite (a longer varchar, varchar to text) is quick";
    /// `CONCURRENTLY` in a migration that runs in a transaction (PostgreSQL refuses it).
    ConcurrentlyInTransaction, "concurrently-in-transaction", Locking, Postgres,
        "mark the migration `-- +migrate NoTransaction`, with the concurrent statement alone in it";
    /// `ADD COLUMN` whose value PostgreSQL computes for every row: a
    /// volatile default (`gen_random_uuid()`, `nextval(…)`, a function not
    /// known to be stable), a `serial` type, an identity or a stored
    /// generated column. The table is rewritten under an exclusive lock.
    AddColumnRewrite, "add-column-rewrite", Locking, Postgres,
        "add the column without that default (a constant or `now()` is quick), backfill it in batches, then set the default for new rows";
    /// A unique, primary-key or exclusion constraint whose index `ALTER TABLE` builds while it blocks reads and writes.
    ConstraintBuildsIndex, "constraint-builds-index", Locking, Postgres,
        "build the index first with CREATE UNIQUE INDEX CONCURRENTLY in a `NoTransaction` migration, then ADD CONSTRAINT … UNIQUE (or PRIMARY KEY) USING INDEX; an exclusion constraint has no such way, so add it while the table is small";
    /// `DROP INDEX` without `CONCURRENTLY`: its table locked against reads and writes.
    DropIndexNotConcurrently, "drop-index-not-concurrently", Locking, Postgres,
        "use DROP INDEX CONCURRENTLY in a migration marked `-- +migrate NoTransaction`";
    /// `VACUUM FULL`, `CLUSTER`, or `REINDEX` without `CONCURRENTLY`: the table or its indexes rebuilt under an exclusive lock.
    BlockingRebuild, "blocking-rebuild", Locking, Postgres,
        "use REINDEX … CONCURRENTLY in a `NoTransaction` migration; for VACUUM FULL and CLUSTER, pg_repack outside the migrations, or a maintenance window";
    /// `LOCK TABLE` in a mode that blocks writes (by default `ACCESS EXCLUSIVE`, which blocks reads too), held until the transaction ends.
    LockTable, "lock-table", Locking, Postgres,
        "take no explicit lock: each statement takes the lock it needs; if the rows must not change meanwhile, keep the migration short and bound its wait with `-- +migrate LockTimeout`";
    /// `UPDATE` without `WHERE` of a table with rows, in a migration that runs in a transaction: every row stays locked until it commits.
    UpdateWithoutWhere, "update-without-where", Locking, Postgres,
        "backfill in batches (`… WHERE id BETWEEN …`), each its own statement, in a migration marked `-- +migrate NoTransaction`";
    /// `DETACH PARTITION` without `CONCURRENTLY`: the parent table locked against reads and writes.
    DetachPartition, "detach-partition-not-concurrently", Locking, Postgres,
        "use DETACH PARTITION … CONCURRENTLY (PostgreSQL 14+) in a migration marked `-- +migrate NoTransaction`";
    /// `REFRESH MATERIALIZED VIEW` without `CONCURRENTLY`: the view's
    /// readers wait for the whole refresh.
    RefreshNotConcurrently, "refresh-not-concurrently", Locking, Postgres,
        "use REFRESH MATERIALIZED VIEW CONCURRENTLY (the view needs a unique index), which lets readers read the old rows while it runs";
    /// `ATTACH PARTITION` of a table with rows: the partition is scanned
    /// to check its bounds, under a lock that blocks its writes.
    AttachPartitionScan, "attach-partition-scan", Locking, Postgres,
        "add to the partition a CHECK constraint matching its bounds (NOT VALID, then VALIDATE CONSTRAINT in a later migration) before ATTACH PARTITION, which then skips the scan; drop the check after";
    /// `DELETE` without `WHERE` (also under a `WITH`) of a table with rows.
    DeleteWithoutWhere, "delete-without-where", Destructive, Any,
        "delete the rows you mean with a WHERE (in batches when they are many); empty a table by hand if all must go";
    /// `ALTER TABLE … SET UNLOGGED`: the table rewritten under an
    /// exclusive lock, and no longer crash-safe.
    SetUnlogged, "set-unlogged", Locking, Postgres,
        "keep the table logged: a crash empties an unlogged table, and a replica never has its rows";
    /// `ALTER TABLE … SET LOGGED`: the table rewritten, every row written
    /// to the WAL, under an exclusive lock.
    SetLogged, "set-logged", Locking, Postgres,
        "create the table logged from the start; to make a big unlogged table logged, copy its rows into a new logged table in batches and switch to it in a later release";
    /// `UPDATE` or `DELETE` of a table that an `ALTER TABLE` earlier in the
    /// same migration's transaction locked: the rows change while the
    /// lock (for most changes `ACCESS EXCLUSIVE`) is held.
    BackfillAfterAlter, "backfill-after-alter", Locking, Postgres,
        "change the schema and the rows in separate migrations: the schema change first, then the data change in batches in a migration marked `-- +migrate NoTransaction`";
    /// `ALTER TABLE … DISABLE TRIGGER` of a table with rows (`ALL` turns
    /// off its foreign-key checks too).
    DisableTrigger, "disable-trigger", Destructive, Postgres,
        "disable only the trigger you mean, by name (not ALL, which disables the foreign-key checks too), and enable it again in the same migration";
    /// Found by the build-time replay on a PostgreSQL server, not by a
    /// rule: a statement that rewrote a table (or index, or materialized
    /// view) while it held a lock that blocks writes.
    RewriteUnderLock, "rewrite-under-lock", Locking, Postgres,
        "make the change in a way PostgreSQL does without a rewrite (docs/lints.md lists them), or build a new column or table beside the old one, backfill it in batches and switch in a later release";
    /// Found by the build-time replay on a PostgreSQL server, not by a
    /// rule: a statement that read a whole table while its transaction
    /// held a lock on it that blocks writes (taken by it, or by an earlier
    /// statement of the migration).
    ScanUnderLock, "scan-under-lock", Locking, Postgres,
        "take the strong lock and read the table in different migrations (a constraint NOT VALID, then VALIDATE CONSTRAINT; an index CONCURRENTLY), or move the data change before the schema change, into its own migration";
    /// `DROP DATABASE`.
    DropDatabase, "drop-database", Destructive, Any,
        "drop a database by hand, not in a migration every environment runs";
    /// `DROP NOT NULL` on a column the running release reads, which may not expect NULL.
    DropNotNull, "drop-not-null", BackwardIncompatible, Any,
        "release code that reads NULL in the column safely first, then drop NOT NULL in a later release";
    /// `TRUNCATE` of a table with rows (with `CASCADE`, of every table that references it too).
    TruncateTable, "truncate-table", Destructive, Any,
        "delete the rows you mean with DELETE … WHERE, naming each table; empty a table by hand if all must go";
    /// A change MySQL makes by copying the table while writes wait
    /// (`ALGORITHM=COPY`): a column's type changed (`MODIFY`, `CHANGE`), a
    /// primary key added or dropped, `CONVERT TO CHARACTER SET`, another
    /// `ENGINE`, `OPTIMIZE TABLE`.
    MysqlTableCopy, "mysql-table-copy", Locking, Mysql,
        "ask for ALGORITHM=INSTANT or ALGORITHM=INPLACE, LOCK=NONE so that the server refuses what it cannot do online; a table with rows that must be copied is changed with an online schema change tool (gh-ost, pt-online-schema-change), or in a maintenance window";
    /// A `FULLTEXT` or `SPATIAL` index, which blocks writes while it builds
    /// (and rebuilds the table for the first `FULLTEXT` one).
    MysqlBlockingIndex, "mysql-blocking-index", Locking, Mysql,
        "build it with an online schema change tool (gh-ost, pt-online-schema-change), or in a maintenance window";
    /// `LOCK=SHARED` or `LOCK=EXCLUSIVE` asked for, or `LOCK TABLES`: writes
    /// (and with `EXCLUSIVE` or `WRITE`, reads) wait for the whole change.
    MysqlExplicitLock, "mysql-explicit-lock", Locking, Mysql,
        "ask for LOCK=NONE, so that the server refuses a change it cannot make without blocking writes; take no table locks in a migration";
}

impl Rule {
    /// The rule of a code, as `Allow` writes it.
    pub fn from_code(code: &str) -> Option<Rule> {
        Rule::ALL.iter().copied().find(|rule| rule.code() == code)
    }

    /// Every code, for the message about an unknown one.
    pub fn codes() -> String {
        Rule::ALL
            .iter()
            .map(|rule| format!("`{}`", rule.code()))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// One finding: a rule a statement of an Up section breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The rule.
    pub rule: Rule,
    /// The migration's version.
    pub version: Version,
    /// The file, as problems name it.
    pub path: String,
    /// The statement's first line.
    pub line: u32,
    /// What the statement does, e.g. ``drops column `email` of table `users` ``.
    pub what: String,
    /// What the PostgreSQL server saw the statement do when the build-time
    /// replay traced it (``took ACCESS EXCLUSIVE on table `users` (blocks
    /// reads and writes) and rewrote it``); `None` from the rules alone.
    pub traced: Option<String>,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let code = self.rule.code();
        write!(
            f,
            "{}:{}: {code} ({}): {}",
            self.path,
            self.line,
            self.rule.category().as_str(),
            self.what,
        )?;
        if let Some(traced) = &self.traced {
            write!(
                f,
                "; traced on the PostgreSQL server, the statement {traced}"
            )?;
        }
        write!(
            f,
            "; {}; if it is safe here, say why with `-- +migrate Allow {code} <reason>`",
            self.rule.advice()
        )
    }
}
