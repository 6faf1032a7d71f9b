//! ssocred's own TOML config file: defaults and named presets.
//!
//! ```toml
//! profile = "my-sso"            # the SSO profile in ~/.aws/config
//! region = "eu-west-1"
//! sinks = ["credentials-file"]  # sink specs, or [[sink]] tables
//!
//! [login]
//! method = "auto"               # auto (PKCE for sso-session profiles, else
//!                               # device code), device-code, pkce or aws-cli
//! open_browser = true
//! redirect_port = 8400          # a fixed port for the PKCE redirect (SSH -L)
//! browser = "firefox"           # the login's browser (else the system's)
//!
//! refresh_before = 300          # seconds: --watch, serve, exec --via serve
//!
//! [status]                      # status --watch
//! notify_command = "notify-send ssocred \"$SSOCRED_MESSAGE\""
//! interval = 30                 # seconds between two reads of the token files
//!
//! [console]                     # ssocred console (the SSO login's browser is apart)
//! browser = "chromium"
//! browser_profile = "auto"      # a user-data dir (Chromium) or container (Firefox) per role
//!
//! [cache]                       # the role-credential cache
//! enabled = true
//! window_minutes = 15
//!
//! [chooser]                     # the interactive role chooser
//! order = "frecency"            # or "alphabetical"
//!
//! [preset.ci]
//! role_arn = "arn:aws:iam::123456789012:role/Deploy"
//! # a role chain after the SSO role: ARNs, or tables with the hop's options
//! assume = [
//!   "arn:aws:iam::210987654321:role/Hub",
//!   { role_arn = "arn:aws:iam::555555555555:role/Prod", external_id = "x-1", duration = 900 },
//! ]
//! [[preset.ci.sink]]
//! type = "dotenv"
//! path = ".env"
//! ```
//!
//! Every table denies unknown keys, so a typo is an error naming the file,
//! line and key, never a silent default.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ssocred_core::{Error, SinkSpec};
use toml::Spanned;

pub use crate::settings::layer::{
    AssumeEntry, ChooserOrder, Layer, LoginMethod, Place, PresetKey, RegistryMapping, SinkTable,
};

impl RegistryMapping {
    /// Whether the registry `host` (lower case) of `account` matches.
    pub fn matches(&self, host: &str, account: &str) -> bool {
        if ssocred_core::domain::arn::is_account_id(&self.pattern) {
            return self.pattern == account;
        }
        let options = glob::MatchOptions {
            case_sensitive: false,
            require_literal_separator: false,
            require_literal_leading_dot: false,
        };
        glob::Pattern::new(&self.pattern).is_ok_and(|p| p.matches_with(host, options))
    }

    /// What is wrong with the table, if anything: a bad pattern, no role, or
    /// a role that would need a listing to resolve.
    fn problem(&self, presets: &BTreeMap<String, Layer>) -> Option<String> {
        if self.pattern.is_empty() {
            return Some(
                "`match` is empty; give an account id or a glob over registry hosts".into(),
            );
        }
        if !ssocred_core::domain::arn::is_account_id(&self.pattern)
            && let Err(e) = glob::Pattern::new(&self.pattern)
        {
            return Some(format!("`match` = {:?} is not a glob: {e}", self.pattern));
        }
        if self.account.is_some() != self.role.is_some() {
            return Some("needs `account` and `role` together".into());
        }
        let has_role = self.role_arn.is_some() || self.account.is_some();
        match &self.preset {
            Some(_) if has_role || self.profile.is_some() => {
                return Some("gives `preset` and a profile or role; use one of them".into());
            }
            Some(name) if !presets.contains_key(name) => {
                return Some(format!(
                    "`preset` = {name:?}: no [preset.{name}] in this file"
                ));
            }
            Some(_) => {}
            None if !has_role => {
                return Some(
                    "names no role: give `role_arn`, `account` and `role`, or `preset`".into(),
                );
            }
            None => {}
        }
        if let Some(account) = &self.account
            && !ssocred_core::domain::arn::is_account_id(account)
        {
            return Some(format!(
                "`account` = {account:?} is not a 12-digit account id"
            ));
        }
        if let Some(role) = &self.role
            && (role.is_empty() || role.contains(['*', '?', '[']))
        {
            return Some(format!(
                "`role` = {role:?} must be one role name, not a pattern"
            ));
        }
        None
    }
}

