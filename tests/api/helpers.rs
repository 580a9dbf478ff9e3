//! A real server per test on a fresh database (a temporary SQLite file, or a PostgreSQL schema
//! of its own, dropped afterwards), on a random port, over real HTTP via reqwest. The backend is
//! the enclosing module's `BACKEND`: the same tests are compiled once for each.

use std::collections::HashMap;

use reqwest::{Client, Method, Response, StatusCode};
use serde_json::{json, Value};
use todo_api::config::Config;
use todo_api::service::Service;

/// The secret test servers sign with, so token attacks can forge tokens deliberately.
pub const JWT_SECRET: &str = "test-secret-that-is-long-enough-for-hs256";

pub use super::BACKEND;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    /// e.g. `http://127.0.0.1:41234`
    pub base: String,
    pub client: Client,
    pub svc: Service,
    db: TestDb,
    server: tokio::task::JoinHandle<()>,
}

/// A test's own database: a folder for the SQLite file, and on PostgreSQL a schema in the
/// database of `TEST_DATABASE_URL`, dropped with this value.
pub struct TestDb {
    dir: tempfile::TempDir,
    schema: Option<PgSchema>,
}

struct PgSchema {
    admin_url: String,
    name: String,
}

impl TestDb {
    pub async fn new(backend: Backend) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let schema = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(PgSchema::create().await),
        };
        Self { dir, schema }
    }

    /// The `DATABASE_URL` the service is started with.
    pub fn url(&self) -> String {
        match &self.schema {
            None => format!("sqlite://{}", self.dir.path().join("todo.db").display()),
            Some(schema) => schema.url(),
        }
    }

    /// The number of rows in `table`, read under the service.
    pub async fn count(&self, table: &str) -> i64 {
        use sqlx::Connection;
        let sql = format!("SELECT COUNT(*) FROM {table}");
        match &self.schema {
            None => {
                let url = format!("{}?mode=ro", self.url());
                let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
                sqlx::query_scalar(&sql).fetch_one(&mut conn).await.unwrap()
            }
            Some(schema) => {
                let mut conn = sqlx::PgConnection::connect(&schema.url()).await.unwrap();
                sqlx::query_scalar(&sql).fetch_one(&mut conn).await.unwrap()
            }
        }
    }
}

impl PgSchema {
    async fn create() -> Self {
        use sqlx::Connection;
        let admin_url = std::env::var("TEST_DATABASE_URL")
            .expect("PostgreSQL tests need TEST_DATABASE_URL (they are compiled only with it)");
        let name = format!("test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = sqlx::PgConnection::connect(&admin_url)
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL at TEST_DATABASE_URL is unreachable: {e}"));
        sqlx::query(&format!("CREATE SCHEMA {name}"))
            .execute(&mut conn)
            .await
            .expect("create the test's schema");
        Self { admin_url, name }
    }

    /// The admin URL with this schema first (and only) on the search path.
    fn url(&self) -> String {
        let joiner = if self.admin_url.contains('?') {
            '&'
        } else {
            '?'
        };
        format!(
            "{}{joiner}options=-c%20search_path%3D{}",
            self.admin_url, self.name
        )
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        let (url, name) = (self.admin_url.clone(), self.name.clone());
        // Drop may run inside a runtime, which cannot block: a thread of its own does the work.
        let dropped = std::thread::spawn(move || {
            use sqlx::Connection;
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                let mut conn = sqlx::PgConnection::connect(&url).await?;
                sqlx::query(&format!("DROP SCHEMA IF EXISTS {name} CASCADE"))
                    .execute(&mut conn)
                    .await
                    .map(drop)
            })
        });
        let _ = dropped.join();
    }
}

/// Cheap Argon2 and no rate limit, unless a test asks otherwise.
const DEFAULTS: &[(&str, &str)] = &[
    ("JWT_SECRET", JWT_SECRET),
    ("ARGON2_MEMORY_KIB", "64"),
    ("ARGON2_ITERATIONS", "1"),
    ("AUTH_RATE_LIMIT_PER_SECOND", "0"),
];

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

pub async fn spawn_app_with(overrides: &[(&str, &str)]) -> TestApp {
    spawn_on(TestDb::new(BACKEND).await, overrides).await
}

/// Starts a server on `db` (used to restart on the same database).
pub async fn spawn_on(db: TestDb, overrides: &[(&str, &str)]) -> TestApp {
    let mut env: HashMap<String, String> = DEFAULTS
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    env.insert("DATABASE_URL".into(), db.url());
    for (k, v) in overrides {
        env.insert(k.to_string(), v.to_string());
    }
    let config = Config::from_lookup(|k| env.get(k).cloned()).expect("test config");
    let (router, svc) = todo_api::app::build(&config).await.expect("app builds");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let server = tokio::spawn(async move {
        let _ = todo_api::server::serve(listener, router, std::future::pending()).await;
    });
    TestApp {
        base,
        client: Client::new(),
        svc,
        db,
        server,
    }
}

