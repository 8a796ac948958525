//! Migration versions and the two numbering schemes.

use std::fmt;

/// The version of a migration: the number its file name starts with.
///
/// `2_x.sql` and `002_x.sql` have the same version; the padding is not part of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize), serde(transparent))]
pub struct Version(pub u64);

impl fmt::Display for Version {
    /// The number; a diesel version as diesel writes it (see
    /// [`Version::diesel`]): `20260527120000`, `202605271200000000`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.diesel_parts() {
            Some((timestamp, None)) => fmt::Display::fmt(&timestamp, f),
            Some((timestamp, Some(suffix))) => f.pad(&format!("{timestamp}{suffix:04}")),
            None => fmt::Display::fmt(&self.0, f),
        }
    }
}

/// How many versions a second has room for in a diesel version: the plain
/// timestamp, then its `-0000` … `-9999` forms.
const DIESEL_SECOND: u64 = 100_000;

impl Version {
    /// The version of a diesel migration folder (`2026-05-27-120000_x`,
    /// `2026-05-27-120000-0000_x`, `20160107082941_x`) or of the text diesel
    /// records for it (`20260527120000`, `202605271200000000`): diesel's
    /// version is that text without its dashes, and diesel orders versions
    /// as text. A 14-digit timestamp `T` is `T × 100000`, its 18-digit form
    /// `T` + `SSSS` is `T × 100000 + 1 + SSSS`: two folders of the same
    /// second, with and without the suffix, are two versions, ordered as
    /// diesel orders them (the plain one first), and every second's versions
    /// before the next second's. Other digit strings are their number.
    /// `None` when the digits are no number this can hold.
    ///
    /// ```
    /// use migrate_core::Version;
    /// let plain = Version::diesel("2026-05-27-120000").unwrap();
    /// let suffixed = Version::diesel("2026-05-27-120000-0000").unwrap();
    /// assert!(plain < suffixed);
    /// assert!(suffixed < Version::diesel("2026-05-27-120001").unwrap());
    /// assert_eq!(Version::diesel("202605271200000000"), Some(suffixed));
    /// assert_eq!(suffixed.to_string(), "202605271200000000");
    /// assert_eq!(plain.to_string(), "20260527120000");
    /// assert_eq!(Version::diesel("00000000000000"), Some(Version(0)));
    /// ```
    pub fn diesel(text: &str) -> Option<Version> {
        let digits: String = text.chars().filter(char::is_ascii_digit).collect();
        let number = |digits: &str| digits.parse::<u64>().ok();
        let version = match digits.len() {
            14 => number(&digits)?.checked_mul(DIESEL_SECOND)?,
            18 => {
                let (timestamp, suffix) = digits.split_at(14);
                number(timestamp)?
                    .checked_mul(DIESEL_SECOND)?
                    .checked_add(1 + number(suffix)?)?
            }
            _ => number(&digits)?,
        };
        // The history keeps versions as signed 64-bit numbers.
        i64::try_from(version).ok().map(|_| Version(version))
    }

    /// A diesel version's timestamp and suffix, when this is one: a number
    /// of 19 digits whose first 14 are a timestamp and whose rest is a
    /// suffix's place (no other numbering reaches 19 digits with a real
    /// date in front).
    fn diesel_parts(self) -> Option<(u64, Option<u64>)> {
        if self.0 < 1_000_000_000_000_000_000 {
            return None;
        }
        let (timestamp, rest) = (self.0 / DIESEL_SECOND, self.0 % DIESEL_SECOND);
        if rest > 10_000 || !is_timestamp(&timestamp.to_string()) {
            return None;
        }
        Some((timestamp, rest.checked_sub(1)))
    }
}

impl From<u64> for Version {
    fn from(value: u64) -> Self {
        Version(value)
    }
}

/// How the versions of a directory are numbered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// 1, 2, 3 …, with any zero padding.
    Sequential,
    /// 14-digit UTC timestamps `YYYYMMDDHHMMSS` that are real dates.
    Timestamp,
    /// Both, as goose's hybrid versioning has them between `migrate fix`
    /// runs: timestamps order after the sequential versions.
    Hybrid,
    /// diesel's folders (`2026-05-27-120000_x/`, `…-0000_x/`): ordered as
    /// diesel orders their version text ([`Version::diesel`]).
    Diesel,
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Scheme::Sequential => "sequential",
            Scheme::Timestamp => "timestamp",
            Scheme::Hybrid => "hybrid",
            Scheme::Diesel => "diesel",
        })
    }
}

impl Scheme {
    /// The version a threshold written as `written` names in this scheme
    /// (`irreversible_before`, `lint_errors_from`, `--irreversible-before`):
    /// in diesel's layout, diesel's version of that text
    /// (`20260701000000` is that second's first version), elsewhere the
    /// number.
    pub fn version_written(self, written: u64) -> Version {
        match self {
            Scheme::Diesel => Version::diesel(&written.to_string()).unwrap_or(Version(written)),
            _ => Version(written),
        }
    }
}

/// The scheme a version's digits belong to: 14 digits that form a real UTC
/// date and time are a timestamp, anything else is sequential.
pub fn scheme_of(digits: &str) -> Scheme {
    if is_timestamp(digits) {
        Scheme::Timestamp
    } else {
        Scheme::Sequential
    }
}

/// Whether `digits` is a 14-digit `YYYYMMDDHHMMSS` naming a real date and time
/// (years 1970 to 9999, leap years included).
pub fn is_timestamp(digits: &str) -> bool {
    if digits.len() != 14 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let field = |range: std::ops::Range<usize>| -> u32 {
        digits[range]
            .bytes()
            .fold(0, |n, b| n * 10 + u32::from(b - b'0'))
    };
    let (year, month, day) = (field(0..4), field(4..6), field(6..8));
    let (hour, minute, second) = (field(8..10), field(10..12), field(12..14));
    (1970..=9999).contains(&year)
        && (1..=12).contains(&month)
        && (1..=days_in_month(year, month)).contains(&day)
        && hour < 24
        && minute < 60
        && second < 60
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_dates_are_timestamps() {
        assert!(is_timestamp("20240229235959"));
        assert!(is_timestamp("19700101000000"));
        assert_eq!(scheme_of("20231231120000"), Scheme::Timestamp);
    }

    #[test]
    fn impossible_dates_are_not_timestamps() {
        assert!(!is_timestamp("20230229120000"), "2023 is not a leap year");
        assert!(!is_timestamp("19000229120000"));
        assert!(!is_timestamp("20241301120000"), "month 13");
        assert!(!is_timestamp("20240431120000"), "April has 30 days");
        assert!(!is_timestamp("20240101240000"), "hour 24");
        assert!(!is_timestamp("20240101006000"), "minute 60");
        assert!(!is_timestamp("00000000000001"));
        assert!(!is_timestamp("2024010112000"), "13 digits");
    }

    #[test]
    fn short_numbers_are_sequential() {
        assert_eq!(scheme_of("001"), Scheme::Sequential);
        assert_eq!(scheme_of("1"), Scheme::Sequential);
        assert_eq!(scheme_of("00000000000001"), Scheme::Sequential);
    }

    #[test]
    fn version_displays_without_padding() {
        assert_eq!(Version(7).to_string(), "7");
    }
}
