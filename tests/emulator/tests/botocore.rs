//! botocore, pointed at the emulator with `AWS_ENDPOINT_URL_SSO`, works
//! unchanged. Needs SSOCRED_PYTHON (see scripts/test).

mod support;

use std::process::Command;

use serde_json::{Value, json};
use ssocred_emulator::{Account, Emulator, EmulatorConfig, Operation, StsOperation};

const TOKEN: &str = "boto-token";

/// Drives every portal operation through botocore and prints what it got.
const SCRIPT: &str = r#"
import json, sys
import botocore.session
from botocore.exceptions import ClientError

token = sys.argv[1]
client = botocore.session.get_session().create_client("sso", region_name="eu-west-1")

def items(operation, key, **kwargs):
    pages = client.get_paginator(operation).paginate(accessToken=token, **kwargs)
    return [item for page in pages for item in page[key]]

def error(call, **kwargs):
    try:
        call(**kwargs)
    except ClientError as err:
        return [err.response["ResponseMetadata"]["HTTPStatusCode"], err.response["Error"]["Code"]]
    return None

accounts = items("list_accounts", "accountList")
roles = items("list_account_roles", "roleList", accountId="210987654321")
creds = client.get_role_credentials(
    accessToken=token, accountId="210987654321", roleName="My.Role+x@y")["roleCredentials"]
errors = [
    error(client.get_role_credentials, accessToken="wrong", accountId="210987654321", roleName="Admin"),
    error(client.get_role_credentials, accessToken=token, accountId="210987654321", roleName="Nope"),
    error(client.list_accounts, accessToken=token, maxResults=101),
]
client.logout(accessToken=token)
errors.append(error(client.list_accounts, accessToken=token))
print(json.dumps({"accounts": accounts, "roles": roles, "creds": creds, "errors": errors}))
"#;

/// The Python to run botocore with (see `ssocred_test_support::python`).
fn python() -> Option<String> {
    ssocred_test_support::python("botocore emulator test")
        .map(|path| path.to_string_lossy().into_owned())
}

