//! Shell integration: completion scripts and the man page, generated from
//! the clap definition so they never drift from the real flags.

use std::io::Write;

use clap::CommandFactory;
use ssocred_core::Error;

use crate::args::Cli;

/// Writes the completion script for `shell` to stdout.
pub fn completions(shell: clap_complete::Shell) -> Result<(), Error> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "ssocred", &mut out);
    write_stdout(&out)
}

/// Writes the man page, in roff, to stdout.
pub fn man() -> Result<(), Error> {
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut out)
        .map_err(|e| Error::Usage(format!("cannot render the man page: {e}")))?;
    write_stdout(&out)
}

fn write_stdout(bytes: &[u8]) -> Result<(), Error> {
    std::io::stdout()
        .lock()
        .write_all(bytes)
        .map_err(|e| Error::Usage(format!("cannot write to stdout: {e}")))
}
