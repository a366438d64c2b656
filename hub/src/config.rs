//! Hub configuration: command-line flags, environment variables and an optional TOML
//! file, in that order of precedence, over documented defaults.
//!
//! Every option is one field of [`Settings`] (what the user wrote) and of [`Config`] (what
//! the hub runs with). `herald-hub --help` and `docs/operations.md` list them all.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use herald_event_types::{ChannelName, EventCategory};
use serde::Deserialize;

use crate::auth::{AuthConfig, JwtKey, KeyDir};
use crate::broker::MemoryConfig;

/// What the user set, from flags, environment and file. Every field is optional; unset
/// fields take the default given in its help.
#[derive(Debug, Clone, Default, Parser, Deserialize)]
#[command(
    name = "herald-hub",
    version,
    about = "Herald's reference hub: authenticated, tenant-isolated, gapless fan-out"
)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct Settings {
    /// TOML file with any of these options (keys in snake_case, e.g. `heartbeat_ms = 25000`).
    /// Flags and environment variables override it.
    #[arg(long, env = "HERALD_CONFIG")]
    #[serde(skip)]
    pub config: Option<PathBuf>,

    /// Development mode: sign and verify with a random HS256 secret generated at start, print
    /// a subscriber and a publisher token, and serve `GET /api/v1/dev/token`, all for tenant
    /// `dev` only. Refuses a configured key, and a non-loopback --listen. Never in production.
    #[arg(long, env = "HERALD_DEV", value_parser = clap::builder::BoolishValueParser::new())]
    #[serde(skip)]
    pub dev: bool,

    /// INSECURE: let --dev listen on a non-loopback address, where anyone who can reach the hub
    /// can get tokens from it. Default off.
    #[arg(
        long = "dev-allow-non-loopback-INSECURE",
        env = "HERALD_DEV_ALLOW_NON_LOOPBACK_INSECURE",
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    #[serde(skip)]
    pub dev_allow_non_loopback_insecure: bool,

    /// Address to listen on. Default 127.0.0.1:8080.
    #[arg(long, env = "HERALD_LISTEN")]
    pub listen: Option<SocketAddr>,

    /// HS256 secret for verifying JWTs, at least 32 bytes (a shorter one stops the hub at
    /// startup). Prefer the environment variable: flags are visible in `ps`.
    #[arg(long, env = "HERALD_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<Secret>,

    /// PEM public key file for verifying JWTs: RS256 for an RSA key, ES256 for an EC P-256 key.
    #[arg(long, env = "HERALD_JWT_PUBLIC_KEY")]
    pub jwt_public_key: Option<PathBuf>,

    /// Directory of verification keys selected by each token's `kid`: `<kid>.hs256` (an HS256
    /// secret) and `<kid>.pem` (an RSA or EC P-256 public key) files. Re-read on SIGHUP and when
    /// its content changes, without a restart. Instead of HERALD_JWT_SECRET / HERALD_JWT_PUBLIC_KEY.
    #[arg(long, env = "HERALD_JWT_KEYS")]
    pub jwt_keys: Option<PathBuf>,

    /// How often the HERALD_JWT_KEYS directory is checked for changes, in milliseconds; 0 checks
    /// only on SIGHUP. Default 2000.
    #[arg(long, env = "HERALD_JWT_KEYS_POLL_MS")]
    pub jwt_keys_poll_ms: Option<u64>,

    /// Required `aud` claim. Default: not checked.
    #[arg(long, env = "HERALD_JWT_AUDIENCE")]
    pub jwt_audience: Option<String>,

    /// Required `iss` claim. Default: not checked.
    #[arg(long, env = "HERALD_JWT_ISSUER")]
    pub jwt_issuer: Option<String>,

    /// Clock leeway for `exp`, `nbf` and `iat`, in milliseconds. Default 5000.
    #[arg(long, env = "HERALD_JWT_LEEWAY_MS")]
    pub jwt_leeway_ms: Option<u64>,

    /// Interval between WebSocket pings, in milliseconds. Default 25000.
    #[arg(long, env = "HERALD_HEARTBEAT_MS")]
    pub heartbeat_ms: Option<u64>,

    /// Close (4408) a connection that has not answered a ping within this many milliseconds. Default 10000.
    #[arg(long, env = "HERALD_PONG_TIMEOUT_MS")]
    pub pong_timeout_ms: Option<u64>,

    /// Close (4408) a connection not authenticated within this many milliseconds. Default 10000.
    #[arg(long, env = "HERALD_AUTH_TIMEOUT_MS")]
    pub auth_timeout_ms: Option<u64>,

    /// Close (4401) a connection this many milliseconds after its token expired, unless refreshed. Default 30000.
    #[arg(long, env = "HERALD_TOKEN_GRACE_MS")]
    pub token_grace_ms: Option<u64>,

    /// Largest WebSocket message accepted, in bytes; larger ones close the connection with 1009. Default
    /// max_event_bytes + 1024 (66560), so a `publish` frame carrying the largest event fits.
    #[arg(long, env = "HERALD_MAX_MESSAGE_BYTES")]
    pub max_message_bytes: Option<usize>,

    /// Largest HTTP request body accepted, in bytes; larger ones get 413. Default 1048576.
    #[arg(long, env = "HERALD_MAX_HTTP_BODY_BYTES")]
    pub max_http_body_bytes: Option<usize>,

    /// Per-connection outbound queue bound, in bytes; overflow closes the connection with 4409. At least
    /// 4 × max_event_bytes. Default 1048576.
    #[arg(long, env = "HERALD_CLIENT_QUEUE_BYTES")]
    pub client_queue_bytes: Option<usize>,

    /// Subscriptions per connection; more get `too_many_subscriptions`. Default 128.
    #[arg(long, env = "HERALD_MAX_SUBSCRIPTIONS")]
    pub max_subscriptions: Option<usize>,

    /// Concurrent connections per user (org, sub); more are closed with 4429. Default 64.
    #[arg(long, env = "HERALD_MAX_CONNECTIONS_PER_USER")]
    pub max_connections_per_user: Option<usize>,

    /// Concurrent WebSocket connections per client IP address (IPv6: per /64 prefix), counted
    /// from the upgrade request to the connection's end; one more gets HTTP 429 `rate_limited`
    /// before the upgrade. 0 turns the limit off (for a hub behind a reverse proxy, where every
    /// connection comes from the proxy's address). Default 256.
    #[arg(long, env = "HERALD_MAX_CONNECTIONS_PER_IP")]
    pub max_connections_per_ip: Option<usize>,

    /// Largest event accepted on any publish path (WebSocket, HTTP, in-process), measured as
    /// its serialised envelope, in bytes; a larger one gets `too_large` (HTTP 413).
    /// `client_queue_bytes` must be at least 4 times this. Default 65536.
    #[arg(long, env = "HERALD_MAX_EVENT_BYTES")]
    pub max_event_bytes: Option<usize>,

    /// HTTP requests handled at once, HTTP/1 and HTTP/2 together (WebSocket upgrades count until
    /// their 101); one more gets 503 `unavailable`. `/healthz` is never refused. Default 1024.
    #[arg(long, env = "HERALD_MAX_HTTP_IN_FLIGHT")]
    pub max_http_in_flight: Option<usize>,

    /// Comma-separated CIDRs (or single addresses) of reverse proxies. Only for a TCP peer inside
    /// one of them is the client address taken from the forwarding header (right-most untrusted
    /// hop). Default: none, the TCP peer is the client.
    #[arg(long, env = "HERALD_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Option<Vec<String>>,

    /// The header the trusted proxies set: `x-forwarded-for` (default) or `forwarded` (RFC 7239).
    /// The other one is ignored.
    #[arg(long, env = "HERALD_FORWARDED_HEADER")]
    pub forwarded_header: Option<ForwardedHeader>,

    /// Failed authentications per client address within `auth_failure_window_ms`; once reached,
    /// requests and upgrades from that address get 429 `rate_limited` until the window passes.
    /// 0 turns the limit off. Default 30.
    #[arg(long, env = "HERALD_MAX_AUTH_FAILURES_PER_IP")]
    pub max_auth_failures_per_ip: Option<u32>,

    /// The window of `max_auth_failures_per_ip`, in milliseconds. Default 60000.
    #[arg(long, env = "HERALD_AUTH_FAILURE_WINDOW_MS")]
    pub auth_failure_window_ms: Option<u64>,

    /// History reads per second per client address, burst one second's worth; more get 429
    /// `rate_limited`. 0 turns the limit off. Default 20.
    #[arg(long, env = "HERALD_HISTORY_RATE_PER_IP")]
    pub history_rate_per_ip: Option<u32>,

    /// Publishes per second per token (org, sub), burst one second's worth; excess gets `rate_limited`. Default 1000.
    #[arg(long, env = "HERALD_PUBLISH_RATE")]
    pub publish_rate: Option<u32>,

    /// Comma-separated Origins allowed to open WebSockets; others get 403. Default: any origin.
    #[arg(long, env = "HERALD_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub allowed_origins: Option<Vec<String>>,

    /// Events kept per channel for recovery and history. Default 1000.
    #[arg(long, env = "HERALD_HISTORY_SIZE")]
    pub history_size: Option<usize>,

    /// Bytes of history kept per channel (the stored event frames; oldest evicted first).
    /// Default 524288 (512 KiB), or half of HERALD_CLIENT_QUEUE_BYTES if that is smaller.
    #[arg(long, env = "HERALD_HISTORY_MAX_BYTES")]
    pub history_max_bytes: Option<usize>,

    /// How long events are kept, in milliseconds. Default 3600000 (1 hour).
    #[arg(long, env = "HERALD_HISTORY_TTL_MS")]
    pub history_ttl_ms: Option<u64>,

    /// How long event ids are remembered for idempotent publishing, in milliseconds. Default 600000 (10 minutes).
    #[arg(long, env = "HERALD_DEDUP_WINDOW_MS")]
    pub dedup_window_ms: Option<u64>,

    /// At most this many event ids remembered per tenant (oldest forgotten first). Default 250000.
    #[arg(long, env = "HERALD_DEDUP_MAX_IDS")]
    pub dedup_max_ids: Option<usize>,

    /// Where events are stored: `memory` (this process, the default) or `redis://[user:password@]host:port[/db]`
    /// (needs the `redis` feature; several hubs then share one stream per channel).
    #[arg(long, env = "HERALD_BROKER_URL")]
    pub broker: Option<Secret>,

    /// Comma-separated extra channels, besides the six category channels ([a-z0-9_-]{1,64}).
    #[arg(long, env = "HERALD_CHANNELS", value_delimiter = ',')]
    pub channels: Option<Vec<String>>,

    /// Directory of a built dashboard to serve at `/`. Default: none.
    #[arg(long, env = "HERALD_STATIC_DIR")]
    pub static_dir: Option<PathBuf>,

    /// Time allowed to send a request's headers, in milliseconds; slower connections are dropped. Default 10000.
    #[arg(long, env = "HERALD_HEADER_READ_TIMEOUT_MS")]
    pub header_read_timeout_ms: Option<u64>,

    /// Give up a connection whose socket accepts no data for this many milliseconds (the peer
    /// stopped reading): one stalled write ends it, and its resources are released at most
    /// this long after its session ended. Default 10000.
    #[arg(long, env = "HERALD_WRITE_TIMEOUT_MS")]
    pub write_timeout_ms: Option<u64>,

    /// Log format: `human` or `json`. Default human. The filter comes from `RUST_LOG` (default `info`).
    #[arg(long, env = "HERALD_LOG_FORMAT")]
    pub log_format: Option<LogFormat>,
}

