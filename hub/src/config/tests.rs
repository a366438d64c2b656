//! Unit tests of the configuration: precedence, defaults, checks.

use std::path::Path;

use super::*;

#[test]
fn flags_beat_the_file_and_defaults_fill_the_rest() {
    let cli = Settings { heartbeat_ms: Some(1000), jwt_secret: Some("s".into()), ..Default::default() };
    let file: Settings =
        toml::from_str("heartbeat_ms = 2000\npong_timeout_ms = 3000\nchannels = [\"builds\"]").unwrap();
    let config = Config::from_settings(&cli.or(file), None).unwrap();
    assert_eq!(config.heartbeat, Duration::from_millis(1000));
    assert_eq!(config.pong_timeout, Duration::from_millis(3000));
    assert_eq!(config.auth_timeout, Duration::from_millis(10_000));
    assert!(config.channels.iter().any(|c| c.as_str() == "builds"));
    assert_eq!(config.channels.len(), 7);
}

#[test]
fn the_per_ip_limit_defaults_to_256_and_0_turns_it_off() {
    let key = || Settings { jwt_secret: Some("s".into()), ..Default::default() };
    assert_eq!(Config::from_settings(&key(), None).unwrap().max_connections_per_ip, 256);
    let file: Settings = toml::from_str("max_connections_per_ip = 0").unwrap();
    assert_eq!(Config::from_settings(&key().or(file), None).unwrap().max_connections_per_ip, 0);
    let flag = Settings { max_connections_per_ip: Some(8), ..key() };
    let file: Settings = toml::from_str("max_connections_per_ip = 3").unwrap();
    assert_eq!(Config::from_settings(&flag.or(file), None).unwrap().max_connections_per_ip, 8);
}

#[test]
fn a_queue_smaller_than_four_events_is_refused_naming_both_options() {
    let key = || Settings { jwt_secret: Some("s".into()), ..Default::default() };
    let config = Config::from_settings(&key(), None).unwrap();
    assert_eq!((config.max_event_bytes, config.client_queue_bytes), (65_536, 1 << 20));
    let small_queue = Settings { client_queue_bytes: Some(4 * 65_536 - 1), ..key() };
    let error = Config::from_settings(&small_queue, None).unwrap_err().to_string();
    assert!(error.contains("HERALD_CLIENT_QUEUE_BYTES") && error.contains("HERALD_MAX_EVENT_BYTES"), "{error}");
    let fits = Settings { client_queue_bytes: Some(4 * 65_536), ..key() };
    assert!(Config::from_settings(&fits, None).is_ok());
    let smaller_events = Settings { client_queue_bytes: Some(64 * 1024), max_event_bytes: Some(16 * 1024), ..key() };
    assert!(Config::from_settings(&smaller_events, None).is_ok());
    // A Config built in code is checked too (HubBuilder::spawn calls validate).
    let mut config = Config { max_event_bytes: 1 << 20, ..Config::default() };
    assert!(matches!(config.validate(), Err(ConfigError::Invalid(_))));
    config.max_event_bytes = 0;
    assert!(config.validate().unwrap_err().to_string().contains("HERALD_MAX_EVENT_BYTES"));
    let no_flight = Settings { max_http_in_flight: Some(0), ..key() };
    assert!(Config::from_settings(&no_flight, None).unwrap_err().to_string().contains("HERALD_MAX_HTTP_IN_FLIGHT"));
}

#[test]
fn trusted_proxies_are_cidrs_or_addresses_and_default_to_none() {
    let key = || Settings { jwt_secret: Some("s".into()), ..Default::default() };
    let config = Config::from_settings(&key(), None).unwrap();
    assert!(config.trusted_proxies.is_empty());
    assert_eq!(config.forwarded_header, ForwardedHeader::XForwardedFor);
    let list =
        |items: &[&str]| Settings { trusted_proxies: Some(items.iter().map(|s| (*s).to_owned()).collect()), ..key() };
    let config =
        Config::from_settings(&list(&["10.0.0.0/8", " 192.0.2.7 ", "", "2001:db8::/32", "10.1.2.3/16"]), None).unwrap();
    let nets: Vec<String> = config.trusted_proxies.iter().map(ToString::to_string).collect();
    assert_eq!(nets, ["10.0.0.0/8", "192.0.2.7/32", "2001:db8::/32", "10.1.0.0/16"]);
    for bad in ["10.0.0.0/33", "proxy.local", "10.0.0.0/"] {
        let error = Config::from_settings(&list(&[bad]), None).unwrap_err().to_string();
        assert!(error.contains("HERALD_TRUSTED_PROXIES"), "{bad}: {error}");
    }
    let file: Settings =
        toml::from_str("trusted_proxies = [\"10.0.0.0/8\"]\nforwarded_header = \"forwarded\"").unwrap();
    let config = Config::from_settings(&key().or(file), None).unwrap();
    assert_eq!((config.trusted_proxies.len(), config.forwarded_header), (1, ForwardedHeader::Forwarded));
}

