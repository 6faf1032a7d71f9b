//! One settings resolution for every command: a fold over layers of one
//! shape ([`layer::Layer`]), highest first: flags > environment > the
//! project file (the nearest trusted `.ssocred.toml`) > the preset > the
//! config's top level > built-in defaults. One resolver per topic turns the
//! layers into what commands read ([`topics`], [`role`]).
//!
//! docs/config.md has the table of every setting, its flag, variable and
//! keys. A command reads only the settings it honours, and only from the
//! flags it has: [`Flags`] is what a command's arguments say, with `None`
//! (or the empty value) where it has no such flag. `exec` and `serve` have
//! outputs of their own, so their sinks come from `--sink` alone
//! ([`SinkFlags::Explicit`]).
//!
//! [`Settings`] is plain data: `use` hands it, resolved, to its server,
//! which serves it without resolving anything again.

pub mod config_file;
pub mod layer;
pub mod project_file;
pub mod role;
mod show;
mod stack;
pub mod topics;

use std::borrow::Cow;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use ssocred_core::domain::hop::Hop;
use ssocred_core::{Error, SelectedSink, SinkContext, SinkSpec, sink};
use toml::Spanned;

use crate::flags::{NetworkFlags, TokenFlags};
use config_file::{ChooserOrder, Config, SettingsFile};
use project_file::ProjectFile;

pub use layer::Layer;
pub use role::{RoleChoice, parse_assume};
pub use show::Topic;
#[cfg(test)]
pub use show::spec_text;
pub use topics::{
    CacheSettings, ConsoleSettings, ListingSettings, LoginSettings, NetworkSettings,
    SourcesSettings, TokenSettings, WatchSettings,
};

use stack::{Origin, Stack};

/// Where a setting's value came from, for `config show` and `-v`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Source {
    /// A command-line flag.
    Flag(Cow<'static, str>),
    /// An environment variable.
    Env(Cow<'static, str>),
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sourced<T> {
    /// The value.
    pub value: T,
    /// Its origin.
    pub source: Source,
}

impl<T> Sourced<T> {
    /// A value built into ssocred.
    pub fn default_of(value: T) -> Sourced<T> {
        Sourced {
            value,
            source: Source::Default,
        }
    }
}

impl<T: Default> Default for Sourced<T> {
    fn default() -> Self {
        Sourced::default_of(T::default())
    }
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
    /// `--token-store` (clap allows only the names of
    /// [`layer::TokenStoreSetting`]).
    pub token_store: Option<String>,
    /// `--no-cache`.
    pub no_cache: bool,
    /// `--cache-window`.
    pub cache_window: Option<u32>,
    /// `list --refresh`: a listing of no age.
    pub refresh_listing: bool,
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
    /// The token flags (`--auto-login`, `--login-command`, ...).
    pub token: TokenFlags,
    /// `--ca-bundle`.
    pub network: NetworkFlags,
    /// `-v`.
    pub verbose: bool,
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
            token_store: f.flow.token_store.clone(),
            token: f.token.clone(),
            network: f.network.clone(),
            verbose: f.verbose.verbose,
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
            token_store: f.flow.token_store.clone(),
            no_cache: f.cache.no_cache,
            cache_window: f.cache.cache_window,
            refresh_before: f.refresh.refresh_before,
            token: f.token.clone(),
            network: f.network.clone(),
            verbose: f.verbose.verbose,
            ..Flags::default()
        }
    }

    /// Whether the command line names the profile and the role in full:
    /// then nothing a project file says can apply, so none is read.
    pub fn names_profile_and_role(&self) -> bool {
        let exact = |(account, role): &(String, String)| {
            ssocred_core::domain::arn::is_account_id(account) && !role.contains(['*', '?', '['])
        };
        self.profile.is_some()
            && (self.role_arn.is_some() || self.account_role.as_ref().is_some_and(exact))
    }

    /// The layer the flags make.
    pub fn layer(&self) -> Layer {
        let some = |b: bool| b.then_some(());
        let login = layer::Login {
            method: some(self.device_code).map(|()| config_file::LoginMethod::DeviceCode),
            open_browser: some(self.no_browser).map(|()| false),
            redirect_port: self.redirect_port,
            auto_login: some(self.token.auto_login).map(|()| true),
            browser: None,
            token_store: self
                .token_store
                .as_deref()
                .and_then(layer::TokenStoreSetting::from_name),
            keyring: None,
        };
        let cache = layer::Cache {
            enabled: some(self.no_cache).map(|()| false),
            window_minutes: self.cache_window,
        };
        let status = layer::StatusTable {
            notify_command: self.notify_command.clone(),
            interval: self.watch_interval,
        };
        let console = layer::ConsoleTable {
            browser: self.console_browser.clone(),
            browser_profile: self.browser_profile.clone(),
        };
        let unspanned = |v| Spanned::new(0..0, v);
        let sinks = match &self.sinks {
            SinkFlags::Chosen(s) | SinkFlags::Explicit(s) if !s.is_empty() => {
                Some(s.iter().cloned().map(unspanned).collect())
            }
            _ => None,
        };
        let assume = (!self.assume.is_empty()).then(|| {
            self.assume
                .iter()
                .map(|a| Spanned::new(0..0, layer::AssumeEntry::Arn(a.clone())))
                .collect()
        });
        let (account, role) = self.account_role.clone().unzip();
        Layer {
            profile: self.profile.clone(),
            region: self.region.clone(),
            role_arn: self.role_arn.clone(),
            account,
            role,
            assume,
            preset: self.preset.clone().map(layer::PresetKey::Name),
            sinks,
            refresh_before: self.refresh_before,
            login: (login != layer::Login::default()).then_some(login),
            cache: (cache != layer::Cache::default()).then_some(cache),
            status: (status != layer::StatusTable::default()).then_some(status),
            console: (console != layer::ConsoleTable::default()).then_some(console),
            listing: self.refresh_listing.then_some(layer::ListingTable {
                max_age_hours: Some(0),
            }),
            ..Layer::default()
        }
    }
}

