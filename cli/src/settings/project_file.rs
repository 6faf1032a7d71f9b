//! Per-project settings: the nearest `.ssocred.toml`, walking up from the
//! working directory, trusted on first use.
//!
//! ```toml
//! profile = "corp"
//! role_arn = "arn:aws:iam::123456789012:role/Deploy"   # or account + role
//! assume = ["arn:aws:iam::210987654321:role/Hub"]
//! region = "eu-west-1"
//! preset = "ci"                                        # a preset of your own config
//! ```
//!
//! A checked-out repository is not the user, so the file may only choose
//! among what the user already has: it may set the keys above and nothing
//! that writes a file, runs a command, or changes an endpoint or a CA. Any
//! other key is refused (exit 2) naming the file and the key. The file is
//! read only once its path (its directory canonical, its own name kept: a
//! link is trusted as the link) and SHA-256 are recorded by
//! `ssocred trust` (or a yes on the terminal), and again after every change.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use ssocred_core::domain::shell_line::suggested;
use ssocred_core::os::fs::TargetFile;
use ssocred_core::{Error, domain::hop::Hop};

use crate::settings::config_file::{SettingsFile, file_error, line_col};
use crate::settings::layer::{Layer, Place, project_allows, project_keys};

/// The file name looked for in the working directory and each parent.
pub const FILE_NAME: &str = ".ssocred.toml";

/// A parsed project file: a settings [`Layer`] holding only the keys a
/// project may set.
#[derive(Debug)]
pub struct ProjectFile {
    /// Its path: the canonical directory and the file's own name.
    pub path: PathBuf,
    text: String,
    /// Its settings.
    pub layer: Layer,
}

impl SettingsFile for ProjectFile {
    fn path(&self) -> &Path {
        &self.path
    }

    fn text(&self) -> &str {
        &self.text
    }
}

impl ProjectFile {
    /// Parses `text`, read from `path`: a key a project may not set is a
    /// usage error (exit 2) naming the file, line and key; bad TOML or a bad
    /// value is a config error (exit 3).
    pub fn parse(path: &Path, text: String) -> Result<ProjectFile, Error> {
        let table: toml::Table = toml::from_str(&text).map_err(|e| {
            let at = e
                .span()
                .map(|s| format!("line {}: ", line_col(&text, s.start).0))
                .unwrap_or_default();
            file_error(path, format!("{at}{}", e.message().trim_end()))
        })?;
        if let Some(key) = table.keys().find(|k| !project_allows(k)) {
            return Err(refused(path, &text, key));
        }
        let layer: Layer = toml::from_str(&text)
            .map_err(|e| file_error(path, e.message().trim_end().to_owned()))?;
        if let Err(key) = layer.check_place(Place::Project) {
            return Err(refused(path, &text, &key));
        }
        let file = ProjectFile {
            path: path.to_path_buf(),
            text,
            layer,
        };
        file.hops()?;
        Ok(file)
    }

    /// The hops of `assume`, each checked; an error names the line.
    pub fn hops(&self) -> Result<Option<Vec<Hop>>, Error> {
        self.layer
            .assume
            .as_ref()
            .map(|entries| self.hops_of(entries))
            .transpose()
    }

