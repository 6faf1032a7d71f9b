//! `ssocred status --watch`: a foreground watch over the token files, with no
//! network call, that reports when a login passes the threshold and when it
//! expires, through a desktop notification (or `--notify-command`) and on
//! the terminal. It never opens a browser and never logs in.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use ssocred_core::Error;
use ssocred_core::aws::portal::login_command;
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
    /// The access token is expiring or expired, but the next command that
    /// needs it renews it with the refresh token: no login is needed.
    /// Shown on the terminal only.
    RenewsOnUse {
        /// When the access token expires.
        expires: OffsetDateTime,
        /// When the client registration, and so the refresh, runs out.
        until: OffsetDateTime,
    },
    /// A refreshable login whose refresh runs out within the threshold:
    /// after that, only a new login helps.
    RefreshEnding {
        /// When the client registration expires.
        until: OffsetDateTime,
    },
}

impl Event {
    /// The word a notification command sees in `SSOCRED_EVENT`.
    fn word(&self) -> &'static str {
        match self {
            Event::Expiring { .. } | Event::RefreshEnding { .. } => "expiring",
            Event::Expired { .. } => "expired",
            Event::Renewed { .. } => "renewed",
            Event::RenewsOnUse { .. } => "renews",
        }
    }

    fn expires(&self) -> Option<OffsetDateTime> {
        match self {
            Event::Expiring { expires }
            | Event::Renewed { expires }
            | Event::RenewsOnUse { until: expires, .. }
            | Event::RefreshEnding { until: expires } => Some(*expires),
            Event::Expired { expires } => *expires,
        }
    }

    /// One line for a person.
    fn message(&self, profile: &str, now: OffsetDateTime) -> String {
        match self {
            Event::Expiring { expires } => format!(
                "the SSO login of profile {profile} expires in {} (at {}); run `{}`",
                short_duration((*expires - now).whole_seconds()),
                utc_z(*expires),
                login_command(profile)
            ),
            Event::Expired { expires: Some(at) } => format!(
                "the SSO login of profile {profile} expired at {}; run `{}`",
                utc_z(*at),
                login_command(profile)
            ),
            Event::Expired { expires: None } => format!(
                "profile {profile} has no valid SSO login; run `{}`",
                login_command(profile)
            ),
            Event::Renewed { expires } => format!(
                "the SSO login of profile {profile} was renewed; valid until {}",
                utc_z(*expires)
            ),
            Event::RenewsOnUse { expires, until } => {
                let when = if *expires > now { "expires" } else { "expired" };
                format!(
                    "the SSO access token of profile {profile} {when} at {}; it renews on next use, without a browser (until {})",
                    utc_z(*expires),
                    utc_z(*until)
                )
            }
            Event::RefreshEnding { until } => format!(
                "the SSO login of profile {profile} can renew itself for {} more (until {}); then run `{}`",
                short_duration((*until - now).whole_seconds()),
                utc_z(*until),
                login_command(profile)
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
    /// Said that the next use renews it.
    Renews,
}

/// The memory of a watch: per token file, the expiry seen last and what was
/// reported about it, so that each crossing is reported once per token.
#[derive(Debug, Default)]
pub(super) struct Watcher {
    seen: HashMap<PathBuf, (Option<OffsetDateTime>, Reported)>,
}

impl Watcher {
    /// The event, if any, that `login` calls for at `now`.
    pub(super) fn observe(
        &mut self,
        login: &LoginStatus,
        now: OffsetDateTime,
        threshold: time::Duration,
    ) -> Option<Event> {
        let (last_expiry, reported) = self
            .seen
            .get(&login.token_file)
            .copied()
            .unwrap_or((None, Reported::Nothing));
        let replaced = last_expiry != login.expires;
        // A refreshable login renews itself on the next command: the end of
        // its access token is no call to log in, the end of the refresh is.
        let refresh = login
            .refreshable_until
            .filter(|_| login.refreshable && login.state != State::Valid);
        let (event, now_reported) = match (login.state, login.expires, refresh) {
            (_, Some(expires), Some(until)) => match State::at(until, now, threshold) {
                State::Valid => {
                    let event = (reported != Reported::Renews || replaced)
                        .then_some(Event::RenewsOnUse { expires, until });
                    (event, Reported::Renews)
                }
                _ => {
                    let event = (reported != Reported::Expiring || replaced)
                        .then_some(Event::RefreshEnding { until });
                    (event, Reported::Expiring)
                }
            },
            (State::Valid, Some(expires), _) => {
                let event = (reported != Reported::Nothing).then_some(Event::Renewed { expires });
                (event, Reported::Nothing)
            }
            (State::Expiring, Some(expires), _) => {
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
    /// Where the tokens are kept.
    pub(super) store: ssocred_core::login::token_store::TokenStore,
    /// The warning threshold.
    pub(super) threshold: time::Duration,
    /// How often the files are read.
    pub(super) interval: Duration,
    /// A shell command to run instead of a desktop notification.
    pub(super) notify_command: Option<String>,
    /// When team sources are synced without being asked.
    pub(super) sources_sync: crate::settings::layer::SourcesSync,
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
                let login = status::login_status(
                    &settings.cache_dir,
                    profile,
                    &settings.store,
                    now,
                    settings.threshold,
                );
                if !done.insert(login.token_file.clone()) {
                    continue;
                }
                if let Some(event) = watcher.observe(&login, now, settings.threshold) {
                    report(settings, profile, &event, now, &mut failed_notifier);
                }
            }
            crate::sources::auto::start_if_due(settings.sources_sync, now.unix_timestamp());
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
    if matches!(event, Event::Renewed { .. } | Event::RenewsOnUse { .. }) {
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
            refreshable_until: None,
            problem: None,
            kept_in: String::new(),
        }
    }

    /// A threshold that never matters for the fixed instants below.
    const LONG: time::Duration = time::Duration::seconds(10);

    /// A refreshable login whose access token expires at `expires` and
    /// whose registration at `until`.
    fn refreshable(state: State, expires: i64, until: i64) -> LoginStatus {
        LoginStatus {
            refreshable: true,
            refreshable_until: Some(at(until)),
            ..login(state, Some(expires))
        }
    }

    #[test]
    fn a_refreshable_login_renews_on_use_and_warns_when_the_refresh_runs_out() {
        let mut w = Watcher::default();
        let threshold = time::Duration::seconds(100);
        let seen = |w: &mut Watcher, l: LoginStatus, now: i64| w.observe(&l, at(now), threshold);
        assert_eq!(seen(&mut w, refreshable(State::Valid, 1000, 5000), 0), None);
        // The access token passes the threshold, then expires: said once,
        // with no call to log in.
        let renews = Event::RenewsOnUse {
            expires: at(1000),
            until: at(5000),
        };
        assert_eq!(
            seen(&mut w, refreshable(State::Expiring, 1000, 5000), 950),
            Some(renews.clone())
        );
        assert_eq!(
            seen(&mut w, refreshable(State::Expired, 1000, 5000), 1100),
            None
        );
        let text = renews.message("dev", at(1100));
        assert!(
            text.contains("expired at") && text.contains("renews on next use"),
            "{text}"
        );
        assert!(!text.contains("ssocred login"), "{text}");
        // Renewed by a command: a new token.
        assert_eq!(
            seen(&mut w, refreshable(State::Valid, 3000, 5000), 1200),
            Some(Event::Renewed { expires: at(3000) })
        );
        // The refresh itself runs out within the threshold: warned once.
        let ending = Event::RefreshEnding { until: at(5000) };
        assert_eq!(
            seen(&mut w, refreshable(State::Expired, 3000, 5000), 4950),
            Some(ending.clone())
        );
        assert_eq!(
            seen(&mut w, refreshable(State::Expired, 3000, 5000), 4960),
            None
        );
        assert!(
            ending
                .message("dev", at(4950))
                .contains("ssocred login -p dev")
        );
        // Past it, the file is no longer refreshable: expired, log in.
        assert_eq!(
            seen(&mut w, login(State::Expired, Some(3000)), 5001),
            Some(Event::Expired {
                expires: Some(at(3000))
            })
        );
    }

    fn at(s: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(s).unwrap()
    }

    #[test]
    fn each_crossing_is_reported_once_per_token() {
        let mut w = Watcher::default();
        assert_eq!(
            w.observe(&login(State::Valid, Some(100)), at(0), LONG),
            None
        );
        assert_eq!(
            w.observe(&login(State::Valid, Some(100)), at(0), LONG),
            None
        );
        assert_eq!(
            w.observe(&login(State::Expiring, Some(100)), at(0), LONG),
            Some(Event::Expiring { expires: at(100) })
        );
        assert_eq!(
            w.observe(&login(State::Expiring, Some(100)), at(0), LONG),
            None
        );
        assert_eq!(
            w.observe(&login(State::Expired, Some(100)), at(0), LONG),
            Some(Event::Expired {
                expires: Some(at(100))
            })
        );
        assert_eq!(
            w.observe(&login(State::Expired, Some(100)), at(0), LONG),
            None
        );
        // Another expired token is no news.
        assert_eq!(
            w.observe(&login(State::Expired, Some(90)), at(0), LONG),
            None
        );
        // A new login: renewed, then its own crossing is reported again.
        assert_eq!(
            w.observe(&login(State::Valid, Some(500)), at(0), LONG),
            Some(Event::Renewed { expires: at(500) })
        );
        assert_eq!(
            w.observe(&login(State::Valid, Some(500)), at(0), LONG),
            None
        );
        assert_eq!(
            w.observe(&login(State::Expiring, Some(500)), at(0), LONG),
            Some(Event::Expiring { expires: at(500) })
        );
        // Replaced by a login that is itself close to expiry: reported.
        assert_eq!(
            w.observe(&login(State::Expiring, Some(520)), at(0), LONG),
            Some(Event::Expiring { expires: at(520) })
        );
        assert_eq!(
            w.observe(&login(State::Missing, None), at(0), LONG),
            Some(Event::Expired { expires: None })
        );
        assert_eq!(w.observe(&login(State::Unusable, None), at(0), LONG), None);
    }

    #[test]
    fn a_watch_started_late_reports_at_once() {
        let mut w = Watcher::default();
        assert_eq!(
            w.observe(&login(State::Expiring, Some(100)), at(0), LONG),
            Some(Event::Expiring { expires: at(100) })
        );
        let mut w = Watcher::default();
        assert_eq!(
            w.observe(&login(State::Missing, None), at(0), LONG),
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
