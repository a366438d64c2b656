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
mod keydir;
mod keys;
mod permissions;
#[cfg(test)]
mod test_keys;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use herald_event_types::frame::AuthErrorCode;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};

pub use keydir::{MAX_KEY_FILE_BYTES, MAX_KEYS};
pub use permissions::Permissions;

use claims::ClaimRules;
use keydir::Snapshot;

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
    /// Several keys, read from a directory and selected by each token's `kid` header
    /// (`HERALD_JWT_KEYS`): rotation without a restart. See [`KeyDir`].
    Dir(KeyDir),
}

/// A directory of verification keys, one file per `kid` (docs/operations.md §3):
/// `<kid>.hs256` holds an HS256 secret (at least 32 bytes; one trailing newline is ignored),
/// `<kid>.pem` a PEM public key (RS256 for RSA, ES256 for EC P-256). Names starting with `.`
/// are skipped; any other entry, no key, two files for one `kid`, more than [`MAX_KEYS`] keys
/// or a file over [`MAX_KEY_FILE_BYTES`] makes the whole directory invalid.
///
/// With a key directory, a token must name its key with `kid`: a token without one, or with
/// a `kid` the directory does not hold, is `invalid_token`. The directory is read when the
/// [`Authenticator`] is built (an invalid one is an [`AuthSetupError`]), again at every
/// [`Authenticator::reload_keys`] (the binary calls it on SIGHUP), and every `poll_interval`
/// when its content changed. A reload that fails keeps the keys in use and logs an error.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct KeyDir {
    /// The directory.
    pub path: PathBuf,
    /// How often the directory is read to pick up changes; `None` reads it only on
    /// [`Authenticator::reload_keys`]. Default [`KeyDir::DEFAULT_POLL_INTERVAL`].
    pub poll_interval: Option<Duration>,
}

impl KeyDir {
    /// How often a key directory is checked for changes by default: 2 s.
    pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(2);

    /// The directory at `path`, checked for changes every 2 s.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into(), poll_interval: Some(Self::DEFAULT_POLL_INTERVAL) }
    }
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
        match self {
            Self::Hs256(_) => f.write_str("JwtKey::Hs256(<redacted>)"),
            Self::Rs256(_) => f.write_str("JwtKey::Rs256(..)"),
            Self::Es256(_) => f.write_str("JwtKey::Es256(..)"),
            Self::Dir(dir) => write!(f, "JwtKey::Dir({:?})", dir.path),
        }
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

/// Verifies tokens. Cheap to clone: clones share the keys, so a reload reaches all of them.
#[derive(Debug, Clone)]
pub struct Authenticator {
    inner: Arc<Verifier>,
}

/// What an [`Authenticator`] shares between its clones.
struct Verifier {
    /// The keys in use, swapped whole by a reload: a verification sees the old set or the
    /// new one, never a mix.
    keys: RwLock<Arc<KeySet>>,
    rules: ClaimRules,
    /// The key directory, when the keys come from one.
    dir: Option<DirState>,
}

/// A key directory and what was last read from it.
struct DirState {
    source: KeyDir,
    last: Mutex<LastRead>,
}

/// The outcome of the last read of a key directory, so unchanged content is not parsed (or
/// logged about) again.
enum LastRead {
    Loaded(Snapshot),
    Refused(Snapshot),
    Unreadable(String),
}

/// One key or several by `kid`.
enum KeySet {
    One(Box<Prepared>),
    ByKid(BTreeMap<String, Prepared>),
}

/// A verification key with the one algorithm it accepts.
struct Prepared {
    algorithm: Algorithm,
    key: DecodingKey,
    validation: Validation,
}

impl Prepared {
    fn new(key: &JwtKey) -> Result<Self, AuthSetupError> {
        let (key, algorithm) = keys::decoding_key(key)?;
        // Signature and algorithm only: every claim is checked by `ClaimRules`.
        let mut validation = Validation::new(algorithm);
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        validation.leeway = 0;
        Ok(Self { algorithm, key, validation })
    }
}

