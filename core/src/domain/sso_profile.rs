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

/// What is wrong with a start URL that carries user info: said without the
/// URL, since that would echo the password.
pub const USER_INFO_PROBLEM: &str = "holds a user name or password before the host (`https://USER:PASSWORD@HOST`); IAM Identity Center takes none, and a password does not belong in a URL: remove it";

/// Whether a start URL carries user info (`https://USER[:PASSWORD]@HOST`):
/// an `@` before the end of the authority.
pub fn has_user_info(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    rest[..end].contains('@')
}

/// `url` with its user info, if any, replaced by `***`, for messages.
pub fn without_user_info(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..end].rsplit_once('@') {
        Some((_, host)) => format!("{scheme}://***@{host}{}", &rest[end..]),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_info_is_found_in_the_authority_only_and_hidden() {
        for url in [
            "https://alice:hunter2@d-1.awsapps.com/start",
            "https://alice@d-1.awsapps.com",
            "https://:p@ss@d-1.awsapps.com/start?x=1",
        ] {
            assert!(has_user_info(url), "{url}");
            let shown = without_user_info(url);
            assert!(
                !shown.contains("alice") && !shown.contains("hunter2") && !shown.contains(":p"),
                "{shown}"
            );
            assert!(shown.starts_with("https://***@d-1.awsapps.com"), "{shown}");
        }
        for url in [
            "https://d-1.awsapps.com/start",
            "https://d-1.awsapps.com/start/@team",
            "https://d-1.awsapps.com/start?u=a@b",
            "u",
        ] {
            assert!(!has_user_info(url), "{url}");
            assert_eq!(without_user_info(url), url);
        }
    }
}
