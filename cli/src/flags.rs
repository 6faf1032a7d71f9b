//! The flag groups commands share, and their value parsers: clap types
//! only. Each command flattens the groups it honours, so its `--help` shows
//! nothing it ignores. The groups carry plain comments, not doc comments:
//! clap would take a group's doc comment as the about text of every deferred
//! subcommand that flattens it.

use std::path::PathBuf;

use clap::Args;
use clap::builder::TypedValueParser as _;

// `-p/--profile`.
#[derive(Debug, Clone, Default, Args)]
pub struct ProfileFlag {
    /// The SSO profile in the AWS config file [env: SSOCRED_PROFILE, then
    /// AWS_PROFILE; config: profile; default: default].
    #[arg(short, long, value_name = "PROFILE")]
    pub profile: Option<String>,
}

// `--config` and `--preset`: which ssocred config file, and which preset in it.
#[derive(Debug, Clone, Default, Args)]
pub struct ConfigFlags {
    /// The ssocred config file [env: SSOCRED_CONFIG; default:
    /// $XDG_CONFIG_HOME/ssocred/config.toml, else ~/.config/ssocred/config.toml].
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// Use the named preset of the config file ([preset.NAME]) [env: SSOCRED_PRESET].
    #[arg(long, value_name = "NAME")]
    pub preset: Option<String>,
}

// `-r/--role-arn`, or `--account` and `--role`.
#[derive(Debug, Clone, Default, Args)]
pub struct RoleFlags {
    /// The role, as an IAM role ARN (arn:aws:iam::123456789012:role/NAME).
    #[arg(short = 'r', long, value_name = "ARN", conflicts_with_all = ["account", "role"])]
    pub role_arn: Option<String>,

    /// The account of the role: an id, or a glob over account ids and names
    /// (to narrow the chooser, or with --all).
    #[arg(long, value_name = "ID")]
    pub account: Option<String>,

    /// The role name, or a glob.
    #[arg(long, value_name = "NAME")]
    pub role: Option<String>,
}

// `--assume`: a role chain after the SSO role.
#[derive(Debug, Clone, Default, Args)]
pub struct AssumeFlags {
    /// Then assume this role with the credentials so far (STS AssumeRole);
    /// repeatable, one hop each, in order, at most 10:
    /// ARN[,external-id=ID][,session-name=NAME][,duration=SECS][,source-identity=ID].
    /// Duration 900-3600 s (default 3600: AWS caps chained roles at one hour)
    /// [config: assume].
    #[arg(long, value_name = "ARN[,OPTION=VALUE...]")]
    pub assume: Vec<String>,
}

// `--ca-bundle`: whom TLS trusts.
#[derive(Debug, Clone, Default, Args)]
pub struct NetworkFlags {
    /// A PEM file of the CAs to trust for AWS calls, instead of the system's
    /// [env: AWS_CA_BUNDLE; profile: ca_bundle].
    #[arg(long, value_name = "PATH")]
    pub ca_bundle: Option<PathBuf>,
}

// `--region`.
#[derive(Debug, Clone, Default, Args)]
pub struct RegionFlag {
    /// The region to put next to the credentials [env: SSOCRED_REGION;
    /// config: region; default: the profile's region, else its sso_region].
    #[arg(long, value_name = "REGION", value_parser = region)]
    pub region: Option<String>,
}

// `--sink`.
#[derive(Debug, Clone, Default, Args)]
pub struct SinkFlags {
    /// Where the credentials go: NAME[:ARG][,KEY=VALUE...]; repeatable.
    /// See `ssocred sinks`.
    #[arg(short, long = "sink", value_name = "SPEC")]
    pub sinks: Vec<String>,
}

// How many portal calls a listing makes at once, and its progress bar.
#[derive(Debug, Clone, Args)]
pub struct ListingFlags {
    /// How many portal calls run at once when listing or with --all.
    #[arg(long, value_name = "N", default_value_t = ssocred_core::aws::discovery::DEFAULT_CONCURRENCY,
          value_parser = clap::value_parser!(u16).range(1..=256).map(usize::from))]
    pub concurrency: usize,

    /// No progress bar.
    #[arg(short, long)]
    pub quiet: bool,
}

impl Default for ListingFlags {
    fn default() -> Self {
        ListingFlags {
            concurrency: ssocred_core::aws::discovery::DEFAULT_CONCURRENCY,
            quiet: false,
        }
    }
}

