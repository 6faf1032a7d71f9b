//! The one shape of settings: [`Layer`] holds every setting that a file or
//! the environment can give. It is read for the config's top level, for each
//! `[preset.NAME]`, for a project's `.ssocred.toml`, from the environment
//! ([`Layer::from_env`]) and from a command's flags (`Flags::layer`).
//! Where a key may stand is a rule of [`KEYS`], checked on the parsed value
//! ([`Layer::check_place`]), never a second copy of the type.
//!
//! Adding a setting: a field here (and its [`Key`] in [`KEYS`], with its
//! flag and environment variable), its one resolver in `topics.rs` or
//! `role.rs`, and its row in docs/config.md.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};
use ssocred_core::Error;
use toml::Spanned;

/// One layer of settings: every key a file or the environment can give,
/// `None` where this layer says nothing.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Layer {
    /// The SSO profile.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// The region written next to the credentials.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The role, as an ARN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    /// The role's account (with `role`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// The role name (with `account`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Roles to assume after the SSO role, in order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assume: Option<Vec<Spanned<AssumeEntry>>>,
    /// A preset's name (a project file, `--preset`, `SSOCRED_PRESET`), or
    /// the `[preset.NAME]` tables (the config's top level).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preset: Option<PresetKey>,
    /// Sink specs, `NAME[:ARG][,KEY=VALUE...]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sinks: Option<Vec<Spanned<String>>>,
    /// Sinks as tables: `type` and the sink's options.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sink: Option<Vec<Spanned<SinkTable>>>,
    /// Seconds before expiry at which long-running modes fetch again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_before: Option<u64>,
    /// Login behaviour.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub login: Option<Login>,
    /// The role-credential cache.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache: Option<Cache>,
    /// `status --watch`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<StatusTable>,
    /// `ssocred console` and the console sink.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub console: Option<ConsoleTable>,
    /// The interactive chooser (it is about the person, not a role).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chooser: Option<Chooser>,
    /// The recorded listing of a login's roles, which `list` and the
    /// chooser answer from while it is fresh.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listing: Option<ListingTable>,
    /// Team profile sources.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sources: Option<SourcesTable>,
    /// Docker registries mapped to roles (`[[registry]]`), for
    /// `ssocred docker-credential`; the first match wins.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registry: Option<Vec<Spanned<RegistryMapping>>>,
}

/// Where a layer comes from, for the rules of [`KEYS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// The config file's top level.
    Top,
    /// A `[preset.NAME]` table.
    Preset,
    /// A project's `.ssocred.toml`: remote content, so only keys that
    /// choose among what the user already has.
    Project,
}

/// One setting: its dotted name in the files, the flag and environment
/// variables that set it, and where in a file it may stand.
#[derive(Debug)]
pub struct Key {
    /// `name` or `table.name`, as written in a file.
    pub name: &'static str,
    /// The flag that sets it, as `config show` names it.
    pub flag: Option<&'static str>,
    /// The environment variables that set it, the first set one winning.
    pub env: &'static [&'static str],
    /// Whether a project file may set it.
    pub project: bool,
    /// Whether a preset may set it.
    pub preset: bool,
    /// What its absence means, for `config show` (a key whose default is
    /// "none").
    pub none: &'static str,
}

impl Key {
    /// The key with what its absence means.
    const fn or_none(self, none: &'static str) -> Key {
        Key { none, ..self }
    }
}

const fn key(name: &'static str, flag: Option<&'static str>, env: &'static [&'static str]) -> Key {
    Key {
        name,
        flag,
        env,
        project: false,
        preset: true,
        none: "",
    }
}

const fn project_key(
    name: &'static str,
    flag: Option<&'static str>,
    env: &'static [&'static str],
) -> Key {
    Key {
        name,
        flag,
        env,
        project: true,
        preset: true,
        none: "",
    }
}

const fn top_only(name: &'static str) -> Key {
    Key {
        name,
        flag: None,
        env: &[],
        project: false,
        preset: false,
        none: "",
    }
}

