//! `config show`: the settings a command reads, as TOML-like lines, each
//! with its source.

use serde::Serialize;
use ssocred_core::SinkSpec;

use super::layer::{self, ChooserOrder};
use super::{RoleChoice, Settings, Source, Sourced};

/// A group of settings a command reads, for `config show --command`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topic {
    /// The SSO profile.
    Profile,
    /// The region next to the credentials.
    Region,
    /// The role.
    Role,
    /// The role chain (`--assume`).
    Chain,
    /// The sinks.
    Sinks,
    /// The refresh margin of long-running modes.
    Refresh,
    /// The login method and browser.
    Login,
    /// The role cache.
    Cache,
    /// The interactive chooser's order.
    Chooser,
    /// How `status --watch` reports.
    Watch,
    /// The console's browser.
    Console,
    /// The recorded listing's time to live.
    Listing,
    /// When team sources are synced.
    Sources,
}

/// `key = value  # source`.
fn line(out: &mut String, key: &str, value: String, source: &Source) {
    out.push_str(&format!("{key} = {value}  # {source}\n"));
}

impl Settings {
    /// The settings `topics` cover, as TOML-like lines with their sources,
    /// for `config show`. Holds no secret: the config has none.
    pub fn show(&self, topics: &[Topic]) -> String {
        let mut out = String::new();
        let file = match &self.config.path {
            Some(p) => p.display().to_string(),
            None => "none".to_owned(),
        };
        out.push_str(&format!("# config file: {file}\n"));
        if let Some(p) = &self.project {
            out.push_str(&format!("# project file: {} (trusted)\n", p.path.display()));
        }
        if let Some(p) = &self.preset {
            out.push_str(&format!("preset = {}  # {}\n", quoted(&p.value), p.source));
        }
        for topic in topics {
            self.show_topic(&mut out, *topic);
        }
        let presets = self.config.preset_names();
        if !presets.is_empty() {
            out.push_str(&format!("\n# presets: {}\n", presets.join(", ")));
        }
        out
    }

    fn show_topic(&self, out: &mut String, topic: Topic) {
        match topic {
            Topic::Profile => line(
                out,
                "profile",
                quoted(&self.profile.value),
                &self.profile.source,
            ),
            Topic::Region => match &self.region {
                Some(r) => line(out, "region", quoted(&r.value), &r.source),
                None => out.push_str("# region: the AWS profile's region, else its sso_region\n"),
            },
            Topic::Role => self.show_role(out),
            Topic::Chain => self.show_chain(out),
            Topic::Sinks => {
                let specs: Vec<String> = self
                    .sinks
                    .value
                    .iter()
                    .map(|c| quoted(&spec_text(&c.spec)))
                    .collect();
                line(
                    out,
                    "sinks",
                    format!("[{}]", specs.join(", ")),
                    &self.sinks.source,
                );
            }
            Topic::Refresh => line(
                out,
                "refresh_before",
                self.refresh_before.value.to_string(),
                &self.refresh_before.source,
            ),
            Topic::Login => table(out, "login", &self.login),
            Topic::Watch => table(out, "status", &self.watch),
            Topic::Console => table(out, "console", &self.console),
            Topic::Cache => table(out, "cache", &self.cache),
            Topic::Listing => table(out, "listing", &self.listing),
            Topic::Sources => table(out, "sources", &self.sources),
            Topic::Chooser => table(
                out,
                "chooser",
                &Chooser {
                    order: &self.chooser,
                },
            ),
        }
    }

    fn show_role(&self, out: &mut String) {
        match &self.role {
            Some(Sourced {
                value: RoleChoice::Arn(arn),
                source,
            }) => {
                line(out, "role_arn", quoted(arn), source);
            }
            Some(Sourced {
                value: RoleChoice::AccountRole(a, r),
                source,
            }) => {
                line(out, "account", quoted(a), source);
                line(out, "role", quoted(r), source);
            }
            Some(Sourced {
                value: RoleChoice::Patterns(a, r),
                source,
            }) => {
                if let Some(a) = a {
                    line(out, "account", quoted(a), source);
                }
                if let Some(r) = r {
                    line(out, "role", quoted(r), source);
                }
            }
            None => out.push_str(
                "# role: the AWS profile's sso_account_id and sso_role_name, else the chooser\n",
            ),
        }
    }

    /// The chain, with where it came from; one rule decides it
    /// (`role::role_and_chain`), so the source says why a chain applies.
    fn show_chain(&self, out: &mut String) {
        let chain = &self.chain;
        if chain.value.is_empty() {
            out.push_str("# assume: none, no role chain after the SSO role\n");
            if let (Some(other), Some(role)) = (&self.chain_passed_over, &self.role) {
                out.push_str(&format!(
                    "# (the chain of {other} goes with the role it chooses, not with the role of {})\n",
                    role.source
                ));
            }
            return;
        }
        let hops: Vec<String> = chain.value.iter().map(|h| quoted(&h.spec())).collect();
        line(
            out,
            "assume",
            format!("[{}]", hops.join(", ")),
            &chain.source,
        );
    }
}

/// The one key of the `[chooser]` table.
#[derive(Serialize)]
struct Chooser<'a> {
    order: &'a Sourced<ChooserOrder>,
}

/// `[NAME]` and a line per key of a topic's settings, in the order of
/// [`layer::KEYS`]: the topic's fields are its keys, each a [`Sourced`]
/// value, so a key added to a topic is shown without a line here.
fn table(out: &mut String, name: &str, topic: &impl Serialize) {
    out.push_str(&format!("\n[{name}]\n"));
    let Ok(serde_json::Value::Object(fields)) = serde_json::to_value(topic) else {
        return;
    };
    let keys = layer::KEYS.iter().filter_map(|k| {
        let (table, key) = k.name.split_once('.')?;
        (table == name).then_some((key, *k))
    });
    for (key, rule) in keys {
        let Some(field) = fields.get(key) else {
            continue;
        };
        let source: Source =
            serde_json::from_value(field["source"].clone()).unwrap_or(Source::Default);
        match &field["value"] {
            serde_json::Value::Null => {
                out.push_str(&format!("# {key}: none, {}  # {source}\n", rule.none));
            }
            serde_json::Value::String(s) => line(out, key, quoted(s), &source),
            other => line(out, key, other.to_string(), &source),
        }
    }
}

/// A spec written back in `NAME[:ARG][,KEY=VALUE...]` form.
pub fn spec_text(spec: &SinkSpec) -> String {
    let mut items: Vec<String> = spec.arg.iter().cloned().collect();
    items.extend(spec.options.iter().map(|(k, v)| format!("{k}={v}")));
    if items.is_empty() {
        spec.name.clone()
    } else {
        format!("{}:{}", spec.name, items.join(","))
    }
}

/// A TOML basic string.
fn quoted(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}
