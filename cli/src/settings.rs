//! Settings resolution: flags > environment > the ssocred config (the
//! selected preset, then the top level) > built-in defaults.
//!
//! | setting | flag | environment | config | default |
//! |---|---|---|---|---|
//! | config file | `--config` | `SSOCRED_CONFIG` | - | `$XDG_CONFIG_HOME/ssocred/config.toml`, `~/.config/ssocred/config.toml` |
//! | preset | `--preset` | `SSOCRED_PRESET` | - | none |
//! | SSO profile | `-p` | `SSOCRED_PROFILE`, then `AWS_PROFILE` | `profile` | `default` |
//! | region | `--region` | `SSOCRED_REGION` | `region` | the profile's `region`, else its `sso_region` |
//! | role | `-r`, `--account`+`--role` | - | `role_arn`, `account`+`role` | the profile's `sso_account_id`+`sso_role_name` |
//! | sinks | `--sink`, `--env_vars`, `--external-source` | - | `sinks` / `[[sink]]` | `credentials-file` |
//! | login | - | - | `[login]` | `device-code`, open the browser |
//! | role cache on/off | `--no-cache` | `SSOCRED_NO_CACHE` | `[cache] enabled` | on |
//! | role cache window | `--cache-window` | `SSOCRED_CACHE_WINDOW` | `[cache] window_minutes` | 15 minutes |

use std::fmt;

use ssocred_core::{Error, SelectedSink, SinkContext, SinkSpec, sink};

use crate::args::GetArgs;
use crate::config::{Config, ConfigSink, Login, LoginMethod, Preset};

/// Where a setting's value came from, for `config show` and `-v`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A command-line flag.
    Flag(&'static str),
    /// An environment variable.
    Env(&'static str),
    /// The config file, in a preset or at the top level.
    Config(Option<String>),
    /// Built into ssocred.
    Default,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Flag(flag) => write!(f, "flag {flag}"),
            Source::Env(var) => write!(f, "environment {var}"),
            Source::Config(Some(preset)) => write!(f, "config [preset.{preset}]"),
            Source::Config(None) => write!(f, "config"),
            Source::Default => write!(f, "default"),
        }
    }
}

/// A value and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sourced<T> {
    /// The value.
    pub value: T,
    /// Its origin.
    pub source: Source,
}

fn sourced<T>(value: T, source: Source) -> Sourced<T> {
    Sourced { value, source }
}

/// How the role was chosen, before the AWS profile is consulted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoleChoice {
    /// A role ARN.
    Arn(String),
    /// An account id and role name.
    AccountRole(String, String),
}

/// One sink to build, with the config line it came from, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SinkChoice {
    /// The spec.
    pub spec: SinkSpec,
    /// The config line, for errors.
    pub line: Option<usize>,
}

/// The effective settings of one invocation.
#[derive(Debug)]
pub struct Settings {
    /// The config that was read.
    pub config: Config,
    /// The preset in use.
    pub preset: Option<Sourced<String>>,
    /// The SSO profile.
    pub profile: Sourced<String>,
    /// The region, if one is set above the AWS profile.
    pub region: Option<Sourced<String>>,
    /// The role, if one is set above the AWS profile.
    pub role: Option<Sourced<RoleChoice>>,
    /// The sinks.
    pub sinks: Sourced<Vec<SinkChoice>>,
    /// Login behaviour.
    pub login: Sourced<Login>,
    /// Whether the role-credential cache is read and written.
    pub cache_enabled: Sourced<bool>,
    /// How many minutes before expiry a cached set counts as expired.
    pub cache_window: Sourced<u32>,
}

/// The role-credential cache's window when nothing sets one, in minutes:
/// the AWS CLI's own margin.
pub const DEFAULT_CACHE_WINDOW: u32 = 15;

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

