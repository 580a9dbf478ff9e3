//! A minimal WebSocket client over a raw socket (the handshake, one text frame each way), for
//! checking that the shipped nginx passes upgrades through.

use std::time::Duration;

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

/// A minimal WebSocket client, enough for one text message each way.
pub struct Ws {
    stream: TcpStream,
    buf: Vec<u8>,
}

/// The RFC 6455 example key and its accept value.
const WS_KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
const WS_ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

pub async fn ws_handshake(base: &str) -> (u16, Ws) {
    let addr = base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let request = format!(
        "GET /graphql/ws HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Key: {WS_KEY}\r\nSec-WebSocket-Version: 13\r\n\
         Sec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n"
    );
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
    }
    let rest = buf.split_off(end);
    (status, Ws { stream, buf: rest })
}

impl Ws {
    /// Sends one masked text frame (clients must mask).
    pub async fn send_text(&mut self, text: &str) {
        let payload = text.as_bytes();
        let len = u8::try_from(payload.len())
            .ok()
            .filter(|len| *len < 126)
            .expect("short messages only");
        let mask = [0x37, 0xfa, 0x21, 0x3d];
        let mut frame = vec![0x81, 0x80 | len];
        frame.extend_from_slice(&mask);
        frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        self.stream.write_all(&frame).await.expect("send frame");
    }

    /// The payload of the next text frame, skipping control frames (ping/pong).
    pub async fn next_text(&mut self) -> String {
        loop {
            let (opcode, payload) = self.next_frame().await;
            match opcode {
                0x1 => return String::from_utf8(payload).expect("UTF-8 text"),
                0x8 => panic!("WebSocket closed: {payload:?}"),
                _ => continue,
            }
        }
    }

    /// One unfragmented, unmasked frame from the server: opcode and payload.
    async fn next_frame(&mut self) -> (u8, Vec<u8>) {
        loop {
            if self.buf.len() >= 2 {
                let opcode = self.buf[0] & 0x0f;
                let (len, header) = match self.buf[1] & 0x7f {
                    126 if self.buf.len() >= 4 => (
                        usize::from(u16::from_be_bytes([self.buf[2], self.buf[3]])),
                        4,
                    ),
                    126 | 127 => (usize::MAX, 0),
                    n => (usize::from(n), 2),
                };
                if len != usize::MAX && self.buf.len() >= header + len {
                    let payload = self.buf[header..header + len].to_vec();
                    self.buf.drain(..header + len);
                    return (opcode, payload);
                }
            }
            let mut chunk = [0u8; 4096];
            let n = self.stream.read(&mut chunk).await.expect("read frame");
            assert!(n > 0, "WebSocket connection closed");
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }
}
