//! The hosts of the IAM Identity Center portal (`sso`) and OIDC (`sso-oidc`)
//! services, with the FIPS and dual-stack variants AWS really publishes.
//!
//! The SDKs' endpoint rules build every variant from a pattern, so
//! `use_fips_endpoint` sends the AWS CLI to `portal.sso-fips.{region}.amazonaws.com`
//! and `oidc-fips.{region}.amazonaws.com`, hosts that do not exist, and the
//! login fails on a DNS error. ssocred keeps its own table instead: a variant
//! that is not in it is an error that says which setting to drop, never a
//! guessed host.
//!
//! | partition | standard | FIPS | dual-stack | FIPS + dual-stack |
//! |---|---|---|---|---|
//! | `aws` | `portal.sso.{r}.amazonaws.com`, `oidc.{r}.amazonaws.com` | none | `portal.sso.{r}.api.aws`, `oidc.{r}.api.aws` | none |
//! | `aws-us-gov` | `portal.sso.{r}.amazonaws.com`, `oidc.{r}.amazonaws.com` | the standard hosts (they are FIPS endpoints) | none published | none |
//! | `aws-cn` | `portal.sso.{r}.amazonaws.com.cn`, `oidc.{r}.amazonaws.com.cn` | none | none published | none |
//! | `aws-eusc` | `portal.sso.{r}.amazonaws.eu`, `oidc.{r}.amazonaws.eu` | none | none published | none |
//! | `aws-iso*` | none | none | none | none |
//!
//! Sources (read 2026-12-01):
//! - botocore `botocore/data/endpoints.json` (commit 0e6e2404, Aug 2026):
//!   services `portal.sso` and `oidc` list explicit hostnames
//!   `portal.sso.{r}.amazonaws.com` / `oidc.{r}.amazonaws.com` in `aws`,
//!   the same in `aws-us-gov` (`us-gov-east-1`, `us-gov-west-1`),
//!   `….amazonaws.com.cn` in `aws-cn` (`cn-north-1`, `cn-northwest-1`),
//!   `eusc-de-east-1` in `aws-eusc`, no `variants` for either service, and no
//!   entry at all in the isolated partitions. `botocore/data/partitions.json`
//!   gives the partitions, their region patterns and DNS suffixes.
//! - botocore `botocore/data/sso/2019-06-10/endpoint-rule-set-1.json` and
//!   `sso-oidc/2019-06-10/endpoint-rule-set-1.json`: FIPS builds
//!   `portal.sso-fips.{r}.{dnsSuffix}` / `oidc-fips.{r}.{dnsSuffix}` except in
//!   `aws-us-gov`, where it returns the standard host (a rule added in 2023);
//!   dual-stack builds `portal.sso.{r}.{dualStackDnsSuffix}` /
//!   `oidc.{r}.{dualStackDnsSuffix}`.
//! - aws/aws-cli#9026 (`aws sso login` with `AWS_USE_FIPS_ENDPOINT=true`
//!   fails on `https://oidc-fips.<region>.amazonaws.com`; the AWS FIPS page
//!   lists no commercial FIPS endpoint for IAM Identity Center, and the
//!   GovCloud ones carry no `fips` label), aws/aws-sdk#749 (an AWS maintainer:
//!   `oidc-fips.us-gov-west-1.amazonaws.com` is only a backlog item of the
//!   service team; use `oidc.us-gov-west-1.amazonaws.com`),
//!   aws/aws-sdk-go-v2#2166 (an AWS maintainer: "The SSO service does not
//!   have non-gov fips endpoints defined"), boto/botocore#3419 and
//!   gruntwork-io/terragrunt#3928 (the documented GovCloud FIPS endpoints are
//!   `portal.sso.us-gov-{east,west}-1.amazonaws.com`; `portal.sso-fips.…`
//!   has no DNS record).
//! - AWS Security Blog, "IAM Identity Center now supports IPv6" (2026-01-26):
//!   dual-stack endpoints end in `api.aws`, with `oidc.us-east-1.api.aws` as
//!   the example host. It says nothing of GovCloud or China, and no AWS page
//!   found lists a dual-stack portal or OIDC host there, so those stay out.
//! - AWS General Reference, "AWS IAM Identity Center endpoints and quotas":
//!   its table lists the administration API (`sso.{r}.amazonaws.com`,
//!   `sso-fips.{r}.api.aws` in the four US regions, `sso.{r}.api.aws`), a
//!   different service from the portal; it does not make a portal FIPS host.
//!
//! An endpoint override (`AWS_ENDPOINT_URL_SSO`, `AWS_ENDPOINT_URL_SSO_OIDC`,
//! `AWS_ENDPOINT_URL`) replaces the table: [`endpoint_for`] does not consult
//! the FIPS or dual-stack settings then, which is what makes "use an endpoint
//! override" a way out of every error here.

use std::fmt;

use crate::ExitClass;

