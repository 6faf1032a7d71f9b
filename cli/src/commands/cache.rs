//! `ssocred cache`: the role-credential cache (~/.aws/cli/cache, shared
//! with the AWS CLI v2).

use clap::Subcommand;
use ssocred_core::Error;
use ssocred_core::store::ecr_token_cache::{self, TokenCache};
use ssocred_core::store::role_cache::{self, RoleCache};

use crate::output::write_stdout;
use crate::request;

// What `ssocred cache` does (the variant doc in commands/mod.rs is its help).
#[derive(Debug, Subcommand)]
pub enum CacheAction {
    /// Remove every cached SSO role credential (other AWS CLI entries stay)
    /// and every cached ECR token.
    Clear {
        /// Explain each step on stderr.
        #[arg(short, long)]
        verbose: bool,
    },
}

/// ssocred's ECR token cache (see `ssocred docker-credential`).
fn ecr_cache(paths: &ssocred_core::store::profile::AwsPaths) -> TokenCache {
    let root = ssocred_core::os::dirs::ssocred_cache_dir(&|k| std::env::var(k).ok(), &paths.home);
    TokenCache::new(
        ecr_token_cache::default_dir(&root),
        role_cache::DEFAULT_WINDOW,
    )
}

/// Runs the command.
pub fn run(action: &CacheAction) -> Result<(), Error> {
    let paths = request::paths()?;
    let dir = role_cache::default_dir(&paths.home);
    match action {
        CacheAction::Clear { verbose } => {
            let cache = RoleCache::new(dir.clone(), role_cache::DEFAULT_WINDOW);
            let removed = cache.clear().map_err(|e| Error::Output {
                target: dir.display().to_string(),
                message: format!("cannot clear the role cache: {e}"),
            })?;
            if *verbose {
                ssocred_core::stderr_line!("ssocred: cleared the role cache {}", dir.display());
            }
            // ECR tokens were obtained with those credentials: they go too.
            let ecr_cache = ecr_cache(&paths);
            let tokens = ecr_cache.clear(None).map_err(|e| Error::Output {
                target: ecr_cache.dir().display().to_string(),
                message: format!("cannot clear the ECR token cache: {e}"),
            })?;
            write_stdout(
                format!(
                    "removed {removed} cached role credential(s) from {}\nremoved {tokens} cached ECR token(s) from {}\n",
                    dir.display(),
                    ecr_cache.dir().display()
                )
                .as_bytes(),
            )
        }
    }
}
