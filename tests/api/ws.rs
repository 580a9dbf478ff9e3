//! A small WebSocket client over a raw socket (RFC 6455 framing, text and close frames), and a
//! GraphQL-over-WebSocket layer for both subprotocols on top of it.

use std::time::Duration;

use serde_json::{json, Value};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

/// The two GraphQL subprotocols.
pub const TRANSPORT_WS: &str = "graphql-transport-ws";
pub const LEGACY_WS: &str = "graphql-ws";

pub struct Ws {
    stream: TcpStream,
    buf: Vec<u8>,
}

/// What the server sent next.
#[derive(Debug, PartialEq)]
pub enum Frame {
    Text(String),
    Close(u16, String),
    /// The TCP connection ended without a close frame.
    Gone,
}

/// The RFC 6455 example key and its accept value.
const WS_KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
const WS_ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

/// Opens `/graphql/ws` with the `graphql-transport-ws` subprotocol.
pub async fn ws_handshake(base: &str) -> (u16, Ws) {
    ws_open(base, Some(TRANSPORT_WS), &[]).await
}

/// Opens `/graphql/ws` offering `protocol`, with extra request headers; the status and the
/// socket (usable when the status is 101).
pub async fn ws_open(base: &str, protocol: Option<&str>, headers: &[(&str, &str)]) -> (u16, Ws) {
    let addr = base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let mut request = format!(
        "GET /graphql/ws HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Key: {WS_KEY}\r\nSec-WebSocket-Version: 13\r\n"
    );
    if let Some(protocol) = protocol {
        request.push_str(&format!("Sec-WebSocket-Protocol: {protocol}\r\n"));
    }
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .expect("send handshake");
    let mut buf = Vec::new();
    let end = loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        let mut chunk = [0u8; 1024];
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut chunk))
            .await
            .expect("handshake answer in time")
            .expect("read handshake");
        assert!(n > 0, "connection closed during the handshake");
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status line");
    if status == 101 {
        assert!(
            head.contains(&format!(
                "sec-websocket-accept: {}",
                WS_ACCEPT.to_ascii_lowercase()
            )),
            "{head}"
        );
        assert!(head.contains("upgrade: websocket"), "{head}");
        if let Some(protocol) = protocol {
            let mut offered = protocol.split(',').map(str::trim);
            let chosen = offered.find(|p| p.starts_with("graphql")).unwrap_or("");
            assert!(
                head.contains(&format!("sec-websocket-protocol: {chosen}")),
                "{head}"
            );
        }
    }
    let rest = buf.split_off(end);
    (status, Ws { stream, buf: rest })
}

impl Ws {
    /// Sends one masked text frame (clients must mask).
    pub async fn send_text(&mut self, text: &str) {
        let payload = text.as_bytes();
        let mut frame = vec![0x81];
        match payload.len() {
            n if n < 126 => frame.push(0x80 | n as u8),
            n if n <= usize::from(u16::MAX) => {
                frame.push(0x80 | 126);
                frame.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                frame.push(0x80 | 127);
                frame.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        let mask = [0x37, 0xfa, 0x21, 0x3d];
        frame.extend_from_slice(&mask);
        frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        self.stream.write_all(&frame).await.expect("send frame");
    }

    /// The payload of the next text frame, skipping control frames (ping/pong).
    pub async fn next_text(&mut self) -> String {
        match self.next().await {
            Frame::Text(text) => text,
            other => panic!("WebSocket closed: {other:?}"),
        }
    }

    /// The next text or close frame (ping and pong skipped).
    pub async fn next(&mut self) -> Frame {
        loop {
            let Some((opcode, payload)) = self.next_frame().await else {
                return Frame::Gone;
            };
            match opcode {
                0x1 => return Frame::Text(String::from_utf8(payload).expect("UTF-8 text")),
                0x8 => {
                    let code = payload
                        .get(..2)
                        .map_or(1005, |c| u16::from_be_bytes([c[0], c[1]]));
                    let reason = String::from_utf8_lossy(payload.get(2..).unwrap_or(&[]));
                    return Frame::Close(code, reason.into_owned());
                }
                _ => continue,
            }
        }
    }

    /// One unfragmented, unmasked frame from the server: opcode and payload.
    async fn next_frame(&mut self) -> Option<(u8, Vec<u8>)> {
        loop {
            if let Some((header, len)) = frame_size(&self.buf) {
                if self.buf.len() >= header + len {
                    let opcode = self.buf[0] & 0x0f;
                    let payload = self.buf[header..header + len].to_vec();
                    self.buf.drain(..header + len);
                    return Some((opcode, payload));
                }
            }
            let mut chunk = [0u8; 16384];
            match self.stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return None,
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
            }
        }
    }
}

/// The header length and payload length of the frame at the start of `buf`, once known.
fn frame_size(buf: &[u8]) -> Option<(usize, usize)> {
    match *buf.get(1)? & 0x7f {
        126 => Some((
            4,
            usize::from(u16::from_be_bytes([*buf.get(2)?, *buf.get(3)?])),
        )),
        127 => {
            let bytes: [u8; 8] = buf.get(2..10)?.try_into().ok()?;
            Some((10, usize::try_from(u64::from_be_bytes(bytes)).ok()?))
        }
        n => Some((2, usize::from(n))),
    }
}

/// A GraphQL connection over `/graphql/ws` in either subprotocol.
pub struct GqlWs {
    pub ws: Ws,
    pub protocol: &'static str,
}

const WAIT: Duration = Duration::from_secs(10);

impl GqlWs {
    /// Opens a connection and sends `connection_init` with `payload`; the server's first answer
    /// is left to the caller.
    pub async fn init(base: &str, protocol: &'static str, payload: Value) -> Self {
        let (status, mut ws) = ws_open(base, Some(protocol), &[]).await;
        assert_eq!(status, 101, "{protocol} upgrade");
        ws.send_text(&json!({"type": "connection_init", "payload": payload}).to_string())
            .await;
        Self { ws, protocol }
    }

