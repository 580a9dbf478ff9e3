//! Serving the router: client addresses for rate limiting, graceful shutdown, log set-up.

use std::future::{Future, IntoFuture};
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Serves until `shutdown` resolves, then lets in-flight requests finish.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// Like [`serve`], but after `shutdown` resolves in-flight requests get `deadline` at most:
/// event streams and WebSockets never end by themselves and would hold the process forever.
pub async fn serve_until(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    deadline: Duration,
) -> std::io::Result<()> {
    let (signalled, on_signal) = tokio::sync::oneshot::channel::<()>();
    let shutdown = async move {
        shutdown.await;
        let _ = signalled.send(());
    };
    let server = axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .into_future();
    tokio::pin!(server);
    tokio::select! {
        done = &mut server => return done,
        Ok(()) = on_signal => {}
    }
    match tokio::time::timeout(deadline, server).await {
        Ok(done) => done,
        Err(_) => {
            tracing::warn!(
                seconds = deadline.as_secs(),
                "shutdown deadline reached; closing the connections still open"
            );
            Ok(())
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown requested; finishing in-flight requests");
}

/// Logs to stderr, filtered by `filter` (`RUST_LOG`), as text or one JSON object per line.
/// `RUST_LOG=sqlx=debug` logs every SQL statement. Keep the guard until the process ends: its
/// drop writes out what is still queued.
///
/// Lines are formatted on the thread that logs and written by a thread of their own, in batches:
/// a `write` to stderr per request line cost about a fifth of a cached GET's CPU time (`perf`,
/// `bench/` scenario a, one core), and a request should not wait on a slow log collector. Never
/// lossy: when the queue is full, the logging thread waits rather than drop lines.
pub fn init_tracing(format: LogFormat, filter: &str) -> Result<WorkerGuard, String> {
    let filter = EnvFilter::try_new(filter).map_err(|e| format!("RUST_LOG: {e}"))?;
    // Colours only for a person at a terminal: a file or a log collector gets plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let (writer, guard) = NonBlockingBuilder::default()
        .lossy(false)
        .thread_name("log-writer")
        .finish(std::io::BufWriter::with_capacity(
            64 * 1024,
            std::io::stderr(),
        ));
    // The fmt builder with one global filter: it also caps the `log` crate's level (sqlx asks it
    // before every statement), which a hand-assembled registry would leave at TRACE.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(ansi);
    match format {
        LogFormat::Text => builder.try_init(),
        // The span list carries the request id of the request a line belongs to.
        LogFormat::Json => builder
            .json()
            .with_current_span(false)
            .with_span_list(true)
            .try_init(),
    }
    .map_err(|e| format!("logging: {e}"))?;
    Ok(guard)
}
