//! The command line, and the dispatcher: the only module that knows every
//! command. Each command owns its arguments and its `run` in a file of its
//! own, and no command imports another.

pub mod cache;
pub mod complete;
pub mod completions;
pub mod config;
pub mod console;
pub mod console_login;
pub mod discover;
pub mod docker_credential;
pub mod exec;
pub mod get;
pub mod getting_started;
pub mod init;
pub mod kubeconfig;
pub mod list;
pub mod login;
pub mod logout;
pub mod man;
pub mod serve;
pub mod shell_init;
pub mod sinks;
pub mod source;
pub mod status;
pub mod trust;
pub mod use_role;

use std::io::Write as _;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches as _, Parser, Subcommand};
use ssocred_core::Error;

use crate::flags::{ListingCommandFlags, ProfileFlag, RegionFlag};

/// Turn an AWS IAM Identity Center (SSO) login into temporary role
/// credentials, delivered to the credentials file, your shell, a
/// credential_process or any other registered sink.
#[derive(Debug, Parser)]
#[command(name = "ssocred", version, args_conflicts_with_subcommands = true)]
#[command(
    after_help = "Exit codes: 0 ok, 1 internal error, 2 usage, 3 AWS config, \
4 login required, 5 role not assigned, 6 SSO portal unreachable or failing, 7 output error; \
status: 10 login expiring, 11 login expired or missing."
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
// Each subcommand's arguments are built only when it is the one used, so a
// call pays for its own flags, not for every command's.
#[command(defer = true)]
pub enum Command {
    /// List every registered sink.
    Sinks {
        /// Show each sink's argument and options.
        #[arg(short, long)]
        verbose: bool,
    },
    /// Set up a login: write an [sso-session] and a profile for a role (or,
    /// with --all, for every role) into the AWS config file, after logging in.
    Init(init::InitArgs),
    /// List every account and role the login may use.
    List(list::ListArgs),
    /// Write one profile per account and role into the AWS config file.
    Discover(discover::DiscoverArgs),
    /// Manage team sources: git repositories holding an organisation's
    /// sso-sessions, profile naming, aliases, regions and tags.
    Source {
        #[command(subcommand)]
        action: source::SourceCommand,
    },
    /// Fetch the team sources and write each one's block into the AWS
    /// config file, all or nothing, printing the diff.
    Sync(source::SyncArgs),
    /// Run a command with a role's credentials and region in its environment.
    Exec(exec::ExecArgs),
    /// Open the AWS Management Console as a role: a sign-in URL, printed and
    /// opened in a browser (`--sink console`).
    Console(console::ConsoleArgs),
    /// Serve a role's credentials on a local container-credentials endpoint,
    /// refreshed before they expire, until SIGINT or SIGTERM.
    Serve(serve::ServeArgs),
    /// Print a kubeconfig user whose exec plugin runs ssocred for an EKS
    /// cluster, and the kubectl command that installs it.
    Kubeconfig(kubeconfig::KubeconfigArgs),
    /// Docker's credential helper for Amazon ECR registries (also run as
    /// docker-credential-ssocred): get, list, store, erase, and install.
    DockerCredential(docker_credential::DockerCredentialArgs),
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
    /// Show what is valid and for how long: the SSO login and the cached
    /// role credentials (no network call unless --check).
    Status(status::StatusArgs),
    /// Show a project file (.ssocred.toml) and trust it as it is: runs in
    /// its directory and below use its settings until it changes.
    Trust(trust::TrustArgs),
    /// Make the current shell use a role: a local endpoint that keeps its
    /// credentials fresh until the shell exits (or --static keys, or
    /// --profile-only AWS_PROFILE). Needs the function of `ssocred shell-init`.
    Use(use_role::UseArgs),
    /// Undo `ssocred use` in the current shell and stop its endpoint.
    Unuse(use_role::UnuseArgs),
    /// Print the shell function that lets `use` and `unuse` change the
    /// current shell: bash, zsh, fish or powershell.
    ShellInit(shell_init::ShellInitArgs),
    /// Manage the role-credential cache (~/.aws/cli/cache, shared with the AWS CLI v2).
    Cache {
        #[command(subcommand)]
        action: cache::CacheAction,
    },
}

