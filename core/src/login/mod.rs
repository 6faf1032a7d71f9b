//! Native SSO login (authorization code with PKCE, and device code), token
//! refresh, and the token lifecycle of one invocation: use the cached token,
//! refresh it when it is about to expire, log in when it cannot be
//! refreshed, and do each of these in one process at a time.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use base64::Engine as _;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::Error;
use crate::aws::oidc::{Grant, Oidc, Registered, TokenFailure, Tokens};
use crate::domain::sso_profile::SsoProfile;
use crate::domain::text::visible;
use crate::domain::time_fmt;
use crate::os::desktop::{self, Desktop};
use crate::os::page::Page;
use sso_cache::{RegistrationFile, TokenFile};

mod callback;
pub mod console;
pub mod console_sign_in;
mod lifecycle;
pub mod sso_cache;
pub mod token_store;

pub use lifecycle::{
    LogoutOutcome, OnExpiry, TokenPolicy, expand_command, logout, obtain_token, refresh,
};

/// The AWS CLI's refresh window: refresh when less than this is left.
pub const DEFAULT_REFRESH_WINDOW: Duration = Duration::from_secs(15 * 60);

/// A cached registration is reused only with more than this left.
pub const REGISTRATION_MARGIN: Duration = Duration::from_secs(15 * 60);

/// The scope PKCE clients are registered with when the sso-session names
/// none, as the AWS CLI does.
pub const DEFAULT_SCOPE: &str = "sso:account:access";

/// The redirect URI PKCE clients are registered with; the port is added per
/// login.
pub const REDIRECT_URI: &str = "http://127.0.0.1/oauth/callback";

/// Everything about one SSO login that the flows need.
#[derive(Debug, Clone)]
pub struct LoginTarget {
    /// The SSO profile.
    pub profile: SsoProfile,
    /// `sso_registration_scopes` of its sso-session, split on commas; `None`
    /// when absent (always for legacy profiles).
    pub scopes: Option<Vec<String>>,
    /// The AWS CLI's token cache directory (`~/.aws/sso/cache`).
    pub cache_dir: PathBuf,
    /// ssocred's own cache directory, for the single-flight locks.
    pub lock_dir: PathBuf,
    /// The OIDC client in the profile's SSO region.
    pub oidc: Oidc,
    /// Keep a new token and registration in memory only: a login or a
    /// refresh writes nothing to the cache (`init --dry-run`, which writes
    /// nothing under ~/.aws).
    pub keep_in_memory: bool,
    /// Where the token and the registration are kept (`[login] token_store`).
    pub store: token_store::TokenStore,
}

impl LoginTarget {
    /// The token-cache file of this login.
    pub fn token_path(&self) -> PathBuf {
        sso_cache::cache_path(&self.cache_dir, &self.profile)
    }

    /// The registration-cache file of this login.
    pub fn registration_path(&self) -> PathBuf {
        sso_cache::registration_path(
            &self.cache_dir,
            &self.profile.start_url,
            self.profile.session.as_deref(),
            &self.profile.sso_region,
            self.scopes.as_deref(),
        )
    }

    /// The lock that makes this login's refresh or login single-flight.
    pub fn lock_path(&self) -> PathBuf {
        let name = sso_cache::cache_file_name(self.profile.token_cache_key());
        self.lock_dir.join(format!("{name}.lock"))
    }

    /// The command that logs this profile in.
    pub fn login_command(&self) -> String {
        crate::aws::portal::login_command(&self.profile.name)
    }
}

