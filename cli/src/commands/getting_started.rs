//! A bare `ssocred` where nothing is set up: a short screen on how to
//! start, instead of an error about a `default` profile that no one made.
//! A bare `ssocred` with anything set up (a `default` SSO profile, say)
//! fetches as it always has.

use std::path::Path;

use ssocred_core::Error;
use ssocred_core::store::profile::ProfileFiles;

use crate::output::write_stdout;
use crate::request;
use crate::settings::{config_file, project_file};

/// Whether nothing at all tells ssocred what to do: no profile named in
/// the environment, no ssocred config or project file, and no profile of
/// the AWS config with an `sso_session` or `sso_start_url`. A config that
/// cannot be read counts as set up, so its error is shown as before.
pub fn nothing_set_up() -> bool {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let named = ["SSOCRED_PROFILE", "AWS_PROFILE", "SSOCRED_CONFIG"];
    if named.iter().any(|name| env(name).is_some()) {
        return false;
    }
    if config_file::locate(None, &env).is_some_and(|(path, _)| path.exists()) {
        return false;
    }
    let Ok(cwd) = std::env::current_dir() else {
        return false;
    };
    if project_file::find(&cwd).is_some() {
        return false;
    }
    let Ok(files) = request::paths().and_then(|paths| ProfileFiles::load(&paths)) else {
        return false;
    };
    !files.sections().profiles().any(|name| {
        ["sso_session", "sso_start_url"]
            .iter()
            .any(|key| files.profile_value(name, key).is_some())
    })
}

/// Prints the screen on stdout.
pub fn show() -> Result<(), Error> {
    let config = request::paths().map(|p| p.config).ok();
    let config = config.as_deref().map_or_else(
        || "~/.aws/config".to_owned(),
        |p: &Path| p.display().to_string(),
    );
    let text = format!(
        "ssocred turns an AWS IAM Identity Center (SSO) login into role credentials.\n\
         Nothing is set up yet: {config} has no SSO profile and there is no ssocred config.\n\
         \n\
         \x20 ssocred init      set up a login and a profile (asks for your start URL)\n\
         \x20 ssocred --help    every command and flag\n"
    );
    write_stdout(text.as_bytes())
}
