use super::*;
use crate::domain::command_line::Rules;
use crate::domain::shell::{Shell, assignment, powershell_quote};

/// The characters PowerShell reads as a single quote (about_Quoting_Rules).
const PS_SINGLE_QUOTES: &[char] = &['\'', '\u{2018}', '\u{2019}', '\u{201A}', '\u{201B}'];

/// What `cmd` hands an external program of `line`: each `"` turns its
/// quoting on or off and is kept; outside quotes a `^` is removed and keeps
/// the next character. `None` when an operator stands unescaped outside
/// quotes, where `cmd` would act on it.
fn cmd_passes(line: &str) -> Option<String> {
    let mut out = String::new();
    let mut quoted = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                quoted = !quoted;
                out.push(c);
            }
            '^' if !quoted => out.push(chars.next()?),
            c if !quoted && CMD_OPERATORS.contains(c) => return None,
            c => out.push(c),
        }
    }
    Some(out)
}

/// The value of a PowerShell single-quoted string that is the whole of
/// `text` (about_Quoting_Rules): any of the single-quote characters opens
/// and closes it, two of them in a row inside are one literal character,
/// and nothing else is special, `$`, backticks, double quotes and line
/// breaks included.
pub(crate) fn read_powershell_single(text: &str) -> Option<String> {
    let mut chars = text.chars().peekable();
    if !PS_SINGLE_QUOTES.contains(&chars.next()?) {
        return None;
    }
    let mut value = String::new();
    while let Some(c) = chars.next() {
        if PS_SINGLE_QUOTES.contains(&c) {
            match chars.peek() {
                Some(&next) if PS_SINGLE_QUOTES.contains(&next) => {
                    chars.next();
                    value.push(next);
                }
                // The closing quote must end the text.
                None => return Some(value),
                Some(_) => return None,
            }
        } else {
            value.push(c);
        }
    }
    None
}

/// A word as PowerShell reads it: single-quoted, double-quoted (only
/// words with nothing expanded are accepted), or bare.
fn read_powershell_word(word: &str) -> String {
    if let Some(inner) = word.strip_prefix('"') {
        let inner = inner.strip_suffix('"').unwrap();
        assert!(!inner.contains(['$', '`', '"']), "{word}");
        return inner.to_owned();
    }
    if word.starts_with(PS_SINGLE_QUOTES) {
        return read_powershell_single(word).unwrap();
    }
    assert!(
        !word.starts_with(['@', '$', '(', '{', '#', '~']) && !word.contains([',', ';', '`', '|']),
        "{word}"
    );
    word.to_owned()
}

/// Words whose quoting matters to every shell and to kubectl's CSV reading.
fn hostile_words() -> Vec<String> {
    [
        r#"we"ird, 'profile' a&b|c^d (x) <y> !z"#,
        r"C:\my tools,x\ssocred.exe",
        r#"--exec-arg="eks,cluster=prod""#,
        r#"--exec-arg="a,b ""c"" d""#,
        r"C:\a b\",
        r"C:\a\",
        "",
        "\"",
        r#"a\"b"#,
        r#"\\""#,
        "it's",
        "$env:HOME `n",
        "\u{2019}smart\u{201C}",
    ]
    .map(str::to_owned)
    .to_vec()
}

#[test]
fn the_user_shell_is_sh_on_unix_and_powershell_on_windows() {
    let expected = if cfg!(windows) {
        LineShell::PowerShell
    } else {
        LineShell::Sh
    };
    assert_eq!(USER_SHELL, expected);
}

#[test]
fn sh_words_are_bare_when_plain_else_single_quoted() {
    let sh = LineShell::Sh;
    assert_eq!(
        sh.typed("/home/u/repo/.ssocred.toml"),
        "/home/u/repo/.ssocred.toml"
    );
    assert_eq!(sh.typed("corp"), "corp");
    assert_eq!(sh.typed("a,b=c@d+e%"), "a,b=c@d+e%");
    assert_eq!(sh.typed("/home/u/my repo/x"), "'/home/u/my repo/x'");
    assert_eq!(sh.typed("/a/it's"), r"'/a/it'\''s'");
    assert_eq!(sh.typed(r"/a\b"), r"'/a\b'");
    assert_eq!(sh.typed("~/x"), "'~/x'");
    assert_eq!(sh.typed("a~b"), "a~b");
    assert_eq!(sh.typed(""), "''");
    for word in hostile_words() {
        let typed = sh.typed(&word);
        let line = format!("ssocred trust {typed}");
        assert_eq!(
            Rules::Posix.split(&line).unwrap(),
            ["ssocred", "trust", word.as_str()],
            "{line}"
        );
    }
}

