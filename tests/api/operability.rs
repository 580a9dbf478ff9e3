//! What an operator sees of the real binary: the request id in the log line of its request (text
//! and JSON logs, JSON parsed line by line) and `/metrics` after some traffic, checked by
//! `promtool` when it is installed (`TODO_API_REQUIRE_PROMTOOL=1` makes it required, for CI).

use std::io::Read;
use std::process::{Command, Stdio};

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::process::{start, Server};

const PASSWORD: &str = "password-123-secret";

/// Stops the server with SIGTERM and returns everything it logged.
fn stop(mut server: Server) -> String {
    let pid = server.child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    server.child.wait().unwrap();
    let mut log = String::new();
    server
        .child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    log
}

const FAST_HASH: [(&str, &str); 3] = [
    ("ARGON2_MEMORY_KIB", "64"),
    ("ARGON2_ITERATIONS", "1"),
    (
        "JWT_SECRET",
        "an-operability-test-secret-of-32-bytes-or-more",
    ),
];

async fn signup(base: &str, request_id: &str) -> reqwest::Response {
    let body = json!({"username": "alice", "email": "alice@example.com", "password": PASSWORD});
    reqwest::Client::new()
        .post(format!("{base}/api/v1/auth/signup"))
        .header("X-Request-Id", request_id)
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_request_id_is_in_the_text_log_line_of_its_request() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &FAST_HASH).await;
    let res = signup(&server.base, "text-log-id-1").await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(res.headers()["x-request-id"], "text-log-id-1");
    let log = stop(server);
    let line = log
        .lines()
        .find(|l| l.contains("request_id=text-log-id-1") && l.contains("status=201"))
        .unwrap_or_else(|| panic!("a log line with the id and the status:\n{log}"));
    assert!(line.contains("/api/v1/auth/signup"), "{line}");
    assert!(!log.contains('\u{1b}'), "no colours when logging to a pipe");
    assert!(!log.contains(PASSWORD), "secrets are never logged");
    assert!(!log.contains(FAST_HASH[2].1), "secrets are never logged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_are_one_object_per_line_with_the_request_id() {
    let dir = tempfile::tempdir().unwrap();
    let mut env = FAST_HASH.to_vec();
    env.push(("LOG_FORMAT", "json"));
    let server = start(dir.path(), &env).await;
    let res = signup(&server.base, "json-log-id-1").await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let missing = reqwest::get(format!("{}/api/v1/nowhere", server.base))
        .await
        .unwrap();
    let generated = missing.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let log = stop(server);
    assert!(!log.contains(PASSWORD), "secrets are never logged");

    let lines: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(lines.len() >= 3, "{log}");
    let of = |id: &str| {
        lines
            .iter()
            .filter(|l| {
                l["spans"]
                    .as_array()
                    .is_some_and(|s| s.iter().any(|s| s["request_id"] == id))
            })
            .cloned()
            .collect::<Vec<_>>()
    };
    let signup_lines = of("json-log-id-1");
    assert!(
        signup_lines.iter().any(|l| l["fields"]["status"] == 201),
        "the response line of the signup carries its id: {log}"
    );
    assert!(
        of(&generated).iter().any(|l| l["fields"]["status"] == 404),
        "a generated id is logged too: {log}"
    );
    assert!(lines
        .iter()
        .all(|l| l["level"].is_string() && l["timestamp"].is_string()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_after_traffic_use_route_templates_and_pass_promtool() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &FAST_HASH).await;
    let base = server.base.clone();
    let client = reqwest::Client::new();
    assert_eq!(signup(&base, "m-1").await.status(), StatusCode::CREATED);
    let id = uuid::Uuid::new_v4();
    let res = client
        .get(format!("{base}/api/v1/lists/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    for query in ["{ lists { id } }", "{ nope }"] {
        client
            .post(format!("{base}/graphql"))
            .json(&json!({ "query": query }))
            .send()
            .await
            .unwrap();
    }
    // Invented methods share one label value: a client cannot mint series.
    for method in ["BREW", "PROPFIND"] {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        client
            .request(method, format!("{base}/api/v1/lists"))
            .send()
            .await
            .unwrap();
    }
    let res = client.get(format!("{base}/metrics")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    let scrape = res.text().await.unwrap();
    drop(server);

    for series in [
        r#"http_requests_total{method="POST",route="/api/v1/auth/signup",status="201"} 1"#,
        r#"http_requests_total{method="GET",route="/api/v1/lists/{id}",status="404"} 1"#,
        r#"http_request_duration_seconds_bucket{method="GET",route="/api/v1/lists/{id}",status="404",le="+Inf"} 1"#,
        r#"http_requests_total{method="OTHER",route="/api/v1/lists",status="405"} 2"#,
        r#"graphql_operations_total{type="query"} 2"#,
        r#"graphql_errors_total{code="VALIDATION_ERROR"} 1"#,
        r#"db_query_duration_seconds_count{operation="insert_user"} 1"#,
        r#"db_query_duration_seconds_bucket{operation="list",le="+Inf"}"#,
        "password_hash_queue_depth 0",
        "db_writer_queue_depth 0",
        "process_resident_memory_bytes",
        "process_cpu_seconds_total",
    ] {
        assert!(scrape.contains(series), "{series} in:\n{scrape}");
    }
    assert!(!scrape.contains(&id.to_string()), "no raw ids in labels");
    assert!(!scrape.contains("BREW") && !scrape.contains("PROPFIND"));
    promtool_check(&scrape);
}

/// `promtool check metrics` on a scrape; skipped (said so) when promtool is missing, unless
/// `TODO_API_REQUIRE_PROMTOOL=1`.
fn promtool_check(scrape: &str) {
    use std::io::Write;
    let child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(e) => {
            assert!(
                std::env::var("TODO_API_REQUIRE_PROMTOOL").as_deref() != Ok("1"),
                "promtool is required (TODO_API_REQUIRE_PROMTOOL=1) but cannot run: {e}"
            );
            eprintln!(
                "skipped: promtool check metrics (promtool not found; apt-get install prometheus)"
            );
            return;
        }
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(scrape.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool check metrics: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_stops_waiting_for_requests_at_its_deadline() {
    let dir = tempfile::tempdir().unwrap();
    // Slow hashes on one thread: three signups at once keep the server busy for seconds.
    let env = [
        ("ARGON2_ITERATIONS", "100"),
        ("ARGON2_MEMORY_KIB", "16384"),
        ("HASH_CONCURRENCY", "1"),
        ("SHUTDOWN_TIMEOUT_SECONDS", "1"),
        ("REQUEST_TIMEOUT_SECONDS", "60"),
    ];
    let server = start(dir.path(), &env).await;
    let held: Vec<_> = (0..3)
        .map(|n| {
            let url = format!("{}/api/v1/auth/signup", server.base);
            tokio::spawn(async move {
                let body = json!({"username": format!("held{n}"), "email": format!("held{n}@example.com"), "password": PASSWORD});
                reqwest::Client::new().post(url).json(&body).send().await
            })
        })
        .collect();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let signalled = std::time::Instant::now();
    let log = stop(server);
    let took = signalled.elapsed();
    assert!(
        log.contains("shutdown deadline reached"),
        "the deadline is logged:\n{log}"
    );
    assert!(
        took < std::time::Duration::from_millis(2500),
        "stopped at the deadline, not after the held requests: {took:?}"
    );
    for request in held {
        let _ = request.await.unwrap();
    }
}
