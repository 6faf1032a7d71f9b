//! ssocred's state directory: what it remembers between runs that is
//! neither configuration nor a cache (the servers of shells that ran
//! `ssocred use`, the chooser's history, the trusted project files).

use std::path::{Path, PathBuf};

/// `$XDG_STATE_HOME/ssocred`, else `~/.local/state/ssocred`. A relative
/// `XDG_STATE_HOME` is ignored, as the XDG specification asks.
pub fn ssocred_state_dir(var: impl Fn(&str) -> Option<String>, home: &Path) -> PathBuf {
    match var("XDG_STATE_HOME").filter(|v| v.starts_with('/')) {
        Some(dir) => PathBuf::from(dir).join("ssocred"),
        None => home.join(".local").join("state").join("ssocred"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xdg_state_home_or_local_state() {
        let home = Path::new("/h");
        let none = |_: &str| None;
        assert_eq!(
            ssocred_state_dir(none, home),
            Path::new("/h/.local/state/ssocred")
        );
        let set = |k: &str| (k == "XDG_STATE_HOME").then(|| "/x".to_owned());
        assert_eq!(ssocred_state_dir(set, home), Path::new("/x/ssocred"));
        let relative = |k: &str| (k == "XDG_STATE_HOME").then(|| "rel".to_owned());
        assert_eq!(
            ssocred_state_dir(relative, home),
            Path::new("/h/.local/state/ssocred")
        );
    }
}
