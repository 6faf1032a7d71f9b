//! `ssocred login` and `logout` for console sessions of `aws login`
//! (docs/console-sessions.md): the sign-in, the profile's
//! `login_session`, the session's cache file.

use ssocred_core::Error;
use ssocred_core::domain::text::visible;
use ssocred_core::domain::time_fmt;
use ssocred_core::login::console;
use ssocred_core::login::console_sign_in::{self, SignIn};
use ssocred_core::os::fs::TargetFile;
use ssocred_core::store::profile::{AwsPaths, ProfileFiles};
use ssocred_core::store::setup;

use ssocred_core::login::LoginSettings;

use crate::flags::NetworkFlags;
use crate::request;
use crate::runtime::runtime;
use crate::settings::Settings;

/// The keys that give a profile credentials of another kind: a console
/// session is not added to such a profile (as `aws login` refuses it).
const OTHER_CREDENTIALS: [&str; 7] = [
    "aws_access_key_id",
    "role_arn",
    "web_identity_token_file",
    "credential_process",
    "sso_session",
    "sso_start_url",
    "sso_account_id",
];

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Whether the settings' profile is a console session: it has
/// `login_session` and no SSO settings.
pub fn is_console_profile(settings: &Settings, paths: &AwsPaths) -> bool {
    let name = &settings.profile.value;
    ProfileFiles::load_for(paths, name).is_ok_and(|files| {
        files.profile_value(name, "login_session").is_some()
            && ["sso_session", "sso_start_url"]
                .iter()
                .all(|k| files.profile_value(name, k).is_none())
    })
}

/// Signs the profile in to a console session, writes the session's cache
/// file and makes the profile a `login_session` profile (with the region
/// when it has none).
pub fn login(
    name: &str,
    region: Option<String>,
    network: &NetworkFlags,
    login_settings: &LoginSettings,
    paths: &AwsPaths,
) -> Result<(), Error> {
    let name = name.to_owned();
    let files = ProfileFiles::load(paths)?;
    if let Some(key) = OTHER_CREDENTIALS
        .iter()
        .find(|k| files.profile_value(&name, k).is_some())
    {
        return Err(Error::BadSsoProfile {
            profile: name.clone(),
            config: paths.config.clone(),
            problem: format!(
                "it already holds credentials of another kind ({key}); sign in to a console session with a profile of its own: `ssocred login --console -p NEW-NAME`"
            ),
        });
    }
    let own_region = files.profile_value(&name, "region").map(str::to_owned);
    let region = region
        .or_else(|| own_region.clone())
        .ok_or_else(|| Error::Usage(format!(
            "profile `{name}` has no region, and AWS Sign-In is regional: pass --region (it is written to the profile)"
        )))?;
    let network = request::network(network, paths, &files, &name)?;
    let sign = SignIn {
        profile: &name,
        region: &region,
        network: &network,
        cache_dir: console::cache_dir(&paths.home, env),
        settings: login_settings,
    };
    let mut stderr = std::io::stderr();
    let signed = runtime()?.block_on(console_sign_in::sign_in(&sign, &mut stderr))?;
    let mut entries = vec![("login_session", signed.login_session.as_str())];
    if own_region.is_none() {
        entries.push(("region", region.as_str()));
    }
    let previous = files
        .profile_value(&name, "login_session")
        .map(str::to_owned);
    write_profile(paths, &name, &entries)?;
    if let Some(old) = previous.filter(|old| old.trim() != signed.login_session) {
        ssocred_core::stderr_line!(
            "ssocred: profile `{}` used the session of {} before",
            visible(&name),
            visible(&old)
        );
    }
    ssocred_core::stderr_line!(
        "ssocred: signed in as {} for profile `{}`: credentials until {}, renewed through AWS Sign-In for up to 12 hours; session {}",
        visible(&signed.login_session),
        visible(&name),
        time_fmt::utc_z(signed.expiration),
        signed.cache_file.display()
    );
    Ok(())
}

/// Sets `entries` in the profile's section of the config file, under its
/// lock, atomically, every other byte kept.
fn write_profile(paths: &AwsPaths, name: &str, entries: &[(&str, &str)]) -> Result<(), Error> {
    let path = &paths.config;
    let io = |what: &str, e: std::io::Error| ssocred_core::login::file_error(path, what, &e);
    let file = TargetFile::open_for_update(path).map_err(|e| io("cannot open", e))?;
    let before = file
        .read()
        .map_err(|e| io("cannot read", e))?
        .unwrap_or_default();
    let after =
        ssocred_core::store::ini_edit::set_section(&before, &setup::profile_header(name), entries);
    ssocred_core::store::profile::parse_sections(Some(&after), None).map_err(|why| {
        Error::Internal(format!(
            "the edited {} would not parse ({why}); nothing was written",
            path.display()
        ))
    })?;
    if after != before {
        file.write(after.as_bytes())
            .map_err(|e| io("cannot write", e))?;
    }
    Ok(())
}

/// Removes the profile's session file, as `aws logout` does: its
/// credentials already handed out last until they expire (15 minutes).
pub fn logout(settings: &Settings, paths: &AwsPaths) -> Result<(), Error> {
    let name = &settings.profile.value;
    let files = ProfileFiles::load_for(paths, name)?;
    let Some(session) = files.profile_value(name, "login_session") else {
        return Ok(());
    };
    let cache_file = console::cache_file(session, &paths.home, env);
    let _turn = ssocred_core::os::fs::FileLock::acquire(&cache_file)
        .map_err(|e| ssocred_core::login::file_error(&cache_file, "cannot lock", &e))?;
    match std::fs::remove_file(&cache_file) {
        Ok(()) => ssocred_core::stderr_line!(
            "ssocred: removed the console session of profile `{}` ({}); credentials already handed out last until they expire, at most 15 minutes",
            visible(name),
            cache_file.display()
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => ssocred_core::stderr_line!(
            "ssocred: profile `{}` has no console session to remove ({})",
            visible(name),
            cache_file.display()
        ),
        Err(e) => {
            return Err(ssocred_core::login::file_error(
                &cache_file,
                "cannot remove",
                &e,
            ));
        }
    }
    Ok(())
}
