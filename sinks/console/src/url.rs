//! The federation endpoint's URLs, per partition: pure functions, tested
//! without a network.

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use ssocred_core::sink::CredentialSet;
use ssocred_core::{ExposeSecret, SecretString};

/// The partition a role lives in, which chooses the sign-in and console
/// hosts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Partition {
    /// `aws`.
    Aws,
    /// `aws-us-gov` (AWS GovCloud (US)).
    UsGov,
    /// `aws-cn` (China).
    China,
}

impl Partition {
    /// The partition an ARN names; ARNs are parsed to one of the three.
    pub fn of(name: &str) -> Partition {
        match name {
            "aws-us-gov" => Partition::UsGov,
            "aws-cn" => Partition::China,
            _ => Partition::Aws,
        }
    }

    /// The federation endpoint.
    pub fn federation_endpoint(self) -> &'static str {
        match self {
            Partition::Aws => "https://signin.aws.amazon.com/federation",
            Partition::UsGov => "https://signin.amazonaws-us-gov.com/federation",
            Partition::China => "https://signin.amazonaws.cn/federation",
        }
    }

    /// The console's host.
    pub fn console_host(self) -> &'static str {
        match self {
            Partition::Aws => "console.aws.amazon.com",
            Partition::UsGov => "console.amazonaws-us-gov.com",
            Partition::China => "console.amazonaws.cn",
        }
    }
}

/// Where the console opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsoleDestination {
    /// The console home.
    Home,
    /// A service's home page, such as `s3`.
    Service(String),
    /// A full console URL, checked against the partition when it is known.
    Url(String),
}

impl ConsoleDestination {
    /// Reads the `destination` option: a service name (lower-case letters,
    /// digits and `-`) or an `https://` URL.
    pub fn parse(text: Option<&str>) -> Result<ConsoleDestination, String> {
        let Some(text) = text else {
            return Ok(ConsoleDestination::Home);
        };
        if text.starts_with("https://") {
            if text
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || !c.is_ascii())
            {
                return Err("`destination` must be a plain https URL".to_owned());
            }
            return Ok(ConsoleDestination::Url(text.to_owned()));
        }
        let is_service = !text.is_empty()
            && text.len() <= 64
            && text
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if is_service {
            Ok(ConsoleDestination::Service(text.to_owned()))
        } else {
            Err(format!(
                "`destination` is a service name such as `s3`, or an https:// console URL, not `{}`",
                ssocred_core::text::visible(text)
            ))
        }
    }

    /// The console URL in `partition`, in `region` for a service or the
    /// home page. A URL whose host is not the partition's console (or one of
    /// its regional subdomains) is refused.
    pub fn url(&self, partition: Partition, region: Option<&str>) -> Result<String, String> {
        let host = partition.console_host();
        let query = region.map(|r| format!("?region={r}")).unwrap_or_default();
        match self {
            ConsoleDestination::Home => Ok(format!("https://{host}/console/home{query}")),
            ConsoleDestination::Service(service) => {
                Ok(format!("https://{host}/{service}/home{query}"))
            }
            ConsoleDestination::Url(url) => {
                let rest = url.strip_prefix("https://").unwrap_or(url);
                let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
                let suffix = format!(".{host}");
                if authority == host || authority.ends_with(&suffix) {
                    Ok(url.clone())
                } else {
                    Err(format!(
                        "`destination` {url} is not a console URL of the role's partition (https://{host}/...)"
                    ))
                }
            }
        }
    }
}

/// The console session's length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionDuration(u32);

impl SessionDuration {
    /// The shortest the federation endpoint accepts, in seconds.
    pub const MIN: u32 = 900;
    /// The longest, in seconds.
    pub const MAX: u32 = 43_200;

    /// Reads seconds (`3600`) or a number with a unit (`3600s`, `90m`,
    /// `12h`), from 900 s to 43200 s.
    pub fn parse(text: &str) -> Result<SessionDuration, String> {
        let bad = || {
            format!(
                "`duration` is seconds from {} to {} (or with a unit: `90m`, `12h`), not `{}`",
                Self::MIN,
                Self::MAX,
                ssocred_core::text::visible(text)
            )
        };
        let (number, unit) = match text.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
            Some((at, _)) => text.split_at(at),
            None => (text, "s"),
        };
        let scale = match unit {
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            _ => return Err(bad()),
        };
        let seconds = number
            .parse::<u32>()
            .ok()
            .and_then(|n| n.checked_mul(scale))
            .ok_or_else(bad)?;
        if (Self::MIN..=Self::MAX).contains(&seconds) {
            Ok(SessionDuration(seconds))
        } else {
            Err(bad())
        }
    }

    /// In seconds.
    pub fn seconds(self) -> u32 {
        self.0
    }
}

/// Checks a region name for a console URL.
pub fn check_region(region: &str) -> Result<(), String> {
    let ok = !region.is_empty()
        && region.len() <= 32
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`region` is a region name such as `eu-west-1`, not `{}`",
            ssocred_core::text::visible(region)
        ))
    }
}

/// Checks an overriding federation endpoint: an `http://` or `https://` URL
/// without a query.
pub fn check_endpoint(endpoint: &str) -> Result<String, String> {
    let ok = (endpoint.starts_with("https://") || endpoint.starts_with("http://"))
        && !endpoint.contains(['?', '#'])
        && !endpoint
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || !c.is_ascii());
    if ok {
        Ok(endpoint.trim_end_matches('/').to_owned())
    } else {
        Err(format!(
            "expected an http(s) URL without a query, such as https://signin.aws.amazon.com/federation, not `{}`",
            ssocred_core::text::visible(endpoint)
        ))
    }
}

fn encode(text: &str) -> String {
    utf8_percent_encode(text, NON_ALPHANUMERIC).to_string()
}

