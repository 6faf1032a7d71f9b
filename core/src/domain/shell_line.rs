//! Command lines ssocred prints for a person to paste into a shell: the
//! `kubectl config set-credentials` command of `ssocred kubeconfig`, and the
//! commands that messages suggest (`run ssocred trust PATH`, `ssocred login
//! -p PROFILE`). Each is written for one shell, so that the program it runs
//! gets exactly the intended words:
//!
//! - [`LineShell::Sh`]: POSIX sh, bash and zsh. A word is bare when it
//!   holds only characters that are never special, else in single quotes,
//!   a quote written `'\''`.
//! - [`LineShell::Cmd`]: `cmd.exe` hands an external program the rest of
//!   the line as typed, once it has removed the `^` that keeps an operator
//!   (`&|<>^()`) literal outside double quotes; every `"` turns its quoting
//!   on or off, `\"` included. The program splits the line by the C
//!   runtime's rules, as Go's `os.Args` (kubectl) and Rust's `std::env`
//!   (ssocred) do: see [`crt_words`]. `cmd` expands `%NAME%` inside quotes
//!   too, so a word with `%` is refused; `!` is literal while delayed
//!   expansion is off, `cmd`'s default.
//! - [`LineShell::PowerShell`]: a word is bare when plain, else in double
//!   quotes when nothing in it is special to PowerShell or `cmd` (so the
//!   hint runs in either), else in single quotes, a quote doubled: nothing
//!   in them is expanded. A whole command line whose words hold a `"` is a
//!   `Start-Process` call ([`LineShell::line`]): Windows PowerShell 5.1 and
//!   PowerShell before 7.3 drop the `"` inside an argument they pass to a
//!   program, and `Start-Process -ArgumentList` passes its string to the
//!   program as written, in every version.

use super::command_line::Unwritable;
use super::shell::powershell_quote;

/// The command `ssocred ARGS` as a message suggests it, each word typed
/// for the user's shell ([`USER_SHELL`]).
pub fn suggested(args: &[&str]) -> String {
    let mut line = String::from("ssocred");
    for arg in args {
        line.push(' ');
        line.push_str(&USER_SHELL.typed(arg));
    }
    line
}

/// The shells a printed command line is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineShell {
    /// POSIX sh, bash, zsh.
    Sh,
    /// Windows `cmd.exe`, with delayed expansion off (its default).
    Cmd,
    /// Windows PowerShell 5.1 and PowerShell 7.
    PowerShell,
}

/// The shell a person runs on this system: sh on Unix, PowerShell on
/// Windows (the shell of Windows Terminal), by the platform layer's shell.
pub const USER_SHELL: LineShell = if crate::os::process::CMD_SHELL {
    LineShell::PowerShell
} else {
    LineShell::Sh
};

/// The operators of `cmd` outside double quotes, each kept literal by a `^`.
const CMD_OPERATORS: &str = "&|<>^()";

/// The characters PowerShell reads as a double quote.
const PS_DOUBLE_QUOTES: &[char] = &['"', '\u{201C}', '\u{201D}', '\u{201E}'];

impl LineShell {
    /// `word` as the user types it in this shell, for a command a message
    /// suggests: bare when plain, else quoted so the shell reads it back
    /// as `word`. A `cmd` word with `%` is written as is (`cmd` has no
    /// quoting for it); suggestions are written for [`USER_SHELL`].
    pub fn typed(self, word: &str) -> String {
        match self {
            LineShell::Sh => sh_word(word),
            LineShell::Cmd => {
                let mut line = WindowsLine::new(true);
                line.push(word);
                line.text
            }
            LineShell::PowerShell => powershell_word(word),
        }
    }

    /// The line that runs `program` with exactly `args` in this shell, or
    /// why no such line exists (a line break, or `%` for `cmd`).
    pub fn line(self, program: &str, args: &[String]) -> Result<String, Unwritable> {
        let all = || std::iter::once(program).chain(args.iter().map(String::as_str));
        if self != LineShell::Sh && all().any(|w| w.chars().any(char::is_control)) {
            return Err(Unwritable(
                "it holds a line break or another control character, which no Windows shell keeps inside a word",
            ));
        }
        match self {
            LineShell::Sh => Ok(all().map(sh_word).collect::<Vec<_>>().join(" ")),
            LineShell::Cmd => {
                if all().any(|w| w.contains('%')) {
                    return Err(Unwritable(
                        "it holds `%`, which `cmd` expands inside quotes too and cannot escape at its prompt",
                    ));
                }
                let mut line = WindowsLine::new(true);
                for word in all() {
                    line.push(word);
                }
                Ok(line.text)
            }
            LineShell::PowerShell => {
                if !args.iter().any(|a| a.contains(PS_DOUBLE_QUOTES)) {
                    let words: Vec<String> = all().map(powershell_word).collect();
                    // `&` runs a quoted program name instead of printing it.
                    let call = if words[0].starts_with(['\'', '"']) {
                        "& "
                    } else {
                        ""
                    };
                    return Ok(format!("{call}{}", words.join(" ")));
                }
                let mut line = WindowsLine::new(false);
                for arg in args {
                    line.push(arg);
                }
                Ok(format!(
                    "Start-Process -FilePath {} -ArgumentList {} -NoNewWindow -Wait",
                    powershell_word(program),
                    powershell_quote(&line.text)
                ))
            }
        }
    }
}

