//! PostgreSQL's own parser at build time (feature `postgres-parse`): every
//! statement of every Up and Down section of a `dialect = "postgres"` set
//! is parsed by `libpg_query` (the `pg_query` crate, which compiles the
//! parser of the PostgreSQL server), offline, so that `CREAT INDEX` is a
//! compile error at its file, line and column instead of a failed deploy.

use migrate_core::{Migration, MigrationSet, Problem, ProblemKind, Statement};

/// Parses every statement of `set` (migrations marked `NoCheck` too: a
/// statement PostgreSQL cannot parse never runs) and returns a problem
/// for each one the parser refuses.
pub fn parse(set: &MigrationSet) -> Vec<Problem> {
    // One call for the whole set when it is sound: each call sets up and
    // tears down the parser's memory (costly in a dev build, where
    // libpg_query is compiled with its assertions). Only a refused set is
    // parsed again statement by statement, to say where.
    let mut whole = String::new();
    for (_, statement) in set.migrations.iter().flat_map(statements) {
        whole.push_str(statement.sql());
        whole.push_str("\n;\n");
    }
    if refusal(&whole).is_none() {
        return Vec::new();
    }
    set.migrations.iter().flat_map(parse_migration).collect()
}

fn parse_migration(migration: &Migration) -> Vec<Problem> {
    statements(migration)
        .filter_map(|(path, statement)| refused(path, statement))
        .collect()
}

/// Every statement of `migration`'s Up and Down sections, with its file
/// (none for a Rust migration, whose functions are not SQL).
fn statements(migration: &Migration) -> impl Iterator<Item = (&str, &Statement)> {
    let sql = if migration.is_rust() {
        &[][..]
    } else {
        migration.up()
    };
    let up = sql.iter().map(|s| (migration.up_path(), s));
    let down_path = migration.down_path().unwrap_or(migration.up_path());
    let down = migration
        .down()
        .filter(|_| !migration.is_rust())
        .unwrap_or_default()
        .iter()
        .map(move |s| (down_path, s));
    up.chain(down)
}

/// The parser's message when it refuses `sql`. `split_with_parser` runs
/// the whole raw parser but returns no tree: no protobuf to decode (a
/// third of the cost of `parse` in a dev build's macro).
fn refusal(sql: &str) -> Option<String> {
    match pg_query::split_with_parser(sql) {
        Ok(_) => None,
        Err(pg_query::Error::Split(message)) => Some(message),
        Err(other) => Some(other.to_string()),
    }
}

/// The problem of `statement`, when the parser refuses it.
fn refused(path: &str, statement: &Statement) -> Option<Problem> {
    let message = refusal(statement.sql())?;
    let (line, column) = statement.line_and_column(position(statement.sql()));
    Some(Problem::new(
        path,
        Some(line),
        ProblemKind::PostgresSyntax { column, message },
    ))
}

/// The 1-based character position the parser stops at: the start of the
/// first token whose prefix of the statement fails other than at its end
/// (the parser's own position is not exposed by `pg_query`); the
/// statement's start when it cannot be scanned into tokens.
fn position(sql: &str) -> u32 {
    let Ok(scanned) = pg_query::scan(sql) else {
        return 1;
    };
    for token in &scanned.tokens {
        let (Ok(start), Ok(end)) = (usize::try_from(token.start), usize::try_from(token.end))
        else {
            break;
        };
        let (Some(before), Some(prefix)) = (sql.get(..start), sql.get(..end)) else {
            break;
        };
        if refusal(prefix).is_some_and(|message| !message.ends_with("at end of input")) {
            return u32::try_from(before.chars().count() + 1).unwrap_or(1);
        }
    }
    u32::try_from(sql.trim_end().chars().count() + 1).unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::position;

    #[test]
    fn the_position_is_the_token_the_parser_stops_at() {
        let sql = "CREATE TABLE t (\n  a INT NUL\n);";
        assert_eq!(&sql[position(sql) as usize - 1..][..3], "NUL");
        assert_eq!(position("CREAT INDEX i ON t (a);"), 1);
        let sql = "SELECT 'é', 1 FROM t WHERE WHERE";
        assert_eq!(position(sql), 28, "counted in characters");
        assert_eq!(position("SELECT 1 FROM"), 14, "at the end");
    }
}
