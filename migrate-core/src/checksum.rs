//! Checksums of migrations, stable across platforms and Rust versions.

use std::fmt;

use sha2::{Digest, Sha256};

/// The SHA-256 of a migration's Up and Down section text.
///
/// Line endings are normalised (CRLF = LF), trailing whitespace on each line
/// and blank lines at the end of a section are ignored, so a checkout on
/// Windows or an editor that trims lines does not look like an edited
/// migration. Any other change, comments included, changes the checksum.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Checksum(pub [u8; 32]);

impl Checksum {
    /// The checksum of a migration whose Up section is `up` and whose Down
    /// section is `down` (`None` for an irreversible migration).
    ///
    /// # Examples
    ///
    /// ```
    /// use migrate_core::Checksum;
    /// let unix = Checksum::of("CREATE TABLE a (x INT);\n", Some("DROP TABLE a;\n"));
    /// let windows = Checksum::of("CREATE TABLE a (x INT);  \r\n\r\n", Some("DROP TABLE a;\r\n"));
    /// assert_eq!(unix, windows);
    /// ```
    pub fn of(up: &str, down: Option<&str>) -> Checksum {
        let mut hasher = Sha256::new();
        hash_section(&mut hasher, up);
        match down {
            Some(down) => {
                hasher.update([1]);
                hash_section(&mut hasher, down);
            }
            None => hasher.update([0]),
        }
        Checksum(hasher.finalize().into())
    }

    /// Parses the 64-digit lowercase or uppercase hex form that
    /// [`Display`](fmt::Display) writes. `None` for anything else.
    pub fn from_hex(hex: &str) -> Option<Checksum> {
        // Runs for every history row at every start-up: kept branch-light.
        const fn nibble(b: u8) -> u8 {
            match b {
                b'0'..=b'9' => b - b'0',
                b'a'..=b'f' => b - b'a' + 10,
                b'A'..=b'F' => b - b'A' + 10,
                _ => 0xff,
            }
        }
        let bytes = hex.as_bytes();
        if bytes.len() != 64 {
            return None;
        }
        let mut out = [0u8; 32];
        let mut invalid = 0u8;
        for (byte, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
            let (high, low) = (nibble(pair[0]), nibble(pair[1]));
            invalid |= (high | low) & 0xf0;
            *byte = (high << 4) | (low & 0x0f);
        }
        (invalid == 0).then_some(Checksum(out))
    }
}

/// Hashes the normalised lines of a section: each line without trailing
/// whitespace (which takes the `\r` of CRLF with it), blank lines at the end dropped.
fn hash_section(hasher: &mut Sha256, text: &str) {
    let lines: Vec<&str> = text.split('\n').map(str::trim_end).collect();
    let used = lines
        .iter()
        .rposition(|l| !l.is_empty())
        .map_or(0, |i| i + 1);
    for line in &lines[..used] {
        hasher.update(line.as_bytes());
        hasher.update(b"\n");
    }
}

impl fmt::Display for Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Checksum {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl fmt::Debug for Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Checksum({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_value_does_not_drift() {
        // SHA-256 of "SELECT 1;\n" followed by the byte 0: pinned so that a
        // change of algorithm or normalisation shows up here, not in users' databases.
        assert_eq!(
            Checksum::of("SELECT 1;", None).to_string(),
            "40de6d2d866321a176f2c4ca3c6c9fdb743a59a6a37cb01401b6c73e29d1ce42"
        );
    }

    #[test]
    fn crlf_and_trailing_whitespace_are_ignored() {
        let a = Checksum::of("A;\nB;\n", Some("C;"));
        assert_eq!(a, Checksum::of("A;  \r\nB;\t\r\n\r\n\r\n", Some("C;\r\n")));
    }

    #[test]
    fn leading_whitespace_and_content_count() {
        let a = Checksum::of("A;", None);
        assert_ne!(a, Checksum::of(" A;", None));
        assert_ne!(a, Checksum::of("A;\n-- note", None));
        assert_ne!(a, Checksum::of("\nA;", None));
    }

    #[test]
    fn down_counts_and_irreversible_differs_from_empty_down() {
        let up = "A;";
        assert_ne!(Checksum::of(up, Some("B;")), Checksum::of(up, Some("C;")));
        assert_ne!(Checksum::of(up, None), Checksum::of(up, Some("")));
        assert_ne!(Checksum::of("A;\nB;", None), Checksum::of("A;", Some("B;")));
    }

    #[test]
    fn hex_round_trips() {
        let c = Checksum::of("A;", Some("B;"));
        assert_eq!(Checksum::from_hex(&c.to_string()), Some(c));
        assert_eq!(Checksum::from_hex(&c.to_string().to_uppercase()), Some(c));
        assert_eq!(Checksum::from_hex("abc"), None);
        assert_eq!(Checksum::from_hex(&"g".repeat(64)), None);
    }
}