    /// The SHA-256 of the text, in hex.
    pub fn digest(&self) -> String {
        Sha256::digest(self.text.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// The text as shown to the user before trusting it: control
    /// characters escaped, so the file cannot hide a line or redraw the
    /// terminal.
    pub fn shown(&self) -> String {
        quoted_lines(&self.text)
    }

    /// What to show before trusting it: what changed since `before` (the
    /// text last trusted), as a unified diff, or the whole file when it is
    /// new (or its old text was not kept); escaped as [`shown`](Self::shown).
    pub fn review(&self, before: Option<&str>) -> String {
        match before {
            Some(before) => {
                let label = self.path.display().to_string();
                quoted_lines(&ssocred_core::store::setup::unified_diff(
                    before, &self.text, &label,
                ))
            }
            None => self.shown(),
        }
    }
}

/// Each line of `text` behind a margin, escaped.
fn quoted_lines(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        out.push_str("  | ");
        out.push_str(&ssocred_core::domain::text::visible(line));
        out.push('\n');
    }
    out
}

/// A key a project file may not set (exit 2), naming the file, the line and
/// the key.
fn refused(path: &Path, text: &str, key: &str) -> Error {
    let line = text
        .lines()
        .position(|l| {
            let l = l
                .trim_start()
                .trim_start_matches("[[")
                .trim_start_matches('[');
            l.starts_with(key)
        })
        .map(|i| format!(", line {}", i + 1))
        .unwrap_or_default();
    Error::Usage(format!(
        "{}{line}: `{key}` is refused in a project file: it may set only {}, never anything that writes a file, runs a command, or changes an endpoint or a CA; put `{key}` in your own ssocred config",
        path.display(),
        project_keys().join(", ")
    ))
}

/// The largest project file read: a few keys take a few hundred bytes, and
/// a file from a checked-out repository must not make every command in the
/// tree allocate what it holds.
pub const MAX_PROJECT_FILE_BYTES: u64 = 64 * 1024;

/// The nearest project file: in `dir` or the closest parent. Something else
/// by that name (a directory, a FIFO, a dangling link) is passed over with
/// a warning, since a parent's file then applies in its place.
pub fn find(dir: &Path) -> Option<PathBuf> {
    for candidate in dir.ancestors().map(|d| d.join(FILE_NAME)) {
        // Followed for the kind only: `read` opens the file itself.
        match std::fs::metadata(&candidate) {
            Ok(meta) if meta.is_file() => return Some(candidate),
            Ok(meta) => passed_over(
                &candidate,
                ssocred_core::os::fs::kind_name(ssocred_core::os::file::kind(&meta.file_type())),
            ),
            Err(_) if std::fs::symlink_metadata(&candidate).is_ok() => {
                passed_over(&candidate, "a link to nothing readable");
            }
            Err(_) => {}
        }
    }
    None
}

/// Says on stderr that `path`, being `what`, is passed over: the parent's
/// file applying instead must never come as a surprise.
fn passed_over(path: &Path, what: &str) {
    ssocred_core::stderr_line!(
        "ssocred: warning: {} is {what}, not a file; it is passed over",
        path.display()
    );
}

/// A project file as read: this user's (or root's), or another user's,
/// which is never parsed.
enum Loaded {
    /// Read and parsed (boxed: the other variant is small).
    Read(Box<ProjectFile>),
    /// Another user's file or link, at this path: never read.
    AnotherUsers(PathBuf),
}

/// The path a project file is known by: its directory canonical, its own
/// name kept, so a link is trusted as the link the user trusted, never
/// through its target (on Windows the plain `C:\...` form where one exists,
/// not `\\?\C:\...`: it is shown and printed in a `ssocred trust` command).
fn own_path(path: &Path) -> Result<PathBuf, Error> {
    let cannot = |e: std::io::Error| file_error(path, format!("cannot read the project file: {e}"));
    let name = path
        .file_name()
        .ok_or_else(|| file_error(path, "is not a file name".to_owned()))?;
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    Ok(dunce::canonicalize(dir).map_err(cannot)?.join(name))
}

/// Opens the project file at `path` once and checks the owner and kind of
/// what was opened, then parses the bytes read from it: a name swapped
/// between the check and the read changes nothing. A link is followed only
/// when it is this user's or root's (another user's is theirs, as its
/// target would be); anything else is opened without following a link and
/// without blocking (a FIFO cannot hang the run).
fn load(path: &Path) -> Result<Loaded, Error> {
    use ssocred_core::os::{file::owned_by_me_or_root, fs};
    let path = own_path(path)?;
    let cannot = |e: std::io::Error| {
        let message = format!("cannot read the project file: {e}");
        // Over the cap: what the repository holds, not what the user set.
        if e.kind() == std::io::ErrorKind::InvalidData {
            Error::Usage(format!("{}: {message}", path.display()))
        } else {
            file_error(&path, message)
        }
    };
    let name = std::fs::symlink_metadata(&path).map_err(cannot)?;
    let (bytes, meta) = if name.file_type().is_symlink() {
        if !owned_by_me_or_root(&name) {
            return Ok(Loaded::AnotherUsers(path));
        }
        fs::read_bounded_with_metadata(&path, MAX_PROJECT_FILE_BYTES)
    } else {
        fs::read_bounded_no_follow(&path, MAX_PROJECT_FILE_BYTES)
    }
    .map_err(cannot)?;
    if !owned_by_me_or_root(&meta) {
        return Ok(Loaded::AnotherUsers(path));
    }
    let text =
        String::from_utf8(bytes).map_err(|_| file_error(&path, "is not valid UTF-8".to_owned()))?;
    ProjectFile::parse(&path, text).map(|file| Loaded::Read(Box::new(file)))
}

/// Reads and parses the project file at `path` ([`load`]'s rules); another
/// user's file is refused (exit 2).
pub fn read(path: &Path) -> Result<ProjectFile, Error> {
    match load(path)? {
        Loaded::Read(file) => Ok(*file),
        Loaded::AnotherUsers(path) => Err(Error::Usage(format!(
            "{} belongs to another user; it is not read",
            path.display()
        ))),
    }
}

/// The trusted project files: path ([`own_path`]) to SHA-256, in ssocred's state
/// directory; and the text trusted, for a file small enough, so that a
/// change is shown as a diff rather than the whole file again.
#[derive(Debug, Default, Serialize, Deserialize)]
struct TrustedFiles {
    trusted: BTreeMap<PathBuf, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    texts: BTreeMap<PathBuf, String>,
}

/// The largest project file whose trusted text is kept for a diff: project
/// files hold a few lines.
const MAX_KEPT_TEXT: usize = 4 * 1024;

/// Past this size of the store, the texts of the other files are dropped
/// (their digests stay): the store is read bounded, and must never grow
/// past what it can read.
const MAX_STORE_WITH_TEXTS: usize = 256 * 1024;

/// Where trusted project files are recorded.
#[derive(Debug, Clone)]
pub struct TrustStore {
    path: PathBuf,
}

impl TrustStore {
    /// The store in ssocred's state directory.
    pub fn from_env(env: &dyn Fn(&str) -> Option<String>) -> Result<TrustStore, Error> {
        let paths = ssocred_core::store::profile::AwsPaths::from_env(env)?;
        let dir = ssocred_core::os::dirs::ssocred_state_dir(env, &paths.home);
        Ok(TrustStore {
            path: dir.join("trusted-projects.json"),
        })
    }