/// The endpoint override for a service from the environment, resolved by
/// ssocred itself (the SDK's own lookup of two-word service ids is not
/// reliable): `service_variable` (such as `AWS_ENDPOINT_URL_SSO`), else
/// `AWS_ENDPOINT_URL`, unless `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` is true.
/// A trailing `/` is dropped, so paths join cleanly.
pub fn endpoint_override(
    var: impl Fn(&str) -> Option<String>,
    service_variable: &str,
) -> Option<String> {
    let ignore = var("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    if ignore {
        return None;
    }
    [service_variable, "AWS_ENDPOINT_URL"]
        .into_iter()
        .find_map(|name| {
            var(name)
                .map(|v| v.trim().trim_end_matches('/').to_owned())
                .filter(|v| !v.is_empty())
        })
}

/// The variable [`endpoint_override`] takes its override from:
/// `service_variable` or `AWS_ENDPOINT_URL`; `None` when none applies.
pub fn endpoint_override_source(
    var: impl Fn(&str) -> Option<String>,
    service_variable: &'static str,
) -> Option<&'static str> {
    endpoint_override(&var, service_variable)?;
    [service_variable, "AWS_ENDPOINT_URL"]
        .into_iter()
        .find(|name| var(name).is_some_and(|v| !v.trim().trim_end_matches('/').is_empty()))
}

/// The two IAM Identity Center services ssocred calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// The portal (`sso`): role listing and role credentials.
    Portal,
    /// OIDC (`sso-oidc`): client registration, device and PKCE logins, token
    /// refresh.
    Oidc,
}

impl Service {
    /// The first labels of the service's hosts (`portal.sso`, `oidc`).
    fn host_label(self) -> &'static str {
        match self {
            Self::Portal => "portal.sso",
            Self::Oidc => "oidc",
        }
    }

    /// The service as errors name it: `SSO portal`, `SSO OIDC service
    /// (sso-oidc)`.
    pub fn short_name(self) -> &'static str {
        match self {
            Self::Portal => "SSO portal",
            Self::Oidc => "SSO OIDC service (sso-oidc)",
        }
    }

    /// The environment variable that overrides this service's endpoint.
    pub fn override_variable(self) -> &'static str {
        match self {
            Self::Portal => "AWS_ENDPOINT_URL_SSO",
            Self::Oidc => "AWS_ENDPOINT_URL_SSO_OIDC",
        }
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Portal => "IAM Identity Center portal (sso)",
            Self::Oidc => "IAM Identity Center OIDC (sso-oidc)",
        })
    }
}

/// The endpoint variants asked for, from `use_fips_endpoint` /
/// `AWS_USE_FIPS_ENDPOINT` and `use_dualstack_endpoint` /
/// `AWS_USE_DUALSTACK_ENDPOINT`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EndpointOptions {
    /// A FIPS 140 endpoint is required.
    pub fips: bool,
    /// A dual-stack (IPv4 and IPv6) endpoint is required.
    pub dualstack: bool,
}

impl EndpointOptions {
    /// Both settings, each from the environment variable `var` returns, else
    /// from the profile key `profile_key` returns (the SDKs' order).
    ///
    /// `Err` names the variable or key holding a value that is neither
    /// `true` nor `false`; the caller adds the profile and file.
    pub fn from_settings(
        var: impl Fn(&str) -> Option<String>,
        profile_key: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, String> {
        let flag = |setting: Setting| {
            flag_from(
                setting,
                var(setting.env_var()).as_deref(),
                profile_key(setting.profile_key()).as_deref(),
            )
            .map(|value| value.unwrap_or(false))
        };
        Ok(Self {
            fips: flag(Setting::Fips)?,
            dualstack: flag(Setting::DualStack)?,
        })
    }
}

/// One of the two boolean endpoint settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setting {
    /// `AWS_USE_FIPS_ENDPOINT` / `use_fips_endpoint`.
    Fips,
    /// `AWS_USE_DUALSTACK_ENDPOINT` / `use_dualstack_endpoint`.
    DualStack,
}

impl Setting {
    /// The environment variable.
    pub fn env_var(self) -> &'static str {
        match self {
            Self::Fips => "AWS_USE_FIPS_ENDPOINT",
            Self::DualStack => "AWS_USE_DUALSTACK_ENDPOINT",
        }
    }

    /// The config-file key.
    pub fn profile_key(self) -> &'static str {
        match self {
            Self::Fips => "use_fips_endpoint",
            Self::DualStack => "use_dualstack_endpoint",
        }
    }
}

/// The value of `setting`: the environment variable when it is set and not
/// empty, else the profile key when it is set and not empty, else `None`.
/// Values are `true` or `false` in any case; anything else is an error
/// naming its source, where the SDKs would silently read it as false (botocore)
/// or ignore it with a warning (the Rust SDK) and leave the user on an
/// endpoint they did not ask for.
pub fn flag_from(
    setting: Setting,
    env_value: Option<&str>,
    profile_value: Option<&str>,
) -> Result<Option<bool>, String> {
    let sources = [
        (
            env_value,
            format!("environment variable {}", setting.env_var()),
        ),
        (
            profile_value,
            format!("`{}` in the profile", setting.profile_key()),
        ),
    ];
    for (value, source) in sources {
        match value {
            None | Some("") => continue,
            Some(v) if v.eq_ignore_ascii_case("true") => return Ok(Some(true)),
            Some(v) if v.eq_ignore_ascii_case("false") => return Ok(Some(false)),
            Some(v) => {
                return Err(format!(
                    "{source} is {}: expected true or false",
                    quoted_prefix(v)
                ));
            }
        }
    }
    Ok(None)
}

