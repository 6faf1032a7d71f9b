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

use std::fmt;
use std::time::SystemTime;

use aws_config::{BehaviorVersion, Region};
use aws_credential_types::Credentials;
use aws_sdk_sts::config::http::HttpResponse;
use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sts::operation::assume_role::AssumeRoleError;
use aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityError;
use secrecy::{ExposeSecret, SecretString};
use time::OffsetDateTime;

use crate::arn::RoleArn;
use crate::network::Network;
use crate::profile::SsoProfile;
use crate::text::visible;
use crate::throttle::{self, RateLimiter};
use crate::{CredentialSet, Error, sdk};

/// The longest session AWS grants a chained role, and the default.
pub const MAX_DURATION_SECS: u32 = 3600;
/// The shortest session STS grants.
pub const MIN_DURATION_SECS: u32 = 900;

/// The most hops a role chain may have. AWS sets no number, but each hop is
/// an STS call and at most an hour of session, so real chains have two or
/// three (hub, customer account, break-glass); ten is far above them, and
/// a bound keeps a runaway config or command line from building thousands
/// of calls and cache entries.
pub const MAX_HOPS: usize = 10;

/// The option keys of a hop, as `--assume` and the config spell them.
const KEYS: [&str; 4] = ["external-id", "session-name", "duration", "source-identity"];

/// Checks the length of a chain of `hops` hops against [`MAX_HOPS`].
pub fn check_length(hops: usize) -> Result<(), String> {
    if hops > MAX_HOPS {
        return Err(format!(
            "a role chain has at most {MAX_HOPS} hops, and this one has {hops}; AWS caps every chained session at an hour, and real chains need two or three"
        ));
    }
    Ok(())
}

/// One AssumeRole of a chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hop {
    /// The role to assume.
    pub role: RoleArn,
    /// The external id the role's trust policy asks for.
    pub external_id: Option<String>,
    /// The role session name; derived from the login when absent
    /// ([`default_session_name`]).
    pub session_name: Option<String>,
    /// Seconds, 900 to 3600; 3600 when absent.
    pub duration: Option<u32>,
    /// The source identity to set on the session.
    pub source_identity: Option<String>,
}

impl Hop {
    /// A hop to `role` with no options.
    pub fn to(role: RoleArn) -> Hop {
        Hop {
            role,
            external_id: None,
            session_name: None,
            duration: None,
            source_identity: None,
        }
    }

    /// Parses `ARN[,external-id=ID][,session-name=NAME][,duration=SECS][,source-identity=ID]`
    /// and checks it ([`Hop::check`]). A `,` starts an option only when a
    /// known key and `=` follow it, so an external id may hold commas. A
    /// `,WORD=` that is not a key but reads as one (`Duration=`,
    /// `external_id=`, `ExternalId=`, `durtion=`) is refused wherever it
    /// is, rather than taken into the role name or a value.
    pub fn parse(spec: &str) -> Result<Hop, String> {
        let starts = |at: usize| {
            KEYS.iter()
                .any(|k| spec[at + 1..].starts_with(k) && spec[at + 1 + k.len()..].starts_with('='))
        };
        let cuts: Vec<usize> = spec
            .match_indices(',')
            .map(|(at, _)| at)
            .filter(|&at| starts(at))
            .collect();
        let arn_end = cuts.first().copied().unwrap_or(spec.len());
        let arn = spec[..arn_end].trim();
        // IAM allows `,` and `=` in role names and paths (and STS in
        // external ids and session names), so `,word=` can be part of any
        // of them; only a word that reads as one of the keys is refused.
        if let Some((word, key)) = misspelt_option(spec) {
            return Err(format!(
                "unknown option `{word}`: did you mean `{key}`? The options are {}, in lower case; if `,{word}=` really is part of the role's name or a value, give the hop as a table in the ssocred config (`{{ role_arn = \"...\", external_id = \"...\" }}`), which is read as written",
                KEYS.join(", ")
            ));
        }
        let role = RoleArn::parse(arn).map_err(|e| e.to_string())?;
        let mut hop = Hop::to(role);
        for (i, &at) in cuts.iter().enumerate() {
            let end = cuts.get(i + 1).copied().unwrap_or(spec.len());
            let (key, value) = spec[at + 1..end]
                .split_once('=')
                .ok_or_else(|| "an option lacks `=`".to_owned())?;
            let slot = match key {
                "external-id" => &mut hop.external_id,
                "session-name" => &mut hop.session_name,
                "source-identity" => &mut hop.source_identity,
                _ => {
                    if hop.duration.replace(parse_duration(value)?).is_some() {
                        return Err(format!("`{key}` is given twice"));
                    }
                    continue;
                }
            };
            if slot.replace(value.to_owned()).is_some() {
                return Err(format!("`{key}` is given twice"));
            }
        }
        hop.check()?;
        Ok(hop)
    }

