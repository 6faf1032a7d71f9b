//! Remote and awkward logins: a fixed redirect port reached through a
//! forward (as `ssh -L` makes one), `--remote` with the redirect pasted back
//! on stdin, a pasted state that is not the login's, a busy port, and
//! `login --all` over every sso-session.

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ssocred_emulator::{OidcConfig, OidcOperation};

use crate::login::{Running, browser_get, corp_token, read_json, url_in};
use crate::world::*;

/// A port nothing listens on right now.
fn free_port() -> u16 {
    TcpListener::bind(("127.0.0.1", 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A listener that forwards every connection to `127.0.0.1:to`, as the
/// local end of `ssh -L` does; returns its port and how many connections it
/// carried.
fn forward_to(to: u16) -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let carried = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&carried);
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(client) = client else { return };
            let Ok(server) = TcpStream::connect(("127.0.0.1", to)) else {
                continue;
            };
            count.fetch_add(1, Ordering::SeqCst);
            let pipe = |mut from: TcpStream, mut to: TcpStream| {
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut from, &mut to);
                    let _ = to.shutdown(std::net::Shutdown::Write);
                });
            };
            pipe(client.try_clone().unwrap(), server.try_clone().unwrap());
            pipe(server, client);
        }
    });
    (port, carried)
}

#[test]
fn a_fixed_redirect_port_is_reached_through_a_forward() {
    let w = World::new();
    let port = free_port();
    let (forward, carried) = forward_to(port);
    let mut cmd = w.cmd();
    cmd.env("DISPLAY", ":0").args([
        "login",
        "-p",
        "modern",
        "--no-browser",
        "--redirect-port",
        &port.to_string(),
    ]);
    let run = Running::start(cmd);
    let authorize = url_in(&run.line_with("/authorize?"));
    let redirect = format!("redirect_uri=http%3A%2F%2F127.0.0.1%3A{port}%2Foauth%2Fcallback");
    assert!(authorize.contains(&redirect), "{authorize}");
    let (status, location) = browser_get(&authorize);
    assert_eq!(status, 302);
    let callback = location.unwrap();
    let direct = format!("http://127.0.0.1:{port}/oauth/callback?");
    assert!(callback.starts_with(&direct), "{callback}");
    // The browser's machine reaches the port through the forward.
    let through = callback.replacen(&format!(":{port}/"), &format!(":{forward}/"), 1);
    let (status, _) = browser_get(&through);
    assert_eq!(status, 200);
    let (code, _, stderr) = run.finish();
    assert!(code.success(), "{stderr}");
    assert_eq!(carried.load(Ordering::SeqCst), 1);
    assert!(read_json(&corp_token(&w))["refreshToken"].is_string());
    assert_eq!(w.emulator.create_token_count("authorization_code"), 1);
}

#[test]
fn a_busy_redirect_port_fails_at_once_naming_it() {
    let w = World::new();
    let taken = TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let port = taken.local_addr().unwrap().port();
    // From the config too: the setting, not only the flag.
    let config = w.home().join("ssocred.toml");
    std::fs::write(&config, format!("[login]\nredirect_port = {port}\n")).unwrap();
    let started = Instant::now();
    let out = w
        .cmd()
        .env("DISPLAY", ":0")
        .args(["login", "-p", "modern", "--no-browser", "--config"])
        .arg(&config)
        .run_to_end();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(7), "{stderr}");
    assert!(stderr.contains(&format!("127.0.0.1:{port}")), "{stderr}");
    assert!(stderr.contains("redirect_port"), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(10));
    // Nothing was registered or printed before the port was refused.
    assert_eq!(w.emulator.oidc_count(OidcOperation::RegisterClient), 0);
    assert!(!stderr.contains("/authorize?"), "{stderr}");
    let shown = w
        .cmd()
        .args(["config", "show", "--command", "login", "--config"])
        .arg(&config)
        .run_to_end();
    let shown = ok(&shown);
    assert!(
        shown.contains(&format!("redirect_port = {port}  # config")),
        "{shown}"
    );
    drop(taken);
}

