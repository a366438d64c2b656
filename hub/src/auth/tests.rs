//! The JWT matrix: algorithms, keys, claims and hostile input.

use std::time::Duration;

use herald_event_types::frame::AuthErrorCode;
use herald_event_types::{ChannelName, Subject};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use super::test_keys::{EC_P384_PUBLIC, EC_PRIVATE, EC_PUBLIC, RSA_PRIVATE, RSA_PUBLIC, RSA_PUBLIC_PKCS1};
use super::*;

const SECRET: &[u8] = b"unit-test-secret-0123456789-abcdef";
/// "Now" in seconds and milliseconds.
const NOW_S: u64 = 1_800_000_000;
const NOW_MS: u64 = NOW_S * 1000;
/// base64url of `{"alg":"none","typ":"JWT"}`.
const NONE_HEADER: &str = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0";

fn config(key: JwtKey) -> AuthConfig {
    AuthConfig { key, audience: None, issuer: None, leeway: Duration::from_secs(5) }
}

fn auth(key: JwtKey) -> Authenticator {
    Authenticator::new(config(key)).unwrap()
}

fn hs_auth() -> Authenticator {
    auth(JwtKey::Hs256(SECRET.to_vec()))
}

fn claims() -> Value {
    json!({"sub": "u-1", "org": "acme", "exp": NOW_S + 600, "name": "Ada"})
}

/// `claims()` with `key` set to `value`, or removed when `value` is `None`.
fn with(key: &str, value: Option<Value>) -> Value {
    let mut claims = claims();
    let map = claims.as_object_mut().unwrap();
    match value {
        Some(value) => map.insert(key.to_owned(), value),
        None => map.remove(key),
    };
    claims
}

fn hs(claims: &Value) -> String {
    mint_hs256(SECRET, claims)
}

fn sign(alg: Algorithm, key: &EncodingKey, claims: &Value) -> String {
    jsonwebtoken::encode(&Header::new(alg), claims, key).unwrap()
}

fn rs(claims: &Value) -> String {
    sign(Algorithm::RS256, &EncodingKey::from_rsa_pem(RSA_PRIVATE.as_bytes()).unwrap(), claims)
}

fn es(claims: &Value) -> String {
    sign(Algorithm::ES256, &EncodingKey::from_ec_pem(EC_PRIVATE.as_bytes()).unwrap(), claims)
}

/// The code of a refusal; also checks that its message holds no part of the token.
fn refused(auth: &Authenticator, token: &str, now_ms: u64) -> AuthErrorCode {
    let failure = auth.verify(token, now_ms).expect_err("token should be refused");
    assert!(!failure.message.is_empty());
    for part in token.split('.').filter(|part| part.len() >= 8) {
        assert!(!failure.message.contains(part), "message {:?} leaks the token", failure.message);
    }
    failure.code
}

fn hs_code(claims: &Value) -> AuthErrorCode {
    refused(&hs_auth(), &hs(claims), NOW_MS)
}

fn ch(name: &str) -> ChannelName {
    ChannelName::new(name).unwrap()
}

fn subj(text: &str) -> Subject {
    Subject::new(text).unwrap()
}

#[test]
fn a_valid_hs256_token_gives_the_identity_with_default_permissions() {
    let token = hs(&claims());
    let header = jsonwebtoken::decode_header(&token).unwrap();
    assert_eq!((header.alg, header.typ.as_deref()), (Algorithm::HS256, Some("JWT")));

    let id = hs_auth().verify(&token, NOW_MS).unwrap();
    assert_eq!((id.sub.as_str(), id.org.as_str(), id.name.as_deref()), ("u-1", "acme", Some("Ada")));
    assert_eq!(id.expires_at_ms, (NOW_S + 600) * 1000);
    assert!(id.subscribe.allows(&ch("pipeline"), &subj("")));
    assert!(id.subscribe.allows(&ch("user"), &subj("u-1")));
    assert!(!id.subscribe.allows(&ch("user"), &subj("u-2")));
    assert!(id.publish.is_empty());
    assert!(!id.publish.allows(&ch("pipeline"), &subj("")));

    let anonymous = hs_auth().verify(&hs(&with("name", None)), NOW_MS).unwrap();
    assert_eq!(anonymous.name, None);
}

