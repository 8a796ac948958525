//! `migrate`: the command line beside `embed_migrations!`. It reads a
//! migration directory with exactly the rules and messages of the macro
//! (both use `migrate-core`) and runs the runtime's operations on a SQLite
//! file.
#![warn(missing_docs)]

mod commands;
mod create;
mod database;
mod files;
mod fix;
mod lint;
mod messages;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

/// Create, renumber, validate, apply, revert and inspect SQL migrations.
#[derive(Debug, Parser)]
#[command(name = "migrate", version, about, after_help = EXAMPLES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

const EXAMPLES: &str = "\
Examples:
  migrate new create_users                 create migrations/001_create_users.sql
  migrate validate                         check the directory as the macro does
  migrate up --db app.db                   apply everything pending
  migrate status --db app.db --json        the state of every migration, for scripts
  migrate down --db app.db --steps 2       revert the two newest migrations
  migrate adopt --db app.db                take over a database goose, sqlx, refinery … migrated
  migrate fix                              renumber timestamp versions to sequential ones

goose's and golang-migrate's verbs work too: create, up-to, down-to, goto, version, reset, force.";

/// Where the migrations are.
#[derive(Debug, Clone, Args)]
struct DirArgs {
    /// The migration directory.
    #[arg(long, default_value = "migrations", value_name = "DIR")]
    dir: PathBuf,
    /// Accept a sequential set that does not start at 1 or has gaps.
    #[arg(long)]
    allow_gaps: bool,
    /// Take the migrations below VERSION as history: their Downs are not
    /// checked and count as irreversible, their lint findings do not fail.
    #[arg(long, value_name = "VERSION")]
    irreversible_before: Option<u64>,
}