impl Settings {
    /// Resolves the settings from the flags, an environment lookup and the
    /// loaded config.
    pub fn resolve(
        args: &GetArgs,
        env: &dyn Fn(&str) -> Option<String>,
        config: Config,
    ) -> Result<Settings, Error> {
        let env = |name: &str| env(name).filter(|v| !v.is_empty());
        let preset_name = match (&args.preset, env("SSOCRED_PRESET")) {
            (Some(p), _) => Some(sourced(p.clone(), Source::Flag("--preset"))),
            (None, Some(p)) => Some(sourced(p, Source::Env("SSOCRED_PRESET"))),
            (None, None) => None,
        };
        let empty = Preset::default();
        let preset = match &preset_name {
            Some(p) => config.preset(&p.value)?,
            None => &empty,
        };
        let in_preset = || Source::Config(preset_name.as_ref().map(|p| p.value.clone()));
        let top = || Source::Config(None);
        let file = &config.file;

        let profile = args
            .profile
            .clone()
            .map(|p| sourced(p, Source::Flag("--profile")))
            .or_else(|| env("SSOCRED_PROFILE").map(|p| sourced(p, Source::Env("SSOCRED_PROFILE"))))
            .or_else(|| env("AWS_PROFILE").map(|p| sourced(p, Source::Env("AWS_PROFILE"))))
            .or_else(|| preset.profile.clone().map(|p| sourced(p, in_preset())))
            .or_else(|| file.profile.clone().map(|p| sourced(p, top())))
            .unwrap_or_else(|| sourced("default".to_owned(), Source::Default));

        let region = args
            .region
            .clone()
            .map(|r| sourced(r, Source::Flag("--region")))
            .or_else(|| env("SSOCRED_REGION").map(|r| sourced(r, Source::Env("SSOCRED_REGION"))))
            .or_else(|| preset.region.clone().map(|r| sourced(r, in_preset())))
            .or_else(|| file.region.clone().map(|r| sourced(r, top())));
        if let Some(r) = &region {
            ssocred_core::profile::check_region(&r.value).map_err(|why| match &r.source {
                Source::Config(_) => config.error(None, format!("region = {:?}: {why}", r.value)),
                source => Error::Usage(format!("{source}: region {:?}: {why}", r.value)),
            })?;
        }

        let role_of = |arn: &Option<String>, account: &Option<String>, role: &Option<String>| match (
            arn, account, role,
        ) {
            (Some(arn), _, _) => Some(RoleChoice::Arn(arn.clone())),
            (None, Some(a), Some(r)) => Some(RoleChoice::AccountRole(a.clone(), r.clone())),
            _ => None,
        };
        let role = role_of(&args.role_arn, &args.account, &args.role)
            .map(|r| {
                let flag = if args.role_arn.is_some() {
                    "--role-arn"
                } else {
                    "--account/--role"
                };
                sourced(r, Source::Flag(flag))
            })
            .or_else(|| {
                role_of(&preset.role_arn, &preset.account, &preset.role)
                    .map(|r| sourced(r, in_preset()))
            })
            .or_else(|| {
                role_of(&file.role_arn, &file.account, &file.role).map(|r| sourced(r, top()))
            });

        let flag_sinks = args.flag_sink_specs();
        let sinks = if !flag_sinks.is_empty() {
            let specs = flag_sinks
                .iter()
                .map(|s| SinkSpec::parse(s).map(|spec| SinkChoice { spec, line: None }))
                .collect::<Result<Vec<_>, _>>()?;
            sourced(specs, Source::Flag("--sink"))
        } else if let Some(s) = config.sinks_of(&preset.sinks, &preset.sink)? {
            sourced(choices(s), in_preset())
        } else if let Some(s) = config.sinks_of(&file.sinks, &file.sink)? {
            sourced(choices(s), top())
        } else {
            let spec = SinkSpec::named("credentials-file");
            sourced(vec![SinkChoice { spec, line: None }], Source::Default)
        };

        let login = match (&preset.login, &file.login) {
            (Some(l), _) => sourced(l.clone(), in_preset()),
            (None, Some(l)) => sourced(l.clone(), top()),
            (None, None) => sourced(Login::default(), Source::Default),
        };

        // [cache] keys fall through one by one: the preset's, then the top's.
        fn in_cache<T>(preset: Option<T>, top: Option<T>, in_preset: Source) -> Option<Sourced<T>> {
            preset
                .map(|v| sourced(v, in_preset))
                .or_else(|| top.map(|v| sourced(v, Source::Config(None))))
        }
        let (preset_cache, top_cache) = (
            preset.cache.clone().unwrap_or_default(),
            file.cache.clone().unwrap_or_default(),
        );
        let cache_enabled = if args.no_cache {
            sourced(false, Source::Flag("--no-cache"))
        } else if let Some(v) = env("SSOCRED_NO_CACHE") {
            sourced(
                !boolish("SSOCRED_NO_CACHE", &v)?,
                Source::Env("SSOCRED_NO_CACHE"),
            )
        } else {
            in_cache(preset_cache.enabled, top_cache.enabled, in_preset())
                .unwrap_or_else(|| sourced(true, Source::Default))
        };
        let cache_window = match (args.cache_window, env("SSOCRED_CACHE_WINDOW")) {
            (Some(minutes), _) => sourced(minutes, Source::Flag("--cache-window")),
            (None, Some(v)) => {
                let minutes = v.parse().map_err(|_| {
                    Error::Usage(format!(
                        "environment SSOCRED_CACHE_WINDOW={v}: expected a whole number of minutes"
                    ))
                })?;
                sourced(minutes, Source::Env("SSOCRED_CACHE_WINDOW"))
            }
            (None, None) => in_cache(
                preset_cache.window_minutes,
                top_cache.window_minutes,
                in_preset(),
            )
            .unwrap_or_else(|| sourced(DEFAULT_CACHE_WINDOW, Source::Default)),
        };

        Ok(Settings {
            preset: preset_name,
            profile,
            region,
            role,
            sinks,
            login,
            cache_enabled,
            cache_window,
            config,
        })
    }

