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
        for flag in ["--sink", "--preset", "--config"] {
            assert!(
                out.contains(flag.trim_start_matches('-')),
                "{shell} lacks {flag}"
            );
        }
    }
    // The bash script is valid bash.
    let script = ok(&w.run(&["completions", "bash"]));
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
