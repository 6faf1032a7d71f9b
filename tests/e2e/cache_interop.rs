//! The role-credential cache is the AWS CLI v2's: botocore with the AWS
//! CLI's JSONFileCache (`~/.aws/cli/cache`) reuses what ssocred cached, and
//! ssocred reuses what botocore cached, neither calling the portal again.
//! Skips loudly without SSOCRED_PYTHON, fails with SSOCRED_REQUIRE_INTEROP=1.

use serde_json::Value;
use ssocred_emulator::Operation;

use crate::world::*;

/// Profiles pinned to one role each, one per key style: an sso-session
/// (hashed as `sessionName`), an sso-session name with punctuation, and a legacy
/// start URL (hashed as `startUrl`).
const PINNED: &str = "
[profile by-session]
sso_session = corp
sso_account_id = 210987654321
sso_role_name = Developer

[profile by-odd-session]
sso_session = corp.eu/team@x
sso_account_id = 123456789012
sso_role_name = Admin

[sso-session corp.eu/team@x]
sso_start_url = https://d-corp.awsapps.com/start
sso_region = us-east-1

[profile by-url]
sso_start_url = https://d-legacy.awsapps.com/start
sso_region = eu-west-1
sso_account_id = 210987654321
sso_role_name = My.Role+x=y,z@w
";

fn world() -> World {
    let w = World::new();
    w.write_config(&format!("{CONFIG}{PINNED}"));
    w.write_token("corp.eu/team@x", TOKEN, "2099-01-01T00:00:00Z");
    w
}

fn ssocred(w: &World, profile: &str) -> Value {
    serde_json::from_str(&ok(&w.run(&["-p", profile, "--sink", "process"]))).unwrap()
}

fn calls(w: &World) -> u64 {
    w.emulator.count(Operation::GetRoleCredentials)
}

const PROFILES: [&str; 3] = ["by-session", "by-odd-session", "by-url"];

#[test]
fn botocore_reuses_what_ssocred_cached() {
    let Some(python) = python("botocore role-cache interop test") else {
        return;
    };
    let w = world();
    for (n, profile) in PROFILES.into_iter().enumerate() {
        let ours = ssocred(&w, profile);
        assert_eq!(calls(&w), n as u64 + 1);
        let theirs = python_json(&w, &python, "botocore_role_cache.py", &[profile]);
        assert_eq!(
            calls(&w),
            n as u64 + 1,
            "{profile}: botocore called the portal"
        );
        assert_eq!(theirs["method"], "sso", "{profile}");
        assert_eq!(theirs["access_key"], ours["AccessKeyId"], "{profile}");
        assert_eq!(theirs["secret_key"], ours["SecretAccessKey"], "{profile}");
        assert_eq!(theirs["token"], ours["SessionToken"], "{profile}");
    }
}

#[test]
fn ssocred_reuses_what_botocore_cached() {
    let Some(python) = python("botocore role-cache interop test") else {
        return;
    };
    let w = world();
    for (n, profile) in PROFILES.into_iter().enumerate() {
        let theirs = python_json(&w, &python, "botocore_role_cache.py", &[profile]);
        assert_eq!(
            calls(&w),
            n as u64 + 1,
            "{profile}: botocore did not call the portal"
        );
        let ours = ssocred(&w, profile);
        assert_eq!(
            calls(&w),
            n as u64 + 1,
            "{profile}: ssocred called the portal"
        );
        assert_eq!(ours["AccessKeyId"], theirs["access_key"], "{profile}");
        assert_eq!(ours["SecretAccessKey"], theirs["secret_key"], "{profile}");
        assert_eq!(ours["SessionToken"], theirs["token"], "{profile}");
    }
    // Both wrote into one directory: one entry per role, no duplicates.
    assert_eq!(crate::cache::entries(&w).len(), 3);
}
