//! Environment variables for credential sets, and assignments of them quoted
//! for each shell, so `eval` of ssocred's output can never run anything.
//!
//! Shared by the `env` sink (static keys), the `serve` sink (the container
//! endpoint's two variables) and `ssocred exec`.

use serde::Deserialize;

use crate::CredentialSet;

/// The shell syntaxes ssocred writes assignments in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Shell {
    /// POSIX sh, bash, zsh: `export K='v'`; `bash` and `zsh` are names
    /// of it too, since people name the shell they run.
    #[default]
    #[serde(alias = "bash", alias = "zsh")]
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

impl Shell {
    /// The names accepted in `SHELL` arguments, for help texts.
    pub const NAMES: &'static str =
        "sh (default; bash and zsh are the same), no-export, fish, powershell or cmd";

    /// The line ending of a script in this shell.
    pub fn eol(self) -> &'static str {
        if self == Shell::Cmd { "\r\n" } else { "\n" }
    }

    /// Parses a shell name as given on the command line.
    pub fn parse(name: &str) -> Option<Shell> {
        serde_json::from_value(serde_json::Value::String(name.to_owned())).ok()
    }
}

/// The variables a set becomes, in output order (see
/// [`crate::domain::variables::aws_environment`]).
pub fn credential_variables(set: &CredentialSet) -> Vec<(&'static str, String)> {
    crate::domain::variables::aws_environment(set)
}

pub use crate::domain::variables::region_variables;

/// Single-quotes for POSIX sh: nothing inside `'...'` is special, and a quote
/// is closed, escaped and reopened.
pub fn sh_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

/// fish single quotes: only `\` and `'` need escaping.
fn fish_quote(value: &str) -> String {
    format!("'{}'", value.replace('\\', r"\\").replace('\'', r"\'"))
}

/// PowerShell single quotes: nothing inside is expanded (`$`, backticks,
/// double quotes and line breaks are kept), and a quote is doubled.
/// PowerShell also treats the typographic single quotes as quote
/// characters, so they are doubled too.
pub fn powershell_quote(value: &str) -> String {
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

/// One assignment of `value` to `name`. cmd cannot represent every value
/// safely, so for those it returns `Err` with the reason.
pub fn assignment(shell: Shell, name: &str, value: &str) -> Result<String, String> {
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
                return Err(format!(
                    "{name} contains {bad:?}, which cmd cannot quote safely; use powershell"
                ));
            }
            format!("set \"{name}={value}\"")
        }
    })
}

/// A whole script: one assignment per variable, each ended by the shell's
/// line ending.
pub fn script(shell: Shell, vars: &[(&str, String)]) -> Result<String, String> {
    let mut text = String::new();
    for (name, value) in vars {
        text.push_str(&assignment(shell, name, value)?);
        text.push_str(shell.eol());
    }
    Ok(text)
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

    #[test]
    fn scripts_end_lines_per_shell() {
        let vars = [("A", "1".to_owned()), ("B", "2".to_owned())];
        assert_eq!(
            script(Shell::Cmd, &vars).unwrap(),
            "set \"A=1\"\r\nset \"B=2\"\r\n"
        );
        assert_eq!(
            script(Shell::Fish, &vars).unwrap(),
            "set -gx A '1';\nset -gx B '2';\n"
        );
        assert_eq!(Shell::parse("no-export"), Some(Shell::NoExport));
        assert_eq!(Shell::parse("bash"), Some(Shell::Sh));
        assert_eq!(Shell::parse("zsh"), Some(Shell::Sh));
        assert_eq!(Shell::parse("ksh"), None);
    }
}
