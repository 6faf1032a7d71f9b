//! What the binary itself writes to stdout (listings, settings, scripts):
//! a failure is an output error (exit 7), as inside a sink; a reader that
//! went away (`ssocred list | head`) is not a failure.

use std::io::Write;

use ssocred_core::Error;

/// Writes `bytes` to stdout and flushes.
pub fn write_stdout(bytes: &[u8]) -> Result<(), Error> {
    stream_stdout(|out| out.write_all(bytes))
}

/// Lets `write` stream into a buffered stdout, then flushes: large output
/// is never held whole.
pub fn stream_stdout(
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), Error> {
    let stdout = std::io::stdout();
    // 64 KiB: a listing of 30,000 roles is a few MB, in few writes.
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, stdout.lock());
    match write(&mut out).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.map_err(|e| Error::stdout(&e)),
    }
}
