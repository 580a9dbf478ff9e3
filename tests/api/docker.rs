//! `docker/nginx.conf` in front of the real service: a local nginx runs the shipped file with only
//! what must differ outside docker compose rewritten (upstream address, listen port, pid/log/temp
//! paths, `user`), and every request of these tests goes through it.
//!
//! Without `/usr/sbin/nginx` the tests are skipped, unless `TODO_API_REQUIRE_NGINX=1`, which turns
//! the skip into a failure (for CI).

use std::{fs, os::unix::fs::MetadataExt, process::Command, time::Duration};

use reqwest::{header, Response, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{expect, expect_error, spawn_app_with, TestApp};
use crate::nginx::{
    free_port, nginx_installed, replace_once, shipped, temp_dir, without_user, Nginx, NGINX,
    UPSTREAM,
};
use crate::ws::ws_handshake;

const RATE_LIMITED: &str = r#"{"error":"Too many requests","code":"RATE_LIMITED","details":null}"#;
const TOO_LARGE: &str =
    r#"{"error":"Request body too large","code":"PAYLOAD_TOO_LARGE","details":null}"#;
const UNAVAILABLE: &str =
    r#"{"error":"Service unavailable","code":"SERVICE_UNAVAILABLE","details":null}"#;

/// The body limit of both nginx (`client_max_body_size 1m`) and the service (`MAX_BODY_BYTES`).
const ONE_MIB: usize = 1 << 20;

#[test]
fn the_shipped_nginx_conf_passes_nginx_t() {
    if !nginx_installed() {
        return;
    }
    let dir = temp_dir();
    if fs::metadata(dir.path()).expect("temp dir").uid() != 0 {
        // The file's pid and log paths (/run, /var/log/nginx) are root's; the run below covers
        // the rest of it.
        eprintln!("note: `nginx -t` of docker/nginx.conf as shipped needs root; not checked");
        return;
    }
    // `app` resolves only inside docker compose, and the image's `nginx` user only in the nginx
    // image: everything else is checked exactly as shipped.
    let conf = without_user(&replace_once(
        &shipped(),
        UPSTREAM,
        "server 127.0.0.1:8000;",
    ));
    let path = dir.path().join("nginx.conf");
    fs::write(&path, conf).expect("write config");
    let out = Command::new(NGINX)
        .arg("-t")
        .arg("-c")
        .arg(&path)
        .output()
        .expect("run nginx -t");
    assert!(
        out.status.success(),
        "nginx -t rejects docker/nginx.conf: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The service behind a local nginx running the shipped config, or `None` without nginx.
async fn behind_nginx() -> Option<(TestApp, Nginx)> {
    if !nginx_installed() {
        return None;
    }
    let app = spawn_app_with(&[
        ("TRUST_PROXY_HEADERS", "true"),
        ("AUTH_RATE_LIMIT_PER_SECOND", "0"),
    ])
    .await;
    let nginx = Nginx::start(&[app.base.trim_start_matches("http://").to_owned()]).await;
    Some((app, nginx))
}

/// Signs up through the edge and returns the token.
async fn signup(edge: &Edge<'_>) -> String {
    let body =
        json!({"username": "edge", "email": "edge@example.com", "password": "password-edge"});
    let res = edge.post("/api/v1/auth/signup", None, body).await;
    let signup = expect(res, StatusCode::CREATED).await;
    signup["token"].as_str().expect("token").to_owned()
}

/// Creates an owned list with five tasks through the edge; returns its tasks path.
async fn list_of_five(edge: &Edge<'_>, token: &str) -> String {
    let res = edge
        .post(
            "/api/v1/lists",
            Some(token),
            json!({"title": "Behind nginx"}),
        )
        .await;
    let list = expect(res, StatusCode::CREATED).await["id"]
        .as_str()
        .expect("list id")
        .to_owned();
    let tasks = format!("/api/v1/lists/{list}/tasks");
    for i in 0..5 {
        let task = json!({"title": format!("Task {i}"), "description": "d".repeat(300)});
        let res = edge.post(&tasks, Some(token), task).await;
        expect(res, StatusCode::CREATED).await;
    }
    tasks
}

#[tokio::test]
async fn health_passes_through_nginx_which_hides_its_version() {
    let Some((app, nginx)) = behind_nginx().await else {
        return;
    };
    let edge = Edge::new(&app, &nginx);

    let res = edge.get("/api/v1/health", None).await;

    assert_eq!(res.headers()[header::SERVER], "nginx", "server_tokens off");
    let health = expect(res, StatusCode::OK).await;
    assert_eq!(health["status"], "healthy", "{health}");
    assert_eq!(health["service"], "TODO REST API");
    assert_eq!(health["checks"]["database"]["status"], "healthy");
}

#[tokio::test]
async fn nginx_passes_the_authorization_header_on() {
    let Some((app, nginx)) = behind_nginx().await else {
        return;
    };
    let edge = Edge::new(&app, &nginx);
    let token = signup(&edge).await;

    let profile = edge.get("/api/v1/users/profile", Some(&token)).await;
    let anonymous = edge.get("/api/v1/users/profile", None).await;

    assert_eq!(expect(profile, StatusCode::OK).await["username"], "edge");
    expect_error(anonymous, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await;
}

#[tokio::test]
async fn the_total_count_header_survives_the_proxy() {
    let Some((app, nginx)) = behind_nginx().await else {
        return;
    };
    let edge = Edge::new(&app, &nginx);
    let token = signup(&edge).await;
    let tasks = list_of_five(&edge, &token).await;

    let res = edge.get(&format!("{tasks}?limit=2"), Some(&token)).await;

    assert_eq!(res.headers()["x-total-count"], "5");
    let page = expect(res, StatusCode::OK).await;
    assert_eq!(page.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn json_is_gzipped_through_nginx_for_clients_that_accept_it() {
    let Some((app, nginx)) = behind_nginx().await else {
        return;
    };
    let edge = Edge::new(&app, &nginx);
    let token = signup(&edge).await;
    let tasks = list_of_five(&edge, &token).await;

    let res = app
        .client
        .get(edge.url(&tasks))
        .bearer_auth(&token)
        .header(header::ACCEPT_ENCODING, "gzip")
        .send()
        .await
        .expect("sent");

    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[header::CONTENT_ENCODING], "gzip");
}

#[tokio::test]
async fn graphql_answers_through_nginx_with_the_same_token() {
    let Some((app, nginx)) = behind_nginx().await else {
        return;
    };
    let edge = Edge::new(&app, &nginx);
    let token = signup(&edge).await;
    list_of_five(&edge, &token).await;

    let query = json!({"query": "{ me { username } lists { title taskCount } }"});
    let res = edge.post("/graphql", Some(&token), query).await;

    let body = expect(res, StatusCode::OK).await;
    assert_eq!(body["data"]["me"]["username"], "edge", "{body}");
    assert_eq!(
        body["data"]["lists"],
        json!([{"title": "Behind nginx", "taskCount": 5}])
    );
}

#[tokio::test]
async fn one_mib_reaches_the_service_and_one_byte_more_is_refused_by_nginx() {
    let Some((app, nginx)) = behind_nginx().await else {
        return;
    };
    let edge = Edge::new(&app, &nginx);

    let at_limit = edge.post_raw("/api/v1/lists", json_of_len(ONE_MIB)).await;
    let over = edge
        .post_raw("/api/v1/lists", json_of_len(ONE_MIB + 1))
        .await;

    // The service judges the content of what reaches it.
    let body = expect_error(
        at_limit,
        StatusCode::UNPROCESSABLE_ENTITY,
        "VALIDATION_ERROR",
    )
    .await;
    assert!(body["details"]["description"].is_array(), "{body}");
    assert_json_error(over, StatusCode::PAYLOAD_TOO_LARGE, TOO_LARGE).await;
}

#[tokio::test]
async fn the_graphql_websocket_is_upgraded_through_nginx() {
    let Some((app, nginx)) = behind_nginx().await else {
        return;
    };

    websocket_passes_through(&app.base, &nginx.base).await;
}

#[tokio::test]
async fn event_streams_pass_through_nginx_unbuffered() {
    let Some((app, nginx)) = behind_nginx().await else {
        return;
    };

    event_stream_passes_through(&app, &nginx.base).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_over_the_edge_limit_gets_the_contracts_429() {
    let Some((app, nginx)) = behind_nginx().await else {
        return;
    };
    let edge = Edge::new(&app, &nginx);

    // A burst well over the edge limit (10 r/s, burst 20).
    let mut statuses = Vec::new();
    let mut limited = Vec::new();
    for _ in 0..40 {
        let res = edge.get("/api/v1/lists", None).await;
        statuses.push(res.status());
        if res.status() == StatusCode::TOO_MANY_REQUESTS {
            limited.push(res);
        }
    }

    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::OK || *s == StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    assert!(
        limited.len() >= 10,
        "a burst of 40 should be limited: {statuses:?}"
    );
    for res in limited {
        assert_eq!(res.headers()[header::RETRY_AFTER], "1");
        assert_json_error(res, StatusCode::TOO_MANY_REQUESTS, RATE_LIMITED).await;
    }
}

#[tokio::test]
async fn nginx_answers_the_contracts_503_when_the_app_is_down() {
    if !nginx_installed() {
        return;
    }
    // A port nobody listens on.
    let nginx = Nginx::start(&[format!("127.0.0.1:{}", free_port())]).await;

    for path in ["/api/v1/health", "/graphql"] {
        let res = reqwest::get(format!("{}{path}", nginx.base))
            .await
            .expect("nginx answers");
        assert_eq!(res.headers()[header::RETRY_AFTER], "5");
        assert_json_error(res, StatusCode::SERVICE_UNAVAILABLE, UNAVAILABLE).await;
    }
}

/// Requests to the service through nginx.
struct Edge<'a> {
    app: &'a TestApp,
    base: &'a str,
}

impl<'a> Edge<'a> {
    fn new(app: &'a TestApp, nginx: &'a Nginx) -> Self {
        Self {
            app,
            base: &nginx.base,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn get(&self, path: &str, token: Option<&str>) -> Response {
        let mut req = self.app.client.get(self.url(path));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        req.send().await.expect("request sent")
    }

    async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Response {
        let mut req = self.app.client.post(self.url(path)).json(&body);
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        req.send().await.expect("request sent")
    }

    async fn post_raw(&self, path: &str, body: String) -> Response {
        self.app
            .client
            .post(self.url(path))
            .header(header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .expect("request sent")
    }
}

/// A list to create, as JSON of exactly `len` bytes (its description far over the limit).
fn json_of_len(len: usize) -> String {
    let (head, tail) = (r#"{"title":"big","description":""#, r#""}"#);
    let body = format!("{head}{}{tail}", "x".repeat(len - head.len() - tail.len()));
    assert_eq!(body.len(), len);
    body
}

/// An error made by nginx itself: the status, JSON content type and exactly this body.
async fn assert_json_error(res: Response, status: StatusCode, body: &str) {
    assert_eq!(res.status(), status);
    assert_eq!(res.headers()[header::CONTENT_TYPE], "application/json");
    let text = res.text().await.expect("body");
    assert_eq!(text, body);
    let parsed: Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(parsed.as_object().map(serde_json::Map::len), Some(3));
}

/// Opens the GraphQL WebSocket (`graphql-transport-ws`) through nginx and gets the
/// `connection_ack` for a `connection_init`.
async fn websocket_passes_through(app_base: &str, nginx_base: &str) {
    let (status, _) = ws_handshake(app_base).await;
    assert_eq!(status, 101, "the service serves /graphql/ws");
    let (status, mut ws) = ws_handshake(nginx_base).await;
    assert_eq!(status, 101, "nginx upgrades /graphql/ws");
    ws.send_text(r#"{"type":"connection_init","payload":{}}"#)
        .await;
    let reply = tokio::time::timeout(Duration::from_secs(5), ws.next_text())
        .await
        .expect("a reply to connection_init through nginx");
    let reply: Value = serde_json::from_str(&reply).expect("JSON message");
    assert_eq!(reply["type"], "connection_ack", "{reply}");
}

/// Opens a list's event stream through nginx: each event arrives as it is written (nginx
/// neither buffers nor compresses it).
async fn event_stream_passes_through(app: &TestApp, nginx_base: &str) {
    let list = app.list(None, "Through nginx").await;
    let mut sse = crate::sse::Sse::open(nginx_base, &list, None).await;
    app.task(None, &list, json!({"title": "Live through the proxy"}))
        .await;
    let event = tokio::time::timeout(Duration::from_secs(5), sse.event())
        .await
        .expect("the event through nginx at once");
    assert_eq!(event["task"]["title"], "Live through the proxy");
}
