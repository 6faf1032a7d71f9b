//! The `env` sink: environment variable assignments for `eval` in sh, fish,
//! PowerShell or cmd.

#![deny(missing_docs)]

use std::io::Write;

use serde::Deserialize;
use ssocred_core::{Capacity, CredentialSet, ExposeSecret, Sink, SinkContext, SinkError, SinkSpec};

/// The shell syntaxes the sink can write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum Shell {
    /// POSIX sh, bash, zsh: `export K='v'`.
    Sh,
    /// `K='v'` without export, for dotenv-like sourcing.
    NoExport,
    /// fish: `set -gx K 'v';`.
    Fish,
    /// PowerShell: `$env:K = 'v'`.
    Powershell,
    /// Windows cmd: `set "K=v"`.
    Cmd,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {
    shell: Option<Shell>,
}

/// The variables a set becomes, in output order.
fn variables(set: &CredentialSet) -> Vec<(&'static str, String)> {
    let mut vars = vec![
        ("AWS_ACCESS_KEY_ID", set.access_key_id.clone()),
        (
            "AWS_SECRET_ACCESS_KEY",
            set.secret_access_key.expose_secret().to_owned(),
        ),
        (
            "AWS_SESSION_TOKEN",
            set.session_token.expose_secret().to_owned(),
        ),
        ("AWS_CREDENTIAL_EXPIRATION", set.expiration_utc()),
    ];
    if let Some(region) = &set.region {
        vars.push(("AWS_REGION", region.clone()));
        vars.push(("AWS_DEFAULT_REGION", region.clone()));
    }
    vars
}

/// Single-quotes for POSIX sh: nothing inside `'...'` is special, and a quote
/// is closed, escaped and reopened.
fn sh_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

/// fish single quotes: only `\` and `'` need escaping.
fn fish_quote(value: &str) -> String {
    format!("'{}'", value.replace('\\', r"\\").replace('\'', r"\'"))
}

/// PowerShell single quotes: a quote is doubled. PowerShell also treats the
/// typographic single quotes as quote characters, so they are doubled too.
fn powershell_quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        if matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}') {
            out.push(c);
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// Formats one assignment; cmd cannot represent every value safely, so it
/// refuses those it cannot.
fn assignment(shell: Shell, name: &str, value: &str) -> Result<String, SinkError> {
    Ok(match shell {
        Shell::Sh => format!("export {name}={}", sh_quote(value)),
        Shell::NoExport => format!("{name}={}", sh_quote(value)),
        Shell::Fish => format!("set -gx {name} {};", fish_quote(value)),
        Shell::Powershell => format!("$env:{name} = {}", powershell_quote(value)),
        Shell::Cmd => {
            // Inside `set "K=v"` cmd still expands %VAR% and !VAR!, and a
            // quote or line break would end the command.
            if let Some(bad) = value
                .chars()
                .find(|c| matches!(c, '%' | '!' | '"' | '\n' | '\r'))
            {
                return Err(SinkError::refused(
                    "env",
                    format!(
                        "{name} contains {bad:?}, which cmd cannot quote safely; use env:powershell"
                    ),
                ));
            }
            format!("set \"{name}={value}\"")
        }
    })
}

struct EnvSink {
    shell: Shell,
    lines: Vec<String>,
}

impl Sink for EnvSink {
    fn accept(&mut self, set: &CredentialSet) -> Result<(), SinkError> {
        self.lines = variables(set)
            .iter()
            .map(|(name, value)| assignment(self.shell, name, value))
            .collect::<Result<_, _>>()?;
        Ok(())
    }

    fn commit(&mut self, stdout: &mut dyn Write) -> Result<(), SinkError> {
        let eol = if self.shell == Shell::Cmd {
            "\r\n"
        } else {
            "\n"
        };
        let mut text = String::new();
        for line in self.lines.drain(..) {
            text.push_str(&line);
            text.push_str(eol);
        }
        stdout
            .write_all(text.as_bytes())
            .map_err(|e| SinkError::io(std::path::Path::new("<stdout>"), &e))
    }

    fn capacity(&self) -> Capacity {
        Capacity::One
    }
}

fn build(spec: &SinkSpec, _ctx: &SinkContext) -> Result<Box<dyn Sink>, SinkError> {
    let options: Options = spec.options_as(Some("shell"))?;
    Ok(Box::new(EnvSink {
        shell: options.shell.unwrap_or(Shell::Sh),
        lines: Vec::new(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_for_each_shell() {
        let v = r#"a'b"c$d`e\f"#;
        assert_eq!(
            assignment(Shell::Sh, "K", v).unwrap(),
            r#"export K='a'\''b"c$d`e\f'"#
        );
        assert_eq!(
            assignment(Shell::NoExport, "K", v).unwrap(),
            r#"K='a'\''b"c$d`e\f'"#
        );
        assert_eq!(
            assignment(Shell::Fish, "K", v).unwrap(),
            r#"set -gx K 'a\'b"c$d`e\\f';"#
        );
        assert_eq!(
            assignment(Shell::Powershell, "K", v).unwrap(),
            r#"$env:K = 'a''b"c$d`e\f'"#
        );
        assert_eq!(
            assignment(Shell::Powershell, "K", "x\u{2019}y").unwrap(),
            "$env:K = 'x\u{2019}\u{2019}y'"
        );
        assert_eq!(
            assignment(Shell::Cmd, "K", "ab/c+d=").unwrap(),
            r#"set "K=ab/c+d=""#
        );
        for bad in ["50%", "a!b", "a\"b", "a\nb"] {
            assert!(assignment(Shell::Cmd, "K", bad).is_err(), "{bad}");
        }
    }
}