/// Runs `script` with `args` under `python` in a clean AWS environment (no
/// `AWS_*` variable of the caller's, HOME and both AWS files in `home`),
/// with `endpoint` set to the emulator, and parses what it prints as JSON.
fn run_python(
    python: &str,
    script: &str,
    args: &[&str],
    endpoint: (&str, String),
    home: &std::path::Path,
) -> Value {
    let mut command = Command::new(python);
    command.arg("-c").arg(script).args(args);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("AWS_") {
            command.env_remove(name);
        }
    }
    let output = command
        .env(endpoint.0, endpoint.1)
        .env("AWS_CONFIG_FILE", home.join("config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.join("credentials"))
        .env("HOME", home)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn botocore_uses_every_operation() {
    let Some(python) = python() else { return };
    let account = Account::new("210987654321", "Prüfung ✓")
        .email("ops@example.com")
        .roles(["My.Role+x@y", "Deploy=Prod,EU", "Admin"]);
    let emulator = Emulator::start(
        EmulatorConfig::generated(2, 1)
            .account(account)
            .page_size(1)
            .trailing_empty_page(true)
            .with_token(TOKEN),
    )
    .unwrap();
    let home = tempfile::tempdir().unwrap();

    let result = run_python(
        &python,
        SCRIPT,
        &[TOKEN],
        ("AWS_ENDPOINT_URL_SSO", emulator.url()),
        home.path(),
    );

    let ids: Vec<&str> = result["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|account| account["accountId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["100000000000", "100000000001", "210987654321"]);
    assert_eq!(result["accounts"][2]["accountName"], "Prüfung ✓");
    assert_eq!(
        result["roles"],
        json!([
            {"roleName": "My.Role+x@y", "accountId": "210987654321"},
            {"roleName": "Deploy=Prod,EU", "accountId": "210987654321"},
            {"roleName": "Admin", "accountId": "210987654321"},
        ])
    );
    let issued = &emulator.issued()[0];
    assert_eq!(issued.role_name, "My.Role+x@y");
    assert_eq!(
        result["creds"],
        json!({
            "accessKeyId": issued.access_key_id,
            "secretAccessKey": issued.secret_access_key,
            "sessionToken": issued.session_token,
            "expiration": issued.expiration_epoch_ms,
        })
    );
    assert_eq!(
        result["errors"],
        json!([
            [401, "UnauthorizedException"],
            [404, "ResourceNotFoundException"],
            [400, "InvalidRequestException"],
            [401, "UnauthorizedException"],
        ])
    );
    // 3 accounts one per page, then the trailing empty page; the same for
    // 3 roles; then the call with max_result=101 and the one after logout.
    assert_eq!(emulator.count(Operation::ListAccounts), 6);
    assert_eq!(emulator.count(Operation::ListAccountRoles), 4);
    assert_eq!(emulator.logged_out_tokens(), [TOKEN]);
}

/// Assumes a role twice with botocore's STS client (the second hop with the
/// first hop's credentials), then asks for one it is not trusted for.
const STS_SCRIPT: &str = r#"
import json, sys
import botocore.session
from botocore.exceptions import ClientError

key, secret, token, target, second, denied = sys.argv[1:7]

def client(key, secret, token, region):
    return botocore.session.get_session().create_client(
        "sts", region_name=region, aws_access_key_id=key,
        aws_secret_access_key=secret, aws_session_token=token)

def shown(answer):
    creds = answer["Credentials"]
    return {
        "AccessKeyId": creds["AccessKeyId"],
        "SecretAccessKey": creds["SecretAccessKey"],
        "SessionToken": creds["SessionToken"],
        "Expiration": creds["Expiration"].timestamp(),
        "AssumedRoleUser": answer["AssumedRoleUser"],
        "SourceIdentity": answer.get("SourceIdentity"),
    }

hop1 = client(key, secret, token, "eu-west-1").assume_role(
    RoleArn=target, RoleSessionName="boto-1", SourceIdentity="alice", DurationSeconds=900)
c = hop1["Credentials"]
hop2 = client(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"], "us-east-2").assume_role(
    RoleArn=second, RoleSessionName="boto-2", ExternalId="ext-1")
try:
    client(key, secret, token, "eu-west-1").assume_role(RoleArn=denied, RoleSessionName="boto-3")
    error = None
except ClientError as err:
    error = [err.response["ResponseMetadata"]["HTTPStatusCode"],
             err.response["Error"]["Code"], err.response["Error"]["Message"]]
print(json.dumps({"hop1": shown(hop1), "hop2": shown(hop2), "error": error}))
"#;

#[test]
fn botocore_assumes_roles_and_reads_access_denied() {
    let Some(python) = python() else { return };
    let source = "arn:aws:iam::100000000000:role/ReadOnly";
    let target = "arn:aws:iam::222222222222:role/Deploy";
    let second = "arn:aws:iam::333333333333:role/team/Audit";
    let denied = "arn:aws:iam::444444444444:role/Nope";
    let emulator = Emulator::start(
        EmulatorConfig::generated(1, 1)
            .with_token(TOKEN)
            .trust(target, source)
            .trust_with_external_id(second, target, "ext-1"),
    )
    .unwrap();
    let path = "/federation/credentials?role_name=ReadOnly&account_id=100000000000";
    assert_eq!(support::get(emulator.port(), path, Some(TOKEN)).status, 200);
    let sso = emulator.issued()[0].clone();
    let home = tempfile::tempdir().unwrap();

    let result = run_python(
        &python,
        STS_SCRIPT,
        &[
            &sso.access_key_id,
            &sso.secret_access_key,
            &sso.session_token,
            target,
            second,
            denied,
        ],
        ("AWS_ENDPOINT_URL_STS", emulator.url()),
        home.path(),
    );

    let hop1 = emulator
        .issued_for_key(result["hop1"]["AccessKeyId"].as_str().unwrap())
        .unwrap();
    let hop2 = emulator
        .issued_for_key(result["hop2"]["AccessKeyId"].as_str().unwrap())
        .unwrap();
    assert_eq!(
        result["hop1"],
        json!({
            "AccessKeyId": hop1.access_key_id,
            "SecretAccessKey": hop1.secret_access_key,
            "SessionToken": hop1.session_token,
            "Expiration": (hop1.expiration_epoch_ms / 1000) as f64,
            "AssumedRoleUser": {
                "AssumedRoleId": result["hop1"]["AssumedRoleUser"]["AssumedRoleId"],
                "Arn": "arn:aws:sts::222222222222:assumed-role/Deploy/boto-1",
            },
            "SourceIdentity": "alice",
        })
    );
    assert!(
        result["hop1"]["AssumedRoleUser"]["AssumedRoleId"]
            .as_str()
            .unwrap()
            .ends_with(":boto-1")
    );
    assert_eq!(
        result["hop2"]["AssumedRoleUser"]["Arn"],
        "arn:aws:sts::333333333333:assumed-role/Audit/boto-2"
    );
    assert_eq!(result["hop2"]["SourceIdentity"], Value::Null);
    assert_eq!(hop1.assumed_by.as_deref(), Some(sso.access_key_id.as_str()));
    assert_eq!(hop1.duration_seconds, Some(900));
    assert_eq!(
        hop2.assumed_by.as_deref(),
        Some(hop1.access_key_id.as_str())
    );
    assert_eq!(hop2.external_id.as_deref(), Some("ext-1"));
    assert_eq!(hop2.sts_region.as_deref(), Some("us-east-2"));
    assert_eq!(
        result["error"],
        json!([
            403,
            "AccessDenied",
            format!(
                "User: arn:aws:sts::100000000000:assumed-role/ReadOnly/ssocred-emulator \
             is not authorized to perform: sts:AssumeRole on resource: {denied}"
            )
        ])
    );
    assert_eq!(emulator.sts_count(StsOperation::AssumeRole), 3);
}