/// `profile`.
pub const PROFILE: Key = project_key(
    "profile",
    Some("--profile"),
    &["SSOCRED_PROFILE", "AWS_PROFILE"],
);
/// `region`.
pub const REGION: Key = project_key("region", Some("--region"), &["SSOCRED_REGION"]);
/// `role_arn`.
pub const ROLE_ARN: Key = project_key("role_arn", Some("--role-arn"), &[]);
/// `account`.
pub const ACCOUNT: Key = project_key("account", Some("--account/--role"), &[]);
/// `role`.
pub const ROLE: Key = project_key("role", Some("--account/--role"), &[]);
/// `assume`.
pub const ASSUME: Key = project_key("assume", Some("--assume"), &[]);
/// `preset`: a name to use (never a preset inside a preset).
pub const PRESET: Key = Key {
    name: "preset",
    flag: Some("--preset"),
    env: &["SSOCRED_PRESET"],
    project: true,
    preset: false,
    none: "",
};
/// `sinks`.
pub const SINKS: Key = key("sinks", Some("--sink"), &[]);
/// `[[sink]]`.
pub const SINK: Key = key("sink", None, &[]);
/// `refresh_before`.
pub const REFRESH_BEFORE: Key = key(
    "refresh_before",
    Some("--refresh-before"),
    &["SSOCRED_REFRESH_BEFORE"],
);
/// `[login] method`.
pub const LOGIN_METHOD: Key = key(
    "login.method",
    Some("--device-code"),
    &["SSOCRED_LOGIN_METHOD"],
);
/// `[login] open_browser`.
pub const LOGIN_OPEN_BROWSER: Key = key(
    "login.open_browser",
    Some("--no-browser"),
    &["SSOCRED_NO_BROWSER"],
);
/// `[login] redirect_port`.
pub const LOGIN_REDIRECT_PORT: Key =
    key("login.redirect_port", Some("--redirect-port"), &[]).or_none("a random port");
/// `[login] browser`.
pub const LOGIN_BROWSER: Key = key("login.browser", None, &[]).or_none("the system's");
/// `[login] auto_login`.
pub const LOGIN_AUTO: Key = key(
    "login.auto_login",
    Some("--auto-login"),
    &["SSOCRED_AUTO_LOGIN"],
);
/// `[login] token_store`.
pub const LOGIN_TOKEN_STORE: Key = key(
    "login.token_store",
    Some("--token-store"),
    &["SSOCRED_TOKEN_STORE"],
);
/// `[login] keyring`.
pub const LOGIN_KEYRING: Key =
    key("login.keyring", None, &["SSOCRED_KEYRING"]).or_none("the system's default store");
/// `[cache] enabled`.
pub const CACHE_ENABLED: Key = key("cache.enabled", Some("--no-cache"), &["SSOCRED_NO_CACHE"]);
/// `[cache] window_minutes`.
pub const CACHE_WINDOW: Key = key(
    "cache.window_minutes",
    Some("--cache-window"),
    &["SSOCRED_CACHE_WINDOW"],
);
/// `[status] notify_command`.
pub const STATUS_NOTIFY: Key = key("status.notify_command", Some("--notify-command"), &[])
    .or_none("the desktop's notification");
/// `[status] interval`.
pub const STATUS_INTERVAL: Key = key("status.interval", Some("--interval"), &[]);
/// `[console] browser`.
pub const CONSOLE_BROWSER: Key =
    key("console.browser", Some("--browser"), &[]).or_none("$BROWSER else the system's");
/// `[console] browser_profile`.
pub const CONSOLE_PROFILE: Key = key("console.browser_profile", Some("--browser-profile"), &[])
    .or_none("the browser's own profile");
/// `[listing] max_age_hours`.
pub const LISTING_MAX_AGE: Key = key(
    "listing.max_age_hours",
    Some("--refresh"),
    &["SSOCRED_LISTING_MAX_AGE_HOURS"],
);
/// `[sources] sync` (about the person's machine, not a role: top level
/// only).
pub const SOURCES_SYNC: Key = Key {
    env: &["SSOCRED_SOURCES_SYNC"],
    ..top_only("sources.sync")
};
/// `[chooser] order`.
pub const CHOOSER_ORDER: Key = top_only("chooser.order");
/// `[[registry]]`.
pub const REGISTRY: Key = top_only("registry");