impl KeySet {
    /// The keys of a directory's content.
    fn load(snapshot: &Snapshot) -> Result<Self, AuthSetupError> {
        let keys = snapshot.keys()?;
        let prepared = keys
            .iter()
            .map(|(kid, (file, key))| {
                Prepared::new(key)
                    .map(|p| (kid.clone(), p))
                    .map_err(|e| AuthSetupError(format!("key file {file}: {}", e.0)))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self::ByKid(prepared))
    }

    /// The `kid`s, for logs.
    fn kids(&self) -> Vec<String> {
        match self {
            Self::One(_) => Vec::new(),
            Self::ByKid(keys) => keys.keys().cloned().collect(),
        }
    }

    /// The key that verifies `token`: the only one, or the one its `kid` names.
    fn select(&self, token: &str) -> Result<&Prepared, AuthFailure> {
        let keys = match self {
            Self::One(prepared) => return Ok(prepared),
            Self::ByKid(keys) => keys,
        };
        let invalid = |message: &str| AuthFailure { code: AuthErrorCode::InvalidToken, message: message.to_owned() };
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| invalid("malformed token (expected a compact JWS whose header names its key with `kid`)"))?;
        let kid = header.kid.ok_or_else(|| {
            invalid("the token has no `kid` header: this hub takes its keys from a key directory (HERALD_JWT_KEYS) and picks one by `kid`")
        })?;
        keys.get(&kid).ok_or_else(|| {
            invalid("the token's `kid` names none of this hub's keys (HERALD_JWT_KEYS): retired, or not added yet")
        })
    }
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys = self.current();
        let mut debug = f.debug_struct("Verifier");
        match &*keys {
            KeySet::One(prepared) => debug.field("algorithm", &prepared.algorithm),
            KeySet::ByKid(keys) => debug
                .field("keys", &keys.iter().map(|(kid, p)| (kid.as_str(), p.algorithm)).collect::<BTreeMap<_, _>>()),
        };
        debug
            .field("key", &"<redacted>")
            .field("dir", &self.dir.as_ref().map(|dir| &dir.source))
            .field("audience", &self.rules.audience)
            .field("issuer", &self.rules.issuer)
            .field("leeway_ms", &self.rules.leeway_ms)
            .finish()
    }
}

