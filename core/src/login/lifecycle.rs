//! The token lifecycle of one invocation: use the cached token, refresh it
//! when it is about to expire, log in when it cannot be refreshed (or fail
//! at once when nobody is there to log in), each single-flight across
//! processes; and logout.

use std::io::Write;
use std::time::Duration;

use time::OffsetDateTime;

use super::{LoginSettings, LoginTarget, file_error, login, write_token};
use crate::Error;
use crate::aws::oidc::{Grant, TokenFailure};
use crate::domain::time_fmt;
use crate::login::sso_cache::{self, TokenFile, ValidToken};
use crate::os::fs::FileLock;

/// Refreshes `current` with CreateToken (`refresh_token` grant) and writes
/// the result, keeping every other field. `Err` says why, for messages.
pub async fn refresh(target: &LoginTarget, current: &TokenFile) -> Result<TokenFile, String> {
    let now = OffsetDateTime::now_utc();
    let Some(grant) = current.refresh_grant(now) else {
        return Err("no refresh token, or the client registration expired".to_owned());
    };
    let tokens = target
        .oidc
        .create_token(
            grant.client_id,
            grant.client_secret,
            Grant::RefreshToken(grant.refresh_token),
        )
        .await
        .map_err(|failure| match failure {
            TokenFailure::Refused(why) => format!("the refresh was refused ({why})"),
            TokenFailure::Other(e) => e.to_string(),
            other => format!("the refresh failed ({other:?})"),
        })?;
    let mut next = current.clone();
    next.access_token = tokens.access_token;
    next.expires_at = time_fmt::utc_z(now + tokens.expires_in);
    if let Some(rotated) = tokens.refresh_token {
        next.refresh_token = Some(rotated);
    }
    write_token(target, &next).map_err(|e| e.to_string())?;
    Ok(next)
}

/// What to do when the token has expired and cannot be refreshed.
#[derive(Debug, Clone)]
pub enum OnExpiry {
    /// Fail at once with "login required" (headless callers).
    Fail,
    /// Log in natively.
    Login(LoginSettings),
    /// Run this shell command (`{profile}` replaced by the profile name),
    /// with its output on stderr, then read the token it wrote.
    Command(String),
}

/// How long a process that would run `--login-command` itself waits for
/// another process's login.
const COMMAND_LOGIN_WAIT: Duration = Duration::from_secs(600);

/// How [`obtain_token`] behaves.
#[derive(Debug, Clone)]
pub struct TokenPolicy {
    /// Refresh when less than this is left.
    pub refresh_window: Duration,
    /// How long to wait for another process's refresh or login; a process
    /// with an expired token that may log in itself waits at least as long
    /// as a login may take.
    pub lock_timeout: Duration,
    /// What to do when no valid token can be had otherwise.
    pub on_expiry: OnExpiry,
    /// Explain each decision on `ui`.
    pub verbose: bool,
}