/// Every setting. A test holds it against [`Layer`]'s fields.
pub const KEYS: &[&Key] = &[
    &PROFILE,
    &REGION,
    &ROLE_ARN,
    &ACCOUNT,
    &ROLE,
    &ASSUME,
    &PRESET,
    &SINKS,
    &SINK,
    &REFRESH_BEFORE,
    &LOGIN_METHOD,
    &LOGIN_OPEN_BROWSER,
    &LOGIN_REDIRECT_PORT,
    &LOGIN_BROWSER,
    &LOGIN_AUTO,
    &LOGIN_TOKEN_STORE,
    &LOGIN_KEYRING,
    &CACHE_ENABLED,
    &CACHE_WINDOW,
    &STATUS_NOTIFY,
    &STATUS_INTERVAL,
    &CONSOLE_BROWSER,
    &CONSOLE_PROFILE,
    &LISTING_MAX_AGE,
    &SOURCES_SYNC,
    &CHOOSER_ORDER,
    &REGISTRY,
];

/// The rule of a top-level key or table name (`login` for `login.method`).
pub fn rule_of(top: &str) -> Option<&'static Key> {
    KEYS.iter()
        .copied()
        .find(|k| k.name == top || k.name.split_once('.').is_some_and(|(t, _)| t == top))
}

/// Whether a project file may hold the top-level key or table `top`.
pub fn project_allows(top: &str) -> bool {
    rule_of(top).is_some_and(|k| k.project)
}

/// The top-level keys and tables a project file may hold, for messages.
pub fn project_keys() -> Vec<&'static str> {
    KEYS.iter().filter(|k| k.project).map(|k| k.name).collect()
}

impl Layer {
    /// The top-level keys and tables this layer sets.
    pub fn set_keys(&self) -> Vec<String> {
        match toml::Table::try_from(self) {
            Ok(table) => table.keys().cloned().collect(),
            Err(_) => Vec::new(),
        }
    }

    /// Checks that every key set may stand in `place`: the name of the
    /// first key that may not, or `Ok`.
    pub fn check_place(&self, place: Place) -> Result<(), String> {
        for top in self.set_keys() {
            let allowed = match (place, rule_of(&top)) {
                (_, None) => false,
                (Place::Top, Some(_)) => true,
                (Place::Preset, Some(rule)) => rule.preset,
                (Place::Project, Some(rule)) => rule.project,
            };
            if !allowed {
                return Err(top);
            }
        }
        match (place, &self.preset) {
            (Place::Top, Some(PresetKey::Name(_))) => Err("preset".to_owned()),
            (Place::Project, Some(PresetKey::Presets(_))) => Err("preset".to_owned()),
            _ => Ok(()),
        }
    }

    /// The preset this layer names, if any.
    pub fn preset_name(&self) -> Option<&str> {
        match &self.preset {
            Some(PresetKey::Name(name)) => Some(name),
            _ => None,
        }
    }

