//! First-run setup (`ssocred init`): what a start URL says, and the edits of
//! the AWS config file it makes, planned before anything is written.
//!
//! Every edit goes through [`crate::store::ini_edit`], so the rest of the user's
//! file stays byte for byte; a section that exists with other values is a
//! [`Conflict`] unless the caller forces it.

use crate::store::ini_edit;

/// The longest start URL accepted: far above any real one, and short enough
/// to keep a config line readable.
const MAX_START_URL: usize = 1024;

/// Checks a start URL: `https://HOST[/PATH]`, one line, no spaces, no user
/// name or password before the host. The error says what is wrong, without
/// the URL.
pub fn check_start_url(url: &str) -> Result<(), String> {
    if url.len() > MAX_START_URL {
        return Err(format!("longer than {MAX_START_URL} characters"));
    }
    if url.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err("contains a space or a control character".to_owned());
    }
    let Some(rest) = url.strip_prefix("https://") else {
        return Err(
            "must start with https:// (for example https://d-1234567890.awsapps.com/start)"
                .to_owned(),
        );
    };
    if crate::domain::sso_profile::has_user_info(url) {
        return Err(crate::domain::sso_profile::USER_INFO_PROBLEM.to_owned());
    }
    if host_of(rest).is_empty() {
        return Err("has no host name".to_owned());
    }
    Ok(())
}

/// The host of what follows `https://`, lower case.
fn host_of(rest: &str) -> String {
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = host.split(':').next().unwrap_or_default();
    host.to_ascii_lowercase()
}

/// The region of the IAM Identity Center instance, when the start URL names
/// it. The usual `https://d-xxxxxxxxxx.awsapps.com/start` and custom
/// `https://NAME.awsapps.com/start` do not; the portal URLs of an instance's
/// regions do: `https://ssoins-ID.portal.REGION.app.aws` (dual-stack) and
/// `https://ssoins-ID.REGION.portal.amazonaws.com` (`.com.cn` in China).
pub fn region_from_start_url(url: &str) -> Option<String> {
    let host = host_of(url.strip_prefix("https://")?);
    let labels: Vec<&str> = host.split('.').collect();
    let n = labels.len();
    let region = if n >= 5 && labels[n - 2..] == ["app", "aws"] && labels[n - 4] == "portal" {
        labels[n - 3]
    } else if n >= 5 && labels[n - 3..] == ["portal", "amazonaws", "com"] {
        labels[n - 4]
    } else if n >= 6 && labels[n - 4..] == ["portal", "amazonaws", "com", "cn"] {
        labels[n - 5]
    } else {
        return None;
    };
    looks_like_region(region).then(|| region.to_owned())
}

/// `xx-name-N` or `xx-name-name-N`: letters, hyphens, a final number.
fn looks_like_region(label: &str) -> bool {
    let parts: Vec<&str> = label.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts
            .last()
            .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// A name for the `[sso-session]` of a start URL: the first label of its
/// host (`d-1234567890`, `mycorp`), else `sso`.
pub fn default_session_name(url: &str) -> String {
    let host = url
        .strip_prefix("https://")
        .map(host_of)
        .unwrap_or_default();
    let label = host.split('.').next().unwrap_or_default();
    if check_name(label).is_ok() {
        label.to_owned()
    } else {
        "sso".to_owned()
    }
}

/// Checks an sso-session or profile name: 1 to 64 letters, digits and
/// `._+@-`, which every AWS tool reads the same way in a section header.
pub fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > 64 {
        return Err("must be 1 to 64 characters".to_owned());
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"._+@-".contains(&b))
    {
        return Err("may hold only letters, digits and . _ + @ -".to_owned());
    }
    Ok(())
}

/// The header of profile `name` in the config file: `default`, or
/// `profile NAME`.
pub fn profile_header(name: &str) -> String {
    if name == "default" {
        "default".to_owned()
    } else {
        format!("profile {name}")
    }
}

/// A section that exists with values other than those to be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// The section header, as `[HEADER]`.
    pub header: String,
}