// `--refresh` of `list`.
#[derive(Debug, Clone, Copy, Default, Args)]
pub struct ListingRefreshFlag {
    /// List the roles anew, even when the recorded listing is younger than
    /// `[listing] max_age_hours` (and record the new one for the chooser).
    #[arg(long)]
    pub refresh: bool,
}

// `-q/--quiet` alone, for commands whose listing (for the chooser) runs at
// the default concurrency.
#[derive(Debug, Clone, Copy, Default, Args)]
pub struct QuietFlag {
    /// No progress bar.
    #[arg(short, long)]
    pub quiet: bool,
}

// `-v/--verbose`.
#[derive(Debug, Clone, Copy, Default, Args)]
pub struct VerboseFlag {
    /// Explain each step on stderr (never secrets).
    #[arg(short, long)]
    pub verbose: bool,
}

// `--refresh-before`, for the modes that keep credentials fresh.
#[derive(Debug, Clone, Default, Args)]
pub struct RefreshFlag {
    /// Fetch again this many seconds before the credentials expire
    /// [env: SSOCRED_REFRESH_BEFORE; config: refresh_before; default: 300].
    #[arg(long, value_name = "SECS")]
    pub refresh_before: Option<u64>,
}

// `--no-cache` and `--cache-window`: the role-credential cache.
#[derive(Debug, Clone, Default, Args)]
pub struct CacheFlags {
    /// Neither read nor write the role-credential cache: always call the portal
    /// [env: SSOCRED_NO_CACHE=1; config: [cache] enabled = false].
    #[arg(long)]
    pub no_cache: bool,

    /// Treat cached role credentials as expired this many minutes before they
    /// expire [env: SSOCRED_CACHE_WINDOW; config: [cache] window_minutes;
    /// default: 15].
    #[arg(long, value_name = "MINUTES")]
    pub cache_window: Option<u32>,
}

// How a native login runs.
#[derive(Debug, Clone, Default, Args)]
pub struct FlowFlags {
    /// Log in with the device code flow (a code to enter on any device)
    /// instead of a browser redirect to this machine [config: [login] method].
    /// Automatic for legacy profiles and where there is no display (SSH),
    /// unless a redirect port or the method `pkce` asks for PKCE.
    #[arg(long)]
    pub device_code: bool,

    /// Never open a browser; the URL to open is printed either way
    /// [config: [login] open_browser = false].
    #[arg(long)]
    pub no_browser: bool,

    /// Listen for the browser's sign-in redirect on this port of 127.0.0.1
    /// instead of a random one, so it can be forwarded over SSH
    /// (`ssh -L PORT:127.0.0.1:PORT`): PKCE even without a display; refused
    /// for a legacy profile [config: [login] redirect_port].
    #[arg(
        long,
        value_name = "PORT",
        value_parser = clap::value_parser!(u16).range(1..),
        conflicts_with = "device_code"
    )]
    pub redirect_port: Option<u16>,

    /// Where the SSO token is kept: `file` (the AWS CLI's cache file, read
    /// by the CLI and the SDKs), `keyring` (the OS credential store only)
    /// or `both` [env: SSOCRED_TOKEN_STORE; config: [login] token_store;
    /// default: file].
    #[arg(long, value_name = "STORE", value_parser = ["file", "keyring", "both"])]
    pub token_store: Option<String>,
}

// The console's browser (`ssocred console`, `config show`).
#[derive(Debug, Clone, Default, Args)]
pub struct ConsoleBrowserFlags {
    /// The browser command, run with the sign-in page's file:// URL (the
    /// sign-in token stays off its command line) [config: [console] browser;
    /// default: $BROWSER, else xdg-open, or open on macOS].
    #[arg(long, value_name = "COMMAND")]
    pub browser: Option<String>,

    /// One browser identity per role: `auto` (named after the account and
    /// the role) or a name. A Chromium-family browser (Chrome, Chromium,
    /// Edge, Brave) gets a user-data directory of its own in ssocred's state
    /// directory; Firefox a container [config: [console] browser_profile].
    #[arg(long, value_name = "auto|NAME")]
    pub browser_profile: Option<String>,
}

// How `status --watch` reports.
#[derive(Debug, Clone, Default, Args)]
pub struct WatchFlags {
    /// With --watch: report by running this shell command instead of a
    /// desktop notification, with SSOCRED_EVENT (expiring, expired),
    /// SSOCRED_PROFILE, SSOCRED_EXPIRES and SSOCRED_MESSAGE set
    /// [config: [status] notify_command].
    #[arg(long, value_name = "COMMAND")]
    pub notify_command: Option<String>,

