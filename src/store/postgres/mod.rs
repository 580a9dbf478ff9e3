//! PostgreSQL storage: a connection pool shared by every request, migrations from
//! `migrations/postgres/`, and the health probe's own connection. Several service instances may
//! share the database; nothing here assumes this process is its only user.

mod lists;
mod notify;
mod task_query;
mod tasks;
mod users;

use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::{Connection, PgConnection, PgPool, Row};
use tokio::sync::Mutex;
use uuid::Uuid;

use super::{ChangeFeed, StoreError};
use crate::error::{AppError, AppResult};
use crate::records::Timestamp;

/// The visibility rule for a list aliased `l`, with the caller's id as the given parameter
/// (NULL when anonymous): unowned lists are visible to everyone, owned ones to their owner.
fn visible(param: usize) -> String {
    format!("(l.owner_id IS NULL OR l.owner_id = ${param})")
}

pub struct PgStore {
    pool: PgPool,
    options: PgConnectOptions,
    /// The health check's connection, replaced when it breaks: it answers whether the database
    /// does, however busy the pool is.
    probe: Mutex<Option<PgConnection>>,
    /// Set by `close`: the probe then stays closed too.
    closed: AtomicBool,
    /// What this instance's listener hears, from every instance.
    pub(super) feed: ChangeFeed,
    /// The `NOTIFY` channel of this database schema.
    channel: String,
    listener: tokio::task::JoinHandle<()>,
}

/// How long a request waits for a pooled connection before it is answered with 503.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

impl PgStore {
    pub async fn connect(
        url: &str,
        max_connections: u32,
        feed: ChangeFeed,
    ) -> Result<Self, StoreError> {
        let options = PgConnectOptions::from_str(url)?.application_name("todo-api");
        // No ping before each use (`test_before_acquire`): it is a round trip per statement, and
        // a connection that broke fails its statement anyway and is then dropped by the pool.
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .test_before_acquire(false)
            .connect_with(options.clone())
            .await?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        let schema: String = sqlx::query_scalar("SELECT current_schema()")
            .fetch_one(&pool)
            .await?;
        let channel = notify::channel(&schema);
        let listener = notify::spawn_listener(pool.clone(), channel.clone(), feed.clone());
        Ok(Self {
            pool,
            options,
            probe: Mutex::new(None),
            closed: AtomicBool::new(false),
            feed,
            channel,
            listener,
        })
    }

    /// `SELECT 1` on the probe connection, reconnecting once when it is gone.
    pub async fn ping(&self) -> AppResult<()> {
        let mut probe = self.probe.lock().await;
        if self.closed.load(Ordering::Relaxed) {
            return Err(AppError::Unavailable);
        }
        if let Some(conn) = probe.as_mut() {
            if sqlx::query("SELECT 1").execute(&mut *conn).await.is_ok() {
                return Ok(());
            }
        }
        *probe = None;
        let mut conn = PgConnection::connect_with(&self.options).await?;
        sqlx::query("SELECT 1").execute(&mut conn).await?;
        *probe = Some(conn);
        Ok(())
    }

    pub async fn close(&self) {
        self.closed.store(true, Ordering::Relaxed);
        self.listener.abort();
        self.pool.close().await;
        if let Some(conn) = self.probe.lock().await.take() {
            let _ = conn.close().await;
        }
    }
}

impl Drop for PgStore {
    fn drop(&mut self) {
        // Its connection would otherwise outlive the store.
        self.listener.abort();
    }
}

fn timestamp(row: &PgRow, column: &str) -> AppResult<Timestamp> {
    let at: chrono::DateTime<chrono::Utc> = row.try_get(column)?;
    Ok(Timestamp::from_datetime(at))
}

fn opt_timestamp(row: &PgRow, column: &str) -> AppResult<Option<Timestamp>> {
    let at: Option<chrono::DateTime<chrono::Utc>> = row.try_get(column)?;
    Ok(at.map(Timestamp::from_datetime))
}

fn uuid(row: &PgRow, column: &str) -> AppResult<Uuid> {
    Ok(row.try_get(column)?)
}
