//! A checked set as bytes: what `embed_migrations!` keeps in `OUT_DIR` and
//! the program includes with `include_bytes!`, decoded once at run time.
//! rustc takes one byte string in no time, where the same set as Rust
//! constants costs it a parse, a resolution and their memory at every
//! `cargo check` (issue: a re-check of 1,000 unchanged migrations).
//!
//! The layout is little-endian and private to one release of the macro and
//! the runtime, which are built together: a magic, the count, then each
//! migration's fields in declaration order. A string is its length (`u32`)
//! and its UTF-8 bytes; an option is a byte (0 or 1) and the value.

use std::borrow::Cow;
use std::time::Duration;

use crate::{Checksum, Migration, Statement, Version};

/// The first bytes of an encoded set.
const MAGIC: &[u8; 8] = b"MIGSET02";

/// `migrations` as bytes.
pub fn encode(migrations: &[Migration]) -> Vec<u8> {
    let mut out = Writer(Vec::with_capacity(64 * 1024));
    out.0.extend_from_slice(MAGIC);
    out.len(migrations.len());
    for m in migrations {
        out.0.extend_from_slice(&m.version.0.to_le_bytes());
        out.text(&m.name);
        out.option(m.environment.as_deref(), Writer::text);
        out.text(&m.up_path);
        out.option(m.down_path.as_deref(), Writer::text);
        out.statements(&m.up);
        out.option(m.down.as_deref(), Writer::statements);
        out.0.push(u8::from(m.no_transaction));
        out.0.push(u8::from(m.foreign_keys_off));
        out.0.push(u8::from(m.unordered));
        out.0.push(u8::from(m.rust));
        out.0.extend_from_slice(&m.checksum.0);
        out.0.extend_from_slice(&m.up_file_sha384);
        out.option(m.up_file_text.as_deref(), Writer::text);
        out.option(m.timeout, Writer::duration);
        out.option(m.lock_timeout, Writer::duration);
        out.option(m.idempotent.as_deref(), Writer::text);
        out.option(m.no_check.as_deref(), Writer::text);
    }
    out.0
}

/// The set `bytes` holds, its texts borrowed from them; `None` when they
/// are not an encoded set of this release.
pub fn decode(bytes: &'static [u8]) -> Option<Vec<Migration>> {
    let mut at = Reader { bytes, at: 0 };
    if at.take(MAGIC.len())? != MAGIC {
        return None;
    }
    let count = at.len()?;
    let mut migrations = Vec::with_capacity(count);
    for _ in 0..count {
        migrations.push(Migration {
            version: Version(u64::from_le_bytes(at.array()?)),
            name: at.text()?,
            environment: at.option(Reader::text).ok()?,
            up_path: at.text()?,
            down_path: at.option(Reader::text).ok()?,
            up: at.statements()?,
            down: at.option(Reader::statements).ok()?,
            no_transaction: at.flag()?,
            foreign_keys_off: at.flag()?,
            unordered: at.flag()?,
            rust: at.flag()?,
            checksum: Checksum(at.array()?),
            up_file_sha384: at.array()?,
            up_file_text: at.option(Reader::text).ok()?,
            timeout: at.option(Reader::duration).ok()?,
            lock_timeout: at.option(Reader::duration).ok()?,
            idempotent: at.option(Reader::text).ok()?,
            no_check: at.option(Reader::text).ok()?,
        });
    }
    (at.at == bytes.len()).then_some(migrations)
}

struct Writer(Vec<u8>);

impl Writer {
    fn len(&mut self, n: usize) {
        let n = u32::try_from(n).unwrap_or(u32::MAX);
        self.0.extend_from_slice(&n.to_le_bytes());
    }

    fn text(&mut self, text: &str) {
        self.len(text.len());
        self.0.extend_from_slice(text.as_bytes());
    }

    fn statements(&mut self, statements: &[Statement]) {
        self.len(statements.len());
        for statement in statements {
            self.0.extend_from_slice(&statement.line.to_le_bytes());
            self.text(&statement.sql);
        }
    }

    fn duration(&mut self, duration: Duration) {
        self.0.extend_from_slice(&duration.as_secs().to_le_bytes());
        self.0
            .extend_from_slice(&duration.subsec_nanos().to_le_bytes());
    }

