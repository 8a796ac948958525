//! A run whose future is dropped part-way (a timeout, `select!`, an
//! aborted task): whatever await point it stopped at, its connection is
//! left outside the run's transaction, without its lock and with the
//! session's own settings. Dropping cannot wait, so the backend queues
//! what ends the run ([`Locking::abandon`](crate::Locking::abandon)) ahead
//! of anything the connection's owner sends next.

use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::{Backend, TableName};

/// A new run's identifier: 32 hex digits, unique among runs (the
/// process, the time, a count within the process, and the standard
/// library's per-process random keys).
pub(crate) fn run_id() -> String {
    static RUNS: AtomicU64 = AtomicU64::new(0);
    let keys = std::collections::hash_map::RandomState::new();
    let mut first = keys.build_hasher();
    first.write_u64(RUNS.fetch_add(1, Ordering::Relaxed));
    first.write_u32(std::process::id());
    first.write_u128(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_nanos()),
    );
    let high = first.finish();
    let mut second = keys.build_hasher();
    second.write_u64(high);
    second.write_u8(1);
    format!("{high:016x}{:016x}", second.finish())
}

/// The connection of a run from the first try of its lock to its release:
/// dropped before [`released`](Held::released) (the run's future dropped,
/// or the lock not taken cleanly), it has the backend abandon the run.
pub(crate) struct Held<'d, B: Backend> {
    pub db: &'d mut B,
    /// The lock, once taken.
    pub lock: Option<B::Lock>,
    /// The history table, where the lock found it once taken.
    table: TableName,
    run: &'d str,
    armed: bool,
}

impl<'d, B: Backend> Held<'d, B> {
    pub(crate) fn new(db: &'d mut B, table: &TableName, run: &'d str) -> Held<'d, B> {
        Held {
            db,
            lock: None,
            table: table.clone(),
            run,
            armed: true,
        }
    }

    /// The lock is taken.
    pub(crate) fn taken(&mut self, lock: B::Lock) {
        if let Some(resolved) = self.db.history_table(&lock) {
            self.table = resolved.clone();
        }
        self.lock = Some(lock);
    }

    /// The run ended its own way (the lock released, or never taken and
    /// nothing left open): nothing to abandon.
    pub(crate) fn released(mut self) {
        self.armed = false;
    }
}

impl<B: Backend> Drop for Held<'_, B> {
    fn drop(&mut self) {
        if self.armed {
            self.db.abandon(&self.table, self.run, self.lock.as_ref());
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn run_ids_are_hex_and_differ() {
        let ids: std::collections::BTreeSet<String> = (0..1000).map(|_| super::run_id()).collect();
        assert_eq!(ids.len(), 1000);
        assert!(
            ids.iter()
                .all(|id| id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()))
        );
    }
}
