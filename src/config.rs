//! Typed configuration read once from the command line and the environment (and an optional
//! `.env`), secrets redacted. The settings themselves are defined in `settings.rs`.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

pub use crate::settings::{LogFormat, Settings};

/// The default cost bound of a GraphQL document. It lets the heaviest everyday query through,
/// every list (1000) with its 20 most urgent tasks and a handful of fields of each (about
/// 130,000), while nesting one more page of lists or tasks inside it (1000 times more) is refused.
pub const GRAPHQL_MAX_COMPLEXITY: usize = 150_000;

/// Why the service refuses to start.
#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(pub String);

/// A secret that never shows up in `Debug` output or logs.
#[derive(Clone)]
pub struct Secret(Vec<u8>);

impl Secret {
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        Self(bytes.into())
    }
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// Argon2id cost parameters (OWASP minimum by default; tests lower them).
#[derive(Debug, Clone, Copy)]
pub struct HashCost {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    pub bind_addr: SocketAddr,
    pub jwt_secret: Secret,
    /// True when no `JWT_SECRET` was given and a random one is in use.
    pub jwt_secret_generated: bool,
    pub jwt_expiry_seconds: i64,
    pub allow_anonymous: bool,
    pub cookie_secure: bool,
    pub cors_origins: Vec<String>,
    pub max_body_bytes: usize,
    pub auth_rate_per_second: u32,
    pub auth_rate_burst: u32,
    /// Take the client IP for rate limiting from `X-Real-IP` (set by the nginx in `docker/`).
    pub trust_proxy_headers: bool,
    pub sqlite_synchronous: String,
    /// PostgreSQL connections each instance keeps at most.
    pub pg_max_connections: u32,
    pub graphql_introspection: bool,
    pub graphql_max_depth: usize,
    /// What a document may cost: a list field costs its page size times the cost of its items.
    pub graphql_max_complexity: usize,
    pub graphql_max_aliases: usize,
    /// Fields and fragments in a document, each fragment counted where it is used.
    pub graphql_max_selections: usize,
    /// How long one GraphQL request may run before its work is dropped.
    pub graphql_timeout: Duration,
    pub graphql_max_response_bytes: usize,
    pub hash_cost: HashCost,
    /// Argon2 computations allowed at once (each holds `memory_kib` of RAM).
    pub hash_concurrency: usize,
    /// How long a request may wait for its answer before a 503 `TIMEOUT`.
    pub request_timeout: Duration,
    /// How long in-flight requests get to finish after a shutdown signal.
    pub shutdown_timeout: Duration,
    /// Between `: keep-alive` comments on a quiet event stream.
    pub events_keep_alive: Duration,
    /// Events a watcher may fall behind before it is closed.
    pub events_buffer: usize,
    /// How long a GraphQL WebSocket may wait before `connection_init`.
    pub ws_init_timeout: Duration,
    pub ws_max_subscriptions: usize,
    pub ws_max_connections_per_user: usize,
    /// Serve `GET /metrics`.
    pub metrics: bool,
    pub log_format: LogFormat,
    /// The `RUST_LOG` filter.
    pub log_filter: String,
}

impl Config {
    /// Reads the process environment, after loading `.env` if present.
    pub fn from_env() -> Result<Self, ConfigError> {
        load_dotenv()?;
        Self::from_lookup(|key| std::env::var(key).ok())
    }

