//! Backup files: their names and how many are kept.
//!
//! A backup of `app.db`, written before migrating from version 3, is named
//! `app.db.backup-v3-20261124T101502123Z` (UTC, to the millisecond). It is
//! written as `.app.db.backup-v3-….partial` and renamed when complete.

use std::fs;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};

use crate::Version;

/// Where the backups of `database` go: `dir`, or beside the database.
pub(crate) fn directory(database: &Path, dir: Option<&Path>) -> PathBuf {
    dir.map_or_else(
        || database.parent().map(Path::to_path_buf).unwrap_or_default(),
        Path::to_path_buf,
    )
}

/// `<file name>.backup-v`, what every backup name of `database` starts with.
fn prefix(database: &Path) -> String {
    let name = database.file_name().map_or_else(
        || "database".to_owned(),
        |n| n.to_string_lossy().into_owned(),
    );
    format!("{name}.backup-v")
}

/// A new, unused path for a backup of `database` in `dir`, taken before
/// migrating from version `from`, at `time` (UTC, `YYYYMMDDTHHMMSSmmm`).
pub(crate) fn new_path(database: &Path, dir: &Path, from: Option<Version>, time: &str) -> PathBuf {
    let stem = format!("{}{}-{time}Z", prefix(database), from.map_or(0, |v| v.0));
    let mut path = dir.join(&stem);
    let mut n = 1;
    while path.exists() {
        n += 1;
        path = dir.join(format!("{stem}-{n}"));
    }
    path
}

/// Where a backup to `path` is written until it is complete: a hidden name
/// in the same folder, which [`backups_of`] never counts.
pub(crate) fn partial_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map_or_else(|| "backup".to_owned(), |n| n.to_string_lossy().into_owned());
    path.with_file_name(format!(".{name}.partial"))
}

/// The backups of `database` in `dir` (default: beside it), oldest first.
pub fn backups_of(database: &Path, dir: Option<&Path>) -> Vec<PathBuf> {
    if database.file_name().is_none() {
        return Vec::new();
    }
    let dir = directory(database, dir);
    let prefix = prefix(database);
    let mut found: Vec<(String, PathBuf)> = fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let file = entry.file_name().into_string().ok()?;
            // `<version>-<time>`: order by the time.
            let time = file.strip_prefix(&prefix)?.split_once('-')?.1.to_owned();
            Some((time, entry.path()))
        })
        .collect();
    found.sort();
    found.into_iter().map(|(_, path)| path).collect()
}

/// Deletes all but the newest `keep` backups of `database` in `dir`, never
/// the one just written.
pub(crate) fn prune(database: &Path, dir: &Path, keep: NonZeroUsize, just_written: &Path) {
    let backups = backups_of(database, Some(dir));
    let excess = backups.len().saturating_sub(keep.get());
    for path in backups.into_iter().take(excess) {
        if path != just_written
            && let Err(error) = fs::remove_file(&path)
        {
            tracing::warn!("could not delete old backup {}: {error}", path.display());
        }
    }
}
