//! Where a migration outside a transaction got to, as its history row's
//! `failure` column says while it runs: written before its first statement
//! and after each one but the last (the row then becomes applied), so that
//! a run killed, paused past its lease or cut off leaves the statements
//! known done and the one that may or may not have run. The one place that
//! writes this text and reads it back.

use std::fmt::Write;

use migrate_core::Statement;

/// What writing a migration's progress does, for its errors.
#[cfg(feature = "_backend")]
pub(crate) const RECORDING_PROGRESS: &str =
    "recording a statement of a migration outside a transaction as done";
/// Why a progress record is refused: the row is applied or gone.
#[cfg(feature = "_backend")]
pub(crate) const NO_LONGER_MARKED: &str =
    "its history row no longer says it is part-way: another run finished or resolved it";

/// A migration outside a transaction, part-way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Mark {
    /// Being reverted (its Down), not applied.
    pub reverting: bool,
    /// How many of its statements are known done, in order.
    pub done: usize,
    /// How many it has.
    pub total: usize,
}

const STARTED: &str = "was started";
const REVERTING: &str = "was being reverted";
const KNOWN: &str = "statements known done: ";
const FAILED: &str = "failed at statement";
const REVERT_FAILED: &str = "failed while being reverted, at statement";

/// What the history row says of a migration outside a transaction whose
/// statement `k` of `total` (at `path:line`) failed with `message`, while
/// being applied or, when `reverting`, reverted.
pub(crate) fn failed_text(
    reverting: bool,
    (k, total): (usize, usize),
    (path, line): (&str, u32),
    message: &str,
) -> String {
    let doing = if reverting { REVERT_FAILED } else { FAILED };
    format!("{doing} {k} of {total} ({path}:{line}): {message}")
}

/// Whether a history row's `failure` text (a mark or a failed statement's
/// record) is of a revert: its Down was under way.
pub(crate) fn is_revert(failure: &str) -> bool {
    failure.starts_with(REVERTING) || failure.starts_with(REVERT_FAILED)
}

impl Mark {
    /// What the history row says: `statements` are the section's, in
    /// `path`; `lease`, the token of the run's lock when it is a lease.
    pub fn text(&self, statements: &[Statement], path: &str, lease: Option<&str>) -> String {
        let doing = if self.reverting { REVERTING } else { STARTED };
        let mut text = format!(
            "{doing} outside a transaction by a run that did not finish it (still at work, or \
             killed, paused past its lock's lease, or disconnected; process {}{}); {KNOWN}{} of {}",
            std::process::id(),
            lease.map_or_else(String::new, |token| format!(", lease {token}")),
            self.done,
            self.total
        );
        if let Some(last) = self.done.checked_sub(1).and_then(|i| statements.get(i)) {
            let _ = write!(text, " (the last at {path}:{})", last.line());
        }
        match statements.get(self.done) {
            Some(next) => {
                let _ = write!(
                    text,
                    "; statement {} ({path}:{}) may or may not have run",
                    self.done + 1,
                    next.line()
                );
            }
            None => text.push_str("; only the record that it finished is missing"),
        }
        text
    }

    /// The mark `text` says, if it is one (a failed statement's record,
    /// or a mark of an older release, is not).
    pub fn read(text: &str) -> Option<Mark> {
        let reverting = if text.starts_with(REVERTING) {
            true
        } else if text.starts_with(STARTED) {
            false
        } else {
            return None;
        };
        let rest = &text[text.find(KNOWN)? + KNOWN.len()..];
        let (done, rest) = rest.split_once(" of ")?;
        let total: String = rest.chars().take_while(char::is_ascii_digit).collect();
        Some(Mark {
            reverting,
            done: done.parse().ok()?,
            total: total.parse().ok()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use migrate_core::Statement;

    use super::Mark;

    fn statements() -> Vec<Statement> {
        [3, 5, 9]
            .into_iter()
            .map(|line| Statement {
                sql: Cow::Borrowed("SELECT 1;"),
                line,
            })
            .collect()
    }

    #[test]
    fn a_mark_names_the_last_statement_done_and_the_next_and_reads_back() {
        let statements = statements();
        let mark = Mark {
            reverting: false,
            done: 2,
            total: 3,
        };
        let text = mark.text(&statements, "m/002_x.sql", Some("4f1c"));
        assert!(
            text.ends_with(
                "statements known done: 2 of 3 (the last at m/002_x.sql:5); statement 3 \
                 (m/002_x.sql:9) may or may not have run"
            ),
            "{text}"
        );
        assert!(text.contains(", lease 4f1c); "), "{text}");
        assert_eq!(Mark::read(&text), Some(mark));
        for done in 0..=3 {
            for reverting in [false, true] {
                let mark = Mark {
                    reverting,
                    done,
                    total: 3,
                };
                assert_eq!(
                    Mark::read(&mark.text(&statements, "f.sql", None)),
                    Some(mark)
                );
            }
        }
    }

    #[test]
    fn a_failed_revert_says_so_and_reads_as_one() {
        let applying = super::failed_text(false, (2, 3), ("f.sql", 5), "no such table");
        assert_eq!(
            applying,
            "failed at statement 2 of 3 (f.sql:5): no such table"
        );
        assert!(!super::is_revert(&applying));
        let reverting = super::failed_text(true, (2, 3), ("f.sql", 9), "no such table");
        assert!(reverting.starts_with("failed while being reverted, at statement 2 of 3"));
        assert!(super::is_revert(&reverting));
        assert_eq!(Mark::read(&reverting), None);
        let mark = Mark {
            reverting: true,
            done: 1,
            total: 3,
        };
        assert!(super::is_revert(&mark.text(&statements(), "f.sql", None)));
    }

    #[test]
    fn a_failed_statement_or_an_older_mark_is_not_a_mark() {
        assert_eq!(
            Mark::read("failed at statement 2 of 3 (f.sql:5): no such table"),
            None
        );
        assert_eq!(
            Mark::read(
                "was started outside a transaction by a run that did not finish it (still at \
                 work, or killed, paused past its lock's lease, or disconnected), so part of it \
                 may have run"
            ),
            None
        );
    }
}
