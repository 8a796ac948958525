//! The one migration type: built by `load` at run time, written as a
//! constant by `embed_migrations!` at build time, and run by the runtime.
//!
//! Its text fields are `Cow<'static, str>`: an embedded migration borrows
//! the strings compiled into the binary, one read at run time owns them, and
//! both are the same type.

use std::borrow::Cow;
use std::fmt;

use crate::{Checksum, Version};

/// What a statement does to a transaction ([`Statement::transaction_control`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransactionControl {
    /// `BEGIN …`, `START TRANSACTION`.
    Open,
    /// `COMMIT`, `END`, `ROLLBACK` (not `ROLLBACK TO`), `ABORT`.
    Close,
}

/// One SQL statement of a section, as written in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// The statement's text from its first token to its `;` (inclusive, when
    /// there is one); comments inside it are kept, comments before it are not.
    pub sql: Cow<'static, str>,
    /// The 1-based line of the statement's first token in its file.
    pub line: u32,
}

impl Statement {
    /// The statement's SQL, as written in the file.
    pub fn sql(&self) -> &str {
        &self.sql
    }

    /// The 1-based line of the statement in its file.
    pub fn line(&self) -> u32 {
        self.line
    }

    /// Whether the statement is one of PostgreSQL's `CONCURRENTLY` forms
    /// (`CREATE INDEX CONCURRENTLY`, `DROP INDEX CONCURRENTLY`, `REINDEX …
    /// CONCURRENTLY`, `DETACH PARTITION … CONCURRENTLY`, `REFRESH
    /// MATERIALIZED VIEW CONCURRENTLY`): it waits for other transactions to
    /// end while queries on the table go on, so a lock timeout would only
    /// stop it half-done (an invalid index) without sparing any query.
    ///
    /// ```
    /// use std::borrow::Cow;
    /// use migrate_core::Statement;
    ///
    /// let index = Statement { sql: Cow::Borrowed("create index concurrently i on t (a);"), line: 1 };
    /// assert!(index.is_concurrent());
    /// let named = Statement { sql: Cow::Borrowed("CREATE INDEX \"concurrently\" ON t (a);"), line: 1 };
    /// assert!(!named.is_concurrent()); // a quoted name is not the keyword
    /// let plain = Statement { sql: Cow::Borrowed("ALTER TABLE t ADD COLUMN c int; -- not concurrently"), line: 1 };
    /// assert!(!plain.is_concurrent());
    /// ```
    pub fn is_concurrent(&self) -> bool {
        // `CONCURRENTLY` is PostgreSQL's, read by its rules.
        crate::sql::tokens(&self.sql, crate::Dialect::Postgres)
            .iter()
            .any(|token| token.is("concurrently"))
    }

    /// What the statement does to a transaction: opens one (`BEGIN …`,
    /// `START TRANSACTION`), ends one (`COMMIT`, `END`, `ABORT`,
    /// `ROLLBACK` but not `ROLLBACK TO` a savepoint), or neither.
    ///
    /// ```
    /// use std::borrow::Cow;
    /// use migrate_core::{Statement, TransactionControl};
    ///
    /// let begin = Statement { sql: Cow::Borrowed("BEGIN;"), line: 1 };
    /// assert_eq!(begin.transaction_control(), Some(TransactionControl::Open));
    /// let back = Statement { sql: Cow::Borrowed("ROLLBACK TO SAVEPOINT s;"), line: 2 };
    /// assert_eq!(back.transaction_control(), None);
    /// ```
    pub fn transaction_control(&self) -> Option<TransactionControl> {
        let mut words = self.words();
        let first = words.next().unwrap_or_default();
        let second = words.next().unwrap_or_default();
        let is = |word: &str, keyword: &str| word.eq_ignore_ascii_case(keyword);
        if is(first, "BEGIN") || (is(first, "START") && is(second, "TRANSACTION")) {
            Some(TransactionControl::Open)
        } else if ["COMMIT", "END", "ABORT"].iter().any(|k| is(first, k))
            || (is(first, "ROLLBACK") && !is(second, "TO"))
        {
            Some(TransactionControl::Close)
        } else {
            None
        }
    }

    /// Whether the statement only changes rows (`INSERT`, `UPDATE`,
    /// `DELETE`, `MERGE`, `REPLACE`, or a `WITH` before one): it runs the
    /// same inside a transaction on every database, so a migration outside
    /// a transaction can commit it together with the record that it is
    /// done. What a statement that changes the schema or the connection
    /// (`VACUUM`, a `PRAGMA`, `ATTACH`) does in a transaction differs by
    /// database, and it is not one of these.
    ///
    /// ```
    /// use std::borrow::Cow;
    /// use migrate_core::Statement;
    ///
    /// let fill = Statement { sql: Cow::Borrowed("UPDATE t SET c = 0 WHERE c IS NULL;"), line: 1 };
    /// assert!(fill.changes_rows_only());
    /// let vacuum = Statement { sql: Cow::Borrowed("VACUUM;"), line: 1 };
    /// assert!(!vacuum.changes_rows_only());
    /// ```
    pub fn changes_rows_only(&self) -> bool {
        let first = self.words().next().unwrap_or_default();
        ["insert", "update", "delete", "merge", "replace", "with"]
            .iter()
            .any(|word| first.eq_ignore_ascii_case(word))
    }

