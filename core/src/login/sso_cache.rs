//! The token and client-registration files of `~/.aws/sso/cache`, read and
//! written in the AWS CLI v2 format so that the AWS CLI, botocore and
//! ssocred share one login.
//!
//! - Token: `sha1(session name or start URL).json` with `startUrl`, `region`,
//!   `accessToken`, `expiresAt`, and for refreshable logins `clientId`,
//!   `clientSecret`, `registrationExpiresAt` and `refreshToken`.
//! - Registration: `sha1(key).json` where key is Python's
//!   `json.dumps({"tool": "botocore", "startUrl", "region", "scopes",
//!   "session_name"}, sort_keys=True)`, holding `clientId`, `clientSecret`,
//!   `expiresAt`, and `scopes` and `grantTypes` when the CLI records them.
//!
//! The token is read by [`load`] (with [`parse`]), which checks that it is
//! still valid, and written by [`TokenFile`]; both files are named by one
//! SHA-1 rule ([`cache_file_name`], [`registration_file_name`]).
//!
//! Fields ssocred does not know are kept when it rewrites a file. Writers
//! hold the login's single-flight lock (see [`crate::login`]).

use std::fmt;
use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{Map, Value};
use sha1::{Digest, Sha1};
use time::OffsetDateTime;

use crate::domain::sso_profile::SsoProfile;
use crate::domain::time_fmt;

/// The name the AWS CLI gives a file of this cache: the SHA-1 hex digest of
/// `key` plus `.json`. For a login's token, `key` is the sso-session name or
/// the start URL; for a registration, the JSON text of its arguments
/// ([`registration_file_name`]).
pub fn cache_file_name(key: &str) -> String {
    let mut name = hex::encode(Sha1::digest(key.as_bytes()));
    name.push_str(".json");
    name
}

/// The token-cache file of `profile` inside `cache_dir`.
pub fn cache_path(cache_dir: &Path, profile: &SsoProfile) -> PathBuf {
    cache_dir.join(cache_file_name(profile.token_cache_key()))
}

/// A cached SSO access token.
#[derive(Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CachedToken {
    /// The bearer token for the portal.
    pub access_token: SecretString,
    /// When it expires, as written (Z, UTC or +00:00 forms).
    pub expires_at: String,
    /// The start URL the token was issued for, when recorded.
    #[serde(default)]
    pub start_url: Option<String>,
    /// The region it was issued in, when recorded.
    #[serde(default)]
    pub region: Option<String>,
}

impl fmt::Debug for CachedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CachedToken")
            .field("access_token", &"[REDACTED]")
            .field("expires_at", &self.expires_at)
            .field("start_url", &self.start_url)
            .field("region", &self.region)
            .finish()
    }
}

/// Why no usable token was found; every message names the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// There is no token file for this login.
    #[error("no SSO login found for {key} (no token file {path})")]
    Missing {
        /// The session name or start URL.
        key: String,
        /// The file looked for.
        path: PathBuf,
    },
    /// The token has expired.
    #[error("the SSO login for {key} expired at {expired_at} (token file {path})")]
    Expired {
        /// The session name or start URL.
        key: String,
        /// The file read.
        path: PathBuf,
        /// When it expired, UTC.
        expired_at: String,
    },
    /// The file exists but is not a token the AWS tools would accept.
    #[error("the SSO token file {path} is unreadable: {problem}")]
    Unreadable {
        /// The file read.
        path: PathBuf,
        /// What is wrong with it (never its contents).
        problem: String,
    },
}

/// A valid token and when it expires.
#[derive(Debug, Clone)]
pub struct ValidToken {
    /// The cached token.
    pub token: CachedToken,
    /// Its expiry.
    pub expires_at: OffsetDateTime,
}

