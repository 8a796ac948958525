//! Listing a migration directory: its `.sql` files, its environment folders
//! and diesel's migration folders, sorted. gooseplus's layout (a `base/`
//! folder beside the environment folders, no files of its own) reads
//! `base/` as the base set.

use std::fs;
use std::path::{Path, PathBuf};

use crate::{
    FileForm, Problem, ProblemKind, is_migration_file, parse_file_name, parse_folder_name,
};

/// A `.sql` file found in the directory or one of its environment folders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The path as shown to people: the directory as the user wrote it, then
    /// the environment folder, then the file name, joined with `/`.
    pub path: String,
    /// The path on this machine.
    pub full_path: PathBuf,
    /// The file name.
    pub file_name: String,
    /// The environment folder the file is in, `None` for the base set.
    pub environment: Option<String>,
    /// The diesel migration folder (`<version>_<name>/`) the file is the
    /// `up.sql` or `down.sql` of.
    pub folder: Option<Folder>,
    /// The file is in gooseplus's `base/` folder.
    pub in_base_folder: bool,
}

/// A diesel migration folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folder {
    /// The folder's name, `<version>_<name>`.
    pub name: String,
    /// Its `metadata.toml` says `run_in_transaction = false`.
    pub no_transaction: bool,
}

/// What [`scan`] found: the migration files, and the files it left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listing {
    /// The migration files, sorted.
    pub entries: Vec<Entry>,
    /// `.sql` files that are not migrations, as shown to people: in a
    /// directory of diesel migration folders, a loose file whose name has
    /// no version (a data script), which diesel does not read either.
    pub ignored: Vec<String>,
}

/// Lists the `.sql` files of `root/dir` and of its environment folders, sorted
/// by environment (base set first) and file name. Hidden entries and files
/// that do not end in `.sql` are ignored, and so are loose `.sql` files
/// without a version beside diesel migration folders (listed as ignored).
///
/// # Errors
///
/// Every problem met on the way: a missing or unreadable directory, a folder
/// nested in an environment folder, an environment folder with a bad name.
pub fn scan(root: &Path, dir: &str) -> Result<Listing, Vec<Problem>> {
    let shown = display_dir(dir);
    let full = root.join(dir);
    if !full.is_dir() {
        let kind = if full.exists() {
            ProblemKind::NotADirectory
        } else {
            ProblemKind::DirectoryMissing
        };
        return Err(vec![Problem::new(shown, None, kind)]);
    }
    // Links are followed when they stay inside the directory.
    let inside = fs::canonicalize(&full).unwrap_or_else(|_| full.clone());
    let mut entries = Vec::new();
    let mut ignored = Vec::new();
    let mut problems = Vec::new();
    let listed = list(&full, &shown, &inside, &mut problems);
    // diesel reads only its folders: a loose file without a version beside
    // them is a script kept with the migrations, not a misnamed migration.
    let has_folders = listed
        .iter()
        .any(|(name, is_dir)| *is_dir && is_folder_name(name));
    let has_own = listed.iter().any(|(name, is_dir)| {
        is_migration_file(name) && !is_dir || *is_dir && is_folder_name(name)
    });
    let base_folder = !has_own
        && listed
            .iter()
            .any(|(name, is_dir)| *is_dir && name == "base");
    for (name, is_dir) in listed {
        if !is_dir {
            if has_folders && is_migration_file(&name) && parse_file_name(&name).is_err() {
                ignored.push(format!("{shown}/{name}"));
            } else if is_migration_file(&name) {
                entries.push(Entry {
                    path: format!("{shown}/{name}"),
                    full_path: full.join(&name),
                    file_name: name,
                    environment: None,
                    folder: None,
                    in_base_folder: false,
                });
            }
            continue;
        }
        let env_shown = format!("{shown}/{name}");
        let env_full = full.join(&name);
        if is_folder_name(&name) {
            migration_folder(
                &env_full,
                &env_shown,
                &name,
                &inside,
                &mut entries,
                &mut problems,
            );
            continue;
        }
        if !is_environment_name(&name) {
            problems.push(Problem::new(
                env_shown,
                None,
                ProblemKind::InvalidEnvironmentName { name },
            ));
            continue;
        }
        let in_base_folder = base_folder && name == "base";
        for (file, is_dir) in list(&env_full, &env_shown, &inside, &mut problems) {
            let path = format!("{env_shown}/{file}");
            if is_dir {
                problems.push(Problem::new(path, None, ProblemKind::NestedDirectory));
            } else if is_migration_file(&file) {
                entries.push(Entry {
                    path,
                    full_path: env_full.join(&file),
                    file_name: file,
                    environment: (!in_base_folder).then(|| name.clone()),
                    folder: None,
                    in_base_folder,
                });
            }
        }
    }
    if problems.is_empty() {
        Ok(Listing { entries, ignored })
    } else {
        Err(problems)
    }
}

/// Whether a folder is named like a diesel migration, `<version>_<name>`.
fn is_folder_name(name: &str) -> bool {
    parse_folder_name(name, FileForm::Up).is_some()
}

