//! No secret in any output: every command at the most verbose level, on its
//! success and error paths, against the emulator. Secrets may appear only
//! where they are the product (stdout of the `env` and `process` sinks);
//! stderr never carries one, nor does stdout of any other command.

use std::process::Output;

use ssocred_emulator::IssuedCredentials;

use crate::world::*;

const CLIENT_SECRET: &str = "cs-CLIENT-SECRET-never-shown-0123456789";
const REFRESH_TOKEN: &str = "rt-REFRESH-TOKEN-never-shown-0123456789";

/// A token-cache file with every secret field an sso-session login has.
fn write_full_token(w: &World, key: &str, access_token: &str, expires_at: &str) {
    let path = w.token_path(key);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let body = serde_json::json!({
        "startUrl": "https://d-corp.awsapps.com/start",
        "region": "us-east-1",
        "accessToken": access_token,
        "expiresAt": expires_at,
        "clientId": "client-id-not-secret",
        "clientSecret": CLIENT_SECRET,
        "registrationExpiresAt": "2099-01-01T00:00:00Z",
        "refreshToken": REFRESH_TOKEN,
    });
    std::fs::write(path, body.to_string()).unwrap();
}

fn secrets(w: &World) -> Vec<String> {
    let mut all = vec![
        TOKEN.to_owned(),
        CLIENT_SECRET.to_owned(),
        REFRESH_TOKEN.to_owned(),
    ];
    for IssuedCredentials {
        secret_access_key,
        session_token,
        ..
    } in w.emulator.issued()
    {
        all.push(secret_access_key);
        all.push(session_token);
    }
    all
}

/// Runs one command with `-v` and the most verbose logging any layer knows,
/// and checks its streams. Returns the output for further checks.
fn run(w: &World, args: &[&str], stdout_is_product: bool) -> Output {
    let out = w
        .cmd()
        .args(args)
        .env("RUST_LOG", "trace")
        .env("RUST_BACKTRACE", "1")
        .run_to_end();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    for secret in secrets(w) {
        assert!(
            !stderr.contains(&secret),
            "{args:?}: a secret on stderr:\n{stderr}"
        );
        if !stdout_is_product {
            assert!(
                !stdout.contains(&secret),
                "{args:?}: a secret on stdout:\n{stdout}"
            );
        }
    }
    out
}

fn get<'a>(sink: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["-v", "-p", "modern", "-r", READ_ONLY_ARN, "--sink", sink];
    args.extend_from_slice(extra);
    args
}

