//! The `env` sink: environment variable assignments for `eval` in sh, fish,
//! PowerShell or cmd.

#![deny(missing_docs)]

use std::io::Write;

use ssocred_core::domain::shell::{Shell, credential_variables, script};
use ssocred_core::{Capacity, CredentialSet, Sink, SinkContext, SinkError, SinkKind, SinkSpec};

ssocred_core::sink_options! {
    struct Options {
        /// sh (default; bash and zsh are the same), no-export, fish, powershell or cmd
        shell: Option<Shell>,
    }
}

struct EnvSink {
    shell: Shell,
    text: String,
}

impl Sink for EnvSink {
    fn accept(&mut self, set: &CredentialSet) -> Result<(), SinkError> {
        self.text = script(self.shell, &credential_variables(set))
            .map_err(|reason| SinkError::refused("env", reason))?;
        Ok(())
    }

    fn commit(&mut self, stdout: &mut dyn Write) -> Result<(), SinkError> {
        stdout
            .write_all(std::mem::take(&mut self.text).as_bytes())
            .map_err(|e| SinkError::stdout(&e))
    }

    fn capacity(&self) -> Capacity {
        Capacity::One
    }
}

fn configure(spec: &SinkSpec) -> Result<EnvSink, SinkError> {
    let options: Options = spec.options_as(Some("shell"))?;
    Ok(EnvSink {
        shell: options.shell.unwrap_or_default(),
        text: String::new(),
    })
}

fn validate(spec: &SinkSpec, _ctx: &SinkContext) -> Result<(), SinkError> {
    configure(spec).map(drop)
}

fn build(spec: &SinkSpec, _ctx: &SinkContext) -> Result<Box<dyn Sink>, SinkError> {
    Ok(Box::new(configure(spec)?))
}

inventory::submit! {
    ssocred_core::SinkRegistration {
        name: "env",
        description: "environment variable assignments for eval in sh, fish, PowerShell or cmd",
        argument: Some("SHELL"),
        options: Options::HELP,
        validate,
        kind: SinkKind::Credentials(build),
    }
}
