//! `ssocred exec`: the child's environment, stdio, exit codes, signal
//! forwarding, the nesting guard and `--via serve`.

use serde_json::Value;
use ssocred_emulator::Operation;

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
    let script = "for v in AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN \
                  AWS_CREDENTIAL_EXPIRATION AWS_REGION AWS_DEFAULT_REGION SSOCRED_EXEC; do \
                  printf '%s=%s\\n' \"$v\" \"$(printenv $v)\"; done; \
                  printf 'profile=%s\\n' \"${AWS_PROFILE-unset}\"; exit 7";
    let out = exec_cmd(&w, &["--region", "ap-south-1"], &["sh", "-c", script])
        // Stale credentials and a profile in the parent must not reach the child.
        .env("AWS_ACCESS_KEY_ID", "AKIASTALE")
        .env("AWS_SESSION_TOKEN", "stale")
        .env("AWS_PROFILE", "legacy")
        .run_to_end();
    assert_eq!(
        out.status.code(),
        Some(7),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let i = w.only_issued();
    let expected = format!(
        "AWS_ACCESS_KEY_ID={}\nAWS_SECRET_ACCESS_KEY={}\nAWS_SESSION_TOKEN={}\n\
         AWS_CREDENTIAL_EXPIRATION={}\nAWS_REGION=ap-south-1\nAWS_DEFAULT_REGION=ap-south-1\n\
         SSOCRED_EXEC={READ_ONLY_ARN}\nprofile=unset\n",
        i.access_key_id,
        i.secret_access_key,
        i.session_token,
        expiration_z(&i)
    );
    assert_eq!(String::from_utf8(out.stdout).unwrap(), expected);
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn stdin_and_stdout_pass_through() {
    let w = World::new();
    let out = ssocred_test_support::run_with_stdin(
        &mut exec_cmd(&w, &[], &["sh", "-c", "tr a-z A-Z; echo err >&2"]),
        b"hello\nworld\n",
    );
    assert!(out.status.success());
    assert_eq!(out.stdout, b"HELLO\nWORLD\n");
    assert_eq!(out.stderr, b"err\n");
}

#[test]
fn a_child_killed_by_a_signal_gives_128_plus_the_signal() {
    let w = World::new();
    for (signal, code) in [("KILL", 137), ("TERM", 143), ("INT", 130)] {
        let script = format!("kill -{signal} $$");
        let out = exec_cmd(&w, &[], &["sh", "-c", &script]).run_to_end();
        assert_eq!(out.status.code(), Some(code), "{signal}");
    }
    let out = exec_cmd(&w, &[], &["sh", "-c", "exit 255"]).run_to_end();
    assert_eq!(out.status.code(), Some(255));
    let out = exec_cmd(&w, &[], &["true"]).run_to_end();
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn sigterm_and_sigint_are_forwarded() {
    let w = World::new();
    for signal in ["TERM", "INT"] {
        // The child traps the signal (so only a forwarded copy can end the
        // wait) and exits 40 + the number of traps it ran.
        let script = format!(
            "n=0; trap 'n=$((n+1))' {signal}; echo ready; \
             while [ $n -eq 0 ]; do sleep 0.05; done; sleep 0.5; exit $((40+n))"
        );
        let mut running = Running::spawn(exec_cmd(&w, &[], &["sh", "-c", &script]));
        assert_eq!(running.stdout_line(), "ready");
        running.signal(signal);
        let (status, _, stderr) = running.finish();
        assert_eq!(status.code(), Some(41), "{signal}: {stderr}");
    }
}

#[test]
fn a_forwarded_signal_that_kills_the_child_gives_128_plus_it() {
    let w = World::new();
    let mut running = Running::spawn(exec_cmd(
        &w,
        &[],
        &["sh", "-c", "echo ready; exec sleep 60"],
    ));
    assert_eq!(running.stdout_line(), "ready");
    running.signal("TERM");
    let (status, _, stderr) = running.finish();
    assert_eq!(status.code(), Some(143), "{stderr}");
}

#[test]
fn nesting_is_refused_unless_forced() {
    let w = World::new();
    let out = exec_cmd(&w, &[], &["true"])
        .env("SSOCRED_EXEC", "arn:aws:iam::111111111111:role/Outer")
        .run_to_end();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("already inside `ssocred exec`")
            && err.contains("arn:aws:iam::111111111111:role/Outer")
            && err.contains("--force"),
        "{err}"
    );
    assert_eq!(w.emulator.count(Operation::GetRoleCredentials), 0);

    let out = exec_cmd(&w, &["--force"], &["sh", "-c", "echo $SSOCRED_EXEC"])
        .env("SSOCRED_EXEC", "arn:aws:iam::111111111111:role/Outer")
        .run_to_end();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(out.stdout, format!("{READ_ONLY_ARN}\n").as_bytes());

    // A real nested run: the inner ssocred sees the outer marker.
    let exe = env!("CARGO_BIN_EXE_ssocred");
    let out = exec_cmd(
        &w,
        &[],
        &[
            exe,
            "exec",
            "-p",
            "modern",
            "-r",
            READ_ONLY_ARN,
            "--",
            "true",
        ],
    )
    .run_to_end();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already inside"));
}

#[test]
fn a_missing_command_is_127_and_failures_before_it_keep_their_codes() {
    let w = World::new();
    let out = exec_cmd(&w, &[], &["no-such-command-ssocred"]).run_to_end();
    assert_eq!(out.status.code(), Some(127));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot run `no-such-command-ssocred`"));

    let out = w
        .cmd()
        .args([
            "exec",
            "-p",
            "modern",
            "-r",
            "arn:aws:iam::999999999999:role/Nope",
            "--",
            "true",
        ])
        .run_to_end();
    assert_eq!(out.status.code(), Some(5));

    let out = w.run(&["exec", "-p", "modern", "-r", READ_ONLY_ARN]);
    assert_eq!(out.status.code(), Some(2), "a command is required");
    let out = w.run(&[
        "exec",
        "--watch",
        "-p",
        "modern",
        "-r",
        READ_ONLY_ARN,
        "--",
        "true",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--via serve"));
}

#[test]
fn via_serve_gives_the_child_an_endpoint_instead_of_keys() {
    let w = World::new();
    let script = "echo \"$AWS_CONTAINER_CREDENTIALS_FULL_URI\"; \
                  echo \"$AWS_CONTAINER_AUTHORIZATION_TOKEN\"; \
                  echo \"${AWS_ACCESS_KEY_ID-no key}\"; read reply; exit 3";
    let mut running = Running::spawn(exec_cmd(&w, &["--via", "serve"], &["sh", "-c", script]));
    let url = running.stdout_line();
    let token = running.stdout_line();
    assert_eq!(running.stdout_line(), "no key");
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let (status, body) = http_get(&url, Some(&token));
    assert_eq!(status, 200, "{body}");
    let doc: Value = serde_json::from_str(&body).unwrap();
    let i = w.only_issued();
    assert_eq!(doc["AccessKeyId"], i.access_key_id.as_str());
    assert_eq!(doc["SecretAccessKey"], i.secret_access_key.as_str());
    assert_eq!(doc["Token"], i.session_token.as_str());
    assert_eq!(doc["Expiration"], expiration_z(&i).as_str());
    running.write_stdin("done\n");
    let (status, _, stderr) = running.finish();
    assert_eq!(status.code(), Some(3), "{stderr}");
}

#[test]
fn ctrl_c_at_a_terminal_reaches_the_child_once() {
    let Some(python) = python("Ctrl-C in a pseudo-terminal test") else {
        return;
    };
    let w = World::new();
    // The child takes SIGINT through sigwaitinfo, so each copy is counted as
    // it is dequeued (a shell's trap would merge two that arrive close
    // together), and checks that the first came from the terminal (SI_KERNEL)
    // rather than from a process. It then waits a second for a forwarded
    // copy and exits with 40 + the number of copies, or 30 when the first
    // was not the terminal's.
    let child = "import signal, sys\n\
                 signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})\n\
                 print('ready', flush=True)\n\
                 first = signal.sigwaitinfo({signal.SIGINT})\n\
                 if first.si_code != 0x80: sys.exit(30)\n\
                 more = signal.sigtimedwait({signal.SIGINT}, 1.0)\n\
                 sys.exit(41 if more is None else 42)\n";
    let pty = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/interop/pty_ctrl_c.py"
    );
    let exe = env!("CARGO_BIN_EXE_ssocred");
    let out = w
        .command(&python)
        .arg(pty)
        .args([exe, "exec", "-p", "modern", "-r", READ_ONLY_ARN, "--"])
        .arg(&python)
        .args(["-c", child])
        .run_to_end();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The child got the terminal's SIGINT once, and ssocred, which got it
    // too, forwarded no second copy, kept waiting and returned the child's
    // code.
    assert_eq!(stdout.lines().last(), Some("41"), "{stdout}");
}

/// Kills a process the test started indirectly, even when the test fails.
struct KillOnDrop(String);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = std::process::Command::new("kill")
            .args(["-KILL", &self.0])
            .status();
    }
}

