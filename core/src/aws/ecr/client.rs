//! ECR `GetAuthorizationToken` through `aws-sdk-ecr`, with a role's
//! credentials, over the invocation's network, paced by a limiter of its
//! own (ECR is not the portal).

use std::fmt;

use aws_config::{BehaviorVersion, Region};
use aws_sdk_ecr::config::Credentials;
use aws_sdk_ecr::config::http::HttpResponse;
use aws_sdk_ecr::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_ecr::operation::get_authorization_token::{
    GetAuthorizationTokenError, GetAuthorizationTokenOutput,
};
use base64::Engine as _;
use secrecy::{ExposeSecret, SecretString};
use time::OffsetDateTime;

use super::registry::Registry;
use crate::aws::sdk;
use crate::aws::throttle::{self, RateLimiter};
use crate::domain::network::Network;
use crate::domain::time_fmt;
use crate::{CredentialSet, Error};

/// The longest `authorizationToken` accepted (real ones are about 3 KiB).
const MAX_TOKEN: usize = 16 * 1024;

/// The variable that overrides the ECR API endpoint, before
/// `AWS_ENDPOINT_URL` (see [`crate::domain::endpoints::endpoint_override`]).
pub const ENDPOINT_VARIABLE: &str = "AWS_ENDPOINT_URL_ECR";

/// The ECR API endpoint for `registry`: the override from the environment,
/// else the endpoint of the registry host's own variant and partition.
pub fn endpoint_for(registry: &Registry, var: impl Fn(&str) -> Option<String>) -> String {
    crate::domain::endpoints::endpoint_override(var, ENDPOINT_VARIABLE)
        .unwrap_or_else(|| registry.api_endpoint())
}

/// An ECR client for one registry's region and endpoint.
#[derive(Debug, Clone)]
pub struct Ecr {
    endpoint: String,
    region: String,
    network: Network,
    limiter: RateLimiter,
}

impl Ecr {
    /// A client for `region` at `endpoint` over `network`.
    pub fn new(region: &str, endpoint: String, network: &Network) -> Self {
        Ecr {
            endpoint,
            region: region.to_owned(),
            network: network.clone(),
            limiter: RateLimiter::new(throttle::give_up_after(|k| std::env::var(k).ok())),
        }
    }

    /// The endpoint, for messages.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    fn client(&self, set: &CredentialSet) -> aws_sdk_ecr::Client {
        let credentials = Credentials::new(
            set.access_key_id.clone(),
            set.secret_access_key.expose_secret().to_owned(),
            Some(set.session_token.expose_secret().to_owned()),
            Some(set.expiration.into()),
            "ssocred",
        );
        let config = aws_sdk_ecr::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(self.region.clone()))
            .credentials_provider(credentials)
            .http_client(sdk::http_client(&self.endpoint, &self.network))
            .retry_config(sdk::retry_config())
            .retry_classifier(sdk::ThrottleToCaller)
            .timeout_config(sdk::timeout_config())
            .endpoint_url(&self.endpoint);
        aws_sdk_ecr::Client::from_conf(config.build())
    }

    /// GetAuthorizationToken with `set`'s credentials, for `registry`: the
    /// user name and password Docker logs in with, and their expiry. A
    /// refusal or a transport failure names the registry, the role and the
    /// endpoint, never a secret.
    pub async fn authorization_token(
        &self,
        registry: &Registry,
        set: &CredentialSet,
    ) -> Result<CachedToken, Error> {
        let client = self.client(set);
        let fail = |message: String| Error::Ecr {
            endpoint: self.endpoint.clone(),
            message: format!(
                "GetAuthorizationToken for registry {registry} as role {}: {message}",
                set.role_arn
            ),
        };
        let out = loop {
            let slot = self.limiter.admit().await;
            match client.get_authorization_token().send().await {
                Ok(out) => {
                    self.limiter.succeeded();
                    break out;
                }
                Err(err) if is_throttling(&err) => {
                    let delay = err.raw_response().and_then(|response| {
                        throttle::retry_after(|name| {
                            response.headers().get(name).map(str::to_owned)
                        })
                    });
                    self.limiter.throttled(slot, delay).map_err(|g| {
                        fail(format!(
                            "still throttled: no call succeeded for {} s; try again later",
                            g.after.as_secs_f64()
                        ))
                    })?;
                }
                Err(err) => return Err(fail(self.explain(&err, set))),
            }
        };
        token_of(out).map_err(|problem| fail(format!("malformed answer: {problem}")))
    }

    /// What went wrong, for a person: server text through
    /// [`crate::domain::text::remote`], with the set's secrets taken out should a
    /// server echo them.
    fn explain(
        &self,
        err: &SdkError<GetAuthorizationTokenError, HttpResponse>,
        set: &CredentialSet,
    ) -> String {
        let secrets = [
            set.secret_access_key.expose_secret(),
            set.session_token.expose_secret(),
        ];
        match err {
            SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => {
                match sdk::Transport::new(&self.endpoint, &self.network)
                    .unreachable(err, matches!(err, SdkError::TimeoutError(_)))
                {
                    // ssocred's own words, whose server parts are bounded.
                    Error::Unreachable { message, .. } => {
                        format!(
                            "unreachable: {}",
                            crate::domain::text::redact(&message, &secrets)
                        )
                    }
                    other => other.to_string(),
                }
            }
            _ => {
                let hint = match err.code() {
                    Some("AccessDeniedException") => {
                        "; the role needs ecr:GetAuthorizationToken (map the registry to another role in the ssocred config)"
                    }
                    Some(
                        "UnrecognizedClientException"
                        | "ExpiredTokenException"
                        | "InvalidSignatureException",
                    ) => "; run `ssocred cache clear` and try again",
                    _ => "",
                };
                format!("{}{hint}", sdk::remote_error(err, &secrets))
            }
        }
    }
}