/// `value` quoted, with its control characters escaped and cut after 40
/// characters: it goes into an error message.
fn quoted_prefix(value: &str) -> String {
    format!("\"{}\"", escaped_prefix(value))
}

/// `value` with its control characters and quotes escaped, cut after 40
/// characters (`…` marks the cut).
fn escaped_prefix(value: &str) -> String {
    const SHOWN: usize = 40;
    let mut shown: String = value
        .chars()
        .take(SHOWN)
        .flat_map(char::escape_debug)
        .collect();
    if value.chars().nth(SHOWN).is_some() {
        shown.push('…');
    }
    shown
}

/// An AWS partition: a set of regions with its own DNS names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Partition {
    /// The commercial regions.
    Aws,
    /// AWS GovCloud (US): `us-gov-*`.
    AwsUsGov,
    /// The China regions: `cn-*`.
    AwsCn,
    /// The AWS European Sovereign Cloud: `eusc-*`.
    AwsEusc,
    /// An isolated partition (`us-iso-*`, `us-isob-*`, `us-isof-*`,
    /// `eu-isoe-*`), where IAM Identity Center publishes no endpoint.
    Isolated(&'static str),
}

impl Partition {
    /// The partition id, as in ARNs (`aws`, `aws-us-gov`, `aws-cn`, …).
    pub fn id(self) -> &'static str {
        match self {
            Self::Aws => "aws",
            Self::AwsUsGov => "aws-us-gov",
            Self::AwsCn => "aws-cn",
            Self::AwsEusc => "aws-eusc",
            Self::Isolated(id) => id,
        }
    }

    /// The DNS suffix of the partition's standard endpoints.
    pub fn dns_suffix(self) -> &'static str {
        match self {
            Self::Aws | Self::AwsUsGov => "amazonaws.com",
            Self::AwsCn => "amazonaws.com.cn",
            Self::AwsEusc => "amazonaws.eu",
            Self::Isolated("aws-iso") => "c2s.ic.gov",
            Self::Isolated("aws-iso-b") => "sc2s.sgov.gov",
            Self::Isolated("aws-iso-e") => "cloud.adc-e.uk",
            Self::Isolated(_) => "csp.hci.ic.gov",
        }
    }

    /// The DNS suffix of the partition's dual-stack endpoints, for the
    /// services that have them.
    pub fn dual_stack_suffix(self) -> &'static str {
        match self {
            Self::Aws | Self::AwsUsGov => "api.aws",
            Self::AwsCn => "api.amazonwebservices.com.cn",
            Self::AwsEusc => "api.amazonwebservices.eu",
            Self::Isolated("aws-iso") => "api.aws.ic.gov",
            Self::Isolated("aws-iso-b") => "api.aws.scloud",
            Self::Isolated("aws-iso-e") => "api.cloud-aws.adc-e.uk",
            Self::Isolated(_) => "api.aws.hci.ic.gov",
        }
    }
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// Why no endpoint can be named. Every variant maps to exit code 3 (config):
/// the settings ask for something that does not exist.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    /// The region is not a region name (see [`crate::domain::sso_profile::check_region`]).
    #[error("region `{region}`: {why}")]
    BadRegion {
        /// The region as given, already checked to be printable.
        region: String,
        /// What is wrong with it.
        why: String,
    },
    /// A FIPS pseudo-region such as `fips-us-gov-west-1`, which some tools
    /// accept as a region: its hosts do not exist for these services.
    #[error(
        "region `{region}` is a FIPS pseudo-region, not a region: set the region to `{base}` and {fips_on}"
    )]
    PseudoRegion {
        /// The region as given.
        region: String,
        /// The real region inside it.
        base: String,
        /// How to ask for FIPS instead.
        fips_on: &'static str,
    },
    /// The variant asked for is not published for this service and region.
    #[error("{}", not_published(*service, region, *partition, *options))]
    NotPublished {
        /// The service.
        service: Service,
        /// The region (lower case).
        region: String,
        /// Its partition.
        partition: Partition,
        /// The variants asked for.
        options: EndpointOptions,
    },
}

impl EndpointError {
    /// The exit code of every endpoint error: 3, a configuration error.
    pub fn exit_code(&self) -> ExitClass {
        ExitClass::Config
    }
}

const FIPS_ON: &str = "set use_fips_endpoint = true (or AWS_USE_FIPS_ENDPOINT=true)";

/// The partition of `region`, from its prefix as the SDKs' region patterns
/// do; a region of no known pattern is in `aws`, as in the SDKs.
///
/// `Err` for a string that is not a region name, or a FIPS pseudo-region.
pub fn partition_of(region: &str) -> Result<Partition, EndpointError> {
    let region = checked_region(region)?;
    Ok(partition_of_checked(&region))
}

fn partition_of_checked(region: &str) -> Partition {
    // Every prefix ends in a hyphen, so none is a prefix of another.
    const PREFIXES: [(&str, Partition); 7] = [
        ("us-gov-", Partition::AwsUsGov),
        ("cn-", Partition::AwsCn),
        ("eusc-", Partition::AwsEusc),
        ("us-iso-", Partition::Isolated("aws-iso")),
        ("us-isob-", Partition::Isolated("aws-iso-b")),
        ("us-isof-", Partition::Isolated("aws-iso-f")),
        ("eu-isoe-", Partition::Isolated("aws-iso-e")),
    ];
    PREFIXES
        .iter()
        .find(|(prefix, _)| region.starts_with(prefix))
        .map_or(Partition::Aws, |&(_, partition)| partition)
}

