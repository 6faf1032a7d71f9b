//! `ssocred login`, `ssocred logout`, and the token settings of every
//! command that needs a login: when to refresh, and what to do when the
//! login has expired (log in on a terminal, fail at once without one).

use std::io::IsTerminal;
use std::time::Duration;

use clap::Args;
use ssocred_core::Error;
use ssocred_core::login::{self, LoginSettings, LoginTarget, OnExpiry, TokenPolicy};
use ssocred_core::oidc::{self, Oidc};
use ssocred_core::portal::{self, Portal};
use ssocred_core::profile::{AwsPaths, ProfileFiles, SsoProfile};

/// How long a login waits for the user.
const LOGIN_TIMEOUT: Duration = Duration::from_secs(600);

/// How a native login runs.
#[derive(Debug, Clone, Args)]
pub struct FlowArgs {
    /// Log in with the device code flow (a code to enter on any device)
    /// instead of a browser redirect to this machine. Automatic for legacy
    /// profiles and where there is no display (SSH).
    #[arg(long)]
    pub device_code: bool,

    /// Never open a browser; the URL to open is printed either way.
    #[arg(long)]
    pub no_browser: bool,
}

/// What happens when the SSO token is about to expire or has expired.
#[derive(Debug, Clone, Args)]
pub struct TokenArgs {
    /// Log in when the login has expired even without a terminal (for
    /// example from credential_process); may open a browser. Without it, a
    /// command with no terminal fails at once with exit code 4.
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

/// `ssocred login`.
#[derive(Debug, Args)]
pub struct LoginCommand {
    /// The SSO profile [default: $AWS_PROFILE, else default].
    #[arg(short, long, value_name = "PROFILE")]
    pub profile: Option<String>,

    #[command(flatten)]
    pub flow: FlowArgs,