    /// Builds every sink, so a bad option fails before any network call; a
    /// sink from the config names the file and line.
    pub fn build_sinks(&self, ctx: &SinkContext) -> Result<Vec<SelectedSink>, Error> {
        self.sinks
            .value
            .iter()
            .map(|choice| {
                let built = sink::build(&choice.spec, ctx).map_err(|e| match choice.line {
                    Some(line) => self.config.error(Some(line), e.to_string()),
                    None => Error::Sink(e),
                })?;
                Ok(SelectedSink {
                    spec: choice.spec.clone(),
                    sink: built,
                })
            })
            .collect()
    }

    /// Checks every sink without building it (no port opened, no file
    /// touched); a sink from the config names the file and line.
    pub fn validate_sinks(&self, ctx: &SinkContext) -> Result<(), Error> {
        for choice in &self.sinks.value {
            sink::validate(&choice.spec, ctx).map_err(|e| match choice.line {
                Some(line) => self.config.error(Some(line), e.to_string()),
                None => Error::Sink(e),
            })?;
        }
        Ok(())
    }

    /// The settings as TOML-like lines with their sources, for `config show`.
    /// Holds no secret: the config has none.
    pub fn show(&self) -> String {
        let mut out = String::new();
        let file = match &self.config.path {
            Some(p) => p.display().to_string(),
            None => "none".to_owned(),
        };
        out.push_str(&format!("# config file: {file}\n"));
        if let Some(p) = &self.preset {
            out.push_str(&format!("preset = {}  # {}\n", quoted(&p.value), p.source));
        }
        out.push_str(&format!(
            "profile = {}  # {}\n",
            quoted(&self.profile.value),
            self.profile.source
        ));
        match &self.region {
            Some(r) => out.push_str(&format!("region = {}  # {}\n", quoted(&r.value), r.source)),
            None => out.push_str("# region: the AWS profile's region, else its sso_region\n"),
        }
        match &self.role {
            Some(Sourced {
                value: RoleChoice::Arn(arn),
                source,
            }) => {
                out.push_str(&format!("role_arn = {}  # {source}\n", quoted(arn)));
            }
            Some(Sourced {
                value: RoleChoice::AccountRole(a, r),
                source,
            }) => {
                out.push_str(&format!("account = {}  # {source}\n", quoted(a)));
                out.push_str(&format!("role = {}  # {source}\n", quoted(r)));
            }
            None => out.push_str("# role: the AWS profile's sso_account_id and sso_role_name\n"),
        }
        let specs: Vec<String> = self
            .sinks
            .value
            .iter()
            .map(|c| quoted(&spec_text(&c.spec)))
            .collect();
        out.push_str(&format!(
            "sinks = [{}]  # {}\n",
            specs.join(", "),
            self.sinks.source
        ));
        let login = &self.login.value;
        out.push_str(&format!("\n[login]  # {}\n", self.login.source));
        out.push_str(&format!(
            "method = {}\n",
            quoted(login.method.unwrap_or(LoginMethod::DeviceCode).as_str())
        ));
        out.push_str(&format!(
            "open_browser = {}\n",
            login.open_browser.unwrap_or(true)
        ));
        out.push_str(&format!(
            "\n[cache]\nenabled = {}  # {}\nwindow_minutes = {}  # {}\n",
            self.cache_enabled.value,
            self.cache_enabled.source,
            self.cache_window.value,
            self.cache_window.source
        ));
        let presets = self.config.preset_names();
        if !presets.is_empty() {
            out.push_str(&format!("\n# presets: {}\n", presets.join(", ")));
        }
        out
    }
}

