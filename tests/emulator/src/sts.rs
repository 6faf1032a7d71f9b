//! STS `AssumeRole` as `sts.{region}.amazonaws.com` speaks it: the AWS
//! query protocol (API version 2011-06-15), a form body, a SigV4
//! `Authorization` header, and XML answers and errors.
//!
//! The request goes through the service's stages in order: authentication
//! (the access key must be one the emulator issued, with its session
//! token, unexpired, and the signature must be that key's), throttling
//! ([`crate::EmulatorConfig::throttle_sts_every`]), the model's parameter
//! constraints, the role-chaining limit, and the target role's trust
//! ([`crate::EmulatorConfig::trust`]). Shapes and messages follow the STS
//! API reference and the errors the real service sends.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use time::OffsetDateTime;
use time::macros::format_description;

use crate::credentials::{IssuedCredentials, role_id};
use crate::sigv4::{self, Authorization};
use crate::state::{Shared, StsOperation};

/// The only API version STS has.
pub(crate) const VERSION: &str = "2011-06-15";
const NAMESPACE: &str = "https://sts.amazonaws.com/doc/2011-06-15/";
/// How far `X-Amz-Date` may be from the server's clock.
const CLOCK_SKEW: Duration = Duration::from_secs(15 * 60);
/// Role chaining caps a session at one hour, which is also the default.
const CHAINED_MAX_SECONDS: u32 = 3600;
const DURATION_RANGE: std::ops::RangeInclusive<u32> = 900..=43_200;
const CHAINING_LIMIT_MESSAGE: &str = "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.";
const INVALID_TOKEN_MESSAGE: &str = "The security token included in the request is invalid.";
const SIGNATURE_MISMATCH_MESSAGE: &str = "The request signature we calculated does not match \
     the signature you provided. Check your AWS Secret Access Key and signing method. Consult \
     the service documentation for details.";

/// A request to `POST /` as received, with its form parameters decoded.
pub(crate) struct QueryRequest<'a> {
    pub(crate) method: &'a str,
    pub(crate) path: &'a str,
    pub(crate) query: &'a str,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) body: &'a [u8],
    pub(crate) params: Vec<(String, String)>,
}

impl QueryRequest<'_> {
    /// The first value of the form parameter `name`.
    pub(crate) fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }
}

/// An STS error: status, code and message, sent as `ErrorResponse` XML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StsError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl StsError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    fn validation(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "ValidationError", message)
    }

    fn signature_mismatch(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "SignatureDoesNotMatch", message)
    }

    /// 400 `InvalidAction`, as for an action the API does not have.
    pub(crate) fn invalid_action(action: &str, version: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "InvalidAction",
            format!("Could not find operation {action} for version {version}"),
        )
    }

    /// 400 `MissingAction`, for a form without `Action`.
    pub(crate) fn missing_action() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "MissingAction",
            "The request is missing an action or a required parameter.",
        )
    }

    /// 400 `MalformedQueryString`, for a body that is not a form.
    pub(crate) fn malformed_form() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "MalformedQueryString",
            "The request body is not application/x-www-form-urlencoded UTF-8.",
        )
    }
}

impl IntoResponse for StsError {
    fn into_response(self) -> Response {
        let request_id = request_id();
        let body = format!(
            "<ErrorResponse xmlns=\"{NAMESPACE}\">\n  <Error>\n    <Type>Sender</Type>\n    \
             <Code>{}</Code>\n    <Message>{}</Message>\n  </Error>\n  \
             <RequestId>{request_id}</RequestId>\n</ErrorResponse>\n",
            self.code,
            xml_escape(&self.message)
        );
        xml_response(self.status, &request_id, body)
    }
}

/// Serves `Action=AssumeRole`.
pub(crate) fn assume_role(shared: &Shared, request: &QueryRequest<'_>) -> Response {
    shared.sts_arrive(StsOperation::AssumeRole);
    match assume(shared, request, SystemTime::now()) {
        Ok(issued) => success(&issued),
        Err(err) => err.into_response(),
    }
}

