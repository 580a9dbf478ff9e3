//! Typed configuration read once from the environment (and an optional `.env`), secrets redacted.

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

/// The default cost bound of a GraphQL document. It lets the heaviest everyday query through,
/// every list (1000) with its 20 most urgent tasks and a handful of fields of each (about
/// 130,000), while nesting one more page of lists or tasks inside it (1000 times more) is refused.
pub const GRAPHQL_MAX_COMPLEXITY: usize = 150_000;

/// Why the service refuses to start.
#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(String);

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
    pub production: bool,
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
}

impl Config {
    /// Reads the process environment, after loading `.env` if present.
    pub fn from_env() -> Result<Self, ConfigError> {
        // A missing .env is normal; a malformed one is worth refusing.
        match dotenvy::dotenv() {
            Ok(_) => {}
            Err(e) if e.not_found() => {}
            Err(e) => return Err(ConfigError(format!(".env: {e}"))),
        }
        Self::from_lookup(|key| std::env::var(key).ok())
    }

    /// Builds the configuration from any key lookup (the environment, or a map in tests).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |key: &str| get(key).filter(|v| !v.trim().is_empty());
        let production = get("APP_ENV").is_some_and(|v| v.eq_ignore_ascii_case("production"));
        let (jwt_secret, jwt_secret_generated) = match get("JWT_SECRET") {
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
        let synchronous = get("SQLITE_SYNCHRONOUS").unwrap_or_else(|| "NORMAL".into());
        if !["OFF", "NORMAL", "FULL", "EXTRA"].contains(&synchronous.to_ascii_uppercase().as_str())
        {
            return Err(ConfigError(format!(
                "SQLITE_SYNCHRONOUS must be OFF, NORMAL, FULL or EXTRA, not {synchronous:?}"
            )));
        }
        Ok(Self {
            database_url: get("DATABASE_URL").unwrap_or_else(|| "sqlite://data/todo.db".into()),
            bind_addr: parse(&get, "BIND_ADDR", "127.0.0.1:8000".parse().expect("valid"))?,
            jwt_secret,
            jwt_secret_generated,
            jwt_expiry_seconds: parse_in(&get, "JWT_EXPIRY_SECONDS", 3600, 1..=31_536_000)?,
            allow_anonymous: parse(&get, "ALLOW_ANONYMOUS", true)?,
            cookie_secure: parse(&get, "COOKIE_SECURE", production)?,
            cors_origins: get("CORS_ORIGINS")
                .map(|v| {
                    v.split(',')
                        .map(|o| o.trim().to_owned())
                        .filter(|o| !o.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
            max_body_bytes: parse_in(&get, "MAX_BODY_BYTES", 1 << 20, 1..=1 << 30)?,
            auth_rate_per_second: parse(&get, "AUTH_RATE_LIMIT_PER_SECOND", 10)?,
            auth_rate_burst: parse(&get, "AUTH_RATE_LIMIT_BURST", 20)?,
            trust_proxy_headers: parse(&get, "TRUST_PROXY_HEADERS", false)?,
            production,
            sqlite_synchronous: synchronous.to_ascii_uppercase(),
            pg_max_connections: parse_in(&get, "DATABASE_MAX_CONNECTIONS", 16, 1..=1000)?,
            graphql_introspection: parse(&get, "GRAPHQL_INTROSPECTION", true)?,
            graphql_max_depth: parse_in(&get, "GRAPHQL_MAX_DEPTH", 16, 1..=1000)?,
            graphql_max_complexity: parse_in(
                &get,
                "GRAPHQL_MAX_COMPLEXITY",
                GRAPHQL_MAX_COMPLEXITY,
                1..=100_000_000,
            )?,
            graphql_max_aliases: parse_in(&get, "GRAPHQL_MAX_ALIASES", 100, 0..=100_000)?,
            graphql_max_selections: parse_in(&get, "GRAPHQL_MAX_SELECTIONS", 1000, 1..=1_000_000)?,
            graphql_timeout: Duration::from_secs(parse_in(
                &get,
                "GRAPHQL_TIMEOUT_SECONDS",
                10,
                1..=3600,
            )?),
            graphql_max_response_bytes: parse_in(
                &get,
                "GRAPHQL_MAX_RESPONSE_BYTES",
                16 << 20,
                1024..=1 << 30,
            )?,
            hash_cost: HashCost {
                memory_kib: parse_in(&get, "ARGON2_MEMORY_KIB", 19_456, 8..=4_194_304)?,
                iterations: parse_in(&get, "ARGON2_ITERATIONS", 2, 1..=100)?,
                parallelism: parse_in(&get, "ARGON2_PARALLELISM", 1, 1..=64)?,
            },
            hash_concurrency: parse_in(&get, "HASH_CONCURRENCY", parallelism, 1..=1024)?,
        })
    }

    /// The rate limiter is off when either setting is 0.
    pub fn auth_rate_limited(&self) -> bool {
        self.auth_rate_per_second > 0 && self.auth_rate_burst > 0
    }
}

fn parse<T: FromStr>(
    get: &impl Fn(&str) -> Option<String>,
    key: &str,
    default: T,
) -> Result<T, ConfigError> {
    match get(key) {
        None => Ok(default),
        Some(raw) => raw
            .trim()
            .parse()
            .map_err(|_| ConfigError(format!("{key} has an invalid value {raw:?}"))),
    }
}

fn parse_in<T: FromStr + PartialOrd + fmt::Display>(
    get: &impl Fn(&str) -> Option<String>,
    key: &str,
    default: T,
    range: std::ops::RangeInclusive<T>,
) -> Result<T, ConfigError> {
    let value = parse(get, key, default)?;
    if range.contains(&value) {
        Ok(value)
    } else {
        Err(ConfigError(format!(
            "{key} must be between {} and {}",
            range.start(),
            range.end()
        )))
    }
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
    }

    #[test]
    fn bad_values_are_refused_with_the_key_named() {
        let err = config(&[("JWT_EXPIRY_SECONDS", "soon")]).unwrap_err();
        assert!(err.to_string().contains("JWT_EXPIRY_SECONDS"));
        assert!(config(&[("SQLITE_SYNCHRONOUS", "sometimes")]).is_err());
    }
}
