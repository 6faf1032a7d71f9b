//! ECR authorization tokens cached by credential identity and region, in
//! ssocred's own cache directory (`$XDG_CACHE_HOME/ssocred/ecr`, else
//! `~/.cache/ssocred/ecr`): one token serves every registry the role can
//! reach in its region, for 12 hours, so a warm `docker pull` needs no
//! network call at all.
//!
//! An entry is `<sha256 hex of the key>.json`, 0600 in a 0700 directory,
//! written atomically under a sidecar lock:
//!
//! ```json
//! {"Version": 1, "Login": "corp", "RoleArn": "arn:aws:iam::123456789012:role/Push",
//!  "Region": "eu-west-1", "Username": "AWS", "Password": "...",
//!  "ExpiresAt": "2026-12-01T22:00:00Z"}
//! ```
//!
//! Anything unreadable is a miss, never an error, and is replaced by the
//! next fetch.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::aws::ecr::CachedToken;
use crate::domain::arn::RoleArn;
use crate::domain::sso_profile::SsoProfile;
use crate::domain::time_fmt;
use crate::os::fs::{FileLock, write_atomic};

/// The entry format written; others are ignored.
const VERSION: u32 = 1;

/// The cache directory under ssocred's cache directory (see
/// [`crate::os::dirs::ssocred_cache_dir`]).
pub fn default_dir(ssocred_cache_dir: &Path) -> PathBuf {
    ssocred_cache_dir.join("ecr")
}

/// The identity whose token an entry holds: the credentials the token was
/// obtained with, which are those of one role reached through one SSO login
/// and, after it, a chain of roles with their options (two chains ending in
/// different roles, or asking STS for different options, must not share a
/// token).
///
/// Compact JSON, so no value can pass for another's field: joining the hops'
/// `--assume` spellings made the external id `ext-1,session-name=xy` and the
/// external id `ext-1` with the session name `xy` one key. The hops are
/// named as the role cache's chain keys name them
/// ([`crate::store::role_cache::chain_key`]).
pub fn identity_key(
    profile: &SsoProfile,
    role: &RoleArn,
    chain: &[crate::domain::hop::Hop],
) -> String {
    let hops: Vec<serde_json::Value> = chain
        .iter()
        .map(crate::store::role_cache::hop_key_json)
        .collect();
    serde_json::json!({
        "login": login_of(profile),
        "role": role.as_str(),
        "chain": hops,
    })
    .to_string()
}

/// The login an entry belongs to, for `logout`: the `sso-session` name, else
/// the start URL (as the token cache names logins).
pub fn login_of(profile: &SsoProfile) -> String {
    match &profile.session {
        Some(session) => format!("sso-session:{session}"),
        None => format!("start-url:{}", profile.start_url),
    }
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Entry {
    version: u32,
    login: String,
    role_arn: String,
    region: String,
    username: String,
    password: String,
    expires_at: String,
}

/// Why a lookup found nothing usable; for `-v`, never fatal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Miss {
    /// There is no entry.
    Absent,
    /// The token expires within the window, or has expired.
    Expiring {
        /// When, UTC.
        expires_at: String,
    },
    /// The entry is unreadable or not one of these; it will be replaced.
    Unusable {
        /// What is wrong (never the contents).
        problem: String,
    },
}

impl fmt::Display for Miss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Miss::Absent => f.write_str("no cached ECR token"),
            Miss::Expiring { expires_at } => {
                write!(f, "the cached ECR token expires too soon ({expires_at})")
            }
            Miss::Unusable { problem } => {
                write!(f, "ignoring an unusable ECR token entry ({problem})")
            }
        }
    }
}

/// The ECR token cache in one directory.
#[derive(Debug, Clone)]
pub struct TokenCache {
    dir: PathBuf,
    window: Duration,
}

