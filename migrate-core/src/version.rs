//! Migration versions and the two numbering schemes.

use std::fmt;

/// The version of a migration: the number its file name starts with.
///
/// `2_x.sql` and `002_x.sql` have the same version; the padding is not part of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize), serde(transparent))]
pub struct Version(pub u64);

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
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
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Scheme::Sequential => "sequential",
            Scheme::Timestamp => "timestamp",
            Scheme::Hybrid => "hybrid",
        })
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