/// How to log in.
#[derive(Debug, Clone)]
pub struct LoginSettings {
    /// Use the device code flow even where PKCE would work.
    pub device_code: bool,
    /// Try to open a browser (best effort; the URL is always printed).
    pub open_browser: bool,
    /// Whether a local browser can reach the redirect listener (without one
    /// the device code flow is used), and how to open one.
    pub desktop: Desktop,
    /// The browser command (`[login] browser`), split on spaces, `%s`
    /// replaced by the page's URL or that URL last; `None` for the
    /// desktop's opener.
    pub browser: Option<String>,
    /// Where the private page the browser is opened on is written
    /// ([`crate::os::page::dir`]); `None` (no home) opens no browser.
    pub page_dir: Option<PathBuf>,
    /// The redirect listener's port (`--redirect-port`), so that it can be
    /// forwarded over SSH; `None` for a random one.
    pub redirect_port: Option<u16>,
    /// The setting that asks for PKCE whether or not there is a display (a
    /// redirect port, or the method `pkce`), with where it came from, such
    /// as `redirect port 8400 (flag --redirect-port)`; a profile that cannot
    /// do PKCE is then refused, naming it.
    pub pkce_asked_by: Option<String>,
    /// PKCE without a listener: the user opens the URL anywhere and pastes
    /// the address the browser was sent to (or its code) on stdin.
    pub remote: bool,
    /// Also put the URL (PKCE) or the user code (device code) on the
    /// clipboard with OSC 52; the caller sets it only for a terminal.
    pub copy: bool,
    /// How long to wait for the user at most.
    pub timeout: Duration,
}

impl LoginSettings {
    /// Whether this login uses authorization code with PKCE: never with the
    /// device code flow asked for; for sso-session profiles, when a setting
    /// asks for PKCE ([`LoginSettings::pkce_asked_by`]), with a display, or
    /// `remote`. A legacy profile has no PKCE: when a setting asks for it,
    /// that is a usage error naming the setting, never a login that
    /// silently drops it.
    pub fn uses_pkce(&self, profile: &SsoProfile) -> Result<bool, Error> {
        if self.device_code {
            return Ok(false);
        }
        if profile.session.is_none() {
            return match &self.pkce_asked_by {
                Some(why) => Err(Error::Usage(format!(
                    "the {why} asks for a browser sign-in (PKCE), which profile `{}` cannot do: it has no sso_session (a legacy profile, with sso_start_url of its own); give it an [sso-session], drop that setting, or pass --device-code",
                    profile.name
                ))),
                None => Ok(false),
            };
        }
        Ok(self.pkce_asked_by.is_some() || self.desktop.display || self.remote)
    }
}

/// Logs in natively, writes the token (and, when new, the registration) to
/// the cache, and returns the token. Prompts go to `ui`.
///
/// The caller holds the login's lock (see [`obtain_token`]).
pub async fn login(
    target: &LoginTarget,
    settings: &LoginSettings,
    ui: &mut dyn Write,
) -> Result<TokenFile, Error> {
    let pkce = settings.uses_pkce(&target.profile)?;
    // A busy fixed port fails before anything is registered or printed.
    let listener = match (pkce, settings.remote) {
        (true, false) => Some(bind_listener(settings.redirect_port).await?),
        _ => None,
    };
    let registration = registration(target, pkce).await?;
    let tokens = if pkce {
        pkce_flow(target, settings, &registration, listener, ui).await?
    } else {
        device_flow(target, settings, &registration, ui).await?
    };
    let file = new_token_file(target, &registration, tokens, OffsetDateTime::now_utc());
    write_token(target, &file)?;
    let kept = if target.keep_in_memory {
        " It was kept in memory for this run only: nothing was cached."
    } else {
        ""
    };
    let _ = writeln!(
        ui,
        "Logged in to {} (profile `{}`); the login is valid until {}.{kept}",
        target.profile.start_url, target.profile.name, file.expires_at
    );
    Ok(file)
}

fn new_token_file(
    target: &LoginTarget,
    registration: &RegistrationFile,
    tokens: Tokens,
    now: OffsetDateTime,
) -> TokenFile {
    TokenFile {
        access_token: tokens.access_token,
        expires_at: time_fmt::utc_z(now + tokens.expires_in),
        start_url: Some(target.profile.start_url.clone()),
        region: Some(target.profile.sso_region.clone()),
        client_id: Some(registration.client_id.clone()),
        client_secret: Some(registration.client_secret.clone()),
        registration_expires_at: Some(registration.expires_at.clone()),
        refresh_token: tokens.refresh_token,
        other: Default::default(),
    }
}