/// Serves `Action=GetCallerIdentity`: who the signed request's credentials
/// are (it needs no permission, as in AWS).
pub(crate) fn get_caller_identity(shared: &Shared, request: &QueryRequest<'_>) -> Response {
    shared.sts_arrive(StsOperation::GetCallerIdentity);
    let (caller, region) = match authenticate(shared, request, SystemTime::now()) {
        Ok(found) => found,
        Err(err) => return err.into_response(),
    };
    let partition = sigv4::partition(&region);
    let arn = caller.session_arn(partition);
    let session = arn.rsplit('/').next().unwrap_or_default().to_owned();
    let request_id = request_id();
    let body = format!(
        "<GetCallerIdentityResponse xmlns=\"{NAMESPACE}\">\n  <GetCallerIdentityResult>\n    \
         <Arn>{}</Arn>\n    <UserId>{}:{}</UserId>\n    <Account>{}</Account>\n  \
         </GetCallerIdentityResult>\n  <ResponseMetadata>\n    \
         <RequestId>{request_id}</RequestId>\n  </ResponseMetadata>\n</GetCallerIdentityResponse>\n",
        xml_escape(&arn),
        role_id(&caller.iam_role_arn(partition)),
        xml_escape(&session),
        caller.account_id,
    );
    xml_response(StatusCode::OK, &request_id, body)
}

/// What the request asked for, once valid.
struct AssumeRoleInput<'a> {
    role_arn: &'a str,
    session_name: &'a str,
    external_id: Option<&'a str>,
    source_identity: Option<&'a str>,
    duration_seconds: Option<u32>,
}

/// A role ARN's parts.
struct RoleArn<'a> {
    partition: &'a str,
    account_id: &'a str,
    /// The last part of the resource, without the path.
    role_name: &'a str,
}

fn assume(
    shared: &Shared,
    request: &QueryRequest<'_>,
    now: SystemTime,
) -> Result<IssuedCredentials, StsError> {
    let (caller, region) = authenticate(shared, request, now)?;
    if shared.sts_throttle() {
        return Err(StsError::new(
            StatusCode::BAD_REQUEST,
            "Throttling",
            "Rate exceeded",
        ));
    }
    let input = validate(request)?;
    let target = parse_role_arn(input.role_arn)
        .ok_or_else(|| StsError::validation("Request ARN is invalid"))?;
    // Every caller holds role credentials, so every AssumeRole here is role
    // chaining.
    if input
        .duration_seconds
        .is_some_and(|seconds| seconds > CHAINED_MAX_SECONDS)
    {
        return Err(StsError::validation(CHAINING_LIMIT_MESSAGE));
    }
    let partition = sigv4::partition(&region);
    let source = caller.iam_role_arn(partition);
    let trusted =
        target.partition == partition && shared.trusts(input.role_arn, &source, input.external_id);
    if !trusted {
        return Err(StsError::new(
            StatusCode::FORBIDDEN,
            "AccessDenied",
            format!(
                "User: {} is not authorized to perform: sts:AssumeRole on resource: {}",
                caller.session_arn(partition),
                input.role_arn
            ),
        ));
    }
    let lifetime = Duration::from_secs(u64::from(
        input.duration_seconds.unwrap_or(CHAINED_MAX_SECONDS),
    ));
    Ok(
        shared.issue_assumed(target.account_id, target.role_name, lifetime, |issued| {
            issued.role_arn = Some(input.role_arn.to_owned());
            issued.assumed_by = Some(caller.access_key_id.clone());
            issued.session_name = Some(input.session_name.to_owned());
            issued.external_id = input.external_id.map(str::to_owned);
            issued.source_identity = input.source_identity.map(str::to_owned);
            issued.duration_seconds = input.duration_seconds;
            issued.sts_region = Some(region.clone());
        }),
    )
}

