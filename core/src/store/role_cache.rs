//! The role-credential cache, shared with the AWS CLI v2.
//!
//! Entries live in `~/.aws/cli/cache/<key>.json`, the directory and the file
//! format the AWS CLI v2 uses for the role credentials of SSO profiles, so a
//! login's credentials fetched by either tool are reused by the other (the
//! interop tests check both directions with botocore's own cache code):
//!
//! ```json
//! {"ProviderType": "sso", "Credentials": {"AccessKeyId": "...",
//!  "SecretAccessKey": "...", "SessionToken": "...",
//!  "Expiration": "2026-11-26T16:00:00Z", "AccountId": "123456789012"}}
//! ```
//!
//! The key is the SHA-1 hex digest of a compact, key-sorted JSON object of
//! `accountId`, `roleName` and either `sessionName` (sso-session profiles) or
//! `startUrl` (legacy profiles), encoded as Python's `json.dumps` encodes it.
//!
//! An entry counts only while more than the expiry window (default 15
//! minutes, the AWS CLI's own) remains. Anything unreadable is a miss, never
//! an error: it is replaced by the next fetch. Writes are atomic and 0600 in a
//! 0700 directory, and a per-role lock file makes concurrent processes fetch
//! a role once ([`RoleCache::obtain`]).

use std::fmt;
use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha1::{Digest, Sha1};
use time::OffsetDateTime;

use crate::CredentialSet;
use crate::domain::arn::RoleArn;
use crate::domain::sso_profile::SsoProfile;
use crate::domain::time_fmt;
use crate::os::fs::{FileLock, LOCK_TIMEOUT, write_atomic};

/// The AWS CLI's expiry window, and ssocred's default: an entry with less
/// than this left is treated as expired.
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(15 * 60);

/// The `ProviderType` of SSO role credentials in the AWS CLI cache.
const PROVIDER_TYPE: &str = "sso";

/// The `ProviderType` of ssocred's role-chain entries (`--assume`), which
/// share the directory; the AWS CLI never reads them (their keys are not
/// its keys).
const CHAIN_PROVIDER_TYPE: &str = "ssocred-assume-role";

/// What an entry holds: an SSO role's credentials, or a role chain's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// GetRoleCredentials, shared with the AWS CLI.
    Sso,
    /// The last hop of a role chain.
    Chain,
}

impl Kind {
    fn provider_type(self) -> &'static str {
        match self {
            Kind::Sso => PROVIDER_TYPE,
            Kind::Chain => CHAIN_PROVIDER_TYPE,
        }
    }
}

/// The cache key of a role chain: the SHA-1 hex digest of compact JSON
/// naming the login (as [`cache_key`] does), the SSO role, and each hop's
/// role and options in order. Every prefix of a chain has its own key, so a
/// cached hop is not assumed again.
pub fn chain_key(
    profile: &SsoProfile,
    sso_role: &RoleArn,
    hops: &[crate::domain::hop::Hop],
) -> String {
    let mut keys = prefix_keys(profile, sso_role, hops);
    keys.pop().unwrap_or_default()
}

/// The [`chain_key`] of every prefix of `hops`, from the empty one to the
/// whole chain. The JSON is `{"chain":[HOP,...],"login":...,"ssoRole":...}`
/// (keys sorted, as `serde_json` writes them), so one running digest takes
/// each hop once and each prefix only adds the closing part: the work grows
/// with the chain's length, not with its square.
fn prefix_keys(
    profile: &SsoProfile,
    sso_role: &RoleArn,
    hops: &[crate::domain::hop::Hop],
) -> Vec<String> {
    let login = match &profile.session {
        Some(session) => serde_json::json!({"sessionName": session}),
        None => serde_json::json!({"startUrl": profile.start_url}),
    };
    let tail = format!(
        "],\"login\":{login},\"ssoRole\":{}}}",
        serde_json::Value::from(sso_role.as_str())
    );
    let hex = |digest: Sha1| -> String { hex::encode(digest.finalize()) };
    let mut running = Sha1::new();
    running.update(b"{\"chain\":[");
    let mut keys = Vec::with_capacity(hops.len() + 1);
    for (i, hop) in hops.iter().enumerate() {
        let mut closed = running.clone();
        closed.update(tail.as_bytes());
        keys.push(hex(closed));
        if i > 0 {
            running.update(b",");
        }
        running.update(hop_key_json(hop).to_string().as_bytes());
    }
    running.update(tail.as_bytes());
    keys.push(hex(running));
    keys
}

