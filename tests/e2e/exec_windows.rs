//! `ssocred exec` on Windows: the child's environment and exit code, a
//! missing command, the nesting guard, `--via serve`, and the Job Object
//! that ends the command when ssocred ends (docs/platforms.md). The
//! commands are `cmd` lines; the Unix module `exec` runs `sh` scripts and
//! sends signals.

use std::time::Duration;

use serde_json::Value;

use crate::running::*;
use crate::world::*;

const ARGS: [&str; 5] = ["exec", "-p", "modern", "-r", READ_ONLY_ARN];

fn exec_cmd(w: &World, extra: &[&str], child: &[&str]) -> std::process::Command {
    let mut cmd = w.cmd();
    cmd.args(ARGS).args(extra).arg("--").args(child);
    cmd
}

#[test]
fn child_gets_the_credentials_and_its_exit_code_is_returned() {
    let w = World::new();
    let line = "echo %AWS_ACCESS_KEY_ID% %AWS_REGION% %SSOCRED_EXEC% %AWS_PROFILE%& exit 7";
    let out = exec_cmd(&w, &["--region", "ap-south-1"], &["cmd", "/C", line])
        // Stale credentials in the parent must not reach the child.
        .env("AWS_ACCESS_KEY_ID", "AKIASTALE")
        .run_to_end();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(7), "{stderr}");
    let i = w.only_issued();
    // cmd leaves an unset variable as written.
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim_end(),
        format!(
            "{} ap-south-1 {READ_ONLY_ARN} %AWS_PROFILE%",
            i.access_key_id
        )
    );
}

#[test]
fn a_missing_command_is_127_and_nesting_is_refused() {
    let w = World::new();
    let out = exec_cmd(&w, &[], &["no-such-command-ssocred"]).run_to_end();
    assert_eq!(out.status.code(), Some(127));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot run `no-such-command-ssocred`"));

    let out = exec_cmd(&w, &[], &["cmd", "/C", "exit 0"])
        .env("SSOCRED_EXEC", "arn:aws:iam::111111111111:role/Outer")
        .run_to_end();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already inside `ssocred exec`"));
}

/// With `--via serve` the child gets the endpoint, not keys; when ssocred
/// is killed, the Job Object ends the child with it: the child's end of
/// ssocred's stdout closes.
#[test]
fn via_serve_serves_the_child_and_the_child_ends_with_ssocred() {
    let w = World::new();
    let line = "echo %AWS_CONTAINER_CREDENTIALS_FULL_URI%& echo %AWS_CONTAINER_AUTHORIZATION_TOKEN%& set /p reply=";
    let mut running = Running::spawn(exec_cmd(&w, &["--via", "serve"], &["cmd", "/C", line]));
    let url = running.stdout_line();
    let token = running.stdout_line();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let (status, body) = http_get(&url, Some(&token));
    assert_eq!(status, 200, "{body}");
    let doc: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(doc["AccessKeyId"], w.only_issued().access_key_id.as_str());
    // The child waits for a line on stdin that never comes.
    running.kill();
    assert!(
        running.stdout_ends_within(Duration::from_secs(20)),
        "the child outlived ssocred"
    );
}
