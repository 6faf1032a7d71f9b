//! The `ssocred-emulator` binary: its flags, its one line of output, the port
//! file, and the ways it stops.

mod support;

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use support::{get, request};

const BINARY: &str = env!("CARGO_BIN_EXE_ssocred-emulator");

struct Running {
    child: Child,
    stdout: BufReader<ChildStdout>,
    port: u16,
    /// The announced URL, without the newline.
    url: String,
}

/// Starts the binary and reads its announcement line.
fn spawn(args: &[&str]) -> Running {
    let mut child = Command::new(BINARY)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start ssocred-emulator");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let port = line
        .strip_prefix("ssocred-emulator listening on ")
        .and_then(|url| {
            url.strip_prefix("http://127.0.0.1:")
                .or_else(|| url.strip_prefix("https://127.0.0.1:"))
        })
        .and_then(|rest| rest.strip_suffix('\n'))
        .and_then(|port| port.parse().ok())
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
    Running {
        child,
        stdout,
        port,
        url: line
            .trim_end()
            .rsplit(' ')
            .next()
            .unwrap_or_default()
            .to_owned(),
    }
}

fn wait(child: &mut Child) -> ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("ssocred-emulator did not stop");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn serves_the_flags_config_and_exits_at_stdin_eof() {
    let dir = tempfile::tempdir().unwrap();
    let port_file = dir.path().join("emulator.port");
    let mut running = spawn(&[
        "--exit-on-stdin-eof",
        "--port-file",
        port_file.to_str().unwrap(),
        "--accounts",
        "2",
        "--roles-per-account",
        "3",
        "--token",
        "first",
        "--token",
        "second",
        "--page-size",
        "1",
        "--credential-lifetime-secs",
        "60",
    ]);
    let port = running.port;

    let written = std::fs::read_to_string(&port_file).unwrap();
    let entries: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    let accounts = get(port, "/assignment/accounts", Some("second")).json();
    let default_token = get(port, "/assignment/accounts", Some("emulator-token"));
    let creds = get(
        port,
        "/federation/credentials?role_name=Developer&account_id=100000000001",
        Some("first"),
    )
    .json();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;

    assert_eq!(written, format!("{port}\n"));
    assert_eq!(entries.len(), 1, "no temporary file is left behind");
    assert_eq!(accounts["accountList"].as_array().unwrap().len(), 1);
    assert!(accounts["nextToken"].is_string());
    assert_eq!(default_token.status, 401, "--token replaces the default");
    let expires_in = creds["roleCredentials"]["expiration"].as_i64().unwrap() / 1000 - now;
    assert!((59..=61).contains(&expires_in), "{expires_in}");

    drop(running.child.stdin.take());
    assert!(wait(&mut running.child).success());
    let mut rest = String::new();
    running.stdout.read_to_string(&mut rest).unwrap();
    assert_eq!(rest, "", "exactly one line on stdout");
}

#[test]
fn misbehaviour_flags_apply() {
    let mut running = spawn(&[
        "--accounts",
        "1",
        "--throttle-every",
        "2",
        "--latency-ms",
        "100",
        "--trailing-empty-page",
    ]);
    let port = running.port;

    let started = Instant::now();
    let first = get(port, "/assignment/accounts", Some("emulator-token"));
    let elapsed = started.elapsed();
    let second = get(port, "/assignment/accounts", Some("emulator-token"));
    let counts = get(port, "/_emulator/counts", None).json();
    let reset = request(port, "POST", "/_emulator/reset", &[]);
    let counts_after = get(port, "/_emulator/counts", None).json();
    running.child.kill().unwrap();
    running.child.wait().unwrap();

    assert_eq!(first.status, 200);
    assert!(elapsed >= Duration::from_millis(100), "{elapsed:?}");
    assert!(first.json()["nextToken"].is_string(), "trailing empty page");
    second.expect_error(429, "TooManyRequestsException");
    assert_eq!(counts["ListAccounts"], 2);
    assert_eq!(counts["Throttled"], 1);
    assert_eq!(reset.status, 204);
    assert_eq!(counts_after["ListAccounts"], 0);
}

