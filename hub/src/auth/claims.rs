//! The claim checks of docs/protocol.md §1 and §9.1, done here (not by `jsonwebtoken`) so that
//! times are compared to the millisecond with the hub's own leeway, and so that a missing
//! claim can be told from a claim of the wrong type.
//!
//! A claim whose value is JSON `null` counts as absent.

use herald_event_types::Subject;
use herald_event_types::frame::AuthErrorCode;
use serde_json::{Map, Value};

use super::{AuthFailure, Identity, Permissions};

/// What the hub's configuration asks of every token.
#[derive(Debug)]
pub(super) struct ClaimRules {
    /// Required `aud`, when configured.
    pub(super) audience: Option<String>,
    /// Required `iss`, when configured.
    pub(super) issuer: Option<String>,
    /// Clock leeway, in milliseconds.
    pub(super) leeway_ms: i128,
}

/// How a fractional number of seconds becomes whole milliseconds.
#[derive(Clone, Copy)]
enum Round {
    Down,
    Up,
}

impl ClaimRules {
    /// Checks verified `claims` at `now_ms` and builds the caller's identity.
    pub(super) fn identity(&self, claims: &Map<String, Value>, now_ms: u64) -> Result<Identity, AuthFailure> {
        let now_ms = i128::from(now_ms);

        // `exp` rounds down and `nbf`/`iat` round up: comparing whole milliseconds against
        // the whole `now_ms` then gives exactly the answer of comparing the exact values.
        let exp_ms = match claim(claims, "exp") {
            None => return Err(failure(AuthErrorCode::MissingClaim, "the `exp` claim is missing")),
            Some(value) => millis(value, Round::Down).ok_or_else(|| invalid("the `exp` claim is not a number"))?,
        };
        if exp_ms.saturating_add(self.leeway_ms) < now_ms {
            return Err(failure(AuthErrorCode::TokenExpired, "the token has expired"));
        }
        for name in ["nbf", "iat"] {
            let Some(value) = claim(claims, name) else { continue };
            let at_ms =
                millis(value, Round::Up).ok_or_else(|| invalid(&format!("the `{name}` claim is not a number")))?;
            if at_ms.saturating_sub(self.leeway_ms) > now_ms {
                let message = if name == "nbf" {
                    "the token is not valid yet (`nbf`)"
                } else {
                    "the token was issued in the future (`iat`)"
                };
                return Err(failure(AuthErrorCode::TokenNotYetValid, message));
            }
        }

        let sub = identifier(claims, "sub")?;
        let org = identifier(claims, "org")?;

        if let Some(audience) = &self.audience {
            check_audience(claim(claims, "aud"), audience)?;
        }
        if let Some(issuer) = &self.issuer {
            match claim(claims, "iss") {
                None => return Err(failure(AuthErrorCode::MissingClaim, "the `iss` claim is missing")),
                Some(Value::String(iss)) if iss == issuer => {}
                Some(_) => return Err(failure(AuthErrorCode::WrongIssuer, "the `iss` claim is not this hub's issuer")),
            }
        }

        let name = match claim(claims, "name") {
            None => None,
            Some(Value::String(name)) => Some(name.clone()),
            Some(_) => return Err(invalid("the `name` claim is not a string")),
        };
        let subscribe = match patterns(claims, "subscribe")? {
            Some(patterns) => Permissions::parse(&patterns, sub),
            None => Permissions::default_subscribe(sub),
        };
        let publish = match patterns(claims, "publish")? {
            Some(patterns) => Permissions::parse(&patterns, sub),
            None => Permissions::none(),
        };

        Ok(Identity {
            sub: sub.to_owned(),
            org: org.to_owned(),
            name,
            expires_at_ms: u64::try_from(exp_ms.max(0)).unwrap_or(u64::MAX),
            subscribe,
            publish,
        })
    }
}

/// The claim `name`, treating `null` as absent.
fn claim<'a>(claims: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    claims.get(name).filter(|value| !value.is_null())
}