fn write_token(target: &LoginTarget, file: &TokenFile) -> Result<(), Error> {
    if target.keep_in_memory {
        return Ok(());
    }
    let path = target.token_path();
    target
        .store
        .save("sso-token", &path, &file.to_json(), "SSO token cache")
}

/// A cache or lock file that cannot be written: the "output" failure class.
pub fn file_error(path: &Path, what: &str, err: &std::io::Error) -> Error {
    Error::Sink(crate::SinkError::Io {
        path: path.to_path_buf(),
        message: format!("{what}: {err}"),
    })
}

/// The cached registration when it fits this flow and has more than
/// [`REGISTRATION_MARGIN`] left; otherwise a new one, cached.
async fn registration(target: &LoginTarget, pkce: bool) -> Result<RegistrationFile, Error> {
    let path = target.registration_path();
    let now = OffsetDateTime::now_utc();
    let cached = target
        .store
        .load("sso-registration", &path)
        .ok()
        .flatten()
        .and_then(|bytes| serde_json::from_slice::<RegistrationFile>(&bytes).ok())
        .filter(|r| r.is_for_auth_code() == pkce)
        .filter(|r| r.expiry().is_some_and(|at| at - REGISTRATION_MARGIN > now));
    if let Some(cached) = cached {
        return Ok(cached);
    }
    let client_name = match &target.profile.session {
        Some(session) => format!("ssocred-{session}"),
        None => format!("ssocred-{}", now.unix_timestamp()),
    };
    let default_scopes = [DEFAULT_SCOPE.to_owned()];
    let (scopes, pkce_args) = if pkce {
        let scopes = target.scopes.as_deref().unwrap_or(&default_scopes);
        (
            Some(scopes),
            Some((REDIRECT_URI, target.profile.start_url.as_str())),
        )
    } else {
        (target.scopes.as_deref(), None)
    };
    let Registered {
        client_id,
        client_secret,
        expires_at,
    } = target
        .oidc
        .register(&client_name, scopes, pkce_args)
        .await?;
    let expires_at =
        OffsetDateTime::from_unix_timestamp(expires_at).map_err(|_| Error::Portal {
            endpoint: target.oidc.endpoint().to_owned(),
            message: "RegisterClient returned an expiry out of range".to_owned(),
        })?;
    let file = RegistrationFile {
        client_id,
        client_secret,
        expires_at: time_fmt::utc_z(expires_at),
        // The AWS CLI records the scopes it registered with, and grant types
        // only for PKCE clients; it tells the two kinds apart by the latter.
        scopes: scopes.filter(|s| !s.is_empty()).map(<[String]>::to_vec),
        grant_types: pkce
            .then(|| vec!["authorization_code".to_owned(), "refresh_token".to_owned()]),
        other: Default::default(),
    };
    if !target.keep_in_memory {
        target.store.save(
            "sso-registration",
            &path,
            &file.to_json(),
            "SSO registration cache",
        )?;
    }
    Ok(file)
}

async fn device_flow(
    target: &LoginTarget,
    settings: &LoginSettings,
    registration: &RegistrationFile,
    ui: &mut dyn Write,
) -> Result<Tokens, Error> {
    let oidc = &target.oidc;
    let auth = oidc
        .start_device_authorization(
            &registration.client_id,
            &registration.client_secret,
            &target.profile.start_url,
        )
        .await?;
    let _ = writeln!(ui, "{}", device_prompt(target, &auth));
    if settings.copy {
        let _ = write!(ui, "{}", desktop::osc52(&auth.user_code));
    }
    let _ = ui.flush();
    // Kept until the flow ends, which removes it.
    let _page = (settings.open_browser && settings.desktop.display)
        .then(|| open_browser(settings, &auth.verification_uri_complete, ui))
        .flatten();
    let now = tokio::time::Instant::now();
    let deadline = now
        .checked_add(auth.expires_in.min(settings.timeout))
        .unwrap_or(now);
    let mut interval = auth.interval;
    loop {
        let Some(wait) = poll_wait(interval, deadline, tokio::time::Instant::now()) else {
            return Err(login_failed(target, "the sign-in was not approved in time"));
        };
        tokio::time::sleep(wait).await;
        let polled = oidc
            .create_token(
                &registration.client_id,
                &registration.client_secret,
                Grant::DeviceCode(&auth.device_code),
            )
            .await;
        match polled {
            Ok(tokens) => return Ok(tokens),
            Err(TokenFailure::Pending) => {}
            // RFC 8628 section 3.5: slow_down adds 5 seconds for good.
            Err(TokenFailure::SlowDown) => interval = interval.saturating_add(SLOW_DOWN),
            Err(TokenFailure::Expired) => {
                return Err(login_failed(
                    target,
                    "the sign-in was not approved in time (the device code expired)",
                ));
            }
            Err(TokenFailure::Refused(why)) => {
                return Err(login_failed(
                    target,
                    &format!("the sign-in was refused ({why})"),
                ));
            }
            Err(TokenFailure::Other(e)) => return Err(e),
        }
    }
}

