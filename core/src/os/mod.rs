//! The platform layer: every call that differs between operating systems is
//! made here, and nowhere else in ssocred (`scripts/check-platform-layer`
//! enforces it). Each concern is one module with the same items on every
//! system; `unix.rs` implements them for Linux and macOS (with the few
//! differences named where they occur) and `windows.rs` for Windows.
//! docs/platforms.md describes the semantics chosen on each system.
//!
//! - [`file`]: private modes, owners, special files, the sticky-directory
//!   rule, lock and open options, unnamed temp files, atomic replace.
//! - [`process`]: the non-dumpable flag, the signals that `exec`, `--watch`
//!   and serve handle, and a child's exit code.
//! - [`limits`]: resource limits.
//! - [`helper_link`]: installing `docker-credential-ssocred`.
//! - [`browser`]: how a URL is opened, and whether a desktop can show it.
//! - [`keyring`]: the OS credential stores tokens may be kept in; [`secrets`]
//!   reads and writes them, in pieces where a store caps a value's size,
//!   never waiting on a store that cannot answer.
//! - [`dirs`]: the home directory and ssocred's config, cache, state and
//!   runtime directories, over each system's conventions (`paths`).
//! - [`fs`]: safe file writes (temp file, fsync, rename, sidecar locks)
//!   and bounded reads.
//! - [`stderr`]: the diagnostics line writer behind `stderr_line!`.
//! - [`desktop`]: the browser and notification commands (WSL included) and
//!   the terminal clipboard; one module for every system, since its choices
//!   are made from injected inputs and tested anywhere.
//! - [`page`]: the private page a browser is opened on, so that a URL with
//!   a secret in it stays off every command line.
//! - [`own_path`]: the path a line written for later runs this executable
//!   by: the link on PATH, not the versioned file an upgrade deletes.

#[cfg(unix)]
mod unix;
#[cfg(unix)]
use unix as imp;

// Unsafe code is forbidden in the workspace; the Windows API is reached
// through windows-sys, so it is allowed in that module alone, with a SAFETY
// comment on each block.
#[cfg(windows)]
#[allow(unsafe_code)]
mod windows;
#[cfg(windows)]
use windows as imp;

pub use imp::{browser, file, helper_link, keyring, limits, process, start};
// The systems' directory conventions, reached through `dirs` alone.
use imp::paths;

pub mod desktop;
pub mod dirs;
pub mod fs;
pub mod own_path;
pub mod page;
pub mod secrets;
pub mod stderr;

/// Signal (or console-event) handlers could not be installed; the message
/// says why. The platform layer names nothing else of ssocred, so callers
/// get this, and the error type of ssocred converts it.
#[derive(Debug)]
pub struct SignalError(pub String);

impl std::fmt::Display for SignalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
