//! One resolver per topic: each reads its keys from the [`Stack`] and
//! checks what a type cannot say.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use ssocred_core::{Error, SinkSpec};

use super::layer::{self, ChooserOrder, LoginMethod};
use super::role::layer_error;
use super::stack::{Origin, Stack};
use super::{SinkChoice, SinkFlags, Source, Sourced};
use crate::flags::TokenFlags;

/// Seconds between two reads of the token files when nothing sets it.
pub const DEFAULT_WATCH_INTERVAL: u64 = 30;

/// The role-credential cache's window when nothing sets one, in minutes:
/// the AWS CLI's own margin.
pub const DEFAULT_CACHE_WINDOW: u32 = 15;

/// The refresh margin when nothing sets one: five minutes, as the AWS SDKs
/// use for their own refreshable credentials.
pub const DEFAULT_REFRESH_BEFORE: u64 = 300;

/// How ssocred logs in when no valid token is cached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginSettings {
    /// The flow.
    pub method: Sourced<LoginMethod>,
    /// Whether a browser may be opened.
    pub open_browser: Sourced<bool>,
    /// The PKCE redirect listener's port; `None` for a random one.
    pub redirect_port: Sourced<Option<u16>>,
    /// The login's browser command; `None` for the system's opener.
    pub browser: Sourced<Option<String>>,
    /// Whether a run without a terminal may log in.
    pub auto_login: Sourced<bool>,
    /// Where the SSO token is kept.
    pub token_store: Sourced<layer::TokenStoreSetting>,
    /// The OS credential store of `keyring` and `both`; `None` for the
    /// system's default.
    pub keyring: Sourced<Option<String>>,
}

impl LoginSettings {
    /// Resolves the `[login]` keys.
    pub fn resolve(stack: &Stack<'_>) -> Result<LoginSettings, Error> {
        let login = |l: &layer::Layer| l.login.clone();
        let redirect_port = optional(stack, &layer::LOGIN_REDIRECT_PORT, |l| {
            login(l)?.redirect_port
        });
        if redirect_port.value == Some(0)
            && let Some((i, _)) = stack.first(|l| login(l)?.redirect_port)
        {
            return Err(layer_error(
                stack,
                i,
                &layer::LOGIN_REDIRECT_PORT,
                "[login] redirect_port = 0: a port is 1 to 65535".to_owned(),
            ));
        }
        Ok(LoginSettings {
            method: stack.get_or(
                &layer::LOGIN_METHOD,
                |l| login(l)?.method,
                LoginMethod::Auto,
            ),
            open_browser: stack.get_or(
                &layer::LOGIN_OPEN_BROWSER,
                |l| login(l)?.open_browser,
                true,
            ),
            redirect_port,
            browser: optional(stack, &layer::LOGIN_BROWSER, |l| login(l)?.browser),
            auto_login: stack.get_or(&layer::LOGIN_AUTO, |l| login(l)?.auto_login, false),
            token_store: stack.get_or(
                &layer::LOGIN_TOKEN_STORE,
                |l| login(l)?.token_store,
                layer::TokenStoreSetting::File,
            ),
            keyring: optional(stack, &layer::LOGIN_KEYRING, |l| login(l)?.keyring),
        })
    }
}

/// The role-credential cache.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CacheSettings {
    /// Whether the cache is read and written.
    pub enabled: Sourced<bool>,
    /// How many minutes before expiry a cached set counts as expired.
    pub window_minutes: Sourced<u32>,
}

impl CacheSettings {
    /// Resolves the `[cache]` keys.
    pub fn resolve(stack: &Stack<'_>) -> CacheSettings {
        let cache = |l: &layer::Layer| l.cache.clone();
        CacheSettings {
            enabled: stack.get_or(&layer::CACHE_ENABLED, |l| cache(l)?.enabled, true),
            window_minutes: stack.get_or(
                &layer::CACHE_WINDOW,
                |l| cache(l)?.window_minutes,
                DEFAULT_CACHE_WINDOW,
            ),
        }
    }
}

/// How `status --watch` reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatchSettings {
    /// A shell command run instead of the desktop notification.
    pub notify_command: Sourced<Option<String>>,
    /// Seconds between two reads of the token files.
    pub interval: Sourced<u64>,
}

impl WatchSettings {
    /// Resolves the `[status]` keys.
    pub fn resolve(stack: &Stack<'_>) -> Result<WatchSettings, Error> {
        let status = |l: &layer::Layer| l.status.clone();
        let interval = stack.get_or(
            &layer::STATUS_INTERVAL,
            |l| status(l)?.interval,
            DEFAULT_WATCH_INTERVAL,
        );
        if !(1..=3600).contains(&interval.value)
            && let Some((i, _)) = stack.first(|l| status(l)?.interval)
        {
            return Err(layer_error(
                stack,
                i,
                &layer::STATUS_INTERVAL,
                format!(
                    "[status] interval = {}: seconds from 1 to 3600",
                    interval.value
                ),
            ));
        }
        Ok(WatchSettings {
            notify_command: optional(stack, &layer::STATUS_NOTIFY, |l| status(l)?.notify_command),
            interval,
        })
    }
}

/// The console's browser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsoleSettings {
    /// The browser command; `None` for `$BROWSER`, else the system's.
    pub browser: Sourced<Option<String>>,
    /// `auto` or a name; `None` for the browser's own profile.
    pub browser_profile: Sourced<Option<String>>,
}

