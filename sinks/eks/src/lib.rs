//! The `eks` sink: a Kubernetes `ExecCredential` whose token is an EKS
//! token, for the `exec` entry of a kubeconfig user (`ssocred kubeconfig`).
//!
//! The token is `k8s-aws-v1.` and the unpadded base64url of an STS
//! `GetCallerIdentity` URL presigned with SigV4, with the cluster name in the
//! signed `x-k8s-aws-id` header, as `aws eks get-token` makes it. Presigning
//! is local: no call to STS.

#![deny(missing_docs)]

mod token;

use std::io::Write;
use std::time::{Duration, SystemTime};

use serde::Serialize;
use ssocred_core::domain::text::visible;
use ssocred_core::sink::{CredentialSet, write_stdout};
use ssocred_core::{Capacity, Sink, SinkContext, SinkError, SinkKind, SinkSpec};
use time::OffsetDateTime;

pub use token::{EKS_TOKEN_PREFIX, MAX_TOKEN_BYTES, TokenRequest, eks_token};

const NAME: &str = "eks";
/// The variable kubectl (client-go) sets for an exec plugin.
const EXEC_INFO: &str = "KUBERNETES_EXEC_INFO";
/// The apiVersions an ExecCredential may carry; the first is the default.
pub const API_VERSIONS: [&str; 2] = [
    "client.authentication.k8s.io/v1beta1",
    "client.authentication.k8s.io/v1",
];
/// How long kubectl may reuse a token: the cluster accepts one for 15
/// minutes after it was signed, so kubectl re-execs a minute before, as
/// `aws eks get-token` has it.
const REUSE_FOR: Duration = Duration::from_secs(14 * 60);

ssocred_core::sink_options! {
    struct Options {
        /// the EKS cluster name, signed into the token (required; also `eks:NAME`)
        cluster: Option<String>,
        /// the STS region to presign for (default: the credentials' region)
        region: Option<String>,
    }
}

/// The ExecCredential document kubectl reads on stdout.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExecCredential<'a> {
    kind: &'static str,
    api_version: &'a str,
    spec: serde_json::Map<String, serde_json::Value>,
    status: Status,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Status {
    expiration_timestamp: String,
    token: String,
}

/// What kubectl tells its exec plugin (`KUBERNETES_EXEC_INFO`); only the
/// apiVersion matters here.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExecInfo {
    api_version: Option<String>,
}

/// A validated spec: the cluster, the region if given, and the apiVersion to
/// answer with. Holds the printed document between `accept` and `commit`,
/// and has no `Debug`, since the document carries a bearer token.
struct EksSink {
    cluster: String,
    region: Option<String>,
    api_version: &'static str,
    output: Option<String>,
}

impl Sink for EksSink {
    fn accept(&mut self, set: &CredentialSet) -> Result<(), SinkError> {
        let region = match (&self.region, &set.region) {
            (Some(region), _) | (None, Some(region)) => region.as_str(),
            (None, None) => {
                return Err(SinkError::usage(
                    NAME,
                    "no region is known for these credentials; give one: --sink eks,cluster=NAME,region=REGION".to_owned(),
                ));
            }
        };
        let signed_at = SystemTime::now();
        let token = eks_token(&TokenRequest {
            set,
            cluster: &self.cluster,
            region,
            signed_at,
        })?;
        let reuse_until = OffsetDateTime::from(signed_at + REUSE_FOR).min(set.expiration);
        let doc = ExecCredential {
            kind: "ExecCredential",
            api_version: self.api_version,
            spec: serde_json::Map::new(),
            status: Status {
                expiration_timestamp: ssocred_core::domain::time_fmt::utc_z(reuse_until),
                token,
            },
        };
        let json = serde_json::to_string(&doc)
            .map_err(|e| SinkError::refused(NAME, format!("cannot encode JSON: {e}")))?;
        self.output = Some(json);
        Ok(())
    }

    fn commit(&mut self, stdout: &mut dyn Write) -> Result<(), SinkError> {
        if let Some(mut json) = self.output.take() {
            json.push('\n');
            write_stdout(stdout, json.as_bytes())?;
        }
        Ok(())
    }

    fn capacity(&self) -> Capacity {
        Capacity::One
    }

    fn delivers_once(&self) -> Option<&'static str> {
        Some(
            "it prints one answer for the process that runs ssocred, which runs it again when it needs new credentials",
        )
    }
}

