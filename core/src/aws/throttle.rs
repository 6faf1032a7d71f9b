//! Client-side adaptive rate limiting of the calls to one endpoint.
//!
//! The portal answers 429 `TooManyRequestsException` above a rate it does not
//! publish (users report about 20 requests/s). A [`RateLimiter`] paces every
//! call of one invocation to one endpoint: it lets calls through unpaced until
//! the first 429, then paces them at a rate that it cuts multiplicatively on
//! each 429 and raises a little on each success, so it settles on whatever
//! rate the endpoint allows without being told the number. A 429 is never
//! fatal while calls still succeed: the throttled call waits for its next
//! slot and is sent again. The limiter gives up only when no call has
//! succeeded for [`GIVE_UP_AFTER`] while every attempt was throttled.
//!
//! Why not the SDK's adaptive retry mode (`RetryConfig::adaptive()`, whose
//! `ClientRateLimiter` is a CUBIC rate limiter): it still ends each call after
//! a fixed number of attempts, so one unlucky call fails a listing while the
//! others succeed; its retry quota (500 units, 5 per throttled retry) refuses
//! every retry after about 100 throttled ones, whatever the portal does next;
//! it reads only `x-amz-retry-after`, capped by the maximum backoff; and its
//! rate is not visible, so the progress bar could not show it. The SDK still
//! retries transient network errors; `ThrottleToCaller` (in `sdk`) keeps
//! it from retrying a 429 itself.
//!
//! The decisions live in [`Pace`], which takes the time as an argument, so
//! the tests drive it with a simulated clock.

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

/// How long every attempt may be throttled, with no call succeeding, before
/// a run fails: two minutes.
pub const GIVE_UP_AFTER: Duration = Duration::from_secs(120);

/// The environment variable that shortens (or lengthens) [`GIVE_UP_AFTER`],
/// in seconds (fractions allowed). It exists for tests; an unparsable,
/// negative or non-finite value is ignored.
pub const GIVE_UP_VARIABLE: &str = "SSOCRED_THROTTLE_GIVE_UP_SECS";

/// The factor a 429 applies to the rate.
const DECREASE: f64 = 0.7;
/// What each success adds to the rate, in requests/s. As about `rate`
/// calls succeed each second, the rate grows by a quarter of itself a second
/// until the next 429.
const PROBE_STEP: f64 = 0.25;
/// The slowest pace, in requests/s.
const MIN_RATE: f64 = 0.5;
/// The window over which successes are counted to measure the rate the
/// endpoint admits.
const WINDOW: Duration = Duration::from_secs(1);
/// How long after the last 429 the limiter still reports throttling.
const SHOWN_FOR: Duration = Duration::from_secs(5);

/// The give-up time: [`GIVE_UP_VARIABLE`] from `var` when it holds a valid
/// number of seconds, [`GIVE_UP_AFTER`] otherwise.
pub fn give_up_after(var: impl Fn(&str) -> Option<String>) -> Duration {
    var(GIVE_UP_VARIABLE)
        .and_then(|v| v.trim().parse::<f64>().ok())
        .and_then(|secs| Duration::try_from_secs_f64(secs).ok())
        .unwrap_or(GIVE_UP_AFTER)
}

/// The pacing state of one endpoint; every method takes the current time.
pub(crate) struct Pace {
    /// Requests/s; `None` until the first 429, when calls go unpaced.
    rate: Option<f64>,
    /// When the last call started.
    last_start: Option<Instant>,
    /// No call starts before this (a `Retry-After`).
    paused_until: Instant,
    /// How many times the rate was cut. A call admitted before the last cut
    /// does not cut it again: its 429 answers the old rate.
    cuts: u64,
    /// When the current run of 429s began (the send time of its first call);
    /// `None` after a success.
    throttled_since: Option<Instant>,
    last_throttle: Option<Instant>,
    /// Successes within [`WINDOW`], oldest first.
    recent: VecDeque<Instant>,
    give_up: Duration,
}