/// Sets `entries` in section `[header]` of `text`: the new text, or a
/// [`Conflict`] when the section exists, would change, and `force` is off.
/// An existing section that already holds these values is left as it is.
pub fn set_section(
    text: &str,
    header: &str,
    entries: &[(&str, &str)],
    force: bool,
) -> Result<String, Conflict> {
    let exists = ini_edit::section_headers(text).iter().any(|h| h == header);
    let after = ini_edit::set_section(text, header, entries);
    if exists && after != text && !force {
        return Err(Conflict {
            header: format!("[{header}]"),
        });
    }
    Ok(after)
}

/// Adds section `[header]` with no keys and one `# comment` line under its
/// header (who wrote it, and why), when `text` has no such section;
/// otherwise returns `text` as it is. The rest of the file stays byte for
/// byte ([`ini_edit::set_section`]).
pub fn add_empty_section(text: &str, header: &str, comment: &str) -> String {
    if ini_edit::section_headers(text).iter().any(|h| h == header) {
        return text.to_owned();
    }
    let mut out = ini_edit::set_section(text, header, &[]);
    let eol = if out.ends_with("\r\n") { "\r\n" } else { "\n" };
    out.push_str("# ");
    out.push_str(comment);
    out.push_str(eol);
    out
}

/// A unified diff of a file's text before and after an edit, both sides
/// labelled `label`; empty when nothing changes. The value of a secret key
/// (`aws_secret_access_key`, `aws_session_token`, `aws_security_token`),
/// which the AWS config file may hold, is shown as `<redacted>` wherever
/// the diff shows its line, context lines included: the diff goes to a
/// terminal and to the daily sync's log.
pub fn unified_diff(before: &str, after: &str, label: &str) -> String {
    if before == after {
        return String::new();
    }
    let diff = similar::TextDiff::from_lines(before, after)
        .unified_diff()
        .header(label, label)
        .to_string();
    diff.split_inclusive('\n').map(redacted_line).collect()
}

