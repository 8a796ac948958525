//! A whole migration directory, read and validated: the one function the
//! macro (at build time) and the CLI (at run time) both call.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use crate::Section;
use crate::sections::{ParsedFile, parse};
use crate::{
    Checksum, Entry, FileForm, FileName, Migration, Problem, ProblemKind, Scheme, Version,
    display_dir, is_timestamp, parse_file_name, scan,
};

/// What the caller allows beyond the default rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// Allow a sequential set that does not start at 1 or has gaps (a
    /// squashed history).
    pub allow_gaps: bool,
}

/// A validated migration directory: every migration of the base set and of
/// every environment folder, sorted by version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationSet {
    /// The directory as the user wrote it.
    pub dir: String,
    /// How the versions are numbered.
    pub scheme: Scheme,
    /// The migrations, sorted by version.
    pub migrations: Vec<Migration>,
    /// Every file read for each migration, on this machine (the macro
    /// includes them so that an edit rebuilds the crate).
    pub files: BTreeMap<Version, Vec<PathBuf>>,
}

impl MigrationSet {
    /// The names of the environment folders that hold migrations, sorted.
    pub fn environments(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .migrations
            .iter()
            .filter_map(|m| m.environment.as_deref())
            .collect();
        names.sort_unstable();
        names.dedup();
        names
    }
}

/// Reads and validates the migration directory `dir`, relative to `root`.
///
/// # Errors
///
/// Every problem of the directory, each with its file and line: nothing is
/// skipped, so one run shows everything to fix.
///
/// # Examples
///
/// ```
/// # let root = tempfile::tempdir()?;
/// # std::fs::create_dir(root.path().join("migrations"))?;
/// # std::fs::write(root.path().join("migrations/001_a.sql"), "-- +migrate Up\nCREATE TABLE a (x INT);\n-- +migrate Down\nDROP TABLE a;\n")?;
/// # std::fs::write(root.path().join("migrations/003_c.sql"), "-- +migrate Up\nSELECT 1;\n-- +migrate Down irreversible\n")?;
/// let problems = migrate_core::load(root.path(), "migrations", &Default::default()).unwrap_err();
/// assert_eq!(
///     problems[0].to_string(),
///     "migrations/003_c.sql: version 2 is missing after `migrations/001_a.sql`; \
///      renumber the files (`migrate fix`), or pass `allow_gaps = true` for a squashed history"
/// );
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn load(root: &Path, dir: &str, options: &Options) -> Result<MigrationSet, Vec<Problem>> {
    let entries = scan(root, dir)?;
    let mut problems = Vec::new();
    if entries.is_empty() {
        return Err(vec![Problem::new(
            display_dir(dir),
            None,
            ProblemKind::EmptyDirectory,
        )]);
    }

    // Names first: a file whose name does not parse takes no further part.
    let mut named: Vec<(Entry, FileName)> = Vec::new();
    for entry in entries {
        match parse_file_name(&entry.file_name) {
            Ok(name) => named.push((entry, name)),
            Err(kind) => problems.push(Problem::new(&entry.path, None, kind)),
        }
    }

    let scheme = check_scheme(dir, &mut named, &mut problems);

    // Contents: every file is read and parsed, whatever else is wrong.
    let mut by_version: BTreeMap<Version, Vec<File>> = BTreeMap::new();
    for (entry, name) in named {
        let (parsed, clean) = read(&entry, name.form, &mut problems);
        by_version.entry(name.version).or_default().push(File {
            entry,
            name,
            parsed,
            clean,
        });
    }
    // The file with the Up section first, its `.down.sql` after it.
    for group in by_version.values_mut() {
        group.sort_by_key(|file| file.name.form == FileForm::Down);
    }

    if scheme == Some(Scheme::Sequential) && !options.allow_gaps {
        check_sequence(&by_version, &mut problems);
    }

    let mut migrations = Vec::new();
    let mut files = BTreeMap::new();
    for (version, group) in by_version {
        if let Some((migration, read)) = assemble(version, group, &mut problems) {
            migrations.push(migration);
            files.insert(version, read);
        }
    }

    if problems.is_empty() {
        Ok(MigrationSet {
            dir: display_dir(dir),
            scheme: scheme.unwrap_or(Scheme::Sequential),
            migrations,
            files,
        })
    } else {
        problems.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
        Err(problems)
    }
}