/// The effective settings of one invocation: plain values with their
/// sources, and the files they were read from.
#[derive(Debug, Serialize, Deserialize)]
pub struct Settings {
    /// The config that was read (not handed on: its values are resolved).
    #[serde(skip)]
    pub config: Config,
    /// The trusted project file in use, if any (likewise).
    #[serde(skip)]
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
    #[serde(with = "hop_tables")]
    pub chain: Sourced<Vec<Hop>>,
    /// A chain a lower layer gives that goes with another role.
    #[serde(skip)]
    pub chain_passed_over: Option<Source>,
    /// The sinks (none for a command without sinks; never handed on).
    #[serde(skip)]
    pub sinks: Sourced<Vec<SinkChoice>>,
    /// Login behaviour.
    pub login: LoginSettings,
    /// The role-credential cache.
    pub cache: CacheSettings,
    /// How many seconds before expiry long-running modes fetch again.
    pub refresh_before: Sourced<u64>,
    /// How `status --watch` reports.
    pub watch: WatchSettings,
    /// The console's browser.
    pub console: ConsoleSettings,
    /// The chooser's order.
    pub chooser: Sourced<ChooserOrder>,
    /// The recorded listing's time to live.
    pub listing: ListingSettings,
    /// When team sources are synced without being asked.
    pub sources: SourcesSettings,
    /// The token flags.
    pub token: TokenSettings,
    /// The CA bundle flag.
    pub network: NetworkSettings,
    /// `-v`.
    pub verbose: bool,
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
    /// resolves the settings from the process environment. A command line
    /// that names the profile and the role in full reads no project file.
    pub fn from_process(flags: &Flags) -> Result<Settings, Error> {
        Settings::from_process_with(flags, project_file::for_run)
    }

    /// [`from_process`](Self::from_process) for a command that only reads
    /// (`status`): an untrusted project file is left out, said on stderr
    /// unless `quiet`, instead of stopping the run or asking for trust.
    pub fn from_process_reading(flags: &Flags, quiet: bool) -> Result<Settings, Error> {
        Settings::from_process_with(flags, |cwd, env| project_file::for_reading(cwd, env, quiet))
    }

