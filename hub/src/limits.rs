//! Per-user limits: publish rate (token bucket) and concurrent connections; per-address
//! limit: concurrent WebSocket connections per client IP address.
//!
//! The per-user ones are keyed by (org, sub), the per-address one by [`IpKey`]. All are
//! bounded in memory: idle buckets are pruned, and a connection count disappears when it
//! drops to zero.

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

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
        let refill = now.saturating_duration_since(bucket.at).as_secs_f64() * self.rate;
        bucket.tokens = (bucket.tokens + refill).min(self.rate);
        bucket.at = now;
        if bucket.tokens >= f64::from(n) {
            bucket.tokens -= f64::from(n);
            true
        } else {
            false
        }
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

/// One counted connection of an address; dropping it releases the place. Holds nothing
/// when the limit is off.
#[derive(Debug)]
pub(crate) struct IpSlot(Option<(Arc<IpConnectionCounter>, IpKey)>);

impl IpConnectionCounter {
    pub(crate) fn new(max: usize) -> Arc<Self> {
        Arc::new(Self { max, counts: Mutex::default() })
    }

    /// Counts one more connection from `ip`; `None` (and not counted) when the address
    /// already holds `max` connections.
    pub(crate) fn try_acquire(self: &Arc<Self>, ip: IpAddr) -> Option<IpSlot> {
        if self.max == 0 {
            return Some(IpSlot(None));
        }
        let key = IpKey::of(ip);
        let mut counts = self.counts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let count = counts.entry(key).or_default();
        if *count >= self.max {
            return None;
        }
        *count += 1;
        Some(IpSlot(Some((self.clone(), key))))
    }

    fn release(&self, key: IpKey) {
        let mut counts = self.counts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
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
        if let Some((counter, key)) = self.0.take() {
            counter.release(key);
        }
    }
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