/// A secret that never shows in `Debug` output or logs.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// The secret's text.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(s.to_owned()))
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Self(s.to_owned())
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// How logs are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines (default).
    #[default]
    Human,
    /// One JSON object per line.
    Json,
}

/// The header from which a trusted proxy's client address is read (`HERALD_FORWARDED_HEADER`).
///
/// Only the configured one is read: a proxy that appends to one of them passes the other
/// through unchanged, so trusting both would let a client choose its address.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ForwardedHeader {
    /// `X-Forwarded-For: client, proxy1, proxy2` (nginx, HAProxy, most load balancers). Default.
    #[default]
    XForwardedFor,
    /// `Forwarded: for=client, for="[2001:db8::1]:4711"` (RFC 7239).
    Forwarded,
}

/// The configuration the hub runs with. Build it with [`Config::from_settings`], or start
/// from [`Config::default`] (which has no key) and set fields.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// Listen address. Default 127.0.0.1:8080.
    pub listen: SocketAddr,
    /// Token verification. Default: none, and the hub refuses to start without it.
    pub auth: Option<AuthConfig>,
    /// Ping interval. Default 25 s.
    pub heartbeat: Duration,
    /// Pong deadline after a ping. Default 10 s.
    pub pong_timeout: Duration,
    /// Authentication deadline after the upgrade. Default 10 s.
    pub auth_timeout: Duration,
    /// How long a connection outlives its token. Default 30 s.
    pub token_grace: Duration,
    /// Largest WebSocket message, in bytes. Default `max_event_bytes` + [`PUBLISH_FRAME_OVERHEAD`]
    /// (66560): a `publish` frame carrying the largest event fits, so an oversize event gets
    /// `too_large` and not a 1009 close.
    pub max_message_bytes: usize,
    /// Largest HTTP body, in bytes. Default 1 MiB.
    pub max_http_body_bytes: usize,
    /// Outbound queue bound per connection, in bytes. Default 1 MiB. At least 4 ×
    /// `max_event_bytes` ([`Config::validate`]).
    pub client_queue_bytes: usize,
    /// Subscriptions per connection. Default 128.
    pub max_subscriptions: usize,
    /// Connections per user. Default 64.
    pub max_connections_per_user: usize,
    /// Concurrent WebSocket connections per client IP address (IPv6: per /64), enforced
    /// before the upgrade with HTTP 429 `rate_limited`. `0` turns the limit off. Default 256:
    /// four users at the per-user default behind one address (a NAT, a service host), while
    /// one address can pin at most about 3 MB of idle-connection memory.
    pub max_connections_per_ip: usize,
    /// Largest event on any publish path, measured as the serialised envelope, in bytes;
    /// larger ones are refused with `too_large` (HTTP 413). Default 65536. [`Config::validate`]
    /// requires `client_queue_bytes >= 4 × max_event_bytes`, so one event can never overflow
    /// a subscriber's queue on its own.
    pub max_event_bytes: usize,
    /// HTTP requests handled at once (HTTP/1 and HTTP/2 together; `/healthz` excepted); one
    /// more gets 503 `unavailable` with `Retry-After: 1`. At least 1. Default 1024.
    pub max_http_in_flight: usize,
    /// Reverse proxies whose forwarding header gives the client address. Default empty: the
    /// TCP peer is always the client and forwarding headers are ignored.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Which forwarding header trusted proxies set. Default `X-Forwarded-For`.
    pub forwarded_header: ForwardedHeader,
    /// Failed authentications per client address within `auth_failure_window` before the
    /// address gets 429 `rate_limited` until the window passes. `0` turns it off. Default 30.
    pub max_auth_failures_per_ip: u32,
    /// The window of `max_auth_failures_per_ip`. Default 60 s.
    pub auth_failure_window: Duration,
    /// History reads per second per client address, burst one second's worth; more get 429.
    /// `0` turns it off. Default 20.
    pub history_rate_per_ip: u32,
    /// Publishes per second per token. Default 1000.
    pub publish_rate: u32,
    /// Allowed Origins; `None` allows any. Default `None`.
    pub allowed_origins: Option<Vec<String>>,
    /// Every channel the hub serves: the six category channels plus extras.
    pub channels: Vec<ChannelName>,
    /// The Redis URL of the broker (feature `redis`); `None` (the default) for the memory
    /// broker. Hidden in debug output (it may hold a password).
    pub broker: Option<Secret>,
    /// History and dedup limits of the broker (also applied by the Redis broker). Default
    /// [`MemoryConfig::default`]; [`Config::from_settings`] lowers `history_max_bytes` to half of
    /// `client_queue_bytes` when that is smaller and the option is not set.
    pub memory: MemoryConfig,
    /// Dashboard directory served at `/`. Default none.
    pub static_dir: Option<PathBuf>,
    /// Header read timeout. Default 10 s.
    pub header_read_timeout: Duration,
    /// How long one socket write may stall before the connection is given up (the peer is
    /// not reading); also the longest the hub waits for a connection's writer after its
    /// session ended. Default 10 s.
    pub write_timeout: Duration,
    /// Development mode only: the HS256 secret used to mint tokens for tenant `dev` at
    /// `GET /api/v1/dev/token`. Default `None` (no such route). When set, `auth` must verify
    /// with this same secret and `listen` must be a loopback address (unless
    /// `dev_allow_non_loopback_insecure`), or `HubBuilder::spawn` fails.
    pub dev_token_secret: Option<Vec<u8>>,
    /// Development mode only: allow a non-loopback `listen` address (a warning is logged).
    /// Default `false`. Flag `--dev-allow-non-loopback-INSECURE`.
    pub dev_allow_non_loopback_insecure: bool,
    /// Log format. Default human.
    pub log_format: LogFormat,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            auth: None,
            heartbeat: Duration::from_millis(25_000),
            pong_timeout: Duration::from_millis(10_000),
            auth_timeout: Duration::from_millis(10_000),
            token_grace: Duration::from_millis(30_000),
            max_message_bytes: 65_536 + PUBLISH_FRAME_OVERHEAD,
            max_http_body_bytes: 1 << 20,
            client_queue_bytes: 1 << 20,
            max_subscriptions: 128,
            max_connections_per_user: 64,
            max_connections_per_ip: 256,
            max_event_bytes: 65_536,
            max_http_in_flight: 1024,
            trusted_proxies: Vec::new(),
            forwarded_header: ForwardedHeader::XForwardedFor,
            max_auth_failures_per_ip: 30,
            auth_failure_window: Duration::from_secs(60),
            history_rate_per_ip: 20,
            publish_rate: 1000,
            allowed_origins: None,
            channels: EventCategory::ALL.iter().map(|c| c.channel()).collect(),
            broker: None,
            memory: MemoryConfig::default(),
            static_dir: None,
            header_read_timeout: Duration::from_millis(10_000),
            write_timeout: Duration::from_millis(10_000),
            dev_token_secret: None,
            dev_allow_non_loopback_insecure: false,
            log_format: LogFormat::Human,
        }
    }
}