    /// The settings the environment gives: `SSOCRED_*` variables and
    /// `AWS_PROFILE`. An empty variable is unset; a bad value is a usage
    /// error naming the variable (exit 2).
    pub fn from_env(env: &dyn Fn(&str) -> Option<String>) -> Result<Layer, Error> {
        let var = |key: &Key| {
            key.env
                .iter()
                .find_map(|name| env(name).filter(|v| !v.is_empty()).map(|v| (*name, v)))
        };
        let number = |key: &Key, unit: &str| -> Result<Option<u64>, Error> {
            var(key)
                .map(|(name, v)| {
                    v.parse().map_err(|_| {
                        Error::Usage(format!(
                            "environment {name}={v}: expected a whole number of {unit}"
                        ))
                    })
                })
                .transpose()
        };
        let flag = |key: &Key| var(key).map(|(name, v)| boolish(name, &v)).transpose();
        let method = var(&LOGIN_METHOD)
            .map(|(name, v)| {
                LoginMethod::from_name(&v).ok_or_else(|| {
                    Error::Usage(format!(
                        "environment {name}={v}: expected one of {}",
                        LoginMethod::ALL.map(LoginMethod::as_str).join(", ")
                    ))
                })
            })
            .transpose()?;
        let window = number(&CACHE_WINDOW, "minutes")?
            .map(|m| {
                u32::try_from(m).map_err(|_| {
                    Error::Usage(format!("environment SSOCRED_CACHE_WINDOW={m}: too large"))
                })
            })
            .transpose()?;
        let sources_sync = var(&SOURCES_SYNC)
            .map(|(name, v)| {
                SourcesSync::from_name(&v).ok_or_else(|| {
                    Error::Usage(format!(
                        "environment {name}={v}: expected one of {}",
                        SourcesSync::ALL.map(SourcesSync::as_str).join(", ")
                    ))
                })
            })
            .transpose()?;
        let token_store = var(&LOGIN_TOKEN_STORE)
            .map(|(name, v)| {
                TokenStoreSetting::from_name(&v).ok_or_else(|| {
                    Error::Usage(format!(
                        "environment {name}={v}: expected one of {}",
                        TokenStoreSetting::ALL
                            .map(TokenStoreSetting::as_str)
                            .join(", ")
                    ))
                })
            })
            .transpose()?;
        let login = Login {
            method,
            open_browser: flag(&LOGIN_OPEN_BROWSER)?.map(|no| !no),
            auto_login: flag(&LOGIN_AUTO)?,
            token_store,
            keyring: var(&LOGIN_KEYRING).map(|(_, v)| v),
            ..Login::default()
        };
        let cache = Cache {
            enabled: flag(&CACHE_ENABLED)?.map(|no| !no),
            window_minutes: window,
        };
        let max_age_hours = number(&LISTING_MAX_AGE, "hours")?
            .map(|h| {
                u32::try_from(h).map_err(|_| {
                    Error::Usage(format!(
                        "environment SSOCRED_LISTING_MAX_AGE_HOURS={h}: too large"
                    ))
                })
            })
            .transpose()?;
        Ok(Layer {
            profile: var(&PROFILE).map(|(_, v)| v),
            region: var(&REGION).map(|(_, v)| v),
            preset: var(&PRESET).map(|(_, v)| PresetKey::Name(v)),
            refresh_before: number(&REFRESH_BEFORE, "seconds")?,
            login: (login != Login::default()).then_some(login),
            cache: (cache != Cache::default()).then_some(cache),
            listing: max_age_hours.map(|h| ListingTable {
                max_age_hours: Some(h),
            }),
            sources: sources_sync.map(|sync| SourcesTable { sync: Some(sync) }),
            ..Layer::default()
        })
    }
}

/// A yes/no environment value, as clap's boolish parser reads one.
fn boolish(name: &str, value: &str) -> Result<bool, Error> {
    match value.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "y" | "on" => Ok(true),
        "0" | "false" | "no" | "n" | "off" => Ok(false),
        _ => Err(Error::Usage(format!(
            "environment {name}={value}: expected 1 or 0 (true/false, yes/no, on/off)"
        ))),
    }
}

/// `preset`: a name in a project file, the environment or a flag; the
/// `[preset.NAME]` tables at the config's top level.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum PresetKey {
    /// `preset = "NAME"`.
    Name(String),
    /// `[preset.NAME]` tables.
    Presets(BTreeMap<String, Layer>),
}

impl<'de> Deserialize<'de> for PresetKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // A visitor, not `untagged`: an untagged enum buffers its input and
        // so loses the spans that `assume` and `sinks` keep inside presets.
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = PresetKey;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a preset name, or [preset.NAME] tables")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<PresetKey, E> {
                Ok(PresetKey::Name(v.to_owned()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<PresetKey, A::Error> {
                BTreeMap::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(PresetKey::Presets)
            }
        }
        deserializer.deserialize_any(Visit)
    }
}

/// A `[[registry]]` table: which role's ECR token a registry gets.
///
/// ```toml
/// [[registry]]
/// match = "*.dkr.ecr.eu-west-1.amazonaws.com"   # or an account id
/// profile = "my-sso"
/// role_arn = "arn:aws:iam::123456789012:role/Push"
/// ```
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistryMapping {
    /// A 12-digit account id, or a glob over registry host names (any case).
    #[serde(rename = "match")]
    pub pattern: String,
    /// A preset whose profile and role serve the registry.
    pub preset: Option<String>,
    /// The SSO profile (else the one the settings resolve).
    pub profile: Option<String>,
    /// The role, as an ARN.
    pub role_arn: Option<String>,
    /// The role's account id (with `role`).
    pub account: Option<String>,
    /// The role name (with `account`).
    pub role: Option<String>,
}

