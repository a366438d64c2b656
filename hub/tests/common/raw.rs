//! A raw WebSocket client for what tungstenite will not do: never answering pings, and
//! sending frames that break the protocol (invalid UTF-8).

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub struct RawClient {
    pub stream: TcpStream,
}

/// A frame as read off the wire.
#[derive(Debug)]
pub struct RawFrame {
    pub opcode: u8,
    pub payload: Vec<u8>,
}

impl RawFrame {
    pub fn close_code(&self) -> Option<u16> {
        (self.opcode == 0x8 && self.payload.len() >= 2).then(|| u16::from_be_bytes([self.payload[0], self.payload[1]]))
    }
}

impl RawClient {
    /// Opens `/ws` with a minimal handshake and reads the 101 response.
    pub async fn connect(addr: std::net::SocketAddr) -> Self {
        let (response, stream) = upgrade_request(addr).await;
        assert_eq!(response.status, 101, "{}", String::from_utf8_lossy(&response.body));
        Self { stream }
    }

    /// Like [`RawClient::connect`], with a receive buffer of about `bytes`.
    pub async fn connect_small_window(addr: std::net::SocketAddr, bytes: u32) -> Self {
        let (response, stream) = upgrade_request_small_window(addr, bytes).await;
        assert_eq!(response.status, 101, "{}", String::from_utf8_lossy(&response.body));
        Self { stream }
    }

    /// Reads and discards everything until the hub closes the TCP connection; `false` when
    /// it is still open after `within`.
    pub async fn drains_to_eof(&mut self, within: std::time::Duration) -> bool {
        let mut buffer = vec![0u8; 64 * 1024];
        tokio::time::timeout(within, async {
            loop {
                match self.stream.read(&mut buffer).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
            }
        })
        .await
        .is_ok()
    }

    /// Writes one masked frame (clients must mask).
    pub async fn send_frame(&mut self, opcode: u8, payload: &[u8]) {
        write_frame(&mut self.stream, opcode, payload).await.unwrap();
    }

    pub async fn send_text(&mut self, text: &str) {
        self.send_frame(0x1, text.as_bytes()).await;
    }

    /// Reads one frame (server frames are unmasked). `None` at end of stream.
    pub async fn read_frame(&mut self) -> Option<RawFrame> {
        let mut head = [0u8; 2];
        self.stream.read_exact(&mut head).await.ok()?;
        let opcode = head[0] & 0x0f;
        let len = match head[1] & 0x7f {
            126 => u64::from(self.stream.read_u16().await.ok()?),
            127 => self.stream.read_u64().await.ok()?,
            n => u64::from(n),
        };
        let mut payload = vec![0; len as usize];
        self.stream.read_exact(&mut payload).await.ok()?;
        Some(RawFrame { opcode, payload })
    }

    /// Reads frames, never answering pings, until a close frame; returns its code.
    pub async fn read_until_close(&mut self) -> (Option<u16>, Vec<RawFrame>) {
        let mut seen = Vec::new();
        loop {
            let frame = tokio::time::timeout(super::WAIT, self.read_frame()).await.expect("a frame in time");
            match frame {
                Some(frame) if frame.opcode == 0x8 => return (frame.close_code(), seen),
                Some(frame) => seen.push(frame),
                None => return (None, seen),
            }
        }
    }
}

/// Writes one masked frame (clients must mask) on `stream`; the write's error, if any (a
/// peer that has dropped the connection, say).
pub async fn write_frame(stream: &mut TcpStream, opcode: u8, payload: &[u8]) -> std::io::Result<()> {
    let mut frame = vec![0x80 | opcode];
    let len = payload.len();
    if len < 126 {
        frame.push(0x80 | len as u8);
    } else if len <= u16::MAX as usize {
        frame.push(0x80 | 126);
        frame.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        frame.push(0x80 | 127);
        frame.extend_from_slice(&(len as u64).to_be_bytes());
    }
    let mask = [0x12, 0x34, 0x56, 0x78];
    frame.extend_from_slice(&mask);
    frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    stream.write_all(&frame).await
}

/// An HTTP response read off a raw socket: status, head (lower-cased), body.
#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    pub head: String,
    pub body: Vec<u8>,
}

impl RawResponse {
    /// The body as JSON; `Null` when it is not JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// Sends a WebSocket upgrade request for `/ws` and reads the response head; for a non-101
/// answer also the body (by `content-length`). The stream is returned for a 101 answer.
pub async fn upgrade_request(addr: std::net::SocketAddr) -> (RawResponse, TcpStream) {
    upgrade_request_on(TcpStream::connect(addr).await.expect("tcp connect"), addr, &[]).await
}

/// [`upgrade_request`] on a connection opened with a receive buffer of about `bytes` (the
/// kernel's minimum at least): a peer that stops reading fills up after a few kilobytes.
pub async fn upgrade_request_small_window(addr: std::net::SocketAddr, bytes: u32) -> (RawResponse, TcpStream) {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(bytes).expect("SO_RCVBUF");
    upgrade_request_on(socket.connect(addr).await.expect("tcp connect"), addr, &[]).await
}

/// [`upgrade_request`] on `stream`, a connection to the hub at `addr` the caller opened (from
/// a chosen source address, say), with `headers` (`"name: value"` lines) added to the request.
pub async fn upgrade_request_on(
    mut stream: TcpStream,
    addr: std::net::SocketAddr,
    headers: &[&str],
) -> (RawResponse, TcpStream) {
    let mut request = format!(
        "GET /ws HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
    );
    for header in headers {
        request.push_str(header);
        request.push_str("\r\n");
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        head.push(stream.read_u8().await.expect("response head"));
    }
    let head = String::from_utf8_lossy(&head).to_lowercase();
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("status code");
    let mut body = Vec::new();
    if status != 101 {
        let length = head
            .lines()
            .find_map(|line| line.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse::<usize>().ok())
            .expect("content-length");
        body.resize(length, 0);
        stream.read_exact(&mut body).await.expect("body");
    }
    (RawResponse { status, head, body }, stream)
}