/// A word for sh: bare when every character is a letter, a digit or one
/// of `-_./:=,@+%` (and `~` after the first), else single-quoted.
fn sh_word(word: &str) -> String {
    let plain = |(i, c): (usize, char)| {
        c.is_alphanumeric() || "-_./:=,@+%".contains(c) || (c == '~' && i > 0)
    };
    if !word.is_empty() && word.chars().enumerate().all(plain) {
        word.to_owned()
    } else {
        super::shell::sh_quote(word)
    }
}

/// A word for PowerShell: bare when plain (letters, digits, `-_./:\+=`,
/// and `@` after the first), else double-quoted when PowerShell and `cmd`
/// both read it back as written there, else single-quoted.
fn powershell_word(word: &str) -> String {
    let plain = |(i, c): (usize, char)| {
        c.is_alphanumeric() || "-_./:\\+=".contains(c) || (c == '@' && i > 0)
    };
    if !word.is_empty() && word.chars().enumerate().all(plain) {
        return word.to_owned();
    }
    // In double quotes PowerShell expands `$` and reads a backtick as an
    // escape; `cmd` expands `%` (and `!`, with delayed expansion); a final
    // backslash would escape the closing quote for the C runtime.
    let special = |c: char| PS_DOUBLE_QUOTES.contains(&c) || "$`%!".contains(c) || c.is_control();
    if word.chars().any(special) || word.ends_with('\\') {
        powershell_quote(word)
    } else {
        format!("\"{word}\"")
    }
}

/// A Windows command line being written, word by word, by the C runtime's
/// rules (the "Parsing C command-line arguments" rules, which Go's Windows
/// `os.Args` and Rust's `std::env::args` follow): a word with a space or a
/// tab is in double quotes; `"` is written `\"`; backslashes are literal,
/// except that those before a `"` (written or closing) are doubled. The
/// line never has two quotes in a row inside quotes, where Go (which keeps
/// the pre-2008 rule) and the C runtime would read them differently. For
/// `cmd`, an operator outside `cmd`'s quoting gets a `^`.
struct WindowsLine {
    text: String,
    for_cmd: bool,
    /// Whether `cmd` reads the end of the line as inside double quotes.
    cmd_quoted: bool,
}

impl WindowsLine {
    fn new(for_cmd: bool) -> Self {
        WindowsLine {
            text: String::new(),
            for_cmd,
            cmd_quoted: false,
        }
    }

    fn push(&mut self, word: &str) {
        if !self.text.is_empty() {
            self.text.push(' ');
        }
        let quoted = word.is_empty() || word.contains([' ', '\t']);
        if quoted {
            self.quote();
        }
        let mut backslashes = 0;
        for c in word.chars() {
            match c {
                '\\' => backslashes += 1,
                '"' => {
                    self.backslashes(2 * backslashes + 1);
                    backslashes = 0;
                    self.quote();
                }
                c => {
                    self.backslashes(backslashes);
                    backslashes = 0;
                    if self.for_cmd && !self.cmd_quoted && CMD_OPERATORS.contains(c) {
                        self.text.push('^');
                    }
                    self.text.push(c);
                }
            }
        }
        if quoted {
            self.backslashes(2 * backslashes);
            self.quote();
        } else {
            self.backslashes(backslashes);
        }
    }

    fn backslashes(&mut self, n: usize) {
        self.text.extend(std::iter::repeat_n('\\', n));
    }

    /// A `"`, which also turns `cmd`'s quoting on or off.
    fn quote(&mut self) {
        self.text.push('"');
        self.cmd_quoted = !self.cmd_quoted;
    }
}

/// The words of the argument part of a Windows command line by the C
/// runtime's rules (every word, the program's included, read as an
/// argument): `2n` backslashes before a `"` are `n` and the quote opens or
/// closes, `2n + 1` are `n` and a literal `"`, other backslashes are
/// literal, and space or tab outside quotes ends a word. `None` when the
/// line has two quotes in a row inside quotes, which the readers disagree
/// on, or an unterminated quote.
pub fn crt_words(line: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut quoted = false;
    let mut backslashes = 0;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                backslashes += 1;
                continue;
            }
            '"' => {
                let w = word.get_or_insert_with(String::new);
                w.extend(std::iter::repeat_n('\\', backslashes / 2));
                if backslashes % 2 == 1 {
                    w.push('"');
                } else if quoted && chars.peek() == Some(&'"') {
                    return None;
                } else {
                    quoted = !quoted;
                }
            }
            ' ' | '\t' if !quoted => {
                if backslashes > 0 {
                    word.get_or_insert_with(String::new)
                        .extend(std::iter::repeat_n('\\', backslashes));
                }
                words.extend(word.take());
            }
            c => {
                let w = word.get_or_insert_with(String::new);
                w.extend(std::iter::repeat_n('\\', backslashes));
                w.push(c);
            }
        }
        backslashes = 0;
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
pub(crate) mod tests;
