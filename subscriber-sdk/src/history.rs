//! [`Client::history`](crate::Client::history): one page of a channel's history over HTTP
//! (docs/protocol.md §8), natively with reqwest and in the browser with `fetch`.

use herald_event_types::frame::EventFrame;
use herald_event_types::{ChannelName, ErrorCode, ServerFrame, StreamPosition, Subject};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::error::Error;

/// The largest history answer read, in bytes (1000 events of the hub's default 64 KiB cap,
/// plus framing).
const MAX_BODY_BYTES: usize = 72 << 20;

/// Time allowed to connect to the hub for a history read (as for the WebSocket).
#[cfg(not(target_arch = "wasm32"))]
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15);

/// Time allowed for a whole history read, answer included.
#[cfg(not(target_arch = "wasm32"))]
const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// What to read: a subject prefix, where to start, how many.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct HistoryQuery {
    /// Subject prefix; `""` (default) for the whole channel.
    pub subject: Subject,
    /// Read the events after this position. Default: none, i.e. the latest `limit` events.
    pub since: Option<StreamPosition>,
    /// At most this many events (the hub's default 100, capped at 1000). Default: none.
    pub limit: Option<u32>,
}

impl HistoryQuery {
    /// The latest events of the whole channel.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only events under subject prefix `subject`.
    pub fn subject(mut self, subject: Subject) -> Self {
        self.subject = subject;
        self
    }

    /// Only events after `position` (its epoch must still be the hub's, or `recovered` is false).
    pub fn since(mut self, position: StreamPosition) -> Self {
        self.since = Some(position);
        self
    }

    /// At most `limit` events.
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }
}

/// One page of history.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct HistoryPage {
    /// The channel's epoch.
    pub epoch: String,
    /// The channel's latest offset.
    pub offset: u64,
    /// `true` when `since` was given and every event after it is in this page or later ones.
    pub recovered: bool,
    /// The events, oldest first, each exactly the `event` frame a subscriber received.
    pub events: Vec<EventFrame>,
}

#[derive(Deserialize)]
struct Body<'a> {
    epoch: String,
    offset: u64,
    #[serde(default)]
    recovered: bool,
    #[serde(borrow)]
    events: Vec<&'a RawValue>,
}

/// The request URL.
fn url(ws_url: &str, channel: &ChannelName, query: &HistoryQuery) -> String {
    use crate::url::encode;
    let mut url = format!(
        "{}/api/v1/channels/{}/history?subject={}",
        crate::url::http_base(ws_url),
        encode(channel.as_str()),
        encode(query.subject.as_str())
    );
    if let Some(since) = &query.since {
        url.push_str(&format!("&since_offset={}&epoch={}", since.offset, encode(&since.epoch)));
    }
    if let Some(limit) = query.limit {
        url.push_str(&format!("&limit={limit}"));
    }
    url
}

/// Reads the answer: a page on 200, the hub's `{"code","message"}` otherwise.
fn parse(url: &str, status: u16, body: &[u8]) -> Result<HistoryPage, Error> {
    let http = |code: Option<ErrorCode>, message: String| Error::Http { url: url.to_owned(), status, code, message };
    if status != 200 {
        // A struct, not `serde_json::Value`: the browser build then carries no float parser.
        #[derive(Deserialize, Default)]
        struct Refusal {
            code: Option<String>,
            #[serde(default)]
            message: String,
        }
        let body: Refusal = serde_json::from_slice(body).unwrap_or_default();
        return Err(http(body.code.as_deref().map(ErrorCode::from), body.message));
    }
    let page: Body<'_> = serde_json::from_slice(body).map_err(|e| http(None, format!("not a history page: {e}")))?;
    let mut events = Vec::with_capacity(page.events.len());
    for raw in page.events {
        match ServerFrame::decode(raw.get()) {
            Ok(ServerFrame::Event(frame)) => events.push(frame),
            _ => return Err(http(None, "a history item is not an event frame".to_owned())),
        }
    }
    Ok(HistoryPage { epoch: page.epoch, offset: page.offset, recovered: page.recovered, events })
}

#[cfg(not(target_arch = "wasm32"))]
pub(crate) async fn fetch(
    ws_url: &str,
    token: &str,
    channel: &ChannelName,
    query: &HistoryQuery,
) -> Result<HistoryPage, Error> {
    let url = url(ws_url, channel, query);
    if url.starts_with("https://") {
        let message = "https:// needs TLS, which this build of the client does not have".to_owned();
        return Err(Error::Http { url, status: 0, code: None, message });
    }
    let unreachable = |e: reqwest::Error| {
        // reqwest's own message hides the cause ("error sending request"): add the chain.
        let mut message = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(cause) = source {
            message.push_str(&format!(": {cause}"));
            source = cause.source();
        }
        Error::Http { url: url.clone(), status: 0, code: None, message }
    };
    let client = reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .build()
        .map_err(unreachable)?;
    let mut response = client.get(&url).bearer_auth(token).send().await.map_err(unreachable)?;
    let status = response.status().as_u16();
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(unreachable)? {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_BODY_BYTES {
            let message = format!("the answer is larger than {MAX_BODY_BYTES} bytes");
            return Err(Error::Http { url, status, code: None, message });
        }
    }
    parse(&url, status, &body)
}

#[cfg(target_arch = "wasm32")]
pub(crate) async fn fetch(
    ws_url: &str,
    token: &str,
    channel: &ChannelName,
    query: &HistoryQuery,
) -> Result<HistoryPage, Error> {
    use js_sys::{Function, Object, Reflect};
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;

    let url = url(ws_url, channel, query);
    let failed = |e: JsValue| Error::Http {
        url: url.clone(),
        status: 0,
        code: None,
        message: e
            .as_string()
            .or_else(|| e.dyn_ref::<js_sys::Error>().map(|e| String::from(e.message())))
            .unwrap_or_else(|| "fetch failed".to_owned()),
    };
    let global = js_sys::global();
    let fetch: Function = Reflect::get(&global, &"fetch".into()).map_err(failed)?.dyn_into().map_err(failed)?;
    let headers = Object::new();
    Reflect::set(&headers, &"Authorization".into(), &format!("Bearer {token}").into()).map_err(failed)?;
    let init = Object::new();
    Reflect::set(&init, &"headers".into(), &headers).map_err(failed)?;
    let promise: js_sys::Promise =
        fetch.call2(&global, &url.as_str().into(), &init).map_err(failed)?.dyn_into().map_err(failed)?;
    let response: web_sys::Response = JsFuture::from(promise).await.map_err(failed)?.dyn_into().map_err(failed)?;
    let status = response.status();
    let text = JsFuture::from(response.text().map_err(failed)?).await.map_err(failed)?;
    let text = text.as_string().unwrap_or_default();
    if text.len() > MAX_BODY_BYTES {
        return Err(Error::Http {
            url,
            status,
            code: None,
            message: format!("the answer is larger than {MAX_BODY_BYTES} bytes"),
        });
    }
    parse(&url, status, text.as_bytes())
}
