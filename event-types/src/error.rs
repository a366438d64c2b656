//! Errors of decoding and encoding events and frames.

use crate::channel::ParseSubjectError;

/// Input that is not a valid envelope, event or frame. The input is rejected whole;
/// nothing is partially applied. Fix the sender; retrying the same bytes fails again.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// Not JSON, or JSON of the wrong shape (wrong types, missing fields, too deep).
    #[error("invalid JSON")]
    Json(#[source] serde_json::Error),
    /// Well-formed JSON that breaks a rule of the protocol.
    #[error("{0}")]
    Invalid(String),
}

impl DecodeError {
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self::Invalid(message.into())
    }

    /// A one-line description fit for an error frame sent back to the peer: it names the
    /// rule broken and, for JSON errors, the position.
    pub fn describe(&self) -> String {
        match self {
            Self::Json(err) => err.to_string(),
            Self::Invalid(message) => message.clone(),
        }
    }
}

/// A typed event that cannot be wrapped into an [`Envelope`](crate::Envelope).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// The event's subject (derived from its ids) is not a valid subject: an id is empty
    /// or the result is longer than 256 bytes. Fix the ids.
    #[error("event subject is invalid")]
    Subject(#[source] ParseSubjectError),
    /// A required text field is empty; the name of the field is given.
    #[error("{0} must not be empty")]
    Empty(&'static str),
    /// `data` is not a JSON object.
    #[error("event data must serialise to a JSON object")]
    NotAnObject,
    /// The event's `data` could not be serialised (a map with non-string keys, say).
    #[error("event data cannot be serialised")]
    Data(#[source] serde_json::Error),
}

/// An envelope's `data` that does not decode as the requested typed event.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DataError {
    /// The envelope holds another event type; route by `event_type` first.
    #[error("event type is {found:?}, not {expected:?}")]
    WrongType {
        /// The type that was asked for.
        expected: &'static str,
        /// The envelope's `event_type`.
        found: String,
    },
    /// `data` does not match the typed event's fields (a publisher bug or version skew).
    #[error("event data does not match its type")]
    Json(#[source] serde_json::Error),
}
