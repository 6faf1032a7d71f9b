//! The AWS SSO portal: role credentials (and, in [`crate::aws::discovery`],
//! account and role listings) through `aws-sdk-sso`. Every call goes through
//! the portal's [`RateLimiter`], shared by every clone of a [`Portal`].

use aws_config::{BehaviorVersion, Region};
use aws_sdk_sso::config::http::HttpResponse;
use aws_sdk_sso::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sso::operation::get_role_credentials::GetRoleCredentialsError;
use secrecy::{ExposeSecret, SecretString};
use time::OffsetDateTime;

use crate::aws::sdk;
use crate::aws::throttle::{self, GaveUp, RateLimiter};
use crate::domain::arn::RoleArn;
use crate::domain::endpoints::Service;
use crate::domain::network::Network;
use crate::domain::sso_profile::SsoProfile;
use crate::{CredentialSet, Error};

pub use crate::aws::sdk::MAX_ATTEMPTS;

/// A portal client for one SSO profile. Its clones share one
/// [`RateLimiter`], so every call of an invocation to the portal is paced
/// together.
#[derive(Debug, Clone)]
pub struct Portal {
    client: aws_sdk_sso::Client,
    transport: sdk::Transport,
    endpoint: String,
    profile: String,
    sso_region: String,
    limiter: RateLimiter,
}

/// Why a portal call failed: the SDK's error (boxed: it is large), or
/// throttling until the limiter gave up.
pub(crate) enum CallError<E> {
    Sdk(Box<SdkError<E, HttpResponse>>),
    Throttled(GaveUp),
}

