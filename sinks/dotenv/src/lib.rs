//! The `dotenv` sink: `KEY="value"` lines as dotenv parsers read them, on
//! stdout or merged into a `.env` file.
//!
//! Merging changes only ssocred's keys: each is updated where it stands,
//! later duplicates of it are dropped, missing ones are appended, and every
//! other line (comments, other variables, multi-line values) stays byte for
//! byte. The file is rewritten atomically at 0600 under a sidecar lock.

#![deny(missing_docs)]

use std::io::Write;

use ssocred_core::domain::variables::aws_environment;
use ssocred_core::os::fs::TargetFile;
use ssocred_core::{
    Capacity, CredentialSet, Destination, Sink, SinkContext, SinkError, SinkKind, SinkSpec,
    write_stdout,
};

const NAME: &str = "dotenv";

ssocred_core::sink_options! {
    struct Options {
        /// the .env file to update in place (ssocred's keys change, every other line stays); stdout when absent
        path: Option<String>,
    }
}

/// Quotes a value for dotenv: double quotes with `\\`, `\"`, `\n` and `\r`
/// escaped, which python-dotenv, Ruby dotenv, Node dotenv and Compose all
/// decode the same way.
///
/// `$` is refused: those parsers disagree on `$` expansion (python-dotenv
/// expands `${X}` even in quotes and has no escape for it), so no spelling
/// keeps it literal everywhere. Credentials never contain one.
fn quote(key: &str, value: &str) -> Result<String, SinkError> {
    if value.contains('$') {
        return Err(SinkError::refused(
            NAME,
            format!(
                "the value of {key} contains `$`, which dotenv parsers expand differently; use env:no-export or json"
            ),
        ));
    }
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '\\' => out.push_str(r"\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str(r"\n"),
            '\r' => out.push_str(r"\r"),
            c => out.push(c),
        }
    }
    out.push('"');
    Ok(out)
}

/// One entry of a `.env` file: the bytes it spans and the key it sets, if
/// it is an assignment.
#[derive(Debug)]
struct Entry<'a> {
    raw: &'a str,
    key: Option<&'a str>,
}

/// Splits a `.env` file into entries the way python-dotenv reads it: an
/// assignment whose quoted value spans lines is one entry; everything else is
/// one line.
fn entries(text: &str) -> Vec<Entry<'_>> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < text.len() {
        let line_end = text[pos..].find('\n').map_or(text.len(), |i| pos + i + 1);
        let (key, end) = match assignment(&text[pos..]) {
            Some((key, len)) => (Some(key), (pos + len).max(line_end)),
            None => (None, line_end),
        };
        // A quoted value ends mid-line; the entry runs to the end of that line.
        let end = if end > line_end {
            text[end..].find('\n').map_or(text.len(), |i| end + i + 1)
        } else {
            end
        };
        out.push(Entry {
            raw: &text[pos..end],
            key,
        });
        pos = end;
    }
    out
}

/// If `rest` starts with an assignment, its key and the length up to the end
/// of its value (past a closing quote, which may be on a later line).
fn assignment(rest: &str) -> Option<(&str, usize)> {
    let start = rest.len() - rest.trim_start_matches([' ', '\t']).len();
    let mut i = start;
    if let Some(after) = rest[i..].strip_prefix("export") {
        let spaces = after.len() - after.trim_start_matches([' ', '\t']).len();
        if spaces > 0 {
            i += "export".len() + spaces;
        }
    }
    let key_len = rest[i..]
        .find(|c: char| c == '=' || c == '#' || c.is_whitespace())
        .unwrap_or(rest.len() - i);
    if key_len == 0 {
        return None;
    }
    let key = &rest[i..i + key_len];
    i += key_len;
    i += rest[i..].len() - rest[i..].trim_start_matches([' ', '\t']).len();
    if !rest[i..].starts_with('=') {
        return None;
    }
    i += 1;
    i += rest[i..].len() - rest[i..].trim_start_matches([' ', '\t']).len();
    let quote = rest[i..].chars().next().filter(|c| *c == '"' || *c == '\'');
    if let Some(q) = quote {
        let mut escaped = false;
        for (off, c) in rest[i + 1..].char_indices() {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                c if c == q => return Some((key, i + 1 + off + 1)),
                _ => {}
            }
        }
        // An unterminated quote: python-dotenv rejects just this line.
    }
    Some((key, 0))
}