    /// The settings of this process, with the project file that `project`
    /// finds from the working directory.
    fn from_process_with(
        flags: &Flags,
        project: impl FnOnce(
            &Path,
            &dyn Fn(&str) -> Option<String>,
        ) -> Result<Option<ProjectFile>, Error>,
    ) -> Result<Settings, Error> {
        let env = |name: &str| std::env::var(name).ok();
        let config = load_config(flags.config.as_deref(), &env)?;
        let project = if flags.names_profile_and_role() {
            None
        } else {
            let cwd = std::env::current_dir()
                .map_err(|e| Error::Internal(format!("cannot read the working directory: {e}")))?;
            project(&cwd, &env)?
        };
        Settings::resolve_with_project(flags, &env, config, project)
    }

    /// Loads the config and resolves the settings from the process
    /// environment with no project file: for a command whose role does not
    /// come from the settings (`console --from-env` signs in the
    /// environment's credentials).
    pub fn from_process_without_project(flags: &Flags) -> Result<Settings, Error> {
        let env = |name: &str| std::env::var(name).ok();
        let config = load_config(flags.config.as_deref(), &env)?;
        Settings::resolve(flags, &env, config)
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
        let from_flags = flags.layer();
        let from_env = Layer::from_env(env)?;
        let mut stack = Stack::new(env);
        stack.push(Origin::Flags, &from_flags, None);
        stack.push(Origin::Env, &from_env, None);
        if let Some(p) = &project {
            stack.push(Origin::Project(p.path.clone()), &p.layer, Some(p));
        }
        let preset = role::preset_name(&stack);
        if let Some(p) = &preset {
            let layer = config.preset(&p.value).map_err(|e| match &p.source {
                Source::Project(path) => Error::Usage(format!(
                    "{}: preset = {:?}: {}",
                    path.display(),
                    p.value,
                    e.to_string().trim_start_matches("--preset: ")
                )),
                _ => e,
            })?;
            stack.push(Origin::Preset(p.value.clone()), layer, Some(&config));
        }
        stack.push(Origin::Config, &config.file, Some(&config));

        let who = role::RoleSettings::resolve(&stack)?;
        let sinks = topics::sinks(&stack, &flags.sinks)?;
        let login = LoginSettings::resolve(&stack)?;
        let cache = CacheSettings::resolve(&stack);
        let refresh_before = topics::refresh_before(&stack);
        let watch = WatchSettings::resolve(&stack)?;
        let console = ConsoleSettings::resolve(&stack);
        let chooser = topics::chooser_order(&stack);
        let listing = ListingSettings::resolve(&stack);
        let sources = SourcesSettings::resolve(&stack);
        drop(stack);
        Ok(Settings {
            preset,
            profile: who.profile,
            region: who.region,
            role: who.role,
            chain: who.chain,
            chain_passed_over: who.chain_passed_over,
            sinks,
            login,
            cache,
            refresh_before,
            watch,
            console,
            chooser,
            listing,
            sources,
            token: TokenSettings::of(&flags.token),
            network: NetworkSettings {
                ca_bundle: flags.network.ca_bundle.clone(),
            },
            verbose: flags.verbose,
            config,
            project,
        })
    }

    /// The chooser's order.
    pub fn chooser_order(&self) -> Sourced<ChooserOrder> {
        self.chooser.clone()
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
}

/// A chain as it travels to `use`'s server: a list of hop tables, each
/// checked again on arrival.
mod hop_tables {
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use ssocred_core::domain::hop::Hop;

    use super::Sourced;
    use super::layer::AssumeTable;

