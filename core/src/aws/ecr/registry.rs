//! Amazon ECR registry hosts, as Docker names them to a credential helper,
//! and the ECR API endpoint that serves each one. Pure: no I/O.
//!
//! | registry host | API endpoint (GetAuthorizationToken) |
//! |---|---|
//! | `ACCOUNT.dkr.ecr.REGION.amazonaws.com` | `api.ecr.REGION.amazonaws.com` |
//! | `ACCOUNT.dkr.ecr.REGION.amazonaws.com.cn` (`cn-*`) | `api.ecr.REGION.amazonaws.com.cn` |
//! | `ACCOUNT.dkr.ecr-fips.REGION.amazonaws.com` | `ecr-fips.REGION.amazonaws.com` |
//! | `ACCOUNT.dkr-ecr.REGION.on.aws` | `ecr.REGION.api.aws` |
//! | `ACCOUNT.dkr-ecr-fips.REGION.on.aws` | `ecr-fips.REGION.api.aws` |
//!
//! Source: AWS General Reference, "Amazon ECR endpoints and quotas" (read
//! 2026-12-01): each region lists `api.ecr.{r}.amazonaws.com`, and the US
//! and GovCloud regions also `ecr-fips.{r}.amazonaws.com` next to the
//! registry host `dkr.ecr-fips.{r}.amazonaws.com`; the dual-stack rows list
//! `ecr.{r}.api.aws` and `ecr-fips.{r}.api.aws` next to the registry hosts
//! `dkr-ecr.{r}.on.aws` and `dkr-ecr-fips.{r}.on.aws`. The China regions
//! list `api.ecr.{r}.amazonaws.com.cn`. No other registry host is ECR's (ECR
//! Public, `public.ecr.aws`, has no per-account registries and is not served).

use std::fmt;

/// The endpoint variant a registry host belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Variant {
    /// `dkr.ecr` under `amazonaws.com` or `amazonaws.com.cn`.
    Standard,
    /// `dkr.ecr-fips` under `amazonaws.com`.
    Fips,
    /// `dkr-ecr` under `on.aws`.
    DualStack,
    /// `dkr-ecr-fips` under `on.aws`.
    FipsDualStack,
}

/// A private ECR registry: the account and region its host names.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Registry {
    /// The host, lower case, without port.
    pub host: String,
    /// The 12-digit account id.
    pub account_id: String,
    /// The region, lower case.
    pub region: String,
    /// Which endpoint family the host is in.
    pub variant: Variant,
}

impl fmt::Display for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.host)
    }
}

/// The longest server URL considered; Docker's are a host and a short path.
pub const MAX_SERVER_URL: usize = 2048;