/// Merges `vars` into the `.env` text: see the module docs.
fn merge(text: &str, vars: &[(&str, String)]) -> String {
    let crlf = text.matches("\r\n").count();
    let eol = if crlf > 0 && crlf * 2 > text.matches('\n').count() {
        "\r\n"
    } else {
        "\n"
    };
    let mut written = vec![false; vars.len()];
    let mut out = String::with_capacity(text.len() + 512);
    for entry in entries(text) {
        let Some(idx) = entry
            .key
            .and_then(|k| vars.iter().position(|(name, _)| *name == k))
        else {
            out.push_str(entry.raw);
            continue;
        };
        if written[idx] {
            continue;
        }
        written[idx] = true;
        let (name, value) = &vars[idx];
        let prefix = if entry.raw.trim_start().starts_with("export") {
            "export "
        } else {
            ""
        };
        let ending = if entry.raw.ends_with("\r\n") {
            "\r\n"
        } else if entry.raw.ends_with('\n') {
            "\n"
        } else {
            ""
        };
        out.push_str(&format!("{prefix}{name}={value}{ending}"));
    }
    for (idx, (name, value)) in vars.iter().enumerate() {
        if !written[idx] {
            if !out.is_empty() && !out.ends_with('\n') {
                out.push_str(eol);
            }
            out.push_str(&format!("{name}={value}{eol}"));
        }
    }
    out
}

struct DotenvSink {
    to: Destination,
    lines: Option<Vec<(&'static str, String)>>,
}

impl Sink for DotenvSink {
    fn accept(&mut self, set: &CredentialSet) -> Result<(), SinkError> {
        let lines = aws_environment(set)
            .into_iter()
            .map(|(k, v)| quote(k, &v).map(|q| (k, q)))
            .collect::<Result<_, _>>()?;
        self.lines = Some(lines);
        Ok(())
    }

    fn commit(&mut self, stdout: &mut dyn Write) -> Result<(), SinkError> {
        let Some(vars) = self.lines.take() else {
            return Ok(());
        };
        match &self.to {
            Destination::Stdout => {
                let text: String = vars.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
                write_stdout(stdout, text.as_bytes())
            }
            // Merged, not replaced: every line that is not ssocred's stays.
            Destination::File(path) => {
                let io = |e: std::io::Error| SinkError::io(path, &e);
                let file = TargetFile::open_for_update(path).map_err(io)?;
                let before = file.read().map_err(io)?.unwrap_or_default();
                file.write(merge(&before, &vars).as_bytes()).map_err(io)
            }
        }
    }

