//! PostgreSQL out of reach and back: the service talks to the real server through a TCP relay
//! that this test cuts (every connection dropped, new ones refused) and restores. Health says
//! 503 during the cut and 200 after it, and requests work again without a restart.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

use crate::helpers::{spawn_on, Backend, TestApp, TestDb};

/// Forwards connections from a local port to PostgreSQL until it is cut.
struct Relay {
    addr: SocketAddr,
    target: String,
    tasks: JoinSet<()>,
}

impl Relay {
    async fn start(target: &str) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut relay = Relay {
            addr,
            target: target.to_owned(),
            tasks: JoinSet::new(),
        };
        relay.serve(listener);
        relay
    }

    fn serve(&mut self, listener: TcpListener) {
        let target = self.target.clone();
        self.tasks.spawn(async move {
            let mut pairs = JoinSet::new();
            while let Ok((mut client, _)) = listener.accept().await {
                let target = target.clone();
                pairs.spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
            }
        });
    }

    /// Drops every connection and stops listening (new connections are refused).
    async fn cut(&mut self) {
        self.tasks.shutdown().await;
    }

    /// Listens again on the same port.
    async fn restore(&mut self) {
        let listener = TcpListener::bind(self.addr).await.unwrap();
        self.serve(listener);
    }
}

/// The `host:port` of a PostgreSQL URL (`postgres://user@host:port/db?...`).
/// A service on a fresh PostgreSQL schema whose every connection goes through a relay the test
/// can cut and restore.
async fn behind_relay() -> (TestApp, Relay) {
    let db = TestDb::new(Backend::Postgres).await;
    let url = db.url();
    let target = authority(&url).to_owned();
    let relay = Relay::start(&target).await;
    let through_relay = url.replacen(&target, &relay.addr.to_string(), 1);
    let app = spawn_on(db, &[("DATABASE_URL", &through_relay)]).await;
    (app, relay)
}

fn authority(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let rest = rest.split_once('@').map_or(rest, |(_, r)| r);
    rest.split(['/', '?']).next().unwrap_or(rest)
}

async fn wait_for(app_health: impl Fn() -> reqwest::RequestBuilder, want: StatusCode) -> Duration {
    let started = Instant::now();
    loop {
        let status = app_health().send().await.unwrap().status();
        if status == want {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "health stayed {status}, not {want}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_is_503_while_postgresql_is_out_of_reach_and_the_service_recovers_after() {
    let (app, mut relay) = behind_relay().await;
    let health = || app.client.get(app.api("/health"));
    let (token, _) = app.signup("alice").await;
    app.list(Some(&token), "before").await;

    relay.cut().await;
    let down = wait_for(health, StatusCode::SERVICE_UNAVAILABLE).await;
    let res = app.get("/lists", Some(&token)).await;
    assert_eq!(
        res.status(),
        StatusCode::SERVICE_UNAVAILABLE,
        "routes say so too"
    );

    relay.restore().await;
    let up = wait_for(health, StatusCode::OK).await;
    // The pool drops the connections that broke; a route may need a try or two for that.
    let started = Instant::now();
    loop {
        let res = app.get("/lists", Some(&token)).await;
        if res.status() == StatusCode::OK {
            let lists: serde_json::Value = res.json().await.unwrap();
            assert_eq!(lists[0]["title"], "before", "nothing was lost");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{}",
            res.status()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!("health: 503 {down:?} after the cut, 200 {up:?} after the restore");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn event_streams_end_in_an_outage_and_work_again_after_it() {
    let (app, mut relay) = behind_relay().await;
    let health = || app.client.get(app.api("/health"));
    let list = app.list(None, "Live").await;
    let mut sse = crate::sse::Sse::open(&app.base, &list, None).await;

    // Notifications sent while the listener is away are lost: its streams say so by ending.
    relay.cut().await;
    sse.expect_end().await;
    wait_for(health, StatusCode::SERVICE_UNAVAILABLE).await;

    relay.restore().await;
    wait_for(health, StatusCode::OK).await;
    let started = Instant::now();
    let mut sse = loop {
        let res = crate::sse::request(&app.base, &list, None).await;
        if res.status() == StatusCode::OK {
            drop(res);
            break crate::sse::Sse::open(&app.base, &list, None).await;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{}",
            res.status()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    // The listener reconnects on its own; a change made now reaches the new stream.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let res = app
            .post(
                &format!("/lists/{list}/tasks"),
                None,
                serde_json::json!({"title": "after"}),
            )
            .await;
        if res.status() == StatusCode::CREATED {
            break;
        }
        assert!(Instant::now() < deadline, "{}", res.status());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let event = sse.event().await;
    assert_eq!(event["task"]["title"], "after");
}