/// The throttling answers: 429, or an error code that says so.
fn is_throttling<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> bool {
    err.raw_response()
        .is_some_and(|r| r.status().as_u16() == 429)
        || matches!(
            err.code(),
            Some("ThrottlingException" | "TooManyRequestsException" | "ThrottledException")
        )
}

/// The user name, password and expiry of an answer.
fn token_of(out: GetAuthorizationTokenOutput) -> Result<CachedToken, String> {
    let data = out
        .authorization_data
        .and_then(|d| d.into_iter().next())
        .ok_or("no authorizationData")?;
    let encoded = data.authorization_token.ok_or("no authorizationToken")?;
    if encoded.len() > MAX_TOKEN {
        return Err(format!("authorizationToken is over {MAX_TOKEN} bytes"));
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| "authorizationToken is not base64")?;
    let decoded = String::from_utf8(decoded).map_err(|_| "authorizationToken is not text")?;
    let (user, password) = decoded
        .split_once(':')
        .ok_or("authorizationToken is not USER:PASSWORD")?;
    if user.is_empty() || password.is_empty() || user.chars().any(char::is_control) {
        return Err("authorizationToken has an empty or odd user name or password".to_owned());
    }
    let expires_at = data.expires_at.ok_or("no expiresAt")?;
    let expires_at = OffsetDateTime::from_unix_timestamp(expires_at.secs())
        .map_err(|_| "expiresAt out of range")?;
    if expires_at <= OffsetDateTime::now_utc() {
        return Err(format!(
            "the token is already expired (expiresAt {})",
            crate::domain::time_fmt::utc_z(expires_at)
        ));
    }
    Ok(CachedToken {
        username: user.to_owned(),
        password: SecretString::from(password.to_owned()),
        expires_at,
    })
}

/// One authorization token, decoded: what ECR answers and what the store
/// keeps.
///
/// `Debug` shows everything but the password.
#[derive(Clone)]
pub struct CachedToken {
    /// The registry user name (`AWS`).
    pub username: String,
    /// The registry password: a secret.
    pub password: SecretString,
    /// When ECR stops accepting it.
    pub expires_at: OffsetDateTime,
}

impl fmt::Debug for CachedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CachedToken")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("expires_at", &time_fmt::utc_z(self.expires_at))
            .finish()
    }
}