/// A configuration that cannot be used. The message says what to set.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// Neither a secret nor a public key is configured.
    #[error(
        "no JWT key: set HERALD_JWT_SECRET (HS256), HERALD_JWT_PUBLIC_KEY / --jwt-public-key (RS256/ES256) or HERALD_JWT_KEYS / --jwt-keys (a key directory), or run with --dev"
    )]
    NoKey,
    /// More than one of a secret, a public key and a key directory are configured.
    #[error("set only one of HERALD_JWT_SECRET, HERALD_JWT_PUBLIC_KEY and HERALD_JWT_KEYS")]
    TwoKeys,
    /// `--dev` with a configured key: development mode only uses its own random secret.
    #[error("--dev signs and verifies with a random secret of its own: unset {0} (or drop --dev)")]
    DevWithKey(&'static str),
    /// `--dev` on a non-loopback address without the insecure flag.
    #[error(
        "--dev refuses to listen on {0}, which is not a loopback address: anyone reaching it could get tokens; \
         listen on 127.0.0.1 or [::1], or pass --dev-allow-non-loopback-INSECURE"
    )]
    DevNonLoopback(SocketAddr),
    /// A file could not be read.
    #[error("cannot read {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The TOML file is invalid.
    #[error("invalid config file {path}")]
    Toml {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: Box<toml::de::Error>,
    },
    /// The public key is not usable.
    #[error("invalid JWT public key")]
    Key(#[source] crate::auth::AuthSetupError),
    /// An option has an invalid value; the text names it.
    #[error("{0}")]
    Invalid(String),
}