/// A valid access token for `target`: the cached one while it has more than
/// the refresh window left; else a refreshed one; else, per
/// `policy.on_expiry`, a new login or a "login required" error.
///
/// Refreshes and logins are single-flight across processes: one process
/// holds the login's lock while the others wait (up to
/// `policy.lock_timeout`) and then read what it wrote. The lock is an
/// advisory file lock the kernel releases when its holder dies, so a crashed
/// holder never blocks the rest.
pub async fn obtain_token(
    target: &LoginTarget,
    policy: &TokenPolicy,
    ui: &mut dyn Write,
) -> Result<ValidToken, Error> {
    let window = policy.refresh_window;
    let note = |ui: &mut dyn Write, text: String| {
        if policy.verbose {
            let _ = writeln!(ui, "ssocred: {text}");
        }
    };
    let (current, problem) = read_token(target);
    let now = OffsetDateTime::now_utc();
    if let Some(valid) = fresh(current.as_ref(), now, window) {
        return Ok(valid);
    }
    let still_valid = current.as_ref().and_then(|t| valid_at(t, now));
    let refreshable = current
        .as_ref()
        .is_some_and(|t| t.refresh_grant(now).is_some());
    let can_login = !matches!(policy.on_expiry, OnExpiry::Fail);
    if !refreshable {
        if let Some(valid) = still_valid {
            note(
                ui,
                "token expires soon but cannot be refreshed; using it".into(),
            );
            return Ok(valid);
        }
        if !can_login {
            return Err(login_required(target, problem));
        }
    }

    let lock_path = target.lock_path();
    note(
        ui,
        format!("waiting for the login lock {}", lock_path.display()),
    );
    // A process that would log in itself waits as long as a login may take:
    // the holder is most likely a person approving a sign-in.
    let wait = match (&policy.on_expiry, &still_valid) {
        (OnExpiry::Login(settings), None) => policy.lock_timeout.max(settings.timeout),
        (OnExpiry::Command(_), None) => policy.lock_timeout.max(COMMAND_LOGIN_WAIT),
        _ => policy.lock_timeout,
    };
    let _lock = match FileLock::acquire_path(&lock_path, wait) {
        Ok(lock) => lock,
        Err(e) => {
            if let Some(valid) = still_valid {
                note(ui, format!("{e}; using the current token"));
                return Ok(valid);
            }
            if e.kind() != std::io::ErrorKind::TimedOut {
                return Err(file_error(&lock_path, "cannot take the login lock", &e));
            }
            return Err(Error::LoginRequired {
                reason: format!(
                    "another ssocred process is refreshing or logging in profile `{}` ({e})",
                    target.profile.name
                ),
                login_command: target.login_command(),
            });
        }
    };
    // Another process may have finished while this one waited.
    let (current, problem) = read_token(target);
    let now = OffsetDateTime::now_utc();
    if let Some(valid) = fresh(current.as_ref(), now, window) {
        note(ui, "another process renewed the token".into());
        return Ok(valid);
    }
    let still_valid = current.as_ref().and_then(|t| valid_at(t, now));
    let mut reason = problem;
    if let Some(file) = current.as_ref().filter(|t| t.refresh_grant(now).is_some()) {
        note(
            ui,
            format!("refreshing the token of profile `{}`", target.profile.name),
        );
        match refresh(target, file).await {
            Ok(next) => return valid_at(&next, now).ok_or_else(|| login_required(target, None)),
            Err(why) => {
                note(ui, format!("refresh failed: {why}"));
                reason = Some(format!("the SSO token could not be refreshed: {why}"));
            }
        }
    }
    if let Some(valid) = still_valid {
        return Ok(valid);
    }
    say_why_login(ui, target, policy, current.as_ref(), reason.as_deref());
    match &policy.on_expiry {
        OnExpiry::Fail => Err(login_required(target, reason)),
        OnExpiry::Login(settings) => {
            let file = login(target, settings, ui).await?;
            valid_at(&file, OffsetDateTime::now_utc()).ok_or_else(|| login_required(target, None))
        }
        OnExpiry::Command(template) => {
            run_login_command(target, template)?;
            let (after, problem) = read_token(target);
            after
                .as_ref()
                .and_then(|t| valid_at(t, OffsetDateTime::now_utc()))
                .ok_or_else(|| {
                    login_required(
                        target,
                        Some(format!(
                            "the login command `{}` left no valid token{}",
                            expand_command(template, &target.profile.name),
                            problem.map(|p| format!(" ({p})")).unwrap_or_default()
                        )),
                    )
                })
        }
    }
}

/// Tells the user, before a login a command starts by itself, why it does:
/// the token expired (and when), could not be refreshed, or is not there.
fn say_why_login(
    ui: &mut dyn Write,
    target: &LoginTarget,
    policy: &TokenPolicy,
    current: Option<&TokenFile>,
    reason: Option<&str>,
) {
    let next = match policy.on_expiry {
        OnExpiry::Fail => return,
        OnExpiry::Login(_) => "signing in",
        OnExpiry::Command(_) => "running the login command",
    };
    let name = &target.profile.name;
    let expired = current.and_then(TokenFile::expiry).map(|at| {
        // A time of day reads best for a login that ended today.
        let recent = OffsetDateTime::now_utc() - at < time::Duration::hours(12);
        let when = if recent {
            time_fmt::clock_z(at)
        } else {
            time_fmt::utc_z(at)
        };
        format!("the SSO login of profile `{name}` expired at {when}")
    });
    let why = match (expired, reason) {
        (Some(expired), Some(reason)) => format!("{expired} and {reason}"),
        (Some(expired), None) => expired,
        (None, Some(reason)) => reason.to_owned(),
        (None, None) => format!("profile `{name}` has no SSO login"),
    };
    let _ = writeln!(ui, "ssocred: {why}; {next}");
}

