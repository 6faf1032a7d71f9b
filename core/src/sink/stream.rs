//! The credential-set stream over time: the first round of sets, then a fresh
//! round shortly before they expire, for as long as the caller wants.
//!
//! Every round reaches the sinks through the same contract as a one-shot run
//! ([`deliver`]: `accept` per set, then `commit`), so a sink cannot tell a
//! refresh from the first fetch. Long-running modes (`--watch`, `serve`,
//! `exec --via serve`) differ only in what they do while the stream runs.

use std::future::Future;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;
use tokio::sync::Notify;

use crate::sink::{SelectedSink, deliver};
use crate::{CredentialSet, Error};

/// When to fetch again and how to retry a failed fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefreshPolicy {
    /// Fetch again this long before the earliest expiration of a round.
    pub refresh_before: Duration,
    /// The wait before the first retry of a failed fetch; it doubles per
    /// failure.
    pub first_retry: Duration,
    /// The longest wait between retries.
    pub max_retry: Duration,
}

impl RefreshPolicy {
    /// The default margin before expiry: five minutes, as the AWS SDKs use
    /// for their own refreshable credentials.
    pub const DEFAULT_REFRESH_BEFORE: Duration = Duration::from_secs(300);

    /// The default policy with another margin before expiry.
    pub fn with_refresh_before(refresh_before: Duration) -> Self {
        RefreshPolicy {
            refresh_before,
            ..RefreshPolicy::default()
        }
    }

    /// How long to wait, at `now`, before refreshing sets that expire at
    /// `expiry`. When the credentials live shorter than the margin, the
    /// refresh comes halfway through what is left; never sooner than a
    /// second, so a portal handing out expired sets cannot make a busy loop.
    pub fn wait_before_refresh(&self, now: OffsetDateTime, expiry: OffsetDateTime) -> Duration {
        let left = positive(expiry - now);
        let wait = left.checked_sub(self.refresh_before).unwrap_or(left / 2);
        wait.max(MIN_WAIT)
    }

    /// The wait before retry number `attempt` (1 for the first retry).
    pub fn retry_wait(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        self.first_retry.saturating_mul(factor).min(self.max_retry)
    }
}

impl Default for RefreshPolicy {
    fn default() -> Self {
        RefreshPolicy {
            refresh_before: Self::DEFAULT_REFRESH_BEFORE,
            first_retry: Duration::from_secs(1),
            max_retry: Duration::from_secs(60),
        }
    }
}

const MIN_WAIT: Duration = Duration::from_secs(1);

/// Sleeps are cut into slices of this length and the wall clock is checked
/// after each: the monotonic clock tokio sleeps on stops while a laptop is
/// suspended, but credentials expire by the wall clock.
const SLEEP_SLICE: Duration = Duration::from_secs(30);

fn positive(d: time::Duration) -> Duration {
    Duration::try_from(d).unwrap_or(Duration::ZERO)
}

/// What happened in a round, for the caller's log.
#[derive(Debug)]
pub enum Event<'a> {
    /// A round was delivered to every sink.
    Delivered {
        /// The sets of the round.
        sets: &'a [CredentialSet],
        /// How long the earliest of them stays valid.
        valid_for: Duration,
        /// When the next round will be fetched.
        next_refresh: Duration,
    },
    /// A refresh failed; the previous round is still valid and the fetch
    /// will be retried.
    Failed {
        /// Why it failed.
        error: &'a Error,
        /// The wait before the next attempt.
        retry_in: Duration,
        /// How long the credentials the sinks hold stay valid.
        valid_for: Duration,
    },
}

/// Rounds of credential sets from `fetch`, delivered to sinks.
///
/// `fetch` is called once per round and should read everything that may
/// change between rounds (the SSO token cache, so that a login made while
/// the stream runs is picked up).
pub struct CredentialStream<F> {
    fetch: F,
    policy: RefreshPolicy,
    expiry: Option<OffsetDateTime>,
    /// The profile name of each set of a round, in order (`--all`).
    names: Option<Vec<String>>,
    /// Set by [`keep_trying`](CredentialStream::keep_trying).
    wake: Option<Arc<Notify>>,
}

impl<F> std::fmt::Debug for CredentialStream<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialStream")
            .field("policy", &self.policy)
            .field("expiry", &self.expiry)
            .finish_non_exhaustive()
    }
}