/// A NumericDate (seconds, integer or fractional) in milliseconds; `None` if not a number.
fn millis(value: &Value, round: Round) -> Option<i128> {
    let Value::Number(number) = value else { return None };
    if let Some(seconds) = number.as_i64() {
        return Some(i128::from(seconds) * 1000);
    }
    if let Some(seconds) = number.as_u64() {
        return Some(i128::from(seconds) * 1000);
    }
    let millis = number.as_f64()? * 1000.0;
    // `as` saturates at the bounds of i128 (JSON numbers are finite).
    Some(match round {
        Round::Down => millis.floor(),
        Round::Up => millis.ceil(),
    } as i128)
}

/// A claim that must be a non-empty string: anything else is `missing_claim`.
fn required_string<'a>(claims: &'a Map<String, Value>, name: &str) -> Result<&'a str, AuthFailure> {
    match claim(claims, name) {
        Some(Value::String(text)) if !text.is_empty() => Ok(text),
        Some(Value::String(_)) => Err(failure(AuthErrorCode::MissingClaim, &format!("the `{name}` claim is empty"))),
        Some(_) => Err(failure(AuthErrorCode::MissingClaim, &format!("the `{name}` claim is not a string"))),
        None => Err(failure(AuthErrorCode::MissingClaim, &format!("the `{name}` claim is missing"))),
    }
}

/// `sub` or `org`: a non-empty string (else `missing_claim`) without `/` and without a
/// character that subjects forbid (else `invalid_token`). A `/` in `sub` would make the
/// `${sub}` of a pattern such as `user/${sub}` cover several segments (`user/a` also covers
/// `user/a/b`, another user's subjects); a `/` in `org` would blur tenant boundaries in
/// storage keys; control and invisible characters make two identities print the same.
fn identifier<'a>(claims: &'a Map<String, Value>, name: &str) -> Result<&'a str, AuthFailure> {
    let text = required_string(claims, name)?;
    match identifier_problem(name, text) {
        Some(problem) => Err(invalid(&problem)),
        None => Ok(text),
    }
}

/// Why `text` cannot be the `sub` or `org` (`name`) of a token, or `None` when it can.
pub(super) fn identifier_problem(name: &str, text: &str) -> Option<String> {
    if text.contains('/') {
        return Some(if name == "sub" {
            "the `sub` claim contains `/`, which would widen `${sub}` permission patterns to other subjects".into()
        } else {
            format!("the `{name}` claim contains `/`, which a tenant name may not")
        });
    }
    text.chars()
        .any(Subject::forbids)
        .then(|| format!("the `{name}` claim contains a control, invisible format or line separator character"))
}

/// `aud` must be present and be, or contain, `audience`.
fn check_audience(aud: Option<&Value>, audience: &str) -> Result<(), AuthFailure> {
    let wrong = || failure(AuthErrorCode::WrongAudience, "the `aud` claim does not name this hub's audience");
    match aud {
        None => Err(failure(AuthErrorCode::MissingClaim, "the `aud` claim is missing")),
        Some(Value::String(aud)) if aud == audience => Ok(()),
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => {
            if items.iter().any(|item| item.as_str() == Some(audience)) { Ok(()) } else { Err(wrong()) }
        }
        Some(_) => Err(wrong()),
    }
}

/// An optional list of permission patterns: absent, or an array of strings.
fn patterns(claims: &Map<String, Value>, name: &str) -> Result<Option<Vec<String>>, AuthFailure> {
    let Some(value) = claim(claims, name) else { return Ok(None) };
    let not_a_list = || invalid(&format!("the `{name}` claim is not an array of strings"));
    let Value::Array(items) = value else { return Err(not_a_list()) };
    items.iter().map(|item| item.as_str().map(str::to_owned).ok_or_else(not_a_list)).collect::<Result<_, _>>().map(Some)
}

fn invalid(message: &str) -> AuthFailure {
    failure(AuthErrorCode::InvalidToken, message)
}

fn failure(code: AuthErrorCode, message: &str) -> AuthFailure {
    AuthFailure { code, message: message.to_owned() }
}
