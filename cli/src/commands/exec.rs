//! `ssocred exec`: run a command with a role's credentials in its
//! environment, either as static keys or as a local container-credentials
//! endpoint that stays fresh while the command runs.

use std::ffi::OsString;
use std::io::ErrorKind;
use std::process::{Command, ExitCode};

use clap::{Args, ValueEnum};
use ssocred_core::domain::shell::credential_variables;
use ssocred_core::sink::SelectedSink;
use ssocred_core::sink::stream::Event;
use ssocred_core::{CredentialStream, Error, SinkSpec};
use ssocred_sink_serve::{DEFAULT_LISTEN, Endpoint, ServeSink};

use crate::deliver::{Rounds, log};
use crate::flags::OneRoleFlags;
use crate::request;
use crate::runtime::runtime;
use crate::settings::{Flags, Settings};
use ssocred_core::os::process::{Caught, exit_code};

/// The environment variable that marks a process as run by `ssocred exec`;
/// its value is the ARN of the role the credentials are for (the last role
/// of an `--assume` chain), which `console --from-env` reads.
pub const MARKER: &str = "SSOCRED_EXEC";

/// How the command receives the credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Via {
    /// Static keys in AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
    /// AWS_SESSION_TOKEN; they expire with the session.
    Env,
    /// A container-credentials endpoint on 127.0.0.1, refreshed before each
    /// expiry for as long as the command runs.
    Serve,
}

// The arguments of `ssocred exec`: the variant doc in commands/mod.rs is its help.
#[derive(Debug, Args)]
#[command(
    after_help = "Exit code: the command's own, or 128 + the signal that killed it; \
127 if it is not found, 126 if it cannot be run. Before the command starts, ssocred's own \
codes apply (see ssocred --help)."
)]
pub struct ExecArgs {
    #[command(flatten)]
    pub role: OneRoleFlags,

    /// How the command gets the credentials.
    #[arg(long, value_enum, default_value_t = Via::Env)]
    pub via: Via,

    /// Refused with a pointer to `--via serve`, which keeps a long-running
    /// command's credentials fresh (hidden: it is not an option here).
    #[arg(long, hide = true)]
    pub watch: bool,

    /// Run even inside another `ssocred exec` (SSOCRED_EXEC is set).
    #[arg(long)]
    pub force: bool,

    /// The command to run and its arguments (after `--`).
    #[arg(
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "COMMAND"
    )]
    pub command: Vec<OsString>,
}

impl ExecArgs {
    /// What the flags say about the settings.
    pub fn flags(&self) -> Flags {
        Flags::one_role(&self.role)
    }
}

/// Runs the command.
pub fn run(args: &ExecArgs) -> Result<ExitCode, Error> {
    if let Some(outer) = std::env::var_os(MARKER).filter(|_| !args.force) {
        return Err(Error::Usage(format!(
            "already inside `ssocred exec` for {} ({MARKER} is set); the command would run with other credentials than its parent's. Pass --force to nest anyway",
            outer.to_string_lossy()
        )));
    }
    if args.watch {
        return Err(Error::Usage(
            "--watch does not apply to exec; use --via serve to keep a long-running command's credentials fresh".to_owned(),
        ));
    }
    let settings = Settings::from_process(&args.flags())?;
    let paths = request::paths()?;
    let mut sinks = settings.build_sinks(&request::sink_context(&paths)?)?;
    ssocred_core::sink::refuse_once(&sinks, "`ssocred exec`")?;
    let runtime = runtime()?;
    let fetch = crate::selection::one(
        &settings,
        &paths,
        &args.role.role,
        &runtime,
        args.role.quiet.quiet,
    )?;
    let policy = Rounds {
        watch: false,
        refresh_before: settings.refresh_before.value,
        profile_name: "",
    }
    .policy();
    let served_vars = match args.via {
        Via::Env => None,
        Via::Serve => {
            let sink = ServeSink::new(Endpoint::start(DEFAULT_LISTEN, false)?, None);
            let vars = sink.endpoint().variables(Some(fetch.region()));
            sinks.push(SelectedSink {
                spec: SinkSpec::named("serve"),
                sink: Box::new(sink),
            });
            Some(vars)
        }
    };

    let mut stream = CredentialStream::new(|| fetch.fetch(), policy);
    let mut stdout = std::io::stdout();
    let sets = runtime.block_on(stream.first_round(&mut sinks, &mut stdout))?;
    let vars = match served_vars {
        Some(vars) => vars,
        None => sets.first().map(credential_variables).unwrap_or_default(),
    };

    let mut command = Command::new(&args.command[0]);
    command.args(&args.command[1..]);
    // Credentials or pointers to credentials the SDKs would use instead of
    // (or before) the ones ssocred gives it.
    for name in ssocred_core::domain::variables::COMPETING {
        command.env_remove(name);
    }
    command.envs(vars).env(MARKER, fetch.final_role());

    let caught = Caught::install()?;
    let shown = args.command[0].to_string_lossy();
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(e) => {
            // The shell's codes: 127 not found, 126 found but not runnable.
            let code = if e.kind() == ErrorKind::NotFound {
                127
            } else {
                126
            };
            ssocred_core::stderr_line!("ssocred: error: cannot run `{shown}`: {e}");
            return Ok(ExitCode::from(code));
        }
    };
    let forwarder = caught.forward_to(&child);
    let verbose = args.role.verbose.verbose;
    let status = if args.via == Via::Serve {
        runtime.block_on(async {
            let waiting = tokio::task::spawn_blocking(move || child.wait());
            let mut waiting = std::pin::pin!(waiting);
            let never = std::future::pending::<()>();
            tokio::select! {
                status = &mut waiting => status,
                failed = stream.run(&mut sinks, &mut stdout, never, |event| {
                    // The command's stderr is the user's: refreshes are
                    // only worth a line there when asked for or failing.
                    if verbose || matches!(event, Event::Failed { .. }) {
                        log(event);
                    }
                }) => {
                    if let Err(e) = failed {
                        ssocred_core::stderr_line!(
                            "ssocred: error: {e}; `{shown}` keeps running, but the endpoint has no valid credentials"
                        );
                    }
                    waiting.await
                }
            }
        })
        .map_err(std::io::Error::other)
        .and_then(|status| status)
    } else {
        child.wait()
    };
    forwarder.stop();
    let status =
        status.map_err(|e| Error::Internal(format!("waiting for `{shown}` failed: {e}")))?;
    Ok(ExitCode::from(exit_code(status)))
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::commands::{Cli, Command as Sub};

    fn parse(args: &[&str]) -> ExecArgs {
        match Cli::try_parse_from(args).unwrap().command {
            Some(Sub::Exec(exec)) => exec,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_command_keeps_its_own_flags() {
        let e = parse(&[
            "ssocred", "exec", "-p", "x", "--", "ls", "-la", "--via", "y",
        ]);
        assert_eq!(e.command, ["ls", "-la", "--via", "y"]);
        assert_eq!(
            (e.via, e.role.profile.profile.as_deref()),
            (Via::Env, Some("x"))
        );
        let e = parse(&["ssocred", "exec", "--via", "serve", "aws", "-v", "s3", "ls"]);
        assert_eq!(e.command, ["aws", "-v", "s3", "ls"]);
        assert!(!e.role.verbose.verbose);
        assert_eq!(e.via, Via::Serve);
        assert!(Cli::try_parse_from(["ssocred", "exec", "-p", "x"]).is_err());
    }
}
