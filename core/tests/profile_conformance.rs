//! ssocred reads the AWS files exactly as the AWS SDKs do: every case of the
//! cross-SDK profile-parser suite, which ships inside the `aws-runtime` crate,
//! run through ssocred's own reading function.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;
use ssocred_core::store::profile::parse_sections;

/// Finds `test-data/profile-parser-tests.json` of the `aws-runtime` package in
/// this workspace's dependency graph through `cargo metadata`, unless
/// `SSOCRED_PROFILE_PARSER_SUITE` names the file: `scripts/cross-check` sets
/// it for the Windows build under wine, which cannot run the Linux cargo.
fn suite_path() -> PathBuf {
    if let Some(path) = std::env::var_os("SSOCRED_PROFILE_PARSER_SUITE") {
        return PathBuf::from(path);
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: Value = serde_json::from_slice(&out.stdout).unwrap();
    let manifest = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "aws-runtime")
        .expect("aws-runtime is a dependency")["manifest_path"]
        .as_str()
        .unwrap()
        .to_owned();
    PathBuf::from(manifest)
        .with_file_name("test-data")
        .join("profile-parser-tests.json")
}

#[test]
fn every_case_of_the_sdk_profile_parser_suite() {
    let path = suite_path();
    let suite: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let cases = suite["tests"].as_array().unwrap();
    assert_eq!(
        cases.len(),
        65,
        "the suite at {} changed size",
        path.display()
    );
    let mut checked = 0;
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let config = case["input"]["configFile"].as_str();
        let credentials = case["input"]["credentialsFile"].as_str();
        let got = parse_sections(config, credentials);
        let want = &case["output"];
        if let Some(fragment) = want["errorContaining"].as_str() {
            let err = got
                .err()
                .unwrap_or_else(|| panic!("{name}: parsed, expected an error"));
            assert!(
                err.contains(fragment),
                "{name}: error `{err}` lacks `{fragment}`"
            );
            checked += 1;
            continue;
        }
        let sections = got.unwrap_or_else(|e| panic!("{name}: {e}"));
        let want_profiles = want["config"]["profiles"].as_object().unwrap();
        let mut names: Vec<_> = sections.profiles().map(str::to_owned).collect();
        names.sort();
        let mut want_names: Vec<_> = want_profiles.keys().cloned().collect();
        want_names.sort();
        assert_eq!(names, want_names, "{name}: profile names");
        for (profile, props) in want_profiles {
            let got_profile = sections.get_profile(profile).unwrap();
            for (key, value) in props.as_object().unwrap() {
                assert_eq!(
                    got_profile.get(key),
                    value.as_str(),
                    "{name}: [{profile}] {key}"
                );
            }
        }
        if let Some(sessions) = want["config"]["sso_sessions"].as_object() {
            let mut got_sessions: Vec<_> = sections.sso_sessions().map(str::to_owned).collect();
            got_sessions.sort();
            let mut want_sessions: Vec<_> = sessions.keys().cloned().collect();
            want_sessions.sort();
            assert_eq!(got_sessions, want_sessions, "{name}: sso-session names");
            for (session, props) in sessions {
                let got_session = sections.sso_session(session).unwrap();
                for (key, value) in props.as_object().unwrap() {
                    assert_eq!(
                        got_session.get(key),
                        value.as_str(),
                        "{name}: [sso-session {session}] {key}"
                    );
                }
            }
        }
        checked += 1;
    }
    assert_eq!(checked, 65);
}

/// botocore keeps ` # comment` in a value; the SDK suite strips it. ssocred
/// follows the suite for every SSO key (see docs/aws-files.md, "How ssocred reads the
/// AWS files"): the token-cache key of this profile is the bare start URL.
#[test]
fn inline_comments_on_sso_keys_are_stripped_as_the_sdks_do() {
    let sections = parse_sections(
        Some(
            "[profile a]\nsso_start_url = https://d-1.awsapps.com/start # prod\nsso_region = eu-west-1 ; main\n\
             [profile b]\nsso_session = corp # team\n[sso-session corp]\nsso_start_url = https://c/start\nsso_region=us-east-1\n",
        ),
        None,
    )
    .unwrap();
    let a = sections.get_profile("a").unwrap();
    assert_eq!(
        a.get("sso_start_url"),
        Some("https://d-1.awsapps.com/start")
    );
    assert_eq!(a.get("sso_region"), Some("eu-west-1"));
    assert_eq!(
        sections.get_profile("b").unwrap().get("sso_session"),
        Some("corp")
    );
    // A `#` without whitespace before it is part of the value, in both readings.
    let sections = parse_sections(
        Some("[profile c]\nsso_start_url = https://x/start#frag\n"),
        None,
    )
    .unwrap();
    assert_eq!(
        sections.get_profile("c").unwrap().get("sso_start_url"),
        Some("https://x/start#frag")
    );
}