/// The start of one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Slot {
    /// When the call started.
    pub(crate) start: Instant,
    /// The cuts made before it started.
    cuts: u64,
}

/// Why a throttled call must not be sent again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct GaveUp {
    /// The give-up time: no call succeeded for at least this long.
    pub(crate) after: Duration,
}

impl Pace {
    pub(crate) fn new(give_up: Duration, now: Instant) -> Self {
        Pace {
            rate: None,
            last_start: None,
            paused_until: now,
            cuts: 0,
            throttled_since: None,
            last_throttle: None,
            recent: VecDeque::new(),
            give_up,
        }
    }

    /// The earliest instant, from `now` on, at which the next call may
    /// start. Computed afresh on every look, so a cut or a `Retry-After`
    /// delays the calls already waiting.
    pub(crate) fn next_start(&self, now: Instant) -> Instant {
        let paced = match (self.rate, self.last_start) {
            (Some(rate), Some(last)) => last + Duration::from_secs_f64(1.0 / rate),
            _ => now,
        };
        now.max(self.paused_until).max(paced)
    }

    /// A call starts at `now` (no earlier than [`Self::next_start`]).
    pub(crate) fn start(&mut self, now: Instant) -> Slot {
        self.last_start = Some(now);
        Slot {
            start: now,
            cuts: self.cuts,
        }
    }

    /// A call succeeded at `now`: probe upwards.
    pub(crate) fn succeeded(&mut self, now: Instant) {
        self.throttled_since = None;
        self.recent.push_back(now);
        self.forget_old(now);
        if let Some(rate) = &mut self.rate {
            *rate += PROBE_STEP;
        }
    }

    /// The call of `slot` was throttled at `now`, with the delay the
    /// endpoint asked for, if any. Cuts the rate (once per round of calls),
    /// honours the delay, and gives up when every attempt for the give-up
    /// time was throttled.
    pub(crate) fn throttled(
        &mut self,
        slot: Slot,
        now: Instant,
        retry_after: Option<Duration>,
    ) -> Result<(), GaveUp> {
        self.last_throttle = Some(now);
        let since = *self.throttled_since.get_or_insert(slot.start);
        if now.saturating_duration_since(since) >= self.give_up {
            return Err(GaveUp {
                after: self.give_up,
            });
        }
        if let Some(delay) = retry_after {
            // Never past the give-up time, so a huge value cannot hang a run.
            self.paused_until = self.paused_until.max(now + delay.min(self.give_up));
        }
        if slot.cuts != self.cuts {
            return Ok(());
        }
        // The first cut starts from what the endpoint admitted over the last
        // second; later ones from the pace, which tracks it more steadily.
        let base = self.rate.unwrap_or_else(|| {
            self.forget_old(now);
            self.recent.len() as f64 / WINDOW.as_secs_f64()
        });
        self.rate = Some((base * DECREASE).max(MIN_RATE));
        self.cuts += 1;
        Ok(())
    }

    /// The current rate while the endpoint throttled within the last
    /// [`SHOWN_FOR`], for progress displays.
    pub(crate) fn throttling(&self, now: Instant) -> Option<f64> {
        let last = self.last_throttle?;
        (now.saturating_duration_since(last) < SHOWN_FOR)
            .then_some(self.rate)
            .flatten()
    }

    fn forget_old(&mut self, now: Instant) {
        while self
            .recent
            .front()
            .is_some_and(|&t| now.saturating_duration_since(t) >= WINDOW)
        {
            self.recent.pop_front();
        }
    }
}

/// The limiter of one endpoint, shared by every clone (and so every
/// concurrent call) of the client that owns it.
#[derive(Clone)]
pub struct RateLimiter {
    pace: Arc<Mutex<Pace>>,
}

impl fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimiter")
            .field("rate", &self.lock().rate)
            .finish()
    }
}