    /// Opens an acknowledged connection, with a token or anonymous.
    pub async fn connect(base: &str, protocol: &'static str, token: Option<&str>) -> Self {
        let payload = match token {
            Some(token) => json!({"authorization": format!("Bearer {token}")}),
            None => json!({}),
        };
        let mut conn = Self::init(base, protocol, payload).await;
        let ack = conn.message().await;
        assert_eq!(ack["type"], "connection_ack", "{ack}");
        conn
    }

    /// Starts operation `id`.
    pub async fn start(&mut self, id: &str, query: &str, variables: Value) {
        let kind = if self.protocol == TRANSPORT_WS {
            "subscribe"
        } else {
            "start"
        };
        let message =
            json!({"id": id, "type": kind, "payload": {"query": query, "variables": variables}});
        self.ws.send_text(&message.to_string()).await;
    }

    /// Subscribes `id` to the task events of `list`, asking for every field.
    pub async fn subscribe(&mut self, id: &str, list: &str) {
        let query = "subscription($list: ID!) { taskEvents(listId: $list) \
                     { kind taskId listId task { id listId title completed list { id } } } }";
        self.start(id, query, json!({"list": list})).await;
        // The subscription registers as the server polls it; give it that moment.
        tokio::time::sleep(Duration::from_millis(150)).await;
    }

    /// Stops operation `id`.
    pub async fn stop(&mut self, id: &str) {
        let kind = if self.protocol == TRANSPORT_WS {
            "complete"
        } else {
            "stop"
        };
        self.ws
            .send_text(&json!({"id": id, "type": kind}).to_string())
            .await;
    }

    /// The next message (keep-alives of the legacy protocol skipped), within a deadline.
    pub async fn message(&mut self) -> Value {
        loop {
            let frame = tokio::time::timeout(WAIT, self.ws.next())
                .await
                .expect("a message in time");
            let Frame::Text(text) = frame else {
                panic!("expected a message, got {frame:?}");
            };
            let value: Value = serde_json::from_str(&text).expect("JSON message");
            if value["type"] != "ka" {
                return value;
            }
        }
    }

    /// The payload of the next `next`/`data` message of `id`.
    pub async fn data(&mut self, id: &str) -> Value {
        let message = self.message().await;
        let kind = if self.protocol == TRANSPORT_WS {
            "next"
        } else {
            "data"
        };
        assert_eq!(message["type"], kind, "{message}");
        assert_eq!(message["id"], id, "{message}");
        message["payload"].clone()
    }

    /// The next task event of subscription `id`.
    pub async fn event(&mut self, id: &str) -> Value {
        let payload = self.data(id).await;
        assert!(payload.get("errors").is_none(), "{payload}");
        payload["data"]["taskEvents"].clone()
    }

    /// Asserts that the next message completes `id`.
    pub async fn expect_complete(&mut self, id: &str) {
        let message = self.message().await;
        assert_eq!(message["type"], "complete", "{message}");
        assert_eq!(message["id"], id, "{message}");
    }
}
