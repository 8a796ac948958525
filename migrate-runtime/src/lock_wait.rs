//! Waiting for a table's lock without stalling the table: a migration's
//! statements wait at most `lock_timeout` for a lock (PostgreSQL), and an
//! attempt that timed out is rolled back and tried again after a pause,
//! until the run's `busy_timeout` is spent. Readers queue behind a waiting
//! `ALTER TABLE` only as long as one attempt.

use std::fmt;
use std::time::{Duration, Instant};

use crate::Version;

/// A session whose open transaction holds a lock on a table a migration's
/// statement names, as the server reports it (PostgreSQL's
/// `pg_stat_activity`); fields the server keeps from this user are `None`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Blocker {
    /// Its server process.
    pub pid: i32,
    /// Its `application_name` (empty when it set none).
    pub application_name: String,
    /// Its client address; `None` for a Unix socket or when not shown.
    pub client_addr: Option<String>,
    /// How long its transaction has been open.
    pub transaction_age: Option<Duration>,
    /// Its state: `active`, `idle in transaction` …
    pub state: Option<String>,
    /// How long ago its current or last query started.
    pub query_age: Option<Duration>,
}

impl Blocker {
    /// A blocker, as a backend reads it from the server.
    pub fn new(pid: i32, application_name: String) -> Blocker {
        Blocker {
            pid,
            application_name,
            client_addr: None,
            transaction_age: None,
            state: None,
            query_age: None,
        }
    }

    /// With what else the server told of it.
    #[must_use]
    pub fn with(
        mut self,
        client_addr: Option<String>,
        transaction_age: Option<Duration>,
        state: Option<String>,
        query_age: Option<Duration>,
    ) -> Blocker {
        self.client_addr = client_addr;
        self.transaction_age = transaction_age;
        self.state = state;
        self.query_age = query_age;
        self
    }
}

impl fmt::Display for Blocker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "server process {}", self.pid)?;
        if !self.application_name.is_empty() {
            write!(f, ", application `{}`", self.application_name)?;
        }
        if let Some(addr) = &self.client_addr {
            write!(f, ", client {addr}")?;
        }
        if let Some(age) = self.transaction_age {
            write!(f, ", its transaction open for {}", seconds(age))?;
        }
        if let Some(state) = &self.state {
            write!(f, ", {state}")?;
        }
        if let Some(age) = self.query_age {
            write!(f, ", its query started {} ago", seconds(age))?;
        }
        Ok(())
    }
}

/// How a statement waited for a lock in vain
/// ([`Error::LockTimeout`](crate::Error::LockTimeout)): each attempt, in
/// all, and who was in the way.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct LockWait {
    /// How long each attempt could wait for a lock.
    pub lock_timeout: Duration,
    /// How many attempts timed out.
    pub attempts: u32,
    /// How long the attempts took in all.
    pub spent: Duration,
    /// The sessions whose open transactions hold locks on the tables the
    /// statement names, longest open first.
    pub blockers: Vec<Blocker>,
}

/// `12.3 s`.
pub(crate) fn seconds(duration: Duration) -> String {
    format!("{:.1} s", duration.as_secs_f64())
}

/// A retry after a migration's statement waited its `lock_timeout` for a
/// lock, what [`Migrator::on_lock_retry`](crate::Migrator::on_lock_retry)
/// is called with.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LockRetry {
    /// The migration's version.
    pub version: Version,
    /// The file holding the statement.
    pub path: String,
    /// The statement's line in that file.
    pub line: u32,
    /// The attempt that timed out, from 1.
    pub attempt: u32,
    /// How long each attempt may wait for a lock.
    pub lock_timeout: Duration,
    /// The pause before the next attempt.
    pub pause: Duration,
    /// How long the run has spent waiting for locks so far.
    pub spent: Duration,
    /// How long it may (the run's `busy_timeout`).
    pub budget: Duration,
    /// Whether the transaction is tried again from its start (`false`: the
    /// one statement, outside a transaction).
    pub transaction: bool,
}