impl<F, Fut> CredentialStream<F>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Vec<CredentialSet>, Error>>,
{
    /// A stream that has not fetched yet.
    pub fn new(fetch: F, policy: RefreshPolicy) -> Self {
        CredentialStream {
            fetch,
            policy,
            expiry: None,
            names: None,
            wake: None,
        }
    }

    /// Never gives up while [`run`](Self::run) runs: once the credentials
    /// the sinks hold have expired, a failed round is retried with backoff
    /// (up to [`RefreshPolicy::max_retry`]) until `stop`, rather than
    /// ending the run; and at once when `wake` is notified (a client asked
    /// for credentials the sinks no longer have valid), but never sooner
    /// than a second after the previous attempt, so clients cannot make a
    /// busy loop of the portal. For a server that lives as long as its
    /// user's shell: a login made later revives it.
    pub fn keep_trying(mut self, wake: Arc<Notify>) -> Self {
        self.wake = Some(wake);
        self
    }

    /// Delivers every round through [`Sink::accept_named`](crate::Sink::accept_named),
    /// the `i`th set with `names[i]`; a round with another number of sets
    /// than names is refused.
    pub fn named(mut self, names: Vec<String>) -> Self {
        self.names = Some(names);
        self
    }

    fn deliver(
        &self,
        sets: &[CredentialSet],
        sinks: &mut [SelectedSink],
        stdout: &mut dyn Write,
    ) -> Result<(), Error> {
        let names = self.names.as_deref();
        if let Some(names) = names.filter(|n| n.len() != sets.len()) {
            return Err(Error::Internal(format!(
                "a round brought {} credential sets for {} roles",
                sets.len(),
                names.len()
            )));
        }
        Ok(deliver(sets, names, sinks, stdout)?)
    }

    /// Fetches one round and delivers it to every sink. A failure here is
    /// returned as it is: there are no older credentials to fall back on.
    pub async fn first_round(
        &mut self,
        sinks: &mut [SelectedSink],
        stdout: &mut dyn Write,
    ) -> Result<Vec<CredentialSet>, Error> {
        let sets = (self.fetch)().await?;
        self.deliver(&sets, sinks, stdout)?;
        self.expiry = earliest_expiry(&sets);
        Ok(sets)
    }

