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

/// Two SSO profiles: `dev` names its own role, `prod-read` none; the
/// chooser remembers one role of `prod-read`'s account.
#[cfg(unix)]
fn world_with_profiles_and_history() -> World {
    let w = World::new();
    w.write_config(
        "[profile dev]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = DevAdmin\n\
         [profile prod-read]\nsso_session = corp\n\
         [sso-session corp]\nsso_start_url = https://example.awsapps.com/start\nsso_region = eu-west-1\n",
    );
    std::fs::create_dir_all(w.state_dir()).unwrap();
    std::fs::write(
        w.state_dir().join("chooser-history.json"),
        r#"{"roles":[{"role_arn":"arn:aws:iam::444455556666:role/HistoryRole","count":2,"last_used":1700000000}]}"#,
    )
    .unwrap();
    w
}

/// What each shell's completion offers for a line, typed up to the cursor:
/// bash and fish list every candidate, zsh shows the line after a Tab.
#[cfg(unix)]
const COMPLETED: [(&str, &str, &str); 4] = [
    ("ssocred -p pr", "prod-read", "ssocred -p prod-read"),
    ("ssocred --sink proc", "process", "ssocred --sink process"),
    (
        "ssocred use dev -r arn:aws:iam::1",
        "arn:aws:iam::111122223333:role/DevAdmin",
        "ssocred use dev -r arn:aws:iam::111122223333:role/DevAdmin",
    ),
    (
        "ssocred -p prod-read --role Hi",
        "HistoryRole",
        "--role HistoryRole",
    ),
];

/// Each real shell completes a profile name (after `-p`), a sink name
/// (after `--sink`) and the roles known offline (the profile's own after
/// `use PROFILE -r`, the chooser's after `--role`), by asking ssocred at
/// the Tab; none of it reaches the portal.
#[cfg(unix)]
#[test]
fn each_shell_completes_profiles_sinks_and_roles_from_local_files() {
    use ssocred_test_support::real_tool;
    let w = world_with_profiles_and_history();
    let path = path_with(&[ssocred_dir()]);
    let run = |program: &std::path::Path, args: &[&str]| {
        let out = w
            .command(program)
            .args(args)
            .env("PATH", &path)
            .run_to_end();
        assert!(out.status.success(), "{}", stderr(&out));
        text(&out.stdout)
    };
    if let Some(bash) = real_tool("bash", "bash completes values from `ssocred __complete`") {
        for (line, offered, _) in COMPLETED {
            let script = format!(
                r#"source <(ssocred completions bash)
spec=$(complete -p ssocred); fn=${{spec#*-F }}; fn=${{fn%% *}}
COMP_LINE='{line}'; COMP_POINT=${{#COMP_LINE}}
read -r -a COMP_WORDS <<<"$COMP_LINE"
COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))
"$fn" ssocred "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"
printf '%s\n' "${{COMPREPLY[@]}}""#
            );
            let out = run(&bash, &["-c", &script]);
            // Bash splits words at `:`: an ARN is completed after the last
            // one typed.
            assert!(
                out.lines()
                    .any(|l| l == offered || offered.ends_with(&format!(":{l}"))),
                "{line}: {out}"
            );
        }
    }
    if let Some(fish) = real_tool("fish", "fish completes values from `ssocred __complete`") {
        for (line, offered, _) in COMPLETED {
            let out = run(
                &fish,
                &[
                    "-c",
                    &format!("ssocred completions fish | source; complete -C '{line}'"),
                ],
            );
            assert!(
                out.lines().any(|l| l.split('\t').next() == Some(offered)),
                "{line}: {out}"
            );
        }
    }
    if let Some(zsh) = real_tool("zsh", "zsh completes values from `ssocred __complete`") {
        for (line, _, shown) in COMPLETED {
            let script = format!(
                r#"zmodload zsh/zpty || exit 1
zpty -b z 'zsh -f -i'
zpty -w z 'autoload -Uz compinit; compinit -u -d $HOME/.zcompdump; source <(ssocred completions zsh)'
zpty -w -n z '{line}'$'\t'
out=
for i in {{1..100}}; do
    sleep 0.1
    while zpty -r -t z chunk; do out+=$chunk; done
    [[ $out == *'{shown}'* ]] && break
done
zpty -d z
print -r -- "$out""#
            );
            let out = run(&zsh, &["-f", "-c", &script]);
            assert!(out.contains(shown), "{line}: {out}");
        }
    }
    assert_eq!(all_calls(&w), 0, "a Tab called the portal");
}
