//! Per-user limits: publish rate (token bucket) and concurrent connections. Per-address
//! limits: concurrent WebSocket connections, failed authentications and history reads per
//! client IP address. And the per-event size limit.
//!
//! The per-user ones are keyed by (org, sub), the per-address ones by [`IpKey`]. All are
//! bounded in memory: idle buckets are pruned, a connection count disappears when it drops
//! to zero, and the per-address tables hold at most [`MAX_TRACKED_ADDRESSES`] entries.

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use herald_event_types::Envelope;

// tokio's clock (the same as `std`'s unless time is paused or simulated), so refills follow
// the runtime's time in `start_paused` tests and turmoil simulations.
use tokio::time::Instant;

type UserKey = (String, String);

/// Drop buckets idle this long (they are full again by then).
const IDLE: Duration = Duration::from_secs(60);

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    /// Refills at `rate` per second up to a burst of `rate`, then takes `n` tokens; `false`
    /// (and nothing taken) when there are not enough.
    fn take(&mut self, rate: f64, n: u32, now: Instant) -> bool {
        let refill = now.saturating_duration_since(self.at).as_secs_f64() * rate;
        self.tokens = (self.tokens + refill).min(rate);
        self.at = now;
        if self.tokens >= f64::from(n) {
            self.tokens -= f64::from(n);
            true
        } else {
            false
        }
    }
}

/// Publish rate per (org, sub): `rate` events per second, burst one second's worth.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    rate: f64,
    buckets: Mutex<HashMap<UserKey, Bucket>>,
    last_prune: Mutex<Instant>,
}

impl RateLimiter {
    pub(crate) fn new(rate: u32) -> Self {
        Self { rate: f64::from(rate), buckets: Mutex::default(), last_prune: Mutex::new(Instant::now()) }
    }

    /// Takes `n` tokens for `(org, sub)` at `now`; `false` (and nothing taken) when there
    /// are not enough.
    pub(crate) fn try_take(&self, org: &str, sub: &str, n: u32, now: Instant) -> bool {
        self.prune(now);
        let mut buckets = self.buckets.lock().expect("rate lock");
        let bucket = buckets.entry((org.to_owned(), sub.to_owned())).or_insert(Bucket { tokens: self.rate, at: now });
        bucket.take(self.rate, n, now)
    }

    fn prune(&self, now: Instant) {
        let mut last = self.last_prune.lock().expect("prune lock");
        if now.saturating_duration_since(*last) < IDLE {
            return;
        }
        *last = now;
        drop(last);
        self.buckets.lock().expect("rate lock").retain(|_, b| now.saturating_duration_since(b.at) < IDLE);
    }
}

/// Concurrent connections per (org, sub).
#[derive(Debug)]
pub(crate) struct ConnectionCounter {
    max: usize,
    counts: Mutex<HashMap<UserKey, usize>>,
}

impl ConnectionCounter {
    pub(crate) fn new(max: usize) -> Self {
        Self { max, counts: Mutex::default() }
    }

    /// Counts one more connection for the user; `false` (and not counted) at the limit.
    pub(crate) fn try_acquire(&self, org: &str, sub: &str) -> bool {
        let mut counts = self.counts.lock().expect("connections lock");
        let count = counts.entry((org.to_owned(), sub.to_owned())).or_default();
        if *count >= self.max {
            if *count == 0 {
                counts.remove(&(org.to_owned(), sub.to_owned()));
            }
            return false;
        }
        *count += 1;
        true
    }

    /// Releases one connection of the user.
    pub(crate) fn release(&self, org: &str, sub: &str) {
        let mut counts = self.counts.lock().expect("connections lock");
        let key = (org.to_owned(), sub.to_owned());
        if let Some(count) = counts.get_mut(&key) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                counts.remove(&key);
            }
        }
    }
}

/// What the per-address limit counts by: an IPv4 address, or the /64 prefix of an IPv6
/// address (one host or LAN usually holds a whole /64, so counting single IPv6 addresses
/// would let one host open `max` connections from each of 2^64 addresses). IPv4-mapped
/// IPv6 addresses (`::ffff:a.b.c.d`, from a dual-stack listener) count as their IPv4 address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct IpKey(IpAddr);

impl IpKey {
    pub(crate) fn of(ip: IpAddr) -> Self {
        match ip.to_canonical() {
            IpAddr::V4(v4) => Self(IpAddr::V4(v4)),
            IpAddr::V6(v6) => Self(IpAddr::V6(Ipv6Addr::from(v6.to_bits() & !u128::from(u64::MAX)))),
        }
    }
}

