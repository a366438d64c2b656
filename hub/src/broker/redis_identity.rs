//! Which Redis server the broker talks to, whether it is safe to use, and whether its data
//! continues the current epoch (docs/adr/0005-redis-broker.md, "Epochs across failovers").
//!
//! Every new connection (and every open connection once per [`RECHECK_EVERY`]) is checked
//! before it is used:
//!
//! 1. **Inspect** (`INFO`, plus `CONFIG GET appendfsync` when allowed): the server's `run_id`,
//!    role, `master_replid`/`master_replid2`, `maxmemory_policy` and persistence.
//! 2. **Refuse** a replica ([`BrokerError::Unavailable`]: it cannot take writes; the broker
//!    keeps retrying, as during a failover) and any `maxmemory-policy` other than
//!    `noeviction` ([`BrokerError::Misconfigured`]): `allkeys-*` may evict anything and
//!    `volatile-*` may evict Herald's history and dedup keys, which have TTLs, so history
//!    would lose events without the epoch changing. A user that may not run `INFO` is refused
//!    too (the policy cannot be checked); one that may not run `CONFIG` is fine (the policy
//!    comes from `INFO memory`; persistence then counts as not durable, see below).
//! 3. **Vouch** (one Lua script): `herald:server` records the identity (`<run_id>
//!    <master_replid>`) of the server the current epoch's data was last checked on. When the
//!    identity changed, the data may be missing acknowledged writes (a promoted replica lags
//!    its primary; a restart without `appendfsync always` loses the last writes), so a new
//!    epoch is minted and clients resync instead of being handed re-issued offsets. The one
//!    change that keeps the epoch is a restart (new `run_id`) of a primary that was never a
//!    replica since it started (`master_replid2` unset) and persists with `appendonly yes`
//!    and `appendfsync always`: it replayed every acknowledged write.
//!
//! The broker's scripts also compare `herald:server` with the identity their connection was
//! checked for and fail with `HERALDSTALE` when another hub re-vouched the data meanwhile
//! (the broker then reconnects and checks again).

use std::sync::Arc;
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::{ErrorKind, RedisError, Script, ServerErrorKind, Value};

use super::BrokerError;

/// An open connection is inspected again at most this long after its last check, so a
/// `maxmemory-policy` changed at runtime, or a server promoted in place under a live
/// connection, is noticed within about this time.
pub(crate) const RECHECK_EVERY: Duration = Duration::from_secs(1);

/// The key holding the identity of the server the epoch was last vouched on.
pub(crate) const SERVER_KEY: &str = "herald:server";

/// The error code of a script whose connection's identity is no longer the vouched one.
pub(crate) const STALE: &str = "HERALDSTALE";

/// KEYS: epoch, server. ARGV: candidate epoch, identity, durable (`1`/`0`).
/// Returns {epoch, outcome}.
const VOUCH: &str = r"
local epoch = redis.call('GET', KEYS[1])
local marker = redis.call('GET', KEYS[2])
if epoch and marker == ARGV[2] then return {epoch, 'same'} end
if not epoch then
  redis.call('SET', KEYS[1], ARGV[1])
  redis.call('SET', KEYS[2], ARGV[2])
  return {ARGV[1], 'created'}
end
if marker and ARGV[3] == '1' and string.match(marker, '^(%S+)') ~= string.match(ARGV[2], '^(%S+)') then
  redis.call('SET', KEYS[2], ARGV[2])
  return {epoch, 'kept'}
end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], ARGV[2])
return {ARGV[1], 'renewed'}
";

/// What `INFO` (and `CONFIG GET appendfsync`) said about a server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Server {
    run_id: String,
    master: bool,
    replid: String,
    /// Set (not all zeros) when the server was a replica promoted since it started.
    promoted: bool,
    policy: String,
    aof: bool,
    /// `None` when `CONFIG GET` is not allowed.
    fsync_always: Option<bool>,
}

/// What vouching did to the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Vouched {
    /// The data was last checked on this very server.
    Same,
    /// Redis had no epoch (new, emptied, or restarted without persistence).
    Created,
    /// A restart that replayed every acknowledged write: the epoch goes on.
    Kept,
    /// Another server, or a restart that may have lost writes: a new epoch.
    Renewed,
}

