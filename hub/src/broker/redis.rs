//! The Redis broker (feature `redis`): several hubs share one Redis, so every hub sees the
//! same offsets, history, dedup and epoch (docs/adr/0005-redis-broker.md).
//!
//! # Data model (one Redis primary; keys of a tenant share a `{…}` hash tag)
//!
//! - `herald:epoch`: the epoch of every channel, created on first use. A Redis that lost its
//!   data (restart without persistence) gets a new one, so clients are told to resync.
//! - `herald:{<len>:<tenant>}:seq:<channel>`: the channel's latest offset (never expires, so
//!   offsets never restart inside an epoch).
//! - `herald:{…}:log:<channel>`: the history, a stream whose entry ids are `<offset>-0`, capped
//!   at `history_size` entries (exact `MAXLEN`); each entry holds the publish time (Redis
//!   clock), subject, final flag and the serialised envelope. Entries older than
//!   `history_ttl` are skipped on read and the whole key expires `history_ttl` after the last
//!   publish.
//! - `herald:{…}:ids` (hash id → `time offset channel`), `…:order` (ids in publish order) and
//!   `…:n`: the tenant's dedup memory, at most `dedup_max_ids`, each id for `dedup_window`.
//!
//! Publishing is one Lua script (atomic in Redis): dedup check, `INCR` of the offset, `XADD`,
//! dedup bookkeeping and `PUBLISH` of the event on the channel's topic
//! ([`RedisBroker::topic`]), so pub/sub carries events in offset order per channel.
//!
//! # Failure modes
//!
//! Every command has a 2 s connect and response timeout. Any failure returns
//! [`BrokerError::Unavailable`] and drops the cached connection; the next call reconnects.
//! A publish whose answer was lost may have been applied: retrying it with the same event id
//! is answered as a duplicate.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::extract::ws::Utf8Bytes;
use herald_event_types::frame::EventFrame;
use herald_event_types::{ChannelName, Envelope, Subject};
use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Client, Script, Value};
use serde_json::value::RawValue;

use super::{Appended, Broker, BrokerError, History, HistoryQuery, MemoryConfig, StoredEvent};

/// Connect and response timeout of every Redis command.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(2);

const EPOCH_KEY: &str = "herald:epoch";

const APPEND: &str = r"
local epoch = redis.call('GET', KEYS[1])
if not epoch then
  epoch = ARGV[1]
  redis.call('SET', KEYS[1], epoch)
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[8])
local old = redis.call('ZRANGE', KEYS[5], 0, 99)
for _, id in ipairs(old) do
  local v = redis.call('HGET', KEYS[4], id)
  if v and now - tonumber(string.match(v, '^(%d+)')) < window then break end
  redis.call('HDEL', KEYS[4], id)
  redis.call('ZREM', KEYS[5], id)
end
local seen = redis.call('HGET', KEYS[4], ARGV[2])
if seen then
  local at, off, ch = string.match(seen, '^(%d+) (%d+) (.*)$')
  if now - tonumber(at) < window then return {epoch, 1, tonumber(off), ch} end
  redis.call('HDEL', KEYS[4], ARGV[2])
  redis.call('ZREM', KEYS[5], ARGV[2])
end
local offset = redis.call('INCR', KEYS[2])
redis.call('XADD', KEYS[3], 'MAXLEN', ARGV[6], offset .. '-0', 't', now, 's', ARGV[4], 'f', ARGV[5], 'd', ARGV[3])
redis.call('PEXPIRE', KEYS[3], ARGV[7])
local max = tonumber(ARGV[9])
if max > 0 then
  local n = redis.call('INCR', KEYS[6])
  redis.call('HSET', KEYS[4], ARGV[2], now .. ' ' .. offset .. ' ' .. ARGV[11])
  redis.call('ZADD', KEYS[5], n, ARGV[2])
  local excess = redis.call('ZCARD', KEYS[5]) - max
  if excess > 0 then
    local popped = redis.call('ZPOPMIN', KEYS[5], excess)
    for i = 1, #popped, 2 do redis.call('HDEL', KEYS[4], popped[i]) end
  end
  redis.call('PEXPIRE', KEYS[4], window)
  redis.call('PEXPIRE', KEYS[5], window)
  redis.call('PEXPIRE', KEYS[6], window)
