//! The replay of one sequence of migrations, the same on every database:
//! Up; for a reversible migration Down, the schema compared with the one
//! from before the Up, Up again. What a database does at each step (a
//! savepoint, a copy, reading its schema) is its [`Target`]'s.

use std::time::{Duration, Instant};

use migrate_core::{Migration, Problem, ProblemKind, ReplayedSection, Statement};

/// How long a statement may run at build time when its migration gives no
/// `Timeout`: on an empty scratch database, a statement still running after
/// this long runs away (a recursive query without end, a sleep), and a
/// build must end.
pub const DEFAULT_STATEMENT_LIMIT: Duration = Duration::from_secs(10);

/// How long the whole replay of one build may take: a set whose every
/// statement ends within its own limit can still add up past any wait a
/// build should have. Past it, the replay stops with a problem at the
/// migration it reached.
pub const BUILD_LIMIT: Duration = Duration::from_secs(600);

/// When the replay of a build started at `started` must end.
pub(crate) fn build_deadline(started: Instant) -> Instant {
    started + BUILD_LIMIT
}

/// A statement's time limit at build time: its migration's `Timeout`
/// (which the run applies too), else [`DEFAULT_STATEMENT_LIMIT`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limit {
    pub duration: Duration,
    /// The migration's own `Timeout`, not the default.
    pub own: bool,
}

impl Default for Limit {
    /// [`DEFAULT_STATEMENT_LIMIT`], the build's own.
    fn default() -> Limit {
        Limit {
            duration: DEFAULT_STATEMENT_LIMIT,
            own: false,
        }
    }
}

impl Limit {
    fn of(migration: &Migration) -> Limit {
        match migration.timeout {
            Some(duration) => Limit {
                duration,
                own: true,
            },
            None => Limit::default(),
        }
    }

    /// What a statement stopped at this limit says.
    pub(crate) fn stopped(self) -> String {
        if self.own {
            format!(
                "stopped at its migration's time limit of {:?} (`-- +migrate Timeout`), as the run \
                 would stop it",
                self.duration
            )
        } else {
            format!(
                "still running after {:?} on an empty database at build time, so stopped: a \
                 statement that runs away (a recursive query without end, a sleep) never ends \
                 a build; give the migration a longer `-- +migrate Timeout` if it needs one",
                self.duration
            )
        }
    }
}

/// A database the replay runs on.
pub(crate) trait Target {
    /// A state to go back to.
    type Checkpoint;
    /// The database failing, not the SQL (a savepoint refused, a lost session).
    type Error: std::fmt::Display;

