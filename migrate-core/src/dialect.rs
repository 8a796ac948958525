//! The SQL dialect of a set: which database's rules read its files.

/// The SQL dialect of a set: how its files are split into statements and
/// which rules check them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dialect {
    /// SQLite (the default).
    #[default]
    Sqlite,
    /// PostgreSQL (`dialect = "postgres"`).
    Postgres,
    /// MySQL and MariaDB (`dialect = "mysql"`).
    Mysql,
}
