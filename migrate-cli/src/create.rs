//! `migrate new`: the next migration file, with a template.

use std::fs;
use std::path::{Path, PathBuf};

use migrate_core::{FileName, Scheme, is_timestamp, parse_file_name};
use migrate_runtime::rusqlite::Connection;

/// The width of a sequential version in a new directory: `001`.
const DEFAULT_WIDTH: usize = 3;

/// Creates the next migration in `dir` and returns the files written;
/// `scheme` chooses how it is versioned (`None`: as the directory is).
pub fn create(
    dir: &Path,
    name: &str,
    scheme: Option<Scheme>,
    pair: bool,
    irreversible: bool,
) -> Result<Vec<PathBuf>, String> {
    let existing: Vec<FileName> = crate::files::named_files(dir)?
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
        Scheme::Timestamp => utc_timestamp()?,
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
    let files: Vec<(String, String)> = if pair {
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
        parse_file_name(file).map_err(|kind| format!("`{file}`: {kind}"))?;
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

/// The current UTC time as `YYYYMMDDHHMMSS`, read from SQLite's clock
/// functions rather than a date library.
fn utc_timestamp() -> Result<String, String> {
    Connection::open_in_memory()
        .and_then(|c| c.query_row("SELECT strftime('%Y%m%d%H%M%S', 'now')", [], |r| r.get(0)))
        .map_err(|e| format!("cannot read the clock: {e}"))
}
