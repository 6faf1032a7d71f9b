//! `ssocred-emulator`: the AWS SSO portal emulator as a process, for tests
//! that are not written in Rust (botocore interop scripts) and for demos.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use clap::builder::TypedValueParser as _;
use ssocred_emulator::{Emulator, EmulatorConfig};

/// Serve an emulated AWS SSO portal API on 127.0.0.1 until interrupted.
#[derive(Debug, Parser)]
#[command(name = "ssocred-emulator", version)]
struct Args {
    /// Port to listen on; 0 picks a free one.
    #[arg(long, default_value_t = 0)]
    port: u16,

    /// Number of generated accounts (ids 100000000000, 100000000001, ...).
    #[arg(long, default_value_t = 3)]
    accounts: usize,

    /// Roles in each generated account (ReadOnly, Admin, Developer, Role3, ...).
    #[arg(long, default_value_t = 2)]
    roles_per_account: usize,

    /// A bearer token to accept; repeat for several.
    #[arg(long = "token", value_name = "TOKEN", default_value = "emulator-token")]
    tokens: Vec<String>,

    /// Largest page a listing returns.
    #[arg(long, default_value_t = EmulatorConfig::DEFAULT_PAGE_SIZE,
          value_parser = clap::value_parser!(u16).range(1..).map(usize::from))]
    page_size: usize,

    /// Delay before answering each portal request, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    latency_ms: u64,

    /// Answer every Nth authorised portal request with 429.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    throttle_every: Option<u64>,

    /// Limit authorised portal calls to R a second (a token bucket); calls
    /// over it are answered 429 TooManyRequestsException.
    #[arg(long, value_name = "R", value_parser = positive_rate)]
    rate_limit: Option<f64>,

    /// Calls the rate limit lets through at once, after a quiet spell
    /// [default: R rounded up].
    #[arg(long, value_name = "B", requires = "rate_limit",
          value_parser = clap::value_parser!(u32).range(1..))]
    rate_burst: Option<u32>,

    /// Serve HTTPS, with a certificate for 127.0.0.1 and localhost signed by
    /// a CA generated at start-up.
    #[arg(long)]
    tls: bool,

    /// Write the CA certificate (PEM) to this file once listening
    /// (atomically, before the port file).
    #[arg(long, value_name = "PATH", requires = "tls")]
    ca_out: Option<PathBuf>,

    /// Lifetime of issued credentials, in seconds.
    #[arg(long, value_name = "SECS",
          default_value_t = EmulatorConfig::DEFAULT_CREDENTIAL_LIFETIME.as_secs())]
    credential_lifetime_secs: u64,

    /// End each listing with an empty page reached through a nextToken.
    #[arg(long)]
    trailing_empty_page: bool,

    /// Approve each OIDC device code by itself this many milliseconds after
    /// it was issued (default: only when its verification URL is visited).
    #[arg(long, value_name = "MS")]
    approve_after_ms: Option<u64>,

    /// Lifetime of access tokens issued by the OIDC endpoints, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 8 * 3600)]
    oidc_token_lifetime_secs: u64,

    /// Let the role SOURCE assume TARGET through STS AssumeRole (IAM role
    /// ARNs), only with ExternalId X when `,external-id=X` follows; repeat
    /// for several. A portal credential's role is
    /// arn:PARTITION:iam::ACCOUNT:role/ROLE.
    #[arg(long = "trust", value_name = "TARGET=SOURCE[,external-id=X]",
          value_parser = parse_trust)]
    trust: Vec<TrustFlag>,

    /// Answer every Nth authenticated STS AssumeRole with 400 Throttling.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    throttle_sts_every: Option<u64>,

    /// Lifetime of credentials from STS AssumeRole, in seconds, whatever
    /// DurationSeconds asks for [default: DurationSeconds, or 3600].
    #[arg(long, value_name = "SECS")]
    assume_role_lifetime_secs: Option<u64>,

    /// Write the port number to this file once listening (atomically).
    #[arg(long, value_name = "PATH")]
    port_file: Option<PathBuf>,

    /// Also stop when standard input reaches end of file, so a test harness
    /// that dies cannot leave the emulator behind.
    #[arg(long)]
    exit_on_stdin_eof: bool,
}

