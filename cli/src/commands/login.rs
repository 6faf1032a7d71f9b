//! `ssocred login`: a new native login (browser or device code), cached where
//! the AWS CLI and SDKs find it, whatever the cache holds.

use clap::Args;
use ssocred_core::Error;
use ssocred_core::login;

use crate::flags::{ConfigFlags, FlowFlags, NetworkFlags, ProfileFlag, VerboseFlag};
use crate::request::{self, LOGIN_TIMEOUT};
use crate::runtime::runtime;
use crate::settings::{Flags, Settings};

// `ssocred login`: the variant doc in commands/mod.rs is its help.
#[derive(Debug, Args)]
pub struct LoginArgs {
    #[command(flatten)]
    pub profile: ProfileFlag,

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
            ..Flags::default()
        }
    }
}

/// Runs the command.
pub fn run(args: &LoginArgs) -> Result<(), Error> {
    let settings = Settings::from_process(&args.flags())?;
    let paths = request::paths()?;
    let (files, profile) = request::sso_profile(&settings, &paths)?;
    let network = request::network(&args.network, &paths, &files, &profile)?;
    let target = request::login_target(&paths, &files, &profile, &network)?;
    let login_settings = request::login_settings(&settings);
    if args.verbose.verbose {
        ssocred_core::stderr_line!(
            "ssocred: {} login for profile `{}` at {}; token file {}",
            if login_settings.uses_pkce(&profile) {
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
    runtime()?.block_on(login::login(&target, &login_settings, &mut stderr))?;
    Ok(())
}