impl Registry {
    /// The registry a server URL names, as Docker sends it to a credential
    /// helper (`https://HOST`, `HOST`, `HOST/v2/`, `HOST:443`, any case), or
    /// `None` when it is not a private ECR registry host.
    pub fn from_server_url(url: &str) -> Option<Registry> {
        let url = url.trim();
        if url.len() > MAX_SERVER_URL {
            return None;
        }
        let rest = strip_scheme(url);
        let authority = rest.split(['/', '?', '#']).next()?;
        // No user info in a registry name.
        if authority.contains('@') {
            return None;
        }
        let host = match authority.rsplit_once(':') {
            Some((host, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => {
                host
            }
            Some((host, "")) => host,
            Some(_) => return None,
            None => authority,
        };
        let host = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
        Registry::from_host(&host)
    }

    /// The registry of a lower-case host name, or `None`.
    fn from_host(host: &str) -> Option<Registry> {
        let (account_id, rest) = host.split_once('.')?;
        if !crate::domain::arn::is_account_id(account_id) {
            return None;
        }
        let (variant, region) = if let Some(rest) = rest.strip_prefix("dkr.ecr.") {
            let region = rest
                .strip_suffix(".amazonaws.com.cn")
                .filter(|r| r.starts_with("cn-"))
                .or_else(|| {
                    rest.strip_suffix(".amazonaws.com")
                        .filter(|r| !r.starts_with("cn-"))
                })?;
            (Variant::Standard, region)
        } else if let Some(rest) = rest.strip_prefix("dkr.ecr-fips.") {
            (Variant::Fips, rest.strip_suffix(".amazonaws.com")?)
        } else if let Some(rest) = rest.strip_prefix("dkr-ecr.") {
            (Variant::DualStack, rest.strip_suffix(".on.aws")?)
        } else if let Some(rest) = rest.strip_prefix("dkr-ecr-fips.") {
            (Variant::FipsDualStack, rest.strip_suffix(".on.aws")?)
        } else {
            return None;
        };
        if !is_region(region) || (variant != Variant::Standard && region.starts_with("cn-")) {
            return None;
        }
        Some(Registry {
            host: host.to_owned(),
            account_id: account_id.to_owned(),
            region: region.to_owned(),
            variant,
        })
    }

    /// The `https://` URL of the ECR API endpoint that serves this
    /// registry's variant and partition (the table in the module docs).
    pub fn api_endpoint(&self) -> String {
        let r = &self.region;
        match self.variant {
            Variant::Standard if r.starts_with("cn-") => {
                format!("https://api.ecr.{r}.amazonaws.com.cn")
            }
            Variant::Standard => format!("https://api.ecr.{r}.amazonaws.com"),
            Variant::Fips => format!("https://ecr-fips.{r}.amazonaws.com"),
            Variant::DualStack => format!("https://ecr.{r}.api.aws"),
            Variant::FipsDualStack => format!("https://ecr-fips.{r}.api.aws"),
        }
    }

    /// The server URL Docker uses for the registry: `https://HOST`.
    pub fn server_url(&self) -> String {
        format!("https://{}", self.host)
    }
}

fn strip_scheme(url: &str) -> &str {
    for scheme in ["https://", "http://"] {
        // `get`, not indexing: the text may hold multi-byte characters.
        if url
            .get(..scheme.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(scheme))
        {
            return &url[scheme.len()..];
        }
    }
    url
}

/// A region as it can stand in a host: lower-case labels of letters and
/// digits joined by single hyphens, as `eu-west-1` or `us-gov-east-1`.
fn is_region(region: &str) -> bool {
    !region.is_empty()
        && region.len() <= 32
        && region.split('-').count() >= 3
        && region.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(url: &str) -> Registry {
        Registry::from_server_url(url).unwrap_or_else(|| panic!("{url} is not ECR"))
    }

    #[test]
    fn every_form_docker_sends_names_the_same_registry() {
        for url in [
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
            "https://123456789012.dkr.ecr.eu-west-1.amazonaws.com",
            "HTTPS://123456789012.DKR.ECR.EU-WEST-1.AMAZONAWS.COM",
            "http://123456789012.dkr.ecr.eu-west-1.amazonaws.com/",
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com/v2/",
            "https://123456789012.dkr.ecr.eu-west-1.amazonaws.com:443/v2/",
            "  123456789012.dkr.ecr.eu-west-1.amazonaws.com\n",
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com.",
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com:",
        ] {
            let r = parsed(url);
            assert_eq!(
                r.host, "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
                "{url}"
            );
            assert_eq!(
                (r.account_id.as_str(), r.region.as_str()),
                ("123456789012", "eu-west-1")
            );
            assert_eq!(r.variant, Variant::Standard);
            assert_eq!(r.api_endpoint(), "https://api.ecr.eu-west-1.amazonaws.com");
        }
    }

    #[test]
    fn each_variant_and_partition_has_its_own_api_endpoint() {
        let cases = [
            (
                "111122223333.dkr.ecr.cn-north-1.amazonaws.com.cn",
                Variant::Standard,
                "cn-north-1",
                "https://api.ecr.cn-north-1.amazonaws.com.cn",
            ),
            (
                "111122223333.dkr.ecr.us-gov-west-1.amazonaws.com",
                Variant::Standard,
                "us-gov-west-1",
                "https://api.ecr.us-gov-west-1.amazonaws.com",
            ),
            (
                "111122223333.dkr.ecr-fips.us-east-1.amazonaws.com",
                Variant::Fips,
                "us-east-1",
                "https://ecr-fips.us-east-1.amazonaws.com",
            ),
            (
                "111122223333.dkr-ecr.eu-central-1.on.aws",
                Variant::DualStack,
                "eu-central-1",
                "https://ecr.eu-central-1.api.aws",
            ),
            (
                "111122223333.dkr-ecr-fips.us-west-2.on.aws",
                Variant::FipsDualStack,
                "us-west-2",
                "https://ecr-fips.us-west-2.api.aws",
            ),
        ];
        for (host, variant, region, api) in cases {
            let r = parsed(host);
            assert_eq!(r.variant, variant, "{host}");
            assert_eq!(r.region, region, "{host}");
            assert_eq!(r.api_endpoint(), api, "{host}");
            assert_eq!(r.server_url(), format!("https://{host}"));
        }
    }

    #[test]
    fn other_hosts_are_not_ecr() {
        for url in [
            "",
            "https://index.docker.io/v1/",
            "ghcr.io",
            "public.ecr.aws",
            "https://registry.example.com",
            "12345678901.dkr.ecr.eu-west-1.amazonaws.com",
            "1234567890123.dkr.ecr.eu-west-1.amazonaws.com",
            "abcdefghijkl.dkr.ecr.eu-west-1.amazonaws.com",
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com.evil.example",
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com.cn",
            "123456789012.dkr.ecr.cn-north-1.amazonaws.com",
            "123456789012.dkr.ecr-fips.cn-north-1.amazonaws.com.cn",
            "123456789012.dkr-ecr.eu-west-1.amazonaws.com",
            "123456789012.dkr.ecr.eu_west_1.amazonaws.com",
            "123456789012.dkr.ecr.eu-west.amazonaws.com",
            "123456789012.dkr.ecr..amazonaws.com",
            "user@123456789012.dkr.ecr.eu-west-1.amazonaws.com",
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com:https",
            "api.ecr.eu-west-1.amazonaws.com",
        ] {
            assert_eq!(Registry::from_server_url(url), None, "{url:?}");
        }
        let long = format!(
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com/{}",
            "a".repeat(MAX_SERVER_URL)
        );
        assert_eq!(Registry::from_server_url(&long), None);
    }
}
