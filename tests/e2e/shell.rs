//! Shell completions and the man page.

use crate::world::*;

// Unix only: checks the completions with bash, zsh and fish.
#[cfg(unix)]
#[test]
fn completions_for_every_shell() {
    let w = World::new();
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef ssocred"),
        ("fish", "complete -c ssocred"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let out = ok(&w.run(&["completions", shell]));
        assert!(out.contains(marker), "{shell}: {out}");
        // Each flag as the shell's script declares one, not a word that
        // happens to be in a help text.
        for flag in ["sink", "preset", "config"] {
            let declared = match shell {
                "bash" => format!("--{flag} "),
                "zsh" => format!("--{flag}=["),
                "fish" => format!("-l {flag} "),
                _ => format!("[CompletionResult]::new('--{flag}'"),
            };
            assert!(out.contains(&declared), "{shell} lacks {declared}");
        }
    }
    // Bash completes them: the script's function, called as bash calls it
    // at a Tab, offers each flag for its first letters.
    let script = ok(&w.run(&["completions", "bash"]));
    for (typed, flag) in [
        ("--si", "--sink"),
        ("--pre", "--preset"),
        ("--conf", "--config"),
    ] {
        let tab = format!(
            "{script}\nCOMP_WORDS=(ssocred {typed}); COMP_CWORD=1; COMP_LINE='ssocred {typed}'; \
             COMP_POINT=${{#COMP_LINE}}; _ssocred ssocred {typed} ssocred; \
             printf '%s\\n' \"${{COMPREPLY[@]}}\""
        );
        let offered = std::process::Command::new("bash")
            .args(["-c", &tab])
            .run_to_end();
        let offered = ok(&offered);
        assert!(
            offered.lines().any(|line| line.trim() == flag),
            "{typed}<Tab> offers {offered:?}"
        );
    }
    // The bash script is valid bash.
    let check = std::process::Command::new("bash")
        .args(["-n", "-c", &script])
        .run_to_end();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let bad = w.run(&["completions", "tcsh"]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn man_page_is_roff_with_every_flag() {
    let w = World::new();
    let out = ok(&w.run(&["man"]));
    assert!(out.contains(".TH ssocred 1"), "{out}");
    for flag in [
        "\\-\\-sink",
        "\\-\\-preset",
        "\\-\\-config",
        "\\-\\-role\\-arn",
    ] {
        assert!(out.contains(flag), "man page lacks {flag}");
    }
}