impl Settings {
    /// Fills every field this one leaves unset from `file` (lower precedence).
    pub fn or(self, file: Self) -> Self {
        macro_rules! pick {
            ($($field:ident),*) => { Self {
                config: self.config,
                dev: self.dev,
                dev_allow_non_loopback_insecure: self.dev_allow_non_loopback_insecure,
                $($field: self.$field.or(file.$field),)*
            } };
        }
        pick!(
            listen,
            jwt_secret,
            jwt_public_key,
            jwt_keys,
            jwt_keys_poll_ms,
            jwt_audience,
            jwt_issuer,
            jwt_leeway_ms,
            heartbeat_ms,
            pong_timeout_ms,
            auth_timeout_ms,
            token_grace_ms,
            max_message_bytes,
            max_http_body_bytes,
            client_queue_bytes,
            max_subscriptions,
            max_connections_per_user,
            max_connections_per_ip,
            max_event_bytes,
            max_http_in_flight,
            trusted_proxies,
            forwarded_header,
            max_auth_failures_per_ip,
            auth_failure_window_ms,
            history_rate_per_ip,
            publish_rate,
            allowed_origins,
            history_size,
            history_max_bytes,
            history_ttl_ms,
            dedup_window_ms,
            dedup_max_ids,
            broker,
            channels,
            static_dir,
            header_read_timeout_ms,
            write_timeout_ms,
            log_format
        )
    }

