//! Authentication: JWT verification with keys and algorithms pinned by configuration,
//! and the permission patterns of PROTOCOL.md §3.
//!
//! INTERFACE STUB — being implemented (see the hub issue). Signatures are fixed.

mod permissions;

use std::fmt;
use std::time::Duration;

use herald_event_types::frame::AuthErrorCode;

pub use permissions::Permissions;

/// Key material for verifying tokens; the variant pins the algorithm (a token's header
/// never chooses it).
#[derive(Clone)]
#[non_exhaustive]
pub enum JwtKey {
    /// HS256 with this shared secret.
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
        let _ = pem;
        unimplemented!()
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

/// Verifies tokens. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Authenticator {}

impl Authenticator {
    /// Prepares the verifier.
    ///
    /// # Errors
    /// [`AuthSetupError`] when the key cannot be parsed.
    pub fn new(config: AuthConfig) -> Result<Self, AuthSetupError> {
        let _ = config;
        unimplemented!()
    }

    /// Verifies `token` at `now_ms` (milliseconds since the Unix epoch).
    ///
    /// # Errors
    /// [`AuthFailure`] with the code of PROTOCOL.md §1 and §9.1.
    pub fn verify(&self, token: &str, now_ms: u64) -> Result<Identity, AuthFailure> {
        let _ = (token, now_ms);
        unimplemented!()
    }
}

/// Signs `claims` with HS256: for `--dev` tokens and tests.
pub fn mint_hs256(secret: &[u8], claims: &serde_json::Value) -> String {
    let _ = (secret, claims);
    unimplemented!()
}