/// What RFC 8628's `slow_down` adds to the polling interval.
const SLOW_DOWN: Duration = Duration::from_secs(5);

/// How long to sleep before the next poll: the interval, but never past the
/// deadline, so that an absurd interval from the server cannot outlast the
/// device code; `None` once the deadline has passed.
fn poll_wait(
    interval: Duration,
    deadline: tokio::time::Instant,
    now: tokio::time::Instant,
) -> Option<Duration> {
    let left = deadline.saturating_duration_since(now);
    (!left.is_zero()).then(|| interval.min(left))
}

/// The device flow's instructions. The URLs and the code come from the
/// server, so their control characters are made visible.
fn device_prompt(target: &LoginTarget, auth: &crate::aws::oidc::DeviceAuthorization) -> String {
    format!(
        "To sign in to {} (profile `{}`), open\n\n    {}\n\nand enter the code\n\n    {}\n\nor open this URL, which fills the code in:\n\n    {}\n",
        target.profile.start_url,
        target.profile.name,
        visible(&auth.verification_uri),
        visible(&auth.user_code),
        visible(&auth.verification_uri_complete)
    )
}

/// The redirect listener, on the fixed port when one is set. A fixed port
/// that cannot be bound is an output failure naming the port.
async fn bind_listener(port: Option<u16>) -> Result<callback::Listener, Error> {
    callback::Listener::bind(port).await.map_err(|e| match port {
        Some(port) => Error::Output {
            target: format!("127.0.0.1:{port} (the redirect port)"),
            message: format!(
                "cannot listen for the sign-in redirect: {e}; free the port, choose another with --redirect-port or [login] redirect_port, or use --remote"
            ),
        },
        None => Error::Usage(format!(
            "cannot listen on 127.0.0.1 for the sign-in redirect: {e}; use --device-code or --remote"
        )),
    })
}

/// The redirect URI of a `--remote` login: nothing listens there, the
/// browser only shows it in its address bar.
fn remote_redirect_uri(port: Option<u16>) -> String {
    match port {
        Some(port) => format!("http://127.0.0.1:{port}/oauth/callback"),
        None => REDIRECT_URI.to_owned(),
    }
}

