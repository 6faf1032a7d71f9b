//! `ssocred serve`: a container-credentials endpoint for a role, kept fresh
//! until SIGINT or SIGTERM.

use clap::Args;
use ssocred_core::domain::shell::Shell;
use ssocred_core::sink::SelectedSink;
use ssocred_core::{Error, SinkSpec};
use ssocred_sink_serve::{DEFAULT_LISTEN, Endpoint, ServeSink, parse_listen};

use std::io::Write;

use ssocred_core::sink::Sink;
use ssocred_core::{CredentialSet, CredentialStream, SecretString, SinkError};

use crate::deliver::{Rounds, deliver, log};
use crate::flags::OneRoleFlags;
use crate::flags::RoleFlags;
use crate::request;
use crate::runtime::runtime;
use crate::settings::{Flags, Settings};
use crate::shell_session::{self, HANDOFF_VERSION, ServeRequest, Served, ShellSession};
use ssocred_core::os::process::StopSignal;

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

    /// Serve the shell with this process id for `ssocred use`: hand the
    /// endpoint to `use` as one JSON line on stdout, keep a record in the
    /// state directory, and stop when the shell exits or the record is
    /// withdrawn (hidden: `use` starts it).
    #[arg(long, value_name = "PID", hide = true, conflicts_with_all = ["listen", "allow_non_loopback"])]
    pub for_shell: Option<u32>,
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
    if let Some(shell_pid) = args.for_shell {
        // `use` resolved what to serve: this server reads it typed, and
        // resolves nothing again (no flag, variable or project file).
        let (request, line) = ServeRequest::read(std::io::stdin().lock())?;
        let endpoint = Endpoint::start(listen, false)?;
        return serve_shell(request.settings, &line, endpoint, shell_pid);
    }
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
    let request = request::one_role(&settings, &paths, &args.role.role)?;
    let runtime = runtime()?;
    let fetch =
        crate::selection::fetch(&request, &settings, &paths, &runtime, args.role.quiet.quiet)?;
    deliver(&runtime, &fetch, &mut sinks, rounds)
}

/// `serve --for-shell PID`: the endpoint of a shell that ran `ssocred use`,
/// until the shell exits, `unuse` withdraws its record, or SIGINT/SIGTERM.
fn serve_shell(
    mut settings: Settings,
    request_line: &str,
    endpoint: Endpoint,
    shell_pid: u32,
) -> Result<(), Error> {
    // Detached, with no terminal, and retrying for as long as the shell
    // lives: a login of its own (`--auto-login`) would open a browser, or
    // run the login command, at every retry. The user logs in instead.
    settings.login.auto_login.value = false;
    let paths = request::paths()?;
    let record = shell_session::record_path(&shell_session::state_dir()?, shell_pid);
    let wake = endpoint.wake();
    let handoff = HandoffSink {
        url: endpoint.url().to_owned(),
        token: endpoint.token().clone(),
        shell_pid,
        record: record.clone(),
        request: ServeRequest::digest(request_line),
        pending: None,
        written: None,
    };
    let mut sinks = vec![
        SelectedSink {
            spec: SinkSpec::named("serve"),
            sink: Box::new(ServeSink::new(endpoint, None)),
        },
        // After the endpoint, so `use` hears of it only once it serves.
        SelectedSink {
            spec: SinkSpec::named("use"),
            sink: Box::new(handoff),
        },
    ];
    let rounds = Rounds {
        watch: true,
        refresh_before: settings.refresh_before.value,
        profile_name: "",
    };
    let runtime = runtime()?;
    let one = crate::selection::one(&settings, &paths, &RoleFlags::default(), &runtime, true)?;
    // The server lives as long as its shell: an ended login is waited out
    // (a client's request retries at once), never a reason to stop.
    let mut stream = CredentialStream::new(|| one.fetch(), rounds.policy()).keep_trying(wake);
    let mut stop = StopSignal::install()?;
    let shell_exited = std::cell::Cell::new(false);
    let stopped = {
        let signal = stop.received();
        let shell_gone = shell_session::ended(shell_pid, record.clone());
        let shell_exited = &shell_exited;
        async move {
            tokio::select! {
                signal = signal => ssocred_core::stderr_line!("ssocred: stopping on {signal}"),
                end = shell_gone => shell_exited.set(end == shell_session::End::ShellExited),
            }
        }
    };
    let mut stdout = std::io::stdout();
    let served = runtime.block_on(stream.run(&mut sinks, &mut stdout, stopped, log));
    // Leave nothing behind: the record goes with the server (unless another
    // server already took it over), and the log once the shell is gone (no
    // other server of that shell can start any more).
    let _ = shell_session::withdraw(&record, Some(std::process::id()));
    if shell_exited.get()
        && let Ok(dir) = shell_session::state_dir()
    {
        let _ = shell_session::remove_log(&dir, shell_pid);
    }
    served
}

