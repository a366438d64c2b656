//! The Redis broker (feature `redis`): several hubs share one Redis, so every hub sees the
//! same offsets, history, dedup and epoch (docs/adr/0005-redis-broker.md).
//!
//! # Data model (one Redis primary; keys of a tenant share a `{…}` hash tag)
//!
//! - `herald:epoch`: the epoch of every channel, created on first use. A Redis that lost its
//!   data (restart without persistence) gets a new one, so clients are told to resync.
//! - `herald:server`: the identity (`<run_id> <master_replid>`) of the server the epoch was
//!   last vouched on. Every connection is checked first (`super::redis_identity`): a Redis
//!   whose `maxmemory-policy` may evict keys is refused, and when the server changed in a way
//!   that may have lost acknowledged writes (failover to a replica, restart without
//!   `appendfsync always`) a new epoch is minted rather than offsets re-issued under the old
//!   one.
//! - `herald:{<len>:<tenant>}:seq:<channel>`: the channel's latest offset (never expires, so
//!   offsets never restart inside an epoch).
//! - `herald:{…}:log:<channel>`: the history, a stream whose entry ids are `<offset>-0`; each
//!   entry holds the publish time (Redis clock), subject, final flag and the serialised
//!   envelope. The publish script evicts from the front while the stream holds more than
//!   `history_size` entries or more than `history_max_bytes` bytes of event frames (counted in
//!   `…:bytes:<channel>`, exactly as the memory broker counts them). Reads skip entries older
//!   than `history_ttl` (they still count against the bounds until evicted), and both keys
//!   expire `history_ttl` after the last publish.
//! - `herald:{…}:dedup` (hash `<channel> <id>` → `time offset`), `…:dedup-order` (keys in
//!   publish order) and `…:dedup-n`: the tenant's dedup memory, per (channel, id), at most
//!   `dedup_max_ids` per tenant, each for `dedup_window`.
//!
//! Publishing is one Lua script (atomic in Redis): dedup check, `INCR` of the offset, `XADD`,
//! eviction, dedup bookkeeping and `PUBLISH` of the event on the channel's topic
//! ([`RedisBroker::topic`]), so pub/sub carries events in offset order per channel.
//!
//! # Failure modes
//!
//! Every command has a 2 s connect and response timeout. Any failure returns
//! [`BrokerError::Unavailable`] and drops the cached connection; the next call reconnects
//! (and checks the server again). A server that fails the check answers
//! [`BrokerError::Misconfigured`] (bad `maxmemory-policy`, `INFO` refused) or
//! [`BrokerError::Unavailable`] (a replica) to every call until it is fixed; each distinct
//! problem is logged once. A publish whose answer was lost may have been applied: retrying it
//! with the same event id is answered as a duplicate.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use axum::extract::ws::Utf8Bytes;
use herald_event_types::frame::EventFrame;
use herald_event_types::{ChannelName, Envelope, Subject};
use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Client, Script, ScriptInvocation, Value};
use serde_json::value::RawValue;

use super::redis_identity::{self, RECHECK_EVERY, Server, Vouched};
use super::{Appended, Broker, BrokerError, History, HistoryQuery, MemoryConfig, StoredEvent};

/// Connect and response timeout of every Redis command.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(2);

const EPOCH_KEY: &str = "herald:epoch";

/// The start of every data script. KEYS[1], KEYS[2]: epoch, server. ARGV[1], ARGV[2]:
/// candidate epoch, the identity this connection was checked for. Sets `epoch` and `now`
/// (ms), or fails with `HERALDSTALE` when the data was vouched on another server meanwhile.
macro_rules! prelude {
    () => {
        r"
local epoch = redis.call('GET', KEYS[1])
if not epoch then
  epoch = ARGV[1]
  redis.call('SET', KEYS[1], epoch)
  redis.call('SET', KEYS[2], ARGV[2])
elseif redis.call('GET', KEYS[2]) ~= ARGV[2] then
  return redis.error_reply('HERALDSTALE the Redis server changed since this connection was checked')
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
"
    };
}

