//! The command line: every setting once, with its environment variable, default and range.
//!
//! `todo-api --help` is generated from this file, and `Config::from_lookup` (tests, `.env`) parses
//! through the same definitions, so a setting's name, default and bounds live here only.

use std::net::SocketAddr;

use clap::builder::RangedU64ValueParser;
use clap::{Args, Parser, Subcommand, ValueEnum};

/// A TODO backend (users, lists, tasks) with a REST face and a GraphQL face.
///
/// Every setting can be given as an option or as its environment variable (a `.env` file in the
/// working directory is read too); the option wins.
#[derive(Debug, Parser)]
#[command(name = "todo-api", version, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub settings: Settings,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Subcommand)]
pub enum Command {
    /// Serve REST at /api/v1 and GraphQL at /graphql (the default).
    Serve,
    /// Print the GraphQL schema (SDL) and exit.
    PrintSchema,
    /// Print the OpenAPI 3.1 document of the REST face and exit.
    PrintOpenapi,
    /// Validate the configuration, print a summary (secrets redacted) and exit; non-zero with the
    /// reason when it is invalid.
    CheckConfig,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Readable lines for a person.
    Text,
    /// One JSON object per line, for a log collector.
    Json,
}

/// A setting's value name is its environment variable, so that clap's error messages name it.
#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// `sqlite://PATH` (file and folder created) or `postgres://USER@HOST:PORT/DB`.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://data/todo.db",
        hide_env_values = true
    )]
    pub database_url: String,
    /// PostgreSQL connections this instance keeps at most.
    #[arg(long, env = "DATABASE_MAX_CONNECTIONS", default_value_t = 16,
          value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub database_max_connections: u32,
    /// Listen address.
    #[arg(long, env = "BIND_ADDR", default_value = "127.0.0.1:8000")]
    pub bind_addr: SocketAddr,
    /// HS256 key for access tokens; required (32 bytes or more) when APP_ENV=production,
    /// otherwise random per start [default: random]
    #[arg(long, env = "JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// Access token lifetime (and cookie Max-Age), in seconds.
    #[arg(long, env = "JWT_EXPIRY_SECONDS", default_value_t = 3600,
          value_parser = clap::value_parser!(i64).range(1..=31_536_000))]
    pub jwt_expiry_seconds: i64,
    /// `false`: every list and task route needs a token.
    #[arg(long, env = "ALLOW_ANONYMOUS", default_value_t = true, action = clap::ArgAction::Set)]
    pub allow_anonymous: bool,
    /// `Secure` flag of the access_token cookie [default: true in production, else false]
    #[arg(long, env = "COOKIE_SECURE")]
    pub cookie_secure: Option<bool>,
    /// Comma-separated origins allowed from a browser, or `*` (then without credentials)
    /// [default: none, no CORS headers]
    #[arg(long, env = "CORS_ORIGINS")]
    pub cors_origins: Option<String>,
    /// Larger request bodies get 413.
    #[arg(long, env = "MAX_BODY_BYTES", default_value_t = 1 << 20,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=1 << 30))]
    pub max_body_bytes: usize,
    /// Signups and logins per second per client IP; 0 turns the limit off.
    #[arg(long, env = "AUTH_RATE_LIMIT_PER_SECOND", default_value_t = 10)]
    pub auth_rate_limit_per_second: u32,
    /// Burst of that limit; 0 turns the limit off.
    #[arg(long, env = "AUTH_RATE_LIMIT_BURST", default_value_t = 20)]
    pub auth_rate_limit_burst: u32,
    /// Take the client IP for that limit from X-Real-IP (behind the nginx of docker/).
    #[arg(long, env = "TRUST_PROXY_HEADERS", default_value_t = false, action = clap::ArgAction::Set)]
    pub trust_proxy_headers: bool,
    /// `production` enforces a real JWT_SECRET and secure cookies [default: development]
    #[arg(long, env = "APP_ENV")]
    pub app_env: Option<String>,
    /// SQLite `synchronous` pragma: OFF, NORMAL, FULL or EXTRA (WAL mode is always on).
    #[arg(long, env = "SQLITE_SYNCHRONOUS", default_value = "NORMAL", ignore_case = true,
          value_parser = ["OFF", "NORMAL", "FULL", "EXTRA"])]
    pub sqlite_synchronous: String,
    /// `false` hides the GraphQL schema from introspection.
    #[arg(long, env = "GRAPHQL_INTROSPECTION", default_value_t = true, action = clap::ArgAction::Set)]
    pub graphql_introspection: bool,
    /// Deepest nesting of a GraphQL document.
    #[arg(long, env = "GRAPHQL_MAX_DEPTH", default_value_t = 16,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=1000))]
    pub graphql_max_depth: usize,
    /// The most a GraphQL document may cost (a list field costs its page size times its items).
    #[arg(long, env = "GRAPHQL_MAX_COMPLEXITY", default_value_t = crate::config::GRAPHQL_MAX_COMPLEXITY,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=100_000_000))]
    pub graphql_max_complexity: usize,
    /// Aliases per GraphQL document.
    #[arg(long, env = "GRAPHQL_MAX_ALIASES", default_value_t = 100,
          value_parser = RangedU64ValueParser::<usize>::new().range(0..=100_000))]
    pub graphql_max_aliases: usize,
    /// Fields and fragments per GraphQL document, fragments counted where used.
    #[arg(long, env = "GRAPHQL_MAX_SELECTIONS", default_value_t = 1000,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=1_000_000))]
    pub graphql_max_selections: usize,
    /// A GraphQL operation still running after this many seconds is stopped (code TIMEOUT).
    #[arg(long, env = "GRAPHQL_TIMEOUT_SECONDS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub graphql_timeout_seconds: u64,
    /// A larger GraphQL answer is not sent (code PAYLOAD_TOO_LARGE).
    #[arg(long, env = "GRAPHQL_MAX_RESPONSE_BYTES", default_value_t = 16 << 20,
          value_parser = RangedU64ValueParser::<usize>::new().range(1024..=1 << 30))]
    pub graphql_max_response_bytes: usize,
    /// Argon2id memory per hash, in KiB (OWASP minimum by default).
    #[arg(long, env = "ARGON2_MEMORY_KIB", default_value_t = 19_456,
          value_parser = clap::value_parser!(u32).range(8..=4_194_304))]
    pub argon2_memory_kib: u32,
    /// Argon2id iterations.
    #[arg(long, env = "ARGON2_ITERATIONS", default_value_t = 2,
          value_parser = clap::value_parser!(u32).range(1..=100))]
    pub argon2_iterations: u32,
    /// Argon2id lanes.
    #[arg(long, env = "ARGON2_PARALLELISM", default_value_t = 1,
          value_parser = clap::value_parser!(u32).range(1..=64))]
    pub argon2_parallelism: u32,
    /// Password hashes computed at once; more queue (at most 1024, then 429)
    /// [default: number of CPUs]
    #[arg(long, env = "HASH_CONCURRENCY",
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=1024))]
    pub hash_concurrency: Option<usize>,
    /// A REST request or GraphQL request still without an answer after this many seconds gets
    /// 503 with code TIMEOUT (event streams and subscriptions, once answered, are not cut).
    #[arg(long, env = "REQUEST_TIMEOUT_SECONDS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub request_timeout_seconds: u64,
    /// After SIGTERM or Ctrl-C, in-flight requests get this many seconds to finish; connections
    /// still open then (event streams, WebSockets) are closed.
    #[arg(long, env = "SHUTDOWN_TIMEOUT_SECONDS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(0..=3600))]
    pub shutdown_timeout_seconds: u64,
    /// Seconds between `: keep-alive` comments on a quiet event stream.
    #[arg(long, env = "EVENTS_KEEP_ALIVE_SECONDS", default_value_t = 15,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub events_keep_alive_seconds: u64,
    /// Events an event stream or subscription may fall behind before it is closed as too slow.
    #[arg(long, env = "EVENTS_BUFFER", default_value_t = 256,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=65_536))]
    pub events_buffer: usize,
    /// A WebSocket on /graphql/ws without `connection_init` after this many seconds is closed.
    #[arg(long, env = "GRAPHQL_WS_INIT_TIMEOUT_SECONDS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub graphql_ws_init_timeout_seconds: u64,
    /// Subscriptions one WebSocket may hold at once.
    #[arg(long, env = "GRAPHQL_WS_MAX_SUBSCRIPTIONS", default_value_t = 20,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=10_000))]
    pub graphql_ws_max_subscriptions: usize,
    /// WebSockets one user (by token) may hold open at once on this instance.
    #[arg(long, env = "GRAPHQL_WS_MAX_CONNECTIONS_PER_USER", default_value_t = 10,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=100_000))]
    pub graphql_ws_max_connections_per_user: usize,
    /// Serve Prometheus metrics at GET /metrics.
    #[arg(long, env = "METRICS", default_value_t = true, action = clap::ArgAction::Set)]
    pub metrics: bool,
    /// Log lines as readable text or as one JSON object per line.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, ignore_case = true)]
    pub log_format: LogFormat,
    /// Log filter; `sqlx=debug` logs every SQL statement.
    #[arg(
        long,
        env = "RUST_LOG",
        default_value = "todo_api=info,tower_http=info,sqlx=warn"
    )]
    pub rust_log: String,
}