/// Reads the token of `profile` from `cache_dir` and checks that it is valid
/// at `now`.
pub fn load(
    cache_dir: &Path,
    profile: &SsoProfile,
    now: OffsetDateTime,
) -> Result<ValidToken, TokenError> {
    let path = cache_path(cache_dir, profile);
    let key = profile.token_cache_key().to_owned();
    let bytes = match crate::os::fs::read_bounded(&path, crate::os::fs::MAX_CACHE_FILE_BYTES) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(TokenError::Missing { key, path });
        }
        Err(e) => {
            return Err(TokenError::Unreadable {
                path,
                problem: e.to_string(),
            });
        }
    };
    let token = parse(&bytes).map_err(|problem| TokenError::Unreadable {
        path: path.clone(),
        problem,
    })?;
    let Some(expires_at) = time_fmt::parse_expiry(&token.expires_at) else {
        return Err(TokenError::Unreadable {
            path,
            problem: format!("expiresAt `{}` is not a timestamp", token.expires_at),
        });
    };
    if expires_at <= now {
        return Err(TokenError::Expired {
            key,
            path,
            expired_at: time_fmt::utc_z(expires_at),
        });
    }
    Ok(ValidToken { token, expires_at })
}

/// Parses a token-cache file. The error never quotes the file, which holds
/// secrets.
pub fn parse(bytes: &[u8]) -> Result<CachedToken, String> {
    let token: CachedToken = serde_json::from_slice(bytes).map_err(|e| {
        // serde_json's messages quote at most a key name or a type, plus a position.
        format!("not a token cache JSON object ({})", e.classify_message())
    })?;
    if token.access_token.expose_secret().is_empty() {
        return Err("accessToken is empty".to_owned());
    }
    Ok(token)
}

trait ClassifyMessage {
    fn classify_message(&self) -> String;
}

impl ClassifyMessage for serde_json::Error {
    fn classify_message(&self) -> String {
        use serde_json::error::Category;
        let what = match self.classify() {
            Category::Io => "read error",
            Category::Syntax => "syntax error",
            Category::Data => "missing or mistyped field",
            Category::Eof => "truncated",
        };
        // A data error names a field (`missing field `accessToken``) but no value.
        match self.classify() {
            Category::Data => {
                let text = self.to_string();
                let field = text
                    .split('`')
                    .nth(1)
                    .map(|f| format!(" `{f}`"))
                    .unwrap_or_default();
                format!("{what}{field} at line {}", self.line())
            }
            _ => format!("{what} at line {} column {}", self.line(), self.column()),
        }
    }
}

/// A token-cache file with every field the AWS tools write.
#[derive(Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenFile {
    /// The bearer token for the portal.
    pub access_token: SecretString,
    /// When it expires, as written.
    pub expires_at: String,
    /// The start URL.
    #[serde(default)]
    pub start_url: Option<String>,
    /// The SSO region.
    #[serde(default)]
    pub region: Option<String>,
    /// The client the token was issued to.
    #[serde(default)]
    pub client_id: Option<String>,
    /// That client's secret.
    #[serde(default)]
    pub client_secret: Option<SecretString>,
    /// When that client's registration expires.
    #[serde(default)]
    pub registration_expires_at: Option<String>,
    /// The refresh token.
    #[serde(default)]
    pub refresh_token: Option<SecretString>,
    /// Fields ssocred does not interpret, kept on rewrite.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl fmt::Debug for TokenFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenFile")
            .field("expires_at", &self.expires_at)
            .field("start_url", &self.start_url)
            .field("region", &self.region)
            .field("client_id", &self.client_id)
            .field("registration_expires_at", &self.registration_expires_at)
            .field("refresh_token", &self.refresh_token.is_some())
            .finish_non_exhaustive()
    }
}

/// The client fields a refresh needs, present and unexpired.
#[derive(Debug)]
pub struct RefreshGrant<'a> {
    /// The client id.
    pub client_id: &'a str,
    /// The client secret.
    pub client_secret: &'a SecretString,
    /// The refresh token.
    pub refresh_token: &'a SecretString,
}

