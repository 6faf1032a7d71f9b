//! `ssocred man`: the man page, in roff, generated from the clap definition.

use ssocred_core::Error;

use crate::output::write_stdout;

/// Writes the man page of `command` to stdout.
pub fn run(command: clap::Command) -> Result<(), Error> {
    let mut out = Vec::new();
    clap_mangen::Man::new(command)
        .render(&mut out)
        .map_err(|e| Error::Internal(format!("cannot render the man page: {e}")))?;
    write_stdout(&out)
}
