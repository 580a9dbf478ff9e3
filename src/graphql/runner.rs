//! GraphQL operations run on worker threads of their own. Resolving a large answer is CPU work
//! that yields rarely; on the threads that serve every other request it would keep REST, health
//! and light queries waiting behind it. Here the operating system shares the cores between the
//! two pools instead. The work is aborted at its deadline or when the request is dropped (the
//! client went away), at the next point where it waits.

use std::future::Future;
use std::sync::OnceLock;
use std::time::Duration;

use tokio::runtime::{Builder, Runtime};
use tokio::task::JoinHandle;

use crate::error::AppError;

static RUNTIME: OnceLock<Runtime> = OnceLock::new();

/// The GraphQL threads, one per core, started on first use (the schema's construction).
pub fn start() -> &'static Runtime {
    RUNTIME.get_or_init(|| {
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        Builder::new_multi_thread()
            .worker_threads(threads)
            .thread_name("graphql")
            .enable_all()
            .build()
            .expect("the GraphQL worker threads can be started")
    })
}

/// Runs `work` on the GraphQL threads and waits for it, at most `deadline`.
pub async fn run<F>(deadline: Duration, work: F) -> Result<F::Output, AppError>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let mut task = AbortOnDrop(start().spawn(work));
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