    fn load(text: Option<String>, path: &Path) -> Result<TrustedFiles, Error> {
        match text {
            None => Ok(TrustedFiles::default()),
            Some(text) => serde_json::from_str(&text).map_err(|e| {
                file_error(
                    path,
                    format!("cannot read the trusted project files ({e}); remove it and trust them again"),
                )
            }),
        }
    }

    /// The store's text, or `None` before the first trust. It is read as
    /// the cache files are: a regular file, bounded, never blocking; and it
    /// must be this user's (or root's), since a store planted by another
    /// user (with `XDG_STATE_HOME` in a shared directory) would trust files
    /// for them.
    fn read_text(path: &Path) -> Result<Option<String>, Error> {
        let limit = ssocred_core::os::fs::MAX_CACHE_FILE_BYTES;
        let (bytes, meta) = match ssocred_core::os::fs::read_bounded_with_metadata(path, limit) {
            Ok(read) => read,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(file_error(
                    path,
                    format!("cannot read the trusted project files: {e}"),
                ));
            }
        };
        if !ssocred_core::os::file::owned_by_me_or_root(&meta) {
            return Err(file_error(
                path,
                "belongs to another user, so it cannot say which project files you trust; remove it and trust them again".to_owned(),
            ));
        }
        String::from_utf8(bytes).map(Some).map_err(|_| {
            file_error(
                path,
                "is not valid UTF-8; remove it and trust the project files again".to_owned(),
            )
        })
    }

    /// Whether `file`, as it is now, was trusted.
    pub fn trusts(&self, file: &ProjectFile) -> Result<bool, Error> {
        let text = TrustStore::read_text(&self.path)?;
        let trusted = TrustStore::load(text, &self.path)?;
        Ok(trusted.trusted.get(&file.path) == Some(&file.digest()))
    }

    /// The text of `file` when it was last trusted, if it has changed
    /// since and the text was kept.
    pub fn trusted_before(&self, file: &ProjectFile) -> Result<Option<String>, Error> {
        let text = TrustStore::read_text(&self.path)?;
        let mut trusted = TrustStore::load(text, &self.path)?;
        Ok(trusted
            .texts
            .remove(&file.path)
            .filter(|before| *before != file.text))
    }

