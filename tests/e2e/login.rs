//! Login and the token lifecycle: native device-code and PKCE logins with the
//! test playing the browser, refresh, expiry with and without a terminal,
//! single-flight across processes, logout, and interop with botocore and the
//! AWS CLI's cache format.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::Value;
use ssocred_emulator::{OidcConfig, OidcOperation};
use time::OffsetDateTime;

use crate::world::*;

const REFRESH: &str = "refresh_token";
const DEV_ARN: &str = "arn:aws:iam::210987654321:role/Developer";

/// A world whose device codes are approved as soon as they are polled.
fn auto_approving() -> World {
    World::with_emulator(base_emulator().oidc(auto_approve()))
}

fn auto_approve() -> OidcConfig {
    OidcConfig::default().approval_delay(Some(Duration::ZERO))
}

pub(crate) fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn in_minutes(minutes: i64) -> String {
    ssocred_core::domain::time_fmt::utc_z(
        OffsetDateTime::now_utc() + time::Duration::minutes(minutes),
    )
}

/// Rewrites fields of a JSON cache file.
fn patch(path: &Path, fields: &[(&str, &str)]) {
    let mut value = read_json(path);
    for (k, v) in fields {
        value[*k] = Value::String((*v).to_owned());
    }
    std::fs::write(path, value.to_string()).unwrap();
}

pub(crate) fn corp_token(w: &World) -> PathBuf {
    w.token_path("corp")
}

fn corp_registration(w: &World) -> PathBuf {
    w.aws_dir()
        .join("sso/cache")
        .join(ssocred_core::login::sso_cache::registration_file_name(
            "https://d-corp.awsapps.com/start",
            Some("corp"),
            "us-east-1",
            Some(&["sso:account:access".to_owned()]),
        ))
}

/// `ssocred login -p modern --device-code` in an auto-approving world.
fn device_login(w: &World) {
    let out = w.run(&["login", "-p", "modern", "--device-code", "--no-browser"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "login failed: {stderr}");
}

fn get_dev(w: &World, extra: &[&str]) -> std::process::Output {
    // --no-cache: every call must go through the token, not the role cache.
    let mut args = vec![
        "-p",
        "modern",
        "-r",
        DEV_ARN,
        "--sink",
        "process",
        "--no-cache",
    ];
    args.extend_from_slice(extra);
    w.run(&args)
}

/// A running ssocred whose stderr is read line by line as it arrives.
pub(crate) struct Running {
    child: Child,
    /// Its stdin, when started with [`Running::with_stdin`].
    pub(crate) stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    stderr: Arc<Mutex<String>>,
    reader: JoinHandle<()>,
}

impl Running {
    pub(crate) fn start(mut cmd: Command) -> Running {
        cmd.stdin(Stdio::null());
        Running::spawn(cmd)
    }

    /// Started with stdin a pipe the test writes to.
    pub(crate) fn with_stdin(mut cmd: Command) -> Running {
        cmd.stdin(Stdio::piped());
        let mut running = Running::spawn(cmd);
        running.stdin = running.child.stdin.take();
        running
    }

    fn spawn(mut cmd: Command) -> Running {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, lines) = channel();
        let stderr = Arc::new(Mutex::new(String::new()));
        let all = Arc::clone(&stderr);
        let pipe = child.stderr.take().unwrap();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines() {
                let Ok(line) = line else { break };
                all.lock().unwrap().push_str(&format!("{line}\n"));
                let _ = tx.send(line);
            }
        });
        Running {
            child,
            stdin: None,
            lines,
            stderr,
            reader,
        }
    }

    /// The first stderr line containing `needle`, within 30 seconds.
    pub(crate) fn line_with(&self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return line,
                Ok(_) => {}
                Err(_) => panic!(
                    "no line with `{needle}` on stderr:\n{}",
                    self.stderr.lock().unwrap()
                ),
            }
        }
    }

    pub(crate) fn finish(mut self) -> (ExitStatus, String, String) {
        drop(self.stdin.take());
        let mut stdout = String::new();
        self.child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut stdout)
            .unwrap();
        let status = self.child.wait().unwrap();
        self.reader.join().unwrap();
        let stderr = self.stderr.lock().unwrap().clone();
        (status, stdout, stderr)
    }
}