impl TokenFile {
    /// Parses a file. The error never quotes the contents, which hold
    /// secrets.
    pub fn parse(bytes: &[u8]) -> Result<Self, String> {
        // The shared parser checks the two required fields and words errors.
        crate::login::sso_cache::parse(bytes)?;
        serde_json::from_slice(bytes)
            .map_err(|e| format!("not a token cache file (line {})", e.line()))
    }

    /// The expiry, if it is a timestamp.
    pub fn expiry(&self) -> Option<OffsetDateTime> {
        time_fmt::parse_expiry(&self.expires_at)
    }

    /// What a refresh needs, when all four client fields exist and the
    /// registration has not expired at `now` (the AWS CLI's rule).
    pub fn refresh_grant(&self, now: OffsetDateTime) -> Option<RefreshGrant<'_>> {
        let registration_expiry = self
            .registration_expires_at
            .as_deref()
            .and_then(time_fmt::parse_expiry)?;
        if registration_expiry <= now {
            return None;
        }
        Some(RefreshGrant {
            client_id: self.client_id.as_deref().filter(|id| !id.is_empty())?,
            client_secret: self.client_secret.as_ref()?,
            refresh_token: self.refresh_token.as_ref()?,
        })
    }

    /// The file's JSON, secrets included: only for writing the cache.
    pub fn to_json(&self) -> Vec<u8> {
        let mut map = self.other.clone();
        let mut put = |key: &str, value: Option<&str>| {
            if let Some(value) = value {
                map.insert(key.to_owned(), Value::String(value.to_owned()));
            }
        };
        put("startUrl", self.start_url.as_deref());
        put("region", self.region.as_deref());
        put("accessToken", Some(self.access_token.expose_secret()));
        put("expiresAt", Some(&self.expires_at));
        put("clientId", self.client_id.as_deref());
        put(
            "clientSecret",
            self.client_secret.as_ref().map(|s| s.expose_secret()),
        );
        put(
            "registrationExpiresAt",
            self.registration_expires_at.as_deref(),
        );
        put(
            "refreshToken",
            self.refresh_token.as_ref().map(|s| s.expose_secret()),
        );
        // Serialising a map of strings cannot fail.
        serde_json::to_vec(&Value::Object(map)).unwrap_or_default()
    }
}

/// A client registration as the AWS CLI caches it.
#[derive(Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegistrationFile {
    /// The client id.
    pub client_id: String,
    /// The client secret.
    pub client_secret: SecretString,
    /// When the registration expires, as written.
    pub expires_at: String,
    /// The scopes it was registered with, when recorded.
    #[serde(default)]
    pub scopes: Option<Vec<String>>,
    /// Its grant types; recorded only for authorization-code clients.
    #[serde(default)]
    pub grant_types: Option<Vec<String>>,
    /// Fields ssocred does not interpret, kept on rewrite.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl fmt::Debug for RegistrationFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegistrationFile")
            .field("client_id", &self.client_id)
            .field("expires_at", &self.expires_at)
            .field("scopes", &self.scopes)
            .field("grant_types", &self.grant_types)
            .finish_non_exhaustive()
    }
}

impl RegistrationFile {
    /// Whether this is an authorization-code (PKCE) client; the AWS CLI
    /// treats a registration without `grantTypes` as a device-code client.
    pub fn is_for_auth_code(&self) -> bool {
        self.grant_types
            .as_ref()
            .is_some_and(|g| g.iter().any(|g| g == "authorization_code"))
    }

    /// The expiry, if it is a timestamp.
    pub fn expiry(&self) -> Option<OffsetDateTime> {
        time_fmt::parse_expiry(&self.expires_at)
    }