/// A hop as the cache keys name it: its role and every option that changes
/// what STS grants, the duration as the seconds asked for.
pub(crate) fn hop_key_json(hop: &crate::domain::hop::Hop) -> serde_json::Value {
    serde_json::json!({
        "roleArn": hop.role.as_str(),
        "externalId": hop.external_id,
        "sessionName": hop.session_name,
        "durationSeconds": hop.duration_secs(),
        "sourceIdentity": hop.source_identity,
    })
}

/// The AWS CLI v2 cache directory under `home`: `~/.aws/cli/cache`.
pub fn default_dir(home: &Path) -> PathBuf {
    home.join(".aws").join("cli").join("cache")
}

/// The cache key of a role: what the AWS CLI names the entry (without
/// `.json`).
pub fn cache_key(profile: &SsoProfile, account_id: &str, role_name: &str) -> String {
    // Keys in sorted order, as `json.dumps(sort_keys=True)` writes them.
    let mut json = String::from("{\"accountId\":");
    push_python_json_string(&mut json, account_id);
    json.push_str(",\"roleName\":");
    push_python_json_string(&mut json, role_name);
    match &profile.session {
        Some(session) => {
            json.push_str(",\"sessionName\":");
            push_python_json_string(&mut json, session);
        }
        None => {
            json.push_str(",\"startUrl\":");
            push_python_json_string(&mut json, &profile.start_url);
        }
    }
    json.push('}');
    hex::encode(Sha1::digest(json.as_bytes()))
}

/// Appends `text` as Python's `json.dumps` writes a string (see
/// [`crate::login::sso_cache`]), so non-ASCII session names hash alike.
fn push_python_json_string(out: &mut String, text: &str) {
    out.push_str(&crate::login::sso_cache::py_json_string(text));
}

/// Why a lookup found nothing usable; for verbose output, never fatal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Miss {
    /// There is no entry.
    Absent,
    /// The entry expires within the window (or has expired).
    Expiring {
        /// When it expires, UTC.
        expiration: String,
    },
    /// The entry cannot be read or is not SSO role credentials; it will be
    /// replaced.
    Unusable {
        /// What is wrong (never the contents).
        problem: String,
    },
}

impl fmt::Display for Miss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Miss::Absent => f.write_str("no cached credentials"),
            Miss::Expiring { expiration } => {
                write!(f, "cached credentials expire too soon ({expiration})")
            }
            Miss::Unusable { problem } => {
                write!(f, "ignoring an unusable cache entry ({problem})")
            }
        }
    }
}

/// Where a [`RoleCache::obtain`] result came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Read from the cache.
    Cache,
    /// Fetched from the portal (and stored, if the cache is writable).
    Fetched,
}

/// The on-disk entry, as read. Unknown fields are ignored, as botocore
/// ignores them.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct StoredEntry {
    provider_type: Option<String>,
    credentials: StoredCredentials,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct StoredCredentials {
    access_key_id: String,
    secret_access_key: SecretString,
    session_token: SecretString,
    expiration: String,
}

/// The on-disk entry, as written.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct EntryOut<'a> {
    provider_type: &'static str,
    credentials: CredentialsOut<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct CredentialsOut<'a> {
    access_key_id: &'a str,
    secret_access_key: &'a str,
    session_token: &'a str,
    expiration: String,
    account_id: &'a str,
}

/// Credentials read from one cache entry. `Debug` redacts the secrets.
#[derive(Clone)]
pub struct CachedRole {
    /// The access key id.
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: SecretString,
    /// The session token.
    pub session_token: SecretString,
    /// When they expire.
    pub expiration: OffsetDateTime,
}

impl fmt::Debug for CachedRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CachedRole")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"[REDACTED]")
            .field("session_token", &"[REDACTED]")
            .field("expiration", &self.expiration)
            .finish()
    }
}

