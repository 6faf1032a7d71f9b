//! A team source's file (`ssocred-team.toml`): the organisation's
//! sso-sessions, its naming of discovered profiles, per-account aliases,
//! regions and tags, what to exclude, and extra plain profiles.
//!
//! ```toml
//! [sso-session.corp]
//! start_url = "https://d-1234567890.awsapps.com/start"
//! region = "eu-west-1"
//! scopes = ["sso:account:access"]
//!
//! [discover]
//! profile_name = "{{alias}}-{{role_name}}"
//! region = "eu-west-1"
//!
//! [account.123456789012]
//! alias = "prod"
//! region = "eu-central-1"
//! tags = { env = "prod" }
//!
//! [exclude]
//! accounts = ["999999999999"]
//! roles = ["AWSReservedSSO_Billing"]
//!
//! [profile.prod-region]
//! region = "eu-central-1"
//! output = "json"
//! ```
//!
//! A source is remote content, under the rule of project files: it may
//! choose names, regions and tags, never run a command, write a file, or
//! change an endpoint or a CA. The keys form a typed list; any other key
//! (`credential_process`, `endpoint_url`, `ca_bundle`, a typo) is refused
//! with exit 2, naming the source, the file and the line.

use std::collections::BTreeMap;

use serde::Deserialize;
use ssocred_core::Error;
use ssocred_core::domain::naming::ProfileNamer;
use toml::Spanned;

use crate::settings::config_file::line_col;

/// The largest source file read: a team's file of a few thousand accounts
/// is well under it, and a hostile one must not make sync allocate more.
pub const MAX_SOURCE_FILE_BYTES: u64 = 256 * 1024;

/// The most tags one account may carry.
const MAX_TAGS: usize = 32;

/// The keys a source may set, for the refusal's message.
const ALLOWED: &str = "[sso-session.NAME] start_url, region, scopes; [discover] profile_name, region; [account.ID] alias, region, tags; [exclude] accounts, roles; [profile.NAME] region, output, sso_session, sso_account_id, sso_role_name";

/// A parsed and checked source file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamFile {
    /// The sso-sessions, by name.
    #[serde(rename = "sso-session", default)]
    pub sessions: BTreeMap<String, Spanned<Session>>,
    /// How `discover` names and places profiles.
    #[serde(default)]
    pub discover: Option<Spanned<Discover>>,
    /// Per-account aliases, regions and tags, by account id.
    #[serde(default)]
    pub account: BTreeMap<String, Spanned<AccountRule>>,
    /// Accounts and roles `discover` leaves out.
    #[serde(default)]
    pub exclude: Option<Spanned<Exclude>>,
    /// Extra plain profiles, by name.
    #[serde(default)]
    pub profile: BTreeMap<String, Spanned<PlainProfile>>,
}

/// `[sso-session.NAME]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Session {
    /// The AWS access portal URL.
    pub start_url: Spanned<String>,
    /// The IAM Identity Center region.
    pub region: Spanned<String>,
    /// The registration scopes.
    #[serde(default)]
    pub scopes: Vec<Spanned<String>>,
}

/// `[discover]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Discover {
    /// The profile-name template (`discover --profile-name`), with `alias`
    /// and `tags.KEY` beside the usual fields.
    pub profile_name: Option<Spanned<String>>,
    /// The region of every discovered profile, unless its account has one.
    pub region: Option<Spanned<String>>,
}

/// `[account.ID]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountRule {
    /// A short name for the account, `{{alias}}` in the template.
    pub alias: Option<Spanned<String>>,
    /// The region of the account's profiles.
    pub region: Option<Spanned<String>>,
    /// Tags, `{{tags.KEY}}` in the template.
    #[serde(default)]
    pub tags: BTreeMap<String, Spanned<String>>,
}

/// `[exclude]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exclude {
    /// Account ids.
    #[serde(default)]
    pub accounts: Vec<Spanned<String>>,
    /// Role names, in every account.
    #[serde(default)]
    pub roles: Vec<Spanned<String>>,
}

/// `[profile.NAME]`: a plain profile of safe keys only.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlainProfile {
    /// `region`.
    pub region: Option<Spanned<String>>,
    /// `output`: json, text, table, yaml or yaml-stream.
    pub output: Option<Spanned<String>>,
    /// `sso_session`.
    pub sso_session: Option<Spanned<String>>,
    /// `sso_account_id`.
    pub sso_account_id: Option<Spanned<String>>,
    /// `sso_role_name`.
    pub sso_role_name: Option<Spanned<String>>,
}

