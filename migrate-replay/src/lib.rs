//! The build-time proof: every migration of a set is applied to an
//! in-memory SQLite, statement by statement, in version order; each
//! reversible migration's Down is applied right after its Up and must give
//! back exactly the schema from before the Up; then the Up runs again and the
//! replay goes on.
//!
//! The `embed_migrations!` macro runs this after the format checks, and the
//! `migrate validate` command runs it too, so both report the same problems.
//!
//! ```
//! # let root = tempfile::tempdir()?;
//! # std::fs::create_dir(root.path().join("migrations"))?;
//! std::fs::write(
//!     root.path().join("migrations/001_a.sql"),
//!     "-- +migrate Up\nCREATE TABLE a (n INT);\nCREATE INDEX a_n ON a (n);\n-- +migrate Down\nDROP TABLE a;\n",
//! )?;
//! std::fs::write(
//!     root.path().join("migrations/002_b.sql"),
//!     "-- +migrate Up\nCREATE INDXE b ON a (n);\n-- +migrate Down\n",
//! )?;
//! let set = migrate_core::load(root.path(), "migrations", &Default::default()).expect("valid format");
//! let problems: Vec<String> = migrate_replay::replay(&set).iter().map(ToString::to_string).collect();
//! assert_eq!(problems, [
//!     "migrations/002_b.sql:2: near \"INDXE\": syntax error; found by replaying the Up section on SQLite at build time",
//! ]);
//! # Ok::<(), std::io::Error>(())
//! ```
#![warn(missing_docs)]

#[cfg(any(feature = "postgres-replay", feature = "mysql-replay"))]
mod catalog;
#[cfg(feature = "mysql-replay")]
mod mysql;
mod normal;
#[cfg(feature = "postgres-parse")]
mod postgres;
mod resume;
mod schema;
#[cfg(any(feature = "postgres-replay", feature = "mysql-replay"))]
mod scratch_name;
mod sequence;
#[cfg(feature = "postgres-replay")]
mod server;
#[cfg(any(feature = "postgres-replay", feature = "mysql-replay"))]
mod server_error;
mod sqlite;
mod table;

use std::collections::BTreeSet;

use migrate_core::{Migration, MigrationSet, Problem, ProblemKind};

#[cfg(feature = "mysql-replay")]
pub use mysql::{MysqlScratch, replay_mysql, schema_objects as mysql_schema_objects};
pub use resume::replay_resuming;
pub use sequence::{BUILD_LIMIT, DEFAULT_STATEMENT_LIMIT};
#[cfg(feature = "postgres-replay")]
pub use server::{Scratch, ServerAddress, Traced, replay_postgres, replay_postgres_traced};
#[cfg(any(feature = "postgres-replay", feature = "mysql-replay"))]
pub use server_error::ServerError;

/// Parses every statement of `set` with PostgreSQL's own parser
/// (`dialect = "postgres"`) and returns a problem for each one it refuses;
/// `None` when this crate was built without the `postgres-parse` feature.
pub fn parse_postgres(set: &MigrationSet) -> Option<Vec<Problem>> {
    #[cfg(feature = "postgres-parse")]
    return Some(postgres::parse(set));
    #[cfg(not(feature = "postgres-parse"))]
    {
        let _ = set;
        None
    }
}

/// Replays the base set, then the base set plus each environment, and
/// returns every problem found (none when the set is sound). After a
/// failing statement or a Down that does not restore the schema the state
/// is put back and the replay goes on, so one build shows every problem; a
/// failure after a failed Up says that it may follow from it.
///
/// Migrations marked `-- +migrate NoCheck <reason>` are skipped.
pub fn replay(set: &MigrationSet) -> Vec<Problem> {
    let deadline = sequence::build_deadline(std::time::Instant::now());
    let replayed = each_sequence(set, |migrations| {
        Ok::<_, std::convert::Infallible>(match sqlite::Sqlite::open() {
            Ok(mut target) => {
                sequence::replay(&mut target, migrations, deadline).unwrap_or_else(|stopped| {
                    let mut problems = stopped.problems;
                    problems.push(unreadable(
                        &stopped.at,
                        format!("cannot read the replayed schema: {}", stopped.error),
                    ));
                    problems
                })
            }
            Err(error) => vec![unreadable(
                "(replay)",
                format!("cannot open an in-memory SQLite: {error}"),
            )],
        })
    });
    match replayed {
        Ok(problems) => problems,
        Err(never) => match never {},
    }
}

/// Runs `replay_one` on the base set, then on the base set plus each
/// environment, and gathers their problems, each once. When the base set
/// has problems the environments are not replayed: they would fail there
/// too. The first `Err` (the database failing, not the SQL) ends it.
fn each_sequence<'s, E>(
    set: &'s MigrationSet,
    mut replay_one: impl FnMut(&mut dyn Iterator<Item = &'s Migration>) -> Result<Vec<Problem>, E>,
) -> Result<Vec<Problem>, E> {
    let mut problems: Vec<Problem> = Vec::new();
    let mut seen = BTreeSet::new();
    let environments = std::iter::once(None).chain(set.environments().into_iter().map(Some));
    for environment in environments {
        let mut migrations = set.migrations.iter().filter(|m| m.applies_to(environment));
        for problem in replay_one(&mut migrations)? {
            if seen.insert(problem.to_string()) {
                problems.push(problem);
            }
        }
        if environment.is_none() && !problems.is_empty() {
            break;
        }
    }
    Ok(problems)
}

/// The replay itself could not go on (not a problem of the SQL).
fn unreadable(path: &str, message: String) -> Problem {
    Problem::new(path, None, ProblemKind::Unreadable { message })
}