    /// Checks the options as STS would, and the one-hour cap of role
    /// chaining; the message names the option.
    pub fn check(&self) -> Result<(), String> {
        if let Some(d) = self.duration {
            if d > MAX_DURATION_SECS {
                return Err(format!(
                    "duration {d} s is over {MAX_DURATION_SECS} s: AWS caps a role assumed by role chaining (every --assume hop) at one hour"
                ));
            }
            if d < MIN_DURATION_SECS {
                return Err(format!(
                    "duration {d} s is under STS's minimum of {MIN_DURATION_SECS} s"
                ));
            }
        }
        let word = |c: char| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c);
        if let Some(id) = &self.external_id {
            check_text("external-id", id, 2, 1224, |c| word(c) || ":/".contains(c))?;
        }
        if let Some(name) = &self.session_name {
            check_text("session-name", name, 2, 64, word)?;
        }
        if let Some(id) = &self.source_identity {
            // `:` is not among them, so no `aws:` prefix gets through.
            check_text("source-identity", id, 2, 64, word)?;
        }
        Ok(())
    }

    /// The session length asked for, in seconds.
    pub fn duration_secs(&self) -> u32 {
        self.duration.unwrap_or(MAX_DURATION_SECS)
    }

    /// The hop as `--assume` spells it (what `discover` writes into a
    /// `credential_process` line).
    pub fn spec(&self) -> String {
        let mut spec = self.role.as_str().to_owned();
        let options = [
            ("external-id", self.external_id.clone()),
            ("session-name", self.session_name.clone()),
            ("duration", self.duration.map(|d| d.to_string())),
            ("source-identity", self.source_identity.clone()),
        ];
        for (key, value) in options {
            if let Some(value) = value {
                spec.push_str(&format!(",{key}={value}"));
            }
        }
        spec
    }
}

impl fmt::Display for Hop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.role.as_str())
    }
}

/// The first `,WORD=` in `spec` whose word is not one of [`KEYS`] but
/// reads as one, with the key it reads as: the same letters in another case
/// or with `_` for `-` (`Duration`, `external_id`), AssumeRole's own
/// parameter names (`RoleSessionName`, `DurationSeconds`), or a key with a
/// letter or two wrong (`durtion`, `extrenal-id`). Any other `,word=` is
/// left alone: IAM role names may hold `,` and `=` (`[\w+=,.@-]`), and
/// paths any printable character.
fn misspelt_option(spec: &str) -> Option<(&str, &'static str)> {
    spec.split(',').skip(1).find_map(|part| {
        let (word, _) = part.split_once('=')?;
        if word.is_empty()
            || KEYS.contains(&word)
            || !word
                .bytes()
                .all(|b| b.is_ascii_alphabetic() || b == b'-' || b == b'_')
        {
            return None;
        }
        let folded: String = word
            .chars()
            .filter(|c| !matches!(c, '-' | '_'))
            .map(|c| c.to_ascii_lowercase())
            .collect();
        let aliases = [
            ("externalid", "external-id"),
            ("sessionname", "session-name"),
            ("rolesessionname", "session-name"),
            ("duration", "duration"),
            ("durationseconds", "duration"),
            ("sourceidentity", "source-identity"),
        ];
        aliases
            .iter()
            .find(|(alias, _)| strsim::levenshtein(&folded, alias) <= 2)
            .map(|&(_, key)| (word, key))
    })
}