end
redis.call('PUBLISH', ARGV[10], epoch .. '\n' .. offset .. '\n' .. ARGV[5] .. '\n' .. ARGV[4] .. '\n' .. ARGV[3])
return {epoch, 0, offset, ARGV[11]}
";

/// KEYS: epoch, seq, log. ARGV: candidate epoch, mode (`pos`, `since`, `latest`), offset,
/// count. Returns {epoch, latest, now, entries}.
const READ: &str = r"
local epoch = redis.call('GET', KEYS[1])
if not epoch then
  epoch = ARGV[1]
  redis.call('SET', KEYS[1], epoch)
end
local latest = tonumber(redis.call('GET', KEYS[2]) or '0')
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local entries = {}
if ARGV[2] == 'since' then
  entries = redis.call('XRANGE', KEYS[3], ARGV[3] .. '-0', '+')
elseif ARGV[2] == 'latest' then
  entries = redis.call('XREVRANGE', KEYS[3], '+', '-', 'COUNT', ARGV[4])
end
return {epoch, latest, now, entries}
";

/// Configuration of the Redis broker.
#[derive(Clone)]
pub struct RedisConfig {
    /// `redis://[user:password@]host:port[/db]`. No default: required for this broker.
    pub url: String,
    /// History and dedup limits, with the same meaning and defaults as the memory broker.
    pub limits: MemoryConfig,
}

impl fmt::Debug for RedisConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL may hold a password.
        f.debug_struct("RedisConfig").field("url", &redact(&self.url)).field("limits", &self.limits).finish()
    }
}

/// `url` with any password replaced by `***`.
pub(crate) fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => format!("{}://***{}", &url[..scheme], &url[at..]),
        _ => url.to_owned(),
    }
}

/// The Redis broker. Cloning is cheap; clones share one multiplexed connection.
#[derive(Clone)]
pub struct RedisBroker {
    inner: Arc<Inner>,
}

struct Inner {
    client: Client,
    config: RedisConfig,
    conn: Mutex<Option<MultiplexedConnection>>,
    append: Script,
    read: Script,
}

impl fmt::Debug for RedisBroker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisBroker").field("config", &self.inner.config).finish_non_exhaustive()
    }
}

/// An event as carried on a channel's pub/sub topic.
#[derive(Debug)]
pub(crate) struct Published {
    pub(crate) epoch: Arc<str>,
    pub(crate) event: Arc<StoredEvent>,
}

impl RedisBroker {
    /// A broker for `config.url`. Does not connect yet (see [`Broker::is_ready`]).
    ///
    /// # Errors
    /// [`BrokerError::Unavailable`] when the URL is not a valid Redis URL.
    pub fn new(config: RedisConfig) -> Result<Self, BrokerError> {
        let client = Client::open(config.url.as_str())
            .map_err(|e| BrokerError::Unavailable(format!("invalid Redis URL {}: {e}", redact(&config.url))))?;
        Ok(Self {
            inner: Arc::new(Inner {
                client,
                config,
                conn: Mutex::new(None),
                append: Script::new(APPEND),
                read: Script::new(READ),
            }),
        })
    }

    /// The configuration this broker was built with.
    pub fn config(&self) -> &RedisConfig {
        &self.inner.config
    }

    pub(crate) fn client(&self) -> &Client {
        &self.inner.client
    }

    /// The pub/sub topic of `(tenant, channel)`.
    pub fn topic(tenant: &str, channel: &ChannelName) -> String {
        format!("herald:{}:topic:{channel}", tag(tenant))
    }

