//! The command line.

use clap::builder::TypedValueParser as _;
use clap::{Args, Parser, Subcommand};

/// Turn an AWS IAM Identity Center (SSO) login into temporary role
/// credentials, delivered to the credentials file, your shell, a
/// credential_process or any other registered sink.
#[derive(Debug, Parser)]
#[command(name = "ssocred", version, args_conflicts_with_subcommands = true)]
#[command(
    after_help = "Exit codes: 0 ok, 1 internal error, 2 usage, 3 AWS config, \
4 login required, 5 role not assigned, 6 SSO portal unreachable or failing, 7 output error."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub get: GetArgs,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List every registered sink.
    Sinks {
        /// Show each sink's argument and options.
        #[arg(short, long)]
        verbose: bool,
    },
    /// List every account and role the login may use.
    List(crate::discover::ListArgs),
    /// Write one profile per account and role into the AWS config file.
    Discover(crate::discover::DiscoverArgs),
    /// Run a command with a role's credentials and region in its environment.
    Exec(crate::exec::ExecArgs),
    /// Serve a role's credentials on a local container-credentials endpoint,
    /// refreshed before they expire, until SIGINT or SIGTERM.
    Serve(crate::serve::ServeArgs),
    /// Log in to IAM Identity Center natively (browser or device code) and
    /// cache the token where the AWS CLI and SDKs find it.
    Login(crate::login::LoginCommand),
    /// End the SSO session and remove its cached token.
    Logout(crate::login::LogoutCommand),
    /// Check or show the ssocred config file (TOML).
    Config {
        #[command(subcommand)]
        action: ConfigCommand,
    },
    /// Print a shell completion script: bash, zsh, fish or powershell.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) on stdout.
    Man,
    /// Manage the role-credential cache (~/.aws/cli/cache, shared with the AWS CLI v2).
    Cache {
        #[command(subcommand)]
        action: CacheAction,
    },
}

/// `ssocred config ...`.
// Parsed once per process; boxing the flags would only add noise.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate a config file: syntax, keys, values and every sink's options.
    Check {
        /// The file [default: --config, $SSOCRED_CONFIG, else
        /// $XDG_CONFIG_HOME/ssocred/config.toml].
        path: Option<std::path::PathBuf>,
        /// The ssocred config file.
        #[arg(long, value_name = "PATH")]
        config: Option<std::path::PathBuf>,
    },
    /// Print the effective settings and where each comes from (never a secret).
    Show {
        #[command(flatten)]
        get: GetArgs,
    },
}

/// What `ssocred cache` does.
#[derive(Debug, Subcommand)]
pub enum CacheAction {
    /// Remove every cached SSO role credential (other AWS CLI entries stay).
    Clear {
        /// Explain each step on stderr.
        #[arg(short, long)]
        verbose: bool,
    },
}

/// Fetch one role's credentials and deliver them to the sinks.
#[derive(Debug, Args)]
pub struct GetArgs {
    /// The SSO profile in the AWS config file [default: $AWS_PROFILE, else default].
    #[arg(short, long, value_name = "PROFILE")]
    pub profile: Option<String>,

    /// The role, as an IAM role ARN (arn:aws:iam::123456789012:role/NAME).
    #[arg(short = 'r', long, value_name = "ARN", conflicts_with_all = ["account", "role"])]
    pub role_arn: Option<String>,

    /// The account of the role: an id, or with --all (or to narrow the
    /// chooser) a glob over account ids and names.
    #[arg(long, value_name = "ID")]
    pub account: Option<String>,

    /// The role name, or a glob with --all.
    #[arg(long, value_name = "NAME")]
    pub role: Option<String>,

    /// Take every role matching --account and --role (all roles without
    /// them); each set goes to its own profile, named by --profile-name.
    #[arg(long, conflicts_with = "role_arn")]
    pub all: bool,

    /// The profile-name template for --all (handlebars; see `ssocred discover --help`).
    #[arg(long, value_name = "TEMPLATE", default_value = ssocred_core::naming::DEFAULT_TEMPLATE)]
    pub profile_name: String,

