//! The migration files of a directory with their parsed names, for the
//! commands that create and rename files (`new`, `fix`).

use std::path::Path;

use migrate_core::{Entry, FileName, ProblemKind, parse_file_name};

/// Every `.sql` file of `dir` and its environment folders whose name parses,
/// sorted as `migrate_core::scan` sorts them; files whose names do not parse
/// are left out (they are `validate`'s business). A missing directory has
/// none when `missing_is_empty` (`new` creates it), else is an error.
///
/// # Errors
///
/// The directory's listing problems (an unreadable folder, a nested one), as text.
pub fn named_files(dir: &Path, missing_is_empty: bool) -> Result<Vec<(Entry, FileName)>, String> {
    let entries = match migrate_core::scan(Path::new(""), &dir.to_string_lossy()) {
        Ok(listing) => listing.entries,
        Err(problems)
            if missing_is_empty
                && problems
                    .iter()
                    .all(|p| p.kind == ProblemKind::DirectoryMissing) =>
        {
            return Ok(Vec::new());
        }
        Err(problems) => {
            let lines: Vec<String> = problems.iter().map(crate::messages::problem).collect();
            return Err(lines.join("\n"));
        }
    };
    Ok(entries
        .into_iter()
        .filter_map(|entry| {
            let name = parse_file_name(&entry.file_name).ok()?;
            Some((entry, name))
        })
        .collect())
}