    /// Builds the configuration from any key lookup (the environment, or a map in tests).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let settings = Settings::from_lookup(get).map_err(|e| ConfigError(clap_reason(&e)))?;
        Self::from_settings(settings)
    }

    /// Checks what the command line cannot express alone (the production secret) and builds the
    /// configuration.
    pub fn from_settings(s: Settings) -> Result<Self, ConfigError> {
        let production = s
            .app_env
            .as_deref()
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("production"));
        let secret = s.jwt_secret.filter(|v| !v.trim().is_empty());
        let (jwt_secret, jwt_secret_generated) = match secret {
            Some(s) if production && s.len() < 32 => {
                return Err(ConfigError(
                    "JWT_SECRET must be at least 32 bytes when APP_ENV=production".into(),
                ))
            }
            Some(s) => (Secret::new(s.into_bytes()), false),
            None if production => {
                return Err(ConfigError(
                    "JWT_SECRET is required when APP_ENV=production".into(),
                ))
            }
            None => (Secret::new(random_secret()), true),
        };
        let parallelism = std::thread::available_parallelism().map_or(1, |n| n.get());
        Ok(Self {
            database_url: s.database_url,
            bind_addr: s.bind_addr,
            jwt_secret,
            jwt_secret_generated,
            jwt_expiry_seconds: s.jwt_expiry_seconds,
            allow_anonymous: s.allow_anonymous,
            cookie_secure: s.cookie_secure.unwrap_or(production),
            cors_origins: s
                .cors_origins
                .map(|v| {
                    v.split(',')
                        .map(|o| o.trim().to_owned())
                        .filter(|o| !o.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
            max_body_bytes: s.max_body_bytes,
            auth_rate_per_second: s.auth_rate_limit_per_second,
            auth_rate_burst: s.auth_rate_limit_burst,
            trust_proxy_headers: s.trust_proxy_headers,
            sqlite_synchronous: s.sqlite_synchronous.to_ascii_uppercase(),
            pg_max_connections: s.database_max_connections,
            graphql_introspection: s.graphql_introspection,
            graphql_max_depth: s.graphql_max_depth,
            graphql_max_complexity: s.graphql_max_complexity,
            graphql_max_aliases: s.graphql_max_aliases,
            graphql_max_selections: s.graphql_max_selections,
            graphql_timeout: Duration::from_secs(s.graphql_timeout_seconds),
            graphql_max_response_bytes: s.graphql_max_response_bytes,
            hash_cost: HashCost {
                memory_kib: s.argon2_memory_kib,
                iterations: s.argon2_iterations,
                parallelism: s.argon2_parallelism,
            },
            hash_concurrency: s.hash_concurrency.unwrap_or(parallelism),
            request_timeout: Duration::from_secs(s.request_timeout_seconds),
            shutdown_timeout: Duration::from_secs(s.shutdown_timeout_seconds),
            events_keep_alive: Duration::from_secs(s.events_keep_alive_seconds),
            events_buffer: s.events_buffer,
            ws_init_timeout: Duration::from_secs(s.graphql_ws_init_timeout_seconds),
            ws_max_subscriptions: s.graphql_ws_max_subscriptions,
            ws_max_connections_per_user: s.graphql_ws_max_connections_per_user,
            metrics: s.metrics,
            log_format: s.log_format,
            log_filter: s.rust_log,
        })
    }

    /// The database URL with any password replaced, for logs.
    pub fn database_url_redacted(&self) -> String {
        let url = &self.database_url;
        let Some((scheme, rest)) = url.split_once("://") else {
            return url.clone();
        };
        match rest.rsplit_once('@') {
            Some((user_info, host)) if user_info.contains(':') => {
                let user = user_info.split(':').next().unwrap_or("");
                format!("{scheme}://{user}:[redacted]@{host}")
            }
            _ => url.clone(),
        }
    }

    /// The rate limiter is off when either setting is 0.
    pub fn auth_rate_limited(&self) -> bool {
        self.auth_rate_per_second > 0 && self.auth_rate_burst > 0
    }
}

/// Loads `.env` into the process environment: a missing file is normal, a malformed one is
/// worth refusing.
pub fn load_dotenv() -> Result<(), ConfigError> {
    match dotenvy::dotenv() {
        Ok(_) => Ok(()),
        Err(e) if e.not_found() => Ok(()),
        Err(e) => Err(ConfigError(format!(".env: {e}"))),
    }
}

/// clap's message without its usage and help hints: the line that names the setting.
pub fn clap_reason(e: &clap::Error) -> String {
    let text = e.to_string();
    let line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    line.trim_start_matches("error: ").to_owned()
}

fn random_secret() -> Vec<u8> {
    use rand::RngCore;
    let mut bytes = vec![0u8; 64];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn production_refuses_a_missing_or_short_secret() {
        assert!(config(&[("APP_ENV", "production")]).is_err());
        assert!(config(&[("APP_ENV", "production"), ("JWT_SECRET", "short")]).is_err());
        let ok = config(&[("APP_ENV", "production"), ("JWT_SECRET", &"x".repeat(32))]).unwrap();
        assert!(
            ok.cookie_secure,
            "cookies are Secure by default in production"
        );
    }

    #[test]
    fn development_generates_a_secret_and_defaults_are_the_contract() {
        let c = config(&[]).unwrap();
        assert!(c.jwt_secret_generated);
        assert_eq!(c.jwt_secret.expose().len(), 64);
        assert_eq!(c.bind_addr.to_string(), "127.0.0.1:8000");
        assert_eq!(c.database_url, "sqlite://data/todo.db");
        assert_eq!(c.max_body_bytes, 1 << 20);
        assert_eq!((c.auth_rate_per_second, c.auth_rate_burst), (10, 20));
        assert!(!c.cookie_secure && c.allow_anonymous);
    }

    #[test]
    fn secrets_never_print() {
        let c = config(&[("JWT_SECRET", "hunter2-hunter2")]).unwrap();
        assert!(!format!("{c:?}").contains("hunter2"));
        let c = config(&[("DATABASE_URL", "postgres://todo:hunter2@db:5432/todo")]).unwrap();
        assert_eq!(
            c.database_url_redacted(),
            "postgres://todo:[redacted]@db:5432/todo"
        );
    }

    #[test]
    fn new_settings_have_their_defaults_and_bounds() {
        let c = config(&[]).unwrap();
        assert_eq!(c.request_timeout, Duration::from_secs(30));
        assert_eq!(c.shutdown_timeout, Duration::from_secs(30));
        assert!(c.metrics);
        assert_eq!(c.log_format, LogFormat::Text);
        let c = config(&[("LOG_FORMAT", "json"), ("METRICS", "false")]).unwrap();
        assert_eq!(c.log_format, LogFormat::Json);
        assert!(!c.metrics);
        let err = config(&[("REQUEST_TIMEOUT_SECONDS", "0")]).unwrap_err();
        assert!(err.to_string().contains("REQUEST_TIMEOUT_SECONDS"), "{err}");
        assert!(config(&[("LOG_FORMAT", "xml")]).is_err());
        // An empty value is an unset one, as before.
        assert_eq!(
            config(&[("BIND_ADDR", " ")]).unwrap().bind_addr.port(),
            8000
        );
    }

    #[test]
    fn bad_values_are_refused_with_the_key_named() {
        let err = config(&[("JWT_EXPIRY_SECONDS", "soon")]).unwrap_err();
        assert!(err.to_string().contains("JWT_EXPIRY_SECONDS"));
        assert!(config(&[("SQLITE_SYNCHRONOUS", "sometimes")]).is_err());
    }
}