    /// Parses flags and environment, then fills the rest from the `--config` file, if any.
    ///
    /// # Errors
    /// [`ConfigError`] when the file cannot be read or parsed.
    pub fn load() -> Result<Self, ConfigError> {
        let cli = Self::parse();
        match cli.config.clone() {
            None => Ok(cli),
            Some(path) => {
                let text = std::fs::read_to_string(&path)
                    .map_err(|source| ConfigError::Read { path: path.clone(), source })?;
                let file: Self =
                    toml::from_str(&text).map_err(|source| ConfigError::Toml { path, source: Box::new(source) })?;
                Ok(cli.or(file))
            }
        }
    }
}

impl Config {
    /// Builds the configuration from settings. A key is required, except with `--dev`
    /// (`settings.dev`), which refuses one and signs and verifies with `dev_secret`, or with
    /// a fresh random secret when that is `None`. `dev_secret` is ignored without `--dev`.
    ///
    /// # Errors
    /// [`ConfigError`] naming what to set or fix.
    pub fn from_settings(settings: &Settings, dev_secret: Option<Vec<u8>>) -> Result<Self, ConfigError> {
        let d = Self::default();
        let ms = |value: Option<u64>, default: Duration| value.map(Duration::from_millis).unwrap_or(default);
        let listen = settings.listen.unwrap_or(d.listen);
        let dev_secret = if settings.dev {
            dev_settings(settings, listen)?;
            Some(dev_secret.unwrap_or_else(crate::dev::random_secret))
        } else {
            None
        };
        let configured =
            [settings.jwt_secret.is_some(), settings.jwt_public_key.is_some(), settings.jwt_keys.is_some()];
        if configured.into_iter().filter(|set| *set).count() > 1 && dev_secret.is_none() {
            return Err(ConfigError::TwoKeys);
        }
        let key = match (&settings.jwt_secret, &settings.jwt_public_key, &dev_secret) {
            (_, _, Some(secret)) => JwtKey::Hs256(secret.clone()),
            (Some(_), Some(_), None) => return Err(ConfigError::TwoKeys),
            (Some(secret), None, None) if secret.expose().is_empty() => {
                return Err(ConfigError::Invalid("HERALD_JWT_SECRET is empty".into()));
            }
            (Some(secret), None, None) => JwtKey::Hs256(secret.expose().as_bytes().to_vec()),
            (None, Some(path), None) => {
                let pem = std::fs::read(path).map_err(|source| ConfigError::Read { path: path.clone(), source })?;
                JwtKey::from_public_key_pem(&pem).map_err(ConfigError::Key)?
            }
            (None, None, None) => match &settings.jwt_keys {
                Some(path) => JwtKey::Dir(KeyDir {
                    path: path.clone(),
                    poll_interval: match settings.jwt_keys_poll_ms {
                        Some(0) => None,
                        Some(ms) => Some(Duration::from_millis(ms)),
                        None => Some(KeyDir::DEFAULT_POLL_INTERVAL),
                    },
                }),
                None => return Err(ConfigError::NoKey),
            },
        };
        let mut channels = d.channels.clone();
        for name in settings.channels.iter().flatten().map(|c| c.trim()).filter(|c| !c.is_empty()) {
            let channel = ChannelName::new(name)
                .map_err(|_| ConfigError::Invalid(format!("HERALD_CHANNELS: {name:?} is not [a-z0-9_-]{{1,64}}")))?;
            if !channels.contains(&channel) {
                channels.push(channel);
            }
        }
        let positive = |name: &str, value: usize| {
            if value == 0 { Err(ConfigError::Invalid(format!("{name} must be at least 1"))) } else { Ok(value) }
        };
        let client_queue_bytes =
            positive("HERALD_CLIENT_QUEUE_BYTES", settings.client_queue_bytes.unwrap_or(d.client_queue_bytes))?;
        let config = Self {
            listen,
            auth: Some(AuthConfig {
                key,
                audience: settings.jwt_audience.clone(),
                issuer: settings.jwt_issuer.clone(),
                leeway: ms(settings.jwt_leeway_ms, Duration::from_millis(5000)),
            }),
            heartbeat: ms(settings.heartbeat_ms, d.heartbeat).max(Duration::from_millis(10)),
            pong_timeout: ms(settings.pong_timeout_ms, d.pong_timeout),
            auth_timeout: ms(settings.auth_timeout_ms, d.auth_timeout),
            token_grace: ms(settings.token_grace_ms, d.token_grace),
            max_message_bytes: positive(
                "HERALD_MAX_MESSAGE_BYTES",
                settings.max_message_bytes.unwrap_or(
                    settings.max_event_bytes.unwrap_or(d.max_event_bytes).saturating_add(PUBLISH_FRAME_OVERHEAD),
                ),
            )?,
            max_http_body_bytes: positive(
                "HERALD_MAX_HTTP_BODY_BYTES",
                settings.max_http_body_bytes.unwrap_or(d.max_http_body_bytes),
            )?,
            client_queue_bytes,
            max_subscriptions: positive(
                "HERALD_MAX_SUBSCRIPTIONS",
                settings.max_subscriptions.unwrap_or(d.max_subscriptions),
            )?,
            max_connections_per_user: positive(
                "HERALD_MAX_CONNECTIONS_PER_USER",
                settings.max_connections_per_user.unwrap_or(d.max_connections_per_user),
            )?,
            max_connections_per_ip: settings.max_connections_per_ip.unwrap_or(d.max_connections_per_ip),
            max_event_bytes: settings.max_event_bytes.unwrap_or(d.max_event_bytes),
            max_http_in_flight: settings.max_http_in_flight.unwrap_or(d.max_http_in_flight),
            trusted_proxies: trusted_proxies(settings.trusted_proxies.as_deref())?,
            forwarded_header: settings.forwarded_header.unwrap_or_default(),
            max_auth_failures_per_ip: settings.max_auth_failures_per_ip.unwrap_or(d.max_auth_failures_per_ip),
            auth_failure_window: ms(settings.auth_failure_window_ms, d.auth_failure_window),
            history_rate_per_ip: settings.history_rate_per_ip.unwrap_or(d.history_rate_per_ip),
            publish_rate: positive("HERALD_PUBLISH_RATE", settings.publish_rate.unwrap_or(d.publish_rate) as usize)?
                as u32,
            allowed_origins: settings
                .allowed_origins
                .clone()
                .map(|list| list.into_iter().map(|o| o.trim().to_owned()).filter(|o| !o.is_empty()).collect()),
            channels,
            broker: broker_url(settings.broker.as_ref())?,
            memory: MemoryConfig {
                history_size: settings.history_size.unwrap_or(d.memory.history_size),
                // Unset: what one replay may send on an empty queue, at most 512 KiB, so a
                // recovery across everything a channel holds always fits (channels.rs).
                history_max_bytes: settings
                    .history_max_bytes
                    .unwrap_or(d.memory.history_max_bytes.min(client_queue_bytes / 2)),
                history_ttl: ms(settings.history_ttl_ms, d.memory.history_ttl),
                dedup_window: ms(settings.dedup_window_ms, d.memory.dedup_window),
                dedup_max_ids: settings.dedup_max_ids.unwrap_or(d.memory.dedup_max_ids),
            },
            static_dir: settings.static_dir.clone(),
            header_read_timeout: ms(settings.header_read_timeout_ms, d.header_read_timeout),
            write_timeout: ms(settings.write_timeout_ms, d.write_timeout).max(Duration::from_millis(1)),
            dev_token_secret: dev_secret,
            dev_allow_non_loopback_insecure: settings.dev_allow_non_loopback_insecure,
            log_format: settings.log_format.unwrap_or_default(),
        };
        config.validate()?;
        Ok(config)
    }

