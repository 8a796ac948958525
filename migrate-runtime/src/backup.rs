//! Backup files: their names and how many are kept.
//!
//! A backup of `app.db`, written before migrating from version 3, is named
//! `app.db.backup-v3-20261124T101502123Z` (UTC, to the millisecond).

use std::fs;
use std::path::{Path, PathBuf};

/// The backups of `database` in `dir` (default: beside it), oldest first.
pub fn backups_of(database: &Path, dir: Option<&Path>) -> Vec<PathBuf> {
    let Some(name) = database
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
    else {
        return Vec::new();
    };
    let dir = dir.map_or_else(
        || database.parent().map(Path::to_path_buf).unwrap_or_default(),
        Path::to_path_buf,
    );
    let prefix = format!("{name}.backup-v");
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
pub(crate) fn prune(database: &Path, dir: &Path, keep: usize, just_written: &Path) {
    let backups = backups_of(database, Some(dir));
    let excess = backups.len().saturating_sub(keep.max(1));
    for path in backups.into_iter().take(excess) {
        if path != just_written
            && let Err(error) = fs::remove_file(&path)
        {
            log::warn!("could not delete old backup {}: {error}", path.display());
        }
    }
}