/// One file of the directory, read.
struct File {
    entry: Entry,
    name: FileName,
    parsed: ParsedFile,
    /// Whether the file was read and parsed without a problem.
    clean: bool,
}

/// Decides the directory's scheme. Reports a mix of schemes, and 14-digit
/// versions that are not real dates among timestamps (those are dropped).
/// `None` when the scheme is mixed.
fn check_scheme(
    dir: &str,
    named: &mut Vec<(Entry, FileName)>,
    problems: &mut Vec<Problem>,
) -> Option<Scheme> {
    let any_timestamp = named.iter().any(|(_, n)| is_timestamp(&n.digits));
    if any_timestamp {
        named.retain(|(entry, name)| {
            let bad = name.digits.len() == 14 && !is_timestamp(&name.digits);
            if bad {
                problems.push(Problem::new(
                    &entry.path,
                    None,
                    ProblemKind::InvalidTimestamp {
                        digits: name.digits.clone(),
                    },
                ));
            }
            !bad
        });
    }
    let (timestamp, sequential): (Vec<_>, Vec<_>) = named
        .iter()
        .map(|(entry, name)| (entry.path.clone(), is_timestamp(&name.digits)))
        .partition(|(_, is_ts)| *is_ts);
    match (sequential.is_empty(), timestamp.is_empty()) {
        (false, false) => {
            problems.push(Problem::new(
                display_dir(dir),
                None,
                ProblemKind::MixedSchemes {
                    sequential: sequential.into_iter().map(|(p, _)| p).collect(),
                    timestamp: timestamp.into_iter().map(|(p, _)| p).collect(),
                },
            ));
            None
        }
        (true, false) => Some(Scheme::Timestamp),
        _ => Some(Scheme::Sequential),
    }
}

/// A sequential set starts at 1 and has no gaps.
fn check_sequence(by_version: &BTreeMap<Version, Vec<File>>, problems: &mut Vec<Problem>) {
    let mut previous: Option<(Version, &str)> = None;
    for (version, group) in by_version {
        let path = group[0].entry.path.as_str();
        match previous {
            None if version.0 != 1 => problems.push(Problem::new(
                path,
                None,
                ProblemKind::DoesNotStartAtOne { first: *version },
            )),
            Some((before, after)) if version.0 > before.0 + 1 => problems.push(Problem::new(
                path,
                None,
                ProblemKind::Gap {
                    from: Version(before.0 + 1),
                    to: Version(version.0 - 1),
                    after: after.to_owned(),
                },
            )),
            _ => {}
        }
        previous = Some((*version, path));
    }
}