impl Cli {
    /// The command line `argv` (program name first): the commonest line
    /// without clap ([`get::GetArgs::from_plain_argv`]), any other through
    /// it. Exits on a usage error, `--help` or `--version`, as clap does.
    pub fn from_argv(argv: Vec<std::ffi::OsString>) -> Cli {
        // `ssocred` alone is clap's too (getting started, or the chooser).
        let plain = argv
            .get(1..)
            .filter(|args| !args.is_empty())
            .and_then(|args| {
                get::GetArgs::from_plain_argv(args, |name| std::env::var_os(name).is_some())
            });
        if let Some(get) = plain {
            return Cli { command: None, get };
        }
        if let Some(status) = StatusLine::parse(&argv) {
            return status;
        }
        if let Some(sinks) = sinks_line(&argv) {
            return sinks;
        }
        let mut command = Cli::command();
        if !colours_shown() {
            // Styles that render as nothing: clap's output then holds no
            // escapes for `exit_on` to strip (a quarter of `--help`'s work).
            command = command.styles(clap::builder::Styles::plain());
        }
        command
            .try_get_matches_from_mut(argv)
            .and_then(|matches| Cli::from_arg_matches(&matches))
            .map_err(|e| e.format(&mut command))
            .unwrap_or_else(|e| exit_on(&e))
    }
}

/// Whether clap's help or error, on stdout or stderr, shows colours there
/// (a terminal, `CLICOLOR_FORCE`; not under `NO_COLOR`).
fn colours_shown() -> bool {
    let never = anstream::ColorChoice::Never;
    anstream::AutoStream::choice(&std::io::stdout()) != never
        || anstream::AutoStream::choice(&std::io::stderr()) != never
}

/// `ssocred status ...`, which a prompt runs on every draw, read by a
/// parser of `status`'s own arguments: the same [`status::StatusArgs`],
/// without building the main command's flags and every subcommand around
/// them. A line it refuses (an error, `--help`) goes to the whole parser,
/// which says what the user sees.
#[derive(Parser)]
#[command(name = "ssocred status")]
struct StatusLine {
    #[command(flatten)]
    args: status::StatusArgs,
}

impl StatusLine {
    fn parse(argv: &[std::ffi::OsString]) -> Option<Cli> {
        if argv.get(1).is_none_or(|command| command != "status") {
            return None;
        }
        let line = std::iter::once("ssocred status".into()).chain(argv[2..].iter().cloned());
        let parsed = StatusLine::try_parse_from(line).ok()?;
        Some(Cli {
            command: Some(Command::Status(parsed.args)),
            get: get::GetArgs::default(),
        })
    }
}

/// `ssocred sinks [-v]` as clap reads it, without building the parser.
fn sinks_line(argv: &[std::ffi::OsString]) -> Option<Cli> {
    let verbose = match argv.get(1..)? {
        [command] if command == "sinks" => false,
        [command, flag] if command == "sinks" && (flag == "-v" || flag == "--verbose") => true,
        _ => return None,
    };
    Some(Cli {
        command: Some(Command::Sinks { verbose }),
        get: get::GetArgs::default(),
    })
}

/// Ends the process as clap's `Error::exit` does, but writes `--help` and
/// `--version` to stdout in one piece: clap writes styled text span by
/// span, a write(2) per line through stdout's line buffer. A console that
/// needs Windows' own colour calls is left to clap.
fn exit_on(error: &clap::Error) -> ! {
    if !error.use_stderr() {
        let choice = anstream::AutoStream::choice(&std::io::stdout());
        let rendered = error.render();
        let text = match choice {
            anstream::ColorChoice::Never => {
                // Plain styles left no escape to strip (`Cli::from_argv`).
                let styled = rendered.ansi().to_string();
                if styled.contains('\x1b') {
                    Some(rendered.to_string())
                } else {
                    Some(styled)
                }
            }
            _ if ssocred_core::os::process::COLOURS_NEED_CONSOLE_CALLS => None,
            _ => Some(rendered.ansi().to_string()),
        };
        if let Some(text) = text {
            // As clap does: a closed stdout does not change the exit code.
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
            std::process::exit(error.exit_code());
        }
    }
    error.exit()
}

