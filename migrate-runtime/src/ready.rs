//! The blocking operations' executor: polls an operation's future on the
//! calling thread. A blocking backend's futures are ready when first
//! polled, so an operation over SQLite or `postgres::Client` is polled once,
//! with no runtime and no thread. A future that is not ready (an async
//! client given to a blocking operation) is waited for by parking the
//! thread until its waker is called.

use std::future::{Future, poll_fn};
use std::panic::{self, AssertUnwindSafe};
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

/// Awaits `future`; a panic while it is polled is caught and answered as
/// the panic's payload (the run's lock is then released, a Rust
/// migration's panic reported as its error).
pub(crate) async fn caught<T>(future: impl Future<Output = T>) -> std::thread::Result<T> {
    let mut future = pin!(future);
    poll_fn(
        |cx| match panic::catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(output)) => Poll::Ready(Ok(output)),
            Err(payload) => Poll::Ready(Err(payload)),
        },
    )
    .await
}

/// Runs `future`, an operation, to completion on this thread. An
/// operation whose first poll waits (an async client's) on the thread of a
/// current-thread async runtime would wait forever, since the client's
/// connection runs on that thread: refused then, before any change (the
/// first wait is the history's read).
pub(crate) fn block_on<T>(future: impl Future<Output = crate::Result<T>>) -> crate::Result<T> {
    let mut future = pin!(future);
    if let Poll::Ready(output) = future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        return output;
    }
    if on_current_thread_runtime() {
        return Err(crate::Error::BlockingOnAsyncRuntime);
    }
    let waker = Waker::from(Arc::new(Unpark(thread::current())));
    let mut context = Context::from_waker(&waker);
    loop {
        match future.as_mut().poll(&mut context) {
            Poll::Ready(output) => return output,
            Poll::Pending => thread::park(),
        }
    }
}

/// Whether this thread runs in a current-thread tokio runtime.
fn on_current_thread_runtime() -> bool {
    #[cfg(any(
        feature = "tokio-postgres",
        feature = "sqlx-postgres",
        feature = "sqlx-mysql",
        feature = "sqlx-sqlite"
    ))]
    {
        tokio::runtime::Handle::try_current().is_ok_and(|runtime| {
            runtime.runtime_flavor() == tokio::runtime::RuntimeFlavor::CurrentThread
        })
    }
    #[cfg(not(any(
        feature = "tokio-postgres",
        feature = "sqlx-postgres",
        feature = "sqlx-mysql",
        feature = "sqlx-sqlite"
    )))]
    {
        false
    }
}

/// Wakes the thread that waits in [`block_on`].
struct Unpark(Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::Duration;

    use super::block_on;

    #[test]
    fn a_ready_future_is_polled_once() {
        let mut polls = 0;
        let output = block_on(std::future::poll_fn(|_| {
            polls += 1;
            std::task::Poll::Ready(Ok(7))
        }));
        assert_eq!((output.ok(), polls), (Some(7), 1));
    }

    #[test]
    fn a_pending_future_is_waited_for_until_woken() {
        let (sender, receiver) = mpsc::channel::<std::task::Waker>();
        let waker_thread = std::thread::spawn(move || {
            let waker = receiver.recv().expect("a waker");
            std::thread::sleep(Duration::from_millis(20));
            waker.wake();
        });
        let mut sent = false;
        let mut woken = false;
        block_on(std::future::poll_fn(|cx| {
            if sent {
                woken = true;
                return std::task::Poll::Ready(Ok(()));
            }
            // The first poll's waker is a no-op; the second one's wakes us.
            if !std::ptr::eq(cx.waker().data(), std::task::Waker::noop().data()) {
                sender.send(cx.waker().clone()).expect("sent");
                sent = true;
            }
            std::task::Poll::Pending
        }))
        .expect("ready");
        assert!(woken);
        waker_thread.join().expect("joined");
    }
}
