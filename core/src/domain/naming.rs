//! Profile names for discovered roles, from a handlebars template.
//!
//! The template sees `account_id`, `account_name`, `role_name`, `role_arn`,
//! `sso_profile`, `sso_session` (empty for legacy profiles), `sso_start_url`
//! and `sso_region`, and what a team source says of the account: `alias`
//! (else the account name) and `tags` (`{{tags.env}}`), plus the helpers
//! `lower` and `upper`. Strict mode makes a
//! misspelt field an error, and nothing is HTML-escaped. The rendered name is
//! then sanitised to the characters every AWS SDK accepts in a profile name.

use std::collections::BTreeMap;

use handlebars::Handlebars;
use serde::Serialize;

use crate::Error;
use crate::domain::role::RoleEntry;
use crate::domain::sso_profile::SsoProfile;

/// The default template: `123456789012-ReadOnly`, as the predecessor named
/// the profiles it discovered.
pub const DEFAULT_TEMPLATE: &str = "{{account_id}}-{{role_name}}";

/// Renders profile names from one template.
#[derive(Debug)]
pub struct ProfileNamer {
    registry: Handlebars<'static>,
    template: String,
}

#[derive(Serialize)]
struct Fields<'a> {
    account_id: &'a str,
    account_name: &'a str,
    role_name: &'a str,
    role_arn: &'a str,
    sso_profile: &'a str,
    sso_session: &'a str,
    sso_start_url: &'a str,
    sso_region: &'a str,
    alias: &'a str,
    tags: &'a BTreeMap<String, String>,
}

/// What a team source says of an account, for the template: its alias
/// and its tags.
#[derive(Debug, Default, Clone, Copy)]
pub struct AccountFields<'a> {
    /// `{{alias}}`; the account name when `None`.
    pub alias: Option<&'a str>,
    /// `{{tags.KEY}}`.
    pub tags: Option<&'a BTreeMap<String, String>>,
}

/// No tags.
static NO_TAGS: BTreeMap<String, String> = BTreeMap::new();

mod helpers {
    use handlebars::handlebars_helper;
    handlebars_helper!(lower: |s: str| s.to_lowercase());
    handlebars_helper!(upper: |s: str| s.to_uppercase());
}

const TEMPLATE_NAME: &str = "profile-name";

/// The longest profile-name template: a name is a line, not a document.
const MAX_TEMPLATE: usize = 1024;

/// The deepest nesting of blocks a profile-name template may use.
const MAX_BLOCKS: usize = 16;