    /// The file's JSON, secret included: only for writing the cache.
    pub fn to_json(&self) -> Vec<u8> {
        let mut map = self.other.clone();
        map.insert("clientId".into(), Value::String(self.client_id.clone()));
        map.insert(
            "clientSecret".into(),
            Value::String(self.client_secret.expose_secret().to_owned()),
        );
        map.insert("expiresAt".into(), Value::String(self.expires_at.clone()));
        if let Some(scopes) = &self.scopes {
            map.insert("scopes".into(), Value::from(scopes.clone()));
        }
        if let Some(grants) = &self.grant_types {
            map.insert("grantTypes".into(), Value::from(grants.clone()));
        }
        serde_json::to_vec(&Value::Object(map)).unwrap_or_default()
    }
}

/// The registration-cache file name the AWS CLI v2 uses for a login:
/// the SHA-1 hex of Python's `json.dumps(args, sort_keys=True)` plus `.json`.
///
/// `scopes` is the sso-session's `sso_registration_scopes` split on commas
/// (`None` when the key is absent, as for legacy profiles); `session_name`
/// is `None` for legacy profiles.
pub fn registration_file_name(
    start_url: &str,
    session_name: Option<&str>,
    region: &str,
    scopes: Option<&[String]>,
) -> String {
    // Python's default separators are ", " and ": ", keys sorted:
    // region < scopes < session_name < startUrl < tool.
    let scopes = match scopes {
        Some(list) => {
            let items: Vec<String> = list.iter().map(|s| py_json_string(s)).collect();
            format!("[{}]", items.join(", "))
        }
        None => "null".to_owned(),
    };
    let session = session_name.map_or_else(|| "null".to_owned(), py_json_string);
    let text = format!(
        "{{\"region\": {}, \"scopes\": {scopes}, \"session_name\": {session}, \"startUrl\": {}, \"tool\": \"botocore\"}}",
        py_json_string(region),
        py_json_string(start_url),
    );
    cache_file_name(&text)
}

/// The registration-cache file of a login inside `cache_dir`.
pub fn registration_path(
    cache_dir: &Path,
    start_url: &str,
    session_name: Option<&str>,
    region: &str,
    scopes: Option<&[String]>,
) -> PathBuf {
    cache_dir.join(registration_file_name(
        start_url,
        session_name,
        region,
        scopes,
    ))
}

/// A string as Python's `json.dumps` writes it with `ensure_ascii=True`.
pub(crate) fn py_json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (' '..='~').contains(&c) => out.push(c),
            c => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out.push('"');
    out
}