#[test]
fn subscribe_and_publish_claims_replace_the_defaults() {
    let mut claims = with("subscribe", Some(json!(["pipeline/p-1", "user/${sub}"])));
    claims["publish"] = json!(["*/${sub}", "pipe*"]);
    let id = hs_auth().verify(&hs(&claims), NOW_MS).unwrap();
    assert!(id.subscribe.allows(&ch("pipeline"), &subj("p-1/e-2")));
    assert!(!id.subscribe.allows(&ch("pipeline"), &subj("")));
    assert!(!id.subscribe.allows(&ch("security"), &subj("")));
    assert!(id.subscribe.allows(&ch("user"), &subj("u-1")));
    assert!(id.publish.allows(&ch("debug"), &subj("u-1/x")));
    assert!(!id.publish.allows(&ch("debug"), &subj("u-2")));

    let empty = hs_auth().verify(&hs(&with("subscribe", Some(json!([])))), NOW_MS).unwrap();
    assert!(empty.subscribe.is_empty());
}

#[test]
fn permission_claims_of_the_wrong_type_are_invalid() {
    for name in ["subscribe", "publish"] {
        for bad in [json!("pipeline"), json!([1]), json!([["pipeline"]]), json!({"pipeline": true}), json!(true)] {
            assert_eq!(hs_code(&with(name, Some(bad.clone()))), AuthErrorCode::InvalidToken, "{name}: {bad}");
        }
    }
    assert_eq!(hs_code(&with("name", Some(json!(42)))), AuthErrorCode::InvalidToken);
}

#[test]
fn null_claims_count_as_absent() {
    let mut claims = with("name", Some(Value::Null));
    claims["subscribe"] = Value::Null;
    claims["publish"] = Value::Null;
    claims["nbf"] = Value::Null;
    let id = hs_auth().verify(&hs(&claims), NOW_MS).unwrap();
    assert_eq!(id.name, None);
    assert!(id.subscribe.allows(&ch("system"), &subj("")));
    assert!(id.publish.is_empty());
    assert_eq!(hs_code(&with("exp", Some(Value::Null))), AuthErrorCode::MissingClaim);
}

#[test]
fn a_wrong_secret_is_invalid() {
    let token = mint_hs256(b"another-secret", &claims());
    assert_eq!(refused(&hs_auth(), &token, NOW_MS), AuthErrorCode::InvalidToken);
}

#[test]
fn a_tampered_payload_is_invalid() {
    let good = hs(&claims());
    let forged = hs(&with("org", Some(json!("globex"))));
    let parts: Vec<&str> = good.split('.').collect();
    let forged_payload = forged.split('.').nth(1).unwrap();
    let token = format!("{}.{}.{}", parts[0], forged_payload, parts[2]);
    assert_eq!(refused(&hs_auth(), &token, NOW_MS), AuthErrorCode::InvalidToken);
}

#[test]
fn alg_none_is_invalid() {
    let payload = hs(&claims()).split('.').nth(1).unwrap().to_owned();
    for token in [format!("{NONE_HEADER}.{payload}."), format!("{NONE_HEADER}.{payload}")] {
        assert_eq!(refused(&hs_auth(), &token, NOW_MS), AuthErrorCode::InvalidToken);
        assert_eq!(refused(&auth(JwtKey::Rs256(RSA_PUBLIC.into())), &token, NOW_MS), AuthErrorCode::InvalidToken);
    }
    // Keeping a real signature does not help.
    let signed = hs(&claims());
    let signature = signed.rsplit('.').next().unwrap();
    let token = format!("{NONE_HEADER}.{payload}.{signature}");
    assert_eq!(refused(&hs_auth(), &token, NOW_MS), AuthErrorCode::InvalidToken);
}

#[test]
fn another_hmac_algorithm_with_the_right_secret_is_invalid() {
    let token = sign(Algorithm::HS512, &EncodingKey::from_secret(SECRET), &claims());
    assert_eq!(refused(&hs_auth(), &token, NOW_MS), AuthErrorCode::InvalidToken);
}

