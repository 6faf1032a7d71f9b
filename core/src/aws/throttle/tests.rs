//! The limiter's decisions under a simulated clock: a portal with a token
//! bucket of unknown rate, and `workers` concurrent callers that retry each
//! throttled call until it succeeds, as the listing does.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::*;

/// The portal's limit: a token bucket that starts full; a refused call takes
/// no token (as the emulator's).
struct Bucket {
    per_second: f64,
    burst: f64,
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn new(per_second: f64, burst: f64, now: Instant) -> Self {
        Bucket {
            per_second,
            burst,
            tokens: burst,
            at: now,
        }
    }

    fn try_take(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.per_second).min(self.burst);
        self.at = self.at.max(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[derive(Clone, Copy)]
enum Event {
    /// A worker is free for its next call.
    Free,
    /// A worker asks the limiter whether its call may start.
    Ready,
    /// The portal's answer arrives.
    Answer { slot: Slot, admitted: bool },
}

struct Run {
    /// When the last call succeeded, from the start.
    elapsed: Duration,
    throttled: usize,
    gave_up: Option<GaveUp>,
    pace: Pace,
    end: Instant,
}

/// `calls` calls through `workers` concurrent callers against `portal`, each
/// answer `latency` after its send.
fn simulate(
    mut portal: impl FnMut(Instant) -> bool,
    calls: usize,
    workers: usize,
    latency: Duration,
    give_up: Duration,
    start: Instant,
) -> Run {
    let mut pace = Pace::new(give_up, start);
    let mut queue = BinaryHeap::new();
    let mut events = Vec::new();
    let push = |queue: &mut BinaryHeap<_>,
                events: &mut Vec<Event>,
                at: Instant,
                worker: usize,
                event: Event| {
        queue.push(Reverse((at, events.len(), worker)));
        events.push(event);
    };
    for worker in 0..workers {
        push(&mut queue, &mut events, start, worker, Event::Free);
    }
    let (mut unstarted, mut throttled, mut last) = (calls, 0, start);
    while let Some(Reverse((now, seq, worker))) = queue.pop() {
        match events[seq] {
            Event::Free => {
                if unstarted > 0 {
                    unstarted -= 1;
                    push(&mut queue, &mut events, now, worker, Event::Ready);
                }
            }
            Event::Ready => {
                let at = pace.next_start(now);
                assert!(at >= now);
                if at > now {
                    push(&mut queue, &mut events, at, worker, Event::Ready);
                    continue;
                }
                let slot = pace.start(now);
                let admitted = portal(now);
                let answer = Event::Answer { slot, admitted };
                push(&mut queue, &mut events, now + latency, worker, answer);
            }
            Event::Answer { slot, admitted } => {
                if admitted {
                    pace.succeeded(now);
                    last = now;
                } else {
                    throttled += 1;
                    if let Err(gave_up) = pace.throttled(slot, now, None) {
                        return Run {
                            elapsed: last - start,
                            throttled,
                            gave_up: Some(gave_up),
                            pace,
                            end: now,
                        };
                    }
                }
                let next = if admitted { Event::Free } else { Event::Ready };
                push(&mut queue, &mut events, now, worker, next);
            }
        }
    }
    Run {
        elapsed: last - start,
        throttled,
        gave_up: None,
        pace,
        end: last,
    }
}

const LATENCY: Duration = Duration::from_millis(20);

#[test]
fn converges_on_an_unknown_rate_within_the_benchmark_bound() {
    // The benchmark's listing: 2 account pages + 200 role listings, 16 at
    // a time, against portals whose rate the limiter is never told.
    let calls = 202;
    for rate in [7.0, 20.0, 50.0] {
        let start = Instant::now();
        let mut bucket = Bucket::new(rate, rate, start);
        let run = simulate(
            |t| bucket.try_take(t),
            calls,
            16,
            LATENCY,
            GIVE_UP_AFTER,
            start,
        );
        assert_eq!(run.gave_up, None, "{rate}/s");
        let minimum = (calls as f64 - rate) / rate;
        let bound = 1.2 * minimum + 0.5;
        let took = run.elapsed.as_secs_f64();
        assert!(
            took <= bound,
            "{rate}/s: {took:.2} s > {bound:.2} s ({} throttled)",
            run.throttled
        );
        assert!(run.throttled > 0, "{rate}/s: the portal never throttled");
    }
}

#[test]
fn settles_near_the_portal_rate_over_a_long_run() {
    // (rate, burst, the share of the rate the run must reach). With no
    // burst to absorb the dips of the sawtooth, AIMD keeps about 70-85 %.
    for (rate, burst, share) in [
        (3.0, 1.0, 0.6),
        (20.0, 1.0, 0.6),
        (120.0, 1.0, 0.6),
        (3.0, 3.0, 0.9),
        (20.0, 20.0, 0.9),
        (120.0, 120.0, 0.9),
    ] {
        let start = Instant::now();
        let mut bucket = Bucket::new(rate, burst, start);
        let calls = (rate * 60.0) as usize;
        let run = simulate(
            |t| bucket.try_take(t),
            calls,
            16,
            LATENCY,
            GIVE_UP_AFTER,
            start,
        );
        assert_eq!(run.gave_up, None);
        let throughput = calls as f64 / run.elapsed.as_secs_f64();
        assert!(
            throughput >= share * rate,
            "{rate}/s, burst {burst}: {throughput:.1}/s"
        );
        let pace = run.pace.rate.unwrap_or(f64::INFINITY);
        assert!(
            pace > 0.5 * rate && pace < 2.0 * rate,
            "{rate}/s, burst {burst}: paced at {pace:.1}/s"
        );
        // Throttled calls stay a minority of the calls sent.
        assert!(
            run.throttled < calls / 2,
            "{rate}/s, burst {burst}: {} throttled for {calls} calls",
            run.throttled
        );
    }
}

#[test]
fn a_429_cuts_the_rate_multiplicatively_once_per_round() {
    let t0 = Instant::now();
    let mut pace = Pace::new(GIVE_UP_AFTER, t0);
    // Unpaced until the first 429.
    assert_eq!(pace.rate, None);
    let first = take(&mut pace, t0);
    let second = take(&mut pace, t0);
    assert_eq!((first.start, second.start), (t0, t0));
    for i in 0..10 {
        pace.succeeded(t0 + Duration::from_millis(10 * i));
    }
    let t1 = t0 + Duration::from_millis(200);
    // The first 429 paces at 0.7 x the 10/s the portal was admitting.
    pace.throttled(first, t1, None).unwrap();
    assert_close(pace.rate, 7.0);
    // A 429 of a call admitted before that cut answers the old rate.
    pace.throttled(second, t1, None).unwrap();
    assert_close(pace.rate, 7.0);
    // A 429 of a call admitted at the new rate cuts it again.
    let third = take(&mut pace, t1);
    let t2 = t1 + Duration::from_millis(300);
    pace.throttled(third, t2, None).unwrap();
    assert_close(pace.rate, 4.9);
    // Never below the floor.
    for i in 1..40 {
        let t = t2 + Duration::from_secs(i);
        let slot = take(&mut pace, t);
        pace.throttled(slot, t, None).unwrap();
    }
    assert_close(pace.rate, MIN_RATE);
}

#[test]
fn successes_probe_the_rate_back_up_and_shorten_the_spacing() {
    let t0 = Instant::now();
    let mut pace = Pace::new(GIVE_UP_AFTER, t0);
    for _ in 0..10 {
        pace.succeeded(t0);
    }
    let slot = take(&mut pace, t0);
    pace.throttled(slot, t0, None).unwrap();
    assert_close(pace.rate, 7.0);
    let a = take(&mut pace, t0).start;
    let b = take(&mut pace, t0).start;
    assert_eq!(b - a, Duration::from_secs_f64(1.0 / 7.0));
    for _ in 0..12 {
        pace.succeeded(t0);
    }
    assert_close(pace.rate, 10.0);
    let c = take(&mut pace, t0).start;
    let d = take(&mut pace, t0).start;
    assert_eq!(d - c, Duration::from_secs_f64(1.0 / 10.0));
}

#[test]
fn retry_after_holds_every_call_back() {
    let t0 = Instant::now();
    let mut pace = Pace::new(GIVE_UP_AFTER, t0);
    let slot = take(&mut pace, t0);
    pace.throttled(slot, t0, Some(Duration::from_secs(3)))
        .unwrap();
    let later = t0 + Duration::from_secs(1);
    assert!(take(&mut pace, later).start >= t0 + Duration::from_secs(3));
    assert!(take(&mut pace, later).start >= t0 + Duration::from_secs(3));
    // A delay beyond the give-up time is cut to it.
    let mut pace = Pace::new(Duration::from_secs(10), t0);
    let slot = take(&mut pace, t0);
    pace.throttled(slot, t0, Some(Duration::from_secs(3600)))
        .unwrap();
    assert_eq!(take(&mut pace, t0).start, t0 + Duration::from_secs(10));
}

#[test]
fn retry_after_headers_are_read_in_their_units() {
    let headers = |pairs: &'static [(&'static str, &'static str)]| {
        move |name: &str| {
            pairs
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        }
    };
    assert_eq!(retry_after(headers(&[])), None);
    assert_eq!(
        retry_after(headers(&[("retry-after", " 2 ")])),
        Some(Duration::from_secs(2))
    );
    assert_eq!(
        retry_after(headers(&[("x-amz-retry-after", "1500")])),
        Some(Duration::from_millis(1500))
    );
    assert_eq!(
        retry_after(headers(&[
            ("retry-after", "1"),
            ("x-amz-retry-after", "2500")
        ])),
        Some(Duration::from_millis(2500))
    );
    assert_eq!(
        retry_after(headers(&[
            ("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT"),
            ("x-amz-retry-after", "-5")
        ])),
        None
    );
}

#[test]
fn gives_up_only_after_no_success_for_the_give_up_time() {
    let give_up = Duration::from_secs(120);
    // A portal that throttles every call: the first refusal starts the
    // clock, and the limiter gives up once 120 s have passed, not before.
    let start = Instant::now();
    let run = simulate(|_| false, 50, 16, LATENCY, give_up, start);
    let gave_up = run.gave_up.expect("never gave up");
    assert_eq!(gave_up.after, give_up);
    let waited = run.end - start;
    assert!(
        waited >= give_up && waited < give_up + Duration::from_secs(5),
        "gave up after {waited:?}"
    );
    // At the floor rate, a throttled portal is asked at most about
    // MIN_RATE times a second, plus the first unpaced round.
    assert!(run.throttled <= 16 + 70, "{} throttled", run.throttled);

    // A portal that lets one call through every 100 s: slow, but never
    // 120 s without a success, so every call completes.
    let start = Instant::now();
    let mut next_admission = start;
    let run = simulate(
        |t| {
            let admitted = t >= next_admission;
            if admitted {
                next_admission = t + Duration::from_secs(100);
            }
            admitted
        },
        4,
        2,
        LATENCY,
        give_up,
        start,
    );
    assert_eq!(run.gave_up, None);
    assert!(run.elapsed >= Duration::from_secs(300));
}

#[test]
fn the_limiter_reports_throttling_for_a_few_seconds() {
    let t0 = Instant::now();
    let mut pace = Pace::new(GIVE_UP_AFTER, t0);
    assert_eq!(pace.throttling(t0), None);
    pace.succeeded(t0);
    let slot = take(&mut pace, t0);
    pace.throttled(slot, t0, None).unwrap();
    assert!(pace.throttling(t0 + Duration::from_secs(1)).is_some());
    assert_eq!(pace.throttling(t0 + SHOWN_FOR), None);
}

#[test]
fn the_give_up_time_comes_from_its_variable() {
    let env = |vars: &'static [(&'static str, &'static str)]| {
        move |k: &str| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    };
    assert_eq!(give_up_after(env(&[])), GIVE_UP_AFTER);
    assert_eq!(
        give_up_after(env(&[(GIVE_UP_VARIABLE, "1.5")])),
        Duration::from_millis(1500)
    );
    for bad in ["", "soon", "-1", "NaN", "inf"] {
        let vars: &'static [(&str, &str)] = Box::leak(Box::new([(GIVE_UP_VARIABLE, bad)]));
        assert_eq!(give_up_after(env(vars)), GIVE_UP_AFTER, "{bad}");
    }
}

#[test]
fn clones_share_one_pace() {
    let limiter = RateLimiter::new(GIVE_UP_AFTER);
    let clone = limiter.clone();
    limiter.succeeded();
    let slot = clone.lock().start(Instant::now());
    clone.throttled(slot, None).unwrap();
    assert!(limiter.throttling().is_some());
    assert!(format!("{clone:?}").contains("rate: Some("));
}

/// The next call, started as soon as the limiter allows.
fn take(pace: &mut Pace, now: Instant) -> Slot {
    let at = pace.next_start(now);
    pace.start(at)
}

fn assert_close(rate: Option<f64>, expected: f64) {
    let rate = rate.unwrap_or(f64::NAN);
    assert!((rate - expected).abs() < 1e-9, "{rate} != {expected}");
}