/// Concurrent WebSocket connections per client address ([`IpKey`]). `max == 0` turns the
/// limit off (nothing is counted). Memory: one entry per address with a connection open now.
#[derive(Debug)]
pub(crate) struct IpConnectionCounter {
    max: usize,
    counts: Mutex<HashMap<IpKey, usize>>,
}

/// One counted connection of an address; dropping it releases the place. Counts nothing
/// when the limit is off, but always knows the client address.
#[derive(Debug)]
pub(crate) struct IpSlot {
    ip: IpAddr,
    counted: Option<(Arc<IpConnectionCounter>, IpKey)>,
}

impl IpSlot {
    /// The client address of the connection (behind a trusted proxy: the forwarded one), for
    /// the per-address limits and logs, e.g. `state.auth_failures.record(slot.ip())`.
    pub(crate) fn ip(&self) -> IpAddr {
        self.ip
    }
}

impl IpConnectionCounter {
    pub(crate) fn new(max: usize) -> Arc<Self> {
        Arc::new(Self { max, counts: Mutex::default() })
    }

    /// Counts one more connection from `ip`; `None` (and not counted) when the address
    /// already holds `max` connections.
    pub(crate) fn try_acquire(self: &Arc<Self>, ip: IpAddr) -> Option<IpSlot> {
        if self.max == 0 {
            return Some(IpSlot { ip, counted: None });
        }
        let key = IpKey::of(ip);
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        let count = counts.entry(key).or_default();
        if *count >= self.max {
            return None;
        }
        *count += 1;
        Some(IpSlot { ip, counted: Some((self.clone(), key)) })
    }

    fn release(&self, key: IpKey) {
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = counts.get_mut(&key) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                counts.remove(&key);
            }
        }
    }

    /// Addresses with at least one connection counted now.
    #[cfg(test)]
    fn tracked(&self) -> usize {
        self.counts.lock().unwrap().len()
    }
}

impl Drop for IpSlot {
    fn drop(&mut self) {
        if let Some((counter, key)) = self.counted.take() {
            counter.release(key);
        }
    }
}

/// Addresses (IPv4, or IPv6 /64) each per-address table tracks at most: about 4 MB per
/// table when full. When every entry is live, a new address is not limited until entries
/// expire (logged as a warning): the limit then costs an attacker 65,536 addresses.
pub(crate) const MAX_TRACKED_ADDRESSES: usize = 65_536;
/// Idle entries are dropped at most this often...
const PRUNE_EVERY: Duration = Duration::from_secs(10);
/// ...or, when the table is full, at most this often.
const PRUNE_WHEN_FULL_EVERY: Duration = Duration::from_secs(1);

/// Per-address state, bounded to `capacity` entries; idle entries are pruned.
#[derive(Debug)]
struct AddressTable<V> {
    entries: HashMap<IpKey, V>,
    capacity: usize,
    last_prune: Instant,
}

impl<V> AddressTable<V> {
    fn new(capacity: usize) -> Self {
        Self { entries: HashMap::new(), capacity, last_prune: Instant::now() }
    }

    /// The entry of `key`, created by `new` when absent; `None` when the table is full of
    /// entries that are not `idle`.
    fn entry(
        &mut self,
        key: IpKey,
        now: Instant,
        idle: impl Fn(&V) -> bool,
        new: impl FnOnce() -> V,
    ) -> Option<&mut V> {
        let since = now.saturating_duration_since(self.last_prune);
        if since >= PRUNE_EVERY || (self.is_full_for(&key) && since >= PRUNE_WHEN_FULL_EVERY) {
            self.last_prune = now;
            self.entries.retain(|_, value| !idle(value));
            if self.entries.capacity() > 4 * self.entries.len().max(64) {
                self.entries.shrink_to_fit();
            }
            if self.is_full_for(&key) {
                tracing::warn!(
                    capacity = self.capacity,
                    "per-address limit table full: new addresses are not limited until entries expire"
                );
            }
        }
        if self.is_full_for(&key) {
            return None;
        }
        Some(self.entries.entry(key).or_insert_with(new))
    }

    /// Whether there is no room for `key`.
    fn is_full_for(&self, key: &IpKey) -> bool {
        self.entries.len() >= self.capacity && !self.entries.contains_key(key)
    }

    fn get(&self, key: &IpKey) -> Option<&V> {
        self.entries.get(key)
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.len()
    }
}

#[derive(Debug)]
struct FailureWindow {
    start: Instant,
    failures: u32,
}

