//! One settings resolution for every command: flags > environment > the
//! project file (the nearest trusted `.ssocred.toml`) > the ssocred config
//! (the selected preset, then the top level) > built-in defaults.
//!
//! | setting | flag | environment | config | default |
//! |---|---|---|---|---|
//! | config file | `--config` | `SSOCRED_CONFIG` | - | `$XDG_CONFIG_HOME/ssocred/config.toml`, `~/.config/ssocred/config.toml` |
//! | preset | `--preset` | `SSOCRED_PRESET` | project `preset` | none |
//! | SSO profile | `-p` | `SSOCRED_PROFILE`, then `AWS_PROFILE` | project, then config `profile` | `default` |
//! | region | `--region` | `SSOCRED_REGION` | project, then config `region` | the profile's `region`, else its `sso_region` |
//! | role | `-r`, `--account`+`--role` | - | project, then config `role_arn`, `account`+`role` | the profile's `sso_account_id`+`sso_role_name` |
//! | role chain | `--assume` (repeatable) | - | project, then config `assume` | none |
//! | sinks | `--sink` (and the predecessor's `--env_vars`, `--external-source`) | - | `sinks` / `[[sink]]` | `credentials-file` |
//! | login method | `--device-code` | `SSOCRED_LOGIN_METHOD` | `[login] method` | `auto` |
//! | open a browser | `--no-browser` | `SSOCRED_NO_BROWSER` | `[login] open_browser` | yes |
//! | login browser | - | - | `[login] browser` | the system's opener |
//! | PKCE redirect port | `--redirect-port` | - | `[login] redirect_port` | random |
//! | watch notifier | `--notify-command` | - | `[status] notify_command` | the desktop's notification |
//! | watch interval | `--interval` | - | `[status] interval` | 30 seconds |
//! | console browser | `console --browser` | - | `[console] browser` | `$BROWSER`, else the system's |
//! | console browser profile | `console --browser-profile` | - | `[console] browser_profile` | none |
//! | role cache on/off | `--no-cache` | `SSOCRED_NO_CACHE` | `[cache] enabled` | on |
//! | role cache window | `--cache-window` | `SSOCRED_CACHE_WINDOW` | `[cache] window_minutes` | 15 minutes |
//! | refresh before expiry | `--refresh-before` | `SSOCRED_REFRESH_BEFORE` | `refresh_before` | 300 seconds |
//!
//! A command reads only the settings it honours, and only from the flags it
//! has: [`Flags`] is what a command's arguments say, with `None` (or the
//! empty value) where it has no such flag. `exec` and `serve` have outputs
//! of their own, so their sinks come from `--sink` alone
//! ([`SinkFlags::Explicit`]).

use std::fmt;
use std::path::{Path, PathBuf};

use ssocred_core::{Error, SelectedSink, SinkContext, SinkSpec, sink};

use crate::config_file::{self, ChooserOrder, Config, ConfigSink, LoginMethod, Preset};
use crate::project_file::{self, ProjectFile};

/// Where a setting's value came from, for `config show` and `-v`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A command-line flag.
    Flag(&'static str),
    /// An environment variable.
    Env(&'static str),
    /// The project file (`.ssocred.toml`) at this path.
    Project(PathBuf),
    /// The config file, in a preset or at the top level.
    Config(Option<String>),
    /// Built into ssocred.
    Default,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Flag(flag) => write!(f, "flag {flag}"),
            Source::Env(var) => write!(f, "environment {var}"),
            Source::Project(path) => write!(f, "project file {}", path.display()),
            Source::Config(Some(preset)) => write!(f, "config [preset.{preset}]"),
            Source::Config(None) => write!(f, "config"),
            Source::Default => write!(f, "default"),
        }
    }
}

/// A value and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sourced<T> {
    /// The value.
    pub value: T,
    /// Its origin.
    pub source: Source,
}

fn sourced<T>(value: T, source: Source) -> Sourced<T> {
    Sourced { value, source }
}

/// How the role was named, before the AWS profile is consulted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoleChoice {
    /// A role ARN.
    Arn(String),
    /// An account id and role name (either may be a glob).
    AccountRole(String, String),
}

