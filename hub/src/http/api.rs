//! `POST /api/v1/publish` and `GET /api/v1/channels/{channel}/history` (docs/protocol.md §8).
//!
//! Both authenticate on the headers alone, before any body is read (docs/protocol.md §9.10).

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;

use axum::Extension;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use bytes::BytesMut;
use futures_util::StreamExt;
use herald_event_types::{ChannelName, Envelope, ErrorCode, Subject};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::{ApiError, ClientIp};
use crate::auth::Identity;
use crate::broker::{Broker, BrokerError, HistoryQuery};
use crate::state::{HubState, unix_millis_now};

/// Events in one batch, at most. A Herald addition (docs/protocol.md §8).
const MAX_BATCH: usize = 1000;
/// History page size: default and maximum (docs/protocol.md §9.10).
const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 1000;

/// The token of `Authorization: Bearer <token>`, if any.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|t| !t.is_empty())
}

/// Authenticates a request on its headers: 429 `rate_limited` (with `Retry-After`) while
/// `client` is blocked for failed authentications, else 401 for a missing or refused token,
/// which counts as one more failure of `client`.
fn identify(state: &HubState, client: IpAddr, headers: &HeaderMap) -> Result<Identity, ApiError> {
    if let Some(wait) = state.auth_failures.blocked(client) {
        state.metrics.auth_blocked.fetch_add(1, Relaxed);
        tracing::debug!(%client, "http request refused: too many failed authentications");
        let message = "too many failed authentications from this address; retry later";
        return Err(ApiError::new(ErrorCode::RateLimited, message).retry_after(wait));
    }
    let Some(token) = bearer(headers) else {
        state.auth_failures.record(client);
        return Err(ApiError::new(ErrorCode::NotAuthenticated, "missing bearer token"));
    };
    state.auth.verify(token, unix_millis_now()).map_err(|failure| {
        state.metrics.auth_failures.fetch_add(1, Relaxed);
        state.auth_failures.record(client);
        tracing::debug!(%client, code = %failure.code, "http authentication failed");
        ApiError::unauthorized(&failure.code, failure.message)
    })
}

/// Reads a request body of at most `max` bytes, after authentication: 413 `too_large` as
/// soon as a declared `Content-Length` or the bytes received go over it. Memory grows with
/// the bytes received, never with the declared length.
async fn read_body(body: Body, headers: &HeaderMap, max: usize) -> Result<Bytes, ApiError> {
    let too_large = || ApiError::new(ErrorCode::TooLarge, "body larger than HERALD_MAX_HTTP_BODY_BYTES");
    let declared = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|length| length > max as u64) {
        return Err(too_large());
    }
    let mut stream = body.into_data_stream();
    let mut buffer = BytesMut::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| ApiError::new(ErrorCode::BadRequest, "the body could not be read"))?;
        if buffer.len() + chunk.len() > max {
            return Err(too_large());
        }
        buffer.extend_from_slice(&chunk);
    }
    Ok(buffer.freeze())
}

/// The answer to a failed broker call: the error is logged, and the client gets 503
/// `unavailable` with a fixed message (broker errors may name hosts, keys or replies).
fn broker_unavailable(error: BrokerError) -> ApiError {
    tracing::warn!(%error, "broker call failed; answered 503 unavailable");
    ApiError::new(ErrorCode::Unavailable, BrokerError::CLIENT_MESSAGE)
}

/// The body: `{"channel"?, "event"}` or `{"events": [...]}`.
#[derive(Deserialize)]
struct PublishBody<'a> {
    #[serde(default)]
    channel: Option<ChannelName>,
    #[serde(borrow, default)]
    event: Option<&'a RawValue>,
    #[serde(borrow, default)]
    events: Option<Vec<&'a RawValue>>,
}

/// One batch item: `{"channel"?, "event"}`, or an envelope with an optional `channel` key.
#[derive(Deserialize)]
struct BatchItem<'a> {
    #[serde(default)]
    channel: Option<ChannelName>,
    #[serde(borrow, default)]
    event: Option<&'a RawValue>,
}

fn decode_event(raw: &RawValue, index: Option<usize>) -> Result<Envelope, ApiError> {
    let at = index.map(|i| format!("events[{i}]: ")).unwrap_or_default();
    if !raw.get().starts_with('{') {
        return Err(ApiError::new(ErrorCode::InvalidEvent, format!("{at}event must be an object")));
    }
    Envelope::from_json(raw.get()).map_err(|e| ApiError::new(ErrorCode::InvalidEvent, format!("{at}{}", e.describe())))
}

