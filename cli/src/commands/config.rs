//! `ssocred config check|show`: validate the ssocred config file, and show
//! the settings a command will use with where each comes from.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use ssocred_core::pipeline::Plan;
use ssocred_core::{Error, SinkContext, sink};

use crate::flags::{
    AssumeFlags, CacheFlags, ConfigFlags, ConsoleBrowserFlags, FlowFlags, ListingRefreshFlag,
    NetworkFlags, ProfileFlag, RefreshFlag, RegionFlag, RoleFlags, SinkFlags, WatchFlags,
};
use crate::output::write_stdout;
use crate::request;
use crate::settings::config_file::{self, Config, SettingsFile};
use crate::settings::{self, Flags, Settings, Topic};

// `ssocred config ...` (the variant doc in commands/mod.rs is its help).
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate a config file: syntax, keys, values and every sink's options.
    Check {
        /// The file [default: --config, $SSOCRED_CONFIG, else
        /// $XDG_CONFIG_HOME/ssocred/config.toml].
        path: Option<PathBuf>,
        /// The ssocred config file.
        #[arg(long, value_name = "PATH")]
        config: Option<PathBuf>,
    },
    /// Print the settings a command will use and where each comes from
    /// (never a secret).
    Show(Box<ShowArgs>),
}

/// The commands whose settings `config show` can print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ForCommand {
    /// `ssocred` itself (credentials to sinks).
    Get,
    /// `ssocred exec`.
    Exec,
    /// `ssocred serve`.
    Serve,
    /// `ssocred list`.
    List,
    /// `ssocred discover`.
    Discover,
    /// `ssocred login`.
    Login,
    /// `ssocred logout`.
    Logout,
    /// `ssocred status` (`--watch`).
    Status,
    /// `ssocred console`.
    Console,
}

impl ForCommand {
    /// The settings the command reads.
    pub fn topics(self) -> &'static [Topic] {
        use Topic::*;
        match self {
            ForCommand::Get | ForCommand::Exec => &[
                Profile, Region, Role, Chain, Sinks, Refresh, Login, Cache, Chooser, Listing,
                Sources,
            ],
            ForCommand::Serve => &[
                Profile, Region, Role, Chain, Sinks, Refresh, Login, Cache, Chooser,
            ],
            ForCommand::List => &[Profile, Login, Listing],
            ForCommand::Login => &[Profile, Login],
            ForCommand::Discover => &[Profile, Region, Login],
            ForCommand::Logout => &[Profile],
            ForCommand::Status => &[Profile, Watch, Sources],
            ForCommand::Console => &[
                Profile, Region, Role, Chain, Sinks, Refresh, Login, Cache, Console, Listing,
            ],
        }
    }
}

// `ssocred config show`: the flags that feed settings, as the command given
// would read them (the variant doc above is its help).
#[derive(Debug, Clone, Args)]
pub struct ShowArgs {
    /// The command whose settings to show.
    #[arg(long = "command", value_enum, default_value_t = ForCommand::Get)]
    pub command: ForCommand,

    #[command(flatten)]
    pub profile: ProfileFlag,

    #[command(flatten)]
    pub role: RoleFlags,

    #[command(flatten)]
    pub assume: AssumeFlags,

    #[command(flatten)]
    pub region: RegionFlag,

    #[command(flatten)]
    pub sinks: SinkFlags,

    #[command(flatten)]
    pub refresh: RefreshFlag,

    #[command(flatten)]
    pub flow: FlowFlags,

    #[command(flatten)]
    pub network: NetworkFlags,

    #[command(flatten)]
    pub config: ConfigFlags,

    #[command(flatten)]
    pub cache: CacheFlags,

    #[command(flatten)]
    pub watch: WatchFlags,

    #[command(flatten)]
    pub console: ConsoleBrowserFlags,

    #[command(flatten)]
    pub listing_refresh: ListingRefreshFlag,
}

