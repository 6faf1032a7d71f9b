//! Fetching a git source with the user's own `git` program, which already
//! knows their credentials and proxies.
//!
//! Each source has a bare repository of its own in ssocred's cache
//! directory (`sources/NAME.git`). A fetch brings the remote's branches,
//! tags and HEAD into it; the ref is then resolved there (a branch, a tag
//! or a commit id) and the file is read out of that commit with `git
//! cat-file`, never checked out: a link in the repository is refused as
//! what it is (a link), not followed, and the size is checked before a
//! byte is read. `git` runs with no shell, its arguments as a list, and
//! `GIT_TERMINAL_PROMPT=0`, so a missing credential fails instead of
//! waiting for a password nobody will type; one that gives no answer within
//! 5 minutes is stopped.

use std::ffi::OsStr;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ssocred_core::Error;

use crate::sources::store::Source;
use crate::sources::team_file::MAX_SOURCE_FILE_BYTES;

/// The file read when `--path` is not given.
pub const DEFAULT_PATH: &str = "ssocred-team.toml";

/// What a fetch read: the commit and the file's text at it.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The full commit id.
    pub commit: String,
    /// The file's text.
    pub text: String,
    /// Whether the ref moves (a branch, or the default branch), so that
    /// what it names is not what was pinned.
    pub moving: bool,
}

/// Checks a source's name: 1 to 64 letters, digits, `-` and `_` (it names
/// a directory and a marker line).
pub fn check_source_name(name: &str) -> Result<(), Error> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('-')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    ok.then_some(()).ok_or_else(|| {
        Error::Usage(format!(
            "source name `{}`: use 1 to 64 letters, digits, - and _",
            ssocred_core::domain::text::visible(name)
        ))
    })
}

/// Checks a source's repository address, its ref and its file path before
/// anything is recorded or run; or, for a file fetched over HTTPS, its URL
/// and SHA-256.
pub fn check_source(source: &Source) -> Result<(), Error> {
    if let Some(sha256) = &source.sha256 {
        return crate::sources::https::check(&source.url, sha256);
    }
    let url = source.url.as_str();
    let bad = |what: &str| Err(Error::Usage(format!("source URL: {what}")));
    if url.is_empty() || url.len() > 2048 {
        return bad("must be 1 to 2048 characters");
    }
    if url.starts_with('-') || url.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return bad("may not start with - or hold a space or a control character");
    }
    let lower = url.to_ascii_lowercase();
    if lower.starts_with("ext::") || lower.starts_with("fd::") {
        return bad("the ext:: and fd:: transports run commands; use https://, ssh:// or a path");
    }
    if let Some((_, rest)) = url.split_once("://") {
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        if authority
            .rsplit_once('@')
            .is_some_and(|(user, _)| user.contains(':'))
        {
            return bad("holds a password; let git's credential helper keep it");
        }
    }
    if let Some(git_ref) = &source.git_ref {
        let ok = !git_ref.is_empty()
            && git_ref.len() <= 255
            && !git_ref.starts_with(['-', '/'])
            && !git_ref.contains("..")
            && git_ref
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._/-".contains(&b));
        if !ok {
            return Err(Error::Usage(format!(
                "--ref `{}`: a branch, tag or commit id of letters, digits and . _ / -",
                ssocred_core::domain::text::visible(git_ref)
            )));
        }
    }
    let path = source.path.as_str();
    let ok = !path.is_empty()
        && path.len() <= 255
        && path.split('/').all(|part| {
            !part.is_empty()
                && part != "."
                && part != ".."
                && !part.starts_with('-')
                && part
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        });
    ok.then_some(()).ok_or_else(|| {
        Error::Usage(format!(
            "--path `{}`: a relative path in the repository, of letters, digits and . _ - /",
            ssocred_core::domain::text::visible(path)
        ))
    })
}

