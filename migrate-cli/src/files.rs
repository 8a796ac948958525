//! The migration files of a directory with their parsed names, for the
//! commands that create and rename files (`new`, `fix`).

use std::path::Path;

use migrate_core::{Entry, FileName, ProblemKind, parse_file_name};

/// Every `.sql` file of `dir` and its environment folders whose name parses,
/// sorted as `migrate_core::scan` sorts them; files whose names do not parse
/// are left out (they are `validate`'s business). A missing directory has none.
///
/// # Errors
///
/// The directory's listing problems (an unreadable folder, a nested one), as text.
pub fn named_files(dir: &Path) -> Result<Vec<(Entry, FileName)>, String> {
    let entries = match migrate_core::scan(Path::new(""), &dir.to_string_lossy()) {
        Ok(listing) => listing.entries,
        Err(problems)
            if problems
                .iter()
                .all(|p| p.kind == ProblemKind::DirectoryMissing) =>
        {
            return Ok(Vec::new());
        }
        Err(problems) => {
            let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
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
