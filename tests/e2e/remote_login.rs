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
    // The login's browser, on the private page (never the URL itself).
    let page = opened
        .strip_prefix("login-browser --new-window file:///")
        .unwrap_or_else(|| panic!("{opened}"));
    assert!(
        page.trim_end().ends_with(".html") && !page.contains("state="),
        "{opened}"
    );
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

/// Over SSH (no display), a redirect port from the flag or the config
/// still means PKCE on that port, as `ssh -L N:127.0.0.1:N` needs; so does
/// `[login] method = "pkce"`.
#[test]
fn a_redirect_port_means_pkce_even_without_a_display() {
    let w = World::new();
    let port = free_port();
    let config = w.home().join("ssocred.toml");
    std::fs::write(&config, format!("[login]\nredirect_port = {port}\n")).unwrap();
    let pkce = w.home().join("pkce.toml");
    std::fs::write(&pkce, "[login]\nmethod = \"pkce\"\n").unwrap();
    let flag = ["--redirect-port".to_owned(), port.to_string()];
    let from_config = ["--config".to_owned(), config.display().to_string()];
    let method = ["--config".to_owned(), pkce.display().to_string()];
    for (extra, fixed) in [(&flag, true), (&from_config, true), (&method, false)] {
        let mut cmd = w.cmd();
        cmd.env("SSH_CONNECTION", "10.0.0.1 50000 10.0.0.2 22")
            .args(["login", "-p", "modern"])
            .args(extra);
        let run = Running::start(cmd);
        let authorize = url_in(&run.line_with("/authorize?"));
        if fixed {
            let redirect =
                format!("redirect_uri=http%3A%2F%2F127.0.0.1%3A{port}%2Foauth%2Fcallback");
            assert!(authorize.contains(&redirect), "{authorize}");
        }
        let (status, location) = browser_get(&authorize);
        assert_eq!(status, 302);
        let (status, _) = browser_get(&location.unwrap());
        assert_eq!(status, 200);
        let (code, _, stderr) = run.finish();
        assert!(code.success(), "{extra:?}: {stderr}");
    }
    assert_eq!(w.emulator.create_token_count("authorization_code"), 3);
}

