//! Exact SQL statement counts per request, from sqlx's own statement events (`sqlx::query`).
//! A separate test binary: the counter is process-wide, so these tests run one at a time here
//! and nothing else shares the process. Like the end-to-end tests, the cases run on SQLite, and
//! on PostgreSQL too when `TEST_DATABASE_URL` is set at build time.

// Each behaviour file is compiled once per backend, on purpose.
#![allow(clippy::duplicate_mod)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Once;

use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::Layer;

#[path = "../api/helpers.rs"]
#[allow(dead_code)]
mod helpers;

/// The backend of `helpers` at the crate root (unused: the cases use their tree's own).
pub const BACKEND: helpers::Backend = helpers::Backend::Sqlite;

static STATEMENTS: AtomicUsize = AtomicUsize::new(0);
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
static INSTALL: Once = Once::new();

struct CountStatements;

impl<S: tracing::Subscriber> Layer<S> for CountStatements {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        if event.metadata().target() == "sqlx::query" {
            STATEMENTS.fetch_add(1, Ordering::SeqCst);
        }
    }
}

fn install_counter() {
    INSTALL.call_once(|| {
        let subscriber = tracing_subscriber::registry().with(CountStatements);
        tracing::subscriber::set_global_default(subscriber).expect("no other global subscriber");
    });
}

/// Statements run by `request` (run twice first so connections are open and statements cached).
async fn count<F, Fut>(request: F) -> usize
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    request().await;
    request().await;
    STATEMENTS.store(0, Ordering::SeqCst);
    request().await;
    STATEMENTS.load(Ordering::SeqCst)
}

// `#[path = "."]`: the files of these inline modules are found beside this one.
#[path = "."]
mod sqlite {
    pub const BACKEND: helpers::Backend = helpers::Backend::Sqlite;
    #[path = "cases.rs"]
    mod cases;
    #[path = "../api/helpers.rs"]
    #[allow(dead_code)]
    mod helpers;
}

#[cfg(postgres_tests)]
#[path = "."]
mod postgres {
    pub const BACKEND: helpers::Backend = helpers::Backend::Postgres;
    #[path = "cases.rs"]
    mod cases;
    #[path = "../api/helpers.rs"]
    #[allow(dead_code)]
    mod helpers;
}
