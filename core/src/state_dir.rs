//! ssocred's state directory: what it remembers between runs that is
//! neither configuration nor a cache (the servers of shells that ran
//! `ssocred use`, the chooser's history, the trusted project files).

use std::path::{Path, PathBuf};

/// ssocred's state directory, by the system's conventions: on Unix
/// `$XDG_STATE_HOME/ssocred` (when absolute, as the XDG specification asks),
/// else `~/.local/state/ssocred`; on Windows `%LOCALAPPDATA%\ssocred\state`
/// unless `XDG_STATE_HOME` names an absolute directory
/// (docs/platforms.md).
pub fn ssocred_state_dir(var: impl Fn(&str) -> Option<String>, home: &Path) -> PathBuf {
    crate::os::paths::state_dir(&var, home)
}
