//! The benchmark's ceiling (`scripts/bench.sh`): a minimal axum server answering
//! `GET /api/v1/tasks/{id}` with a fixed ~300-byte JSON body. No database, no auth, no
//! middleware: what the HTTP stack alone can do on this machine.
//!
//! `BIND_ADDR=127.0.0.1:8001 cargo run --release --example baseline`

use axum::extract::Path;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

/// A task as the real service returns it, with fixed values (about 300 bytes).
const BODY: &str = concat!(
    r#"{"id":"3f0c1a52-7f4e-4d59-9a55-0c8e6d2b9f10","listId":"b7d6e3a1-2c4f-4e8a-9b1d-5f6a7c8d9e0f","#,
    r#""title":"Benchmark task 42","description":"A fixed body of about the size of a real task.","#,
    r#""completed":false,"priority":"medium","categories":["bench","work"],"dueDate":null,"#,
    r#""createdAt":"2025-12-01T10:00:00.000000Z","updatedAt":null}"#
);

async fn task(Path(_id): Path<String>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], BODY)
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::var("BIND_ADDR").unwrap_or_else(|_| "127.0.0.1:8001".into());
    let app = Router::new().route("/api/v1/tasks/{id}", get(task));
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    eprintln!(
        "baseline listening on {} ({} bytes per body)",
        listener.local_addr()?,
        BODY.len()
    );
    axum::serve(listener, app).await
}