impl RateLimiter {
    /// A limiter that paces nothing until the first 429 and gives up after
    /// `give_up` of throttling with no success.
    pub fn new(give_up: Duration) -> Self {
        RateLimiter {
            pace: Arc::new(Mutex::new(Pace::new(give_up, Instant::now()))),
        }
    }

    /// Waits until the next call may start; returns its slot, for
    /// [`Self::throttled`]. Waiters look again when they wake, so a cut made
    /// while they slept holds them back too.
    pub(crate) async fn admit(&self) -> Slot {
        loop {
            let now = Instant::now();
            let at = {
                let mut pace = self.lock();
                let at = pace.next_start(now);
                if at <= now {
                    return pace.start(now);
                }
                at
            };
            tokio::time::sleep_until(at).await;
        }
    }

    /// An admitted call succeeded.
    pub(crate) fn succeeded(&self) {
        self.lock().succeeded(Instant::now());
    }

    /// The call admitted in `slot` was throttled; `Err` once the limiter
    /// gives up.
    pub(crate) fn throttled(
        &self,
        slot: Slot,
        retry_after: Option<Duration>,
    ) -> Result<(), GaveUp> {
        self.lock().throttled(slot, Instant::now(), retry_after)
    }

    /// The pace in requests/s while the endpoint is throttling, `None` when
    /// it has not throttled in the last few seconds.
    pub fn throttling(&self) -> Option<f64> {
        self.lock().throttling(Instant::now())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Pace> {
        // The state stays consistent at every await-free step, so a panic
        // elsewhere while holding the lock leaves it usable.
        self.pace.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The error codes with which AWS query-protocol services (STS) throttle.
pub const THROTTLING_CODES: [&str; 3] =
    ["Throttling", "ThrottlingException", "RequestLimitExceeded"];

/// Why a [`paced`] call failed.
pub(crate) enum Paced<E> {
    /// The call failed otherwise (boxed: SDK errors are large).
    Failed(Box<E>),
    /// The endpoint kept throttling until the limiter gave up.
    GaveUp(GaveUp),
}

/// One call to an AWS endpoint, `send`, paced by the endpoint's `limiter`
/// and sent again after each throttled answer (as `throttled` tells) until
/// it succeeds, fails otherwise, or the limiter gives up. A delay the
/// answer asks for (`Retry-After`) is honoured.
pub(crate) async fn paced<T, E, R, F, Fut>(
    limiter: &RateLimiter,
    throttled: impl Fn(&aws_smithy_runtime_api::client::result::SdkError<E, R>) -> bool,
    mut send: F,
) -> Result<T, Paced<aws_smithy_runtime_api::client::result::SdkError<E, R>>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, aws_smithy_runtime_api::client::result::SdkError<E, R>>>,
    R: AsHeaders,
{
    loop {
        let slot = limiter.admit().await;
        match send().await {
            Ok(out) => {
                limiter.succeeded();
                return Ok(out);
            }
            Err(err) if throttled(&err) => {
                let delay = err
                    .raw_response()
                    .and_then(|response| retry_after(|name| response.header(name)));
                limiter.throttled(slot, delay).map_err(Paced::GaveUp)?;
            }
            Err(err) => return Err(Paced::Failed(Box::new(err))),
        }
    }
}

/// A raw response whose headers can be read.
pub(crate) trait AsHeaders {
    /// The value of header `name`.
    fn header(&self, name: &str) -> Option<String>;
}

impl AsHeaders for aws_smithy_runtime_api::http::Response {
    fn header(&self, name: &str) -> Option<String> {
        self.headers().get(name).map(str::to_owned)
    }
}

/// The delay a throttled response asks for: `Retry-After` in seconds (the
/// delay-seconds form) or `x-amz-retry-after` in milliseconds, the longer
/// when both are present; malformed values are ignored.
pub(crate) fn retry_after(header: impl Fn(&str) -> Option<String>) -> Option<Duration> {
    let seconds = header("retry-after")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let millis = header("x-amz-retry-after")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_millis);
    seconds.max(millis)
}

#[cfg(test)]
mod tests;