#[test]
fn every_catchable_terminating_signal_is_forwarded_and_waited_for() {
    let w = World::new();
    let signals = [
        ("HUP", 1),
        ("QUIT", 3),
        ("USR1", 10),
        ("USR2", 12),
        ("TERM", 15),
    ];
    for (signal, number) in signals {
        for via in ["env", "serve"] {
            // The child traps the signal, so only a forwarded copy ends its
            // wait; it then works on for half a second and exits 40 + the
            // number of copies: ssocred returning 41 has waited for it and
            // forwarded exactly one. (It gives up after 20 s, so that an
            // orphan left by a killed ssocred fails the test, not hangs it.)
            let script = format!(
                "n=0; i=0; trap 'n=$((n+1))' {signal}; echo ready; \
                 while [ $n -eq 0 ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done; \
                 sleep 0.5; exit $((40+n))"
            );
            let mut running = Running::spawn(exec_cmd(&w, &["--via", via], &["sh", "-c", &script]));
            assert_eq!(running.stdout_line(), "ready");
            running.signal(signal);
            let (status, _, stderr) = running.finish();
            assert_eq!(status.code(), Some(41), "{signal} via {via}: {stderr}");
        }
        // Untrapped, the signal ends the child, and ssocred says so.
        let mut running = Running::spawn(exec_cmd(
            &w,
            &[],
            &["sh", "-c", "ulimit -c 0; echo ready; exec sleep 20"],
        ));
        assert_eq!(running.stdout_line(), "ready");
        running.signal(signal);
        let (status, _, stderr) = running.finish();
        assert_eq!(status.code(), Some(128 + number), "{signal}: {stderr}");
    }
}