/// Failed authentications per client address ([`IpKey`]) over a fixed window: once an
/// address has `max` failures in the window that began with its first failure, it is
/// blocked until that window ends. `max == 0` turns the limit off. Memory: at most
/// [`MAX_TRACKED_ADDRESSES`] entries, each dropped once its window has passed.
#[derive(Debug)]
pub(crate) struct AuthFailures {
    max: u32,
    window: Duration,
    table: Mutex<AddressTable<FailureWindow>>,
}

impl AuthFailures {
    pub(crate) fn new(max: u32, window: Duration) -> Self {
        Self::with_capacity(max, window, MAX_TRACKED_ADDRESSES)
    }

    fn with_capacity(max: u32, window: Duration, capacity: usize) -> Self {
        Self { max, window, table: Mutex::new(AddressTable::new(capacity)) }
    }

    /// Records one failed authentication from `ip` now: a refused or missing token on HTTP
    /// (401), a refused token on a WebSocket (`auth_error`).
    pub(crate) fn record(&self, ip: IpAddr) {
        self.record_at(ip, Instant::now());
    }

    /// How long `ip` stays blocked, or `None` when it may try to authenticate now.
    pub(crate) fn blocked(&self, ip: IpAddr) -> Option<Duration> {
        self.blocked_at(ip, Instant::now())
    }

    fn record_at(&self, ip: IpAddr, now: Instant) {
        if self.max == 0 {
            return;
        }
        let window = self.window;
        let mut table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
        let idle = |w: &FailureWindow| now.saturating_duration_since(w.start) >= window;
        let Some(entry) = table.entry(IpKey::of(ip), now, idle, || FailureWindow { start: now, failures: 0 }) else {
            return;
        };
        if now.saturating_duration_since(entry.start) >= window {
            *entry = FailureWindow { start: now, failures: 0 };
        }
        entry.failures = entry.failures.saturating_add(1);
    }

    fn blocked_at(&self, ip: IpAddr, now: Instant) -> Option<Duration> {
        if self.max == 0 {
            return None;
        }
        let table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = table.get(&IpKey::of(ip))?;
        let left = (entry.start + self.window).saturating_duration_since(now);
        (entry.failures >= self.max && !left.is_zero()).then_some(left)
    }
}

/// A request rate per client address ([`IpKey`]): `rate` per second, burst one second's
/// worth. `rate == 0` turns it off. Memory: at most [`MAX_TRACKED_ADDRESSES`] buckets, each
/// dropped once full again (one second idle).
#[derive(Debug)]
pub(crate) struct AddressRate {
    rate: f64,
    table: Mutex<AddressTable<Bucket>>,
}

impl AddressRate {
    pub(crate) fn new(rate: u32) -> Self {
        Self::with_capacity(rate, MAX_TRACKED_ADDRESSES)
    }

    fn with_capacity(rate: u32, capacity: usize) -> Self {
        Self { rate: f64::from(rate), table: Mutex::new(AddressTable::new(capacity)) }
    }

    /// Takes one request of `ip` now; `false` when the address is over the rate.
    pub(crate) fn try_take(&self, ip: IpAddr) -> bool {
        self.try_take_at(ip, Instant::now())
    }

    fn try_take_at(&self, ip: IpAddr, now: Instant) -> bool {
        if self.rate == 0.0 {
            return true;
        }
        let mut table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
        let idle = |b: &Bucket| now.saturating_duration_since(b.at) >= Duration::from_secs(1);
        match table.entry(IpKey::of(ip), now, idle, || Bucket { tokens: self.rate, at: now }) {
            Some(bucket) => bucket.take(self.rate, 1, now),
            None => true,
        }
    }
}

