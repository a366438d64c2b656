//! Hub → client frames (docs/protocol.md §1, §4, §5).

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::{AuthErrorCode, ErrorCode, FrameError, body, read_head, utf8};
use crate::channel::{ChannelName, Subject};
use crate::envelope::{Envelope, Timestamp};

/// A frame the hub sends to a client.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ServerFrame {
    /// Authentication (or a refresh) succeeded.
    Authenticated(Authenticated),
    /// Authentication failed; the hub closes with 4401 (4408 for `auth_timeout`).
    AuthError(AuthError),
    /// A subscription is active; replayed events follow.
    Subscribed(Subscribed),
    /// A subscription was dropped.
    Unsubscribed(Unsubscribed),
    /// A publish was accepted (or was a duplicate).
    Published(Published),
    /// Answer to `ping`.
    Pong(Pong),
    /// A request failed; the connection stays open.
    Error(ErrorFrame),
    /// One event of a subscribed channel.
    Event(EventFrame),
    /// A `final` event ended the subscriptions to exactly this subject.
    SubjectEnded(SubjectEnded),
}

/// The authenticated user, as the token says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// The token's `sub`.
    pub id: String,
    /// The token's `org`: the tenant.
    pub org: String,
    /// The token's `name`, when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// `authenticated`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Authenticated {
    /// The `id` of the `authenticate` frame, when it had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<u32>,
    /// The hub's id for this connection (for logs and support).
    pub connection_id: String,
    /// Who the token says the client is.
    pub user: User,
    /// The hub's ping interval, in milliseconds.
    pub heartbeat_ms: u64,
    /// When the token expires (RFC 3339 UTC); refresh before, or be closed with 4401 at
    /// `expires_at + token_grace`.
    pub expires_at: Timestamp,
}

/// `auth_error`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthError {
    /// The `id` of the `authenticate` frame, when it had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<u32>,
    /// Why.
    pub code: AuthErrorCode,
    /// Details for humans.
    pub message: String,
}

/// `subscribed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscribed {
    /// The `id` of the `subscribe` frame, when it had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<u32>,
    /// The channel.
    pub channel: ChannelName,
    /// The subscription's subject prefix (`""` for the whole channel).
    #[serde(default)]
    pub subject: Subject,
    /// The channel's epoch.
    pub epoch: String,
    /// The channel's latest offset (0 when it has no events yet).
    pub offset: u64,
    /// `true` only when every event after `since` of the same epoch that matches was
    /// replayed; otherwise the client must reload its state.
    pub recovered: bool,
    /// How many events are replayed after this frame.
    pub replayed: u64,
}

/// `unsubscribed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unsubscribed {
    /// The `id` of the `unsubscribe` frame, when it had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<u32>,
    /// The channel.
    pub channel: ChannelName,
    /// The subject prefix.
    #[serde(default)]
    pub subject: Subject,
}

/// `published`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Published {
    /// The `id` of the `publish` frame, when it had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<u32>,
    /// The channel the event went to.
    pub channel: ChannelName,
    /// The event's offset (the first offset, for a duplicate).
    pub offset: u64,
    /// `true` when this event id was already published within the dedup window; it was
    /// not delivered again.
    pub duplicate: bool,
}

/// `pong`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pong {
    /// The `id` of the `ping` frame, when it had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<u32>,
}

/// `error`: a request failed; the connection stays open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorFrame {
    /// The `id` of the failed request, when it had a valid one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<u32>,
    /// What went wrong.
    pub code: ErrorCode,
    /// Details for humans.
    pub message: String,
}

/// `event`: one event of a subscribed channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventFrame {
    /// The channel.
    pub channel: ChannelName,
    /// The event's offset in the channel.
    pub offset: u64,
    /// The event.
    pub event: Envelope,
}

impl EventFrame {
    /// Encodes an `event` frame around an already serialised envelope, without decoding
    /// it: what a hub does once per event, sharing the bytes with every subscriber.
    pub fn encode(channel: &ChannelName, offset: u64, event: &RawValue) -> String {
        #[derive(Serialize)]
        struct Borrowed<'a> {
            #[serde(rename = "type")]
            ty: &'static str,
            channel: &'a ChannelName,
            offset: u64,
            event: &'a RawValue,
        }
        serde_json::to_string(&Borrowed { ty: "event", channel, offset, event })
            .expect("an event frame always serialises")
    }
}

/// `subject_ended`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectEnded {
    /// The channel.
    pub channel: ChannelName,
    /// The subject whose subscriptions ended.
    pub subject: Subject,
}

impl ServerFrame {
    /// Decodes a hub frame from the text of a WebSocket message.
    ///
    /// # Errors
    /// A [`FrameError`]: `unknown_type` for a frame type this version does not know (a
    /// client should ignore it: the hub may be newer), `bad_request` for malformed frames.
    pub fn decode(text: &str) -> Result<Self, FrameError> {
        let (ty, reply_to) = read_head(text)?;
        Ok(match ty.as_ref() {
            "event" => Self::Event(body(text, "event", reply_to)?),
            "authenticated" => Self::Authenticated(body(text, "authenticated", reply_to)?),
            "auth_error" => Self::AuthError(body(text, "auth_error", reply_to)?),
            "subscribed" => Self::Subscribed(body(text, "subscribed", reply_to)?),
            "unsubscribed" => Self::Unsubscribed(body(text, "unsubscribed", reply_to)?),
            "published" => Self::Published(body(text, "published", reply_to)?),
            "pong" => Self::Pong(body(text, "pong", reply_to)?),
            "error" => Self::Error(body(text, "error", reply_to)?),
            "subject_ended" => Self::SubjectEnded(body(text, "subject_ended", reply_to)?),
            other => {
                let shown: String = other.chars().take(64).collect();
                return Err(FrameError::new(ErrorCode::UnknownType, reply_to, format!("unknown frame type {shown:?}")));
            }
        })
    }

    /// Decodes a hub frame from bytes; invalid UTF-8 is an error, never a panic.
    ///
    /// # Errors
    /// As [`ServerFrame::decode`].
    pub fn decode_bytes(bytes: &[u8]) -> Result<Self, FrameError> {
        Self::decode(utf8(bytes)?)
    }

    /// Encodes the frame as compact JSON, `type` first.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("server frames always serialise")
    }
}