/// A legacy profile (no sso_session) cannot do PKCE: a redirect port or
/// `method = "pkce"` is refused with exit 2 naming where it came from,
/// before any call, instead of a device-code login that ignores it.
#[test]
fn a_redirect_port_on_a_legacy_profile_is_refused_naming_its_source() {
    let w = World::with_emulator(
        base_emulator().oidc(OidcConfig::default().approval_delay(Some(Duration::ZERO))),
    );
    let config = w.home().join("ssocred.toml");
    std::fs::write(&config, "[login]\nredirect_port = 8471\n").unwrap();
    let pkce = w.home().join("pkce.toml");
    std::fs::write(&pkce, "[login]\nmethod = \"pkce\"\n").unwrap();
    let cases: [(Vec<String>, &str); 3] = [
        (
            vec!["--redirect-port".into(), "8470".into()],
            "flag --redirect-port",
        ),
        (
            vec!["--config".into(), config.display().to_string()],
            "config",
        ),
        (
            vec!["--config".into(), pkce.display().to_string()],
            "config",
        ),
    ];
    for (extra, source) in cases {
        let out = w
            .cmd()
            .env("DISPLAY", ":0")
            .args(["login", "-p", "legacy", "--no-browser"])
            .args(&extra)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {stderr}");
        assert!(stderr.contains(source), "{stderr}");
        assert!(stderr.contains("legacy"), "{stderr}");
        assert!(stderr.contains("sso_session"), "{stderr}");
    }
    assert_eq!(w.emulator.oidc_counts().values().sum::<u64>(), 0);
    // The device code flow, asked for, needs no port and still works.
    let out = w
        .cmd()
        .args([
            "login",
            "-p",
            "legacy",
            "--no-browser",
            "--device-code",
            "--config",
        ])
        .arg(&config)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A stand-in browser that records its arguments, the mode of the file its
/// last argument names (a `file://` URL) and of that file's directory, the
/// file's path, and a copy of it, in `dir/seen`.
// Unix only: a shell script stands in for the browser.
#[cfg(unix)]
fn recording_browser(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let seen = dir.join("seen");
    std::fs::create_dir_all(&seen).unwrap();
    let script = dir.join("recording-browser");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nout='{}'\nfor last in \"$@\"; do :; done\npage=\"${{last#file://}}\"\n\
             cp \"$page\" \"$out/page.html\"\nstat -c %a \"$page\" > \"$out/mode\"\n\
             stat -c %a \"$(dirname \"$page\")\" > \"$out/dir-mode\"\nprintf '%s\\n' \"$page\" > \"$out/path\"\n\
             printf '%s\\n' \"$@\" > \"$out/argv.tmp\" && mv \"$out/argv.tmp\" \"$out/argv\"\n",
            seen.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    (script, seen)
}

/// `seen/NAME` once the browser has written it.
#[cfg(unix)]
fn seen_file(seen: &std::path::Path, name: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(text) = std::fs::read_to_string(seen.join(name)) {
            return text;
        }
        assert!(Instant::now() < deadline, "the browser never ran");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The browser gets a private page that forwards to the sign-in URL, never
/// the URL: another local user can read a process's argv, and with the
/// PKCE `state` and `code_challenge` (or the device flow's code) could
/// complete the sign-in with their own identity. The page is 0600 in a
/// 0700 directory while the browser opens it, and gone after the login.
// Unix only: a shell script stands in for the browser, and modes are Unix's.
#[cfg(unix)]
#[test]
fn the_login_browser_gets_a_private_page_not_the_url_and_the_page_goes_away() {
    use std::os::unix::fs::PermissionsExt;
    // The device code is approved after 2 s, so the browser has read the
    // page before the login ends.
    let w = World::with_emulator(
        base_emulator().oidc(OidcConfig::default().approval_delay(Some(Duration::from_secs(2)))),
    );
    let runtime = w.home().join("runtime");
    std::fs::create_dir(&runtime).unwrap();
    std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700)).unwrap();
    for (profile, flow) in [("modern", "pkce"), ("legacy", "device")] {
        let dir = w.home().join(flow);
        std::fs::create_dir_all(&dir).unwrap();
        let (browser, seen) = recording_browser(&dir);
        let config = dir.join("ssocred.toml");
        std::fs::write(
            &config,
            format!("[login]\nbrowser = \"{}\"\n", browser.display()),
        )
        .unwrap();
        let mut cmd = w.cmd();
        cmd.env("DISPLAY", ":0")
            .env("XDG_RUNTIME_DIR", &runtime)
            .args(["login", "-p", profile, "--config"])
            .arg(&config);
        let run = Running::start(cmd);
        let printed = if flow == "pkce" {
            url_in(&run.line_with("/authorize?"))
        } else {
            run.line_with("user_code=").trim().to_owned()
        };
        let argv = seen_file(&seen, "argv");
        for secret in ["state=", "code_challenge", "user_code", "authorize"] {
            assert!(!argv.contains(secret), "{flow}: {secret} in {argv}");
        }
        assert!(argv.trim_end().starts_with("file:///"), "{argv}");
        let page_path = std::path::PathBuf::from(seen_file(&seen, "path").trim_end());
        assert_eq!(page_path.parent().unwrap(), runtime.join("ssocred"));
        assert_eq!(seen_file(&seen, "mode"), "600\n", "{flow}");
        assert_eq!(seen_file(&seen, "dir-mode"), "700\n", "{flow}");
        let page = std::fs::read_to_string(seen.join("page.html")).unwrap();
        let forward = format!(
            "<meta http-equiv=\"refresh\" content=\"0;url={}\">",
            printed.replace('&', "&amp;")
        );
        assert!(page.contains(&forward), "{page}");
        if flow == "pkce" {
            assert!(
                page_path.exists(),
                "the page is there while the login waits"
            );
            let (_, location) = browser_get(&printed);
            let (status, _) = browser_get(&location.unwrap());
            assert_eq!(status, 200);
        }
        let (code, _, stderr) = run.finish();
        assert!(code.success(), "{flow}: {stderr}");
        assert!(!page_path.exists(), "{flow}: the page outlived the login");
        assert_eq!(
            std::fs::read_dir(runtime.join("ssocred")).unwrap().count(),
            0,
            "{flow}"
        );
    }
}
