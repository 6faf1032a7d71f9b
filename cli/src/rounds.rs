//! Delivery to the sinks: one round, or round after round (`--watch`, and
//! any sink that serves continuously) until SIGINT or SIGTERM.

use std::time::Duration;

use ssocred_core::naming::ProfileNamer;
use ssocred_core::sink::{SelectedSink, check_capacity};
use ssocred_core::stream::{Event, human};
use ssocred_core::text::visible;
use ssocred_core::{CredentialStream, Error, RefreshPolicy};

use crate::args::GetArgs;
use crate::run::{ManyRoles, RoleFetch};
use crate::signals::StopSignal;

/// The runtime every mode runs its async work on.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Usage(format!("cannot start the async runtime: {e}")))
}

/// The refresh policy the flags ask for.
pub(crate) fn policy(args: &GetArgs) -> RefreshPolicy {
    RefreshPolicy::with_refresh_before(Duration::from_secs(args.refresh_before))
}

/// The sinks named explicitly (`--sink` and the predecessor's flags), for
/// modes that have a main output of their own and no default sink.
pub(crate) fn explicit_sink_specs(args: &GetArgs) -> Vec<String> {
    let mut specs = args.sinks.clone();
    if args.env_vars {
        specs.push("env".to_owned());
    }
    if args.external_source {
        specs.push("process".to_owned());
    }
    specs
}

/// Delivers the first round; then, with `--watch` or a sink that serves
/// continuously, every refreshed round until SIGINT or SIGTERM.
pub(crate) fn deliver(
    fetch: &RoleFetch,
    sinks: &mut [SelectedSink],
    args: &GetArgs,
) -> Result<(), Error> {
    let continuous = args.watch || sinks.iter().any(|s| s.sink.serves_continuously());
    let runtime = runtime()?;
    let mut stream = CredentialStream::new(|| fetch.fetch(), policy(args));
    let mut stdout = std::io::stdout();
    if !continuous {
        runtime.block_on(stream.first_round(sinks, &mut stdout))?;
        return Ok(());
    }
    // Caught before the first fetch, so a stop at any moment is clean.
    let mut stop = StopSignal::install()?;
    runtime.block_on(stream.run(sinks, &mut stdout, stop.received(), log))
}

/// `--all` with `--watch` (or a sink that serves continuously): every
/// matched role, named by `--profile-name`, delivered round after round
/// until SIGINT or SIGTERM. Each round reads the token cache again, as for
/// one role.
pub(crate) fn deliver_many(
    many: &ManyRoles,
    sinks: &mut [SelectedSink],
    args: &GetArgs,
) -> Result<(), Error> {
    let session = many.session();
    let names = ProfileNamer::new(&args.profile_name)?.name_all(many.entries(), session.profile)?;
    // Refuse before spending calls on credentials a sink cannot hold.
    check_capacity(many.entries().len(), sinks)?;
    let mut stream =
        CredentialStream::new(|| many.fetch(args.concurrency), policy(args)).named(names);
    let mut stop = StopSignal::install()?;
    session
        .runtime
        .block_on(stream.run(sinks, &mut std::io::stdout(), stop.received(), log))
}

/// Logs a round of a long-running mode on stderr: what was delivered and for
/// how long it is valid, or why a refresh failed. Never a secret.
pub(crate) fn log(event: Event<'_>) {
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
                eprintln!("ssocred: {}", visible(&line));
            }
        }
        Event::Failed {
            error,
            retry_in,
            valid_for,
        } => eprintln!(
            "ssocred: refresh failed: {error}; retrying in {}, the current credentials stay valid for {}",
            human(retry_in),
            human(valid_for)
        ),
    }
}