impl fmt::Display for LockRetry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: waited {} for a lock (attempt {}), {}; trying again in {} ({} of {} spent)",
            self.path,
            self.line,
            seconds(self.lock_timeout),
            self.attempt,
            if self.transaction {
                "rolled back so that the queries queued behind it run"
            } else {
                "stopped so that the queries queued behind it run"
            },
            seconds(self.pause),
            seconds(self.spent),
            seconds(self.budget),
        )
    }
}

/// The attempts of a run at its locks: when the first timed out, how
/// many did, and the pause before the next, growing from 100 ms to 1 s
/// with some spread so that migrators do not retry in step.
#[derive(Debug)]
pub(crate) struct Attempts {
    /// The retry the run owes after its transaction is rolled back and
    /// its lock released.
    pub(crate) retry: Option<LockRetry>,
    budget: Duration,
    first: Option<Instant>,
    failed: u32,
    pause: Duration,
}

/// The first pause after a lock timeout.
const FIRST_PAUSE: Duration = Duration::from_millis(100);
/// The longest pause: queued queries have run by then.
const LONGEST_PAUSE: Duration = Duration::from_secs(1);

impl Attempts {
    pub(crate) fn new(budget: Duration) -> Attempts {
        Attempts {
            retry: None,
            budget,
            first: None,
            failed: 0,
            pause: FIRST_PAUSE,
        }
    }

    /// An attempt started at `started` timed out: the pause before the
    /// next, or `Err(spent)` when another attempt would go past the budget.
    pub(crate) fn failed(
        &mut self,
        started: Instant,
        lock_timeout: Duration,
    ) -> Result<Duration, Duration> {
        self.failed += 1;
        let first = *self.first.get_or_insert(started);
        let spent = first.elapsed();
        let jitter = self
            .pause
            .mul_f64(f64::from(spent.subsec_micros() % 256) / 1024.0);
        let pause = self.pause + jitter;
        if spent + pause + lock_timeout > self.budget {
            return Err(spent);
        }
        self.pause = (self.pause * 2).min(LONGEST_PAUSE);
        Ok(pause)
    }

    /// How many attempts timed out.
    pub(crate) fn count(&self) -> u32 {
        self.failed
    }

    /// How long the attempts took since the first started.
    pub(crate) fn spent(&self) -> Duration {
        self.first.map_or(Duration::ZERO, |first| first.elapsed())
    }

    pub(crate) fn budget(&self) -> Duration {
        self.budget
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::{Attempts, Blocker};

    #[test]
    fn the_pauses_grow_to_a_second_and_stop_before_the_budget() {
        let mut attempts = Attempts::new(Duration::from_secs(5));
        let started = Instant::now();
        let first = attempts
            .failed(started, Duration::from_millis(100))
            .expect("a pause");
        assert!(first >= Duration::from_millis(100) && first < Duration::from_millis(130));
        let mut pauses = vec![first];
        for _ in 0..6 {
            pauses.push(
                attempts
                    .failed(started, Duration::from_millis(100))
                    .expect("a pause"),
            );
        }
        assert!(
            pauses
                .windows(2)
                .all(|w| w[0] <= w[1] + Duration::from_millis(300))
        );
        assert!(pauses.iter().all(|p| *p <= Duration::from_millis(1250)));
        assert_eq!(attempts.count(), 7);
        // A budget that one more attempt would pass: no pause.
        let mut short = Attempts::new(Duration::from_millis(150));
        assert!(
            short
                .failed(Instant::now(), Duration::from_millis(100))
                .is_err()
        );
    }

    #[test]
    fn a_blocker_says_what_the_server_told() {
        let blocker = Blocker::new(4242, "reports".to_owned()).with(
            Some("10.0.0.7".to_owned()),
            Some(Duration::from_millis(12_340)),
            Some("idle in transaction".to_owned()),
            Some(Duration::from_secs(12)),
        );
        assert_eq!(
            blocker.to_string(),
            "server process 4242, application `reports`, client 10.0.0.7, its transaction open \
             for 12.3 s, idle in transaction, its query started 12.0 s ago"
        );
        assert_eq!(
            Blocker::new(7, String::new()).to_string(),
            "server process 7"
        );
    }
}
