//! File names: `<version>_<name>.sql`, `<version>_<name>.up.sql`, `<version>_<name>.down.sql`.

use crate::{FileForm, ProblemKind, Version};

/// What a migration file's name says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileName {
    /// The version digits as written, padding included (`"003"`).
    pub digits: String,
    /// The version.
    pub version: Version,
    /// The name after the `_`.
    pub name: String,
    /// Single file, or one half of a pair.
    pub form: FileForm,
}

/// Whether a directory entry is a migration file at all: a `.sql` file
/// (any case) that is not hidden. Everything else in a directory is ignored.
pub fn is_migration_file(file_name: &str) -> bool {
    !file_name.starts_with('.')
        && file_name.len() > 4
        && file_name.as_bytes()[file_name.len() - 4..].eq_ignore_ascii_case(b".sql")
}

/// Parses a `.sql` file name.
///
/// # Errors
///
/// The [`ProblemKind`] that says what is wrong with the name.
///
/// # Examples
///
/// ```
/// use migrate_core::{parse_file_name, FileForm, Version};
/// let name = parse_file_name("002_add_email.up.sql")?;
/// assert_eq!((name.version, name.name.as_str(), name.form), (Version(2), "add_email", FileForm::Up));
/// # Ok::<(), migrate_core::ProblemKind>(())
/// ```
pub fn parse_file_name(file_name: &str) -> Result<FileName, ProblemKind> {
    let stem = file_name
        .get(..file_name.len().saturating_sub(4))
        .unwrap_or_default();
    let (stem, form) = if let Some(stem) = stem.strip_suffix(".up") {
        (stem, FileForm::Up)
    } else if let Some(stem) = stem.strip_suffix(".down") {
        (stem, FileForm::Down)
    } else {
        (stem, FileForm::Single)
    };
    let digits_len = stem.bytes().take_while(u8::is_ascii_digit).count();
    if digits_len == 0 {
        return Err(ProblemKind::MissingVersion);
    }
    let (digits, rest) = stem.split_at(digits_len);
    let name = match rest.strip_prefix('_') {
        Some("") => return Err(ProblemKind::MissingName),
        Some(name) => name,
        None if rest.is_empty() => return Err(ProblemKind::MissingName),
        None => return Err(ProblemKind::MissingSeparator),
    };
    if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
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
    })
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
    fn which_files_count() {
        assert!(is_migration_file("1_a.sql"));
        assert!(is_migration_file("notes.SQL"));
        assert!(!is_migration_file(".1_a.sql"));
        assert!(!is_migration_file("README.md"));
        assert!(!is_migration_file("1_a.sql.bak"));
        assert!(!is_migration_file(".sql"));
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
            parse_file_name("001_add-users.sql"),
            Err(ProblemKind::InvalidName {
                name: "add-users".into()
            })
        );
        assert_eq!(
            parse_file_name("001_a.b.sql"),
            Err(ProblemKind::InvalidName { name: "a.b".into() })
        );
        assert_eq!(
            parse_file_name("99999999999999999999_a.sql"),
            Err(ProblemKind::VersionTooLarge {
                digits: "99999999999999999999".into()
            })
        );
    }
}
