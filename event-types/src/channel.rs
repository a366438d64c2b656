//! Channel names and subjects (docs/protocol.md §3).
//!
//! A [`ChannelName`] names an ordered, per-tenant stream; a [`Subject`] names the entity an
//! event is about inside it. Both are validated when built or decoded, so code that holds
//! one never has to check it again.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Longest channel name, in bytes (docs/protocol.md §3: `[a-z0-9_-]{1,64}`).
pub const MAX_CHANNEL_LEN: usize = 64;
/// Longest subject, in bytes. A Herald addition (docs/protocol.md §3).
pub const MAX_SUBJECT_LEN: usize = 256;

/// A validated channel name: 1 to 64 characters of `[a-z0-9_-]`.
///
/// ```
/// use herald_event_types::ChannelName;
/// let channel: ChannelName = "pipeline".parse().unwrap();
/// assert_eq!(channel.as_str(), "pipeline");
/// assert!("Pipeline".parse::<ChannelName>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChannelName(String);

/// Why a text is not a valid [`ChannelName`]. Hubs answer it with `bad_request`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("channel name must be 1 to 64 characters of [a-z0-9_-]")]
pub struct ParseChannelError;

impl ChannelName {
    /// Validates `name`.
    ///
    /// # Errors
    /// [`ParseChannelError`] when `name` is empty, longer than 64 bytes, or contains a
    /// character outside `[a-z0-9_-]`.
    pub fn new(name: impl Into<String>) -> Result<Self, ParseChannelError> {
        let name = name.into();
        if Self::is_valid(&name) { Ok(Self(name)) } else { Err(ParseChannelError) }
    }

    /// Whether `name` is a valid channel name.
    pub fn is_valid(name: &str) -> bool {
        !name.is_empty()
            && name.len() <= MAX_CHANNEL_LEN
            && name.bytes().all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-'))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for ChannelName {
    type Err = ParseChannelError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl TryFrom<&str> for ChannelName {
    type Error = ParseChannelError;
    fn try_from(s: &str) -> Result<Self, Self::Error> {
        Self::new(s)
    }
}

impl TryFrom<String> for ChannelName {
    type Error = ParseChannelError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::new(s)
    }
}

impl fmt::Display for ChannelName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for ChannelName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Serialize for ChannelName {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for ChannelName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::new(text).map_err(serde::de::Error::custom)
    }
}

/// A validated subject: `""` or `/`-separated, non-empty segments (`p-42/e-7`).
///
/// At most 256 bytes, no ASCII control characters. A subscription's subject is a prefix
/// that matches whole segments: `p-42` matches `p-42` and `p-42/e-7`, not `p-420`.
///
/// ```
/// use herald_event_types::Subject;
/// let prefix: Subject = "p-42".parse().unwrap();
/// assert!(prefix.matches(&"p-42/e-7".parse().unwrap()));
/// assert!(!prefix.matches(&"p-420".parse().unwrap()));
/// assert!(Subject::default().matches(&prefix)); // "" matches everything
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Subject(String);

/// Why a text is not a valid [`Subject`]. Hubs answer it with `bad_request`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("subject must be empty or '/'-separated non-empty segments, at most 256 bytes, without control characters")]
pub struct ParseSubjectError;

impl Subject {
    /// Validates `subject`.
    ///
    /// # Errors
    /// [`ParseSubjectError`] when a segment is empty (`a//b`, `/a`, `a/`), the text is
    /// longer than 256 bytes, or it contains an ASCII control character.
    pub fn new(subject: impl Into<String>) -> Result<Self, ParseSubjectError> {
        let subject = subject.into();
        if Self::is_valid(&subject) { Ok(Self(subject)) } else { Err(ParseSubjectError) }
    }

    /// Whether `subject` is a valid subject.
    pub fn is_valid(subject: &str) -> bool {
        subject.is_empty()
            || (subject.len() <= MAX_SUBJECT_LEN
                && !subject.chars().any(|c| c.is_ascii_control())
                && subject.split('/').all(|segment| !segment.is_empty()))
    }

    /// The subject as text (`""` for none).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is the empty subject, which matches every subject as a prefix.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `self`, taken as a subscription prefix, matches `subject` on whole segments.
    pub fn matches(&self, subject: &Self) -> bool {
        let (prefix, full) = (self.0.as_str(), subject.0.as_str());
        prefix.is_empty() || full.strip_prefix(prefix).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    }
}

impl FromStr for Subject {
    type Err = ParseSubjectError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl TryFrom<&str> for Subject {
    type Error = ParseSubjectError;
    fn try_from(s: &str) -> Result<Self, Self::Error> {
        Self::new(s)
    }
}

impl TryFrom<String> for Subject {
    type Error = ParseSubjectError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::new(s)
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Subject {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Serialize for Subject {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Subject {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::new(text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_names_follow_the_protocol_grammar() {
        for ok in ["pipeline", "a", "x_y-z9", &"a".repeat(64)] {
            assert!(ChannelName::is_valid(ok), "{ok}");
        }
        for bad in ["", "Pipeline", "a b", "a/b", "é", &"a".repeat(65), "pipeline*"] {
            assert!(!ChannelName::is_valid(bad), "{bad}");
        }
    }

    #[test]
    fn subjects_reject_empty_segments_and_control_characters() {
        for ok in ["", "p-42", "p-42/e-7", "a b/ü"] {
            assert!(Subject::is_valid(ok), "{ok}");
        }
        for bad in ["/", "/a", "a/", "a//b", "a\nb", "a\u{0}", &"a".repeat(257)] {
            assert!(!Subject::is_valid(bad), "{bad:?}");
        }
    }

    #[test]
    fn subject_prefixes_match_whole_segments() {
        let s = |t: &str| Subject::new(t).unwrap();
        assert!(s("p-42").matches(&s("p-42")));
        assert!(s("p-42").matches(&s("p-42/e-7")));
        assert!(!s("p-42").matches(&s("p-420")));
        assert!(!s("p-42/e-7").matches(&s("p-42")));
        assert!(s("").matches(&s("anything/at/all")));
        assert!(!s("p").matches(&s("")));
    }
}
