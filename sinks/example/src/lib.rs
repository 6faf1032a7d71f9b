//! The `example` sink: one `ACCOUNT_ID ROLE_NAME` line per credential set on
//! stdout. It is the worked example of a sink crate (README, "Writing a
//! sink"); the binary links it only with the `ssocred-sink-example` feature,
//! which the tests turn on.

#![deny(missing_docs)]

use std::io::Write;

use ssocred_core::sink::{
    CredentialSet, Sink, SinkContext, SinkError, SinkKind, SinkRegistration, SinkSpec, write_stdout,
};

// The options: each field is one, and its doc comment is its help in
// `ssocred sinks --verbose`.
ssocred_core::sink_options! {
    struct Options {
        /// the text before each line (default: none)
        prefix: Option<String>,
    }
}

/// Buffers the lines of a round in `accept` and prints them in `commit`, so
/// a failed round prints nothing.
struct ExampleSink {
    prefix: String,
    lines: String,
}

impl Sink for ExampleSink {
    fn accept(&mut self, set: &CredentialSet) -> Result<(), SinkError> {
        let line = format!("{}{} {}\n", self.prefix, set.account_id, set.role_name);
        self.lines.push_str(&line);
        Ok(())
    }

    fn commit(&mut self, stdout: &mut dyn Write) -> Result<(), SinkError> {
        write_stdout(stdout, std::mem::take(&mut self.lines).as_bytes())
    }
}

/// Reads the spec (`example:PREFIX` or `example,prefix=PREFIX`). It has no
/// side effect, so it serves `validate` as well as `build`.
fn configure(spec: &SinkSpec) -> Result<ExampleSink, SinkError> {
    let options: Options = spec.options_as(Some("prefix"))?;
    Ok(ExampleSink {
        prefix: options.prefix.unwrap_or_default(),
        lines: String::new(),
    })
}

fn validate(spec: &SinkSpec, _ctx: &SinkContext) -> Result<(), SinkError> {
    configure(spec).map(drop)
}

fn build(spec: &SinkSpec, _ctx: &SinkContext) -> Result<Box<dyn Sink>, SinkError> {
    Ok(Box::new(configure(spec)?))
}

inventory::submit! {
    SinkRegistration {
        name: "example",
        description: "ACCOUNT_ID ROLE_NAME lines on stdout (the worked example of a sink crate)",
        argument: Some("PREFIX"),
        options: Options::HELP,
        validate,
        kind: SinkKind::Credentials(build),
    }
}

#[cfg(test)]
mod tests {
    use ssocred_core::domain::variables::sample_set;

    use super::*;

    #[test]
    fn prints_one_line_per_set_at_commit() {
        let ctx = SinkContext {
            config_file: "config".into(),
            credentials_file: "credentials".into(),
            cwd: ".".into(),
        };
        let spec = SinkSpec::parse("example:> ").unwrap();
        let mut sink = ssocred_core::sink::build(&spec, &ctx).unwrap();
        let set = sample_set();
        sink.accept(&set).unwrap();
        sink.accept(&set).unwrap();
        let mut out = Vec::new();
        sink.commit(&mut out).unwrap();
        let line = format!("> {} {}\n", set.account_id, set.role_name);
        assert_eq!(String::from_utf8(out).unwrap(), line.repeat(2));
        assert_eq!(Options::HELP[0].name(), "prefix");
        assert_eq!(
            Options::HELP[0].help(),
            "the text before each line (default: none)"
        );
    }
}