#[test]
fn via_serve_ends_with_the_child_even_when_a_grandchild_holds_a_connection() {
    let w = World::new();
    // The child leaves a grandchild holding a half-sent request to the
    // endpoint, waits until it is connected, and exits.
    let script = r#"hp=${AWS_CONTAINER_CREDENTIALS_FULL_URI#http://}; hp=${hp%%/*}
        ( exec 3<>"/dev/tcp/${hp%:*}/${hp##*:}" || exit 1
          printf 'GET /credentials HTTP/1.1\r\nHost: x\r\n' >&3
          : > held; exec sleep 60 ) </dev/null >/dev/null 2>&1 &
        echo $!
        until [ -e held ]; do sleep 0.05; done
        exit 3"#;
    let mut running = Running::spawn(exec_cmd(&w, &["--via", "serve"], &["bash", "-c", script]));
    let _grandchild = KillOnDrop(running.stdout_line());
    let start = std::time::Instant::now();
    let (status, _, stderr) = running.finish();
    let took = start.elapsed();
    assert_eq!(status.code(), Some(3), "{stderr}");
    // The endpoint stops within 250 ms; the rest is slack for a loaded
    // machine (before, ssocred waited for the grandchild to let go).
    assert!(took < std::time::Duration::from_secs(3), "took {took:?}");
}

/// `SSOCRED_EXEC` names the role the credentials are for: with `--assume`,
/// the chain's last role, in both `--via` modes.
#[test]
fn the_marker_names_the_chain_s_last_role() {
    const HUB: &str = "arn:aws:iam::555555555555:role/Hub";
    let w = World::with_emulator(base_emulator().trust(HUB, READ_ONLY_ARN));
    for via in ["env", "serve"] {
        let out = exec_cmd(
            &w,
            &["--assume", HUB, "--via", via],
            &["sh", "-c", "echo $SSOCRED_EXEC"],
        )
        .output()
        .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.stdout, format!("{HUB}\n").as_bytes(), "--via {via}");
    }
}
