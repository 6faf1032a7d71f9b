//! `use` wins over a `[default]` profile with credentials of its own: stale
//! static keys in `~/.aws/credentials` (what an earlier default-sink run
//! leaves) and an SSO `[default]` in the config. The shell's `AWS_PROFILE`
//! names `ssocred-use`, a profile with no credentials that `use` adds to
//! the config once, so botocore, the AWS CLI and the Rust SDK, run in a
//! real bash, all get the role `use` serves; `--profile OTHER` still names
//! any other profile (docs/shell.md, "Competing variables and profiles").
//!
//! Needs bash, Python with boto3 and the AWS CLI (`scripts/test` installs
//! them into .venv; SSOCRED_REQUIRE_SHELLS=1 and SSOCRED_REQUIRE_INTEROP=1
//! make a missing one a failure).

use std::path::PathBuf;

use serde_json::Value;

use crate::running::*;
use crate::shell_use::shell;
use crate::world::*;

/// Static keys that went stale: what the SDKs would use without `use`.
const STALE_CREDENTIALS: &str = "\
# keys of another day
[default]
aws_access_key_id = AKIASTALEDEFAULTKEY1
aws_secret_access_key = stale-secret-of-default
aws_session_token = stale-session-token

[other]
aws_access_key_id = AKIAOTHERPROFILEKEY1
aws_secret_access_key = secret-of-other
";

