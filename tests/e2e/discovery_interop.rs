//! Discovery with real clients: boto3 resolves every profile `ssocred
//! discover` wrote (credential_process through ssocred, and `--style sso`
//! through botocore's own SSO provider against the emulator), and the
//! interactive chooser runs on a pseudo-terminal.
//!
//! Like interop.rs, these need SSOCRED_PYTHON (set by scripts/test) and skip
//! loudly without it.

use std::path::Path;

use serde_json::Value;
use ssocred_emulator::IssuedCredentials;

use crate::world::*;

fn boto3_profiles(w: &World, python: &Path, profiles: &[String]) -> Vec<Value> {
    let args: Vec<&str> = profiles.iter().map(String::as_str).collect();
    python_json(w, python, "boto3_profiles.py", &args)
        .as_array()
        .unwrap()
        .clone()
}

fn script(name: &str) -> String {
    format!("{}/../tests/interop/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// The profile names inside ssocred's blocks of the config file.
fn generated_profiles(w: &World) -> Vec<String> {
    let text = std::fs::read_to_string(w.config_path()).unwrap();
    let mut inside = false;
    let mut names = Vec::new();
    for line in text.lines() {
        if line.starts_with("# BEGIN ssocred") {
            inside = true;
        } else if line.starts_with("# END ssocred") {
            inside = false;
        } else if inside && let Some(name) = line.strip_prefix("[profile ") {
            names.push(name.trim_end_matches(']').to_owned());
        }
    }
    names
}

/// Checks that boto3 got, for every profile, the credentials the emulator
/// issued for that profile's role.
fn check_resolved(w: &World, results: &[Value], method: &str, expected: &[(&str, &str, &str)]) {
    let issued: Vec<IssuedCredentials> = w.emulator.issued();
    assert_eq!(results.len(), expected.len(), "{results:?}");
    for (got, (profile, account, role)) in results.iter().zip(expected) {
        assert_eq!(got["profile"], *profile);
        assert_eq!(got["method"], method, "{got}");
        let i = issued
            .iter()
            .find(|i| got["access_key"] == i.access_key_id.as_str())
            .unwrap_or_else(|| panic!("{profile}: credentials not issued by the emulator: {got}"));
        assert_eq!(
            (i.account_id.as_str(), i.role_name.as_str()),
            (*account, *role),
            "{profile}"
        );
        assert_eq!(got["secret_key"], i.secret_access_key.as_str());
        assert_eq!(got["token"], i.session_token.as_str());
    }
}

const EXPECTED: [(&str, &str, &str); 4] = [
    ("123456789012-Admin", PROD, "Admin"),
    ("123456789012-ReadOnly", PROD, "ReadOnly"),
    ("210987654321-Developer", DEV, "Developer"),
    ("210987654321-My.Role+x_y_z@w", DEV, "My.Role+x=y,z@w"),
];

#[test]
fn boto3_resolves_every_discovered_credential_process_profile() {
    let Some(python) = python("boto3 discovery interop test") else {
        return;
    };
    let w = World::new();
    ok(&w.run(&["discover", "-p", "modern", "--region", "ap-northeast-1"]));
    let profiles = generated_profiles(&w);
    assert_eq!(profiles, EXPECTED.map(|e| e.0.to_owned()));
    let results = boto3_profiles(&w, &python, &profiles);
    check_resolved(&w, &results, "custom-process", &EXPECTED);
    assert!(results.iter().all(|r| r["region"] == "ap-northeast-1"));
}

#[test]
fn boto3_resolves_every_sso_style_profile_through_its_own_sso_provider() {
    let Some(python) = python("boto3 discovery interop test") else {
        return;
    };
    for profile in ["modern", "legacy"] {
        let w = World::new();
        ok(&w.run(&["discover", "-p", profile, "--style", "sso"]));
        let profiles = generated_profiles(&w);
        assert_eq!(profiles, EXPECTED.map(|e| e.0.to_owned()));
        assert!(w.emulator.issued().is_empty());
        let results = boto3_profiles(&w, &python, &profiles);
        check_resolved(&w, &results, "sso", &EXPECTED);
    }
}

#[test]
fn the_chooser_runs_on_a_terminal() {
    let Some(python) = python("boto3 discovery interop test") else {
        return;
    };
    let w = World::new();
    // One question over every role, filtered by words in any order.
    let steps = serde_json::json!([["Role:", "my.r dev"], ["My.R", "\r"]]);
    let out = w
        .command(&python)
        .arg(script("pty_run.py"))
        .arg(steps.to_string())
        .arg("--")
        .arg(env!("CARGO_BIN_EXE_ssocred"))
        .args(["-p", "modern", "--sink", "process"])
        .env("TERM", "xterm")
        .run_to_end();
    let result = ok_json(&out);
    assert_eq!(result["code"], 0, "{result:#}");
    let i = w.only_issued();
    assert_eq!(
        (i.account_id.as_str(), i.role_name.as_str()),
        (DEV, "My.Role+x=y,z@w"),
        "{result:#}"
    );
    let stdout = result["stdout"].as_str().unwrap();
    assert!(
        stdout.starts_with(&format!(
            "{{\"Version\":1,\"AccessKeyId\":\"{}\"",
            i.access_key_id
        )),
        "{result:#}"
    );
    // The chooser draws on the terminal (stderr), never on stdout.
    assert!(
        result["screen"].as_str().unwrap().contains("Role:"),
        "{result:#}"
    );
}

/// `ssocred ARGS` with stdin and stderr on a pseudo-terminal: (exit code,
/// stdout, what the terminal showed).
fn on_terminal(w: &World, python: &Path, args: &[&str]) -> (i64, String, String) {
    let out = w
        .command(python)
        .arg(script("pty_run.py"))
        .arg("[]")
        .arg("--")
        .arg(env!("CARGO_BIN_EXE_ssocred"))
        .args(args)
        .env("TERM", "xterm")
        .run_to_end();
    let r = ok_json(&out);
    (
        r["code"].as_i64().unwrap(),
        r["stdout"].as_str().unwrap().to_owned(),
        r["screen"].as_str().unwrap().to_owned(),
    )
}

#[test]
fn the_progress_bar_shows_only_on_a_terminal_and_not_with_quiet() {
    let Some(python) = python("boto3 discovery interop test") else {
        return;
    };
    let w = World::new();
    w.emulator
        .set_latency(std::time::Duration::from_millis(150));
    let (code, stdout, screen) =
        on_terminal(&w, &python, &["list", "-p", "modern", "--concurrency", "1"]);
    assert_eq!(code, 0, "{screen}");
    assert!(screen.contains("listing roles"), "{screen:?}");
    assert!(
        !stdout.contains("listing roles") && stdout.contains("My.Role+x=y,z@w"),
        "{stdout}"
    );
    let (code, _, screen) = on_terminal(
        &w,
        &python,
        &["list", "-p", "modern", "--concurrency", "1", "-q"],
    );
    assert_eq!(code, 0, "{screen}");
    assert!(!screen.contains("listing roles"), "{screen:?}");
    // Not a terminal: no bar on stderr.
    let out = w.run(&["list", "-p", "modern"]);
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