// Unix only: runs `sh` as exec's command.
#[cfg(unix)]
#[test]
fn no_command_prints_a_secret_where_it_should_not() {
    let w = World::with_emulator(base_emulator());
    write_full_token(&w, "corp", TOKEN, "2099-01-01T00:00:00Z");

    // Successes: every sink, cold and cached, and every other command.
    for extra in [&["--no-cache"][..], &[], &[]] {
        let out = run(&w, &get("process", extra), true);
        assert!(out.status.success());
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("ssocred:"),
            "-v explained nothing"
        );
        for sink in ["env", "env:fish", "env:powershell", "env:cmd"] {
            run(&w, &get(sink, extra), true);
        }
        let out = run(&w, &get("credentials-file:out", extra), false);
        assert!(out.status.success());
    }
    // A command run by exec that fails.
    let out = run(
        &w,
        &[
            "exec",
            "-v",
            "-p",
            "modern",
            "-r",
            READ_ONLY_ARN,
            "--",
            "sh",
            "-c",
            "exit 3",
        ],
        false,
    );
    assert_eq!(out.status.code(), Some(3));
    for args in [
        &["sinks", "-v"][..],
        &["--help"],
        &["--version"],
        &["config", "show", "-p", "modern", "-r", READ_ONLY_ARN],
        &["completions", "bash"],
        &["man"],
        &[
            "exec",
            "-v",
            "-p",
            "modern",
            "-r",
            READ_ONLY_ARN,
            "--",
            "true",
        ],
        &["cache", "clear", "-v"],
    ] {
        assert!(run(&w, args, false).status.success(), "{args:?}");
    }

    // Error paths: each must fail, and say nothing secret.
    let fail = |args: Vec<&str>, code: i32| {
        let out = run(&w, &args, false);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {out:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
    };
    // A role not assigned (404).
    fail(
        vec![
            "-v",
            "-p",
            "modern",
            "-r",
            "arn:aws:iam::123456789012:role/Nope",
            "--sink",
            "process",
        ],
        5,
    );
    // Bad sink options, bad ARN, unknown profile.
    fail(get("process", &["--sink", "env:colour=red"]), 2);
    fail(vec!["-v", "-p", "modern", "-r", "arn:aws:iam::1:role/X"], 2);
    fail(vec!["-v", "-p", "nope", "-r", READ_ONLY_ARN], 3);
    // A credentials file that cannot be parsed, holding secrets on the bad line.
    let issued = w.emulator.issued();
    let old_secret = &issued[0].secret_access_key;
    std::fs::write(
        w.credentials_path(),
        format!("[ok]\naws_secret_access_key = {old_secret}\n[broken {old_secret}\n"),
    )
    .unwrap();
    fail(get("credentials-file:x", &["--no-cache"]), 7);
    std::fs::remove_file(w.credentials_path()).unwrap();
    // A corrupt role-cache entry holding secrets is replaced, not shown.
    let entry = crate::cache::entries(&w);
    assert!(entry.is_empty(), "cache clear left entries");
    ok(&run(&w, &get("process", &[]), true));
    let [entry] = crate::cache::entries(&w).try_into().unwrap();
    std::fs::write(&entry, format!("{{\"x\":\"{TOKEN}{old_secret}")).unwrap();
    assert!(run(&w, &get("process", &[]), true).status.success());
    // The portal rejects the token (401).
    w.emulator.revoke_tokens();
    fail(get("process", &["--no-cache"]), 4);
    // Expired and garbled token files that hold every secret field.
    write_full_token(&w, "corp", TOKEN, "2000-01-01T00:00:00Z");
    fail(get("process", &["--no-cache"]), 4);
    std::fs::write(
        w.token_path("corp"),
        format!(
            "{{\"accessToken\":\"{TOKEN}\",\"clientSecret\":\"{CLIENT_SECRET}\",\"expiresAt\":12"
        ),
    )
    .unwrap();
    fail(get("process", &["--no-cache"]), 4);
    // The portal unreachable.
    write_full_token(&w, "corp", TOKEN, "2099-01-01T00:00:00Z");
    let out = w
        .cmd()
        .args(get("process", &["--no-cache"]))
        .env("AWS_ENDPOINT_URL_SSO", "http://127.0.0.1:9")
        .run_to_end();
    assert_eq!(out.status.code(), Some(6));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for secret in secrets(&w) {
        assert!(!stderr.contains(&secret), "{stderr}");
    }
    // Logging out, verbosely: the token goes to the portal, never to a stream.
    assert!(run(&w, &["logout", "-p", "modern"], false).status.success());
}

#[test]
fn an_emulator_with_a_throttled_portal_still_hides_secrets() {
    // Throttled on every call: the limiter gives up (after the give-up time,
    // shortened here), and the error says so.
    let w = World::with_emulator(base_emulator().throttle_every(1));
    let out = w
        .cmd()
        .args(get("process", &[]))
        .env("RUST_LOG", "trace")
        .env("SSOCRED_THROTTLE_GIVE_UP_SECS", "1")
        .run_to_end();
    assert_eq!(out.status.code(), Some(6));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("still throttled (429)"), "{stderr}");
    for secret in secrets(&w) {
        assert!(!stderr.contains(&secret), "a secret on stderr:\n{stderr}");
    }
}

/// A process that holds secrets cannot be dumped or read through
/// `/proc/PID/mem` by another process of the same user. The kernel shows it:
/// the `/proc/PID` files of a non-dumpable process belong to root. That is
/// visible only for a process that does not run as root, so this test runs
/// ssocred as `nobody`, which needs root (as on CI).
// Unix only: runs ssocred as another user to test the non-dumpable flag (Linux).
#[cfg(unix)]
#[test]
fn the_process_makes_itself_non_dumpable() {
    use std::os::unix::fs::MetadataExt;
    use std::os::unix::process::CommandExt;
    if !ssocred_test_support::require_root(
        "the_process_makes_itself_non_dumpable",
        "it runs ssocred as another user",
    ) {
        return;
    }
    const NOBODY: u32 = 65534;
    let w = World::new();
    // Opening its config, a FIFO nobody writes to, holds ssocred alive after
    // its start without any secret or network.
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let fifo = dir.path().join("config.toml");
    let made = std::process::Command::new("mkfifo")
        .args(["-m", "0666"])
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let mut child = w
        .cmd()
        .args(["config", "check"])
        .arg(&fifo)
        .current_dir("/")
        .uid(NOBODY)
        .gid(NOBODY)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Let it reach the open, where it waits.
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(child.try_wait().unwrap(), None, "ssocred exited early");
    let status = format!("/proc/{}/status", child.id());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut owner = None;
    while std::time::Instant::now() < deadline {
        owner = std::fs::metadata(&status).ok().map(|m| m.uid());
        if owner == Some(0) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(
        owner,
        Some(0),
        "ssocred running as uid {NOBODY} stayed dumpable ({status} owned by {owner:?})"
    );
}
