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
use crate::store::Checked;
use crate::store::Store;
use limits::AuthLimiter;
pub use sessions::Confirmation;
use sessions::Sessions;
pub use users::User;

/// Who is asking. Every list and task operation is scoped by it.
#[derive(Debug, Clone)]
pub enum Caller {
    Anonymous,
    User(AuthUser),
}

/// A caller whose token verified and whose user exists. Whether the token is revoked may still be
/// open (`confirmation`): every operation settles that before it answers (see `Service::scope`).
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub user: User,
    pub token: TokenId,
    pub confirmation: Confirmation,
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
    /// What authentication may know without asking the database (`sessions.rs`).
    sessions: Sessions,
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
            Sessions::exclusive(revoked)
        } else {
            Sessions::shared()
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

    /// Whether a request's revocation check can ride in its operation's first statement
    /// (`authenticate_deferred`): where only the database knows every revocation.
    pub fn defers_token_checks(&self) -> bool {
        !self.0.store.exclusive()
    }

    /// The token lifetime, for the cookie's `Max-Age`.
    pub fn token_lifetime_secs(&self) -> i64 {
        self.0.tokens.lifetime_secs()
    }

    /// The owner filter for list and task operations, once the caller's token is known not to be
    /// revoked: `None` for anonymous callers (who then see unowned lists only), or 401 when
    /// anonymous access is switched off.
    async fn scope(&self, caller: &Caller) -> AppResult<Option<Uuid>> {
        self.confirm(caller).await?;
        self.owner(caller)
    }

    /// The owner filter, and the token id still to be checked, for the reads that check it in
    /// their own statement (then settled by `checked`).
    fn read_scope(&self, caller: &Caller) -> AppResult<(Option<Uuid>, Option<Uuid>)> {
        let owner = self.owner(caller)?;
        let unconfirmed = match caller {
            Caller::User(u) if !u.confirmation.is_done() => Some(u.token.jti),
            _ => None,
        };
        Ok((owner, unconfirmed))
    }

    fn owner(&self, caller: &Caller) -> AppResult<Option<Uuid>> {
        match caller {
            Caller::Anonymous if !self.0.allow_anonymous => {
                Err(AppError::Unauthorized("Authentication required"))
            }
            other => Ok(other.user_id()),
        }
    }

    /// What a read from `read_scope` found: 401 when the token turned out revoked.
    fn checked<T>(&self, caller: &Caller, found: Checked<T>) -> AppResult<T> {
        match (found, caller) {
            (Checked::Revoked, _) => Err(AppError::Unauthorized(users::REVOKED)),
            (Checked::Valid(value), Caller::User(u)) => {
                u.confirmation.settle();
                Ok(value)
            }
            (Checked::Valid(value), Caller::Anonymous) => Ok(value),
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