    /// How many portal calls run at once when listing or with --all.
    #[arg(long, value_name = "N", default_value_t = ssocred_core::discovery::DEFAULT_CONCURRENCY,
          value_parser = clap::value_parser!(u16).range(1..=256).map(usize::from))]
    pub concurrency: usize,

    /// No progress bar.
    #[arg(short, long)]
    pub quiet: bool,

    /// Same as `ssocred discover` (the predecessor's -d).
    #[arg(short = 'd', long = "discover-roles", conflicts_with_all = ["role_arn", "account", "role", "all"])]
    pub discover_roles: bool,

    /// The region to put next to the credentials [default: the profile's
    /// region, else its sso_region].
    #[arg(long, value_name = "REGION", value_parser = region)]
    pub region: Option<String>,

    /// Where the credentials go: NAME[:ARG][,KEY=VALUE...]; repeatable.
    /// See `ssocred sinks` [default: credentials-file].
    #[arg(short, long = "sink", value_name = "SPEC")]
    pub sinks: Vec<String>,

    /// Same as --sink env (the predecessor's flag).
    #[arg(long = "env_vars", visible_alias = "env-vars")]
    pub env_vars: bool,

    /// Same as --sink process (the predecessor's flag).
    #[arg(long = "external-source", visible_alias = "external_source")]
    pub external_source: bool,

    /// Explain each step on stderr (never secrets).
    #[arg(short, long)]
    pub verbose: bool,

    /// Keep running: fetch again before the credentials expire and rewrite
    /// every sink with each refreshed set, until SIGINT or SIGTERM.
    #[arg(long)]
    pub watch: bool,

    /// In --watch, serve and exec --via serve: fetch again this many seconds
    /// before the credentials expire.
    #[arg(long, value_name = "SECS", default_value_t = 300)]
    pub refresh_before: u64,
    #[command(flatten)]
    pub flow: crate::login::FlowArgs,

    #[command(flatten)]
    pub token: crate::login::TokenArgs,
    /// The ssocred config file [default: $SSOCRED_CONFIG, else
    /// $XDG_CONFIG_HOME/ssocred/config.toml, else ~/.config/ssocred/config.toml].
    #[arg(long, value_name = "PATH")]
    pub config: Option<std::path::PathBuf>,

    /// Use the named preset of the config file ([preset.NAME]) [env: SSOCRED_PRESET].
    #[arg(long, value_name = "NAME")]
    pub preset: Option<String>,

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

impl GetArgs {
    /// The sink specs the flags give (none when no sink flag is used), the
    /// predecessor's flags last.
    pub fn flag_sink_specs(&self) -> Vec<String> {
        let mut specs = self.sinks.clone();
        if self.env_vars {
            specs.push("env".to_owned());
        }
        if self.external_source {
            specs.push("process".to_owned());
        }
        specs
    }

    /// The sink specs in the order given, the predecessor's flags last, or
    /// the built-in default. (The config file comes between the two: see
    /// `settings`.)
    #[cfg(test)]
    pub fn sink_specs(&self) -> Vec<String> {
        let mut specs = self.flag_sink_specs();
        if specs.is_empty() {
            specs.push("credentials-file".to_owned());
        }
        specs
    }
}

/// Parses a `--region` value: a region name, or clap's usage error.
pub fn region(value: &str) -> Result<String, String> {
    ssocred_core::profile::check_region(value).map(|()| value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn predecessor_flags_and_default_sink() {
        let cli = Cli::try_parse_from(["ssocred", "-p", "x"]).unwrap();
        assert_eq!(cli.get.sink_specs(), ["credentials-file"]);
        let cli = Cli::try_parse_from(["ssocred", "--env_vars", "--sink", "json"]).unwrap();
        assert_eq!(cli.get.sink_specs(), ["json", "env"]);
        let cli = Cli::try_parse_from(["ssocred", "--external-source"]).unwrap();
        assert_eq!(cli.get.sink_specs(), ["process"]);
        assert!(
            Cli::try_parse_from(["ssocred", "-r", "a", "--account", "1", "--role", "x"]).is_err()
        );
        assert!(Cli::try_parse_from(["ssocred", "--all", "-r", "a"]).is_err());
        let cli = Cli::try_parse_from(["ssocred", "--account", "Prod*", "--all"]).unwrap();
        assert!(cli.get.all && cli.get.role.is_none());
        let cli = Cli::try_parse_from(["ssocred", "-p", "x", "--discover-roles"]).unwrap();
        assert!(cli.get.discover_roles);
        assert!(Cli::try_parse_from(["ssocred", "--concurrency", "0", "--all"]).is_err());
    }
}