impl TestApp {
    /// The test's database, for tests that look under the service.
    pub fn db(&self) -> &TestDb {
        &self.db
    }

    pub fn api(&self, path: &str) -> String {
        format!("{}/api/v1{}", self.base, path)
    }

    /// Stops the server and hands back its database, to start again on it.
    pub async fn stop(self) -> TestDb {
        self.server.abort();
        self.svc.close().await;
        self.db
    }

    /// A request to `/api/v1{path}` with an optional bearer token and JSON body.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Response {
        let mut req = self.client.request(method, self.api(path));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        req.send().await.expect("request sent")
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        self.call(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Response {
        self.call(Method::POST, path, token, Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: Option<&str>, body: Value) -> Response {
        self.call(Method::PATCH, path, token, Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> Response {
        self.call(Method::DELETE, path, token, None).await
    }

    /// Signs up `name` (email `name@example.com`, password `password-{name}`); returns the token
    /// and the user id.
    pub async fn signup(&self, name: &str) -> (String, String) {
        let res = self
            .post(
                "/auth/signup",
                None,
                json!({"username": name, "email": format!("{name}@example.com"), "password": format!("password-{name}")}),
            )
            .await;
        let body = expect(res, StatusCode::CREATED).await;
        (
            body["token"].as_str().unwrap().to_owned(),
            body["user"]["id"].as_str().unwrap().to_owned(),
        )
    }

    /// Creates a list (owned when `token` is given) and returns its id.
    pub async fn list(&self, token: Option<&str>, title: &str) -> String {
        let body = expect(
            self.post("/lists", token, json!({"title": title})).await,
            StatusCode::CREATED,
        )
        .await;
        body["id"].as_str().unwrap().to_owned()
    }

    /// Creates a task in `list` and returns its id.
    pub async fn task(&self, token: Option<&str>, list: &str, body: Value) -> String {
        let res = self
            .post(&format!("/lists/{list}/tasks"), token, body)
            .await;
        expect(res, StatusCode::CREATED).await["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// POST /graphql with a JSON body; returns status and body.
    pub async fn graphql(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> (StatusCode, Value) {
        let mut req = self.client.post(format!("{}/graphql", self.base));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        let res = req
            .json(&json!({"query": query, "variables": variables}))
            .send()
            .await
            .expect("sent");
        let status = res.status();
        (status, res.json().await.expect("graphql answers JSON"))
    }
}

/// The `extensions.code` of a GraphQL answer's first error ("" when there is none).
pub fn gql_code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_default()
}

/// Asserts the status (showing the body when it differs) and returns the JSON body.
pub async fn expect(res: Response, status: StatusCode) -> Value {
    let got = res.status();
    let text = res.text().await.expect("body");
    assert_eq!(got, status, "unexpected status; body: {text}");
    if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("body is not JSON: {text}"))
    }
}

/// Asserts an error response of the contract: status, code, JSON content type, and the body shape.
pub async fn expect_error(res: Response, status: StatusCode, code: &str) -> Value {
    let content_type = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned());
    assert_eq!(
        content_type.as_deref(),
        Some("application/json"),
        "errors are JSON"
    );
    let body = expect(res, status).await;
    assert_eq!(body["code"], code, "body: {body}");
    assert!(body["error"].is_string(), "body: {body}");
    assert!(
        body.get("details").is_some(),
        "details is always present: {body}"
    );
    assert_eq!(
        body.as_object().unwrap().len(),
        3,
        "exactly error, code, details: {body}"
    );
    body
}

/// The set of keys of a JSON object, sorted, for full-shape assertions.
pub fn keys(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}

pub const USER_KEYS: &[&str] = &["createdAt", "email", "id", "updatedAt", "username"];
pub const LIST_KEYS: &[&str] = &[
    "createdAt",
    "description",
    "id",
    "ownerId",
    "title",
    "updatedAt",
];
pub const TASK_KEYS: &[&str] = &[
    "categories",
    "completed",
    "createdAt",
    "description",
    "dueDate",
    "id",
    "listId",
    "priority",
    "title",
    "updatedAt",
];

/// A lowercase hyphenated UUID.
pub fn is_uuid(value: &Value) -> bool {
    value
        .as_str()
        .is_some_and(|s| s.len() == 36 && uuid::Uuid::parse_str(s).is_ok() && s == s.to_lowercase())
}

/// RFC 3339 in UTC with a Z suffix.
pub fn is_utc_timestamp(value: &Value) -> bool {
    value
        .as_str()
        .is_some_and(|s| s.ends_with('Z') && chrono::DateTime::parse_from_rfc3339(s).is_ok())
}