    /// Whether MySQL and MariaDB end the open transaction for this
    /// statement ("implicit commit"): what changes the schema (`CREATE`,
    /// `ALTER`, `DROP`, `RENAME`, `TRUNCATE`; not `CREATE`/`DROP TEMPORARY
    /// TABLE`), users and grants, `LOCK`/`UNLOCK TABLES`, the table
    /// maintenance statements, transaction control, and, since a procedure
    /// may do any of these, `CALL`. A statement it does not know counts as
    /// committing: a migration holding one runs outside a transaction, with
    /// each statement recorded, which claims less atomicity, never more.
    ///
    /// ```
    /// use std::borrow::Cow;
    /// use migrate_core::Statement;
    ///
    /// let s = |sql: &'static str| Statement { sql: Cow::Borrowed(sql), line: 1 };
    /// assert!(s("ALTER TABLE t ADD COLUMN c INT;").commits_on_mysql());
    /// assert!(!s("UPDATE t SET c = 0;").commits_on_mysql());
    /// assert!(!s("CREATE TEMPORARY TABLE t (a INT);").commits_on_mysql());
    /// assert!(s("SET PASSWORD = 'x';").commits_on_mysql());
    /// assert!(!s("SET @a = 1;").commits_on_mysql());
    /// ```
    pub fn commits_on_mysql(&self) -> bool {
        let mut words = self.words().map(str::to_ascii_lowercase);
        let first = words.next().unwrap_or_default();
        let second = words.next().unwrap_or_default();
        match first.as_str() {
            "insert" | "update" | "delete" | "replace" | "with" | "select" | "values" | "table"
            | "do" | "savepoint" | "release" | "handler" | "prepare" | "execute" | "deallocate"
            | "explain" | "describe" | "desc" | "show" | "help" => false,
            "rollback" => second != "to",
            "set" => {
                matches!(second.as_str(), "password" | "global")
                    || self.sql.to_ascii_lowercase().contains("autocommit")
            }
            "create" | "drop" => second != "temporary",
            _ => true,
        }
    }

    /// The statement's leading words, letters only: enough to tell what
    /// kind of statement it is (it starts at its first token).
    fn words(&self) -> impl Iterator<Item = &str> {
        self.sql
            .split(|c: char| !c.is_ascii_alphabetic())
            .filter(|w| !w.is_empty())
    }

    /// The line in the file, and the 1-based column, of the character at
    /// the 1-based `position` in the statement (as PostgreSQL reports where
    /// an error is).
    ///
    /// ```
    /// use std::borrow::Cow;
    /// use migrate_core::Statement;
    ///
    /// let statement = Statement { sql: Cow::Borrowed("CREATE TABLE t (\n  a INT NUL\n);"), line: 4 };
    /// assert_eq!(statement.line_and_column(26), (5, 9));
    /// ```
    pub fn line_and_column(&self, position: u32) -> (u32, u32) {
        let before: String = self
            .sql
            .chars()
            .take(position.saturating_sub(1) as usize)
            .collect();
        let newlines = u32::try_from(before.matches('\n').count()).unwrap_or(0);
        let column = before
            .rsplit('\n')
            .next()
            .map_or(0, |last| last.chars().count());
        (
            self.line + newlines,
            u32::try_from(column + 1).unwrap_or(u32::MAX),
        )
    }
}

