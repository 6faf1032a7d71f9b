//! The console's use of the private sign-in page
//! ([`ssocred_core::os::page`]): the browser is opened on a 0600 page in
//! ssocred's 0700 directory that forwards to the sign-in URL, so the
//! sign-in token never reaches a command line. The browser may still be
//! starting when ssocred exits, so the page is removed after
//! [`REMOVE_AFTER`] (long enough for a browser that starts cold to read it)
//! by a detached remover.

use std::path::PathBuf;
use std::time::Duration;

use ssocred_core::os::page::{self, Page};

/// How long the page stays for the browser to read it.
pub const REMOVE_AFTER: Duration = Duration::from_secs(30);

/// Replaces [`REMOVE_AFTER`], in whole seconds (for tests).
pub const REMOVE_AFTER_VARIABLE: &str = "SSOCRED_CONSOLE_PAGE_SECS";

/// The directory of the console's pages: `$XDG_RUNTIME_DIR/ssocred`, else
/// `console` in ssocred's cache directory ([`page::dir`]).
pub fn dir(var: impl Fn(&str) -> Option<String>) -> Option<PathBuf> {
    page::dir(&var, "console")
}

/// Writes the page that forwards to the console sign-in `url` into `dir`.
pub fn write(dir: &std::path::Path, url: &str) -> std::io::Result<Page> {
    Page::write(
        dir,
        url,
        "AWS console sign-in",
        "Continue to the AWS console",
    )
}

/// The delay before removal: [`REMOVE_AFTER_VARIABLE`] when it is a whole
/// number of seconds up to 600, else [`REMOVE_AFTER`].
pub fn remove_after(var: impl Fn(&str) -> Option<String>) -> Duration {
    var(REMOVE_AFTER_VARIABLE)
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|&secs| secs <= 600)
        .map_or(REMOVE_AFTER, Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn the_console_page_forwards_to_the_url_in_the_console_directory() {
        let home = tempfile::tempdir().unwrap();
        let page = write(
            &home.path().join("run"),
            "https://signin.example/?Action=login&SigninToken=t",
        )
        .unwrap();
        let text = std::fs::read_to_string(page.path()).unwrap();
        assert!(
            text.contains(
                "content=\"0;url=https://signin.example/?Action=login&amp;SigninToken=t\""
            )
        );
        assert!(text.contains("Continue to the AWS console"));
        let vars = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(name, _)| *name == k)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        let relative = vars(&[("XDG_RUNTIME_DIR", "rel"), ("HOME", "/h")]);
        let cache = ssocred_core::os::dirs::ssocred_cache_dir(&relative, Path::new("/h"));
        assert_eq!(dir(relative), Some(cache.join("console")));
        assert_eq!(
            remove_after(vars(&[(REMOVE_AFTER_VARIABLE, "2")])),
            Duration::from_secs(2)
        );
        assert_eq!(
            remove_after(vars(&[(REMOVE_AFTER_VARIABLE, "x")])),
            REMOVE_AFTER
        );
    }
}
