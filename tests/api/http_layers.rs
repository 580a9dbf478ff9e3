//! The HTTP layers around both faces, on an in-process server: `X-Request-Id` on every answer,
//! compression as negotiated, the request timeout, and `METRICS=false`.

use std::time::Duration;

use async_compression::tokio::bufread::{BrotliDecoder, GzipDecoder, ZstdDecoder};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use tokio::io::AsyncReadExt;

use crate::helpers::{expect_error, spawn_app, spawn_app_with};

fn id_of(res: &reqwest::Response) -> String {
    res.headers()
        .get("x-request-id")
        .expect("every answer has X-Request-Id")
        .to_str()
        .unwrap()
        .to_owned()
}

fn is_fresh_uuid(id: &str) -> bool {
    uuid::Uuid::parse_str(id).is_ok()
}

#[tokio::test]
async fn a_valid_caller_id_is_echoed_and_an_invalid_one_replaced() {
    let app = spawn_app().await;
    let client = Client::new();
    let health = app.api("/health");
    let long_ok = "a".repeat(128);
    for kept in ["abc", "A-Z_a.z-09", long_ok.as_str()] {
        let res = client
            .get(&health)
            .header("X-Request-Id", kept)
            .send()
            .await
            .unwrap();
        assert_eq!(id_of(&res), kept);
    }
    let too_long = "a".repeat(129);
    for bad in [
        too_long.as_str(),
        "has space",
        "semi;colon",
        "slash/",
        "",
        "é",
    ] {
        let res = client
            .get(&health)
            .header("X-Request-Id", bad)
            .send()
            .await
            .unwrap();
        let id = id_of(&res);
        assert!(is_fresh_uuid(&id), "{bad:?} replaced by a UUID, got {id:?}");
    }
    // Without one, each answer gets its own.
    let a = id_of(&client.get(&health).send().await.unwrap());
    let b = id_of(&client.get(&health).send().await.unwrap());
    assert!(is_fresh_uuid(&a) && is_fresh_uuid(&b) && a != b);
}

#[tokio::test]
async fn errors_404s_and_graphql_answers_carry_the_id() {
    let app = spawn_app().await;
    let client = Client::new();
    let send = |req: reqwest::RequestBuilder| async move {
        req.header("X-Request-Id", "req-42").send().await.unwrap()
    };
    let res = send(client.get(format!("{}/no/such/route", app.base))).await;
    assert_eq!(id_of(&res), "req-42");
    expect_error(res, StatusCode::NOT_FOUND, "NOT_FOUND").await;

    let res = send(client.post(app.api("/lists")).json(&json!({"title": ""}))).await;
    assert_eq!(id_of(&res), "req-42");
    expect_error(res, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_ERROR").await;

    let res = send(client.delete(app.api("/health"))).await;
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(id_of(&res), "req-42");

    let gql = format!("{}/graphql", app.base);
    let res = send(
        client
            .post(&gql)
            .json(&json!({"query": "{ lists { id } }"})),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(id_of(&res), "req-42");
    let res = send(client.post(&gql).json(&json!({"query": "{ nope }"}))).await;
    assert_eq!(id_of(&res), "req-42");
}

async fn decode(encoding: &str, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match encoding {
        "gzip" => GzipDecoder::new(body).read_to_end(&mut out).await,
        "br" => BrotliDecoder::new(body).read_to_end(&mut out).await,
        "zstd" => ZstdDecoder::new(body).read_to_end(&mut out).await,
        other => panic!("unexpected encoding {other}"),
    }
    .expect("the body decodes");
    out
}

#[tokio::test]
async fn large_answers_are_compressed_as_negotiated_and_decode_to_the_same_json() {
    let app = spawn_app().await;
    for n in 0..30 {
        app.list(None, &format!("A list with a title long enough {n}"))
            .await;
    }
    let client = Client::new();
    for path in ["/lists", "/openapi.json"] {
        let plain = client.get(app.api(path)).send().await.unwrap();
        assert!(plain.headers().get("content-encoding").is_none());
        let plain: Value = plain.json().await.unwrap();
        assert!(serde_json::to_vec(&plain).unwrap().len() > 1024);
        for encoding in ["gzip", "br", "zstd"] {
            let res = client
                .get(app.api(path))
                .header("Accept-Encoding", encoding)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::OK);
            assert_eq!(res.headers()["content-encoding"], encoding, "{path}");
            let raw = res.bytes().await.unwrap();
            let decoded: Value = serde_json::from_slice(&decode(encoding, &raw).await).unwrap();
            assert_eq!(decoded, plain, "{path} in {encoding}");
        }
        let res = client
            .get(app.api(path))
            .header("Accept-Encoding", "identity")
            .send()
            .await
            .unwrap();
        assert!(res.headers().get("content-encoding").is_none());
    }
    // Small answers are left alone.
    let res = client
        .get(app.api("/lists?limit=1"))
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert!(res.headers().get("content-encoding").is_none());
}

#[tokio::test]
async fn event_streams_are_never_compressed() {
    // The service's own compression layer around a route that streams events.
    let big = "data: ".to_owned() + &"x".repeat(4096) + "\n\n";
    let router = axum::Router::new()
        .route(
            "/events",
            axum::routing::get(move || async move {
                ([("content-type", "text/event-stream")], big.clone())
            }),
        )
        .layer(todo_api::app::compression());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    let res = Client::new()
        .get(format!("{base}/events"))
        .header("Accept-Encoding", "gzip, br, zstd")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers().get("content-encoding").is_none());
    assert!(res.text().await.unwrap().starts_with("data: xxx"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_held_past_the_timeout_gets_a_clear_error() {
    // Deliberately slow hashes (well over half a second each, even on a fast core) on one
    // hashing thread: of three signups at once, whichever is hashed last waits for the other two,
    // so it cannot answer within one second, whatever order they arrive in.
    let app = spawn_app_with(&[
        ("REQUEST_TIMEOUT_SECONDS", "1"),
        ("ARGON2_ITERATIONS", "100"),
        ("ARGON2_MEMORY_KIB", "32768"),
        ("HASH_CONCURRENCY", "1"),
    ])
    .await;
    let signup = |n: u32| {
        let body = json!({"username": format!("slow{n}"), "email": format!("slow{n}@example.com"), "password": "password-123"});
        app.post("/auth/signup", None, body)
    };
    let started = std::time::Instant::now();
    let (one, two, three) = tokio::join!(signup(1), signup(2), signup(3));
    let mut timed_out = Vec::new();
    for res in [one, two, three] {
        match res.status() {
            StatusCode::CREATED => {}
            StatusCode::SERVICE_UNAVAILABLE => timed_out.push(res),
            other => panic!("a signup answered {other}"),
        }
    }
    assert!(
        !timed_out.is_empty(),
        "the last of three slow signups timed out"
    );
    for res in timed_out {
        let body = expect_error(res, StatusCode::SERVICE_UNAVAILABLE, "TIMEOUT").await;
        assert!(body["error"].as_str().unwrap().contains("1 s"), "{body}");
    }
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "answered at the deadline"
    );
    // Quick requests are untouched.
    let res = app.get("/health", None).await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn metrics_can_be_turned_off() {
    let app = spawn_app_with(&[("METRICS", "false")]).await;
    let res = Client::new()
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    let on = spawn_app().await;
    let res = Client::new()
        .get(format!("{}/metrics", on.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("http_requests_total"));
}