#[test]
fn hs256_signed_with_the_rsa_public_key_is_refused_by_rs256() {
    let rs_auth = auth(JwtKey::Rs256(RSA_PUBLIC.into()));
    for public in [RSA_PUBLIC, RSA_PUBLIC_PKCS1] {
        let token = mint_hs256(public.as_bytes(), &claims());
        assert_eq!(refused(&rs_auth, &token, NOW_MS), AuthErrorCode::InvalidToken);
    }
    let es_auth = auth(JwtKey::Es256(EC_PUBLIC.into()));
    let token = mint_hs256(EC_PUBLIC.as_bytes(), &claims());
    assert_eq!(refused(&es_auth, &token, NOW_MS), AuthErrorCode::InvalidToken);
}

#[test]
fn rs256_and_es256_tokens_verify_with_their_public_keys_only() {
    let rs_auth = auth(JwtKey::Rs256(RSA_PUBLIC.into()));
    let es_auth = auth(JwtKey::Es256(EC_PUBLIC.into()));
    assert_eq!(rs_auth.verify(&rs(&claims()), NOW_MS).unwrap().sub, "u-1");
    assert_eq!(es_auth.verify(&es(&claims()), NOW_MS).unwrap().org, "acme");
    let pkcs1 = auth(JwtKey::Rs256(RSA_PUBLIC_PKCS1.into()));
    assert_eq!(pkcs1.verify(&rs(&claims()), NOW_MS).unwrap().sub, "u-1");

    assert_eq!(refused(&rs_auth, &es(&claims()), NOW_MS), AuthErrorCode::InvalidToken);
    assert_eq!(refused(&es_auth, &rs(&claims()), NOW_MS), AuthErrorCode::InvalidToken);
    assert_eq!(refused(&hs_auth(), &rs(&claims()), NOW_MS), AuthErrorCode::InvalidToken);
    assert_eq!(refused(&es_auth, &hs(&claims()), NOW_MS), AuthErrorCode::InvalidToken);
    // Claims are checked the same way whatever the algorithm.
    assert_eq!(refused(&es_auth, &es(&with("org", None)), NOW_MS), AuthErrorCode::MissingClaim);
}

#[test]
fn exp_is_checked_to_the_millisecond_with_the_leeway() {
    let auth = hs_auth();
    let expired_at = |exp: Value| hs(&with("exp", Some(exp)));
    // exp + 5 s leeway == now: still valid; one millisecond later: expired.
    let token = expired_at(json!(NOW_S - 5));
    assert!(auth.verify(&token, NOW_MS).is_ok());
    assert_eq!(refused(&auth, &token, NOW_MS + 1), AuthErrorCode::TokenExpired);
    // Within the leeway, and well beyond it.
    assert!(auth.verify(&expired_at(json!(NOW_S - 3)), NOW_MS).is_ok());
    assert_eq!(refused(&auth, &expired_at(json!(NOW_S - 3600)), NOW_MS), AuthErrorCode::TokenExpired);
    // Fractional seconds count.
    let fractional = expired_at(json!(NOW_S as f64 - 5.0 + 0.25));
    assert!(auth.verify(&fractional, NOW_MS + 250).is_ok());
    assert_eq!(refused(&auth, &fractional, NOW_MS + 251), AuthErrorCode::TokenExpired);
    let id = auth.verify(&expired_at(json!(NOW_S as f64 + 1.9999)), NOW_MS).unwrap();
    assert_eq!(id.expires_at_ms, NOW_MS + 1999);
    // Absurd values neither panic nor overflow.
    assert_eq!(auth.verify(&expired_at(json!(1e300)), NOW_MS).unwrap().expires_at_ms, u64::MAX);
    assert_eq!(auth.verify(&expired_at(json!(u64::MAX)), NOW_MS).unwrap().expires_at_ms, u64::MAX);
    assert_eq!(refused(&auth, &expired_at(json!(-1)), NOW_MS), AuthErrorCode::TokenExpired);
    assert_eq!(refused(&auth, &expired_at(json!(i64::MIN)), NOW_MS), AuthErrorCode::TokenExpired);
}

#[test]
fn a_zero_leeway_is_exact() {
    let mut config = config(JwtKey::Hs256(SECRET.to_vec()));
    config.leeway = Duration::ZERO;
    let auth = Authenticator::new(config).unwrap();
    let token = hs(&with("exp", Some(json!(NOW_S))));
    assert!(auth.verify(&token, NOW_MS).is_ok());
    assert_eq!(refused(&auth, &token, NOW_MS + 1), AuthErrorCode::TokenExpired);
}