/// A duration option: seconds, or a number with `s`, `m` or `h`.
fn parse_duration(value: &str) -> Result<u32, String> {
    let value = value.trim();
    let (digits, unit) = match value.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((at, _)) => value.split_at(at),
        None => (value, ""),
    };
    let scale = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        _ => return Err(format!("duration `{value}`: expected seconds, or 15m, 1h")),
    };
    digits
        .parse::<u32>()
        .ok()
        .and_then(|n| n.checked_mul(scale))
        .ok_or_else(|| format!("duration `{value}`: expected seconds, or 15m, 1h"))
}

fn check_text(
    key: &str,
    value: &str,
    min: usize,
    max: usize,
    allowed: impl Fn(char) -> bool,
) -> Result<(), String> {
    let len = value.chars().count();
    if len < min || len > max {
        return Err(format!(
            "{key} must be {min} to {max} characters (it has {len})"
        ));
    }
    if let Some(bad) = value.chars().find(|&c| !allowed(c)) {
        return Err(format!(
            "{key} holds `{}`, which STS does not accept",
            visible(&bad.to_string())
        ));
    }
    Ok(())
}

/// The session name of a hop that names none, when the SSO user's own
/// name cannot be learnt ([`Sts::caller_session_name`]): `ssocred-` and the
/// login's `sso-session` (or, for a legacy profile, the profile name),
/// reduced to the characters STS accepts and 64 characters.
pub fn default_session_name(profile: &SsoProfile) -> String {
    let login = profile.session.as_deref().unwrap_or(&profile.name);
    let mut name: String = "ssocred-"
        .chars()
        .chain(login.chars().map(|c| {
            if c.is_ascii_alphanumeric() || "_+=,.@-".contains(c) {
                c
            } else {
                '-'
            }
        }))
        .take(64)
        .collect();
    if name.len() < 2 {
        name.push_str("session");
    }
    name
}

/// The role session name in a caller ARN
/// (`arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`), reduced to what STS
/// accepts for `RoleSessionName`; `None` when the ARN is not a role session
/// or nothing usable is left.
pub fn session_name_of(caller_arn: &str) -> Option<String> {
    let resource = caller_arn.splitn(6, ':').nth(5)?;
    let session = resource.strip_prefix("assumed-role/")?.rsplit('/').next()?;
    let name: String = session
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_+=,.@-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .take(64)
        .collect();
    (name.len() >= 2 && name.chars().any(|c| c != '-')).then_some(name)
}

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
    if let Some(url) = crate::endpoints::endpoint_override(var, "AWS_ENDPOINT_URL_STS") {
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
    /// to [`default_session_name`].
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
        if role.partition() != crate::arn::partition_of_region(&self.region) {
            return Err(Error::Usage(format!(
                "--assume {role}: the role is in partition {}, but the STS region {} is in {}; set --region to a region of the role's partition",
                role.partition(),
                self.region,
                crate::arn::partition_of_region(&self.region)
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
                    Error::Unreachable { endpoint, message } => Error::Sts {
                        endpoint,
                        message: format!("AssumeRole of hop {number} ({}): {message}", hop.role),
                    },
                    other => other,
                };
            }
            _ => {}
        }
        let message = visible(err.message().unwrap_or("no message")).into_owned();
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
                    visible(code)
                ),
            },
            None => Error::Sts {
                endpoint: self.endpoint.clone(),
                message: format!(
                    "AssumeRole of hop {number} ({}) failed: {}",
                    hop.role,
                    visible(&sdk::error_text(&err))
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