/// A sink from the config, with the line it was declared on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigSink {
    /// The parsed spec.
    pub spec: SinkSpec,
    /// The 1-based line of its declaration.
    pub line: usize,
}

/// A loaded config: the parsed file and where it came from.
#[derive(Debug, Default)]
pub struct Config {
    /// The file, when one was read.
    pub path: Option<PathBuf>,
    /// Its text, for turning spans into lines.
    text: String,
    /// The top level, with the `[preset.NAME]` tables in `preset`.
    pub file: Layer,
}

/// A file of settings (the config, a project file): its path and text, for
/// errors that name the file and line, and the checked forms of the keys
/// whose errors need a line.
pub trait SettingsFile {
    /// The file's path (empty for no file).
    fn path(&self) -> &Path;
    /// The file's text.
    fn text(&self) -> &str;

    /// An error in this file, at `line` when known.
    fn error(&self, line: Option<usize>, message: String) -> Error {
        match line {
            Some(line) => file_error(self.path(), format!("line {line}: {message}")),
            None => file_error(self.path(), message),
        }
    }

    /// The 1-based line of a byte offset.
    fn line_of(&self, offset: usize) -> usize {
        line_col(self.text(), offset).0
    }

    /// The hops of an `assume` list, each checked; an error names the line.
    fn hops_of(
        &self,
        entries: &[Spanned<AssumeEntry>],
    ) -> Result<Vec<ssocred_core::domain::hop::Hop>, Error> {
        if let Err(e) = ssocred_core::domain::hop::check_length(entries.len()) {
            let line = entries.first().map(|e| self.line_of(e.span().start));
            return Err(self.error(line, format!("assume: {e}")));
        }
        entries
            .iter()
            .map(|entry| {
                let line = self.line_of(entry.span().start);
                entry
                    .get_ref()
                    .hop()
                    .map_err(|e| self.error(Some(line), format!("assume: {e}")))
            })
            .collect()
    }

    /// The sinks a layer declares, with their lines; `None` when it
    /// declares none.
    fn sinks_of(&self, layer: &Layer) -> Result<Option<Vec<ConfigSink>>, Error> {
        if let Some(specs) = &layer.sinks {
            let parsed = specs
                .iter()
                .map(|s| {
                    let line = self.line_of(s.span().start);
                    SinkSpec::parse(s.get_ref())
                        .map(|spec| ConfigSink { spec, line })
                        .map_err(|e| self.error(Some(line), format!("sinks: {e}")))
                })
                .collect::<Result<Vec<_>, _>>()?;
            return Ok(Some(parsed));
        }
        let Some(tables) = &layer.sink else {
            return Ok(None);
        };
        let parsed = tables
            .iter()
            .map(|t| {
                let line = self.line_of(t.span().start);
                table_spec(t.get_ref())
                    .map(|spec| ConfigSink { spec, line })
                    .map_err(|e| self.error(Some(line), e))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Some(parsed))
    }
}

impl SettingsFile for Config {
    fn path(&self) -> &Path {
        self.path.as_deref().unwrap_or(Path::new(""))
    }

