//! `channel_subject`: channel names, subjects and permission patterns (docs/protocol.md §3), the
//! code in `event-types/src/channel.rs` and `hub/src/auth/permissions.rs`, plus the subject
//! matching the hub's fan-out (`hub/src/channels.rs`) relies on.
//!
//! The input is NUL-separated texts: a channel name, a subject, a second subject, a `sub`,
//! then up to four permission patterns. Each is checked against a small independent model of
//! the grammar:
//! - `ChannelName` / `Subject` accept exactly what the model accepts; accepted values
//!   round-trip through `Display`/`FromStr` and serde (`parse(display(x)) == x`); invalid ones
//!   are errors everywhere (constructor, `FromStr`, serde, and a `subscribe` frame);
//! - `Subject::matches` is whole-segment prefix matching and never panics;
//! - a permission pattern grants nothing exactly when the model finds it invalid (after
//!   `${sub}` replacement), and `Permissions::allows` equals the model's answer.
#![no_main]

use herald_event_types::{ChannelName, ClientFrame, Subject};
use herald_fuzz::{hidden_char, split};
use herald_hub::auth::Permissions;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let texts: Vec<String> = split(data, 0, 8).into_iter().map(|t| String::from_utf8_lossy(t).into_owned()).collect();
    let text = |i: usize| texts.get(i).map_or("", String::as_str);
    let (name, subject, other, sub) = (text(0), text(1), text(2), text(3));
    let patterns: Vec<String> = texts.iter().skip(4).cloned().collect();

    let channel = check_channel(name);
    let subject = check_subject(subject);
    let other = check_subject(other);
    check_subscribe_frame(text(0), text(1));

    if let (Some(a), Some(b)) = (&subject, &other) {
        assert_eq!(a.matches(b), model_matches(a.as_str(), b.as_str()), "{a:?} matches {b:?}");
        assert!(a.matches(a), "a subject matches itself");
    }

    let permissions = Permissions::parse(&patterns, sub);
    let grants: Vec<_> = patterns.iter().filter_map(|p| model_grant(&p.replace("${sub}", sub))).collect();
    assert_eq!(permissions.is_empty(), grants.is_empty(), "patterns {patterns:?} with sub {sub:?}");
    for (i, pattern) in patterns.iter().enumerate() {
        let alone = Permissions::parse(std::slice::from_ref(pattern), sub);
        assert_eq!(
            alone.is_empty(),
            model_grant(&pattern.replace("${sub}", sub)).is_none(),
            "pattern {i}: {pattern:?}"
        );
    }
    if let Some(channel) = &channel {
        for subject in [&subject, &other].into_iter().flatten() {
            let model = grants.iter().any(|(c, prefix)| {
                c.as_deref().is_none_or(|c| c == channel.as_str()) && model_matches(prefix, subject.as_str())
            });
            assert_eq!(permissions.allows(channel, subject), model, "{patterns:?} / {sub:?} on {channel}/{subject}");
        }
    }
});

/// `[a-z0-9_-]{1,64}`.
fn model_channel(name: &str) -> bool {
    (1..=64).contains(&name.chars().count())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

/// `""`, or at most 256 bytes of `/`-separated non-empty segments without a hidden
/// character (control, invisible format, line or paragraph separator).
fn model_subject(subject: &str) -> bool {
    subject.is_empty()
        || (subject.len() <= 256 && !subject.chars().any(hidden_char) && !subject.split('/').any(str::is_empty))
}

/// Whole-segment prefix: the prefix's segments are the first segments of `subject`.
fn model_matches(prefix: &str, subject: &str) -> bool {
    if prefix.is_empty() {
        return true;
    }
    let (p, s): (Vec<&str>, Vec<&str>) = (prefix.split('/').collect(), subject.split('/').collect());
    p.len() <= s.len() && p.iter().zip(&s).all(|(a, b)| a == b)
}

/// A pattern `channel` or `channel/prefix` (`*` for any channel): `(channel, prefix)`.
fn model_grant(pattern: &str) -> Option<(Option<String>, String)> {
    let (channel, prefix) = match pattern.find('/') {
        Some(at) => (&pattern[..at], &pattern[at + 1..]),
        None => (pattern, ""),
    };
    if pattern.contains('/') && (prefix.is_empty() || !model_subject(prefix)) {
        return None;
    }
    match channel {
        "*" => Some((None, prefix.to_owned())),
        name if model_channel(name) => Some((Some(name.to_owned()), prefix.to_owned())),
        _ => None,
    }
}

fn check_channel(name: &str) -> Option<ChannelName> {
    let parsed = ChannelName::new(name);
    assert_eq!(parsed.is_ok(), model_channel(name), "channel {name:?}");
    assert_eq!(name.parse::<ChannelName>(), parsed);
    let from_json = serde_json::from_value::<ChannelName>(serde_json::Value::String(name.to_owned()));
    assert_eq!(from_json.is_ok(), parsed.is_ok(), "serde and new disagree on {name:?}");
    let channel = parsed.ok()?;
    assert_eq!(channel.as_str(), name);
    assert_eq!(channel.to_string().parse::<ChannelName>().as_ref(), Ok(&channel), "parse(display(x)) != x");
    let json = serde_json::to_string(&channel).expect("a channel serialises");
    assert_eq!(serde_json::from_str::<ChannelName>(&json).ok().as_ref(), Some(&channel), "serde round trip {json}");
    Some(channel)
}

fn check_subject(text: &str) -> Option<Subject> {
    let parsed = Subject::new(text);
    assert_eq!(parsed.is_ok(), model_subject(text), "subject {text:?}");
    assert_eq!(text.parse::<Subject>(), parsed);
    let from_json = serde_json::from_value::<Subject>(serde_json::Value::String(text.to_owned()));
    assert_eq!(from_json.is_ok(), parsed.is_ok(), "serde and new disagree on {text:?}");
    let subject = parsed.ok()?;
    assert_eq!(subject.as_str(), text);
    assert_eq!(subject.is_empty(), text.is_empty());
    assert_eq!(subject.to_string().parse::<Subject>().as_ref(), Ok(&subject), "parse(display(x)) != x");
    let json = serde_json::to_string(&subject).expect("a subject serialises");
    assert_eq!(serde_json::from_str::<Subject>(&json).ok().as_ref(), Some(&subject), "serde round trip {json}");
    Some(subject)
}

/// A `subscribe` frame decodes exactly when its channel and subject are valid.
fn check_subscribe_frame(channel: &str, subject: &str) {
    let frame = serde_json::json!({"type": "subscribe", "id": 1, "channel": channel, "subject": subject});
    let decoded = ClientFrame::decode(&frame.to_string());
    assert_eq!(decoded.is_ok(), model_channel(channel) && model_subject(subject), "{frame}");
    if let Err(error) = decoded {
        assert_eq!(error.reply_to, Some(1), "the id of a bad subscribe is echoed");
    }
}
