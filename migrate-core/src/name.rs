//! File names: `<version>_<name>.sql`, `<version>_<name>.up.sql`,
//! `<version>_<name>.down.sql`, Rust migrations `<version>_<name>.rs`, refinery's `V<version>__<name>.sql` and
//! `U<version>__<name>.sql`, and diesel's `<version>_<name>/` folders.

use crate::{FileForm, ProblemKind, Version};

/// Whose naming a migration file follows, where it changes a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Naming {
    /// `<version>_<name>.sql`, `.up.sql`, `.down.sql` (this format, goose,
    /// golang-migrate, sqlx, dbmate).
    #[default]
    Plain,
    /// refinery's `V<version>__<name>.sql`.
    RefineryVersioned,
    /// refinery's `U<version>__<name>.sql`: may be applied after newer ones.
    RefineryUnversioned,
    /// diesel's `<version>_<name>/up.sql` and `down.sql`: the version is an
    /// ordered digit string (dashes dropped), not checked as a date.
    Diesel,
}

/// What a migration file's name says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileName {
    /// The version digits as written, padding included (`"003"`; diesel's
    /// dashes dropped).
    pub digits: String,
    /// The version.
    pub version: Version,
    /// The name after the `_`.
    pub name: String,
    /// Single file, or one half of a pair.
    pub form: FileForm,
    /// Whose naming the file follows.
    pub naming: Naming,
}

/// Whether a directory entry is a migration file at all: a `.sql` file
/// (any case) that is not hidden, or a Rust migration (see
/// [`is_rust_file`]). Everything else in a directory is ignored.
pub fn is_migration_file(file_name: &str) -> bool {
    !file_name.starts_with('.')
        && (file_name.len() > 4
            && file_name.as_bytes()[file_name.len() - 4..].eq_ignore_ascii_case(b".sql")
            || is_rust_file(file_name))
}

/// Whether a file is a Rust migration by its name: `.rs`, and a version
/// first (`003_backfill.rs`; refinery's `V3__backfill.rs` too, which is
/// refused with what to do). Other Rust files (a `mod.rs`) are ignored.
///
/// ```
/// use migrate_core::is_rust_file;
/// assert!(is_rust_file("003_backfill.rs"));
/// assert!(is_rust_file("V3__backfill.rs"));
/// assert!(!is_rust_file("mod.rs"));
/// ```
pub fn is_rust_file(file_name: &str) -> bool {
    let Some(stem) = file_name.strip_suffix(".rs") else {
        return false;
    };
    let bytes = stem.as_bytes();
    match bytes {
        [first, ..] if first.is_ascii_digit() => true,
        [b'V' | b'U', second, ..] => second.is_ascii_digit(),
        _ => false,
    }
}

/// Whether `name` can be a migration's name: display text, stored as a
/// parameter and never spliced into SQL, so anything but a path separator
/// or a control character.
pub fn is_display_name(name: &str) -> bool {
    !name.is_empty()
        && !name
            .chars()
            .any(|c| c == '/' || c == '\\' || c.is_control())
}

/// Parses a migration file's name (`.sql`, or `.rs` for a Rust migration).
///
/// # Errors
///
/// The [`ProblemKind`] that says what is wrong with the name.
///
/// # Examples
///
/// ```
/// use migrate_core::{parse_file_name, FileForm, Naming, Version};
/// let name = parse_file_name("002_add_email.up.sql")?;
/// assert_eq!((name.version, name.name.as_str(), name.form), (Version(2), "add_email", FileForm::Up));
/// assert_eq!(parse_file_name("V3__seed.sql")?.naming, Naming::RefineryVersioned);
/// # Ok::<(), migrate_core::ProblemKind>(())
/// ```
pub fn parse_file_name(file_name: &str) -> Result<FileName, ProblemKind> {
    let (stem, form) = if let Some(stem) = file_name.strip_suffix(".rs") {
        // refinery's `V<version>__<name>.rs` returns SQL text instead of
        // running against a transaction: refused, with what to do.
        if refinery(stem).is_some() {
            return Err(ProblemKind::RefineryRustMigration);
        }
        (stem, FileForm::Rust)
    } else {
        let stem = file_name
            .get(..file_name.len().saturating_sub(4))
            .unwrap_or_default();
        if let Some(name) = refinery(stem) {
            return name;
        }
        if let Some(stem) = stem.strip_suffix(".up") {
            (stem, FileForm::Up)
        } else if let Some(stem) = stem.strip_suffix(".down") {
            (stem, FileForm::Down)
        } else {
            (stem, FileForm::Single)
        }
    };
    let digits_len = stem.bytes().take_while(u8::is_ascii_digit).count();
    if digits_len == 0 {
        return Err(unknown_layout(file_name, stem));
    }
    let (digits, rest) = stem.split_at(digits_len);
    let name = match rest.strip_prefix('_') {
        Some("") => return Err(ProblemKind::MissingName),
        Some(name) => name,
        None if rest.is_empty() => return Err(ProblemKind::MissingName),
        None => return Err(ProblemKind::MissingSeparator),
    };
    named(digits, name, form, Naming::Plain)
}