async fn pkce_flow(
    target: &LoginTarget,
    settings: &LoginSettings,
    registration: &RegistrationFile,
    listener: Option<callback::Listener>,
    ui: &mut dyn Write,
) -> Result<Tokens, Error> {
    let redirect_uri = match &listener {
        Some(listener) => listener.redirect_uri(),
        None => remote_redirect_uri(settings.redirect_port),
    };
    let verifier = SecretString::from(random_verifier());
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(Sha256::digest(verifier.expose_secret().as_bytes()));
    let state = random_hex(16);
    let scopes = target
        .scopes
        .as_ref()
        .filter(|s| !s.is_empty())
        .map_or_else(|| DEFAULT_SCOPE.to_owned(), |s| s.join(" "));
    let url = format!(
        "{}/authorize?response_type=code&client_id={}&redirect_uri={}&state={}&code_challenge_method=S256&scopes={}&code_challenge={}",
        target.oidc.endpoint(),
        encode(&registration.client_id),
        encode(&redirect_uri),
        encode(&state),
        encode(&scopes),
        challenge
    );
    let answer = match listener {
        Some(listener) => {
            let _ = writeln!(
                ui,
                "To sign in to {} (profile `{}`), open this URL in a browser {}:\n\n    {url}\n",
                target.profile.start_url,
                target.profile.name,
                where_to_open(settings)
            );
            if settings.copy {
                let _ = write!(ui, "{}", desktop::osc52(&url));
            }
            let _ = ui.flush();
            // Kept until the redirect arrives (or the wait ends), which
            // removes it.
            let _page = (settings.open_browser && settings.desktop.display)
                .then(|| open_browser(settings, &url, ui))
                .flatten();
            // Redirects with another state are ignored: the wait ends only
            // with this login's answer, or at the timeout.
            tokio::time::timeout(settings.timeout, listener.wait(&state))
                .await
                .map_err(|_| login_failed(target, "no sign-in arrived at the redirect in time"))?
                .map_err(|e| login_failed(target, &format!("the sign-in redirect failed: {e}")))?
        }
        None => {
            let _ = writeln!(
                ui,
                "To sign in to {} (profile `{}`), open this URL in a browser on any machine:\n\n    {url}\n\nAfter you approve, the browser goes to an address starting {redirect_uri} that does not load.\nCopy that whole address from the address bar (or just its code) and paste it here:",
                target.profile.start_url, target.profile.name
            );
            if settings.copy {
                let _ = write!(ui, "{}", desktop::osc52(&url));
            }
            let _ = ui.flush();
            let pasted = tokio::time::timeout(settings.timeout, read_pasted_line())
                .await
                .map_err(|_| login_failed(target, "nothing was pasted in time"))?
                .map_err(|e| {
                    login_failed(target, &format!("cannot read the pasted address: {e}"))
                })?;
            callback::pasted_answer(&pasted, &state).map_err(|why| login_failed(target, &why))?
        }
    };
    let code = match answer {
        callback::Answer::Code(code) => code,
        callback::Answer::Error(why) => {
            return Err(login_failed(
                target,
                &format!("the sign-in was refused ({why})"),
            ));
        }
    };
    target
        .oidc
        .create_token(
            &registration.client_id,
            &registration.client_secret,
            Grant::AuthorizationCode {
                code: &code,
                redirect_uri: &redirect_uri,
                verifier: &verifier,
            },
        )
        .await
        .map_err(|failure| match failure {
            TokenFailure::Other(e) => e,
            TokenFailure::Refused(why) => login_failed(
                target,
                &format!("the authorization code was refused ({why})"),
            ),
            other => login_failed(target, &format!("the code exchange failed ({other:?})")),
        })
}

/// One line from stdin, at most [`callback::MAX_PASTE`] bytes, read on a
/// thread of its own so that the wait can time out.
async fn read_pasted_line() -> std::io::Result<String> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        use std::io::{BufRead, Read};
        let mut line = Vec::new();
        let read = std::io::stdin()
            .lock()
            .take(callback::MAX_PASTE as u64 + 1)
            .read_until(b'\n', &mut line)
            .map(|_| line);
        let _ = tx.send(read);
    });
    let line = rx
        .await
        .map_err(|_| std::io::Error::other("the reader stopped"))??;
    if line.len() > callback::MAX_PASTE {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("longer than {} bytes", callback::MAX_PASTE),
        ));
    }
    Ok(String::from_utf8_lossy(&line).into_owned())
}

fn login_failed(target: &LoginTarget, why: &str) -> Error {
    Error::LoginRequired {
        reason: format!("login for profile `{}` failed: {why}", target.profile.name),
        login_command: target.login_command(),
    }
}

/// Percent-encodes a query value (everything but RFC 3986 unreserved).
fn encode(text: &str) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(text, SET).to_string()
}

fn random_bytes(n: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; n];
    // The OS random source failing leaves nothing secure to fall back on.
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    bytes
}