/// Runs the command the line names.
pub fn run(cli: Cli) -> Result<ExitCode, Error> {
    let done = |result: Result<(), Error>| result.map(|()| ExitCode::SUCCESS);
    match cli.command {
        None if cli.get.discover_roles => done(discover::run(&as_discover(&cli.get))),
        None => done(get::run(&cli.get)),
        Some(Command::Exec(args)) => exec::run(&args),
        Some(Command::Serve(args)) => done(serve::run(&args)),
        Some(Command::Console(args)) => done(console::run(&args)),
        Some(Command::Init(args)) => done(init::run(&args)),
        Some(Command::List(args)) => done(list::run(&args)),
        Some(Command::Discover(args)) => done(discover::run(&args)),
        Some(Command::Source { action }) => done(source::run(&action)),
        Some(Command::Sync(args)) => done(source::run_sync(&args)),
        Some(Command::Kubeconfig(args)) => done(kubeconfig::run(&args)),
        Some(Command::DockerCredential(args)) => docker_credential::run(&args),
        Some(Command::Login(args)) => done(login::run(&args)),
        Some(Command::Logout(args)) => done(logout::run(&args)),
        Some(Command::Config { action }) => done(config::run(&action)),
        Some(Command::Cache { action }) => done(cache::run(&action)),
        Some(Command::Status(args)) => status::run(&args),
        Some(Command::Trust(args)) => done(trust::run(&args)),
        Some(Command::Use(args)) => done(use_role::run(&args)),
        Some(Command::Unuse(args)) => done(use_role::run_unuse(&args)),
        Some(Command::ShellInit(args)) => done(shell_init::run(&args)),
        Some(Command::Sinks { verbose }) => done(sinks::run(verbose)),
        Some(Command::Completions { shell }) => done(completions::run(shell, full_command())),
        Some(Command::Man) => done(man::run(full_command())),
    }
}