/// The first parts of region names, by partition's region pattern (the
/// SDKs' `regionRegex`): `PREFIX-DIRECTION-NUMBER`.
const REGION_PREFIXES: [&str; 16] = [
    "us", "eu", "ap", "sa", "ca", "me", "af", "il", "mx", "cn", "us-gov", "us-iso", "us-isob",
    "us-isof", "eu-isoe", "eusc-de",
];

/// The middle part of every region name AWS has used.
const DIRECTIONS: [&str; 9] = [
    "east",
    "west",
    "north",
    "south",
    "central",
    "northeast",
    "northwest",
    "southeast",
    "southwest",
];

/// Checks that `region` (already a DNS label, see
/// [`crate::domain::sso_profile::check_region`]) is named as AWS names
/// regions: a partition's prefix, a compass direction and a number
/// (`eu-west-1`), so a typo given by hand (`eu-wst-1`) is caught rather
/// than exported. The error says why, with the closest region name.
pub fn check_region_name(region: &str) -> Result<(), String> {
    let lower = region.to_ascii_lowercase();
    let parts = lower.rsplit_once('-').and_then(|(head, number)| {
        let (prefix, direction) = head.rsplit_once('-')?;
        let numbered = !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit());
        numbered.then_some((prefix, direction, number))
    });
    let Some((prefix, direction, number)) = parts else {
        return Err("not a region name (PREFIX-DIRECTION-NUMBER, such as us-east-1)".to_owned());
    };
    if !REGION_PREFIXES.contains(&prefix) {
        let near = crate::domain::text::closest(prefix, REGION_PREFIXES);
        let hint = near
            .first()
            .map(|p| format!(" (did you mean {p}-{direction}-{number}?)"))
            .unwrap_or_default();
        return Err(format!(
            "no AWS partition has regions starting `{prefix}-`{hint}"
        ));
    }
    if !DIRECTIONS.contains(&direction) {
        let near = crate::domain::text::closest(direction, DIRECTIONS);
        let hint = near
            .first()
            .map(|d| format!(" (did you mean {prefix}-{d}-{number}?)"))
            .unwrap_or_default();
        return Err(format!(
            "not a region name: `{direction}` is not a direction AWS names regions by{hint}"
        ));
    }
    Ok(())
}

/// `region` checked as [`crate::domain::sso_profile::check_region`] does, refused if it
/// is a FIPS pseudo-region, and lower-cased (host names are case-blind, and
/// the partition patterns are lower case).
fn checked_region(region: &str) -> Result<String, EndpointError> {
    crate::domain::sso_profile::check_region(region).map_err(|why| EndpointError::BadRegion {
        // check_region refused it, so it may hold anything: show it escaped.
        region: escaped_prefix(region),
        why,
    })?;
    let lower = region.to_ascii_lowercase();
    let base = lower
        .strip_prefix("fips-")
        .or_else(|| lower.strip_suffix("-fips"));
    if let Some(base) = base {
        return Err(EndpointError::PseudoRegion {
            region: region.to_owned(),
            base: base.to_owned(),
            fips_on: FIPS_ON,
        });
    }
    Ok(lower)
}

/// The host AWS publishes for `service` in `region` (lower case, checked)
/// with `options`, or `None`. This is the table of the module docs.
fn published_host(
    service: Service,
    region: &str,
    partition: Partition,
    options: EndpointOptions,
) -> Option<String> {
    let label = service.host_label();
    let suffix = match (partition, options.fips, options.dualstack) {
        (Partition::Isolated(_), _, _) => return None,
        (partition, false, false) => partition.dns_suffix(),
        // GovCloud's standard hosts are its FIPS endpoints.
        (Partition::AwsUsGov, true, false) => Partition::AwsUsGov.dns_suffix(),
        (Partition::Aws, false, true) => Partition::Aws.dual_stack_suffix(),
        _ => return None,
    };
    Some(format!("{label}.{region}.{suffix}"))
}

/// The `https://` URL of `service` in `region` with the variants in
/// `options`, from the table in the module docs; no network.
///
/// `Err` when the region is not a region name, is a FIPS pseudo-region, or
/// the variant is not published there; the message says which setting to
/// drop, or which override to set.
pub fn resolve(
    service: Service,
    region: &str,
    options: EndpointOptions,
) -> Result<String, EndpointError> {
    let region = checked_region(region)?;
    let partition = partition_of_checked(&region);
    match published_host(service, &region, partition, options) {
        Some(host) => Ok(format!("https://{host}")),
        None => Err(EndpointError::NotPublished {
            service,
            region,
            partition,
            options,
        }),
    }
}

/// The endpoint of `service`: the override from the environment when one is
/// set (see [`endpoint_override`]; the FIPS and dual-stack
/// settings do not apply to it), else [`resolve`].
pub fn endpoint_for(
    service: Service,
    region: &str,
    options: EndpointOptions,
    var: impl Fn(&str) -> Option<String>,
) -> Result<String, EndpointError> {
    match endpoint_override(var, service.override_variable()) {
        Some(url) => Ok(url),
        None => resolve(service, region, options),
    }
}

