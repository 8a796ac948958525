//! A whole migration directory, read and validated: the one function the
//! macro (at build time) and the CLI (at run time) both call.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha384};

use crate::sections::{ParsedFile, parse};
use crate::{
    Checksum, Entry, FileForm, FileName, Migration, Naming, Problem, ProblemKind, Scheme, Version,
    display_dir, is_timestamp, parse_file_name, parse_folder_name, scan,
};
use crate::{Section, TransactionControl};

/// What the caller allows beyond the default rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// Allow a sequential set that does not start at 1 or has gaps (a
    /// squashed history).
    pub allow_gaps: bool,
    /// Take the migrations below this version as history: their Ups are
    /// checked and replayed as any other, their Downs are neither parsed
    /// nor replayed and count as irreversible (a revert below it is
    /// refused), and their lint findings stay warnings. A forgotten Down
    /// there is no problem. Checksums are unchanged: the Down's text still
    /// counts, so an applied database sees no drift.
    pub irreversible_before: Option<Version>,
    /// The database whose rules read the files (how a file splits into
    /// statements: PostgreSQL's comments nest, SQLite's `[…]` names…).
    pub dialect: crate::Dialect,
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
    /// Every file read, on this machine (the macro includes them so that an
    /// edit rebuilds the crate).
    pub files: Vec<PathBuf>,
    /// The lint findings each migration acknowledges (`-- +migrate Allow
    /// <code> <reason>` in its Up file), by the Up file's path.
    pub allowed: BTreeMap<String, Vec<Allowed>>,
    /// The version below which migrations are history
    /// ([`Options::irreversible_before`]).
    pub history_before: Option<Version>,
    /// `.sql` files left out: not migrations (see [`Listing::ignored`](crate::Listing)).
    pub ignored: Vec<String>,
}

/// A lint finding a migration acknowledges, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allowed {
    /// The rule.
    pub rule: crate::Rule,
    /// The reason, as written after the code.
    pub reason: String,
}

impl MigrationSet {
    /// The rules the migration whose Up file is `up_path` acknowledges.
    pub fn allowed(&self, up_path: &str) -> Vec<crate::Rule> {
        self.allowed
            .get(up_path)
            .map(|list| list.iter().map(|allowed| allowed.rule).collect())
            .unwrap_or_default()
    }

    /// How many migrations were taken as history (below
    /// [`Options::irreversible_before`]).
    pub fn history_count(&self) -> usize {
        self.migrations
            .iter()
            .filter(|m| self.is_history(m.version))
            .count()
    }

    /// Whether `version` is below the version where checking starts.
    pub fn is_history(&self, version: Version) -> bool {
        self.history_before.is_some_and(|before| version < before)
    }

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
    let listing = scan(root, dir)?;
    let entries = listing.entries;
    let mut problems = Vec::new();
    if entries.is_empty() {
        return Err(vec![Problem::new(
            display_dir(dir),
            None,
            ProblemKind::EmptyDirectory,
        )]);
    }
    let per_environment = entries.iter().any(|e| e.in_base_folder);

    // Names first: a file whose name does not parse takes no further part.
    let mut named: Vec<(Entry, FileName)> = Vec::new();
    for entry in entries {
        match name_of(&entry) {
            Ok(name) => named.push((entry, name)),
            Err(kind) => problems.push(Problem::new(&entry.path, None, kind)),
        }
    }
    check_timestamps(&mut named, &mut problems);
    let scheme = scheme(&named);
    let irreversible_before = options
        .irreversible_before
        .map(|before| scheme.version_written(before.0));

    // Contents: every file is read and parsed, whatever else is wrong.
    let mut by_version: BTreeMap<Version, Vec<File>> = BTreeMap::new();
    let history = |version: Version| irreversible_before.is_some_and(|before| version < before);
    for (entry, name) in named {
        // A history migration's `.down.sql` is not checked: its problems
        // (a 2017 typo nobody will run) are not reported.
        let mut found = Vec::new();
        let (parsed, clean, source) = read(&entry, (name.form, options.dialect), &mut found);
        if !(history(name.version) && name.form == FileForm::Down) {
            problems.append(&mut found);
        }
        by_version.entry(name.version).or_default().push(File {
            entry,
            name,
            parsed,
            clean,
            source,
        });
    }
    // By environment, base set first; the file with the Up section first,
    // its `.down.sql` after it.
    for group in by_version.values_mut() {
        group.sort_by(|a, b| {
            (&a.entry.environment, a.name.form == FileForm::Down)
                .cmp(&(&b.entry.environment, b.name.form == FileForm::Down))
        });
    }

