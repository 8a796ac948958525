//! The macro's verdict, kept between expansions. `cargo check` after an
//! edit elsewhere in the crate, and an editor expanding the macro as the
//! user types, would otherwise read, parse, replay and lint the whole
//! directory again although no migration changed.
//!
//! The key is a SHA-256 of everything the expansion depends on: the
//! macro's version, build (see `build.rs`) and features, the macro's input as written, the crate
//! root, `MIGRATE_REPLAY_POSTGRES_URL`, and every migration file's path and
//! bytes (with a diesel folder's `metadata.toml` flag). A hit costs listing
//! the directory, hashing its files and reading the key file; the set
//! itself is an `include!` of the data file the miss wrote: the item that
//! tracks the files and an `include_bytes!` of the set encoded beside it
//! (`migrate_core::encoded`), decoded by the program at first use. rustc
//! reads one byte string in no time, where the set as constants costs it
//! a parse and their memory at every check. Only a
//! success is kept: a directory with problems is checked each time.
//!
//! The store is `OUT_DIR` (which the README's one-line `build.rs` gives
//! the crate); without it nothing is kept. A cache file whose first line is
//! not this key (another version, a corrupt or foreign file) is ignored and
//! overwritten, never trusted.

use std::fs;
use std::path::{Path, PathBuf};

use proc_macro2::TokenStream;
use sha2::{Digest, Sha256};

use crate::expand::{self, Expansion};
use crate::input::Input;

/// The first word of a cache file.
const MAGIC: &str = "embed_migrations-cache-v1";

/// The features the expansion depends on.
const FEATURES: &str = concat!(
    "replay=",
    cfg!(feature = "replay"),
    ",postgres-parse=",
    cfg!(feature = "postgres-parse"),
    ",postgres-replay=",
    cfg!(feature = "postgres-replay"),
    ",source=",
    cfg!(feature = "source")
);

/// The expansion of `input` (`written` is its text), from the cache when
/// nothing it depends on changed.
pub fn expand(input: &Input, written: &str) -> syn::Result<TokenStream> {
    let root = expand::root(input)?;
    let out_dir = std::env::var_os("OUT_DIR").map(PathBuf::from);
    expand_in(input, written, &root, out_dir)
}

/// [`expand`] for the crate at `root`, keeping the cache in `out_dir`.
fn expand_in(
    input: &Input,
    written: &str,
    root: &Path,
    out_dir: Option<PathBuf>,
) -> syn::Result<TokenStream> {
    let root = root.to_path_buf();
    let Some(store) = out_dir.and_then(|out_dir| Store::new(out_dir, &root, input, written)) else {
        let expansion = expand::expand(input, &root, None)?;
        return Ok(Expansion::with(&expansion.lints, &expansion.data_tokens()?));
    };
    if let Some((lints, data)) = store.read() {
        return Ok(Expansion::with(&lints, &include(&data)));
    }
    let expansion = expand::expand(input, &root, Some(&store.snapshots()))?;
    Ok(match store.write(&expansion) {
        Some(data) => Expansion::with(&expansion.lints, &include(&data)),
        None => Expansion::with(&expansion.lints, &expansion.data_tokens()?),
    })
}