/// The message of [`EndpointError::NotPublished`]: what does not exist, and
/// the smallest change that gives an endpoint that does.
fn not_published(
    service: Service,
    region: &str,
    partition: Partition,
    options: EndpointOptions,
) -> String {
    let override_hint = format!(
        "set {} to an endpoint you know exists",
        service.override_variable()
    );
    if let Partition::Isolated(_) = partition {
        return format!(
            "AWS publishes no {service} endpoint for region {region} (partition {partition}); {override_hint}"
        );
    }
    let variant = match (options.fips, options.dualstack) {
        (true, true) => "FIPS dual-stack",
        (true, false) => "FIPS",
        _ => "dual-stack",
    };
    let drop = |setting: Setting| {
        format!(
            "unset {} and `{}`",
            setting.env_var(),
            setting.profile_key()
        )
    };
    let exists = |fips, dualstack| {
        published_host(
            service,
            region,
            partition,
            EndpointOptions { fips, dualstack },
        )
        .is_some()
    };
    let fix = if options.fips && options.dualstack && exists(false, true) {
        format!("{} (the dual-stack endpoint exists)", drop(Setting::Fips))
    } else if options.fips && options.dualstack && exists(true, false) {
        format!("{} (the FIPS endpoint exists)", drop(Setting::DualStack))
    } else if options.fips && options.dualstack {
        format!("{}, and {}", drop(Setting::Fips), drop(Setting::DualStack))
    } else if options.fips {
        drop(Setting::Fips)
    } else {
        drop(Setting::DualStack)
    };
    format!(
        "AWS publishes no {variant} endpoint of the {service} in region {region} (partition {partition}); {fix}, or {override_hint}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const STANDARD: EndpointOptions = EndpointOptions {
        fips: false,
        dualstack: false,
    };
    const FIPS: EndpointOptions = EndpointOptions {
        fips: true,
        dualstack: false,
    };
    const DUAL: EndpointOptions = EndpointOptions {
        fips: false,
        dualstack: true,
    };
    const BOTH: EndpointOptions = EndpointOptions {
        fips: true,
        dualstack: true,
    };

    fn url(service: Service, region: &str, options: EndpointOptions) -> String {
        match resolve(service, region, options) {
            Ok(url) => url,
            Err(e) => panic!("{service} {region} {options:?}: {e}"),
        }
    }

    fn refused(service: Service, region: &str, options: EndpointOptions) -> String {
        match resolve(service, region, options) {
            Ok(url) => panic!("{service} {region} {options:?} resolved to {url}"),
            Err(e) => {
                assert_eq!(e.exit_code(), ExitClass::Config);
                e.to_string()
            }
        }
    }

    #[test]
    fn endpoint_overrides_follow_aws_precedence() {
        const SVC: &str = "AWS_ENDPOINT_URL_SSO";
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                vars.iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(endpoint_override(env(&[]), SVC), None);
        assert_eq!(
            endpoint_override(env(&[("AWS_ENDPOINT_URL", "http://all")]), SVC).as_deref(),
            Some("http://all")
        );
        assert_eq!(
            endpoint_override(
                env(&[("AWS_ENDPOINT_URL", "http://all"), (SVC, " http://sso/ ")]),
                SVC
            )
            .as_deref(),
            Some("http://sso")
        );
        assert_eq!(
            endpoint_override(env(&[(SVC, ""), ("AWS_ENDPOINT_URL", "http://all")]), SVC)
                .as_deref(),
            Some("http://all")
        );
        assert_eq!(
            endpoint_override(
                env(&[
                    (SVC, "http://sso"),
                    ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "TRUE")
                ]),
                SVC
            ),
            None
        );
    }

    #[test]
    fn standard_hosts_of_each_partition() {
        use Service::{Oidc, Portal};
        for (service, region, expected) in [
            (
                Portal,
                "us-east-1",
                "https://portal.sso.us-east-1.amazonaws.com",
            ),
            (Oidc, "eu-west-1", "https://oidc.eu-west-1.amazonaws.com"),
            (
                Portal,
                "us-gov-west-1",
                "https://portal.sso.us-gov-west-1.amazonaws.com",
            ),
            (
                Oidc,
                "us-gov-west-1",
                "https://oidc.us-gov-west-1.amazonaws.com",
            ),
            (
                Portal,
                "us-gov-east-1",
                "https://portal.sso.us-gov-east-1.amazonaws.com",
            ),
            (
                Oidc,
                "us-gov-east-1",
                "https://oidc.us-gov-east-1.amazonaws.com",
            ),
            (
                Portal,
                "cn-north-1",
                "https://portal.sso.cn-north-1.amazonaws.com.cn",
            ),
            (
                Oidc,
                "cn-north-1",
                "https://oidc.cn-north-1.amazonaws.com.cn",
            ),
            (
                Portal,
                "cn-northwest-1",
                "https://portal.sso.cn-northwest-1.amazonaws.com.cn",
            ),
            (
                Oidc,
                "cn-northwest-1",
                "https://oidc.cn-northwest-1.amazonaws.com.cn",
            ),
            (
                Portal,
                "eusc-de-east-1",
                "https://portal.sso.eusc-de-east-1.amazonaws.eu",
            ),
            (
                Oidc,
                "eusc-de-east-1",
                "https://oidc.eusc-de-east-1.amazonaws.eu",
            ),
        ] {
            assert_eq!(url(service, region, STANDARD), expected);
        }
    }

    #[test]
    fn a_new_commercial_region_gets_the_aws_pattern_as_in_the_sdks() {
        assert_eq!(
            url(Service::Oidc, "ap-southeast-7", STANDARD),
            "https://oidc.ap-southeast-7.amazonaws.com"
        );
    }

    #[test]
    fn govcloud_fips_is_the_standard_host_not_the_sdk_fips_pattern() {
        for region in ["us-gov-west-1", "us-gov-east-1"] {
            assert_eq!(
                url(Service::Portal, region, FIPS),
                format!("https://portal.sso.{region}.amazonaws.com")
            );
            assert_eq!(
                url(Service::Oidc, region, FIPS),
                format!("https://oidc.{region}.amazonaws.com")
            );
        }
    }

    #[test]
    fn commercial_dual_stack_hosts_are_on_api_aws() {
        assert_eq!(
            url(Service::Portal, "us-east-1", DUAL),
            "https://portal.sso.us-east-1.api.aws"
        );
        assert_eq!(
            url(Service::Oidc, "eu-central-1", DUAL),
            "https://oidc.eu-central-1.api.aws"
        );
    }

    #[test]
    fn commercial_fips_is_refused_not_guessed_with_what_to_do() {
        let message = refused(Service::Oidc, "us-east-1", FIPS);
        assert_eq!(
            message,
            "AWS publishes no FIPS endpoint of the IAM Identity Center OIDC (sso-oidc) in region \
             us-east-1 (partition aws); unset AWS_USE_FIPS_ENDPOINT and `use_fips_endpoint`, or \
             set AWS_ENDPOINT_URL_SSO_OIDC to an endpoint you know exists"
        );
        let message = refused(Service::Portal, "us-west-2", FIPS);
        assert!(message.contains("no FIPS endpoint of the IAM Identity Center portal (sso)"));
        assert!(message.contains("AWS_ENDPOINT_URL_SSO to"), "{message}");
        assert!(!message.contains("sso-fips"), "{message}");
    }

    #[test]
    fn china_has_no_fips_nor_dual_stack() {
        for region in ["cn-north-1", "cn-northwest-1"] {
            for service in [Service::Portal, Service::Oidc] {
                let message = refused(service, region, FIPS);
                assert!(message.contains("partition aws-cn"), "{message}");
                assert!(message.contains("unset AWS_USE_FIPS_ENDPOINT"), "{message}");
                let message = refused(service, region, DUAL);
                assert!(message.contains("no dual-stack endpoint"), "{message}");
                assert!(
                    message
                        .contains("unset AWS_USE_DUALSTACK_ENDPOINT and `use_dualstack_endpoint`"),
                    "{message}"
                );
                refused(service, region, BOTH);
            }
        }
    }

    #[test]
    fn govcloud_has_no_published_dual_stack() {
        let message = refused(Service::Portal, "us-gov-west-1", DUAL);
        assert!(message.contains("no dual-stack endpoint"), "{message}");
        assert!(message.contains("partition aws-us-gov"), "{message}");
    }

    #[test]
    fn fips_with_dual_stack_names_the_setting_whose_removal_helps() {
        // Commercial: dual-stack exists, FIPS does not.
        let message = refused(Service::Portal, "us-east-1", BOTH);
        assert!(message.contains("no FIPS dual-stack endpoint"), "{message}");
        assert!(
            message.contains("unset AWS_USE_FIPS_ENDPOINT and `use_fips_endpoint` (the dual-stack endpoint exists)"),
            "{message}"
        );
        // GovCloud: FIPS exists, dual-stack does not.
        let message = refused(Service::Oidc, "us-gov-east-1", BOTH);
        assert!(
            message.contains("unset AWS_USE_DUALSTACK_ENDPOINT and `use_dualstack_endpoint` (the FIPS endpoint exists)"),
            "{message}"
        );
        // China: neither.
        let message = refused(Service::Oidc, "cn-north-1", BOTH);
        assert!(
            message.contains("unset AWS_USE_FIPS_ENDPOINT and `use_fips_endpoint`, and unset AWS_USE_DUALSTACK_ENDPOINT"),
            "{message}"
        );
    }

    #[test]
    fn european_sovereign_cloud_has_only_standard_hosts() {
        for options in [FIPS, DUAL, BOTH] {
            let message = refused(Service::Oidc, "eusc-de-east-1", options);
            assert!(message.contains("partition aws-eusc"), "{message}");
        }
    }

    #[test]
    fn isolated_partitions_have_no_endpoint_at_all() {
        for (region, partition) in [
            ("us-iso-east-1", "aws-iso"),
            ("us-isob-east-1", "aws-iso-b"),
            ("us-isof-south-1", "aws-iso-f"),
            ("eu-isoe-west-1", "aws-iso-e"),
        ] {
            let message = refused(Service::Portal, region, STANDARD);
            assert_eq!(
                message,
                format!(
                    "AWS publishes no IAM Identity Center portal (sso) endpoint for region {region} \
                     (partition {partition}); set AWS_ENDPOINT_URL_SSO to an endpoint you know exists"
                )
            );
        }
    }

    #[test]
    fn partitions_and_their_suffixes() {
        let of =
            |region| partition_of(region).map(|p| (p.id(), p.dns_suffix(), p.dual_stack_suffix()));
        assert_eq!(of("us-east-1"), Ok(("aws", "amazonaws.com", "api.aws")));
        assert_eq!(
            of("us-gov-west-1"),
            Ok(("aws-us-gov", "amazonaws.com", "api.aws"))
        );
        assert_eq!(
            of("us-gov-east-1"),
            Ok(("aws-us-gov", "amazonaws.com", "api.aws"))
        );
        assert_eq!(
            of("cn-north-1"),
            Ok(("aws-cn", "amazonaws.com.cn", "api.amazonwebservices.com.cn"))
        );
        assert_eq!(
            of("cn-northwest-1"),
            Ok(("aws-cn", "amazonaws.com.cn", "api.amazonwebservices.com.cn"))
        );
        assert_eq!(
            of("eusc-de-east-1"),
            Ok(("aws-eusc", "amazonaws.eu", "api.amazonwebservices.eu"))
        );
        assert_eq!(
            of("us-isob-east-1"),
            Ok(("aws-iso-b", "sc2s.sgov.gov", "api.aws.scloud"))
        );
        // `us-` alone is commercial; only `us-gov-` is GovCloud.
        assert_eq!(of("us-west-2").map(|p| p.0), Ok("aws"));
        assert_eq!(of("US-GOV-WEST-1").map(|p| p.0), Ok("aws-us-gov"));
    }

    #[test]
    fn upper_case_regions_resolve_in_their_partition_in_lower_case() {
        assert_eq!(
            url(Service::Portal, "US-GOV-WEST-1", FIPS),
            "https://portal.sso.us-gov-west-1.amazonaws.com"
        );
        assert_eq!(
            url(Service::Oidc, "CN-North-1", STANDARD),
            "https://oidc.cn-north-1.amazonaws.com.cn"
        );
    }

    #[test]
    fn region_names_follow_the_partition_patterns() {
        for good in [
            "eu-west-1",
            "us-gov-west-1",
            "cn-northwest-1",
            "ap-southeast-7",
            "us-isob-east-1",
            "eusc-de-east-1",
            "mx-central-1",
        ] {
            assert_eq!(check_region_name(good), Ok(()), "{good}");
        }
        let why = check_region_name("eu-wst-1").unwrap_err();
        assert!(why.contains("did you mean eu-west-1?"), "{why}");
        let why = check_region_name("euu-west-1").unwrap_err();
        assert!(why.contains("did you mean eu-west-1?"), "{why}");
        for bad in ["local", "eu-west", "west-1", "eu-west-x"] {
            assert!(check_region_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn regions_are_checked_like_profile_regions() {
        for bad in [
            "",
            "us east 1",
            "us-east-1.evil.test",
            "-us-east-1",
            "us-east-1/x",
            "é",
        ] {
            assert_eq!(
                crate::domain::sso_profile::check_region(bad).is_err(),
                resolve(Service::Portal, bad, STANDARD).is_err(),
                "{bad:?}"
            );
            let Err(EndpointError::BadRegion { why, .. }) = partition_of(bad) else {
                panic!("{bad:?} accepted");
            };
            assert_eq!(Err(why), crate::domain::sso_profile::check_region(bad));
        }
        let long = "a".repeat(64);
        assert!(matches!(
            resolve(Service::Oidc, &long, STANDARD),
            Err(EndpointError::BadRegion { .. })
        ));
        // A refused region is shown escaped: no raw control character.
        let message = refused(Service::Oidc, "us-east-1\n\u{1b}[2J", STANDARD);
        assert!(!message.chars().any(char::is_control), "{message:?}");
    }

    #[test]
    fn fips_pseudo_regions_are_refused_with_the_real_region() {
        for (pseudo, base) in [
            ("fips-us-gov-west-1", "us-gov-west-1"),
            ("us-gov-west-1-fips", "us-gov-west-1"),
            ("fips-us-east-1", "us-east-1"),
        ] {
            let message = refused(Service::Portal, pseudo, STANDARD);
            assert_eq!(
                message,
                format!(
                    "region `{pseudo}` is a FIPS pseudo-region, not a region: set the region to \
                     `{base}` and set use_fips_endpoint = true (or AWS_USE_FIPS_ENDPOINT=true)"
                )
            );
            assert!(partition_of(pseudo).is_err());
        }
    }

    #[test]
    fn flags_take_true_or_false_in_any_case_environment_first() {
        use Setting::{DualStack, Fips};
        assert_eq!(flag_from(Fips, None, None), Ok(None));
        assert_eq!(flag_from(Fips, Some("true"), None), Ok(Some(true)));
        assert_eq!(flag_from(Fips, Some("TRUE"), None), Ok(Some(true)));
        assert_eq!(flag_from(Fips, Some("False"), None), Ok(Some(false)));
        assert_eq!(flag_from(Fips, None, Some("tRuE")), Ok(Some(true)));
        assert_eq!(flag_from(DualStack, None, Some("false")), Ok(Some(false)));
        // The environment wins over the profile, both ways.
        assert_eq!(
            flag_from(Fips, Some("false"), Some("true")),
            Ok(Some(false))
        );
        assert_eq!(flag_from(Fips, Some("true"), Some("false")), Ok(Some(true)));
        // An empty value is unset, so the next source is read.
        assert_eq!(flag_from(Fips, Some(""), Some("true")), Ok(Some(true)));
        assert_eq!(flag_from(Fips, Some(""), Some("")), Ok(None));
        // A valid environment value is not spoilt by a bad profile value the
        // SDKs would never read either.
        assert_eq!(flag_from(Fips, Some("true"), Some("yes")), Ok(Some(true)));
    }

    #[test]
    fn an_override_names_the_variable_it_came_from() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        let oidc = Service::Oidc.override_variable();
        assert_eq!(endpoint_override_source(env(&[]), oidc), None);
        assert_eq!(
            endpoint_override_source(env(&[("AWS_ENDPOINT_URL", "http://a")]), oidc),
            Some("AWS_ENDPOINT_URL")
        );
        let both: &'static [(&str, &str)] = &[
            ("AWS_ENDPOINT_URL", "http://a"),
            ("AWS_ENDPOINT_URL_SSO_OIDC", "http://b"),
        ];
        assert_eq!(
            endpoint_override_source(env(both), oidc),
            Some("AWS_ENDPOINT_URL_SSO_OIDC")
        );
        let blank: &'static [(&str, &str)] = &[
            ("AWS_ENDPOINT_URL", "http://a"),
            ("AWS_ENDPOINT_URL_SSO_OIDC", " "),
        ];
        assert_eq!(
            endpoint_override_source(env(blank), oidc),
            Some("AWS_ENDPOINT_URL")
        );
        let ignored: &'static [(&str, &str)] = &[
            ("AWS_ENDPOINT_URL", "http://a"),
            ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"),
        ];
        assert_eq!(endpoint_override_source(env(ignored), oidc), None);
    }

    #[test]
    fn other_flag_values_are_errors_naming_their_source() {
        use Setting::{DualStack, Fips};
        assert_eq!(
            flag_from(Fips, Some("1"), None),
            Err(
                "environment variable AWS_USE_FIPS_ENDPOINT is \"1\": expected true or false"
                    .into()
            )
        );
        assert_eq!(
            flag_from(DualStack, None, Some("yes")),
            Err(
                "`use_dualstack_endpoint` in the profile is \"yes\": expected true or false".into()
            )
        );
        for bad in [" true", "true ", "on", "0", "t", "truee"] {
            assert!(flag_from(Fips, Some(bad), None).is_err(), "{bad:?}");
        }
        // A bad environment value is reported even when the profile is fine.
        let message = flag_from(DualStack, Some("enabled"), Some("true")).unwrap_err();
        assert!(message.contains("AWS_USE_DUALSTACK_ENDPOINT"), "{message}");
        // Hostile values are escaped and cut.
        let message =
            flag_from(Fips, Some(&format!("x\u{1b}[31m{}", "y".repeat(500))), None).unwrap_err();
        assert!(!message.chars().any(char::is_control), "{message:?}");
        assert!(message.len() < 150, "{message}");
    }

    #[test]
    fn options_from_environment_and_profile() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        assert_eq!(
            EndpointOptions::from_settings(env(&[]), env(&[])),
            Ok(STANDARD)
        );
        assert_eq!(
            EndpointOptions::from_settings(
                env(&[("AWS_USE_FIPS_ENDPOINT", "true")]),
                env(&[("use_dualstack_endpoint", "TRUE")])
            ),
            Ok(BOTH)
        );
        assert_eq!(
            EndpointOptions::from_settings(
                env(&[("AWS_USE_FIPS_ENDPOINT", "false")]),
                env(&[("use_fips_endpoint", "true")])
            ),
            Ok(STANDARD)
        );
        let error =
            EndpointOptions::from_settings(env(&[]), env(&[("use_fips_endpoint", "maybe")]))
                .unwrap_err();
        assert!(
            error.contains("`use_fips_endpoint` in the profile"),
            "{error}"
        );
    }

    #[test]
    fn an_override_replaces_the_table_and_its_variants() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        // The FIPS portal does not exist in us-east-1, but an override is
        // the user's own choice and is used as given.
        assert_eq!(
            endpoint_for(
                Service::Portal,
                "us-east-1",
                FIPS,
                env(&[("AWS_ENDPOINT_URL_SSO", "https://sso.proxy.example/")])
            ),
            Ok("https://sso.proxy.example".to_owned())
        );
        assert_eq!(
            endpoint_for(
                Service::Oidc,
                "us-east-1",
                STANDARD,
                env(&[("AWS_ENDPOINT_URL_SSO", "https://sso.proxy.example")])
            ),
            Ok("https://oidc.us-east-1.amazonaws.com".to_owned()),
            "the portal override is not the OIDC one"
        );
        assert!(endpoint_for(Service::Oidc, "us-east-1", FIPS, env(&[])).is_err());
    }
}