/// Parses one cache entry. Errors say what is wrong without quoting the
/// file, which holds secrets.
pub fn parse_entry(bytes: &[u8]) -> Result<CachedRole, String> {
    parse_entry_of(bytes, Kind::Sso)
}

/// Parses one entry of `kind`.
pub fn parse_entry_of(bytes: &[u8], kind: Kind) -> Result<CachedRole, String> {
    let entry: StoredEntry = serde_json::from_slice(bytes).map_err(|e| {
        let what = match e.classify() {
            serde_json::error::Category::Data => "missing or mistyped field",
            serde_json::error::Category::Eof => "truncated",
            _ => "not JSON",
        };
        format!("{what} at line {}", e.line())
    })?;
    if entry.provider_type.as_deref() != Some(kind.provider_type()) {
        return Err(format!("ProviderType is not `{}`", kind.provider_type()));
    }
    let c = entry.credentials;
    if c.access_key_id.is_empty()
        || c.secret_access_key.expose_secret().is_empty()
        || c.session_token.expose_secret().is_empty()
    {
        return Err("a credential field is empty".to_owned());
    }
    let expiration = time_fmt::parse_expiry(&c.expiration)
        .ok_or_else(|| "Expiration is not a timestamp".to_owned())?;
    Ok(CachedRole {
        access_key_id: c.access_key_id,
        secret_access_key: c.secret_access_key,
        session_token: c.session_token,
        expiration,
    })
}

/// Serialises a set as a cache entry of `kind`.
fn entry_json(set: &CredentialSet, kind: Kind) -> Vec<u8> {
    let entry = EntryOut {
        provider_type: kind.provider_type(),
        credentials: CredentialsOut {
            access_key_id: &set.access_key_id,
            secret_access_key: set.secret_access_key.expose_secret(),
            session_token: set.session_token.expose_secret(),
            expiration: set.expiration_utc(),
            account_id: &set.account_id,
        },
    };
    // Plain strings into a struct of strings: serialisation cannot fail.
    serde_json::to_vec(&entry).unwrap_or_default()
}

/// The role-credential cache in one directory.
#[derive(Debug, Clone)]
pub struct RoleCache {
    dir: PathBuf,
    window: Duration,
}

impl RoleCache {
    /// A cache in `dir` that treats entries with less than `window` left as
    /// expired.
    pub fn new(dir: PathBuf, window: Duration) -> Self {
        RoleCache { dir, window }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The entry file of `role` for `profile`'s login.
    pub fn path(&self, profile: &SsoProfile, role: &RoleArn) -> PathBuf {
        let key = cache_key(profile, role.account_id(), role.role_name());
        self.dir.join(format!("{key}.json"))
    }

    /// Reads the entry of `role` and returns it when it is valid for longer
    /// than the window at `now`.
    pub fn lookup(
        &self,
        profile: &SsoProfile,
        role: &RoleArn,
        now: OffsetDateTime,
    ) -> Result<CachedRole, Miss> {
        self.lookup_at(&self.path(profile, role), Kind::Sso, now)
    }

    /// The entry file of the chain `hops` after `sso_role`.
    pub fn chain_path(
        &self,
        profile: &SsoProfile,
        sso_role: &RoleArn,
        hops: &[crate::domain::hop::Hop],
    ) -> PathBuf {
        self.dir
            .join(format!("{}.json", chain_key(profile, sso_role, hops)))
    }

    /// The [`Self::chain_path`] of every non-empty prefix of `hops`, shortest
    /// first (see [`prefix_keys`]).
    pub fn chain_paths(
        &self,
        profile: &SsoProfile,
        sso_role: &RoleArn,
        hops: &[crate::domain::hop::Hop],
    ) -> Vec<PathBuf> {
        prefix_keys(profile, sso_role, hops)
            .into_iter()
            .skip(1)
            .map(|key| self.dir.join(format!("{key}.json")))
            .collect()
    }

    /// Reads the entry of `kind` at `path`, valid for longer than the window
    /// at `now`.
    pub fn lookup_at(
        &self,
        path: &Path,
        kind: Kind,
        now: OffsetDateTime,
    ) -> Result<CachedRole, Miss> {
        let bytes = match crate::os::fs::read_bounded(path, crate::os::fs::MAX_CACHE_FILE_BYTES) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(Miss::Absent),
            Err(e) => {
                return Err(Miss::Unusable {
                    problem: format!("{}: {e}", path.display()),
                });
            }
        };
        let cached = parse_entry_of(&bytes, kind).map_err(|problem| Miss::Unusable {
            problem: format!("{}: {problem}", path.display()),
        })?;
        if cached.expiration - now <= self.window {
            return Err(Miss::Expiring {
                expiration: time_fmt::utc_z(cached.expiration),
            });
        }
        Ok(cached)
    }

