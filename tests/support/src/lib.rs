//! Helpers ssocred's tests share across crates: finding the interop Python
//! (`scripts/test` installs it into `.venv` and sets `SSOCRED_PYTHON`), and
//! running the parsers in `tests/interop/`, and a forward proxy
//! ([`ForwardProxy`]) for proxy tests, a hostile AWS endpoint
//! ([`HostileServer`]) for the tests of what ssocred accepts from servers,
//! a stand-in Kubernetes API server ([`KubeApiStandIn`]), a stand-in Docker
//! daemon ([`DockerDaemonStandIn`]), and finding the real programs (kubectl,
//! docker, shells, direnv) that run what ssocred prints ([`real_tool`]).
//!
//! A test that needs Python and finds none skips with a loud `SKIPPED` line
//! on stderr, unless `SSOCRED_REQUIRE_INTEROP=1` (set by `scripts/test`, and
//! so by CI) makes that a failure. A missing real tool does the same, with
//! `SSOCRED_REQUIRE_TOOLS=1`.

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
    match std::env::var_os("SSOCRED_PYTHON") {
        Some(p) => Some(PathBuf::from(p)),
        None if std::env::var("SSOCRED_REQUIRE_INTEROP").as_deref() == Ok("1") => {
            panic!("SSOCRED_REQUIRE_INTEROP=1 but SSOCRED_PYTHON is not set; run scripts/test")
        }
        None => {
            eprintln!(
                "\n!!! SKIPPED: {what}: SSOCRED_PYTHON is not set. Run scripts/test to install the interop packages and run this test.\n"
            );
            None
        }
    }
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
    let tools_dir = std::env::var_os("SSOCRED_TOOLS_DIR");
    let path = std::env::var_os("PATH").unwrap_or_default();
    let found = tools_dir
        .iter()
        .map(PathBuf::from)
        .chain(std::env::split_paths(&path))
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file());
    match found {
        Some(program) => Some(program),
        None if std::env::var("SSOCRED_REQUIRE_TOOLS").as_deref() == Ok("1") => panic!(
            "SSOCRED_REQUIRE_TOOLS=1 but `{name}` is not installed (needed by {what}); run scripts/install-test-tools"
        ),
        None => {
            eprintln!(
                "\n!!! SKIPPED: {what}: `{name}` is not installed. Run scripts/test (it installs it with scripts/install-test-tools) to run this test.\n"
            );
            None
        }
    }
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