#[test]
fn exp_missing_is_a_missing_claim_and_non_numeric_is_invalid() {
    assert_eq!(hs_code(&with("exp", None)), AuthErrorCode::MissingClaim);
    for bad in [json!("1900000000"), json!(true), json!([NOW_S + 600]), json!({"s": 1})] {
        assert_eq!(hs_code(&with("exp", Some(bad.clone()))), AuthErrorCode::InvalidToken, "{bad}");
    }
}

#[test]
fn nbf_in_the_future_beyond_the_leeway_is_not_yet_valid() {
    let auth = hs_auth();
    let token = hs(&with("nbf", Some(json!(NOW_S + 5))));
    assert!(auth.verify(&token, NOW_MS).is_ok());
    assert_eq!(refused(&auth, &token, NOW_MS - 1), AuthErrorCode::TokenNotYetValid);
    assert_eq!(hs_code(&with("nbf", Some(json!(NOW_S + 60)))), AuthErrorCode::TokenNotYetValid);
    assert!(auth.verify(&hs(&with("nbf", Some(json!(NOW_S - 60)))), NOW_MS).is_ok());
    let fractional = hs(&with("nbf", Some(json!(NOW_S as f64 + 5.001))));
    assert_eq!(refused(&auth, &fractional, NOW_MS), AuthErrorCode::TokenNotYetValid);
    assert!(auth.verify(&fractional, NOW_MS + 1).is_ok());
    assert_eq!(hs_code(&with("nbf", Some(json!("soon")))), AuthErrorCode::InvalidToken);
}

#[test]
fn iat_in_the_future_beyond_the_leeway_is_not_yet_valid() {
    let auth = hs_auth();
    assert_eq!(hs_code(&with("iat", Some(json!(NOW_S + 60)))), AuthErrorCode::TokenNotYetValid);
    assert!(auth.verify(&hs(&with("iat", Some(json!(NOW_S + 4)))), NOW_MS).is_ok());
    assert!(auth.verify(&hs(&with("iat", Some(json!(NOW_S - 600)))), NOW_MS).is_ok());
    assert_eq!(hs_code(&with("iat", Some(json!("now")))), AuthErrorCode::InvalidToken);
}

#[test]
fn sub_and_org_must_be_non_empty_strings() {
    for name in ["sub", "org"] {
        assert_eq!(hs_code(&with(name, None)), AuthErrorCode::MissingClaim, "{name} missing");
        assert_eq!(hs_code(&with(name, Some(json!("")))), AuthErrorCode::MissingClaim, "{name} empty");
        assert_eq!(hs_code(&with(name, Some(json!(7)))), AuthErrorCode::MissingClaim, "{name} a number");
    }
}

#[test]
fn a_sub_or_org_with_a_slash_is_invalid_so_sub_patterns_cannot_widen() {
    // `user/${sub}` with sub `a/b` would be `user/a/b`; with sub `a`, a token could reach
    // `user/a/…` of anyone whose id starts with `a/`. Refused outright, with the reason.
    for (name, value) in [("sub", "u-1/x"), ("sub", "/u-1"), ("sub", "u-1/"), ("sub", "/"), ("org", "acme/eu")] {
        let failure = hs_auth().verify(&hs(&with(name, Some(json!(value)))), NOW_MS).unwrap_err();
        assert_eq!(failure.code, AuthErrorCode::InvalidToken, "{name} {value:?}");
        assert!(failure.message.contains(&format!("`{name}`")) && failure.message.contains('/'), "{failure:?}");
    }
}

#[test]
fn a_sub_or_org_with_a_control_or_invisible_character_is_invalid() {
    for name in ["sub", "org"] {
        for value in
            ["u-1\n", "u\u{0}1", "u-1\u{7f}", "u\u{85}", "u-1\u{202E}", "\u{200B}u-1", "u\u{2028}", "u\u{FEFF}"]
        {
            let failure = hs_auth().verify(&hs(&with(name, Some(json!(value)))), NOW_MS).unwrap_err();
            assert_eq!(failure.code, AuthErrorCode::InvalidToken, "{name} {value:?}");
            assert!(failure.message.contains(&format!("`{name}`")), "{failure:?}");
            assert!(failure.message.contains("control"), "{failure:?}");
        }
    }
    // Spaces, accents and other scripts are fine.
    for value in ["Ada Lovelace", "müller", "ユーザー", "u-1@example.com", "${sub}"] {
        let id = hs_auth().verify(&hs(&with("sub", Some(json!(value)))), NOW_MS).unwrap();
        assert_eq!(id.sub, value);
    }
}