impl Server {
    /// Reads `INFO` and `CONFIG GET appendfsync` on `conn`.
    ///
    /// # Errors
    /// [`BrokerError::Misconfigured`] when `INFO` is refused by an ACL;
    /// [`BrokerError::Unavailable`] for any other failure.
    pub(crate) async fn inspect(conn: &mut MultiplexedConnection, url: &str) -> Result<Self, BrokerError> {
        let info: String = redis::cmd("INFO").query_async(conn).await.map_err(|error| {
            if refused(&error) {
                BrokerError::Misconfigured(format!(
                    "the Redis user of {url} may not run INFO, so Herald cannot check maxmemory-policy and \
                     the server's identity: grant it +info (ACL SETUSER <user> +info)"
                ))
            } else {
                BrokerError::Unavailable(format!("redis: {error}"))
            }
        })?;
        let fsync_always = match redis::cmd("CONFIG").arg("GET").arg("appendfsync").query_async::<Value>(conn).await {
            // RESP2: [name, value]; RESP3: {name: value}.
            Ok(Value::Array(pair)) => pair.get(1).and_then(super::redis::text).map(|policy| policy == "always"),
            Ok(Value::Map(pairs)) => pairs.first().and_then(|(_, v)| super::redis::text(v)).map(|p| p == "always"),
            Ok(_) => None,
            Err(error) if refused(&error) => None,
            Err(error) => return Err(BrokerError::Unavailable(format!("redis: {error}"))),
        };
        Self::parse(&info, fsync_always).ok_or_else(|| BrokerError::Unavailable("redis: unexpected INFO reply".into()))
    }

    fn parse(info: &str, fsync_always: Option<bool>) -> Option<Self> {
        let field = |name: &str| {
            info.lines().find_map(|line| line.strip_prefix(name)?.strip_prefix(':')).map(|v| v.trim().to_owned())
        };
        Some(Self {
            run_id: field("run_id")?,
            master: field("role")? == "master",
            replid: field("master_replid")?,
            promoted: field("master_replid2").is_some_and(|id| id.bytes().any(|b| b != b'0')),
            policy: field("maxmemory_policy")?,
            aof: field("aof_enabled").as_deref() == Some("1"),
            fsync_always,
        })
    }

    /// `<run_id> <master_replid>`: changes with every restart, promotion or resync.
    pub(crate) fn identity(&self) -> String {
        format!("{} {}", self.run_id, self.replid)
    }

    /// Whether a restart of this server replayed every acknowledged write: a primary that was
    /// not promoted since it started, with `appendonly yes` and `appendfsync always`.
    fn durable(&self) -> bool {
        self.master && !self.promoted && self.aof && self.fsync_always == Some(true)
    }

    /// Whether `fsync_always` is unknown (`CONFIG` refused): worth a warning, once.
    pub(crate) fn fsync_unknown(&self) -> bool {
        self.aof && self.fsync_always.is_none()
    }

    /// Refuses a replica and a policy that may evict keys.
    ///
    /// # Errors
    /// [`BrokerError::Unavailable`] for a replica (it cannot take writes; during a failover
    /// the broker keeps retrying until the address leads to the primary);
    /// [`BrokerError::Misconfigured`] for a `maxmemory-policy` other than `noeviction`.
    pub(crate) fn check(&self, url: &str) -> Result<(), BrokerError> {
        if self.policy != "noeviction" {
            return Err(BrokerError::Misconfigured(format!(
                "Redis at {url} has maxmemory-policy {}, which may evict Herald's history, offsets or epoch \
                 and break recovery silently: set maxmemory-policy noeviction (CONFIG SET maxmemory-policy \
                 noeviction, and in redis.conf); a full Redis then refuses publishes loudly instead",
                self.policy
            )));
        }
        if !self.master {
            return Err(BrokerError::Unavailable(format!(
                "Redis at {url} is a replica (read-only): point the broker URL at the primary"
            )));
        }
        Ok(())
    }