impl TokenCache {
    /// A cache in `dir` that treats tokens with less than `window` left as
    /// expired.
    pub fn new(dir: PathBuf, window: Duration) -> Self {
        TokenCache { dir, window }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The entry file of `identity` (see [`identity_key`]) in `region`. The
    /// identity is JSON, which holds no raw line break, so the `\n` before
    /// the region cannot be forged.
    pub fn path(&self, identity: &str, region: &str) -> PathBuf {
        let digest = Sha256::digest(format!("{identity}\n{region}").as_bytes());
        let hex = hex::encode(digest);
        self.dir.join(format!("{hex}.json"))
    }

    /// The token of `identity` in `region`, when it is valid for longer than
    /// the window at `now`.
    pub fn lookup(
        &self,
        identity: &str,
        region: &str,
        now: OffsetDateTime,
    ) -> Result<CachedToken, Miss> {
        let path = self.path(identity, region);
        let bytes = match crate::os::fs::read_bounded(&path, crate::os::fs::MAX_CACHE_FILE_BYTES) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(Miss::Absent),
            Err(e) => {
                return Err(Miss::Unusable {
                    problem: format!("{}: {e}", path.display()),
                });
            }
        };
        let unusable = |problem: &str| Miss::Unusable {
            problem: format!("{}: {problem}", path.display()),
        };
        let entry: Entry =
            serde_json::from_slice(&bytes).map_err(|_| unusable("not an ECR token entry"))?;
        if entry.version != VERSION || entry.region != region {
            return Err(unusable("another format or region"));
        }
        let expires_at = time_fmt::parse_expiry(&entry.expires_at)
            .ok_or_else(|| unusable("unreadable ExpiresAt"))?;
        if entry.password.is_empty() || entry.username.is_empty() {
            return Err(unusable("no user name or password"));
        }
        if expires_at - now <= self.window {
            return Err(Miss::Expiring {
                expires_at: time_fmt::utc_z(expires_at),
            });
        }
        Ok(CachedToken {
            username: entry.username,
            password: SecretString::from(entry.password),
            expires_at,
        })
    }

    /// Writes `token` as the entry of `role` through `profile`'s login in
    /// `region`: atomically, 0600, under the entry's lock.
    pub fn store(
        &self,
        profile: &SsoProfile,
        role: &RoleArn,
        chain: &[crate::domain::hop::Hop],
        region: &str,
        token: &CachedToken,
    ) -> io::Result<()> {
        let path = self.path(&identity_key(profile, role, chain), region);
        let entry = Entry {
            version: VERSION,
            login: login_of(profile),
            role_arn: chain.last().map_or(role, |h| &h.role).as_str().to_owned(),
            region: region.to_owned(),
            username: token.username.clone(),
            password: token.password.expose_secret().to_owned(),
            expires_at: time_fmt::utc_z(token.expires_at),
        };
        // Plain strings and a number: serialisation cannot fail.
        let bytes = serde_json::to_vec(&entry).unwrap_or_default();
        crate::os::fs::create_private_dir(&self.dir)?;
        let target = crate::os::fs::resolve(&path)?;
        let _lock = FileLock::acquire(target.path())?;
        write_atomic(&path, &bytes)
    }