/// The whole command line, every subcommand's arguments built (they are
/// deferred for a normal run), for completions and the man page.
fn full_command() -> clap::Command {
    let mut command = Cli::command();
    command.build();
    command
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
            network: get.network.clone(),
            config: get.config.clone(),
        },
        region: RegionFlag {
            region: get.region.region.clone(),
        },
        style: discover::Style::Process,
        profile_name: get.profile_name.clone(),
        prune: false,
        dry_run: false,
        assume: get.assume.assume.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    /// `line` after the program's name, as `main` gets it.
    fn argv(line: &[&str]) -> Vec<std::ffi::OsString> {
        std::iter::once("ssocred")
            .chain(line.iter().copied())
            .map(Into::into)
            .collect()
    }

    #[test]
    fn a_status_line_is_read_as_the_whole_parser_reads_it() {
        const ARN: &str = "arn:aws:iam::123456789012:role/ReadOnly";
        let valid: &[&[&str]] = &[
            &["status"],
            &["status", "-p", "dev", "--format", "{{remaining}}"],
            &["status", "--json", "--all"],
            &["status", "--all-roles", "--check", "--threshold", "30"],
            &[
                "status",
                "-r",
                ARN,
                "--assume",
                ARN,
                "--ca-bundle",
                "/x.pem",
            ],
            &[
                "status",
                "--watch",
                "--interval",
                "5",
                "--notify-command",
                "true",
            ],
            &[
                "status",
                "--preset",
                "ci",
                "--config",
                "c.toml",
                "--account",
                "1",
                "--role",
                "R",
            ],
        ];
        for line in valid {
            let whole = Cli::try_parse_from(argv(line)).unwrap();
            let own = StatusLine::parse(&argv(line)).expect("read by status's parser");
            assert_eq!(format!("{own:?}"), format!("{whole:?}"), "{line:?}");
        }
        // What the whole parser refuses, status's refuses too (and then the
        // whole parser says why); other commands are not status's.
        let refused: &[&[&str]] = &[
            &["status", "--json", "--format", "x"],
            &["status", "--all", "-p", "dev"],
            &["status", "--interval", "0"],
            &["status", "--help"],
            &["status", "--bogus"],
            &["status", "-r", ARN, "--account", "1"],
        ];
        for line in refused {
            assert!(Cli::try_parse_from(argv(line)).is_err(), "{line:?}");
            assert!(StatusLine::parse(&argv(line)).is_none(), "{line:?}");
        }
        assert!(StatusLine::parse(&argv(&["sinks"])).is_none());
        assert!(StatusLine::parse(&argv(&["-p", "status"])).is_none());
    }

    #[test]
    fn a_sinks_line_is_read_as_the_whole_parser_reads_it() {
        for line in [&["sinks"][..], &["sinks", "-v"], &["sinks", "--verbose"]] {
            let whole = Cli::try_parse_from(argv(line)).unwrap();
            let quick = sinks_line(&argv(line)).expect("read without clap");
            assert_eq!(format!("{quick:?}"), format!("{whole:?}"), "{line:?}");
        }
        for line in [
            &["sinks", "-v", "-v"][..],
            &["sinks", "--help"],
            &["sinks", "x"],
            &["-v", "sinks"],
        ] {
            assert!(sinks_line(&argv(line)).is_none(), "{line:?}");
        }
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
        let cli = full_command();
        let flags = |name: &str| -> Vec<String> {
            cli.find_subcommand(name)
                .unwrap()
                .get_arguments()
                .filter(|a| !a.is_hide_set())
                .filter_map(|a| a.get_long().map(str::to_owned))
                .collect()
        };
        let predecessor = ["discover-roles", "env_vars", "external-source"];
        for command in ["serve", "exec", "list", "discover", "login", "logout"] {
            let offered = flags(command);
            for flag in predecessor {
                assert!(
                    !offered.iter().any(|f| f == flag),
                    "{command} offers --{flag}"
                );
            }
        }
        for command in ["serve", "exec"] {
            let offered = flags(command);
            for flag in ["all", "profile-name", "concurrency", "watch"] {
                assert!(
                    !offered.iter().any(|f| f == flag),
                    "{command} offers --{flag}"
                );
            }
        }
        for command in ["list", "login", "logout"] {
            let offered = flags(command);
            for flag in [
                "sink",
                "region",
                "role-arn",
                "no-cache",
                "refresh-before",
                "watch",
            ] {
                // `login --console` honours --region: Sign-In's region.
                if command == "login" && flag == "region" {
                    continue;
                }
                assert!(
                    !offered.iter().any(|f| f == flag),
                    "{command} offers --{flag}"
                );
            }
        }
        let main: Vec<String> = cli
            .get_arguments()
            .filter_map(|a| a.get_long().map(str::to_owned))
            .collect();
        for flag in predecessor {
            assert!(
                main.iter().any(|f| f == flag),
                "the main command lacks --{flag}"
            );
        }
    }

    use crate::settings::config_file::Config;
    use crate::settings::project_file::ProjectFile;
    use crate::settings::{Flags, Settings, Topic};

    /// The settings flags of a parsed command line, as its command reads them.
    fn flags_of(cli: Cli) -> Flags {
        match cli.command {
            None => cli.get.flags(),
            Some(Command::Exec(a)) => a.flags(),
            Some(Command::Serve(a)) => a.flags(),
            Some(Command::List(a)) => a.flags(),
            Some(Command::Discover(a)) => a.flags(),
            Some(Command::Login(a)) => a.flags(),
            Some(Command::Logout(a)) => a.flags(),
            Some(Command::Status(a)) => a.flags(),
            Some(Command::Console(a)) => a.flags(),
            Some(Command::Config {
                action: config::ConfigCommand::Show(a),
            }) => a.flags(),
            Some(other) => panic!("{other:?} reads no settings"),
        }
    }

    /// Every setting at the top level and in `[preset.p]`, each with a value
    /// of its own source.
    const CONFIG: &str = r#"