/// The apiVersion to answer with, from `KUBERNETES_EXEC_INFO` (`None`: not
/// set). An unsupported or unreadable value is a usage error: kubectl would
/// reject any other answer.
fn api_version(exec_info: Option<&str>) -> Result<&'static str, SinkError> {
    let Some(text) = exec_info.filter(|t| !t.trim().is_empty()) else {
        return Ok(API_VERSIONS[0]);
    };
    let info: ExecInfo = serde_json::from_str(text).map_err(|e| {
        SinkError::usage(NAME, format!("{EXEC_INFO} is not an ExecCredential: {e}"))
    })?;
    let Some(wanted) = info.api_version else {
        return Ok(API_VERSIONS[0]);
    };
    API_VERSIONS
        .iter()
        .find(|v| **v == wanted)
        .copied()
        .ok_or_else(|| {
            let shown: String = wanted.chars().take(80).collect();
            SinkError::usage(
                NAME,
                format!(
                    "{EXEC_INFO} asks for apiVersion `{}`; supported: {}",
                    visible(&shown),
                    API_VERSIONS.join(", ")
                ),
            )
        })
}

/// Checks an EKS cluster name as EKS does: 1 to 100 letters, digits,
/// hyphens and underscores, starting with a letter or digit.
fn check_cluster(name: &str) -> Result<(), SinkError> {
    let mut bytes = name.bytes();
    let ok = name.len() <= 100
        && bytes.next().is_some_and(|b| b.is_ascii_alphanumeric())
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        return Ok(());
    }
    let shown: String = name.chars().take(40).collect();
    Err(SinkError::usage(
        NAME,
        format!(
            "cluster `{}` is not an EKS cluster name (1-100 letters, digits, `-` and `_`, starting with a letter or digit)",
            visible(&shown)
        ),
    ))
}

/// Reads and checks the spec and `KUBERNETES_EXEC_INFO`; no side effect.
fn configure(spec: &SinkSpec) -> Result<EksSink, SinkError> {
    let options: Options = spec.options_as(Some("cluster"))?;
    let Some(cluster) = options.cluster else {
        return Err(SinkError::usage(
            NAME,
            "`cluster` is required: --sink eks,cluster=NAME".to_owned(),
        ));
    };
    check_cluster(&cluster)?;
    if let Some(region) = &options.region {
        ssocred_core::domain::endpoints::partition_of(region)
            .map_err(|e| SinkError::usage(NAME, format!("option `region`: {e}")))?;
    }
    let exec_info = std::env::var(EXEC_INFO).ok();
    Ok(EksSink {
        cluster,
        region: options.region,
        api_version: api_version(exec_info.as_deref())?,
        output: None,
    })
}

fn validate(spec: &SinkSpec, _ctx: &SinkContext) -> Result<(), SinkError> {
    configure(spec).map(drop)
}

fn build(spec: &SinkSpec, _ctx: &SinkContext) -> Result<Box<dyn Sink>, SinkError> {
    Ok(Box::new(configure(spec)?))
}

inventory::submit! {
    ssocred_core::SinkRegistration {
        name: NAME,
        description: "a Kubernetes ExecCredential with an EKS token (kubectl exec plugin; see `ssocred kubeconfig`)",
        argument: Some("CLUSTER"),
        options: Options::HELP,
        validate,
        kind: SinkKind::Credentials(build),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_version_echoes_a_supported_one_and_refuses_others() {
        assert_eq!(api_version(None).unwrap(), API_VERSIONS[0]);
        assert_eq!(api_version(Some("")).unwrap(), API_VERSIONS[0]);
        let v1 = r#"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":false}}"#;
        assert_eq!(api_version(Some(v1)).unwrap(), API_VERSIONS[1]);
        let alpha = r#"{"apiVersion":"client.authentication.k8s.io/v1alpha1"}"#;
        let e = api_version(Some(alpha)).unwrap_err();
        assert_eq!(e.exit_code(), ssocred_core::ExitClass::Usage);
        assert!(e.to_string().contains("v1alpha1"), "{e}");
        assert!(api_version(Some("{not json")).is_err());
    }

    #[test]
    fn cluster_names_are_checked_as_eks_does() {
        for good in ["prod", "a", "my_cluster-1", &"x".repeat(100)] {
            assert!(check_cluster(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "-x",
            "a,b",
            "a b",
            "ünï",
            &"x".repeat(101),
            "a\u{1b}[2J",
        ] {
            let e = check_cluster(bad).unwrap_err().to_string();
            assert!(!e.contains('\u{1b}'), "{e}");
        }
    }
}
