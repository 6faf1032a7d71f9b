//! Cache entries and CA bundles that are not regular files: a FIFO with no
//! writer, a link to `/dev/zero`, a file past the size limit. Each run ends
//! promptly (a deadline kills a hung one and fails the test), and the entry
//! is treated as unusable or refused with the file named; `status`, which
//! runs on every shell prompt, never hangs.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use ssocred_core::store::role_cache::cache_key;

use crate::world::*;

/// Longer than any of these runs takes on a loaded machine, far shorter
/// than a hang.
const DEADLINE: Duration = Duration::from_secs(60);

pub(crate) fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success(), "mkfifo {}", path.display());
}

fn link_to_dev_zero(path: &Path) {
    std::os::unix::fs::symlink("/dev/zero", path).unwrap();
}

/// The role-cache entry of `pinned`'s Developer role.
fn role_entry(w: &World) -> PathBuf {
    let profile = ssocred_core::domain::sso_profile::SsoProfile {
        name: "pinned".into(),
        session: Some("corp".into()),
        start_url: "https://d-corp.awsapps.com/start".into(),
        sso_region: "us-east-1".into(),
        region: None,
        account_id: None,
        role_name: None,
    };
    let dir = w.aws_dir().join("cli/cache");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(format!("{}.json", cache_key(&profile, DEV, "Developer")))
}

#[test]
fn status_with_a_fifo_token_and_a_dev_zero_role_entry_ends_and_says_unusable() {
    let w = World::new();
    let token = w.token_path("corp");
    std::fs::remove_file(&token).unwrap();
    mkfifo(&token);
    link_to_dev_zero(&role_entry(&w));
    let out = w
        .cmd()
        .args(["status", "-p", "pinned", "--json"])
        .run_to_end_within(DEADLINE);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}); stderr: {}", stderr(&out)));
    let profile = &json["profiles"][0];
    assert_eq!(profile["login"]["state"], "unusable", "{json}");
    let problem = profile["login"]["problem"].as_str().unwrap_or_default();
    assert!(problem.contains("not a regular file"), "{json}");
    assert_eq!(profile["roles"][0]["state"], "unusable", "{json}");
}

#[test]
fn a_dev_zero_role_entry_is_a_miss_and_the_portal_answers() {
    let w = World::new();
    link_to_dev_zero(&role_entry(&w));
    let out = w
        .cmd()
        .args(["-p", "pinned", "--sink", "process", "-v"])
        .run_to_end_within(DEADLINE);
    let json = ok_json(&out);
    assert_eq!(json["AccessKeyId"], w.only_issued().access_key_id);
}

#[test]
fn a_fifo_token_file_is_refused_naming_it() {
    let w = World::new();
    let token = w.token_path("corp");
    std::fs::remove_file(&token).unwrap();
    mkfifo(&token);
    let out = w
        .cmd()
        .args(["-p", "pinned", "--sink", "process"])
        .run_to_end_within(DEADLINE);
    assert_ne!(out.status.code(), Some(0));
    assert!(
        stderr(&out).contains(&token.display().to_string()),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("not a regular file"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_fifo_ecr_cache_entry_never_hangs_the_docker_helper() {
    let w = World::new();
    let mut cmd = w.cmd();
    cmd.args(["docker-credential", "get"])
        .env("AWS_ENDPOINT_URL_ECR", w.emulator.url())
        .env("AWS_PROFILE", "pinned");
    let registry = b"210987654321.dkr.ecr.eu-west-1.amazonaws.com";
    let first = cmd.run_to_end_with(registry, DEADLINE);
    assert!(first.status.success(), "{}", stderr(&first));
    let dir = w.home().join(".cache/ssocred/ecr");
    let entries: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    std::fs::remove_file(&entries[0]).unwrap();
    mkfifo(&entries[0]);
    let again = cmd.run_to_end_with(registry, DEADLINE);
    // The entry is unusable, so a fresh token is fetched.
    assert!(again.status.success(), "{}", stderr(&again));
    let answer: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(answer["Username"], "AWS");
}

#[test]
fn a_fifo_or_dev_zero_ca_bundle_is_refused_with_exit_3() {
    let w = World::new();
    let fifo = w.home().join("ca.pem");
    mkfifo(&fifo);
    let zero = w.home().join("zero.pem");
    link_to_dev_zero(&zero);
    for bundle in [&fifo, &zero] {
        let out = w
            .cmd()
            .args(["-p", "modern", "-r", READ_ONLY_ARN, "--sink", "process"])
            .args(["--no-cache", "--ca-bundle"])
            .arg(bundle)
            .run_to_end_within(DEADLINE);
        assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
        assert!(
            stderr(&out).contains(&bundle.display().to_string()),
            "{}",
            stderr(&out)
        );
        assert!(
            stderr(&out).contains("not a regular file"),
            "{}",
            stderr(&out)
        );
    }
}