    /// Records `file`, as it is now, as trusted.
    pub fn trust(&self, file: &ProjectFile) -> Result<(), Error> {
        let store = TargetFile::open_for_update(&self.path)
            .map_err(|e| io_error(&self.path, "cannot open", e))?;
        let text = TrustStore::read_text(store.target().path())?;
        let mut trusted = TrustStore::load(text, &self.path)?;
        trusted.trusted.insert(file.path.clone(), file.digest());
        if file.text.len() <= MAX_KEPT_TEXT {
            trusted.texts.insert(file.path.clone(), file.text.clone());
        } else {
            trusted.texts.remove(&file.path);
        }
        let encode = |t: &TrustedFiles| {
            serde_json::to_string_pretty(t)
                .map_err(|e| Error::Internal(format!("cannot encode the trusted files: {e}")))
        };
        let mut json = encode(&trusted)?;
        if json.len() > MAX_STORE_WITH_TEXTS {
            trusted.texts.retain(|path, _| *path == file.path);
            json = encode(&trusted)?;
        }
        store
            .write(format!("{json}\n").as_bytes())
            .map_err(|e| io_error(&self.path, "cannot write", e))
    }
}

fn io_error(path: &Path, what: &str, e: std::io::Error) -> Error {
    ssocred_core::login::file_error(path, what, &e)
}

/// The nearest project file above `dir`, read and checked; `None` when
/// there is none, or it is another user's (passed over with a warning).
fn nearest(dir: &Path) -> Result<Option<ProjectFile>, Error> {
    let Some(path) = find(dir) else {
        return Ok(None);
    };
    match load(&path)? {
        Loaded::Read(file) => Ok(Some(*file)),
        Loaded::AnotherUsers(path) => {
            // Another user's file is not this user's project (a
            // /tmp/.ssocred.toml would otherwise stop every run below
            // /tmp): passed over, loudly.
            ssocred_core::stderr_line!(
                "ssocred: warning: {} belongs to another user; it is not read",
                path.display()
            );
            Ok(None)
        }
    }
}

/// The project file of a run that only reads (`status`): the nearest one
/// if it is trusted. An untrusted one (new or changed) is neither used nor
/// offered for trust, and the run goes on without it: a look at the state
/// of one's logins should not stop at a file, nor trust one in passing.
/// Unless `quiet` (a prompt's line), stderr says it was left out.
pub fn for_reading(
    dir: &Path,
    env: &dyn Fn(&str) -> Option<String>,
    quiet: bool,
) -> Result<Option<ProjectFile>, Error> {
    let Some(file) = nearest(dir)? else {
        return Ok(None);
    };
    if TrustStore::from_env(env)?.trusts(&file)? {
        return Ok(Some(file));
    }
    if !quiet {
        ssocred_core::stderr_line!(
            "ssocred: project file {} is not trusted (new, or changed since it was trusted), so its settings are not used; review it, then run `{}`",
            file.path.display(),
            suggested(&["trust", &file.path.to_string_lossy()])
        );
    }
    Ok(None)
}