    /// Keeps the sinks supplied until `stop` resolves: fetches the first
    /// round if [`first_round`](Self::first_round) was not called, then a
    /// new round [`RefreshPolicy::refresh_before`] each expiry. A failed
    /// refresh is retried with backoff while the credentials the sinks hold
    /// are valid, and each sink hears of it ([`Sink::refresh_failed`]);
    /// once they have expired, the last error is returned (unless
    /// [`keep_trying`](Self::keep_trying)).
    ///
    /// `Ok(())` means `stop` resolved. `stop` is never observed in the middle
    /// of a delivery, so a file is never left half-written.
    ///
    /// [`Sink::refresh_failed`]: crate::sink::Sink::refresh_failed
    pub async fn run(
        &mut self,
        sinks: &mut [SelectedSink],
        stdout: &mut dyn Write,
        stop: impl Future<Output = ()>,
        mut on_event: impl FnMut(Event<'_>),
    ) -> Result<(), Error> {
        let mut stop = std::pin::pin!(stop);
        if self.expiry.is_none() {
            let first = tokio::select! {
                sets = self.first_round(sinks, stdout) => sets?,
                () = &mut stop => return Ok(()),
            };
            self.report_delivery(&first, &mut on_event);
        }
        let mut wait = self.next_wait();
        let mut failures = 0;
        let mut last_attempt = tokio::time::Instant::now();
        loop {
            // A wake-up counts only while the sinks hold nothing valid.
            let wake = self.wake.as_deref().filter(|_| self.valid_for().is_zero());
            tokio::select! {
                () = sleep_wall(wait) => {}
                () = woken(wake, last_attempt) => {}
                () = &mut stop => return Ok(()),
            }
            last_attempt = tokio::time::Instant::now();
            let fetched = tokio::select! {
                fetched = (self.fetch)() => fetched,
                () = &mut stop => return Ok(()),
            };
            match fetched.and_then(|sets| self.deliver(&sets, sinks, stdout).map(|()| sets)) {
                Ok(sets) => {
                    failures = 0;
                    self.expiry = earliest_expiry(&sets);
                    self.report_delivery(&sets, &mut on_event);
                    wait = self.next_wait();
                }
                Err(error) => {
                    let valid_for = self.valid_for();
                    if valid_for.is_zero() && self.wake.is_none() {
                        return Err(error);
                    }
                    failures += 1;
                    wait = self.policy.retry_wait(failures);
                    if !valid_for.is_zero() {
                        wait = wait.min(valid_for);
                    }
                    for selected in sinks.iter_mut() {
                        selected.sink.refresh_failed(&error);
                    }
                    on_event(Event::Failed {
                        error: &error,
                        retry_in: wait,
                        valid_for,
                    });
                }
            }
        }
    }

    fn valid_for(&self) -> Duration {
        self.expiry
            .map(|e| positive(e - OffsetDateTime::now_utc()))
            .unwrap_or_default()
    }

    fn next_wait(&self) -> Duration {
        let now = OffsetDateTime::now_utc();
        self.policy
            .wait_before_refresh(now, self.expiry.unwrap_or(now))
    }

    fn report_delivery(&self, sets: &[CredentialSet], on_event: &mut impl FnMut(Event<'_>)) {
        on_event(Event::Delivered {
            sets,
            valid_for: self.valid_for(),
            next_refresh: self.next_wait(),
        });
    }
}

/// Resolves when `wake` is notified, and no sooner than [`MIN_WAIT`] after
/// `last_attempt`; never without `wake`.
async fn woken(wake: Option<&Notify>, last_attempt: tokio::time::Instant) {
    match wake {
        Some(wake) => {
            wake.notified().await;
            tokio::time::sleep_until(last_attempt + MIN_WAIT).await;
        }
        None => std::future::pending().await,
    }
}

fn earliest_expiry(sets: &[CredentialSet]) -> Option<OffsetDateTime> {
    sets.iter().map(|s| s.expiration).min()
}

/// Sleeps `total` of wall-clock time (see [`SLEEP_SLICE`]).
async fn sleep_wall(total: Duration) {
    let until = OffsetDateTime::now_utc() + total;
    loop {
        let left = positive(until - OffsetDateTime::now_utc());
        if left.is_zero() {
            return;
        }
        tokio::time::sleep(left.min(SLEEP_SLICE)).await;
    }
}

/// Formats a duration for logs as `1h02m03s`, `4m05s` or `6s`.
pub fn human(d: Duration) -> String {
    let s = d.as_secs();
    match (s / 3600, s / 60 % 60, s % 60) {
        (0, 0, sec) => format!("{sec}s"),
        (0, m, sec) => format!("{m}m{sec:02}s"),
        (h, m, sec) => format!("{h}h{m:02}m{sec:02}s"),
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::rc::Rc;

    use super::*;
    use crate::sink::{Sink, SinkError, SinkSpec};

    #[test]
    fn refreshes_a_margin_before_expiry_or_halfway() {
        let p = RefreshPolicy::default();
        let now = OffsetDateTime::now_utc();
        let hour = now + Duration::from_secs(3600);
        assert_eq!(p.wait_before_refresh(now, hour), Duration::from_secs(3300));
        // Shorter than the margin: halfway.
        let short = now + Duration::from_secs(120);
        assert_eq!(p.wait_before_refresh(now, short), Duration::from_secs(60));
        // Already expired: not a busy loop.
        assert_eq!(
            p.wait_before_refresh(now, now - Duration::from_secs(5)),
            MIN_WAIT
        );
        let p = RefreshPolicy::with_refresh_before(Duration::from_secs(2));
        let four = now + Duration::from_secs(4);
        assert_eq!(p.wait_before_refresh(now, four), Duration::from_secs(2));
    }

    #[test]
    fn retries_back_off_to_a_cap() {
        let p = RefreshPolicy::default();
        let waits: Vec<u64> = (1..=8).map(|a| p.retry_wait(a).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 60, 60]);
        assert_eq!(p.retry_wait(200), Duration::from_secs(60));
    }

    #[test]
    fn formats_durations() {
        assert_eq!(human(Duration::from_secs(6)), "6s");
        assert_eq!(human(Duration::from_secs(245)), "4m05s");
        assert_eq!(human(Duration::from_secs(3723)), "1h02m03s");
    }

    fn set(n: u32, lifetime: Duration) -> CredentialSet {
        CredentialSet {
            account_id: "123456789012".into(),
            account_name: None,
            role_name: "R".into(),
            role_arn: "arn:aws:iam::123456789012:role/R".into(),
            access_key_id: format!("ASIA{n}"),
            secret_access_key: "s".to_owned().into(),
            session_token: "t".to_owned().into(),
            expiration: OffsetDateTime::now_utc() + lifetime,
            region: None,
            sso_profile: "p".into(),
            sso_session: None,
            start_url: "https://x/start".into(),
            assumed_via: Vec::new(),
        }
    }

    /// The key ids of each committed round.
    type Rounds = Rc<RefCell<Vec<Vec<String>>>>;

    /// Records, per commit, the key ids accepted since the last one.
    struct Recorder(Rounds, Vec<String>);

    impl Sink for Recorder {
        fn accept(&mut self, set: &CredentialSet) -> Result<(), SinkError> {
            self.1.push(set.access_key_id.clone());
            Ok(())
        }
        fn commit(&mut self, _: &mut dyn Write) -> Result<(), SinkError> {
            self.0.borrow_mut().push(std::mem::take(&mut self.1));
            Ok(())
        }
        fn accept_named(&mut self, name: &str, set: &CredentialSet) -> Result<(), SinkError> {
            self.1.push(format!("{name}={}", set.access_key_id));
            Ok(())
        }
    }

    fn recorder() -> (Vec<SelectedSink>, Rounds) {
        let rounds = Rc::new(RefCell::new(Vec::new()));
        let sink = SelectedSink {
            spec: SinkSpec::named("recorder"),
            sink: Box::new(Recorder(Rc::clone(&rounds), Vec::new())),
        };
        (vec![sink], rounds)
    }

    fn policy() -> RefreshPolicy {
        RefreshPolicy {
            refresh_before: Duration::from_millis(1500),
            first_retry: Duration::from_millis(200),
            max_retry: Duration::from_millis(200),
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn delivers_a_new_round_before_each_expiry_until_stopped() {
        let (mut sinks, rounds) = recorder();
        let mut n = 0;
        let mut stream = CredentialStream::new(
            || {
                n += 1;
                let s = set(n, Duration::from_millis(2500));
                async move { Ok(vec![s]) }
            },
            policy(),
        );
        let mut events = 0;
        let stop = tokio::time::sleep(Duration::from_millis(2600));
        stream
            .run(&mut sinks, &mut Vec::new(), stop, |_| events += 1)
            .await
            .unwrap();
        // Rounds at 0 s, ~1 s and ~2 s: one commit per round, one set each.
        let rounds = rounds.borrow();
        assert!(rounds.len() >= 2, "{rounds:?}");
        assert_eq!(rounds[0], ["ASIA1"]);
        assert_eq!(rounds[1], ["ASIA2"]);
        assert_eq!(events, rounds.len());
    }

    #[tokio::test(flavor = "current_thread")]
    async fn retries_while_valid_then_gives_up_with_the_error() {
        let (mut sinks, rounds) = recorder();
        let mut n = 0;
        let mut stream = CredentialStream::new(
            || {
                n += 1;
                let result = if n == 1 {
                    Ok(vec![set(1, Duration::from_millis(2000))])
                } else {
                    Err(Error::Usage(format!("failure {n}")))
                };
                async move { result }
            },
            policy(),
        );
        let mut failures = Vec::new();
        let never = std::future::pending::<()>();
        let err = stream
            .run(&mut sinks, &mut Vec::new(), never, |e| {
                if let Event::Failed { retry_in, .. } = e {
                    failures.push(retry_in);
                }
            })
            .await
            .unwrap_err();
        assert_eq!(rounds.borrow().len(), 1);
        assert!(failures.len() >= 2, "{failures:?}");
        assert!(failures.iter().all(|w| *w <= Duration::from_millis(200)));
        assert!(err.to_string().starts_with("failure "), "{err}");
    }

    /// Counts the failed refreshes it hears of.
    struct FailureCounter(Rc<RefCell<Vec<String>>>);

    impl Sink for FailureCounter {
        fn accept(&mut self, _: &CredentialSet) -> Result<(), SinkError> {
            Ok(())
        }
        fn commit(&mut self, _: &mut dyn Write) -> Result<(), SinkError> {
            Ok(())
        }
        fn refresh_failed(&mut self, error: &Error) {
            self.0.borrow_mut().push(error.to_string());
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn keep_trying_outlives_expiry_and_retries_at_once_when_woken() {
        let (mut sinks, rounds) = recorder();
        let failures = Rc::new(RefCell::new(Vec::new()));
        sinks.push(SelectedSink {
            spec: SinkSpec::named("failures"),
            sink: Box::new(FailureCounter(Rc::clone(&failures))),
        });
        let logged_in = Rc::new(std::cell::Cell::new(false));
        let mut n = 0;
        let wake = Arc::new(Notify::new());
        // Retries wait ten seconds: only the wake-up can bring the next
        // round within the test.
        let policy = RefreshPolicy {
            refresh_before: Duration::from_millis(100),
            first_retry: Duration::from_secs(10),
            max_retry: Duration::from_secs(10),
        };
        let mut stream = CredentialStream::new(
            || {
                n += 1;
                let result = if n == 1 || logged_in.get() {
                    Ok(vec![set(n, Duration::from_millis(1500))])
                } else {
                    Err(Error::LoginRequired {
                        reason: "the login expired".into(),
                        login_command: "ssocred login -p p".into(),
                    })
                };
                async move { result }
            },
            policy,
        )
        .keep_trying(Arc::clone(&wake));
        let script = async {
            // Refreshes fail at 1.4 s and 1.5 s, when the first set
            // expires; the next retry would come at 11.5 s.
            tokio::time::sleep(Duration::from_millis(2200)).await;
            assert_eq!(rounds.borrow().len(), 1, "nothing new yet");
            logged_in.set(true);
            wake.notify_one();
            // A retry comes no sooner than a second after the last: 2.5 s.
            tokio::time::sleep(Duration::from_millis(1000)).await;
        };
        stream
            .run(&mut sinks, &mut Vec::new(), script, |_| {})
            .await
            .unwrap();
        let rounds = rounds.borrow();
        assert_eq!(rounds.len(), 2, "{rounds:?}");
        assert_eq!(rounds[1].len(), 1);
        assert_ne!(rounds[1], rounds[0], "a new set after the wake-up");
        let failures = failures.borrow();
        assert!(failures.len() >= 2, "{failures:?}");
        assert!(
            failures.iter().all(|f| f.contains("ssocred login -p p")),
            "{failures:?}"
        );
    }

    #[tokio::test(flavor = "current_thread")]
    async fn recovers_after_a_failed_refresh() {
        let (mut sinks, rounds) = recorder();
        let mut n = 0;
        let mut stream = CredentialStream::new(
            || {
                n += 1;
                let result = match n {
                    2 => Err(Error::Usage("flaky".into())),
                    _ => Ok(vec![set(n, Duration::from_millis(2000))]),
                };
                async move { result }
            },
            policy(),
        );
        let mut failed = 0;
        let stop = tokio::time::sleep(Duration::from_millis(1800));
        stream
            .run(&mut sinks, &mut Vec::new(), stop, |e| {
                if matches!(e, Event::Failed { .. }) {
                    failed += 1;
                }
            })
            .await
            .unwrap();
        assert_eq!(failed, 1);
        let rounds = rounds.borrow();
        assert_eq!(
            rounds[..2],
            [vec!["ASIA1".to_owned()], vec!["ASIA3".to_owned()]]
        );
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_named_stream_delivers_each_set_under_its_name() {
        let (mut sinks, rounds) = recorder();
        let mut n = 0;
        let mut stream = CredentialStream::new(
            || {
                n += 1;
                let sets = if n == 1 {
                    vec![
                        set(1, Duration::from_secs(60)),
                        set(2, Duration::from_secs(60)),
                    ]
                } else {
                    vec![set(3, Duration::from_secs(60))]
                };
                async move { Ok(sets) }
            },
            policy(),
        )
        .named(vec!["dev".into(), "prod".into()]);
        stream
            .first_round(&mut sinks, &mut Vec::new())
            .await
            .unwrap();
        assert_eq!(*rounds.borrow(), [["dev=ASIA1", "prod=ASIA2"]]);
        // A round that lost a role cannot be matched to the names.
        let err = stream
            .first_round(&mut sinks, &mut Vec::new())
            .await
            .unwrap_err();
        assert!(
            err.to_string().contains("1 credential sets for 2 roles"),
            "{err}"
        );
        assert_eq!(rounds.borrow().len(), 1, "nothing was committed");
    }
}
