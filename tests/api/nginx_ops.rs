//! `docker/nginx.conf` and operations: `/metrics` is not published through it, and one request
//! id (the client's when valid, else nginx's) is in nginx's access log, reaches the app and comes
//! back in the response. Skipped like the other nginx tests when nginx is missing.

use reqwest::{Client, StatusCode};

use crate::helpers::{expect_error, spawn_app};
use crate::nginx::{nginx_installed, Nginx};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_hides_metrics_and_forwards_one_request_id() {
    if !nginx_installed() {
        return;
    }
    let app = spawn_app().await;
    let nginx = Nginx::start(&[app.base.trim_start_matches("http://").to_owned()]).await;
    let client = Client::new();

    // The app serves its metrics; the edge does not.
    let direct = client
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(direct.status(), StatusCode::OK);
    for path in ["/metrics", "/metrics?format=text", "//metrics"] {
        let res = client
            .get(format!("{}{path}", nginx.base))
            .send()
            .await
            .unwrap();
        let body = expect_error(res, StatusCode::NOT_FOUND, "NOT_FOUND").await;
        assert!(!body.to_string().contains("http_requests_total"), "{path}");
    }

    // A valid client id goes through unchanged and is logged by nginx.
    let res = client
        .get(format!("{}/api/v1/health", nginx.base))
        .header("X-Request-Id", "edge-id-123")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["x-request-id"], "edge-id-123");

    // Without one, or with one the app would refuse, nginx's own id is used end to end.
    for sent in [None, Some("not valid!")] {
        let mut req = client.get(format!("{}/api/v1/lists", nginx.base));
        if let Some(id) = sent {
            req = req.header("X-Request-Id", id);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
        assert!(
            id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()),
            "nginx's $request_id, got {id:?}"
        );
        assert!(logged(&nginx, &id).await, "{id} in the access log");
    }
    assert!(
        logged(&nginx, "edge-id-123").await,
        "{}",
        nginx.access_log()
    );
    let log = nginx.access_log();
    assert!(!log.contains("not valid!"), "{log}");
}

/// True once `id` is in nginx's access log (written just after the response is sent).
async fn logged(nginx: &Nginx, id: &str) -> bool {
    for _ in 0..100 {
        if nginx.access_log().contains(id) {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    false
}