    /// Writes `set` as the entry of its role (atomically, 0600).
    pub fn store(&self, profile: &SsoProfile, set: &CredentialSet) -> io::Result<()> {
        let key = cache_key(profile, &set.account_id, &set.role_name);
        let path = self.dir.join(format!("{key}.json"));
        write_atomic(&path, &entry_json(set, Kind::Sso))
    }

    /// Returns the role's credentials from the cache, or awaits `fetch` and
    /// stores its result.
    ///
    /// Concurrent processes asking for the same role fetch it once: a miss
    /// takes the role's lock file, looks again (another process may have
    /// stored the entry meanwhile) and only then fetches. The lock is polled
    /// without blocking the runtime. The cache never stops an invocation: a
    /// lock or a write that fails is reported through `note` and the
    /// credentials are fetched or returned all the same.
    pub async fn obtain<E, F>(
        &self,
        profile: &SsoProfile,
        role: &RoleArn,
        region: Option<String>,
        note: &mut dyn FnMut(String),
        fetch: impl FnOnce() -> F,
    ) -> Result<(CredentialSet, Source), E>
    where
        F: Future<Output = Result<CredentialSet, E>>,
    {
        let path = self.path(profile, role);
        let to_set = |hit| self.to_set(hit, profile, role, region.clone());
        self.obtain_at(&path, Kind::Sso, &to_set, note, fetch).await
    }

    /// [`Self::obtain`] for the entry of `kind` at `path`: `to_set` turns a
    /// hit into a set.
    pub async fn obtain_at<E, F>(
        &self,
        path: &Path,
        kind: Kind,
        to_set: &dyn Fn(CachedRole) -> CredentialSet,
        note: &mut dyn FnMut(String),
        fetch: impl FnOnce() -> F,
    ) -> Result<(CredentialSet, Source), E>
    where
        F: Future<Output = Result<CredentialSet, E>>,
    {
        let now = OffsetDateTime::now_utc;
        match self.lookup_at(path, kind, now()) {
            Ok(hit) => return Ok((to_set(hit), Source::Cache)),
            Err(miss) => note(format!("{miss} in {}", path.display())),
        }
        // The lock belongs to the resolved file, so every name of it shares one.
        let locked = match crate::os::fs::resolve(path) {
            Ok(target) => lock(&crate::os::fs::lock_path(target.path())).await,
            Err(e) => Err(e),
        };
        let _lock = match locked {
            Ok(lock) => {
                // Another process may have fetched while this one waited.
                if let Ok(hit) = self.lookup_at(path, kind, now()) {
                    note(format!(
                        "another ssocred fetched {} meanwhile",
                        path.display()
                    ));
                    return Ok((to_set(hit), Source::Cache));
                }
                Some(lock)
            }
            Err(e) => {
                note(format!(
                    "cannot lock the role cache ({e}); fetching without it"
                ));
                None
            }
        };
        let set = fetch().await?;
        match write_atomic(path, &entry_json(&set, kind)) {
            Ok(()) => note(format!("cached in {}", path.display())),
            Err(e) => note(format!(
                "cannot write the role cache {}: {e}",
                path.display()
            )),
        }
        Ok((set, Source::Fetched))
    }