/// Reads the token file; `None` with the reason when it is missing or
/// unusable.
fn read_token(target: &LoginTarget) -> (Option<TokenFile>, Option<String>) {
    let path = target.token_path();
    let key = target.profile.token_cache_key();
    match target.store.load("sso-token", &path) {
        Ok(Some(bytes)) => match TokenFile::parse(&bytes) {
            Ok(file) if file.expiry().is_some() => (Some(file), None),
            Ok(file) => (
                None,
                Some(format!(
                    "the SSO token file {} is unreadable: expiresAt `{}` is not a timestamp",
                    path.display(),
                    file.expires_at
                )),
            ),
            Err(problem) => (
                None,
                Some(format!(
                    "the SSO token file {} is unreadable: {problem}",
                    path.display()
                )),
            ),
        },
        Ok(None) => (
            None,
            Some(format!(
                "no SSO login found for {key} (no token file {})",
                path.display()
            )),
        ),
        Err(e) => (
            None,
            Some(format!(
                "the SSO token file {} is unreadable: {e}",
                path.display()
            )),
        ),
    }
}

fn valid_at(file: &TokenFile, now: OffsetDateTime) -> Option<ValidToken> {
    let expires_at = file.expiry()?;
    (expires_at > now).then(|| ValidToken {
        token: sso_cache::CachedToken {
            access_token: file.access_token.clone(),
            expires_at: file.expires_at.clone(),
            start_url: file.start_url.clone(),
            region: file.region.clone(),
        },
        expires_at,
    })
}

fn fresh(file: Option<&TokenFile>, now: OffsetDateTime, window: Duration) -> Option<ValidToken> {
    let valid = valid_at(file?, now)?;
    (valid.expires_at - now > window).then_some(valid)
}

fn login_required(target: &LoginTarget, reason: Option<String>) -> Error {
    let reason = reason.unwrap_or_else(|| {
        let path = target.token_path();
        match read_token(target).0.and_then(|t| t.expiry()) {
            Some(at) => format!(
                "the SSO login for {} expired at {} (token file {})",
                target.profile.token_cache_key(),
                time_fmt::utc_z(at),
                path.display()
            ),
            None => format!("no valid SSO login in {}", path.display()),
        }
    });
    Error::LoginRequired {
        reason,
        login_command: target.login_command(),
    }
}

/// `template` with `{profile}` replaced by the shell-quoted profile name.
pub fn expand_command(template: &str, profile: &str) -> String {
    let safe = profile
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_.@/+=:,".contains(c));
    let quoted = if safe {
        profile.to_owned()
    } else {
        format!("'{}'", profile.replace('\'', r"'\''"))
    };
    template.replace("{profile}", &quoted)
}

fn run_login_command(target: &LoginTarget, template: &str) -> Result<(), Error> {
    let command = expand_command(template, &target.profile.name);
    // The command's stdout goes to stderr: stdout may be a credential_process
    // reply that must stay clean.
    let mut cmd = crate::os::process::shell(&command);
    if let Some(stderr) = crate::os::process::stderr_for_child() {
        cmd.stdout(stderr);
    }
    let status = cmd
        .status()
        .map_err(|e| Error::Usage(format!("--login-command: cannot run `{command}`: {e}")))?;
    if !status.success() {
        return Err(Error::LoginRequired {
            reason: format!("the login command `{command}` failed ({status})"),
            login_command: target.login_command(),
        });
    }
    Ok(())
}

/// What [`logout`] did.
#[derive(Debug)]
pub struct LogoutOutcome {
    /// Where the token was removed from: the OS keyring, the file.
    pub removed: Vec<String>,
    /// Why the portal's Logout could not be called or failed, if it did.
    pub portal_error: Option<Error>,
}

/// Ends the login: calls the portal's Logout with the cached token (when
/// there is one), removes the token-cache file, and forgets the role
/// credentials cached for this login.
pub async fn logout(
    target: &LoginTarget,
    portal: &crate::aws::portal::Portal,
    lock_timeout: Duration,
) -> Result<LogoutOutcome, Error> {
    let path = target.token_path();
    let lock_path = target.lock_path();
    let _lock = FileLock::acquire_path(&lock_path, lock_timeout)
        .map_err(|e| file_error(&lock_path, "cannot take the login lock", &e))?;
    let (current, _) = read_token(target);
    let portal_error = match &current {
        Some(file) => portal.logout(&file.access_token).await.err(),
        None => None,
    };
    let removed = target.store.remove("sso-token", &path)?;
    // A registration is reused by the next login; in the keyring it goes
    // with the token, so nothing of this login stays there.
    if let Some(k) = target.store.keyring() {
        let item = super::token_store::item_name("sso-registration", &target.registration_path());
        k.delete(&item).map_err(|e| Error::Output {
            target: "the OS credential store ([login] token_store)".to_owned(),
            message: e.0,
        })?;
    }
    Ok(LogoutOutcome {
        removed,
        portal_error,
    })
}