/// One sink to build, with the config line it came from, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SinkChoice {
    /// The spec.
    pub spec: SinkSpec,
    /// The config line, for errors.
    pub line: Option<usize>,
}

/// The sink flags of a command.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum SinkFlags {
    /// The command has no sinks (`list`, `login`, ...).
    #[default]
    None,
    /// Sinks from these flags, else the config, else `credentials-file`.
    Chosen(Vec<String>),
    /// Only the sinks these flags name: the command has an output of its own.
    Explicit(Vec<String>),
}

/// What a command's flags say about the settings. A command fills in only
/// the fields for the flags it has.
#[derive(Debug, Clone, Default)]
pub struct Flags {
    /// `--config`.
    pub config: Option<PathBuf>,
    /// `--preset`.
    pub preset: Option<String>,
    /// `-p/--profile`.
    pub profile: Option<String>,
    /// `--region`.
    pub region: Option<String>,
    /// `-r/--role-arn`.
    pub role_arn: Option<String>,
    /// `--account` and `--role` given together (patterns alone are not a
    /// setting: they narrow a listing).
    pub account_role: Option<(String, String)>,
    /// `--assume`, in order.
    pub assume: Vec<String>,
    /// `--sink` and the predecessor's sink flags.
    pub sinks: SinkFlags,
    /// `--device-code`.
    pub device_code: bool,
    /// `--no-browser`.
    pub no_browser: bool,
    /// `--redirect-port`.
    pub redirect_port: Option<u16>,
    /// `--no-cache`.
    pub no_cache: bool,
    /// `--cache-window`.
    pub cache_window: Option<u32>,
    /// `--refresh-before`.
    pub refresh_before: Option<u64>,
    /// `--notify-command` (`status --watch`).
    pub notify_command: Option<String>,
    /// `--interval` (`status --watch`).
    pub watch_interval: Option<u64>,
    /// `console --browser`.
    pub console_browser: Option<String>,
    /// `console --browser-profile`.
    pub browser_profile: Option<String>,
}

/// The console's browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleSettings {
    /// The browser command; `None` for `$BROWSER`, else the system's.
    pub browser: Sourced<Option<String>>,
    /// `auto` or a name; `None` for the browser's own profile.
    pub browser_profile: Sourced<Option<String>>,
}

impl Flags {
    /// The settings flags of `list` and `discover` (and, with `region`,
    /// discover's region).
    pub fn listing(f: &crate::flags::ListingCommandFlags, region: Option<String>) -> Flags {
        Flags {
            config: f.config.config.clone(),
            preset: f.config.preset.clone(),
            profile: f.profile.profile.clone(),
            region,
            device_code: f.flow.device_code,
            no_browser: f.flow.no_browser,
            redirect_port: f.flow.redirect_port,
            ..Flags::default()
        }
    }

    /// The settings flags of `exec` and `serve`.
    pub fn one_role(f: &crate::flags::OneRoleFlags) -> Flags {
        Flags {
            config: f.config.config.clone(),
            preset: f.config.preset.clone(),
            profile: f.profile.profile.clone(),
            region: f.region.region.clone(),
            role_arn: f.role.role_arn.clone(),
            account_role: f.role.account.clone().zip(f.role.role.clone()),
            assume: f.assume.assume.clone(),
            sinks: SinkFlags::Explicit(f.sinks.sinks.clone()),
            device_code: f.flow.device_code,
            no_browser: f.flow.no_browser,
            redirect_port: f.flow.redirect_port,
            no_cache: f.cache.no_cache,
            cache_window: f.cache.cache_window,
            refresh_before: f.refresh.refresh_before,
            ..Flags::default()
        }
    }
}

/// How `status --watch` reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchSettings {
    /// A shell command run instead of the desktop notification.
    pub notify_command: Sourced<Option<String>>,
    /// Seconds between two reads of the token files.
    pub interval: Sourced<u64>,
}

/// Seconds between two reads of the token files when nothing sets it.
pub const DEFAULT_WATCH_INTERVAL: u64 = 30;

/// How ssocred logs in when no valid token is cached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginSettings {
    /// The flow.
    pub method: Sourced<LoginMethod>,
    /// Whether a browser may be opened.
    pub open_browser: Sourced<bool>,
    /// The PKCE redirect listener's port; `None` for a random one.
    pub redirect_port: Sourced<Option<u16>>,
    /// The login's browser command; `None` for the system's opener.
    pub browser: Sourced<Option<String>>,
}

