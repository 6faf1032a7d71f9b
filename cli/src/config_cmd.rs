//! `ssocred config check|show`, and loading the config for every command.

use std::io::Write;
use std::path::Path;

use ssocred_core::profile::AwsPaths;
use ssocred_core::{Error, SinkContext, sink};

use crate::args::ConfigCommand;
use crate::config::Config;
use crate::settings::Settings;

/// Loads the config named by `--config`, `SSOCRED_CONFIG` or the default
/// location; a missing default file is an empty config.
pub fn load(flag: Option<&Path>, env: &dyn Fn(&str) -> Option<String>) -> Result<Config, Error> {
    match crate::config::locate(flag, env) {
        Some((path, required)) => Config::load(&path, required),
        None => Ok(Config::default()),
    }
}

pub fn run(action: ConfigCommand) -> Result<(), Error> {
    let env = |name: &str| std::env::var(name).ok();
    match action {
        ConfigCommand::Check { path, config } => {
            let flag = path.or(config);
            let Some((path, _)) = crate::config::locate(flag.as_deref(), &env) else {
                return Err(Error::Usage(
                    "no config file to check: HOME is not set; pass a PATH".to_owned(),
                ));
            };
            if flag.is_none() && !path.exists() {
                return Err(Error::ConfigFile {
                    path,
                    message: "no ssocred config file here; create it or pass a PATH".to_owned(),
                });
            }
            let config = Config::load(&path, true)?;
            check(&config, &sink_context(&env)?)?;
            let presets = config.preset_names();
            let summary = if presets.is_empty() {
                "no presets".to_owned()
            } else {
                format!("presets: {}", presets.join(", "))
            };
            write_stdout(&format!("{}: ok ({summary})\n", path.display()))
        }
        ConfigCommand::Show { get } => {
            let config = load(get.config.as_deref(), &env)?;
            let settings = Settings::resolve(&get, &env, config)?;
            settings.validate_sinks(&sink_context(&env)?)?;
            write_stdout(&settings.show())
        }
    }
}

/// Validates every sink of every section, so an option a sink rejects is
/// found now, with its line, rather than on the day the preset is used.
/// Nothing is built: no port is opened and no file touched.
fn check(config: &Config, ctx: &SinkContext) -> Result<(), Error> {
    let file = &config.file;
    let sections = std::iter::once((&file.sinks, &file.sink))
        .chain(file.preset.values().map(|p| (&p.sinks, &p.sink)));
    for (specs, tables) in sections {
        for s in config.sinks_of(specs, tables)?.unwrap_or_default() {
            sink::validate(&s.spec, ctx).map_err(|e| config.error(Some(s.line), e.to_string()))?;
        }
    }
    Ok(())
}

fn sink_context(env: &dyn Fn(&str) -> Option<String>) -> Result<SinkContext, Error> {
    let paths = AwsPaths::from_env(env)?;
    let cwd = std::env::current_dir()
        .map_err(|e| Error::Usage(format!("cannot read the working directory: {e}")))?;
    Ok(SinkContext {
        config_file: paths.config,
        credentials_file: paths.credentials,
        cwd,
    })
}

fn write_stdout(text: &str) -> Result<(), Error> {
    std::io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .map_err(|e| Error::Usage(format!("cannot write to stdout: {e}")))
}
