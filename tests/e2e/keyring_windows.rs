//! Tokens in the Windows Credential Manager (`[login] token_store =
//! "keyring"`), run under wine by scripts/cross-check: a login kept there
//! gives the role, no file of it is written, and logout removes it.

use std::time::Duration;

use ssocred_emulator::OidcConfig;

use crate::world::*;

#[test]
fn the_credential_manager_keeps_the_login_until_logout() {
    let w = World::with_emulator(
        base_emulator().oidc(OidcConfig::default().approval_delay(Some(Duration::ZERO))),
    );
    let session = format!("kr-win-{}", std::process::id());
    w.write_config(&format!(
        "[profile kr]\nsso_session = {session}\nsso_account_id = {PROD}\nsso_role_name = ReadOnly\n\n[sso-session {session}]\nsso_start_url = https://d-corp.awsapps.com/start\nsso_region = us-east-1\n"
    ));
    let keyring = |args: &[&str]| {
        w.cmd()
            .env("SSOCRED_TOKEN_STORE", "keyring")
            .args(args)
            .run_to_end()
    };
    let out = keyring(&["login", "-p", "kr", "--no-browser"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        !w.token_path(&session).exists(),
        "the token went to the Credential Manager only"
    );
    let json = ok_json(&keyring(&["-p", "kr", "--sink", "process"]));
    assert_eq!(json["AccessKeyId"], w.only_issued().access_key_id.as_str());
    let out = keyring(&["logout", "-p", "kr"]);
    assert!(
        stderr(&out).contains("removed the token from the OS keyring (credential-manager)"),
        "{}",
        stderr(&out)
    );
    let out = keyring(&["-p", "kr", "--sink", "process"]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
}