    /// Checks the options that depend on each other. [`Config::from_settings`] and
    /// [`HubBuilder::spawn`](crate::HubBuilder::spawn) call it; a hub never starts with a
    /// configuration it refuses.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming the options when `max_event_bytes` or
    /// `max_http_in_flight` is 0, when `client_queue_bytes` is less than
    /// 4 × `max_event_bytes` (one event could then overflow a subscriber's
    /// queue and close every subscriber of its channel with 4409), or when the auth-failure
    /// window is zero while the limit is on.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.max_event_bytes == 0 {
            return Err(ConfigError::Invalid("max_event_bytes (HERALD_MAX_EVENT_BYTES) must be at least 1".into()));
        }
        if self.max_http_in_flight == 0 {
            return Err(ConfigError::Invalid(
                "max_http_in_flight (HERALD_MAX_HTTP_IN_FLIGHT) must be at least 1".into(),
            ));
        }
        let needed = self.max_event_bytes.saturating_mul(QUEUE_EVENTS);
        if self.client_queue_bytes < needed {
            return Err(ConfigError::Invalid(format!(
                "client_queue_bytes (HERALD_CLIENT_QUEUE_BYTES) is {} but must be at least {QUEUE_EVENTS} × \
                 max_event_bytes (HERALD_MAX_EVENT_BYTES, {}) = {needed}: raise the queue or lower the event limit",
                self.client_queue_bytes, self.max_event_bytes
            )));
        }
        if self.max_auth_failures_per_ip > 0 && self.auth_failure_window.is_zero() {
            return Err(ConfigError::Invalid(
                "auth_failure_window_ms (HERALD_AUTH_FAILURE_WINDOW_MS) must be at least 1 \
                 (or set HERALD_MAX_AUTH_FAILURES_PER_IP=0 to turn the limit off)"
                    .into(),
            ));
        }
        Ok(())
    }
}