/// The effective settings of one invocation.
#[derive(Debug)]
pub struct Settings {
    /// The config that was read.
    pub config: Config,
    /// The trusted project file in use, if any.
    pub project: Option<ProjectFile>,
    /// The preset in use.
    pub preset: Option<Sourced<String>>,
    /// The SSO profile.
    pub profile: Sourced<String>,
    /// The region, if one is set above the AWS profile.
    pub region: Option<Sourced<String>>,
    /// The role, if one is set above the AWS profile.
    pub role: Option<Sourced<RoleChoice>>,
    /// The roles to assume after the SSO role; empty for none.
    pub chain: Sourced<Vec<ssocred_core::domain::hop::Hop>>,
    /// The sinks (none for a command without sinks).
    pub sinks: Sourced<Vec<SinkChoice>>,
    /// Login behaviour.
    pub login: LoginSettings,
    /// Whether the role-credential cache is read and written.
    pub cache_enabled: Sourced<bool>,
    /// How many minutes before expiry a cached set counts as expired.
    pub cache_window: Sourced<u32>,
    /// How many seconds before expiry long-running modes fetch again.
    pub refresh_before: Sourced<u64>,
    /// How `status --watch` reports.
    pub watch: WatchSettings,
    /// The console's browser.
    pub console: ConsoleSettings,
}

/// The role-credential cache's window when nothing sets one, in minutes:
/// the AWS CLI's own margin.
pub const DEFAULT_CACHE_WINDOW: u32 = 15;

/// The refresh margin when nothing sets one: five minutes, as the AWS SDKs
/// use for their own refreshable credentials.
pub const DEFAULT_REFRESH_BEFORE: u64 = 300;

/// A yes/no environment value, as clap's boolish parser reads one.
fn boolish(name: &str, value: &str) -> Result<bool, Error> {
    match value.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "y" | "on" => Ok(true),
        "0" | "false" | "no" | "n" | "off" => Ok(false),
        _ => Err(Error::Usage(format!(
            "environment {name}={value}: expected 1 or 0 (true/false, yes/no, on/off)"
        ))),
    }
}

/// A whole number from the environment.
fn number<T: std::str::FromStr>(name: &str, value: &str, unit: &str) -> Result<T, Error> {
    value.parse().map_err(|_| {
        Error::Usage(format!(
            "environment {name}={value}: expected a whole number of {unit}"
        ))
    })
}

/// The hops of repeated `--assume` flags, in order: at most
/// [`ssocred_core::domain::hop::MAX_HOPS`], each parsed and checked; an error
/// names the flag (exit 2).
pub fn parse_assume(specs: &[String]) -> Result<Vec<ssocred_core::domain::hop::Hop>, Error> {
    ssocred_core::domain::hop::check_length(specs.len())
        .map_err(|e| Error::Usage(format!("--assume: {e}")))?;
    specs
        .iter()
        .map(|spec| {
            ssocred_core::domain::hop::Hop::parse(spec)
                .map_err(|e| Error::Usage(format!("--assume {spec}: {e}")))
        })
        .collect()
}

/// A key of the preset, else the same key at the top level, with its source.
fn layered<T>(
    of_preset: Option<T>,
    of_top: Option<T>,
    preset: &Option<Sourced<String>>,
) -> Option<Sourced<T>> {
    of_preset
        .map(|v| sourced(v, Source::Config(preset.as_ref().map(|p| p.value.clone()))))
        .or_else(|| of_top.map(|v| sourced(v, Source::Config(None))))
}

