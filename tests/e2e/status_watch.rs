//! `status --watch`: reports at the threshold and at expiry through the
//! notification command (or the desktop notifier), once per token; a token
//! replaced by a new login while watching; no network call; a clean stop on
//! SIGINT and SIGTERM.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use time::OffsetDateTime;

use crate::running::Running;
use crate::world::*;

/// A token expiring `secs` from now, written as a login writes it: whole,
/// by rename, so the watch never reads half a file.
fn write_token_in(w: &World, secs: i64) -> String {
    let expires = ssocred_core::domain::time_fmt::utc_z(
        OffsetDateTime::now_utc() + time::Duration::seconds(secs),
    );
    let path = w.token_path("corp");
    let body = serde_json::json!({"accessToken": TOKEN, "expiresAt": expires});
    let temp = path.with_extension("tmp");
    std::fs::write(&temp, body.to_string()).unwrap();
    std::fs::rename(&temp, &path).unwrap();
    expires
}

/// The lines of `log` once it holds `n`, within 20 s.
fn lines_once(log: &Path, n: usize) -> Vec<String> {
    wait_for(Duration::from_secs(20), || {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        let lines: Vec<String> = text.lines().map(str::to_owned).collect();
        if lines.len() < n {
            return Err(format!("wanted {n} lines, have {lines:?}"));
        }
        Ok(lines)
    })
}

fn watch(w: &World, extra: &[&str]) -> Running {
    let mut cmd = w.cmd();
    cmd.args([
        "status",
        "-p",
        "modern",
        "--watch",
        "--threshold",
        "1",
        "--interval",
        "1",
    ])
    .args(extra);
    Running::spawn(cmd)
}

/// Sends `signal` and returns the exit code and stderr, within 10 s.
// Unix only: signals are sent with `kill`.
#[cfg(unix)]
fn stop(child: Child, signal: &str) -> (Option<i32>, String) {
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args([signal, &pid])
            .status()
            .unwrap()
            .success()
    );
    let started = Instant::now();
    let out = child.wait_with_output().unwrap();
    assert!(started.elapsed() < Duration::from_secs(10));
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// An instant as ssocred writes it (UTC, `Z`).
fn instant(text: &str) -> OffsetDateTime {
    OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|e| panic!("not an instant: {text:?}: {e}"))
}

/// The instant a watch line (`ssocred: TIME message`) was written.
fn reported_at(line: &str) -> OffsetDateTime {
    instant(line.split_whitespace().nth(1).unwrap_or_default())
}

#[test]
fn watch_reports_threshold_and_expiry_once_per_token_through_the_command() {
    let w = World::new();
    let log = w.home().join("notified.log");
    let first = write_token_in(&w, 63);
    // The command runs through the system's shell: `sh -c`, or `cmd /C`
    // on Windows (its `echo` ends the line with CRLF, which `lines` drops).
    let command = if cfg!(windows) {
        format!(
            "echo %SSOCRED_EVENT% %SSOCRED_PROFILE% %SSOCRED_EXPIRES%>>\"{}\"",
            log.display()
        )
    } else {
        format!(
            "printf '%s %s %s\\n' \"$SSOCRED_EVENT\" \"$SSOCRED_PROFILE\" \"$SSOCRED_EXPIRES\" >> '{}'",
            log.display()
        )
    };
    let mut running = watch(&w, &["--notify-command", &command]);
    running.stderr_line_with("ssocred: watching");
    // Valid for 63 s with a 60 s threshold: silent at first, then the
    // crossing, reported once. Every report is written to stderr before
    // its command runs, so the first one shows when it came.
    let crossing = reported_at(&running.stderr_line_with("expires in"));
    // 60 s before the expiry, less a second for the rounding of both.
    let threshold = instant(&first) - time::Duration::seconds(61);
    assert!(
        crossing >= threshold,
        "reported at {crossing}, before the threshold"
    );
    assert_eq!(lines_once(&log, 1), [format!("expiring modern {first}")]);
    // A new login while watching: said on stderr, and (the three lines
    // below show) not through the command.
    write_token_in(&w, 86_400);
    running.stderr_line_with("was renewed");
    // Replaced by one that is close to expiry, then expires: both reported.
    let last = write_token_in(&w, 3);
    let lines = lines_once(&log, 3);
    assert_eq!(
        lines,
        [
            format!("expiring modern {first}"),
            format!("expiring modern {last}"),
            format!("expired modern {last}"),
        ]
    );
    // A second report of the expiry would come at the next check: the
    // watch reads every 1 s, so 2 s hold two more checks.
    std::thread::sleep(Duration::from_secs(2));
    let stderr = if cfg!(windows) {
        // A test cannot send Ctrl-C to a process of the same console
        // without hitting itself: the watch is ended, and what it said as
        // it ran is checked (docs/platforms.md, "Tests").
        running.kill();
        running.finish().2
    } else {
        #[cfg(unix)]
        running.signal("INT");
        let (status, _, stderr) = running.finish();
        assert_eq!(status.code(), Some(0), "{stderr}");
        assert!(stderr.contains("stopping on SIGINT"), "{stderr}");
        stderr
    };
    assert_eq!(lines_once(&log, 3).len(), 3, "an expiry was reported twice");
    assert_eq!(stderr.matches("expired at").count(), 1, "{stderr}");
    assert!(stderr.contains("was renewed"), "{stderr}");
    assert!(
        stderr.contains("expired at") && stderr.contains("run `ssocred login -p modern`"),
        "{stderr}"
    );
    // Files only: not one call to the emulator.
    assert_eq!(all_calls(&w), 0);
}