/// The Rust SDK program of `cli/examples/sdk_caller.rs`, which `cargo
/// test` builds beside the test binaries.
fn sdk_caller() -> PathBuf {
    let deps = std::env::current_exe().unwrap();
    let examples = deps.parent().unwrap().parent().unwrap().join("examples");
    let path = examples.join(format!("sdk_caller{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.is_file(),
        "{} is missing: `cargo test` builds it",
        path.display()
    );
    path
}

/// The AWS CLI installed beside the interop Python, or `None` after a loud
/// skip (a failure under SSOCRED_REQUIRE_INTEROP=1).
fn aws_cli(python: &std::path::Path) -> Option<PathBuf> {
    let aws = python.with_file_name("aws");
    if aws.is_file() {
        return Some(aws);
    }
    ssocred_test_support::skip(
        "the AWS CLI in a `use` shell",
        &format!(
            "{} is missing. Run scripts/test, which installs the AWS CLI into .venv",
            aws.display()
        ),
        "SSOCRED_REQUIRE_INTEROP",
    );
    None
}

/// The bash script: `use` twice (the second finds the profile in place),
/// then what each client gets, the other profile's key and the prompt.
const SCRIPT: &str = r#"eval "$(ssocred shell-init bash)"
ssocred use -p modern -r "$ROLE" || exit 9
ssocred use -p modern -r "$ROLE" || exit 9
echo "PROFILE=$AWS_PROFILE SHADOW=${SSOCRED_USE_SHADOW:-none}"
"$PY" "$BOTO" 0
"$AWS" sts get-caller-identity --output json | tr -d '\n'
echo
"$SDK"
"$PY" -c 'import boto3; print(boto3.Session(profile_name="other").get_credentials().access_key)'
ssocred status --in-use
"#;

#[test]
fn use_wins_over_a_default_with_keys_for_boto3_the_aws_cli_and_the_rust_sdk() {
    let Some(bash) = shell("bash") else {
        return;
    };
    let Some(python) = python("boto3 in a `use` shell past [default]") else {
        return;
    };
    let Some(aws) = aws_cli(&python) else {
        return;
    };
    let w = World::with_emulator(base_emulator());
    // Both files have a [default] that would win over the endpoint.
    let config = format!(
        "{CONFIG}\n[default]\nsso_session = corp\nsso_account_id = {DEV}\nsso_role_name = Developer\nregion = eu-west-1\n"
    );
    w.write_config(&config);
    std::fs::write(w.credentials_path(), STALE_CREDENTIALS).unwrap();
    let script_path = w.home().join("use.bash");
    std::fs::write(&script_path, SCRIPT).unwrap();
    let mut cmd = w.command(&bash);
    cmd.arg(&script_path)
        .env("PATH", path_with(&[ssocred_dir()]))
        .env("ROLE", READ_ONLY_ARN)
        .env("PY", &python)
        .env("AWS", &aws)
        .env("SDK", sdk_caller())
        .env(
            "BOTO",
            format!(
                "{}/../tests/interop/boto3_container.py",
                env!("CARGO_MANIFEST_DIR")
            ),
        );
    let (status, stdout, stderr) = Running::spawn(cmd).finish();
    assert_eq!(status.code(), Some(0), "{stdout}\n{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 6, "{stdout}\n{stderr}");
    assert_eq!(lines[0], "PROFILE=ssocred-use SHADOW=none", "{stderr}");

    // Every client got the role `use` serves, not [default]'s.
    let boto: Value = serde_json::from_str(lines[1]).unwrap();
    assert_eq!(boto["method"], "container-role", "{boto}");
    let issued = w.emulator.issued();
    assert!(
        issued
            .iter()
            .all(|i| i.role_name == "ReadOnly" && i.account_id == PROD),
        "{issued:?}"
    );
    assert!(
        issued
            .iter()
            .any(|i| boto["first"]["access_key"] == i.access_key_id.as_str()),
        "boto3 got keys never issued: {boto}"
    );
    let cli: Value = serde_json::from_str(lines[2]).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    let role_session = format!("arn:aws:sts::{PROD}:assumed-role/ReadOnly/");
    assert!(
        cli["Arn"]
            .as_str()
            .unwrap_or_default()
            .starts_with(&role_session),
        "the AWS CLI: {cli}"
    );
    assert!(
        lines[3].starts_with(&role_session),
        "the Rust SDK: {}",
        lines[3]
    );
    // --profile still names another profile of the credentials file.
    assert_eq!(lines[4], "AKIAOTHERPROFILEKEY1");
    assert!(
        lines[5].starts_with(&format!("ReadOnly@{PROD} ")) && !lines[5].contains("shadowed"),
        "prompt line: {}",
        lines[5]
    );

    // The credentials file is untouched; the config gained the profile
    // once, after every byte it had.
    assert_eq!(
        std::fs::read_to_string(w.credentials_path()).unwrap(),
        STALE_CREDENTIALS
    );
    let after = std::fs::read_to_string(w.config_path()).unwrap();
    let added = after
        .strip_prefix(config.as_str())
        .unwrap_or_else(|| panic!("the config changed before its end:\n{after}"));
    assert!(
        added.starts_with("\n[profile ssocred-use]\n# Written by `ssocred use`"),
        "{added:?}"
    );
    assert_eq!(added.lines().count(), 3, "{added:?}");
    assert!(
        stderr.contains("this shell's AWS_PROFILE is `ssocred-use`, added to"),
        "{stderr}"
    );
}

/// Where the config cannot take the profile (a read-only file, here), the
/// shell stays shadowed and says so: the warning, with why, and the
/// prompt's marker; the file is left as it was.
#[test]
fn a_config_that_cannot_take_the_profile_leaves_the_shell_flagged() {
    let w = World::new();
    let config = format!("{CONFIG}\n[default]\ncredential_process = /bin/false\n");
    w.write_config(&config);
    set_read_only(&w.config_path());
    let mut watched = std::process::Command::new(if cfg!(windows) { "cmd" } else { "sh" })
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let out = w
        .cmd()
        .args(["use", "--shell", "sh", "--shell-pid"])
        .arg(watched.id().to_string())
        .args(["-p", "modern", "-r", READ_ONLY_ARN])
        .run_to_end();
    let exports = ok(&out);
    watched.kill().unwrap();
    watched.wait().unwrap();
    assert!(
        exports.contains("export SSOCRED_USE_SHADOW='[default]'\n"),
        "{exports}"
    );
    assert!(exports.contains("unset AWS_PROFILE\n"), "{exports}");
    let stderr = stderr(&out);
    assert!(
        stderr.contains("sets credential_process")
            && stderr.contains("could not be pointed past it (cannot "),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(w.config_path()).unwrap(), config);
}

fn set_read_only(path: &std::path::Path) {
    let mut perms = std::fs::metadata(path).unwrap().permissions();
    perms.set_readonly(true);
    std::fs::set_permissions(path, perms).unwrap();
}