impl Portal {
    /// A client in the profile's `sso_region` at `endpoint` (resolved by
    /// [`crate::domain::endpoints::endpoint_for`]: the table, or an override), over
    /// the invocation's `network`. Plain `http://` endpoints (local
    /// emulators) get a client without TLS.
    pub fn new(profile: &SsoProfile, endpoint: String, network: &Network) -> Self {
        let config = aws_sdk_sso::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(profile.sso_region.clone()))
            .http_client(sdk::http_client(&endpoint, network))
            .retry_config(sdk::retry_config())
            .retry_classifier(sdk::ThrottleToCaller)
            .timeout_config(sdk::timeout_config())
            .endpoint_url(&endpoint);
        Portal {
            client: aws_sdk_sso::Client::from_conf(config.build()),
            transport: sdk::Transport::for_service(Service::Portal, &endpoint, network),
            endpoint,
            profile: profile.name.clone(),
            sso_region: profile.sso_region.clone(),
            limiter: RateLimiter::new(throttle::give_up_after(|k| std::env::var(k).ok())),
        }
    }

    /// One portal call, `send`, paced by the limiter and sent again after
    /// each 429 until it succeeds, fails otherwise, or the limiter gives up.
    pub(crate) async fn call<T, E, F, Fut>(&self, send: F) -> Result<T, CallError<E>>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
        E: ProvideErrorMetadata,
    {
        throttle::paced(&self.limiter, is_throttling, send)
            .await
            .map_err(|e| match e {
                throttle::Paced::Failed(e) => CallError::Sdk(e),
                throttle::Paced::GaveUp(g) => CallError::Throttled(g),
            })
    }

    /// The pace of the portal's calls in requests/s while it is throttling.
    pub fn throttling(&self) -> Option<f64> {
        self.limiter.throttling()
    }

    /// The error of `operation` once the limiter gave up.
    pub(crate) fn gave_up(&self, operation: &str, gave_up: GaveUp) -> Error {
        Error::Portal {
            endpoint: self.endpoint.clone(),
            message: format!(
                "{operation} still throttled (429): no call to the portal succeeded for {} s; \
                 try again later or lower --concurrency",
                gave_up.after.as_secs_f64()
            ),
        }
    }

    /// The SDK client, for the listing calls in [`crate::aws::discovery`].
    pub(crate) fn client(&self) -> &aws_sdk_sso::Client {
        &self.client
    }

    /// How its calls travel, for errors.
    pub(crate) fn transport(&self) -> &sdk::Transport {
        &self.transport
    }

    /// The region of the IAM Identity Center instance.
    pub(crate) fn sso_region(&self) -> &str {
        &self.sso_region
    }

    /// The endpoint in use, for messages.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// GetRoleCredentials for `role`, as a [`CredentialSet`] carrying
    /// `region` and the profile's identity.
    pub async fn credential_set(
        &self,
        token: &SecretString,
        profile: &SsoProfile,
        role: &RoleArn,
        region: Option<String>,
    ) -> Result<CredentialSet, Error> {
        let out = self
            .call(|| {
                self.client
                    .get_role_credentials()
                    .access_token(token.expose_secret())
                    .account_id(role.account_id())
                    .role_name(role.role_name())
                    .send()
            })
            .await
            .map_err(|e| match e {
                CallError::Sdk(e) => self.role_error(*e, role, token),
                CallError::Throttled(g) => {
                    self.gave_up(&format!("GetRoleCredentials for {role}"), g)
                }
            })?;
        let creds = out
            .role_credentials
            .ok_or_else(|| self.malformed("no roleCredentials"))?;
        let (Some(key), Some(secret), Some(session)) = (
            creds.access_key_id,
            creds.secret_access_key,
            creds.session_token,
        ) else {
            return Err(self.malformed("roleCredentials lacks a key, secret or session token"));
        };
        let expiration =
            OffsetDateTime::from_unix_timestamp_nanos(i128::from(creds.expiration) * 1_000_000)
                .map_err(|_| self.malformed("expiration out of range"))?;
        // An absent or null expiration reads as 0. Expired credentials are
        // useless to every sink, and a long-running mode would refetch them
        // at once, forever.
        if expiration <= OffsetDateTime::now_utc() {
            return Err(self.malformed(&format!(
                "the credentials for {role} are already expired (expiration {} ms = {})",
                creds.expiration,
                crate::domain::time_fmt::utc_z(expiration)
            )));
        }
        Ok(CredentialSet {
            account_id: role.account_id().to_owned(),
            account_name: None,
            role_name: role.role_name().to_owned(),
            role_arn: role.as_str().to_owned(),
            access_key_id: key,
            secret_access_key: SecretString::from(secret),
            session_token: SecretString::from(session),
            expiration,
            region,
            sso_profile: profile.name.clone(),
            sso_session: profile.session.clone(),
            start_url: profile.start_url.clone(),
            assumed_via: Vec::new(),
        })
    }

    /// Logout: ends the portal session of `token`. A token the portal no
    /// longer accepts (401) is already logged out, which is not an error.
    pub async fn logout(&self, token: &SecretString) -> Result<(), Error> {
        let result = self
            .call(|| {
                self.client
                    .logout()
                    .access_token(token.expose_secret())
                    .send()
            })
            .await;
        let result = match result {
            Err(CallError::Throttled(g)) => return Err(self.gave_up("Logout", g)),
            Err(CallError::Sdk(e)) => Err(*e),
            Ok(out) => Ok(out),
        };
        match result {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(service))
                if matches!(
                    service.err(),
                    aws_sdk_sso::operation::logout::LogoutError::UnauthorizedException(_)
                ) =>
            {
                Ok(())
            }
            Err(err @ (SdkError::DispatchFailure(_) | SdkError::TimeoutError(_))) => Err(self
                .transport()
                .unreachable(&err, matches!(err, SdkError::TimeoutError(_)))),
            Err(err) => Err(Error::Portal {
                endpoint: self.endpoint.clone(),
                message: format!(
                    "Logout failed: {}",
                    sdk::remote_error(&err, &[token.expose_secret()])
                ),
            }),
        }
    }

    fn malformed(&self, what: &str) -> Error {
        Error::Portal {
            endpoint: self.endpoint.clone(),
            message: format!("malformed GetRoleCredentials response: {what}"),
        }
    }

    fn role_error<R>(
        &self,
        err: SdkError<GetRoleCredentialsError, R>,
        role: &RoleArn,
        token: &SecretString,
    ) -> Error
    where
        R: std::fmt::Debug + 'static,
    {
        match &err {
            SdkError::ServiceError(service) => match service.err() {
                GetRoleCredentialsError::UnauthorizedException(_) => self.login_required(),
                GetRoleCredentialsError::ResourceNotFoundException(_) => Error::RoleNotAssigned {
                    account_id: role.account_id().to_owned(),
                    role_name: role.role_name().to_owned(),
                    profile: self.profile.clone(),
                },
                _ => Error::Portal {
                    endpoint: self.endpoint.clone(),
                    message: sdk::remote_error(&err, &[token.expose_secret()]),
                },
            },
            SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => self
                .transport()
                .unreachable(&err, matches!(err, SdkError::TimeoutError(_))),
            _ => Error::Portal {
                endpoint: self.endpoint.clone(),
                message: sdk::remote_error(&err, &[token.expose_secret()]),
            },
        }
    }

    pub(crate) fn login_required(&self) -> Error {
        Error::LoginRequired {
            reason: format!(
                "the SSO portal rejected the access token of profile `{}` (401)",
                self.profile
            ),
            login_command: login_command(&self.profile),
        }
    }
}

/// Whether `err` is the portal's 429, by status or by error code.
fn is_throttling<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> bool {
    err.raw_response()
        .is_some_and(|r| r.status().as_u16() == 429)
        || err.code() == Some("TooManyRequestsException")
}

/// The command that logs profile `profile` in.
pub fn login_command(profile: &str) -> String {
    crate::domain::shell_line::suggested(&["login", "-p", profile])
}