/// The events of a publish body, and whether it was a batch (`events`).
type Parsed = (Vec<(Option<ChannelName>, Envelope)>, bool);

fn parse_batch(body: &[u8]) -> Result<Parsed, ApiError> {
    let body: PublishBody<'_> =
        serde_json::from_slice(body).map_err(|e| ApiError::new(ErrorCode::BadRequest, format!("invalid body: {e}")))?;
    match (body.event, body.events) {
        (Some(event), None) => Ok((vec![(body.channel, decode_event(event, None)?)], false)),
        (None, Some(events)) => {
            if events.is_empty() || events.len() > MAX_BATCH {
                let message = format!("a batch holds 1 to {MAX_BATCH} events");
                return Err(ApiError::new(ErrorCode::BadRequest, message));
            }
            events
                .into_iter()
                .enumerate()
                .map(|(i, raw)| {
                    let item: BatchItem<'_> = serde_json::from_str(raw.get())
                        .map_err(|e| ApiError::new(ErrorCode::InvalidEvent, format!("events[{i}]: {e}")))?;
                    let event = decode_event(item.event.unwrap_or(raw), Some(i))?;
                    Ok((item.channel.or_else(|| body.channel.clone()), event))
                })
                .collect::<Result<_, _>>()
                .map(|events| (events, true))
        }
        _ => Err(ApiError::new(ErrorCode::InvalidEvent, "body needs an object \"event\" or an array \"events\"")),
    }
}

/// `POST /api/v1/publish`: authenticates on the headers (no body byte is read for a
/// refused token), then reads and validates the whole batch, each event against
/// `max_event_bytes` too, then publishes.
pub(super) async fn publish(
    State(state): State<Arc<HubState>>,
    Extension(ClientIp(client)): Extension<ClientIp>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let received = tokio::time::Instant::now();
    let identity = identify(&state, client, &headers)?;
    let body = read_body(body, &headers, state.config.max_http_body_bytes).await?;
    let reject = |error: ApiError| {
        state.metrics.publish_rejected.fetch_add(1, Relaxed);
        error
    };
    // The batch is validated whole: one bad event refuses all of it.
    let (batch, is_batch) = parse_batch(&body).map_err(reject)?;
    let mut routed = Vec::with_capacity(batch.len());
    for (i, (channel, event)) in batch.into_iter().enumerate() {
        let channel = state.check_publish(&identity, channel, &event).map_err(|e| reject(e.into()))?;
        state.check_event_size(&event).map_err(|(code, message)| {
            let message = if is_batch { format!("events[{i}]: {message}") } else { message };
            reject(ApiError::new(code, message))
        })?;
        routed.push((channel, event));
    }
    if !state.rate.try_take(&identity.org, &identity.sub, routed.len() as u32, received) {
        return Err(reject(ApiError::new(ErrorCode::RateLimited, "publish rate limit exceeded; retry later")));
    }
    let mut results = Vec::with_capacity(routed.len());
    for (channel, event) in &routed {
        let appended =
            state.registry.publish(&identity.org, channel, event, received).await.map_err(broker_unavailable)?;
        results.push(serde_json::json!({
            "channel": appended.channel, "offset": appended.offset, "duplicate": appended.duplicate,
        }));
    }
    Ok(axum::Json(serde_json::json!({ "results": results })).into_response())
}

#[derive(Deserialize)]
pub(super) struct HistoryParams {
    subject: Option<String>,
    since_offset: Option<u64>,
    epoch: Option<String>,
    limit: Option<usize>,
}

