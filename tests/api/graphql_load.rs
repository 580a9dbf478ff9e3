//! The real binary under the heaviest GraphQL documents its default limits allow: a user with
//! 1000 lists of 20 tasks, four clients sending such a document in a loop for 10 s. Health keeps
//! answering and resident memory stays bounded. The bounds asserted are far from the healthy
//! values (tens of milliseconds, tens of megabytes), so noise cannot break them.

use std::time::{Duration, Instant};

use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

use crate::binary::start;

const LISTS: usize = 1000;
const TASKS_PER_LIST: usize = 20;

/// Every field of every list and of its first 14 tasks: 1000 x (7 + 14 x 10) = 147,000, just
/// under the default cost limit of 150,000 (15 tasks would be over it).
const HEAVIEST: &str = "{ lists { id title description ownerId createdAt updatedAt taskCount \
     tasks(limit: 14) { id listId title description completed priority categories dueDate \
     createdAt updatedAt } } }";

async fn graphql(client: &Client, base: &str, token: &str, query: &str) -> Value {
    let res = client
        .post(format!("{base}/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": query }))
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.expect("JSON");
    assert!(body.get("errors").is_none(), "{body}");
    body
}

/// Creates the lists, then their tasks, 100 mutations per document.
async fn seed(client: &Client, base: &str, token: &str) {
    let mut list_ids = Vec::with_capacity(LISTS);
    for batch in 0..LISTS / 100 {
        let fields: String = (0..100)
            .map(|i| format!("l{i}: createList(input: {{title: \"List {batch}-{i}\"}}) {{ id }} "))
            .collect();
        let body = graphql(client, base, token, &format!("mutation {{ {fields} }}")).await;
        list_ids.extend(
            body["data"]
                .as_object()
                .unwrap()
                .values()
                .map(|l| l["id"].as_str().unwrap().to_owned()),
        );
    }
    let mutations: Vec<String> = list_ids
        .iter()
        .flat_map(|list| {
            (0..TASKS_PER_LIST).map(move |j| {
                format!(
                    "createTask(listId: \"{list}\", input: {{title: \"Task {j}\", \
                     description: \"Something to do\", categories: [\"home\", \"work\"], \
                     dueDate: \"2030-01-01T00:00:00Z\"}}) {{ id }}"
                )
            })
        })
        .collect();
    let documents: Vec<String> = mutations
        .chunks(100)
        .map(|chunk| {
            let fields: String = chunk
                .iter()
                .enumerate()
                .map(|(i, m)| format!("t{i}: {m} "))
                .collect();
            format!("mutation {{ {fields} }}")
        })
        .collect();
    for docs in documents.chunks(4) {
        let sent = docs.iter().map(|doc| graphql(client, base, token, doc));
        futures_util::future::join_all(sent).await;
    }
}

fn resident_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_heaviest_allowed_documents_leave_health_answering_and_memory_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("RUST_LOG", "error"),
        ("ARGON2_MEMORY_KIB", "64"),
        ("ARGON2_ITERATIONS", "1"),
    ];
    let server = start(dir.path(), &env).await;
    let (base, pid) = (server.base.clone(), server.child.id());
    let client = Client::new();
    let res = client
        .post(format!("{base}/api/v1/auth/signup"))
        .json(&json!({"username": "heavy", "email": "heavy@example.com", "password": "password-heavy"}))
        .send()
        .await
        .unwrap();
    let token = res.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    seed(&client, &base, &token).await;

    let asked = Instant::now();
    let body = graphql(&client, &base, &token, HEAVIEST).await;
    println!(
        "one heaviest document alone: {:?}, {} bytes of JSON, RSS after it {:.1} MB",
        asked.elapsed(),
        body.to_string().len(),
        resident_mb(pid)
    );
    let lists = body["data"]["lists"].as_array().unwrap();
    assert_eq!(lists.len(), LISTS);
    assert_eq!(lists[LISTS - 1]["tasks"].as_array().unwrap().len(), 14);
    assert_eq!(lists[0]["taskCount"], TASKS_PER_LIST);
    let over = HEAVIEST.replace("limit: 14", "limit: 15");
    let res = client
        .post(format!("{base}/graphql"))
        .bearer_auth(&token)
        .json(&json!({ "query": over }))
        .send()
        .await
        .unwrap();
    let refused: Value = res.json().await.unwrap();
    assert_eq!(
        refused["errors"][0]["extensions"]["code"],
        "VALIDATION_ERROR"
    );

    let until = Instant::now() + Duration::from_secs(10);
    let load: Vec<_> = (0..4)
        .map(|_| {
            let (client, base, token) = (client.clone(), base.clone(), token.clone());
            tokio::spawn(async move {
                let mut answered = 0;
                while Instant::now() < until {
                    // The bytes only: parsing 4 MB of JSON here would take the test's own CPU.
                    let res = client
                        .post(format!("{base}/graphql"))
                        .bearer_auth(&token)
                        .json(&json!({ "query": HEAVIEST }))
                        .send()
                        .await
                        .expect("sent");
                    let body = res.bytes().await.expect("answer");
                    assert!(
                        body.starts_with(b"{\"data\":{\"lists\":[{"),
                        "an answer with data"
                    );
                    answered += 1;
                }
                answered
            })
        })
        .collect();
    // Health is asked from a thread of its own, so that the load clients of this test cannot
    // delay the asking.
    let prober = {
        let base = base.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(probe_health(&base, pid, until))
        })
    };
    let mut answered = 0;
    for client in load {
        answered += client.await.unwrap();
    }
    let (slowest, peak_mb, checks) = prober.join().unwrap();
    println!(
        "heaviest document: {answered} answers in 10 s over 4 clients; health: {checks} checks, \
         slowest {slowest:?}; peak RSS {peak_mb:.1} MB"
    );
    assert!(answered >= 4, "every client got answers");
    assert!(slowest < Duration::from_secs(1), "health took {slowest:?}");
    assert!(peak_mb < 256.0, "resident memory reached {peak_mb:.1} MB");
}

/// Asks for health every 100 ms until `until`; returns the slowest answer, the peak resident
/// memory seen meanwhile and the number of checks.
async fn probe_health(base: &str, pid: u32, until: Instant) -> (Duration, f64, usize) {
    let client = Client::new();
    let (mut slowest, mut peak_mb, mut checks) = (Duration::ZERO, 0.0f64, 0);
    while Instant::now() < until {
        let asked = Instant::now();
        let res = tokio::time::timeout(
            Duration::from_secs(5),
            client.get(format!("{base}/api/v1/health")).send(),
        )
        .await
        .expect("health answers")
        .unwrap();
        assert_eq!(
            res.status(),
            StatusCode::OK,
            "{}",
            res.text().await.unwrap()
        );
        slowest = slowest.max(asked.elapsed());
        peak_mb = peak_mb.max(resident_mb(pid));
        checks += 1;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    (slowest, peak_mb, checks)
}