/// The `getSigninToken` request: holds the set's secrets, so it is never
/// shown.
pub fn signin_token_request(
    endpoint: &str,
    set: &CredentialSet,
    duration: Option<SessionDuration>,
) -> String {
    let session = serde_json::json!({
        "sessionId": set.access_key_id,
        "sessionKey": set.secret_access_key.expose_secret(),
        "sessionToken": set.session_token.expose_secret(),
    });
    let duration = duration
        .map(|d| format!("&SessionDuration={}", d.seconds()))
        .unwrap_or_default();
    format!(
        "{endpoint}?Action=getSigninToken{duration}&Session={}",
        encode(&session.to_string())
    )
}

/// The longest sign-in token accepted from the endpoint.
const MAX_TOKEN: usize = 16 * 1024;

/// The `SigninToken` of a `getSigninToken` answer.
pub fn parse_token(body: &[u8]) -> Result<SecretString, String> {
    #[derive(serde::Deserialize)]
    struct Answer {
        #[serde(rename = "SigninToken")]
        signin_token: String,
    }
    let answer: Answer = serde_json::from_slice(body)
        .map_err(|_| "getSigninToken answered without a SigninToken".to_owned())?;
    let token = answer.signin_token;
    if token.is_empty() || token.len() > MAX_TOKEN {
        return Err("getSigninToken answered an empty or oversized SigninToken".to_owned());
    }
    Ok(SecretString::from(token))
}

/// The login URL; its sign-in token is a secret.
pub struct LoginUrl {
    prefix: String,
    token: SecretString,
}

impl std::fmt::Debug for LoginUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl LoginUrl {
    /// `endpoint?Action=login&Issuer=ssocred&Destination=...&SigninToken=...`.
    pub fn new(endpoint: &str, destination: &str, token: SecretString) -> LoginUrl {
        LoginUrl {
            prefix: format!(
                "{endpoint}?Action=login&Issuer=ssocred&Destination={}&SigninToken=",
                encode(destination)
            ),
            token,
        }
    }

    /// The whole URL, token included: for the person who asked.
    pub fn text(&self) -> String {
        format!("{}{}", self.prefix, encode(self.token.expose_secret()))
    }

    /// The URL with the token replaced by `<redacted>`, for `-v`.
    pub fn redacted(&self) -> String {
        format!("{}<redacted>", self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_partition_has_its_own_hosts() {
        assert_eq!(
            Partition::of("aws").federation_endpoint(),
            "https://signin.aws.amazon.com/federation"
        );
        assert_eq!(
            Partition::of("aws-us-gov").federation_endpoint(),
            "https://signin.amazonaws-us-gov.com/federation"
        );
        assert_eq!(
            Partition::of("aws-cn").federation_endpoint(),
            "https://signin.amazonaws.cn/federation"
        );
        assert_eq!(
            Partition::UsGov.console_host(),
            "console.amazonaws-us-gov.com"
        );
        assert_eq!(Partition::China.console_host(), "console.amazonaws.cn");
    }

    #[test]
    fn destinations_are_services_or_urls_of_the_partition() {
        let s3 = ConsoleDestination::parse(Some("s3")).unwrap();
        assert_eq!(
            s3.url(Partition::China, Some("cn-north-1")).unwrap(),
            "https://console.amazonaws.cn/s3/home?region=cn-north-1"
        );
        let home = ConsoleDestination::parse(None).unwrap();
        assert_eq!(
            home.url(Partition::Aws, None).unwrap(),
            "https://console.aws.amazon.com/console/home"
        );
        let url = "https://us-east-1.console.aws.amazon.com/ec2/home#Instances";
        let d = ConsoleDestination::parse(Some(url)).unwrap();
        assert_eq!(d.url(Partition::Aws, Some("eu-west-1")).unwrap(), url);
        assert!(d.url(Partition::UsGov, None).is_err());
        let evil = ConsoleDestination::parse(Some("https://console.aws.amazon.com@evil.example/"));
        assert!(evil.unwrap().url(Partition::Aws, None).is_err());
        for bad in ["S3", "s3 x", "", "http://console.aws.amazon.com/", "../x"] {
            assert!(ConsoleDestination::parse(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn durations_are_900_to_43200_seconds() {
        assert_eq!(SessionDuration::parse("900").unwrap().seconds(), 900);
        assert_eq!(SessionDuration::parse("12h").unwrap().seconds(), 43_200);
        assert_eq!(SessionDuration::parse("90m").unwrap().seconds(), 5400);
        for bad in ["899", "43201", "13h", "1d", "", "h", "-900", "99999999999"] {
            assert!(SessionDuration::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_login_url_hides_its_token_when_redacted() {
        let url = LoginUrl::new(
            "https://signin.aws.amazon.com/federation",
            "https://console.aws.amazon.com/s3/home",
            SecretString::from("tok/+="),
        );
        assert_eq!(
            url.text(),
            "https://signin.aws.amazon.com/federation?Action=login&Issuer=ssocred&Destination=https%3A%2F%2Fconsole%2Eaws%2Eamazon%2Ecom%2Fs3%2Fhome&SigninToken=tok%2F%2B%3D"
        );
        assert!(url.redacted().ends_with("SigninToken=<redacted>"));
        assert!(!format!("{url:?}").contains("tok"));
    }

    #[test]
    fn tokens_are_read_bounded() {
        assert!(parse_token(br#"{"SigninToken":"abc"}"#).is_ok());
        assert!(parse_token(br#"{"SigninToken":""}"#).is_err());
        assert!(parse_token(b"<html>").is_err());
        let long = format!(r#"{{"SigninToken":"{}"}}"#, "a".repeat(MAX_TOKEN + 1));
        assert!(parse_token(long.as_bytes()).is_err());
    }
}
