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
/// At most 256 bytes, and none of the characters [`Subject::forbids`]: control characters,
/// invisible format characters (bidi controls, zero-width characters, the soft hyphen, …)
/// and the line and paragraph separators. A subscription's subject is a prefix that matches
/// whole segments: `p-42` matches `p-42` and `p-42/e-7`, not `p-420`.
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
#[error(
    "subject must be empty or '/'-separated non-empty segments, at most 256 bytes, without control, invisible format or line separator characters"
)]
pub struct ParseSubjectError;

impl Subject {
    /// Validates `subject`.
    ///
    /// # Errors
    /// [`ParseSubjectError`] when a segment is empty (`a//b`, `/a`, `a/`), the text is
    /// longer than 256 bytes, or it contains a character that [`Subject::forbids`].
    pub fn new(subject: impl Into<String>) -> Result<Self, ParseSubjectError> {
        let subject = subject.into();
        if Self::is_valid(&subject) { Ok(Self(subject)) } else { Err(ParseSubjectError) }
    }

    /// Whether `subject` is a valid subject.
    pub fn is_valid(subject: &str) -> bool {
        subject.is_empty()
            || (subject.len() <= MAX_SUBJECT_LEN
                && !subject.chars().any(Self::forbids)
                && subject.split('/').all(|segment| !segment.is_empty()))
    }

    /// Whether `c` may never appear in a subject (docs/protocol.md §3): a control character
    /// (Unicode general category Cc: C0, DEL and C1), an invisible format character
    /// (category Cf: bidi embeddings, overrides, isolates and marks, zero-width characters,
    /// the word joiner, the byte order mark, the soft hyphen, tag characters, …), or the line
    /// and paragraph separators U+2028 and U+2029. These render as nothing or reorder text,
    /// so two subjects that differ only by them would look the same in logs and dashboards.
    ///
    /// ```
    /// use herald_event_types::Subject;
    /// assert!(Subject::forbids('\n') && Subject::forbids('\u{202E}') && Subject::forbids('\u{200B}'));
    /// assert!(!Subject::forbids('ü') && !Subject::forbids(' ') && !Subject::forbids('/'));
    /// ```
    pub fn forbids(c: char) -> bool {
        c.is_control() || c == '\u{2028}' || c == '\u{2029}' || is_format_char(c)
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

/// The characters of Unicode general category Cf (format), as sorted, inclusive ranges:
/// `DerivedGeneralCategory.txt` of Unicode 15.0 to 18.0 (unchanged between them).
const FORMAT_CHARS: [(char, char); 21] = [
    ('\u{00AD}', '\u{00AD}'),   // soft hyphen
    ('\u{0600}', '\u{0605}'),   // Arabic number signs
    ('\u{061C}', '\u{061C}'),   // Arabic letter mark
    ('\u{06DD}', '\u{06DD}'),   // Arabic end of ayah
    ('\u{070F}', '\u{070F}'),   // Syriac abbreviation mark
    ('\u{0890}', '\u{0891}'),   // Arabic pound and piastre marks above
    ('\u{08E2}', '\u{08E2}'),   // Arabic disputed end of ayah
    ('\u{180E}', '\u{180E}'),   // Mongolian vowel separator
    ('\u{200B}', '\u{200F}'),   // zero width space, (non-)joiner, LRM, RLM
    ('\u{202A}', '\u{202E}'),   // bidi embeddings and overrides
    ('\u{2060}', '\u{2064}'),   // word joiner, invisible operators
    ('\u{2066}', '\u{206F}'),   // bidi isolates, deprecated format characters
    ('\u{FEFF}', '\u{FEFF}'),   // zero width no-break space (byte order mark)
    ('\u{FFF9}', '\u{FFFB}'),   // interlinear annotation
    ('\u{110BD}', '\u{110BD}'), // Kaithi number sign
    ('\u{110CD}', '\u{110CD}'), // Kaithi number sign above
    ('\u{13430}', '\u{1343F}'), // Egyptian hieroglyph format controls
    ('\u{1BCA0}', '\u{1BCA3}'), // shorthand format controls
    ('\u{1D173}', '\u{1D17A}'), // musical symbol beam and phrase controls
    ('\u{E0001}', '\u{E0001}'), // language tag
    ('\u{E0020}', '\u{E007F}'), // tag characters
];

/// Whether `c` is in Unicode general category Cf.
fn is_format_char(c: char) -> bool {
    FORMAT_CHARS
        .binary_search_by(|&(low, high)| {
            if high < c {
                std::cmp::Ordering::Less
            } else if low > c {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
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
    fn subjects_reject_bidi_controls_invisible_format_characters_and_line_separators() {
        // Each would make two different subjects print the same (or reorder the text
        // around them) in a log line or a dashboard.
        let hidden = [
            '\u{80}',
            '\u{85}',
            '\u{9F}', // C1 controls (Cc), beyond ASCII
            '\u{AD}', // soft hyphen
            '\u{61C}',
            '\u{200E}',
            '\u{200F}', // bidi marks
            '\u{202A}',
            '\u{202B}',
            '\u{202C}',
            '\u{202D}',
            '\u{202E}', // embeddings, overrides
            '\u{2066}',
            '\u{2067}',
            '\u{2068}',
            '\u{2069}', // isolates
            '\u{200B}',
            '\u{200C}',
            '\u{200D}',
            '\u{2060}',
            '\u{FEFF}', // zero-width
            '\u{2028}',
            '\u{2029}', // line and paragraph separators
            '\u{180E}',
            '\u{FFF9}',
            '\u{110BD}',
            '\u{1343F}',
            '\u{1D173}',
            '\u{E0001}',
            '\u{E0041}',
            '\u{E007F}',
        ];
        for c in hidden {
            assert!(Subject::forbids(c), "U+{:04X}", u32::from(c));
            for text in [format!("p-42{c}"), format!("{c}p-42"), format!("p-42/e{c}-7"), c.to_string()] {
                assert!(!Subject::is_valid(&text), "{text:?}");
                assert!(text.parse::<Subject>().is_err(), "{text:?}");
                assert!(serde_json::from_value::<Subject>(serde_json::Value::String(text.clone())).is_err());
            }
        }
        // Visible characters next to the forbidden ranges, spaces and other scripts stay valid.
        for ok in ['\u{A0}', '\u{AC}', '\u{AE}', '\u{5FF}', '\u{606}', '\u{200A}', '\u{2010}', '\u{2027}', '\u{202F}']
            .into_iter()
            .chain(['\u{2065}', '\u{2070}', '\u{FEFE}', '\u{FF00}', '\u{FFFC}', '\u{E0000}', '\u{E0002}', '\u{E0080}'])
        {
            assert!(!Subject::forbids(ok), "U+{:04X}", u32::from(ok));
            assert!(Subject::is_valid(&format!("p-{ok}")), "U+{:04X}", u32::from(ok));
        }
        for ok in ["Ürün/ß", "日本/テスト", "a b", "emoji-🚀", "arabic-مرحبا"] {
            assert!(Subject::is_valid(ok), "{ok}");
        }
    }

    #[test]
    fn the_format_character_table_is_sorted_and_disjoint() {
        for pair in FORMAT_CHARS.windows(2) {
            assert!(pair[0].0 <= pair[0].1 && pair[0].1 < pair[1].0, "{pair:?}");
        }
        let count: u32 = FORMAT_CHARS.iter().map(|&(low, high)| u32::from(high) - u32::from(low) + 1).sum();
        assert_eq!(count, 170, "Unicode 15.0 to 18.0 have 170 characters of category Cf");
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