/// Checks the SigV4 `Authorization` header against the credentials the
/// emulator issued: the caller's credentials and its scope's region.
fn authenticate(
    shared: &Shared,
    request: &QueryRequest<'_>,
    now: SystemTime,
) -> Result<(IssuedCredentials, String), StsError> {
    let incomplete =
        |message: String| StsError::new(StatusCode::BAD_REQUEST, "IncompleteSignature", message);
    let Some(header) = request.header("authorization") else {
        return Err(StsError::new(
            StatusCode::FORBIDDEN,
            "MissingAuthenticationToken",
            "Request must contain either a valid (registered) AWS access key ID or X.509 certificate.",
        ));
    };
    let auth = Authorization::parse(header).map_err(incomplete)?;
    let amz_date = request.header("x-amz-date").ok_or_else(|| {
        incomplete(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
                .into(),
        )
    })?;
    let signed_at = sigv4::parse_amz_date(amz_date)
        .ok_or_else(|| incomplete(format!("X-Amz-Date '{amz_date}' is not YYYYMMDDTHHMMSSZ")))?;
    if auth.service != "sts" {
        return Err(StsError::signature_mismatch(
            "Credential should be scoped to correct service: 'sts'. ",
        ));
    }
    if auth.day != &amz_date[..8] {
        return Err(StsError::signature_mismatch(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{}', from '{amz_date}'.",
            auth.day,
            &amz_date[..8]
        )));
    }
    check_clock_skew(amz_date, SystemTime::from(signed_at), now)?;

    let caller = shared.issued_for_key(auth.access_key_id).ok_or_else(|| {
        StsError::new(
            StatusCode::FORBIDDEN,
            "InvalidClientTokenId",
            INVALID_TOKEN_MESSAGE,
        )
    })?;
    if request.header("x-amz-security-token") != Some(caller.session_token.as_str()) {
        return Err(StsError::new(
            StatusCode::FORBIDDEN,
            "InvalidClientTokenId",
            INVALID_TOKEN_MESSAGE,
        ));
    }
    if caller.expired_at(now) {
        return Err(StsError::new(
            StatusCode::BAD_REQUEST,
            "ExpiredToken",
            "The security token included in the request is expired",
        ));
    }
    let canonical = canonical_request(request, &auth.signed_headers);
    let expected = sigv4::signature(
        &caller.secret_access_key,
        amz_date,
        auth.region,
        auth.service,
        &canonical,
    );
    if auth.signature != expected {
        return Err(StsError::signature_mismatch(SIGNATURE_MISMATCH_MESSAGE));
    }
    Ok((caller, auth.region.to_owned()))
}

/// Refuses a request signed more than 15 minutes from `now`, with the
/// service's messages.
fn check_clock_skew(
    amz_date: &str,
    signed_at: SystemTime,
    now: SystemTime,
) -> Result<(), StsError> {
    let shown = |at: SystemTime| sigv4::amz_date(OffsetDateTime::from(at));
    if signed_at + CLOCK_SKEW < now {
        return Err(StsError::signature_mismatch(format!(
            "Signature expired: {amz_date} is now earlier than {} ({} - 15 min.)",
            shown(now - CLOCK_SKEW),
            shown(now)
        )));
    }
    if signed_at > now + CLOCK_SKEW {
        return Err(StsError::signature_mismatch(format!(
            "Signature not yet current: {amz_date} is still later than {} ({} + 15 min.)",
            shown(now + CLOCK_SKEW),
            shown(now)
        )));
    }
    Ok(())
}

/// The canonical request of what was received, over `signed_headers`.
fn canonical_request(request: &QueryRequest<'_>, signed_headers: &[&str]) -> String {
    let query = sigv4::parse_pairs(request.query).unwrap_or_default();
    let mut canonical = format!(
        "{}\n{}\n{}\n",
        request.method,
        request.path,
        sigv4::canonical_query(&query)
    );
    for name in signed_headers {
        let values: Vec<String> = request
            .headers
            .get_all(*name)
            .iter()
            .map(|value| sigv4::canonical_header_value(&String::from_utf8_lossy(value.as_bytes())))
            .collect();
        canonical.push_str(&format!("{name}:{}\n", values.join(",")));
    }
    canonical.push_str(&format!(
        "\n{}\n{}",
        signed_headers.join(";"),
        sigv4::sha256_hex(request.body)
    ));
    canonical
}

