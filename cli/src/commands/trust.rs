//! `ssocred trust [PATH]`: shows a project file (`.ssocred.toml`) and
//! records its canonical path and SHA-256, so runs in its directory use it
//! until it changes.

use std::path::PathBuf;

use clap::Args;
use ssocred_core::Error;

use crate::output::write_stdout;
use crate::settings::project_file::{self, FILE_NAME, TrustStore};

// `ssocred trust`: the variant doc in commands/mod.rs is its help.
#[derive(Debug, Args)]
pub struct TrustArgs {
    /// The project file, or a directory to look in and above [default: the
    /// nearest .ssocred.toml from the working directory].
    pub path: Option<PathBuf>,
}

/// Runs the command.
pub fn run(args: &TrustArgs) -> Result<(), Error> {
    let env = |name: &str| std::env::var(name).ok();
    let start = match &args.path {
        Some(path) => path.clone(),
        None => std::env::current_dir()
            .map_err(|e| Error::Internal(format!("cannot read the working directory: {e}")))?,
    };
    let path = if start.is_dir() {
        project_file::find(&start).ok_or_else(|| {
            Error::Usage(format!(
                "no {FILE_NAME} in {} or any directory above it",
                start.display()
            ))
        })?
    } else {
        start
    };
    // Read and checked first: a file with a refused key is never trusted.
    let file = project_file::read(&path)?;
    let store = TrustStore::from_env(&env)?;
    // A file trusted before shows what changed since, not the whole file.
    let before = store.trusted_before(&file)?;
    let heading = if before.is_some() {
        " (changed since it was trusted)"
    } else {
        ""
    };
    write_stdout(
        format!(
            "{}{heading}:\n{}",
            file.path.display(),
            file.review(before.as_deref())
        )
        .as_bytes(),
    )?;
    if store.trusts(&file)? {
        ssocred_core::stderr_line!(
            "ssocred: {} is already trusted as it is",
            file.path.display()
        );
    } else {
        store.trust(&file)?;
        ssocred_core::stderr_line!(
            "ssocred: trusted {} (sha256 {}); a change must be trusted again",
            file.path.display(),
            file.digest()
        );
    }
    Ok(())
}
