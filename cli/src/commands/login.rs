//! `ssocred login`: a new native login (browser or device code), cached where
//! the AWS CLI and SDKs find it, whatever the cache holds; with `--all`, one
//! login per sso-session of the AWS config, skipping those still valid.

use std::io::IsTerminal;
use std::time::Duration;

use clap::Args;
use ssocred_core::Error;
use ssocred_core::domain::sso_profile::{SsoProfile, USER_INFO_PROBLEM, has_user_info};
use ssocred_core::login::{self, OnExpiry, TokenPolicy};
use ssocred_core::os::desktop;
use ssocred_core::store::profile::{AwsPaths, ProfileFiles};
use time::OffsetDateTime;

use crate::flags::{
    ConfigFlags, DEFAULT_LOCK_TIMEOUT_SECS, DEFAULT_REFRESH_WINDOW_SECS, FlowFlags, NetworkFlags,
    ProfileFlag, VerboseFlag,
};
use crate::request::{self, LOGIN_TIMEOUT};
use crate::runtime::runtime;
use crate::settings::{Flags, Settings};

// `ssocred login`: the variant doc in commands/mod.rs is its help.
#[derive(Debug, Args)]
pub struct LoginArgs {
    #[command(flatten)]
    pub profile: ProfileFlag,

    /// Log in to every sso-session of the AWS config, one after the other,
    /// skipping those valid for more than 15 minutes.
    #[arg(long, conflicts_with = "profile")]
    pub all: bool,

    /// Sign in from another machine's browser: print the sign-in URL, then
    /// read the address the browser was redirected to (or just its code)
    /// pasted on stdin. Nothing listens on this machine.
    #[arg(long, conflicts_with = "device_code")]
    pub remote: bool,

    /// Also copy the sign-in URL, or the device code, to the clipboard
    /// through the terminal (OSC 52; terminals without it ignore it).
    #[arg(long)]
    pub copy: bool,

    /// Sign in to an AWS console session, as `aws login` does, and make
    /// the profile a `login_session` profile (it need not exist yet). A
    /// profile that already is one signs in this way without the flag.
    #[arg(long, conflicts_with_all = ["all", "device_code"])]
    pub console: bool,

    /// With --console: the region of AWS Sign-In, written to the profile
    /// when it has none [default: the profile's region].
    #[arg(long, value_name = "REGION", value_parser = crate::flags::region)]
    pub region: Option<String>,

    #[command(flatten)]
    pub flow: FlowFlags,

    #[command(flatten)]
    pub verbose: VerboseFlag,

    #[command(flatten)]
    pub network: NetworkFlags,

    #[command(flatten)]
    pub config: ConfigFlags,
}

impl LoginArgs {
    /// What the flags say about the settings.
    pub fn flags(&self) -> Flags {
        Flags {
            config: self.config.config.clone(),
            preset: self.config.preset.clone(),
            profile: self.profile.profile.clone(),
            device_code: self.flow.device_code,
            no_browser: self.flow.no_browser,
            redirect_port: self.flow.redirect_port,
            token_store: self.flow.token_store.clone(),
            ..Flags::default()
        }
    }

    /// The login settings, with this command's own flags.
    pub fn login_settings(&self, settings: &Settings) -> login::LoginSettings {
        let env = |name: &str| std::env::var(name).ok();
        let terminal = std::io::stderr().is_terminal() && desktop::terminal_may_copy(env);
        if self.copy && !terminal {
            ssocred_core::stderr_line!(
                "ssocred: --copy: stderr is not a terminal that takes OSC 52; nothing is copied"
            );
        }
        login::LoginSettings {
            remote: self.remote,
            copy: self.copy && terminal,
            ..request::login_settings(settings)
        }
    }
}

