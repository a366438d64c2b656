//! Permission patterns (docs/protocol.md §3).
//!
//! A pattern is `channel` or `channel/subject-prefix`. `*` as the whole channel part stands
//! for any channel (`*`, `*/p-1`), and `${sub}` is replaced by the caller's `sub` before the
//! pattern is read. A pattern covers `(channel, subject)` when its channel is that channel
//! (or `*`) and its subject prefix (`""` when absent) matches `subject` on whole segments.
//! An invalid pattern grants nothing.

use herald_event_types::{ChannelName, Subject};

/// The placeholder replaced by the caller's `sub`.
const SUB_PLACEHOLDER: &str = "${sub}";

/// The channels of the six event categories, which a token without a `subscribe` claim
/// may read in full (all but `user`, which is limited to the caller's own `sub`).
const CATEGORY_CHANNELS: [&str; 5] = ["pipeline", "security", "debug", "system", "architecture"];

/// A set of permission patterns (`channel`, `channel/subject-prefix`, `*`), with `${sub}`
/// already replaced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Permissions {
    grants: Vec<Grant>,
}

/// One valid pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Grant {
    /// The channel, or `None` for `*` (any channel).
    channel: Option<ChannelName>,
    /// The subject prefix; `""` covers every subject.
    prefix: Subject,
}

impl Grant {
    /// Reads one pattern (with `${sub}` already replaced); `None` when it is invalid.
    fn parse(pattern: &str) -> Option<Self> {
        let (channel, prefix) = match pattern.split_once('/') {
            // `channel/` (an empty prefix after the slash) is malformed, not "everything".
            Some((_, "")) => return None,
            Some((channel, prefix)) => (channel, Subject::new(prefix).ok()?),
            None => (pattern, Subject::default()),
        };
        let channel = match channel {
            "*" => None,
            name => Some(ChannelName::new(name).ok()?),
        };
        Some(Self { channel, prefix })
    }

    fn covers(&self, channel: &ChannelName, subject: &Subject) -> bool {
        self.channel.as_ref().is_none_or(|own| own == channel) && self.prefix.matches(subject)
    }
}

impl Permissions {
    /// Parses patterns, replacing `${sub}` with `sub`. Invalid patterns grant nothing.
    pub fn parse(patterns: &[String], sub: &str) -> Self {
        let grants =
            patterns.iter().filter_map(|pattern| Grant::parse(&pattern.replace(SUB_PLACEHOLDER, sub))).collect();
        Self { grants }
    }

    /// The default `subscribe` permissions: the six category channels, and `user` only
    /// under the caller's own `sub`.
    pub fn default_subscribe(sub: &str) -> Self {
        let mut patterns: Vec<String> = CATEGORY_CHANNELS.iter().map(|c| (*c).to_owned()).collect();
        patterns.push(format!("user/{SUB_PLACEHOLDER}"));
        Self::parse(&patterns, sub)
    }

    /// No permissions (the default `publish`).
    pub fn none() -> Self {
        Self::default()
    }

    /// Whether no pattern was valid: nothing is allowed.
    pub fn is_empty(&self) -> bool {
        self.grants.is_empty()
    }

