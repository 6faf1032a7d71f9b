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
    /// digits and `-`) or an `https://` URL on a console host of one of the
    /// partitions ([`console_url`]).
    pub fn parse(text: Option<&str>) -> Result<ConsoleDestination, String> {
        let Some(text) = text else {
            return Ok(ConsoleDestination::Home);
        };
        let is_service = !text.is_empty()
            && text.len() <= 64
            && text
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if is_service {
            return Ok(ConsoleDestination::Service(text.to_owned()));
        }
        if !text.contains(':') {
            return Err(format!(
                "`destination` is a service name such as `s3`, or an https:// console URL, not `{}`",
                ssocred_core::domain::text::visible(text)
            ));
        }
        let url = console_url(text)?;
        let host = url.host_str().unwrap_or_default();
        let partitions = [Partition::Aws, Partition::UsGov, Partition::China];
        if !partitions.iter().any(|p| is_console_host(host, *p)) {
            return Err(format!(
                "`destination` {} is not a console URL: its host is {host}, not console.aws.amazon.com, console.amazonaws-us-gov.com, console.amazonaws.cn or a subdomain of one",
                ssocred_core::domain::text::visible(text)
            ));
        }
        Ok(ConsoleDestination::Url(url.into()))
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
                let parsed = console_url(url)?;
                if is_console_host(parsed.host_str().unwrap_or_default(), partition) {
                    Ok(parsed.into())
                } else {
                    Err(format!(
                        "`destination` {url} is not a console URL of the role's partition (https://{host}/...)"
                    ))
                }
            }
        }
    }
}

/// Parses a destination URL as a browser does (WHATWG, the `url` crate) and
/// holds it to what a console URL is: `https`, a domain name written
/// exactly as the parser reads it (lower case, no port, no user info, no
/// percent-escapes or IDNA forms), no backslash anywhere (browsers read one
/// as `/`, so `https://evil.example\.console.aws.amazon.com/` is a URL of
/// `evil.example`), and plain printable ASCII. So the host ssocred checks
/// is the host the browser goes to.
fn console_url(text: &str) -> Result<::url::Url, String> {
    let bad = |why: &str| {
        Err(format!(
            "`destination` {} {why}",
            ssocred_core::domain::text::visible(text)
        ))
    };
    if text
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || !c.is_ascii())
    {
        return bad("must be a plain https URL (no spaces, controls or non-ASCII)");
    }
    if text.contains('\\') {
        return bad("holds a backslash, which a browser reads as `/`");
    }
    let Some(rest) = text.strip_prefix("https://") else {
        return bad("must start with https://");
    };
    let written = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if written.contains('@') {
        return bad("holds user info (`@` before the host)");
    }
    let Ok(url) = ::url::Url::parse(text) else {
        return bad("is not a valid URL");
    };
    if url.scheme() != "https" || !url.username().is_empty() || url.password().is_some() {
        return bad("must be https without user info");
    }
    if !matches!(url.host(), Some(::url::Host::Domain(_))) {
        return bad("must name a domain, not an IP address");
    }
    if written.contains(':') || url.port().is_some() {
        return bad("names a port; console URLs have none");
    }
    if url.host_str() != Some(written) {
        return bad("must write its host as a browser reads it (lower case, no escapes)");
    }
    Ok(url)
}

/// Whether `host` is `partition`'s console host or a subdomain of it.
fn is_console_host(host: &str, partition: Partition) -> bool {
    let console = partition.console_host();
    host == console
        || host
            .strip_suffix(console)
            .is_some_and(|sub| sub.len() > 1 && sub.ends_with('.'))
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
                ssocred_core::domain::text::visible(text)
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
            ssocred_core::domain::text::visible(region)
        ))
    }
}