/// `login --remote` with the test as a browser on another machine: it
/// follows the printed URL to the emulator's authorize page and pastes what
/// `paste` makes of the redirect's address on stdin.
fn remote_login(w: &World, paste: impl Fn(&str) -> String) -> (std::process::ExitStatus, String) {
    let mut cmd = w.cmd();
    // No display at all: --remote needs none.
    cmd.args(["login", "-p", "modern", "--remote"]);
    let mut run = Running::with_stdin(cmd);
    let authorize = url_in(&run.line_with("/authorize?"));
    assert!(
        authorize.contains("redirect_uri=http%3A%2F%2F127.0.0.1%2Foauth%2Fcallback&"),
        "{authorize}"
    );
    run.line_with("paste it here");
    let (status, location) = browser_get(&authorize);
    assert_eq!(status, 302);
    let location = location.unwrap();
    assert!(
        location.starts_with("http://127.0.0.1/oauth/callback?code="),
        "{location}"
    );
    let stdin = run.stdin.as_mut().unwrap();
    writeln!(stdin, "{}", paste(&location)).unwrap();
    let (code, _, stderr) = run.finish();
    (code, stderr)
}

#[test]
fn remote_login_takes_the_pasted_redirect() {
    let w = World::new();
    std::fs::remove_file(corp_token(&w)).unwrap();
    let (code, stderr) = remote_login(&w, |location| format!("  {location}  "));
    assert!(code.success(), "{stderr}");
    assert!(read_json(&corp_token(&w))["refreshToken"].is_string());
    assert_eq!(w.emulator.create_token_count("authorization_code"), 1);
    ok(&w.run(&[
        "-p",
        "modern",
        "-r",
        "arn:aws:iam::210987654321:role/Developer",
        "--sink",
        "process",
        "--no-cache",
    ]));
}