impl Verifier {
    /// The keys in use.
    fn current(&self) -> Arc<KeySet> {
        self.keys.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Reads the key directory and swaps in its keys when they are valid. Unless `force`,
    /// content equal to the last read is skipped. Logs what changed; `Ok(None)` when
    /// nothing was read anew.
    fn reload(&self, force: bool) -> Result<Option<Vec<String>>, AuthSetupError> {
        let Some(dir) = &self.dir else {
            return Err(AuthSetupError(
                "this hub verifies with one fixed key, not a key directory (HERALD_JWT_KEYS): nothing to reload".into(),
            ));
        };
        let path = dir.source.path.display();
        let mut last = dir.last.lock().unwrap_or_else(PoisonError::into_inner);
        let snapshot = match Snapshot::read(&dir.source.path) {
            Ok(snapshot) => snapshot,
            Err(error) => {
                if force || !matches!(&*last, LastRead::Unreadable(previous) if *previous == error.0) {
                    tracing::error!(dir = %path, %error, "JWT keys not reloaded; the keys in use stay");
                }
                *last = LastRead::Unreadable(error.0.clone());
                return Err(error);
            }
        };
        let unchanged =
            matches!(&*last, LastRead::Loaded(previous) | LastRead::Refused(previous) if *previous == snapshot);
        if unchanged && !force {
            return Ok(None);
        }
        match KeySet::load(&snapshot) {
            Ok(keys) => {
                let kids = keys.kids();
                *self.keys.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(keys);
                tracing::info!(dir = %path, kids = %kids.join(","), "JWT keys loaded");
                *last = LastRead::Loaded(snapshot);
                Ok(Some(kids))
            }
            Err(error) => {
                tracing::error!(dir = %path, %error, "JWT keys not reloaded; the keys in use stay");
                *last = LastRead::Refused(snapshot);
                Err(error)
            }
        }
    }
}

impl Authenticator {
    /// Prepares the verifier. With a [`JwtKey::Dir`], reads the directory now and, when it
    /// has a `poll_interval`, starts a thread that re-reads it at that interval for as long
    /// as a clone of this authenticator lives.
    ///
    /// # Errors
    /// [`AuthSetupError`] when the key cannot be parsed, is an HS256 secret shorter than
    /// [`MIN_HS256_SECRET_LEN`] bytes, or the key directory is invalid (see [`KeyDir`]).
    pub fn new(config: AuthConfig) -> Result<Self, AuthSetupError> {
        let rules = ClaimRules {
            audience: config.audience,
            issuer: config.issuer,
            leeway_ms: i128::try_from(config.leeway.as_millis()).unwrap_or(i128::MAX),
        };
        let (keys, dir) = match config.key {
            JwtKey::Dir(source) => {
                let snapshot = Snapshot::read(&source.path)?;
                let keys = KeySet::load(&snapshot)?;
                tracing::info!(dir = %source.path.display(), kids = %keys.kids().join(","), "JWT keys loaded");
                (keys, Some(DirState { source, last: Mutex::new(LastRead::Loaded(snapshot)) }))
            }
            key => (KeySet::One(Box::new(Prepared::new(&key)?)), None),
        };
        let inner = Arc::new(Verifier { keys: RwLock::new(Arc::new(keys)), rules, dir });
        if let Some(interval) = inner.dir.as_ref().and_then(|dir| dir.source.poll_interval) {
            let weak = Arc::downgrade(&inner);
            std::thread::Builder::new()
                .name("herald-jwt-keys".into())
                .spawn(move || {
                    loop {
                        std::thread::sleep(interval.max(Duration::from_millis(10)));
                        let Some(inner) = weak.upgrade() else { break };
                        let _ = inner.reload(false);
                    }
                })
                .map_err(|e| AuthSetupError(format!("cannot start the key directory watcher: {e}")))?;
        }
        Ok(Self { inner })
    }

    /// The key directory the keys come from, if any.
    pub fn key_dir(&self) -> Option<&KeyDir> {
        self.inner.dir.as_ref().map(|dir| &dir.source)
    }

    /// Re-reads the key directory now (the binary does on SIGHUP) and swaps in its keys
    /// atomically: verifications in flight finish with the old set, later ones use the new
    /// one. Returns the `kid`s now in use.
    ///
    /// # Errors
    /// [`AuthSetupError`] when the directory is unreadable or invalid (the keys in use stay,
    /// and the error is logged), or when this authenticator has one fixed key.
    pub fn reload_keys(&self) -> Result<Vec<String>, AuthSetupError> {
        self.inner.reload(true).map(Option::unwrap_or_default)
    }

    /// Verifies `token` at `now_ms` (milliseconds since the Unix epoch).
    ///
    /// # Errors
    /// [`AuthFailure`] with the code of docs/protocol.md §1 and §9.1.
    pub fn verify(&self, token: &str, now_ms: u64) -> Result<Identity, AuthFailure> {
        let invalid = |message: String| AuthFailure { code: AuthErrorCode::InvalidToken, message };
        if token.len() > MAX_TOKEN_LEN {
            return Err(invalid(format!("the token is longer than {MAX_TOKEN_LEN} bytes")));
        }
        let keys = self.inner.current();
        let key = keys.select(token)?;
        let data = jsonwebtoken::decode::<serde_json::Map<String, serde_json::Value>>(token, &key.key, &key.validation)
            .map_err(|error| invalid(describe(error.kind(), key.algorithm)))?;
        self.inner.rules.identity(&data.claims, now_ms)
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