/// A GET as a browser would send it: the status and the Location header.
pub(crate) fn browser_get(url: &str) -> (u16, Option<String>) {
    let rest = url.strip_prefix("http://").expect("http URL");
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut stream = TcpStream::connect(host).unwrap();
    // A listener that never answers fails the test instead of hanging it.
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        stream,
        "GET {} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n",
        if path.is_empty() { "/" } else { path }
    )
    .unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).unwrap();
    let status = reply
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let location = reply
        .lines()
        .find_map(|l| {
            l.split_once(':')
                .filter(|(k, _)| k.eq_ignore_ascii_case("location"))
        })
        .map(|(_, v)| v.trim().to_owned());
    (status, location)
}

pub(crate) fn url_in(line: &str) -> String {
    line.split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in `{line}`"))
        .to_owned()
}

#[test]
fn device_code_login_end_to_end_with_the_test_approving() {
    let w = World::new();
    let mut cmd = w.cmd();
    cmd.args(["login", "-p", "legacy", "--no-browser"]);
    let run = Running::start(cmd);
    // A legacy profile uses the device code flow; the user code and both
    // URLs are printed.
    run.line_with("enter the code");
    let complete = url_in(&run.line_with("/device?user_code="));
    let (status, _) = browser_get(&complete);
    assert_eq!(status, 200);
    let (code, _, stderr) = run.finish();
    assert!(code.success(), "{stderr}");
    assert!(
        stderr.contains("/device\n") || stderr.contains("/device "),
        "{stderr}"
    );

    let path = w.token_path("https://d-legacy.awsapps.com/start");
    let token = read_json(&path);
    assert_eq!(token["startUrl"], "https://d-legacy.awsapps.com/start");
    assert_eq!(token["region"], "eu-west-1");
    assert!(token["expiresAt"].as_str().unwrap().ends_with('Z'));
    assert!(
        token["registrationExpiresAt"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );
    assert!(token["clientId"].is_string() && token["clientSecret"].is_string());
    let access = token["accessToken"].as_str().unwrap();
    assert!(!stderr.contains(access), "token leaked on stderr");
    assert_eq!(mode_of(&path), PRIVATE_FILE);
    // The registration is cached under the AWS CLI's name for a legacy
    // login (no session, no scopes), as a device-code client.
    let reg_path =
        w.aws_dir()
            .join("sso/cache")
            .join(ssocred_core::login::sso_cache::registration_file_name(
                "https://d-legacy.awsapps.com/start",
                None,
                "eu-west-1",
                None,
            ));
    let reg = read_json(&reg_path);
    assert_eq!(reg["clientId"], token["clientId"]);
    assert!(reg.get("grantTypes").is_none(), "{reg}");

    // The new token works with the portal.
    let out = w.run(&["-p", "legacy", "-r", READ_ONLY_ARN, "--sink", "process"]);
    let json: Value = serde_json::from_str(&ok(&out)).unwrap();
    assert_eq!(json["AccessKeyId"], w.only_issued().access_key_id.as_str());
    let c = &w.emulator;
    assert_eq!(c.oidc_count(OidcOperation::RegisterClient), 1);
    assert_eq!(c.oidc_count(OidcOperation::StartDeviceAuthorization), 1);
}

#[test]
fn device_code_polling_honours_slow_down() {
    let w = World::with_emulator(base_emulator().oidc(auto_approve().slow_down_polls(1)));
    let start = Instant::now();
    device_login(&w);
    // One slow-down answer adds 5 seconds to the 1 second interval.
    assert!(
        start.elapsed() >= Duration::from_secs(6),
        "{:?}",
        start.elapsed()
    );
    let device = "urn:ietf:params:oauth:grant-type:device_code";
    assert_eq!(w.emulator.create_token_count(device), 2);
}

#[test]
fn an_expired_device_code_ends_the_login() {
    let w = World::with_emulator(
        base_emulator().oidc(OidcConfig::default().device_code_lifetime(Duration::from_secs(2))),
    );
    let out = w.run(&["login", "-p", "modern", "--device-code"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains("expired") || stderr.contains("not approved in time"),
        "{stderr}"
    );
}

#[test]
fn an_absurd_polling_interval_ends_with_the_device_code() {
    // The server asks for polls every 68 years on a code that lives 5 s.
    let w = World::with_emulator(
        base_emulator().oidc(
            OidcConfig::default()
                .interval(2_147_483_647)
                .device_code_lifetime(Duration::from_secs(5)),
        ),
    );
    let mut child = w
        .cmd()
        .args(["login", "-p", "modern", "--device-code", "--no-browser"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > Duration::from_secs(60) {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("the login still waited after 60 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("not approved in time"), "{stderr}");
}

#[test]
fn pkce_login_end_to_end_with_the_test_as_browser() {
    let w = World::new();
    let mut cmd = w.cmd();
    cmd.env("DISPLAY", ":0")
        .args(["login", "-p", "modern", "--no-browser"]);
    let run = Running::start(cmd);
    let authorize = url_in(&run.line_with("/authorize?"));
    for part in [
        "response_type=code",
        "code_challenge_method=S256",
        "redirect_uri=http%3A%2F%2F127.0.0.1%3A",
        "scopes=sso%3Aaccount%3Aaccess",
        "state=",
        "code_challenge=",
    ] {
        assert!(authorize.contains(part), "{part} not in {authorize}");
    }
    let (status, location) = browser_get(&authorize);
    assert_eq!(status, 302);
    let callback = location.unwrap();
    assert!(callback.starts_with("http://127.0.0.1:"), "{callback}");
    let (status, _) = browser_get(&callback);
    assert_eq!(status, 200);
    let (code, _, stderr) = run.finish();
    assert!(code.success(), "{stderr}");

    let token = read_json(&corp_token(&w));
    assert!(token["refreshToken"].is_string(), "{token:?}");
    assert_eq!(token["startUrl"], "https://d-corp.awsapps.com/start");
    let reg = read_json(&corp_registration(&w));
    assert_eq!(reg["clientId"], token["clientId"]);
    assert_eq!(
        reg["grantTypes"],
        serde_json::json!(["authorization_code", "refresh_token"])
    );
    assert_eq!(reg["scopes"], serde_json::json!(["sso:account:access"]));
    assert_eq!(w.emulator.create_token_count("authorization_code"), 1);
    ok(&get_dev(&w, &[]));
}

#[test]
fn pkce_login_ignores_redirects_without_its_state_and_takes_the_real_one() {
    let w = World::new();
    let mut cmd = w.cmd();
    cmd.env("DISPLAY", ":0")
        .args(["login", "-p", "modern", "--no-browser"]);
    let run = Running::start(cmd);
    let authorize = url_in(&run.line_with("/authorize?"));
    let (_, location) = browser_get(&authorize);
    let callback = location.unwrap();
    let port_end = callback.find("/oauth/callback").unwrap();
    let base = &callback[..port_end];
    // A stalled connection, a forged code and a forged error first: none
    // of them ends or delays the login.
    let mut stalled = TcpStream::connect(base.trim_start_matches("http://")).unwrap();
    stalled.write_all(b"GET /oauth/callback?code=").unwrap();
    let (status, _) = browser_get(&format!("{callback}forged"));
    assert_eq!(status, 400);
    let (status, _) = browser_get(&format!(
        "{base}/oauth/callback?error=access_denied&error_description=forged"
    ));
    assert_eq!(status, 400);
    let (status, _) = browser_get(&callback);
    assert_eq!(status, 200);
    let (code, _, stderr) = run.finish();
    assert!(code.success(), "{stderr}");
    assert!(!stderr.contains("forged"), "{stderr}");
    assert_eq!(w.emulator.create_token_count("authorization_code"), 1);
    drop(stalled);
}

#[test]
fn a_pkce_error_with_the_right_state_ends_the_login_and_shows_its_text_visibly() {
    let w = World::new();
    let mut cmd = w.cmd();
    cmd.env("DISPLAY", ":0")
        .args(["login", "-p", "modern", "--no-browser"]);
    let run = Running::start(cmd);
    let authorize = url_in(&run.line_with("/authorize?"));
    let (_, location) = browser_get(&authorize);
    let callback = location.unwrap();
    let (base, query) = callback.split_once('?').unwrap();
    let state = query
        .split('&')
        .find_map(|p| p.strip_prefix("state="))
        .unwrap();
    let (status, _) = browser_get(&format!(
        "{base}?error=access_denied&error_description=%1b%5b31mdenied%0assocred%3a+Logged+in&state={state}"
    ));
    assert_eq!(status, 200);
    let (code, _, stderr) = run.finish();
    assert_eq!(code.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains(r"access_denied: \u{1b}[31mdenied\nssocred: Logged in"),
        "{stderr}"
    );
    assert!(!stderr.contains('\u{1b}'), "{stderr}");
    assert_eq!(w.emulator.create_token_count("authorization_code"), 0);
}

#[test]
fn registrations_are_reused_until_fifteen_minutes_before_expiry() {
    let w = auto_approving();
    device_login(&w);
    device_login(&w);
    assert_eq!(w.emulator.oidc_count(OidcOperation::RegisterClient), 1);
    patch(&corp_registration(&w), &[("expiresAt", &in_minutes(10))]);
    device_login(&w);
    assert_eq!(w.emulator.oidc_count(OidcOperation::RegisterClient), 2);
}

#[test]
fn a_token_near_expiry_is_refreshed_keeping_the_client_fields() {
    let w = World::with_emulator(base_emulator().oidc(auto_approve().rotate_refresh_tokens(true)));
    device_login(&w);
    let path = corp_token(&w);
    patch(&path, &[("expiresAt", &in_minutes(5))]);
    let before = read_json(&path);
    let out = get_dev(&w, &["-v"]);
    ok(&out);
    assert_eq!(w.emulator.create_token_count(REFRESH), 1);
    let after = read_json(&path);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("refreshing the token"), "{stderr}");
    for secret in ["accessToken", "refreshToken", "clientSecret"] {
        for file in [&before, &after] {
            let value = file[secret].as_str().unwrap();
            assert!(!stderr.contains(value), "{secret} leaked: {stderr}");
        }
    }
    assert_ne!(after["accessToken"], before["accessToken"]);
    assert_ne!(after["refreshToken"], before["refreshToken"], "rotated");
    assert_eq!(after["clientId"], before["clientId"]);
    assert_eq!(after["clientSecret"], before["clientSecret"]);
    assert_eq!(
        after["registrationExpiresAt"],
        before["registrationExpiresAt"]
    );
    assert!(after["expiresAt"].as_str().unwrap() > in_minutes(60).as_str());

    // A token with more than the window left is used as it is.
    ok(&get_dev(&w, &[]));
    assert_eq!(w.emulator.create_token_count(REFRESH), 1);
    // A wider window makes the same token due.
    ok(&get_dev(&w, &["--refresh-window", "86400"]));
    assert_eq!(w.emulator.create_token_count(REFRESH), 2);
}

#[test]
fn a_failed_refresh_carries_on_with_a_still_valid_token() {
    let w = auto_approving();
    device_login(&w);
    let path = corp_token(&w);
    patch(&path, &[("expiresAt", &in_minutes(5))]);
    let before = std::fs::read(&path).unwrap();
    w.emulator.revoke_refresh_tokens();
    ok(&get_dev(&w, &[]));
    assert_eq!(w.emulator.create_token_count(REFRESH), 1);
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "token file untouched"
    );
}

#[test]
fn a_failed_refresh_of_an_expired_token_is_login_required() {
    let w = auto_approving();
    device_login(&w);
    patch(&corp_token(&w), &[("expiresAt", &in_minutes(-1))]);
    w.emulator.revoke_refresh_tokens();
    let out = get_dev(&w, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("could not be refreshed"), "{stderr}");
    assert!(stderr.contains("ssocred login -p modern"), "{stderr}");
}

#[test]
fn an_expired_registration_is_not_used_to_refresh() {
    let w = auto_approving();
    device_login(&w);
    patch(
        &corp_token(&w),
        &[
            ("expiresAt", &in_minutes(-1)),
            ("registrationExpiresAt", &in_minutes(-1)),
        ],
    );
    let out = get_dev(&w, &[]);
    assert_eq!(out.status.code(), Some(4));
    assert_eq!(w.emulator.create_token_count(REFRESH), 0);
}

#[test]
fn an_expired_token_without_a_terminal_fails_at_once() {
    let w = World::new();
    w.write_token("corp", TOKEN, &in_minutes(-5));
    let start = Instant::now();
    let out = get_dev(&w, &[]);
    let elapsed = start.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(elapsed < Duration::from_secs(1), "took {elapsed:?}");
    assert!(stderr.contains("expired"), "{stderr}");
    assert!(stderr.contains("ssocred login -p modern"), "{stderr}");
    assert!(out.stdout.is_empty());
    assert_eq!(
        w.emulator.oidc_counts().values().sum::<u64>(),
        0,
        "no OIDC call"
    );
}

#[test]
fn auto_login_logs_in_without_a_terminal() {
    let w = auto_approving();
    w.write_token("corp", TOKEN, &in_minutes(-5));
    let out = get_dev(&w, &["--auto-login", "--device-code", "--no-browser"]);
    let json: Value = serde_json::from_str(&ok(&out)).unwrap();
    assert_eq!(json["AccessKeyId"], w.only_issued().access_key_id.as_str());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("enter the code"), "{stderr}");
    assert_ne!(read_json(&corp_token(&w))["accessToken"], TOKEN);
}

/// A command that starts a login by itself says why first, on stderr: the
/// login expired, and when (a time of day for a login that ended today).
#[test]
fn a_login_started_by_an_expired_token_says_when_it_expired() {
    let w = auto_approving();
    let expired = OffsetDateTime::now_utc() - time::Duration::minutes(5);
    w.write_token(
        "corp",
        TOKEN,
        &ssocred_core::domain::time_fmt::utc_z(expired),
    );
    let out = get_dev(&w, &["--auto-login", "--device-code", "--no-browser"]);
    ok(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let said = format!(
        "ssocred: the SSO login of profile `modern` expired at {}; signing in\n",
        ssocred_core::domain::time_fmt::clock_z(expired)
    );
    assert!(stderr.contains(&said), "{stderr}");
    assert!(
        stderr.find(&said) < stderr.find("enter the code"),
        "said after the login began: {stderr}"
    );
    assert!(!stderr.contains(TOKEN), "{stderr}");
    // With no token at all, it says that instead.
    std::fs::remove_file(corp_token(&w)).unwrap();
    let out = get_dev(&w, &["--auto-login", "--device-code", "--no-browser"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("ssocred: no SSO login found for") && stderr.contains("; signing in\n"),
        "{stderr}"
    );
}

/// `[login] auto_login` and `SSOCRED_AUTO_LOGIN` are `--auto-login` from
/// the config and the environment.
#[test]
fn auto_login_from_the_config_or_the_environment_logs_in_without_a_terminal() {
    for from_config in [true, false] {
        let w = auto_approving();
        w.write_token("corp", TOKEN, &in_minutes(-5));
        let config = w.home().join("ssocred.toml");
        let mut text = "[login]\nmethod = 'device-code'\nopen_browser = false\n".to_owned();
        if from_config {
            text.push_str("auto_login = true\n");
        }
        std::fs::write(&config, text).unwrap();
        let mut cmd = w.cmd();
        cmd.env("SSOCRED_CONFIG", &config).args([
            "-p",
            "modern",
            "-r",
            DEV_ARN,
            "--sink",
            "process",
            "--no-cache",
        ]);
        if !from_config {
            cmd.env("SSOCRED_AUTO_LOGIN", "1");
        }
        let out = cmd.run_to_end();
        let json: Value = serde_json::from_str(&ok(&out)).unwrap();
        assert_eq!(json["AccessKeyId"], w.only_issued().access_key_id.as_str());
        assert_ne!(read_json(&corp_token(&w))["accessToken"], TOKEN);
    }
}

// Unix only: a shell script stands in for the login command.
#[cfg(unix)]
#[test]
fn a_login_command_runs_with_its_output_on_stderr() {
    let w = World::new();
    let path = corp_token(&w);
    w.write_token("corp", TOKEN, &in_minutes(-5));
    let fresh = serde_json::json!({"accessToken": TOKEN, "expiresAt": in_minutes(60)}).to_string();
    let script = w.home().join("fake-aws-login");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho \"logging in $1\"\nprintf '%s' '{fresh}' > '{}'\n",
            path.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let command = format!("{} {{profile}}", script.display());
    let out = get_dev(&w, &["--auto-login", "--login-command", &command]);
    let stdout = ok(&out);
    let json: Value = serde_json::from_str(&stdout).expect("stdout is only the JSON");
    assert_eq!(json["Version"], 1);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("logging in modern"), "{stderr}");
}

/// The single-flight lock of the `corp` login.
fn corp_lock(w: &World) -> PathBuf {
    w.home().join(".cache/ssocred/locks").join(format!(
        "{}.lock",
        ssocred_core::login::sso_cache::cache_file_name("corp")
    ))
}

#[test]
fn twenty_processes_refresh_once() {
    let w = auto_approving();
    device_login(&w);
    patch(&corp_token(&w), &[("expiresAt", &in_minutes(5))]);
    // Slow the token endpoint so that every process finds the refresh due.
    w.emulator
        .set_oidc(auto_approve().latency(Duration::from_millis(500)));
    let children: Vec<Child> = (0..20)
        .map(|_| {
            let mut cmd = w.cmd();
            cmd.args([
                "-p",
                "modern",
                "-r",
                DEV_ARN,
                "--sink",
                "process",
                "--no-cache",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        ok(&out);
    }
    assert_eq!(w.emulator.create_token_count(REFRESH), 1);
    assert_eq!(w.emulator.issued().len(), 20);
}

#[test]
fn waiters_time_out_and_use_a_still_valid_token() {
    let w = auto_approving();
    device_login(&w);
    let path = corp_token(&w);
    patch(&path, &[("expiresAt", &in_minutes(5))]);
    let held = ssocred_core::os::fs::FileLock::acquire_path(&corp_lock(&w), Duration::from_secs(1))
        .unwrap();
    let start = Instant::now();
    ok(&get_dev(&w, &["--lock-timeout", "1"]));
    assert!(start.elapsed() >= Duration::from_secs(1));
    assert_eq!(w.emulator.create_token_count(REFRESH), 0);

    patch(&path, &[("expiresAt", &in_minutes(-1))]);
    let out = get_dev(&w, &["--lock-timeout", "1"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("another ssocred process"), "{stderr}");

    // A waiter that could log in itself waits past --lock-timeout for the
    // holder's login, then uses the token it wrote.
    let waiter = w
        .cmd()
        .args(["-p", "modern", "-r", DEV_ARN, "--sink", "process"])
        .args(["--auto-login", "--lock-timeout", "1", "--no-browser"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(2500));
    w.write_token("corp", TOKEN, &in_minutes(60));
    drop(held);
    ok(&waiter.wait_with_output().unwrap());
    assert_eq!(
        w.emulator
            .oidc_count(OidcOperation::StartDeviceAuthorization),
        1,
        "only the first login's"
    );
}

#[test]
fn a_crashed_lock_holder_never_blocks() {
    let w = auto_approving();
    device_login(&w);
    // A login that waits for approval holds the lock; kill it mid-flight.
    w.emulator.set_oidc(OidcConfig::default());
    let mut cmd = w.cmd();
    cmd.args(["login", "-p", "modern", "--device-code", "--no-browser"]);
    let mut run = Running::start(cmd);
    run.line_with("enter the code");
    run.child.kill().unwrap();
    let (status, _, _) = run.finish();
    assert!(!status.success());

    w.emulator.set_oidc(auto_approve());
    patch(&corp_token(&w), &[("expiresAt", &in_minutes(-1))]);
    let start = Instant::now();
    ok(&get_dev(&w, &["--lock-timeout", "30"]));
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(w.emulator.create_token_count(REFRESH), 1);
}

#[test]
fn logout_ends_the_session_and_removes_the_token() {
    let w = auto_approving();
    device_login(&w);
    let path = corp_token(&w);
    let access = read_json(&path)["accessToken"].as_str().unwrap().to_owned();
    // A cached role credential, as a credential_process call leaves it.
    ok(&w.run(&["-p", "modern", "-r", DEV_ARN, "--sink", "process"]));
    let role_cache = w.aws_dir().join("cli/cache");
    let cached = || json_files(&role_cache);

    assert_eq!(cached(), 1);
    let out = w.run(&["logout", "-p", "modern"]);
    ok(&out);
    assert!(!path.exists());
    assert_eq!(
        cached(),
        0,
        "logout must forget the cached role credentials"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 cached role credential"));
    assert_eq!(w.emulator.logged_out_tokens(), [access]);
    assert_eq!(get_dev(&w, &[]).status.code(), Some(4));
    // Logging out again is harmless.
    let out = w.run(&["logout", "-p", "modern"]);
    ok(&out);
    assert!(String::from_utf8_lossy(&out.stderr).contains("was not logged in"));
}

#[test]
fn botocore_resolves_an_sso_session_profile_from_ssocred_login() {
    let Some(python) = python("botocore login interop test") else {
        return;
    };
    let w = auto_approving();
    device_login(&w);
    // `pinned` is an sso-session profile with sso_account_id/sso_role_name.
    let got = python_json(&w, &python, "botocore_creds.py", &["pinned"]);
    assert_eq!(got["method"], "sso");
    assert_eq!(got["access_key"], w.only_issued().access_key_id.as_str());

    // botocore refreshes with the client fields ssocred wrote, and ssocred
    // uses what botocore wrote back.
    let path = corp_token(&w);
    patch(&path, &[("expiresAt", &in_minutes(5))]);
    let before = read_json(&path);
    python_json(&w, &python, "botocore_creds.py", &["pinned"]);
    assert_eq!(w.emulator.create_token_count(REFRESH), 1);
    let after = read_json(&path);
    assert_ne!(after["accessToken"], before["accessToken"]);
    ok(&get_dev(&w, &[]));
    assert_eq!(w.emulator.create_token_count(REFRESH), 1);
}

#[test]
fn ssocred_uses_a_login_made_in_the_aws_cli_format() {
    let Some(python) = python("botocore login interop test") else {
        return;
    };
    let w = World::new();
    std::fs::remove_file(corp_token(&w)).unwrap();
    let files = python_json(
        &w,
        &python,
        "aws_cli_login.py",
        &[
            "corp",
            "https://d-corp.awsapps.com/start",
            "us-east-1",
            "sso:account:access",
        ],
    );
    assert_eq!(
        files["registration_file"],
        corp_registration(&w).file_name().unwrap().to_str().unwrap()
    );
    ok(&get_dev(&w, &[]));

    // Its refresh fields work for ssocred's refresh...
    patch(&corp_token(&w), &[("expiresAt", &in_minutes(5))]);
    ok(&get_dev(&w, &[]));
    assert_eq!(w.emulator.create_token_count(REFRESH), 1);
    // ...and its registration is reused by ssocred's login.
    w.emulator.set_oidc(auto_approve());
    device_login(&w);
    assert_eq!(w.emulator.oidc_count(OidcOperation::RegisterClient), 1);
}

#[test]
fn an_expired_token_on_a_terminal_logs_in_and_carries_on() {
    let Some(python) = python("botocore login interop test") else {
        return;
    };
    let w = auto_approving();
    w.write_token("corp", TOKEN, &in_minutes(-5));
    // Python's pty module gives ssocred a terminal for stdin, stdout and
    // stderr, as a shell would.
    let exe = env!("CARGO_BIN_EXE_ssocred");
    let out = w
        .command(&python)
        .args([
            "-c",
            "import pty, sys; sys.exit(pty.spawn(sys.argv[1:]) >> 8)",
            exe,
            "-p",
            "modern",
            "-r",
            DEV_ARN,
            "--sink",
            "process",
            "--no-browser",
        ])
        .stdin(Stdio::null())
        .run_to_end();
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{shown}");
    assert!(shown.contains("enter the code"), "{shown}");
    assert!(shown.contains("\"AccessKeyId\""), "{shown}");
    assert_eq!(
        w.emulator
            .create_token_count("urn:ietf:params:oauth:grant-type:device_code"),
        1
    );
}
