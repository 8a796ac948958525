//! Backup files: their names and how many are kept.
//!
//! A backup of `app.db`, written before migrating from version 3, is named
//! `app.db.backup-1a2b3c4d-v3-20261124T101502123Z`: the database's file
//! name, 8 hex digits of its absolute path's digest (so that one folder
//! can hold the backups of many databases of the same name), the version,
//! and the time (UTC, to the millisecond). It is written as
//! `.app.db.backup-….partial` and renamed when complete. Only names of
//! exactly that form are counted and pruned (with their `-wal`, `-shm`
//! and `-journal` files); a user's `app.db.backup-v1-before-upgrade` is
//! never touched. Backups named before the digest was part of the name
//! (`app.db.backup-v3-…Z`) are counted only beside their database.

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

/// The database's file name.
fn file_name(database: &Path) -> String {
    database.file_name().map_or_else(
        || "database".to_owned(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// 8 hex digits of the digest of `database`'s absolute path: which
/// database a backup is of.
fn identity(database: &Path) -> String {
    let absolute = std::path::absolute(database).unwrap_or_else(|_| database.to_path_buf());
    let digest = migrate_core::Checksum::of(&absolute.to_string_lossy(), None);
    let [a, b, c, d, ..] = digest.0;
    format!("{:08x}", u32::from_be_bytes([a, b, c, d]))
}

/// `<file name>.backup-<identity>-v`, what every backup name of
/// `database` starts with.
fn prefix(database: &Path) -> String {
    format!("{}.backup-{}-v", file_name(database), identity(database))
}

/// The time in the rest of a backup's name after its prefix, when the
/// rest is exactly `<version>-<YYYYMMDD>T<HHMMSSmmm>Z`, optionally
/// followed by `-<n>`.
fn time_of(rest: &str) -> Option<&str> {
    let (version, rest) = rest.split_once('-')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(version) {
        return None;
    }
    let (time, n) = match rest.split_once("Z-") {
        Some((time, n)) => (time, Some(n)),
        None => (rest.strip_suffix('Z')?, None),
    };
    let (day, clock) = time.split_once('T')?;
    let well_formed =
        day.len() == 8 && digits(day) && clock.len() == 9 && digits(clock) && n.is_none_or(digits);
    well_formed.then_some(time)
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

/// The backups of `database` in `dir` (default: beside it), oldest first:
/// files named exactly as this crate names them, nothing else.
pub fn backups_of(database: &Path, dir: Option<&Path>) -> Vec<PathBuf> {
    if database.file_name().is_none() {
        return Vec::new();
    }
    let beside = dir.is_none_or(|dir| Some(dir) == database.parent());
    let dir = directory(database, dir);
    let prefix = prefix(database);
    let unnamed = format!("{}.backup-v", file_name(database));
    let mut found: Vec<(String, PathBuf)> = fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let file = entry.file_name().into_string().ok()?;
            let rest = file
                .strip_prefix(&prefix)
                .or_else(|| file.strip_prefix(&unnamed).filter(|_| beside))?;
            let time = time_of(rest)?.to_owned();
            entry
                .file_type()
                .ok()?
                .is_file()
                .then(|| (time, entry.path()))
        })
        .collect();
    found.sort();
    found.into_iter().map(|(_, path)| path).collect()
}

/// Deletes all but the newest `keep` backups of `database` in `dir`, never
/// the one just written, each with its `-wal`, `-shm` and `-journal`
/// files (left by whoever opened it).
pub(crate) fn prune(database: &Path, dir: &Path, keep: NonZeroUsize, just_written: &Path) {
    let backups = backups_of(database, Some(dir));
    let excess = backups.len().saturating_sub(keep.get());
    for path in backups.into_iter().take(excess) {
        if path == just_written {
            continue;
        }
        if let Err(error) = fs::remove_file(&path) {
            tracing::warn!("could not delete old backup {}: {error}", path.display());
            continue;
        }
        for side in ["-wal", "-shm", "-journal"] {
            let mut name = path.clone().into_os_string();
            name.push(side);
            let _ = fs::remove_file(PathBuf::from(name));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::time_of;

    #[test]
    fn only_this_crates_names_are_backups() {
        assert_eq!(time_of("3-20261124T101502123Z"), Some("20261124T101502123"));
        assert_eq!(
            time_of("3-20261124T101502123Z-2"),
            Some("20261124T101502123")
        );
        for other in [
            "1-before-upgrade",
            "3-20261124T101502123Z-wal",
            "3-20261124T101502123Z-shm",
            "3-20261124T101502123",
            "x-20261124T101502123Z",
            "3-2026112T101502123Z",
        ] {
            assert_eq!(time_of(other), None, "{other}");
        }
    }
}