#[test]
fn a_configured_audience_is_required_and_checked() {
    let mut config = config(JwtKey::Hs256(SECRET.to_vec()));
    config.audience = Some("herald".to_owned());
    let auth = Authenticator::new(config).unwrap();
    let code = |aud: Option<Value>| refused(&auth, &hs(&with("aud", aud)), NOW_MS);
    assert!(auth.verify(&hs(&with("aud", Some(json!("herald")))), NOW_MS).is_ok());
    assert!(auth.verify(&hs(&with("aud", Some(json!(["other", "herald"])))), NOW_MS).is_ok());
    assert_eq!(code(None), AuthErrorCode::MissingClaim);
    assert_eq!(code(Some(json!("other"))), AuthErrorCode::WrongAudience);
    assert_eq!(code(Some(json!("Herald"))), AuthErrorCode::WrongAudience);
    assert_eq!(code(Some(json!(["other"]))), AuthErrorCode::WrongAudience);
    assert_eq!(code(Some(json!([]))), AuthErrorCode::WrongAudience);
    assert_eq!(code(Some(json!(["herald", 1]))), AuthErrorCode::WrongAudience);
    assert_eq!(code(Some(json!(42))), AuthErrorCode::WrongAudience);
    // Without a configured audience, `aud` is not looked at.
    assert!(hs_auth().verify(&hs(&with("aud", Some(json!("anything")))), NOW_MS).is_ok());
}

#[test]
fn a_configured_issuer_is_required_and_checked() {
    let mut config = config(JwtKey::Hs256(SECRET.to_vec()));
    config.issuer = Some("https://idp.example".to_owned());
    let auth = Authenticator::new(config).unwrap();
    let code = |iss: Option<Value>| refused(&auth, &hs(&with("iss", iss)), NOW_MS);
    assert!(auth.verify(&hs(&with("iss", Some(json!("https://idp.example")))), NOW_MS).is_ok());
    assert_eq!(code(None), AuthErrorCode::MissingClaim);
    assert_eq!(code(Some(json!("https://evil.example"))), AuthErrorCode::WrongIssuer);
    assert_eq!(code(Some(json!(["https://idp.example"]))), AuthErrorCode::WrongIssuer);
    assert!(hs_auth().verify(&hs(&with("iss", Some(json!("whoever")))), NOW_MS).is_ok());
}

#[test]
fn garbage_is_invalid_and_never_panics() {
    let auth = hs_auth();
    let valid = hs(&claims());
    let mut inputs: Vec<String> = ["", ".", "..", "...", "a", "a.b", "a.b.c", "a.b.c.d", "Bearer x.y.z", "€.€.€"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    inputs.push(format!(" {valid}"));
    inputs.push(format!("{valid}."));
    inputs.push(valid.replace('.', ""));
    inputs.push(valid.chars().rev().collect());
    inputs.push(format!("{}.{}", mint_hs256(SECRET, &json!([1, 2])).split('.').next().unwrap(), "x.y"));
    inputs.push("a.".repeat(40_000));
    // Deterministic pseudo-random bytes (xorshift), as text.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    for len in [1, 7, 64, 300, 2000] {
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state.to_le_bytes()[0]
            })
            .collect();
        inputs.push(String::from_utf8_lossy(&bytes).into_owned());
    }
    for input in &inputs {
        assert_eq!(refused(&auth, input, NOW_MS), AuthErrorCode::InvalidToken, "{input:.40?}");
    }
}

#[test]
fn claims_that_are_not_a_json_object_are_invalid() {
    for claims in [json!([1, 2]), json!("u-1"), json!(42), Value::Null] {
        assert_eq!(hs_code(&claims), AuthErrorCode::InvalidToken, "{claims}");
    }
}

#[test]
fn tokens_longer_than_the_limit_are_refused_unread() {
    let long = hs(&with("name", Some(json!("x".repeat(MAX_TOKEN_LEN)))));
    assert!(long.len() > MAX_TOKEN_LEN);
    assert_eq!(refused(&hs_auth(), &long, NOW_MS), AuthErrorCode::InvalidToken);
}