/// How many of the largest events a connection's outbound queue must hold at least
/// (`client_queue_bytes >= QUEUE_EVENTS × max_event_bytes`).
const QUEUE_EVENTS: usize = 4;

/// What a `publish` frame adds around its event, at most: `type`, an `id`, a 64-byte channel
/// name and the JSON punctuation take under 200 bytes; 1 KiB leaves room for whitespace. The
/// default `max_message_bytes` is `max_event_bytes` plus this.
pub const PUBLISH_FRAME_OVERHEAD: usize = 1024;

/// Parses `HERALD_TRUSTED_PROXIES`: CIDRs (`10.0.0.0/8`, `2001:db8::/32`) or single
/// addresses (`/32` or `/128`); empty entries are skipped.
fn trusted_proxies(setting: Option<&[String]>) -> Result<Vec<ipnet::IpNet>, ConfigError> {
    let mut nets = Vec::new();
    for entry in setting.into_iter().flatten().map(|e| e.trim()).filter(|e| !e.is_empty()) {
        let net = match entry.parse::<ipnet::IpNet>() {
            Ok(net) => net.trunc(),
            Err(_) => entry.parse::<IpAddr>().map(ipnet::IpNet::from).map_err(|_| {
                ConfigError::Invalid(format!(
                    "HERALD_TRUSTED_PROXIES: {entry:?} is not an address or a CIDR such as 10.0.0.0/8"
                ))
            })?,
        };
        nets.push(net);
    }
    Ok(nets)
}

