//! The team sources a user added, in ssocred's state directory
//! (`sources.json`), and the text of each source file as last synced
//! (`sources/NAME.toml`), which `discover` reads: what discovery uses is
//! what the user saw in sync's diff, not whatever the source holds now.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use ssocred_core::Error;
use ssocred_core::os::fs::TargetFile;

use crate::settings::config_file::file_error;
use crate::sources::team_file::MAX_SOURCE_FILE_BYTES;

/// Every source, by name.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Sources {
    /// The sources, by name.
    #[serde(default)]
    pub sources: BTreeMap<String, Source>,
}

/// One source: where it is and what was last synced from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// The git repository, as `git` takes it.
    pub url: String,
    /// The branch, tag or commit; none: the repository's default branch.
    #[serde(rename = "ref", default, skip_serializing_if = "Option::is_none")]
    pub git_ref: Option<String>,
    /// The file's path in the repository.
    pub path: String,
    /// For a file fetched over HTTPS instead of git: the SHA-256 it must
    /// have, in hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// What was last synced, if anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub synced: Option<Synced>,
}

/// What a sync wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Synced {
    /// The commit the file was read at (`sha256:HEX` for a file fetched
    /// over HTTPS).
    pub commit: String,
    /// The SHA-256 of the file's text, in hex.
    pub sha256: String,
}

/// The SHA-256 of `text`, in hex.
pub fn digest(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Where the sources are recorded.
#[derive(Debug, Clone)]
pub struct SourceStore {
    dir: PathBuf,
}

impl SourceStore {
    /// The store in ssocred's state directory.
    pub fn from_env(env: &dyn Fn(&str) -> Option<String>) -> Result<SourceStore, Error> {
        let paths = ssocred_core::store::profile::AwsPaths::from_env(env)?;
        Ok(SourceStore {
            dir: ssocred_core::os::dirs::ssocred_state_dir(env, &paths.home),
        })
    }

    /// The store file.
    pub fn path(&self) -> PathBuf {
        self.dir.join("sources.json")
    }

    /// The synced text of source `name`.
    fn snapshot_path(&self, name: &str) -> PathBuf {
        self.dir.join("sources").join(format!("{name}.toml"))
    }

    /// The sources, none before the first `source add`.
    pub fn load(&self) -> Result<Sources, Error> {
        let path = self.path();
        decode(read_own(&path)?, &path)
    }

    /// Changes the sources under the store's lock: `change` sees them as
    /// they are on disk and edits them; nothing is written when it fails.
    pub fn update<T>(
        &self,
        change: impl FnOnce(&mut Sources) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let path = self.path();
        let file =
            TargetFile::open_for_update(&path).map_err(|e| io_error(&path, "cannot open", &e))?;
        let mut sources = decode(read_own(file.target().path())?, &path)?;
        let out = change(&mut sources)?;
        let json = serde_json::to_string_pretty(&sources)
            .map_err(|e| Error::Internal(format!("cannot encode the sources: {e}")))?;
        file.write(format!("{json}\n").as_bytes())
            .map_err(|e| io_error(&path, "cannot write", &e))?;
        Ok(out)
    }

    /// Keeps `text` as the synced file of source `name`.
    pub fn keep_snapshot(&self, name: &str, text: &str) -> Result<(), Error> {
        let path = self.snapshot_path(name);
        TargetFile::open_for_update(&path)
            .and_then(|file| file.write(text.as_bytes()))
            .map_err(|e| io_error(&path, "cannot write", &e))
    }

    /// The text last synced from source `name`, checked against the
    /// digest recorded with it: a file changed since is refused (exit 3).
    pub fn snapshot(&self, name: &str, synced: &Synced) -> Result<String, Error> {
        let path = self.snapshot_path(name);
        let text = read_own(&path)?.ok_or_else(|| {
            file_error(
                &path,
                format!("is missing; run `ssocred sync {name}` again"),
            )
        })?;
        if digest(&text) != synced.sha256 {
            return Err(file_error(
                &path,
                format!("changed since `ssocred sync {name}` wrote it; run the sync again"),
            ));
        }
        Ok(text)
    }

    /// Removes the synced file of source `name`, if there is one.
    pub fn drop_snapshot(&self, name: &str) -> Result<(), Error> {
        let path = self.snapshot_path(name);
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(io_error(&path, "cannot remove", &e))
            }
            _ => Ok(()),
        }
    }
}

fn decode(text: Option<String>, path: &Path) -> Result<Sources, Error> {
    match text {
        None => Ok(Sources::default()),
        Some(text) => serde_json::from_str(&text).map_err(|e| {
            file_error(
                path,
                format!("cannot read the team sources ({e}); remove it and add them again"),
            )
        }),
    }
}

/// A file of ssocred's state: read bounded, without following a link,
/// and only when it is this user's (or root's); `None` when missing.
fn read_own(path: &Path) -> Result<Option<String>, Error> {
    let limit = MAX_SOURCE_FILE_BYTES.max(ssocred_core::os::fs::MAX_CACHE_FILE_BYTES);
    let (bytes, meta) = match ssocred_core::os::fs::read_bounded_no_follow(path, limit) {
        Ok(read) => read,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(file_error(path, format!("cannot read: {e}"))),
    };
    if !ssocred_core::os::file::owned_by_me_or_root(&meta) {
        return Err(file_error(
            path,
            "belongs to another user, so it cannot say which team sources you use; remove it"
                .to_owned(),
        ));
    }
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|_| file_error(path, "is not valid UTF-8".to_owned()))
}

fn io_error(path: &Path, what: &str, e: &std::io::Error) -> Error {
    ssocred_core::login::file_error(path, what, e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_store_keeps_what_sync_wrote_and_a_failed_change_writes_nothing() {
        let home = tempfile::tempdir().unwrap();
        let state = home.path().join("state");
        let env = |k: &str| match k {
            "HOME" => Some(home.path().display().to_string()),
            "XDG_STATE_HOME" => Some(state.display().to_string()),
            _ => None,
        };
        let store = SourceStore::from_env(&env).unwrap();
        assert!(store.load().unwrap().sources.is_empty());
        let source = Source {
            url: "https://git.example/team.git".to_owned(),
            git_ref: Some("v1".to_owned()),
            path: "ssocred-team.toml".to_owned(),
            sha256: None,
            synced: None,
        };
        store
            .update(|s| {
                s.sources.insert("team".to_owned(), source.clone());
                Ok(())
            })
            .unwrap();
        assert_eq!(store.load().unwrap().sources["team"], source);
        store.keep_snapshot("team", "[profile.x]\n").unwrap();
        let kept = state.join("ssocred/sources/team.toml");
        assert_eq!(std::fs::read_to_string(&kept).unwrap(), "[profile.x]\n");
        let synced = Synced {
            commit: "c".repeat(40),
            sha256: digest("[profile.x]\n"),
        };
        assert_eq!(store.snapshot("team", &synced).unwrap(), "[profile.x]\n");
        // A copy changed since the sync is refused, naming it.
        std::fs::write(&kept, "[profile.y]\n").unwrap();
        let e = store.snapshot("team", &synced).unwrap_err();
        assert!(e.to_string().contains("team.toml"), "{e}");
        // A failing change writes nothing.
        let failed = store.update(|s| {
            s.sources.clear();
            Err::<(), _>(Error::Usage("no".to_owned()))
        });
        assert!(failed.is_err());
        assert_eq!(store.load().unwrap().sources.len(), 1);
    }
}