/// The project file of a run in `dir`: none, or the nearest one once it is
/// trusted. An untrusted (new or changed) file is offered for trust on a
/// terminal; without one it fails (exit 2) naming the file and the command
/// that trusts it. It is never skipped silently.
pub fn for_run(
    dir: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<ProjectFile>, Error> {
    let Some(file) = nearest(dir)? else {
        return Ok(None);
    };
    let store = TrustStore::from_env(env)?;
    if store.trusts(&file)? {
        return Ok(Some(file));
    }
    let untrusted = || {
        Error::Usage(format!(
            "{} is not trusted (it is new, or changed since it was trusted); review it, then run `{}`",
            file.path.display(),
            suggested(&["trust", &file.path.to_string_lossy()])
        ))
    };
    if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
        return Err(untrusted());
    }
    let before = store.trusted_before(&file)?;
    ssocred_core::stderr_line!(
        "ssocred: project file {} ({}):\n{}",
        file.path.display(),
        if before.is_some() {
            "changed since it was trusted"
        } else {
            "new or changed"
        },
        file.review(before.as_deref())
    );
    let yes = inquire::Confirm::new(&format!("Trust {} as it is?", file.path.display()))
        .with_default(false)
        .prompt()
        .unwrap_or(false);
    if !yes {
        return Err(untrusted());
    }
    store.trust(&file)?;
    Ok(Some(file))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ProjectFile, Error> {
        ProjectFile::parse(Path::new("/p/.ssocred.toml"), text.to_owned())
    }

    #[test]
    fn a_project_file_sets_only_the_allowed_keys() {
        let file = parse(
            "profile = 'corp'\naccount = '123456789012'\nrole = 'Dev'\nregion = 'eu-west-1'\npreset = 'ci'\nassume = ['arn:aws:iam::210987654321:role/Hub']\n",
        )
        .unwrap();
        assert_eq!(file.layer.profile.as_deref(), Some("corp"));
        assert_eq!(file.hops().unwrap().unwrap().len(), 1);
        for (text, key) in [
            ("sinks = ['dotenv:.env']\n", "sinks"),
            ("[[sink]]\ntype = 'dotenv'\n", "sink"),
            ("login_command = 'rm -rf ~'\n", "login_command"),
            ("ca_bundle = '/tmp/ca.pem'\n", "ca_bundle"),
            ("endpoint_url = 'http://evil'\n", "endpoint_url"),
            ("[login]\nmethod = 'aws-cli'\n", "login"),
            ("[[registry]]\nmatch = '*'\n", "registry"),
            ("profile = 'x'\n[cache]\nenabled = false\n", "cache"),
        ] {
            let e = parse(text).unwrap_err();
            assert_eq!(e.exit_code(), ssocred_core::ExitClass::Usage, "{text}");
            let message = e.to_string();
            assert!(
                message.contains("/p/.ssocred.toml") && message.contains(&format!("`{key}`")),
                "{message}"
            );
        }
        let e = parse("assume = ['not-an-arn']\n").unwrap_err();
        assert!(e.to_string().contains("line 1"), "{e}");
        // A role name alone narrows the listing, as `--role` alone does.
        let role_alone = parse("role = 'Admin'\n").unwrap();
        assert_eq!(role_alone.layer.role.as_deref(), Some("Admin"));
        assert!(parse("account = '123456789012'\n").is_ok());
    }

    #[test]
    fn a_project_chain_longer_than_the_cap_is_refused_naming_the_file() {
        let hops = ssocred_core::domain::hop::MAX_HOPS + 1;
        let list = (0..hops)
            .map(|i| format!("'arn:aws:iam::210987654321:role/Hop{i}'"))
            .collect::<Vec<_>>()
            .join(", ");
        let err = parse(&format!("profile = 'corp'\nassume = [{list}]\n")).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains(FILE_NAME) && text.contains("line 2"),
            "{text}"
        );
    }

    #[test]
    fn the_nearest_file_wins_and_trust_follows_the_content() {
        let home = tempfile::tempdir().unwrap();
        let top = home.path().join("repo");
        let deep = top.join("a/b");
        std::fs::create_dir_all(&deep).unwrap();
        std::fs::write(top.join(FILE_NAME), "profile = 'top'\n").unwrap();
        assert_eq!(find(&deep).unwrap(), top.join(FILE_NAME));
        std::fs::write(top.join("a").join(FILE_NAME), "profile = 'a'\n").unwrap();
        assert_eq!(find(&deep).unwrap(), top.join("a").join(FILE_NAME));

        let state = home.path().join("state");
        let env = |k: &str| match k {
            "HOME" => Some(home.path().display().to_string()),
            "XDG_STATE_HOME" => Some(state.display().to_string()),
            _ => None,
        };
        let store = TrustStore::from_env(&env).unwrap();
        let file = read(&find(&deep).unwrap()).unwrap();
        assert!(!store.trusts(&file).unwrap());
        store.trust(&file).unwrap();
        assert!(store.trusts(&file).unwrap());
        assert!(state.join("ssocred/trusted-projects.json").is_file());
        std::fs::write(top.join("a").join(FILE_NAME), "profile = 'b'\n").unwrap();
        let changed = read(&find(&deep).unwrap()).unwrap();
        assert!(!store.trusts(&changed).unwrap(), "a changed file is new");

        // The text trusted is kept, so the change shows as a diff.
        assert_eq!(
            store.trusted_before(&changed).unwrap().as_deref(),
            Some("profile = 'a'\n")
        );
        let review = changed.review(store.trusted_before(&changed).unwrap().as_deref());
        assert!(review.contains("  | -profile = 'a'\n"), "{review}");
        assert!(review.contains("  | +profile = 'b'\n"), "{review}");
        store.trust(&changed).unwrap();
        assert_eq!(store.trusted_before(&changed).unwrap(), None);
        // A file too large to keep is trusted by its digest alone.
        let big = format!("profile = 'b'\n{}", "# note\n".repeat(MAX_KEPT_TEXT));
        std::fs::write(top.join("a").join(FILE_NAME), &big).unwrap();
        let big = read(&find(&deep).unwrap()).unwrap();
        store.trust(&big).unwrap();
        let kept = std::fs::read_to_string(state.join("ssocred/trusted-projects.json")).unwrap();
        assert!(!kept.contains("# note"), "{kept}");
        assert!(store.trusts(&big).unwrap());
    }
}
