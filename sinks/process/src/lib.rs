//! The `process` sink: credential_process JSON for `credential_process =`
//! lines in `~/.aws/config`.

#![deny(missing_docs)]

use std::io::Write;

use serde::Serialize;
use ssocred_core::{
    Capacity, CredentialSet, ExposeSecret, Sink, SinkContext, SinkError, SinkKind, SinkSpec,
};

/// The JSON document of the credential_process protocol, version 1.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ProcessOutput<'a> {
    version: u8,
    access_key_id: &'a str,
    secret_access_key: &'a str,
    session_token: &'a str,
    expiration: String,
    account_id: &'a str,
}

ssocred_core::sink_options! {
    struct Options {}
}

struct ProcessSink {
    output: Option<String>,
}

impl Sink for ProcessSink {
    fn accept(&mut self, set: &CredentialSet) -> Result<(), SinkError> {
        let doc = ProcessOutput {
            version: 1,
            access_key_id: &set.access_key_id,
            secret_access_key: set.secret_access_key.expose_secret(),
            session_token: set.session_token.expose_secret(),
            expiration: set.expiration_utc(),
            account_id: &set.account_id,
        };
        let json = serde_json::to_string(&doc)
            .map_err(|e| SinkError::refused("process", format!("cannot encode JSON: {e}")))?;
        self.output = Some(json);
        Ok(())
    }

    fn commit(&mut self, stdout: &mut dyn Write) -> Result<(), SinkError> {
        if let Some(json) = self.output.take() {
            writeln!(stdout, "{json}").map_err(|e| SinkError::stdout(&e))?;
        }
        Ok(())
    }

    fn capacity(&self) -> Capacity {
        Capacity::One
    }
}

fn validate(spec: &SinkSpec, _ctx: &SinkContext) -> Result<(), SinkError> {
    let Options {} = spec.options_as(None)?;
    Ok(())
}

fn build(spec: &SinkSpec, ctx: &SinkContext) -> Result<Box<dyn Sink>, SinkError> {
    validate(spec, ctx)?;
    Ok(Box::new(ProcessSink { output: None }))
}

inventory::submit! {
    ssocred_core::SinkRegistration {
        name: "process",
        description: "credential_process JSON (Version 1, UTC expiration, AccountId) on stdout",
        argument: None,
        options: Options::HELP,
        validate,
        kind: SinkKind::Credentials(build),
    }
}