profile = "top-profile"
region = "top-1"
role_arn = "arn:aws:iam::111111111111:role/Top"
assume = ["arn:aws:iam::111111111111:role/TopHop"]
sinks = ["dotenv"]
refresh_before = 14
[login]
method = "pkce"
open_browser = false
redirect_port = 8403
browser = "top-login-browser"
[cache]
enabled = false
window_minutes = 10
[status]
notify_command = "top-notify"
interval = 23
[console]
browser = "top-browser"
browser_profile = "top-profile"
[listing]
max_age_hours = 7
[sources]
sync = "daily"
[preset.p]
profile = "preset-profile"
region = "preset-1"
role_arn = "arn:aws:iam::222222222222:role/Preset"
assume = [{ role_arn = "arn:aws:iam::222222222222:role/PresetHop", duration = 900 }]
sinks = ["env"]
refresh_before = 13
[preset.p.login]
method = "aws-cli"
open_browser = true
redirect_port = 8402
browser = "preset-login-browser"
[preset.p.cache]
enabled = true
window_minutes = 9
[preset.p.status]
notify_command = "preset-notify"
interval = 22
[preset.p.console]
browser = "preset-browser"
browser_profile = "auto"
[preset.p.listing]
max_age_hours = 6
"#;

    /// A project file with every key it may hold that the table checks.
    const PROJECT: &str = r#"
