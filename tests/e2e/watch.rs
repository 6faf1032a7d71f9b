//! `--watch`: the credentials file rewritten before each expiry, a clean
//! stop on SIGTERM, and what happens when a refresh fails.

use std::time::Duration;

use crate::running::*;
use crate::world::*;

/// Credentials that live four seconds, refreshed two seconds before expiry.
fn short_lived() -> World {
    World::with_emulator(base_emulator().credential_lifetime(Duration::from_secs(4)))
}

fn watch(w: &World, sink: &str) -> Running {
    let mut cmd = w.cmd();
    cmd.args([
        "-p",
        "modern",
        "-r",
        READ_ONLY_ARN,
        "--sink",
        sink,
        "--watch",
        "--refresh-before",
        "2",
    ]);
    Running::spawn(cmd)
}

fn files_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn rewrites_the_credentials_file_across_refreshes_and_stops_cleanly_on_sigterm() {
    let w = short_lived();
    let before = "# mine\n[other]\naws_access_key_id = AKIAOTHER\n";
    std::fs::write(w.credentials_path(), before).unwrap();
    let mut running = watch(&w, "credentials-file:watched");
    let mut keys = Vec::new();
    for round in 0..3 {
        let line = running.stderr_line_with("delivered credentials");
        assert!(
            line.contains("valid for") && line.contains("next refresh in"),
            "{line}"
        );
        let issued = w.emulator.issued();
        assert_eq!(issued.len(), round + 1, "one GetRoleCredentials per round");
        let i = issued.last().unwrap();
        assert!(line.contains(&i.access_key_id), "{line}");
        let text = std::fs::read_to_string(w.credentials_path()).unwrap();
        let expected = format!(
            "{before}\n[watched]\naws_access_key_id = {}\naws_secret_access_key = {}\naws_session_token = {}\nregion = us-east-1\n",
            i.access_key_id, i.secret_access_key, i.session_token
        );
        assert_eq!(text, expected, "round {round}");
        keys.push(i.access_key_id.clone());
    }
    keys.dedup();
    assert_eq!(keys.len(), 3, "every round brings new credentials");
    running.signal("TERM");
    let (status, stdout, stderr) = running.finish();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("stopping on SIGTERM"), "{stderr}");
    assert!(stdout.is_empty());
    for secret in w.emulator.issued() {
        assert!(!stderr.contains(&secret.secret_access_key));
        assert!(!stderr.contains(&secret.session_token));
    }
    // No temp file is left behind: only the files that were there, the lock
    // sidecar, the token cache and the role cache (cli/cache).
    assert_eq!(
        files_in(&w.aws_dir()),
        [".credentials.lock", "cli", "config", "credentials", "sso"]
    );
}

#[test]
fn sigint_stops_a_watch_too() {
    let w = short_lived();
    let mut running = watch(&w, "credentials-file");
    running.stderr_line_with("delivered credentials");
    running.signal("INT");
    let (status, _, stderr) = running.finish();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("stopping on SIGINT"), "{stderr}");
}

#[test]
fn a_revoked_login_is_retried_until_the_credentials_expire_then_exits_4() {
    let w = short_lived();
    let mut running = watch(&w, "credentials-file");
    running.stderr_line_with("delivered credentials");
    w.emulator.revoke_tokens();
    let line = running.stderr_line_with("refresh failed");
    assert!(
        line.contains("ssocred login -p modern") && line.contains("retrying in"),
        "{line}"
    );
    let (status, _, stderr) = running.finish();
    assert_eq!(status.code(), Some(4), "{stderr}");
    assert!(
        stderr
            .lines()
            .last()
            .unwrap()
            .starts_with("ssocred: error:"),
        "{stderr}"
    );
}

#[test]
fn a_new_login_during_the_retries_is_picked_up() {
    let w = short_lived();
    let mut running = watch(&w, "credentials-file");
    running.stderr_line_with("delivered credentials");
    w.emulator.revoke_tokens();
    running.stderr_line_with("refresh failed");
    // The user logs in again: a new token in the cache, accepted by the portal.
    w.emulator.set_tokens(["tok-NEW-login"]);
    w.write_token("corp", "tok-NEW-login", "2099-01-01T00:00:00Z");
    running.stderr_line_with("delivered credentials");
    let last = w.emulator.issued().pop().unwrap();
    let text = std::fs::read_to_string(w.credentials_path()).unwrap();
    assert!(text.contains(&last.access_key_id), "{text}");
    running.signal("TERM");
    let (status, _, stderr) = running.finish();
    assert_eq!(status.code(), Some(0), "{stderr}");
}

#[test]
fn watches_every_role_of_all_under_its_profile_name() {
    let w = short_lived();
    let mut cmd = w.cmd();
    cmd.args(ALL_DEV).args(["--watch", "--refresh-before", "2"]);
    let mut running = Running::spawn(cmd);
    let mut rounds: Vec<Vec<String>> = Vec::new();
    for round in 0..2 {
        // One log line per role and round; the file holds both once the
        // round's second line is out.
        let lines = [
            running.stderr_line_with("delivered credentials"),
            running.stderr_line_with("delivered credentials"),
        ];
        let issued = w.emulator.issued();
        assert_eq!(issued.len(), 2 * (round + 1), "two calls per round");
        let this_round = &issued[2 * round..];
        let text = std::fs::read_to_string(w.credentials_path()).unwrap();
        for i in this_round {
            assert!(
                lines.iter().any(|l| l.contains(&i.access_key_id)),
                "{lines:?}"
            );
            let name = all_dev_profile(&i.role_name);
            assert!(
                text.contains(&format!(
                    "[{name}]\naws_access_key_id = {}\naws_secret_access_key = {}\naws_session_token = {}\n",
                    i.access_key_id, i.secret_access_key, i.session_token
                )),
                "round {round}: {text}"
            );
        }
        assert_eq!(text.matches("aws_access_key_id").count(), 2, "{text}");
        rounds.push(this_round.iter().map(|i| i.access_key_id.clone()).collect());
    }
    assert!(
        rounds[0].iter().all(|k| !rounds[1].contains(k)),
        "{rounds:?}"
    );
    running.signal("TERM");
    let (status, _, stderr) = running.finish();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("stopping on SIGTERM"), "{stderr}");
}