    /// Before `migration`'s Up: remember the schema its Down must give back.
    fn start(&mut self, migration: &Migration) -> Result<(), Self::Error>;
    /// The time limit of each statement of the migration that starts.
    fn limit(&mut self, limit: Limit);
    /// A state to go back to; `copy` for a migration that runs outside a
    /// transaction (and may run its own), where a savepoint cannot hold.
    fn checkpoint(
        &mut self,
        name: &'static str,
        copy: bool,
    ) -> Result<Self::Checkpoint, Self::Error>;
    /// Puts the database back to `checkpoint`, which stays usable.
    fn restore(&mut self, checkpoint: &Self::Checkpoint) -> Result<(), Self::Error>;
    /// Keeps what was done since `checkpoint`.
    fn release(&mut self, checkpoint: Self::Checkpoint) -> Result<(), Self::Error>;
    /// Runs one statement; a failure names its file and line.
    fn execute(
        &mut self,
        statement: &Statement,
        path: &str,
        section: ReplayedSection,
    ) -> Result<(), Problem>;
    /// Runs statements in order; the first failure stops them.
    fn run(
        &mut self,
        statements: &[Statement],
        path: &str,
        section: ReplayedSection,
    ) -> Result<(), Problem> {
        statements
            .iter()
            .try_for_each(|statement| self.execute(statement, path, section))
    }
    /// How the schema now differs from the one [`Target::start`] remembered,
    /// one sentence each (to follow "Down of `004_idx` …").
    fn differences(&mut self) -> Result<Vec<String>, Self::Error>;
    /// After a migration: the schema now is the one the next starts from
    /// (nothing to do for a target that reads the schema at each start).
    fn finish(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// The replay could not go on: the database failed, not the SQL.
pub(crate) struct Stopped<E> {
    /// The problems found before.
    pub problems: Vec<Problem>,
    /// The Up file of the migration it stopped at.
    pub at: String,
    /// What failed.
    pub error: E,
}

/// Replays `migrations` in order on `target`. A failing statement or a
/// Down that does not restore the schema is reported, the state is put
/// back, and the replay goes on, so that one build shows every problem.
/// Migrations marked `-- +migrate NoCheck <reason>` are skipped, and so
/// are Rust migrations, whose functions only a program can run (they are
/// declared to change data only: the schema around them is the same).
pub(crate) fn replay<'a, T: Target>(
    target: &mut T,
    migrations: impl Iterator<Item = &'a Migration>,
    deadline: Instant,
) -> Result<Vec<Problem>, Stopped<T::Error>> {
    let mut replay = Replay {
        target,
        problems: Vec::new(),
        failed_up: None,
        deadline,
    };
    for migration in migrations {
        if migration.no_check.is_some() || migration.rust {
            continue;
        }
        if Instant::now() >= deadline {
            replay.problems.push(Problem::new(
                migration.up_path.as_ref(),
                None,
                ProblemKind::ReplayOverBuildLimit {
                    minutes: BUILD_LIMIT.as_secs() / 60,
                },
            ));
            break;
        }
        if let Err(error) = replay.migration(migration) {
            return Err(Stopped {
                problems: replay.problems,
                at: migration.up_path.to_string(),
                error,
            });
        }
    }
    Ok(replay.problems)
}

/// One replay under way.
struct Replay<'t, T> {
    target: &'t mut T,
    problems: Vec<Problem>,
    /// Where the first Up that failed failed: later failures may follow from it.
    failed_up: Option<String>,
    /// When the build's replay must end.
    deadline: Instant,
}

impl<T: Target> Replay<'_, T> {
    /// Up; for a reversible migration Down, compare, Up again. Problems go
    /// to `problems` and the state is put back: to before the Up when the
    /// Up fails, to after it when the Down fails or does not restore the
    /// schema, or when the second Up fails. The `Err` is the replay itself
    /// failing.
    fn migration(&mut self, migration: &Migration) -> Result<(), T::Error> {
        self.target.start(migration)?;
        // A statement's limit, within what the build has left.
        let mut limit = Limit::of(migration);
        limit.duration = limit
            .duration
            .min(self.deadline.saturating_duration_since(Instant::now()));
        self.target.limit(limit);
        let copy = migration.no_transaction;
        let before_up = self.target.checkpoint("replay_before_up", copy)?;
        if let Err(problem) =
            self.target
                .run(&migration.up, &migration.up_path, ReplayedSection::Up)
        {
            self.failed(problem, true);
            self.target.restore(&before_up)?;
            return self.target.release(before_up);
        }
        let Some(down) = &migration.down else {
            self.target.release(before_up)?;
            return self.target.finish();
        };
        let after_up = self.target.checkpoint("replay_after_up", copy)?;
        let down_path = migration.down_path.as_deref().unwrap_or(&migration.up_path);
        let restored = if let Err(problem) = self.target.run(down, down_path, ReplayedSection::Down)
        {
            self.failed(problem, false);
            false
        } else {
            let differences = self.target.differences()?;
            let label = label(migration);
            self.problems.extend(differences.iter().map(|difference| {
                let kind = ProblemKind::DownDoesNotRestore {
                    migration: label.clone(),
                    difference: difference.clone(),
                };
                Problem::new(down_path, None, kind)
            }));
            differences.is_empty()
        };
        let again = restored
            && self
                .target
                .run(&migration.up, &migration.up_path, ReplayedSection::UpAgain)
                .map_err(|problem| self.failed(problem, false))
                .is_ok();
        if !again {
            // Back to the state after the first Up, which the next migration expects.
            self.target.restore(&after_up)?;
        }
        self.target.release(after_up)?;
        self.target.release(before_up)?;
        self.target.finish()
    }

    /// Records a failed statement, with a word when an earlier Up failed.
    fn failed(&mut self, mut problem: Problem, in_up: bool) {
        if let (Some(at), Some(message)) = (&self.failed_up, problem.kind.replay_message_mut()) {
            *message = format!("{message} (this may follow from the failure at `{at}`)");
        }
        if in_up && self.failed_up.is_none() {
            let line = problem.line.map(|l| format!(":{l}")).unwrap_or_default();
            self.failed_up = Some(format!("{}{line}", problem.path));
        }
        self.problems.push(problem);
    }
}