/// The model's constraints on AssumeRole's parameters, all reported at
/// once as the service does (`N validation errors detected: A; B`).
fn validate<'a>(request: &'a QueryRequest<'_>) -> Result<AssumeRoleInput<'a>, StsError> {
    let mut violations = Vec::new();
    let role_arn = request.param("RoleArn");
    let session_name = request.param("RoleSessionName");
    let external_id = request.param("ExternalId");
    let source_identity = request.param("SourceIdentity");
    let duration = request.param("DurationSeconds");

    match role_arn {
        None => violations.push(null_violation("roleArn")),
        Some(arn) => check_string(
            &mut violations,
            "roleArn",
            arn,
            20,
            2048,
            Pattern::Printable,
        ),
    }
    match session_name {
        None => violations.push(null_violation("roleSessionName")),
        Some(name) => check_string(
            &mut violations,
            "roleSessionName",
            name,
            2,
            64,
            Pattern::SessionName,
        ),
    }
    if let Some(id) = external_id {
        check_string(
            &mut violations,
            "externalId",
            id,
            2,
            1224,
            Pattern::ExternalId,
        );
    }
    if let Some(identity) = source_identity {
        check_string(
            &mut violations,
            "sourceIdentity",
            identity,
            2,
            64,
            Pattern::SessionName,
        );
    }
    let duration_seconds = match duration {
        None => None,
        Some(text) => match text.parse::<i64>() {
            Ok(seconds) if seconds < i64::from(*DURATION_RANGE.start()) => {
                violations.push(constraint(
                    "durationSeconds",
                    text,
                    &format!(
                        "Member must have value greater than or equal to {}",
                        DURATION_RANGE.start()
                    ),
                ));
                None
            }
            Ok(seconds) if seconds > i64::from(*DURATION_RANGE.end()) => {
                violations.push(constraint(
                    "durationSeconds",
                    text,
                    &format!(
                        "Member must have value less than or equal to {}",
                        DURATION_RANGE.end()
                    ),
                ));
                None
            }
            Ok(seconds) => u32::try_from(seconds).ok(),
            Err(_) => {
                violations.push(constraint(
                    "durationSeconds",
                    text,
                    "Member must be an integer",
                ));
                None
            }
        },
    };
    let count = violations.len();
    let noun = if count == 1 { "error" } else { "errors" };
    let invalid = || {
        StsError::validation(format!(
            "{count} validation {noun} detected: {}",
            violations.join("; ")
        ))
    };
    // A missing required parameter is always among the violations.
    let (Some(role_arn), Some(session_name), 0) = (role_arn, session_name, count) else {
        return Err(invalid());
    };
    if source_identity.is_some_and(|identity| identity.to_ascii_lowercase().starts_with("aws:")) {
        return Err(StsError::validation(
            "SourceIdentity cannot begin with the reserved prefix 'aws:'",
        ));
    }
    Ok(AssumeRoleInput {
        role_arn,
        session_name,
        external_id,
        source_identity,
        duration_seconds,
    })
}

/// The character sets of STS's string types.
#[derive(Clone, Copy)]
enum Pattern {
    /// `[\u0009\u000A\u000D\u0020-\u007E\u0085\u00A0-\uD7FF\uE000-\uFFFD\u10000-\u10FFFF]+`
    Printable,
    /// `[\w+=,.@-]*`
    SessionName,
    /// `[\w+=,.@:\/-]*`
    ExternalId,
}

impl Pattern {
    fn text(self) -> &'static str {
        match self {
            Pattern::Printable => {
                r"[\u0009\u000A\u000D\u0020-\u007E\u0085\u00A0-\uD7FF\uE000-\uFFFD\u10000-\u10FFFF]+"
            }
            Pattern::SessionName => r"[\w+=,.@-]*",
            Pattern::ExternalId => r"[\w+=,.@:\/-]*",
        }
    }

    fn allows(self, c: char) -> bool {
        let word = c.is_ascii_alphanumeric() || c == '_';
        match self {
            Pattern::Printable => matches!(c,
                '\t' | '\n' | '\r' | ' '..='~' | '\u{85}' | '\u{a0}'..='\u{d7ff}'
                | '\u{e000}'..='\u{fffd}' | '\u{10000}'..='\u{10ffff}'),
            Pattern::SessionName => word || "+=,.@-".contains(c),
            Pattern::ExternalId => word || "+=,.@:/-".contains(c),
        }
    }
}

fn check_string(
    violations: &mut Vec<String>,
    member: &str,
    value: &str,
    min: usize,
    max: usize,
    pattern: Pattern,
) {
    let length = value.chars().count();
    if !value.chars().all(|c| pattern.allows(c))
        || (matches!(pattern, Pattern::Printable) && value.is_empty())
    {
        violations.push(constraint(
            member,
            value,
            &format!(
                "Member must satisfy regular expression pattern: {}",
                pattern.text()
            ),
        ));
    }
    if length < min {
        violations.push(constraint(
            member,
            value,
            &format!("Member must have length greater than or equal to {min}"),
        ));
    } else if length > max {
        violations.push(constraint(
            member,
            value,
            &format!("Member must have length less than or equal to {max}"),
        ));
    }
}

fn constraint(member: &str, value: &str, rule: &str) -> String {
    format!("Value '{value}' at '{member}' failed to satisfy constraint: {rule}")
}

fn null_violation(member: &str) -> String {
    format!("Value null at '{member}' failed to satisfy constraint: Member must not be null")
}

/// `arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME`, with a 12-digit account.
fn parse_role_arn(arn: &str) -> Option<RoleArn<'_>> {
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(partition), Some("iam"), Some(""), Some(account_id), Some(resource)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    let path_and_name = resource.strip_prefix("role/")?;
    let role_name = path_and_name.rsplit('/').next()?;
    let valid_partition = !partition.is_empty()
        && partition
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b == b'-');
    let valid_account = account_id.len() == 12 && account_id.bytes().all(|b| b.is_ascii_digit());
    let valid_name = !role_name.is_empty()
        && path_and_name
            .chars()
            .all(|c| c == '/' || Pattern::SessionName.allows(c));
    (valid_partition && valid_account && valid_name).then_some(RoleArn {
        partition,
        account_id,
        role_name,
    })
}