#[test]
fn powershell_words_are_bare_double_or_single_quoted() {
    let ps = LineShell::PowerShell;
    assert_eq!(
        ps.typed(r"C:\u\repo\.ssocred.toml"),
        r"C:\u\repo\.ssocred.toml"
    );
    assert_eq!(ps.typed("corp"), "corp");
    // Read alike by PowerShell and cmd.
    assert_eq!(ps.typed(r"C:\Users\Ann Lee\x"), r#""C:\Users\Ann Lee\x""#);
    assert_eq!(ps.typed("a&b"), r#""a&b""#);
    assert_eq!(ps.typed("it's"), r#""it's""#);
    // PowerShell reads `,` as an array and `@` first as splatting.
    assert_eq!(ps.typed("a,b"), r#""a,b""#);
    assert_eq!(ps.typed("@corp"), r#""@corp""#);
    assert_eq!(ps.typed("me@corp"), "me@corp");
    // Expanded in double quotes: single quotes, nothing expanded.
    assert_eq!(ps.typed("$env:USERNAME"), "'$env:USERNAME'");
    assert_eq!(ps.typed("a`b"), "'a`b'");
    assert_eq!(ps.typed("50%"), "'50%'");
    assert_eq!(ps.typed(r"C:\a b\"), r"'C:\a b\'");
    assert_eq!(ps.typed("it's $x"), "'it''s $x'");
    assert_eq!(ps.typed(""), r#""""#);
    for word in hostile_words() {
        assert_eq!(read_powershell_word(&ps.typed(&word)), word, "{word:?}");
    }
}

/// The cases of PowerShell's about_Quoting_Rules: a single quote doubled,
/// and `$`, a backtick, double quotes and a line break kept as written.
#[test]
fn powershell_single_quotes_follow_about_quoting_rules() {
    let cases = [
        (
            "As they say, 'live and learn.'",
            "'As they say, ''live and learn.'''",
        ),
        ("The value $i is $i.", "'The value $i is $i.'"),
        ("The value of `$i is $i.", "'The value of `$i is $i.'"),
        (
            "As they say, \"live and learn.\"",
            "'As they say, \"live and learn.\"'",
        ),
        ("first line\nsecond line", "'first line\nsecond line'"),
        ("$(Get-Date) @(1) ${x}", "'$(Get-Date) @(1) ${x}'"),
        // The typographic single quotes are quotes too.
        ("it\u{2019}s", "'it\u{2019}\u{2019}s'"),
    ];
    for (value, quoted) in cases {
        assert_eq!(powershell_quote(value), quoted);
        assert_eq!(read_powershell_single(quoted).unwrap(), value);
    }
    assert_eq!(read_powershell_single("'it''s'").unwrap(), "it's");
    assert!(read_powershell_single("'open").is_none());
    assert!(read_powershell_single("'a'b'").is_none());
}

#[test]
fn crt_words_follow_the_c_runtime_rules() {
    let split = |line: &str| crt_words(line).unwrap();
    assert_eq!(
        split(r#"a "b c" d\"e f\\"g h""#),
        ["a", "b c", r#"d"e"#, r"f\g h"]
    );
    assert_eq!(split(r"C:\a\b c\\ \\"), [r"C:\a\b", r"c\\", r"\\"]);
    assert_eq!(split(r#""" x"#), ["", "x"]);
    assert_eq!(split(" a\t b "), ["a", "b"]);
    // Go reads `""` inside quotes by the pre-2008 rule, the C runtime by
    // the later one: a line with it is refused, so none is ever written.
    assert!(crt_words(r#""a ""b""#).is_none());
    assert!(crt_words(r#"a "b"#).is_none());
}

#[test]
fn cmd_lines_give_the_program_exactly_the_words() {
    let words = hostile_words();
    let line = LineShell::Cmd.line("kubectl", &words).unwrap();
    let passed = cmd_passes(&line).unwrap_or_else(|| panic!("an operator is bare: {line}"));
    let mut expected = vec!["kubectl".to_owned()];
    expected.extend(words.iter().cloned());
    assert_eq!(crt_words(&passed).unwrap(), expected, "{line}");
    // Each word alone, so `cmd`'s quoting starts afresh.
    for word in &words {
        let line = LineShell::Cmd
            .line("ssocred", std::slice::from_ref(word))
            .unwrap();
        let passed = cmd_passes(&line).unwrap();
        assert_eq!(crt_words(&passed).unwrap(), ["ssocred", word], "{line}");
        assert_eq!(format!("ssocred {}", LineShell::Cmd.typed(word)), line);
    }
    assert_eq!(
        LineShell::Cmd
            .line(
                "kubectl",
                &[r#"--exec-arg="a,b""#.to_owned(), "x&y".to_owned()]
            )
            .unwrap(),
        r#"kubectl --exec-arg=\"a,b\" x^&y"#
    );
    for bad in ["50%", "%USERNAME%", "a\nb", "a\rb"] {
        assert!(
            LineShell::Cmd.line("kubectl", &[bad.to_owned()]).is_err(),
            "{bad:?}"
        );
    }
}

#[test]
fn powershell_lines_start_the_program_with_the_exact_command_line() {
    let words = hostile_words();
    let line = LineShell::PowerShell.line("kubectl", &words).unwrap();
    let rest = line
        .strip_prefix("Start-Process -FilePath kubectl -ArgumentList ")
        .unwrap();
    let quoted = rest.strip_suffix(" -NoNewWindow -Wait").unwrap();
    let arguments = read_powershell_single(quoted).unwrap();
    assert_eq!(crt_words(&arguments).unwrap(), words, "{line}");
    // Nothing but the single-quoted string holds the words: no `--%`.
    assert!(!line.contains("--%"));

    // Words without a double quote are passed alike by every PowerShell.
    let plain = ["trust".to_owned(), r"C:\Users\Ann Lee\x".to_owned()];
    assert_eq!(
        LineShell::PowerShell.line("ssocred", &plain).unwrap(),
        r#"ssocred trust "C:\Users\Ann Lee\x""#
    );
    assert_eq!(
        LineShell::PowerShell
            .line(
                r"C:\my tools\ssocred.exe",
                &["-p".to_owned(), "it's $x".to_owned()]
            )
            .unwrap(),
        r#"& "C:\my tools\ssocred.exe" -p 'it''s $x'"#
    );
    assert!(
        LineShell::PowerShell
            .line("kubectl", &["a\nb".to_owned()])
            .is_err()
    );
}

#[test]
fn sh_lines_split_back_into_the_words() {
    let words = hostile_words();
    let line = LineShell::Sh.line("/opt/my tools/kubectl", &words).unwrap();
    let mut expected = vec!["/opt/my tools/kubectl".to_owned()];
    expected.extend(words);
    assert_eq!(Rules::Posix.split(&line).unwrap(), expected, "{line}");
}

/// The commands messages suggest are typed for this system's shell.
#[test]
fn suggested_commands_are_typed_for_the_system_shell() {
    let line = suggested(&["login", "-p", "my corp"]);
    if cfg!(windows) {
        assert_eq!(line, r#"ssocred login -p "my corp""#);
        assert_eq!(suggested(&["list", "-p", "$x"]), "ssocred list -p '$x'");
    } else {
        assert_eq!(line, "ssocred login -p 'my corp'");
        assert_eq!(
            suggested(&["list", "-p", "it's"]),
            r"ssocred list -p 'it'\''s'"
        );
    }
    assert_eq!(suggested(&["login", "-p", "corp"]), "ssocred login -p corp");
}

/// `--sink env:powershell` (and `use`'s PowerShell output): each value,
/// whatever it holds, is read back by PowerShell's single-quote rules as
/// written, with nothing expanded.
#[test]
fn powershell_assignments_keep_quotes_dollars_backticks_and_line_breaks() {
    let values = [
        "it's",
        "$env:USERPROFILE $(Remove-Item x) ${y}",
        "back`tick `$x `n",
        "first\nsecond\r\nthird",
        "\"double\" \u{2018}typographic\u{2019} \u{201C}x\u{201D}",
        "a+b/c=",
        "",
    ];
    for value in values {
        let line = assignment(Shell::Powershell, "AWS_SESSION_TOKEN", value).unwrap();
        let quoted = line.strip_prefix("$env:AWS_SESSION_TOKEN = ").unwrap();
        assert_eq!(read_powershell_single(quoted).unwrap(), value, "{line}");
    }
    assert_eq!(
        assignment(Shell::Powershell, "K", "it's $x `y\nz").unwrap(),
        "$env:K = 'it''s $x `y\nz'"
    );
}
