//! `ssocred status --watch`: a foreground watch over the token files, with no
//! network call, that reports when a login passes the threshold and when it
//! expires, through a desktop notification (or `--notify-command`) and on
//! the terminal. It never opens a browser and never logs in.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use ssocred_core::Error;
use ssocred_core::domain::sso_profile::SsoProfile;
use ssocred_core::domain::text::visible;
use ssocred_core::domain::time_fmt::utc_z;
use ssocred_core::os::desktop;
use ssocred_core::status::{self, LoginStatus, State, short_duration};
use time::OffsetDateTime;

use crate::runtime::runtime;
use ssocred_core::os::process::StopSignal;

/// What a watch reports about one login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Event {
    /// Valid for less than the threshold.
    Expiring {
        /// When it expires.
        expires: OffsetDateTime,
    },
    /// Expired, missing or unusable: the next command needs a login.
    Expired {
        /// When it expired, if known.
        expires: Option<OffsetDateTime>,
    },
    /// Valid again after a report: a new login replaced the token. Shown on
    /// the terminal only.
    Renewed {
        /// When the new token expires.
        expires: OffsetDateTime,
    },
}

impl Event {
    /// The word a notification command sees in `SSOCRED_EVENT`.
    fn word(&self) -> &'static str {
        match self {
            Event::Expiring { .. } => "expiring",
            Event::Expired { .. } => "expired",
            Event::Renewed { .. } => "renewed",
        }
    }

    fn expires(&self) -> Option<OffsetDateTime> {
        match self {
            Event::Expiring { expires } | Event::Renewed { expires } => Some(*expires),
            Event::Expired { expires } => *expires,
        }
    }

    /// One line for a person.
    fn message(&self, profile: &str, now: OffsetDateTime) -> String {
        match self {
            Event::Expiring { expires } => format!(
                "the SSO login of profile {profile} expires in {} (at {}); run `ssocred login -p {profile}`",
                short_duration((*expires - now).whole_seconds()),
                utc_z(*expires)
            ),
            Event::Expired { expires: Some(at) } => format!(
                "the SSO login of profile {profile} expired at {}; run `ssocred login -p {profile}`",
                utc_z(*at)
            ),
            Event::Expired { expires: None } => format!(
                "profile {profile} has no valid SSO login; run `ssocred login -p {profile}`"
            ),
            Event::Renewed { expires } => format!(
                "the SSO login of profile {profile} was renewed; valid until {}",
                utc_z(*expires)
            ),
        }
    }
}

/// What was last reported for one token file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reported {
    Nothing,
    Expiring,
    Expired,
}

/// The memory of a watch: per token file, the expiry seen last and what was
/// reported about it, so that each crossing is reported once per token.
#[derive(Debug, Default)]
pub(super) struct Watcher {
    seen: HashMap<PathBuf, (Option<OffsetDateTime>, Reported)>,
}

impl Watcher {
    /// The event, if any, that `login` calls for now.
    pub(super) fn observe(&mut self, login: &LoginStatus) -> Option<Event> {
        let (last_expiry, reported) = self
            .seen
            .get(&login.token_file)
            .copied()
            .unwrap_or((None, Reported::Nothing));
        let replaced = last_expiry != login.expires;
        let (event, now_reported) = match (login.state, login.expires) {
            (State::Valid, Some(expires)) => {
                let event = (reported != Reported::Nothing).then_some(Event::Renewed { expires });
                (event, Reported::Nothing)
            }
            (State::Expiring, Some(expires)) => {
                let event = (reported != Reported::Expiring || replaced)
                    .then_some(Event::Expiring { expires });
                (event, Reported::Expiring)
            }
            _ => {
                let event = (reported != Reported::Expired).then_some(Event::Expired {
                    expires: login.expires,
                });
                (event, Reported::Expired)
            }
        };
        self.seen
            .insert(login.token_file.clone(), (login.expires, now_reported));
        event
    }
}

/// How a watch reports.
pub(super) struct WatchSettings {
    /// The profiles to watch.
    pub(super) profiles: Vec<SsoProfile>,
    /// The token cache directory.
    pub(super) cache_dir: PathBuf,
    /// The warning threshold.
    pub(super) threshold: time::Duration,
    /// How often the files are read.
    pub(super) interval: Duration,
    /// A shell command to run instead of a desktop notification.
    pub(super) notify_command: Option<String>,
}

/// Watches until SIGINT or SIGTERM, then returns `Ok`.
pub(super) fn run(settings: &WatchSettings) -> Result<(), Error> {
    let mut stop = StopSignal::install()?;
    let stopped = stop.received();
    let rt = runtime()?;
    let names: Vec<&str> = settings.profiles.iter().map(|p| p.name.as_str()).collect();
    ssocred_core::stderr_line!(
        "ssocred: watching the SSO login of {} every {}s; warning {} before expiry (no network calls; Ctrl-C stops)",
        visible(&names.join(", ")),
        settings.interval.as_secs(),
        short_duration(settings.threshold.whole_seconds())
    );
    let mut watcher = Watcher::default();
    let mut failed_notifier = false;
    rt.block_on(async {
        tokio::pin!(stopped);
        loop {
            let now = OffsetDateTime::now_utc();
            // Profiles that share a login share one token file: one report.
            let mut done = std::collections::HashSet::new();
            for profile in &settings.profiles {
                let login =
                    status::login_status(&settings.cache_dir, profile, now, settings.threshold);
                if !done.insert(login.token_file.clone()) {
                    continue;
                }
                if let Some(event) = watcher.observe(&login) {
                    report(settings, profile, &event, now, &mut failed_notifier);
                }
            }
            tokio::select! {
                signal = &mut stopped => {
                    ssocred_core::stderr_line!("ssocred: stopping on {signal}");
                    return;
                }
                () = tokio::time::sleep(settings.interval) => {}
            }
        }
    });
    Ok(())
}

