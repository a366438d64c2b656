//! Authentication: JWT verification with keys and algorithms pinned by configuration,
//! and the permission patterns of docs/protocol.md §3.
//!
//! The algorithm comes from the configured [`JwtKey`], never from a token's header: a token
//! whose header names another algorithm (`none`, or HS256 signed with an RSA public key as
//! the secret) is `invalid_token`. `jsonwebtoken` only checks the signature and the
//! algorithm; every claim is checked here, to the millisecond, with the hub's leeway.
//!
//! ```
//! use std::time::Duration;
//! use herald_hub::auth::{mint_hs256, AuthConfig, Authenticator, JwtKey};
//!
//! let secret = b"an example secret of at least 32 bytes";
//! let auth = Authenticator::new(AuthConfig {
//!     key: JwtKey::Hs256(secret.to_vec()),
//!     audience: None,
//!     issuer: None,
//!     leeway: Duration::from_secs(5),
//! })
//! .unwrap();
//! let token = mint_hs256(secret, &serde_json::json!({"sub": "u-1", "org": "acme", "exp": 2_000_000_000}));
//! let identity = auth.verify(&token, 1_900_000_000_000).unwrap();
//! assert_eq!((identity.sub.as_str(), identity.org.as_str()), ("u-1", "acme"));
//! assert_eq!(identity.expires_at_ms, 2_000_000_000_000);
//! ```

mod claims;
mod keys;
mod permissions;
#[cfg(test)]
mod test_keys;
#[cfg(test)]
mod tests;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use herald_event_types::frame::AuthErrorCode;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};

pub use permissions::Permissions;

use claims::ClaimRules;

/// Longest token accepted, in bytes; longer ones are `invalid_token` without being decoded.
pub const MAX_TOKEN_LEN: usize = 64 * 1024;

/// Shortest HS256 secret accepted, in bytes: RFC 7518 §3.2 asks for a key at least as long as
/// the hash output (256 bits). A shorter one is an [`AuthSetupError`] when the
/// [`Authenticator`] is built, so a hub with a guessable secret never starts.
pub const MIN_HS256_SECRET_LEN: usize = 32;

/// Key material for verifying tokens; the variant pins the algorithm (a token's header
/// never chooses it).
#[derive(Clone)]
#[non_exhaustive]
pub enum JwtKey {
    /// HS256 with this shared secret: at least [`MIN_HS256_SECRET_LEN`] (32) bytes, else
    /// [`Authenticator::new`] fails.
    Hs256(Vec<u8>),
    /// RS256 with this RSA public key (PEM).
    Rs256(Vec<u8>),
    /// ES256 with this EC P-256 public key (PEM).
    Es256(Vec<u8>),
}

impl JwtKey {
    /// Reads a PEM public key and picks RS256 (RSA) or ES256 (EC P-256) from its type.
    ///
    /// # Errors
    /// [`AuthSetupError`] when the PEM is neither an RSA nor an EC P-256 public key.
    pub fn from_public_key_pem(pem: &[u8]) -> Result<Self, AuthSetupError> {
        keys::detect(pem)
    }
}

impl fmt::Debug for JwtKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Hs256(_) => "JwtKey::Hs256(<redacted>)",
            Self::Rs256(_) => "JwtKey::Rs256(..)",
            Self::Es256(_) => "JwtKey::Es256(..)",
        })
    }
}

/// How tokens are verified.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// The key, which pins the algorithm.
    pub key: JwtKey,
    /// Required `aud`, when set. Default: none (not checked).
    pub audience: Option<String>,
    /// Required `iss`, when set. Default: none (not checked).
    pub issuer: Option<String>,
    /// Clock leeway for `exp`, `nbf` and `iat`. Default 5 s.
    pub leeway: Duration,
}

/// The configured key cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("invalid JWT key: {0}")]
pub struct AuthSetupError(pub String);

/// Why a token was refused: the `auth_error` code and a message for the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct AuthFailure {
    /// The protocol code.
    pub code: AuthErrorCode,
    /// Details, never containing the token.
    pub message: String,
}

/// Who a verified token says the caller is, and what it may do.
#[derive(Debug, Clone)]
pub struct Identity {
    /// `sub`.
    pub sub: String,
    /// `org`: the tenant.
    pub org: String,
    /// `name`, when present.
    pub name: Option<String>,
    /// `exp`, in milliseconds since the Unix epoch.
    pub expires_at_ms: u64,
    /// What it may subscribe to (the `subscribe` claim, or the default).
    pub subscribe: Permissions,
    /// What it may publish to (the `publish` claim, or nothing).
    pub publish: Permissions,
}