/// A diff line with a secret key's value redacted; other lines as they are.
fn redacted_line(line: &str) -> std::borrow::Cow<'_, str> {
    const SECRET_KEYS: [&str; 3] = [
        "aws_secret_access_key",
        "aws_session_token",
        "aws_security_token",
    ];
    let Some(mark) = line.chars().next().filter(|c| matches!(c, ' ' | '+' | '-')) else {
        return line.into();
    };
    let body = &line[1..];
    let Some((key, _)) = body.split_once('=') else {
        return line.into();
    };
    if !SECRET_KEYS.contains(&key.trim().to_ascii_lowercase().as_str()) || line.starts_with("---") {
        return line.into();
    }
    let eol = if line.ends_with("\r\n") {
        "\r\n"
    } else if line.ends_with('\n') {
        "\n"
    } else {
        ""
    };
    format!("{mark}{key}= <redacted>{eol}").into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_urls_are_checked() {
        assert!(check_start_url("https://d-1234567890.awsapps.com/start").is_ok());
        assert!(check_start_url("https://mycorp.awsapps.com/start#/").is_ok());
        for (bad, why) in [
            ("http://d-1.awsapps.com/start", "must start with https://"),
            ("d-1.awsapps.com/start", "must start with https://"),
            ("https:///start", "has no host name"),
            (
                "https://a b/start",
                "contains a space or a control character",
            ),
            (
                "https://a/start\n[default]",
                "contains a space or a control character",
            ),
            (&format!("https://a/{}", "x".repeat(2000)), "longer than"),
        ] {
            let e = check_start_url(bad).unwrap_err();
            assert!(e.contains(why), "{bad:?}: {e}");
        }
    }

    #[test]
    fn the_region_is_read_only_from_urls_that_name_it() {
        let cases = [
            ("https://d-1234567890.awsapps.com/start", None),
            ("https://mycorp.awsapps.com/start/#/", None),
            (
                "https://ssoins-7223a3d0b1c2e3f4.portal.eu-west-1.app.aws",
                Some("eu-west-1"),
            ),
            (
                "https://ssoins-111111h2222j33pp.eu-central-2.portal.amazonaws.com/",
                Some("eu-central-2"),
            ),
            (
                "https://SSOINS-1.US-GOV-WEST-1.Portal.AmazonAWS.com",
                Some("us-gov-west-1"),
            ),
            (
                "https://ssoins-1.cn-north-1.portal.amazonaws.com.cn/start",
                Some("cn-north-1"),
            ),
            ("https://ssoins-1.portal.not-a-region.app.aws", None),
            ("https://portal.eu-west-1.app.aws", None),
            ("https://x.evil-1.portal.amazonaws.com.example.org", None),
        ];
        for (url, want) in cases {
            assert_eq!(region_from_start_url(url).as_deref(), want, "{url}");
        }
    }

    #[test]
    fn session_names_come_from_the_host() {
        assert_eq!(
            default_session_name("https://d-1234567890.awsapps.com/start"),
            "d-1234567890"
        );
        assert_eq!(
            default_session_name("https://MyCorp.awsapps.com/start"),
            "mycorp"
        );
        assert_eq!(default_session_name("nonsense"), "sso");
        for bad in ["prod admin", "a]b"] {
            let e = check_name(bad).unwrap_err();
            assert_eq!(e, "may hold only letters, digits and . _ + @ -", "{bad}");
        }
        assert!(check_name("dev-Admin_1.x").is_ok());
    }

    #[test]
    fn an_empty_section_is_added_once_and_parses_as_a_profile() {
        let text = "[default]\r\naws_access_key_id = AKIAOLD\r\n";
        let added = add_empty_section(text, "profile bare", "written by a test");
        assert_eq!(
            added,
            "[default]\r\naws_access_key_id = AKIAOLD\r\n\r\n[profile bare]\r\n# written by a test\r\n"
        );
        assert_eq!(add_empty_section(&added, "profile bare", "again"), added);
        let sections = crate::store::profile::parse_sections(Some(&added), None).unwrap();
        let bare = sections
            .get_profile("bare")
            .expect("an empty profile is a profile");
        assert_eq!(bare.get("aws_access_key_id"), None);
    }

    #[test]
    fn an_existing_section_is_kept_unless_forced() {
        let text = "# mine\n[profile dev]\nsso_session = corp\noutput = json\n";
        let same = set_section(text, "profile dev", &[("sso_session", "corp")], false).unwrap();
        assert_eq!(same, text);
        let e = set_section(text, "profile dev", &[("sso_session", "other")], false).unwrap_err();
        assert_eq!(e.header, "[profile dev]");
        let forced = set_section(text, "profile dev", &[("sso_session", "other")], true).unwrap();
        assert_eq!(
            forced,
            "# mine\n[profile dev]\nsso_session = other\noutput = json\n"
        );
        let added = set_section(
            text,
            "sso-session corp",
            &[("sso_region", "eu-west-1")],
            false,
        )
        .unwrap();
        assert!(added.starts_with(text), "{added}");
    }

    #[test]
    fn a_diff_is_empty_when_nothing_changes_and_never_shows_a_secret() {
        assert_eq!(unified_diff("a\n", "a\n", "f"), "");
        // A secret next to the change, or in it, never shows.
        let before = "[profile k]\naws_secret_access_key = wJalrSECRET\nAWS_Session_Token=FwoSECRET\nregion = a\n";
        let after = "[profile k]\naws_secret_access_key = wJalrSECRET\nAWS_Session_Token=FwoSECRET2\nregion = b\n";
        let diff = unified_diff(before, after, "/h/.aws/config");
        assert!(!diff.contains("SECRET"), "{diff}");
        assert!(
            diff.contains(" aws_secret_access_key = <redacted>\n"),
            "{diff}"
        );
        assert!(diff.contains("+AWS_Session_Token= <redacted>\n"), "{diff}");
        assert!(diff.contains("+region = b\n"), "{diff}");
        let diff = unified_diff("a\n", "a\nb\n", "/h/.aws/config");
        assert!(
            diff.starts_with("--- /h/.aws/config\n+++ /h/.aws/config\n"),
            "{diff}"
        );
        assert!(diff.contains("\n+b\n"), "{diff}");
    }
}