/// KEYS: epoch, server, seq, log, dedup, dedup-order, dedup-n, bytes. ARGV: candidate epoch,
/// identity, event id, envelope, subject, final, history size, history TTL (ms), dedup window
/// (ms), dedup max ids, topic, channel, history max bytes, frame overhead (the frame's length
/// without the envelope and the offset's digits). Returns {epoch, duplicate, offset}.
const APPEND: &str = concat!(
    prelude!(),
    r"
local window = tonumber(ARGV[9])
local old = redis.call('ZRANGE', KEYS[6], 0, 99)
for _, key in ipairs(old) do
  local v = redis.call('HGET', KEYS[5], key)
  if v and now - tonumber(string.match(v, '^(%d+)')) < window then break end
  redis.call('HDEL', KEYS[5], key)
  redis.call('ZREM', KEYS[6], key)
end
local key = ARGV[12] .. ' ' .. ARGV[3]
local seen = redis.call('HGET', KEYS[5], key)
if seen then
  local at, off = string.match(seen, '^(%d+) (%d+)')
  if now - tonumber(at) < window then return {epoch, 1, tonumber(off)} end
  redis.call('HDEL', KEYS[5], key)
  redis.call('ZREM', KEYS[6], key)
end
local offset = string.format('%d', redis.call('INCR', KEYS[3]))
local overhead = tonumber(ARGV[14])
local function field(entry, name)
  local fields = entry[2]
  for i = 1, #fields, 2 do
    if fields[i] == name then return fields[i + 1] end
  end
end
local function size(entry)
  return overhead + #(field(entry, 'd') or '') + #string.match(entry[1], '^(%d+)')
end
local bytes = 0
if redis.call('EXISTS', KEYS[4]) == 1 then
  bytes = tonumber(redis.call('GET', KEYS[8]) or '-1')
  if bytes < 0 then
    bytes = 0
    for _, entry in ipairs(redis.call('XRANGE', KEYS[4], '-', '+')) do bytes = bytes + size(entry) end
  end
end
redis.call('XADD', KEYS[4], offset .. '-0', 't', now, 's', ARGV[5], 'f', ARGV[6], 'd', ARGV[4])
bytes = bytes + overhead + #ARGV[4] + #offset
local len = redis.call('XLEN', KEYS[4])
local maxlen, maxbytes = tonumber(ARGV[7]), tonumber(ARGV[13])
while len > maxlen or bytes > maxbytes do
  local oldest = redis.call('XRANGE', KEYS[4], '-', '+', 'COUNT', 1)[1]
  if not oldest then
    bytes = 0
    break
  end
  redis.call('XDEL', KEYS[4], oldest[1])
  bytes = bytes - size(oldest)
  len = len - 1
end
redis.call('SET', KEYS[8], bytes, 'PX', ARGV[8])
redis.call('PEXPIRE', KEYS[4], ARGV[8])
local max = tonumber(ARGV[10])
if max > 0 then
  local n = redis.call('INCR', KEYS[7])
  redis.call('HSET', KEYS[5], key, now .. ' ' .. offset)
  redis.call('ZADD', KEYS[6], n, key)
  local excess = redis.call('ZCARD', KEYS[6]) - max
  if excess > 0 then
    local popped = redis.call('ZPOPMIN', KEYS[6], excess)
    for i = 1, #popped, 2 do redis.call('HDEL', KEYS[5], popped[i]) end
  end
  redis.call('PEXPIRE', KEYS[5], window)
  redis.call('PEXPIRE', KEYS[6], window)
  redis.call('PEXPIRE', KEYS[7], window)
end
redis.call('PUBLISH', ARGV[11], epoch .. '\n' .. offset .. '\n' .. ARGV[6] .. '\n' .. ARGV[5] .. '\n' .. ARGV[4])
return {epoch, 0, tonumber(offset)}
"
);

/// KEYS: epoch, server, seq, log. ARGV: candidate epoch, identity, mode (`pos`, `since`,
/// `latest`), offset, count. Returns {epoch, latest, now, entries}.
const READ: &str = concat!(
    prelude!(),
    r"
local latest = tonumber(redis.call('GET', KEYS[3]) or '0')
local entries = {}
if ARGV[3] == 'since' then
  entries = redis.call('XRANGE', KEYS[4], ARGV[4] .. '-0', '+')
elseif ARGV[3] == 'latest' then
  entries = redis.call('XREVRANGE', KEYS[4], '+', '-', 'COUNT', ARGV[5])
end
return {epoch, latest, now, entries}
"
);

/// Configuration of the Redis broker.
#[derive(Clone)]
pub struct RedisConfig {
    /// `redis://[user:password@]host:port[/db]`. No default: required for this broker.
    pub url: String,
    /// History and dedup limits, with the same meaning and defaults as the memory broker
    /// (`history_max_bytes` counts the same bytes). Set them the same on every hub.
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
    /// The URL without its password, for messages.
    shown_url: String,
    session: Mutex<Option<Session>>,
    append: Script,
    read: Script,
    /// The last problem logged (each distinct one is logged once, not per request).
    problem: Mutex<Option<String>>,
    /// Whether the "cannot read appendfsync" warning was logged.
    fsync_warned: AtomicBool,
}

