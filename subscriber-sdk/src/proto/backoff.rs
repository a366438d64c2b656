//! Full-jitter exponential backoff (defaults: 1 s base, 30 s cap).
//!
//! Attempt `n` (from 0) waits a uniformly random time in `[0, min(cap, base × 2ⁿ)]`, so a
//! crowd of clients disconnected at once spreads its reconnects instead of arriving together.
//! The randomness comes from a small seeded generator, so tests are deterministic.

use std::fmt;
use std::sync::Arc;

use crate::time::Duration;

/// A user-supplied delay function: attempt number (from 0) → delay.
pub type DelayFn = Arc<dyn Fn(u32) -> Duration + Send + Sync>;

/// Reconnect delays.
#[derive(Clone)]
pub struct Backoff {
    /// The first attempt's upper bound. Default 1 s.
    pub base: Duration,
    /// The largest delay. Default 30 s. A `4429` close waits at least this long.
    pub cap: Duration,
    /// Replaces the built-in formula when set (it still gets the attempt number).
    pub custom: Option<DelayFn>,
}

impl Default for Backoff {
    fn default() -> Self {
        Self { base: Duration::from_secs(1), cap: Duration::from_secs(30), custom: None }
    }
}

impl fmt::Debug for Backoff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Backoff")
            .field("base", &self.base)
            .field("cap", &self.cap)
            .field("custom", &self.custom.is_some())
            .finish()
    }
}

impl Backoff {
    /// The upper bound of attempt `attempt`'s delay: `min(cap, base × 2^attempt)`.
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let factor = 1u32.checked_shl(attempt.min(31)).unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.cap)
    }

    /// The delay before attempt `attempt`, using `rng` for the jitter.
    pub fn delay(&self, attempt: u32, rng: &mut Rng) -> Duration {
        match &self.custom {
            Some(custom) => custom(attempt),
            None => self.ceiling(attempt).mul_f64(rng.next_f64()),
        }
    }
}

/// A small, seedable pseudo-random generator (SplitMix64). Not cryptographic: it only
/// spreads reconnects.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed`. Drivers seed it from the platform's randomness.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next value in `[0, 1)`.
    pub fn next_f64(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_stay_within_the_growing_ceiling_and_the_cap() {
        let backoff = Backoff::default();
        let mut rng = Rng::new(7);
        for attempt in 0..40 {
            let ceiling = backoff.ceiling(attempt);
            assert!(ceiling <= Duration::from_secs(30));
            for _ in 0..100 {
                assert!(backoff.delay(attempt, &mut rng) <= ceiling);
            }
        }
        assert_eq!(backoff.ceiling(0), Duration::from_secs(1));
        assert_eq!(backoff.ceiling(3), Duration::from_secs(8));
        assert_eq!(backoff.ceiling(10), Duration::from_secs(30));
    }

    #[test]
    fn jitter_spreads_a_herd_evenly() {
        // 10,000 clients on attempt 5 (ceiling 30 s): no 1 s bucket holds over twice its share.
        let backoff = Backoff::default();
        let mut rng = Rng::new(42);
        let mut buckets = [0u32; 30];
        for _ in 0..10_000 {
            let delay = backoff.delay(5, &mut rng).as_secs_f64();
            buckets[(delay as usize).min(29)] += 1;
        }
        let share = 10_000 / 30;
        assert!(buckets.iter().all(|&n| n < 2 * share && n > share / 2), "{buckets:?}");
    }

    #[test]
    fn a_custom_delay_function_wins() {
        let backoff =
            Backoff { custom: Some(Arc::new(|n| Duration::from_millis(u64::from(n) * 10))), ..Backoff::default() };
        assert_eq!(backoff.delay(3, &mut Rng::new(1)), Duration::from_millis(30));
    }
}
