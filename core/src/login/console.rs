//! Console sessions of `aws login` as a source of credentials: a profile
//! with `login_session = arn:aws:iam::ACCOUNT:user/NAME` (or the root's
//! ARN) and the cache file the AWS CLI keeps for it,
//! `~/.aws/login/cache/SHA256(login_session).json` (the directory moved by
//! `AWS_LOGIN_CACHE_DIRECTORY`).
//!
//! The credentials come from the AWS SDK's own provider (aws-config's
//! `LoginCredentialsProvider`): it reads the cache file, refreshes the
//! 15-minute credentials through AWS Sign-In with a DPoP proof of the
//! session's key when they have less than 5 minutes left, and writes the
//! refreshed file back in the CLI's format, so `aws` and every SDK keep
//! working from it. ssocred adds what the provider leaves to its caller:
//! its own network (CA bundle, proxy), a lock that makes concurrent
//! ssocred processes refresh one at a time (a refresh token works once),
//! and errors that name the profile, the file and the way to sign in.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use aws_config::login::LoginCredentialsProvider;
use aws_config::provider_config::ProviderConfig;
use aws_config::{BehaviorVersion, Region};
use aws_credential_types::provider::ProvideCredentials;
use aws_credential_types::provider::error::CredentialsError;
use secrecy::SecretString;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::aws::sdk;
use crate::domain::network::Network;
use crate::domain::text::visible;
use crate::os::fs::FileLock;
use crate::{CredentialSet, Error};

/// The variable that moves the cache directory, as the AWS CLI reads it.
pub const CACHE_DIR_VARIABLE: &str = "AWS_LOGIN_CACHE_DIRECTORY";

/// The variable that overrides Sign-In's endpoint.
pub const ENDPOINT_VARIABLE: &str = "AWS_ENDPOINT_URL_SIGNIN";

/// One `login_session` profile.
#[derive(Debug, Clone)]
pub struct ConsoleSession {
    /// The profile's name.
    pub profile: String,
    /// Its `login_session`: the IAM user's (or root's) ARN.
    pub login_session: String,
    /// The region of Sign-In and of the credentials: the profile's `region`.
    pub region: String,
    /// The cache file of the session.
    pub cache_file: PathBuf,
    /// The network Sign-In is reached through.
    pub network: Network,
}

/// The cache file of `login_session` under `home`, where the AWS CLI keeps
/// it: `CACHE_DIR/HEX(SHA256(login_session, trimmed)).json`, the directory
/// being `AWS_LOGIN_CACHE_DIRECTORY` or `~/.aws/login/cache`.
pub fn cache_file(
    login_session: &str,
    home: &Path,
    var: impl Fn(&str) -> Option<String>,
) -> PathBuf {
    cache_file_in(&cache_dir(home, var), login_session)
}

/// The cache directory: `AWS_LOGIN_CACHE_DIRECTORY`, else
/// `~/.aws/login/cache`.
pub fn cache_dir(home: &Path, var: impl Fn(&str) -> Option<String>) -> PathBuf {
    var(CACHE_DIR_VARIABLE)
        .filter(|d| !d.trim().is_empty())
        .map_or_else(
            || home.join(".aws").join("login").join("cache"),
            PathBuf::from,
        )
}

/// The cache file of `login_session` in `dir`.
pub fn cache_file_in(dir: &Path, login_session: &str) -> PathBuf {
    let digest = Sha256::digest(login_session.trim().as_bytes());
    let hex = hex::encode(digest);
    dir.join(format!("{hex}.json"))
}

impl ConsoleSession {
    /// The command that signs this session in again.
    pub fn login_command(&self) -> String {
        crate::aws::portal::login_command(&self.profile)
    }