/// Runs the command.
pub fn run(args: &LoginArgs) -> Result<(), Error> {
    let settings = Settings::from_process(&args.flags())?;
    let paths = request::paths()?;
    if args.all {
        return run_all(args, &settings, &paths);
    }
    if args.console || super::console_login::is_console_profile(&settings, &paths) {
        return super::console_login::login(
            &settings.profile.value,
            args.region.clone(),
            &args.network,
            &args.login_settings(&settings),
            &paths,
        );
    }
    let (files, profile) = request::sso_profile(&settings, &paths)?;
    let network = request::network(&args.network, &paths, &files, &profile.name)?;
    let target = request::login_target(
        &paths,
        &files,
        &profile,
        &network,
        request::token_store(&settings)?,
    )?;
    let login_settings = args.login_settings(&settings);
    let pkce = login_settings.uses_pkce(&profile)?;
    if args.verbose.verbose {
        ssocred_core::stderr_line!(
            "ssocred: {} login for profile `{}` at {}; token file {}",
            if pkce {
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
    let _lock = ssocred_core::os::fs::FileLock::acquire_path(&lock_path, LOGIN_TIMEOUT)
        .map_err(|e| login::file_error(&lock_path, "cannot take the login lock", &e))?;
    let mut stderr = std::io::stderr();
    runtime()?.block_on(login::login(&target, &login_settings, &mut stderr))?;
    Ok(())
}

/// The profile a login of sso-session `session` runs under: the first
/// profile (by name) that uses it, else one named after the session.
fn session_profile(files: &ProfileFiles, session: &str) -> Result<SsoProfile, Error> {
    let mut users: Vec<&str> = files
        .sections()
        .profiles()
        .filter(|name| files.profile_value(name, "sso_session") == Some(session))
        .collect();
    users.sort_unstable();
    if let Some(first) = users.first() {
        return files.sso_profile(first);
    }
    let section = files.sections().sso_session(session);
    let get = |key: &str| {
        section
            .and_then(|s| s.get(key))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let bad = |key: &str| Error::BadSsoProfile {
        profile: format!("sso-session {session}"),
        config: files.paths().config.clone(),
        problem: format!("[sso-session {session}] has no {key}"),
    };
    let start_url = get("sso_start_url").ok_or_else(|| bad("sso_start_url"))?;
    if has_user_info(&start_url) {
        return Err(Error::BadSsoProfile {
            profile: format!("sso-session {session}"),
            config: files.paths().config.clone(),
            problem: format!("sso_start_url of [sso-session {session}] {USER_INFO_PROBLEM}"),
        });
    }
    Ok(SsoProfile {
        name: session.to_owned(),
        session: Some(session.to_owned()),
        start_url,
        sso_region: get("sso_region").ok_or_else(|| bad("sso_region"))?,
        region: None,
        account_id: None,
        role_name: None,
    })
}

/// `login --all`: each sso-session in name order; one that fails is
/// reported and the rest still run; the first failure sets the exit code.
fn run_all(args: &LoginArgs, settings: &Settings, paths: &AwsPaths) -> Result<(), Error> {
    let files = ProfileFiles::load(paths)?;
    let mut sessions: Vec<&str> = files.sections().sso_sessions().collect();
    sessions.sort_unstable();
    if sessions.is_empty() {
        ssocred_core::stderr_line!(
            "ssocred: no [sso-session] section in {}; nothing to log in",
            paths.config.display()
        );
        return Ok(());
    }
    let window = Duration::from_secs(DEFAULT_REFRESH_WINDOW_SECS);
    let policy = TokenPolicy {
        refresh_window: window,
        lock_timeout: Duration::from_secs(DEFAULT_LOCK_TIMEOUT_SECS),
        on_expiry: OnExpiry::Login(args.login_settings(settings)),
        verbose: args.verbose.verbose,
    };
    let rt = runtime()?;
    let mut first_failure = None;
    for session in sessions {
        let outcome = (|| -> Result<(), Error> {
            let profile = session_profile(&files, session)?;
            let now = OffsetDateTime::now_utc();
            if let Ok(valid) =
                ssocred_core::login::sso_cache::load(&paths.sso_cache_dir(), &profile, now)
                && valid.expires_at - now > window
            {
                ssocred_core::stderr_line!(
                    "ssocred: sso-session {session}: valid until {}; skipped",
                    ssocred_core::domain::time_fmt::utc_z(valid.expires_at)
                );
                return Ok(());
            }
            ssocred_core::stderr_line!(
                "ssocred: sso-session {session}: logging in (profile `{}`)",
                profile.name
            );
            let network = request::network(&args.network, paths, &files, &profile.name)?;
            let target = request::login_target(
                paths,
                &files,
                &profile,
                &network,
                request::token_store(settings)?,
            )?;
            let mut stderr = std::io::stderr();
            rt.block_on(login::obtain_token(&target, &policy, &mut stderr))?;
            Ok(())
        })();
        if let Err(e) = outcome {
            ssocred_core::stderr_line!("ssocred: sso-session {session}: {e}");
            first_failure.get_or_insert(e);
        }
    }
    first_failure.map_or(Ok(()), Err)
}
