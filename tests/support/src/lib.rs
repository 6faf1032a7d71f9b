//! Helpers ssocred's tests share across crates: finding the interop Python
//! (`scripts/test` installs it into `.venv` and sets `SSOCRED_PYTHON`), and
//! running the parsers in `tests/interop/`, and a forward proxy
//! ([`ForwardProxy`]) for proxy tests, a hostile AWS endpoint
//! ([`HostileServer`]) for the tests of what ssocred accepts from servers,
//! a stand-in Kubernetes API server ([`KubeApiStandIn`]), a stand-in Docker
//! daemon ([`DockerDaemonStandIn`]), and finding the real programs (kubectl,
//! docker, shells, direnv) that run what ssocred prints ([`real_tool`]),
//! the one gate of the tests that need root ([`require_root`]), and a
//! bounded wait for a condition ([`wait_for`]).
//!
//! Every test that cannot run here skips through [`skip`]: a loud `SKIPPED`
//! line on stderr, or a failure when the variable that makes it mandatory
//! is `1`. A missing Python fails under `SSOCRED_REQUIRE_INTEROP=1` (set by
//! `scripts/test`, and so by CI), a missing real tool under
//! `SSOCRED_REQUIRE_TOOLS=1`, a missing shell or tmux under
//! `SSOCRED_REQUIRE_SHELLS=1`, and a test that needs root and runs without
//! it under `SSOCRED_REQUIRE_ROOT=1` (set by `.ci/run`, which runs as root).

mod docker_daemon;
mod hostile;
mod kube_api;
mod proxy;

pub use docker_daemon::{DaemonRequest, DockerDaemonStandIn};
pub use hostile::{ENDLESS_LENGTH, HostileServer, Hostility, LISTED_ACCOUNT, LONG_ERROR, Paging};
pub use kube_api::{KubeApiLog, KubeApiStandIn};
pub use proxy::{ForwardProxy, REALM, Traffic};

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Says loudly on stderr that `what` is skipped and why, and how to run it.
///
/// # Panics
///
/// When the variable `required_by` is `1`: the run (`scripts/test`,
/// `.ci/run`) says this test must not be skipped.
pub fn skip(what: &str, why: &str, required_by: &str) {
    assert!(
        std::env::var(required_by).as_deref() != Ok("1"),
        "{required_by}=1 but {what} cannot run: {why}"
    );
    eprintln!("\n!!! SKIPPED: {what}: {why}\n");
}

/// Whether this process runs as root, which `what` needs (to make files
/// owned by another user, to run ssocred as one, to mount); when it does
/// not, [`skip`]s it, saying `why` root is needed.
///
/// # Panics
///
/// When not root and `SSOCRED_REQUIRE_ROOT=1` (`.ci/run` sets it: CI runs
/// as root, so a root-only test that skips there is a failure).
// Unix only: root is uid 0; the tests that need it are Unix-only.
#[cfg(unix)]
pub fn require_root(what: &str, why: &str) -> bool {
    let root = rustix::process::geteuid().is_root();
    if !root {
        skip(
            what,
            &format!("{why}, and this test does not run as root"),
            "SSOCRED_REQUIRE_ROOT",
        );
    }
    root
}

/// The first `name` that is a file in `SSOCRED_TOOLS_DIR` (where
/// `scripts/install-test-tools` puts the tools that are not on PATH), then
/// in each directory of PATH.
pub fn find_program(name: &str) -> Option<PathBuf> {
    let tools_dir = std::env::var_os("SSOCRED_TOOLS_DIR");
    let path = std::env::var_os("PATH").unwrap_or_default();
    tools_dir
        .iter()
        .map(PathBuf::from)
        .chain(std::env::split_paths(&path))
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// Polls `probe` every 50 ms, for at most `patience`, until it gives
/// `Ok`: its value. An `Err` says what it saw instead.
///
/// # Panics
///
/// When `probe` still gives `Err` after `patience`: the message shows the
/// last one.
pub fn wait_for<T>(patience: Duration, mut probe: impl FnMut() -> Result<T, String>) -> T {
    let deadline = Instant::now() + patience;
    loop {
        match probe() {
            Ok(value) => return value,
            Err(seen) if Instant::now() >= deadline => {
                panic!("not within {patience:?}: {seen}")
            }
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

/// The directory of the interop scripts.
pub fn interop_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../interop")
}

/// The Python with the interop packages, or `None` after a loud skip notice
/// naming `what`.
///
/// # Panics
///
/// When `SSOCRED_REQUIRE_INTEROP=1` and `SSOCRED_PYTHON` is not set.
pub fn python(what: &str) -> Option<PathBuf> {
    let python = std::env::var_os("SSOCRED_PYTHON").map(PathBuf::from);
    if python.is_none() {
        skip(
            what,
            "SSOCRED_PYTHON is not set. Run scripts/test to install the interop packages and run this test",
            "SSOCRED_REQUIRE_INTEROP",
        );
    }
    python
}

/// The real program `name` (kubectl, docker, bash, zsh, fish, direnv...),
/// or `None` after a loud skip notice naming `what`.
///
/// `scripts/install-test-tools` installs them, and `scripts/test` sets
/// `SSOCRED_TOOLS_DIR` to where it put the ones that are not on PATH
/// (`.tools/bin`: Debian's kubectl and docker client), which is searched
/// before PATH.
///
/// # Panics
///
/// When `SSOCRED_REQUIRE_TOOLS=1` (set by `scripts/test`) and the program
/// is found nowhere.
pub fn real_tool(name: &str, what: &str) -> Option<PathBuf> {
    let found = find_program(name);
    if found.is_none() {
        skip(
            what,
            &format!(
                "`{name}` is not installed. Run scripts/test (it installs it with scripts/install-test-tools) to run this test"
            ),
            "SSOCRED_REQUIRE_TOOLS",
        );
    }
    found
}

/// Spawns `cmd` with `input` on its stdin and collects its output.
///
/// # Panics
///
/// When the command cannot be started.
pub fn run_with_stdin(cmd: &mut Command, input: &[u8]) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
    // A child that exits without reading all of stdin is its own failure,
    // reported by its status below.
    let _ = child.stdin.take().expect("stdin is piped").write_all(input);
    child.wait_with_output().expect("the child's output")
}

/// Parses `text` with `tests/interop/parse_format.py FORMAT` (python-dotenv,
/// PyYAML or python-hcl2) and returns what the parser read, as JSON.
///
/// # Panics
///
/// When the parser rejects `text`: the message shows the text and the
/// parser's error.
pub fn parse_format(python: &Path, format: &str, text: &str) -> serde_json::Value {
    let out = run_with_stdin(
        Command::new(python)
            .arg(interop_dir().join("parse_format.py"))
            .arg(format),
        text.as_bytes(),
    );
    assert!(
        out.status.success(),
        "the {format} parser rejected:\n{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("parse_format.py prints JSON")
}
