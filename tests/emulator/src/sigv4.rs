//! AWS Signature Version 4, written from the specification ("Create a
//! signed AWS API request" in the IAM User Guide) with `hmac` and `sha2`,
//! so that the emulator checks the signatures of ssocred's SDK clients
//! independently of the SDK's own signer.
//!
//! Both places the emulator verifies a signature use it: EKS tokens
//! (presigned query strings, [`crate::eks`]) and STS requests signed in the
//! `Authorization` header ([`crate::sts`]).

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::macros::format_description;

/// The only algorithm SigV4 names.
pub(crate) const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// The credential scope's last part.
pub(crate) const TERMINATOR: &str = "aws4_request";

/// The signature of `canonical_request` with `secret`, dated `amz_date`
/// (`YYYYMMDDTHHMMSSZ`), for `region` and `service`.
pub(crate) fn signature(
    secret: &str,
    amz_date: &str,
    region: &str,
    service: &str,
    canonical_request: &str,
) -> String {
    let day = amz_date.get(..8).unwrap_or_default();
    let string_to_sign = format!(
        "{ALGORITHM}\n{amz_date}\n{day}/{region}/{service}/{TERMINATOR}\n{}",
        sha256_hex(canonical_request.as_bytes())
    );
    let mut key = hmac(format!("AWS4{secret}").as_bytes(), day.as_bytes());
    for part in [region, service, TERMINATOR] {
        key = hmac(&key, part.as_bytes());
    }
    hex(&hmac(&key, string_to_sign.as_bytes()))
}

/// The canonical query string: each name and value URI-encoded, the pairs
/// sorted, `X-Amz-Signature` left out.
pub(crate) fn canonical_query(params: &[(String, String)]) -> String {
    let mut pairs: Vec<(String, String)> = params
        .iter()
        .filter(|(name, _)| name != "X-Amz-Signature")
        .map(|(name, value)| (uri_encode(name), uri_encode(value)))
        .collect();
    pairs.sort();
    let pairs: Vec<String> = pairs
        .into_iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect();
    pairs.join("&")
}

/// A header value as it enters the canonical request: trimmed, with runs of
/// spaces inside collapsed to one.
pub(crate) fn canonical_header_value(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The parts of an `Authorization: AWS4-HMAC-SHA256 Credential=...,
/// SignedHeaders=..., Signature=...` header.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Authorization<'a> {
    pub(crate) access_key_id: &'a str,
    /// `YYYYMMDD`.
    pub(crate) day: &'a str,
    pub(crate) region: &'a str,
    pub(crate) service: &'a str,
    /// Lower case, in the order given.
    pub(crate) signed_headers: Vec<&'a str>,
    pub(crate) signature: &'a str,
}

impl<'a> Authorization<'a> {
    /// Parses the header; `Err` says what is malformed.
    pub(crate) fn parse(header: &'a str) -> Result<Self, String> {
        let rest = header
            .strip_prefix(ALGORITHM)
            .filter(|rest| rest.starts_with(' '))
            .ok_or_else(|| format!("Authorization header must start with {ALGORITHM}"))?;
        let mut credential = None;
        let mut signed_headers = None;
        let mut signature = None;
        for part in rest.split(',') {
            let (name, value) = part
                .trim()
                .split_once('=')
                .ok_or("Authorization header parts must be NAME=VALUE")?;
            match name {
                "Credential" => credential = Some(value),
                "SignedHeaders" => signed_headers = Some(value),
                "Signature" => signature = Some(value),
                _ => {}
            }
        }
        let (Some(credential), Some(signed_headers), Some(signature)) =
            (credential, signed_headers, signature)
        else {
            return Err(
                "Authorization header requires Credential, SignedHeaders and Signature".into(),
            );
        };
        let [access_key_id, day, region, service, terminator]: [&str; 5] = credential
            .split('/')
            .collect::<Vec<_>>()
            .try_into()
            .map_err(|_| "Credential must be KEY/DATE/REGION/SERVICE/aws4_request")?;
        if terminator != TERMINATOR {
            return Err(format!("Credential must end in {TERMINATOR}"));
        }
        Ok(Self {
            access_key_id,
            day,
            region,
            service,
            signed_headers: signed_headers.split(';').collect(),
            signature,
        })
    }
}

