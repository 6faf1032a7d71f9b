//! Hardening rules outside the hostile-server cases: a closed stderr never
//! turns an error into SIGABRT, proxy values that are not URLs are usage
//! errors naming the variable, and `NO_PROXY=host:port` entries match as
//! botocore matches them (docs/security.md).

use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use ssocred_test_support::ForwardProxy;

use crate::world::*;

const GET: &[&str] = &[
    "-p",
    "modern",
    "-r",
    READ_ONLY_ARN,
    "--sink",
    "json",
    "--no-cache",
];

/// Runs `cmd` with stderr a pipe nobody reads any more (stdout and stdin
/// /dev/null), to its end within [`RUN_DEADLINE`].
fn with_closed_stderr(cmd: &mut Command) -> ExitStatus {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    run_as_set(cmd.stdout(Stdio::null()).stderr(writer))
}

/// Runs `cmd` with the standard streams it was given (`run_to_end` would
/// pipe stdout and stderr), stdin /dev/null, to its end within
/// [`RUN_DEADLINE`].
fn run_as_set(cmd: &mut Command) -> ExitStatus {
    let mut child = cmd
        .stdin(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
    let deadline = Instant::now() + RUN_DEADLINE;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            panic!("{cmd:?} still runs after {RUN_DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn a_closed_stderr_keeps_the_documented_exit_code() {
    let w = World::new();
    // Arguments, environment, exit code.
    type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], i32);
    let cases: [Case<'_>; 3] = [
        // The proxy refuses: exit 6, said on stderr.
        (GET, &[("HTTP_PROXY", "http://127.0.0.1:1")], 6),
        // A usage error: exit 2.
        (
            &["-p", "modern", "-r", "not-an-arn", "--sink", "json"],
            &[],
            2,
        ),
        // Trace lines (-v) on the way to a success.
        (&[GET, &["-v"]].concat(), &[], 0),
    ];
    for (args, env, code) in cases {
        let mut cmd = w.cmd();
        cmd.args(args).envs(env.iter().copied());
        let status = with_closed_stderr(&mut cmd);
        assert_eq!(
            status.code(),
            Some(code),
            "{args:?}: {status:?} (a panic on the closed pipe aborts)"
        );
    }
}

/// A reader that went away is an error ssocred handles (EPIPE), not a fatal
/// SIGPIPE, even when ssocred starts with SIGPIPE at its default action, as
/// a shell starts it: `env --default-signal` (GNU coreutils) sets that up,
/// since the test runner ignores SIGPIPE and its children inherit that.
/// A closed stderr keeps the usage error's exit 2; a closed stdout is no
/// failure (`ssocred sinks | head -0`).
#[cfg(target_os = "linux")]
#[test]
fn a_reader_gone_is_not_a_fatal_signal() {
    let w = World::new();
    let ssocred = env!("CARGO_BIN_EXE_ssocred");
    let mut usage_error = w.command("env");
    usage_error.args(["--default-signal=PIPE", ssocred]).args([
        "-p",
        "modern",
        "-r",
        "not-an-arn",
        "--sink",
        "json",
    ]);
    let status = with_closed_stderr(&mut usage_error);
    assert_eq!(status.code(), Some(2), "{status:?}");

    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let mut listing = w.command("env");
    listing.args(["--default-signal=PIPE", ssocred, "sinks"]);
    let status = run_as_set(listing.stdout(writer).stderr(Stdio::null()));
    assert_eq!(status.code(), Some(0), "{status:?}");
}

#[test]
fn proxy_values_that_are_not_urls_exit_2_naming_the_variable() {
    let w = World::new();
    for (variable, value) in [
        ("HTTPS_PROXY", ":99999"),
        ("https_proxy", ":abc"),
        ("HTTP_PROXY", "http://user:pw-SECRET@[::1"),
        ("ALL_PROXY", "http://user:pw-SECRET@proxy:0"),
    ] {
        let out = w.cmd().args(GET).env(variable, value).run_to_end();
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{variable}={value}: {stderr}");
        // Windows names variables without regard to case: `https_proxy`
        // is HTTPS_PROXY there, and ssocred names it so.
        let named = format!("environment {variable}");
        assert!(
            stderr.contains(&named)
                || (cfg!(windows)
                    && stderr
                        .to_ascii_lowercase()
                        .contains(&named.to_ascii_lowercase())),
            "{stderr}"
        );
        assert!(!stderr.contains("pw-SECRET"), "{stderr}");
    }
    assert!(w.emulator.issued().is_empty(), "a call was made");
}

#[test]
fn no_proxy_host_port_entries_bypass_the_proxy_as_in_botocore() {
    let w = World::new();
    let proxy = ForwardProxy::start().unwrap();
    let port = w.emulator.url().rsplit(':').next().unwrap().to_owned();
    let run = |no_proxy: &str| {
        proxy.reset();
        let out = w
            .cmd()
            .args(GET)
            .env("HTTP_PROXY", proxy.url())
            .env("NO_PROXY", no_proxy)
            .run_to_end();
        assert!(out.status.success(), "{no_proxy}: {}", text(&out.stderr));
        proxy.traffic().forwarded
    };
    for bypassing in [
        format!("127.0.0.1:{port}"),
        format!("other, .127.0.0.1:{port}"),
    ] {
        assert_eq!(run(&bypassing), 0, "NO_PROXY={bypassing} was not honoured");
    }
    // Another port: through the proxy.
    let other = format!("127.0.0.1:{}", port.parse::<u16>().unwrap() ^ 1);
    assert!(run(&other) >= 1, "NO_PROXY={other} bypassed the proxy");
}

/// Started with its standard descriptors closed (a shell's `<&- >&-`),
/// ssocred opens them on `/dev/null` before it opens anything else: the env
/// sink's lines, credentials among them, never land in a file that took
/// descriptor 1, and the credentials file holds its profile alone. (Unix
/// only: a shell hands Windows programs no descriptor numbers.)
#[cfg(unix)]
#[test]
fn closed_standard_descriptors_never_become_a_file() {
    let w = World::new();
    let mut cmd = w.command("sh");
    cmd.arg("-c")
        .arg(r#"exec "$0" "$@" <&- >&-"#)
        .arg(env!("CARGO_BIN_EXE_ssocred"))
        .args(["-p", "modern", "-r", READ_ONLY_ARN, "--no-cache"])
        .args(["--sink", "credentials-file", "--sink", "env"]);
    let out = cmd.run_to_end();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let issued = w.only_issued();
    let written = std::fs::read_to_string(w.credentials_path()).unwrap();
    assert!(
        written.contains(&issued.access_key_id) && !written.contains("export "),
        "the credentials file holds what stdout was meant to get:\n{written}"
    );
    // Nothing else in HOME took the lines either.
    for entry in walk(w.home()) {
        let bytes = std::fs::read(&entry).unwrap_or_default();
        assert!(
            !String::from_utf8_lossy(&bytes).contains("export AWS_"),
            "{} holds the env sink's lines",
            entry.display()
        );
    }
}

/// Every regular file under `dir`.
#[cfg(unix)]
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        match entry.file_type() {
            Ok(t) if t.is_dir() => files.extend(walk(&path)),
            Ok(t) if t.is_file() => files.push(path),
            _ => {}
        }
    }
    files
}
