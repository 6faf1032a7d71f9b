//! `ssocred serve`: a container-credentials endpoint for a role, kept fresh
//! until SIGINT or SIGTERM.

use clap::Args;
use ssocred_core::shell::Shell;
use ssocred_core::sink::SelectedSink;
use ssocred_core::{Error, SinkSpec};
use ssocred_sink_serve::{DEFAULT_LISTEN, Endpoint, ServeSink, parse_listen};

use crate::args::GetArgs;
use crate::rounds::{deliver, explicit_sink_specs};
use crate::run::{RoleFetch, build_sinks, resolve_settings, sink_context};

/// The arguments of `ssocred serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub get: GetArgs,

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

pub(crate) fn serve(args: &ServeArgs) -> Result<(), Error> {
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
    let (paths, ctx) = sink_context()?;
    let mut sinks = build_sinks(&explicit_sink_specs(&args.get), &ctx)?;
    let endpoint = Endpoint::start(listen, args.allow_non_loopback)?;
    sinks.insert(
        0,
        SelectedSink {
            spec: SinkSpec::named("serve"),
            sink: Box::new(ServeSink::new(endpoint, Some(shell))),
        },
    );
    let fetch =
        RoleFetch::resolve(&args.get, &resolve_settings(&args.get)?, &paths)?.one("serve")?;
    deliver(&fetch, &mut sinks, &args.get)
}