    /// Whether one pattern covers `(channel, subject)`: the same channel (or `*`), and a
    /// subject prefix that matches `subject` on whole segments.
    ///
    /// For a subscription to a subject prefix, pass that prefix: `user/u-1` allows
    /// `(user, "u-1")` and `(user, "u-1/x")` but not `(user, "")`.
    pub fn allows(&self, channel: &ChannelName, subject: &Subject) -> bool {
        self.grants.iter().any(|grant| grant.covers(channel, subject))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ch(name: &str) -> ChannelName {
        ChannelName::new(name).unwrap()
    }

    fn subj(text: &str) -> Subject {
        Subject::new(text).unwrap()
    }

    fn perms(patterns: &[&str], sub: &str) -> Permissions {
        let owned: Vec<String> = patterns.iter().map(|p| (*p).to_owned()).collect();
        Permissions::parse(&owned, sub)
    }

    #[test]
    fn a_bare_channel_covers_every_subject_in_it_and_nothing_else() {
        let p = perms(&["pipeline"], "u-1");
        assert!(p.allows(&ch("pipeline"), &subj("")));
        assert!(p.allows(&ch("pipeline"), &subj("p-42/e-7")));
        assert!(!p.allows(&ch("security"), &subj("")));
        assert!(!p.allows(&ch("pipelines"), &subj("")));
    }

    #[test]
    fn subject_prefixes_match_whole_segments() {
        let p = perms(&["pipeline/p-42"], "u-1");
        assert!(p.allows(&ch("pipeline"), &subj("p-42")));
        assert!(p.allows(&ch("pipeline"), &subj("p-42/e-7")));
        assert!(!p.allows(&ch("pipeline"), &subj("p-420")));
        assert!(!p.allows(&ch("pipeline"), &subj("p-4")));
        // A subscription to the whole channel is wider than the pattern.
        assert!(!p.allows(&ch("pipeline"), &subj("")));
        assert!(!p.allows(&ch("debug"), &subj("p-42")));

        let deep = perms(&["pipeline/p-42/e-7"], "u-1");
        assert!(deep.allows(&ch("pipeline"), &subj("p-42/e-7/step-1")));
        assert!(!deep.allows(&ch("pipeline"), &subj("p-42")));
        assert!(!deep.allows(&ch("pipeline"), &subj("p-42/e-70")));
    }

    #[test]
    fn sub_placeholder_is_replaced_by_the_callers_sub() {
        let p = perms(&["user/${sub}"], "u-1");
        assert!(p.allows(&ch("user"), &subj("u-1")));
        assert!(p.allows(&ch("user"), &subj("u-1/x")));
        assert!(!p.allows(&ch("user"), &subj("")));
        assert!(!p.allows(&ch("user"), &subj("u-2")));
        assert!(!p.allows(&ch("user"), &subj("u-10")));
        // Anywhere in the pattern, every occurrence, and only once (no re-expansion).
        let q = perms(&["${sub}/a/${sub}"], "svc");
        assert!(q.allows(&ch("svc"), &subj("a/svc")));
        let r = perms(&["user/${sub}"], "${sub}");
        assert!(r.allows(&ch("user"), &subj("${sub}")));
        // A `sub` that makes the pattern invalid grants nothing.
        assert!(perms(&["user/${sub}"], "a//b").is_empty());
        assert!(perms(&["user/${sub}"], "x\n").is_empty());
    }

    #[test]
    fn star_stands_for_any_channel() {
        let p = perms(&["*"], "u-1");
        for channel in ["pipeline", "user", "custom_1"] {
            assert!(p.allows(&ch(channel), &subj("")));
            assert!(p.allows(&ch(channel), &subj("a/b")));
        }
        let q = perms(&["*/p-1"], "u-1");
        assert!(q.allows(&ch("pipeline"), &subj("p-1")));
        assert!(q.allows(&ch("security"), &subj("p-1/scan-3")));
        assert!(!q.allows(&ch("pipeline"), &subj("p-10")));
        assert!(!q.allows(&ch("pipeline"), &subj("")));
    }

    #[test]
    fn invalid_patterns_grant_nothing_and_do_not_spoil_valid_ones() {
        let invalid = [
            "",
            "/",
            "/p-1",
            "pipe*",
            "*pipeline",
            "**",
            "*/",
            "pipeline/",
            "pipeline//p",
            "pipeline/p/",
            "Pipeline",
            "pipe line",
            "pipeline/p\u{0}",
            "pipeline/a\nb",
            "é",
        ];
        let long_channel = "a".repeat(65);
        let long_subject = format!("pipeline/{}", "s".repeat(257));
        let mut all: Vec<&str> = invalid.to_vec();
        all.push(&long_channel);
        all.push(&long_subject);
        for pattern in &all {
            let p = perms(&[pattern], "u-1");
            assert!(p.is_empty(), "{pattern:?} should grant nothing");
            assert!(!p.allows(&ch("pipeline"), &subj("")), "{pattern:?}");
            assert!(!p.allows(&ch("pipeline"), &subj("p")), "{pattern:?}");
        }
        all.push("debug");
        let mixed = perms(&all, "u-1");
        assert!(mixed.allows(&ch("debug"), &subj("x")));
        assert!(!mixed.allows(&ch("pipeline"), &subj("")));
    }

    #[test]
    fn none_allows_nothing() {
        let p = Permissions::none();
        assert!(p.is_empty());
        assert!(!p.allows(&ch("pipeline"), &subj("")));
        assert!(!p.allows(&ch("user"), &subj("u-1")));
        assert!(perms(&[], "u-1").is_empty());
    }

    #[test]
    fn default_subscribe_is_the_categories_and_the_callers_own_user_subject() {
        let p = Permissions::default_subscribe("u-1");
        for channel in CATEGORY_CHANNELS {
            assert!(p.allows(&ch(channel), &subj("")), "{channel}");
            assert!(p.allows(&ch(channel), &subj("any/thing")), "{channel}");
        }
        assert!(p.allows(&ch("user"), &subj("u-1")));
        assert!(p.allows(&ch("user"), &subj("u-1/notifications")));
        assert!(!p.allows(&ch("user"), &subj("")));
        assert!(!p.allows(&ch("user"), &subj("u-2")));
        assert!(!p.allows(&ch("user"), &subj("u-1x")));
        assert!(!p.allows(&ch("custom"), &subj("")));
        assert_eq!(p, perms(&["pipeline", "security", "debug", "system", "architecture", "user/${sub}"], "u-1"));
    }

    #[test]
    fn default_subscribe_with_an_unusable_sub_keeps_only_the_categories() {
        let p = Permissions::default_subscribe("bad//sub");
        assert!(p.allows(&ch("pipeline"), &subj("")));
        assert!(!p.allows(&ch("user"), &subj("bad")));
        assert!(!p.allows(&ch("user"), &subj("")));
    }
}
