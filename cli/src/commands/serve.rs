//! `ssocred serve`: a container-credentials endpoint for a role, kept fresh
//! until SIGINT or SIGTERM.

use clap::Args;
use ssocred_core::shell::Shell;
use ssocred_core::sink::SelectedSink;
use ssocred_core::{Error, SinkSpec};
use ssocred_sink_serve::{DEFAULT_LISTEN, Endpoint, ServeSink, parse_listen};

use crate::deliver::{Rounds, deliver};
use crate::flags::OneRoleFlags;
use crate::request;
use crate::runtime::runtime;
use crate::settings::{Flags, Settings};

// The arguments of `ssocred serve`: the variant doc in commands/mod.rs is its help.
#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub role: OneRoleFlags,

    /// The syntax of the printed variables: sh, no-export, fish, powershell
    /// or cmd.
    #[arg(long, value_name = "SHELL", default_value = "sh")]
    pub shell: String,

    /// IP:PORT or PORT to listen on [default: a free port of 127.0.0.1].
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,

    /// Allow a --listen address other hosts can reach (the token is still
    /// required).
    #[arg(long)]
    pub allow_non_loopback: bool,
}

impl ServeArgs {
    /// What the flags say about the settings.
    pub fn flags(&self) -> Flags {
        Flags::one_role(&self.role)
    }
}

/// Runs the command.
pub fn run(args: &ServeArgs) -> Result<(), Error> {
    let shell = Shell::parse(&args.shell).ok_or_else(|| {
        Error::Usage(format!(
            "--shell `{}` is not one of {}",
            args.shell,
            Shell::NAMES
        ))
    })?;
    let listen = match &args.listen {
        Some(text) => parse_listen(text).map_err(|m| Error::Usage(format!("--listen: {m}")))?,
        None => DEFAULT_LISTEN,
    };
    let settings = Settings::from_process(&args.flags())?;
    let paths = request::paths()?;
    let mut sinks = settings.build_sinks(&request::sink_context(&paths)?)?;
    ssocred_core::sink::refuse_once(&sinks, "`ssocred serve`")?;
    let endpoint = Endpoint::start(listen, args.allow_non_loopback)?;
    sinks.insert(
        0,
        SelectedSink {
            spec: SinkSpec::named("serve"),
            sink: Box::new(ServeSink::new(endpoint, Some(shell))),
        },
    );
    let rounds = Rounds {
        watch: true,
        refresh_before: settings.refresh_before.value,
        profile_name: "",
    };
    rounds.check(&sinks)?;
    let request = request::one_role(&settings, &paths, &args.role)?;
    let runtime = runtime()?;
    let fetch = crate::selection::fetch(&request, &runtime, args.role.quiet.quiet)?;
    deliver(&runtime, &fetch, &mut sinks, rounds)
}