/// Where a source file came from, for its messages: the source's name and
/// the file's path inside it.
#[derive(Debug, Clone, Copy)]
pub struct Origin<'a> {
    /// The source's name.
    pub source: &'a str,
    /// The file's path in the source.
    pub file: &'a str,
}

impl Origin<'_> {
    fn at(&self, text: &str, offset: usize) -> String {
        format!(
            "source `{}`: {}, line {}",
            self.source,
            self.file,
            line_col(text, offset).0
        )
    }

    /// A bad value (exit 3), naming the line.
    fn bad(&self, text: &str, offset: usize, message: &str) -> Error {
        Error::ConfigFile {
            path: self.at(text, offset).into(),
            message: message.to_owned(),
        }
    }
}

impl TeamFile {
    /// Parses and checks `text`. A key outside the typed list is refused
    /// (exit 2); bad TOML or a bad value is a config error (exit 3); both
    /// name the source, the file and the line.
    pub fn parse(origin: Origin<'_>, text: &str) -> Result<TeamFile, Error> {
        let file: TeamFile = toml::from_str(text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            let message = e.message().trim_end();
            match unknown_key(message) {
                Some(key) => Error::Usage(format!(
                    "{}: `{key}` is refused: a team source may set only {ALLOWED}; never a command (credential_process), an endpoint or a CA",
                    origin.at(text, offset)
                )),
                None => origin.bad(text, offset, message),
            }
        })?;
        file.check(origin, text)?;
        Ok(file)
    }

    fn check(&self, origin: Origin<'_>, text: &str) -> Result<(), Error> {
        let bad = |offset: usize, what: String| Err(origin.bad(text, offset, &what));
        let line = |s: &Spanned<String>| s.span().start;
        for (name, session) in &self.sessions {
            let at = session.span().start;
            if let Err(why) = ssocred_core::store::setup::check_name(name) {
                return bad(at, format!("sso-session name `{name}` {why}"));
            }
            let session = session.get_ref();
            if let Err(why) =
                ssocred_core::store::setup::check_start_url(session.start_url.get_ref())
            {
                return bad(line(&session.start_url), format!("start_url {why}"));
            }
            check_region(&session.region).or_else(|why| bad(line(&session.region), why))?;
            for scope in &session.scopes {
                if !safe_word(scope.get_ref(), 128, b":.-_/") {
                    return bad(
                        line(scope),
                        "a scope may hold only letters, digits and : . - _ /".to_owned(),
                    );
                }
            }
        }
        if let Some(discover) = &self.discover {
            if let Some(template) = &discover.get_ref().profile_name
                && let Err(e) = ProfileNamer::new(template.get_ref())
            {
                return bad(line(template), format!("profile_name: {e}"));
            }
            if let Some(region) = &discover.get_ref().region {
                check_region(region).or_else(|why| bad(line(region), why))?;
            }
        }
        for (id, rule) in &self.account {
            let at = rule.span().start;
            if !is_account_id(id) {
                return bad(at, format!("`{id}` is not a 12-digit account id"));
            }
            let rule = rule.get_ref();
            if let Some(alias) = &rule.alias
                && ssocred_core::store::setup::check_name(alias.get_ref()).is_err()
            {
                return bad(
                    line(alias),
                    "an alias may hold 1 to 64 letters, digits and . _ + @ -".to_owned(),
                );
            }
            if let Some(region) = &rule.region {
                check_region(region).or_else(|why| bad(line(region), why))?;
            }
            if rule.tags.len() > MAX_TAGS {
                return bad(at, format!("more than {MAX_TAGS} tags"));
            }
            for (key, value) in &rule.tags {
                if !safe_word(key, 64, b"._-") || !safe_word(value.get_ref(), 128, b"._-+@:/=") {
                    return bad(
                        line(value),
                        format!(
                            "tag `{key}`: a tag's key may hold letters, digits and . _ -, its value also + @ : / ="
                        ),
                    );
                }
            }
        }
        if let Some(exclude) = &self.exclude {
            for id in &exclude.get_ref().accounts {
                if !is_account_id(id.get_ref()) {
                    return bad(
                        line(id),
                        format!("`{}` is not a 12-digit account id", id.get_ref()),
                    );
                }
            }
            for role in &exclude.get_ref().roles {
                if !is_role_name(role.get_ref()) {
                    return bad(line(role), "not a role name".to_owned());
                }
            }
        }
        for (name, profile) in &self.profile {
            self.check_profile(name, profile, origin, text)?;
        }
        Ok(())
    }

    fn check_profile(
        &self,
        name: &str,
        profile: &Spanned<PlainProfile>,
        origin: Origin<'_>,
        text: &str,
    ) -> Result<(), Error> {
        let bad = |offset: usize, what: String| Err(origin.bad(text, offset, &what));
        let line = |s: &Spanned<String>| s.span().start;
        if let Err(why) = ssocred_core::store::setup::check_name(name) {
            return bad(profile.span().start, format!("profile name `{name}` {why}"));
        }
        if name == "default" {
            return bad(
                profile.span().start,
                "a source may not set the default profile; it is yours".to_owned(),
            );
        }
        let profile = profile.get_ref();
        if let Some(region) = &profile.region {
            check_region(region).or_else(|why| bad(line(region), why))?;
        }
        if let Some(output) = &profile.output
            && !["json", "text", "table", "yaml", "yaml-stream"]
                .contains(&output.get_ref().as_str())
        {
            return bad(
                line(output),
                "output must be json, text, table, yaml or yaml-stream".to_owned(),
            );
        }
        if let Some(session) = &profile.sso_session
            && ssocred_core::store::setup::check_name(session.get_ref()).is_err()
        {
            return bad(line(session), "not an sso-session name".to_owned());
        }
        if let Some(id) = &profile.sso_account_id
            && !is_account_id(id.get_ref())
        {
            return bad(line(id), "not a 12-digit account id".to_owned());
        }
        if let Some(role) = &profile.sso_role_name
            && !is_role_name(role.get_ref())
        {
            return bad(line(role), "not a role name".to_owned());
        }
        Ok(())
    }

    /// The rule of an account, if the file has one.
    pub fn account(&self, id: &str) -> Option<&AccountRule> {
        self.account.get(id).map(Spanned::get_ref)
    }

    /// Whether `discover` leaves this role out.
    pub fn excludes(&self, account_id: &str, role_name: &str) -> bool {
        self.exclude.as_ref().is_some_and(|e| {
            let e = e.get_ref();
            e.accounts.iter().any(|a| a.get_ref() == account_id)
                || e.roles.iter().any(|r| r.get_ref() == role_name)
        })
    }

    /// The discovery template, if the file sets one.
    pub fn profile_name(&self) -> Option<&str> {
        self.discover
            .as_ref()
            .and_then(|d| d.get_ref().profile_name.as_ref())
            .map(|t| t.get_ref().as_str())
    }

    /// The region of a discovered profile of `account_id`: the account's,
    /// else `[discover] region`.
    pub fn region_of(&self, account_id: &str) -> Option<&str> {
        self.account(account_id)
            .and_then(|a| a.region.as_ref())
            .or_else(|| {
                self.discover
                    .as_ref()
                    .and_then(|d| d.get_ref().region.as_ref())
            })
            .map(|r| r.get_ref().as_str())
    }

    /// Each account's tags, as plain text, for the naming template.
    pub fn tags(&self) -> BTreeMap<&str, BTreeMap<String, String>> {
        self.account
            .iter()
            .map(|(id, rule)| {
                let tags = rule
                    .get_ref()
                    .tags
                    .iter()
                    .map(|(k, v)| (k.clone(), v.get_ref().clone()))
                    .collect();
                (id.as_str(), tags)
            })
            .collect()
    }

    /// The alias of `account_id`, if the file gives one.
    pub fn alias(&self, account_id: &str) -> Option<&str> {
        self.account(account_id)
            .and_then(|a| a.alias.as_ref())
            .map(|a| a.get_ref().as_str())
    }

    /// The INI sections the file writes into its block, in order: each
    /// sso-session, then each plain profile; `(header, entries)`.
    pub fn sections(&self) -> Vec<(String, Vec<(&'static str, String)>)> {
        let mut out = Vec::new();
        for (name, session) in &self.sessions {
            let s = session.get_ref();
            let mut entries = vec![
                ("sso_start_url", s.start_url.get_ref().clone()),
                ("sso_region", s.region.get_ref().clone()),
            ];
            if !s.scopes.is_empty() {
                let scopes: Vec<&str> = s.scopes.iter().map(|x| x.get_ref().as_str()).collect();
                entries.push(("sso_registration_scopes", scopes.join(",")));
            }
            out.push((format!("sso-session {name}"), entries));
        }
        for (name, profile) in &self.profile {
            let p = profile.get_ref();
            let mut entries = Vec::new();
            for (key, value) in [
                ("sso_session", &p.sso_session),
                ("sso_account_id", &p.sso_account_id),
                ("sso_role_name", &p.sso_role_name),
                ("region", &p.region),
                ("output", &p.output),
            ] {
                if let Some(value) = value {
                    entries.push((key, value.get_ref().clone()));
                }
            }
            out.push((ssocred_core::store::setup::profile_header(name), entries));
        }
        out
    }
}

