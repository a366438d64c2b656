//! The HTTP transport: batches to `POST /api/v1/publish` (docs/protocol.md §8).

use std::time::Duration;

use herald_event_types::ChannelName;
use herald_event_types::frame::AuthErrorCode;
use reqwest::StatusCode;
use serde::Deserialize;

use super::batch::{BatchError, BatchTransport, ItemOutcome};
use super::{ErrorBody, retryable_status};
use crate::error::{BuildError, PublishError};
use crate::event::Published;
use crate::outbox::Entry;

/// Most bytes of a response body the publisher reads from the hub: 1 MiB. The largest
/// legitimate answer, the results of a 1000-event batch, is under 200 KiB; an error body is
/// a few hundred bytes. A longer body (announced by `Content-Length`, or read so far) fails
/// the request without reading on: the batch is retried after a backoff, with the same
/// event ids (docs/publisher.md, "Response size limit").
pub(crate) const MAX_RESPONSE_BYTES: usize = 1 << 20;

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

/// The body of `response`, refused once it is known to exceed `limit` bytes: from its
/// `Content-Length` before reading anything, or while reading. Dropping the response closes
/// the connection, so what the hub still sends is never read.
async fn read_capped(url: &str, mut response: reqwest::Response, limit: usize) -> Result<Vec<u8>, BatchError> {
    let status = response.status();
    let too_large = |size: u64| {
        let reason = format!("{url}: hub response of at least {size} bytes, over the limit of {limit}; retrying");
        tracing::warn!(%status, size, limit, "{reason}");
        BatchError::Retry(reason)
    };
    if let Some(length) = response.content_length().filter(|&length| length > limit as u64) {
        return Err(too_large(length));
    }
    let mut body = Vec::with_capacity(response.content_length().map_or(0, |length| length as usize));
    while let Some(chunk) = response.chunk().await.map_err(|e| BatchError::Retry(describe(url, e)))? {
        if body.len() + chunk.len() > limit {
            return Err(too_large((body.len() + chunk.len()) as u64));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// `url: what failed: its causes`, for a failed request (reqwest's own message names no
/// cause: "error sending request", without "connection refused").
fn describe(url: &str, error: reqwest::Error) -> String {
    let error = error.without_url();
    let mut text = format!("{url}: {error}");
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
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
        let url = self.url.as_str();
        let response = request.send().await.map_err(|e| BatchError::Retry(describe(url, e)))?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse::<u64>().ok())
            .map(std::time::Duration::from_secs);
        let bytes = read_capped(url, response, MAX_RESPONSE_BYTES).await?;
        if status.is_success() {
            let results: Results = serde_json::from_slice(&bytes)
                .map_err(|e| BatchError::Retry(format!("{url}: unexpected publish response: {e}")))?;
            return Ok(results
                .results
                .into_iter()
                .map(|r| {
                    ItemOutcome::Published(Published { channel: r.channel, offset: r.offset, duplicate: r.duplicate })
                })
                .collect());
        }
        let error = ErrorBody::parse(&bytes);
        let reason = status.canonical_reason().unwrap_or("no reason phrase");
        Err(match (status, error) {
            (_, error) if retryable_status(status.as_u16()) => {
                let message = error.map_or_else(|| reason.to_owned(), |e| format!("{}: {}", e.code, e.message));
                let reason = format!("{url}: HTTP {}: {message}", status.as_u16());
                match retry_after {
                    Some(after) => BatchError::RetryAfter { reason, after },
                    None => BatchError::Retry(reason),
                }
            }
            (StatusCode::UNAUTHORIZED, error) => match error {
                Some(e) => BatchError::Unauthorized(AuthErrorCode::from(e.code.as_str()), e.message),
                None => BatchError::Unauthorized(AuthErrorCode::Other("unauthorized".into()), reason.to_owned()),
            },
            // The hub refused the events (`invalid_event`, `forbidden`, `channel_not_found`,
            // `too_large`): found one at a time by the batch driver.
            (
                StatusCode::BAD_REQUEST | StatusCode::FORBIDDEN | StatusCode::NOT_FOUND | StatusCode::PAYLOAD_TOO_LARGE,
                Some(e),
            ) => BatchError::Rejected { code: e.code, message: e.message },
            // Not a Herald answer (no `{"code","message"}` body), or a status the hub never
            // gives here: the URL is wrong, retrying cannot help.
            (_, error) => {
                let (code, message) = match error {
                    Some(e) => (Some(e.code), e.message),
                    None => (None, reason.to_owned()),
                };
                BatchError::Endpoint(PublishError::Endpoint {
                    url: self.url.clone(),
                    status: status.as_u16(),
                    code,
                    message,
                })
            }
        })
    }
}
