//! A Server-Sent Events reader over a real streaming HTTP response, for `/lists/{id}/events`.

use std::time::Duration;

use futures_util::StreamExt;
use reqwest::StatusCode;
use serde_json::Value;

/// An open event stream, read block by block (a block ends with a blank line).
pub struct Sse {
    body: futures_util::stream::BoxStream<'static, reqwest::Result<axum::body::Bytes>>,
    buf: String,
}

const WAIT: Duration = Duration::from_secs(10);

impl Sse {
    /// Opens the stream of `list`; panics unless it answers 200 `text/event-stream`.
    pub async fn open(base: &str, list: &str, token: Option<&str>) -> Sse {
        let res = request(base, list, token).await;
        assert_eq!(res.status(), StatusCode::OK);
        let content_type = res.headers()["content-type"].to_str().unwrap().to_owned();
        assert_eq!(content_type, "text/event-stream");
        assert!(
            res.headers().get("content-encoding").is_none(),
            "never compressed"
        );
        Sse {
            body: res.bytes_stream().boxed(),
            buf: String::new(),
        }
    }

    /// The next block, or `None` when the stream ended.
    pub async fn block(&mut self) -> Option<String> {
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let block = self.buf[..end].to_owned();
                self.buf.drain(..end + 2);
                return Some(block);
            }
            match tokio::time::timeout(WAIT, self.body.next())
                .await
                .expect("data in time")
            {
                Some(Ok(chunk)) => self.buf.push_str(std::str::from_utf8(&chunk).unwrap()),
                Some(Err(_)) | None => return None,
            }
        }
    }

    /// The next `task` event's data, comments skipped.
    pub async fn event(&mut self) -> Value {
        loop {
            let block = self.block().await.expect("an event, not the end");
            if block.starts_with(':') {
                continue;
            }
            let mut lines = block.lines();
            assert_eq!(lines.next(), Some("event: task"), "{block}");
            let data = lines
                .next()
                .and_then(|l| l.strip_prefix("data: "))
                .expect("data line");
            assert_eq!(lines.next(), None, "one data line: {block}");
            return serde_json::from_str(data).expect("JSON data");
        }
    }

    /// Asserts that the stream ends (after at most a closing comment).
    pub async fn expect_end(&mut self) {
        while let Some(block) = self.block().await {
            assert!(block.starts_with(':'), "expected the end, got {block}");
        }
    }
}

/// `GET /api/v1/lists/{list}/events`, asking for compression (which must not be applied).
pub async fn request(base: &str, list: &str, token: Option<&str>) -> reqwest::Response {
    let mut req = reqwest::Client::new().get(format!("{base}/api/v1/lists/{list}/events"));
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    req.header("accept-encoding", "gzip, br")
        .send()
        .await
        .expect("sent")
}