impl ShowArgs {
    /// The settings flags, keeping only those the command has.
    pub fn flags(&self) -> Flags {
        let all = Flags {
            config: self.config.config.clone(),
            preset: self.config.preset.clone(),
            profile: self.profile.profile.clone(),
            region: self.region.region.clone(),
            role_arn: self.role.role_arn.clone(),
            account_role: self.role.account.clone().zip(self.role.role.clone()),
            assume: self.assume.assume.clone(),
            sinks: settings::SinkFlags::Chosen(self.sinks.sinks.clone()),
            device_code: self.flow.device_code,
            no_browser: self.flow.no_browser,
            redirect_port: self.flow.redirect_port,
            token_store: self.flow.token_store.clone(),
            no_cache: self.cache.no_cache,
            cache_window: self.cache.cache_window,
            refresh_before: self.refresh.refresh_before,
            notify_command: self.watch.notify_command.clone(),
            watch_interval: self.watch.interval,
            console_browser: self.console.browser.clone(),
            browser_profile: self.console.browser_profile.clone(),
            network: self.network.clone(),
            ..Flags::default()
        };
        let base = Flags {
            config: all.config.clone(),
            preset: all.preset.clone(),
            profile: all.profile.clone(),
            ..Flags::default()
        };
        match self.command {
            ForCommand::Get => all,
            ForCommand::Exec | ForCommand::Serve | ForCommand::Console => Flags {
                sinks: settings::SinkFlags::Explicit(self.sinks.sinks.clone()),
                console_browser: if self.command == ForCommand::Console {
                    all.console_browser.clone()
                } else {
                    None
                },
                browser_profile: if self.command == ForCommand::Console {
                    all.browser_profile.clone()
                } else {
                    None
                },
                ..all
            },
            ForCommand::List | ForCommand::Login => Flags {
                device_code: all.device_code,
                no_browser: all.no_browser,
                redirect_port: all.redirect_port,
                token_store: all.token_store.clone(),
                refresh_listing: self.command == ForCommand::List && self.listing_refresh.refresh,
                ..base
            },
            ForCommand::Discover => Flags {
                region: all.region,
                device_code: all.device_code,
                no_browser: all.no_browser,
                redirect_port: all.redirect_port,
                token_store: all.token_store.clone(),
                ..base
            },
            ForCommand::Logout => base,
            ForCommand::Status => Flags {
                notify_command: all.notify_command,
                watch_interval: all.watch_interval,
                ..base
            },
        }
    }
}

/// Runs the command.
pub fn run(action: &ConfigCommand) -> Result<(), Error> {
    let env = |name: &str| std::env::var(name).ok();
    match action {
        ConfigCommand::Check { path, config } => {
            let flag = path.as_deref().or(config.as_deref());
            let Some((path, _)) = config_file::locate(flag, &env) else {
                return Err(Error::Usage(format!(
                    "no config file to check: {}; pass a PATH",
                    ssocred_core::os::dirs::no_home()
                )));
            };
            if flag.is_none() && !path.exists() {
                return Err(Error::ConfigFile {
                    path,
                    message: "no ssocred config file here; create it or pass a PATH".to_owned(),
                });
            }
            let config = Config::load(&path, true)?;
            check(&config, &request::sink_context(&request::paths()?)?)?;
            let presets = config.preset_names();
            let summary = if presets.is_empty() {
                "no presets".to_owned()
            } else {
                format!("presets: {}", presets.join(", "))
            };
            write_stdout(format!("{}: ok ({summary})\n", path.display()).as_bytes())
        }
        ConfigCommand::Show(show) => {
            let settings = Settings::from_process(&show.flags())?;
            let paths = request::paths()?;
            settings.validate_sinks(&request::sink_context(&paths)?)?;
            let mut text = settings.show(show.command.topics());
            if show.command.topics().contains(&Topic::Role) {
                text.push_str(&final_role_line(&settings, &paths, &show.role));
            }
            text.push_str(&network_section(&show.network, &settings, &paths)?);
            write_stdout(text.as_bytes())
        }
    }
}

/// `# final role: ARN`: the role whose credentials the command gives, when
/// it is known without a listing (the chain's last role, the role named, or
/// the AWS profile's own), else a comment saying why it is not.
fn final_role_line(
    settings: &Settings,
    paths: &ssocred_core::store::profile::AwsPaths,
    role: &RoleFlags,
) -> String {
    if let Some(last) = settings.chain.value.last() {
        return format!("# final role: {}  (the chain's last hop)\n", last.role);
    }
    let planned = request::sso_profile(settings, paths).and_then(|(_, profile)| {
        let query = request::role_query(settings, role, false)?;
        ssocred_core::pipeline::plan(&query, &profile)
    });
    match planned {
        Ok(Plan::Role(role)) => format!("# final role: {role}\n"),
        Ok(_) => "# final role: chosen from a listing (a pattern, or the chooser)\n".to_owned(),
        Err(e) => format!(
            "# final role: unknown offline ({})\n",
            ssocred_core::domain::text::visible(&e.to_string())
        ),
    }
}