/// Parses a diesel migration folder's name, `<version>_<name>`, whose
/// version may hold dashes (`2018-01-14-171611_create_users`); `None` when
/// the folder is not named so.
pub fn parse_folder_name(folder: &str, form: FileForm) -> Option<Result<FileName, ProblemKind>> {
    let (version, name) = folder.split_once('_')?;
    let starts_with_digit = version.bytes().next().is_some_and(|b| b.is_ascii_digit());
    if !starts_with_digit || !version.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
        return None;
    }
    Some(
        named(&diesel_digits(version), name, form, Naming::Diesel).and_then(|mut parsed| {
            parsed.version =
                Version::diesel(version).ok_or_else(|| ProblemKind::VersionTooLarge {
                    digits: parsed.digits.clone(),
                })?;
            Ok(parsed)
        }),
    )
}

/// The timestamp digits of a diesel version (a folder's prefix, or the text
/// diesel records): the dashes dropped, and of diesel's newer
/// `2026-07-30-140000-0000` form the 14-digit timestamp only, which is
/// what the date rules read; the version itself, suffix included, is
/// [`Version::diesel`].
///
/// ```
/// use migrate_core::diesel_digits;
/// assert_eq!(diesel_digits("2026-07-30-140000-0000"), "20260730140000");
/// assert_eq!(diesel_digits("2026-07-30-140000"), "20260730140000");
/// assert_eq!(diesel_digits("202607301400000000"), "20260730140000");
/// assert_eq!(diesel_digits("00000000000000"), "00000000000000");
/// ```
pub fn diesel_digits(version: &str) -> String {
    let mut digits: String = version.chars().filter(char::is_ascii_digit).collect();
    if digits.len() == 18 {
        digits.truncate(14);
    }
    digits
}

/// `V<digits>__<name>` or `U<digits>__<name>`, refinery's forms.
fn refinery(stem: &str) -> Option<Result<FileName, ProblemKind>> {
    let naming = match stem.as_bytes().first()? {
        b'V' => Naming::RefineryVersioned,
        b'U' => Naming::RefineryUnversioned,
        _ => return None,
    };
    let rest = &stem[1..];
    let digits_len = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits_len == 0 {
        return None;
    }
    let (digits, name) = rest.split_at(digits_len);
    let name = name.strip_prefix("__")?;
    Some(named(digits, name, FileForm::Single, naming))
}

fn named(
    digits: &str,
    name: &str,
    form: FileForm,
    naming: Naming,
) -> Result<FileName, ProblemKind> {
    if name.is_empty() {
        return Err(ProblemKind::MissingName);
    }
    if !is_display_name(name) {
        return Err(ProblemKind::InvalidName {
            name: name.to_owned(),
        });
    }
    let version = digits
        .parse::<u64>()
        .map_err(|_| ProblemKind::VersionTooLarge {
            digits: digits.to_owned(),
        })?;
    Ok(FileName {
        digits: digits.to_owned(),
        version: Version(version),
        name: name.to_owned(),
        form,
        naming,
    })
}