/// Where the database is and how to run against it.
#[derive(Debug, Clone, Args)]
struct DbArgs {
    #[command(flatten)]
    dir: DirArgs,
    /// The database: a SQLite file (`app.db`, `sqlite:app.db`, `sqlite://app.db`,
    /// `sqlite3://app.db`, `file:app.db`), a PostgreSQL server
    /// (`postgres://user@host/db`) or a MySQL or MariaDB server
    /// (`mysql://user@host:3306/db`, `mariadb://…`).
    #[arg(long, env = "DATABASE_URL", value_name = "URL", hide_env_values = true)]
    db: String,
    /// Also apply the migrations of `<dir>/<ENV>/`.
    #[arg(long, value_name = "ENV")]
    env: Option<String>,
    /// The history table.
    #[arg(long, default_value = migrate_runtime::DEFAULT_TABLE, value_name = "NAME")]
    table: String,
    /// The schema to migrate (PostgreSQL): the history table is in it, and
    /// the run's `search_path` is set to it in each of its transactions.
    #[arg(long, value_name = "NAME")]
    schema: Option<String>,
    /// PostgreSQL: `--db` is straight to the server (or a pooler in session
    /// mode), not a pooler in transaction mode. A statement that cannot run
    /// in a transaction (`CREATE INDEX CONCURRENTLY` …) then gets `--schema`
    /// and the time limit for the session around it; without `--direct`, a
    /// run refuses to send such a statement when it needs either.
    #[arg(long)]
    direct: bool,
    /// How long one migration may run, in milliseconds, when its file does
    /// not say (`-- +migrate Timeout 30s`).
    #[arg(long, value_name = "MS")]
    timeout: Option<u64>,
    /// How long the whole run may take, in milliseconds.
    #[arg(long, value_name = "MS")]
    run_timeout: Option<u64>,
    /// How long to wait for another process's lock, in milliseconds; on
    /// PostgreSQL also how long in all a run may try again for the locks
    /// its statements need.
    #[arg(long, default_value_t = 30_000, value_name = "MS")]
    busy_timeout: u64,
    /// PostgreSQL, runs across transactions (`NoTransaction` migrations,
    /// `--per-migration`): how long the lock outlives this process's last
    /// sign of life, in milliseconds.
    #[arg(long, default_value_t = 10_000, value_name = "MS")]
    lock_lease: u64,
    /// PostgreSQL, MySQL: how long each statement may wait for a lock on a
    /// table, in milliseconds (MySQL: whole seconds, rounded up), before
    /// its transaction is rolled back and tried again after a pause (until
    /// `--busy-timeout` is spent); queries on the table queue behind it
    /// that long at most. `0`: no limit.
    #[arg(long, default_value_t = 2_000, value_name = "MS")]
    lock_timeout: u64,
    /// Do not back up the database before changing it.
    #[arg(long)]
    no_backup: bool,
    /// Write backups into this directory instead of beside the database
    /// (SQLite; a server's data is backed up with its own tools).
    #[arg(long, value_name = "DIR")]
    backup_dir: Option<PathBuf>,
    /// Apply pending migrations older than the newest applied one.
    #[arg(long)]
    allow_out_of_order: bool,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create the next migration file with an Up/Down template.
    #[command(
        visible_alias = "create",
        after_help = "Example:\n  migrate new add_email_to_users --pair\n  \
        creates migrations/004_add_email_to_users.up.sql and .down.sql"
    )]
    New {
        /// The migration's name: any text without a path separator or a
        /// control character (spaces and `-` are kept as written).
        name: String,
        #[command(flatten)]
        dir: DirArgs,
        /// Version the file with the current UTC time (YYYYMMDDHHMMSS).
        #[arg(long, conflicts_with = "sequential")]
        timestamp: bool,
        /// Version the file with the next sequential number (the default for a
        /// new directory; otherwise the directory's scheme is kept).
        #[arg(long)]
        sequential: bool,
        /// Create a `.up.sql` and `.down.sql` pair instead of one file.
        #[arg(long)]
        pair: bool,
        /// Create a Rust migration (`.rs`) for this driver: its `pub fn up`
        /// and `pub fn down`, run by a program that embeds the set.
        #[arg(
            long,
            value_name = "DRIVER",
            num_args = 0..=1,
            default_missing_value = "sqlite",
            value_parser = ["sqlite", "postgres", "tokio-postgres"],
            conflicts_with = "pair"
        )]
        rust: Option<String>,
        /// Declare the migration irreversible (no Down).
        #[arg(long)]
        irreversible: bool,
    },
    /// Rename timestamp versions to sequential ones after the highest
    /// sequential version, keeping their order.
    #[command(after_help = "Example:\n  migrate fix --dir db/migrations")]
    Fix {
        #[command(flatten)]
        dir: DirArgs,
    },
    /// Check the directory as `embed_migrations!` does: the format, then a
    /// replay of the SQL on SQLite proving each Down restores the schema
    /// (for PostgreSQL: every statement parsed, and with `--replay-url` the
    /// same replay on a scratch database of that server). Exit code 1 on
    /// any problem.
    #[command(
        after_help = "Examples (a pre-commit hook or CI step):\n  migrate validate --dir migrations\n  migrate validate --dir migrations --dialect postgres --replay-url postgres://postgres@localhost/postgres\n  migrate validate --dir migrations --dialect mysql --replay-url mysql://root@localhost:3306"
    )]
    Validate {
        #[command(flatten)]
        dir: DirArgs,
        /// Check the format only; do not replay or parse the SQL.
        #[arg(long)]
        no_check: bool,
        /// The SQL dialect: `sqlite` replays the SQL on SQLite; `postgres`
        /// parses every statement with PostgreSQL's own parser instead;
        /// `mysql` (MySQL and MariaDB) reads the files by MySQL's rules.
        #[arg(long, default_value = "sqlite", value_parser = ["sqlite", "postgres", "mysql"])]
        dialect: String,
        /// With `--dialect postgres`: a PostgreSQL server to replay the
        /// migrations on, in a scratch database created from `template0`
        /// and dropped afterwards (the role needs `CREATEDB`). With
        /// `--dialect mysql`: a `mysql://` URL of a MySQL or MariaDB server
        /// (or `MIGRATE_REPLAY_MYSQL_URL`), the user allowed to create
        /// and drop `migrate_replay_%` databases.
        #[arg(
            long,
            env = "MIGRATE_REPLAY_POSTGRES_URL",
            value_name = "URL",
            hide_env_values = true
        )]
        replay_url: Option<String>,
        /// Fail on timestamp versions: with goose's hybrid versioning, a
        /// release runs `migrate fix` first, and CI checks it did.
        #[arg(long)]
        sequential_only: bool,
    },
    /// Lint the Up sections for changes a running release cannot survive:
    /// destructive, backward-incompatible, data-dependent and (with
    /// `--dialect postgres`) locking ones, as `embed_migrations!` does.
    /// Exit code 1 on any finding (from `--from` on, when given).
    #[command(
        after_help = "Examples (a CI step):\n  migrate lint --dir migrations --from 42\n  migrate lint --dialect postgres --json\n  migrate lint --dialect postgres --replay-url postgres://postgres@localhost/postgres"
    )]
    Lint {
        #[command(flatten)]
        dir: DirArgs,
        /// The SQL dialect: `postgres` adds the PostgreSQL locking rules;
        /// `mysql` reads the files by MySQL's rules.
        #[arg(long, default_value = "sqlite", value_parser = ["sqlite", "postgres", "mysql"])]
        dialect: String,
        /// Count only the findings of migrations from this version on (the
        /// release being made): older ones already ran. Objects created
        /// from this version on are new, so changing them is no finding.
        #[arg(long, value_name = "VERSION")]
        from: Option<u64>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        /// With `--dialect postgres`: a PostgreSQL server to replay the
        /// migrations on (a scratch database, dropped after), tracing the
        /// locks each statement takes there: the rules' findings the server
        /// confirms say what it saw, those it refutes are dropped, and a
        /// rewrite or full read under a lock that no rule found is a
        /// finding of its own.
        #[arg(
            long,
            env = "MIGRATE_REPLAY_POSTGRES_URL",
            value_name = "URL",
            hide_env_values = true
        )]
        replay_url: Option<String>,
    },
    /// Show every migration: applied or pending, when, drift.
    #[command(after_help = "Example:\n  migrate status --db app.db --json")]
    Status {
        #[command(flatten)]
        db: DbArgs,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Apply pending migrations (all, or up to a version).
    #[command(after_help = "Example:\n  migrate up --db app.db --to 12 --dry-run")]
    Up {
        #[command(flatten)]
        db: DbArgs,
        /// Stop at this version.
        #[arg(long, value_name = "VERSION")]
        to: Option<u64>,
        /// Print the plan and its SQL; change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Commit each migration on its own instead of all in one transaction.
        #[arg(long)]
        per_migration: bool,
    },
    /// Revert migrations (one by default).
    #[command(after_help = "Example:\n  migrate down --db app.db --to 3")]
    Down {
        #[command(flatten)]
        db: DbArgs,
        /// Revert every migration above this version (0: all).
        #[arg(long, value_name = "VERSION", conflicts_with = "steps")]
        to: Option<u64>,
        /// Revert this many migrations.
        #[arg(long, value_name = "N")]
        steps: Option<usize>,
    },
    /// Revert the newest migration and apply it again.
    #[command(after_help = "Example:\n  migrate redo --db app.db")]
    Redo {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Apply pending migrations up to and including VERSION (goose's `up-to`).
    #[command(after_help = "Example:\n  migrate up-to 12 --db app.db")]
    UpTo {
        /// The version to stop at.
        version: u64,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Revert every migration above VERSION (goose's `down-to`; 0: all).
    #[command(after_help = "Example:\n  migrate down-to 3 --db app.db")]
    DownTo {
        /// The version to go down to.
        version: u64,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Apply or revert migrations until the database is at VERSION
    /// (golang-migrate's `goto`).
    #[command(after_help = "Example:\n  migrate goto 5 --db app.db")]
    Goto {
        /// The version to end at.
        version: u64,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Print the database's version: the newest applied migration, or `none`.
    #[command(after_help = "Example:\n  migrate version --db app.db")]
    Version {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Revert every applied migration (goose's `reset`).
    #[command(after_help = "Example:\n  migrate reset --db app.db")]
    Reset {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Set the recorded version to VERSION without running any SQL:
    /// migrations up to it are recorded as applied, those above it are
    /// forgotten (a newer release's versions, which this directory has no
    /// file for, too). For a database fixed by hand (golang-migrate's
    /// `force`).
    #[command(
        after_help = "Example (a database whose schema was brought to version 4 by hand):\n  \
        migrate force 4 --db app.db --yes\n\
        A migration recorded as failed part-way is settled with `migrate resolve` instead:\n  \
        migrate resolve 4 --applied --db app.db"
    )]
    Force {
        /// The version the database is really at.
        version: u64,
        #[command(flatten)]
        db: DbArgs,
        /// Confirm: the history is rewritten without running SQL.
        #[arg(long)]
        yes: bool,
    },
    /// Clear the failure recorded for VERSION, a migration that failed
    /// outside a transaction part-way, after fixing the database by hand:
    /// `--applied` if you completed it, `--pending` if you undid it.
    #[command(
        after_help = "Example (the rest of migration 4 was run by hand):\n  \
        migrate resolve 4 --applied --db app.db",
        group = clap::ArgGroup::new("resolution").required(true).args(["applied", "pending"])
    )]
    Resolve {
        /// The failed migration's version.
        version: u64,
        #[command(flatten)]
        db: DbArgs,
        /// Record it as applied.
        #[arg(long)]
        applied: bool,
        /// Make it pending again.
        #[arg(long)]
        pending: bool,
    },
    /// Take over a database another tool migrated: its history (goose,
    /// golang-migrate, sqlx, refinery, diesel, SuperChat) is checked against
    /// the directory and recorded here, running no SQL. Its table stays; a
    /// table with the history table's name (golang-migrate's and
    /// SuperChat's `schema_migrations`) is kept under a new name.
    #[command(
        after_help = "Example (golang-migrate's table is kept as golang_migrate_schema_migrations):\n  \
        migrate adopt --db app.db --from golang-migrate\n  \
        migrate up --db app.db"
    )]
    Adopt {
        #[command(flatten)]
        db: DbArgs,
        /// The tool whose history to adopt; by default the one found.
        #[arg(long, value_name = "TOOL", value_parser = parse_tool)]
        from: Option<migrate_runtime::Tool>,
    },
    /// Record migrations up to VERSION as applied without running them.
    #[command(
        after_help = "Example (a database that already has the schema of 1 to 7):\n  migrate baseline 7 --db app.db"
    )]
    Baseline {
        /// The newest version the database already has.
        version: u64,
        #[command(flatten)]
        db: DbArgs,
    },
}

impl Command {
    /// The database options of a command that works on a database.
    fn database(&self) -> Option<&DbArgs> {
        match self {
            Command::New { .. }
            | Command::Fix { .. }
            | Command::Validate { .. }
            | Command::Lint { .. } => None,
            Command::Status { db, .. }
            | Command::Version { db }
            | Command::Up { db, .. }
            | Command::UpTo { db, .. }
            | Command::Down { db, .. }
            | Command::DownTo { db, .. }
            | Command::Goto { db, .. }
            | Command::Reset { db }
            | Command::Redo { db }
            | Command::Baseline { db, .. }
            | Command::Force { db, .. }
            | Command::Resolve { db, .. }
            | Command::Adopt { db, .. } => Some(db),
        }
    }

    /// Whether the command makes no sense on a new database, so that a
    /// SQLite file that does not exist is a typo, not a database to create.
    fn needs_existing_database(&self) -> bool {
        !matches!(
            self,
            Command::Up { .. } | Command::UpTo { .. } | Command::Goto { .. }
        )
    }
}

/// `--from`: one of the tools whose history can be adopted.
fn parse_tool(name: &str) -> Result<migrate_runtime::Tool, String> {
    name.parse()
        .map_err(|e: migrate_runtime::UnknownTool| e.to_string())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    logs_from_environment();
    match commands::run(cli.command) {
        Ok(code) => code,
        Err(message) => {
            report_error(&message);
            ExitCode::FAILURE
        }
    }
}

/// With `RUST_LOG` set (`RUST_LOG=debug`: every statement), the runtime's
/// spans and events go to standard error; without it, nothing more than
/// the command's own output is printed.
fn logs_from_environment() {
    let Ok(filter) = tracing_subscriber::EnvFilter::try_from_env("RUST_LOG") else {
        return;
    };
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

/// Prints an error for a person, in red on a terminal.
fn report_error(message: &str) {
    if std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none() {
        messages::progress(&format!("\x1b[1;31merror\x1b[0m: {message}"));
    } else {
        messages::progress(&format!("error: {message}"));
    }
}
