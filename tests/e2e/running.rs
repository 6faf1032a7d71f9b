//! Helpers for ssocred processes that keep running (`exec`, `serve`,
//! `--watch`): line-by-line output with timeouts, signals, and a plain HTTP
//! client for the container-credentials endpoint.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

/// How long any single wait in these tests may take before it fails.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// A running process whose stdout and stderr arrive line by line.
pub struct Running {
    child: Child,
    stdout: Receiver<String>,
    stderr: Receiver<String>,
    /// Every stderr line seen so far.
    pub stderr_seen: Vec<String>,
}

fn lines(stream: impl Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

impl Running {
    /// Spawns `cmd` with stdin, stdout and stderr piped.
    pub fn spawn(mut cmd: Command) -> Running {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = lines(child.stdout.take().unwrap());
        let stderr = lines(child.stderr.take().unwrap());
        Running {
            child,
            stdout,
            stderr,
            stderr_seen: Vec::new(),
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The next stdout line; fails the test after [`PATIENCE`].
    pub fn stdout_line(&mut self) -> String {
        match self.stdout.recv_timeout(PATIENCE) {
            Ok(line) => line,
            Err(e) => {
                self.drain_stderr();
                panic!(
                    "no stdout line ({e:?}); stderr so far:\n{}",
                    self.stderr_seen.join("\n")
                )
            }
        }
    }

    /// Waits for a stderr line containing `needle` and returns it.
    pub fn stderr_line_with(&mut self, needle: &str) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stderr.recv_timeout(left) {
                Ok(line) => {
                    self.stderr_seen.push(line.clone());
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => panic!(
                    "no stderr line with `{needle}`; stderr:\n{}",
                    self.stderr_seen.join("\n")
                ),
            }
        }
    }

    fn drain_stderr(&mut self) {
        while let Ok(line) = self.stderr.try_recv() {
            self.stderr_seen.push(line);
        }
    }

    /// Writes to the process's stdin.
    pub fn write_stdin(&mut self, text: &str) {
        let stdin = self.child.stdin.as_mut().unwrap();
        stdin.write_all(text.as_bytes()).unwrap();
        stdin.flush().unwrap();
    }

    /// Sends `signal` (a name such as `TERM`) to the process.
    // Unix only: signals are sent with `kill`.
    #[cfg(unix)]
    pub fn signal(&self, signal: &str) {
        let ok = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.pid().to_string())
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -{signal} failed");
    }

    /// Kills the process (on Windows, as Task Manager's "End task" would).
    // Used by the Windows-only exec tests (exec_windows.rs).
    #[cfg_attr(unix, allow(dead_code))]
    pub fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// Whether its stdout reaches its end within `patience`: every process
    /// holding the pipe (the process, and any child it gave the pipe) has
    /// ended. Lines still coming are read and dropped.
    #[cfg_attr(unix, allow(dead_code))]
    pub fn stdout_ends_within(&mut self, patience: Duration) -> bool {
        let deadline = Instant::now() + patience;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stdout.recv_timeout(left) {
                Ok(_) => continue,
                Err(RecvTimeoutError::Disconnected) => return true,
                Err(RecvTimeoutError::Timeout) => return false,
            }
        }
    }

    /// Waits for the process to end; returns its status, the rest of its
    /// stdout and all of its stderr.
    pub fn finish(mut self) -> (ExitStatus, String, String) {
        let deadline = Instant::now() + PATIENCE;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(Instant::now() < deadline, "process did not end");
            std::thread::sleep(Duration::from_millis(20));
        };
        let rest: Vec<String> = self.stdout.iter().collect();
        self.stderr_seen.extend(self.stderr.iter());
        (status, rest.join("\n"), self.stderr_seen.join("\n"))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads `export NAME='VALUE'` lines (the sh syntax, values without quotes
/// inside) into (name, value) pairs.
pub fn parse_exports(lines: &[String]) -> Vec<(String, String)> {
    lines
        .iter()
        .map(|line| {
            let rest = line.strip_prefix("export ").expect(line);
            let (name, value) = rest.split_once('=').unwrap();
            let value = value
                .strip_prefix('\'')
                .unwrap()
                .strip_suffix('\'')
                .unwrap();
            (name.to_owned(), value.to_owned())
        })
        .collect()
}

/// A plain HTTP/1.1 GET; returns the status code and the body.
pub fn http_get(url: &str, authorization: Option<&str>) -> (u16, String) {
    let rest = url.strip_prefix("http://").expect(url);
    let (host, path) = rest.split_at(rest.find('/').unwrap());
    let mut stream = TcpStream::connect(host).unwrap();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    let auth = authorization
        .map(|a| format!("Authorization: {a}\r\n"))
        .unwrap_or_default();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\n{auth}Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, body.to_owned())
}