/// `include!` of the file holding the set: rustc reads it itself, which
/// costs far less than the same tokens handed over by the macro.
fn include(data: &Path) -> TokenStream {
    let data = data.to_string_lossy();
    quote::quote! { ::core::include!(#data) }
}

/// The cache of one invocation: a key file (the key, the data file's
/// name, the lint warnings' tokens) and a data file named after the key
/// (the set as an expression), so that a data file never changes under a
/// reader.
struct Store {
    out_dir: PathBuf,
    /// `embed_migrations-<site>`: the directory and options written.
    stem: String,
    key: String,
}

impl Store {
    /// The store of this invocation, or `None` when there is nowhere to
    /// keep it or the directory cannot be listed (the full expansion then
    /// says what is wrong).
    fn new(out_dir: PathBuf, root: &Path, input: &Input, written: &str) -> Option<Store> {
        let listing = migrate_core::scan(root, &input.dir.value()).ok()?;
        let mut hash = Sha256::new();
        let mut part = |bytes: &[u8]| {
            hash.update((bytes.len() as u64).to_le_bytes());
            hash.update(bytes);
        };
        part(env!("CARGO_PKG_VERSION").as_bytes());
        part(env!("MIGRATE_MACROS_BUILD").as_bytes());
        part(FEATURES.as_bytes());
        part(written.as_bytes());
        part(root.as_os_str().as_encoded_bytes());
        let url = std::env::var(expand::REPLAY_URL).unwrap_or_default();
        part(url.as_bytes());
        for entry in &listing.entries {
            part(entry.full_path.as_os_str().as_encoded_bytes());
            part(format!("{:?}{:?}", entry.environment, entry.folder).as_bytes());
            part(&fs::read(&entry.full_path).ok()?);
        }
        for ignored in &listing.ignored {
            part(ignored.as_bytes());
        }
        let site = sha256_hex(Sha256::digest(written.as_bytes()))[..16].to_owned();
        Some(Store {
            out_dir,
            stem: format!("embed_migrations-{site}"),
            key: sha256_hex(hash.finalize()),
        })
    }

    /// Where the replay keeps its snapshots, to resume from after a change.
    fn snapshots(&self) -> PathBuf {
        self.out_dir.join(format!("{}-replay", self.stem))
    }

    fn key_file(&self) -> PathBuf {
        self.out_dir.join(format!("{}.key", self.stem))
    }

    /// The lint tokens and the data file stored under this key, if the key
    /// file says so and the data file is there.
    fn read(&self) -> Option<(TokenStream, PathBuf)> {
        let text = fs::read_to_string(self.key_file()).ok()?;
        let mut lines = text.splitn(3, '\n');
        if lines.next()? != self.head() {
            return None;
        }
        let name = lines.next()?;
        // Only a data file of this invocation, in the store.
        if !name.starts_with(&self.stem) || name.contains(['/', '\\']) {
            return None;
        }
        let data = self.out_dir.join(name);
        let warnings = lines.next().unwrap_or_default().parse().ok()?;
        data.is_file().then_some((warnings, data))
    }

    /// Stores `expansion` under this key; the data file, or `None` when it
    /// could not be written (the next expansion then does the full work).
    fn write(&self, expansion: &Expansion) -> Option<PathBuf> {
        let name = format!("{}-{}.rs", self.stem, &self.key[..16]);
        let data = self.out_dir.join(&name);
        let previous = fs::read_to_string(self.key_file()).ok();
        let previous = previous.as_deref().and_then(|t| t.lines().nth(1));
        // The set as one byte string the data file includes: rustc reads
        // it in no time, where the set's constants cost it a parse and
        // their memory at every check.
        let encoded = data.with_extension("bin");
        atomic_write(&encoded, migrate_core::encoded::encode(&expansion.set))?;
        let text = format!(
            "{{\n{}{}\n::migrate_runtime::__private::set(\
             ::migrate_runtime::__private::encoded(::core::include_bytes!({:?})), {})\n}}\n",
            expansion.tracking,
            expansion.code.items,
            encoded.to_string_lossy(),
            expansion.code.list,
        );
        atomic_write(&data, text.as_bytes())?;
        let lints = expansion.lints.to_string().replace('\n', " ");
        atomic_write(
            &self.key_file(),
            format!("{}\n{name}\n{lints}", self.head()),
        )?;
        // Older data files of this invocation go, but the one just
        // replaced stays: another compiler (an editor's, beside cargo) may
        // have read the old key and be about to include it.
        if let Ok(listing) = fs::read_dir(&self.out_dir) {
            for file in listing.flatten() {
                let file = file.file_name();
                let file = file.to_string_lossy();
                let stem = file
                    .strip_suffix(".rs")
                    .or_else(|| file.strip_suffix(".bin"));
                let ours = file.starts_with(&format!("{}-", self.stem)) && stem.is_some();
                let keep =
                    |kept: Option<&str>| kept.and_then(|kept| kept.strip_suffix(".rs")) == stem;
                if ours && !keep(Some(&name)) && !keep(previous) {
                    let _ = fs::remove_file(self.out_dir.join(file.as_ref()));
                }
            }
        }
        Some(data)
    }

    fn head(&self) -> String {
        format!("{MAGIC} {}", self.key)
    }
}

/// Writes `text` beside `path`, then renames it there: a reader never
/// sees half a file.
fn atomic_write(path: &Path, text: impl AsRef<[u8]>) -> Option<()> {
    let partial = path.with_extension(format!("partial-{}", std::process::id()));
    if fs::write(&partial, text).is_ok() && fs::rename(&partial, path).is_ok() {
        return Some(());
    }
    let _ = fs::remove_file(&partial);
    None
}

/// A SHA-256 in hex, as the project writes every checksum.
fn sha256_hex(digest: sha2::digest::Output<Sha256>) -> String {
    migrate_core::Checksum(digest.into()).to_string()
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::path::Path;

    use super::expand_in;
    use crate::input::Input;

    const ONE: &str =
        "-- +migrate Up\nCREATE TABLE a (x INTEGER);\n-- +migrate Down\nDROP TABLE a;\n";

    /// The data file the expansion includes, from its tokens.
    fn included(tokens: &str) -> std::path::PathBuf {
        let start = tokens.find("include ! (\"").expect("an include!") + 12;
        let end = start + tokens[start..].find('"').expect("its end");
        tokens[start..end].into()
    }

    fn expand(written: &str, root: &Path, out_dir: &Path) -> String {
        let input: Input = syn::parse_str(written).expect("input");
        expand_in(&input, written, root, Some(out_dir.to_path_buf()))
            .expect("expands")
            .to_string()
    }

    /// Marks the data file, so that a later expansion that does the full
    /// work again (and writes it anew) can be told from a cache hit.
    fn mark(data: &Path) {
        fs::write(data, "MARK").expect("mark");
    }

    /// Whether the set the data file includes holds `sql`.
    fn holds(data: &Path, sql: &str) -> bool {
        let encoded = fs::read(data.with_extension("bin")).expect("the encoded set");
        String::from_utf8_lossy(&encoded).contains(sql)
    }

    fn marked(data: &Path) -> bool {
        fs::read_to_string(data).is_ok_and(|t| t == "MARK")
    }

    #[test]
    fn a_hit_reuses_the_verdict_and_any_change_checks_again() {
        let root = tempfile::tempdir().expect("tempdir");
        let out = tempfile::tempdir().expect("out");
        let dir = root.path().join("migrations");
        fs::create_dir(&dir).expect("mkdir");
        fs::write(dir.join("001_a.sql"), ONE).expect("write");
        let written = "\"migrations\"";

        let first = included(&expand(written, root.path(), out.path()));
        assert!(holds(&first, "CREATE TABLE a"));
        mark(&first);
        // Nothing changed: a hit, the data file as it was.
        assert_eq!(included(&expand(written, root.path(), out.path())), first);
        assert!(marked(&first), "a hit does not write");

        // A changed file: the full check, a new data file.
        fs::write(dir.join("001_a.sql"), ONE.replace("x INTEGER", "y INTEGER")).expect("edit");
        let edited = included(&expand(written, root.path(), out.path()));
        assert_ne!(edited, first);
        assert!(first.exists(), "the data file just replaced stays a while");
        assert!(holds(&edited, "y INTEGER"));

        // A new file is a change too; the data files before the one it
        // replaces go.
        fs::write(dir.join("002_b.sql"), ONE.replace(" a", " b")).expect("add");
        let added = included(&expand(written, root.path(), out.path()));
        assert!(!first.exists(), "older data files are removed");
        assert!(!first.with_extension("bin").exists(), "and their sets");
        assert!(edited.exists());
        assert!(holds(&added, "CREATE TABLE b"));
        mark(&added);

        // A changed option: another invocation, checked in full.
        let gaps = included(&expand(
            "\"migrations\", allow_gaps = true",
            root.path(),
            out.path(),
        ));
        assert!(!marked(&gaps));
        assert!(marked(&added), "the other invocation's cache is untouched");

        // A corrupted key file: ignored, the full check, written anew.
        for key in fs::read_dir(out.path()).expect("list").flatten() {
            if key.path().extension().is_some_and(|e| e == "key") {
                fs::write(key.path(), "garbage\n../../etc/passwd\n").expect("corrupt");
            }
        }
        let again = included(&expand(written, root.path(), out.path()));
        assert!(!marked(&again), "a corrupt cache is never trusted");
        assert!(holds(&again, "CREATE TABLE b"));
    }

    #[test]
    fn a_directory_with_problems_is_not_kept() {
        let root = tempfile::tempdir().expect("tempdir");
        let out = tempfile::tempdir().expect("out");
        let dir = root.path().join("migrations");
        fs::create_dir(&dir).expect("mkdir");
        fs::write(dir.join("002_a.sql"), ONE).expect("write");
        let written = "\"migrations\"";
        let input: Input = syn::parse_str(written).expect("input");
        assert!(expand_in(&input, written, root.path(), Some(out.path().to_path_buf())).is_err());
        assert_eq!(fs::read_dir(out.path()).expect("list").count(), 0);
    }
}
