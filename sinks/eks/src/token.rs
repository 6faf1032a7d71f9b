//! The EKS token: a presigned STS `GetCallerIdentity` URL, as the cluster's
//! authenticator (aws-iam-authenticator) checks it.

use std::borrow::Cow;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    SignableBody, SignableRequest, SignatureLocation, SigningSettings, sign,
};
use aws_sigv4::sign::v4;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use ssocred_core::sink::CredentialSet;
use ssocred_core::{ExposeSecret, SinkError};

/// What every EKS token starts with.
pub const EKS_TOKEN_PREFIX: &str = "k8s-aws-v1.";
/// The longest token the authenticator accepts.
pub const MAX_TOKEN_BYTES: usize = 4096;
/// The presign expiry the AWS CLI uses; the cluster ignores it and accepts a
/// token for 15 minutes after its `X-Amz-Date`.
const PRESIGN_EXPIRY: Duration = Duration::from_secs(60);
/// The header that carries the cluster name, signed.
const CLUSTER_HEADER: &str = "x-k8s-aws-id";
/// SigV4's URI encoding: everything but the unreserved characters.
const URI_ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// What a token is made of.
#[derive(Debug)]
pub struct TokenRequest<'a> {
    /// The credentials that sign it.
    pub set: &'a CredentialSet,
    /// The cluster name, already checked.
    pub cluster: &'a str,
    /// The STS region, already checked.
    pub region: &'a str,
    /// The signing time (`X-Amz-Date`).
    pub signed_at: SystemTime,
}

/// The EKS token for `request`: `k8s-aws-v1.` and the unpadded base64url of
/// the presigned URL. `Err` if the region names no STS host or the token
/// would exceed [`MAX_TOKEN_BYTES`]; no message holds a secret.
pub fn eks_token(request: &TokenRequest<'_>) -> Result<String, SinkError> {
    let url = presigned_url(request)?;
    let token = format!("{EKS_TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(url));
    if token.len() > MAX_TOKEN_BYTES {
        return Err(SinkError::refused(
            "eks",
            format!(
                "the token would be {} bytes, over the cluster's limit of {MAX_TOKEN_BYTES}",
                token.len()
            ),
        ));
    }
    Ok(token)
}

/// The STS host of `region`, in its partition.
fn sts_host(region: &str) -> Result<String, SinkError> {
    let partition = ssocred_core::domain::endpoints::partition_of(region)
        .map_err(|e| SinkError::usage("eks", format!("STS region: {e}")))?;
    Ok(format!(
        "sts.{}.{}",
        region.to_ascii_lowercase(),
        partition.dns_suffix()
    ))
}

fn presigned_url(request: &TokenRequest<'_>) -> Result<String, SinkError> {
    let failed = |what: &str, e: &dyn std::fmt::Display| {
        SinkError::refused("eks", format!("cannot presign the token: {what}: {e}"))
    };
    let host = sts_host(request.region)?;
    let region = request.region.to_ascii_lowercase();
    let base = format!("https://{host}/?Action=GetCallerIdentity&Version=2011-06-15");
    let set = request.set;
    let identity = Credentials::new(
        set.access_key_id.clone(),
        set.secret_access_key.expose_secret().to_owned(),
        Some(set.session_token.expose_secret().to_owned()),
        None,
        "ssocred",
    )
    .into();
    let mut settings = SigningSettings::default();
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(PRESIGN_EXPIRY);
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(&region)
        .name("sts")
        .time(request.signed_at)
        .settings(settings)
        .build()
        .map_err(|e| failed("parameters", &e))?
        .into();
    let signable = SignableRequest::new(
        "GET",
        base.as_str(),
        [(CLUSTER_HEADER, request.cluster)].into_iter(),
        SignableBody::Bytes(&[]),
    )
    .map_err(|e| failed("request", &e))?;
    let (instructions, _signature) = sign(signable, &params)
        .map_err(|e| failed("signature", &e))?
        .into_parts();
    let mut url = base;
    for (name, value) in instructions.params() {
        let value: &Cow<'static, str> = value;
        url.push('&');
        url.push_str(name);
        url.push('=');
        url.extend(utf8_percent_encode(value, URI_ENCODE));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ssocred_core::domain::variables::sample_set;

    fn decode(token: &str) -> String {
        let body = token.strip_prefix(EKS_TOKEN_PREFIX).unwrap();
        String::from_utf8(URL_SAFE_NO_PAD.decode(body).unwrap()).unwrap()
    }

    #[test]
    fn the_url_is_a_presigned_get_caller_identity_of_the_regional_sts() {
        let set = sample_set();
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let token = eks_token(&TokenRequest {
            set: &set,
            cluster: "prod",
            region: "eu-west-1",
            signed_at: at,
        })
        .unwrap();
        assert!(!token.contains('='), "unpadded: {token}");
        let url = decode(&token);
        assert!(
            url.starts_with(
                "https://sts.eu-west-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&"
            ),
            "{url}"
        );
        for part in [
            "X-Amz-Algorithm=AWS4-HMAC-SHA256",
            "X-Amz-Date=20231114T221320Z",
            "X-Amz-Expires=60",
            "X-Amz-SignedHeaders=host%3Bx-k8s-aws-id",
            "X-Amz-Credential=",
            "X-Amz-Security-Token=",
            "X-Amz-Signature=",
        ] {
            assert!(url.contains(part), "{part} in {url}");
        }
        let cn = eks_token(&TokenRequest {
            set: &set,
            cluster: "prod",
            region: "cn-north-1",
            signed_at: at,
        })
        .unwrap();
        assert!(decode(&cn).starts_with("https://sts.cn-north-1.amazonaws.com.cn/?"));
    }

    #[test]
    fn a_token_over_four_kib_is_refused_without_showing_secrets() {
        let mut set = sample_set();
        let huge = "T".repeat(3000);
        set.session_token = huge.clone().into();
        let e = eks_token(&TokenRequest {
            set: &set,
            cluster: "prod",
            region: "eu-west-1",
            signed_at: SystemTime::now(),
        })
        .unwrap_err();
        let shown = e.to_string();
        assert!(
            shown.contains("over the cluster's limit of 4096"),
            "{shown}"
        );
        assert!(
            !shown.contains(&huge) && !shown.contains("wJalr"),
            "{shown}"
        );
        assert_eq!(e.exit_code(), ssocred_core::ExitClass::Usage);
    }
}