    /// Turns a cache hit into the set the portal would have produced.
    pub fn to_set(
        &self,
        cached: CachedRole,
        profile: &SsoProfile,
        role: &RoleArn,
        region: Option<String>,
    ) -> CredentialSet {
        CredentialSet {
            account_id: role.account_id().to_owned(),
            account_name: None,
            role_name: role.role_name().to_owned(),
            role_arn: role.as_str().to_owned(),
            access_key_id: cached.access_key_id,
            secret_access_key: cached.secret_access_key,
            session_token: cached.session_token,
            expiration: cached.expiration,
            region,
            sso_profile: profile.name.clone(),
            sso_session: profile.session.clone(),
            start_url: profile.start_url.clone(),
            assumed_via: Vec::new(),
        }
    }

    /// Removes every SSO role-credential entry and every role-chain entry
    /// (and leaves the AWS CLI's other entries, such as its own assume-role
    /// credentials, alone). Returns how
    /// many were removed; a missing directory holds none.
    pub fn clear(&self) -> io::Result<usize> {
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
            let Ok(bytes) = crate::os::fs::read_bounded(&path, crate::os::fs::MAX_CACHE_FILE_BYTES)
            else {
                continue;
            };
            if is_sso_entry(&bytes) {
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

/// Takes the lock file at `path`, polling every few milliseconds for up to
/// [`LOCK_TIMEOUT`] without blocking the async runtime.
async fn lock(path: &Path) -> io::Result<FileLock> {
    let start = std::time::Instant::now();
    loop {
        match FileLock::acquire_path(path, Duration::ZERO) {
            Err(e) if e.kind() == io::ErrorKind::TimedOut && start.elapsed() < LOCK_TIMEOUT => {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            other => return other,
        }
    }
}

/// Whether a cache file holds SSO role credentials or a role chain's
/// (possibly expired): what `cache clear` and `logout` remove.
fn is_sso_entry(bytes: &[u8]) -> bool {
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Kind {
        provider_type: Option<String>,
    }
    serde_json::from_slice::<Kind>(bytes).is_ok_and(|k| {
        [PROVIDER_TYPE, CHAIN_PROVIDER_TYPE].contains(&k.provider_type.as_deref().unwrap_or(""))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn profile(session: Option<&str>) -> SsoProfile {
        SsoProfile {
            start_url: "https://d-123.awsapps.com/start".into(),
            ..SsoProfile::for_test("p", session)
        }
    }

    fn role() -> RoleArn {
        RoleArn::parse("arn:aws:iam::123456789012:role/ReadOnly").unwrap()
    }

    fn set(expiration: OffsetDateTime) -> CredentialSet {
        let p = profile(Some("corp"));
        let cached = CachedRole {
            access_key_id: "ASIAEXAMPLE".into(),
            secret_access_key: "se/cr+et-SECRET".to_owned().into(),
            session_token: "sess-SECRET==".to_owned().into(),
            expiration,
        };
        RoleCache::new(PathBuf::new(), DEFAULT_WINDOW).to_set(cached, &p, &role(), None)
    }

    #[test]
    fn keys_match_the_aws_cli() {
        // sha1 of {"accountId":"123456789012","roleName":"ReadOnly","sessionName":"corp"}
        // and of {"accountId":"123456789012","roleName":"ReadOnly","startUrl":"https://d-123.awsapps.com/start"},
        // the strings botocore's SSOCredentialFetcher hashes.
        let by_session = cache_key(&profile(Some("corp")), "123456789012", "ReadOnly");
        let by_url = cache_key(&profile(None), "123456789012", "ReadOnly");
        let sha = |s: &str| -> String {
            Sha1::digest(s.as_bytes())
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect()
        };
        assert_eq!(
            by_session,
            sha(r#"{"accountId":"123456789012","roleName":"ReadOnly","sessionName":"corp"}"#)
        );
        assert_eq!(
            by_url,
            sha(
                r#"{"accountId":"123456789012","roleName":"ReadOnly","startUrl":"https://d-123.awsapps.com/start"}"#
            )
        );
        assert_ne!(by_session, by_url);
    }

    #[test]
    fn encodes_strings_like_python_json() {
        let mut out = String::new();
        push_python_json_string(&mut out, "a\"b\\c\nü\u{7f}😀\u{1}/");
        assert_eq!(out, r#""a\"b\\c\n\u00fc\u007f\ud83d\ude00\u0001/""#);
    }

    #[test]
    fn stores_and_reads_back_within_the_window() {
        let dir = tempfile::tempdir().unwrap();
        let cache = RoleCache::new(dir.path().join("cli/cache"), DEFAULT_WINDOW);
        let p = profile(Some("corp"));
        let now = datetime!(2026-01-01 00:00 UTC);
        let s = set(datetime!(2026-01-01 01:00 UTC));
        cache.store(&p, &s).unwrap();
        let path = cache.path(&p, &role());
        let mode = |p: &Path| crate::os::file::mode_bits(&std::fs::metadata(p).unwrap());
        assert_eq!(mode(&path), crate::os::file::PRIVATE_FILE_MODE);
        assert_eq!(mode(cache.dir()), crate::os::file::PRIVATE_DIR_MODE);
        let json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(json["ProviderType"], "sso");
        assert_eq!(json["Credentials"]["Expiration"], "2026-01-01T01:00:00Z");
        assert_eq!(json["Credentials"]["AccountId"], "123456789012");

        let hit = cache.lookup(&p, &role(), now).unwrap();
        assert_eq!(hit.access_key_id, "ASIAEXAMPLE");
        assert_eq!(hit.session_token.expose_secret(), "sess-SECRET==");
        // 15 minutes before expiry and later, the entry no longer counts.
        let late = datetime!(2026-01-01 00:45 UTC);
        assert!(matches!(
            cache.lookup(&p, &role(), late),
            Err(Miss::Expiring { .. })
        ));
        let narrow = RoleCache::new(cache.dir().to_path_buf(), Duration::from_secs(60));
        assert!(narrow.lookup(&p, &role(), late).is_ok());
        // A legacy profile's entry is a different file.
        assert_eq!(
            cache.lookup(&profile(None), &role(), now).unwrap_err(),
            Miss::Absent
        );
    }

    #[test]
    fn unusable_entries_are_misses_that_never_quote_secrets() {
        let dir = tempfile::tempdir().unwrap();
        let cache = RoleCache::new(dir.path().to_path_buf(), DEFAULT_WINDOW);
        let p = profile(Some("corp"));
        let path = cache.path(&p, &role());
        let now = datetime!(2026-01-01 00:00 UTC);
        for bad in [
            &b""[..],
            b"{\"ProviderType\":\"sso\",\"Credentials\":{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"x-SECRET",
            br#"{"ProviderType":"assumerole","Credentials":{"AccessKeyId":"A","SecretAccessKey":"x-SECRET","SessionToken":"t-SECRET","Expiration":"2026-01-01T01:00:00Z"}}"#,
            br#"{"ProviderType":"sso","Credentials":{"AccessKeyId":"A","SecretAccessKey":"x-SECRET","SessionToken":"t-SECRET","Expiration":"soon"}}"#,
            br#"{"ProviderType":"sso","Credentials":{"AccessKeyId":"A","SecretAccessKey":"","SessionToken":"t-SECRET","Expiration":"2026-01-01T01:00:00Z"}}"#,
            b"\xff\xfe",
        ] {
            std::fs::write(&path, bad).unwrap();
            let miss = cache.lookup(&p, &role(), now).unwrap_err();
            assert!(matches!(miss, Miss::Unusable { .. }), "{miss}");
            assert!(!miss.to_string().contains("SECRET"), "{miss}");
        }
    }

    #[test]
    fn obtain_fetches_once_and_then_hits() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let cache = RoleCache::new(dir.path().to_path_buf(), DEFAULT_WINDOW);
        let p = profile(Some("corp"));
        let mut notes = Vec::new();
        let mut note = |n: String| notes.push(n);
        // Valid for an hour from now, well outside the window.
        let fetched = set(OffsetDateTime::now_utc() + Duration::from_secs(3600));
        let (got, source) = runtime
            .block_on(cache.obtain(&p, &role(), None, &mut note, || async {
                Ok::<_, ()>(fetched.clone())
            }))
            .unwrap();
        assert_eq!(
            (source, got.access_key_id.as_str()),
            (Source::Fetched, "ASIAEXAMPLE")
        );
        let (got, source) = runtime
            .block_on(
                cache.obtain(&p, &role(), Some("eu-west-1".into()), &mut note, || async {
                    Err::<CredentialSet, _>("must not fetch")
                }),
            )
            .unwrap();
        assert_eq!(source, Source::Cache);
        assert_eq!(got.region.as_deref(), Some("eu-west-1"));
        assert_eq!(
            got.expiration.unix_timestamp(),
            fetched.expiration.unix_timestamp()
        );
        // A fetch error passes through and stores nothing.
        let other = RoleArn::parse("arn:aws:iam::123456789012:role/Admin").unwrap();
        let e = runtime
            .block_on(cache.obtain(&p, &other, None, &mut note, || async {
                Err::<CredentialSet, _>("boom")
            }))
            .unwrap_err();
        assert_eq!(e, "boom");
        assert!(!cache.path(&p, &other).exists());
        assert!(
            notes.iter().any(|n| n.starts_with("cached in")),
            "{notes:?}"
        );
    }

    #[test]
    fn clear_removes_only_sso_entries() {
        let dir = tempfile::tempdir().unwrap();
        let cache = RoleCache::new(dir.path().to_path_buf(), DEFAULT_WINDOW);
        assert_eq!(
            RoleCache::new(dir.path().join("none"), DEFAULT_WINDOW)
                .clear()
                .unwrap(),
            0
        );
        cache
            .store(
                &profile(Some("corp")),
                &set(datetime!(2026-01-01 01:00 UTC)),
            )
            .unwrap();
        cache
            .store(&profile(None), &set(datetime!(2020-01-01 01:00 UTC)))
            .unwrap();
        let assume_role = dir.path().join("assume.json");
        std::fs::write(&assume_role, r#"{"Credentials":{}}"#).unwrap();
        let notes = dir.path().join("notes.txt");
        std::fs::write(&notes, "x").unwrap();
        assert_eq!(cache.clear().unwrap(), 2);
        let mut left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(left, ["assume.json", "notes.txt"]);
    }

    #[test]
    fn debug_is_redacted() {
        let s = set(datetime!(2026-01-01 01:00 UTC));
        let cached = CachedRole {
            access_key_id: s.access_key_id.clone(),
            secret_access_key: s.secret_access_key.clone(),
            session_token: s.session_token.clone(),
            expiration: s.expiration,
        };
        for shown in [format!("{cached:?}"), format!("{s:?}")] {
            assert!(!shown.contains("SECRET"), "{shown}");
            assert!(shown.contains("ASIAEXAMPLE"), "{shown}");
        }
    }

    /// The running digest names every prefix exactly as one digest of the
    /// whole JSON does, so entries written before stay found.
    #[test]
    fn prefix_keys_are_the_chain_keys_of_each_prefix() {
        let hop = |role: &str, external_id: Option<&str>| crate::domain::hop::Hop {
            external_id: external_id.map(str::to_owned),
            ..crate::domain::hop::Hop::to(RoleArn::parse(role).unwrap())
        };
        let hops = [
            hop("arn:aws:iam::210987654321:role/Hub", None),
            hop(
                "arn:aws:iam::333333333333:role/Deploy",
                Some("cust-7,x=\"y\""),
            ),
            crate::domain::hop::Hop {
                duration: Some(900),
                session_name: Some("alice".into()),
                ..hop("arn:aws:iam::444444444444:role/Glass", None)
            },
        ];
        for p in [profile(Some("corp")), profile(None)] {
            let login = match &p.session {
                Some(session) => serde_json::json!({"sessionName": session}),
                None => serde_json::json!({"startUrl": p.start_url}),
            };
            let keys = prefix_keys(&p, &role(), &hops);
            assert_eq!(keys.len(), hops.len() + 1);
            for (n, key) in keys.iter().enumerate() {
                let whole = serde_json::json!({
                    "login": login,
                    "ssoRole": role().as_str(),
                    "chain": hops[..n].iter().map(hop_key_json).collect::<Vec<_>>(),
                });
                let digest = Sha1::digest(whole.to_string().as_bytes());
                let expected: String = digest.iter().map(|b| format!("{b:02x}")).collect();
                assert_eq!(key, &expected, "prefix {n}");
                assert_eq!(chain_key(&p, &role(), &hops[..n]), expected);
            }
        }
    }
}
