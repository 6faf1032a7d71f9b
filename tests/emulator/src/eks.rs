//! EKS tokens, checked as a cluster's authenticator and STS check them.
//!
//! An EKS token is `k8s-aws-v1.` and the unpadded base64url of a presigned
//! STS `GetCallerIdentity` URL. The cluster (aws-iam-authenticator) checks
//! the token's size, host, query parameters and `X-Amz-Date` (15 minutes,
//! whatever `X-Amz-Expires` says), then sends the URL to STS with its own
//! cluster name in `x-k8s-aws-id`; STS recomputes the SigV4 signature with
//! the key's secret and answers with the caller's ARN.
//!
//! [`verify_token`] does all of that against the credentials the emulator
//! issued. Its SigV4 is the emulator's own ([`crate::sigv4`], written from
//! the specification), so that it checks ssocred's presigning (aws-sigv4)
//! independently. [`presign_token`] makes a token the same way, for tests
//! that need one ssocred would never make (signed long ago, for another
//! cluster).

use std::time::{Duration, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use time::OffsetDateTime;

use crate::IssuedCredentials;
use crate::sigv4::{self, amz_date, parse_amz_date, partition, percent_decode, uri_encode};

/// What every EKS token starts with.
pub const TOKEN_PREFIX: &str = "k8s-aws-v1.";
/// The longest token the authenticator accepts.
pub const MAX_TOKEN_BYTES: usize = 4096;
/// How long after its `X-Amz-Date` a token is accepted.
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(15 * 60);
/// The query parameters the authenticator allows, lower case.
const ALLOWED_PARAMS: [&str; 9] = [
    "action",
    "version",
    "x-amz-algorithm",
    "x-amz-credential",
    "x-amz-date",
    "x-amz-expires",
    "x-amz-security-token",
    "x-amz-signature",
    "x-amz-signedheaders",
];
const CLUSTER_HEADER: &str = "x-k8s-aws-id";
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// Checks `token` as the cluster named `cluster` would at `now`, against the
/// credentials in `issued`: `Ok` with the caller's ARN
/// (`arn:PARTITION:sts::ACCOUNT:assumed-role/ROLE/SESSION`, where SESSION
/// is `ssocred-emulator` for SSO credentials), or
/// `Err` with the reason, which never holds a secret.
pub fn verify_token(
    issued: &[IssuedCredentials],
    token: &str,
    cluster: &str,
    now: SystemTime,
) -> Result<String, String> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(format!(
            "token is {} bytes, over {MAX_TOKEN_BYTES}",
            token.len()
        ));
    }
    let body = token
        .strip_prefix(TOKEN_PREFIX)
        .ok_or("token does not start with k8s-aws-v1.")?;
    let url = URL_SAFE_NO_PAD
        .decode(body)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or("token is not unpadded base64url of a URL")?;
    let rest = url.strip_prefix("https://").ok_or("the URL is not https")?;
    let (host, query) = rest
        .split_once("/?")
        .ok_or("the URL is not https://HOST/?QUERY")?;
    let region = sts_region(host).ok_or_else(|| format!("`{host}` is not an STS host"))?;
    let params = parse_query(query)?;
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .ok_or_else(|| format!("missing query parameter {name}"))
    };
    if get("Action")? != "GetCallerIdentity" {
        return Err("Action is not GetCallerIdentity".into());
    }
    if get("X-Amz-Algorithm")? != "AWS4-HMAC-SHA256" {
        return Err("X-Amz-Algorithm is not AWS4-HMAC-SHA256".into());
    }
    let signed_headers = get("X-Amz-SignedHeaders")?;
    let signed: Vec<&str> = signed_headers.split(';').collect();
    if !signed.contains(&CLUSTER_HEADER) || !signed.contains(&"host") {
        return Err(format!(
            "X-Amz-SignedHeaders `{signed_headers}` lacks host or {CLUSTER_HEADER}"
        ));
    }
    if signed.iter().any(|h| *h != "host" && *h != CLUSTER_HEADER) {
        return Err(format!(
            "X-Amz-SignedHeaders `{signed_headers}` signs headers the cluster does not send"
        ));
    }
    let date_text = get("X-Amz-Date")?;
    let date = parse_amz_date(date_text).ok_or("X-Amz-Date is not YYYYMMDDTHHMMSSZ")?;
    let age = now
        .duration_since(SystemTime::from(date))
        .unwrap_or_default();
    if age > TOKEN_LIFETIME {
        return Err(format!(
            "token expired: signed at {date_text}, {} s ago (accepted for {} s)",
            age.as_secs(),
            TOKEN_LIFETIME.as_secs()
        ));
    }
    let credential = get("X-Amz-Credential")?;
    let [key_id, scope_date, scope_region, service, terminal] = credential
        .split('/')
        .collect::<Vec<_>>()
        .try_into()
        .map_err(|_| "X-Amz-Credential is not KEY/DATE/REGION/sts/aws4_request")?;
    if scope_date != &date_text[..8] || scope_region != region || service != "sts" {
        return Err(format!(
            "credential scope {scope_date}/{scope_region}/{service} does not match {}/{region}/sts",
            &date_text[..8]
        ));
    }
    if terminal != "aws4_request" {
        return Err("credential scope does not end in aws4_request".into());
    }
    let creds = issued
        .iter()
        .find(|c| c.access_key_id == key_id)
        .ok_or_else(|| format!("access key {key_id} was never issued"))?;
    if get("X-Amz-Security-Token")? != creds.session_token {
        return Err(format!(
            "the session token is not the one issued with {key_id}"
        ));
    }
    let expected = signature(
        &creds.secret_access_key,
        host,
        region,
        date_text,
        cluster,
        &params,
    );
    if get("X-Amz-Signature")? != expected {
        return Err(format!(
            "SignatureDoesNotMatch: the signature is not that of {key_id} for cluster `{cluster}`"
        ));
    }
    Ok(creds.session_arn(partition(region)))
}