/// Hands the endpoint to `ssocred use` ([`Served`], one JSON line on
/// stdout, the pipe `use` reads) after the first round, and keeps the
/// shell's record up to date with each round's expiry and with an ended
/// login.
#[derive(Debug)]
struct HandoffSink {
    url: String,
    token: SecretString,
    shell_pid: u32,
    record: std::path::PathBuf,
    /// The digest of the request served, for `use` to find this server.
    request: String,
    pending: Option<(String, String, Option<String>)>,
    /// The record last written; `None` until the endpoint is handed over.
    written: Option<ShellSession>,
}

impl HandoffSink {
    /// Rewrites the record as `next`, unless the shell no longer names
    /// this server (`unuse`, or `use` of another request): that server is
    /// about to stop, and the record is no longer its own.
    fn update(&mut self, next: ShellSession) -> Result<(), SinkError> {
        if next
            .update(&self.record)
            .map_err(|e| SinkError::io(&self.record, &e))?
        {
            self.written = Some(next);
        }
        Ok(())
    }
}

impl Sink for HandoffSink {
    fn accept(&mut self, set: &CredentialSet) -> Result<(), SinkError> {
        self.pending = Some((
            set.role_arn.clone(),
            set.expiration_utc(),
            set.region.clone(),
        ));
        Ok(())
    }

    fn commit(&mut self, stdout: &mut dyn Write) -> Result<(), SinkError> {
        let Some((role_arn, expiration, region)) = self.pending.take() else {
            return Ok(());
        };
        let next = ShellSession {
            server_pid: std::process::id(),
            shell_pid: self.shell_pid,
            role_arn: role_arn.clone(),
            url: self.url.clone(),
            expiration: Some(expiration),
            request: self.request.clone(),
            login_expired: false,
        };
        if self.written.is_some() {
            return self.update(next);
        }
        next.write(&self.record)
            .map_err(|e| SinkError::io(&self.record, &e))?;
        self.written = Some(next);
        let served = Served {
            version: HANDOFF_VERSION,
            url: self.url.clone(),
            token: self.token.clone(),
            region,
            role_arn,
        };
        let line = served
            .to_line()
            .map_err(|e| SinkError::stdout(&std::io::Error::other(e.to_string())))?;
        stdout
            .write_all(line.as_bytes())
            .and_then(|()| stdout.flush())
            .map_err(|e| SinkError::stdout(&e))
    }

    fn serves_continuously(&self) -> bool {
        true
    }

    /// An ended login goes into the record, for the prompt.
    fn refresh_failed(&mut self, error: &Error) {
        let login_expired = matches!(error, Error::LoginRequired { .. });
        let Some(written) = self.written.clone() else {
            return;
        };
        if written.login_expired != login_expired {
            let next = ShellSession {
                login_expired,
                ..written
            };
            if let Err(e) = self.update(next) {
                ssocred_core::stderr_line!("ssocred: {e}");
            }
        }
    }
}
