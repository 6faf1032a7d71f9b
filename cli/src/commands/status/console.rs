//! `ssocred status` for a console session of `aws login`
//! (docs/console-sessions.md): what its file says, with no network call.

use std::io::Read;
use std::process::ExitCode;

use serde::Serialize;
use ssocred_core::Error;
use ssocred_core::domain::text::visible;
use ssocred_core::domain::time_fmt;
use ssocred_core::login::console;
use ssocred_core::store::profile::{AwsPaths, ProfileFiles};
use time::OffsetDateTime;

use super::{EXPIRED, VALID};
use crate::output::write_stdout;

/// A session file is a few kilobytes: more is not one.
const MAX_FILE: u64 = 64 * 1024;

/// What the session's file says.
#[derive(Debug, Serialize)]
struct SessionStatus<'a> {
    profile: &'a str,
    kind: &'static str,
    login_session: &'a str,
    session_file: String,
    /// `valid`, `renews` (the credentials have expired; the next use
    /// refreshes them through Sign-In) or `missing`.
    state: &'static str,
    expires: Option<String>,
    remaining_seconds: Option<i64>,
}

/// The report of console profile `name`: exit 0 while the session can give
/// credentials (valid, or renewed on next use), 11 when it has no file or
/// one that cannot be read.
pub fn run(
    name: &str,
    paths: &AwsPaths,
    json: bool,
    now: OffsetDateTime,
) -> Result<ExitCode, Error> {
    let files = ProfileFiles::load_for(paths, name)?;
    let session = files
        .profile_value(name, "login_session")
        .unwrap_or_default();
    let file = console::cache_file(session, &paths.home, |k| std::env::var(k).ok());
    let expires = read_expiry(&file);
    let (state, code) = match &expires {
        None => ("missing", EXPIRED),
        Some((_, false)) => ("missing", EXPIRED),
        Some((at, true)) if *at > now => ("valid", VALID),
        Some(_) => ("renews", VALID),
    };
    let status = SessionStatus {
        profile: name,
        kind: "console-session",
        login_session: session,
        session_file: file.display().to_string(),
        state,
        expires: expires.as_ref().map(|(at, _)| time_fmt::utc_z(*at)),
        remaining_seconds: expires.as_ref().map(|(at, _)| (*at - now).whole_seconds()),
    };
    let text = if json {
        serde_json::to_string(&status).unwrap_or_default() + "\n"
    } else {
        human(&status)
    };
    write_stdout(text.as_bytes())?;
    Ok(ExitCode::from(code))
}

fn human(s: &SessionStatus<'_>) -> String {
    let line = match (s.state, &s.expires, s.remaining_seconds) {
        ("valid", Some(at), Some(left)) => format!(
            "credentials valid for {} (until {at}), renewed through AWS Sign-In before they end",
            ssocred_core::status::short_duration(left)
        ),
        ("renews", Some(at), _) => {
            format!("credentials expired at {at}; renewed through AWS Sign-In on next use")
        }
        _ => format!(
            "no usable session file; sign in with `{}`",
            ssocred_core::aws::portal::login_command(s.profile)
        ),
    };
    format!(
        "profile {}: console session of {} (aws login)\n  {line}\n  session file {}\n",
        visible(s.profile),
        visible(s.login_session),
        s.session_file
    )
}

/// The credentials' expiry in the session file, and whether the file holds
/// what a refresh needs (a refresh token and the session's key); `None`
/// when there is no readable file.
fn read_expiry(path: &std::path::Path) -> Option<(OffsetDateTime, bool)> {
    let file = ssocred_core::os::file::read_no_follow_options()
        .open(path)
        .ok()?;
    let mut text = String::new();
    file.take(MAX_FILE).read_to_string(&mut text).ok()?;
    let doc: serde_json::Value = serde_json::from_str(&text).ok()?;
    let at = time_fmt::parse_expiry(doc["accessToken"]["expiresAt"].as_str()?)?;
    let refreshable = doc["refreshToken"].as_str().is_some_and(|t| !t.is_empty())
        && doc["dpopKey"].as_str().is_some_and(|k| !k.is_empty());
    Some((at, refreshable))
}