/// `<version>_<name>`, as the Down message names a migration: a diesel
/// folder's name (`2017-01-01-000000_init` for `…/up.sql`), else the Up
/// file's version as written and the migration's name.
fn label(migration: &Migration) -> String {
    let mut parts = migration.up_path.rsplit('/');
    let file = parts.next().unwrap_or_default();
    if file.eq_ignore_ascii_case("up.sql")
        && let Some(folder) = parts.next()
    {
        return folder.to_owned();
    }
    let version = file.split('_').next().unwrap_or_default();
    format!("{version}_{}", migration.name)
}

#[cfg(test)]
mod tests {
    use super::label;

    fn named(up_path: &'static str, name: &'static str) -> migrate_core::Migration {
        migrate_core::Migration {
            version: migrate_core::Version(1),
            name: name.into(),
            environment: None,
            up_path: up_path.into(),
            down_path: None,
            up: Vec::new().into(),
            down: None,
            no_transaction: false,
            foreign_keys_off: false,
            unordered: false,
            checksum: migrate_core::Checksum([0; 32]),
            up_file_sha384: [0; 48],
            up_file_text: None,
            timeout: None,
            lock_timeout: None,
            idempotent: None,
            no_check: None,
            rust: false,
        }
    }

    #[test]
    fn a_diesel_folder_is_named_by_the_folder() {
        assert_eq!(
            label(&named(
                "migrations/2017-01-01-000000_dumped_migration_12/up.sql",
                "dumped_migration_12"
            )),
            "2017-01-01-000000_dumped_migration_12"
        );
        assert_eq!(label(&named("migrations/004_idx.sql", "idx")), "004_idx");
        assert_eq!(label(&named("m/004_idx.up.sql", "idx")), "004_idx");
    }

    /// Past the build's deadline the replay stops with a problem at the
    /// migration it reached, and checks none after it.
    #[test]
    fn a_replay_past_the_builds_limit_stops_where_it_got_to() {
        let root = tempfile::tempdir().expect("tempdir");
        let dir = root.path().join("migrations");
        std::fs::create_dir(&dir).expect("mkdir");
        for (k, table) in ["a", "b"].iter().enumerate() {
            std::fs::write(
                dir.join(format!("00{}_{table}.sql", k + 1)),
                format!(
                    "-- +migrate Up\nCREATE TABLE {table} (x INT);\nCREATE TABLE {table} (x INT);\n"
                ),
            )
            .expect("write");
        }
        let set = migrate_core::load(root.path(), "migrations", &migrate_core::Options::default())
            .expect("valid");
        let mut target = crate::sqlite::Sqlite::open().expect("in memory");
        let passed = std::time::Instant::now();
        let problems = super::replay(&mut target, set.migrations.iter(), passed)
            .unwrap_or_else(|_| panic!("the replay failed"));
        let said: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(said.len(), 1, "{said:?}");
        assert!(
            said[0].starts_with(
                "migrations/001_a.sql: the replay stopped here: it ran past the 10 minutes"
            ),
            "{said:?}"
        );
    }
}