/// The `[console]` table: the browser of the console, apart from the one
/// the SSO login opens.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsoleTable {
    /// The browser command (else `$BROWSER`, else the system's).
    pub browser: Option<String>,
    /// `auto` or a name: one browser identity per role.
    pub browser_profile: Option<String>,
}

/// The `[status]` table: how `status --watch` reports.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusTable {
    /// A shell command run instead of a desktop notification.
    pub notify_command: Option<String>,
    /// Seconds between two reads of the token files.
    pub interval: Option<u64>,
}

/// One hop of `assume`: an ARN, or a table with the hop's options.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AssumeEntry {
    /// `"arn:aws:iam::123456789012:role/NAME"`.
    Arn(String),
    /// `{ role_arn = "...", external_id = "...", ... }`.
    Table(AssumeTable),
}

impl AssumeEntry {
    /// The hop this entry names, checked; the error says what is wrong.
    pub fn hop(&self) -> Result<ssocred_core::domain::hop::Hop, String> {
        match self {
            AssumeEntry::Arn(arn) => ssocred_core::domain::hop::Hop::parse(arn),
            AssumeEntry::Table(t) => t.hop(),
        }
    }
}

/// A hop's table; also the form in which a resolved chain travels to
/// `use`'s server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssumeTable {
    /// The role to assume.
    pub role_arn: String,
    /// The external id its trust policy asks for.
    pub external_id: Option<String>,
    /// The role session name.
    pub session_name: Option<String>,
    /// Seconds (900 to 3600).
    pub duration: Option<u32>,
    /// The source identity.
    pub source_identity: Option<String>,
}

impl AssumeTable {
    /// The hop, checked.
    pub fn hop(&self) -> Result<ssocred_core::domain::hop::Hop, String> {
        let role = ssocred_core::RoleArn::parse(&self.role_arn).map_err(|e| e.to_string())?;
        let hop = ssocred_core::domain::hop::Hop {
            role,
            external_id: self.external_id.clone(),
            session_name: self.session_name.clone(),
            duration: self.duration,
            source_identity: self.source_identity.clone(),
        };
        hop.check().map(|()| hop)
    }

    /// The table of a hop.
    pub fn of(hop: &ssocred_core::domain::hop::Hop) -> AssumeTable {
        AssumeTable {
            role_arn: hop.role.as_str().to_owned(),
            external_id: hop.external_id.clone(),
            session_name: hop.session_name.clone(),
            duration: hop.duration,
            source_identity: hop.source_identity.clone(),
        }
    }
}

/// The `[cache]` table: the role-credential cache.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cache {
    /// `false` neither reads nor writes the cache.
    pub enabled: Option<bool>,
    /// Cached credentials count as expired this many minutes early.
    pub window_minutes: Option<u32>,
}

/// The `[listing]` table: the recorded listing of a login's roles.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListingTable {
    /// `list` and the chooser answer from a listing younger than this;
    /// 0 lists every time.
    pub max_age_hours: Option<u32>,
}

/// The `[sources]` table: team profile sources.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourcesTable {
    /// When the sources are synced without being asked.
    pub sync: Option<SourcesSync>,
}

/// When team sources are synced without being asked.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourcesSync {
    /// Only by `ssocred sync`.
    #[default]
    Manual,
    /// Once a day, after a command's answer (a credential call, `status
    /// --watch`), in a process of its own.
    Daily,
}

impl SourcesSync {
    /// Every value, for messages.
    pub const ALL: [SourcesSync; 2] = [SourcesSync::Manual, SourcesSync::Daily];

    /// The value as a file writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            SourcesSync::Manual => "manual",
            SourcesSync::Daily => "daily",
        }
    }

    /// The value named `name`.
    pub fn from_name(name: &str) -> Option<SourcesSync> {
        Self::ALL.into_iter().find(|v| v.as_str() == name)
    }
}