    /// Records this server's identity with the epoch; mints a new epoch when the data may
    /// be missing acknowledged writes. Returns the epoch and what happened.
    ///
    /// # Errors
    /// [`BrokerError::Unavailable`] when the script fails.
    pub(crate) async fn vouch(
        &self,
        conn: &mut MultiplexedConnection,
        epoch_key: &str,
        candidate: String,
    ) -> Result<(Arc<str>, Vouched), BrokerError> {
        let reply: Vec<Value> = Script::new(VOUCH)
            .key(epoch_key)
            .key(SERVER_KEY)
            .arg(candidate)
            .arg(self.identity())
            .arg(if self.durable() { "1" } else { "0" })
            .invoke_async(conn)
            .await
            .map_err(|error| BrokerError::Unavailable(format!("redis: {error}")))?;
        let text = super::redis::text;
        let [epoch, outcome] = reply.as_slice() else {
            return Err(BrokerError::Unavailable("redis: unexpected reply (vouch)".into()));
        };
        let outcome = match text(outcome).as_deref() {
            Some("same") => Vouched::Same,
            Some("created") => Vouched::Created,
            Some("kept") => Vouched::Kept,
            Some("renewed") => Vouched::Renewed,
            _ => return Err(BrokerError::Unavailable("redis: unexpected reply (vouch)".into())),
        };
        let epoch = text(epoch).ok_or_else(|| BrokerError::Unavailable("redis: unexpected reply (epoch)".into()))?;
        Ok((epoch.into(), outcome))
    }
}

/// Whether `error` is an ACL refusal (`NOPERM`).
fn refused(error: &RedisError) -> bool {
    error.kind() == ErrorKind::Server(ServerErrorKind::NoPerm) || error.code() == Some("NOPERM")
}