/// Whether `event`, serialised as it is stored and sent, is at most `max` bytes. Stops
/// serialising as soon as it goes over, and allocates nothing.
pub(crate) fn event_fits(event: &Envelope, max: usize) -> bool {
    struct Budget(usize);
    impl std::io::Write for Budget {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 = self.0.checked_sub(buf.len()).ok_or(std::io::ErrorKind::Other)?;
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    serde_json::to_writer(&mut Budget(max), event).is_ok()
}

/// Counts events over a sliding window: `record` says when more than `max` happened within
/// any `window`. Memory: at most `max + 1` instants.
#[derive(Debug)]
pub(crate) struct SlidingWindow {
    max: usize,
    window: Duration,
    times: VecDeque<tokio::time::Instant>,
}

impl SlidingWindow {
    pub(crate) fn new(max: usize, window: Duration) -> Self {
        // Allocated only when bad frames arrive: most connections never send one.
        Self { max, window, times: VecDeque::new() }
    }

    /// Records one event at `now`; `true` when this makes more than `max` within `window`.
    pub(crate) fn record(&mut self, now: tokio::time::Instant) -> bool {
        self.times.push_back(now);
        if self.times.len() > self.max + 1 {
            self.times.pop_front();
        }
        self.times.len() > self.max
            && self.times.front().is_some_and(|&oldest| now.duration_since(oldest) <= self.window)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_failures_block_an_address_for_the_rest_of_its_window() {
        let limiter = AuthFailures::new(3, Duration::from_secs(60));
        let t0 = Instant::now();
        let (a, b): (IpAddr, IpAddr) = ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap());
        for i in 0..3 {
            assert_eq!(limiter.blocked_at(a, t0 + Duration::from_secs(i)), None, "failure {i} is allowed");
            limiter.record_at(a, t0 + Duration::from_secs(i));
        }
        assert_eq!(limiter.blocked_at(a, t0 + Duration::from_secs(2)), Some(Duration::from_secs(58)));
        assert!(limiter.blocked_at(a, t0 + Duration::from_secs(59)).is_some());
        assert_eq!(limiter.blocked_at(b, t0 + Duration::from_secs(2)), None, "per address");
        assert_eq!(limiter.blocked_at(a, t0 + Duration::from_secs(60)), None, "the window passed");
        limiter.record_at(a, t0 + Duration::from_secs(61));
        assert_eq!(limiter.blocked_at(a, t0 + Duration::from_secs(61)), None, "a new window starts from zero");
        // The same /64 is one address; 0 turns the limit off.
        let v6 = AuthFailures::new(1, Duration::from_secs(60));
        v6.record_at("2001:db8:1:2::1".parse().unwrap(), t0);
        assert!(v6.blocked_at("2001:db8:1:2::ffff".parse().unwrap(), t0).is_some());
        let off = AuthFailures::new(0, Duration::from_secs(60));
        (0..100).for_each(|_| off.record_at(a, t0));
        assert_eq!(off.blocked_at(a, t0), None);
        assert_eq!(off.table.lock().unwrap().len(), 0, "nothing tracked when off");
    }

    #[test]
    fn address_tables_stay_bounded_and_forget_expired_entries() {
        let limiter = AuthFailures::with_capacity(1, Duration::from_secs(60), 100);
        let t0 = Instant::now();
        let ip = |i: u32| IpAddr::from(std::net::Ipv4Addr::from(0x0a00_0000 + i));
        for i in 0..1000 {
            limiter.record_at(ip(i), t0);
        }
        assert_eq!(limiter.table.lock().unwrap().len(), 100, "never more than the capacity");
        assert!(limiter.blocked_at(ip(5), t0).is_some(), "tracked addresses stay blocked");
        assert_eq!(limiter.blocked_at(ip(500), t0), None, "untracked addresses are not limited");
        // Once the windows have passed, the entries go and new addresses are tracked again.
        let later = t0 + Duration::from_secs(61);
        limiter.record_at(ip(2000), later);
        assert_eq!(limiter.table.lock().unwrap().len(), 1);
        assert!(limiter.blocked_at(ip(2000), later).is_some());

        let rate = AddressRate::with_capacity(1, 100);
        for i in 0..1000 {
            rate.try_take_at(ip(i), t0);
        }
        assert_eq!(rate.table.lock().unwrap().len(), 100);
        assert!(rate.try_take_at(ip(3000), t0 + Duration::from_secs(11)));
        assert_eq!(rate.table.lock().unwrap().len(), 1, "full buckets are forgotten");
    }

    #[test]
    fn history_reads_per_address_burst_one_second_then_refill() {
        let rate = AddressRate::new(2);
        let t0 = Instant::now();
        let (a, b): (IpAddr, IpAddr) = ("198.51.100.1".parse().unwrap(), "198.51.100.2".parse().unwrap());
        assert!(rate.try_take_at(a, t0) && rate.try_take_at(a, t0));
        assert!(!rate.try_take_at(a, t0));
        assert!(rate.try_take_at(b, t0), "per address");
        assert!(rate.try_take_at(a, t0 + Duration::from_millis(500)));
        let off = AddressRate::new(0);
        assert!((0..1000).all(|_| off.try_take_at(a, t0)));
    }

    #[test]
    fn event_size_is_measured_on_the_serialised_envelope() {
        let event = |data: &str| {
            Envelope::from_json(&format!(
                r#"{{"id":"e-1","event_type":"t","category":"PIPELINE","priority":"LOW","timestamp":"2026-11-22T10:00:00Z","source":"s","data":{data}}}"#
            ))
            .unwrap()
        };
        let small = event(r#"{"n":1}"#);
        let exact = small.to_json().len();
        assert!(event_fits(&small, exact));
        assert!(!event_fits(&small, exact - 1));
        let big = event(&format!(r#"{{"pad":"{}"}}"#, "x".repeat(100_000)));
        assert!(!event_fits(&big, 65_536));
        assert!(event_fits(&big, 200_000));
    }

    #[test]
    fn bad_frames_are_counted_over_a_sliding_window() {
        let t0 = tokio::time::Instant::now();
        let mut window = SlidingWindow::new(100, Duration::from_secs(10));
        // 60 late in one 10 s span and 60 early in the next: 120 within 1.5 s must trip.
        for i in 0..60 {
            assert!(!window.record(t0 + Duration::from_millis(9_000 + i)));
        }
        let tripped = (0..60).any(|i| window.record(t0 + Duration::from_millis(10_500 + i)));
        assert!(tripped);
        // 100 per 10 s, spread out, never trips.
        let mut steady = SlidingWindow::new(100, Duration::from_secs(10));
        assert!((0..1000).all(|i| !steady.record(t0 + Duration::from_millis(i * 101))));
    }

    #[test]
    fn bursts_one_second_then_refills_at_the_rate() {
        let limiter = RateLimiter::new(10);
        let t0 = Instant::now();
        assert!(limiter.try_take("o", "s", 10, t0));
        assert!(!limiter.try_take("o", "s", 1, t0));
        assert!(limiter.try_take("other", "s", 1, t0), "per user");
        assert!(limiter.try_take("o", "s", 1, t0 + Duration::from_millis(100)));
        assert!(!limiter.try_take("o", "s", 1, t0 + Duration::from_millis(100)));
        assert!(!limiter.try_take("o", "s", 11, t0 + Duration::from_secs(5)), "never more than the burst");
    }

    #[test]
    fn connection_counts_are_per_user_and_released() {
        let counter = ConnectionCounter::new(2);
        assert!(counter.try_acquire("o", "a"));
        assert!(counter.try_acquire("o", "a"));
        assert!(!counter.try_acquire("o", "a"));
        assert!(counter.try_acquire("o", "b"));
        counter.release("o", "a");
        assert!(counter.try_acquire("o", "a"));
        counter.release("o", "a");
        counter.release("o", "a");
        counter.release("o", "b");
        assert!(counter.counts.lock().unwrap().is_empty(), "no memory kept for idle users");
    }

    #[test]
    fn ip_connections_are_limited_per_address_and_released_on_drop() {
        let counter = IpConnectionCounter::new(2);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let first = counter.try_acquire(a).expect("1 of 2");
        let second = counter.try_acquire(a).expect("2 of 2");
        assert!(counter.try_acquire(a).is_none(), "the third from one address is refused");
        let other = counter.try_acquire(b).expect("another address has its own count");
        drop(first);
        let again = counter.try_acquire(a).expect("a released place is free again");
        assert!(counter.try_acquire(a).is_none());
        assert_eq!(counter.tracked(), 2);
        drop((second, again, other));
        assert_eq!(counter.tracked(), 0, "no memory kept for addresses without connections");
    }

    #[test]
    fn a_refused_attempt_leaves_no_entry_and_zero_means_off() {
        let counter = IpConnectionCounter::new(1);
        let ip: IpAddr = "192.0.2.9".parse().unwrap();
        let held = counter.try_acquire(ip).unwrap();
        for _ in 0..1000 {
            assert!(counter.try_acquire(ip).is_none());
        }
        drop(held);
        assert_eq!(counter.tracked(), 0);

        let off = IpConnectionCounter::new(0);
        let slots: Vec<_> = (0..1000).map(|_| off.try_acquire(ip).expect("0 = no limit")).collect();
        assert_eq!(off.tracked(), 0, "nothing is counted when the limit is off");
        drop(slots);
    }

    #[test]
    fn ipv6_counts_by_64_prefix_and_mapped_ipv4_as_ipv4() {
        let counter = IpConnectionCounter::new(1);
        let _held = counter.try_acquire("2001:db8:1:2::1".parse().unwrap()).unwrap();
        assert!(counter.try_acquire("2001:db8:1:2:ffff::9".parse().unwrap()).is_none(), "same /64");
        let _other = counter.try_acquire("2001:db8:1:3::1".parse().unwrap()).expect("another /64");
        let _v4 = counter.try_acquire("198.51.100.7".parse().unwrap()).unwrap();
        assert!(counter.try_acquire("::ffff:198.51.100.7".parse().unwrap()).is_none(), "mapped = the IPv4 address");
        assert_eq!(IpKey::of("::1".parse().unwrap()), IpKey::of("::2".parse().unwrap()));
    }
}
