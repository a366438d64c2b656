//! Client → hub frames (docs/protocol.md §4).

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::{ErrorCode, FrameError, StreamPosition, body, read_head, utf8};
use crate::channel::{ChannelName, Subject};
use crate::envelope::Envelope;

/// A frame a client sends to the hub.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ClientFrame {
    /// Authenticate, or refresh the token of a live connection.
    Authenticate(Authenticate),
    /// Subscribe to a channel (and a subject prefix).
    Subscribe(Subscribe),
    /// Drop a subscription.
    Unsubscribe(Unsubscribe),
    /// Publish one event.
    Publish(Publish),
    /// Application-level ping, answered by `pong`.
    Ping(Ping),
}

/// `authenticate`: a JWT for a new connection, or a fresh one for the same `sub` and `org`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Authenticate {
    /// Request id, echoed as `reply_to`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<u32>,
    /// The JWT. Never logged: `Debug` prints `<redacted>`.
    pub token: String,
}

impl fmt::Debug for Authenticate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authenticate").field("id", &self.id).field("token", &"<redacted>").finish()
    }
}

/// `subscribe`: answered by `subscribed`, then replayed events in order, then live events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscribe {
    /// Request id, echoed as `reply_to`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<u32>,
    /// The channel.
    pub channel: ChannelName,
    /// Subject prefix (whole segments); `""` (the default) means the whole channel.
    #[serde(default, skip_serializing_if = "Subject::is_empty")]
    pub subject: Subject,
    /// Resume after this position: replay every later event, or answer `recovered: false`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<StreamPosition>,
    /// Replay the last N events first (capped at the history size). `since` wins over it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<u32>,
}

/// `unsubscribe`: answered by `unsubscribed`, also when nothing was held.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unsubscribe {
    /// Request id, echoed as `reply_to`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<u32>,
    /// The channel.
    pub channel: ChannelName,
    /// The subject prefix of the subscription; `""` (the default) for the whole channel.
    #[serde(default, skip_serializing_if = "Subject::is_empty")]
    pub subject: Subject,
}

/// `publish`: answered by `published` with the event's offset.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Publish {
    /// Request id, echoed as `reply_to`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<u32>,
    /// The channel; default: the event category's channel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<ChannelName>,
    /// The event, validated on decode.
    pub event: Envelope,
}

/// `ping`: answered by `pong`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ping {
    /// Request id, echoed as `reply_to`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<u32>,
}

#[derive(Deserialize)]
struct PublishBody<'a> {
    #[serde(default)]
    id: Option<u32>,
    #[serde(default)]
    channel: Option<ChannelName>,
    #[serde(borrow, default)]
    event: Option<&'a RawValue>,
}

impl ClientFrame {
    /// Decodes a client frame from the text of a WebSocket message.
    ///
    /// # Errors
    /// A [`FrameError`] with the code to answer: `unknown_type` for a `type` this version
    /// does not know, `invalid_event` for a `publish` whose `event` is missing or breaks
    /// the envelope rules, `bad_request` for everything else (not JSON, wrong field types,
    /// an `id` that is not a u32, an invalid channel or subject). `reply_to` is set when
    /// the frame carried a valid `id`.
    pub fn decode(text: &str) -> Result<Self, FrameError> {
        let (ty, reply_to) = read_head(text)?;
        Ok(match ty.as_ref() {
            "authenticate" => Self::Authenticate(body(text, "authenticate", reply_to)?),
            "subscribe" => Self::Subscribe(body(text, "subscribe", reply_to)?),
            "unsubscribe" => Self::Unsubscribe(body(text, "unsubscribe", reply_to)?),
            "ping" => Self::Ping(body(text, "ping", reply_to)?),
            "publish" => {
                let raw: PublishBody<'_> = body(text, "publish", reply_to)?;
                let event = raw.event.filter(|e| e.get().starts_with('{')).ok_or_else(|| {
                    FrameError::new(ErrorCode::InvalidEvent, reply_to, "publish needs an object \"event\"")
                })?;
                let event = Envelope::from_json(event.get()).map_err(|e| {
                    FrameError::new(ErrorCode::InvalidEvent, reply_to, format!("invalid event: {}", e.describe()))
                })?;
                Self::Publish(Publish { id: raw.id, channel: raw.channel, event })
            }
            other => {
                let shown: String = other.chars().take(64).collect();
                return Err(FrameError::new(ErrorCode::UnknownType, reply_to, format!("unknown frame type {shown:?}")));
            }
        })
    }

    /// Decodes a client frame from bytes; invalid UTF-8 is `bad_request`, never a panic.
    ///
    /// # Errors
    /// As [`ClientFrame::decode`].
    pub fn decode_bytes(bytes: &[u8]) -> Result<Self, FrameError> {
        Self::decode(utf8(bytes)?)
    }

    /// Encodes the frame as compact JSON, `type` first.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("client frames always serialise")
    }

    /// The request id, if any.
    pub fn id(&self) -> Option<u32> {
        match self {
            Self::Authenticate(f) => f.id,
            Self::Subscribe(f) => f.id,
            Self::Unsubscribe(f) => f.id,
            Self::Publish(f) => f.id,
            Self::Ping(f) => f.id,
        }
    }
}
