//! Delivery to the sinks: one round, or round after round (`--watch`, and
//! any sink that serves continuously) until SIGINT or SIGTERM. One path for
//! one role and for every role `--all` matched.

use std::time::Duration;

use ssocred_core::domain::naming::ProfileNamer;
use ssocred_core::domain::text::visible;
use ssocred_core::pipeline::Fetch;
use ssocred_core::sink::stream::{Event, human};
use ssocred_core::sink::{SelectedSink, check_capacity, refuse_once};
use ssocred_core::{CredentialStream, Error, RefreshPolicy};

use tokio::runtime::Runtime;

use ssocred_core::os::process::StopSignal;

/// How the rounds run.
#[derive(Debug, Clone, Copy)]
pub struct Rounds<'a> {
    /// Keep refreshing until stopped, even if no sink serves continuously.
    pub watch: bool,
    /// Seconds before expiry at which a new round is fetched.
    pub refresh_before: u64,
    /// The `--profile-name` template naming each set of `--all`.
    pub profile_name: &'a str,
}

impl Rounds<'_> {
    /// The refresh policy.
    pub fn policy(&self) -> RefreshPolicy {
        RefreshPolicy::with_refresh_before(Duration::from_secs(self.refresh_before))
    }

    /// Whether rounds go on until a stop signal.
    pub fn continuous(&self, sinks: &[SelectedSink]) -> bool {
        self.watch || sinks.iter().any(|s| s.sink.serves_continuously())
    }

    /// Refuses continuous rounds to a sink that delivers once; called
    /// before anything is fetched.
    pub fn check(&self, sinks: &[SelectedSink]) -> Result<(), Error> {
        if self.watch {
            refuse_once(sinks, "--watch")?;
        } else if self.continuous(sinks) {
            refuse_once(sinks, "a sink that serves continuously")?;
        }
        Ok(())
    }
}

/// Delivers the first round; then, with `--watch` or a sink that serves
/// continuously, every refreshed round until SIGINT or SIGTERM.
pub fn deliver(
    runtime: &Runtime,
    fetch: &Fetch,
    sinks: &mut [SelectedSink],
    rounds: Rounds<'_>,
) -> Result<(), Error> {
    rounds.check(sinks)?;
    let continuous = rounds.continuous(sinks);
    match fetch {
        Fetch::One(one) => {
            let stream = CredentialStream::new(|| one.fetch(), rounds.policy());
            run(runtime, stream, sinks, continuous)
        }
        Fetch::Console(console) => {
            let stream = CredentialStream::new(|| console.fetch(), rounds.policy());
            run(runtime, stream, sinks, continuous)
        }
        Fetch::Many(many) => {
            let names =
                ProfileNamer::new(rounds.profile_name)?.name_all(many.entries(), many.profile())?;
            // Refuse before spending calls on credentials a sink cannot hold.
            check_capacity(many.entries().len(), sinks)?;
            let stream = CredentialStream::new(|| many.fetch(), rounds.policy()).named(names);
            run(runtime, stream, sinks, continuous)
        }
    }
}

/// One round, or rounds until a stop signal.
fn run<F, Fut>(
    runtime: &Runtime,
    mut stream: CredentialStream<F>,
    sinks: &mut [SelectedSink],
    continuous: bool,
) -> Result<(), Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Vec<ssocred_core::CredentialSet>, Error>>,
{
    let mut stdout = std::io::stdout();
    if !continuous {
        return runtime
            .block_on(stream.first_round(sinks, &mut stdout))
            .map(drop);
    }
    // Caught before the first fetch, so a stop at any moment is clean.
    let mut stop = StopSignal::install()?;
    let received = stop.received();
    let stopping = async move {
        let signal = received.await;
        ssocred_core::stderr_line!("ssocred: stopping on {signal}");
    };
    runtime.block_on(stream.run(sinks, &mut stdout, stopping, log))
}

/// Logs a round of a long-running mode on stderr: what was delivered and for
/// how long it is valid, or why a refresh failed. Never a secret.
pub fn log(event: Event<'_>) {
    match event {
        Event::Delivered {
            sets,
            valid_for,
            next_refresh,
        } => {
            // The key id and the ARN come from the portal: shown escaped.
            for set in sets {
                let line = format!(
                    "delivered credentials {} for {}: valid for {} (until {}), next refresh in {}",
                    set.access_key_id,
                    set.role_arn,
                    human(valid_for),
                    set.expiration_utc(),
                    human(next_refresh)
                );
                ssocred_core::stderr_line!("ssocred: {}", visible(&line));
            }
        }
        Event::Failed {
            error,
            retry_in,
            valid_for,
        } if valid_for.is_zero() => ssocred_core::stderr_line!(
            "ssocred: refresh failed: {error}; the credentials served have expired; retrying in {} (or when a client asks)",
            human(retry_in)
        ),
        Event::Failed {
            error,
            retry_in,
            valid_for,
        } => ssocred_core::stderr_line!(
            "ssocred: refresh failed: {error}; retrying in {}, the current credentials stay valid for {}",
            human(retry_in),
            human(valid_for)
        ),
    }
}
