//! Permission patterns (PROTOCOL.md §3). INTERFACE STUB.

use herald_event_types::{ChannelName, Subject};

/// A set of permission patterns (`channel`, `channel/subject-prefix`, `*`), with `${sub}`
/// already replaced.
#[derive(Debug, Clone, Default)]
pub struct Permissions {}

impl Permissions {
    /// Parses patterns, replacing `${sub}` with `sub`. Invalid patterns grant nothing.
    pub fn parse(patterns: &[String], sub: &str) -> Self {
        let _ = (patterns, sub);
        unimplemented!()
    }

    /// The default `subscribe` permissions: the six category channels, and `user` only
    /// under the caller's own `sub`.
    pub fn default_subscribe(sub: &str) -> Self {
        let _ = sub;
        unimplemented!()
    }

    /// No permissions (the default `publish`).
    pub fn none() -> Self {
        Self::default()
    }

    /// Whether one pattern covers `(channel, subject)`: the same channel (or `*`), and a
    /// subject prefix that matches `subject` on whole segments.
    pub fn allows(&self, channel: &ChannelName, subject: &Subject) -> bool {
        let _ = (channel, subject);
        unimplemented!()
    }
}
