//! Role chaining: after the SSO role, each hop is an STS `AssumeRole` made
//! with the previous set's credentials.
//!
//! A [`Hop`] names the role to assume and the call's options (external id,
//! session name, duration, source identity). Every hop after an SSO role is
//! role chaining, which AWS caps at one hour: the duration defaults to
//! 3600 s and a longer one is refused before any call. [`Sts`] is the STS
//! client of one invocation: one regional endpoint (the settings' region),
//! the invocation's network (proxy, CA bundle), and a rate limiter of its
//! own, since STS throttles apart from the portal.

use std::time::SystemTime;

use aws_config::{BehaviorVersion, Region};
use aws_credential_types::Credentials;
use aws_sdk_sts::config::http::HttpResponse;
use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sts::operation::assume_role::AssumeRoleError;
use aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityError;
use secrecy::{ExposeSecret, SecretString};
use time::OffsetDateTime;

use crate::aws::sdk;
use crate::aws::throttle::{self, RateLimiter};
use crate::domain::hop::{Hop, session_name_of};
use crate::domain::network::Network;
use crate::{CredentialSet, Error};

/// The STS client of one invocation.
#[derive(Debug, Clone)]
pub struct Sts {
    region: String,
    endpoint: String,
    transport: sdk::Transport,
    http: aws_sdk_sts::config::SharedHttpClient,
    limiter: RateLimiter,
}

/// The STS endpoint for `region`: `AWS_ENDPOINT_URL_STS` (then
/// `AWS_ENDPOINT_URL`) when set, else the SDK's own rules (regional
/// endpoints, FIPS and dual-stack as the network asks).
pub fn endpoint(
    region: &str,
    network: &Network,
    var: impl Fn(&str) -> Option<String>,
) -> Result<String, Error> {
    use aws_sdk_sts::config::endpoint::{DefaultResolver, Params, ResolveEndpoint};
    if let Some(url) = crate::domain::endpoints::endpoint_override(var, "AWS_ENDPOINT_URL_STS") {
        return Ok(url);
    }
    let params = Params::builder()
        .region(region)
        .use_fips(network.endpoints.fips)
        .use_dual_stack(network.endpoints.dualstack)
        .use_global_endpoint(false)
        .build()
        .map_err(|e| Error::Usage(format!("region {region}: {e}")))?;
    // The SDK's rules resolve at once: the future is ready when made.
    let resolver = DefaultResolver::new();
    let mut future = std::pin::pin!(resolver.resolve_endpoint(&params));
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    let std::task::Poll::Ready(resolved) = future.as_mut().poll(&mut context) else {
        return Err(Error::Internal(
            "the STS endpoint rules did not resolve at once".to_owned(),
        ));
    };
    let resolved = resolved.map_err(|e| {
            Error::Usage(format!(
                "no STS endpoint for region {region}{}: {}; set AWS_ENDPOINT_URL_STS to one that exists",
                if network.endpoints.fips || network.endpoints.dualstack {
                    " with the FIPS or dual-stack setting"
                } else {
                    ""
                },
                sdk::error_text(&*e)
            ))
        })?;
    Ok(resolved.url().trim_end_matches('/').to_owned())
}

impl Sts {
    /// The client for `region` at `endpoint` (see [`endpoint`]).
    pub fn new(region: &str, endpoint: String, network: &Network) -> Sts {
        Sts {
            region: region.to_owned(),
            transport: sdk::Transport::new(&endpoint, network),
            http: sdk::http_client(&endpoint, network),
            endpoint,
            limiter: RateLimiter::new(throttle::give_up_after(|k| std::env::var(k).ok())),
        }
    }

    /// The endpoint, for messages.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The region of the endpoint.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The role session name of `from`'s own session, from
    /// `GetCallerIdentity`: for SSO role credentials, the SSO user's name
    /// (`assumed-role/AWSReservedSSO_.../alice@example.com`), which is what
    /// CloudTrail should show for every hop after it. `None` when the call
    /// fails or the answer names no usable session; the caller falls back
    /// to [`default_session_name`](crate::domain::hop::default_session_name).
    pub async fn caller_session_name(&self, from: &CredentialSet) -> Option<String> {
        let client = self.client(from);
        let out = throttle::paced(&self.limiter, is_throttling, || {
            client.get_caller_identity().send()
        })
        .await
        .ok()?;
        session_name_of(out.arn()?)
    }

