//! The portal's rate limit, as a token bucket.

use std::time::Instant;

/// A token bucket: it holds at most `burst` tokens, starts full, and gains
/// `per_second` tokens a second. A call that finds less than one whole token
/// is refused and takes nothing, so refused calls never delay later ones.
#[derive(Clone, Debug)]
pub(crate) struct TokenBucket {
    per_second: f64,
    burst: f64,
    tokens: f64,
    refilled_at: Instant,
}

impl TokenBucket {
    pub(crate) fn new(per_second: f64, burst: u32, now: Instant) -> Self {
        let burst = f64::from(burst.max(1));
        Self {
            per_second,
            burst,
            tokens: burst,
            refilled_at: now,
        }
    }

    /// Takes one token if a whole one is there at `now`.
    pub(crate) fn try_take(&mut self, now: Instant) -> bool {
        // A clock read before the last refill (two threads racing for the
        // lock) adds nothing rather than going backwards.
        let elapsed = now.saturating_duration_since(self.refilled_at);
        self.tokens = (self.tokens + elapsed.as_secs_f64() * self.per_second).min(self.burst);
        self.refilled_at = self.refilled_at.max(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn taken(bucket: &mut TokenBucket, now: Instant, calls: usize) -> usize {
        (0..calls).filter(|_| bucket.try_take(now)).count()
    }

    #[test]
    fn a_burst_gets_exactly_burst_tokens() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(5.0, 4, start);
        assert_eq!(taken(&mut bucket, start, 7), 4);
    }

    #[test]
    fn one_token_comes_back_every_one_over_rate_seconds() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(4.0, 2, start);
        assert_eq!(taken(&mut bucket, start, 3), 2);
        assert_eq!(taken(&mut bucket, start + Duration::from_millis(249), 1), 0);
        assert_eq!(taken(&mut bucket, start + Duration::from_millis(250), 2), 1);
        // Refused calls above took nothing: the next token is due 250 ms
        // after the last one, not after the last refusal.
        assert_eq!(taken(&mut bucket, start + Duration::from_millis(500), 2), 1);
    }

    #[test]
    fn refills_stop_at_the_burst() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(100.0, 3, start);
        assert_eq!(taken(&mut bucket, start, 3), 3);
        assert_eq!(taken(&mut bucket, start + Duration::from_secs(60), 10), 3);
    }

    #[test]
    fn a_steady_stream_is_admitted_at_the_rate() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(20.0, 5, start);
        // One call every millisecond for 10 s.
        let admitted = (0..10_000u64)
            .filter(|&ms| bucket.try_take(start + Duration::from_millis(ms)))
            .count();
        // The burst, then 20 a second for the 9.999 s after the first call.
        assert_eq!(admitted, 5 + 199);
    }

    #[test]
    fn a_clock_read_out_of_order_adds_nothing() {
        let start = Instant::now();
        let later = start + Duration::from_secs(1);
        let mut bucket = TokenBucket::new(1.0, 1, start);
        assert!(bucket.try_take(later));
        assert!(!bucket.try_take(start));
        assert!(!bucket.try_take(later));
    }

    #[test]
    fn zero_burst_counts_as_one() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(1.0, 0, start);
        assert_eq!(taken(&mut bucket, start, 2), 1);
    }
}
