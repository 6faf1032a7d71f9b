//! docs/emulator.md's "Pointing ssocred and the SDKs at it": every shell
//! block of that section, in order, run as one bash script in a throwaway
//! HOME, with the programs it names on PATH: the emulator, ssocred, and
//! Python with boto3 as `python3`. What the doc tells people to type is
//! what this runs.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::world::*;

const SECTION: &str = "## Pointing ssocred and the SDKs at it";

/// The `sh` blocks of the section, joined.
fn section_script() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/emulator.md");
    let doc = std::fs::read_to_string(&path).unwrap();
    let start = doc
        .find(SECTION)
        .unwrap_or_else(|| panic!("{} has no section {SECTION:?}", path.display()));
    let rest = &doc[start + SECTION.len()..];
    let section = &rest[..rest.find("\n## ").unwrap_or(rest.len())];
    let mut script = String::new();
    let mut inside = false;
    for line in section.lines() {
        match (inside, line.trim_end()) {
            (false, "```sh") => inside = true,
            (true, "```") => inside = false,
            (true, text) => {
                script.push_str(text);
                script.push('\n');
            }
            _ => {}
        }
    }
    assert!(!inside, "an unclosed block in {SECTION:?}");
    script
}

/// A directory holding `name` links to the programs the doc names.
fn bin_dir(home: &Path, python: &Path) -> PathBuf {
    let ssocred = PathBuf::from(env!("CARGO_BIN_EXE_ssocred"));
    // A workspace build (`scripts/test`, `cargo test --workspace`) builds
    // the emulator's program next to ssocred.
    let emulator = ssocred.with_file_name("ssocred-emulator");
    assert!(
        emulator.is_file(),
        "{} is missing: run `cargo build -p ssocred-emulator` (scripts/test builds it)",
        emulator.display()
    );
    let dir = home.join("doc-bin");
    std::fs::create_dir_all(&dir).unwrap();
    for (name, target) in [
        ("ssocred", ssocred.as_path()),
        ("ssocred-emulator", emulator.as_path()),
        ("python3", python),
    ] {
        std::os::unix::fs::symlink(target, dir.join(name)).unwrap();
    }
    dir
}

#[test]
fn the_emulator_docs_commands_log_in_and_fetch_as_written() {
    let Some(python) = python("the emulator doc's boto3 line") else {
        return;
    };
    let script = section_script();
    for needed in [
        "AWS_ENDPOINT_URL_SSO=",
        "AWS_ENDPOINT_URL_SSO_OIDC=",
        "AWS_ENDPOINT_URL_STS=",
        "ssocred login",
        "boto3",
    ] {
        assert!(
            script.contains(needed),
            "the doc lost {needed:?}:\n{script}"
        );
    }
    let home = tempfile::tempdir().unwrap();
    let bin = bin_dir(home.path(), &python);
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    // The harness's one line of its own: a failing step must not leave the
    // emulator the doc started running.
    let script = format!("trap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n{script}");
    let out = Command::new("bash")
        .args(["-euo", "pipefail", "-c", &script])
        .env_clear()
        .env("HOME", home.path())
        .env("PATH", path)
        .current_dir(home.path())
        .run_to_end_within(Duration::from_secs(120));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the doc's commands failed ({:?}):\n{script}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        out.status.code()
    );
    // The login went through the emulator's OIDC, the role credentials
    // through its portal, and boto3's call through its STS.
    assert!(stderr.contains("/device?user_code="), "{stderr}");
    assert!(stdout.contains("\"AccessKeyId\""), "{stdout}");
    assert!(stdout.contains("  login: valid"), "{stdout}");
    assert!(
        stdout.contains("arn:aws:sts::100000000000:assumed-role/ReadOnly/"),
        "{stdout}"
    );
}