/// Validates every sink of every section, so an option a sink rejects is
/// found now, with its line, rather than on the day the preset is used.
/// Nothing is built: no port is opened and no file touched.
fn check(config: &Config, ctx: &SinkContext) -> Result<(), Error> {
    let sections = std::iter::once(&config.file).chain(config.presets().values());
    for layer in sections {
        for s in config.sinks_of(layer)?.unwrap_or_default() {
            sink::validate(&s.spec, ctx).map_err(|e| config.error(Some(s.line), e.to_string()))?;
        }
        if let Some(entries) = &layer.assume {
            config.hops_of(entries)?;
        }
    }
    Ok(())
}

/// The `[network]` lines: trust, proxies (never their credentials), the
/// endpoint variants, and the endpoints they resolve to. They need the AWS
/// profile; when it cannot be read, a comment says why.
fn network_section(
    flags: &NetworkFlags,
    settings: &Settings,
    paths: &ssocred_core::store::profile::AwsPaths,
) -> Result<String, Error> {
    use ssocred_core::domain::endpoints::{Service, Setting};
    use ssocred_core::domain::network::Trust;
    let mut out = String::from("\n[network]\n");
    let (files, profile) = match request::sso_profile(settings, paths) {
        Ok(loaded) => loaded,
        Err(e) => {
            out.push_str(&format!("# the AWS profile is needed to show these: {e}\n"));
            return Ok(out);
        }
    };
    let network = request::network(flags, paths, &files, &profile.name)?;
    let quoted = |s: &str| toml::Value::String(s.to_owned()).to_string();
    match &network.trust {
        Trust::System => out.push_str("# ca_bundle: none, the system's trust store\n"),
        Trust::Bundle(b) => out.push_str(&format!(
            "ca_bundle = {}  # {} ({} certificates)\n",
            quoted(&b.path().display().to_string()),
            b.source(),
            b.certificates()
        )),
    }
    for (key, proxy) in [
        ("https_proxy", &network.proxies.https),
        ("http_proxy", &network.proxies.http),
    ] {
        match proxy {
            Some(p) => out.push_str(&format!(
                "{key} = {}  # environment {}{}\n",
                quoted(p.url()),
                p.variable(),
                if p.has_credentials() {
                    ", with credentials (not shown)"
                } else {
                    ""
                }
            )),
            None => out.push_str(&format!("# {key}: none\n")),
        }
    }
    if let Some((rules, var)) = &network.proxies.no_proxy {
        out.push_str(&format!(
            "no_proxy = {}  # environment {var}\n",
            quoted(rules)
        ));
    }
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    for (setting, value) in [
        (Setting::Fips, network.endpoints.fips),
        (Setting::DualStack, network.endpoints.dualstack),
    ] {
        let source = if env(setting.env_var()).is_some() {
            format!("environment {}", setting.env_var())
        } else if files
            .profile_value(&profile.name, setting.profile_key())
            .is_some()
        {
            format!("profile `{}`", profile.name)
        } else {
            "default".to_owned()
        };
        out.push_str(&format!(
            "{} = {value}  # {source}\n",
            setting.profile_key()
        ));
    }
    for (key, service) in [("portal", Service::Portal), ("oidc", Service::Oidc)] {
        match request::endpoint(service, paths, &profile, &network) {
            Ok(url) => out.push_str(&format!("# {key} endpoint: {url}\n")),
            Err(e) => out.push_str(&format!("# {key} endpoint: none: {e}\n")),
        }
    }
    if !settings.chain.value.is_empty() {
        let region = ssocred_core::pipeline::credentials_region(
            settings.region.as_ref().map(|r| r.value.as_str()),
            &profile,
        );
        match ssocred_core::aws::chain::endpoint(&region, &network, env) {
            Ok(url) => out.push_str(&format!("# sts endpoint: {url}\n")),
            Err(e) => out.push_str(&format!("# sts endpoint: none: {e}\n")),
        }
    }
    Ok(out)
}
