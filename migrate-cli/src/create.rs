//! `migrate new`: the next migration file, with a template.

use std::fs;
use std::path::{Path, PathBuf};

use migrate_core::{FileName, Scheme, is_timestamp, parse_file_name};
use migrate_runtime::rusqlite::Connection;

/// The width of a sequential version in a new directory: `001`.
const DEFAULT_WIDTH: usize = 3;

/// The files `migrate new` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// One `.sql` file with its sections.
    Single,
    /// A `.up.sql` and `.down.sql` pair.
    Pair,
    /// A Rust migration, `.rs`, for this driver: `sqlite`, `postgres` or
    /// `tokio-postgres`.
    Rust(&'static str),
}

/// The drivers a Rust migration's template is written for.
pub const DRIVERS: [&str; 3] = ["sqlite", "postgres", "tokio-postgres"];

/// Creates the next migration in `dir` and returns the files written;
/// `scheme` chooses how it is versioned (`None`: as the directory is).
pub fn create(
    dir: &Path,
    name: &str,
    scheme: Option<Scheme>,
    layout: Layout,
    irreversible: bool,
) -> Result<Vec<PathBuf>, String> {
    let existing: Vec<FileName> = crate::files::named_files(dir, true)?
        .into_iter()
        .map(|(_, name)| name)
        .collect();
    // Asked for, or the directory's own: timestamps where every file has one.
    let scheme = scheme.unwrap_or(
        if !existing.is_empty() && existing.iter().all(|n| is_timestamp(&n.digits)) {
            Scheme::Timestamp
        } else {
            Scheme::Sequential
        },
    );
    let digits = match scheme {
        Scheme::Timestamp | Scheme::Diesel => utc_timestamp()?,
        Scheme::Sequential | Scheme::Hybrid => {
            let sequential = existing.iter().filter(|n| !is_timestamp(&n.digits));
            let next = sequential.clone().map(|n| n.version.0).max().unwrap_or(0) + 1;
            let width = sequential
                .map(|n| n.digits.len())
                .max()
                .unwrap_or(DEFAULT_WIDTH);
            format!("{next:0width$}")
        }
    };
    let files: Vec<(String, String)> = if let Layout::Rust(driver) = layout {
        vec![(
            format!("{digits}_{name}.rs"),
            rust_template(driver, irreversible),
        )]
    } else if layout == Layout::Pair {
        let mut files = vec![(
            format!("{digits}_{name}.up.sql"),
            if irreversible {
                "-- +migrate Irreversible\n\n".to_owned()
            } else {
                String::new()
            },
        )];
        if !irreversible {
            files.push((format!("{digits}_{name}.down.sql"), String::new()));
        }
        files
    } else {
        let down = if irreversible {
            "-- +migrate Down irreversible\n"
        } else {
            "-- +migrate Down\n\n"
        };
        vec![(
            format!("{digits}_{name}.sql"),
            format!("-- +migrate Up\n\n\n{down}"),
        )]
    };
    for (file, _) in &files {
        parse_file_name(file).map_err(|kind| match kind {
            migrate_core::ProblemKind::InvalidName { .. } => format!(
                "`{name}` cannot be a migration's name: it has a control character or a path \
                 separator; choose another NAME"
            ),
            kind => format!("`{file}`: {kind}"),
        })?;
        if dir.join(file).exists() {
            return Err(format!("{} already exists", dir.join(file).display()));
        }
    }
    fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let mut written = Vec::new();
    for (file, text) in files {
        let path = dir.join(file);
        fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}

/// A Rust migration's file for `driver`: `pub fn up`, and `pub fn down`
/// unless it is irreversible, with the parameter the macro expects.
fn rust_template(driver: &str, irreversible: bool) -> String {
    let (import, parameter, asynchronous) = match driver {
        "postgres" => (
            "use migrate_runtime::postgres::Transaction;",
            "tx: &mut Transaction<'_>",
            "",
        ),
        "tokio-postgres" => (
            "use migrate_runtime::tokio_postgres::Transaction;",
            "tx: &mut Transaction<'_>",
            "async ",
        ),
        _ => (
            "use migrate_runtime::rusqlite::Connection;",
            "conn: &Connection",
            "",
        ),
    };
    let function = |name: &str| {
        format!(
            "pub {asynchronous}fn {name}({parameter}) -> Result {{\n    todo!(\"the {name} of this migration\")\n}}\n"
        )
    };
    let down = if irreversible {
        "\n// No `down`: the migration is irreversible.\n".to_owned()
    } else {
        format!("\n{}", function("down"))
    };
    format!(
        "//! A Rust migration: its functions run in the migrator's transaction, with the\n\
         //! migrations before and after it (`// +migrate NoTransaction` runs it outside one).\n\n\
         {import}\n\n\
         type Result = std::result::Result<(), Box<dyn std::error::Error + Send + Sync>>;\n\n\
         {}{down}",
        function("up")
    )
}

/// The current UTC time as `YYYYMMDDHHMMSS`, read from SQLite's clock
/// functions rather than a date library.
fn utc_timestamp() -> Result<String, String> {
    Connection::open_in_memory()
        .and_then(|c| c.query_row("SELECT strftime('%Y%m%d%H%M%S', 'now')", [], |r| r.get(0)))
        .map_err(|e| format!("cannot read the clock: {e}"))
}
