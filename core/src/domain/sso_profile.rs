//! The SSO settings of one profile, as the store layer (`store::profile`)
//! reads them from the AWS config file, and the check of a region name.

/// The SSO settings of one profile, resolved through its `sso-session`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoProfile {
    /// The profile name.
    pub name: String,
    /// The `sso-session` name, for sso-session profiles.
    pub session: Option<String>,
    /// The start URL.
    pub start_url: String,
    /// The region of the IAM Identity Center instance.
    pub sso_region: String,
    /// The profile's own `region`, if any.
    pub region: Option<String>,
    /// `sso_account_id`, if set.
    pub account_id: Option<String>,
    /// `sso_role_name`, if set.
    pub role_name: Option<String>,
}

impl SsoProfile {
    /// The string the AWS CLI hashes to name this login's token-cache file:
    /// the session name for sso-session profiles, else the start URL.
    pub fn token_cache_key(&self) -> &str {
        self.session.as_deref().unwrap_or(&self.start_url)
    }

    /// A profile for unit tests: `name` and `session`, the start URL
    /// `https://d-1.awsapps.com/start` in us-east-1, no region and no role.
    /// Tests that need other values set them with struct update syntax.
    #[cfg(test)]
    pub(crate) fn for_test(name: &str, session: Option<&str>) -> Self {
        SsoProfile {
            name: name.to_owned(),
            session: session.map(str::to_owned),
            start_url: "https://d-1.awsapps.com/start".to_owned(),
            sso_region: "us-east-1".to_owned(),
            region: None,
            account_id: None,
            role_name: None,
        }
    }
}

/// Checks that `region` can be an AWS region: a DNS label of letters,
/// digits and hyphens (`us-east-1`), since it becomes part of a host name.
/// The error says what is wrong, for a message that names the setting.
pub fn check_region(region: &str) -> Result<(), String> {
    let label = !region.is_empty()
        && region.len() <= 63
        && region
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !region.starts_with('-')
        && !region.ends_with('-');
    if label {
        Ok(())
    } else {
        Err("not a region name (letters, digits and hyphens, such as us-east-1)".to_owned())
    }
}
