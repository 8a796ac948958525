//! A replay that starts where the last one left off. The macro checks the
//! whole set after any change, but a change is nearly always to the newest
//! migration, a new one, or the one edited last time: the migrations before
//! it replay exactly as they did. So a successful replay leaves snapshots
//! of its database after all but the last migration, after all of them,
//! and before the first migration that differs from the last set replayed,
//! each named by a hash of the migrations it holds; the next replay starts
//! from the longest one that is a prefix of its set and replays only what
//! follows.
//!
//! A snapshot is made only when everything before it replayed without a
//! problem, and its name covers what decides a replay: each migration's
//! version, files, checksum (its Up and Down text), flags and whether it
//! has a Down, and a salt the caller gives (the macro's build), so that
//! another build of the checks never trusts it.

use std::fs;
use std::path::{Path, PathBuf};

use migrate_core::{Migration, MigrationSet, Problem};
use sha2::{Digest, Sha256};

use crate::sqlite::Sqlite;
use crate::{replay, sequence, unreadable};

/// [`replay`], resuming from the snapshots in `dir` and leaving new ones
/// there. A set with environments is replayed in full.
pub fn replay_resuming(set: &MigrationSet, dir: &Path, salt: &str) -> Vec<Problem> {
    if !set.environments().is_empty()
        || set.migrations.iter().any(keeps_connection_state)
        || fs::create_dir_all(dir).is_err()
    {
        return replay(set);
    }
    let deadline = sequence::build_deadline(std::time::Instant::now());
    let migrations: Vec<&Migration> = set.migrations.iter().collect();
    let prefixes = prefixes(&migrations, salt);
    let snapshot = |k: usize| dir.join(format!("replay-{}.db", prefixes[k]));
    // The longest prefix there is a snapshot of. One that cannot be read
    // (a damaged file) is removed, so that the replay writes it again.
    let (start, target) = (1..=migrations.len())
        .rev()
        .filter(|&k| snapshot(k).is_file())
        .find_map(|k| {
            let restored = Sqlite::restored(&snapshot(k));
            if restored.is_err() {
                let _ = fs::remove_file(snapshot(k));
            }
            restored.ok().map(|t| (k, t))
        })
        .map_or_else(|| (0, Sqlite::open()), |(k, t)| (k, Ok(t)));
    let Ok(mut target) = target else {
        return replay(set);
    };
    let last = migrations.len();
    let before_last = last.saturating_sub(1).max(start);
    // Where this set first differs from the last one replayed: a snapshot
    // there lets the next edit of the same migration start right before it.
    let record = dir.join("prefixes");
    let previous = fs::read_to_string(&record).unwrap_or_default();
    let common = previous
        .lines()
        .zip(&prefixes)
        .take_while(|(old, new)| old == new)
        .count()
        .saturating_sub(1)
        .clamp(start, before_last);
    for (from, to) in [(start, common), (common, before_last), (before_last, last)] {
        match sequence::replay(&mut target, migrations[from..to].iter().copied(), deadline) {
            Ok(found) if found.is_empty() => {}
            Ok(_) => {
                // Said exactly as a whole replay says them (a failure after
                // a failed Up names it): replay the whole set again.
                return replay(set);
            }
            Err(stopped) => {
                let mut problems = stopped.problems;
                problems.push(unreadable(
                    &stopped.at,
                    format!("cannot read the replayed schema: {}", stopped.error),
                ));
                return problems;
            }
        }
        // A snapshot's name is its content: one that is there is this one.
        if to > 0 && !snapshot(to).is_file() {
            let _ = target.save(&snapshot(to));
        }
    }
    let keep = [snapshot(common), snapshot(before_last), snapshot(last)];
    remove_others(dir, &keep);
    let _ = fs::write(&record, prefixes.join("\n"));
    Vec::new()
}

/// Whether `migration` may leave state on the connection that a snapshot
/// (the database file) does not hold: `TEMP` objects, an attached
/// database, a connection `PRAGMA` (all but the file's `user_version` and
/// `application_id`). A set with one is replayed whole: a resumed replay
/// gives a whole one's verdict only when the snapshot is all the state.
fn keeps_connection_state(migration: &Migration) -> bool {
    let down: &[migrate_core::Statement] = migration.down.as_deref().unwrap_or_default();
    migration.up.iter().chain(down).any(|statement| {
        let tokens = migrate_core::sql::tokens(statement.sql(), migrate_core::Dialect::Sqlite);
        let word = |i: usize| tokens.get(i).map(|t| t.text.as_str());
        tokens
            .iter()
            .any(|t| !t.literal && !t.quoted && (t.text == "temp" || t.text == "temporary"))
            || matches!(word(0), Some("attach" | "detach"))
            || (word(0) == Some("pragma")
                && !matches!(word(1), Some("user_version" | "application_id")))
    })
}

/// The name of each prefix of `migrations`: `prefixes[k]` for the first `k`.
fn prefixes(migrations: &[&Migration], salt: &str) -> Vec<String> {
    let mut hash = Sha256::new();
    hash.update(salt.as_bytes());
    let mut names = vec![sha256_hex(hash.clone().finalize())];
    for m in migrations {
        let identity = format!(
            "{}\0{}\0{:?}\0{}\0{}\0{}\0{}\0{}\0{}\0{}\n",
            m.version,
            m.up_path,
            m.down_path,
            m.checksum,
            m.down.is_some(),
            m.no_transaction,
            m.foreign_keys_off,
            m.no_check.is_some(),
            m.up.len(),
            m.rust,
        );
        hash.update(identity.as_bytes());
        names.push(sha256_hex(hash.clone().finalize()));
    }
    names
}

/// Removes the snapshots of `dir` but `keep`.
fn remove_others(dir: &Path, keep: &[PathBuf]) {
    let Ok(listing) = fs::read_dir(dir) else {
        return;
    };
    for file in listing.flatten() {
        let path = file.path();
        let name = file.file_name();
        // Partial files of a killed writer start so too.
        let is_snapshot = name.to_string_lossy().starts_with("replay-");
        if is_snapshot && !keep.contains(&path) {
            let _ = fs::remove_file(path);
        }
    }
}

/// A SHA-256 in hex, as the project writes every checksum.
fn sha256_hex(digest: sha2::digest::Output<Sha256>) -> String {
    migrate_core::Checksum(digest.into()).to_string()
}
