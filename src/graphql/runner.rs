//! GraphQL operations run on worker threads of their own. Resolving a large answer is CPU work
//! that yields rarely; on the threads that serve every other request it would keep REST, health
//! and light queries waiting behind it. Here the operating system shares the cores between the
//! two pools instead. The work is aborted at its deadline or when the request is dropped (the
//! client went away), at the next point where it waits.
//!
//! Each worker thread runs its own single-threaded runtime, so an operation and the dataloader
//! batches it starts share one thread, and the operation is polled until it really waits
//! ([`UntilWaiting`]): a batch cannot start while the resolvers that fill it are still running,
//! so a query's statements stay the same few whatever the number of items and the machine's
//! speed.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::task::LocalPoolHandle;

use crate::error::AppError;

static POOL: OnceLock<LocalPoolHandle> = OnceLock::new();

/// The GraphQL threads, one per core, started on first use (the schema's construction).
pub fn start() -> &'static LocalPoolHandle {
    POOL.get_or_init(|| {
        LocalPoolHandle::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
    })
}

/// Runs `work` on the GraphQL threads and waits for it, at most `deadline`.
pub async fn run<F>(deadline: Duration, work: F) -> Result<F::Output, AppError>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    // The least busy thread takes it.
    let work = UntilWaiting(Box::pin(tokio::task::unconstrained(work)));
    let mut task = AbortOnDrop(start().spawn_pinned(move || work));
    match tokio::time::timeout(deadline, &mut task.0).await {
        Ok(Ok(output)) => Ok(output),
        Ok(Err(failed)) => {
            tracing::error!(cause = %failed, "GraphQL task failed");
            Err(AppError::internal(failed))
        }
        Err(_) => Err(AppError::Timeout {
            seconds: deadline.as_secs(),
        }),
    }
}

/// Aborts the task when the waiting side is dropped: at the deadline, or with the request.
struct AbortOnDrop<T>(JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Polls a future again at once when it returns `Pending` only to yield (it woke itself during
/// the poll), and lets it go when it truly waits for something else.
///
/// async-graphql resolves the items of a list, and the fields of each item, through
/// `FuturesUnordered`, which yields to the scheduler after every sweep of its futures. A list of
/// a thousand items thus yields hundreds of times while its resolvers register their dataloader
/// keys, and a batch whose delay runs out in between is sent with part of the keys: one query
/// became two, three... depending on timing (measured: half of the runs of the statement-count
/// test for 50 lists). Nothing else waits on this thread's turn (the operation has the thread to
/// itself), so skipping those yields costs nothing, and every key of one level is registered
/// before the level's batch can start. A future that kept waking itself without end would still
/// yield after [`MAX_REPOLLS`] polls in a row.
struct UntilWaiting<F>(Pin<Box<F>>);

/// Far more sweeps than the largest document the cost limit allows needs.
const MAX_REPOLLS: usize = 100_000;

/// A waker that remembers whether it was woken, passing the wake on.
struct Remember {
    woken: AtomicBool,
    waker: Waker,
}

impl Wake for Remember {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Relaxed);
        self.waker.wake_by_ref();
    }
}

impl<F: Future> Future for UntilWaiting<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        for _ in 0..MAX_REPOLLS {
            let remember = Arc::new(Remember {
                woken: AtomicBool::new(false),
                waker: cx.waker().clone(),
            });
            let waker = Waker::from(remember.clone());
            match self.0.as_mut().poll(&mut Context::from_waker(&waker)) {
                Poll::Ready(output) => return Poll::Ready(output),
                Poll::Pending if remember.woken.load(Ordering::Relaxed) => continue,
                Poll::Pending => return Poll::Pending,
            }
        }
        // The inner future woke itself, so the real waker was woken too: we are polled again.
        Poll::Pending
    }
}