/// A PKCE verifier: 64 characters from the RFC 7636 unreserved set.
fn random_verifier() -> String {
    const ALPHABET: &[u8; 66] =
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";
    let mut out = String::with_capacity(64);
    while out.len() < 64 {
        for byte in random_bytes(96) {
            // Rejection keeps the choice uniform: 198 = 3 * 66.
            if byte < 198 && out.len() < 64 {
                out.push(ALPHABET[usize::from(byte) % 66] as char);
            }
        }
    }
    out
}

fn random_hex(n: usize) -> String {
    hex::encode(random_bytes(n))
}

/// Where the PKCE URL must be opened: on this machine, or (a fixed port
/// without a display, as over SSH) on one that forwards the port here.
fn where_to_open(settings: &LoginSettings) -> String {
    match settings.redirect_port {
        Some(port) if !settings.desktop.display => format!(
            "on this machine, or on one that forwards port {port} here (ssh -L {port}:127.0.0.1:{port})"
        ),
        _ => "on this machine".to_owned(),
    }
}

/// Opens the browser on a private page that forwards to `url` (see
/// [`crate::os::page`]), so that the URL, with the PKCE state and code
/// challenge or the device code, never reaches a command line another
/// local user can read; returns the page, which the caller keeps until the
/// login ends (dropping it removes it). Best effort: the URL has been
/// printed, so a failure is a line on `ui`. The device flow's URL comes
/// from the server: anything but a plain web address (an option such as
/// `--help`, a `file:` URL, control characters) is only printed. Under WSL
/// the Windows browser cannot read the page, so the opener gets the URL.
fn open_browser(settings: &LoginSettings, url: &str, ui: &mut dyn Write) -> Option<Page> {
    if !desktop::is_web_url(url) {
        return None;
    }
    if settings.browser.is_none() && !settings.desktop.reads_local_pages() {
        spawn_browser(settings.desktop.open_command(url));
        return None;
    }
    let Some(dir) = &settings.page_dir else {
        let _ = writeln!(
            ui,
            "ssocred: no directory for the sign-in page ({}); open the URL above yourself",
            crate::os::dirs::no_home()
        );
        return None;
    };
    let page = match Page::write(dir, url, "AWS sign-in", "Continue to the AWS sign-in page") {
        Ok(page) => page,
        Err(e) => {
            let _ = writeln!(
                ui,
                "ssocred: cannot write the sign-in page in {}: {e}; open the URL above yourself",
                dir.display()
            );
            return None;
        }
    };
    let file_url = page.file_url()?;
    spawn_browser(match &settings.browser {
        Some(browser) => desktop::browser_page_command(browser, &file_url),
        None => settings.desktop.open_page_command(&file_url),
    });
    Some(page)
}

