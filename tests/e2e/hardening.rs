//! Hardening rules outside the hostile-server cases: a closed stderr never
//! turns an error into SIGABRT, proxy values that are not URLs are usage
//! errors naming the variable, and `NO_PROXY=host:port` entries match as
//! botocore matches them (docs/security.md).

use std::process::{Command, Output, Stdio};

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

/// Runs `cmd` with stderr a pipe nobody reads any more.
fn with_closed_stderr(cmd: &mut Command) -> Output {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    cmd.stdout(Stdio::piped()).stderr(writer).run_to_end()
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
        let out = with_closed_stderr(&mut cmd);
        assert_eq!(
            out.status.code(),
            Some(code),
            "{args:?}: {:?} (a panic on the closed pipe aborts)",
            out.status
        );
    }
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
