//! The command line, and the dispatcher: the only module that knows every
//! command. Each command owns its arguments and its `run` in a file of its
//! own, and no command imports another.

pub mod cache;
pub mod completions;
pub mod config;
pub mod discover;
pub mod exec;
pub mod get;
pub mod list;
pub mod login;
pub mod logout;
pub mod man;
pub mod serve;
pub mod sinks;

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};
use ssocred_core::Error;

use crate::flags::{ListingCommandFlags, ProfileFlag, RegionFlag};

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
    pub get: get::GetArgs,
}

/// The subcommands.
// Parsed once per process; boxing the arguments would only add noise.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List every registered sink.
    Sinks {
        /// Show each sink's argument and options.
        #[arg(short, long)]
        verbose: bool,
    },
    /// List every account and role the login may use.
    List(list::ListArgs),
    /// Write one profile per account and role into the AWS config file.
    Discover(discover::DiscoverArgs),
    /// Run a command with a role's credentials and region in its environment.
    Exec(exec::ExecArgs),
    /// Serve a role's credentials on a local container-credentials endpoint,
    /// refreshed before they expire, until SIGINT or SIGTERM.
    Serve(serve::ServeArgs),
    /// Log in to IAM Identity Center natively (browser or device code) and
    /// cache the token where the AWS CLI and SDKs find it.
    Login(login::LoginArgs),
    /// End the SSO session and remove its cached token.
    Logout(logout::LogoutArgs),
    /// Check or show the ssocred config file (TOML).
    Config {
        #[command(subcommand)]
        action: config::ConfigCommand,
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
        action: cache::CacheAction,
    },
}

/// Runs the command the line names.
pub fn run(cli: Cli) -> Result<ExitCode, Error> {
    let done = |result: Result<(), Error>| result.map(|()| ExitCode::SUCCESS);
    match cli.command {
        None if cli.get.discover_roles => done(discover::run(&as_discover(&cli.get))),
        None => done(get::run(&cli.get)),
        Some(Command::Exec(args)) => exec::run(&args),
        Some(Command::Serve(args)) => done(serve::run(&args)),
        Some(Command::List(args)) => done(list::run(&args)),
        Some(Command::Discover(args)) => done(discover::run(&args)),
        Some(Command::Login(args)) => done(login::run(&args)),
        Some(Command::Logout(args)) => done(logout::run(&args)),
        Some(Command::Config { action }) => done(config::run(&action)),
        Some(Command::Cache { action }) => done(cache::run(&action)),
        Some(Command::Sinks { verbose }) => done(sinks::run(verbose)),
        Some(Command::Completions { shell }) => done(completions::run(shell, Cli::command())),
        Some(Command::Man) => done(man::run(Cli::command())),
    }
}

/// `ssocred -p P --discover-roles` (the predecessor's `-d`) as
/// `ssocred discover -p P`.
fn as_discover(get: &get::GetArgs) -> discover::DiscoverArgs {
    discover::DiscoverArgs {
        common: ListingCommandFlags {
            profile: ProfileFlag {
                profile: get.profile.profile.clone(),
            },
            listing: get.listing.clone(),
            verbose: get.verbose,
            flow: get.flow.clone(),
            token: get.token.clone(),
            config: get.config.clone(),
        },
        region: RegionFlag {
            region: get.region.region.clone(),
        },
        style: discover::Style::Process,
        profile_name: get.profile_name.clone(),
        prune: false,
        dry_run: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn predecessor_flags_and_default_sink() {
        let cli = Cli::try_parse_from(["ssocred", "-p", "x"]).unwrap();
        assert!(cli.get.sink_specs().is_empty());
        let cli = Cli::try_parse_from(["ssocred", "--env_vars", "--sink", "json"]).unwrap();
        assert_eq!(cli.get.sink_specs(), ["json", "env"]);
        let cli = Cli::try_parse_from(["ssocred", "--external-source"]).unwrap();
        assert_eq!(cli.get.sink_specs(), ["process"]);
        assert!(
            Cli::try_parse_from(["ssocred", "-r", "a", "--account", "1", "--role", "x"]).is_err()
        );
        assert!(Cli::try_parse_from(["ssocred", "--all", "-r", "a"]).is_err());
        let cli = Cli::try_parse_from(["ssocred", "--account", "Prod*", "--all"]).unwrap();
        assert!(cli.get.all && cli.get.role.role.is_none());
        let cli = Cli::try_parse_from(["ssocred", "-p", "x", "--discover-roles"]).unwrap();
        assert!(cli.get.discover_roles);
        assert!(Cli::try_parse_from(["ssocred", "--concurrency", "0", "--all"]).is_err());
    }

    /// Each subcommand's `--help` shows only the flags it honours: the
    /// predecessor's flags and `--all` stay on the main command.
    #[test]
    fn subcommands_offer_only_the_flags_they_honour() {
        let cli = Cli::command();
        let flags = |name: &str| -> Vec<String> {
            cli.find_subcommand(name)
                .unwrap()
                .get_arguments()
                .filter_map(|a| a.get_long().map(str::to_owned))
                .collect()
        };
        let predecessor = ["discover-roles", "env_vars", "external-source"];
        for command in ["serve", "exec", "list", "discover", "login", "logout"] {
            let offered = flags(command);
            for flag in predecessor {
                assert!(!offered.iter().any(|f| f == flag), "{command} offers --{flag}");
            }
        }
        for command in ["serve", "exec"] {
            let offered = flags(command);
            for flag in ["all", "profile-name", "concurrency", "watch"] {
                assert!(!offered.iter().any(|f| f == flag), "{command} offers --{flag}");
            }
        }
        for command in ["list", "login", "logout"] {
            let offered = flags(command);
            for flag in ["sink", "region", "role-arn", "no-cache", "refresh-before", "watch"] {
                assert!(!offered.iter().any(|f| f == flag), "{command} offers --{flag}");
            }
        }
        let main: Vec<String> = cli
            .get_arguments()
            .filter_map(|a| a.get_long().map(str::to_owned))
            .collect();
        for flag in predecessor {
            assert!(main.iter().any(|f| f == flag), "the main command lacks --{flag}");
        }
    }
}