    /// The cached connection, or a new one.
    async fn conn(&self) -> Result<MultiplexedConnection, BrokerError> {
        if let Some(conn) = self.inner.conn.lock().unwrap_or_else(PoisonError::into_inner).clone() {
            return Ok(conn);
        }
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(COMMAND_TIMEOUT))
            .set_response_timeout(Some(COMMAND_TIMEOUT));
        let conn =
            self.inner.client.get_multiplexed_async_connection_with_config(&config).await.map_err(unavailable)?;
        *self.inner.conn.lock().unwrap_or_else(PoisonError::into_inner) = Some(conn.clone());
        Ok(conn)
    }

    /// Forgets the cached connection after a failure.
    fn reset(&self, error: redis::RedisError) -> BrokerError {
        *self.inner.conn.lock().unwrap_or_else(PoisonError::into_inner) = None;
        unavailable(error)
    }

    /// Decodes a message of the topic of `channel`.
    pub(crate) fn decode(channel: &ChannelName, payload: &[u8]) -> Option<Published> {
        let text = std::str::from_utf8(payload).ok()?;
        let mut parts = text.splitn(5, '\n');
        let epoch: Arc<str> = parts.next()?.into();
        let offset = parts.next()?.parse().ok()?;
        let is_final = parts.next()? == "1";
        let subject = parts.next()?.parse().ok()?;
        let event = stored(channel, offset, subject, is_final, parts.next()?)?;
        Some(Published { epoch, event: Arc::new(event) })
    }
}

/// The `{…}` hash tag of a tenant: its length and name, so no two tenants share keys.
fn tag(tenant: &str) -> String {
    format!("{{{}:{tenant}}}", tenant.len())
}

/// A fresh random epoch, set only if Redis has none (the first writer wins). Fresh on every
/// call, so a Redis that lost its data never gets an epoch it had before.
fn candidate() -> String {
    format!("{:016x}", rand::random::<u64>())
}

fn unavailable(error: redis::RedisError) -> BrokerError {
    BrokerError::Unavailable(format!("redis: {error}"))
}

fn stored(channel: &ChannelName, offset: u64, subject: Subject, is_final: bool, raw: &str) -> Option<StoredEvent> {
    let raw: Box<RawValue> = RawValue::from_string(raw.to_owned()).ok()?;
    Some(StoredEvent { offset, subject, is_final, frame: Utf8Bytes::from(EventFrame::encode(channel, offset, &raw)) })
}

fn bad(what: &str) -> BrokerError {
    BrokerError::Unavailable(format!("redis: unexpected reply ({what})"))
}

fn text(value: &Value) -> Option<String> {
    match value {
        Value::BulkString(bytes) => String::from_utf8(bytes.clone()).ok(),
        Value::SimpleString(s) => Some(s.clone()),
        Value::Int(n) => Some(n.to_string()),
        _ => None,
    }
}

fn int(value: &Value) -> Option<u64> {
    match value {
        Value::Int(n) => u64::try_from(*n).ok(),
        other => text(other)?.parse().ok(),
    }
}

/// One stream entry: `[id, [field, value, …]]` → (time, event).
fn entry(channel: &ChannelName, value: &Value) -> Option<(u64, StoredEvent)> {
    let Value::Array(parts) = value else { return None };
    let [id, Value::Array(fields)] = parts.as_slice() else { return None };
    let offset = text(id)?.split('-').next()?.parse().ok()?;
    let (mut at, mut subject, mut is_final, mut raw) = (None, None, false, None);
    for pair in fields.chunks(2) {
        let [name, value] = pair else { return None };
        match text(name)?.as_str() {
            "t" => at = int(value),
            "s" => subject = text(value)?.parse().ok(),
            "f" => is_final = text(value)? == "1",
            "d" => raw = text(value),
            _ => {}
        }
    }
    Some((at?, stored(channel, offset, subject?, is_final, &raw?)?))
}

