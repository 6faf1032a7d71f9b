//! The last listing of each login's roles, so that `list --changes` and
//! `discover` can say which roles were added and removed since.
//!
//! One file per SSO instance (its start URL and sso-session), named by the
//! SHA-256 of both, in ssocred's cache directory (`listings/`): the role
//! ARNs, sorted, and when they were listed. It holds no secret. A missing,
//! oversized or unreadable file is "no earlier listing", never an error;
//! the file is replaced atomically under its lock.

use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::domain::role::RoleEntry;
use crate::domain::sso_profile::SsoProfile;
use crate::os::fs::{FileLock, read_bounded, write_atomic};

/// A record larger than this is not read: 50,000 role ARNs take about
/// 3 MB.
pub const MAX_RECORD_BYTES: u64 = 8 * 1024 * 1024;

/// The file's content.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Record {
    /// When the roles were listed, in seconds since the Unix epoch.
    listed_at: i64,
    /// The role ARNs, sorted.
    roles: Vec<String>,
}

/// What changed between two listings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Changes {
    /// When the earlier listing was made, in seconds since the Unix epoch.
    pub since: i64,
    /// Role ARNs listed now and not then, sorted.
    pub added: Vec<String>,
    /// Role ARNs listed then and not now, sorted.
    pub removed: Vec<String>,
}

/// The record of `sso`'s login in ssocred's cache directory `cache_dir`.
pub fn record_path(cache_dir: &Path, sso: &SsoProfile) -> PathBuf {
    let key = format!(
        "{}\n{}",
        sso.start_url,
        sso.session.as_deref().unwrap_or_default()
    );
    let hex: String = Sha256::digest(key.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    cache_dir.join("listings").join(format!("{hex}.json"))
}

/// Records `roles` as the listing at `now` in the file at `path`, and
/// returns what changed since the listing recorded before, if there was
/// one.
pub fn record(path: &Path, roles: &[RoleEntry], now: i64) -> io::Result<Option<Changes>> {
    let _lock = FileLock::acquire(path)?;
    let arns = sorted_arns(roles);
    let changes = read(path).map(|old| compare(&old, &arns));
    let text = serde_json::to_vec(&Record {
        listed_at: now,
        roles: arns,
    })
    .map_err(io::Error::other)?;
    write_atomic(path, &text)?;
    Ok(changes)
}

/// What changed from the listing recorded at `path` to `roles`, recording
/// nothing (a dry run); `None` when none was recorded.
pub fn changes_since(path: &Path, roles: &[RoleEntry]) -> Option<Changes> {
    read(path).map(|old| compare(&old, &sorted_arns(roles)))
}

/// The record at `path`, if there is a readable one.
fn read(path: &Path) -> Option<Record> {
    read_bounded(path, MAX_RECORD_BYTES)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
}

fn sorted_arns(roles: &[RoleEntry]) -> Vec<String> {
    let mut arns: Vec<String> = roles.iter().map(|r| r.role_arn.clone()).collect();
    arns.sort_unstable();
    arns.dedup();
    arns
}

/// What changed from `old` to `now`, both sorted.
fn compare(old: &Record, now: &[String]) -> Changes {
    let (mut added, mut removed) = (Vec::new(), Vec::new());
    let (mut i, mut j) = (0, 0);
    while i < old.roles.len() || j < now.len() {
        match (old.roles.get(i), now.get(j)) {
            (Some(a), Some(b)) if a == b => {
                i += 1;
                j += 1;
            }
            (Some(a), Some(b)) if a < b => {
                removed.push(a.clone());
                i += 1;
            }
            (Some(a), None) => {
                removed.push(a.clone());
                i += 1;
            }
            (_, Some(b)) => {
                added.push(b.clone());
                j += 1;
            }
            (None, None) => break,
        }
    }
    Changes {
        since: old.listed_at,
        added,
        removed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(arn: &str) -> RoleEntry {
        RoleEntry {
            account_id: "123456789012".into(),
            account_name: "a".into(),
            role_name: "r".into(),
            role_arn: arn.into(),
        }
    }

    #[test]
    fn a_listing_reports_the_roles_added_and_removed_since_the_last() {
        let dir = tempfile::tempdir().unwrap();
        let sso = SsoProfile::for_test("p", Some("corp"));
        let path = record_path(dir.path(), &sso);
        let first = [role("arn:b"), role("arn:a"), role("arn:c")];
        assert_eq!(record(&path, &first, 100).unwrap(), None);
        let second = [role("arn:a"), role("arn:d"), role("arn:c"), role("arn:e")];
        // A dry run sees the change and records nothing.
        let peeked = changes_since(&path, &second).unwrap();
        assert_eq!(peeked.added, ["arn:d", "arn:e"]);
        let changes = record(&path, &second, 200).unwrap().unwrap();
        assert_eq!(changes, peeked);
        assert_eq!(changes.since, 100);
        assert_eq!(changes.added, ["arn:d", "arn:e"]);
        assert_eq!(changes.removed, ["arn:b"]);
        assert_eq!(
            record(&path, &second, 300).unwrap().unwrap(),
            Changes {
                since: 200,
                ..Changes::default()
            }
        );
        // Another login has a record of its own; a garbled one is none.
        let other = record_path(dir.path(), &SsoProfile::for_test("p", Some("other")));
        assert_ne!(other, path);
        std::fs::write(&path, "not json").unwrap();
        assert_eq!(record(&path, &first, 400).unwrap(), None);
    }
}