/// One `--trust` statement.
#[derive(Clone, Debug, PartialEq, Eq)]
struct TrustFlag {
    target: String,
    source: String,
    external_id: Option<String>,
}

/// `TARGET=SOURCE[,external-id=X]`. Role names may hold `=` and `,`, so
/// the split is at `=arn:` and at the last `,external-id=`.
fn parse_trust(text: &str) -> Result<TrustFlag, String> {
    const EXTERNAL_ID: &str = ",external-id=";
    let (pair, external_id) = match text.rfind(EXTERNAL_ID) {
        Some(at) => (&text[..at], Some(&text[at + EXTERNAL_ID.len()..])),
        None => (text, None),
    };
    let (target, source) = pair
        .split_once("=arn:")
        .filter(|(target, _)| target.starts_with("arn:"))
        .ok_or("expected TARGET=SOURCE[,external-id=X] with two role ARNs")?;
    if external_id.is_some_and(str::is_empty) {
        return Err("external-id must not be empty".to_owned());
    }
    Ok(TrustFlag {
        target: target.to_owned(),
        source: format!("arn:{source}"),
        external_id: external_id.map(str::to_owned),
    })
}

impl Args {
    fn config(&self) -> EmulatorConfig {
        let config = self.tokens.iter().fold(
            EmulatorConfig::generated(self.accounts, self.roles_per_account),
            |config, token| config.with_token(token),
        );
        let config = self
            .trust
            .iter()
            .fold(config, |config, trust| match &trust.external_id {
                Some(id) => config.trust_with_external_id(&trust.target, &trust.source, id),
                None => config.trust(&trust.target, &trust.source),
            });
        let config = match self.assume_role_lifetime_secs {
            Some(secs) => config.assume_role_lifetime(Duration::from_secs(secs)),
            None => config,
        };
        let config = match self.rate_limit {
            Some(per_second) => {
                // `positive_rate` caps R, so the rounded value fits a u32.
                let burst = self
                    .rate_burst
                    .unwrap_or_else(|| per_second.ceil().max(1.0) as u32);
                config.rate_limit(per_second, burst)
            }
            None => config,
        };
        config
            .tls(self.tls)
            .page_size(self.page_size)
            .latency(Duration::from_millis(self.latency_ms))
            .throttle_every(self.throttle_every.unwrap_or(0))
            .throttle_sts_every(self.throttle_sts_every.unwrap_or(0))
            .credential_lifetime(Duration::from_secs(self.credential_lifetime_secs))
            .trailing_empty_page(self.trailing_empty_page)
            .oidc(
                ssocred_emulator::OidcConfig::default()
                    .approval_delay(self.approve_after_ms.map(Duration::from_millis))
                    .token_lifetime(Duration::from_secs(self.oidc_token_lifetime_secs)),
            )
    }
}

/// The largest `--rate-limit`: far beyond anything the emulator can serve.
const MAX_RATE: f64 = 1_000_000.0;

fn positive_rate(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(rate) if rate > 0.0 && rate <= MAX_RATE => Ok(rate),
        _ => Err(format!(
            "expected calls per second, a number above 0 and at most {MAX_RATE}"
        )),
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("ssocred-emulator: error: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> io::Result<()> {
    // Signal handlers are installed before the port is announced, so a
    // caller that signals as soon as it reads the port never kills us early.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let stop_signals = {
        let _context = runtime.enter();
        StopSignals::install()?
    };
    let emulator = Emulator::start_on_port(args.config(), args.port).map_err(|err| {
        io::Error::new(
            err.kind(),
            format!("cannot listen on 127.0.0.1:{}: {err}", args.port),
        )
    })?;
    if let (Some(path), Some(ca_pem)) = (&args.ca_out, emulator.ca_pem()) {
        write_atomic(path, ca_pem).map_err(|err| {
            io::Error::new(
                err.kind(),
                format!("cannot write CA certificate {}: {err}", path.display()),
            )
        })?;
    }
    if let Some(path) = &args.port_file {
        write_atomic(path, &format!("{}\n", emulator.port())).map_err(|err| {
            io::Error::new(
                err.kind(),
                format!("cannot write port file {}: {err}", path.display()),
            )
        })?;
    }
    let mut stdout = io::stdout().lock();
    writeln!(stdout, "ssocred-emulator listening on {}", emulator.url())?;
    stdout.flush()?;
    drop(stdout);

    wait_for_stop(&runtime, stop_signals, args.exit_on_stdin_eof)?;
    emulator.shutdown();
    Ok(())
}