/// One validated migration: its version, name, statements and checksum.
///
/// ```
/// use std::borrow::Cow;
/// use migrate_core::{Checksum, Migration, Statement, Version};
///
/// const FIRST: Migration = Migration {
///     version: Version(1),
///     name: Cow::Borrowed("create_users"),
///     environment: None,
///     up_path: Cow::Borrowed("migrations/001_create_users.sql"),
///     down_path: None,
///     up: Cow::Borrowed(&[Statement { sql: Cow::Borrowed("CREATE TABLE users (id INTEGER);"), line: 2 }]),
///     down: None,
///     no_transaction: false,
///     foreign_keys_off: false,
///     unordered: false,
///     checksum: Checksum([0; 32]),
///     up_file_sha384: [0; 48],
///     up_file_text: None,
///     timeout: None,
///     lock_timeout: None,
///     idempotent: None,
///     no_check: None,
///     rust: false,
/// };
/// assert_eq!(FIRST.to_string(), "1 create_users");
/// assert!(!FIRST.is_reversible());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    /// The version.
    pub version: Version,
    /// The name after the version in the file name.
    pub name: Cow<'static, str>,
    /// The environment folder, `None` for the base set.
    pub environment: Option<Cow<'static, str>>,
    /// The file holding the Up section, as shown to people, e.g.
    /// `migrations/001_create_users.sql`.
    pub up_path: Cow<'static, str>,
    /// The file holding the Down section (the same file for a single-file
    /// migration), `None` when the migration is irreversible.
    pub down_path: Option<Cow<'static, str>>,
    /// The Up statements, with their lines in `up_path`.
    pub up: Cow<'static, [Statement]>,
    /// The Down statements, with their lines in `down_path`; `None` when the
    /// migration is irreversible.
    pub down: Option<Cow<'static, [Statement]>>,
    /// Runs outside a transaction.
    pub no_transaction: bool,
    /// Needs `PRAGMA foreign_keys = OFF` while it runs (SQLite table rebuilds).
    pub foreign_keys_off: bool,
    /// May be applied after newer migrations (refinery's `U<version>__<name>.sql`).
    pub unordered: bool,
    /// The checksum of its Up and Down text.
    pub checksum: Checksum,
    /// The SHA-384 of the bytes of the file holding the Up section: the
    /// checksum sqlx records, compared when a sqlx history is adopted.
    pub up_file_sha384: [u8; 48],
    /// The text of the file holding the Up section, as read: what refinery
    /// computes its checksum from. Always there when the directory is read
    /// at run time; `embed_migrations!` embeds it only with the runtime's
    /// `refinery` feature, and writes `None` otherwise.
    pub up_file_text: Option<Cow<'static, str>>,
    /// How long the migration may run (`-- +migrate Timeout 30s`); `None`:
    /// the migrator's limit, if any.
    pub timeout: Option<std::time::Duration>,
    /// How long each of its statements may wait for a lock on a table or a
    /// row (`-- +migrate LockTimeout 2s`, PostgreSQL); `None`: the
    /// migrator's limit.
    pub lock_timeout: Option<std::time::Duration>,
    /// Why its statements may run again (`-- +migrate Idempotent <reason>`,
    /// only outside a transaction): a run that finds it stopped part-way
    /// goes on from the first statement not known done, instead of refusing.
    pub idempotent: Option<Cow<'static, str>>,
    /// Why the build-time replay skips it (`-- +migrate NoCheck <reason>`).
    pub no_check: Option<Cow<'static, str>>,
    /// A Rust migration (`<version>_<name>.rs`): its Up is the function
    /// `up` and its Down the function `down`, each given as one statement
    /// naming the function at its line; `embed_migrations!` compiles them
    /// and the runtime calls them instead of running SQL.
    pub rust: bool,
}

impl Migration {
    /// The version.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The name after the version in the file name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The environment folder the migration comes from; `None` for the base set.
    pub fn environment(&self) -> Option<&str> {
        self.environment.as_deref()
    }

    /// The file holding the Up section, relative to the crate, e.g.
    /// `migrations/001_create_users.sql`.
    pub fn up_path(&self) -> &str {
        &self.up_path
    }

    /// The file holding the Down section (the same file for a single-file
    /// migration); `None` for an irreversible migration.
    pub fn down_path(&self) -> Option<&str> {
        self.down_path.as_deref()
    }

    /// The Up statements, in order.
    pub fn up(&self) -> &[Statement] {
        &self.up
    }

    /// The Down statements, in order; `None` for an irreversible migration.
    pub fn down(&self) -> Option<&[Statement]> {
        self.down.as_deref()
    }

    /// Whether the migration can be reverted.
    pub fn is_reversible(&self) -> bool {
        self.down.is_some()
    }

    /// Whether the migration runs outside a transaction (`-- +migrate NoTransaction`).
    pub fn no_transaction(&self) -> bool {
        self.no_transaction
    }

    /// Whether the migration needs `PRAGMA foreign_keys = OFF` while it runs
    /// (`-- +migrate ForeignKeys off`, for SQLite table rebuilds).
    pub fn foreign_keys_off(&self) -> bool {
        self.foreign_keys_off
    }

    /// Whether the migration may be applied after newer ones (refinery's
    /// unversioned `U<version>__<name>.sql`).
    pub fn unordered(&self) -> bool {
        self.unordered
    }

    /// The checksum of the Up and Down text, stored in the history table.
    pub fn checksum(&self) -> Checksum {
        self.checksum
    }

    /// The SHA-384 of the bytes of the Up file (sqlx's checksum).
    pub fn up_file_sha384(&self) -> &[u8; 48] {
        &self.up_file_sha384
    }

    /// How long the migration may run, as its file says.
    pub fn timeout(&self) -> Option<std::time::Duration> {
        self.timeout
    }

    /// How long each statement may wait for a lock, as its file says.
    pub fn lock_timeout(&self) -> Option<std::time::Duration> {
        self.lock_timeout
    }

    /// Why its statements may run again, as its file says
    /// (`-- +migrate Idempotent <reason>`).
    pub fn idempotent(&self) -> Option<&str> {
        self.idempotent.as_deref()
    }

    /// The Up file's text as read, when it was kept (see the field).
    pub fn up_file_text(&self) -> Option<&str> {
        self.up_file_text.as_deref()
    }

    /// Whether the migration is a Rust file whose functions run instead of
    /// SQL (see the field).
    pub fn is_rust(&self) -> bool {
        self.rust
    }

    /// Whether the migration belongs to the base set or to `environment`.
    pub fn applies_to(&self, environment: Option<&str>) -> bool {
        self.environment.is_none() || self.environment.as_deref() == environment
    }
}

impl fmt::Display for Migration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.version, self.name)
    }
}