    /// Removes the entries of `login` (see [`login_of`]), or every entry
    /// when `None`. Returns how many went; a missing directory holds none.
    pub fn clear(&self, login: Option<&str>) -> io::Result<usize> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(e),
        };
        let mut removed = 0;
        for entry in entries {
            let path = entry?.path();
            if path.extension().is_none_or(|ext| ext != "json") {
                continue;
            }
            let belongs = match login {
                None => true,
                Some(login) => {
                    crate::os::fs::read_bounded(&path, crate::os::fs::MAX_CACHE_FILE_BYTES)
                        .ok()
                        .and_then(|bytes| serde_json::from_slice::<Entry>(&bytes).ok())
                        .is_some_and(|e| e.login == login)
                }
            };
            if belongs {
                match std::fs::remove_file(&path) {
                    Ok(()) => removed += 1,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(session: Option<&str>) -> SsoProfile {
        SsoProfile::for_test("p", session)
    }

    fn token(hours: i64) -> CachedToken {
        CachedToken {
            username: "AWS".into(),
            password: SecretString::from("pass-SECRET-word"),
            expires_at: OffsetDateTime::now_utc() + time::Duration::hours(hours),
        }
    }

    #[test]
    fn stores_reads_and_expires_by_window() {
        let dir = tempfile::tempdir().unwrap();
        let cache = TokenCache::new(dir.path().join("ecr"), Duration::from_secs(900));
        let (p, role) = (
            profile(Some("corp")),
            RoleArn::parse("arn:aws:iam::123456789012:role/R").unwrap(),
        );
        let id = identity_key(&p, &role, &[]);
        assert_eq!(
            cache
                .lookup(&id, "eu-west-1", OffsetDateTime::now_utc())
                .unwrap_err(),
            Miss::Absent
        );
        cache
            .store(&p, &role, &[], "eu-west-1", &token(12))
            .unwrap();
        let hit = cache
            .lookup(&id, "eu-west-1", OffsetDateTime::now_utc())
            .unwrap();
        assert_eq!(hit.password.expose_secret(), "pass-SECRET-word");
        assert!(!format!("{hit:?}").contains("SECRET"));
        // Another region, another login: other entries.
        assert_eq!(
            cache
                .lookup(&id, "eu-west-2", OffsetDateTime::now_utc())
                .unwrap_err(),
            Miss::Absent
        );
        let other = identity_key(&profile(None), &role, &[]);
        assert_eq!(
            cache
                .lookup(&other, "eu-west-1", OffsetDateTime::now_utc())
                .unwrap_err(),
            Miss::Absent
        );
        // Within the window it is a miss.
        let late =
            OffsetDateTime::now_utc() + time::Duration::hours(12) - time::Duration::minutes(10);
        assert!(matches!(
            cache.lookup(&id, "eu-west-1", late),
            Err(Miss::Expiring { .. })
        ));
        let meta = std::fs::metadata(cache.path(&id, "eu-west-1")).unwrap();
        assert_eq!(
            crate::os::file::mode_bits(&meta),
            crate::os::file::PRIVATE_FILE_MODE
        );
    }

    #[test]
    fn garbage_is_a_miss_and_clear_removes_one_login_or_all() {
        let dir = tempfile::tempdir().unwrap();
        let cache = TokenCache::new(dir.path().to_path_buf(), Duration::from_secs(900));
        let role = RoleArn::parse("arn:aws:iam::123456789012:role/R").unwrap();
        let (corp, legacy) = (profile(Some("corp")), profile(None));
        cache
            .store(&corp, &role, &[], "eu-west-1", &token(12))
            .unwrap();
        cache
            .store(&legacy, &role, &[], "eu-west-1", &token(12))
            .unwrap();
        let id = identity_key(&corp, &role, &[]);
        std::fs::write(cache.path(&id, "us-east-1"), b"{\"Version\":1,").unwrap();
        assert!(matches!(
            cache.lookup(&id, "us-east-1", OffsetDateTime::now_utc()),
            Err(Miss::Unusable { .. })
        ));
        assert_eq!(cache.clear(Some(&login_of(&corp))).unwrap(), 1);
        assert!(
            cache
                .lookup(
                    &identity_key(&legacy, &role, &[]),
                    "eu-west-1",
                    OffsetDateTime::now_utc()
                )
                .is_ok()
        );
        assert_eq!(cache.clear(None).unwrap(), 2);
        assert_eq!(cache.clear(None).unwrap(), 0);
    }

    /// The two chains of the review: an external id that spells a second
    /// option, and that option given apart. STS sees two different calls,
    /// so the cache must hold two entries.
    #[test]
    fn chains_that_differ_in_their_options_have_different_keys() {
        let p = profile(Some("corp"));
        let role = RoleArn::parse("arn:aws:iam::123456789012:role/R").unwrap();
        let target = RoleArn::parse("arn:aws:iam::210987654321:role/Push").unwrap();
        let one_option = crate::domain::hop::Hop {
            external_id: Some("ext-1,session-name=xy".to_owned()),
            ..crate::domain::hop::Hop::to(target.clone())
        };
        let two_options = crate::domain::hop::Hop {
            external_id: Some("ext-1".to_owned()),
            session_name: Some("xy".to_owned()),
            ..crate::domain::hop::Hop::to(target.clone())
        };
        one_option.check().unwrap();
        two_options.check().unwrap();
        let a = identity_key(&p, &role, &[one_option]);
        let b = identity_key(&p, &role, std::slice::from_ref(&two_options));
        assert_ne!(a, b);

        let dir = tempfile::tempdir().unwrap();
        let cache = TokenCache::new(dir.path().to_path_buf(), Duration::from_secs(900));
        assert_ne!(cache.path(&a, "eu-west-1"), cache.path(&b, "eu-west-1"));
        cache
            .store(&p, &role, &[two_options], "eu-west-1", &token(12))
            .unwrap();
        assert_eq!(
            cache
                .lookup(&a, "eu-west-1", OffsetDateTime::now_utc())
                .unwrap_err(),
            Miss::Absent
        );
        // Nor does a chain share the SSO role's own entry, or a longer one.
        assert_ne!(identity_key(&p, &role, &[]), b);
        assert_ne!(identity_key(&p, &target, &[]), b);
    }
}
