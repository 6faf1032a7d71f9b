//! IAM role ARNs: `arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME`.

use std::fmt;

/// The partitions whose IAM role ARNs ssocred accepts.
pub const PARTITIONS: &[&str] = &["aws", "aws-cn", "aws-us-gov"];

/// A parsed IAM role ARN. The role name is the last path segment, kept
/// byte for byte; the original text is kept too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleArn {
    partition: String,
    account_id: String,
    role_name: String,
    text: String,
}

/// Why a role ARN was rejected; the message quotes the ARN and the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
// The ARN may come from the portal (a role name holding `/`): shown escaped.
#[error(
    "malformed role ARN `{}`: {problem} (expected arn:aws:iam::123456789012:role/NAME)",
    crate::domain::text::visible(.arn)
)]
pub struct ArnError {
    arn: String,
    problem: &'static str,
}

impl RoleArn {
    /// Parses a role ARN.
    pub fn parse(text: &str) -> Result<Self, ArnError> {
        let fail = |problem| ArnError {
            arn: text.to_owned(),
            problem,
        };
        let mut parts = text.splitn(6, ':');
        let (Some("arn"), Some(partition), Some(service), Some(region), Some(account), Some(res)) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(fail(
                "it must have six `:`-separated fields starting with `arn`",
            ));
        };
        if !PARTITIONS.contains(&partition) {
            return Err(fail("the partition must be aws, aws-cn or aws-us-gov"));
        }
        if service != "iam" {
            return Err(fail("the service must be iam"));
        }
        if !region.is_empty() {
            return Err(fail("IAM ARNs have an empty region field"));
        }
        if !is_account_id(account) {
            return Err(fail("the account must be 12 digits"));
        }
        let Some(path_and_name) = res.strip_prefix("role/") else {
            return Err(fail("the resource must start with `role/`"));
        };
        let role_name = path_and_name.rsplit('/').next().unwrap_or_default();
        if !is_role_name(role_name) {
            return Err(fail(
                "the role name must be 1-64 characters of letters, digits and +=,.@_-",
            ));
        }
        if path_and_name.split('/').any(str::is_empty) {
            return Err(fail("the role path has an empty segment"));
        }
        // IAM's rule for paths; it keeps controls out of a listed role's ARN.
        if !path_and_name.chars().all(|c| ('!'..='\u{7f}').contains(&c)) {
            return Err(fail(
                "the role path must be ASCII characters from `!` to DEL",
            ));
        }
        Ok(RoleArn {
            partition: partition.to_owned(),
            account_id: account.to_owned(),
            role_name: role_name.to_owned(),
            text: text.to_owned(),
        })
    }

    /// The ARN of `role_name` in `account_id`, in the partition that owns
    /// `region` (an SSO region such as `cn-north-1`).
    pub fn for_role(account_id: &str, role_name: &str, region: &str) -> Result<Self, ArnError> {
        let partition = partition_of_region(region);
        Self::parse(&format!(
            "arn:{partition}:iam::{account_id}:role/{role_name}"
        ))
    }

    /// The partition: `aws`, `aws-cn` or `aws-us-gov`.
    pub fn partition(&self) -> &str {
        &self.partition
    }

    /// The 12-digit account id.
    pub fn account_id(&self) -> &str {
        &self.account_id
    }

    /// The role name: the last segment of the role path.
    pub fn role_name(&self) -> &str {
        &self.role_name
    }

    /// The ARN exactly as given.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for RoleArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// The partition that owns a region name.
pub fn partition_of_region(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// Whether `text` is a 12-digit AWS account id.
pub fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

fn is_role_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_partition() {
        for partition in PARTITIONS {
            let text = format!("arn:{partition}:iam::123456789012:role/ReadOnly");
            let arn = RoleArn::parse(&text).unwrap();
            assert_eq!(arn.partition(), *partition);
            assert_eq!(arn.account_id(), "123456789012");
            assert_eq!(arn.role_name(), "ReadOnly");
            assert_eq!(arn.as_str(), text);
        }
    }

    #[test]
    fn keeps_role_names_whole() {
        // The predecessor split on `/` and `_` and lost parts of names like these.
        for (text, name) in [
            (
                "arn:aws:iam::123456789012:role/AWSReservedSSO_Admin_0123abcd",
                "AWSReservedSSO_Admin_0123abcd",
            ),
            (
                "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Dev_1",
                "AWSReservedSSO_Dev_1",
            ),
            (
                "arn:aws:iam::123456789012:role/team/My.Role+x=y,z@w-v_u",
                "My.Role+x=y,z@w-v_u",
            ),
            ("arn:aws-cn:iam::000000000001:role/role", "role"),
        ] {
            assert_eq!(RoleArn::parse(text).unwrap().role_name(), name, "{text}");
        }
    }

    #[test]
    fn rejects_malformed_arns() {
        for text in [
            "",
            "ReadOnly",
            "arn:aws:iam::123456789012:user/bob",
            "arn:aws:sts::123456789012:role/ReadOnly",
            "arn:aws:iam:us-east-1:123456789012:role/ReadOnly",
            "arn:aws:iam::12345678901:role/ReadOnly",
            "arn:aws:iam::1234567890123:role/ReadOnly",
            "arn:aws:iam::12345678901a:role/ReadOnly",
            "arn:azure:iam::123456789012:role/ReadOnly",
            "arn:aws:iam::123456789012:role/",
            "arn:aws:iam::123456789012:role/path//Name",
            "arn:aws:iam::123456789012:role/bad name",
            "arn:aws:iam::123456789012:role/semi;colon",
        ] {
            let err = RoleArn::parse(text).unwrap_err();
            assert!(err.to_string().contains(&format!("`{text}`")), "{err}");
        }
    }

    #[test]
    fn a_listed_role_name_with_a_slash_cannot_smuggle_controls() {
        // The portal lists names, and a name holding `/` becomes a path.
        for name in [
            "x\u{1b}[2J/Admin",
            "a\nssocred: fake/Admin",
            "p\u{202e}/Admin",
            "é/Admin",
        ] {
            let err = RoleArn::for_role("123456789012", name, "us-east-1").unwrap_err();
            let shown = err.to_string();
            assert!(!shown.chars().any(char::is_control), "{shown:?}");
            assert!(!shown.contains('\u{202e}'), "{shown:?}");
        }
        assert!(RoleArn::for_role("123456789012", "team!~/Admin", "us-east-1").is_ok());
    }

    #[test]
    fn builds_arns_in_the_region_partition() {
        assert_eq!(
            RoleArn::for_role("123456789012", "Dev", "cn-north-1")
                .unwrap()
                .as_str(),
            "arn:aws-cn:iam::123456789012:role/Dev"
        );
        assert_eq!(
            RoleArn::for_role("123456789012", "Dev", "us-gov-west-1")
                .unwrap()
                .partition(),
            "aws-us-gov"
        );
        assert_eq!(
            RoleArn::for_role("123456789012", "Dev", "eu-west-1")
                .unwrap()
                .partition(),
            "aws"
        );
    }
}
