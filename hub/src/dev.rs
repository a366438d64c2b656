//! Development mode (`herald-hub --dev`, docs/operations.md §1): the hub signs and verifies
//! tokens with a random HS256 secret of its own, prints a subscriber and a publisher token,
//! and serves `GET /api/v1/dev/token` (docs/protocol.md §8), all for tenant [`DEV_TENANT`]
//! only.
//!
//! What keeps it from becoming a way in:
//! - the secret is generated at every start and never configured, so no token minted here
//!   verifies anywhere else, and no production key is ever used to mint
//!   (`ConfigError::DevWithKey`);
//! - tokens are minted for tenant `dev` only (another `org` is `forbidden`);
//! - the hub refuses a non-loopback listen address (`ConfigError::DevNonLoopback`) unless
//!   [`ALLOW_NON_LOOPBACK_FLAG`] is given, and then logs a warning at startup.

use std::net::SocketAddr;

use crate::auth::{JwtKey, MIN_HS256_SECRET_LEN, mint_hs256};
use crate::config::{Config, ConfigError};

/// The only tenant (`org`) development mode mints tokens for.
pub const DEV_TENANT: &str = "dev";

/// The flag that lets a development hub listen on a non-loopback address. Named so that
/// nobody sets it by accident: anyone who can reach such a hub can get tokens from it.
pub const ALLOW_NON_LOOPBACK_FLAG: &str = "--dev-allow-non-loopback-INSECURE";

/// What a development token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DevRole {
    /// The default subscribe permissions, no publish permission; `sub` default `dev-user`,
    /// `name` `Dev User`.
    Subscriber,
    /// `publish: ["*"]` and `subscribe: ["*"]` in tenant `dev`; `sub` default
    /// `dev-publisher`. For the example services' `--dev`.
    Publisher,
}

impl DevRole {
    /// `subscriber` or `publisher`; `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "subscriber" => Some(Self::Subscriber),
            "publisher" => Some(Self::Publisher),
            _ => None,
        }
    }

    /// The `sub` of a token of this role when none is asked for.
    pub fn default_sub(self) -> &'static str {
        match self {
            Self::Subscriber => "dev-user",
            Self::Publisher => "dev-publisher",
        }
    }
}

/// A fresh random HS256 secret for one run of a development hub (32 bytes from the
/// operating system's generator, through `rand`).
pub fn random_secret() -> Vec<u8> {
    rand::random::<[u8; MIN_HS256_SECRET_LEN]>().to_vec()
}

/// Signs a development token for `sub` in tenant [`DEV_TENANT`], expiring at `exp_ms`
/// (milliseconds since the Unix epoch, rounded down to seconds), with the hub's configured
/// `aud` and `iss` when it has them, so the hub accepts it.
///
/// `sub` is not checked here: callers pass a default or a `sub` that
/// [`crate::auth::check_identifier`] accepted.
pub fn mint(secret: &[u8], role: DevRole, sub: &str, exp_ms: u64, config: &Config) -> String {
    let mut claims = serde_json::json!({"sub": sub, "org": DEV_TENANT, "exp": exp_ms / 1000});
    match role {
        DevRole::Subscriber => claims["name"] = "Dev User".into(),
        DevRole::Publisher => {
            claims["publish"] = serde_json::json!(["*"]);
            claims["subscribe"] = serde_json::json!(["*"]);
        }
    }
    if let Some(auth) = &config.auth {
        if let Some(audience) = &auth.audience {
            claims["aud"] = audience.as_str().into();
        }
        if let Some(issuer) = &auth.issuer {
            claims["iss"] = issuer.as_str().into();
        }
    }
    mint_hs256(secret, &claims)
}

/// Whether `addr` is a loopback address (127.0.0.0/8, `::1`, or `::ffff:127.x.y.z`).
pub fn is_loopback(addr: &SocketAddr) -> bool {
    match addr {
        SocketAddr::V4(v4) => v4.ip().is_loopback(),
        SocketAddr::V6(v6) => v6.ip().is_loopback() || v6.ip().to_ipv4_mapped().is_some_and(|ip| ip.is_loopback()),
    }
}