/// Reads and parses one file; its problems go to `problems`. The flag says
/// whether it had none.
fn read(entry: &Entry, form: FileForm, problems: &mut Vec<Problem>) -> (ParsedFile, bool) {
    let bytes = match fs::read(&entry.full_path) {
        Ok(bytes) => bytes,
        Err(error) => {
            problems.push(Problem::new(
                &entry.path,
                None,
                ProblemKind::Unreadable {
                    message: error.to_string(),
                },
            ));
            return (ParsedFile::default(), false);
        }
    };
    let Ok(text) = String::from_utf8(bytes) else {
        problems.push(Problem::new(&entry.path, None, ProblemKind::NotUtf8));
        return (ParsedFile::default(), false);
    };
    if let Some(at) = text.find('\0') {
        let line = u32::try_from(text[..at].matches('\n').count() + 1).unwrap_or(u32::MAX);
        problems.push(Problem::new(&entry.path, Some(line), ProblemKind::NulByte));
        return (ParsedFile::default(), false);
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let (parsed, found) = parse(text, form);
    let clean = found.is_empty();
    problems.extend(
        found
            .into_iter()
            .map(|(line, kind)| Problem::new(&entry.path, line, kind)),
    );
    (parsed, clean)
}

/// Turns the files of one version into a migration, or reports why they do
/// not make one. Files with problems of their own make no migration, but the
/// group is still checked.
fn assemble(
    version: Version,
    group: Vec<File>,
    problems: &mut Vec<Problem>,
) -> Option<(Migration, Vec<PathBuf>)> {
    if !is_one_migration(version, &group, problems) {
        return None;
    }
    let clean = group.iter().all(|f| f.clean);
    let mut group = group.into_iter();
    let first = group.next()?;
    let down_file = group.next();
    let mut files = vec![first.entry.full_path.clone()];
    let down = match (first.name.form, down_file) {
        (FileForm::Single, _) => single_down(&first),
        (_, None) if first.parsed.irreversible || !clean => Down::default(),
        (_, None) => {
            let entry = &first.entry;
            let folder = &entry.path[..entry.path.len() - entry.file_name.len()];
            let expected = format!("{folder}{}_{}.down.sql", first.name.digits, first.name.name);
            problems.push(Problem::new(
                &entry.path,
                None,
                ProblemKind::MissingDownFile { expected },
            ));
            return None;
        }
        (_, Some(down_file)) => {
            let down = pair_down(&first, down_file, problems)?;
            files.push(down.file.clone()?);
            down
        }
    };
    if !clean {
        return None;
    }
    let (entry, name, parsed) = (first.entry, first.name, first.parsed);
    let up = parsed.up.unwrap_or_default();
    let checksum = Checksum::of(&up.text, down.section.as_ref().map(|d| d.text.as_str()));
    let migration = Migration {
        version,
        name: name.name.into(),
        environment: entry.environment.map(Into::into),
        up_path: entry.path.into(),
        down_path: down.path.map(Into::into),
        up: up.statements.into(),
        down: down.section.map(|d| d.statements.into()),
        no_transaction: parsed.no_transaction || down.no_transaction,
        foreign_keys_off: parsed.foreign_keys_off || down.foreign_keys_off,
        checksum,
        no_check: parsed.no_check.map(Into::into),
    };
    Some((migration, files))
}

/// Whether the files of one version make one migration: an Up (single file
/// or `.up.sql`), at most one `.down.sql`, all in one folder.
fn is_one_migration(version: Version, group: &[File], problems: &mut Vec<Problem>) -> bool {
    let count = |form: FileForm| group.iter().filter(|f| f.name.form == form).count();
    let (singles, ups, downs) = (
        count(FileForm::Single),
        count(FileForm::Up),
        count(FileForm::Down),
    );
    if singles + ups == 0 {
        for file in group {
            problems.push(Problem::new(
                &file.entry.path,
                None,
                ProblemKind::OrphanDown,
            ));
        }
        return false;
    }
    let same_environment = group
        .iter()
        .all(|f| f.entry.environment == group[0].entry.environment);
    if singles + ups > 1 || downs > 1 || (singles == 1 && downs > 0) || !same_environment {
        let files: Vec<String> = group.iter().map(|f| f.entry.path.clone()).collect();
        problems.push(Problem::new(
            &files[0],
            None,
            ProblemKind::DuplicateVersion {
                version,
                files: files.clone(),
            },
        ));
        return false;
    }
    true
}

/// A migration's Down: its section, where it comes from, and the flags its
/// file adds.
#[derive(Default)]
struct Down {
    section: Option<Section>,
    path: Option<String>,
    file: Option<PathBuf>,
    no_transaction: bool,
    foreign_keys_off: bool,
}

/// The Down section of a single-file migration (none when irreversible).
fn single_down(file: &File) -> Down {
    let section = (!file.parsed.irreversible).then(|| file.parsed.down.clone().unwrap_or_default());
    Down {
        path: section.as_ref().map(|_| file.entry.path.clone()),
        section,
        ..Down::default()
    }
}

/// The Down of an `.up.sql` from its `.down.sql`, or why the two do not pair.
fn pair_down(up: &File, down: File, problems: &mut Vec<Problem>) -> Option<Down> {
    if down.name.name != up.name.name {
        problems.push(Problem::new(
            &up.entry.path,
            None,
            ProblemKind::PairNameMismatch {
                down: down.entry.path,
            },
        ));
        return None;
    }
    if up.parsed.irreversible || down.parsed.irreversible {
        problems.push(Problem::new(
            &down.entry.path,
            None,
            ProblemKind::IrreversibleWithDown,
        ));
        return None;
    }
    Some(Down {
        section: Some(down.parsed.down.unwrap_or_default()),
        path: Some(down.entry.path),
        file: Some(down.entry.full_path),
        no_transaction: down.parsed.no_transaction,
        foreign_keys_off: down.parsed.foreign_keys_off,
    })
}