/// The key an "unknown field" error names.
fn unknown_key(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("unknown field `")?;
    rest.split_once('`').map(|(key, _)| key)
}

fn check_region(region: &Spanned<String>) -> Result<(), String> {
    ssocred_core::domain::sso_profile::check_region(region.get_ref())
        .and_then(|()| ssocred_core::domain::endpoints::check_region_name(region.get_ref()))
        .map_err(|why| format!("region `{}`: {why}", region.get_ref()))
}

fn is_account_id(id: &str) -> bool {
    id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit())
}

fn is_role_name(name: &str) -> bool {
    safe_word(name, 64, b"+=,.@_-")
}

/// 1 to `max` ASCII letters and digits, and the bytes of `extra`.
fn safe_word(word: &str, max: usize, extra: &[u8]) -> bool {
    !word.is_empty()
        && word.len() <= max
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || extra.contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORIGIN: Origin<'static> = Origin {
        source: "team",
        file: "ssocred-team.toml",
    };

    const GOOD: &str = r#"
[sso-session.corp]
start_url = "https://d-corp.awsapps.com/start"
region = "us-east-1"
scopes = ["sso:account:access"]

[discover]
profile_name = "{{alias}}-{{role_name}}"
region = "eu-west-1"

[account.123456789012]
alias = "prod"
region = "eu-central-1"
tags = { env = "prod" }