/// A connection whose server passed the checks of `redis_identity`.
struct Session {
    conn: MultiplexedConnection,
    /// The identity the server had when checked, passed to every script.
    identity: Arc<str>,
    /// When it was last checked.
    checked: Instant,
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
                shown_url: redact(&config.url),
                config,
                session: Mutex::new(None),
                append: Script::new(APPEND),
                read: Script::new(READ),
                problem: Mutex::new(None),
                fsync_warned: AtomicBool::new(false),
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

    /// Checks that Redis is usable: reachable, a primary, and with a `maxmemory-policy` that
    /// never evicts Herald's keys (see `redis_identity`).
    ///
    /// # Errors
    /// [`BrokerError::Misconfigured`] when Redis is reachable but unsafe to use (the hub
    /// refuses to start); [`BrokerError::Unavailable`] when it cannot be reached or is a
    /// replica (the hub starts, not ready, and keeps trying).
    pub async fn check(&self) -> Result<(), BrokerError> {
        self.session().await.map(drop)
    }

    /// The checked connection and its server's identity: the cached one, checked again if
    /// its last check is older than [`RECHECK_EVERY`], or a new one.
    async fn session(&self) -> Result<(MultiplexedConnection, Arc<str>), BrokerError> {
        let due = {
            let mut session = lock(&self.inner.session);
            match session.as_mut() {
                Some(session) if session.checked.elapsed() < RECHECK_EVERY => {
                    return Ok((session.conn.clone(), Arc::clone(&session.identity)));
                }
                // This caller checks; the others go on with it meanwhile.
                Some(session) => {
                    session.checked = Instant::now();
                    Some((session.conn.clone(), Arc::clone(&session.identity)))
                }
                None => None,
            }
        };
        if let Some((mut conn, identity)) = due {
            let url = &self.inner.shown_url;
            let checked = async {
                let server = Server::inspect(&mut conn, url).await?;
                server.check(url)?;
                Ok::<_, BrokerError>(*server.identity() == *identity)
            };
            match checked.await {
                Ok(true) => return Ok((conn, identity)),
                // Another server (or the same one, promoted in place): vouch again.
                Ok(false) => self.drop_session(),
                Err(error) => {
                    self.drop_session();
                    return Err(self.report(error));
                }
            }
        }
        match self.open().await {
            Ok(session) => {
                self.clear_problem();
                Ok(session)
            }
            Err(error) => Err(self.report(error)),
        }
    }

