//! Each bundled template's output, with hostile values, read back by a real
//! parser for its format: PyYAML for the Kubernetes manifest, python-hcl2 for
//! the tfvars file, rust-ini for the INI snippet, sh for the shell ones.
//!
//! The Python parsers come from `tests/interop/requirements.txt`;
//! `scripts/test` installs them and sets SSOCRED_PYTHON. Without it these
//! checks skip loudly, unless SSOCRED_REQUIRE_INTEROP=1 makes that a failure.

// The `sh` test is gated to Unix; its imports are unused elsewhere.
#![cfg_attr(not(unix), allow(unused_imports))]

use std::process::Command;

use ssocred_core::domain::variables::sample_set;
use ssocred_core::{CredentialSet, SinkContext, SinkSpec, sink};
use ssocred_sink_template as _;
use ssocred_test_support::{parse_format, python};

const HOSTILE: &str = "Dév 'q' \"dq\" $HOME ${X} %{if} `id` \\ back\\slash #x ;y: z";

fn hostile_set() -> CredentialSet {
    let mut set = sample_set();
    set.account_name = Some(format!("{HOSTILE}\nsecond line\u{7}"));
    set.region = Some(HOSTILE.to_owned());
    set
}

fn render(name: &str, set: &CredentialSet) -> String {
    let dir = tempfile::tempdir().unwrap();
    let ctx = SinkContext {
        config_file: dir.path().join("config"),
        credentials_file: dir.path().join("credentials"),
        cwd: dir.path().to_path_buf(),
    };
    let mut sink =
        sink::build(&SinkSpec::parse(&format!("template:{name}")).unwrap(), &ctx).unwrap();
    sink.accept(set).unwrap();
    let mut out = Vec::new();
    sink.commit(&mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn k8s_secret_is_yaml_with_exact_values() {
    let Some(python) = python("template parser interop test (PyYAML, python-hcl2)") else {
        return;
    };
    for set in [sample_set(), hostile_set()] {
        let docs = parse_format(&python, "yaml", &render("k8s-secret", &set));
        let doc = &docs[0];
        assert_eq!(docs.as_array().unwrap().len(), 1);
        assert_eq!(doc["kind"], "Secret");
        assert_eq!(doc["metadata"]["name"], "aws-credentials");
        assert_eq!(
            doc["metadata"]["annotations"]["ssocred/account-name"],
            set.account_name.as_deref().unwrap()
        );
        let data = &doc["stringData"];
        assert_eq!(data["AWS_ACCESS_KEY_ID"], "ASIAEXAMPLEKEY");
        assert_eq!(data["AWS_SECRET_ACCESS_KEY"], "wJalr/XUtnFEMI+K7MDENG==");
        assert_eq!(data["AWS_SESSION_TOKEN"], "IQoJb3JpZ2luX2VjE/token+==");
        assert_eq!(data["AWS_CREDENTIAL_EXPIRATION"], "2030-01-02T03:04:05Z");
        assert_eq!(data["AWS_REGION"], set.region.as_deref().unwrap());
        assert_eq!(data.as_object().unwrap().len(), 6);
    }
}

#[test]
fn tfvars_is_hcl_with_exact_values() {
    let Some(python) = python("template parser interop test (PyYAML, python-hcl2)") else {
        return;
    };
    for set in [sample_set(), hostile_set()] {
        let vars = parse_format(&python, "hcl", &render("tfvars", &set));
        // python-hcl2 returns the template text of a string: HCL's `$${` and
        // `%%{` escapes (a literal `${` and `%{`) are left for the caller.
        let value = |key: &str| {
            vars[key]
                .as_str()
                .unwrap_or_else(|| panic!("{key} missing: {vars}"))
                .replace("$${", "${")
                .replace("%%{", "%{")
        };
        assert_eq!(value("aws_access_key_id"), "ASIAEXAMPLEKEY");
        assert_eq!(value("aws_secret_access_key"), "wJalr/XUtnFEMI+K7MDENG==");
        assert_eq!(value("aws_session_token"), "IQoJb3JpZ2luX2VjE/token+==");
        assert_eq!(value("aws_credential_expiration"), "2030-01-02T03:04:05Z");
        assert_eq!(value("aws_account_id"), "123456789012");
        assert_eq!(
            value("aws_role_arn"),
            "arn:aws:iam::123456789012:role/ReadOnly"
        );
        assert_eq!(value("aws_account_name"), set.account_name.clone().unwrap());
        assert_eq!(value("aws_region"), set.region.clone().unwrap());
        assert_eq!(vars.as_object().unwrap().len(), 8);
    }
}

#[test]
fn credentials_ini_snippet_is_read_by_rust_ini() {
    let mut set = sample_set();
    set.role_name = "Role with 'quotes' [and] ü".to_owned();
    let text = render("credentials-ini", &set);
    let ini = ini::Ini::load_from_str(&text).unwrap();
    let section = ini
        .section(Some("123456789012-Role_with__quotes___and___"))
        .unwrap_or_else(|| panic!("{text}"));
    assert_eq!(section.get("aws_access_key_id"), Some("ASIAEXAMPLEKEY"));
    assert_eq!(
        section.get("aws_secret_access_key"),
        Some("wJalr/XUtnFEMI+K7MDENG==")
    );
    assert_eq!(
        section.get("aws_session_token"),
        Some("IQoJb3JpZ2luX2VjE/token+==")
    );
    assert_eq!(section.get("region"), Some("eu-west-1"));
}

// Unix only: evaluates the output with `sh`.
#[cfg(unix)]
#[test]
fn envrc_evaluated_by_sh_sets_exactly_the_values_and_runs_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut set = hostile_set();
    let region = format!("{HOSTILE}\n$(touch pwned)\n`touch pwned2`'");
    set.region = Some(region.clone());
    let script = format!(
        "{}\nprintf '%s\\0' \"$AWS_ACCESS_KEY_ID\" \"$AWS_SECRET_ACCESS_KEY\" \"$AWS_SESSION_TOKEN\" \"$AWS_CREDENTIAL_EXPIRATION\" \"$AWS_REGION\" \"$AWS_DEFAULT_REGION\"",
        render("envrc", &set)
    );
    let out = Command::new("sh")
        .arg("-c")
        .arg(script)
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let got = String::from_utf8(out.stdout).unwrap();
    let values: Vec<&str> = got.split('\0').collect();
    assert_eq!(
        values,
        [
            "ASIAEXAMPLEKEY",
            "wJalr/XUtnFEMI+K7MDENG==",
            "IQoJb3JpZ2luX2VjE/token+==",
            "2030-01-02T03:04:05Z",
            region.as_str(),
            region.as_str(),
            ""
        ]
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}