/// Whether `error` is a script's [`STALE`] answer.
pub(crate) fn is_stale(error: &RedisError) -> bool {
    error.code() == Some(STALE)
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use herald_event_types::{ChannelName, Subject};

    use super::SERVER_KEY;
    use crate::broker::conformance::envelope;
    use crate::broker::test_redis::{RedisServer, free_port};
    use crate::broker::{Broker, BrokerError, HistoryQuery, MemoryConfig, RedisBroker, RedisConfig};

    const INFO: &str = "# Server\r\nredis_version:7.0.15\r\nrun_id:abc123\r\n# Memory\r\nmaxmemory_policy:noeviction\r\n\
        # Persistence\r\naof_enabled:1\r\n# Replication\r\nrole:master\r\nmaster_replid:r1\r\n\
        master_replid2:0000000000000000000000000000000000000000\r\n";

    #[test]
    fn info_is_parsed_and_only_an_unpromoted_aof_always_primary_is_durable() {
        let server = super::Server::parse(INFO, Some(true)).unwrap();
        assert_eq!(server.identity(), "abc123 r1");
        assert!(server.durable());
        assert!(server.check("redis://h").is_ok());
        assert!(!super::Server::parse(INFO, Some(false)).unwrap().durable(), "everysec");
        assert!(!super::Server::parse(INFO, None).unwrap().durable(), "unknown fsync policy");
        assert!(super::Server::parse(INFO, None).unwrap().fsync_unknown());
        let promoted = INFO.replace("master_replid2:0000000000000000000000000000000000000000", "master_replid2:r0");
        assert!(!super::Server::parse(&promoted, Some(true)).unwrap().durable(), "promoted since it started");
        let without_aof = INFO.replace("aof_enabled:1", "aof_enabled:0");
        assert!(!super::Server::parse(&without_aof, Some(true)).unwrap().durable());
        let replica = super::Server::parse(&INFO.replace("role:master", "role:slave"), Some(true)).unwrap();
        assert!(matches!(replica.check("redis://h"), Err(BrokerError::Unavailable(m)) if m.contains("replica")));
        let lru = super::Server::parse(&INFO.replace(":noeviction", ":allkeys-lru"), Some(true)).unwrap();
        assert!(matches!(lru.check("redis://h"), Err(BrokerError::Misconfigured(m)) if m.contains("allkeys-lru")));
        assert!(super::Server::parse("# Server\r\n", None).is_none());
    }

    fn broker(url: String) -> RedisBroker {
        RedisBroker::new(RedisConfig { url, limits: MemoryConfig::default() }).unwrap()
    }

    fn pipeline() -> ChannelName {
        "pipeline".parse().unwrap()
    }

    async fn position(broker: &RedisBroker) -> (String, u64) {
        let history = broker.history("acme", &pipeline(), &Subject::default(), HistoryQuery::Position).await.unwrap();
        (history.epoch.to_string(), history.latest)
    }

    async fn since(broker: &RedisBroker, epoch: &str, offset: u64) -> bool {
        let query = HistoryQuery::Since { epoch: epoch.into(), offset, limit: 100 };
        broker.history("acme", &pipeline(), &Subject::default(), query).await.unwrap().recovered
    }

    /// The error of an append (the broker must refuse it).
    async fn refused(broker: &RedisBroker) -> String {
        match broker.append("acme", &pipeline(), &envelope("refused", "")).await {
            Err(BrokerError::Unavailable(message) | BrokerError::Misconfigured(message)) => message,
            Ok(appended) => panic!("the append was accepted at offset {}", appended.offset),
        }
    }

    /// Polls `check` (async) until it holds, for 10 s at most.
    async fn eventually<F: std::future::Future<Output = bool>>(what: &str, mut check: impl FnMut() -> F) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !check().await {
            assert!(Instant::now() < deadline, "never: {what}");
            tokio::task::yield_now().await;
        }
    }

    /// Waits until `replica` has applied everything `primary` wrote so far.
    fn synced(primary: &RedisServer, replica: &RedisServer) {
        let offset = |server: &RedisServer| {
            let info = server.info("replication");
            let line = info.lines().find(|l| l.starts_with("master_repl_offset:")).unwrap().to_owned();
            line["master_repl_offset:".len()..].trim().parse::<u64>().unwrap()
        };
        let target = offset(primary);
        replica.wait_for(|| offset(replica) >= target);
    }

    /// A failover to a replica that missed the last writes: without a new epoch, the promoted
    /// replica would hand out offset 4 again under the same epoch, for another event, and a
    /// client holding the lost offset 4 would silently skip the new one.
    #[tokio::test]
    async fn a_promoted_replica_that_missed_writes_starts_a_new_epoch() {
        let primary = RedisServer::start();
        let replica = RedisServer::replica_of(&primary);
        let on_primary = broker(primary.url());
        for n in 1..=3 {
            on_primary.append("acme", &pipeline(), &envelope(&format!("e-{n}"), "")).await.unwrap();
        }
        let (epoch, latest) = position(&on_primary).await;
        assert_eq!(latest, 3);
        synced(&primary, &replica);
        replica.command(&["REPLICAOF", "NO", "ONE"]).unwrap();
        // Acknowledged by the old primary, never replicated: lost by the failover.
        let lost = on_primary.append("acme", &pipeline(), &envelope("e-4", "")).await.unwrap();
        assert_eq!(lost.offset, 4);

        let on_replica = broker(replica.url());
        let (promoted, latest) = position(&on_replica).await;
        assert_ne!(promoted, epoch, "the promoted replica kept the epoch of writes it lost");
        assert_eq!(latest, 3, "offsets go on from what the new primary holds, under the new epoch");
        assert!(!since(&on_replica, &epoch, 3).await, "a client of the old epoch must resync");
        let next = on_replica.append("acme", &pipeline(), &envelope("e-5", "")).await.unwrap();
        assert_eq!(next.offset, 4);
        assert_eq!(position(&on_replica).await.0, promoted, "one new epoch, not one per call");
        assert!(since(&on_replica, &promoted, 3).await);
    }

    /// A primary with one event and its fully synced replica, which is then promoted:
    /// the servers, a broker on the old primary, and the epoch before the promotion.
    async fn one_event_then_promote_the_replica() -> (RedisServer, RedisServer, RedisBroker, String) {
        let primary = RedisServer::start();
        let replica = RedisServer::replica_of(&primary);
        let on_primary = broker(primary.url());
        on_primary.append("acme", &pipeline(), &envelope("e-1", "")).await.unwrap();
        let (epoch, _) = position(&on_primary).await;
        synced(&primary, &replica);
        replica.command(&["REPLICAOF", "NO", "ONE"]).unwrap();
        (primary, replica, on_primary, epoch)
    }

    /// Even a replica that had every write is a new primary whose completeness nobody can
    /// vouch for (replication is asynchronous): a new epoch.
    #[tokio::test]
    async fn a_promoted_replica_always_starts_a_new_epoch() {
        let (_primary, replica, _on_primary, epoch) = one_event_then_promote_the_replica().await;
        let on_replica = broker(replica.url());
        assert_ne!(position(&on_replica).await.0, epoch);
    }

    /// A broker whose connection lives on while its server is demoted (to a replica of its
    /// own promoted replica) and promoted again: its replication id changes under the live
    /// connection, and the periodic check notices and starts a new epoch.
    #[tokio::test]
    async fn a_server_promoted_in_place_under_a_live_connection_starts_a_new_epoch() {
        let (primary, replica, on_primary, epoch) = one_event_then_promote_the_replica().await;
        let port = replica.port.to_string();
        primary.command(&["REPLICAOF", "127.0.0.1", &port]).unwrap();
        primary.wait_for(|| primary.info("replication").contains("master_link_status:up"));
        primary.command(&["REPLICAOF", "NO", "ONE"]).unwrap();
        eventually("a new epoch after the in-place promotion", || async {
            let history = on_primary.history("acme", &pipeline(), &Subject::default(), HistoryQuery::Position).await;
            history.is_ok_and(|history| *history.epoch != *epoch)
        })
        .await;
    }

    /// Scripts refuse to run on data vouched for another server identity since their
    /// connection was checked (another hub re-vouched after a failover it saw first): the
    /// broker checks again, takes the new epoch, and the call succeeds.
    #[tokio::test]
    async fn a_script_on_data_vouched_by_another_hub_checks_again() {
        let server = RedisServer::start();
        let broker = broker(server.url());
        broker.append("acme", &pipeline(), &envelope("e-1", "")).await.unwrap();
        let (epoch, _) = position(&broker).await;
        // What another hub's vouching leaves behind: a new epoch for another identity.
        server.command(&["SET", SERVER_KEY, "another-run-id another-replid"]).unwrap();
        server.command(&["SET", "herald:epoch", "0123456789abcdef"]).unwrap();
        let appended = broker.append("acme", &pipeline(), &envelope("e-2", "")).await.unwrap();
        assert_eq!(appended.offset, 2);
        let (after, _) = position(&broker).await;
        assert_ne!(after, epoch);
        assert_ne!(after, "0123456789abcdef", "vouched for an identity that is not this server's");
        assert_eq!(server.command(&["GET", SERVER_KEY]).unwrap().split(' ').count(), 2);
    }

    /// With `appendonly yes` and `appendfsync always` every acknowledged write survives a
    /// crash: the restarted server continues the epoch, clients recover instead of resyncing.
    #[tokio::test]
    async fn a_restart_with_aof_always_keeps_the_epoch() {
        let mut server = RedisServer::start_with(true);
        let broker = broker(server.url());
        broker.append("acme", &pipeline(), &envelope("e-1", "")).await.unwrap();
        let (epoch, _) = position(&broker).await;
        server.restart();
        eventually("ready after the restart", || broker.is_ready()).await;
        assert_eq!(position(&broker).await, (epoch.clone(), 1));
        assert!(since(&broker, &epoch, 0).await);
    }

    /// With `appendfsync everysec` up to a second of acknowledged writes may be gone after a
    /// crash: a new epoch.
    #[tokio::test]
    async fn a_restart_with_aof_everysec_starts_a_new_epoch() {
        let mut server = RedisServer::start_with(true);
        server.command(&["CONFIG", "SET", "appendfsync", "everysec"]).unwrap();
        let broker = broker(server.url());
        broker.append("acme", &pipeline(), &envelope("e-1", "")).await.unwrap();
        let (epoch, _) = position(&broker).await;
        // Make sure the write reached the AOF, so the data is there but unvouched for.
        server.command(&["SHUTDOWN"]).ok();
        server.restart();
        server.command(&["CONFIG", "SET", "appendfsync", "everysec"]).unwrap();
        eventually("ready after the restart", || broker.is_ready()).await;
        let (after, latest) = position(&broker).await;
        assert_eq!(latest, 1, "the data survived");
        assert_ne!(after, epoch, "but a crash could have lost some of it");
    }

    /// `allkeys-*` and `volatile-*` policies may evict history, offset counters or the epoch
    /// (Herald's keys have TTLs): the broker refuses such a Redis, naming the fix.
    #[tokio::test]
    async fn a_redis_that_may_evict_herald_keys_is_refused() {
        for policy in ["allkeys-lru", "volatile-lru", "volatile-ttl", "allkeys-random"] {
            let server = RedisServer::start_args(&["--maxmemory-policy", policy]);
            let broker = broker(server.url());
            assert!(!broker.is_ready().await, "{policy}: ready");
            let message = refused(&broker).await;
            assert!(message.contains(policy) && message.contains("maxmemory-policy noeviction"), "{message}");
            server.command(&["CONFIG", "SET", "maxmemory-policy", "noeviction"]).unwrap();
            assert!(broker.is_ready().await, "{policy}: not ready once fixed");
            broker.append("acme", &pipeline(), &envelope("e-1", "")).await.unwrap();
        }
    }

    /// Unreachable at first (the hub starts, not ready), then reachable with a bad policy: it
    /// stays unavailable, and says why.
    #[tokio::test]
    async fn a_redis_that_comes_up_with_a_bad_policy_stays_unavailable() {
        let port = free_port();
        let broker = broker(format!("redis://127.0.0.1:{port}"));
        assert!(!broker.is_ready().await);
        let server = RedisServer::start_on(port, &["--maxmemory-policy", "allkeys-lfu"]);
        let message = refused(&broker).await;
        assert!(message.contains("allkeys-lfu") && message.contains("noeviction"), "{message}");
        assert!(!broker.is_ready().await);
        server.command(&["CONFIG", "SET", "maxmemory-policy", "noeviction"]).unwrap();
        assert!(broker.is_ready().await);
    }

    /// A policy changed on a live server is noticed by the periodic check.
    #[tokio::test]
    async fn a_policy_changed_at_runtime_makes_the_broker_unavailable() {
        let server = RedisServer::start();
        let broker = broker(server.url());
        broker.append("acme", &pipeline(), &envelope("e-1", "")).await.unwrap();
        server.command(&["CONFIG", "SET", "maxmemory-policy", "volatile-lfu"]).unwrap();
        eventually("not ready after the policy change", || async { !broker.is_ready().await }).await;
        assert!(refused(&broker).await.contains("volatile-lfu"));
    }

    /// A Herald user that may not run `CONFIG`: the policy is read from `INFO memory`
    /// instead; only without `INFO` either is the server refused (it cannot be checked).
    #[tokio::test]
    async fn an_acl_user_without_config_is_checked_through_info() {
        let server = RedisServer::start();
        let user = |name: &str, rules: &[&str]| {
            let mut args = vec!["ACL", "SETUSER", name, "on", ">pw", "~herald:*", "&herald:*", "+@all", "-config"];
            args.extend_from_slice(rules);
            server.command(&args).unwrap();
            broker(format!("redis://{name}:pw@127.0.0.1:{}", server.port))
        };
        let herald = user("herald", &[]);
        assert!(herald.is_ready().await);
        herald.append("acme", &pipeline(), &envelope("e-1", "")).await.unwrap();

        let blind = user("blind", &["-info"]);
        assert!(!blind.is_ready().await);
        assert!(refused(&blind).await.contains("+info"));

        server.command(&["CONFIG", "SET", "maxmemory-policy", "allkeys-lru"]).unwrap();
        let fresh = user("fresh", &[]);
        assert!(refused(&fresh).await.contains("allkeys-lru"));
    }
}
