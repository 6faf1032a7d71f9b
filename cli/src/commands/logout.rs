//! `ssocred logout`: end the SSO session, remove its cached token, and
//! forget the role credentials obtained with it.

use clap::Args;
use ssocred_core::Error;
use ssocred_core::login;

use crate::flags::{ConfigFlags, NetworkFlags, ProfileFlag};
use crate::request::{self, LOGIN_TIMEOUT};
use crate::runtime::runtime;
use crate::settings::{Flags, Settings};

// `ssocred logout`: the variant doc in commands/mod.rs is its help.
#[derive(Debug, Args)]
pub struct LogoutArgs {
    #[command(flatten)]
    pub profile: ProfileFlag,

    #[command(flatten)]
    pub network: NetworkFlags,

    #[command(flatten)]
    pub config: ConfigFlags,
}

impl LogoutArgs {
    /// What the flags say about the settings.
    pub fn flags(&self) -> Flags {
        Flags {
            config: self.config.config.clone(),
            preset: self.config.preset.clone(),
            profile: self.profile.profile.clone(),
            ..Flags::default()
        }
    }
}

/// Runs the command.
pub fn run(args: &LogoutArgs) -> Result<(), Error> {
    let settings = Settings::from_process(&args.flags())?;
    let paths = request::paths()?;
    if super::console_login::is_console_profile(&settings, &paths) {
        return super::console_login::logout(&settings, &paths);
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
    let portal = request::portal(&paths, &profile, &network)?;
    let outcome = runtime()?.block_on(login::logout(&target, &portal, LOGIN_TIMEOUT))?;
    // Role credentials obtained with the token die with it. The AWS CLI's
    // cache entries do not say which login they came from, so every SSO
    // entry goes, as `aws sso logout` does; the next call fetches anew.
    let role_cache = ssocred_core::store::role_cache::RoleCache::new(
        ssocred_core::store::role_cache::default_dir(&paths.home),
        ssocred_core::store::role_cache::DEFAULT_WINDOW,
    );
    let forgotten = role_cache.clear().map_err(|e| {
        login::file_error(
            role_cache.dir(),
            "cannot remove cached role credentials",
            &e,
        )
    })?;
    if forgotten > 0 {
        ssocred_core::stderr_line!(
            "Removed {forgotten} cached role credential{} from {}",
            if forgotten == 1 { "" } else { "s" },
            role_cache.dir().display()
        );
    }
    // So do the ECR tokens obtained through this login.
    let ecr_cache = ssocred_core::store::ecr_token_cache::TokenCache::new(
        ssocred_core::store::ecr_token_cache::default_dir(
            &ssocred_core::os::dirs::ssocred_cache_dir(&|k| std::env::var(k).ok(), &paths.home),
        ),
        ssocred_core::store::role_cache::DEFAULT_WINDOW,
    );
    let tokens = ecr_cache
        .clear(Some(&ssocred_core::store::ecr_token_cache::login_of(
            &profile,
        )))
        .map_err(|e| login::file_error(ecr_cache.dir(), "cannot remove cached ECR tokens", &e))?;
    if tokens > 0 {
        ssocred_core::stderr_line!(
            "Removed {tokens} cached ECR token{} from {}",
            if tokens == 1 { "" } else { "s" },
            ecr_cache.dir().display()
        );
    }
    if outcome.removed.is_empty() {
        ssocred_core::stderr_line!(
            "Profile `{}` was not logged in (no token in {}; token file {}).",
            profile.name,
            target.store.describe(),
            target.token_path().display()
        );
    } else {
        ssocred_core::stderr_line!(
            "Logged out of profile `{}`: removed the token from {}",
            profile.name,
            outcome.removed.join(" and ")
        );
    }
    match outcome.portal_error {
        None => Ok(()),
        Some(Error::Unreachable {
            service,
            endpoint,
            message,
        }) => Err(Error::Unreachable {
            service,
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