fn success(issued: &IssuedCredentials) -> Response {
    let request_id = request_id();
    let role_arn = issued.role_arn.as_deref().unwrap_or_default();
    let session_name = issued.session_name.as_deref().unwrap_or_default();
    let source_identity = issued
        .source_identity
        .as_deref()
        .map(|identity| {
            format!(
                "    <SourceIdentity>{}</SourceIdentity>\n",
                xml_escape(identity)
            )
        })
        .unwrap_or_default();
    let body = format!(
        "<AssumeRoleResponse xmlns=\"{NAMESPACE}\">\n  <AssumeRoleResult>\n{source_identity}    \
         <AssumedRoleUser>\n      <AssumedRoleId>{}:{}</AssumedRoleId>\n      \
         <Arn>{}</Arn>\n    </AssumedRoleUser>\n    <Credentials>\n      \
         <AccessKeyId>{}</AccessKeyId>\n      <SecretAccessKey>{}</SecretAccessKey>\n      \
         <SessionToken>{}</SessionToken>\n      <Expiration>{}</Expiration>\n    \
         </Credentials>\n  </AssumeRoleResult>\n  <ResponseMetadata>\n    \
         <RequestId>{request_id}</RequestId>\n  </ResponseMetadata>\n</AssumeRoleResponse>\n",
        role_id(role_arn),
        xml_escape(session_name),
        xml_escape(&issued.session_arn("aws")),
        issued.access_key_id,
        xml_escape(&issued.secret_access_key),
        xml_escape(&issued.session_token),
        iso8601(issued.expiration_epoch_ms),
    );
    xml_response(StatusCode::OK, &request_id, body)
}

fn xml_response(status: StatusCode, request_id: &str, body: String) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml"));
    if let Ok(value) = HeaderValue::from_str(request_id) {
        headers.insert("x-amzn-requestid", value);
    }
    response
}

/// `YYYY-MM-DDTHH:MM:SSZ`, as STS writes `Expiration`.
fn iso8601(epoch_ms: i64) -> String {
    let format = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    let at = UNIX_EPOCH + Duration::from_millis(u64::try_from(epoch_ms).unwrap_or_default());
    OffsetDateTime::from(at).format(format).unwrap_or_default()
}

fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// A fresh request id in the UUID form STS uses.
fn request_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let hex = sigv4::sha256_hex(format!("sts-request-{n}").as_bytes());
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arns_parse_with_paths_and_partitions() {
        let arn = parse_role_arn("arn:aws-cn:iam::123456789012:role/team/a/Deploy").unwrap();
        assert_eq!(
            (arn.partition, arn.account_id, arn.role_name),
            ("aws-cn", "123456789012", "Deploy")
        );
        for bad in [
            "arn:aws:iam::123456789012:user/Deploy",
            "arn:aws:iam::12345678901:role/Deploy",
            "arn:aws:sts::123456789012:role/Deploy",
            "arn:aws:iam:eu-west-1:123456789012:role/Deploy",
            "arn:aws:iam::123456789012:role/",
            "arn:aws:iam::123456789012:role/Bad Name",
            "not an arn at all, long enough",
        ] {
            assert!(parse_role_arn(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn expiration_is_iso8601_utc() {
        assert_eq!(iso8601(1_700_000_000_000), "2023-11-14T22:13:20Z");
    }

    #[test]
    fn clock_skew_is_fifteen_minutes_either_way() {
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let at = |offset: i64| {
            let signed = if offset < 0 {
                now - Duration::from_secs(offset.unsigned_abs())
            } else {
                now + Duration::from_secs(offset.unsigned_abs())
            };
            check_clock_skew("20231114T221320Z", signed, now)
        };
        assert!(at(-899).is_ok() && at(899).is_ok());
        assert!(
            at(-901)
                .unwrap_err()
                .message
                .starts_with("Signature expired")
        );
        assert!(
            at(901)
                .unwrap_err()
                .message
                .starts_with("Signature not yet current")
        );
    }

    #[test]
    fn xml_is_escaped() {
        assert_eq!(xml_escape("a<b>&'\""), "a&lt;b&gt;&amp;&apos;&quot;");
        let id = request_id();
        assert_eq!(id.len(), 36);
        assert_ne!(id, request_id());
    }
}
