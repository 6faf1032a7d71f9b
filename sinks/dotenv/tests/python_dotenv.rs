//! The dotenv output read back by python-dotenv, the most used dotenv
//! parser, with hostile values.
//!
//! python-dotenv comes from `tests/interop/requirements.txt`; `scripts/test`
//! installs it and sets SSOCRED_PYTHON. Without it this test skips loudly,
//! unless SSOCRED_REQUIRE_INTEROP=1 makes that a failure.

use serde_json::json;
use ssocred_core::domain::variables::sample_set;
use ssocred_core::{CredentialSet, SinkContext, SinkSpec, sink};
use ssocred_sink_dotenv as _;
use ssocred_test_support::{parse_format, python};

fn run(spec: &str, set: &CredentialSet, cwd: &std::path::Path) -> String {
    let ctx = SinkContext {
        config_file: cwd.join("config"),
        credentials_file: cwd.join("credentials"),
        cwd: cwd.to_path_buf(),
    };
    let mut sink = sink::build(&SinkSpec::parse(spec).unwrap(), &ctx).unwrap();
    sink.accept(set).unwrap();
    let mut out = Vec::new();
    sink.commit(&mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn python_dotenv_reads_exactly_the_values() {
    let Some(python) = python("python-dotenv interop test") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let hostile = "a'b\"c`d\\e\\nf\nnext # not a comment ü 'x' \\\" ;";
    let mut set = sample_set();
    set.region = Some(hostile.to_owned());
    let expected = json!({
        "AWS_ACCESS_KEY_ID": "ASIAEXAMPLEKEY",
        "AWS_SECRET_ACCESS_KEY": "wJalr/XUtnFEMI+K7MDENG==",
        "AWS_SESSION_TOKEN": "IQoJb3JpZ2luX2VjE/token+==",
        "AWS_CREDENTIAL_EXPIRATION": "2030-01-02T03:04:05Z",
        "AWS_REGION": hostile,
        "AWS_DEFAULT_REGION": hostile,
    });
    assert_eq!(
        parse_format(&python, "dotenv", &run("dotenv", &set, dir.path())),
        expected
    );

    // Merged into a file with other entries, python-dotenv still reads the
    // user's values unchanged and ssocred's new ones.
    let path = dir.path().join(".env");
    std::fs::write(
        &path,
        "# mine\nAPP='single # kept'\nMULTI=\"one\nAWS_REGION=not-a-key\"\nexport AWS_REGION=old\nAWS_SESSION_TOKEN=stale\n",
    )
    .unwrap();
    run("dotenv:.env", &set, dir.path());
    let mut want = expected.clone();
    want["APP"] = json!("single # kept");
    want["MULTI"] = json!("one\nAWS_REGION=not-a-key");
    let got = parse_format(&python, "dotenv", &std::fs::read_to_string(&path).unwrap());
    assert_eq!(got, want);
}
