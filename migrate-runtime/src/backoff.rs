//! The one bounded wait of the runtime: the pauses between tries of a
//! lock, on SQLite (the lock file) and PostgreSQL (the lock row).

use std::time::{Duration, Instant};

/// The pauses of a bounded wait: doubling from 2 ms to 50 ms, spread a
/// little so that many waiters do not retry in step, never past the bound.
pub(crate) struct Backoff {
    started: Instant,
    timeout: Duration,
    pause: Duration,
}

impl Backoff {
    pub(crate) fn new(timeout: Duration) -> Backoff {
        Backoff {
            started: Instant::now(),
            timeout,
            pause: Duration::from_millis(2),
        }
    }

    /// How long to sleep before the next try; `Err(waited)` once the bound is reached.
    pub(crate) fn next(&mut self) -> Result<Duration, Duration> {
        let waited = self.started.elapsed();
        if waited >= self.timeout {
            return Err(waited);
        }
        let jitter = Duration::from_micros(u64::from(waited.subsec_micros() % 997));
        let sleep = (self.pause + jitter).min(self.timeout.saturating_sub(waited));
        self.pause = (self.pause * 2).min(Duration::from_millis(50));
        Ok(sleep)
    }
}

/// Sleeps `pause` for an async client: on its tokio runtime when the
/// future is polled on one, else on the thread (a blocking operation given
/// an async client polls it on a thread of no runtime, where tokio's timer
/// cannot run).
#[cfg(feature = "_tokio")]
pub(crate) async fn sleep_async(pause: Duration) {
    if tokio::runtime::Handle::try_current().is_ok() {
        tokio::time::sleep(pause).await;
    } else {
        std::thread::sleep(pause);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::Backoff;

    #[test]
    fn the_pauses_grow_to_50_ms_and_stop_at_the_bound() {
        let mut backoff = Backoff::new(Duration::from_millis(30));
        let first = backoff.next().expect("a pause");
        assert!(first >= Duration::from_millis(2) && first < Duration::from_millis(4));
        let mut slept = first;
        std::thread::sleep(first);
        while let Ok(pause) = backoff.next() {
            assert!(pause <= Duration::from_millis(51), "{pause:?}");
            std::thread::sleep(pause);
            slept += pause;
        }
        assert!(slept <= Duration::from_millis(40), "{slept:?}");
    }
}