    if !options.allow_gaps {
        check_sequence(&by_version, per_environment, &mut problems);
    }

    let mut directory = Directory::of(&by_version);
    directory.history_before = irreversible_before;
    let mut migrations = Vec::new();
    let mut files = Vec::new();
    let mut allowed = BTreeMap::new();
    for (version, group) in by_version {
        for group in by_environment(version, group, &mut problems) {
            if let Some((migration, read, allows)) =
                assemble(version, group, directory, &mut problems)
            {
                if !allows.is_empty() {
                    allowed.insert(migration.up_path.to_string(), allows);
                }
                migrations.push(migration);
                files.extend(read);
            }
        }
    }

    if problems.is_empty() {
        Ok(MigrationSet {
            dir: display_dir(dir),
            scheme,
            migrations,
            files,
            allowed,
            history_before: irreversible_before,
            ignored: listing.ignored,
        })
    } else {
        problems.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
        problems.dedup();
        Err(problems)
    }
}

/// The timestamp versions of a set, one problem each: with goose's hybrid
/// versioning a release renumbers them first (`migrate fix`), and
/// `migrate validate --sequential-only` checks that it did.
///
/// ```
/// # let root = tempfile::tempdir()?;
/// # std::fs::create_dir(root.path().join("m"))?;
/// # std::fs::write(root.path().join("m/001_a.sql"), "SELECT 1;")?;
/// # std::fs::write(root.path().join("m/20240101120000_b.sql"), "SELECT 2;")?;
/// let set = migrate_core::load(root.path(), "m", &Default::default()).expect("valid");
/// let problems = migrate_core::leftover_timestamps(&set);
/// assert_eq!(problems[0].path, "m/20240101120000_b.sql");
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn leftover_timestamps(set: &MigrationSet) -> Vec<Problem> {
    set.migrations
        .iter()
        .filter(|m| is_timestamp(&m.version.0.to_string()))
        .map(|m| {
            Problem::new(
                m.up_path.as_ref(),
                None,
                ProblemKind::LeftoverTimestamp { version: m.version },
            )
        })
        .collect()
}

/// One file of the directory, read.
struct File {
    entry: Entry,
    name: FileName,
    parsed: ParsedFile,
    /// Whether the file was read and parsed without a problem.
    clean: bool,
    /// The file as read, for the checksums other tools keep.
    source: Source,
}

/// A file's text as read, and the SHA-384 of its bytes (sqlx's checksum).
#[derive(Debug)]
struct Source {
    text: String,
    sha384: [u8; 48],
}

impl Default for Source {
    fn default() -> Source {
        Source {
            text: String::new(),
            sha384: [0; 48],
        }
    }
}

/// What the whole directory says about its migrations, for the rules that
/// depend on the other files: a missing Down is a mistake only where other
/// migrations have one, and a file without sections only where the others
/// are written with sections.
#[derive(Debug, Clone, Copy)]
struct Directory {
    has_down: bool,
    has_sections: bool,
    /// Migrations below this version are history: no Down.
    history_before: Option<Version>,
}

impl Directory {
    fn of(by_version: &BTreeMap<Version, Vec<File>>) -> Directory {
        let files = || by_version.values().flatten();
        Directory {
            has_down: files().any(|f| {
                f.name.form == FileForm::Down
                    || (f.name.form == FileForm::Single
                        && f.parsed.down.is_some()
                        && !f.parsed.irreversible)
            }),
            has_sections: files().any(|f| f.name.form == FileForm::Single && !f.parsed.plain),
            history_before: None,
        }
    }
}

/// The name of a file, or of its diesel migration folder.
fn name_of(entry: &Entry) -> Result<FileName, ProblemKind> {
    let Some(folder) = &entry.folder else {
        return parse_file_name(&entry.file_name);
    };
    let form = if entry.file_name.eq_ignore_ascii_case("down.sql") {
        FileForm::Down
    } else {
        FileForm::Up
    };
    parse_folder_name(&folder.name, form).unwrap_or(Err(ProblemKind::MissingVersion))
}