/// The rules of development mode, for a [`Config`] with a `dev_token_secret`: a loopback
/// listen address unless `dev_allow_non_loopback_insecure`, and `auth` verifying with that
/// very secret. Checked by `HubBuilder::spawn`, so an embedding program gets them too.
pub(crate) fn check(config: &Config) -> Result<(), ConfigError> {
    let Some(secret) = &config.dev_token_secret else { return Ok(()) };
    let verifies_with_it = matches!(
        config.auth.as_ref().map(|auth| &auth.key),
        Some(JwtKey::Hs256(key)) if key == secret
    );
    if !verifies_with_it {
        return Err(ConfigError::Invalid(
            "development mode (dev_token_secret) needs auth to verify with that same HS256 secret".into(),
        ));
    }
    if !is_loopback(&config.listen) {
        if !config.dev_allow_non_loopback_insecure {
            return Err(ConfigError::DevNonLoopback(config.listen));
        }
        tracing::warn!(
            listen = %config.listen,
            "INSECURE: development mode on a non-loopback address ({ALLOW_NON_LOOPBACK_FLAG}): anyone who can \
             reach this hub can get tokens for tenant `dev` from GET /api/v1/dev/token"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_is_127_slash_8_and_ipv6_loopback_only() {
        for ok in ["127.0.0.1:8080", "127.1.2.3:0", "[::1]:80", "[::ffff:127.0.0.1]:80"] {
            assert!(is_loopback(&ok.parse().unwrap()), "{ok}");
        }
        for bad in ["0.0.0.0:8080", "192.168.1.2:80", "[::]:80", "[fe80::1]:80", "[::ffff:10.0.0.1]:80"] {
            assert!(!is_loopback(&bad.parse().unwrap()), "{bad}");
        }
    }

    fn dev_settings() -> crate::Settings {
        crate::Settings { dev: true, ..Default::default() }
    }

    #[test]
    fn dev_settings_refuse_a_configured_secret_or_public_key() {
        let secret =
            crate::Settings { jwt_secret: Some("production-secret-0123456789abcdef".into()), ..dev_settings() };
        let error = Config::from_settings(&secret, None).unwrap_err();
        assert!(matches!(error, ConfigError::DevWithKey(named) if named.contains("HERALD_JWT_SECRET")), "{error}");
        let public = crate::Settings { jwt_public_key: Some("jwt-public.pem".into()), ..dev_settings() };
        let error = Config::from_settings(&public, None).unwrap_err();
        assert!(matches!(error, ConfigError::DevWithKey(named) if named.contains("HERALD_JWT_PUBLIC_KEY")), "{error}");
        let dir = crate::Settings { jwt_keys: Some("/etc/herald/jwt-keys".into()), ..dev_settings() };
        let error = Config::from_settings(&dir, None).unwrap_err();
        assert!(matches!(error, ConfigError::DevWithKey(named) if named.contains("HERALD_JWT_KEYS")), "{error}");
    }

    #[test]
    fn dev_settings_refuse_a_non_loopback_listen_unless_the_insecure_flag_is_set() {
        let open = crate::Settings { listen: Some("0.0.0.0:8080".parse().unwrap()), ..dev_settings() };
        let error = Config::from_settings(&open, None).unwrap_err();
        assert!(matches!(error, ConfigError::DevNonLoopback(_)), "{error}");
        assert!(error.to_string().contains(ALLOW_NON_LOOPBACK_FLAG), "{error}");
        let allowed = crate::Settings { dev_allow_non_loopback_insecure: true, ..open };
        let config = Config::from_settings(&allowed, None).unwrap();
        assert!(config.dev_allow_non_loopback_insecure);
        // The flag alone changes nothing outside development mode.
        let production = crate::Settings {
            jwt_secret: Some("production-secret-0123456789abcdef".into()),
            dev_allow_non_loopback_insecure: true,
            ..Default::default()
        };
        assert!(Config::from_settings(&production, None).unwrap().dev_token_secret.is_none());
    }

    #[test]
    fn dev_settings_verify_with_a_fresh_random_secret() {
        let (a, b) = (
            Config::from_settings(&dev_settings(), None).unwrap(),
            Config::from_settings(&dev_settings(), None).unwrap(),
        );
        let secret = a.dev_token_secret.clone().unwrap();
        assert_eq!(secret.len(), 32);
        assert_ne!(a.dev_token_secret, b.dev_token_secret);
        assert!(matches!(&a.auth.as_ref().unwrap().key, JwtKey::Hs256(key) if *key == secret));
        assert!(check(&a).is_ok());
    }

    #[test]
    fn random_secrets_are_32_bytes_and_differ() {
        let (a, b) = (random_secret(), random_secret());
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
    }

    #[test]
    fn roles_parse_and_have_default_subs() {
        assert_eq!(DevRole::parse("publisher"), Some(DevRole::Publisher));
        assert_eq!(DevRole::parse("subscriber"), Some(DevRole::Subscriber));
        assert_eq!(DevRole::parse("admin"), None);
        assert_eq!(DevRole::Publisher.default_sub(), "dev-publisher");
        assert_eq!(DevRole::Subscriber.default_sub(), "dev-user");
    }
}
