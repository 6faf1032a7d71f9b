//! ssocred on Windows without HOME, as a Windows session normally is: the
//! home is `%USERPROFILE%` and the state directory
//! `%LOCALAPPDATA%\ssocred\state` (docs/platforms.md). `use`,
//! `status --in-use` and `unuse` run through their hidden shell flags, as
//! the PowerShell function of `shell-init` runs them, and the chooser's
//! history in that state directory is kept. The chooser itself needs a
//! terminal, which the tests under wine lack; tests/e2e/chooser.rs drives
//! it on Unix.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::running::*;
use crate::world::*;

/// `ssocred` in `w` as a Windows session runs it: no HOME, the user's
/// profile in USERPROFILE (LOCALAPPDATA and APPDATA are the world's).
fn without_home(w: &World) -> Command {
    let mut cmd = w.cmd();
    cmd.env_remove("HOME").env("USERPROFILE", w.home());
    cmd
}

/// The `$env:NAME = 'value'` lines of a PowerShell script, as pairs.
fn assignments(script: &str) -> Vec<(String, String)> {
    script
        .lines()
        .filter_map(|line| {
            let (name, value) = line.strip_prefix("$env:")?.split_once(" = ")?;
            let value = value.strip_prefix('\'')?.strip_suffix('\'')?;
            Some((name.to_owned(), value.replace("''", "'")))
        })
        .collect()
}

fn value<'a>(vars: &'a [(String, String)], name: &str) -> &'a str {
    vars.iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no {name} in {vars:?}"))
}

#[test]
fn use_status_and_unuse_find_the_state_directory_without_home() {
    let w = World::new();
    let state = w.state_dir();
    std::fs::create_dir_all(&state).unwrap();
    let history_path = state.join("chooser-history.json");
    let history = format!(
        "{{\"roles\":[{{\"role_arn\":\"{READ_ONLY_ARN}\",\"count\":3,\"last_used\":1800000000}}]}}"
    );
    std::fs::write(&history_path, &history).unwrap();

    // A process for the server to watch, as the shell's pid.
    let mut watched = std::process::Command::new("cmd")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pid = watched.id().to_string();
    let hook = ["--shell", "powershell", "--shell-pid", pid.as_str()];

    let out = without_home(&w)
        .arg("use")
        .args(hook)
        .args(["-p", "modern", "-r", READ_ONLY_ARN])
        .output()
        .unwrap();
    let vars = assignments(&ok(&out));
    assert_eq!(value(&vars, "SSOCRED_USE"), READ_ONLY_ARN);
    assert_eq!(value(&vars, "SSOCRED_USE_MODE"), "serve");
    let record = state.join("shells").join(format!("{pid}.json"));
    assert!(record.is_file(), "the server's record is in {state:?}");
    // The server, started without HOME too, serves the role.
    let (status, body) = http_get(
        value(&vars, "AWS_CONTAINER_CREDENTIALS_FULL_URI"),
        Some(value(&vars, "AWS_CONTAINER_AUTHORIZATION_TOKEN")),
    );
    assert_eq!(status, 200, "{body}");
    assert!(
        w.emulator
            .issued()
            .iter()
            .any(|i| body.contains(&i.access_key_id)),
        "{body}"
    );

    let shell_vars = ["SSOCRED_USE", "SSOCRED_USE_MODE", "SSOCRED_USE_SHELL"]
        .map(|name| (name, value(&vars, name).to_owned()));
    let out = without_home(&w)
        .args(["status", "--in-use"])
        .envs(shell_vars)
        .output()
        .unwrap();
    let line = ok(&out);
    assert!(line.starts_with(&format!("ReadOnly@{PROD} ")), "{line}");
    assert!(!line.contains("stopped"), "{line}");

    let out = without_home(&w).arg("unuse").args(hook).run_to_end();
    let unset = ok(&out);
    assert!(
        unset.contains("Remove-Item -ErrorAction SilentlyContinue Env:SSOCRED_USE"),
        "{unset}"
    );
    // `unuse` waits for its server to stop, which takes its record along.
    let deadline = Instant::now() + Duration::from_secs(5);
    while record.exists() {
        assert!(Instant::now() < deadline, "the record stayed: {record:?}");
        std::thread::sleep(Duration::from_millis(100));
    }

    assert_eq!(
        std::fs::read_to_string(&history_path).unwrap(),
        history,
        "the chooser's history stays where the chooser reads it"
    );
    watched.kill().unwrap();
    watched.wait().unwrap();
}