/// A token for `cluster` presigned with `creds` in `region` at `at`, as
/// ssocred and the AWS CLI make them.
pub fn presign_token(
    creds: &IssuedCredentials,
    region: &str,
    cluster: &str,
    at: SystemTime,
) -> String {
    let suffix = if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    let host = format!("sts.{region}.{suffix}");
    let date = amz_date(OffsetDateTime::from(at));
    let credential = format!(
        "{}/{}/{region}/sts/aws4_request",
        creds.access_key_id,
        &date[..8]
    );
    let mut params: Vec<(String, String)> = [
        ("Action", "GetCallerIdentity"),
        ("Version", "2011-06-15"),
        ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
        ("X-Amz-Credential", &credential),
        ("X-Amz-Date", &date),
        ("X-Amz-Expires", "60"),
        ("X-Amz-SignedHeaders", "host;x-k8s-aws-id"),
        ("X-Amz-Security-Token", &creds.session_token),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let sig = signature(
        &creds.secret_access_key,
        &host,
        region,
        &date,
        cluster,
        &params,
    );
    params.push(("X-Amz-Signature".to_owned(), sig));
    let query: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{}={}", uri_encode(k), uri_encode(v)))
        .collect();
    let url = format!("https://{host}/?{}", query.join("&"));
    format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(url))
}

/// The SigV4 signature of `GET https://HOST/?PARAMS` (without
/// `X-Amz-Signature`) with the headers `host` and `x-k8s-aws-id: CLUSTER`.
fn signature(
    secret: &str,
    host: &str,
    region: &str,
    date: &str,
    cluster: &str,
    params: &[(String, String)],
) -> String {
    let canonical = format!(
        "GET\n/\n{}\nhost:{host}\n{CLUSTER_HEADER}:{}\n\nhost;{CLUSTER_HEADER}\n{EMPTY_SHA256}",
        sigv4::canonical_query(params),
        cluster.trim()
    );
    sigv4::signature(secret, date, region, "sts", &canonical)
}

/// The query's parameters, decoded; an unknown or repeated one is refused,
/// as the authenticator refuses it.
fn parse_query(query: &str) -> Result<Vec<(String, String)>, String> {
    let mut params: Vec<(String, String)> = Vec::new();
    for pair in query.split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let (k, v) = percent_decode(k)
            .zip(percent_decode(v))
            .ok_or("the query is not percent-encoded UTF-8")?;
        let lower = k.to_ascii_lowercase();
        if !ALLOWED_PARAMS.contains(&lower.as_str()) {
            let shown: String = k.chars().take(40).collect();
            return Err(format!("query parameter {shown:?} is not allowed"));
        }
        if params.iter().any(|(p, _)| p.eq_ignore_ascii_case(&k)) {
            return Err(format!("query parameter {k} is repeated"));
        }
        params.push((k, v));
    }
    Ok(params)
}

/// The region of an STS host the authenticator accepts
/// (`sts[.REGION].amazonaws.com[.cn]`); the global host signs in us-east-1.
fn sts_region(host: &str) -> Option<&str> {
    let rest = host.strip_prefix("sts.")?;
    let region = rest
        .strip_suffix(".amazonaws.com.cn")
        .or_else(|| rest.strip_suffix(".amazonaws.com"));
    match region {
        Some(r)
            if !r.is_empty()
                && r.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') =>
        {
            Some(r)
        }
        _ if rest == "amazonaws.com" => Some("us-east-1"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds() -> IssuedCredentials {
        IssuedCredentials::generate("123456789012", "Admin", 1, Duration::from_secs(3600))
    }

    #[test]
    fn a_presigned_token_verifies_until_fifteen_minutes_after_its_date() {
        let c = creds();
        let at = SystemTime::now();
        let token = presign_token(&c, "eu-west-1", "prod", at);
        let issued = [c.clone()];
        assert_eq!(
            verify_token(&issued, &token, "prod", at).unwrap(),
            "arn:aws:sts::123456789012:assumed-role/Admin/ssocred-emulator"
        );
        let late = at + TOKEN_LIFETIME + Duration::from_secs(2);
        assert!(
            verify_token(&issued, &token, "prod", late)
                .unwrap_err()
                .contains("expired")
        );
        let e = verify_token(&issued, &token, "staging", at).unwrap_err();
        assert!(e.contains("SignatureDoesNotMatch"), "{e}");
        assert!(!e.contains(&c.secret_access_key) && !e.contains(&c.session_token));
        assert!(
            verify_token(&[], &token, "prod", at)
                .unwrap_err()
                .contains("never issued")
        );
    }
}