/// The `up.sql` and `down.sql` of a diesel migration folder, and its
/// `metadata.toml`'s `run_in_transaction = false`.
fn migration_folder(
    full: &Path,
    shown: &str,
    name: &str,
    inside: &Path,
    entries: &mut Vec<Entry>,
    problems: &mut Vec<Problem>,
) {
    let listed = list(full, shown, inside, problems);
    let no_transaction = fs::read_to_string(full.join("metadata.toml")).is_ok_and(|text| {
        text.lines().any(|line| {
            let line: String = line.chars().filter(|c| !c.is_whitespace()).collect();
            line == "run_in_transaction=false"
        })
    });
    let mut has_up = false;
    for (file, is_dir) in listed {
        let path = format!("{shown}/{file}");
        let lower = file.to_ascii_lowercase();
        if is_dir {
            problems.push(Problem::new(path, None, ProblemKind::NestedDirectory));
        } else if lower == "up.sql" || lower == "down.sql" {
            has_up |= lower == "up.sql";
            entries.push(Entry {
                path,
                full_path: full.join(&file),
                file_name: file,
                environment: None,
                folder: Some(Folder {
                    name: name.to_owned(),
                    no_transaction,
                }),
                in_base_folder: false,
            });
        } else if is_migration_file(&file) {
            let what = if lower == "migration.sql" {
                "this is Prisma's layout; a migration folder holds `up.sql` (and `down.sql`), \
                 so rename `migration.sql` to `up.sql`"
            } else {
                "a diesel migration folder holds `up.sql` and `down.sql` only; \
                 move this file to a migration of its own"
            }
            .to_owned();
            problems.push(Problem::new(
                path,
                None,
                ProblemKind::UnknownLayout { what },
            ));
        }
    }
    if !has_up {
        problems.push(Problem::new(
            shown,
            None,
            ProblemKind::MigrationFolderWithoutUp,
        ));
    }
}

/// The directory as people see it in messages: as written, with `/`
/// separators and without a trailing `/`.
pub fn display_dir(dir: &str) -> String {
    let dir = dir.replace('\\', "/");
    let trimmed = dir.trim_end_matches('/');
    if trimmed.is_empty() {
        ".".to_owned()
    } else {
        trimmed.to_owned()
    }
}

/// Whether a folder name can name an environment: letters, digits, `_`, `-`.
pub fn is_environment_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The non-hidden entries of a directory, sorted by name, each with whether
/// it is a directory. Symbolic links are followed when they lead to
/// something inside `inside`; one that leads out is a problem.
fn list(
    dir: &Path,
    shown: &str,
    inside: &Path,
    problems: &mut Vec<Problem>,
) -> Vec<(String, bool)> {
    let read = match fs::read_dir(dir) {
        Ok(read) => read,
        Err(error) => {
            problems.push(Problem::new(
                shown,
                None,
                ProblemKind::Unreadable {
                    message: error.to_string(),
                },
            ));
            return Vec::new();
        }
    };
    let mut names = Vec::new();
    for entry in read {
        let entry = match entry {
            Ok(entry) => entry,
            Err(error) => {
                problems.push(Problem::new(
                    shown,
                    None,
                    ProblemKind::Unreadable {
                        message: error.to_string(),
                    },
                ));
                continue;
            }
        };
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let path = entry.path();
        if entry.file_type().is_ok_and(|t| t.is_symlink()) {
            let followed = fs::canonicalize(&path);
            if !followed.as_ref().is_ok_and(|to| to.starts_with(inside)) {
                let target = fs::read_link(&path).map_or_else(
                    |_| "?".to_owned(),
                    |t| t.to_string_lossy().replace('\\', "/"),
                );
                let kind = match followed {
                    Ok(_) => ProblemKind::LinkOutside { target },
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        ProblemKind::LinkDangling { target }
                    }
                    Err(e) => ProblemKind::LinkUnfollowable {
                        target,
                        cause: e.to_string(),
                    },
                };
                problems.push(Problem::new(format!("{shown}/{name}"), None, kind));
                continue;
            }
        }
        names.push((name, path.is_dir()));
    }
    names.sort();
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn lists_sorted_sql_files_and_environments() {
        let root = tempfile::tempdir().expect("tempdir");
        let dir = root.path().join("migrations");
        fs::create_dir_all(dir.join("test")).expect("mkdir");
        fs::create_dir_all(dir.join(".hidden")).expect("mkdir");
        for name in [
            "002_b.sql",
            "001_a.sql",
            "README.md",
            ".003_c.sql",
            "test/003_seed.sql",
            ".hidden/9_x.sql",
        ] {
            fs::write(dir.join(name), "").expect("write");
        }
        let entries = scan(root.path(), "migrations/").expect("scans").entries;
        let paths: Vec<_> = entries
            .iter()
            .map(|e| (e.path.as_str(), e.environment.as_deref()))
            .collect();
        assert_eq!(
            paths,
            [
                ("migrations/001_a.sql", None),
                ("migrations/002_b.sql", None),
                ("migrations/test/003_seed.sql", Some("test")),
            ]
        );
    }

    #[test]
    fn missing_directory() {
        let root = tempfile::tempdir().expect("tempdir");
        assert_eq!(
            scan(root.path(), "nope"),
            Err(vec![Problem::new(
                "nope",
                None,
                ProblemKind::DirectoryMissing
            )])
        );
    }

    #[test]
    fn nested_and_badly_named_folders() {
        let root = tempfile::tempdir().expect("tempdir");
        fs::create_dir_all(root.path().join("m/prod/deeper")).expect("mkdir");
        fs::create_dir_all(root.path().join("m/bad name")).expect("mkdir");
        let problems = scan(root.path(), "m").expect_err("problems");
        assert_eq!(
            problems,
            [
                Problem::new(
                    "m/bad name",
                    None,
                    ProblemKind::InvalidEnvironmentName {
                        name: "bad name".into()
                    }
                ),
                Problem::new("m/prod/deeper", None, ProblemKind::NestedDirectory),
            ]
        );
    }

    #[test]
    fn display_dir_normalises() {
        assert_eq!(display_dir("migrations/"), "migrations");
        assert_eq!(display_dir("a\\b"), "a/b");
        assert_eq!(display_dir(""), ".");
    }
}