    /// Explain each step on stderr (never secrets).
    #[arg(short, long)]
    pub verbose: bool,
}

/// `ssocred logout`.
#[derive(Debug, Args)]
pub struct LogoutCommand {
    /// The SSO profile [default: $AWS_PROFILE, else default].
    #[arg(short, long, value_name = "PROFILE")]
    pub profile: Option<String>,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Refresh a token with less than this many seconds left (as the AWS CLI does).
const DEFAULT_REFRESH_WINDOW_SECS: u64 = 900;
/// How long to wait for another process's refresh before giving up.
const DEFAULT_LOCK_TIMEOUT_SECS: u64 = 60;

/// The profile named by `-p`, else `$AWS_PROFILE`, else `default`.
pub fn profile_name(flag: Option<&String>) -> String {
    flag.cloned()
        .or_else(|| env("AWS_PROFILE").filter(|p| !p.is_empty()))
        .unwrap_or_else(|| "default".to_owned())
}

/// Whether a person is there to log in: stdin and stderr are terminals. A
/// credential_process has its stderr captured, so it never counts.
fn interactive() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// The login of `profile`, its OIDC client resolved from the environment.
pub fn target(paths: &AwsPaths, files: &ProfileFiles, profile: &SsoProfile) -> LoginTarget {
    LoginTarget {
        profile: profile.clone(),
        scopes: files.registration_scopes(profile),
        cache_dir: paths.sso_cache_dir(),
        lock_dir: login::ssocred_cache_dir(env, &paths.home).join("locks"),
        oidc: Oidc::new(&profile.sso_region, oidc::endpoint_override(env)),
    }
}

fn settings(flow: &FlowArgs, may_open_browser: bool) -> LoginSettings {
    LoginSettings {
        device_code: flow.device_code,
        open_browser: may_open_browser && !flow.no_browser,
        display: login::has_display(env),
        timeout: LOGIN_TIMEOUT,
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Usage(format!("cannot start the async runtime: {e}")))
}

/// How a run gets its token: refreshed or logged in as the flags and the
/// terminal allow.
pub fn policy(flow: &FlowArgs, token: &TokenArgs, verbose: bool) -> TokenPolicy {
    let person = interactive();
    let may_log_in = person || token.auto_login;
    let on_expiry = match (&token.login_command, may_log_in) {
        (_, false) => OnExpiry::Fail,
        (Some(command), true) => OnExpiry::Command(command.clone()),
        (None, true) => OnExpiry::Login(settings(flow, true)),
    };
    TokenPolicy {
        refresh_window: Duration::from_secs(token.refresh_window),
        lock_timeout: Duration::from_secs(token.lock_timeout),
        on_expiry,
        verbose,
    }
}

/// The token policy of commands without login flags (`list`, `discover`):
/// the defaults of the flags, so a person at a terminal is logged in and a
/// headless run fails at once.
pub fn default_policy(verbose: bool) -> TokenPolicy {
    let flow = FlowArgs {
        device_code: false,
        no_browser: false,
    };
    let token = TokenArgs {
        auto_login: false,
        login_command: None,
        refresh_window: DEFAULT_REFRESH_WINDOW_SECS,
        lock_timeout: DEFAULT_LOCK_TIMEOUT_SECS,
    };
    policy(&flow, &token, verbose)
}

/// `ssocred login -p P`: a new login, whatever the cache holds.
pub fn run_login(cmd: &LoginCommand) -> Result<(), Error> {
    let paths = AwsPaths::from_env(env)?;
    let name = profile_name(cmd.profile.as_ref());
    let files = ProfileFiles::load_for(&paths, &name)?;
    let profile = files.sso_profile(&name)?;
    let target = target(&paths, &files, &profile);
    let settings = settings(&cmd.flow, true);
    if cmd.verbose {
        eprintln!(
            "ssocred: {} login for profile `{}` at {}; token file {}",
            if settings.uses_pkce(&profile) {
                "authorization code (PKCE)"
            } else {
                "device code"
            },
            profile.name,
            target.oidc.endpoint(),
            target.token_path().display()
        );
    }
    let lock_path = target.lock_path();
    let _lock = ssocred_core::fs::FileLock::acquire_path(&lock_path, LOGIN_TIMEOUT)
        .map_err(|e| login::file_error(&lock_path, "cannot take the login lock", &e))?;
    let mut stderr = std::io::stderr();
    runtime()?.block_on(login::login(&target, &settings, &mut stderr))?;
    Ok(())
}

/// `ssocred logout -p P`.
pub fn run_logout(cmd: &LogoutCommand) -> Result<(), Error> {
    let paths = AwsPaths::from_env(env)?;
    let name = profile_name(cmd.profile.as_ref());
    let files = ProfileFiles::load_for(&paths, &name)?;
    let profile = files.sso_profile(&name)?;
    let target = target(&paths, &files, &profile);
    let portal = Portal::new(&profile, portal::endpoint_override(env));
    let outcome = runtime()?.block_on(login::logout(&target, &portal, LOGIN_TIMEOUT))?;
    // Role credentials obtained with the token die with it. The AWS CLI's
    // cache entries do not say which login they came from, so every SSO
    // entry goes, as `aws sso logout` does; the next call fetches anew.
    let role_cache = ssocred_core::role_cache::RoleCache::new(
        ssocred_core::role_cache::default_dir(&paths.home),
        ssocred_core::role_cache::DEFAULT_WINDOW,
    );
    let forgotten = role_cache.clear().map_err(|e| {
        login::file_error(
            role_cache.dir(),
            "cannot remove cached role credentials",
            &e,
        )
    })?;
    if forgotten > 0 {
        eprintln!(
            "Removed {forgotten} cached role credential{} from {}",
            if forgotten == 1 { "" } else { "s" },
            role_cache.dir().display()
        );
    }
    match &outcome.removed {
        Some(path) => eprintln!(
            "Logged out of profile `{}`: removed {}",
            profile.name,
            path.display()
        ),
        None => eprintln!(
            "Profile `{}` was not logged in (no token file {}).",
            profile.name,
            target.token_path().display()
        ),
    }
    match outcome.portal_error {
        None => Ok(()),
        Some(Error::Unreachable { endpoint, message }) => Err(Error::Unreachable {
            endpoint,
            message: format!(
                "{message}; the local token was removed, but the portal session may still be active until it expires"
            ),
        }),
        Some(Error::Portal { endpoint, message }) => Err(Error::Portal {
            endpoint,
            message: format!(
                "{message}; the local token was removed, but the portal session may still be active until it expires"
            ),
        }),
        Some(other) => Err(other),
    }
}
