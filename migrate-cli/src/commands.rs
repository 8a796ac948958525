//! Each command, run: validation with `migrate-core`, database operations
//! with `migrate-runtime`.

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use migrate_core::Dialect;
use migrate_runtime::{Backend, Migrations, Migrator, Version};

use crate::database::Database;

use crate::messages::{describe, print, println};
use crate::{Command, DbArgs, DirArgs};

/// Runs a command: `Err` holds the message for a person.
pub fn run(command: Command) -> Result<ExitCode, String> {
    match command {
        Command::New {
            name,
            dir,
            timestamp,
            sequential,
            pair,
            rust,
            irreversible,
        } => {
            let scheme = match (timestamp, sequential) {
                (true, _) => Some(migrate_core::Scheme::Timestamp),
                (_, true) => Some(migrate_core::Scheme::Sequential),
                _ => None,
            };
            let layout = match (rust, pair) {
                (Some(driver), _) => {
                    let driver = crate::create::DRIVERS
                        .into_iter()
                        .find(|known| *known == driver)
                        .ok_or("`--rust` takes sqlite, postgres or tokio-postgres")?;
                    crate::create::Layout::Rust(driver)
                }
                (None, true) => crate::create::Layout::Pair,
                (None, false) => crate::create::Layout::Single,
            };
            for path in crate::create::create(&dir.dir, &name, scheme, layout, irreversible)? {
                println(&path.display().to_string());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Fix { dir } => {
            let renames = crate::fix::fix(&dir.dir)?;
            if renames.is_empty() {
                println("nothing to renumber: no timestamp versions");
            }
            for (from, to) in renames {
                println(&format!("{} -> {}", from.display(), to.display()));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Validate {
            dir,
            no_check,
            dialect,
            replay_url,
            sequential_only,
        } => {
            let dialect = dialect_named(&dialect);
            // `--replay-url` (or `MIGRATE_REPLAY_POSTGRES_URL`) for
            // PostgreSQL; for MySQL a `mysql://` one, else
            // `MIGRATE_REPLAY_MYSQL_URL`.
            let replay_url = match dialect {
                Dialect::Mysql => replay_url
                    .filter(|url| crate::database::is_mysql(url))
                    .or_else(|| std::env::var("MIGRATE_REPLAY_MYSQL_URL").ok()),
                Dialect::Postgres => replay_url,
                // The variable, set for a PostgreSQL set's build, is not
                // for this one; the flag given by hand is refused.
                Dialect::Sqlite if replay_url.is_some() && given_as_flag(replay_url.as_deref()) => {
                    return Err(
                        "`--replay-url` replays PostgreSQL or MySQL migrations on that \
                                server; add `--dialect postgres` or `--dialect mysql`"
                            .into(),
                    );
                }
                Dialect::Sqlite => None,
            };
            validate(
                &dir,
                &Checks {
                    dialect,
                    replay: !no_check && dialect == Dialect::Sqlite,
                    parse_postgres: !no_check && dialect == Dialect::Postgres,
                    replay_url: replay_url.filter(|url| !no_check && !url.trim().is_empty()),
                    sequential_only,
                },
            )
        }
        Command::Lint {
            dir,
            dialect,
            from,
            json,
            replay_url,
        } => {
            let dialect = dialect_named(&dialect);
            // The variable, set for a PostgreSQL set's build, is not for
            // another dialect's lint; the flag given by hand is.
            let replay_url = replay_url.filter(|url| {
                !url.trim().is_empty() && (dialect == Dialect::Postgres || given_as_flag(Some(url)))
            });
            crate::lint::lint(&dir, dialect, from, json, replay_url.as_deref())
        }
        operation => on_database(operation),
    }
}

/// The commands that read or change a database: the directory is read and
/// checked first, then the database of `--db` opened (a SQLite file or a
/// PostgreSQL server).
fn on_database(command: Command) -> Result<ExitCode, String> {
    let args = command
        .database()
        .cloned()
        .ok_or("not a database command")?;
    let migrations = directory(&args)?;
    match crate::database::dialect(&args.db) {
        migrate_core::Dialect::Sqlite if args.schema.is_some() => {
            return Err(
                "--schema is for PostgreSQL (the schema of the history table and of the \
                 migrations); a SQLite database has none: remove it"
                    .to_owned(),
            );
        }
        migrate_core::Dialect::Postgres | migrate_core::Dialect::Mysql
            if args.backup_dir.is_some() =>
        {
            return Err(
                "--backup-dir is for SQLite files: this command line backs up no server; \
                 back a PostgreSQL or MySQL database up with its own tools (pg_dump, \
                 mysqldump) before the run, and remove --backup-dir"
                    .to_owned(),
            );
        }
        migrate_core::Dialect::Mysql if args.table.contains('.') => {
            return Err(format!(
                "--table `{}` names a database: on MySQL the history table lives in the \
                 database the migrations change, the one of --db's URL; give the table alone",
                args.table
            ));
        }
        migrate_core::Dialect::Mysql if args.schema.is_some() => {
            return Err(
                "--schema is for PostgreSQL; on MySQL the schema is the database, named in \
                 the URL of --db (mysql://user@host/app): remove --schema"
                    .to_owned(),
            );
        }
        _ => {}
    }
    match crate::database::open(&args.db, command.needs_existing_database())? {
        Database::Sqlite(mut conn, new) => {
            let result = operate(command, &migrations, &mut conn);
            // A new file that a dry run or a refused command left empty is
            // taken back: they change nothing, not even the file system.
            if let Some(new) = new {
                new.take_back_if_empty(conn);
            }
            result
        }
        Database::Postgres(mut client) => operate(command, &migrations, &mut *client),
        Database::Mysql(mut conn) => operate(command, &migrations, &mut *conn),
    }
}

/// Runs a database command on `conn`.
fn operate<B: Backend>(
    command: Command,
    migrations: &Migrations,
    conn: &mut B,
) -> Result<ExitCode, String> {
    match command {
        Command::Status { db, json } => {
            let status = migrator(migrations, &db)
                .status(conn)
                .map_err(|e| describe(&e))?;
            if json {
                let text = serde_json::to_string_pretty(&status).map_err(|e| e.to_string())?;
                println(&text);
            } else {
                print(&describe_status(&status));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Version { db } => {
            let status = migrator(migrations, &db)
                .status(conn)
                .map_err(|e| describe(&e))?;
            let version = status
                .current
                .map_or_else(|| "none".to_owned(), |v| v.to_string());
            // A migration left part-way makes the version dirty, as
            // golang-migrate says it; a script can tell by the exit code.
            let failed = status
                .entries
                .iter()
                .find(|e| e.state == migrate_runtime::State::Failed);
            let Some(failed) = failed else {
                println(&version);
                return Ok(ExitCode::SUCCESS);
            };
            println(&format!("{version} (dirty)"));
            crate::messages::progress(&format!(
                "version {} failed part-way: nothing runs until it is resolved ({})",
                failed.version,
                failed.how_to_resolve(&crate::messages::CommandLine)
            ));
            Ok(ExitCode::from(1))
        }
        Command::Up {
            db,
            to,
            dry_run,
            per_migration,
        } => {
            let mut migrator = migrator(migrations, &db);
            if let Some(to) = to {
                migrator = migrator.to(migrations.version_written(to));
            }
            finish(
                migrator
                    .dry_run(dry_run)
                    .per_migration(per_migration)
                    .run(conn),
            )
        }
        Command::UpTo { version, db } => finish(
            migrator(migrations, &db)
                .to(migrations.version_written(version))
                .run(conn),
        ),
        Command::Down { db, to, steps } => {
            let migrator = migrator(migrations, &db);
            finish(match to {
                Some(to) => migrator.down_to(conn, migrations.version_written(to)),
                None => migrator.down_steps(conn, steps.unwrap_or(1)),
            })
        }
        Command::DownTo { version, db } => {
            finish(migrator(migrations, &db).down_to(conn, migrations.version_written(version)))
        }
        Command::Reset { db } => finish(migrator(migrations, &db).reset(conn)),
        Command::Goto { version, db } => {
            finish(migrator(migrations, &db).goto(conn, migrations.version_written(version)))
        }
        Command::Redo { db } => finish(migrator(migrations, &db).redo(conn)),
        other => rewrite_history(other, migrations, conn),
    }
}

/// The commands that change the history without running migrations.
fn rewrite_history<B: Backend>(
    command: Command,
    migrations: &Migrations,
    conn: &mut B,
) -> Result<ExitCode, String> {
    match command {
        Command::Baseline { version, db } => {
            finish(migrator(migrations, &db).baseline(conn, migrations.version_written(version)))
        }
        Command::Force { version, db, yes } => {
            if !yes {
                return Err(format!(
                    "`migrate force {version}` rewrites the history without running any SQL: migrations up to \
                     {version} are recorded as applied and those above it are forgotten; if the database really \
                     is at version {version} (fixed by hand), run it again with --yes"
                ));
            }
            finish(migrator(migrations, &db).force(conn, migrations.version_written(version)))
        }
        Command::Resolve {
            version,
            db,
            applied,
            pending: _,
        } => {
            let resolution = if applied {
                migrate_runtime::Resolution::Applied
            } else {
                migrate_runtime::Resolution::Pending
            };
            finish(migrator(migrations, &db).resolve(
                conn,
                migrations.version_written(version),
                resolution,
            ))
        }
        Command::Adopt { db, from } => {
            let migrator = migrator(migrations, &db);
            finish(match from {
                Some(tool) => migrator.adopt_from(conn, tool),
                None => migrator.adopt(conn),
            })
        }
        _ => Err("this command works on the migration directory, not a database".to_owned()),
    }
}

/// Reads and validates the directory; every problem is printed as the
/// compile error would say it.
pub(crate) fn load(
    dir: &DirArgs,
    dialect: migrate_core::Dialect,
) -> Result<migrate_core::MigrationSet, Vec<migrate_core::Problem>> {
    let options = migrate_core::Options {
        allow_gaps: dir.allow_gaps,
        irreversible_before: dir.irreversible_before.map(Version),
        dialect,
    };
    migrate_core::load(Path::new("."), &dir.dir.to_string_lossy(), &options)
}

/// The dialect `--dialect` names (clap allows only these words).
fn dialect_named(name: &str) -> Dialect {
    match name {
        "postgres" => Dialect::Postgres,
        "mysql" => Dialect::Mysql,
        _ => Dialect::Sqlite,
    }
}

/// Whether `--replay-url`'s value was given as the flag rather than taken
/// from `MIGRATE_REPLAY_POSTGRES_URL` (clap fills it from either).
fn given_as_flag(url: Option<&str>) -> bool {
    std::env::var("MIGRATE_REPLAY_POSTGRES_URL").ok().as_deref() != url
}

/// What `migrate validate` checks beyond the format.
struct Checks {
    /// The rules the files are read by (`--dialect`).
    dialect: Dialect,
    /// Replay the SQL on SQLite (`--dialect sqlite`).
    replay: bool,
    /// Parse every statement with PostgreSQL's parser (`--dialect postgres`).
    parse_postgres: bool,
    /// Replay on a scratch database of this PostgreSQL or MySQL server
    /// (`--replay-url`).
    replay_url: Option<String>,
    /// Refuse timestamp versions (`--sequential-only`).
    sequential_only: bool,
}

/// The note that says which Rust migrations a command went around (they
/// are checked in the sequence, but this command cannot compile them):
/// `None` when the set has none.
pub fn rust_skipped(set: &migrate_core::MigrationSet, what: &str) -> Option<String> {
    let files: Vec<&str> = set
        .migrations
        .iter()
        .filter(|m| m.is_rust())
        .map(migrate_core::Migration::up_path)
        .collect();
    (!files.is_empty()).then(|| {
        format!(
            "note: {} checked in the sequence but not {what} (Rust, which only `embed_migrations!` \
             compiles; their effect is proven by a migration-path test that runs them, \
             `testing::MigrationTest`): {}",
            count(files.len(), "Rust migration"),
            files.join(", ")
        )
    })
}

fn validate(dir: &DirArgs, checks: &Checks) -> Result<ExitCode, String> {
    let mut server_error = None;
    // What the PostgreSQL server traced of each statement, for the lints.
    let mut traced = None;
    let mut parsed = false;
    let checked = load(dir, checks.dialect).and_then(|set| {
        for ignored in &set.ignored {
            crate::messages::progress(&format!(
                "note: {ignored} is not a migration (a file without a version beside diesel's \
                 migration folders, which diesel does not read either); ignored"
            ));
        }
        if let Some(note) = rust_skipped(&set, "replayed or parsed") {
            crate::messages::progress(&note);
        }
        let mut problems = if checks.sequential_only {
            migrate_core::leftover_timestamps(&set)
        } else {
            Vec::new()
        };
        if checks.replay {
            problems.extend(migrate_replay::replay(&set));
        }
        if checks.parse_postgres {
            match migrate_replay::parse_postgres(&set) {
                Some(refused) => {
                    parsed = true;
                    problems.extend(refused);
                }
                None => crate::messages::progress(
                    "note: the PostgreSQL statements were not parsed: this `migrate` was built without \
                     PostgreSQL's parser; install it with `cargo install --path migrate-cli --features \
                     postgres-parse` (building the parser needs libclang: Debian's libclang-dev)",
                ),
            }
        }
        if let Some(url) = &checks.replay_url
            && problems.is_empty()
        {
            let replayed = if checks.dialect == Dialect::Mysql {
                migrate_replay::replay_mysql(&set, url)
            } else {
                migrate_replay::replay_postgres_traced(&set, url).map(|replayed| {
                    traced = Some(replayed.statements);
                    replayed.problems
                })
            };
            match replayed {
                Ok(found) => problems.extend(found),
                Err(error) => server_error = Some(error),
            }
        }
        if problems.is_empty() {
            Ok(set)
        } else {
            Err(problems)
        }
    });
    if let Some(error) = server_error {
        return Err(format!(
            "cannot replay the migrations on the server of `--replay-url` (or its variable): {error}"
        ));
    }
    Ok(match checked {
        Ok(set) => {
            println(&verdict(&set, checks, parsed));
            if let Some(traced) = traced {
                traced_lints(&set, &traced);
            }
            ExitCode::SUCCESS
        }
        Err(problems) => {
            for problem in &problems {
                crate::report_error(&crate::messages::problem(problem));
            }
            crate::messages::progress(&format!(
                "{} in {}",
                count(problems.len(), "problem"),
                dir.dir.display()
            ));
            ExitCode::FAILURE
        }
    })
}

/// After a replay on PostgreSQL: the lint findings with what the server
/// traced, as warnings (what `embed_migrations!` warns of with the same
/// server; `migrate lint --replay-url` fails on them).
fn traced_lints(set: &migrate_core::MigrationSet, traced: &[migrate_core::TracedStatement]) {
    let findings = migrate_core::lint_traced(set, Dialect::Postgres, None, traced);
    for finding in &findings {
        crate::messages::progress(&format!("warning: {finding}"));
    }
    if !findings.is_empty() {
        crate::messages::progress(&format!(
            "{} with the locks traced on the server (warnings here; `migrate lint \
             --dialect postgres --replay-url …` exits with 1 on them)",
            count(findings.len(), "lint finding")
        ));
    }
}

/// What `validate` says of a set that passed every check.
fn verdict(set: &migrate_core::MigrationSet, checks: &Checks, parsed: bool) -> String {
    let environments = set.environments();
    let mut text = format!(
        "ok: {} in {}",
        count(set.migrations.len(), "migration"),
        set.dir
    );
    if let Some(before) = set.history_before {
        let _ = write!(
            text,
            " ({} below version {before} taken as history: Downs not checked, irreversible)",
            count(set.history_count(), "migration")
        );
    }
    if checks.replay {
        text.push_str(", replayed on SQLite, every Down restores its schema");
    }
    if parsed {
        text.push_str(", every statement parsed by PostgreSQL's parser");
    }
    if checks.replay_url.is_some() {
        let server = if checks.dialect == Dialect::Mysql {
            "MySQL"
        } else {
            "PostgreSQL"
        };
        let _ = write!(
            text,
            ", replayed on a scratch {server} database, every Down restores its schema"
        );
    }
    if !environments.is_empty() {
        text.push_str(" (environments: ");
        text.push_str(&environments.join(", "));
        text.push(')');
    }
    text
}

/// The directory, validated; every problem is listed.
fn directory(db: &DbArgs) -> Result<Migrations, String> {
    checked(&db.dir, crate::database::dialect(&db.db)).map(Migrations::from_set)
}

/// The directory, read and validated; its problems listed in one message.
pub(crate) fn checked(
    dir: &DirArgs,
    dialect: migrate_core::Dialect,
) -> Result<migrate_core::MigrationSet, String> {
    load(dir, dialect).map_err(|problems| {
        let lines: Vec<String> = problems.iter().map(crate::messages::problem).collect();
        format!(
            "the migration directory has {}:\n  {}",
            count(lines.len(), "problem"),
            lines.join("\n  ")
        )
    })
}

/// The status table, with the library's advice in the command line's words.
fn describe_status(status: &migrate_runtime::Status) -> String {
    status.worded(&crate::messages::CommandLine).to_string()
}

fn migrator<'m>(migrations: &'m Migrations, db: &DbArgs) -> Migrator<'m> {
    let mut migrator = migrations
        .migrator()
        .table(db.table.clone())
        .busy_timeout(Duration::from_millis(db.busy_timeout))
        .lock_lease(Duration::from_millis(db.lock_lease))
        .lock_timeout(Duration::from_millis(db.lock_timeout))
        .direct_connection(db.direct)
        .backup(!db.no_backup)
        .on_progress(|step| crate::messages::progress(&step.to_string()))
        .on_lock_retry(|retry| crate::messages::progress(&retry.to_string()));
    if let Some(env) = &db.env {
        migrator = migrator.environment(env.clone());
    }
    if let Some(dir) = &db.backup_dir {
        migrator = migrator.backup_dir(dir.clone());
    }
    if let Some(schema) = &db.schema {
        migrator = migrator.schema(schema.clone());
    }
    if let Some(ms) = db.timeout {
        migrator = migrator.timeout(Duration::from_millis(ms));
    }
    if let Some(ms) = db.run_timeout {
        migrator = migrator.run_timeout(Duration::from_millis(ms));
    }
    migrator.allow_out_of_order(db.allow_out_of_order)
}

fn finish(result: migrate_runtime::Result<migrate_runtime::Report>) -> Result<ExitCode, String> {
    let report = result.map_err(|e| describe(&e))?;
    // One write for the whole report.
    print(&report.to_string());
    Ok(ExitCode::SUCCESS)
}

/// `1 problem`, `2 problems`: a count with its noun.
pub(crate) fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}
