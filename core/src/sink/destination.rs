//! Where a sink's text goes: stdout, or a file replaced whole through the
//! platform layer's safe writes.

use std::io::Write;
use std::path::PathBuf;

use super::SinkContext;
use crate::domain::sink_error::SinkError;

/// Where a sink's text goes: stdout, or a file it replaces whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// The invocation's stdout.
    Stdout,
    /// A file, written atomically (0600) under its sidecar lock; an existing
    /// FIFO or character device is written in place ([`crate::os::fs::Target`]).
    File(PathBuf),
}

impl Destination {
    /// Reads a sink's file option (`path`, `out`): absent means stdout, an
    /// empty value is refused naming the option, and a relative path
    /// resolves against the working directory.
    pub fn from_option(
        sink: &str,
        option: &str,
        value: Option<String>,
        ctx: &SinkContext,
    ) -> Result<Self, SinkError> {
        match value.as_deref() {
            None => Ok(Destination::Stdout),
            Some("") => Err(SinkError::usage(sink, format!("`{option}` is empty"))),
            Some(path) => Ok(Destination::File(ctx.resolve(path))),
        }
    }

    /// Writes `text` to stdout, or replaces the file with it.
    pub fn write(&self, stdout: &mut dyn Write, text: &[u8]) -> Result<(), SinkError> {
        match self {
            Destination::Stdout => write_stdout(stdout, text),
            Destination::File(path) => crate::os::fs::TargetFile::open(path)
                .and_then(|file| file.write(text))
                .map_err(|e| SinkError::io(path, &e)),
        }
    }
}

/// Writes `text` to a sink's stdout; a failure names `<stdout>`.
pub fn write_stdout(stdout: &mut dyn Write, text: &[u8]) -> Result<(), SinkError> {
    stdout.write_all(text).map_err(|e| SinkError::stdout(&e))
}