/// How long one `git` command may take: 5 minutes, or
/// `SSOCRED_GIT_TIMEOUT_SECS` (which exists for tests).
fn git_timeout() -> Duration {
    let secs = std::env::var("SSOCRED_GIT_TIMEOUT_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    Duration::from_secs(secs)
}

/// The bare repository of source `name` under `cache_dir`.
pub fn repository(cache_dir: &Path, name: &str) -> PathBuf {
    cache_dir.join("sources").join(format!("{name}.git"))
}

/// Fetches source `name` into its repository under `cache_dir` and reads
/// its file at the ref. A failure names the source; nothing of the user's
/// is touched.
pub fn fetch(name: &str, source: &Source, cache_dir: &Path) -> Result<Fetched, Error> {
    check_source(source)?;
    let git = Git {
        name,
        url: &source.url,
        dir: repository(cache_dir, name),
    };
    if !git.dir.join("HEAD").is_file() {
        ssocred_core::os::fs::create_private_dir(&git.dir)
            .map_err(|e| ssocred_core::login::file_error(&git.dir, "cannot create", &e))?;
        git.run(&["init", "--bare", "--quiet"])?;
    }
    git.run(&[
        "fetch",
        "--quiet",
        "--force",
        "--prune",
        "--no-recurse-submodules",
        "--",
        &source.url,
        "+HEAD:refs/ssocred/HEAD",
        "+refs/heads/*:refs/heads/*",
        "+refs/tags/*:refs/tags/*",
    ])?;
    let (commit, moving) = git.resolve(source.git_ref.as_deref())?;
    let text = git.read_file(&commit, &source.path)?;
    Ok(Fetched {
        commit,
        text,
        moving,
    })
}

/// `git` on one source's bare repository.
struct Git<'a> {
    name: &'a str,
    url: &'a str,
    dir: PathBuf,
}

