//! `jwt_claims`: the hub's token path, `Authenticator::verify` (signature and algorithm by
//! `jsonwebtoken`, every claim by the hub's own rules), with HS256 and the fuzz secret.
//!
//! The first byte picks the configuration (audience `hub` or none, issuer `auth` or none)
//! and the mode:
//! - **token**: the rest is the token text, verified as is;
//! - **claims**: the rest is JSON claims, signed by the harness with the right key (so the
//!   fuzzer gets past the signature);
//! - **header**: the rest is `header \0 claims`, both fuzzed, base64url-encoded and signed
//!   with HS256 by the harness (alg `none`, other algorithms, `kid`, junk headers).
//!
//! Properties: no panic; whatever is accepted has a payload that is a JSON object, and the
//! identity holds exactly its claims: `sub`, `org`, `name`, `exp` in milliseconds, and the
//! `subscribe`/`publish` permissions parsed from them (or the defaults); `exp` is in the
//! future within the leeway, `nbf`/`iat` not beyond it, the required claims are present, `sub`
//! and `org` hold no `/` and no hidden character, and the configured `aud`/`iss` match. Where a model verdict is exact (integer times), a
//! token the rules accept must be accepted.
#![no_main]

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use herald_fuzz::{SECRET, hidden_char};
use herald_hub::auth::{AuthConfig, Authenticator, JwtKey, Permissions, mint_hs256};
use jsonwebtoken::{Algorithm, EncodingKey};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};

/// "Now" for every verification: 2030-03-17.
const NOW_MS: u64 = 1_900_000_000_000;
const LEEWAY_MS: i128 = 5_000;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let audience = (mode & 0x10 != 0).then(|| "hub".to_owned());
    let issuer = (mode & 0x20 != 0).then(|| "auth".to_owned());
    let auth = Authenticator::new(AuthConfig {
        key: JwtKey::Hs256(SECRET.to_vec()),
        audience: audience.clone(),
        issuer: issuer.clone(),
        leeway: Duration::from_millis(LEEWAY_MS as u64),
    })
    .expect("an HS256 key is valid");
    let rules = Rules { audience, issuer };

    match mode % 3 {
        0 => {
            let Ok(token) = std::str::from_utf8(rest) else { return };
            if let Ok(identity) = auth.verify(token, NOW_MS) {
                // Only a token signed with the secret gets here; its payload is its claims.
                let payload = token.split('.').nth(1).expect("an accepted token has a payload");
                let claims = URL_SAFE_NO_PAD.decode(payload).expect("accepted payload is base64url");
                let claims: Map<String, Value> =
                    serde_json::from_slice(&claims).expect("accepted claims are an object");
                rules.check_accepted(&claims, &identity);
            }
        }
        1 => {
            let Ok(claims) = serde_json::from_slice::<Value>(rest) else { return };
            let token = mint_hs256(SECRET, &claims);
            // The claims signed are the payload's text: serde_json's default float parsing is
            // not always correctly rounded, so a float read from the fuzz input may come back
            // one ULP off from the text `mint_hs256` wrote. Check against what was signed.
            let payload = token.split('.').nth(1).expect("a minted token has a payload");
            let signed = URL_SAFE_NO_PAD.decode(payload).expect("minted payload is base64url");
            let claims: Value = serde_json::from_slice(&signed).expect("minted claims are JSON");
            let result = auth.verify(&token, NOW_MS);
            match (&result, claims.as_object()) {
                (Ok(identity), Some(claims)) => rules.check_accepted(claims, identity),
                (Ok(_), None) => panic!("claims {claims} are not an object but were accepted"),
                (Err(_), _) => {}
            }
            if let (Some(claims), Verdict::Accept) =
                (claims.as_object(), claims.as_object().map_or(Verdict::Reject, |c| rules.verdict(c)))
            {
                assert!(result.is_ok(), "valid claims {} refused: {result:?}", Value::Object(claims.clone()));
            }
        }
        _ => {
            let mut parts = rest.splitn(2, |b| *b == 0);
            let (header, claims) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
            let message = format!("{}.{}", URL_SAFE_NO_PAD.encode(header), URL_SAFE_NO_PAD.encode(claims));
            let key = EncodingKey::from_secret(SECRET);
            let signature =
                jsonwebtoken::crypto::sign(message.as_bytes(), &key, Algorithm::HS256).expect("HS256 signs");
            let token = format!("{message}.{signature}");
            if let Ok(identity) = auth.verify(&token, NOW_MS) {
                // jsonwebtoken 9 skips unknown header fields without checking their UTF-8, so
                // the header is read the way it reads it (the token is signed by us anyway).
                let alg = jsonwebtoken::decode_header(&token).expect("accepted header decodes").alg;
                assert_eq!(alg, Algorithm::HS256, "accepted header {}", String::from_utf8_lossy(header));
                let claims: Map<String, Value> = serde_json::from_slice(claims).expect("accepted claims are an object");
                rules.check_accepted(&claims, &identity);
            }
        }
    }
});

struct Rules {
    audience: Option<String>,
    issuer: Option<String>,
}