/// Writes a temporary file next to `path` and renames it over `path`, so a
/// reader polling for the file never sees it half written.
fn write_atomic(path: &Path, contents: &str) -> io::Result<()> {
    let mut temp_name = path.file_name().unwrap_or_default().to_owned();
    temp_name.push(format!(".{}.tmp", std::process::id()));
    let temp = path.with_file_name(temp_name);
    let written = std::fs::File::create(&temp).and_then(|mut file| {
        file.write_all(contents.as_bytes())?;
        file.sync_all()
    });
    let result = written.and_then(|()| std::fs::rename(&temp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// SIGINT and SIGTERM listeners.
#[cfg(unix)]
struct StopSignals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl StopSignals {
    /// Installs both handlers; must run inside the runtime's context.
    fn install() -> io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(StopSignals {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
        })
    }

    /// Resolves at the first SIGINT or SIGTERM.
    async fn recv(&mut self) {
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
    }
}

/// Ctrl-C, on systems without Unix signals (the emulator runs natively on
/// Linux in the cross-checks; elsewhere it only has to stop).
#[cfg(not(unix))]
struct StopSignals;

#[cfg(not(unix))]
impl StopSignals {
    fn install() -> io::Result<Self> {
        Ok(StopSignals)
    }

    async fn recv(&mut self) {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Blocks until SIGINT or SIGTERM, or until standard input ends when
/// `on_stdin_eof` is set.
fn wait_for_stop(
    runtime: &tokio::runtime::Runtime,
    mut signals: StopSignals,
    on_stdin_eof: bool,
) -> io::Result<()> {
    runtime.block_on(async {
        let stdin_closed = async {
            if on_stdin_eof {
                stdin_eof().await
            } else {
                std::future::pending().await
            }
        };
        tokio::select! {
            () = signals.recv() => Ok(()),
            result = stdin_closed => result,
        }
    })
}

/// Resolves when standard input reaches end of file. The read happens on a
/// plain thread: tokio's stdin would need another feature, and a blocked
/// read must not hold up the runtime's shutdown.
async fn stdin_eof() -> io::Result<()> {
    let (eof_tx, eof_rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("stdin-watch".to_owned())
        .spawn(move || {
            let _ = io::copy(&mut io::stdin().lock(), &mut io::sink());
            let _ = eof_tx.send(());
        })?;
    let _ = eof_rx.await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn command_is_well_formed() {
        Args::command().debug_assert();
    }

    #[test]
    fn flags_reach_the_config() {
        let args = Args::try_parse_from([
            "ssocred-emulator",
            "--token",
            "a",
            "--token",
            "b",
            "--page-size",
            "7",
            "--throttle-every",
            "3",
            "--trailing-empty-page",
            "--approve-after-ms",
            "250",
        ])
        .unwrap();
        assert_eq!(args.tokens, ["a", "b"]);
        let shown = format!("{:?}", args.config());
        assert!(shown.contains("page_size: 7"), "{shown}");
        assert!(shown.contains("throttle_every: Some(3)"), "{shown}");
        assert!(shown.contains("trailing_empty_page: true"), "{shown}");
        assert!(shown.contains("<2 redacted>"), "{shown}");
        assert!(shown.contains("approval_delay: Some(250ms)"), "{shown}");
    }

    #[test]
    fn rate_limit_flags_reach_the_config() {
        let args = Args::try_parse_from([
            "ssocred-emulator",
            "--rate-limit",
            "2.5",
            "--rate-burst",
            "7",
            "--tls",
        ])
        .unwrap();
        let shown = format!("{:?}", args.config());
        assert!(
            shown.contains("rate_limit: Some(RateLimit { per_second: 2.5, burst: 7 })"),
            "{shown}"
        );
        assert!(shown.contains("tls: true"), "{shown}");

        let args = Args::try_parse_from(["ssocred-emulator", "--rate-limit", "2.5"]).unwrap();
        let shown = format!("{:?}", args.config());
        assert!(shown.contains("per_second: 2.5, burst: 3"), "{shown}");

        let args = Args::try_parse_from(["ssocred-emulator", "--rate-limit", "0.2"]).unwrap();
        let shown = format!("{:?}", args.config());
        assert!(shown.contains("per_second: 0.2, burst: 1"), "{shown}");
    }

    #[test]
    fn defaults_are_plain_http_without_a_rate_limit() {
        let args = Args::try_parse_from(["ssocred-emulator"]).unwrap();
        let shown = format!("{:?}", args.config());
        assert!(shown.contains("rate_limit: None"), "{shown}");
        assert!(shown.contains("tls: false"), "{shown}");
    }

    #[test]
    fn bad_rate_limit_flags_are_rejected() {
        for bad in [
            &["--rate-limit", "0"][..],
            &["--rate-limit", "-1"],
            &["--rate-limit", "NaN"],
            &["--rate-limit", "inf"],
            &["--rate-limit", "1e9"],
            &["--rate-limit", "5", "--rate-burst", "0"],
            &["--rate-burst", "5"],
            &["--ca-out", "ca.pem"],
        ] {
            let argv = std::iter::once("ssocred-emulator").chain(bad.iter().copied());
            assert!(Args::try_parse_from(argv).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn zero_page_size_and_throttle_are_rejected() {
        assert!(Args::try_parse_from(["ssocred-emulator", "--page-size", "0"]).is_err());
        assert!(Args::try_parse_from(["ssocred-emulator", "--throttle-every", "0"]).is_err());
    }

    #[test]
    fn sts_flags_reach_the_config() {
        let args = Args::try_parse_from([
            "ssocred-emulator",
            "--trust",
            "arn:aws:iam::222222222222:role/Deploy=arn:aws:iam::100000000000:role/ReadOnly",
            "--trust",
            "arn:aws:iam::3:role/A=B,C=arn:aws-cn:iam::4:role/x=y,external-id=id:1/2",
            "--throttle-sts-every",
            "5",
            "--assume-role-lifetime-secs",
            "90",
        ])
        .unwrap();
        let shown = format!("{:?}", args.config());
        assert!(
            shown.contains(
                "Trust { target: \"arn:aws:iam::222222222222:role/Deploy\", \
                 source: \"arn:aws:iam::100000000000:role/ReadOnly\", external_id: None }"
            ),
            "{shown}"
        );
        assert!(
            shown.contains(
                "Trust { target: \"arn:aws:iam::3:role/A=B,C\", \
                 source: \"arn:aws-cn:iam::4:role/x=y\", external_id: Some(\"id:1/2\") }"
            ),
            "{shown}"
        );
        assert!(shown.contains("throttle_sts_every: Some(5)"), "{shown}");
        assert!(shown.contains("assume_role_lifetime: Some(90s)"), "{shown}");
        for bad in [
            "arn:aws:iam::1:role/A",
            "Deploy=arn:aws:iam::1:role/A",
            "arn:aws:iam::1:role/A=arn:aws:iam::1:role/B,external-id=",
        ] {
            assert!(
                Args::try_parse_from(["ssocred-emulator", "--trust", bad]).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn token_defaults_to_emulator_token() {
        let args = Args::try_parse_from(["ssocred-emulator"]).unwrap();
        assert_eq!(args.tokens, ["emulator-token"]);
    }
}
