//! The sign-in page a browser is opened on, so the sign-in token never
//! reaches a command line: any local user can read a process's argv
//! (`/proc/PID/cmdline`, `ps`) for as long as the browser runs.
//!
//! The page is a 0600 HTML file in ssocred's own 0700 directory
//! (`$XDG_RUNTIME_DIR/ssocred`, else `~/.cache/ssocred/console`) that
//! forwards to the sign-in URL. The browser gets the file's `file://` URL,
//! which holds no secret. A detached `sh` removes the file after
//! [`REMOVE_AFTER`] (long enough for a browser that starts cold to read
//! it); pages older than [`STALE_AGE`] that a killed remover left behind
//! are swept by the next run.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

use ssocred_core::os::dirs;

/// How long the page stays for the browser to read it.
pub const REMOVE_AFTER: Duration = Duration::from_secs(30);

/// Replaces [`REMOVE_AFTER`], in whole seconds (for tests).
pub const REMOVE_AFTER_VARIABLE: &str = "SSOCRED_CONSOLE_PAGE_SECS";

/// Pages older than this are left over and removed by the next run.
const STALE_AGE: Duration = Duration::from_secs(10 * 60);

const PREFIX: &str = "signin-";
const SUFFIX: &str = ".html";

/// The directory of the pages: `$XDG_RUNTIME_DIR/ssocred` (a per-user
/// 0700 directory by the XDG rules) when that variable is an absolute
/// path, else `console` in ssocred's cache directory
/// (`$XDG_CACHE_HOME/ssocred/console` or `~/.cache/ssocred/console`); `None`
/// without a home ([`dirs`]).
pub fn dir(var: impl Fn(&str) -> Option<String>) -> Option<PathBuf> {
    dirs::runtime_dir(&var).or_else(|| dirs::cache_dir(&var).map(|cache| cache.join("console")))
}

/// The page: a document that forwards to `url` at once (a meta refresh,
/// with a link for a browser that ignores it), sending no `Referer`.
pub fn html(url: &str) -> String {
    let url = escape(url);
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <meta http-equiv=\"refresh\" content=\"0;url={url}\">\n\
         <title>AWS console sign-in</title></head>\n\
         <body><p><a href=\"{url}\" rel=\"noreferrer\">Continue to the AWS console</a></p></body></html>\n"
    )
}

/// `text` escaped for an HTML attribute value.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// Writes the page for `url` into `dir` (created 0700 if missing; the file
/// 0600, atomically, through `ssocred_core::os::fs`) and returns its path.
pub fn write(dir: &Path, url: &str) -> std::io::Result<PathBuf> {
    ssocred_core::os::fs::create_private_dir(dir)?;
    sweep(dir);
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    let path = dir.join(format!("{PREFIX}{}-{nanos}{SUFFIX}", std::process::id()));
    ssocred_core::os::fs::write_atomic(&path, html(url).as_bytes())?;
    Ok(path)
}

/// The `file://` URL of `path`, for the browser.
pub fn file_url(path: &Path) -> Option<String> {
    ::url::Url::from_file_path(path).ok().map(String::from)
}

/// Removes `path` after `delay`, from a detached `sh` so that ssocred need
/// not wait; if `sh` cannot start, waits here and removes it.
pub fn remove_later(path: &Path, delay: Duration) {
    let spawned = Command::new("sh")
        .args([
            "-c",
            "sleep \"$1\"; rm -f -- \"$2\"",
            "ssocred-console",
            &delay.as_secs().to_string(),
        ])
        .arg(path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    if spawned.is_err() {
        std::thread::sleep(delay);
        let _ = std::fs::remove_file(path);
    }
}

/// The delay before removal: [`REMOVE_AFTER_VARIABLE`] when it is a whole
/// number of seconds up to 600, else [`REMOVE_AFTER`].
pub fn remove_after(var: impl Fn(&str) -> Option<String>) -> Duration {
    var(REMOVE_AFTER_VARIABLE)
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|&secs| secs <= 600)
        .map_or(REMOVE_AFTER, Duration::from_secs)
}

/// Removes pages older than [`STALE_AGE`]: ones whose remover was killed.
/// Best effort.
fn sweep(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let is_page = name
            .to_str()
            .is_some_and(|n| n.starts_with(PREFIX) && n.ends_with(SUFFIX));
        let is_stale = entry.metadata().is_ok_and(|m| {
            m.is_file()
                && m.modified()
                    .ok()
                    .and_then(|t| t.elapsed().ok())
                    .is_some_and(|age| age > STALE_AGE)
        });
        if is_page && is_stale {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_forwards_to_the_url_escaped() {
        let page = html("https://signin.example/federation?Action=login&SigninToken=a%2Fb\"<x>");
        assert!(page.contains(
            "content=\"0;url=https://signin.example/federation?Action=login&amp;SigninToken=a%2Fb&quot;&lt;x&gt;\""
        ));
        assert!(page.contains("<meta name=\"referrer\" content=\"no-referrer\">"));
        assert!(!page.contains("\"<x>"));
    }

    #[test]
    fn pages_are_private_and_stale_ones_are_swept() {
        let home = tempfile::tempdir().unwrap();
        let dir = home.path().join("run/ssocred");
        let path = write(&dir, "https://signin.example/?SigninToken=t").unwrap();
        // Mode bits where the system has them (on Windows the page inherits
        // the private ACL of the user's profile).
        let mode = |p: &Path| {
            ssocred_core::os::file::mode_bits(&std::fs::metadata(p).unwrap()).map(|m| m & 0o777)
        };
        assert_eq!(mode(&path), ssocred_core::os::file::PRIVATE_FILE_MODE);
        assert_eq!(mode(&dir), ssocred_core::os::file::PRIVATE_DIR_MODE);
        let old = dir.join(format!("{PREFIX}1-1{SUFFIX}"));
        std::fs::write(&old, "old").unwrap();
        let hour_ago = SystemTime::now() - Duration::from_secs(3600);
        std::fs::File::options()
            .write(true)
            .open(&old)
            .unwrap()
            .set_modified(hour_ago)
            .unwrap();
        let other = dir.join("keep.txt");
        std::fs::write(&other, "x").unwrap();
        let second = write(&dir, "https://signin.example/?SigninToken=u").unwrap();
        assert!(!old.exists());
        assert!(path.exists() && second.exists() && other.exists());
        remove_later(&second, Duration::ZERO);
        for _ in 0..100 {
            if !second.exists() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(!second.exists());
    }

    #[test]
    fn the_directory_is_the_runtime_one_else_the_cache() {
        let vars = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(name, _)| *name == k)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        assert_eq!(
            dir(vars(&[("XDG_RUNTIME_DIR", "/run/user/1"), ("HOME", "/h")])),
            Some(PathBuf::from("/run/user/1/ssocred"))
        );
        // Else ssocred's cache directory (`~/.cache/ssocred` on Unix,
        // `%LOCALAPPDATA%\ssocred` on Windows).
        let relative = vars(&[("XDG_RUNTIME_DIR", "rel"), ("HOME", "/h")]);
        let cache = dirs::ssocred_cache_dir(&relative, Path::new("/h"));
        assert!(cache.starts_with("/h"), "{cache:?}");
        assert_eq!(dir(relative), Some(cache.join("console")));
        assert_eq!(dir(vars(&[])), None);
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
