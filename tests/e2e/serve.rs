//! `ssocred serve` and the `serve` sink: the printed variables, the token
//! check, background refresh, loopback only unless asked, and boto3's
//! container provider reading from it.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::running::*;
use crate::world::*;

fn serve(w: &World, extra: &[&str]) -> Running {
    let mut cmd = w.cmd();
    cmd.args(["serve", "-p", "modern", "-r", READ_ONLY_ARN])
        .args(extra);
    Running::spawn(cmd)
}

/// Reads the four `export` lines serve prints: URI, token and both regions.
fn endpoint(running: &mut Running) -> (String, String) {
    let lines: Vec<String> = (0..4).map(|_| running.stdout_line()).collect();
    let vars = parse_exports(&lines);
    let names: Vec<&str> = vars.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN",
            "AWS_REGION",
            "AWS_DEFAULT_REGION"
        ]
    );
    assert_eq!(vars[2].1, "us-east-1");
    (vars[0].1.clone(), vars[1].1.clone())
}

#[test]
fn answers_the_token_holder_and_nobody_else() {
    let w = World::new();
    let mut running = serve(&w, &[]);
    let (url, token) = endpoint(&mut running);
    assert!(
        url.starts_with("http://127.0.0.1:") && url.ends_with("/credentials"),
        "{url}"
    );
    assert_eq!(token.len(), 64);
    let i = w.only_issued();
    let (status, body) = http_get(&url, Some(&token));
    assert_eq!(status, 200, "{body}");
    let doc: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        doc,
        serde_json::json!({
            "AccessKeyId": i.access_key_id,
            "SecretAccessKey": i.secret_access_key,
            "Token": i.session_token,
            "Expiration": expiration_z(&i),
            "AccountId": PROD,
        })
    );
    // One character off: flip the last hex digit so it always differs.
    let last = if token.ends_with('0') { '1' } else { '0' };
    let wrong = format!("{}{last}", &token[..63]);
    assert_ne!(wrong, token);
    let bearer = format!("Bearer {token}");
    for auth in [
        None,
        Some(""),
        Some(wrong.as_str()),
        Some(&token[..10]),
        Some(bearer.as_str()),
    ] {
        let (status, body) = http_get(&url, auth);
        assert_eq!(status, 401, "{auth:?}");
        assert!(
            !body.contains(&i.secret_access_key)
                && !body.contains(&i.session_token)
                && !body.contains(&i.access_key_id),
            "{body}"
        );
    }
    let other_path = url.replace("/credentials", "/other");
    assert_eq!(http_get(&other_path, Some(&token)).0, 404);
    running.signal("TERM");
    let (status, _, stderr) = running.finish();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains(&token) && !stderr.contains(&i.secret_access_key));
}

#[test]
fn refreshes_in_the_background_before_expiry() {
    let w = World::with_emulator(base_emulator().credential_lifetime(Duration::from_secs(4)));
    let mut running = serve(&w, &["--refresh-before", "2", "--shell", "sh"]);
    let (url, token) = endpoint(&mut running);
    let first: Value = serde_json::from_str(&http_get(&url, Some(&token)).1).unwrap();
    let deadline = Instant::now() + PATIENCE;
    let second = loop {
        let doc: Value = serde_json::from_str(&http_get(&url, Some(&token)).1).unwrap();
        if doc["AccessKeyId"] != first["AccessKeyId"] {
            break doc;
        }
        assert!(Instant::now() < deadline, "never refreshed");
        std::thread::sleep(Duration::from_millis(100));
    };
    let issued = w.emulator.issued();
    assert_eq!(first["AccessKeyId"], issued[0].access_key_id.as_str());
    assert_eq!(second["AccessKeyId"], issued[1].access_key_id.as_str());
    assert_eq!(second["Token"], issued[1].session_token.as_str());
    running.stderr_line_with("delivered credentials");
}