/// `GET /api/v1/channels/{channel}/history`: `history_rate_per_ip` first (429), then
/// authentication.
pub(super) async fn history(
    State(state): State<Arc<HubState>>,
    Extension(ClientIp(client)): Extension<ClientIp>,
    headers: HeaderMap,
    Path(channel): Path<String>,
    params: Result<Query<HistoryParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    if !state.history_rate.try_take(client) {
        state.metrics.history_rate_limited.fetch_add(1, Relaxed);
        tracing::debug!(%client, "history read refused: history_rate_per_ip reached");
        let message = "too many history reads from this address; retry later";
        return Err(ApiError::new(ErrorCode::RateLimited, message).retry_after(std::time::Duration::from_secs(1)));
    }
    let identity = identify(&state, client, &headers)?;
    let Query(params) = params.map_err(|e| ApiError::new(ErrorCode::BadRequest, e.body_text()))?;
    let channel = ChannelName::new(channel).map_err(|e| ApiError::new(ErrorCode::BadRequest, e.to_string()))?;
    state.check_channel(&channel)?;
    let subject = Subject::new(params.subject.unwrap_or_default())
        .map_err(|e| ApiError::new(ErrorCode::BadRequest, e.to_string()))?;
    if !identity.subscribe.allows(&channel, &subject) {
        return Err(ApiError::new(ErrorCode::Forbidden, format!("no subscribe permission for {channel}/{subject}")));
    }
    let limit = params.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
    let broker = state.registry.broker();
    let query = match params.since_offset {
        Some(offset) => {
            let epoch = match params.epoch {
                Some(epoch) => epoch,
                None => broker.epoch().await.map_err(broker_unavailable)?.to_string(),
            };
            HistoryQuery::Since { epoch, offset, limit }
        }
        None => HistoryQuery::Latest { limit },
    };
    let history = broker.history(&identity.org, &channel, &subject, query).await.map_err(broker_unavailable)?;
    // Each item is the stored `event` frame: {"type","channel","offset","event"}.
    let mut body = serde_json::to_string(&serde_json::json!({
        "epoch": &*history.epoch, "offset": history.latest, "recovered": history.recovered,
    }))
    .expect("json");
    body.pop();
    body.push_str(",\"events\":[");
    for (i, event) in history.events.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str(event.frame.as_str());
    }
    body.push_str("]}");
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

#[derive(Deserialize)]
pub(super) struct DevTokenParams {
    role: Option<String>,
    sub: Option<String>,
    org: Option<String>,
}

/// How long a token from the development endpoint lives.
const DEV_TOKEN_LIFETIME_MS: u64 = 3_600_000;

/// `GET /api/v1/dev/token?role=&sub=&org=` (development mode only, docs/protocol.md §8): a
/// fresh one-hour token for tenant `dev`, signed with the hub's own random secret.
///
/// `role` is `subscriber` (default: the default subscribe permissions, `sub` default
/// `dev-user`) or `publisher` (`publish`/`subscribe` `["*"]`, `sub` default `dev-publisher`).
/// `org`, when given, must be `dev`: another is `forbidden` (403). A `sub` the hub would
/// refuse in a token, or an unknown `role`, is `bad_request` (400).
pub(super) async fn dev_token(
    State(state): State<Arc<HubState>>,
    params: Result<Query<DevTokenParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    use crate::dev::{DEV_TENANT, DevRole};
    let Some(secret) = &state.config.dev_token_secret else {
        return Err(ApiError::new(ErrorCode::Forbidden, "not in development mode"));
    };
    let Query(params) = params.map_err(|e| ApiError::new(ErrorCode::BadRequest, e.body_text()))?;
    if let Some(org) = params.org.filter(|org| !org.is_empty() && org != DEV_TENANT) {
        let message = format!("development mode mints tokens for tenant `{DEV_TENANT}` only, not {org:?}");
        return Err(ApiError::new(ErrorCode::Forbidden, message));
    }
    let role = match params.role.as_deref().filter(|role| !role.is_empty()) {
        None => DevRole::Subscriber,
        Some(role) => DevRole::parse(role).ok_or_else(|| {
            ApiError::new(ErrorCode::BadRequest, "role must be `subscriber` (the default) or `publisher`")
        })?,
    };
    let sub = params.sub.filter(|s| !s.is_empty()).unwrap_or_else(|| role.default_sub().to_owned());
    crate::auth::check_identifier("sub", &sub).map_err(|problem| ApiError::new(ErrorCode::BadRequest, problem))?;
    let exp_ms = unix_millis_now() + DEV_TOKEN_LIFETIME_MS;
    let token = crate::dev::mint(secret, role, &sub, exp_ms, &state.config);
    // `exp` is whole seconds: report what the token says.
    let expires_at = herald_event_types::Timestamp::from_unix_millis(exp_ms / 1000 * 1000);
    Ok(axum::Json(serde_json::json!({ "token": token, "expires_at": expires_at })).into_response())
}