    /// The session's credentials, refreshed through Sign-In when they are
    /// near their end. ssocred processes take turns (a sidecar lock on the
    /// cache file), so the second of two finds the first's refresh in the
    /// file instead of spending the used refresh token again.
    pub async fn credentials(&self) -> Result<CredentialSet, Error> {
        let file_error = |what: &str, e: std::io::Error| Error::ConfigFile {
            path: self.cache_file.clone(),
            message: format!("{what}: {e}"),
        };
        if !self.cache_file.exists() {
            return Err(Error::LoginRequired {
                reason: format!(
                    "profile `{}` is a console session ({}) with no cache file {}",
                    self.profile,
                    visible(&self.login_session),
                    self.cache_file.display()
                ),
                login_command: self.login_command(),
            });
        }
        let _turn = FileLock::acquire(&self.cache_file)
            .map_err(|e| file_error("cannot lock its sidecar", e))?;
        let endpoint = std::env::var(ENDPOINT_VARIABLE)
            .ok()
            .filter(|e| !e.trim().is_empty())
            .unwrap_or_else(|| format!("https://{}.signin.aws.amazon.com", self.region));
        let config = ProviderConfig::without_region()
            .with_region(Some(Region::new(self.region.clone())))
            .with_behavior_version(Some(BehaviorVersion::latest()))
            .with_http_client(sdk::http_client(&endpoint, &self.network))
            .with_retry_config(sdk::retry_config());
        let provider = LoginCredentialsProvider::builder(self.login_session.clone())
            .configure(&config)
            .build();
        let credentials = provider
            .provide_credentials()
            .await
            .map_err(|e| self.failed(&e, &endpoint))?;
        let expiration = credentials
            .expiry()
            .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
            .and_then(|d| OffsetDateTime::from_unix_timestamp(d.as_secs() as i64).ok())
            .ok_or_else(|| Error::ConfigFile {
                path: self.cache_file.clone(),
                message: "the session's credentials carry no expiry".to_owned(),
            })?;
        let account_id = credentials
            .account_id()
            .map(|a| a.as_str().to_owned())
            .or_else(|| self.login_session.split(':').nth(4).map(str::to_owned))
            .unwrap_or_default();
        let name = self
            .login_session
            .rsplit(':')
            .next()
            .unwrap_or_default()
            .to_owned();
        Ok(CredentialSet {
            account_id,
            account_name: None,
            role_name: name,
            role_arn: self.login_session.clone(),
            access_key_id: credentials.access_key_id().to_owned(),
            secret_access_key: SecretString::from(credentials.secret_access_key().to_owned()),
            session_token: SecretString::from(
                credentials.session_token().unwrap_or_default().to_owned(),
            ),
            expiration,
            region: Some(self.region.clone()),
            sso_profile: self.profile.clone(),
            sso_session: None,
            start_url: String::new(),
            assumed_via: Vec::new(),
        })
    }

    /// The provider's error, as a person needs it: an ended session asks
    /// for a sign-in; anything else names the cache file and Sign-In.
    fn failed(&self, e: &CredentialsError, endpoint: &str) -> Error {
        let text = sdk::error_text(e);
        let ended = ["expired", "reauthenticate", "TOKEN_EXPIRED", "password"]
            .iter()
            .any(|w| text.contains(w));
        if ended || matches!(e, CredentialsError::CredentialsNotLoaded(_)) {
            return Error::LoginRequired {
                reason: format!(
                    "the console session of profile `{}` has ended or cannot be refreshed ({}; {})",
                    self.profile,
                    visible(&text),
                    self.cache_file.display()
                ),
                login_command: self.login_command(),
            };
        }
        Error::Portal {
            endpoint: endpoint.to_owned(),
            message: format!(
                "refreshing the console session of profile `{}` ({}) failed: {}",
                self.profile,
                self.cache_file.display(),
                visible(&text)
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_file_is_named_as_the_aws_cli_names_it() {
        let home = Path::new("/home/ana");
        let arn = "arn:aws:iam::123456789012:user/ana";
        // sha256 of the ARN, as `printf %s ARN | sha256sum` gives it.
        let want = "b2b5a3795600f77a089fcfb9343ad775fd5212cd31b1bbdc2bb1397fd1b68abf.json";
        let got = cache_file(&format!("  {arn}\n"), home, |_| None);
        assert_eq!(
            got,
            home.join(".aws").join("login").join("cache").join(want)
        );
        assert_eq!(got, cache_file(arn, home, |_| None), "trimmed first");
        let moved = cache_file(arn, home, |k| {
            (k == CACHE_DIR_VARIABLE).then(|| "/tmp/login".to_owned())
        });
        assert_eq!(moved.parent().unwrap(), Path::new("/tmp/login"));
    }
}