/// The `[chooser]` table.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Chooser {
    /// How the roles are listed before anything is typed.
    pub order: Option<ChooserOrder>,
}

/// The order of the chooser's list.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChooserOrder {
    /// The roles chosen most often and most recently first, then the rest
    /// alphabetically.
    #[default]
    Frecency,
    /// By account name, account id and role name, and nothing remembered.
    Alphabetical,
}

/// A `[[sink]]` table: `type = "NAME"` and that sink's options.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SinkTable {
    /// The sink name.
    #[serde(rename = "type")]
    pub kind: String,
    /// Every other key: the sink's options, validated by the sink.
    #[serde(flatten)]
    pub options: BTreeMap<String, toml::Value>,
}

/// The `[login]` table: how ssocred logs in when no valid token is cached.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Login {
    /// `auto`, `device-code`, `pkce` or `aws-cli`.
    pub method: Option<LoginMethod>,
    /// Whether to open a browser for the user.
    pub open_browser: Option<bool>,
    /// The port of the PKCE redirect listener (else a random one).
    pub redirect_port: Option<u16>,
    /// The browser command of the SSO login (else the system's opener).
    pub browser: Option<String>,
    /// Log in when the login has expired even without a terminal (from a
    /// `credential_process` line, say).
    pub auto_login: Option<bool>,
    /// Where the SSO token is kept: `file`, `keyring` or `both`.
    pub token_store: Option<TokenStoreSetting>,
    /// The OS credential store of `keyring` and `both` (else the
    /// system's default).
    pub keyring: Option<String>,
}

/// Where the SSO token and registration are kept (docs/security.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TokenStoreSetting {
    /// The AWS CLI's cache files.
    File,
    /// The OS credential store only.
    Keyring,
    /// The OS credential store and the files.
    Both,
}

impl TokenStoreSetting {
    /// Every value.
    pub const ALL: [TokenStoreSetting; 3] = [
        TokenStoreSetting::File,
        TokenStoreSetting::Keyring,
        TokenStoreSetting::Both,
    ];

    /// The value a name stands for.
    pub fn from_name(name: &str) -> Option<TokenStoreSetting> {
        TokenStoreSetting::ALL
            .into_iter()
            .find(|m| m.as_str() == name)
    }

    /// The name used in files, flags and variables.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenStoreSetting::File => "file",
            TokenStoreSetting::Keyring => "keyring",
            TokenStoreSetting::Both => "both",
        }
    }
}

/// The login flows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LoginMethod {
    /// PKCE (a browser redirect to this machine) for sso-session profiles
    /// where a browser can open, else the device code flow.
    Auto,
    /// OAuth device authorization (works over SSH).
    DeviceCode,
    /// Authorization code with PKCE and a loopback redirect.
    Pkce,
    /// Run `aws sso login`.
    AwsCli,
}

impl LoginMethod {
    /// Every method, in the order the docs give them.
    pub const ALL: [LoginMethod; 4] = [
        LoginMethod::Auto,
        LoginMethod::DeviceCode,
        LoginMethod::Pkce,
        LoginMethod::AwsCli,
    ];

    /// The method a name (as in the file) stands for.
    pub fn from_name(name: &str) -> Option<LoginMethod> {
        LoginMethod::ALL.into_iter().find(|m| m.as_str() == name)
    }

