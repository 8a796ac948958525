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
    perform(&renames, |from, to| fs::rename(from, to))?;
    Ok(renames)
}

/// Performs `renames` in order with `rename`; after a failure, renames the
/// ones before it back, and says which of those could not be.
fn perform(
    renames: &[(PathBuf, PathBuf)],
    mut rename: impl FnMut(&Path, &Path) -> std::io::Result<()>,
) -> Result<(), String> {
    let mut done: Vec<&(PathBuf, PathBuf)> = Vec::new();
    for pair in renames {
        if let Err(error) = rename(&pair.0, &pair.1) {
            let not_undone: Vec<String> = done
                .iter()
                .rev()
                .filter(|(from, to)| rename(to, from).is_err())
                .map(|(from, to)| format!("{} (was {})", to.display(), from.display()))
                .collect();
            let undo = if done.is_empty() {
                "nothing was renamed".to_owned()
            } else if not_undone.is_empty() {
                undone(done.len())
            } else {
                format!(
                    "these renames before it could not be undone, rename them back by hand: {}",
                    not_undone.join(", ")
                )
            };
            return Err(format!(
                "cannot rename {} to {}: {error}; {undo}",
                pair.0.display(),
                pair.1.display()
            ));
        }
        done.push(pair);
    }
    Ok(())
}

/// What an undo of `n` renames says.
fn undone(n: usize) -> String {
    if n == 1 {
        "the rename before it was undone".to_owned()
    } else {
        format!("the {n} renames before it were undone")
    }
}

/// The renames, checked: no target exists or is the target of two files.
pub fn plan(dir: &Path) -> Result<Vec<(PathBuf, PathBuf)>, String> {
    let mut highest = 0;
    let mut width = 0;
    let mut timestamps: BTreeMap<Version, Vec<(PathBuf, String, FileForm)>> = BTreeMap::new();
    for (entry, name) in crate::files::named_files(dir, false)? {
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
                FileForm::Rust => ".rs",
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

#[cfg(test)]
mod tests {
    use std::io;
    use std::path::{Path, PathBuf};

    use super::perform;

    fn renames() -> Vec<(PathBuf, PathBuf)> {
        ["a", "b", "c"]
            .iter()
            .map(|n| {
                (
                    PathBuf::from(format!("{n}1")),
                    PathBuf::from(format!("{n}2")),
                )
            })
            .collect()
    }

    #[test]
    fn a_failed_undo_is_said_with_the_file_to_rename_back() {
        let mut calls = 0;
        let error = perform(&renames(), |from, _| {
            calls += 1;
            // The third rename fails, and so does the undo of the first.
            if calls == 3 || from == Path::new("a2") {
                Err(io::Error::other("refused"))
            } else {
                Ok(())
            }
        })
        .expect_err("fails");
        assert_eq!(
            error,
            "cannot rename c1 to c2: refused; these renames before it could not be undone, \
             rename them back by hand: a2 (was a1)"
        );
    }

    #[test]
    fn a_good_undo_is_said_as_one() {
        let mut calls = 0;
        let error = perform(&renames(), |_, _| {
            calls += 1;
            if calls == 2 {
                Err(io::Error::other("refused"))
            } else {
                Ok(())
            }
        })
        .expect_err("fails");
        assert_eq!(
            error,
            "cannot rename b1 to b2: refused; the rename before it was undone"
        );
        let error =
            perform(&renames(), |_, _| Err(io::Error::other("refused"))).expect_err("fails");
        assert_eq!(
            error,
            "cannot rename a1 to a2: refused; nothing was renamed"
        );
    }
}