/// The rules of `--dev` on the settings: no configured key, and a loopback `listen` unless
/// `--dev-allow-non-loopback-INSECURE` (docs/operations.md §1).
fn dev_settings(settings: &Settings, listen: SocketAddr) -> Result<(), ConfigError> {
    if settings.jwt_secret.is_some() {
        return Err(ConfigError::DevWithKey("HERALD_JWT_SECRET / --jwt-secret"));
    }
    if settings.jwt_public_key.is_some() {
        return Err(ConfigError::DevWithKey("HERALD_JWT_PUBLIC_KEY / --jwt-public-key"));
    }
    if settings.jwt_keys.is_some() {
        return Err(ConfigError::DevWithKey("HERALD_JWT_KEYS / --jwt-keys"));
    }
    if !crate::dev::is_loopback(&listen) && !settings.dev_allow_non_loopback_insecure {
        return Err(ConfigError::DevNonLoopback(listen));
    }
    Ok(())
}

/// `None` for the memory broker, the URL for Redis; an error for anything else.
fn broker_url(setting: Option<&Secret>) -> Result<Option<Secret>, ConfigError> {
    let Some(url) = setting.map(|s| s.expose().trim()).filter(|s| !s.is_empty() && *s != "memory") else {
        return Ok(None);
    };
    if !(url.starts_with("redis://") || url.starts_with("rediss://") || url.starts_with("redis+unix://")) {
        return Err(ConfigError::Invalid("HERALD_BROKER_URL / --broker must be `memory` or a redis:// URL".into()));
    }
    if cfg!(not(feature = "redis")) {
        return Err(ConfigError::Invalid(
            "HERALD_BROKER_URL is a Redis URL but this hub was built without the `redis` feature".into(),
        ));
    }
    Ok(Some(Secret::from(url)))
}

#[cfg(test)]
mod tests;
