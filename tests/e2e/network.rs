//! Corporate networks: a private CA (`AWS_CA_BUNDLE`, `ca_bundle`,
//! `--ca-bundle`) in front of the portal, and what a user sees when trust
//! fails.

use ssocred_emulator::Operation;

use crate::world::*;

const GET: &[&str] = &["-p", "modern", "-r", READ_ONLY_ARN, "--sink", "process"];

/// A world whose emulator serves HTTPS with a CA made for it.
fn tls_world() -> World {
    World::with_emulator(base_emulator().tls(true))
}

/// Writes `pem` into HOME and returns its path.
fn pem(w: &World, name: &str, pem: &str) -> String {
    let path = w.home().join(name);
    std::fs::write(&path, pem).unwrap();
    path.to_str().unwrap().to_owned()
}

fn ca(w: &World) -> String {
    w.emulator.ca_pem().unwrap().to_owned()
}

fn unrelated() -> String {
    ssocred_emulator::tls::unrelated_ca_pem().unwrap()
}

/// The standard config with `ca_bundle = VALUE` in the `modern` profile.
fn with_profile_bundle(w: &World, value: &str) {
    w.write_config(&CONFIG.replace(
        "[profile modern]\nsso_session = corp\n",
        &format!("[profile modern]\nsso_session = corp\nca_bundle = {value}\n"),
    ));
}

fn calls(w: &World) -> u64 {
    w.emulator.count(Operation::GetRoleCredentials)
}

#[test]
fn aws_ca_bundle_trusts_a_private_ca() {
    let w = tls_world();
    assert!(w.emulator.url().starts_with("https://"));
    let bundle = pem(&w, "corp-ca.pem", &ca(&w));
    let out = w.cmd().args(GET).env("AWS_CA_BUNDLE", &bundle).output().unwrap();
    let json = ok_json(&out);
    assert_eq!(json["AccessKeyId"], w.only_issued().access_key_id);
}

#[test]
fn ca_bundle_in_the_profile_trusts_a_private_ca_and_the_variable_wins() {
    let w = tls_world();
    let good = pem(&w, "corp-ca.pem", &ca(&w));
    let other = pem(&w, "other-ca.pem", &unrelated());
    // `~/` in the profile is the user's home, as in the AWS CLI.
    with_profile_bundle(&w, "~/corp-ca.pem");
    ok(&w.run(&[GET, &["--no-cache"]].concat()));
    assert_eq!(calls(&w), 1);
    // AWS_CA_BUNDLE replaces the profile's bundle: a wrong one fails.
    let out = w
        .cmd()
        .args([GET, &["--no-cache"]].concat())
        .env("AWS_CA_BUNDLE", &other)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(6), "{out:?}");
    // And --ca-bundle replaces both.
    let out = w
        .cmd()
        .args([GET, &["--no-cache", "--ca-bundle", &good]].concat())
        .env("AWS_CA_BUNDLE", &other)
        .output()
        .unwrap();
    ok(&out);
    assert_eq!(calls(&w), 2);
}

#[test]
fn an_untrusted_certificate_is_one_readable_line_with_what_to_do() {
    let w = tls_world();
    let other = pem(&w, "other-ca.pem", &unrelated());
    for env in [None, Some(other.as_str())] {
        let mut cmd = w.cmd();
        cmd.args(GET);
        if let Some(bundle) = env {
            cmd.env("AWS_CA_BUNDLE", bundle);
        }
        let out = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(6), "{stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
        for part in [
            w.emulator.url().as_str(),
            "certificate not trusted",
            "AWS_CA_BUNDLE",
            "ca_bundle",
        ] {
            assert!(stderr.contains(part), "`{part}` not in {stderr}");
        }
        for dump in ["DispatchFailure", "ConnectorError", "Custom {", "kind:"] {
            assert!(!stderr.contains(dump), "a Debug dump: {stderr}");
        }
        if let Some(bundle) = env {
            assert!(stderr.contains(bundle), "{stderr}");
        }
    }
    assert_eq!(calls(&w), 0);
}

#[test]
fn a_bad_bundle_is_a_config_error_naming_the_file_and_where_it_came_from() {
    let w = tls_world();
    let empty = pem(&w, "empty.pem", "");
    let text = pem(&w, "text.pem", "not a certificate\n");
    let missing = w.home().join("missing.pem").to_str().unwrap().to_owned();
    for (path, why) in [
        (&missing, "cannot read it"),
        (&empty, "holds no PEM certificate"),
        (&text, "holds no PEM certificate"),
    ] {
        let out = w.cmd().args(GET).env("AWS_CA_BUNDLE", path).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{stderr}");
        for part in [path.as_str(), "environment AWS_CA_BUNDLE", why] {
            assert!(stderr.contains(part), "`{part}` not in {stderr}");
        }
    }
    with_profile_bundle(&w, "~/text.pem");
    let out = w.run(GET);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("`ca_bundle` of profile `modern`"), "{stderr}");
    assert_eq!(calls(&w), 0);
}
