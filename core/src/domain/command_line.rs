//! The words of a `credential_process` line: how ssocred writes them so that
//! every reader on the system runs the same command, and how it reads them
//! back (`status` finds the roles of discovered profiles).
//!
//! The readers differ by system, so the rules do ([`COMMAND_LINE_RULES`]
//! is this system's):
//!
//! - [`Rules::Posix`]: the Rust and Go SDKs run the line with `sh -c`;
//!   botocore (the AWS CLI, boto3) splits it with `shlex.split` and runs the
//!   words itself. A word is bare when it holds only safe characters, else
//!   in single quotes; the program is in double quotes, so a path with
//!   spaces works.
//! - [`Rules::Windows`]: the Rust and Go SDKs run the line with `cmd.exe /C`,
//!   passing it as one argument quoted by the C runtime's rules, so `cmd`
//!   sees every `"` of the line as `\"` and keeps the backslash; botocore
//!   splits the line by the C runtime's rules (space and tab end a word, `"`
//!   quotes, backslashes are literal unless they lead up to a `"`). The only
//!   line all of them run alike holds no quote and none of `cmd`'s special
//!   characters: every word is written bare, or refused with the reason.
//!
//! Both keep a line whole in the AWS config file, whose parsers end a value
//! at whitespace followed by `#` or `;`.

use std::fmt;

/// The quoting and splitting rules of a system's `credential_process`
/// readers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rules {
    /// `sh -c` and `shlex.split`.
    Posix,
    /// `cmd.exe /C` and the C runtime's argument rules.
    Windows,
}

/// This system's rules: those of the shell the platform layer runs a line
/// with ([`crate::os::process::shell`]).
pub const COMMAND_LINE_RULES: Rules = if crate::os::process::CMD_SHELL {
    Rules::Windows
} else {
    Rules::Posix
};

/// Why a word cannot be written into a `credential_process` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unwritable(pub(crate) &'static str);

impl fmt::Display for Unwritable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for Unwritable {}

impl Rules {
    /// The program word: the path of the executable to run.
    pub fn program(self, path: &str) -> Result<String, Unwritable> {
        if path.is_empty() {
            return Err(Unwritable("the path is empty"));
        }
        match self {
            Rules::Posix => {
                if path.contains(['"', '\\', '$', '`', '\n', '\r']) {
                    return Err(Unwritable(
                        "it holds a character that `sh` expands inside double quotes (\", \\, $, `) or a line break",
                    ));
                }
                Ok(comment_proof(&format!("\"{path}\""), '"'))
            }
            // `,`, `;` and `=` end the program's name in `cmd`.
            Rules::Windows => bare_windows(path, "").map(str::to_owned),
        }
    }

    /// One argument word.
    pub fn word(self, word: &str) -> Result<String, Unwritable> {
        match self {
            Rules::Posix => {
                let safe = |c: char| c.is_ascii_alphanumeric() || "-_./:@%+=,".contains(c);
                if !word.is_empty() && word.chars().all(safe) {
                    return Ok(word.to_owned());
                }
                if word.contains(['\'', '\n', '\r']) {
                    return Err(Unwritable(
                        "it holds a single quote or a line break, which no quoting keeps the same for both `sh` and `shlex`",
                    ));
                }
                Ok(comment_proof(&format!("'{word}'"), '\''))
            }
            Rules::Windows => bare_windows(word, "=,").map(str::to_owned),
        }
    }

    /// The words of `line` as these rules' readers split it; `None` for an
    /// unterminated quote (which botocore refuses to run).
    pub fn split(self, line: &str) -> Option<Vec<String>> {
        match self {
            Rules::Posix => split_posix(line),
            Rules::Windows => split_windows(line),
        }
    }
}

