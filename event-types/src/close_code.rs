//! WebSocket close codes and what a client does after each (docs/protocol.md §7).
//!
//! | code | name | client action |
//! |---|---|---|
//! | 1000 | normal | none |
//! | 1001 | going_away (hub shutdown) | reconnect with jittered backoff, then recover |
//! | 1002 / 1007 / 1009 | protocol error / bad UTF-8 / too big | fix the client; do not loop |
//! | 4401 | unauthorized / token expired | get a fresh token, then reconnect |
//! | 4408 | heartbeat or auth timeout | reconnect |
//! | 4409 | slow consumer | reconnect and recover with `since` |
//! | 4429 | rate limited | reconnect after at least the backoff cap |
//! | 4500 | protocol violation | stop |
//! | 4503 | forbidden | stop |
//!
//! Any other 4000–4499 code: reconnect; any other 4500–4999 code: stop. Codes outside
//! both ranges that the table does not name (1006 abnormal closure, 1011 server error,
//! 1012 restart, …) are treated as network failures: reconnect with backoff.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A WebSocket close code, with Herald's meaning and reconnect policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CloseCode {
    /// 1000: closed on purpose. The client does nothing.
    Normal,
    /// 1001: the hub is shutting down. Reconnect with jittered backoff, then recover.
    GoingAway,
    /// 1002: WebSocket protocol error. A client bug: do not reconnect in a loop.
    ProtocolError,
    /// 1007: a text frame that is not UTF-8. A client bug: do not reconnect in a loop.
    InvalidPayload,
    /// 1009: a message over the hub's size limit. A client bug: do not reconnect in a loop.
    MessageTooBig,
    /// 4401: missing, invalid or expired token. Get a fresh token, then reconnect.
    Unauthorized,
    /// 4408: no pong within the timeout, or no authentication in time. Reconnect.
    Timeout,
    /// 4409: the connection's outbound queue overflowed. Reconnect and recover with `since`.
    SlowConsumer,
    /// 4429: rate limited. Reconnect after at least the backoff cap.
    RateLimited,
    /// 4500: repeated bad frames. Stop.
    ProtocolViolation,
    /// 4503: tenant disabled or permissions revoked. Stop.
    Forbidden,
    /// Any other code.
    Other(u16),
}

/// What a client does after a close, derived from the code alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reconnect {
    /// Do not reconnect.
    Never,
    /// Reconnect after the usual jittered backoff.
    Backoff,
    /// Get a fresh token first, then reconnect after the backoff.
    RefreshToken,
    /// Reconnect, but wait at least the backoff cap.
    AfterBackoffCap,
}

impl CloseCode {
    /// The numeric code.
    pub const fn as_u16(self) -> u16 {
        match self {
            Self::Normal => 1000,
            Self::GoingAway => 1001,
            Self::ProtocolError => 1002,
            Self::InvalidPayload => 1007,
            Self::MessageTooBig => 1009,
            Self::Unauthorized => 4401,
            Self::Timeout => 4408,
            Self::SlowConsumer => 4409,
            Self::RateLimited => 4429,
            Self::ProtocolViolation => 4500,
            Self::Forbidden => 4503,
            Self::Other(code) => code,
        }
    }

    /// The code's name in the protocol table (`slow_consumer`); `other` for unnamed codes.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Normal => "normal",
            Self::GoingAway => "going_away",
            Self::ProtocolError => "protocol_error",
            Self::InvalidPayload => "invalid_payload",
            Self::MessageTooBig => "message_too_big",
            Self::Unauthorized => "unauthorized",
            Self::Timeout => "timeout",
            Self::SlowConsumer => "slow_consumer",
            Self::RateLimited => "rate_limited",
            Self::ProtocolViolation => "protocol_violation",
            Self::Forbidden => "forbidden",
            Self::Other(_) => "other",
        }
    }

    /// What the client should do next (see the module table).
    pub const fn reconnect(self) -> Reconnect {
        match self {
            Self::Normal | Self::ProtocolError | Self::InvalidPayload | Self::MessageTooBig => Reconnect::Never,
            Self::ProtocolViolation | Self::Forbidden => Reconnect::Never,
            Self::Unauthorized => Reconnect::RefreshToken,
            Self::RateLimited => Reconnect::AfterBackoffCap,
            Self::GoingAway | Self::Timeout | Self::SlowConsumer => Reconnect::Backoff,
            Self::Other(code) if code >= 4500 && code <= 4999 => Reconnect::Never,
            Self::Other(_) => Reconnect::Backoff,
        }
    }

    /// Whether the client may reconnect after this close.
    pub const fn can_reconnect(self) -> bool {
        !matches!(self.reconnect(), Reconnect::Never)
    }
}

impl From<u16> for CloseCode {
    fn from(code: u16) -> Self {
        match code {
            1000 => Self::Normal,
            1001 => Self::GoingAway,
            1002 => Self::ProtocolError,
            1007 => Self::InvalidPayload,
            1009 => Self::MessageTooBig,
            4401 => Self::Unauthorized,
            4408 => Self::Timeout,
            4409 => Self::SlowConsumer,
            4429 => Self::RateLimited,
            4500 => Self::ProtocolViolation,
            4503 => Self::Forbidden,
            other => Self::Other(other),
        }
    }
}

impl From<CloseCode> for u16 {
    fn from(code: CloseCode) -> Self {
        code.as_u16()
    }
}

impl fmt::Display for CloseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.as_u16(), self.name())
    }
}

impl Serialize for CloseCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u16(self.as_u16())
    }
}

impl<'de> Deserialize<'de> for CloseCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        u16::deserialize(deserializer).map(Self::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reconnect_policy_follows_the_protocol_table() {
        for (code, reconnect) in [
            (1000, false),
            (1001, true),
            (1002, false),
            (1007, false),
            (1009, false),
            (4401, true),
            (4408, true),
            (4409, true),
            (4429, true),
            (4500, false),
            (4503, false),
            (4000, true),
            (4499, true),
            (4999, false),
            (1006, true),
            (1011, true),
        ] {
            assert_eq!(CloseCode::from(code).can_reconnect(), reconnect, "{code}");
        }
        assert_eq!(CloseCode::from(4401).reconnect(), Reconnect::RefreshToken);
        assert_eq!(CloseCode::from(4429).reconnect(), Reconnect::AfterBackoffCap);
    }

    #[test]
    fn codes_round_trip_through_u16() {
        for code in [1000, 1001, 1002, 1007, 1009, 4401, 4408, 4409, 4429, 4500, 4503, 4123] {
            assert_eq!(CloseCode::from(code).as_u16(), code);
        }
    }
}