/// Prints the event and, for a crossing, notifies.
fn report(
    settings: &WatchSettings,
    profile: &SsoProfile,
    event: &Event,
    now: OffsetDateTime,
    failed_notifier: &mut bool,
) {
    let name = visible(&profile.name).into_owned();
    let message = event.message(&name, now);
    ssocred_core::stderr_line!("ssocred: {} {message}", utc_z(now));
    if matches!(event, Event::Renewed { .. }) {
        return;
    }
    let mut cmd = match &settings.notify_command {
        Some(command) => {
            let mut cmd = desktop::shell_command(command);
            cmd.env("SSOCRED_EVENT", event.word())
                .env("SSOCRED_PROFILE", &profile.name)
                .env(
                    "SSOCRED_EXPIRES",
                    event.expires().map(utc_z).unwrap_or_default(),
                )
                .env("SSOCRED_MESSAGE", &message);
            cmd
        }
        None => desktop::notification_command(&format!("ssocred: {name}"), &message),
    };
    if let Err(e) = spawn_reaped(&mut cmd)
        && !*failed_notifier
    {
        *failed_notifier = true;
        let what = match &settings.notify_command {
            Some(command) => format!("--notify-command `{command}`"),
            None => format!(
                "the desktop notifier `{}`",
                cmd.get_program().to_string_lossy()
            ),
        };
        ssocred_core::stderr_line!(
            "ssocred: cannot run {what}: {e}; reports go to the terminal only"
        );
    }
}

/// Starts `cmd` with no stdin and its output on stderr, and reaps it on a
/// thread of its own so that a slow notifier never delays the watch.
fn spawn_reaped(cmd: &mut Command) -> std::io::Result<()> {
    let err = ssocred_core::os::process::stderr_for_child().unwrap_or_else(Stdio::null);
    let mut child = cmd.stdin(Stdio::null()).stdout(err).spawn()?;
    std::thread::spawn(move || child.wait());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn login(state: State, expires: Option<i64>) -> LoginStatus {
        LoginStatus {
            token_file: PathBuf::from("/c/t.json"),
            state,
            expires: expires.map(|s| OffsetDateTime::from_unix_timestamp(s).unwrap()),
            refreshable: false,
            problem: None,
        }
    }

    fn at(s: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(s).unwrap()
    }

    #[test]
    fn each_crossing_is_reported_once_per_token() {
        let mut w = Watcher::default();
        assert_eq!(w.observe(&login(State::Valid, Some(100))), None);
        assert_eq!(w.observe(&login(State::Valid, Some(100))), None);
        assert_eq!(
            w.observe(&login(State::Expiring, Some(100))),
            Some(Event::Expiring { expires: at(100) })
        );
        assert_eq!(w.observe(&login(State::Expiring, Some(100))), None);
        assert_eq!(
            w.observe(&login(State::Expired, Some(100))),
            Some(Event::Expired {
                expires: Some(at(100))
            })
        );
        assert_eq!(w.observe(&login(State::Expired, Some(100))), None);
        // Another expired token is no news.
        assert_eq!(w.observe(&login(State::Expired, Some(90))), None);
        // A new login: renewed, then its own crossing is reported again.
        assert_eq!(
            w.observe(&login(State::Valid, Some(500))),
            Some(Event::Renewed { expires: at(500) })
        );
        assert_eq!(w.observe(&login(State::Valid, Some(500))), None);
        assert_eq!(
            w.observe(&login(State::Expiring, Some(500))),
            Some(Event::Expiring { expires: at(500) })
        );
        // Replaced by a login that is itself close to expiry: reported.
        assert_eq!(
            w.observe(&login(State::Expiring, Some(520))),
            Some(Event::Expiring { expires: at(520) })
        );
        assert_eq!(
            w.observe(&login(State::Missing, None)),
            Some(Event::Expired { expires: None })
        );
        assert_eq!(w.observe(&login(State::Unusable, None)), None);
    }

    #[test]
    fn a_watch_started_late_reports_at_once() {
        let mut w = Watcher::default();
        assert_eq!(
            w.observe(&login(State::Expiring, Some(100))),
            Some(Event::Expiring { expires: at(100) })
        );
        let mut w = Watcher::default();
        assert_eq!(
            w.observe(&login(State::Missing, None)),
            Some(Event::Expired { expires: None })
        );
    }

    #[test]
    fn messages_name_the_profile_and_the_command() {
        let now = at(0);
        let text = Event::Expiring {
            expires: at(14 * 60),
        }
        .message("dev", now);
        assert!(text.contains("expires in 14m"), "{text}");
        assert!(text.contains("ssocred login -p dev"), "{text}");
    }
}