profile = "project-profile"
region = "project-1"
role_arn = "arn:aws:iam::444444444444:role/Project"
assume = ["arn:aws:iam::444444444444:role/ProjectHop"]
"#;

    /// A value a project file cannot set: the project row is skipped.
    const NOT_IN_PROJECT: &str = "-";

    /// A value a preset cannot set (a top-level-only key): the preset row
    /// is skipped (the config test refuses such a preset).
    const NOT_IN_PRESET: &str = "-preset";

    /// One setting: the flag that sets it, the environment variable, and
    /// the value (as `config show` prints it) each source gives.
    struct Case {
        topic: Topic,
        key: &'static str,
        flag: &'static [&'static str],
        env: Option<(&'static str, &'static str)>,
        /// flag, environment, project file, preset, top level, default.
        values: [&'static str; 6],
    }

    fn cases() -> Vec<Case> {
        vec![
            Case {
                topic: Topic::Profile,
                key: "profile",
                flag: &["-p", "flag-profile"],
                env: Some(("SSOCRED_PROFILE", "env-profile")),
                values: [
                    "\"flag-profile\"",
                    "\"env-profile\"",
                    "\"project-profile\"",
                    "\"preset-profile\"",
                    "\"top-profile\"",
                    "\"default\"",
                ],
            },
            Case {
                topic: Topic::Region,
                key: "region",
                flag: &["--region", "eu-north-1"],
                env: Some(("SSOCRED_REGION", "env-1")),
                values: [
                    "\"eu-north-1\"",
                    "\"env-1\"",
                    "\"project-1\"",
                    "\"preset-1\"",
                    "\"top-1\"",
                    "",
                ],
            },
            Case {
                topic: Topic::Role,
                key: "role_arn",
                flag: &["-r", "arn:aws:iam::333333333333:role/Flag"],
                env: None,
                values: [
                    "\"arn:aws:iam::333333333333:role/Flag\"",
                    "",
                    "\"arn:aws:iam::444444444444:role/Project\"",
                    "\"arn:aws:iam::222222222222:role/Preset\"",
                    "\"arn:aws:iam::111111111111:role/Top\"",
                    "",
                ],
            },
            Case {
                topic: Topic::Chain,
                key: "assume",
                flag: &[
                    "--assume",
                    "arn:aws:iam::333333333333:role/FlagHop,external-id=x-1",
                ],
                env: None,
                values: [
                    "[\"arn:aws:iam::333333333333:role/FlagHop,external-id=x-1\"]",
                    "",
                    "[\"arn:aws:iam::444444444444:role/ProjectHop\"]",
                    "[\"arn:aws:iam::222222222222:role/PresetHop,duration=900\"]",
                    "[\"arn:aws:iam::111111111111:role/TopHop\"]",
                    "",
                ],
            },
            Case {
                topic: Topic::Sinks,
                key: "sinks",
                flag: &["--sink", "json"],
                env: None,
                values: [
                    "[\"json\"]",
                    "",
                    NOT_IN_PROJECT,
                    "[\"env\"]",
                    "[\"dotenv\"]",
                    "[\"credentials-file\"]",
                ],
            },
            Case {
                topic: Topic::Refresh,
                key: "refresh_before",
                flag: &["--refresh-before", "11"],
                env: Some(("SSOCRED_REFRESH_BEFORE", "12")),
                values: ["11", "12", NOT_IN_PROJECT, "13", "14", "300"],
            },
            Case {
                topic: Topic::Login,
                key: "method",
                flag: &["--device-code"],
                env: Some(("SSOCRED_LOGIN_METHOD", "pkce")),
                values: [
                    "\"device-code\"",
                    "\"pkce\"",
                    NOT_IN_PROJECT,
                    "\"aws-cli\"",
                    "\"pkce\"",
                    "\"auto\"",
                ],
            },
            Case {
                topic: Topic::Login,
                key: "open_browser",
                flag: &["--no-browser"],
                env: Some(("SSOCRED_NO_BROWSER", "1")),
                values: ["false", "false", NOT_IN_PROJECT, "true", "false", "true"],
            },
            Case {
                topic: Topic::Login,
                key: "redirect_port",
                flag: &["--redirect-port", "8401"],
                env: None,
                values: ["8401", "", NOT_IN_PROJECT, "8402", "8403", ""],
            },
            Case {
                topic: Topic::Login,
                key: "login.browser",
                flag: &[],
                env: None,
                values: [
                    "",
                    "",
                    NOT_IN_PROJECT,
                    "\"preset-login-browser\"",
                    "\"top-login-browser\"",
                    "",
                ],
            },
            Case {
                topic: Topic::Watch,
                key: "notify_command",
                flag: &["--notify-command", "flag-notify"],
                env: None,
                values: [
                    "\"flag-notify\"",
                    "",
                    NOT_IN_PROJECT,
                    "\"preset-notify\"",
                    "\"top-notify\"",
                    "",
                ],
            },
            Case {
                topic: Topic::Watch,
                key: "interval",
                flag: &["--interval", "21"],
                env: None,
                values: ["21", "", NOT_IN_PROJECT, "22", "23", "30"],
            },
            Case {
                topic: Topic::Console,
                key: "console.browser",
                flag: &["--browser", "flag-browser"],
                env: None,
                values: [
                    "\"flag-browser\"",
                    "",
                    NOT_IN_PROJECT,
                    "\"preset-browser\"",
                    "\"top-browser\"",
                    "",
                ],
            },
            Case {
                topic: Topic::Console,
                key: "console.browser_profile",
                flag: &["--browser-profile", "flag-profile"],
                env: None,
                values: [
                    "\"flag-profile\"",
                    "",
                    NOT_IN_PROJECT,
                    "\"auto\"",
                    "\"top-profile\"",
                    "",
                ],
            },
            Case {
                topic: Topic::Cache,
                key: "enabled",
                flag: &["--no-cache"],
                env: Some(("SSOCRED_NO_CACHE", "1")),
                values: ["false", "false", NOT_IN_PROJECT, "true", "false", "true"],
            },
            Case {
                topic: Topic::Cache,
                key: "window_minutes",
                flag: &["--cache-window", "7"],
                env: Some(("SSOCRED_CACHE_WINDOW", "8")),
                values: ["7", "8", NOT_IN_PROJECT, "9", "10", "15"],
            },
            Case {
                topic: Topic::Listing,
                key: "max_age_hours",
                flag: &["--refresh"],
                env: Some(("SSOCRED_LISTING_MAX_AGE_HOURS", "5")),
                values: ["0", "5", NOT_IN_PROJECT, "6", "7", "24"],
            },
            Case {
                topic: Topic::Sources,
                key: "sync",
                flag: &[],
                env: Some(("SSOCRED_SOURCES_SYNC", "manual")),
                values: [
                    "",
                    "\"manual\"",
                    NOT_IN_PROJECT,
                    NOT_IN_PRESET,
                    "\"daily\"",
                    "\"manual\"",
                ],
            },
        ]
    }

    /// The commands that read settings, how to name them on the command
    /// line, and the `config show --command` value that shows theirs.
    const COMMANDS: [(&[&str], &str, config::ForCommand); 9] = [
        (&[], "get", config::ForCommand::Get),
        (&["exec"], "exec", config::ForCommand::Exec),
        (&["serve"], "serve", config::ForCommand::Serve),
        (&["list"], "list", config::ForCommand::List),
        (&["discover"], "discover", config::ForCommand::Discover),
        (&["login"], "login", config::ForCommand::Login),
        (&["logout"], "logout", config::ForCommand::Logout),
        (&["status"], "status", config::ForCommand::Status),
        (&["console"], "console", config::ForCommand::Console),
    ];

    /// `key = value  # source` from a `config show` text, or `None`; a
    /// `section.key` is looked for under `[section]` only.
    fn shown<'a>(text: &'a str, key: &str) -> Option<(&'a str, &'a str)> {
        let (section, key) = match key.split_once('.') {
            Some((section, key)) => (Some(section), key),
            None => (None, key),
        };
        let mut current = None;
        text.lines().find_map(|line| {
            if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                current = Some(name);
                return None;
            }
            if section.is_some() && current != section {
                return None;
            }
            let rest = line.strip_prefix(key)?.strip_prefix(" = ")?;
            rest.split_once("  # ")
        })
    }

    /// Every command × every setting it reads × every source: the value and
    /// the source that wins, as `config show --command` prints it for the
    /// same command line.
    #[test]
    fn each_command_resolves_each_setting_from_each_source_as_config_show_says() {
        let expected_source = [
            "flag",
            "environment",
            "project file /proj/.ssocred.toml",
            "config [preset.p]",
            "config",
            "default",
        ];
        let mut checked = 0;
        for (words, name, show_as) in COMMANDS {
            let command = match words.first() {
                Some(sub) => full_command().find_subcommand(sub).unwrap().clone(),
                None => full_command(),
            };
            let has_flag = |flag: &str| {
                let flag = flag.trim_start_matches('-');
                command.get_arguments().any(|a| {
                    !a.is_hide_set()
                        && (a.get_long() == Some(flag)
                            || a.get_short().map(String::from).as_deref() == Some(flag))
                })
            };
            for case in cases() {
                if !show_as.topics().contains(&case.topic) {
                    continue;
                }
                for (source, want) in case.values.iter().enumerate() {
                    let mut argv: Vec<&str> = Vec::new();
                    let mut env: Vec<(&str, &str)> = Vec::new();
                    let mut config = "";
                    let mut project = "";
                    // Each row also holds every lower source, which it must beat.
                    match source {
                        0 => {
                            if case.flag.is_empty() || !has_flag(case.flag[0]) {
                                continue;
                            }
                            argv.extend(case.flag);
                            argv.extend(["--preset", "p"]);
                            env.extend(case.env);
                            (config, project) = (CONFIG, PROJECT);
                        }
                        1 => {
                            let Some(var) = case.env else { continue };
                            argv.extend(["--preset", "p"]);
                            env.push(var);
                            (config, project) = (CONFIG, PROJECT);
                        }
                        2 => {
                            if *want == NOT_IN_PROJECT {
                                continue;
                            }
                            argv.extend(["--preset", "p"]);
                            (config, project) = (CONFIG, PROJECT);
                        }
                        3 => {
                            if *want == NOT_IN_PRESET {
                                continue;
                            }
                            argv.extend(["--preset", "p"]);
                            config = CONFIG;
                        }
                        4 => config = CONFIG,
                        _ => {}
                    }
                    if matches!(name, "exec" | "serve" | "console")
                        && case.topic == Topic::Sinks
                        && source > 0
                    {
                        // Their sinks come from --sink alone.
                        continue;
                    }
                    let settings_for = |argv: &[&str]| {
                        let lookup = |k: &str| {
                            env.iter()
                                .find(|(n, _)| *n == k)
                                .map(|(_, v)| (*v).to_owned())
                        };
                        let config = if config.is_empty() {
                            Config::default()
                        } else {
                            Config::parse(std::path::Path::new("/c.toml"), config.to_owned())
                                .unwrap()
                        };
                        let project = (!project.is_empty()).then(|| {
                            ProjectFile::parse(
                                std::path::Path::new("/proj/.ssocred.toml"),
                                project.to_owned(),
                            )
                            .unwrap()
                        });
                        let cli =
                            Cli::try_parse_from(argv).unwrap_or_else(|e| panic!("{argv:?}: {e}"));
                        Settings::resolve_with_project(&flags_of(cli), &lookup, config, project)
                            .unwrap_or_else(|e| panic!("{name} {}: {e}", case.key))
                            .show(show_as.topics())
                    };
                    let mut line: Vec<&str> = vec!["ssocred"];
                    line.extend(words);
                    line.extend(&argv);
                    if name == "exec" {
                        line.extend(["--", "true"]);
                    }
                    let text = settings_for(&line);
                    let row = format!("{name} {} from source {source}:\n{text}", case.key);
                    match shown(&text, case.key) {
                        Some((value, from)) => {
                            assert_eq!(value, *want, "{row}");
                            assert!(from.starts_with(expected_source[source]), "{row}");
                        }
                        None => assert!(want.is_empty(), "{row}"),
                    }
                    // `config show --command NAME` with the same flags shows the same.
                    let mut show: Vec<&str> = vec!["ssocred", "config", "show", "--command", name];
                    show.extend(&argv);
                    assert_eq!(settings_for(&show), text, "config show for {row}");
                    checked += 1;
                }
            }
        }
        assert!(checked > 170, "only {checked} cells checked");
    }

    /// A project file's preset is used below --preset and SSOCRED_PRESET,
    /// and `config show` names the file.
    #[test]
    fn a_project_file_picks_a_preset_below_the_flag_and_the_environment() {
        let show = |argv: &[&str], env: Option<(&str, &str)>| {
            let project = ProjectFile::parse(
                std::path::Path::new("/proj/.ssocred.toml"),
                "preset = \"p\"\n".to_owned(),
            )
            .unwrap();
            let config = Config::parse(std::path::Path::new("/c.toml"), CONFIG.to_owned()).unwrap();
            let lookup = |k: &str| env.filter(|(n, _)| *n == k).map(|(_, v)| v.to_owned());
            let cli = Cli::try_parse_from(argv).unwrap();
            Settings::resolve_with_project(&flags_of(cli), &lookup, config, Some(project))
                .map(|s| s.show(&[Topic::Profile]))
        };
        let text = show(&["ssocred"], None).unwrap();
        assert!(
            text.contains("# project file: /proj/.ssocred.toml (trusted)\n"),
            "{text}"
        );
        assert!(
            text.contains("preset = \"p\"  # project file /proj/.ssocred.toml\n"),
            "{text}"
        );
        assert!(
            text.contains("profile = \"preset-profile\"  # config [preset.p]\n"),
            "{text}"
        );
        let e = show(&["ssocred", "--preset", "nope"], None).unwrap_err();
        assert!(e.to_string().contains("nope"), "{e}");
        let e = show(&["ssocred"], Some(("SSOCRED_PRESET", "gone"))).unwrap_err();
        assert!(e.to_string().contains("gone"), "{e}");
    }
}