/// Refuses what a profile name never needs and what could make rendering
/// unbounded: partials (which may include themselves), inline partials,
/// deep nesting and long templates.
fn check_bounds(template: &str) -> Result<(), String> {
    if template.len() > MAX_TEMPLATE {
        return Err(format!("longer than {MAX_TEMPLATE} bytes"));
    }
    let compact: String = template.split_whitespace().collect();
    if compact.contains("{{>") || compact.contains("{{#>") || compact.contains("{{#*") {
        return Err("partials are not allowed in a profile name".to_owned());
    }
    let (mut depth, mut deepest) = (0usize, 0usize);
    for (at, _) in compact.match_indices("{{") {
        match compact[at + 2..].chars().find(|c| *c != '~') {
            Some('#') => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            Some('/') => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    if deepest > MAX_BLOCKS {
        return Err(format!("blocks nest deeper than {MAX_BLOCKS} levels"));
    }
    Ok(())
}

impl ProfileNamer {
    /// Compiles `template`; a syntax error is a usage error naming
    /// `--profile-name`.
    pub fn new(template: &str) -> Result<Self, Error> {
        let shown =
            || crate::domain::text::visible(template.get(..60).unwrap_or(template)).into_owned();
        check_bounds(template)
            .map_err(|why| Error::Usage(format!("--profile-name `{}`: {why}", shown())))?;
        let mut registry = Handlebars::new();
        registry.set_strict_mode(true);
        registry.register_escape_fn(handlebars::no_escape);
        registry.register_helper("lower", Box::new(helpers::lower));
        registry.register_helper("upper", Box::new(helpers::upper));
        registry
            .register_template_string(TEMPLATE_NAME, template)
            .map_err(|e| Error::Usage(format!("--profile-name `{template}`: {e}")))?;
        Ok(ProfileNamer {
            registry,
            template: template.to_owned(),
        })
    }

    /// The sanitised name of `role`'s profile.
    pub fn name(&self, role: &RoleEntry, sso: &SsoProfile) -> Result<String, Error> {
        self.name_with(role, sso, AccountFields::default())
    }

    /// The sanitised name of `role`'s profile, with what a team source says
    /// of its account.
    pub fn name_with(
        &self,
        role: &RoleEntry,
        sso: &SsoProfile,
        account: AccountFields<'_>,
    ) -> Result<String, Error> {
        let fields = Fields {
            account_id: role.account_id(),
            account_name: role.account_name(),
            role_name: role.role_name(),
            role_arn: role.role_arn(),
            sso_profile: &sso.name,
            sso_session: sso.session.as_deref().unwrap_or(""),
            sso_start_url: &sso.start_url,
            sso_region: &sso.sso_region,
            alias: account.alias.unwrap_or(role.account_name()),
            tags: account.tags.unwrap_or(&NO_TAGS),
        };
        let raw = self
            .registry
            .render(TEMPLATE_NAME, &fields)
            .map_err(|e| Error::Usage(format!("--profile-name `{}`: {e}", self.template)))?;
        let name = sanitise(&raw);
        if name.is_empty() {
            return Err(Error::Usage(format!(
                "--profile-name `{}` gives an empty name for {}",
                self.template,
                role.role_arn()
            )));
        }
        Ok(name)
    }

    /// The names of every role, in order. Two roles with one name are an
    /// error naming both, since one profile would silently replace the other.
    pub fn name_all(&self, roles: &[RoleEntry], sso: &SsoProfile) -> Result<Vec<String>, Error> {
        self.name_all_with(roles, sso, &|_| AccountFields::default())
    }

    /// [`name_all`](Self::name_all), with what a team source says of each
    /// role's account.
    pub fn name_all_with<'a>(
        &self,
        roles: &[RoleEntry],
        sso: &SsoProfile,
        account: &dyn Fn(&RoleEntry) -> AccountFields<'a>,
    ) -> Result<Vec<String>, Error> {
        let mut names = Vec::with_capacity(roles.len());
        for role in roles {
            names.push(self.name_with(role, sso, account(role))?);
        }
        // Sorting indices finds duplicates without a second copy of every name.
        let mut order: Vec<usize> = (0..names.len()).collect();
        order.sort_by(|&a, &b| names[a].cmp(&names[b]).then(a.cmp(&b)));
        if let Some(pair) = order.windows(2).find(|w| names[w[0]] == names[w[1]]) {
            let (first, second) = (&roles[pair[0]], &roles[pair[1]]);
            return Err(Error::Usage(format!(
                "--profile-name `{}` gives both {} and {} the profile name `{}`; add fields such as {{{{account_id}}}} and {{{{role_name}}}} so every role gets its own name",
                self.template,
                first.role_arn(),
                second.role_arn(),
                names[pair[0]]
            )));
        }
        Ok(names)
    }
}

/// Makes `raw` a profile name every SDK accepts (`[A-Za-z0-9_-/.%@:+]`): each
/// run of other characters (spaces, brackets, quotes, `#`, `;`, non-ASCII
/// letters) becomes one `_`, and such runs at either end are dropped.
pub fn sanitise(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut pending = false;
    for c in raw.chars() {
        if c.is_ascii_alphanumeric() || "_-/.%@:+".contains(c) {
            if pending && !out.is_empty() {
                out.push('_');
            }
            pending = false;
            out.push(c);
        } else {
            pending = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {

    #[test]
    fn templates_that_could_render_without_bound_are_refused() {
        let deep = format!(
            "{}x{}",
            "{{#if account_id}}".repeat(17),
            "{{/if}}".repeat(17)
        );
        let long = "{{account_id}}".repeat(100);
        for (bad, why) in [
            ("{{> profile-name}}", "partials"),
            ("{{#*inline \"p\"}}{{> p}}{{/inline}}{{> p}}", "partials"),
            ("{{ > p }}", "partials"),
            (deep.as_str(), "nest deeper"),
            (long.as_str(), "longer than"),
        ] {
            let e = ProfileNamer::new(bad).unwrap_err();
            assert_eq!(e.exit_code(), crate::ExitClass::Usage);
            assert!(e.to_string().contains(why), "{bad}: {e}");
        }
        let fine = format!(
            "{}x{}",
            "{{#if account_id}}".repeat(16),
            "{{/if}}".repeat(16)
        );
        ProfileNamer::new(&fine).unwrap();
    }

    use super::*;

    fn sso(session: Option<&str>) -> SsoProfile {
        SsoProfile {
            sso_region: "eu-west-1".into(),
            ..SsoProfile::for_test("corp-sso", session)
        }
    }

    fn role(id: &str, name: &str, role: &str) -> RoleEntry {
        RoleEntry::new(id, name, role, &format!("arn:aws:iam::{id}:role/{role}"))
    }

    #[test]
    fn renders_the_default_and_custom_templates() {
        let r = role("123456789012", "Prod [EU] 'main'", "ReadOnly");
        let n = ProfileNamer::new(DEFAULT_TEMPLATE).unwrap();
        assert_eq!(n.name(&r, &sso(None)).unwrap(), "123456789012-ReadOnly");
        let n = ProfileNamer::new("{{lower account_name}}.{{role_name}}").unwrap();
        assert_eq!(n.name(&r, &sso(None)).unwrap(), "prod_eu_main_.ReadOnly");
        let n = ProfileNamer::new("{{sso_session}}{{sso_profile}}/{{upper role_name}}").unwrap();
        assert_eq!(n.name(&r, &sso(Some("s"))).unwrap(), "scorp-sso/READONLY");
        // No HTML escaping: `=` and `+` survive.
        let r = role("123456789012", "a", "My.Role+x=y,z@w");
        let n = ProfileNamer::new("{{role_name}}").unwrap();
        assert_eq!(n.name(&r, &sso(None)).unwrap(), "My.Role+x_y_z@w");
    }

    #[test]
    fn a_team_sources_alias_and_tags_name_the_profile() {
        let r = role("123456789012", "Production EU", "ReadOnly");
        let n = ProfileNamer::new("{{alias}}-{{tags.env}}-{{role_name}}").unwrap();
        let tags = BTreeMap::from([("env".to_owned(), "prd".to_owned())]);
        let fields = AccountFields {
            alias: Some("prod"),
            tags: Some(&tags),
        };
        assert_eq!(
            n.name_with(&r, &sso(None), fields).unwrap(),
            "prod-prd-ReadOnly"
        );
        // No alias: the account name; a missing tag is an error naming it.
        let n = ProfileNamer::new("{{alias}}-{{role_name}}").unwrap();
        assert_eq!(n.name(&r, &sso(None)).unwrap(), "Production_EU-ReadOnly");
        let n = ProfileNamer::new("{{tags.team}}").unwrap();
        let e = n.name_with(&r, &sso(None), fields).unwrap_err();
        assert!(e.to_string().contains("tags.team"), "{e}");
        // Unless the template asks first.
        let n = ProfileNamer::new("{{#if tags.team}}{{tags.team}}-{{/if}}{{role_name}}").unwrap();
        assert_eq!(n.name_with(&r, &sso(None), fields).unwrap(), "ReadOnly");
    }

    #[test]
    fn sanitises_what_sdks_reject() {
        for (raw, want) in [
            ("plain-name_1.2@x+y:z/w%", "plain-name_1.2@x+y:z/w%"),
            ("has space", "has_space"),
            ("[brackets]", "brackets"),
            ("q\"u'o`te", "q_u_o_te"),
            ("hash#semi;colon", "hash_semi_colon"),
            ("Dév ünï", "D_v_n"),
            ("  ##  ", ""),
            ("a\nb\tc=d", "a_b_c_d"),
        ] {
            assert_eq!(sanitise(raw), want, "{raw:?}");
        }
    }

    #[test]
    fn template_errors_name_the_flag() {
        let e = ProfileNamer::new("{{#if}").unwrap_err().to_string();
        assert!(e.starts_with("--profile-name `{{#if}`"), "{e}");
        let n = ProfileNamer::new("{{acount_id}}").unwrap();
        let e = n
            .name(&role("123456789012", "a", "R"), &sso(None))
            .unwrap_err()
            .to_string();
        assert!(e.contains("acount_id"), "{e}");
        let n = ProfileNamer::new("{{sso_session}}").unwrap();
        let e = n
            .name(&role("123456789012", "a", "R"), &sso(None))
            .unwrap_err()
            .to_string();
        assert!(e.contains("empty name"), "{e}");
    }

    #[test]
    fn collisions_name_both_roles() {
        let roles = [
            role("123456789012", "Prod", "ReadOnly"),
            role("123456789012", "Prod", "Admin"),
            role("210987654321", "Prod", "ReadOnly"),
        ];
        let n = ProfileNamer::new("{{account_name}}-{{role_name}}").unwrap();
        let e = n.name_all(&roles, &sso(None)).unwrap_err().to_string();
        assert!(
            e.contains("arn:aws:iam::123456789012:role/ReadOnly")
                && e.contains("arn:aws:iam::210987654321:role/ReadOnly")
                && e.contains("`Prod-ReadOnly`"),
            "{e}"
        );
        let n = ProfileNamer::new(DEFAULT_TEMPLATE).unwrap();
        assert_eq!(
            n.name_all(&roles, &sso(None)).unwrap(),
            [
                "123456789012-ReadOnly",
                "123456789012-Admin",
                "210987654321-ReadOnly"
            ]
        );
    }
}
