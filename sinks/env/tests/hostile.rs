//! The env sink's output evaluated by real shells with hostile values: it
//! must set exactly the intended values and run nothing.

// Unix only: the shells are sh, bash, dash and zsh.
#![cfg(unix)]

use std::path::Path;
use std::process::Command;

use ssocred_core::domain::variables::sample_set;
use ssocred_core::{CredentialSet, SinkContext, SinkSpec, sink};
use ssocred_sink_env as _;

const HOSTILE: &[&str] = &[
    "it's",
    "\"double\"",
    "$HOME ${HOME} $(touch pwned)",
    "`touch pwned2`",
    "back\\slash\\",
    "new\nline",
    "ünï 'cödé' ☃",
    "'; touch pwned3; '",
    "\\'",
];

fn render(spec: &str, set: &CredentialSet) -> String {
    let dir = tempfile::tempdir().unwrap();
    let ctx = SinkContext {
        config_file: dir.path().join("config"),
        credentials_file: dir.path().join("credentials"),
        cwd: dir.path().to_path_buf(),
    };
    let mut sink = sink::build(&SinkSpec::parse(spec).unwrap(), &ctx).unwrap();
    sink.accept(set).unwrap();
    let mut out = Vec::new();
    sink.commit(&mut out).unwrap();
    String::from_utf8(out).unwrap()
}

/// Runs `script` in `shell` inside `dir` and returns stdout.
fn run(shell: &str, script: &str, dir: &Path) -> String {
    let out = Command::new(shell)
        .arg("-c")
        .arg(script)
        .current_dir(dir)
        .env_clear()
        .env("HOME", dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{shell}: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn posix_shells_set_exactly_the_values_and_run_nothing() {
    let shells: Vec<&str> = ["sh", "bash", "dash", "zsh"]
        .into_iter()
        .filter(|s| Command::new(s).arg("-c").arg("true").output().is_ok())
        .collect();
    assert!(shells.contains(&"sh"));
    for value in HOSTILE {
        let mut set = sample_set();
        set.region = Some((*value).to_owned());
        set.secret_access_key = format!("s{value}").into();
        for spec in ["env", "env:no-export"] {
            let assignments = render(spec, &set);
            let script = format!(
                "{assignments}printf '%s\\0' \"$AWS_ACCESS_KEY_ID\" \"$AWS_SECRET_ACCESS_KEY\" \"$AWS_SESSION_TOKEN\" \"$AWS_CREDENTIAL_EXPIRATION\" \"$AWS_REGION\" \"$AWS_DEFAULT_REGION\""
            );
            for shell in &shells {
                let dir = tempfile::tempdir().unwrap();
                let got = run(shell, &script, dir.path());
                let secret = format!("s{value}");
                let want = [
                    "ASIAEXAMPLEKEY",
                    secret.as_str(),
                    "IQoJb3JpZ2luX2VjE/token+==",
                    "2030-01-02T03:04:05Z",
                    value,
                    value,
                    "",
                ];
                assert_eq!(
                    got.split('\0').collect::<Vec<_>>(),
                    want,
                    "{shell} {spec} {value:?}"
                );
                assert_eq!(
                    std::fs::read_dir(dir.path()).unwrap().count(),
                    0,
                    "{shell} ran something for {value:?}"
                );
            }
        }
    }
}