    /// A client signing with `from`'s credentials.
    fn client(&self, from: &CredentialSet) -> aws_sdk_sts::Client {
        let expiry = SystemTime::from(from.expiration);
        let credentials = Credentials::new(
            &from.access_key_id,
            from.secret_access_key.expose_secret(),
            Some(from.session_token.expose_secret().to_owned()),
            Some(expiry),
            "ssocred",
        );
        let config = aws_sdk_sts::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(self.region.clone()))
            .credentials_provider(credentials)
            .http_client(self.http.clone())
            .retry_config(sdk::retry_config())
            .retry_classifier(sdk::ThrottleToCaller)
            .retry_classifier(sdk::ThrottleCodesToCaller::<AssumeRoleError>::new())
            .retry_classifier(sdk::ThrottleCodesToCaller::<GetCallerIdentityError>::new())
            .timeout_config(sdk::timeout_config())
            .endpoint_url(&self.endpoint)
            .build();
        aws_sdk_sts::Client::from_conf(config)
    }

    /// Assumes `hop` with the credentials of `from` as session
    /// `session_name`; `number` (1 for the first hop) names the hop in
    /// errors. The set keeps `from`'s login and region and records the
    /// chain in `assumed_via`.
    pub async fn assume(
        &self,
        from: &CredentialSet,
        hop: &Hop,
        session_name: &str,
        number: usize,
    ) -> Result<CredentialSet, Error> {
        let role = &hop.role;
        if role.partition() != crate::domain::arn::partition_of_region(&self.region) {
            return Err(Error::Usage(format!(
                "--assume {role}: the role is in partition {}, but the STS region {} is in {}; set --region to a region of the role's partition",
                role.partition(),
                self.region,
                crate::domain::arn::partition_of_region(&self.region)
            )));
        }
        let client = self.client(from);
        let duration = i32::try_from(hop.duration_secs()).unwrap_or(3600);
        let out = throttle::paced(&self.limiter, is_throttling, || {
            client
                .assume_role()
                .role_arn(role.as_str())
                .role_session_name(session_name)
                .duration_seconds(duration)
                .set_external_id(hop.external_id.clone())
                .set_source_identity(hop.source_identity.clone())
                .send()
        })
        .await
        .map_err(|e| match e {
            throttle::Paced::Failed(e) => self.error(*e, from, hop, number),
            throttle::Paced::GaveUp(g) => Error::Sts {
                endpoint: self.endpoint.clone(),
                message: format!(
                    "AssumeRole of hop {number} ({role}) still throttled: no call to STS succeeded for {} s; try again later",
                    g.after.as_secs_f64()
                ),
            },
        })?;
        let malformed = |what: &str| Error::Sts {
            endpoint: self.endpoint.clone(),
            message: format!("malformed AssumeRole response for hop {number} ({role}): {what}"),
        };
        let creds = out.credentials.ok_or_else(|| malformed("no Credentials"))?;
        let expiration = OffsetDateTime::from_unix_timestamp(creds.expiration.secs())
            .map_err(|_| malformed("Expiration out of range"))?;
        if expiration <= OffsetDateTime::now_utc() {
            return Err(malformed("the credentials are already expired"));
        }
        let mut via = from.assumed_via.clone();
        via.push(from.role_arn.clone());
        Ok(CredentialSet {
            account_id: role.account_id().to_owned(),
            account_name: None,
            role_name: role.role_name().to_owned(),
            role_arn: role.as_str().to_owned(),
            access_key_id: creds.access_key_id,
            secret_access_key: SecretString::from(creds.secret_access_key),
            session_token: SecretString::from(creds.session_token),
            expiration,
            region: from.region.clone(),
            sso_profile: from.sso_profile.clone(),
            sso_session: from.sso_session.clone(),
            start_url: from.start_url.clone(),
            assumed_via: via,
        })
    }

    /// The error of a failed AssumeRole: AccessDenied names the hop and the
    /// principal that tried (exit 5); a call that got no answer names the
    /// endpoint and the network; anything else is STS's message (exit 6).
    fn error(
        &self,
        err: SdkError<AssumeRoleError, HttpResponse>,
        from: &CredentialSet,
        hop: &Hop,
        number: usize,
    ) -> Error {
        match &err {
            SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => {
                return match self
                    .transport
                    .unreachable(&err, matches!(err, SdkError::TimeoutError(_)))
                {
                    Error::Unreachable {
                        endpoint, message, ..
                    } => Error::Sts {
                        endpoint,
                        message: format!("AssumeRole of hop {number} ({}): {message}", hop.role),
                    },
                    other => other,
                };
            }
            _ => {}
        }
        // STS may echo the request, which carries `from`'s session token.
        let secrets = [
            from.secret_access_key.expose_secret(),
            from.session_token.expose_secret(),
        ];
        let message = crate::domain::text::remote(err.message().unwrap_or("no message"), &secrets);
        match err.code() {
            Some("AccessDenied") => Error::AssumeDenied {
                hop: number,
                role: hop.role.as_str().to_owned(),
                principal: from.role_arn.clone(),
                message,
            },
            Some(code) => Error::Sts {
                endpoint: self.endpoint.clone(),
                message: format!(
                    "AssumeRole of hop {number} ({}) failed: {}: {message}",
                    hop.role,
                    crate::domain::text::remote(code, &secrets)
                ),
            },
            None => Error::Sts {
                endpoint: self.endpoint.clone(),
                message: format!(
                    "AssumeRole of hop {number} ({}) failed: {}",
                    hop.role,
                    sdk::remote_error(&err, &secrets)
                ),
            },
        }
    }
}

/// The error codes with which STS throttles.
pub const THROTTLING_CODES: [&str; 3] =
    ["Throttling", "ThrottlingException", "RequestLimitExceeded"];

/// Whether `err` is STS throttling: a 429, or one of [`THROTTLING_CODES`].
fn is_throttling<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> bool {
    err.raw_response()
        .is_some_and(|r| r.status().as_u16() == 429)
        || err
            .code()
            .is_some_and(|c| throttle::THROTTLING_CODES.contains(&c))
}

#[cfg(test)]
mod tests;
