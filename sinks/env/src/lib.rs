//! The `env` sink: environment variable assignments for `eval` in sh, fish,
//! PowerShell or cmd.

#![deny(missing_docs)]

use std::io::Write;

use serde::Deserialize;
use ssocred_core::shell::{Shell, credential_variables, script};
use ssocred_core::{Capacity, CredentialSet, Sink, SinkContext, SinkError, SinkSpec};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {
    shell: Option<Shell>,
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

fn build(spec: &SinkSpec, _ctx: &SinkContext) -> Result<Box<dyn Sink>, SinkError> {
    let options: Options = spec.options_as(Some("shell"))?;
    Ok(Box::new(EnvSink {
        shell: options.shell.unwrap_or_default(),
        text: String::new(),
    }))
}

inventory::submit! {
    ssocred_core::SinkRegistration {
        name: "env",
        description: "environment variable assignments for eval in sh, fish, PowerShell or cmd",
        argument: Some("SHELL"),
        options: &[("shell", "sh (default), no-export, fish, powershell or cmd")],
        build,
    }
}
