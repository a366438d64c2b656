//! The HTTP transport: batches to `POST /api/v1/publish` (docs/protocol.md §8).

use std::time::Duration;

use herald_event_types::{ChannelName, ErrorCode};
use reqwest::StatusCode;
use serde::Deserialize;

use super::batch::{BatchError, BatchTransport, ItemOutcome};
use crate::error::BuildError;
use crate::event::Published;
use crate::outbox::Entry;

pub(crate) struct HttpTransport {
    client: reqwest::Client,
    url: String,
}

#[derive(Deserialize)]
struct Results {
    results: Vec<ResultItem>,
}

#[derive(Deserialize)]
struct ResultItem {
    channel: ChannelName,
    offset: u64,
    duplicate: bool,
}

#[derive(Deserialize)]
struct ErrorBody {
    code: ErrorCode,
    #[serde(default)]
    message: String,
}

impl HttpTransport {
    pub(crate) fn new(base: &str, timeout: Duration) -> Result<Self, BuildError> {
        let client = reqwest::Client::builder()
            .connect_timeout(timeout)
            .timeout(timeout.max(Duration::from_secs(1)) * 3)
            .tcp_nodelay(true)
            .build()
            .map_err(BuildError::Http)?;
        Ok(Self { client, url: format!("{base}/api/v1/publish") })
    }
}

/// `{"events":[{"channel":…,"event":…},…]}` around already encoded envelopes.
fn encode_batch(batch: &mut [Entry]) -> String {
    let mut body = String::with_capacity(batch.iter().map(|e| e.bytes + 32).sum::<usize>() + 16);
    body.push_str(r#"{"events":["#);
    for (i, entry) in batch.iter_mut().enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push('{');
        if let Some(channel) = &entry.event.channel {
            body.push_str(r#""channel":""#);
            body.push_str(channel.as_str());
            body.push_str(r#"","#);
        }
        body.push_str(r#""event":"#);
        body.push_str(entry.json());
        body.push('}');
    }
    body.push_str("]}");
    body
}

impl BatchTransport for HttpTransport {
    fn needs_token(&self) -> bool {
        true
    }

    async fn send(&mut self, token: Option<&str>, batch: &mut [Entry]) -> Result<Vec<ItemOutcome>, BatchError> {
        let body = encode_batch(batch);
        let mut request = self.client.post(&self.url).header("content-type", "application/json").body(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.map_err(|e| BatchError::Retry(e.to_string()))?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(|e| BatchError::Retry(e.to_string()))?;
        if status.is_success() {
            let results: Results = serde_json::from_slice(&bytes)
                .map_err(|e| BatchError::Retry(format!("unexpected publish response: {e}")))?;
            return Ok(results
                .results
                .into_iter()
                .map(|r| {
                    ItemOutcome::Published(Published { channel: r.channel, offset: r.offset, duplicate: r.duplicate })
                })
                .collect());
        }
        let error = serde_json::from_slice::<ErrorBody>(&bytes).ok();
        let message = error.as_ref().map(|e| e.message.clone()).unwrap_or_else(|| status.to_string());
        Err(match status {
            StatusCode::UNAUTHORIZED => BatchError::Unauthorized,
            StatusCode::TOO_MANY_REQUESTS => BatchError::Retry(format!("rate limited: {message}")),
            StatusCode::BAD_REQUEST | StatusCode::FORBIDDEN | StatusCode::NOT_FOUND | StatusCode::PAYLOAD_TOO_LARGE => {
                let code = error.map_or(ErrorCode::BadRequest, |e| e.code);
                BatchError::Rejected { code, message }
            }
            _ => BatchError::Retry(format!("{status}: {message}")),
        })
    }
}
