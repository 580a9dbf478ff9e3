//! The service layer: every business rule (validation, visibility, passwords, tokens). Both faces
//! (REST and GraphQL) call these functions with the caller as an argument; nothing here knows
//! about HTTP, and the SQL lives behind `store`.

pub mod events;
pub mod health;
pub mod lists;
pub mod tasks;
pub mod users;
pub mod values;

mod limits;
mod sessions;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use uuid::Uuid;

use crate::auth::{TokenId, Tokens};
use crate::config::Config;
use crate::error::{AppError, AppResult};
use crate::passwords::Passwords;
use crate::store::Store;
use limits::AuthLimiter;
use sessions::Sessions;
pub use users::User;

/// Who is asking. Every list and task operation is scoped by it.
#[derive(Debug, Clone)]
pub enum Caller {
    Anonymous,
    User(AuthUser),
}

/// A caller whose token verified, whose user exists and whose token is not revoked.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub user: User,
    pub token: TokenId,
}

impl Caller {
    pub fn user_id(&self) -> Option<Uuid> {
        match self {
            Self::Anonymous => None,
            Self::User(u) => Some(u.user.id),
        }
    }

    /// The authenticated user, or 401 for an anonymous caller.
    pub fn require_user(&self) -> AppResult<&AuthUser> {
        match self {
            Self::User(u) => Ok(u),
            Self::Anonymous => Err(AppError::Unauthorized("Authentication required")),
        }
    }
}

/// Cheap to clone; shared by every request of both faces.
#[derive(Clone)]
pub struct Service(Arc<Inner>);

struct Inner {
    store: Store,
    tokens: Tokens,
    passwords: Passwords,
    limiter: Option<AuthLimiter>,
    /// The exact in-memory view of sessions, where this process is the database's only user.
    sessions: Option<Sessions>,
    allow_anonymous: bool,
    /// Where the database lives, for the health check's disk figures.
    data_path: std::path::PathBuf,
    /// Live task events: the watchers of each list.
    events: Arc<events::Hub>,
}

impl Service {
    pub async fn new(config: &Config, store: Store) -> AppResult<Self> {
        let passwords = Passwords::new(config.hash_cost, config.hash_concurrency).await?;
        let limiter = config
            .auth_rate_limited()
            .then(|| AuthLimiter::new(config.auth_rate_per_second, config.auth_rate_burst));
        let sessions = if store.exclusive() {
            let revoked = store.revocations(values::Timestamp::now()).await?;
            Some(Sessions::with_revoked(revoked))
        } else {
            None
        };
        let feed = store.changes();
        let hub = events::Hub::new(config.events_buffer);
        let svc = Self(Arc::new(Inner {
            events: hub.clone(),
            sessions,
            store,
            tokens: Tokens::new(&config.jwt_secret, config.jwt_expiry_seconds),
            passwords,
            limiter,
            allow_anonymous: config.allow_anonymous,
            data_path: health::data_path(&config.database_url),
        }));
        // A weak handle: the hub ends with the store's feed instead of keeping the service alive.
        tokio::spawn(hub.run(feed, Arc::downgrade(&svc.0)));
        Ok(svc)
    }

    fn store(&self) -> &Store {
        &self.0.store
    }

    /// Runs a write on a task of its own, to its end even when the request that asked for it
    /// is dropped (client gone, timeout): a statement that reached the database commits
    /// whatever happens to its caller, and the change's live event is published after the
    /// commit, so a write cancelled half-way would store a change no subscriber hears of.
    async fn write<T, F>(&self, op: impl FnOnce(Service) -> F) -> AppResult<T>
    where
        F: std::future::Future<Output = AppResult<T>> + Send + 'static,
        T: Send + 'static,
    {
        tokio::spawn(op(self.clone()))
            .await
            .map_err(AppError::internal)?
    }

    /// The token lifetime, for the cookie's `Max-Age`.
    pub fn token_lifetime_secs(&self) -> i64 {
        self.0.tokens.lifetime_secs()
    }

    /// The owner filter for list and task operations: `None` for anonymous callers (who then
    /// see unowned lists only), or 401 when anonymous access is switched off.
    fn scope(&self, caller: &Caller) -> AppResult<Option<Uuid>> {
        match caller {
            Caller::Anonymous if !self.0.allow_anonymous => {
                Err(AppError::Unauthorized("Authentication required"))
            }
            other => Ok(other.user_id()),
        }
    }

    /// Refuses the request when `client` is over the signup/login rate.
    fn check_rate(&self, client: IpAddr) -> AppResult<()> {
        match &self.0.limiter {
            Some(limiter) => limiter.check(client),
            None => Ok(()),
        }
    }

    /// Periodic upkeep: purges expired blacklist rows and idle rate-limit buckets.
    pub fn spawn_maintenance(&self, every: Duration) -> tokio::task::JoinHandle<()> {
        let svc = self.clone();
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(every);
            loop {
                ticker.tick().await;
                match svc.purge_expired_revocations().await {
                    Ok(0) => {}
                    Ok(n) => tracing::debug!(purged = n, "expired blacklist rows purged"),
                    Err(e) => tracing::warn!(error = %e, "blacklist purge failed"),
                }
                if let Some(limiter) = &svc.0.limiter {
                    limiter.forget_idle();
                }
            }
        })
    }

    /// Closes the database connections (graceful shutdown; afterwards requests get 503).
    pub async fn close(&self) {
        self.0.store.close().await;
    }
}