/// Percent-decodes `text`.
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match (bytes[i], text.get(i + 1..i + 3)) {
            (b'%', Some(hex)) => {
                out.push(u8::from_str_radix(hex, 16).unwrap());
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap()
}

#[test]
fn remote_login_takes_a_bare_code() {
    let w = World::new();
    let (code, stderr) = remote_login(&w, |location| {
        let query = location.split_once('?').unwrap().1;
        let code = query
            .split('&')
            .find_map(|p| p.strip_prefix("code="))
            .unwrap();
        // What a user copies from a page that shows the code: decoded.
        decode(code)
    });
    assert!(code.success(), "{stderr}");
    assert_eq!(w.emulator.create_token_count("authorization_code"), 1);
}

#[test]
fn remote_login_refuses_another_state() {
    let w = World::new();
    let before = std::fs::read(corp_token(&w)).unwrap();
    let (code, stderr) = remote_login(&w, |location| {
        let (head, query) = location.split_once('?').unwrap();
        let forged: Vec<String> = query
            .split('&')
            .map(|p| match p.strip_prefix("state=") {
                Some(_) => "state=0000000000000000ffffffffffffffff".to_owned(),
                None => p.to_owned(),
            })
            .collect();
        format!("{head}?{}", forged.join("&"))
    });
    assert_eq!(code.code(), Some(4), "{stderr}");
    assert!(stderr.contains("another sign-in"), "{stderr}");
    // The code was never exchanged, and the cached login is untouched.
    assert_eq!(w.emulator.create_token_count("authorization_code"), 0);
    assert_eq!(std::fs::read(corp_token(&w)).unwrap(), before);
}

#[test]
fn login_all_logs_in_each_sso_session_and_skips_valid_ones() {
    let w = World::with_emulator(
        base_emulator().oidc(OidcConfig::default().approval_delay(Some(Duration::ZERO))),
    );
    w.write_config(&format!(
        "{CONFIG}
[sso-session spare]
sso_start_url = https://d-spare.awsapps.com/start
sso_region = eu-west-1

[sso-session stale]
sso_start_url = https://d-stale.awsapps.com/start
sso_region = us-east-1

[profile stale-user]
sso_session = stale
"
    ));
    w.write_token("stale", "old", "2020-01-01T00:00:00Z");
    let corp_before = std::fs::read(corp_token(&w)).unwrap();
    let out = w.run(&["login", "--all", "--device-code", "--no-browser"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("sso-session corp: valid until"), "{stderr}");
    assert!(stderr.contains("sso-session spare: logging in"), "{stderr}");
    assert!(
        stderr.contains("sso-session stale: logging in (profile `stale-user`)"),
        "{stderr}"
    );
    assert_eq!(std::fs::read(corp_token(&w)).unwrap(), corp_before);
    for session in ["spare", "stale"] {
        let token = read_json(&w.token_path(session));
        assert_ne!(token["accessToken"], "old", "{session}");
        assert!(token["accessToken"].is_string(), "{session}");
    }
    assert_eq!(
        w.emulator
            .oidc_count(OidcOperation::StartDeviceAuthorization),
        2
    );
    // A second run finds every login valid and calls nothing.
    let calls = all_calls(&w);
    let out = w.run(&["login", "--all", "--device-code", "--no-browser"]);
    assert!(out.status.success());
    assert_eq!(all_calls(&w), calls);
}

// Unix only: a shell script stands in for the browser.
#[cfg(unix)]
#[test]
fn the_login_opens_its_own_browser_not_the_console_s() {
    let w = World::new();
    let bin = w.home().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let log = w.home().join("browsers.log");
    for name in ["login-browser", "console-browser"] {
        let script = bin.join(name);
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\nprintf '{name} %s\\n' \"$*\" >> '{}'\n",
                log.display()
            ),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let config = w.home().join("ssocred.toml");
    std::fs::write(
        &config,
        format!(
            "[login]\nbrowser = \"{0}/login-browser --new-window\"\n[console]\nbrowser = \"{0}/console-browser\"\n",
            bin.display()
        ),
    )
    .unwrap();
    let mut cmd = w.cmd();
    cmd.env("DISPLAY", ":0")
        .args(["login", "-p", "modern", "--config"])
        .arg(&config);
    let run = Running::start(cmd);
    let authorize = url_in(&run.line_with("/authorize?"));
    let opened = wait_for(Duration::from_secs(20), || {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if text.is_empty() {
            return Err("no browser was opened".to_owned());
        }
        Ok(text)
    });
    assert_eq!(opened, format!("login-browser --new-window {authorize}\n"));
    let (_, location) = browser_get(&authorize);
    let (status, _) = browser_get(&location.unwrap());
    assert_eq!(status, 200);
    let (code, _, stderr) = run.finish();
    assert!(code.success(), "{stderr}");
}

#[test]
fn copy_puts_the_device_code_on_the_terminal_s_clipboard() {
    use base64::Engine as _;
    let Some(python) = python("--copy on a pseudo-terminal") else {
        return;
    };
    let w = World::with_emulator(
        base_emulator().oidc(OidcConfig::default().approval_delay(Some(Duration::ZERO))),
    );
    let out = w
        .command(&python)
        .arg(format!(
            "{}/../tests/interop/pty_run.py",
            env!("CARGO_MANIFEST_DIR")
        ))
        .arg("[]")
        .arg("--")
        .arg(env!("CARGO_BIN_EXE_ssocred"))
        .args([
            "login",
            "-p",
            "modern",
            "--device-code",
            "--no-browser",
            "--copy",
        ])
        .env("TERM", "xterm-256color")
        .run_to_end();
    let result = ok_json(&out);
    assert_eq!(result["code"], 0, "{result:#}");
    let screen = result["screen"].as_str().unwrap();
    let code = screen
        .split("enter the code")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no user code on {screen:?}"));
    let encoded = base64::engine::general_purpose::STANDARD.encode(code);
    assert!(
        screen.contains(&format!("\u{1b}]52;c;{encoded}\u{7}")),
        "{screen:?}"
    );
    // Without a terminal nothing is written but a note.
    let out = w.run(&[
        "login",
        "-p",
        "modern",
        "--device-code",
        "--no-browser",
        "--copy",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("--copy: stderr is not a terminal"),
        "{stderr}"
    );
    assert!(!stderr.contains("\u{1b}]52"), "{stderr}");
}