    /// The name used in the file.
    pub fn as_str(self) -> &'static str {
        match self {
            LoginMethod::Auto => "auto",
            LoginMethod::DeviceCode => "device-code",
            LoginMethod::Pkce => "pkce",
            LoginMethod::AwsCli => "aws-cli",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A layer with every key set, as a file would hold it.
    const EVERY_KEY: &str = r#"
profile = "p"
region = "eu-west-1"
role_arn = "arn:aws:iam::123456789012:role/R"
account = "123456789012"
role = "R"
assume = ["arn:aws:iam::123456789012:role/H"]
sinks = ["env"]
refresh_before = 1
[login]
method = "pkce"
open_browser = true
redirect_port = 1
browser = "b"
auto_login = true
token_store = "both"
keyring = "keyutils"
[cache]
enabled = true
window_minutes = 1
[status]
notify_command = "n"
interval = 1
[console]
browser = "b"
browser_profile = "auto"
[chooser]
order = "frecency"
[listing]
max_age_hours = 1
[sources]
sync = "daily"
[[sink]]
type = "json"
[[registry]]
match = "*"
role_arn = "arn:aws:iam::123456789012:role/R"
[preset.x]
profile = "q"
"#;

    #[test]
    fn every_field_of_the_layer_has_a_rule_and_every_rule_a_field() {
        let layer: Layer = toml::from_str(EVERY_KEY).unwrap();
        let table = toml::Table::try_from(&layer).unwrap();
        let mut names = Vec::new();
        for (top, value) in &table {
            match value {
                toml::Value::Table(inner) if top != "preset" => {
                    names.extend(inner.keys().map(|k| format!("{top}.{k}")));
                }
                _ => names.push(top.clone()),
            }
        }
        names.sort();
        let mut rules: Vec<String> = KEYS.iter().map(|k| k.name.to_owned()).collect();
        rules.sort();
        assert_eq!(names, rules, "Layer's fields and KEYS differ");
    }

    #[test]
    fn places_refuse_what_may_not_stand_there() {
        let layer: Layer = toml::from_str(EVERY_KEY).unwrap();
        assert_eq!(layer.check_place(Place::Top), Ok(()));
        assert!(layer.check_place(Place::Preset).is_err());
        let project: Layer =
            toml::from_str("profile = 'p'\nassume = []\npreset = 'ci'\nregion = 'eu-west-1'\n")
                .unwrap();
        assert_eq!(project.check_place(Place::Project), Ok(()));
        assert_eq!(project.check_place(Place::Top), Err("preset".to_owned()));
        for (text, key) in [
            ("sinks = ['dotenv:.env']\n", "sinks"),
            ("[login]\nmethod = 'aws-cli'\n", "login"),
            ("[cache]\nenabled = false\n", "cache"),
            ("[[registry]]\nmatch = '*'\n", "registry"),
            ("[preset.x]\nprofile = 'p'\n", "preset"),
        ] {
            let layer: Layer = toml::from_str(text).unwrap();
            assert_eq!(
                layer.check_place(Place::Project),
                Err(key.to_owned()),
                "{text}"
            );
        }
        let preset: Layer = toml::from_str("[chooser]\norder = 'frecency'\n").unwrap();
        assert_eq!(preset.check_place(Place::Preset), Err("chooser".to_owned()));
        assert!(project_allows("assume") && !project_allows("login") && !project_allows("nope"));
    }

    #[test]
    fn the_environment_is_one_layer_and_names_a_bad_value() {
        let vars = [
            ("SSOCRED_PROFILE", ""),
            ("AWS_PROFILE", "aws"),
            ("SSOCRED_NO_CACHE", "yes"),
            ("SSOCRED_CACHE_WINDOW", "7"),
            ("SSOCRED_LOGIN_METHOD", "device-code"),
            ("SSOCRED_AUTO_LOGIN", "1"),
            ("SSOCRED_PRESET", "ci"),
        ];
        let env = |k: &str| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        };
        let layer = Layer::from_env(&env).unwrap();
        assert_eq!(
            layer.profile.as_deref(),
            Some("aws"),
            "an empty variable is unset"
        );
        assert_eq!(layer.preset_name(), Some("ci"));
        let cache = layer.cache.unwrap();
        assert_eq!(
            (cache.enabled, cache.window_minutes),
            (Some(false), Some(7))
        );
        let login = layer.login.unwrap();
        assert_eq!(login.method, Some(LoginMethod::DeviceCode));
        assert_eq!(login.auto_login, Some(true));
        for (name, value) in [
            ("SSOCRED_NO_CACHE", "perhaps"),
            ("SSOCRED_CACHE_WINDOW", "soon"),
            ("SSOCRED_LOGIN_METHOD", "pigeon"),
            ("SSOCRED_REFRESH_BEFORE", "-1"),
        ] {
            let env = |k: &str| (k == name).then(|| value.to_owned());
            let e = Layer::from_env(&env).unwrap_err();
            assert_eq!(e.exit_code(), ssocred_core::ExitClass::Usage);
            assert!(e.to_string().contains(&format!("{name}={value}")), "{e}");
        }
    }
}