/// A token with a refresh token and a live client registration, its access
/// token expiring `secs` from now and its registration `until` from now.
fn write_refreshable_token_in(w: &World, secs: i64, until: i64) -> String {
    let at = |s: i64| {
        ssocred_core::domain::time_fmt::utc_z(
            OffsetDateTime::now_utc() + time::Duration::seconds(s),
        )
    };
    let path = w.token_path("corp");
    let body = serde_json::json!({
        "accessToken": TOKEN,
        "expiresAt": at(secs),
        "clientId": "client-id",
        "clientSecret": "watch-SECRET-client-secret",
        "refreshToken": "watch-SECRET-refresh-token",
        "registrationExpiresAt": at(until),
    });
    let temp = path.with_extension("tmp");
    std::fs::write(&temp, body.to_string()).unwrap();
    std::fs::rename(&temp, &path).unwrap();
    at(until)
}

/// A login the next command renews by itself is not a call to log in: the
/// watch says it renews on next use (terminal only), and warns, through
/// the command, when the refresh itself is about to run out.
#[test]
fn watch_says_a_refreshable_login_renews_on_use_and_warns_when_the_refresh_ends() {
    let w = World::new();
    let log = w.home().join("notified.log");
    write_refreshable_token_in(&w, 30, 30 * 86_400);
    let command = if cfg!(windows) {
        format!(
            "echo %SSOCRED_EVENT% %SSOCRED_EXPIRES%>>\"{}\"",
            log.display()
        )
    } else {
        format!(
            "printf '%s %s\\n' \"$SSOCRED_EVENT\" \"$SSOCRED_EXPIRES\" >> '{}'",
            log.display()
        )
    };
    let mut running = watch(&w, &["--notify-command", &command]);
    let line = running.stderr_line_with("renews on next use");
    assert!(!line.contains("ssocred login"), "{line}");
    // The registration ends within the threshold: now a login is needed.
    let until = write_refreshable_token_in(&w, -10, 30);
    let line = running.stderr_line_with("can renew itself");
    assert!(line.contains("run `ssocred login -p modern`"), "{line}");
    assert_eq!(lines_once(&log, 1), [format!("expiring {until}")]);
    running.kill();
    let (_, _, stderr) = running.finish();
    for secret in [TOKEN, "watch-SECRET"] {
        assert!(!stderr.contains(secret), "{secret} shown:\n{stderr}");
    }
    assert!(!stderr.contains("expired at"), "{stderr}");
    assert_eq!(all_calls(&w), 0);
}

// Unix only: a shell script stands in for notify-send, and SIGTERM stops the watch.
#[cfg(unix)]
#[test]
fn watch_notifies_the_desktop_by_default_and_stops_on_sigterm() {
    let w = World::new();
    write_token_in(&w, 30);
    // A notify-send of the test's own, first on PATH.
    let bin = w.home().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let log = w.home().join("desktop.log");
    let script = bin.join("notify-send");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nfor a in \"$@\"; do printf '[%s]' \"$a\"; done >> '{}'\necho >> '{}'\n",
            log.display(),
            log.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let child = w
        .cmd()
        .env("PATH", path)
        .args([
            "status",
            "-p",
            "modern",
            "--watch",
            "--threshold",
            "1",
            "--interval",
            "1",
        ])
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = lines_once(&log, 1);
    assert!(
        lines[0].starts_with(
            "[--app-name=ssocred][--][ssocred: modern][the SSO login of profile modern expires in"
        ),
        "{lines:?}"
    );
    let (code, stderr) = stop(child, "-TERM");
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("stopping on SIGTERM"), "{stderr}");
    assert!(stderr.contains("expires in"), "{stderr}");
}

#[test]
fn watch_flags_need_watch_and_exclude_the_one_shot_forms() {
    let w = World::new();
    // Exit 2 alone would not tell these from a flag clap does not know.
    for (args, message) in [
        (
            &["status", "--notify-command", "true"][..],
            "--notify-command applies only with --watch",
        ),
        (
            &["status", "--interval", "5"],
            "--interval applies only with --watch",
        ),
        (
            &["status", "--watch", "--json"],
            "the argument '--watch' cannot be used with '--json'",
        ),
        (
            &["status", "--watch", "--check"],
            "the argument '--watch' cannot be used with '--check'",
        ),
    ] {
        let out = w.run(args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(message), "{args:?}: {err}");
    }
}