impl Broker for RedisBroker {
    async fn append(&self, tenant: &str, channel: &ChannelName, event: &Envelope) -> Result<Appended, BrokerError> {
        let raw = serde_json::to_string(event)
            .map_err(|err| BrokerError::Unavailable(format!("cannot serialise the event: {err}")))?;
        let limits = &self.inner.config.limits;
        let tag = tag(tenant);
        let mut conn = self.conn().await?;
        let reply: Vec<Value> = self
            .inner
            .append
            .key(EPOCH_KEY)
            .key(format!("herald:{tag}:seq:{channel}"))
            .key(format!("herald:{tag}:log:{channel}"))
            .key(format!("herald:{tag}:ids"))
            .key(format!("herald:{tag}:order"))
            .key(format!("herald:{tag}:n"))
            .arg(candidate())
            .arg(event.id.as_str())
            .arg(&raw)
            .arg(event.subject.as_str())
            .arg(if event.is_final { "1" } else { "0" })
            .arg(limits.history_size.max(1))
            .arg(limits.history_ttl.as_millis().max(1) as u64)
            .arg(limits.dedup_window.as_millis() as u64)
            .arg(limits.dedup_max_ids)
            .arg(Self::topic(tenant, channel))
            .arg(channel.as_str())
            .invoke_async(&mut conn)
            .await
            .map_err(|e| self.reset(e))?;
        let [_, duplicate, offset, first] = reply.as_slice() else { return Err(bad("append")) };
        let offset = int(offset).ok_or_else(|| bad("offset"))?;
        if int(duplicate) == Some(1) {
            let channel = text(first).and_then(|c| c.parse().ok()).ok_or_else(|| bad("channel"))?;
            return Ok(Appended { channel, offset, duplicate: true, event: None });
        }
        let event = stored(channel, offset, event.subject.clone(), event.is_final, &raw).ok_or_else(|| bad("event"))?;
        Ok(Appended { channel: channel.clone(), offset, duplicate: false, event: Some(Arc::new(event)) })
    }

    async fn history(
        &self,
        tenant: &str,
        channel: &ChannelName,
        subject: &Subject,
        query: HistoryQuery,
    ) -> Result<History, BrokerError> {
        let limits = &self.inner.config.limits;
        let tag = tag(tenant);
        let (mode, from, count) = match &query {
            HistoryQuery::Position => ("pos", 0, 0),
            HistoryQuery::Since { offset, .. } => ("since", offset.saturating_add(1), 0),
            // Without a subject filter only `limit` entries can match.
            HistoryQuery::Latest { limit } if subject.is_empty() => ("latest", 0, *limit),
            HistoryQuery::Latest { .. } => ("latest", 0, limits.history_size),
        };
        let mut conn = self.conn().await?;
        let reply: Vec<Value> = self
            .inner
            .read
            .key(EPOCH_KEY)
            .key(format!("herald:{tag}:seq:{channel}"))
            .key(format!("herald:{tag}:log:{channel}"))
            .arg(candidate())
            .arg(mode)
            .arg(from)
            .arg(count.max(1))
            .invoke_async(&mut conn)
            .await
            .map_err(|e| self.reset(e))?;
        let [epoch, latest, now, Value::Array(entries)] = reply.as_slice() else { return Err(bad("read")) };
        let epoch: Arc<str> = text(epoch).ok_or_else(|| bad("epoch"))?.into();
        let latest = int(latest).ok_or_else(|| bad("latest"))?;
        let now = int(now).ok_or_else(|| bad("time"))?;
        let ttl = limits.history_ttl.as_millis() as u64;
        // Retained: not older than the TTL (publish times grow with offsets).
        let mut retained = Vec::with_capacity(entries.len());
        for value in entries {
            let (at, event) = entry(channel, value).ok_or_else(|| bad("entry"))?;
            if now.saturating_sub(at) < ttl {
                retained.push(Arc::new(event));
            }
        }
        let matching = |event: &Arc<StoredEvent>| subject.matches(&event.subject);
        let (recovered, events) = match query {
            HistoryQuery::Position => (false, Vec::new()),
            HistoryQuery::Latest { limit } => {
                // XREVRANGE: newest first.
                let mut events: Vec<_> = retained.into_iter().filter(matching).take(limit).collect();
                events.reverse();
                (false, events)
            }
            HistoryQuery::Since { epoch: seen, offset, limit } => {
                if *seen != *epoch || offset > latest {
                    (false, Vec::new())
                } else if offset == latest {
                    (true, Vec::new())
                } else if retained.first().is_some_and(|first| first.offset == offset + 1) {
                    (true, retained.into_iter().filter(matching).take(limit).collect())
                } else {
                    (false, Vec::new())
                }
            }
        };
        Ok(History { epoch, latest, recovered, events })
    }