    fn text(&self) -> &str {
        &self.text
    }
}

/// The spec of a `[[sink]]` table.
fn table_spec(table: &SinkTable) -> Result<SinkSpec, String> {
    let mut spec = SinkSpec::parse(&table.kind).map_err(|e| format!("[[sink]] type: {e}"))?;
    if spec.arg.is_some() || !spec.options.is_empty() {
        return Err(format!(
            "[[sink]] type `{}` must be a bare sink name; give options as keys of the table",
            table.kind
        ));
    }
    for (key, value) in &table.options {
        let text = match value {
            toml::Value::String(s) => s.clone(),
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            toml::Value::Float(f) => f.to_string(),
            _ => {
                return Err(format!(
                    "sink `{}`: option `{key}` must be a string, number or boolean",
                    spec.name
                ));
            }
        };
        spec.options.insert(key.clone(), text);
    }
    Ok(spec)
}

/// Where the config file is: `--config`, else `SSOCRED_CONFIG`, else
/// `$XDG_CONFIG_HOME/ssocred/config.toml`, else
/// `~/.config/ssocred/config.toml` (on Windows `%APPDATA%\ssocred\config.toml`;
/// see `ssocred_core::os::dirs::config_base`). The bool says whether the user named it
/// (then it must exist).
pub fn locate(
    flag: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Option<(PathBuf, bool)> {
    if let Some(path) = flag {
        return Some((path.to_path_buf(), true));
    }
    if let Some(path) = env("SSOCRED_CONFIG").filter(|p| !p.is_empty()) {
        return Some((PathBuf::from(path), true));
    }
    let base = ssocred_core::os::dirs::config_base(env)?;
    Some((base.join("ssocred").join("config.toml"), false))
}

impl Config {
    /// Reads the config at `path`; a missing file is an error only when
    /// `required`.
    pub fn load(path: &Path, required: bool) -> Result<Config, Error> {
        match std::fs::read_to_string(path) {
            Ok(text) => Config::parse(path, text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => {
                Ok(Config::default())
            }
            Err(e) => Err(file_error(
                path,
                format!("cannot read the ssocred config: {e}"),
            )),
        }
    }

    /// Parses config text read from `path`.
    pub fn parse(path: &Path, text: String) -> Result<Config, Error> {
        let file: Layer = toml::from_str(&text).map_err(|e| {
            let at = e
                .span()
                .map(|s| {
                    let (line, col) = line_col(&text, s.start);
                    match key_on_line(&text, line) {
                        Some(key) => format!("line {line}, column {col}, key `{key}`: "),
                        None => format!("line {line}, column {col}: "),
                    }
                })
                .unwrap_or_default();
            file_error(path, format!("{at}{}", e.message().trim_end()))
        })?;
        let config = Config {
            path: Some(path.to_path_buf()),
            text,
            file,
        };
        config.check_shape()?;
        Ok(config)
    }

    /// The `[preset.NAME]` tables.
    pub fn presets(&self) -> &BTreeMap<String, Layer> {
        static NONE: BTreeMap<String, Layer> = BTreeMap::new();
        match &self.file.preset {
            Some(PresetKey::Presets(presets)) => presets,
            _ => &NONE,
        }
    }

    /// The `[[registry]]` tables.
    pub fn registries(&self) -> &[Spanned<RegistryMapping>] {
        self.file.registry.as_deref().unwrap_or_default()
    }

    /// Checks what serde cannot: which keys may stand where; a section uses
    /// `sinks` or `[[sink]]`, not both; every sink declaration and every
    /// hop parses. (`account` or `role` alone narrows the listing, as the
    /// flags alone do.)
    fn check_shape(&self) -> Result<(), Error> {
        if let Err(key) = self.file.check_place(Place::Top) {
            return Err(self.error(
                None,
                format!("`{key} = \"NAME\"` is not a config key: choose a preset with --preset or SSOCRED_PRESET, or define [preset.NAME] tables"),
            ));
        }
        let presets = self
            .presets()
            .iter()
            .map(|(name, p)| (format!("[preset.{name}]"), p));
        for (section, layer) in
            std::iter::once(("the top level".to_owned(), &self.file)).chain(presets)
        {
            if section != "the top level"
                && let Err(key) = layer.check_place(Place::Preset)
            {
                return Err(self.error(
                    None,
                    format!("{section}: `{key}` may stand only at the top level of the file"),
                ));
            }
            if layer.sinks.is_some() && layer.sink.is_some() {
                return Err(self.error(
                    None,
                    format!("{section} has both `sinks` and [[sink]] tables; use one of them"),
                ));
            }
            self.sinks_of(layer)?;
            if let Some(entries) = &layer.assume {
                self.hops_of(entries)?;
            }
        }
        for mapping in self.registries() {
            if let Some(problem) = mapping.get_ref().problem(self.presets()) {
                let line = self.line_of(mapping.span().start);
                return Err(self.error(Some(line), format!("[[registry]] {problem}")));
            }
        }
        Ok(())
    }

    /// The first `[[registry]]` table matching `host` of `account`, with
    /// its line.
    pub fn registry_mapping(&self, host: &str, account: &str) -> Option<(&RegistryMapping, usize)> {
        self.registries()
            .iter()
            .find(|m| m.get_ref().matches(host, account))
            .map(|m| (m.get_ref(), self.line_of(m.span().start)))
    }

    /// The names of the presets.
    pub fn preset_names(&self) -> Vec<&str> {
        self.presets().keys().map(String::as_str).collect()
    }

    /// The preset called `name`, or an error listing the presets there are.
    pub fn preset(&self, name: &str) -> Result<&Layer, Error> {
        self.presets().get(name).ok_or_else(|| {
            let where_ = match &self.path {
                Some(p) => p.display().to_string(),
                None => "the ssocred config (no file found)".to_owned(),
            };
            let names = self.preset_names();
            Error::Usage(format!(
                "--preset: no preset `{name}` in {where_}; {}",
                if names.is_empty() {
                    "it defines none: add a [preset.NAME] table".to_owned()
                } else {
                    format!("presets: {}", names.join(", "))
                }
            ))
        })
    }
}

/// An error in the ssocred config (or a project file) at `path`.
pub fn file_error(path: &Path, message: String) -> Error {
    Error::ConfigFile {
        path: path.to_path_buf(),
        message,
    }
}

/// The key assigned on a 1-based line, if the line is `key = value`.
fn key_on_line(text: &str, line: usize) -> Option<&str> {
    let (key, _) = text.lines().nth(line - 1)?.split_once('=')?;
    let key = key.trim();
    (!key.is_empty() && !key.starts_with(['[', '#'])).then_some(key)
}

/// The 1-based line and column of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, String> {
        Config::parse(Path::new("/cfg/config.toml"), text.to_owned()).map_err(|e| e.to_string())
    }

    #[test]
    fn parses_defaults_presets_and_sink_tables() {
        let c = parse(
            r#"
profile = "corp"
region = "eu-west-1"
sinks = ["credentials-file:dev", "env:fish"]

[login]
method = "pkce"
open_browser = false

[preset.ci]
role_arn = "arn:aws:iam::123456789012:role/Deploy"

[[preset.ci.sink]]
type = "dotenv"
path = ".env"

[[preset.ci.sink]]
type = "json"
format = "array"
"#,
        )
        .unwrap();
        assert_eq!(c.file.profile.as_deref(), Some("corp"));
        assert_eq!(
            c.file.login.as_ref().unwrap().method,
            Some(LoginMethod::Pkce)
        );
        let top = c.sinks_of(&c.file).unwrap().unwrap();
        assert_eq!(top[1].spec, SinkSpec::parse("env:fish").unwrap());
        assert_eq!(top[1].line, 4);
        let ci = c.preset("ci").unwrap();
        let sinks = c.sinks_of(ci).unwrap().unwrap();
        assert_eq!(sinks[0].spec, SinkSpec::parse("dotenv:path=.env").unwrap());
        assert_eq!(sinks[0].line, 13);
        assert_eq!(sinks[1].spec, SinkSpec::parse("json:format=array").unwrap());
        assert_eq!(c.preset_names(), ["ci"]);
    }

    #[test]
    fn every_error_names_the_file_line_and_key() {
        let cases: &[(&str, &[&str])] = &[
            (
                "profile = 'a'\ncolour = 1\n",
                &["/cfg/config.toml", "line 2", "unknown field `colour`"],
            ),
            (
                "[preset.ci]\nprofle = 'x'\n",
                &["line 2", "unknown field `profle`"],
            ),
            (
                "[login]\nmethod = 'carrier-pigeon'\n",
                &["line 2", "carrier-pigeon", "device-code"],
            ),
            (
                "[login]\nopen_browser = 'yes'\n",
                &["line 2", "open_browser", "bool"],
            ),
            ("region = 3\n", &["line 1", "string"]),
            ("profile = \n", &["line 1"]),
            ("sinks = ['Env']\n", &["line 1", "sinks", "lowercase name"]),
            ("sinks = 'env'\n", &["line 1", "sequence"]),
            (
                "sinks = ['env']\n[[sink]]\ntype = 'json'\n",
                &["both `sinks` and [[sink]]"],
            ),
            ("[[sink]]\npath = 'x'\n", &["line 1", "type"]),
            (
                "[[sink]]\ntype = 'dotenv:.env'\n",
                &["line 1", "bare sink name"],
            ),
            (
                "\n[[preset.x.sink]]\ntype = 'json'\nformat = ['a']\n",
                &["line 2", "sink `json`", "`format`"],
            ),
            ("[preset]\nci = 1\n", &["line 2", "ci"]),
        ];
        for (text, fragments) in cases {
            let e = parse(text).unwrap_err();
            for f in *fragments {
                assert!(e.contains(f), "{text:?}: `{f}` not in: {e}");
            }
        }
    }

    #[test]
    fn registry_mappings_match_by_glob_or_account_and_are_checked() {
        let c = parse(
            "[preset.ci]\nrole_arn = 'arn:aws:iam::123456789012:role/Deploy'\n\
             [[registry]]\nmatch = '*.dkr.ecr.eu-west-1.amazonaws.com'\nrole_arn = 'arn:aws:iam::123456789012:role/Push'\n\
             [[registry]]\nmatch = '210987654321'\npreset = 'ci'\n",
        )
        .unwrap();
        let (m, line) = c
            .registry_mapping(
                "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
                "123456789012",
            )
            .unwrap();
        assert_eq!(
            (m.role_arn.as_deref(), line),
            (Some("arn:aws:iam::123456789012:role/Push"), 3)
        );
        let (m, line) = c
            .registry_mapping(
                "210987654321.dkr.ecr.us-east-1.amazonaws.com",
                "210987654321",
            )
            .unwrap();
        assert_eq!((m.preset.as_deref(), line), (Some("ci"), 6));
        assert!(
            c.registry_mapping(
                "111122223333.dkr.ecr.us-east-1.amazonaws.com",
                "111122223333"
            )
            .is_none()
        );

        let cases: &[(&str, &[&str])] = &[
            (
                "[[registry]]\nmatch = '['\nrole_arn = 'x'\n",
                &["line 1", "not a glob"],
            ),
            ("[[registry]]\nmatch = '*'\n", &["line 1", "names no role"]),
            (
                "[[registry]]\nmatch = '*'\npreset = 'nope'\n",
                &["no [preset.nope]"],
            ),
            (
                "[[registry]]\nmatch = '*'\naccount = '1'\nrole = 'R'\n",
                &["12-digit"],
            ),
            (
                "[[registry]]\nmatch = '*'\naccount = '123456789012'\nrole = 'R*'\n",
                &["not a pattern"],
            ),
            (
                "[[registry]]\nmatch = '*'\naccount = '123456789012'\n",
                &["together"],
            ),
            (
                "[[registry]]\nmatch = '*'\nrole_arn = 'a'\nregion = 'x'\n",
                &["line 4", "unknown field `region`"],
            ),
            (
                "[preset.p]\n[[preset.p.registry]]\nmatch = '*'\n",
                &["[preset.p]: `registry` may stand only at the top level"],
            ),
        ];
        for (text, fragments) in cases {
            let e = parse(text).unwrap_err();
            for f in *fragments {
                assert!(e.contains(f), "{text:?}: `{f}` not in: {e}");
            }
        }
    }

    #[test]
    fn locates_the_file() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                vars.iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        // The platform's config directory (os::paths has its own tests:
        // ~/.config on Unix, %APPDATA% on Windows).
        let home = env(&[("HOME", "/h")]);
        let base = ssocred_core::os::dirs::config_base(&home).unwrap();
        assert_eq!(
            locate(None, &home),
            Some((base.join("ssocred").join("config.toml"), false))
        );
        // An absolute directory on every system.
        let x = std::env::temp_dir();
        let x_text = x.to_string_lossy().into_owned();
        let xdg = |k: &str| match k {
            "HOME" => Some("/h".to_owned()),
            "XDG_CONFIG_HOME" => Some(x_text.clone()),
            _ => None,
        };
        assert_eq!(
            locate(None, &xdg),
            Some((x.join("ssocred").join("config.toml"), false))
        );
        let relative_xdg = env(&[("HOME", "/h"), ("XDG_CONFIG_HOME", "rel")]);
        assert_eq!(
            locate(None, &relative_xdg).unwrap().0,
            base.join("ssocred").join("config.toml")
        );
        let both = env(&[("HOME", "/h"), ("SSOCRED_CONFIG", "/e.toml")]);
        assert_eq!(locate(None, &both), Some((PathBuf::from("/e.toml"), true)));
        assert_eq!(
            locate(Some(Path::new("/f.toml")), &both),
            Some((PathBuf::from("/f.toml"), true))
        );
    }

    #[test]
    fn a_missing_default_file_is_empty_but_a_named_one_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("none.toml");
        assert!(Config::load(&path, false).unwrap().path.is_none());
        let e = Config::load(&path, true).unwrap_err();
        assert!(e.to_string().contains("none.toml"), "{e}");
        assert_eq!(e.exit_code(), ssocred_core::ExitClass::Config);
    }
}