/// What a name without a leading version seems to be, said for a person.
fn unknown_layout(file_name: &str, stem: &str) -> ProblemKind {
    let lower = file_name.to_ascii_lowercase();
    let what = if lower == "up.sql" || lower == "down.sql" {
        "this is diesel's `up.sql`/`down.sql` outside a migration folder; put it in a \
         `<version>_<name>/` folder such as `2024-01-31-120000_create_users/`"
    } else if stem.starts_with("R__") {
        "this is a repeatable migration (refinery's or Flyway's `R__`), which this format \
         does not run; make it a versioned migration `<version>_<name>.sql`"
    } else if (stem.starts_with('V') || stem.starts_with('U')) && stem.contains("__") {
        "this looks like a refinery or Flyway migration, but its version is not digits; \
         name it `V<digits>__<name>.sql`"
    } else {
        return ProblemKind::MissingVersion;
    };
    ProblemKind::UnknownLayout {
        what: what.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_and_pair_names() {
        let single = parse_file_name("003_create_users.sql").expect("valid");
        assert_eq!(single.digits, "003");
        assert_eq!(single.version, Version(3));
        assert_eq!(single.name, "create_users");
        assert_eq!(single.form, FileForm::Single);
        assert_eq!(
            parse_file_name("20240101120000_seed.down.sql").map(|n| (n.version, n.form)),
            Ok((Version(20240101120000), FileForm::Down))
        );
    }

    #[test]
    fn names_are_display_text() {
        for (file, name) in [
            ("001_add-users.sql", "add-users"),
            ("001_a.b.sql", "a.b"),
            ("001_créer les tables.sql", "créer les tables"),
            ("20240813211251_flags..up.sql", "flags."),
        ] {
            assert_eq!(
                parse_file_name(file).map(|n| n.name),
                Ok(name.to_owned()),
                "{file}"
            );
        }
    }

    #[test]
    fn refinery_and_diesel_names() {
        let versioned = parse_file_name("V12__add_users.sql").expect("valid");
        assert_eq!(
            (versioned.version, versioned.name.as_str(), versioned.naming),
            (Version(12), "add_users", Naming::RefineryVersioned)
        );
        let unversioned = parse_file_name("U3__seed.sql").expect("valid");
        assert_eq!(unversioned.naming, Naming::RefineryUnversioned);
        assert_eq!(
            parse_file_name("V2_x.sql"),
            Err(ProblemKind::MissingVersion)
        );
        let folder = parse_folder_name("2018-01-14-171611_create_users", FileForm::Up)
            .expect("a diesel folder")
            .expect("valid");
        assert_eq!(
            (folder.digits.as_str(), folder.version, folder.naming),
            (
                "20180114171611",
                Version(2018011417161100000),
                Naming::Diesel
            )
        );
        // The same second with diesel's suffix: another version, after it.
        let suffixed = parse_folder_name("2018-01-14-171611-0000_index", FileForm::Up)
            .expect("a diesel folder")
            .expect("valid");
        assert_eq!(
            (suffixed.digits.as_str(), suffixed.version),
            ("20180114171611", Version(2018011417161100001))
        );
        let initial = parse_folder_name("00000000000000_diesel_initial_setup", FileForm::Up);
        assert_eq!(initial.map(|n| n.map(|n| n.version)), Some(Ok(Version(0))));
        assert_eq!(parse_folder_name("production", FileForm::Up), None);
        assert!(matches!(
            parse_file_name("up.sql"),
            Err(ProblemKind::UnknownLayout { .. })
        ));
        for (file, says) in [
            ("R__views.sql", "a repeatable migration"),
            ("V1.2__x.sql", "its version is not digits"),
        ] {
            match parse_file_name(file) {
                Err(ProblemKind::UnknownLayout { what }) => assert!(what.contains(says), "{what}"),
                other => panic!("{file}: {other:?}"),
            }
        }
    }

    #[test]
    fn which_files_count() {
        assert!(is_migration_file("1_a.sql"));
        assert!(is_migration_file("notes.SQL"));
        assert!(!is_migration_file(".1_a.sql"));
        assert!(!is_migration_file("README.md"));
        assert!(!is_migration_file("1_a.sql.bak"));
        assert!(!is_migration_file(".sql"));
        assert!(is_migration_file("003_backfill.rs"));
        assert!(!is_migration_file("mod.rs"));
        assert!(!is_migration_file("build.rs"));
    }

    #[test]
    fn rust_names() {
        let name = parse_file_name("003_hash_passwords.rs").expect("valid");
        assert_eq!(
            (name.version, name.name.as_str(), name.form),
            (Version(3), "hash_passwords", FileForm::Rust)
        );
        assert_eq!(
            parse_file_name("V3__hash.rs"),
            Err(ProblemKind::RefineryRustMigration)
        );
        assert_eq!(parse_file_name("3.rs"), Err(ProblemKind::MissingName));
        assert_eq!(
            parse_file_name("3-x.rs"),
            Err(ProblemKind::MissingSeparator)
        );
    }

    #[test]
    fn bad_names() {
        assert_eq!(
            parse_file_name("create_users.sql"),
            Err(ProblemKind::MissingVersion)
        );
        assert_eq!(parse_file_name("001.sql"), Err(ProblemKind::MissingName));
        assert_eq!(parse_file_name("001_.sql"), Err(ProblemKind::MissingName));
        assert_eq!(
            parse_file_name("001-users.sql"),
            Err(ProblemKind::MissingSeparator)
        );
        assert_eq!(
            parse_file_name("001_a\tb.sql"),
            Err(ProblemKind::InvalidName {
                name: "a\tb".into()
            })
        );
        assert_eq!(
            parse_file_name("99999999999999999999_a.sql"),
            Err(ProblemKind::VersionTooLarge {
                digits: "99999999999999999999".into()
            })
        );
    }
}