    pub fn serialize<S: Serializer>(chain: &Sourced<Vec<Hop>>, s: S) -> Result<S::Ok, S::Error> {
        Sourced {
            value: chain.value.iter().map(AssumeTable::of).collect::<Vec<_>>(),
            source: chain.source.clone(),
        }
        .serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Sourced<Vec<Hop>>, D::Error> {
        let tables = Sourced::<Vec<AssumeTable>>::deserialize(d)?;
        let value = tables
            .value
            .iter()
            .map(|t| t.hop().map_err(D::Error::custom))
            .collect::<Result<_, _>>()?;
        Ok(Sourced {
            value,
            source: tables.source,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    const DEPLOY: &str = "arn:aws:iam::222200000000:role/Deploy";
    const READ_ONLY: &str = "arn:aws:iam::111100000001:role/ReadOnlyAccess";
    const CONFIG: &str = r#"
assume = ["arn:aws:iam::333300000000:role/TopHop"]
[preset.hub]
assume = ["arn:aws:iam::222200000000:role/Deploy"]
[preset.full]
role_arn = "arn:aws:iam::444400000000:role/PresetRole"
assume = ["arn:aws:iam::444400000000:role/PresetHop"]
"#;

    /// The role and the chain's roles of `flags` with `project` (a project
    /// file's text, or none) and the config above.
    fn resolved(flags: Flags, project: Option<&str>) -> (Option<RoleChoice>, Vec<String>, Source) {
        let config = Config::parse(Path::new("/c.toml"), CONFIG.to_owned()).unwrap();
        let project = project.map(|text| {
            ProjectFile::parse(Path::new("/p/.ssocred.toml"), text.to_owned()).unwrap()
        });
        let s = Settings::resolve_with_project(&flags, &|_| None, config, project).unwrap();
        let hops = s
            .chain
            .value
            .iter()
            .map(|h| h.role.as_str().to_owned())
            .collect();
        (s.role.map(|r| r.value), hops, s.chain.source)
    }

    fn arn(flags: &mut Flags, role: &str) {
        flags.profile = Some("sess".to_owned());
        flags.role_arn = Some(role.to_owned());
    }

    #[test]
    fn a_role_named_on_the_command_line_takes_its_chain_from_the_command_line_only() {
        let project_chain = format!("role_arn = '{READ_ONLY}'\nassume = ['{DEPLOY}']\n");
        let mut named = Flags::default();
        arn(&mut named, READ_ONLY);
        // The project's own chain.
        let (role, hops, _) = resolved(named.clone(), Some(&project_chain));
        assert_eq!(role, Some(RoleChoice::Arn(READ_ONLY.to_owned())));
        assert!(hops.is_empty(), "{hops:?}");
        // A chain the project's preset brings, and the config's own.
        let (_, hops, _) = resolved(named.clone(), Some("preset = 'hub'\n"));
        assert!(hops.is_empty(), "{hops:?}");
        let (_, hops, _) = resolved(named.clone(), None);
        assert!(hops.is_empty(), "{hops:?}");
        // --assume is the command line's own chain.
        named.assume = vec![DEPLOY.to_owned()];
        let (_, hops, source) = resolved(named, Some(&project_chain));
        assert_eq!(
            (hops, source),
            (vec![DEPLOY.to_owned()], Source::Flag("--assume".into()))
        );
    }

    #[test]
    fn a_chain_goes_with_the_role_its_source_chooses() {
        let project = format!("role_arn = '{READ_ONLY}'\nassume = ['{DEPLOY}']\n");
        let (_, hops, source) = resolved(Flags::default(), Some(&project));
        assert_eq!(hops, [DEPLOY]);
        assert_eq!(source, Source::Project("/p/.ssocred.toml".into()));
        // A preset that chooses its role brings its chain.
        let (role, hops, _) = resolved(Flags::default(), Some("preset = 'full'\n"));
        assert_eq!(
            role,
            Some(RoleChoice::Arn(
                "arn:aws:iam::444400000000:role/PresetRole".into()
            ))
        );
        assert_eq!(hops, ["arn:aws:iam::444400000000:role/PresetHop"]);
        // A project that chooses the role is not given the preset's chain.
        let project = format!("role_arn = '{READ_ONLY}'\npreset = 'hub'\n");
        let (_, hops, _) = resolved(Flags::default(), Some(&project));
        assert!(hops.is_empty(), "{hops:?}");
        // The AWS profile's own role: the highest chain there is.
        let (role, hops, _) = resolved(Flags::default(), Some("preset = 'hub'\n"));
        assert_eq!((role, hops), (None, vec![DEPLOY.to_owned()]));
        let (_, hops, source) = resolved(Flags::default(), None);
        assert_eq!(
            (hops, source),
            (
                vec!["arn:aws:iam::333300000000:role/TopHop".to_owned()],
                Source::Config(None)
            )
        );
        // An empty list there says "no chain".
        let (_, hops, _) = resolved(Flags::default(), Some("assume = []\n"));
        assert!(hops.is_empty(), "{hops:?}");
    }

    #[test]
    fn a_command_line_naming_profile_and_role_reads_no_project_file() {
        let mut flags = Flags::default();
        assert!(!flags.names_profile_and_role());
        flags.role_arn = Some(READ_ONLY.to_owned());
        assert!(
            !flags.names_profile_and_role(),
            "the profile may come from the project"
        );
        flags.profile = Some("sess".to_owned());
        assert!(flags.names_profile_and_role());
        flags.role_arn = None;
        flags.account_role = Some(("111100000001".to_owned(), "Dev*".to_owned()));
        assert!(
            !flags.names_profile_and_role(),
            "a pattern is chosen from a listing"
        );
        flags.account_role = Some(("111100000001".to_owned(), "Dev".to_owned()));
        assert!(flags.names_profile_and_role());
    }

    #[test]
    fn settings_travel_to_a_server_typed_and_whole() {
        let project = format!(
            "role_arn = '{READ_ONLY}'\nassume = [{{ role_arn = '{DEPLOY}', external_id = 'a,b', duration = 900 }}]\n"
        );
        let mut flags = Flags::default();
        flags.token.auto_login = true;
        flags.redirect_port = Some(8400);
        flags.verbose = true;
        let config = Config::parse(Path::new("/c.toml"), CONFIG.to_owned()).unwrap();
        let project = ProjectFile::parse(Path::new("/p/.ssocred.toml"), project).unwrap();
        let settings =
            Settings::resolve_with_project(&flags, &|_| None, config, Some(project)).unwrap();
        let sent = crate::shell_session::ServeRequest::new(settings);
        let line = sent.to_line().unwrap();
        assert!(
            line.ends_with('\n') && !line.trim_end().contains('\n'),
            "one line"
        );
        let (got, read) = crate::shell_session::ServeRequest::read(line.as_bytes()).unwrap();
        assert_eq!(read, line);
        let (s, r) = (&sent.settings, &got.settings);
        assert_eq!(r.chain, s.chain, "the chain, options and all");
        assert_eq!(r.chain.value[0].external_id.as_deref(), Some("a,b"));
        assert_eq!((&r.role, &r.login, &r.cache), (&s.role, &s.login, &s.cache));
        assert!(r.login.auto_login.value && r.verbose);
        assert_eq!(r.login.redirect_port.value, Some(8400));
        assert!(
            r.project.is_none() && r.config.path.is_none(),
            "nothing is read again"
        );
        // The same request has the same digest; another one does not.
        assert_eq!(
            crate::shell_session::ServeRequest::digest(&got.to_line().unwrap()),
            crate::shell_session::ServeRequest::digest(&line)
        );
        let other = line.replace("8400", "8401");
        assert_ne!(
            crate::shell_session::ServeRequest::digest(&other),
            crate::shell_session::ServeRequest::digest(&line)
        );
        // Another version, or something that is no request, is refused.
        let old = line.replacen("\"version\":1", "\"version\":0", 1);
        assert!(
            crate::shell_session::ServeRequest::read(old.as_bytes())
                .unwrap_err()
                .to_string()
                .contains("version 0")
        );
        let e = crate::shell_session::ServeRequest::read(&b"-p dev\n"[..]).unwrap_err();
        assert_eq!(e.exit_code(), ssocred_core::ExitClass::Usage);
    }
}
