//! `ssocred completions SHELL`: a completion script generated from the clap
//! definition, so it never drifts from the real flags.

use ssocred_core::Error;

use crate::output::write_stdout;

/// Writes the completion script of `shell` for `command` to stdout.
pub fn run(shell: clap_complete::Shell, mut command: clap::Command) -> Result<(), Error> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut command, "ssocred", &mut out);
    write_stdout(&out)
}