#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    Accept,
    Reject,
    /// A fractional time within a millisecond of the boundary: both answers are defensible.
    Unsure,
}

/// A claim, `null` counting as absent (docs/protocol.md §9.1).
fn claim<'a>(claims: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    claims.get(name).filter(|v| !v.is_null())
}

/// A NumericDate in milliseconds as f64, and whether it is exact (an integer number of seconds).
fn seconds_ms(value: &Value) -> Option<(f64, Option<i128>)> {
    let exact = value.as_i64().map(i128::from).or_else(|| value.as_u64().map(i128::from)).map(|s| s * 1000);
    Some((value.as_f64()? * 1000.0, exact))
}

fn non_empty_string<'a>(claims: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    claim(claims, name).and_then(Value::as_str).filter(|s| !s.is_empty())
}

fn string_list(claims: &Map<String, Value>, name: &str) -> Result<Option<Vec<String>>, ()> {
    match claim(claims, name) {
        None => Ok(None),
        Some(Value::Array(items)) => {
            items.iter().map(|i| i.as_str().map(str::to_owned).ok_or(())).collect::<Result<_, _>>().map(Some)
        }
        Some(_) => Err(()),
    }
}

impl Rules {
    /// The verdict of docs/protocol.md §1/§9.1 for `claims` at [`NOW_MS`], written independently
    /// of the hub's code.
    fn verdict(&self, claims: &Map<String, Value>) -> Verdict {
        let now = i128::from(NOW_MS);
        let mut unsure = false;
        let Some((exp, exact)) = claim(claims, "exp").and_then(seconds_ms) else { return Verdict::Reject };
        match exact {
            Some(ms) if ms + LEEWAY_MS < now => return Verdict::Reject,
            Some(_) => {}
            None if exp + (LEEWAY_MS as f64) < now as f64 - 1.0 => return Verdict::Reject,
            None => unsure |= exp + (LEEWAY_MS as f64) <= now as f64 + 1.0,
        }
        for name in ["nbf", "iat"] {
            let Some(value) = claim(claims, name) else { continue };
            let Some((at, exact)) = seconds_ms(value) else { return Verdict::Reject };
            match exact {
                Some(ms) if ms - LEEWAY_MS > now => return Verdict::Reject,
                Some(_) => {}
                None if at - (LEEWAY_MS as f64) > now as f64 + 1.0 => return Verdict::Reject,
                None => unsure |= at - (LEEWAY_MS as f64) >= now as f64 - 1.0,
            }
        }
        // `sub` and `org`: non-empty, no `/`, no control, format or line separator character.
        let identifier =
            |name| non_empty_string(claims, name).filter(|s| !s.contains('/') && !s.chars().any(hidden_char));
        if identifier("sub").is_none() || identifier("org").is_none() {
            return Verdict::Reject;
        }
        if let Some(audience) = &self.audience {
            let ok = match claim(claims, "aud") {
                Some(Value::String(aud)) => aud == audience,
                Some(Value::Array(items)) => {
                    items.iter().all(Value::is_string) && items.iter().any(|i| i.as_str() == Some(audience))
                }
                _ => false,
            };
            if !ok {
                return Verdict::Reject;
            }
        }
        if let Some(issuer) = &self.issuer
            && claim(claims, "iss").and_then(Value::as_str) != Some(issuer)
        {
            return Verdict::Reject;
        }
        if claim(claims, "name").is_some_and(|n| !n.is_string()) {
            return Verdict::Reject;
        }
        if string_list(claims, "subscribe").is_err() || string_list(claims, "publish").is_err() {
            return Verdict::Reject;
        }
        if unsure { Verdict::Unsure } else { Verdict::Accept }
    }

    /// `claims` were accepted as `identity`: the rules allow them and the identity is theirs.
    fn check_accepted(&self, claims: &Map<String, Value>, identity: &herald_hub::auth::Identity) {
        let shown = Value::Object(claims.clone());
        assert_ne!(self.verdict(claims), Verdict::Reject, "accepted against the rules: {shown}");
        let sub = non_empty_string(claims, "sub").expect("sub");
        assert_eq!(identity.sub, sub, "{shown}");
        assert_eq!(Some(identity.org.as_str()), non_empty_string(claims, "org"), "{shown}");
        assert_eq!(identity.name.as_deref(), claim(claims, "name").and_then(Value::as_str), "{shown}");
        let (exp, exact) = claim(claims, "exp").and_then(seconds_ms).expect("exp");
        let expected = exact.unwrap_or(exp.floor() as i128).clamp(0, i128::from(u64::MAX));
        assert_eq!(i128::from(identity.expires_at_ms), expected, "exp of {shown}");
        let subscribe = string_list(claims, "subscribe").expect("subscribe");
        let publish = string_list(claims, "publish").expect("publish");
        let expected_subscribe =
            subscribe.map_or_else(|| Permissions::default_subscribe(sub), |p| Permissions::parse(&p, sub));
        assert_eq!(identity.subscribe, expected_subscribe, "{shown}");
        assert_eq!(
            identity.publish,
            publish.map_or_else(Permissions::none, |p| Permissions::parse(&p, sub)),
            "{shown}"
        );
    }
}
