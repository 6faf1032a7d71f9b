//! The one home of ssocred's directories: the home directory, and
//! ssocred's config, cache, state and runtime directories. Every lookup
//! takes the environment as a function (`var`), so callers pass the process
//! environment and tests pass a table; nothing else in ssocred reads `HOME`
//! or `USERPROFILE`. Each system's conventions are in its `paths` module
//! (docs/platforms.md): XDG on Unix, the profile and `%APPDATA%` /
//! `%LOCALAPPDATA%` on Windows.
//!
//! - home: `HOME` (on Windows, else `USERPROFILE`), as the AWS SDKs read it.
//! - config: [`config_base`], where the caller puts `ssocred/config.toml`.
//! - cache: [`ssocred_cache_dir`] (tokens of its own, CA bundles, locks).
//! - state: [`ssocred_state_dir`] (the servers of `ssocred use`, the
//!   chooser's history, trusted project files).
//! - runtime: [`runtime_dir`] (files that should not outlive the session).

use std::path::{Path, PathBuf};

use super::paths;

/// The home directory: the first of the system's home variables (`HOME`;
/// on Windows `HOME`, else `USERPROFILE`) that is set and not empty.
pub fn home(var: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    paths::HOME_VARIABLES
        .iter()
        .find_map(|name| var(name).filter(|h| !h.is_empty()))
        .map(PathBuf::from)
}

/// What to tell the user when [`home`] finds none: the variables it read,
/// such as `HOME is not set` (`HOME or USERPROFILE is not set` on Windows).
pub fn no_home() -> String {
    format!("{} is not set", paths::HOME_VARIABLES.join(" or "))
}

/// The base of ssocred's config directory (`$XDG_CONFIG_HOME`, else
/// `~/.config`; on Windows `%APPDATA%`); `None` without a home.
pub fn config_base(var: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    paths::config_base(var)
}

/// ssocred's cache directory under `home`: `$XDG_CACHE_HOME/ssocred`, else
/// `~/.cache/ssocred` (on Windows `%LOCALAPPDATA%\ssocred`).
pub fn ssocred_cache_dir(var: &dyn Fn(&str) -> Option<String>, home: &Path) -> PathBuf {
    paths::cache_base(var, home).join("ssocred")
}

/// ssocred's cache directory for the environment `var`; `None` when it
/// would be relative (no home, and no absolute cache variable).
pub fn cache_dir(var: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    absolute_under_home(var, |home| ssocred_cache_dir(var, home))
}

/// ssocred's state directory under `home`: on Unix `$XDG_STATE_HOME/ssocred`
/// (when absolute, as the XDG specification asks), else
/// `~/.local/state/ssocred`; on Windows `%LOCALAPPDATA%\ssocred\state`
/// unless `XDG_STATE_HOME` names an absolute directory.
pub fn ssocred_state_dir(var: &dyn Fn(&str) -> Option<String>, home: &Path) -> PathBuf {
    paths::state_dir(var, home)
}

/// ssocred's state directory for the environment `var`; `None` when it
/// would be relative (no home, and no absolute state variable).
pub fn state_dir(var: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    absolute_under_home(var, |home| ssocred_state_dir(var, home))
}

/// ssocred's runtime directory, `$XDG_RUNTIME_DIR/ssocred`, when that
/// variable names an absolute directory (a per-user 0700 directory by the
/// XDG rules, emptied at logout); `None` otherwise, and callers fall back
/// to the cache.
pub fn runtime_dir(var: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    var("XDG_RUNTIME_DIR")
        .filter(|v| Path::new(v).is_absolute())
        .map(|v| PathBuf::from(v).join("ssocred"))
}

/// `dir(home)`, kept only when absolute: without a home the directory is
/// still known when its own variable is absolute.
fn absolute_under_home(
    var: &dyn Fn(&str) -> Option<String>,
    dir: impl Fn(&Path) -> PathBuf,
) -> Option<PathBuf> {
    let home = home(var);
    let path = dir(home.as_deref().unwrap_or(Path::new("")));
    (home.is_some() || path.is_absolute()).then_some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    // Each system's conventions are tested in its `paths` module too, and
    // Windows's end to end under wine (tests/e2e/dirs_windows.rs).
    #[cfg(unix)]
    #[test]
    fn every_directory_follows_home_and_the_xdg_variables() {
        let plain = env(&[("HOME", "/h")]);
        assert_eq!(home(&plain), Some(PathBuf::from("/h")));
        assert_eq!(home(&env(&[("HOME", "")])), None);
        assert_eq!(home(&env(&[("USERPROFILE", "/u")])), None);
        assert_eq!(no_home(), "HOME is not set");
        assert_eq!(config_base(&plain), Some(PathBuf::from("/h/.config")));
        assert_eq!(cache_dir(&plain), Some(PathBuf::from("/h/.cache/ssocred")));
        assert_eq!(
            state_dir(&plain),
            Some(PathBuf::from("/h/.local/state/ssocred"))
        );
        assert_eq!(runtime_dir(&plain), None);

        let xdg = env(&[
            ("XDG_CONFIG_HOME", "/x/config"),
            ("XDG_CACHE_HOME", "/x/cache"),
            ("XDG_STATE_HOME", "/x/state"),
            ("XDG_RUNTIME_DIR", "/run/user/1"),
        ]);
        // No home, but every variable absolute: each directory is known.
        assert_eq!(config_base(&xdg), Some(PathBuf::from("/x/config")));
        assert_eq!(cache_dir(&xdg), Some(PathBuf::from("/x/cache/ssocred")));
        assert_eq!(state_dir(&xdg), Some(PathBuf::from("/x/state/ssocred")));
        assert_eq!(
            runtime_dir(&xdg),
            Some(PathBuf::from("/run/user/1/ssocred"))
        );

        // Relative variables are ignored, as the XDG specification asks;
        // without a home nothing is left.
        let relative = env(&[
            ("XDG_CACHE_HOME", "cache"),
            ("XDG_STATE_HOME", "state"),
            ("XDG_RUNTIME_DIR", "run"),
        ]);
        assert_eq!(cache_dir(&relative), None);
        assert_eq!(state_dir(&relative), None);
        assert_eq!(runtime_dir(&relative), None);
        assert_eq!(
            ssocred_state_dir(&relative, Path::new("/h")),
            PathBuf::from("/h/.local/state/ssocred")
        );
        assert_eq!(
            ssocred_cache_dir(&relative, Path::new("/h")),
            PathBuf::from("/h/.cache/ssocred")
        );
    }

    #[cfg(windows)]
    #[test]
    fn without_home_the_profile_and_local_app_data_serve() {
        let session = env(&[
            ("USERPROFILE", r"C:\Users\u"),
            ("LOCALAPPDATA", r"C:\Users\u\AppData\Local"),
        ]);
        assert_eq!(home(&session), Some(PathBuf::from(r"C:\Users\u")));
        assert_eq!(no_home(), "HOME or USERPROFILE is not set");
        assert_eq!(
            state_dir(&session),
            Some(PathBuf::from(r"C:\Users\u\AppData\Local\ssocred\state"))
        );
        assert_eq!(
            cache_dir(&session),
            Some(PathBuf::from(r"C:\Users\u\AppData\Local\ssocred"))
        );
        assert_eq!(runtime_dir(&session), None);
        assert_eq!(home(&env(&[])), None);
    }
}