/// Reports 14-digit versions that are not real dates among timestamps
/// (those are dropped). diesel's versions are not dates to check.
fn check_timestamps(named: &mut Vec<(Entry, FileName)>, problems: &mut Vec<Problem>) {
    if !named.iter().any(|(_, n)| is_timestamp(&n.digits)) {
        return;
    }
    named.retain(|(entry, name)| {
        let bad =
            name.naming != Naming::Diesel && name.digits.len() == 14 && !is_timestamp(&name.digits);
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

/// The directory's scheme: timestamps, sequential versions, or both (goose's
/// hybrid versioning, where timestamps order after sequential versions).
fn scheme(named: &[(Entry, FileName)]) -> Scheme {
    if named.iter().any(|(_, n)| n.naming == Naming::Diesel) {
        return Scheme::Diesel;
    }
    let timestamps = named
        .iter()
        .filter(|(_, n)| is_timestamp(&n.digits))
        .count();
    match timestamps {
        0 => Scheme::Sequential,
        n if n == named.len() => Scheme::Timestamp,
        _ => Scheme::Hybrid,
    }
}

/// Sequential versions start at 1 and have no gaps; timestamps, diesel's
/// versions and refinery's (which are numbers, not a sequence) are not
/// checked. In gooseplus's layout each environment's set
/// (`base/` plus the folder) is checked on its own; otherwise the versions
/// of every folder together.
fn check_sequence(
    by_version: &BTreeMap<Version, Vec<File>>,
    per_environment: bool,
    problems: &mut Vec<Problem>,
) {
    let sequential =
        |file: &File| file.name.naming == Naming::Plain && !is_timestamp(&file.name.digits);
    let mut environments: Vec<Option<&str>> = vec![None];
    if per_environment {
        let mut names: Vec<&str> = by_version
            .values()
            .flatten()
            .filter_map(|f| f.entry.environment.as_deref())
            .collect();
        names.sort_unstable();
        names.dedup();
        environments.extend(names.into_iter().map(Some));
    }
    for environment in environments {
        let mut previous: Option<(Version, &str)> = None;
        for (version, group) in by_version {
            let Some(file) = group.iter().find(|f| {
                sequential(f)
                    && (!per_environment
                        || f.entry.environment.is_none()
                        || f.entry.environment.as_deref() == environment)
            }) else {
                continue;
            };
            let path = file.entry.path.as_str();
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
}

/// The files of one version, one group per environment. Environment folders
/// never run together, so they may reuse a version; the base set may not
/// share one with any of them.
fn by_environment(
    version: Version,
    group: Vec<File>,
    problems: &mut Vec<Problem>,
) -> Vec<Vec<File>> {
    let in_base = group.iter().any(|f| f.entry.environment.is_none());
    let in_environment = group.iter().any(|f| f.entry.environment.is_some());
    if in_base && in_environment {
        let files: Vec<String> = group.iter().map(|f| f.entry.path.clone()).collect();
        problems.push(Problem::new(
            files[0].clone(),
            None,
            ProblemKind::DuplicateVersion { version, files },
        ));
        return Vec::new();
    }
    let mut groups: Vec<Vec<File>> = Vec::new();
    for file in group {
        match groups.last_mut() {
            Some(last) if last[0].entry.environment == file.entry.environment => last.push(file),
            _ => groups.push(vec![file]),
        }
    }
    groups
}

/// Reads and parses one file; its problems go to `problems`. The flag says
/// whether it had none.
fn read(
    entry: &Entry,
    (form, dialect): (FileForm, crate::Dialect),
    problems: &mut Vec<Problem>,
) -> (ParsedFile, bool, Source) {
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
            return (ParsedFile::default(), false, Source::default());
        }
    };
    let sha384 = Sha384::digest(&bytes).into();
    let Ok(text) = String::from_utf8(bytes) else {
        problems.push(Problem::new(&entry.path, None, ProblemKind::NotUtf8));
        return (ParsedFile::default(), false, Source::default());
    };
    if let Some(at) = text.find('\0') {
        let line = u32::try_from(text[..at].matches('\n').count() + 1).unwrap_or(u32::MAX);
        problems.push(Problem::new(&entry.path, Some(line), ProblemKind::NulByte));
        return (ParsedFile::default(), false, Source::default());
    }
    let (parsed, found) = parse(
        text.strip_prefix('\u{feff}').unwrap_or(&text),
        form,
        dialect,
    );
    let clean = found.is_empty();
    problems.extend(
        found
            .into_iter()
            .map(|(line, kind)| Problem::new(&entry.path, line, kind)),
    );
    (parsed, clean, Source { text, sha384 })
}

/// Turns the files of one version (and environment) into a migration, or
/// reports why they do not make one. Files with problems of their own make
/// no migration, but the group is still checked.
fn assemble(
    version: Version,
    group: Vec<File>,
    directory: Directory,
    problems: &mut Vec<Problem>,
) -> Option<(Migration, Vec<PathBuf>, Vec<Allowed>)> {
    if !is_one_migration(version, &group, problems) {
        return None;
    }
    let history = directory
        .history_before
        .is_some_and(|before| version < before);
    // A history migration's Down file is not read as SQL: only its text
    // counts, in the checksum.
    let clean = group
        .iter()
        .all(|f| f.clean || (history && f.name.form == FileForm::Down));
    let mut group = group.into_iter();
    let first = group.next()?;
    if first.name.form == FileForm::Rust {
        return clean.then(|| rust_migration(version, first, history));
    }
    let down_file = group.next();
    let mut files = vec![first.entry.full_path.clone()];
    if first.parsed.plain && directory.has_sections {
        problems.push(Problem::new(
            &first.entry.path,
            None,
            ProblemKind::MissingUp,
        ));
        return None;
    }
    let down = match (first.name.form, down_file) {
        (FileForm::Single, _) if first.parsed.irreversible || first.parsed.down.is_some() => {
            single_down(&first)
        }
        (_, None) if first.parsed.irreversible || !clean || history => Down::default(),
        (form, None) => no_down(&first, form, directory, problems)?,
        (_, Some(down_file)) => {
            let down = pair_down(&first, down_file, problems)?;
            files.push(down.file.clone()?);
            down
        }
    };
    if !clean {
        return None;
    }
    let (entry, name, parsed, source) = (first.entry, first.name, first.parsed, first.source);
    let up = parsed.up.unwrap_or_default();
    let down_has_sql = down
        .section
        .as_ref()
        .is_some_and(|d| !d.statements.is_empty());
    if up.statements.is_empty() && up.complete && down_has_sql {
        problems.push(Problem::new(&entry.path, up.line, ProblemKind::EmptyUp));
        return None;
    }
    let checksum = Checksum::of(&up.text, down.section.as_ref().map(|d| d.text.as_str()));
    // History: irreversible, whatever its Down says (its text is in the checksum).
    let down = if history { Down::default() } else { down };
    if !balanced(&entry.path, &up, &down, problems) {
        return None;
    }
    let own_transaction = controls_transaction(&up.statements)
        || down
            .section
            .as_ref()
            .is_some_and(|d| controls_transaction(&d.statements));
    let folder_no_transaction = entry.folder.as_ref().is_some_and(|f| f.no_transaction);
    let no_transaction =
        parsed.no_transaction || down.no_transaction || own_transaction || folder_no_transaction;
    if let Some((line, _)) = &parsed.idempotent
        && !no_transaction
    {
        problems.push(Problem::new(
            &entry.path,
            Some(*line),
            ProblemKind::IdempotentInTransaction,
        ));
        return None;
    }
    let allows = parsed.allow.clone();
    let migration = Migration {
        version,
        name: name.name.into(),
        environment: entry.environment.map(Into::into),
        up_path: entry.path.into(),
        down_path: down.path.map(Into::into),
        up: up.statements.into(),
        down: down.section.map(|d| d.statements.into()),
        no_transaction,
        foreign_keys_off: parsed.foreign_keys_off || down.foreign_keys_off,
        unordered: name.naming == Naming::RefineryUnversioned,
        checksum,
        up_file_sha384: source.sha384,
        up_file_text: Some(source.text.into()),
        timeout: parsed.timeout,
        lock_timeout: parsed.lock_timeout,
        idempotent: parsed.idempotent.map(|(_, reason)| reason.into()),
        no_check: parsed.no_check.map(Into::into),
        rust: false,
    };
    Some((migration, files, allows))
}

/// A Rust migration: its checksum is that of its text, its Up and Down
/// the functions `up` and `down` (no `down`: irreversible, which needs no
/// saying in Rust).
fn rust_migration(
    version: Version,
    file: File,
    history: bool,
) -> (Migration, Vec<PathBuf>, Vec<Allowed>) {
    let (entry, name, parsed, source) = (file.entry, file.name, file.parsed, file.source);
    let checksum = Checksum::of(&source.text, None);
    let down = parsed.down.filter(|_| !history);
    let migration = Migration {
        version,
        name: name.name.into(),
        environment: entry.environment.map(Into::into),
        down_path: down.as_ref().map(|_| entry.path.clone().into()),
        up_path: entry.path.into(),
        up: parsed.up.map(|up| up.statements).unwrap_or_default().into(),
        down: down.map(|d| d.statements.into()),
        no_transaction: parsed.no_transaction,
        foreign_keys_off: false,
        unordered: false,
        checksum,
        up_file_sha384: source.sha384,
        up_file_text: Some(source.text.into()),
        timeout: parsed.timeout,
        lock_timeout: parsed.lock_timeout,
        idempotent: None,
        no_check: None,
        rust: true,
    };
    (migration, vec![entry.full_path], Vec::new())
}

/// A migration that has no Down and does not say it is irreversible: a
/// no-op (no SQL at all) is reversible with nothing to undo; where no other
/// migration of the directory has a Down it is Up-only; where others have
/// one, a Down was forgotten.
fn no_down(
    first: &File,
    form: FileForm,
    directory: Directory,
    problems: &mut Vec<Problem>,
) -> Option<Down> {
    let up = first.parsed.up.as_ref();
    if up.is_some_and(|up| up.statements.is_empty() && up.complete) {
        return Some(Down {
            section: Some(Section::default()),
            path: Some(first.entry.path.clone()),
            ..Down::default()
        });
    }
    if !directory.has_down {
        return Some(Down::default());
    }
    let entry = &first.entry;
    let folder = &entry.path[..entry.path.len() - entry.file_name.len()];
    let kind = match (form, &entry.folder) {
        (FileForm::Single, _) => ProblemKind::MissingDown,
        (_, Some(_)) => ProblemKind::MissingDownFile {
            expected: format!("{folder}down.sql"),
        },
        (_, None) => ProblemKind::MissingDownFile {
            expected: format!("{folder}{}_{}.down.sql", first.name.digits, first.name.name),
        },
    };
    problems.push(Problem::new(&entry.path, None, kind));
    None
}

/// Whether each section's own transactions are balanced; the first that
/// is not in each is a problem at its line.
fn balanced(path: &str, up: &Section, down: &Down, problems: &mut Vec<Problem>) -> bool {
    let sections = std::iter::once((path, &up.statements)).chain(
        down.section
            .as_ref()
            .map(|d| (down.path.as_deref().unwrap_or(path), &d.statements)),
    );
    let mut balanced = true;
    for (path, statements) in sections {
        if let Some((line, kind)) = transaction_balance(statements) {
            problems.push(Problem::new(path, Some(line), kind));
            balanced = false;
        }
    }
    balanced
}

/// The first transaction a section's statements leave unbalanced: a
/// `BEGIN` never ended (at its line), one inside another, or an end with
/// none open. A migration that controls its transaction runs its
/// statements as written; one left open would hold the run (and the
/// build's replay) inside it.
fn transaction_balance(statements: &[crate::Statement]) -> Option<(u32, ProblemKind)> {
    let mut open: Option<u32> = None;
    for statement in statements {
        match (statement.transaction_control(), open) {
            (Some(TransactionControl::Open), Some(since)) => {
                return Some((
                    statement.line,
                    ProblemKind::TransactionAlreadyOpen { since },
                ));
            }
            (Some(TransactionControl::Open), None) => open = Some(statement.line),
            (Some(TransactionControl::Close), None) => {
                return Some((statement.line, ProblemKind::TransactionNotOpen));
            }
            (Some(TransactionControl::Close), Some(_)) => open = None,
            (None, _) => {}
        }
    }
    open.map(|line| (line, ProblemKind::TransactionNeverEnded))
}

/// Whether statements control their own transaction (`BEGIN`, `COMMIT`,
/// `END`, `ROLLBACK`, `START TRANSACTION`), as golang-migrate's files for
/// SQLite often do: such a migration runs outside the runner's transaction.
fn controls_transaction(statements: &[crate::Statement]) -> bool {
    statements
        .iter()
        .any(|statement| statement.transaction_control().is_some())
}

/// Whether the files of one version make one migration: an Up (single file
/// or `.up.sql`) and at most one `.down.sql`.
fn is_one_migration(version: Version, group: &[File], problems: &mut Vec<Problem>) -> bool {
    let count = |form: FileForm| group.iter().filter(|f| f.name.form == form).count();
    let (singles, ups, downs) = (
        count(FileForm::Single) + count(FileForm::Rust),
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
    if singles + ups > 1 || downs > 1 || (singles == 1 && downs > 0) {
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
                up_name: up.name.name.clone(),
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
