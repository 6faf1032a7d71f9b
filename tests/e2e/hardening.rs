//! Hardening rules outside the hostile-server cases: a closed stderr never
//! turns an error into SIGABRT, proxy values that are not URLs are usage
//! errors naming the variable, and `NO_PROXY=host:port` entries match as
//! botocore matches them (docs/security.md).

use std::process::{Command, Output, Stdio};

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

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs `cmd` with stderr a pipe nobody reads any more.
fn with_closed_stderr(cmd: &mut Command) -> Output {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    cmd.stdout(Stdio::piped()).stderr(writer).output().unwrap()
}

#[test]
fn a_closed_stderr_keeps_the_documented_exit_code() {
    let w = World::new();
    let cases: [(&[&str], &[(&str, &str)], i32); 3] = [
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