/// Runs the browser `command`, if any, without waiting for it; failures
/// are ignored because the URL has been printed.
fn spawn_browser(command: Option<std::process::Command>) {
    let Some(mut cmd) = command else {
        return;
    };
    if let Ok(mut child) = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
    {
        // Reap it without making the login wait for the browser.
        std::thread::spawn(move || child.wait());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifiers_are_rfc7636_and_differ() {
        let a = random_verifier();
        let b = random_verifier();
        assert_eq!(a.len(), 64);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c))
        );
        assert_ne!(a, b);
    }

    #[test]
    fn commands_quote_odd_profile_names() {
        assert_eq!(
            expand_command("aws sso login --profile {profile}", "dev"),
            "aws sso login --profile dev"
        );
        assert_eq!(
            expand_command("x {profile}", "it's; rm"),
            r"x 'it'\''s; rm'"
        );
    }

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(
            encode("http://127.0.0.1:1/cb"),
            "http%3A%2F%2F127.0.0.1%3A1%2Fcb"
        );
        assert_eq!(encode("a b"), "a%20b");
    }

    #[test]
    fn polling_never_sleeps_past_the_deadline() {
        let now = tokio::time::Instant::now();
        let deadline = now + Duration::from_secs(5);
        let huge = Duration::from_secs(2_147_483_647);
        assert_eq!(poll_wait(huge, deadline, now), Some(Duration::from_secs(5)));
        assert_eq!(
            poll_wait(Duration::MAX, deadline, now),
            Some(Duration::from_secs(5))
        );
        assert_eq!(
            poll_wait(Duration::from_secs(1), deadline, now),
            Some(Duration::from_secs(1))
        );
        assert_eq!(poll_wait(Duration::from_secs(1), deadline, deadline), None);
        assert_eq!(
            poll_wait(huge, deadline, deadline + Duration::from_secs(1)),
            None
        );
        // slow_down on an absurd interval saturates instead of overflowing,
        // and is clamped like any other.
        let slowed = Duration::MAX.saturating_add(SLOW_DOWN);
        assert_eq!(
            poll_wait(slowed, deadline, now),
            Some(Duration::from_secs(5))
        );
    }

    fn target() -> LoginTarget {
        LoginTarget {
            profile: SsoProfile::for_test("dev", None),
            scopes: None,
            cache_dir: PathBuf::from("/nonexistent"),
            lock_dir: PathBuf::from("/nonexistent"),
            oidc: Oidc::new(
                "us-east-1",
                "http://127.0.0.1:1".to_owned(),
                crate::domain::network::Network::default(),
            ),
            keep_in_memory: false,
            store: token_store::TokenStore::File,
        }
    }

    fn settings(display: bool, asked: Option<&str>) -> LoginSettings {
        LoginSettings {
            device_code: false,
            open_browser: false,
            desktop: Desktop {
                display,
                opener: desktop::Opener::System,
            },
            browser: None,
            page_dir: None,
            redirect_port: asked.map(|_| 8400),
            pkce_asked_by: asked.map(str::to_owned),
            remote: false,
            copy: false,
            timeout: Duration::from_secs(1),
        }
    }

    #[test]
    fn a_setting_that_asks_for_pkce_gets_it_without_a_display_or_an_error() {
        let modern = SsoProfile::for_test("dev", Some("corp"));
        let legacy = SsoProfile::for_test("old", None);
        let asked = Some("redirect port 8400 (flag --redirect-port)");
        // Without a display, auto is the device code; a port means PKCE.
        assert!(!settings(false, None).uses_pkce(&modern).unwrap());
        assert!(settings(false, asked).uses_pkce(&modern).unwrap());
        assert!(settings(true, None).uses_pkce(&modern).unwrap());
        // A legacy profile has no PKCE: refused when asked for, naming why.
        assert!(!settings(true, None).uses_pkce(&legacy).unwrap());
        let Err(Error::Usage(message)) = settings(true, asked).uses_pkce(&legacy) else {
            panic!("a legacy profile with a redirect port must be refused");
        };
        assert!(
            message.contains("redirect port 8400 (flag --redirect-port)")
                && message.contains("`old`")
                && message.contains("sso_session"),
            "{message}"
        );
        // The device code flow asked for wins, and needs no port.
        let device = LoginSettings {
            device_code: true,
            ..settings(true, asked)
        };
        assert!(!device.uses_pkce(&legacy).unwrap());
        assert!(!device.uses_pkce(&modern).unwrap());
    }

    #[test]
    fn the_device_prompt_shows_server_text_visibly() {
        let auth = crate::aws::oidc::DeviceAuthorization {
            device_code: SecretString::from("device-SECRET".to_owned()),
            user_code: "ABCD\u{1b}[2J-EFGH".to_owned(),
            verification_uri: "https://device.example/\nssocred: Logged in".to_owned(),
            verification_uri_complete: "https://device.example/?c=\u{202e}x\u{9b}31m".to_owned(),
            expires_in: Duration::from_secs(600),
            interval: Duration::from_secs(5),
        };
        let prompt = device_prompt(&target(), &auth);
        assert!(
            !prompt
                .chars()
                .any(|c| c.is_control() && c != '\n' || c == '\u{202e}'),
            "{prompt:?}"
        );
        assert!(prompt.contains("    ABCD\\u{1b}[2J-EFGH\n"), "{prompt}");
        assert!(
            prompt.contains("    https://device.example/\\nssocred: Logged in\n"),
            "{prompt}"
        );
        assert!(prompt.contains("?c=\\u{202e}x\\u{9b}31m\n"), "{prompt}");
        assert!(!prompt.contains("SECRET"));
    }
}