impl ConsoleSettings {
    /// Resolves the `[console]` keys.
    pub fn resolve(stack: &Stack<'_>) -> ConsoleSettings {
        let console = |l: &layer::Layer| l.console.clone();
        ConsoleSettings {
            browser: optional(stack, &layer::CONSOLE_BROWSER, |l| console(l)?.browser),
            browser_profile: optional(stack, &layer::CONSOLE_PROFILE, |l| {
                console(l)?.browser_profile
            }),
        }
    }
}

/// How a run treats the SSO token: the flags (and their environment
/// variables) of refreshing, waiting and logging in by command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenSettings {
    /// A shell command that logs in instead of ssocred.
    pub login_command: Option<String>,
    /// Refresh the token when less than this many seconds are left.
    pub refresh_window: u64,
    /// Wait at most this many seconds for another process's refresh.
    pub lock_timeout: u64,
}

impl TokenSettings {
    /// The settings of the token flags.
    pub fn of(flags: &TokenFlags) -> TokenSettings {
        TokenSettings {
            login_command: flags.login_command.clone(),
            refresh_window: flags.refresh_window,
            lock_timeout: flags.lock_timeout,
        }
    }
}

/// The CA bundle named on the command line (the environment's and the
/// AWS profile's are read where the network is built, as the AWS CLI
/// does).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkSettings {
    /// `--ca-bundle`.
    pub ca_bundle: Option<PathBuf>,
}

/// The interactive chooser's order: `[chooser] order` (top level only),
/// else frecency.
pub fn chooser_order(stack: &Stack<'_>) -> Sourced<ChooserOrder> {
    stack.get_or(
        &layer::CHOOSER_ORDER,
        |l| l.chooser.as_ref()?.order,
        ChooserOrder::default(),
    )
}

/// How old a recorded listing of a login's roles may be for `list` and
/// the chooser to answer from it, when nothing sets it: a day. Roles are
/// granted and withdrawn rarely, and `list --refresh` is at hand.
pub const DEFAULT_LISTING_MAX_AGE_HOURS: u32 = 24;

/// The recorded listing's time to live.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListingSettings {
    /// `list` and the chooser answer from a listing younger than this many
    /// hours; 0 lists every time.
    pub max_age_hours: Sourced<u32>,
}

impl ListingSettings {
    /// Resolves the `[listing]` keys.
    pub fn resolve(stack: &Stack<'_>) -> ListingSettings {
        ListingSettings {
            max_age_hours: stack.get_or(
                &layer::LISTING_MAX_AGE,
                |l| l.listing.as_ref()?.max_age_hours,
                DEFAULT_LISTING_MAX_AGE_HOURS,
            ),
        }
    }

    /// The time to live in seconds.
    pub fn max_age_secs(&self) -> u64 {
        u64::from(self.max_age_hours.value) * 3600
    }
}

/// When team sources are synced without being asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourcesSettings {
    /// `manual` or `daily`.
    pub sync: Sourced<layer::SourcesSync>,
}

impl SourcesSettings {
    /// Resolves the `[sources]` keys.
    pub fn resolve(stack: &Stack<'_>) -> SourcesSettings {
        SourcesSettings {
            sync: stack.get_or(
                &layer::SOURCES_SYNC,
                |l| l.sources.as_ref()?.sync,
                layer::SourcesSync::Manual,
            ),
        }
    }
}

/// The refresh margin of the long-running modes.
pub fn refresh_before(stack: &Stack<'_>) -> Sourced<u64> {
    stack.get_or(
        &layer::REFRESH_BEFORE,
        |l| l.refresh_before,
        DEFAULT_REFRESH_BEFORE,
    )
}

/// The sinks: from the flags, else (for a command whose sinks are not
/// `--sink` alone) the first layer that declares some, else
/// `credentials-file`. A sink from a file keeps its line for errors.
pub fn sinks(stack: &Stack<'_>, flags: &SinkFlags) -> Result<Sourced<Vec<SinkChoice>>, Error> {
    let explicit = match flags {
        SinkFlags::None => return Ok(Sourced::default_of(Vec::new())),
        SinkFlags::Explicit(_) => true,
        SinkFlags::Chosen(_) => false,
    };
    let declares = |l: &layer::Layer| (l.sinks.is_some() || l.sink.is_some()).then_some(());
    let Some((i, ())) = stack.first(declares) else {
        if explicit {
            return Ok(Sourced::default_of(Vec::new()));
        }
        let spec = SinkSpec::named("credentials-file");
        return Ok(Sourced::default_of(vec![SinkChoice { spec, line: None }]));
    };
    let entry = stack.entry(i);
    if explicit && entry.origin != Origin::Flags {
        return Ok(Sourced::default_of(Vec::new()));
    }
    let value = match entry.file {
        Some(file) => file
            .sinks_of(entry.layer)?
            .unwrap_or_default()
            .into_iter()
            .map(|s| SinkChoice {
                spec: s.spec,
                line: Some(s.line),
            })
            .collect(),
        None => entry
            .layer
            .sinks
            .iter()
            .flatten()
            .map(|s| SinkSpec::parse(s.get_ref()).map(|spec| SinkChoice { spec, line: None }))
            .collect::<Result<Vec<_>, _>>()?,
    };
    Ok(Sourced {
        value,
        source: stack.source(i, &layer::SINKS),
    })
}

/// A key whose absence means "none": `None` from ssocred's defaults.
fn optional<T>(
    stack: &Stack<'_>,
    key: &layer::Key,
    pick: impl Fn(&layer::Layer) -> Option<T>,
) -> Sourced<Option<T>> {
    match stack.get(key, pick) {
        Some(s) => Sourced {
            value: Some(s.value),
            source: s.source,
        },
        None => Sourced {
            value: None,
            source: Source::Default,
        },
    }
}
