//! `migrate fix`: timestamp versions renumbered to sequential ones after the
//! highest sequential version, in their order, both files of a pair alike.
//! The whole plan is made and checked before the first rename, and a failed
//! rename undoes the ones before it.

use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

use migrate_core::{FileForm, Version, is_timestamp};

/// The width of a sequential version when the directory has none yet.
const DEFAULT_WIDTH: usize = 3;

/// Renames and returns the `(from, to)` pairs, in order.
pub fn fix(dir: &Path) -> Result<Vec<(PathBuf, PathBuf)>, String> {
    let renames = plan(dir)?;
    let mut done: Vec<&(PathBuf, PathBuf)> = Vec::new();
    for rename in &renames {
        if let Err(error) = fs::rename(&rename.0, &rename.1) {
            for (from, to) in done.iter().rev() {
                let _ = fs::rename(to, from);
            }
            return Err(format!(
                "cannot rename {} to {}: {error}; the renames before it were undone",
                rename.0.display(),
                rename.1.display()
            ));
        }
        done.push(rename);
    }
    Ok(renames)
}

/// The renames, checked: no target exists or is the target of two files.
pub fn plan(dir: &Path) -> Result<Vec<(PathBuf, PathBuf)>, String> {
    let mut highest = 0;
    let mut width = 0;
    let mut timestamps: BTreeMap<Version, Vec<(PathBuf, String, FileForm)>> = BTreeMap::new();
    for (entry, name) in crate::files::named_files(dir)? {
        if is_timestamp(&name.digits) {
            timestamps.entry(name.version).or_default().push((
                entry.full_path,
                name.name,
                name.form,
            ));
        } else {
            highest = highest.max(name.version.0);
            width = width.max(name.digits.len());
        }
    }
    let width = if width == 0 { DEFAULT_WIDTH } else { width };
    let mut renames = Vec::new();
    for (version, files) in &timestamps {
        let mut names: Vec<&str> = files.iter().map(|(_, name, _)| name.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        let halves = files
            .iter()
            .filter(|(_, _, form)| *form != FileForm::Down)
            .count();
        if names.len() > 1 || halves > 1 {
            let list: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
            return Err(format!(
                "version {version} is used by {} migrations ({}); give one of them another version first; nothing was renamed",
                halves.max(names.len()),
                list.join(", ")
            ));
        }
    }
    for (next, files) in (highest + 1..).zip(timestamps.into_values()) {
        for (path, name, form) in files {
            let suffix = match form {
                FileForm::Single => ".sql",
                FileForm::Up => ".up.sql",
                FileForm::Down => ".down.sql",
            };
            let target = path.with_file_name(format!("{next:0width$}_{name}{suffix}"));
            renames.push((path, target));
        }
    }
    let mut targets = HashSet::new();
    for (from, to) in &renames {
        if !targets.insert(to) {
            return Err(format!(
                "two files would be renamed to {}; nothing was renamed",
                to.display()
            ));
        }
        if to.exists() {
            return Err(format!(
                "cannot rename {} to {}: that file exists; nothing was renamed",
                from.display(),
                to.display()
            ));
        }
    }
    Ok(renames)
}