    /// With --watch: read the token files every this many seconds
    /// [config: [status] interval; default: 30].
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub interval: Option<u64>,
}

// What happens when the SSO token is about to expire or has expired.
#[derive(Debug, Clone, Args)]
pub struct TokenFlags {
    /// Log in when the login has expired even without a terminal (for
    /// example from credential_process); may open a browser. Without it, a
    /// command with no terminal fails at once with exit code 4
    /// [env: SSOCRED_AUTO_LOGIN; config: [login] auto_login].
    #[arg(long)]
    pub auto_login: bool,

    /// Log in by running this shell command instead of natively, with its
    /// output shown on stderr; `{profile}` is replaced by the profile name,
    /// e.g. 'aws sso login --profile {profile}'.
    #[arg(long, value_name = "COMMAND", env = "SSOCRED_LOGIN_COMMAND")]
    pub login_command: Option<String>,

    /// Refresh the SSO token when less than this many seconds are left.
    #[arg(
        long,
        value_name = "SECS",
        default_value_t = DEFAULT_REFRESH_WINDOW_SECS,
        env = "SSOCRED_REFRESH_WINDOW"
    )]
    pub refresh_window: u64,

    /// Wait at most this many seconds for another ssocred process that is
    /// refreshing or logging in the same SSO session (a process that would
    /// log in itself waits up to 10 minutes, as long as a login may take).
    #[arg(
        long,
        value_name = "SECS",
        default_value_t = DEFAULT_LOCK_TIMEOUT_SECS,
        env = "SSOCRED_LOCK_TIMEOUT"
    )]
    pub lock_timeout: u64,
}

/// Refresh a token with less than this many seconds left (as the AWS CLI does).
pub const DEFAULT_REFRESH_WINDOW_SECS: u64 = 900;
/// How long to wait for another process's refresh before giving up.
pub const DEFAULT_LOCK_TIMEOUT_SECS: u64 = 60;

impl Default for TokenFlags {
    /// The flags' defaults, for commands that have none of them (`list`,
    /// `discover`): a person at a terminal is logged in, a headless run
    /// fails at once.
    fn default() -> Self {
        TokenFlags {
            auto_login: false,
            login_command: None,
            refresh_window: DEFAULT_REFRESH_WINDOW_SECS,
            lock_timeout: DEFAULT_LOCK_TIMEOUT_SECS,
        }
    }
}

/// Parses a `--region` value: a region name as AWS names them, or clap's
/// usage error (a typed region is checked harder than a file's, which
/// the AWS CLI accepts as it is).
pub fn region(value: &str) -> Result<String, String> {
    ssocred_core::domain::sso_profile::check_region(value)?;
    ssocred_core::domain::endpoints::check_region_name(value).map(|()| value.to_owned())
}

// The flags of a command that runs with one role and has an output of its
// own (`exec`, `serve`): no `--all`, no predecessor flags, and sinks only
// from `--sink`.
#[derive(Debug, Clone, Args)]
pub struct OneRoleFlags {
    #[command(flatten)]
    pub profile: ProfileFlag,

    #[command(flatten)]
    pub role: RoleFlags,

    #[command(flatten)]
    pub assume: AssumeFlags,

    #[command(flatten)]
    pub quiet: QuietFlag,

    #[command(flatten)]
    pub region: RegionFlag,

    #[command(flatten)]
    pub sinks: SinkFlags,

    #[command(flatten)]
    pub verbose: VerboseFlag,

    #[command(flatten)]
    pub refresh: RefreshFlag,

    #[command(flatten)]
    pub flow: FlowFlags,

    #[command(flatten)]
    pub token: TokenFlags,

    #[command(flatten)]
    pub network: NetworkFlags,

    #[command(flatten)]
    pub config: ConfigFlags,

    #[command(flatten)]
    pub cache: CacheFlags,
}

// The flags of a command that lists a login's roles (`list`, `discover`).
#[derive(Debug, Clone, Default, Args)]
pub struct ListingCommandFlags {
    #[command(flatten)]
    pub profile: ProfileFlag,

    #[command(flatten)]
    pub listing: ListingFlags,

    #[command(flatten)]
    pub verbose: VerboseFlag,

    #[command(flatten)]
    pub flow: FlowFlags,

    #[command(flatten)]
    pub token: TokenFlags,

    #[command(flatten)]
    pub network: NetworkFlags,

    #[command(flatten)]
    pub config: ConfigFlags,
}