impl Settings {
    /// Removes the settings' environment variables that are set but blank: an empty value has
    /// always meant "the default" here, where clap would refuse it. Call it before any thread
    /// starts.
    pub fn unset_blank_env() {
        use clap::CommandFactory;
        for arg in Cli::command().get_arguments() {
            if let Some(name) = arg.get_env() {
                if std::env::var_os(name).is_some_and(|v| v.to_string_lossy().trim().is_empty()) {
                    std::env::remove_var(name);
                }
            }
        }
    }

    /// Parses the settings from a key lookup only (the environment variable names above), never
    /// from the process environment: tests build many configurations in one process.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, clap::Error> {
        use clap::{CommandFactory, FromArgMatches};
        let mut args = vec!["todo-api".to_owned()];
        let mut command = Cli::command();
        for arg in command.get_arguments() {
            let (Some(env), Some(long)) = (arg.get_env(), arg.get_long()) else {
                continue;
            };
            let value = env.to_str().and_then(&get).filter(|v| !v.trim().is_empty());
            if let Some(value) = value {
                args.push(format!("--{long}={}", value.trim()));
            }
        }
        command = command.mut_args(|arg| arg.env(None));
        let matches = command.try_get_matches_from(args)?;
        Ok(Cli::from_arg_matches(&matches)?.settings)
    }
}
