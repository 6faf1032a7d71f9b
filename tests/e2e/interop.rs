//! Interop with real clients: botocore reads the credentials file ssocred
//! wrote and runs the credential_process line that points at ssocred.
//!
//! These tests need Python with botocore. `scripts/test` (and so CI) installs
//! it into .venv and sets SSOCRED_PYTHON and SSOCRED_REQUIRE_INTEROP=1, which
//! makes a missing interpreter a failure instead of a loud skip.

use crate::world::*;

#[test]
fn botocore_reads_the_credentials_file_ssocred_wrote() {
    let Some(python) = python("botocore interop test") else {
        return;
    };
    let w = World::new();
    std::fs::write(
        w.credentials_path(),
        "# mine\n[other]\naws_access_key_id = AKIAOTHER\naws_secret_access_key = x\n",
    )
    .unwrap();
    ok(&w.run(&[
        "-p",
        "modern",
        "-r",
        READ_ONLY_ARN,
        "--sink",
        "credentials-file:from-ssocred",
    ]));
    let i = w.only_issued();
    let got = python_json(&w, &python, "botocore_creds.py", &["from-ssocred"]);
    assert_eq!(got["method"], "shared-credentials-file");
    assert_eq!(got["access_key"], i.access_key_id.as_str());
    assert_eq!(got["secret_key"], i.secret_access_key.as_str());
    assert_eq!(got["token"], i.session_token.as_str());
    let other = python_json(&w, &python, "botocore_creds.py", &["other"]);
    assert_eq!(other["access_key"], "AKIAOTHER");
}

#[test]
fn botocore_resolves_a_credential_process_profile_through_ssocred() {
    let Some(python) = python("botocore interop test") else {
        return;
    };
    let w = World::new();
    let exe = env!("CARGO_BIN_EXE_ssocred");
    w.write_config(&format!(
        "{CONFIG}\n[profile via-process]\ncredential_process = \"{exe}\" -p modern -r arn:aws:iam::{DEV}:role/My.Role+x=y,z@w --sink process\nregion = eu-west-3\n"
    ));
    let got = python_json(&w, &python, "botocore_creds.py", &["via-process"]);
    let i = w.only_issued();
    assert_eq!(
        (i.account_id.as_str(), i.role_name.as_str()),
        (DEV, "My.Role+x=y,z@w")
    );
    assert_eq!(got["method"], "custom-process");
    assert_eq!(got["access_key"], i.access_key_id.as_str());
    assert_eq!(got["secret_key"], i.secret_access_key.as_str());
    assert_eq!(got["token"], i.session_token.as_str());
    assert_eq!(got["region"], "eu-west-3");
}
