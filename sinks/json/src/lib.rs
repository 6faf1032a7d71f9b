//! The `json` sink: every field of each credential set, as one JSON object per
//! line (NDJSON, the default) or as one array (`json:array`), for scripts and
//! jq.

#![deny(missing_docs)]

use std::io::Write;

use serde::{Deserialize, Serialize};
use ssocred_core::{
    CredentialSet, Destination, ExposeSecret, Sink, SinkContext, SinkError, SinkKind, SinkSpec,
};

const NAME: &str = "json";

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Format {
    /// One object per line.
    #[default]
    Ndjson,
    /// One array of objects.
    Array,
}

ssocred_core::sink_options! {
    struct Options {
        /// ndjson (default: one object per line) or array
        format: Option<Format>,
        /// write this file (atomic, 0600) instead of stdout
        out: Option<String>,
    }
}

/// The JSON form of a credential set: every field, with the field names of
/// the Rust type. Absent optional fields are `null`, so every object has the
/// same keys.
#[derive(Serialize)]
struct SetJson<'a> {
    account_id: &'a str,
    account_name: Option<&'a str>,
    role_name: &'a str,
    role_arn: &'a str,
    access_key_id: &'a str,
    secret_access_key: &'a str,
    session_token: &'a str,
    expiration: String,
    region: Option<&'a str>,
    sso_profile: &'a str,
    sso_session: Option<&'a str>,
    start_url: &'a str,
}

/// One set as a JSON object, keys in the order of [`SetJson`].
fn to_json(set: &CredentialSet) -> String {
    let doc = SetJson {
        account_id: &set.account_id,
        account_name: set.account_name.as_deref(),
        role_name: &set.role_name,
        role_arn: &set.role_arn,
        access_key_id: &set.access_key_id,
        secret_access_key: set.secret_access_key.expose_secret(),
        session_token: set.session_token.expose_secret(),
        expiration: set.expiration_utc(),
        region: set.region.as_deref(),
        sso_profile: &set.sso_profile,
        sso_session: set.sso_session.as_deref(),
        start_url: &set.start_url,
    };
    // Serialising a struct of strings cannot fail.
    serde_json::to_string(&doc).unwrap_or_default()
}

struct JsonSink {
    format: Format,
    out: Destination,
    sets: Vec<String>,
}

impl JsonSink {
    fn render(&self) -> String {
        match self.format {
            Format::Ndjson => self.sets.iter().map(|v| format!("{v}\n")).collect(),
            Format::Array => format!("[{}]\n", self.sets.join(",")),
        }
    }
}

impl Sink for JsonSink {
    fn accept(&mut self, set: &CredentialSet) -> Result<(), SinkError> {
        self.sets.push(to_json(set));
        Ok(())
    }

    fn commit(&mut self, stdout: &mut dyn Write) -> Result<(), SinkError> {
        let text = self.render();
        self.sets.clear();
        self.out.write(stdout, text.as_bytes())
    }
}

fn configure(spec: &SinkSpec, ctx: &SinkContext) -> Result<JsonSink, SinkError> {
    let options: Options = spec.options_as(Some("format"))?;
    Ok(JsonSink {
        format: options.format.unwrap_or_default(),
        out: Destination::from_option(NAME, "out", options.out, ctx)?,
        sets: Vec::new(),
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
        description: "every field of each credential set as JSON: one object per line, or an array",
        argument: Some("FORMAT"),
        options: Options::HELP,
        validate,
        kind: SinkKind::Credentials(build),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ssocred_core::domain::variables::sample_set;

    fn run(spec: &str, sets: &[CredentialSet]) -> Result<String, SinkError> {
        let dir = tempfile::tempdir().unwrap();
        let ctx = SinkContext {
            config_file: dir.path().join("config"),
            credentials_file: dir.path().join("credentials"),
            cwd: dir.path().to_path_buf(),
        };
        let mut sink = build(&SinkSpec::parse(spec).unwrap(), &ctx)?;
        for set in sets {
            sink.accept(set)?;
        }
        let mut out = Vec::new();
        sink.commit(&mut out)?;
        Ok(String::from_utf8(out).unwrap())
    }

    const OBJECT: &str = r#"{"account_id":"123456789012","account_name":"Prod","role_name":"ReadOnly","role_arn":"arn:aws:iam::123456789012:role/ReadOnly","access_key_id":"ASIAEXAMPLEKEY","secret_access_key":"wJalr/XUtnFEMI+K7MDENG==","session_token":"IQoJb3JpZ2luX2VjE/token+==","expiration":"2030-01-02T03:04:05Z","region":"eu-west-1","sso_profile":"my-sso","sso_session":"corp","start_url":"https://d-corp.awsapps.com/start"}"#;

    #[test]
    fn writes_every_field_as_ndjson_or_array() {
        let one = sample_set();
        assert_eq!(
            run("json", std::slice::from_ref(&one)).unwrap(),
            format!("{OBJECT}\n")
        );
        assert_eq!(
            run("json:ndjson", &[one.clone(), one.clone()]).unwrap(),
            format!("{OBJECT}\n{OBJECT}\n")
        );
        assert_eq!(
            run("json:array", &[one.clone(), one.clone()]).unwrap(),
            format!("[{OBJECT},{OBJECT}]\n")
        );
        assert_eq!(run("json,format=array", &[]).unwrap(), "[]\n");
    }

    #[test]
    fn hostile_values_round_trip() {
        let mut set = sample_set();
        let hostile = "Dév 'a' \"b\" $x `y` \\z\nline\u{7}";
        set.account_name = Some(hostile.to_owned());
        set.region = None;
        let out = run("json", &[set]).unwrap();
        assert_eq!(out.lines().count(), 1);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["account_name"], hostile);
        assert_eq!(v["region"], serde_json::Value::Null);
    }

    #[test]
    fn rejects_bad_options() {
        for (spec, word) in [("json:yaml", "yaml"), ("json:colour=1", "colour")] {
            let e = run(spec, &[]).unwrap_err().to_string();
            assert!(e.contains("sink `json`") && e.contains(word), "{e}");
        }
    }
}