#[test]
fn per_address_limits_default_on_and_0_turns_them_off() {
    let key = || Settings { jwt_secret: Some("s".into()), ..Default::default() };
    let config = Config::from_settings(&key(), None).unwrap();
    assert_eq!(
        (config.max_auth_failures_per_ip, config.auth_failure_window, config.history_rate_per_ip),
        (30, Duration::from_secs(60), 20)
    );
    assert_eq!(config.max_http_in_flight, 1024);
    let file: Settings = toml::from_str(
        "max_auth_failures_per_ip = 0\nauth_failure_window_ms = 0\nhistory_rate_per_ip = 0\nmax_http_in_flight = 8",
    )
    .unwrap();
    let config = Config::from_settings(&key().or(file), None).unwrap();
    assert_eq!((config.max_auth_failures_per_ip, config.history_rate_per_ip, config.max_http_in_flight), (0, 0, 8));
    let zero_window = Settings { auth_failure_window_ms: Some(0), ..key() };
    assert!(Config::from_settings(&zero_window, None).unwrap_err().to_string().contains("AUTH_FAILURE_WINDOW"));
}

#[test]
fn history_max_bytes_defaults_to_512_kib_or_half_a_smaller_queue() {
    let key = || Settings { jwt_secret: Some("s".into()), ..Default::default() };
    assert_eq!(Config::from_settings(&key(), None).unwrap().memory.history_max_bytes, 512 * 1024);
    let small_queue = Settings { client_queue_bytes: Some(256 * 1024), ..key() };
    assert_eq!(Config::from_settings(&small_queue, None).unwrap().memory.history_max_bytes, 128 * 1024);
    let big_queue = Settings { client_queue_bytes: Some(16 << 20), ..key() };
    assert_eq!(Config::from_settings(&big_queue, None).unwrap().memory.history_max_bytes, 512 * 1024);
    let file: Settings = toml::from_str("history_max_bytes = 1000").unwrap();
    assert_eq!(Config::from_settings(&small_queue.or(file), None).unwrap().memory.history_max_bytes, 1000);
}

#[test]
fn a_key_is_required_and_only_one() {
    assert!(matches!(Config::from_settings(&Settings::default(), None), Err(ConfigError::NoKey)));
    let both = Settings { jwt_secret: Some("s".into()), jwt_public_key: Some("k.pem".into()), ..Default::default() };
    assert!(matches!(Config::from_settings(&both, None), Err(ConfigError::TwoKeys)));
    let dir_and_secret = Settings { jwt_secret: Some("s".into()), jwt_keys: Some("keys".into()), ..Default::default() };
    assert!(matches!(Config::from_settings(&dir_and_secret, None), Err(ConfigError::TwoKeys)));
    let dir = Settings { jwt_keys: Some("keys".into()), jwt_keys_poll_ms: Some(0), ..Default::default() };
    let key = Config::from_settings(&dir, None).unwrap().auth.unwrap().key;
    assert!(matches!(key, JwtKey::Dir(dir) if dir.poll_interval.is_none() && dir.path == Path::new("keys")));
    // A development secret counts only with --dev.
    let dev_secret = Some(vec![7; 32]);
    assert!(matches!(Config::from_settings(&Settings::default(), dev_secret.clone()), Err(ConfigError::NoKey)));
    let dev = Config::from_settings(&Settings { dev: true, ..Default::default() }, dev_secret.clone()).unwrap();
    assert_eq!(dev.dev_token_secret, dev_secret);
    assert!(matches!(dev.auth.unwrap().key, JwtKey::Hs256(ref key) if Some(key) == dev_secret.as_ref()));
}

#[test]
fn the_secret_never_shows_in_debug_output() {
    let settings = Settings { jwt_secret: Some("hunter2".into()), ..Default::default() };
    assert!(!format!("{settings:?}").contains("hunter2"));
}

#[test]
fn unknown_file_keys_and_bad_channels_are_errors() {
    assert!(toml::from_str::<Settings>("heartbeat = 5").is_err());
    let bad = Settings { jwt_secret: Some("s".into()), channels: Some(vec!["Bad Name".into()]), ..Default::default() };
    assert!(matches!(Config::from_settings(&bad, None), Err(ConfigError::Invalid(_))));
}

#[test]
fn the_broker_is_memory_or_a_redis_url() {
    let with = |url: &str| Settings { jwt_secret: Some("s".into()), broker: Some(url.into()), ..Default::default() };
    assert!(Config::from_settings(&with("memory"), None).unwrap().broker.is_none());
    assert!(matches!(Config::from_settings(&with("http://x"), None), Err(ConfigError::Invalid(_))));
    let redis = Config::from_settings(&with("redis://:pw@127.0.0.1:6379"), None);
    if cfg!(feature = "redis") {
        let config = redis.unwrap();
        assert!(config.broker.is_some());
        assert!(!format!("{config:?}").contains("pw"));
    } else {
        assert!(redis.unwrap_err().to_string().contains("`redis` feature"));
    }
}