#[test]
fn listens_beyond_loopback_only_when_asked() {
    let w = World::new();
    let out = w.run(&[
        "serve",
        "-p",
        "modern",
        "-r",
        READ_ONLY_ARN,
        "--listen",
        "0.0.0.0:0",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("0.0.0.0:0") && err.contains("--allow-non-loopback"),
        "{err}"
    );
    assert!(w.emulator.issued().is_empty());

    let out = w.run(&[
        "serve",
        "-p",
        "modern",
        "-r",
        READ_ONLY_ARN,
        "--listen",
        "nowhere",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let out = w.run(&[
        "serve",
        "-p",
        "modern",
        "-r",
        READ_ONLY_ARN,
        "--shell",
        "tcsh",
    ]);
    assert_eq!(out.status.code(), Some(2));

    let mut running = serve(&w, &["--listen", "0.0.0.0:0", "--allow-non-loopback"]);
    let (url, token) = endpoint(&mut running);
    let port = url.split(':').nth(2).unwrap().split('/').next().unwrap();
    let local = format!("http://127.0.0.1:{port}/credentials");
    assert_eq!(http_get(&local, None).0, 401, "the token is still required");
    assert_eq!(http_get(&local, Some(&token)).0, 200);
}

#[test]
fn the_serve_sink_works_from_the_main_command_with_other_sinks() {
    let w = World::new();
    let mut cmd = w.cmd();
    cmd.args([
        "-p",
        "modern",
        "-r",
        READ_ONLY_ARN,
        "--sink",
        "serve:fish",
        "--sink",
        "credentials-file:also",
    ]);
    let mut running = Running::spawn(cmd);
    let uri = running.stdout_line();
    assert!(
        uri.starts_with("set -gx AWS_CONTAINER_CREDENTIALS_FULL_URI 'http://127.0.0.1:"),
        "{uri}"
    );
    running.stderr_line_with("delivered credentials");
    let i = w.only_issued();
    let text = std::fs::read_to_string(w.credentials_path()).unwrap();
    assert!(text.contains(&i.access_key_id), "{text}");
    running.signal("TERM");
    assert_eq!(running.finish().0.code(), Some(0));
}

const SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/interop/boto3_container.py"
);

fn check_two_sets(w: &World, got: &Value) {
    assert_eq!(got["method"], "container-role", "{got}");
    let issued = w.emulator.issued();
    assert!(issued.len() >= 2, "{issued:?}");
    let find = |key: &Value| {
        issued
            .iter()
            .find(|i| key == i.access_key_id.as_str())
            .unwrap_or_else(|| panic!("{key} was never issued"))
    };
    for set in ["first", "second"] {
        let i = find(&got[set]["access_key"]);
        assert_eq!(got[set]["secret_key"], i.secret_access_key.as_str());
        assert_eq!(got[set]["token"], i.session_token.as_str());
    }
    assert_ne!(got["first"]["access_key"], got["second"]["access_key"]);
}

#[test]
fn boto3_reads_serve_through_the_two_variables_and_picks_up_a_refresh() {
    let Some(python) = python("boto3 container-provider interop test") else {
        return;
    };
    let w = World::with_emulator(base_emulator().credential_lifetime(Duration::from_secs(4)));
    let mut running = serve(&w, &["--refresh-before", "2"]);
    let (url, token) = endpoint(&mut running);
    let out = w
        .command(&python)
        .args([SCRIPT, "20"])
        .env("AWS_CONTAINER_CREDENTIALS_FULL_URI", &url)
        .env("AWS_CONTAINER_AUTHORIZATION_TOKEN", &token)
        .env("AWS_REGION", "us-east-1")
        .output()
        .unwrap();
    let got = ok_json(&out);
    check_two_sets(&w, &got);

    // The wrong token gets nothing out of boto3 either.
    let out = w
        .command(&python)
        .args([SCRIPT, "0"])
        .env("AWS_CONTAINER_CREDENTIALS_FULL_URI", &url)
        .env("AWS_CONTAINER_AUTHORIZATION_TOKEN", "not-the-token")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    for i in w.emulator.issued() {
        assert!(!all.contains(&i.secret_access_key), "{all}");
    }
}

#[test]
fn boto3_in_exec_via_serve_sees_refreshed_credentials() {
    let Some(python) = python("boto3 in exec --via serve interop test") else {
        return;
    };
    let w = World::with_emulator(base_emulator().credential_lifetime(Duration::from_secs(4)));
    let py = python.to_string_lossy().into_owned();
    let out = w
        .cmd()
        .args([
            "exec",
            "--via",
            "serve",
            "--refresh-before",
            "2",
            "-p",
            "modern",
            "-r",
            READ_ONLY_ARN,
            "--",
        ])
        .args([py.as_str(), SCRIPT, "20"])
        .output()
        .unwrap();
    let got = ok_json(&out);
    check_two_sets(&w, &got);
    assert_eq!(got["region"], "us-east-1");
}