impl Git<'_> {
    /// Runs `git --git-dir DIR ARGS`; its stdout, or an error naming the
    /// source with git's last line of complaint.
    fn run(&self, args: &[&str]) -> Result<Vec<u8>, Error> {
        let mut child = Command::new("git")
            .arg(OsStr::new("--git-dir"))
            .arg(&self.dir)
            .args(args)
            .env("GIT_TERMINAL_PROMPT", "0")
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| {
                Error::Usage(format!(
                    "source `{}`: cannot run `git` ({e}); a git source needs git on PATH",
                    self.name
                ))
            })?;
        // Both pipes are drained meanwhile, so a full pipe never stalls git.
        let drain = |pipe: Option<Box<dyn Read + Send>>| {
            std::thread::spawn(move || {
                let mut bytes = Vec::new();
                if let Some(mut pipe) = pipe {
                    let limit = MAX_SOURCE_FILE_BYTES + 64 * 1024;
                    let _ = pipe.by_ref().take(limit).read_to_end(&mut bytes);
                }
                bytes
            })
        };
        let stdout = drain(
            child
                .stdout
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
        );
        let stderr = drain(
            child
                .stderr
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
        );
        let patience = git_timeout();
        let deadline = Instant::now() + patience;
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                Ok(None) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(self.failed(&format!(
                        "git {} gave no answer within {} s; check the network, or set up the repository's credentials for git",
                        args.first().copied().unwrap_or_default(),
                        patience.as_secs()
                    )));
                }
                Err(e) => return Err(Error::Internal(format!("cannot wait for git: {e}"))),
            }
        };
        let stdout = stdout.join().unwrap_or_default();
        let stderr = stderr.join().unwrap_or_default();
        if status.success() {
            return Ok(stdout);
        }
        let said = String::from_utf8_lossy(&stderr);
        let last = said
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        Err(self.failed(&format!(
            "git {} failed: {}",
            args.first().copied().unwrap_or_default(),
            ssocred_core::domain::text::visible(last.trim())
        )))
    }

    fn failed(&self, message: &str) -> Error {
        Error::Unreachable {
            service: format!("team source `{}`", self.name),
            endpoint: self.url.to_owned(),
            message: message.to_owned(),
        }
    }

    /// The commit `git_ref` names: a branch, then a tag, then a commit id;
    /// the remote's default branch when none is given; and whether that
    /// ref moves (a branch).
    fn resolve(&self, git_ref: Option<&str>) -> Result<(String, bool), Error> {
        let candidates: Vec<String> = match git_ref {
            None => vec!["refs/ssocred/HEAD".to_owned()],
            Some(r) => vec![
                format!("refs/heads/{r}"),
                format!("refs/tags/{r}"),
                r.to_owned(),
            ],
        };
        for candidate in &candidates {
            let spec = format!("{candidate}^{{commit}}");
            if let Ok(out) = self.run(&["rev-parse", "--verify", "--quiet", &spec]) {
                let commit = String::from_utf8_lossy(&out).trim().to_owned();
                if commit.len() >= 40 && commit.bytes().all(|b| b.is_ascii_hexdigit()) {
                    let moving = candidate.starts_with("refs/heads/")
                        || candidate.starts_with("refs/ssocred/");
                    return Ok((commit, moving));
                }
            }
        }
        Err(Error::Usage(format!(
            "source `{}`: `{}` is no branch, tag or commit of {}",
            self.name,
            git_ref.unwrap_or("HEAD"),
            self.url
        )))
    }

    /// The text of `path` at `commit`: a regular file (never a link, a
    /// directory or a submodule), at most [`MAX_SOURCE_FILE_BYTES`], UTF-8.
    fn read_file(&self, commit: &str, path: &str) -> Result<String, Error> {
        let refused = |why: String| {
            Error::Usage(format!(
                "source `{}`: {path} at {}: {why}",
                self.name,
                &commit[..12.min(commit.len())]
            ))
        };
        let listing = self.run(&["ls-tree", "-z", "--full-tree", commit, "--", path])?;
        let listing = String::from_utf8_lossy(&listing);
        let entry = listing
            .split('\0')
            .find(|e| e.split_once('\t').is_some_and(|(_, name)| name == path));
        let Some((meta, _)) = entry.and_then(|e| e.split_once('\t')) else {
            return Err(refused("no such file in the repository".to_owned()));
        };
        let mut fields = meta.split(' ');
        let (mode, kind, object) = (
            fields.next().unwrap_or_default(),
            fields.next().unwrap_or_default(),
            fields.next().unwrap_or_default(),
        );
        if kind != "blob" || !(mode == "100644" || mode == "100755") {
            let what = match mode {
                "120000" => "a symbolic link, which is not followed",
                "160000" => "a submodule",
                _ => "not a regular file",
            };
            return Err(refused(format!(
                "is {what}; the source file must be a plain file"
            )));
        }
        let size = self.run(&["cat-file", "-s", object])?;
        let size: u64 = String::from_utf8_lossy(&size)
            .trim()
            .parse()
            .unwrap_or(u64::MAX);
        if size > MAX_SOURCE_FILE_BYTES {
            return Err(refused(format!(
                "{size} bytes, over the limit of {MAX_SOURCE_FILE_BYTES}"
            )));
        }
        let bytes = self.run(&["cat-file", "blob", object])?;
        if bytes.len() as u64 > MAX_SOURCE_FILE_BYTES {
            return Err(refused(format!("over {MAX_SOURCE_FILE_BYTES} bytes")));
        }
        String::from_utf8(bytes).map_err(|_| refused("is not valid UTF-8".to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(url: &str, git_ref: Option<&str>, path: &str) -> Source {
        Source {
            url: url.to_owned(),
            git_ref: git_ref.map(str::to_owned),
            path: path.to_owned(),
            sha256: None,
            synced: None,
        }
    }

    #[test]
    fn a_source_is_checked_before_git_runs() {
        assert!(
            check_source(&source(
                "https://git.example/team.git",
                Some("v1.2"),
                DEFAULT_PATH
            ))
            .is_ok()
        );
        assert!(
            check_source(&source(
                "git@host:org/team.git",
                Some("main"),
                "dir/team.toml"
            ))
            .is_ok()
        );
        for bad in [
            source("--upload-pack=evil", None, DEFAULT_PATH),
            source("ext::sh -c evil", None, DEFAULT_PATH),
            source("https://me:secret@git.example/team.git", None, DEFAULT_PATH),
            source(
                "https://git.example/t.git",
                Some("--output=x"),
                DEFAULT_PATH,
            ),
            source("https://git.example/t.git", Some("a..b"), DEFAULT_PATH),
            source("https://git.example/t.git", None, "../etc/passwd"),
            source("https://git.example/t.git", None, "/etc/passwd"),
        ] {
            let e = check_source(&bad).unwrap_err();
            assert_eq!(e.exit_code(), ssocred_core::ExitClass::Usage, "{bad:?}");
            assert!(!e.to_string().contains("secret"), "{e}");
        }
        assert!(check_source_name("team-a_1").is_ok());
        assert!(check_source_name("../x").is_err() && check_source_name("-x").is_err());
    }
}