[exclude]
accounts = ["999999999999"]
roles = ["Billing"]

[profile.tools]
region = "eu-west-1"
output = "json"
"#;

    #[test]
    fn a_team_file_gives_sessions_profiles_and_discovery_rules() {
        let file = TeamFile::parse(ORIGIN, GOOD).unwrap();
        let sections = file.sections();
        assert_eq!(sections[0].0, "sso-session corp");
        assert_eq!(
            sections[0].1[2],
            ("sso_registration_scopes", "sso:account:access".to_owned())
        );
        assert_eq!(sections[1].0, "profile tools");
        assert_eq!(file.region_of("123456789012"), Some("eu-central-1"));
        assert_eq!(file.region_of("210987654321"), Some("eu-west-1"));
        assert!(file.excludes("999999999999", "Admin"));
        assert!(file.excludes("123456789012", "Billing"));
        assert!(!file.excludes("123456789012", "Admin"));
    }

    #[test]
    fn a_key_outside_the_list_is_refused_naming_source_file_and_line() {
        for (text, key, line) in [
            (
                "[profile.x]\nregion = 'eu-west-1'\ncredential_process = 'sh -c evil'\n",
                "credential_process",
                3,
            ),
            (
                "[profile.x]\nendpoint_url = 'http://evil'\n",
                "endpoint_url",
                2,
            ),
            ("[profile.x]\nca_bundle = '/tmp/ca.pem'\n", "ca_bundle", 2),
            (
                "\n[sso-session.s]\nstart_url = 'https://a.awsapps.com/start'\nregion = 'us-east-1'\nlogin_command = 'x'\n",
                "login_command",
                5,
            ),
            ("sinks = ['dotenv']\n", "sinks", 1),
        ] {
            let e = TeamFile::parse(ORIGIN, text).unwrap_err();
            assert_eq!(e.exit_code(), ssocred_core::ExitClass::Usage, "{text}");
            let message = e.to_string();
            assert!(
                message.contains("source `team`: ssocred-team.toml")
                    && message.contains(&format!("line {line}:"))
                    && message.contains(&format!("`{key}`")),
                "{message}"
            );
        }
    }

    #[test]
    fn bad_values_are_config_errors_naming_the_line() {
        for (text, line) in [
            (
                "[sso-session.s]\nstart_url = 'http://a/start'\nregion = 'us-east-1'\n",
                2,
            ),
            (
                "[sso-session.s]\nstart_url = 'https://a.awsapps.com/start'\nregion = 'eu-wst-1'\n",
                3,
            ),
            ("[account.12]\nalias = 'x'\n", 1),
            ("[account.123456789012]\nalias = 'a b'\n", 2),
            ("[profile.x]\noutput = 'html'\n", 2),
            ("[profile.default]\nregion = 'eu-west-1'\n", 1),
            ("[discover]\nprofile_name = '{{alias'\n", 2),
            ("[profile.x\n", 1),
        ] {
            let e = TeamFile::parse(ORIGIN, text).unwrap_err();
            assert_eq!(
                e.exit_code(),
                ssocred_core::ExitClass::Config,
                "{text}: {e}"
            );
            assert!(
                e.to_string().contains(&format!("line {line}")),
                "{text}: {e}"
            );
        }
    }
}
