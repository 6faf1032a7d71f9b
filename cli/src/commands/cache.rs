//! `ssocred cache`: the role-credential cache (~/.aws/cli/cache, shared
//! with the AWS CLI v2).

use clap::Subcommand;
use ssocred_core::Error;
use ssocred_core::role_cache::{self, RoleCache};

use crate::output::write_stdout;
use crate::request;

// What `ssocred cache` does (the variant doc in commands/mod.rs is its help).
#[derive(Debug, Subcommand)]
pub enum CacheAction {
    /// Remove every cached SSO role credential (other AWS CLI entries stay).
    Clear {
        /// Explain each step on stderr.
        #[arg(short, long)]
        verbose: bool,
    },
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
                eprintln!("ssocred: cleared the role cache {}", dir.display());
            }
            write_stdout(
                format!(
                    "removed {removed} cached role credential(s) from {}\n",
                    dir.display()
                )
                .as_bytes(),
            )
        }
    }
}