/// `word` when it can stand bare in a line that `cmd.exe /C` and the C
/// runtime both split the same way: letters, digits, `-_./:@+~\` and the
/// characters of `extra`.
fn bare_windows<'a>(word: &'a str, extra: &str) -> Result<&'a str, Unwritable> {
    if word.is_empty() {
        return Err(Unwritable(
            "it is empty, and an empty word needs quotes, which `cmd.exe /C` (the Rust and Go SDKs) does not read",
        ));
    }
    let safe = |c: char| c.is_alphanumeric() || "-_./:@+~\\".contains(c) || extra.contains(c);
    if word.chars().all(safe) {
        Ok(word)
    } else if word.contains([' ', '\t']) {
        Err(Unwritable(
            "it holds a space, which needs quotes, and `cmd.exe /C` (how the Rust and Go SDKs run the line) reads quotes differently from botocore",
        ))
    } else {
        Err(Unwritable(
            "it holds a character that `cmd.exe` treats specially or that needs quotes (only letters, digits and -_./:@+~\\ are kept as they are by every reader)",
        ))
    }
}

/// Closes and reopens the quotes right after whitespace that a `#` or `;`
/// follows (`"a ""#b"`): the word stays the same for `sh` and `shlex`, and
/// the config file's parsers no longer see an inline comment.
fn comment_proof(quoted: &str, quote: char) -> String {
    let mut out = String::with_capacity(quoted.len() + 4);
    let mut after_space = false;
    for c in quoted.chars() {
        if after_space && (c == '#' || c == ';') {
            out.push(quote);
            out.push(quote);
        }
        out.push(c);
        after_space = c.is_whitespace();
    }
    out
}

/// The words of a POSIX shell command line with single quotes, double
/// quotes and backslashes, as `sh -c` splits it.
fn split_posix(line: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' => {
                if let Some(done) = word.take() {
                    words.push(done);
                }
            }
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next()? {
                        '\'' => break,
                        c => w.push(c),
                    }
                }
            }
            '"' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next()? {
                        '"' => break,
                        '\\' => match chars.next()? {
                            c @ ('"' | '\\' | '$' | '`') => w.push(c),
                            c => {
                                w.push('\\');
                                w.push(c);
                            }
                        },
                        c => w.push(c),
                    }
                }
            }
            '\\' => word.get_or_insert_with(String::new).push(chars.next()?),
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    Some(words)
}

/// The words of a Windows command line by the C runtime's rules: the
/// program name runs to the first space or tab outside quotes, with
/// backslashes literal; in the arguments, `2n` backslashes before a `"`
/// are `n` backslashes and the quote opens or closes, `2n + 1` are `n` and
/// a literal `"`, `""` inside quotes is a literal `"`, and other
/// backslashes are literal.
fn split_windows(line: &str) -> Option<Vec<String>> {
    let mut chars = line
        .chars()
        .skip_while(|c| matches!(c, ' ' | '\t'))
        .peekable();
    let mut words = Vec::new();
    let mut program = String::new();
    let mut quoted = false;
    for c in chars.by_ref() {
        match c {
            '"' => quoted = !quoted,
            ' ' | '\t' if !quoted => break,
            c => program.push(c),
        }
    }
    if quoted {
        return None;
    }
    if program.is_empty() {
        return Some(words);
    }
    words.push(program);
    let mut word: Option<String> = None;
    let mut backslashes = 0usize;
    while let Some(c) = chars.next() {
        if c == '\\' {
            backslashes += 1;
            continue;
        }
        if matches!(c, ' ' | '\t') && !quoted {
            if backslashes > 0 {
                word.get_or_insert_with(String::new)
                    .extend(std::iter::repeat_n('\\', backslashes));
                backslashes = 0;
            }
            words.extend(word.take());
            continue;
        }
        let w = word.get_or_insert_with(String::new);
        if c == '"' {
            w.extend(std::iter::repeat_n('\\', backslashes / 2));
            let escaped = backslashes % 2 == 1;
            backslashes = 0;
            if escaped {
                w.push('"');
            } else if quoted && chars.peek() == Some(&'"') {
                chars.next();
                w.push('"');
            } else {
                quoted = !quoted;
            }
            continue;
        }
        w.extend(std::iter::repeat_n('\\', backslashes));
        backslashes = 0;
        w.push(c);
    }
    if quoted {
        return None;
    }
    if backslashes > 0 {
        word.get_or_insert_with(String::new)
            .extend(std::iter::repeat_n('\\', backslashes));
    }
    words.extend(word);
    Some(words)
}

#[cfg(test)]
mod tests;
