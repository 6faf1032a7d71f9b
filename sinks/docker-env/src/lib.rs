//! The `docker-env` sink: a file for `docker run --env-file`, on stdout or
//! written to a path.
//!
//! Docker reads each line as `KEY=value` and keeps the value verbatim: it
//! strips no quotes and decodes no escapes. So values are written unquoted,
//! and a value Docker cannot carry on one line (a line break, or a NUL) is
//! refused rather than written wrong.

#![deny(missing_docs)]

use std::io::Write;

use ssocred_core::domain::variables::aws_environment;
use ssocred_core::{
    Capacity, CredentialSet, Destination, Sink, SinkContext, SinkError, SinkKind, SinkSpec,
};

const NAME: &str = "docker-env";

ssocred_core::sink_options! {
    struct Options {
        /// the env-file to write (replaced whole); stdout when absent
        path: Option<String>,
    }
}

struct DockerEnvSink {
    to: Destination,
    text: Option<String>,
}

/// The env-file text of one set.
fn render(set: &CredentialSet) -> Result<String, SinkError> {
    let mut text = String::new();
    for (key, value) in aws_environment(set) {
        if let Some(bad) = value.chars().find(|c| matches!(c, '\n' | '\r' | '\0')) {
            return Err(SinkError::refused(
                NAME,
                format!(
                    "the value of {key} contains {bad:?}, which a Docker env-file cannot hold; use json or dotenv"
                ),
            ));
        }
        text.push_str(&format!("{key}={value}\n"));
    }
    Ok(text)
}

impl Sink for DockerEnvSink {
    fn accept(&mut self, set: &CredentialSet) -> Result<(), SinkError> {
        self.text = Some(render(set)?);
        Ok(())
    }

    fn commit(&mut self, stdout: &mut dyn Write) -> Result<(), SinkError> {
        let Some(text) = self.text.take() else {
            return Ok(());
        };
        self.to.write(stdout, text.as_bytes())
    }

    fn capacity(&self) -> Capacity {
        Capacity::One
    }
}

fn configure(spec: &SinkSpec, ctx: &SinkContext) -> Result<DockerEnvSink, SinkError> {
    let options: Options = spec.options_as(Some("path"))?;
    Ok(DockerEnvSink {
        to: Destination::from_option(NAME, "path", options.path, ctx)?,
        text: None,
    })
}

fn validate(spec: &SinkSpec, ctx: &SinkContext) -> Result<(), SinkError> {
    configure(spec, ctx).map(drop)
}

fn build(spec: &SinkSpec, ctx: &SinkContext) -> Result<Box<dyn Sink>, SinkError> {
    Ok(Box::new(configure(spec, ctx)?))
}

inventory::submit! {
    ssocred_core::SinkRegistration {
        name: NAME,
        description: "KEY=value lines for docker run --env-file (unquoted), on stdout or to a file (atomic, 0600)",
        argument: Some("PATH"),
        options: Options::HELP,
        validate,
        kind: SinkKind::Credentials(build),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ssocred_core::domain::variables::sample_set;
    use std::collections::BTreeMap;
    use std::path::Path;

    /// Parses an env-file by the rules of Docker's `opts/envfile.go`
    /// (`parseKeyValueFile`): a UTF-8 BOM is dropped, lines are split on
    /// `\n` with a trailing `\r` removed, leading whitespace is trimmed,
    /// blank lines and lines starting with `#` are skipped, the key is what
    /// precedes the first `=` and must not contain whitespace, and the value is
    /// everything after it, verbatim.
    fn docker_parse(text: &str) -> Result<BTreeMap<String, String>, String> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut vars = BTreeMap::new();
        for line in text.lines() {
            let line = line.trim_start();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (key, value) = line.split_once('=').ok_or("no `=`: taken from the host")?;
            if key.contains(char::is_whitespace) {
                return Err(format!("variable '{key}' contains whitespaces"));
            }
            vars.insert(key.to_owned(), value.to_owned());
        }
        Ok(vars)
    }

    fn ctx(dir: &Path) -> SinkContext {
        SinkContext {
            config_file: dir.join("config"),
            credentials_file: dir.join("credentials"),
            cwd: dir.to_path_buf(),
        }
    }

    fn run(dir: &Path, spec: &str, set: &CredentialSet) -> Result<String, SinkError> {
        let mut sink = build(&SinkSpec::parse(spec).unwrap(), &ctx(dir))?;
        sink.accept(set)?;
        let mut out = Vec::new();
        sink.commit(&mut out)?;
        Ok(String::from_utf8(out).unwrap())
    }

    #[test]
    fn prints_unquoted_lines() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            run(dir.path(), "docker-env", &sample_set()).unwrap(),
            "AWS_ACCESS_KEY_ID=ASIAEXAMPLEKEY\n\
AWS_SECRET_ACCESS_KEY=wJalr/XUtnFEMI+K7MDENG==\n\
AWS_SESSION_TOKEN=IQoJb3JpZ2luX2VjE/token+==\n\
AWS_CREDENTIAL_EXPIRATION=2030-01-02T03:04:05Z\n\
AWS_REGION=eu-west-1\n\
AWS_DEFAULT_REGION=eu-west-1\n"
        );
    }

    #[test]
    fn hostile_values_read_back_verbatim_by_docker_rules() {
        let dir = tempfile::tempdir().unwrap();
        let hostile = " 'a' \"b\" $HOME `id` \\x #y ü= ";
        let mut set = sample_set();
        set.region = Some(hostile.to_owned());
        set.secret_access_key = "se=cr#et".to_owned().into();
        let text = run(dir.path(), "docker-env", &set).unwrap();
        let vars = docker_parse(&text).unwrap();
        assert_eq!(vars["AWS_REGION"], hostile);
        assert_eq!(vars["AWS_DEFAULT_REGION"], hostile);
        assert_eq!(vars["AWS_SECRET_ACCESS_KEY"], "se=cr#et");
        assert_eq!(vars.len(), 6);
    }

    #[test]
    fn refuses_line_breaks_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        for bad in ["a\nb", "a\rb"] {
            let mut set = sample_set();
            set.region = Some(bad.to_owned());
            let e = run(dir.path(), "docker-env:out.env", &set)
                .unwrap_err()
                .to_string();
            assert!(e.contains("docker-env") && e.contains("AWS_REGION"), "{e}");
        }
        assert!(!dir.path().join("out.env").exists());
    }

    #[test]
    fn writes_a_private_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("aws.env");
        let mode = || ssocred_core::os::file::mode_bits(&std::fs::metadata(&path).unwrap());
        assert_eq!(
            run(dir.path(), "docker-env:aws.env", &sample_set()).unwrap(),
            ""
        );
        assert_eq!(mode(), ssocred_core::os::file::PRIVATE_FILE_MODE);
        // Rewritten whole, keeping the mode it has.
        std::fs::write(&path, "OLD=1\n").unwrap();
        run(dir.path(), "docker-env:aws.env", &sample_set()).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            docker_parse(&text).unwrap()["AWS_ACCESS_KEY_ID"],
            "ASIAEXAMPLEKEY"
        );
        assert!(!text.contains("OLD"));
        assert_eq!(mode(), ssocred_core::os::file::PRIVATE_FILE_MODE);
    }
}