/// Reads a cache file that may be missing: `Ok(None)` when it does not
/// exist. Only a regular file of at most
/// [`MAX_CACHE_FILE_BYTES`](crate::os::fs::MAX_CACHE_FILE_BYTES) is read
/// ([`crate::os::fs::read_bounded`]).
pub fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, String> {
    match crate::os::fs::read_bounded(path, crate::os::fs::MAX_CACHE_FILE_BYTES) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn registration_names_match_the_aws_cli() {
        // Computed with Python 3: hashlib.sha1(json.dumps({...}, sort_keys=True)
        // .encode()).hexdigest() for these arguments.
        assert_eq!(
            registration_file_name(
                "https://d-corp.awsapps.com/start",
                Some("corp"),
                "us-east-1",
                Some(&["sso:account:access".to_owned()]),
            ),
            "f93aa6e3ceb4cde89496da76f246d6cc1b5f24f4.json"
        );
        assert_eq!(
            registration_file_name(
                "https://d-legacy.awsapps.com/start",
                None,
                "eu-west-1",
                None
            ),
            "97cb210eb3ae50ff9bdd491a2468340f70e36d67.json"
        );
    }

    #[test]
    fn python_string_escapes() {
        assert_eq!(py_json_string("a\"b\\c/d"), r#""a\"b\\c/d""#);
        assert_eq!(py_json_string("é😀\n"), r#""\u00e9\ud83d\ude00\n""#);
    }

    #[test]
    fn token_files_round_trip_unknown_fields_and_hide_secrets() {
        let text = br#"{"startUrl":"u","region":"r","accessToken":"tok-SECRET","expiresAt":"2026-01-01T00:00:00Z","clientId":"c","clientSecret":"cs-SECRET","registrationExpiresAt":"2026-02-01T00:00:00Z","refreshToken":"rt-SECRET","extra":{"x":1}}"#;
        let t = TokenFile::parse(text).unwrap();
        let shown = format!("{t:?}");
        assert!(!shown.contains("SECRET"), "{shown}");
        let back: Value = serde_json::from_slice(&t.to_json()).unwrap();
        let orig: Value = serde_json::from_slice(text).unwrap();
        assert_eq!(back, orig);
        let now = time::macros::datetime!(2026-01-15 00:00 UTC);
        assert!(t.refresh_grant(now).is_some());
        let later = time::macros::datetime!(2026-03-01 00:00 UTC);
        assert!(t.refresh_grant(later).is_none());
    }

    // The token file.

    fn profile(session: Option<&str>, url: &str) -> SsoProfile {
        SsoProfile {
            start_url: url.into(),
            ..SsoProfile::for_test("p", session)
        }
    }

    #[test]
    fn names_files_as_the_aws_cli_does() {
        // sha1("my-sso") and sha1("https://d-123.awsapps.com/start"), as the AWS CLI computes them.
        assert_eq!(
            cache_file_name("my-sso"),
            "0ad374308c5a4e22f723adf10145eafad7c4031c.json"
        );
        assert_eq!(
            cache_file_name("https://d-123.awsapps.com/start"),
            "2b829a45f04c9828cb45b7d092d8e4aa30818393.json"
        );
        let by_session = cache_path(Path::new("/c"), &profile(Some("my-sso"), "https://x/start"));
        let by_url = cache_path(Path::new("/c"), &profile(None, "https://x/start"));
        assert_eq!(by_session, Path::new("/c").join(cache_file_name("my-sso")));
        assert_eq!(
            by_url,
            Path::new("/c").join(cache_file_name("https://x/start"))
        );
    }

    #[test]
    fn loads_valid_and_rejects_expired_and_garbled() {
        let dir = tempfile::tempdir().unwrap();
        let p = profile(Some("s"), "https://x/start");
        let now = datetime!(2026-01-01 00:00 UTC);
        let path = cache_path(dir.path(), &p);
        assert!(matches!(
            load(dir.path(), &p, now),
            Err(TokenError::Missing { .. })
        ));

        std::fs::write(
            &path,
            r#"{"accessToken":"tok-SECRET","expiresAt":"2026-01-01T01:00:00UTC"}"#,
        )
        .unwrap();
        let t = load(dir.path(), &p, now).unwrap();
        assert_eq!(t.expires_at, datetime!(2026-01-01 01:00 UTC));
        assert!(!format!("{t:?}").contains("tok-SECRET"));

        std::fs::write(
            &path,
            r#"{"accessToken":"tok-SECRET","expiresAt":"2025-12-31T23:00:00+00:00"}"#,
        )
        .unwrap();
        let e = load(dir.path(), &p, now).unwrap_err();
        assert!(matches!(e, TokenError::Expired { .. }), "{e}");
        assert!(e.to_string().contains("2025-12-31T23:00:00Z"), "{e}");

        for garbled in [
            &br#"{"accessToken":"tok-SECRET""#[..],
            br#"{"expiresAt":"2026-01-01T01:00:00Z"}"#,
            br#"{"accessToken":"tok-SECRET","expiresAt":"soon"}"#,
            br#"{"accessToken":"","expiresAt":"2026-01-01T01:00:00Z"}"#,
            b"\xff\xfe",
        ] {
            std::fs::write(&path, garbled).unwrap();
            let e = load(dir.path(), &p, now).unwrap_err();
            assert!(matches!(e, TokenError::Unreadable { .. }), "{e}");
            assert!(!e.to_string().contains("tok-SECRET"), "{e}");
        }
    }
}
