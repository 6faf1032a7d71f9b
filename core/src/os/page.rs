//! The private page a browser is opened on, so that a URL holding a secret
//! never reaches a command line: any local user can read a process's argv
//! (`/proc/PID/cmdline`, `ps`) for as long as it runs. The console's
//! sign-in URL carries a sign-in token; a login's URL carries the PKCE
//! `state` and `code_challenge`, or the device code, with which another
//! user could complete the sign-in with their own identity.
//!
//! A page is a 0600 HTML file in ssocred's own 0700 directory ([`dir`])
//! that forwards to the URL; the browser gets the file's `file://` URL,
//! which holds no secret. A [`Page`] is removed when it is dropped, or
//! after a delay ([`Page::remove_later`]); pages older than [`STALE_AGE`]
//! that a killed process left behind are swept by the next [`Page::write`].

use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

use super::{dirs, fs};

/// Pages older than this are left over, and removed by the next write.
pub const STALE_AGE: Duration = Duration::from_secs(10 * 60);

const PREFIX: &str = "signin-";
const SUFFIX: &str = ".html";

/// The directory of the pages: `$XDG_RUNTIME_DIR/ssocred` (a per-user 0700
/// directory by the XDG rules) when that variable is an absolute path, else
/// `fallback` in ssocred's cache directory (`~/.cache/ssocred/FALLBACK`, or
/// under `$XDG_CACHE_HOME`; `%LOCALAPPDATA%\ssocred\FALLBACK` on Windows);
/// `None` without a home ([`dirs`]).
pub fn dir(var: &dyn Fn(&str) -> Option<String>, fallback: &str) -> Option<PathBuf> {
    dirs::runtime_dir(var).or_else(|| dirs::cache_dir(var).map(|cache| cache.join(fallback)))
}

/// The page's document: it forwards to `url` at once (a meta refresh, with
/// a link named `link` for a browser that ignores it), sending no
/// `Referer`.
pub fn html(url: &str, title: &str, link: &str) -> String {
    let url = escape(url);
    let title = escape(title);
    let link = escape(link);
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <meta http-equiv=\"refresh\" content=\"0;url={url}\">\n\
         <title>{title}</title></head>\n\
         <body><p><a href=\"{url}\" rel=\"noreferrer\">{link}</a></p></body></html>\n"
    )
}

/// `text` escaped for HTML text and attribute values.
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

/// A page on disk; removed when dropped.
#[derive(Debug)]
pub struct Page {
    /// `None` once handed to [`Page::remove_later`].
    path: Option<PathBuf>,
}

impl Page {
    /// Writes the page for `url` into `dir` (created 0700 if missing; the
    /// file 0600, atomically) after sweeping stale pages there.
    pub fn write(dir: &Path, url: &str, title: &str, link: &str) -> io::Result<Page> {
        fs::create_private_dir(dir)?;
        sweep(dir);
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        let path = dir.join(format!("{PREFIX}{}-{nanos}{SUFFIX}", std::process::id()));
        fs::write_atomic(&path, html(url, title, link).as_bytes())?;
        Ok(Page { path: Some(path) })
    }

    /// Where the page is.
    pub fn path(&self) -> &Path {
        self.path.as_deref().unwrap_or(Path::new(""))
    }

    /// The page's `file://` URL, for the browser; `None` for a path that
    /// has none (not absolute).
    pub fn file_url(&self) -> Option<String> {
        url::Url::from_file_path(self.path()).ok().map(String::from)
    }

    /// Removes the page after `delay`, from a detached `sh` so that ssocred
    /// need not wait (for a browser that may still be starting when
    /// ssocred exits); where `sh` cannot start, waits here and removes it.
    pub fn remove_later(mut self, delay: Duration) {
        let Some(path) = self.path.take() else {
            return;
        };
        let spawned = Command::new("sh")
            .args([
                "-c",
                "sleep \"$1\"; rm -f -- \"$2\"",
                "ssocred-page",
                &delay.as_secs().to_string(),
            ])
            .arg(&path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        if spawned.is_err() {
            std::thread::sleep(delay);
            let _ = std::fs::remove_file(&path);
        }
    }
}

impl Drop for Page {
    fn drop(&mut self) {
        if let Some(path) = &self.path {
            let _ = std::fs::remove_file(path);
        }
    }
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
        let page = html(
            "https://signin.example/federation?Action=login&SigninToken=a%2Fb\"<x>",
            "AWS <sign-in>",
            "Continue",
        );
        assert!(page.contains(
            "content=\"0;url=https://signin.example/federation?Action=login&amp;SigninToken=a%2Fb&quot;&lt;x&gt;\""
        ));
        assert!(page.contains("<meta name=\"referrer\" content=\"no-referrer\">"));
        assert!(page.contains("<title>AWS &lt;sign-in&gt;</title>"));
        assert!(!page.contains("\"<x>"));
    }

    #[test]
    fn pages_are_private_and_stale_ones_are_swept() {
        let home = tempfile::tempdir().unwrap();
        let dir = home.path().join("run/ssocred");
        let page = Page::write(&dir, "https://signin.example/?SigninToken=t", "t", "l").unwrap();
        let path = page.path().to_path_buf();
        // Mode bits where the system has them (on Windows the page inherits
        // the private ACL of the user's profile).
        let mode = |p: &Path| {
            crate::os::file::mode_bits(&std::fs::metadata(p).unwrap()).map(|m| m & 0o777)
        };
        assert_eq!(mode(&path), crate::os::file::PRIVATE_FILE_MODE);
        assert_eq!(mode(&dir), crate::os::file::PRIVATE_DIR_MODE);
        assert!(page.file_url().unwrap().starts_with("file:///"));
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
        let second = Page::write(&dir, "https://signin.example/?SigninToken=u", "t", "l").unwrap();
        let second_path = second.path().to_path_buf();
        assert!(!old.exists());
        assert!(path.exists() && second_path.exists() && other.exists());
        drop(page);
        assert!(!path.exists(), "a dropped page is removed");
        second.remove_later(Duration::ZERO);
        for _ in 0..100 {
            if !second_path.exists() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(!second_path.exists());
        assert!(other.exists());
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
        // An absolute directory on every system (`/run/user/1` has no drive
        // letter, so Windows would take it for a relative one).
        let runtime = std::env::temp_dir().join("run-user-1");
        let runtime_text = runtime.to_string_lossy().into_owned();
        let with_runtime = |k: &str| match k {
            "XDG_RUNTIME_DIR" => Some(runtime_text.clone()),
            "HOME" => Some("/h".to_owned()),
            _ => None,
        };
        assert_eq!(dir(&with_runtime, "login"), Some(runtime.join("ssocred")));
        let relative = vars(&[("XDG_RUNTIME_DIR", "rel"), ("HOME", "/h")]);
        let cache = dirs::ssocred_cache_dir(&relative, Path::new("/h"));
        assert!(cache.starts_with("/h"), "{cache:?}");
        assert_eq!(dir(&relative, "login"), Some(cache.join("login")));
        assert_eq!(dir(&vars(&[]), "login"), None);
    }
}
