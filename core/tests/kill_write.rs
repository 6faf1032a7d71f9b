//! SIGKILL at arbitrary points of `write_atomic`, the one write path of every
//! file ssocred writes (credentials, config, SSO token cache, role cache).
//!
//! This test binary re-runs itself as a child that rewrites a target file
//! forever, alternating two versions under the file's lock, and kills it
//! after delays spread over its run. Whatever moment the kill lands on, the
//! file holds one version or the other, whole. The e2e suite does the same
//! to the real binary for the credentials file and the role cache.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use ssocred_core::os::fs::{FileLock, write_atomic};

const CHILD_TARGET: &str = "SSOCRED_KILL_WRITE_TARGET";
const CHILD_KIND: &str = "SSOCRED_KILL_WRITE_KIND";

/// Two versions of a config file with many profiles, differing in one.
fn config_versions() -> [String; 2] {
    let make = |region: &str| {
        let mut text = String::from(
            "# my config\n[sso-session corp]\nsso_start_url = https://d-1.awsapps.com/start\nsso_region = us-east-1\n\n",
        );
        for i in 0..2000 {
            let region = if i == 1000 { region } else { "eu-west-1" };
            text.push_str(&format!(
                "[profile p{i}]\nsso_session = corp\nsso_account_id = {:012}\nsso_role_name = Role{i}\nregion = {region}\n\n",
                i
            ));
        }
        text
    };
    [make("us-east-2"), make("ap-south-1")]
}

/// Two versions of an SSO token-cache file.
fn token_versions() -> [String; 2] {
    let make = |n: u32| {
        serde_json::json!({
            "startUrl": "https://d-1.awsapps.com/start",
            "region": "us-east-1",
            "accessToken": format!("token-{n}-{}", "x".repeat(2000)),
            "expiresAt": "2099-01-01T00:00:00Z",
            "clientId": "id",
            "clientSecret": format!("secret-{n}-{}", "y".repeat(2000)),
            "registrationExpiresAt": "2099-01-01T00:00:00Z",
            "refreshToken": format!("refresh-{n}"),
        })
        .to_string()
    };
    [make(1), make(2)]
}

fn versions(kind: &str) -> [String; 2] {
    match kind {
        "config" => config_versions(),
        _ => token_versions(),
    }
}

fn write_locked(path: &Path, text: &str) {
    let _lock = FileLock::acquire(path).unwrap();
    write_atomic(path, text.as_bytes()).unwrap();
}

/// As a child (the variables set): rewrites the target until killed.
/// As a test: one locked atomic write of each version reads back whole.
#[test]
fn rewrite_forever_when_asked() {
    if let (Some(target), Ok(kind)) = (std::env::var_os(CHILD_TARGET), std::env::var(CHILD_KIND)) {
        let target = Path::new(&target);
        let [a, b] = versions(&kind);
        loop {
            write_locked(target, &b);
            write_locked(target, &a);
        }
    }
    let dir = tempfile::tempdir().unwrap();
    for kind in ["config", "token"] {
        let path = dir.path().join(kind);
        for v in versions(kind) {
            write_locked(&path, &v);
            assert_eq!(std::fs::read_to_string(&path).unwrap(), v);
        }
    }
}

fn kill_loop(kind: &str, target: &Path) {
    let [a, b] = versions(kind);
    std::fs::write(target, &a).unwrap();
    let (mut seen_a, mut seen_b) = (0, 0);
    // 40 delays over the child's first writes; more, longer ones only if a
    // loaded machine kept it from writing both versions by then.
    for i in 0..200u32 {
        if i >= 40 && seen_a > 0 && seen_b > 0 {
            break;
        }
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "rewrite_forever_when_asked",
                "--exact",
                "--test-threads",
                "1",
            ])
            .env(CHILD_TARGET, target)
            .env(CHILD_KIND, kind)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let delay = if i < 40 {
            Duration::from_millis(5) + Duration::from_micros(1500) * i
        } else {
            Duration::from_millis(10) * (i - 30)
        };
        std::thread::sleep(delay);
        child.kill().unwrap();
        child.wait().unwrap();
        let now = std::fs::read_to_string(target).unwrap();
        if now == a {
            seen_a += 1;
        } else {
            assert!(
                now == b,
                "{kind}: a mixed or truncated file of {} bytes",
                now.len()
            );
            seen_b += 1;
        }
    }
    assert!(
        seen_a > 0 && seen_b > 0,
        "{kind}: kills landed at too few points ({seen_a}/{seen_b})"
    );
}

#[test]
fn sigkill_while_rewriting_a_config_file_leaves_a_whole_version() {
    let dir = tempfile::tempdir().unwrap();
    kill_loop("config", &dir.path().join("config"));
}

#[test]
fn sigkill_while_rewriting_a_token_cache_file_leaves_a_whole_version() {
    let dir = tempfile::tempdir().unwrap();
    kill_loop("token", &dir.path().join("cache.json"));
}
