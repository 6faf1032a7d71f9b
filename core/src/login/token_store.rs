//! Where the SSO token and the client registration are kept:
//! `[login] token_store` (docs/security.md, "Tokens in the OS keyring").
//!
//! - `file` (the default): the AWS CLI's cache files in `~/.aws/sso/cache`,
//!   which the CLI, the SDKs, the SSM plugin and Terraform read.
//! - `keyring`: the OS credential store only. A login or refresh writes
//!   the keyring and removes the files, so a token moves there on the next
//!   login; role credentials are not cached on disk either.
//! - `both`: the keyring is read first and both are written, for tools that
//!   need the files.

use std::path::{Path, PathBuf};

use crate::Error;
use crate::os::secrets::{Keyring, KeyringError};

/// Where tokens are kept.
#[derive(Debug, Clone, Default)]
pub enum TokenStore {
    /// The AWS CLI's cache files.
    #[default]
    File,
    /// The OS credential store only.
    Keyring(Keyring),
    /// The OS credential store, and the files too.
    Both(Keyring),
}

/// What the setting says, before a store is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenStoreKind {
    /// `file`.
    File,
    /// `keyring`.
    Keyring,
    /// `both`.
    Both,
}

impl TokenStoreKind {
    /// Every value, as written in settings.
    pub const ALL: [&'static str; 3] = ["file", "keyring", "both"];

    /// The kind named `name`.
    pub fn from_name(name: &str) -> Option<TokenStoreKind> {
        match name {
            "file" => Some(TokenStoreKind::File),
            "keyring" => Some(TokenStoreKind::Keyring),
            "both" => Some(TokenStoreKind::Both),
            _ => None,
        }
    }

    /// Opens the store: `store` names the credential store (the system's
    /// default when `None`). `setting` says where the kind came from, for
    /// the error.
    pub fn open(self, store: Option<&str>, setting: &str) -> Result<TokenStore, Error> {
        let keyring = || {
            Keyring::open(store).map_err(|e| Error::Output {
                target: format!("the OS credential store ({setting})"),
                message: e.0,
            })
        };
        Ok(match self {
            TokenStoreKind::File => TokenStore::File,
            TokenStoreKind::Keyring => TokenStore::Keyring(keyring()?),
            TokenStoreKind::Both => TokenStore::Both(keyring()?),
        })
    }
}

/// The keyring entry of a cache file: its kind and its file name's stem
/// (the AWS CLI's SHA-1 key), so the two places name the same login alike.
pub fn item_name(kind: &str, path: &Path) -> String {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    format!("{kind}:{stem}")
}

impl TokenStore {
    /// The keyring, in keyring and both modes.
    pub fn keyring(&self) -> Option<&Keyring> {
        match self {
            TokenStore::File => None,
            TokenStore::Keyring(k) | TokenStore::Both(k) => Some(k),
        }
    }

    /// Where tokens live, for `status` and messages.
    pub fn describe(&self) -> String {
        match self {
            TokenStore::File => "the AWS CLI's cache file".to_owned(),
            TokenStore::Keyring(k) => format!("the OS keyring ({})", k.name()),
            TokenStore::Both(k) => {
                format!("the OS keyring ({}) and the AWS CLI's cache file", k.name())
            }
        }
    }

    /// Whether role credentials may be cached on disk.
    pub fn disk_role_cache(&self) -> bool {
        !matches!(self, TokenStore::Keyring(_))
    }

    /// The bytes of `path`'s item: the keyring's first, then (unless the
    /// keyring alone is used) the file's. `Err` says what failed, never a
    /// secret.
    pub fn load(&self, kind: &str, path: &Path) -> Result<Option<Vec<u8>>, String> {
        if let Some(k) = self.keyring() {
            if let Some(bytes) = k.get(&item_name(kind, path)).map_err(|e| e.0)? {
                return Ok(Some(bytes));
            }
            if matches!(self, TokenStore::Keyring(_)) {
                return Ok(None);
            }
        }
        super::sso_cache::read_optional(path).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Writes `bytes` where the store keeps them; in keyring mode the file
    /// is removed, so the token lives in one place.
    pub fn save(&self, kind: &str, path: &Path, bytes: &[u8], what: &str) -> Result<(), Error> {
        let file = || {
            crate::os::fs::write_atomic(path, bytes)
                .map_err(|e| super::file_error(path, &format!("cannot write the {what}"), &e))
        };
        match self {
            TokenStore::File => file(),
            TokenStore::Keyring(k) => {
                k.set(&item_name(kind, path), bytes)
                    .map_err(|e| keyring_error(&e, what))?;
                remove_file(path).map(drop)
            }
            TokenStore::Both(k) => {
                k.set(&item_name(kind, path), bytes)
                    .map_err(|e| keyring_error(&e, what))?;
                file()
            }
        }
    }

    /// Removes the item from the keyring (in keyring and both modes) and
    /// the file: where it was found.
    pub fn remove(&self, kind: &str, path: &Path) -> Result<Vec<String>, Error> {
        let mut removed = Vec::new();
        if let Some(k) = self.keyring()
            && k.delete(&item_name(kind, path))
                .map_err(|e| keyring_error(&e, "login"))?
        {
            removed.push(format!("the OS keyring ({})", k.name()));
        }
        if let Some(path) = remove_file(path)? {
            removed.push(path.display().to_string());
        }
        Ok(removed)
    }
}

fn keyring_error(e: &KeyringError, what: &str) -> Error {
    Error::Output {
        target: format!("the OS credential store, for the {what} ([login] token_store)"),
        message: e.0.clone(),
    }
}

/// Removes `path`; the path when it was there.
fn remove_file(path: &Path) -> Result<Option<PathBuf>, Error> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(Some(path.to_path_buf())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(super::file_error(path, "cannot remove", &e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_are_named_after_the_cache_files() {
        let path = Path::new("/h/.aws/sso/cache/0123abcd.json");
        assert_eq!(item_name("sso-token", path), "sso-token:0123abcd");
        assert_eq!(
            TokenStoreKind::from_name("both"),
            Some(TokenStoreKind::Both)
        );
        assert_eq!(TokenStoreKind::from_name("vault"), None);
        assert!(TokenStore::File.disk_role_cache());
        assert_eq!(TokenStore::File.describe(), "the AWS CLI's cache file");
    }
}