    /// Connects, checks the server and vouches for the epoch (`redis_identity`).
    async fn open(&self) -> Result<(MultiplexedConnection, Arc<str>), BrokerError> {
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(COMMAND_TIMEOUT))
            .set_response_timeout(Some(COMMAND_TIMEOUT));
        let mut conn =
            self.inner.client.get_multiplexed_async_connection_with_config(&config).await.map_err(unavailable)?;
        let url = &self.inner.shown_url;
        let server = Server::inspect(&mut conn, url).await?;
        server.check(url)?;
        if server.fsync_unknown() && !self.inner.fsync_warned.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                redis = %url,
                "the Redis user may not run CONFIG GET appendfsync: Herald cannot tell whether a restarted Redis \
                 kept every write, so each Redis restart starts a new epoch (clients resync); grant +config|get \
                 to keep the epoch across restarts with appendfsync always"
            );
        }
        let (epoch, vouched) = server.vouch(&mut conn, EPOCH_KEY, candidate()).await?;
        match vouched {
            Vouched::Same => {}
            Vouched::Created => tracing::info!(redis = %url, %epoch, "redis broker: new epoch (Redis had none)"),
            Vouched::Kept => tracing::info!(
                redis = %url, %epoch,
                "redis broker: Redis restarted with appendonly yes and appendfsync always; the epoch continues"
            ),
            Vouched::Renewed => tracing::warn!(
                redis = %url, %epoch,
                "redis broker: the Redis server changed (a failover, or a restart that may have lost writes); \
                 started a new epoch so clients resync instead of trusting offsets"
            ),
        }
        let identity: Arc<str> = server.identity().into();
        *lock(&self.inner.session) =
            Some(Session { conn: conn.clone(), identity: Arc::clone(&identity), checked: Instant::now() });
        Ok((conn, identity))
    }

    /// Runs a data script built by `invocation` (given the connection's identity). A
    /// `HERALDSTALE` answer (the data was vouched on another server meanwhile) checks the
    /// server again and retries once.
    async fn run<'a>(&'a self, invocation: impl Fn(&str) -> ScriptInvocation<'a>) -> Result<Vec<Value>, BrokerError> {
        let mut retried = false;
        loop {
            let (mut conn, identity) = self.session().await?;
            match invocation(&identity).invoke_async(&mut conn).await {
                Ok(reply) => return Ok(reply),
                Err(error) if redis_identity::is_stale(&error) && !retried => {
                    retried = true;
                    self.drop_session();
                }
                Err(error) => return Err(self.reset(error)),
            }
        }
    }

    fn drop_session(&self) {
        *lock(&self.inner.session) = None;
    }

    /// Forgets the cached connection after a failure.
    fn reset(&self, error: redis::RedisError) -> BrokerError {
        self.drop_session();
        unavailable(error)
    }

    /// Logs a failed check once (not connection failures: the relay logs those), and
    /// returns it.
    fn report(&self, error: BrokerError) -> BrokerError {
        let problem = match &error {
            BrokerError::Misconfigured(message) => message,
            BrokerError::Unavailable(message) if message.contains("is a replica") => message,
            BrokerError::Unavailable(_) => return error,
        };
        let mut last = lock(&self.inner.problem);
        if last.as_deref() != Some(problem.as_str()) {
            match &error {
                BrokerError::Misconfigured(_) => tracing::error!("redis broker refuses Redis: {problem}"),
                _ => tracing::warn!("redis broker cannot use Redis yet: {problem}"),
            }
            *last = Some(problem.clone());
        }
        error
    }

    fn clear_problem(&self) {
        if lock(&self.inner.problem).take().is_some() {
            tracing::info!(redis = %self.inner.shown_url, "redis broker: Redis passes its checks again");
        }
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

/// The length of `channel`'s event frame without the envelope and the offset's digits, so
/// Redis can count a frame's bytes exactly as the memory broker does.
fn frame_overhead(channel: &ChannelName) -> usize {
    let zero = RawValue::from_string("0".to_owned()).expect("0 is JSON");
    EventFrame::encode(channel, 0, &zero).len() - 2
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
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

pub(crate) fn text(value: &Value) -> Option<String> {
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
        let keys = [
            format!("herald:{tag}:seq:{channel}"),
            format!("herald:{tag}:log:{channel}"),
            format!("herald:{tag}:dedup"),
            format!("herald:{tag}:dedup-order"),
            format!("herald:{tag}:dedup-n"),
            format!("herald:{tag}:bytes:{channel}"),
        ];
        let topic = Self::topic(tenant, channel);
        let overhead = frame_overhead(channel);
        let reply = self
            .run(|identity| {
                let mut invocation = self.inner.append.key(EPOCH_KEY);
                invocation.key(redis_identity::SERVER_KEY).key(&keys);
                invocation
                    .arg(candidate())
                    .arg(identity)
                    .arg(event.id.as_str())
                    .arg(&raw)
                    .arg(event.subject.as_str())
                    .arg(if event.is_final { "1" } else { "0" })
                    .arg(limits.history_size)
                    .arg(millis(limits.history_ttl).max(1))
                    .arg(millis(limits.dedup_window))
                    .arg(limits.dedup_max_ids)
                    .arg(&topic)
                    .arg(channel.as_str())
                    .arg(limits.history_max_bytes)
                    .arg(overhead);
                invocation
            })
            .await?;
        let [_, duplicate, offset] = reply.as_slice() else { return Err(bad("append")) };
        let offset = int(offset).ok_or_else(|| bad("offset"))?;
        if int(duplicate) == Some(1) {
            return Ok(Appended { channel: channel.clone(), offset, duplicate: true, event: None });
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
        let (seq, log) = (format!("herald:{tag}:seq:{channel}"), format!("herald:{tag}:log:{channel}"));
        let reply = self
            .run(|identity| {
                let mut invocation = self.inner.read.key(EPOCH_KEY);
                invocation.key(redis_identity::SERVER_KEY).key(&seq).key(&log);
                invocation.arg(candidate()).arg(identity).arg(mode).arg(from).arg(count.max(1));
                invocation
            })
            .await?;
        let [epoch, latest, now, Value::Array(entries)] = reply.as_slice() else { return Err(bad("read")) };
        let epoch: Arc<str> = text(epoch).ok_or_else(|| bad("epoch"))?.into();
        let latest = int(latest).ok_or_else(|| bad("latest"))?;
        let now = int(now).ok_or_else(|| bad("time"))?;
        let ttl = millis(limits.history_ttl);
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
        let Ok((mut conn, _)) = self.session().await else { return false };
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
