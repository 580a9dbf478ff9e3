//! The live-events load check (`scripts/events_load.sh`; not a timed test): many subscribers on
//! one list, a steady rate of changes, and then: did every subscriber receive every event, all
//! in the same (commit) order, and how long did delivery take.
//!
//! Starts the release binary itself on a fresh SQLite file (or `DATABASE_URL`), opens
//! `SUBSCRIBERS` (1000) event streams (`GET /lists/{id}/events`) on one list, then creates
//! `RATE` (200) tasks a second for `SECONDS` (10) seconds. Latency is from sending the create
//! request to reading the event. Prints a JSON report (latency p50/p99/max, the server's RSS).
//!
//! `cargo build --release && cargo run --release --example events_load`

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::{json, Value};

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() {
    let subscribers = setting("SUBSCRIBERS", 1000) as usize;
    let rate = setting("RATE", 200);
    let seconds = setting("SECONDS", 10);
    let total = (rate * seconds) as usize;
    let dir = tempfile::tempdir().expect("temp dir");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let db = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}", dir.path().join("todo.db").display()));
    let bin = std::env::var("TODO_API_BIN").unwrap_or_else(|_| "target/release/todo-api".into());
    let mut server = std::process::Command::new(&bin)
        .env("BIND_ADDR", format!("127.0.0.1:{port}"))
        .env("DATABASE_URL", &db)
        .env("RUST_LOG", "warn")
        .env("AUTH_RATE_LIMIT_PER_SECOND", "0")
        .env("EVENTS_BUFFER", "1024")
        .spawn()
        .expect("start the server (cargo build --release first)");
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()
        .unwrap();
    while client.get(format!("{base}/health")).send().await.is_err() {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let list: Value = client
        .post(format!("{base}/api/v1/lists"))
        .json(&json!({"title": "load"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let list = list["id"].as_str().unwrap().to_owned();

    // Subscribers: each records (sequence number, arrival) for every event.
    let started = Instant::now();
    let mut readers = Vec::with_capacity(subscribers);
    for _ in 0..subscribers {
        let res = reqwest::Client::new()
            .get(format!("{base}/api/v1/lists/{list}/events"))
            .send()
            .await
            .expect("stream opens");
        assert_eq!(res.status(), 200);
        readers.push(tokio::spawn(read_events(res, total, started)));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_idle = rss_kib(server.id());
    let cpu_before = cpu_seconds(server.id());

    // Writers: `rate` creates a second, each stamped with its sequence number.
    let sent: Arc<Vec<std::sync::OnceLock<Duration>>> =
        Arc::new((0..total).map(|_| std::sync::OnceLock::new()).collect());
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / rate as f64));
    let mut writes = tokio::task::JoinSet::new();
    let mut rss_peak = rss_idle;
    for n in 0..total {
        ticker.tick().await;
        let (client, base, list, sent) = (client.clone(), base.clone(), list.clone(), sent.clone());
        let _ = sent[n].set(started.elapsed());
        writes.spawn(async move {
            let res = client
                .post(format!("{base}/api/v1/lists/{list}/tasks"))
                .json(&json!({"title": n.to_string()}))
                .send()
                .await
                .expect("create");
            assert_eq!(res.status(), 201);
        });
        if n % rate as usize == 0 {
            rss_peak = rss_peak.max(rss_kib(server.id()));
        }
    }
    while writes.join_next().await.is_some() {}
    let writing = started.elapsed();
    let mut latencies = Vec::with_capacity(subscribers * total);
    let mut readers_done = Vec::with_capacity(readers.len());
    for reader in readers {
        readers_done.push(reader.await.expect("reader"));
    }
    let delivering = started.elapsed();
    let server_cpu = cpu_seconds(server.id()) - cpu_before;
    rss_peak = rss_peak.max(rss_kib(server.id()));
    let mut first_order: Option<Vec<usize>> = None;
    let (mut complete, mut same_order) = (0, 0);
    for got in readers_done {
        let order: Vec<usize> = got.iter().map(|(n, _)| *n).collect();
        let mut unique = order.clone();
        unique.sort_unstable();
        unique.dedup();
        if order.len() == total && unique.len() == total {
            complete += 1;
        }
        match &first_order {
            None => first_order = Some(order),
            Some(first) if *first == order => same_order += 1,
            Some(_) => {}
        }
        for (n, at) in got {
            if let Some(sent_at) = sent[n].get() {
                latencies.push(at.saturating_sub(*sent_at));
            }
        }
    }
    let _ = server.kill();
    let _ = server.wait();
    latencies.sort_unstable();
    let pct = |p: f64| {
        let i = ((latencies.len() as f64 - 1.0) * p).round() as usize;
        latencies.get(i).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    let report = json!({
        "database": db.split(':').next(),
        "subscribers": subscribers,
        "changes": total,
        "rate_per_second": rate,
        "subscribers_with_every_event": complete,
        "subscribers_in_the_first_ones_order": same_order + 1,
        "events_delivered": latencies.len(),
        "latency_ms": {"p50": pct(0.50), "p99": pct(0.99), "max": pct(1.0)},
        "server_cpu_seconds": server_cpu,
        "seconds_until_written": writing.as_secs_f64(),
        "seconds_until_all_delivered": delivering.as_secs_f64(),
        "server_rss_mib": {"idle_with_subscribers": rss_idle as f64 / 1024.0, "peak": rss_peak as f64 / 1024.0},
    });
    println!("{}", serde_json::to_string_pretty(&report).unwrap());
}

/// Reads `total` task events (or until the stream goes quiet for 10 s): sequence number and
/// arrival time of each.
async fn read_events(
    res: reqwest::Response,
    total: usize,
    started: Instant,
) -> Vec<(usize, Duration)> {
    let mut body = res.bytes_stream();
    let mut buf = String::new();
    let mut got = Vec::with_capacity(total);
    while got.len() < total {
        let Ok(Some(Ok(chunk))) = tokio::time::timeout(Duration::from_secs(10), body.next()).await
        else {
            break;
        };
        let at = started.elapsed();
        buf.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buf.find("\n\n") {
            let block: String = buf.drain(..end + 2).collect();
            // The title is the sequence number; found without parsing the whole event, so the
            // load generator (on the same machine) costs as little as it can.
            if let Some(n) = block
                .split_once(r#""title":""#)
                .and_then(|(_, rest)| rest.split('"').next()?.parse().ok())
            {
                got.push((n, at));
            }
        }
    }
    got
}

/// The resident memory of a process, in KiB (0 when unknown).
fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// CPU time (user + system) a process has used, in seconds.
fn cpu_seconds(pid: u32) -> f64 {
    let ticks = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            let after = s.rsplit_once(')')?.1.split_whitespace().collect::<Vec<_>>();
            Some(after.get(11)?.parse::<f64>().ok()? + after.get(12)?.parse::<f64>().ok()?)
        })
        .unwrap_or(0.0);
    ticks / 100.0
}