    fn option<T>(&mut self, value: Option<T>, write: impl FnOnce(&mut Writer, T)) {
        match value {
            Some(value) => {
                self.0.push(1);
                write(self, value);
            }
            None => self.0.push(0),
        }
    }
}

/// Bytes that are not an encoded set.
struct Damaged;

struct Reader {
    bytes: &'static [u8],
    at: usize,
}

impl Reader {
    fn take(&mut self, n: usize) -> Option<&'static [u8]> {
        let end = self.at.checked_add(n)?;
        let taken = self.bytes.get(self.at..end)?;
        self.at = end;
        Some(taken)
    }

    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }

    fn len(&mut self) -> Option<usize> {
        usize::try_from(u32::from_le_bytes(self.array()?)).ok()
    }

    fn flag(&mut self) -> Option<bool> {
        match self.take(1)?[0] {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }

    fn text(&mut self) -> Option<Cow<'static, str>> {
        let n = self.len()?;
        std::str::from_utf8(self.take(n)?).ok().map(Cow::Borrowed)
    }

    fn statements(&mut self) -> Option<Cow<'static, [Statement]>> {
        let n = self.len()?;
        let mut statements = Vec::with_capacity(n);
        for _ in 0..n {
            let line = u32::from_le_bytes(self.array()?);
            statements.push(Statement {
                sql: self.text()?,
                line,
            });
        }
        Some(Cow::Owned(statements))
    }

    fn duration(&mut self) -> Option<Duration> {
        let secs = u64::from_le_bytes(self.array()?);
        let nanos = u32::from_le_bytes(self.array()?);
        (nanos < 1_000_000_000).then(|| Duration::new(secs, nanos))
    }

    fn option<T>(
        &mut self,
        read: impl FnOnce(&mut Reader) -> Option<T>,
    ) -> Result<Option<T>, Damaged> {
        match self.take(1).ok_or(Damaged)?[0] {
            0 => Ok(None),
            1 => read(self).map(Some).ok_or(Damaged),
            _ => Err(Damaged),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;
    use std::time::Duration;

    use super::{decode, encode};
    use crate::{Checksum, Migration, Statement, Version};

    fn statement(sql: &'static str, line: u32) -> Statement {
        Statement {
            sql: Cow::Borrowed(sql),
            line,
        }
    }

    #[test]
    fn a_set_comes_back_whole_and_damaged_bytes_are_refused() {
        let full = Migration {
            version: Version(20_240_101_120_000),
            name: "créer".into(),
            environment: Some("staging".into()),
            up_path: "migrations/1_a.sql".into(),
            down_path: Some("migrations/1_a.down.sql".into()),
            up: vec![statement("CREATE TABLE a (x TEXT DEFAULT ';')", 2)].into(),
            down: Some(vec![statement("DROP TABLE a", 5)].into()),
            no_transaction: true,
            foreign_keys_off: false,
            unordered: true,
            checksum: Checksum([7; 32]),
            up_file_sha384: [9; 48],
            up_file_text: Some("-- +migrate Up\n".into()),
            timeout: Some(Duration::from_millis(1_500)),
            lock_timeout: None,
            idempotent: Some("upserts".into()),
            no_check: None,
            rust: false,
        };
        let bare = Migration {
            version: Version(2),
            environment: None,
            down_path: None,
            down: None,
            up: Vec::new().into(),
            up_file_text: None,
            timeout: None,
            lock_timeout: Some(Duration::from_secs(2)),
            idempotent: None,
            no_check: Some("uses an extension".into()),
            rust: true,
            ..full.clone()
        };
        let set = vec![full, bare];
        let bytes: &'static [u8] = Box::leak(encode(&set).into_boxed_slice());
        assert_eq!(decode(bytes), Some(set));
        assert_eq!(decode(&bytes[..bytes.len() - 1]), None);
        let mut longer = bytes.to_vec();
        longer.push(0);
        assert_eq!(decode(Box::leak(longer.into_boxed_slice())), None);
        assert_eq!(decode(b"NOTASET0\0\0\0\0"), None);
    }
}