impl AuthConfig {
    /// The default leeway for `exp`, `nbf` and `iat`.
    pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(5);

    /// A configuration with `key`, no audience or issuer, and the default leeway.
    pub fn new(key: JwtKey) -> Self {
        Self { key, audience: None, issuer: None, leeway: Self::DEFAULT_LEEWAY }
    }
}

/// Verifies tokens. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Authenticator {
    inner: Arc<Verifier>,
}

/// What an [`Authenticator`] shares between its clones.
struct Verifier {
    algorithm: Algorithm,
    key: DecodingKey,
    validation: Validation,
    rules: ClaimRules,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("algorithm", &self.algorithm)
            .field("key", &"<redacted>")
            .field("audience", &self.rules.audience)
            .field("issuer", &self.rules.issuer)
            .field("leeway_ms", &self.rules.leeway_ms)
            .finish()
    }
}

impl Authenticator {
    /// Prepares the verifier.
    ///
    /// # Errors
    /// [`AuthSetupError`] when the key cannot be parsed, or is an HS256 secret shorter than
    /// [`MIN_HS256_SECRET_LEN`] bytes.
    pub fn new(config: AuthConfig) -> Result<Self, AuthSetupError> {
        let (key, algorithm) = keys::decoding_key(&config.key)?;
        // Signature and algorithm only: every claim is checked by `ClaimRules`.
        let mut validation = Validation::new(algorithm);
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        validation.leeway = 0;
        let rules = ClaimRules {
            audience: config.audience,
            issuer: config.issuer,
            leeway_ms: i128::try_from(config.leeway.as_millis()).unwrap_or(i128::MAX),
        };
        Ok(Self { inner: Arc::new(Verifier { algorithm, key, validation, rules }) })
    }

    /// Verifies `token` at `now_ms` (milliseconds since the Unix epoch).
    ///
    /// # Errors
    /// [`AuthFailure`] with the code of docs/protocol.md §1 and §9.1.
    pub fn verify(&self, token: &str, now_ms: u64) -> Result<Identity, AuthFailure> {
        let inner = &*self.inner;
        let invalid = |message: String| AuthFailure { code: AuthErrorCode::InvalidToken, message };
        if token.len() > MAX_TOKEN_LEN {
            return Err(invalid(format!("the token is longer than {MAX_TOKEN_LEN} bytes")));
        }
        let data =
            jsonwebtoken::decode::<serde_json::Map<String, serde_json::Value>>(token, &inner.key, &inner.validation)
                .map_err(|error| invalid(describe(error.kind(), inner.algorithm)))?;
        inner.rules.identity(&data.claims, now_ms)
    }
}

/// A message for a token `jsonwebtoken` refused. Fixed texts: never any part of the token.
fn describe(kind: &ErrorKind, algorithm: Algorithm) -> String {
    match kind {
        ErrorKind::InvalidSignature => "the signature does not verify".to_owned(),
        ErrorKind::InvalidAlgorithm => format!("the token's algorithm is not {algorithm:?}, the only one accepted"),
        ErrorKind::InvalidEcdsaKey | ErrorKind::InvalidRsaKey(_) | ErrorKind::Crypto(_) => {
            "the token does not verify with the configured key".to_owned()
        }
        _ => format!("malformed token (expected a compact JWS signed with {algorithm:?}, with JSON object claims)"),
    }
}

/// Checks that `value` may be the `sub` or `org` (`claim`) of a token: not empty, no `/`, and
/// none of the characters subjects forbid (docs/protocol.md §1). [`Authenticator::verify`]
/// refuses other tokens with `invalid_token`.
///
/// # Errors
/// The reason, naming the claim, as the hub would send it.
pub fn check_identifier(claim: &str, value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Err(format!("the `{claim}` claim is empty"));
    }
    claims::identifier_problem(claim, value).map_or(Ok(()), Err)
}

/// Signs `claims` with HS256: for `--dev` tokens and tests.
pub fn mint_hs256(secret: &[u8], claims: &serde_json::Value) -> String {
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &EncodingKey::from_secret(secret))
        .expect("HS256 signing of JSON claims cannot fail")
}
