//! The SSO access-token cache shared with AWS CLI v2 and botocore.

use std::fmt;
use std::path::{Path, PathBuf};

use secrecy::SecretString;
use serde::Deserialize;
use sha1::{Digest, Sha1};
use time::OffsetDateTime;

use crate::profile::SsoProfile;
use crate::time_fmt;

/// The file name the AWS CLI gives the token of a login: the SHA-1 hex digest
/// of `key` (the sso-session name, or the start URL) plus `.json`.
pub fn cache_file_name(key: &str) -> String {
    let digest = Sha1::digest(key.as_bytes());
    let mut name = String::with_capacity(45);
    for byte in digest {
        name.push_str(&format!("{byte:02x}"));
    }
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
    let bytes = match crate::fs::read_bounded(&path, crate::fs::MAX_CACHE_FILE_BYTES) {
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
    use secrecy::ExposeSecret;
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

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

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