#[test]
fn debug_output_holds_no_secret_and_clones_share_the_verifier() {
    let auth = hs_auth();
    let clone = auth.clone();
    let printed = format!("{auth:?} {:?}", config(JwtKey::Hs256(SECRET.to_vec())));
    assert!(!printed.contains(std::str::from_utf8(SECRET).unwrap()), "{printed}");
    assert!(!printed.contains("117, 110, 105, 116"), "{printed}"); // the secret's bytes
    assert!(printed.contains("HS256"), "{printed}");
    assert!(clone.verify(&hs(&claims()), NOW_MS).is_ok());
}

#[test]
fn public_keys_are_recognised_by_kind() {
    assert!(matches!(JwtKey::from_public_key_pem(RSA_PUBLIC.as_bytes()), Ok(JwtKey::Rs256(_))));
    assert!(matches!(JwtKey::from_public_key_pem(RSA_PUBLIC_PKCS1.as_bytes()), Ok(JwtKey::Rs256(_))));
    assert!(matches!(JwtKey::from_public_key_pem(EC_PUBLIC.as_bytes()), Ok(JwtKey::Es256(_))));
    let detected = JwtKey::from_public_key_pem(EC_PUBLIC.as_bytes()).unwrap();
    assert!(auth(detected).verify(&es(&claims()), NOW_MS).is_ok());

    let error = |pem: &str| JwtKey::from_public_key_pem(pem.as_bytes()).unwrap_err().to_string();
    assert!(error(EC_P384_PUBLIC).contains("P-256"), "{}", error(EC_P384_PUBLIC));
    assert!(error(RSA_PRIVATE).contains("private key"), "{}", error(RSA_PRIVATE));
    assert!(error(EC_PRIVATE).contains("private key"), "{}", error(EC_PRIVATE));
    assert!(error("").contains("not PEM"));
    assert!(error("hello").contains("not PEM"));
    let broken = RSA_PUBLIC.replace("MII", "AAA");
    assert!(error(&broken).contains("neither"), "{}", error(&broken));
    assert!(JwtKey::from_public_key_pem(&[0xff, 0xfe, 0x00]).is_err());
}

#[test]
fn unusable_keys_are_setup_errors() {
    let setup = |key: JwtKey| Authenticator::new(config(key)).unwrap_err().to_string();
    assert!(setup(JwtKey::Hs256(Vec::new())).contains("empty"));
    assert!(setup(JwtKey::Rs256(EC_PUBLIC.into())).contains("RSA"));
    assert!(setup(JwtKey::Es256(RSA_PUBLIC.into())).contains("P-256"));
    assert!(setup(JwtKey::Es256(EC_P384_PUBLIC.into())).contains("P-256"));
    assert!(setup(JwtKey::Rs256(RSA_PRIVATE.into())).contains("private key"));
    assert!(setup(JwtKey::Rs256(b"not a key".to_vec())).contains("not PEM"));
}

#[test]
fn an_hs256_secret_shorter_than_32_bytes_is_refused_at_setup() {
    // A short secret can be brute-forced offline from any one token: refuse to start.
    for len in [1, 8, 16, 31] {
        let error = Authenticator::new(config(JwtKey::Hs256(vec![b'k'; len]))).unwrap_err().to_string();
        assert!(error.contains(&format!("{len} bytes")) && error.contains("at least 32"), "{error}");
    }
    let secret = vec![b'k'; MIN_HS256_SECRET_LEN];
    let auth = Authenticator::new(config(JwtKey::Hs256(secret.clone()))).unwrap();
    assert!(auth.verify(&mint_hs256(&secret, &claims()), NOW_MS).is_ok());
}

#[test]
fn auth_config_new_uses_the_protocol_defaults() {
    let config = AuthConfig::new(JwtKey::Hs256(SECRET.to_vec()));
    assert_eq!(config.leeway, Duration::from_secs(5));
    assert!(config.audience.is_none() && config.issuer.is_none());
}

#[test]
fn the_public_types_can_cross_tasks() {
    fn send_sync<T: Send + Sync + 'static>() {}
    send_sync::<Authenticator>();
    send_sync::<Identity>();
    send_sync::<AuthFailure>();
    send_sync::<AuthSetupError>();
}