/// Loads the config named by `--config`, `SSOCRED_CONFIG` or the default
/// location; a missing default file is an empty config.
pub fn load_config(
    flag: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Config, Error> {
    match config_file::locate(flag, env) {
        Some((path, required)) => Config::load(&path, required),
        None => Ok(Config::default()),
    }
}

impl Settings {
    /// Loads the config and the project file of the working directory, and
    /// resolves the settings from the process environment.
    pub fn from_process(flags: &Flags) -> Result<Settings, Error> {
        let env = |name: &str| std::env::var(name).ok();
        let config = load_config(flags.config.as_deref(), &env)?;
        let cwd = std::env::current_dir()
            .map_err(|e| Error::Internal(format!("cannot read the working directory: {e}")))?;
        let project = project_file::for_run(&cwd, &env)?;
        Settings::resolve_with_project(flags, &env, config, project)
    }

    /// Resolves the settings from a command's flags, an environment lookup
    /// and the loaded config, with no project file.
    pub fn resolve(
        flags: &Flags,
        env: &dyn Fn(&str) -> Option<String>,
        config: Config,
    ) -> Result<Settings, Error> {
        Settings::resolve_with_project(flags, env, config, None)
    }

    /// [`resolve`](Self::resolve) with a trusted project file, which ranks
    /// below the environment and above the config.
    pub fn resolve_with_project(
        flags: &Flags,
        env: &dyn Fn(&str) -> Option<String>,
        config: Config,
        project: Option<ProjectFile>,
    ) -> Result<Settings, Error> {
        let env = |name: &str| env(name).filter(|v| !v.is_empty());
        let keys = project.as_ref().map(|p| &p.keys);
        let from_project =
            || Source::Project(project.as_ref().map(|p| p.path.clone()).unwrap_or_default());
        let of_project = |value: Option<&String>| value.map(|v| sourced(v.clone(), from_project()));
        let preset_name = match (&flags.preset, env("SSOCRED_PRESET")) {
            (Some(p), _) => Some(sourced(p.clone(), Source::Flag("--preset"))),
            (None, Some(p)) => Some(sourced(p, Source::Env("SSOCRED_PRESET"))),
            (None, None) => of_project(keys.and_then(|k| k.preset.as_ref())),
        };
        let empty = Preset::default();
        let preset = match &preset_name {
            Some(p) => config.preset(&p.value).map_err(|e| match &p.source {
                Source::Project(path) => Error::Usage(format!(
                    "{}: preset = {:?}: {}",
                    path.display(),
                    p.value,
                    e.to_string().trim_start_matches("--preset: ")
                )),
                _ => e,
            })?,
            None => &empty,
        };
        let in_preset = || Source::Config(preset_name.as_ref().map(|p| p.value.clone()));
        let top = || Source::Config(None);
        let file = &config.file;

        let profile = flags
            .profile
            .clone()
            .map(|p| sourced(p, Source::Flag("--profile")))
            .or_else(|| env("SSOCRED_PROFILE").map(|p| sourced(p, Source::Env("SSOCRED_PROFILE"))))
            .or_else(|| env("AWS_PROFILE").map(|p| sourced(p, Source::Env("AWS_PROFILE"))))
            .or_else(|| of_project(keys.and_then(|k| k.profile.as_ref())))
            .or_else(|| layered(preset.profile.clone(), file.profile.clone(), &preset_name))
            .unwrap_or_else(|| sourced("default".to_owned(), Source::Default));

        let region = flags
            .region
            .clone()
            .map(|r| sourced(r, Source::Flag("--region")))
            .or_else(|| env("SSOCRED_REGION").map(|r| sourced(r, Source::Env("SSOCRED_REGION"))))
            .or_else(|| of_project(keys.and_then(|k| k.region.as_ref())))
            .or_else(|| layered(preset.region.clone(), file.region.clone(), &preset_name));
        if let Some(r) = &region {
            ssocred_core::domain::sso_profile::check_region(&r.value).map_err(|why| {
                match &r.source {
                    Source::Config(_) => {
                        config.error(None, format!("region = {:?}: {why}", r.value))
                    }
                    source => Error::Usage(format!("{source}: region {:?}: {why}", r.value)),
                }
            })?;
        }

        let role_of = |arn: &Option<String>, account: &Option<String>, role: &Option<String>| match (
            arn, account, role,
        ) {
            (Some(arn), _, _) => Some(RoleChoice::Arn(arn.clone())),
            (None, Some(a), Some(r)) => Some(RoleChoice::AccountRole(a.clone(), r.clone())),
            _ => None,
        };
        let role = match (&flags.role_arn, &flags.account_role) {
            (Some(arn), _) => Some(sourced(
                RoleChoice::Arn(arn.clone()),
                Source::Flag("--role-arn"),
            )),
            (None, Some((a, r))) => Some(sourced(
                RoleChoice::AccountRole(a.clone(), r.clone()),
                Source::Flag("--account/--role"),
            )),
            (None, None) => keys
                .and_then(|k| role_of(&k.role_arn, &k.account, &k.role))
                .map(|r| sourced(r, from_project()))
                .or_else(|| {
                    role_of(&preset.role_arn, &preset.account, &preset.role)
                        .map(|r| sourced(r, in_preset()))
                })
                .or_else(|| {
                    role_of(&file.role_arn, &file.account, &file.role).map(|r| sourced(r, top()))
                }),
        };

        let chain = if !flags.assume.is_empty() {
            sourced(parse_assume(&flags.assume)?, Source::Flag("--assume"))
        } else if let Some(hops) = project
            .as_ref()
            // The project's chain goes with the project's role: a role named
            // on the command line (a discovered credential_process line run
            // inside the project, say) is used as named.
            .filter(|_| flags.role_arn.is_none() && flags.account_role.is_none())
            .map(ProjectFile::hops)
            .transpose()?
            .flatten()
        {
            sourced(hops, from_project())
        } else if let Some(entries) = &preset.assume {
            sourced(config.hops_of(entries)?, in_preset())
        } else if let Some(entries) = &file.assume {
            sourced(config.hops_of(entries)?, top())
        } else {
            sourced(Vec::new(), Source::Default)
        };

        let from_flags = |specs: &[String]| -> Result<Vec<SinkChoice>, Error> {
            specs
                .iter()
                .map(|s| SinkSpec::parse(s).map(|spec| SinkChoice { spec, line: None }))
                .collect::<Result<Vec<_>, _>>()
                .map_err(Error::from)
        };
        let sinks = match &flags.sinks {
            SinkFlags::None => sourced(Vec::new(), Source::Default),
            SinkFlags::Explicit(specs) if specs.is_empty() => sourced(Vec::new(), Source::Default),
            SinkFlags::Explicit(specs) | SinkFlags::Chosen(specs) if !specs.is_empty() => {
                sourced(from_flags(specs)?, Source::Flag("--sink"))
            }
            _ => {
                if let Some(s) = config.sinks_of(&preset.sinks, &preset.sink)? {
                    sourced(choices(s), in_preset())
                } else if let Some(s) = config.sinks_of(&file.sinks, &file.sink)? {
                    sourced(choices(s), top())
                } else {
                    let spec = SinkSpec::named("credentials-file");
                    sourced(vec![SinkChoice { spec, line: None }], Source::Default)
                }
            }
        };

        let (preset_login, top_login) = (
            preset.login.clone().unwrap_or_default(),
            file.login.clone().unwrap_or_default(),
        );
        let method = if flags.device_code {
            sourced(LoginMethod::DeviceCode, Source::Flag("--device-code"))
        } else if let Some(v) = env("SSOCRED_LOGIN_METHOD") {
            let method = LoginMethod::from_name(&v).ok_or_else(|| {
                Error::Usage(format!(
                    "environment SSOCRED_LOGIN_METHOD={v}: expected one of {}",
                    LoginMethod::ALL.map(LoginMethod::as_str).join(", ")
                ))
            })?;
            sourced(method, Source::Env("SSOCRED_LOGIN_METHOD"))
        } else {
            layered(preset_login.method, top_login.method, &preset_name)
                .unwrap_or_else(|| sourced(LoginMethod::Auto, Source::Default))
        };
        let open_browser = if flags.no_browser {
            sourced(false, Source::Flag("--no-browser"))
        } else if let Some(v) = env("SSOCRED_NO_BROWSER") {
            sourced(
                !boolish("SSOCRED_NO_BROWSER", &v)?,
                Source::Env("SSOCRED_NO_BROWSER"),
            )
        } else {
            layered(
                preset_login.open_browser,
                top_login.open_browser,
                &preset_name,
            )
            .unwrap_or_else(|| sourced(true, Source::Default))
        };

        let redirect_port = match flags.redirect_port {
            Some(port) => sourced(Some(port), Source::Flag("--redirect-port")),
            None => layered(
                preset_login.redirect_port,
                top_login.redirect_port,
                &preset_name,
            )
            .map_or_else(
                || sourced(None, Source::Default),
                |p| sourced(Some(p.value), p.source),
            ),
        };
        let login_browser = layered(preset_login.browser, top_login.browser, &preset_name)
            .map_or_else(
                || sourced(None, Source::Default),
                |b| sourced(Some(b.value), b.source),
            );
        if redirect_port.value == Some(0) {
            return Err(config.error(
                None,
                "[login] redirect_port = 0: a port is 1 to 65535".to_owned(),
            ));
        }

        let (preset_cache, top_cache) = (
            preset.cache.clone().unwrap_or_default(),
            file.cache.clone().unwrap_or_default(),
        );
        let cache_enabled = if flags.no_cache {
            sourced(false, Source::Flag("--no-cache"))
        } else if let Some(v) = env("SSOCRED_NO_CACHE") {
            sourced(
                !boolish("SSOCRED_NO_CACHE", &v)?,
                Source::Env("SSOCRED_NO_CACHE"),
            )
        } else {
            layered(preset_cache.enabled, top_cache.enabled, &preset_name)
                .unwrap_or_else(|| sourced(true, Source::Default))
        };
        let cache_window = match (flags.cache_window, env("SSOCRED_CACHE_WINDOW")) {
            (Some(minutes), _) => sourced(minutes, Source::Flag("--cache-window")),
            (None, Some(v)) => sourced(
                number("SSOCRED_CACHE_WINDOW", &v, "minutes")?,
                Source::Env("SSOCRED_CACHE_WINDOW"),
            ),
            (None, None) => layered(
                preset_cache.window_minutes,
                top_cache.window_minutes,
                &preset_name,
            )
            .unwrap_or_else(|| sourced(DEFAULT_CACHE_WINDOW, Source::Default)),
        };
        let refresh_before = match (flags.refresh_before, env("SSOCRED_REFRESH_BEFORE")) {
            (Some(secs), _) => sourced(secs, Source::Flag("--refresh-before")),
            (None, Some(v)) => sourced(
                number("SSOCRED_REFRESH_BEFORE", &v, "seconds")?,
                Source::Env("SSOCRED_REFRESH_BEFORE"),
            ),
            (None, None) => layered(preset.refresh_before, file.refresh_before, &preset_name)
                .unwrap_or_else(|| sourced(DEFAULT_REFRESH_BEFORE, Source::Default)),
        };

        let (preset_status, top_status) = (
            preset.status.clone().unwrap_or_default(),
            file.status.clone().unwrap_or_default(),
        );
        let notify_command = match &flags.notify_command {
            Some(command) => sourced(Some(command.clone()), Source::Flag("--notify-command")),
            None => layered(
                preset_status.notify_command,
                top_status.notify_command,
                &preset_name,
            )
            .map_or_else(
                || sourced(None, Source::Default),
                |c| sourced(Some(c.value), c.source),
            ),
        };
        let interval = match flags.watch_interval {
            Some(secs) => sourced(secs, Source::Flag("--interval")),
            None => layered(preset_status.interval, top_status.interval, &preset_name)
                .unwrap_or_else(|| sourced(DEFAULT_WATCH_INTERVAL, Source::Default)),
        };
        if !(1..=3600).contains(&interval.value) {
            return Err(config.error(
                None,
                format!(
                    "[status] interval = {}: seconds from 1 to 3600",
                    interval.value
                ),
            ));
        }

        let (preset_console, top_console) = (
            preset.console.clone().unwrap_or_default(),
            file.console.clone().unwrap_or_default(),
        );
        let optional = |flag: &Option<String>,
                        name: &'static str,
                        of_preset: Option<String>,
                        of_top: Option<String>| match flag {
            Some(v) => sourced(Some(v.clone()), Source::Flag(name)),
            None => layered(of_preset, of_top, &preset_name).map_or_else(
                || sourced(None, Source::Default),
                |v| sourced(Some(v.value), v.source),
            ),
        };
        let console = ConsoleSettings {
            browser: optional(
                &flags.console_browser,
                "--browser",
                preset_console.browser,
                top_console.browser,
            ),
            browser_profile: optional(
                &flags.browser_profile,
                "--browser-profile",
                preset_console.browser_profile,
                top_console.browser_profile,
            ),
        };

        Ok(Settings {
            preset: preset_name,
            profile,
            region,
            role,
            chain,
            sinks,
            login: LoginSettings {
                method,
                open_browser,
                redirect_port,
                browser: login_browser,
            },
            cache_enabled,
            cache_window,
            refresh_before,
            watch: WatchSettings {
                notify_command,
                interval,
            },
            console,
            config,
            project,
        })
    }

    /// The chooser's order: `[chooser] order` at the config's top level,
    /// else frecency.
    pub fn chooser_order(&self) -> Sourced<ChooserOrder> {
        match self.config.file.chooser.as_ref().and_then(|c| c.order) {
            Some(order) => sourced(order, Source::Config(None)),
            None => sourced(ChooserOrder::default(), Source::Default),
        }
    }

    /// Checks every sink's options without building it: no port is opened
    /// and no file touched. A sink from the config names the file and line.
    pub fn validate_sinks(&self, ctx: &SinkContext) -> Result<(), Error> {
        for choice in &self.sinks.value {
            sink::validate(&choice.spec, ctx).map_err(|e| self.sink_error(choice, e))?;
        }
        Ok(())
    }

    /// Builds every sink, so a bad option fails before any network call; a
    /// sink from the config names the file and line.
    pub fn build_sinks(&self, ctx: &SinkContext) -> Result<Vec<SelectedSink>, Error> {
        self.sinks
            .value
            .iter()
            .map(|choice| {
                let built =
                    sink::build(&choice.spec, ctx).map_err(|e| self.sink_error(choice, e))?;
                Ok(SelectedSink {
                    spec: choice.spec.clone(),
                    sink: built,
                })
            })
            .collect()
    }

    fn sink_error(&self, choice: &SinkChoice, e: ssocred_core::SinkError) -> Error {
        match choice.line {
            Some(line) => self.config.error(Some(line), e.to_string()),
            None => Error::Sink(e),
        }
    }

    /// The settings `topics` cover, as TOML-like lines with their sources,
    /// for `config show`. Holds no secret: the config has none.
    pub fn show(&self, topics: &[Topic]) -> String {
        let mut out = String::new();
        let file = match &self.config.path {
            Some(p) => p.display().to_string(),
            None => "none".to_owned(),
        };
        out.push_str(&format!("# config file: {file}\n"));
        if let Some(p) = &self.project {
            out.push_str(&format!("# project file: {} (trusted)\n", p.path.display()));
        }
        if let Some(p) = &self.preset {
            out.push_str(&format!("preset = {}  # {}\n", quoted(&p.value), p.source));
        }
        let line = |out: &mut String, key: &str, value: String, source: &Source| {
            out.push_str(&format!("{key} = {value}  # {source}\n"));
        };
        for topic in topics {
            match topic {
                Topic::Profile => line(&mut out, "profile", quoted(&self.profile.value), &self.profile.source),
                Topic::Region => match &self.region {
                    Some(r) => line(&mut out, "region", quoted(&r.value), &r.source),
                    None => out.push_str("# region: the AWS profile's region, else its sso_region\n"),
                },
                Topic::Role => match &self.role {
                    Some(Sourced { value: RoleChoice::Arn(arn), source }) => {
                        line(&mut out, "role_arn", quoted(arn), source);
                    }
                    Some(Sourced { value: RoleChoice::AccountRole(a, r), source }) => {
                        line(&mut out, "account", quoted(a), source);
                        line(&mut out, "role", quoted(r), source);
                    }
                    None => out.push_str("# role: the AWS profile's sso_account_id and sso_role_name, else the chooser\n"),
                },
                Topic::Chain if self.chain.value.is_empty() => {
                    out.push_str("# assume: none, no role chain after the SSO role\n");
                }
                Topic::Chain => {
                    let hops: Vec<String> = self.chain.value.iter().map(|h| quoted(&h.spec())).collect();
                    line(&mut out, "assume", format!("[{}]", hops.join(", ")), &self.chain.source);
                }
                Topic::Sinks => {
                    let specs: Vec<String> = self
                        .sinks
                        .value
                        .iter()
                        .map(|c| quoted(&spec_text(&c.spec)))
                        .collect();
                    line(&mut out, "sinks", format!("[{}]", specs.join(", ")), &self.sinks.source);
                }
                Topic::Refresh => line(
                    &mut out,
                    "refresh_before",
                    self.refresh_before.value.to_string(),
                    &self.refresh_before.source,
                ),
                Topic::Login => {
                    out.push_str("\n[login]\n");
                    let m = &self.login.method;
                    line(&mut out, "method", quoted(m.value.as_str()), &m.source);
                    let b = &self.login.open_browser;
                    line(&mut out, "open_browser", b.value.to_string(), &b.source);
                    match &self.login.redirect_port {
                        Sourced { value: Some(port), source } => {
                            line(&mut out, "redirect_port", port.to_string(), source);
                        }
                        Sourced { value: None, .. } => {
                            out.push_str("# redirect_port: none, a random port  # default\n");
                        }
                    }
                    match &self.login.browser {
                        Sourced { value: Some(b), source } => {
                            line(&mut out, "browser", quoted(b), source);
                        }
                        Sourced { value: None, .. } => {
                            out.push_str("# browser: none, the system's  # default\n");
                        }
                    }
                }
                Topic::Watch => {
                    out.push_str("\n[status]\n");
                    match &self.watch.notify_command {
                        Sourced { value: Some(command), source } => {
                            line(&mut out, "notify_command", quoted(command), source);
                        }
                        Sourced { value: None, .. } => out.push_str(
                            "# notify_command: none, the desktop's notification  # default\n",
                        ),
                    }
                    let i = &self.watch.interval;
                    line(&mut out, "interval", i.value.to_string(), &i.source);
                }
                Topic::Console => {
                    out.push_str("\n[console]\n");
                    match &self.console.browser {
                        Sourced { value: Some(b), source } => {
                            line(&mut out, "browser", quoted(b), source);
                        }
                        Sourced { value: None, .. } => out.push_str(
                            "# browser: none, $BROWSER else the system's  # default\n",
                        ),
                    }
                    match &self.console.browser_profile {
                        Sourced { value: Some(p), source } => {
                            line(&mut out, "browser_profile", quoted(p), source);
                        }
                        Sourced { value: None, .. } => out.push_str(
                            "# browser_profile: none, the browser's own profile  # default\n",
                        ),
                    }
                }
                Topic::Cache => {
                    out.push_str("\n[cache]\n");
                    let e = &self.cache_enabled;
                    line(&mut out, "enabled", e.value.to_string(), &e.source);
                    let w = &self.cache_window;
                    line(&mut out, "window_minutes", w.value.to_string(), &w.source);
                }
                Topic::Chooser => {
                    out.push_str("\n[chooser]\n");
                    let o = self.chooser_order();
                    line(&mut out, "order", quoted(o.value.as_str()), &o.source);
                }
            }
        }
        let presets = self.config.preset_names();
        if !presets.is_empty() {
            out.push_str(&format!("\n# presets: {}\n", presets.join(", ")));
        }
        out
    }
}

/// A group of settings a command reads, for `config show --command`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topic {
    /// The SSO profile.
    Profile,
    /// The region next to the credentials.
    Region,
    /// The role.
    Role,
    /// The role chain (`--assume`).
    Chain,
    /// The sinks.
    Sinks,
    /// The refresh margin of long-running modes.
    Refresh,
    /// The login method and browser.
    Login,
    /// The role cache.
    Cache,
    /// The interactive chooser's order.
    Chooser,
    /// How `status --watch` reports.
    Watch,
    /// The console's browser.
    Console,
}

fn choices(sinks: Vec<ConfigSink>) -> Vec<SinkChoice> {
    sinks
        .into_iter()
        .map(|s| SinkChoice {
            spec: s.spec,
            line: Some(s.line),
        })
        .collect()
}

/// A spec written back in `NAME[:ARG][,KEY=VALUE...]` form.
pub fn spec_text(spec: &SinkSpec) -> String {
    let mut items: Vec<String> = spec.arg.iter().cloned().collect();
    items.extend(spec.options.iter().map(|(k, v)| format!("{k}={v}")));
    if items.is_empty() {
        spec.name.clone()
    } else {
        format!("{}:{}", spec.name, items.join(","))
    }
}

/// A TOML basic string.
fn quoted(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}