fn choices(sinks: Vec<ConfigSink>) -> Vec<SinkChoice> {
    sinks
        .into_iter()
        .map(|s| SinkChoice {
            spec: s.spec,
            line: Some(s.line),
        })
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::Cli;
    use clap::Parser;
    use std::path::Path;

    const CONFIG: &str = r#"
profile = "cfg-profile"
region = "cfg-region"
sinks = ["env"]
[login]
method = "aws-cli"
[preset.ci]
profile = "ci-profile"
region = "ci-region"
role_arn = "arn:aws:iam::123456789012:role/Deploy"
[[preset.ci.sink]]
type = "dotenv"
path = ".env"
[preset.bare]
"#;

    fn resolve(flags: &[&str], env: &[(&str, &str)], config: &str) -> Result<Settings, Error> {
        let mut argv = vec!["ssocred"];
        argv.extend(flags);
        let cli = Cli::try_parse_from(argv).unwrap();
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let lookup = move |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let config = if config.is_empty() {
            Config::default()
        } else {
            Config::parse(Path::new("/c.toml"), config.to_owned()).unwrap()
        };
        Settings::resolve(&cli.get, &lookup, config)
    }

    /// The precedence table: each row is flags, environment, config, and the
    /// profile, region and sinks that must win, with their sources.
    #[test]
    fn precedence_table() {
        type Row = (
            &'static [&'static str],
            &'static [(&'static str, &'static str)],
            &'static str,
            (&'static str, &'static str),
            Option<(&'static str, &'static str)>,
            (&'static str, &'static str),
        );
        let rows: &[Row] = &[
            // Nothing anywhere: built-in defaults.
            (
                &[],
                &[],
                "",
                ("default", "default"),
                None,
                ("credentials-file", "default"),
            ),
            // Config top level beats defaults.
            (
                &[],
                &[],
                CONFIG,
                ("cfg-profile", "config"),
                Some(("cfg-region", "config")),
                ("env", "config"),
            ),
            // A preset beats the top level.
            (
                &["--preset", "ci"],
                &[],
                CONFIG,
                ("ci-profile", "config [preset.ci]"),
                Some(("ci-region", "config [preset.ci]")),
                ("dotenv:path=.env", "config [preset.ci]"),
            ),
            // An empty preset falls through to the top level.
            (
                &["--preset", "bare"],
                &[],
                CONFIG,
                ("cfg-profile", "config"),
                Some(("cfg-region", "config")),
                ("env", "config"),
            ),
            // The preset may come from the environment.
            (
                &[],
                &[("SSOCRED_PRESET", "ci")],
                CONFIG,
                ("ci-profile", "config [preset.ci]"),
                Some(("ci-region", "config [preset.ci]")),
                ("dotenv:path=.env", "config [preset.ci]"),
            ),
            // Environment beats config, preset included.
            (
                &["--preset", "ci"],
                &[("AWS_PROFILE", "aws-env"), ("SSOCRED_REGION", "env-region")],
                CONFIG,
                ("aws-env", "environment AWS_PROFILE"),
                Some(("env-region", "environment SSOCRED_REGION")),
                ("dotenv:path=.env", "config [preset.ci]"),
            ),
            // SSOCRED_PROFILE beats AWS_PROFILE.
            (
                &[],
                &[("AWS_PROFILE", "aws-env"), ("SSOCRED_PROFILE", "ss-env")],
                CONFIG,
                ("ss-env", "environment SSOCRED_PROFILE"),
                Some(("cfg-region", "config")),
                ("env", "config"),
            ),
            // Flags beat everything.
            (
                &[
                    "-p",
                    "flag",
                    "--region",
                    "flag-region",
                    "--sink",
                    "json",
                    "--preset",
                    "ci",
                ],
                &[("AWS_PROFILE", "aws-env"), ("SSOCRED_REGION", "env-region")],
                CONFIG,
                ("flag", "flag --profile"),
                Some(("flag-region", "flag --region")),
                ("json", "flag --sink"),
            ),
            // The predecessor's flags count as sink flags.
            (
                &["--env_vars"],
                &[],
                CONFIG,
                ("cfg-profile", "config"),
                Some(("cfg-region", "config")),
                ("env", "flag --sink"),
            ),
            // Empty environment variables are unset.
            (
                &[],
                &[("AWS_PROFILE", ""), ("SSOCRED_REGION", "")],
                CONFIG,
                ("cfg-profile", "config"),
                Some(("cfg-region", "config")),
                ("env", "config"),
            ),
        ];
        for (i, (flags, env, config, profile, region, sinks)) in rows.iter().enumerate() {
            let s = resolve(flags, env, config).unwrap();
            assert_eq!(
                (
                    s.profile.value.as_str(),
                    s.profile.source.to_string().as_str()
                ),
                *profile,
                "row {i}"
            );
            let got_region = s
                .region
                .as_ref()
                .map(|r| (r.value.clone(), r.source.to_string()));
            assert_eq!(
                got_region,
                region.map(|(v, src)| (v.to_owned(), src.to_owned())),
                "row {i}"
            );
            let specs: Vec<String> = s.sinks.value.iter().map(|c| spec_text(&c.spec)).collect();
            assert_eq!(
                (specs.join(" "), s.sinks.source.to_string()),
                (sinks.0.to_owned(), sinks.1.to_owned()),
                "row {i}"
            );
        }
    }

    #[test]
    fn role_and_login_precedence() {
        let s = resolve(&["--preset", "ci"], &[], CONFIG).unwrap();
        assert_eq!(
            s.role.unwrap().value,
            RoleChoice::Arn("arn:aws:iam::123456789012:role/Deploy".into())
        );
        assert_eq!(s.login.value.method, Some(LoginMethod::AwsCli));
        let s = resolve(
            &["--preset", "ci", "--account", "1", "--role", "R"],
            &[],
            CONFIG,
        )
        .unwrap();
        let role = s.role.unwrap();
        assert_eq!(role.value, RoleChoice::AccountRole("1".into(), "R".into()));
        assert_eq!(role.source, Source::Flag("--account/--role"));
        assert!(resolve(&[], &[], CONFIG).unwrap().role.is_none());
    }

    #[test]
    fn an_unknown_preset_lists_the_presets() {
        let e = resolve(&["--preset", "nope"], &[], CONFIG).unwrap_err();
        let m = e.to_string();
        assert!(
            m.contains("no preset `nope`") && m.contains("bare, ci") && m.contains("/c.toml"),
            "{m}"
        );
        assert_eq!(e.exit_code(), ssocred_core::ExitCode::Usage);
        let e = resolve(&[], &[("SSOCRED_PRESET", "x")], "")
            .unwrap_err()
            .to_string();
        assert!(e.contains("no file found"), "{e}");
    }

    #[test]
    fn config_sink_options_are_validated_with_the_line() {
        let config = "\n[[sink]]\ntype = \"json\"\nformat = \"yaml\"\n";
        let s = resolve(&[], &[], config).unwrap();
        let ctx = SinkContext {
            config_file: "/nonexistent/config".into(),
            credentials_file: "/nonexistent/credentials".into(),
            cwd: "/".into(),
        };
        let e = s.build_sinks(&ctx).unwrap_err().to_string();
        assert!(
            e.contains("/c.toml: line 2: sink `json`") && e.contains("yaml"),
            "{e}"
        );
        let config = "\n[[sink]]\ntype = \"nope\"\n";
        let e = resolve(&[], &[], config)
            .unwrap()
            .build_sinks(&ctx)
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 2") && e.contains("unknown sink"), "{e}");
    }
}