pub(crate) fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC takes a key of any length, so this never fails.
    let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(key) else {
        return Vec::new();
    };
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// SigV4's URI encoding: every byte but `A-Za-z0-9-_.~` as `%XX`.
pub(crate) fn uri_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes a query string or form component (`%XX`, and `+` for a space).
pub(crate) fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = text.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// `NAME=VALUE&...` decoded, in order; `None` if it is not percent-encoded
/// UTF-8. An empty string has no pairs.
pub(crate) fn parse_pairs(text: &str) -> Option<Vec<(String, String)>> {
    text.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            percent_decode(name).zip(percent_decode(value))
        })
        .collect()
}

/// The partition of a region: `aws-cn` for `cn-*`, `aws-us-gov` for
/// `us-gov-*`, `aws` otherwise.
pub(crate) fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// `YYYYMMDDTHHMMSSZ`, as `X-Amz-Date` carries it.
pub(crate) fn parse_amz_date(text: &str) -> Option<OffsetDateTime> {
    let format = format_description!("[year][month][day]T[hour][minute][second]Z");
    time::PrimitiveDateTime::parse(text, format)
        .ok()
        .map(time::PrimitiveDateTime::assume_utc)
}

pub(crate) fn amz_date(at: OffsetDateTime) -> String {
    let format = format_description!("[year][month][day]T[hour][minute][second]Z");
    at.format(format).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// docs.aws.amazon.com, "Examples of how to derive a signing key".
    #[test]
    fn signing_key_matches_the_documented_example() {
        let mut key = hmac(b"AWS4wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", b"20120215");
        for part in ["us-east-1", "iam", TERMINATOR] {
            key = hmac(&key, part.as_bytes());
        }
        assert_eq!(
            hex(&key),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
        );
    }

    /// The SigV4 test suite's `get-vanilla` case (service `service`,
    /// us-east-1, the example secret).
    #[test]
    fn signature_matches_the_test_suites_get_vanilla() {
        let canonical = "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n\
                         host;x-amz-date\n\
                         e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        assert_eq!(
            signature(
                "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                "20150830T123600Z",
                "us-east-1",
                "service",
                canonical
            ),
            "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        );
    }

    #[test]
    fn authorization_headers_parse() {
        let header = "AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE/20240102/eu-west-1/sts/aws4_request, \
                      SignedHeaders=content-type;host;x-amz-date, Signature=abc123";
        let parsed = Authorization::parse(header).unwrap();
        assert_eq!(parsed.access_key_id, "ASIAEXAMPLE");
        assert_eq!(parsed.day, "20240102");
        assert_eq!(parsed.region, "eu-west-1");
        assert_eq!(parsed.service, "sts");
        assert_eq!(
            parsed.signed_headers,
            ["content-type", "host", "x-amz-date"]
        );
        assert_eq!(parsed.signature, "abc123");
        for bad in [
            "AWS4-HMAC-SHA1 Credential=a/b/c/d/aws4_request, SignedHeaders=host, Signature=x",
            "AWS4-HMAC-SHA256 Credential=a/b/c/aws4_request, SignedHeaders=host, Signature=x",
            "AWS4-HMAC-SHA256 Credential=a/b/c/d/aws5_request, SignedHeaders=host, Signature=x",
            "AWS4-HMAC-SHA256 Credential=a/b/c/d/aws4_request, Signature=x",
        ] {
            assert!(Authorization::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn forms_decode_and_header_values_collapse() {
        assert_eq!(
            parse_pairs("Action=AssumeRole&RoleArn=arn%3Aaws%3Aiam&X=a+b&Empty=").unwrap(),
            [
                ("Action".to_owned(), "AssumeRole".to_owned()),
                ("RoleArn".to_owned(), "arn:aws:iam".to_owned()),
                ("X".to_owned(), "a b".to_owned()),
                ("Empty".to_owned(), String::new()),
            ]
        );
        assert!(parse_pairs("A=%zz").is_none());
        assert_eq!(canonical_header_value("  a   b c "), "a b c");
        assert_eq!(partition("cn-north-1"), "aws-cn");
        assert_eq!(partition("us-gov-west-1"), "aws-us-gov");
        assert_eq!(partition("eu-west-1"), "aws");
    }
}
