//! The names of the scratch databases a replay creates, shared by the
//! PostgreSQL and MySQL replays: `migrate_replay_<pid>_<n>_<nanos>`, and a
//! copy's `_c<k>` after it; the owner of each is a session (or a lock)
//! named after it, which ends with the process that made it.

use std::sync::atomic::{AtomicU32, Ordering};

/// The prefix of every scratch database's name.
pub(crate) const PREFIX: &str = "migrate_replay_";

/// The scratch database a copy belongs to: `migrate_replay_<pid>_<n>_<nanos>`
/// without the copy's `_c<k>`.
pub(crate) fn owner_of(name: &str) -> Option<&str> {
    let rest = name.strip_prefix(PREFIX)?;
    let mut end = PREFIX.len();
    for (i, part) in rest.split('_').enumerate().take(3) {
        if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        end += part.len() + usize::from(i > 0);
    }
    Some(&name[..end])
}

/// A new scratch database's name, unique on the server: this process's
/// id, a counter, and the clock's nanoseconds.
pub(crate) fn new_name() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.subsec_nanos());
    format!(
        "{PREFIX}{}_{}_{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

#[cfg(test)]
mod tests {
    use super::owner_of;

    #[test]
    fn a_copy_belongs_to_its_scratch_database() {
        assert_eq!(
            owner_of("migrate_replay_42_0_123456"),
            Some("migrate_replay_42_0_123456")
        );
        assert_eq!(
            owner_of("migrate_replay_42_0_123456_c3"),
            Some("migrate_replay_42_0_123456")
        );
        assert_eq!(owner_of("migrate_replay_x_0_1"), None);
        assert_eq!(owner_of("app"), None);
    }
}