    async fn is_ready(&self) -> bool {
        let Ok(mut conn) = self.conn().await else { return false };
        match redis::cmd("PING").query_async::<String>(&mut conn).await {
            Ok(_) => true,
            Err(error) => {
                self.reset(error);
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::conformance;
    use crate::broker::test_redis::RedisServer;

    /// Each check gets its own server, kept alive by the factory closure.
    fn factory() -> impl Fn(MemoryConfig) -> RedisBroker {
        let server = RedisServer::start();
        move |limits| RedisBroker::new(RedisConfig { url: server.url(), limits }).unwrap()
    }

    conformance::broker_conformance!(core: factory());

    #[test]
    fn urls_are_redacted() {
        assert_eq!(redact("redis://user:secret@host:6379/0"), "redis://***@host:6379/0");
        assert_eq!(redact("redis://host:6379"), "redis://host:6379");
        let config = RedisConfig { url: "redis://:pw@h".into(), limits: MemoryConfig::default() };
        assert!(!format!("{config:?}").contains("pw"));
    }

    #[test]
    fn a_bad_url_is_a_clear_error() {
        let error = RedisBroker::new(RedisConfig { url: "http://nope".into(), limits: MemoryConfig::default() });
        assert!(error.unwrap_err().to_string().contains("invalid Redis URL"));
    }

    #[tokio::test]
    async fn an_unreachable_redis_is_unavailable_and_not_ready() {
        let url = format!("redis://127.0.0.1:{}", crate::broker::test_redis::free_port());
        let broker = RedisBroker::new(RedisConfig { url, limits: MemoryConfig::default() }).unwrap();
        assert!(!broker.is_ready().await);
        let channel: ChannelName = "pipeline".parse().unwrap();
        let error = broker.append("acme", &channel, &conformance::envelope("e-1", "")).await.unwrap_err();
        assert!(matches!(error, BrokerError::Unavailable(_)), "{error}");
    }

    #[tokio::test]
    async fn a_restart_without_persistence_changes_the_epoch() {
        let mut server = RedisServer::start();
        let broker = RedisBroker::new(RedisConfig { url: server.url(), limits: MemoryConfig::default() }).unwrap();
        let channel: ChannelName = "pipeline".parse().unwrap();
        let all = Subject::default();
        broker.append("acme", &channel, &conformance::envelope("e-1", "")).await.unwrap();
        let before = broker.history("acme", &channel, &all, HistoryQuery::Position).await.unwrap();
        server.restart();
        // The first call after the restart may fail on the dead connection; the next reconnects.
        let _ = broker.is_ready().await;
        let after = broker.history("acme", &channel, &all, HistoryQuery::Position).await.unwrap();
        assert_ne!(before.epoch, after.epoch);
        assert_eq!(after.latest, 0);
        let since = HistoryQuery::Since { epoch: before.epoch.to_string(), offset: 1, limit: 10 };
        assert!(!broker.history("acme", &channel, &all, since).await.unwrap().recovered);
    }

    #[test]
    fn pubsub_messages_round_trip() {
        let channel: ChannelName = "pipeline".parse().unwrap();
        let raw = serde_json::to_string(&conformance::envelope("e-1", "p-1")).unwrap();
        let payload = format!("ep\n7\n1\np-1\n{raw}");
        let published = RedisBroker::decode(&channel, payload.as_bytes()).unwrap();
        assert_eq!((&*published.epoch, published.event.offset, published.event.is_final), ("ep", 7, true));
        assert!(RedisBroker::decode(&channel, b"ep\nx\n1\n\n{}").is_none());
    }
}