#[cfg(unix)]
#[test]
fn stops_cleanly_on_sigterm_and_sigint() {
    for signal in ["TERM", "INT"] {
        let mut running = spawn(&[]);
        assert_eq!(
            get(running.port, "/assignment/accounts", Some("emulator-token")).status,
            200
        );

        let sent = Command::new("kill")
            .args([format!("-{signal}"), running.child.id().to_string()])
            .status()
            .unwrap();

        assert!(sent.success());
        assert!(wait(&mut running.child).success(), "SIG{signal}");
    }
}

#[test]
fn a_taken_port_is_a_clear_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();

    let output = Command::new(BINARY)
        .args(["--port", &port])
        .stdin(Stdio::null())
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(1));
    assert_eq!(output.stdout, b"");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.starts_with(&format!(
            "ssocred-emulator: error: cannot listen on 127.0.0.1:{port}: "
        )),
        "{stderr}"
    );
}

#[tokio::test]
async fn tls_serves_https_and_writes_the_ca_file() {
    use aws_smithy_http_client::tls::rustls_provider::CryptoMode;
    use aws_smithy_http_client::tls::{Provider, TlsContext, TrustStore};

    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    let port_file = dir.path().join("emulator.port");
    let mut running = spawn(&[
        "--tls",
        "--ca-out",
        ca_file.to_str().unwrap(),
        "--port-file",
        port_file.to_str().unwrap(),
    ]);

    let ca_pem = std::fs::read_to_string(&ca_file).unwrap();
    let entries = std::fs::read_dir(dir.path()).unwrap().count();
    let trust_store = TrustStore::empty()
        .with_native_roots(false)
        .with_pem_certificate(ca_pem.as_bytes());
    let http_client = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .tls_context(
            TlsContext::builder()
                .with_trust_store(trust_store)
                .build()
                .unwrap(),
        )
        .build_https();
    let config = aws_sdk_sso::Config::builder()
        .behavior_version(aws_sdk_sso::config::BehaviorVersion::latest())
        .region(aws_sdk_sso::config::Region::new("eu-west-1"))
        .endpoint_url(&running.url)
        .http_client(http_client)
        .build();
    let accounts = aws_sdk_sso::Client::from_conf(config)
        .list_accounts()
        .access_token("emulator-token")
        .send()
        .await;
    running.child.kill().unwrap();
    running.child.wait().unwrap();

    assert_eq!(running.url, format!("https://127.0.0.1:{}", running.port));
    // The PEM writer ends lines with \r\n on Windows.
    assert_eq!(
        ca_pem.lines().next(),
        Some("-----BEGIN CERTIFICATE-----"),
        "{ca_pem}"
    );
    assert!(
        ca_pem.trim_end().ends_with("-----END CERTIFICATE-----"),
        "{ca_pem}"
    );
    assert_eq!(entries, 2, "the CA and port files, no temporary file");
    let accounts = accounts.expect("the SDK trusts the emulator through the written CA");
    assert_eq!(accounts.account_list().len(), 3);
}

#[test]
fn rate_limit_flags_apply() {
    let mut running = spawn(&["--rate-limit", "0.2", "--rate-burst", "2"]);
    let port = running.port;

    let statuses: Vec<u16> = (0..2)
        .map(|_| get(port, "/assignment/accounts", Some("emulator-token")).status)
        .collect();
    let third = get(port, "/assignment/accounts", Some("emulator-token"));
    let counts = get(port, "/_emulator/counts", None).json();
    running.child.kill().unwrap();
    running.child.wait().unwrap();

    assert!(
        running.url.starts_with("http://"),
        "plain HTTP without --tls"
    );
    assert_eq!(statuses, [200, 200]);
    third.expect_error(429, "TooManyRequestsException");
    assert_eq!(counts["Throttled"], 1);
}

#[test]
fn an_unwritable_ca_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("missing").join("ca.pem");

    let output = Command::new(BINARY)
        .args(["--tls", "--ca-out", ca_file.to_str().unwrap()])
        .stdin(Stdio::null())
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(1));
    assert_eq!(output.stdout, b"");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.starts_with(&format!(
            "ssocred-emulator: error: cannot write CA certificate {}: ",
            ca_file.display()
        )),
        "{stderr}"
    );
}