/// Checks an overriding federation endpoint: an `https://` URL, or an
/// `http://` one on a loopback host (`127.0.0.0/8`, `::1`, `localhost`),
/// since the call carries the role's secret key and session token; no user
/// info, query or fragment.
pub fn check_endpoint(endpoint: &str) -> Result<String, String> {
    let bad = |why: &str| {
        Err(format!(
            "`{}` {why}; expected an https URL without a query, such as https://signin.aws.amazon.com/federation",
            ssocred_core::domain::text::visible(endpoint)
        ))
    };
    if endpoint
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || !c.is_ascii())
        || endpoint.contains(['?', '#', '\\'])
    {
        return bad("holds a space, control, backslash, query or fragment");
    }
    let Ok(url) = ::url::Url::parse(endpoint) else {
        return bad("is not a URL");
    };
    if !url.username().is_empty() || url.password().is_some() {
        return bad("holds user info");
    }
    let loopback = match url.host() {
        Some(::url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(::url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(::url::Host::Domain(name)) => name == "localhost",
        None => false,
    };
    match url.scheme() {
        "https" if url.host().is_some() => {}
        "http" if loopback => {}
        "http" => {
            return bad(
                "is plain http to a host that is not loopback, which would send the role's credentials in clear text; use https, or http only to 127.0.0.1, ::1 or localhost",
            );
        }
        _ => return bad("is not an http(s) URL"),
    }
    // What was checked is what is called.
    Ok(url.as_str().trim_end_matches('/').to_owned())
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
        let e = d.url(Partition::UsGov, None).unwrap_err().to_string();
        assert!(
            e.contains("is not a console URL of the role's partition (https://console.amazonaws-us-gov.com/...)"),
            "{e}"
        );
        let evil = ConsoleDestination::parse(Some("https://console.aws.amazon.com@evil.example/"));
        let e = evil.unwrap_err().to_string();
        assert!(e.contains("holds user info"), "{e}");
        for bad in ["S3", "s3 x", "", "../x"] {
            let e = ConsoleDestination::parse(Some(bad))
                .unwrap_err()
                .to_string();
            let why = format!(
                "`destination` is a service name such as `s3`, or an https:// console URL, not `{bad}`"
            );
            assert_eq!(e, why, "{bad}");
        }
        let e = ConsoleDestination::parse(Some("http://console.aws.amazon.com/"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("must start with https://"), "{e}");
    }

    /// What a browser's URL parser reads differently from a string match:
    /// each is refused, naming why.
    #[test]
    fn destinations_are_checked_as_a_browser_parses_them() {
        let cases = [
            (
                "https://evil.example\\.console.aws.amazon.com/",
                "backslash",
            ),
            (
                "https://console.aws.amazon.com\\@evil.example/",
                "backslash",
            ),
            ("https:\\\\console.aws.amazon.com/", "backslash"),
            ("https://user@console.aws.amazon.com/", "user info"),
            ("https://a:b@console.aws.amazon.com/", "user info"),
            ("https://console.aws.amazon.com:443/", "port"),
            ("https://console.aws.amazon.com:8443/s3", "port"),
            ("https://CONSOLE.aws.amazon.com/", "as a browser reads it"),
            ("https://console.aws.amazon.com./", "not a console URL"),
            ("https://console%2eaws.amazon.com/", "as a browser reads it"),
            (
                "https://evil.example/console.aws.amazon.com",
                "not a console URL",
            ),
            (
                "https://evil.example?.console.aws.amazon.com",
                "not a console URL",
            ),
            (
                "https://evil.example#.console.aws.amazon.com",
                "not a console URL",
            ),
            ("https://xconsole.aws.amazon.com/", "not a console URL"),
            ("https://54.239.0.1/", "not an IP address"),
            ("https://[::1]/", "not an IP address"),
            (
                "HTTPS://console.aws.amazon.com/",
                "must start with https://",
            ),
            ("javascript:alert(1)", "must start with https://"),
            ("https://console.aws.amazon.com/\u{2028}", "plain https URL"),
        ];
        for (text, why) in cases {
            let err = ConsoleDestination::parse(Some(text)).unwrap_err();
            assert!(err.contains(why), "{text}: {err}");
        }
        // Every partition's console and its subdomains pass, in the
        // parser's own spelling of the URL.
        for (text, partition) in [
            ("https://console.aws.amazon.com/s3/home", Partition::Aws),
            (
                "https://us-east-1.console.aws.amazon.com/ec2/home?region=us-east-1#Instances:",
                Partition::Aws,
            ),
            ("https://console.amazonaws-us-gov.com/", Partition::UsGov),
            (
                "https://cn-north-1.console.amazonaws.cn/s3",
                Partition::China,
            ),
        ] {
            let d = ConsoleDestination::parse(Some(text)).unwrap();
            assert_eq!(d.url(partition, None).unwrap(), text);
        }
    }

    #[test]
    fn durations_are_900_to_43200_seconds() {
        assert_eq!(SessionDuration::parse("900").unwrap().seconds(), 900);
        assert_eq!(SessionDuration::parse("12h").unwrap().seconds(), 43_200);
        assert_eq!(SessionDuration::parse("90m").unwrap().seconds(), 5400);
        for bad in ["899", "43201", "13h", "1d", "", "h", "-900", "99999999999"] {
            let e = SessionDuration::parse(bad).unwrap_err().to_string();
            let why = format!(
                "`duration` is seconds from 900 to 43200 (or with a unit: `90m`, `12h`), not `{bad}`"
            );
            assert_eq!(e, why, "{bad}");
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
        let refused = |body: &[u8]| parse_token(body).unwrap_err().to_string();
        let bad_token = "getSigninToken answered an empty or oversized SigninToken";
        assert_eq!(refused(br#"{"SigninToken":""}"#), bad_token);
        assert_eq!(
            refused(b"<html>"),
            "getSigninToken answered without a SigninToken"
        );
        let long = format!(r#"{{"SigninToken":"{}"}}"#, "a".repeat(MAX_TOKEN + 1));
        assert_eq!(refused(long.as_bytes()), bad_token);
        let longest = format!(r#"{{"SigninToken":"{}"}}"#, "a".repeat(MAX_TOKEN));
        assert!(parse_token(longest.as_bytes()).is_ok());
    }

    #[test]
    fn plain_http_endpoints_are_loopback_only() {
        for good in [
            "https://signin.example/federation",
            "http://127.0.0.1:8080/federation/",
            "http://127.3.4.5/federation",
            "http://[::1]:9/federation",
            "http://localhost:9/federation",
        ] {
            assert!(check_endpoint(good).is_ok(), "{good}");
        }
        assert_eq!(
            check_endpoint("http://127.0.0.1:8080/federation/").unwrap(),
            "http://127.0.0.1:8080/federation"
        );
        for (bad, why) in [
            ("http://signin.example/federation", "not loopback"),
            ("http://10.0.0.1/federation", "not loopback"),
            ("http://127.0.0.1.evil.example/federation", "not loopback"),
            ("http://localhost.evil.example/", "not loopback"),
            ("http://[::ffff:10.0.0.1]/", "not loopback"),
            ("https://u:p@signin.example/federation", "user info"),
            ("https://signin.example/federation?x=1", "query"),
            ("http://127.0.0.1\\@evil.example/", "backslash"),
            ("ftp://127.0.0.1/", "not an http(s) URL"),
            ("file:///etc/passwd", "not an http(s) URL"),
            ("signin.example", "not a URL"),
        ] {
            let err = check_endpoint(bad).unwrap_err();
            assert!(err.contains(why), "{bad}: {err}");
        }
    }
}