    fn capacity(&self) -> Capacity {
        Capacity::One
    }
}

fn configure(spec: &SinkSpec, ctx: &SinkContext) -> Result<DotenvSink, SinkError> {
    let options: Options = spec.options_as(Some("path"))?;
    Ok(DotenvSink {
        to: Destination::from_option(NAME, "path", options.path, ctx)?,
        lines: None,
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
        description: "KEY=\"value\" lines for dotenv parsers, on stdout or merged into a .env file (atomic, 0600)",
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
    use std::path::Path;

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

    const EXPECTED: &str = "AWS_ACCESS_KEY_ID=\"ASIAEXAMPLEKEY\"\n\
AWS_SECRET_ACCESS_KEY=\"wJalr/XUtnFEMI+K7MDENG==\"\n\
AWS_SESSION_TOKEN=\"IQoJb3JpZ2luX2VjE/token+==\"\n\
AWS_CREDENTIAL_EXPIRATION=\"2030-01-02T03:04:05Z\"\n\
AWS_REGION=\"eu-west-1\"\n\
AWS_DEFAULT_REGION=\"eu-west-1\"\n";

    #[test]
    fn prints_quoted_lines() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(run(dir.path(), "dotenv", &sample_set()).unwrap(), EXPECTED);
    }

    #[test]
    fn escapes_hostile_values_and_refuses_dollar() {
        assert_eq!(
            quote("K", "a'b\"c`d\\e\nf\rg ü").unwrap(),
            r#""a'b\"c`d\\e\nf\rg ü""#
        );
        let e = quote("AWS_REGION", "x${HOME}").unwrap_err().to_string();
        assert!(e.contains("dotenv") && e.contains("AWS_REGION"), "{e}");
    }

    #[test]
    fn merges_into_an_existing_file_keeping_every_other_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".env");
        let before = "# app settings\nDATABASE_URL=\"postgres://x\"\nexport AWS_ACCESS_KEY_ID=OLD # old\n\
MULTI=\"line one\nAWS_REGION=inside-a-value\n\"\n  AWS_REGION = 'us-east-1'\nAWS_REGION=dup\nLAST=1";
        std::fs::write(&path, before).unwrap();
        let mode = || ssocred_core::os::file::mode_bits(&std::fs::metadata(&path).unwrap());
        let mode_before = mode();
        assert_eq!(run(dir.path(), "dotenv:.env", &sample_set()).unwrap(), "");
        let after = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            after,
            "# app settings\nDATABASE_URL=\"postgres://x\"\nexport AWS_ACCESS_KEY_ID=\"ASIAEXAMPLEKEY\"\n\
MULTI=\"line one\nAWS_REGION=inside-a-value\n\"\nAWS_REGION=\"eu-west-1\"\nLAST=1\n\
AWS_SECRET_ACCESS_KEY=\"wJalr/XUtnFEMI+K7MDENG==\"\n\
AWS_SESSION_TOKEN=\"IQoJb3JpZ2luX2VjE/token+==\"\n\
AWS_CREDENTIAL_EXPIRATION=\"2030-01-02T03:04:05Z\"\n\
AWS_DEFAULT_REGION=\"eu-west-1\"\n"
        );
        // The user's file keeps its mode; only a file the sink creates is
        // private.
        assert_eq!(mode(), mode_before);
        // A second run changes nothing.
        run(dir.path(), "dotenv,path=.env", &sample_set()).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), after);
    }

    #[test]
    fn creates_a_missing_file_and_keeps_crlf() {
        let dir = tempfile::tempdir().unwrap();
        run(dir.path(), "dotenv:sub/.env", &sample_set()).unwrap();
        let created = std::fs::read_to_string(dir.path().join("sub/.env")).unwrap();
        assert_eq!(created, EXPECTED);
        let path = dir.path().join("w.env");
        std::fs::write(&path, "A=1\r\nB=2\r\n").unwrap();
        run(dir.path(), "dotenv:w.env", &sample_set()).unwrap();
        let after = std::fs::read_to_string(&path).unwrap();
        assert!(
            after.starts_with("A=1\r\nB=2\r\nAWS_ACCESS_KEY_ID="),
            "{after}"
        );
        assert_eq!(after.matches("\r\n").count(), 8);
    }

    #[test]
    fn a_refused_value_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut set = sample_set();
        set.region = Some("$(touch pwned)".into());
        assert!(run(dir.path(), "dotenv:.env", &set).is_err());
        assert!(!dir.path().join(".env").exists());
        let e = run(dir.path(), "dotenv:.env,shell=sh", &sample_set())
            .unwrap_err()
            .to_string();
        assert!(e.contains("sink `dotenv`") && e.contains("shell"), "{e}");
    }
}
