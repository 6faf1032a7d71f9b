//! Console sessions of `aws login` as a source (docs/console-sessions.md):
//! a `login_session` profile and the cache file the AWS CLI writes give
//! their credentials to the sinks and to `--assume` chains; credentials
//! near their end are refreshed through the emulator's AWS Sign-In with a
//! DPoP proof and the file is written back so that botocore keeps working
//! from it; two ssocred processes refreshing at once keep the session; an
//! ended session asks for `aws login`.

use serde_json::Value;
use sha2::{Digest, Sha256};
use ssocred_emulator::{ConsoleLogin, SigninOutcome};

use crate::world::*;

const USER: &str = "arn:aws:iam::123456789012:user/ana";
const ADMIN: &str = "arn:aws:iam::123456789012:role/Admin";

const CONSOLE_CONFIG: &str = "\
[profile console]
login_session = arn:aws:iam::123456789012:user/ana
region = eu-west-1
";

/// A world whose user `ana` is signed in; the cache file is written as the
/// AWS CLI writes it, with its credentials expired when `expired`.
fn signed_in(expired: bool) -> (World, ConsoleLogin) {
    let w = World::with_emulator(base_emulator().trust(ADMIN, USER));
    w.write_config(CONSOLE_CONFIG);
    let login = w.emulator.console_login(USER);
    let mut file: Value = serde_json::from_str(&login.cache_json).unwrap();
    if expired {
        file["accessToken"]["expiresAt"] = "2020-01-01T00:00:00Z".into();
    }
    write_cache(&w, &file);
    (w, login)
}

fn cache_path(w: &World) -> std::path::PathBuf {
    let name: String = Sha256::digest(USER.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    w.aws_dir()
        .join("login")
        .join("cache")
        .join(format!("{name}.json"))
}

fn write_cache(w: &World, file: &Value) {
    let path = cache_path(w);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, serde_json::to_string_pretty(file).unwrap()).unwrap();
}

fn read_cache(w: &World) -> Value {
    serde_json::from_slice(&std::fs::read(cache_path(w)).unwrap()).unwrap()
}

fn refreshes(w: &World) -> Vec<String> {
    w.emulator
        .signin_outcomes()
        .into_iter()
        .map(|o| match o {
            SigninOutcome::Refreshed(key) => key,
            SigninOutcome::Refused(why) => panic!("Sign-In refused a request: {why}"),
        })
        .collect()
}

#[test]
fn a_valid_session_gives_its_own_credentials_to_the_sinks_without_a_call() {
    let (w, login) = signed_in(false);
    let json = &ok_json(&w.run(&["-p", "console", "--sink", "json"]));
    assert_eq!(
        json["access_key_id"],
        login.credentials.access_key_id.as_str()
    );
    assert_eq!(
        json["session_token"],
        login.credentials.session_token.as_str()
    );
    assert_eq!(json["role_arn"], USER);
    assert_eq!(json["account_id"], "123456789012");
    assert_eq!(json["sso_profile"], "console");
    let env = ok(&w.run(&["-p", "console", "--sink", "env"]));
    assert!(
        env.contains(&format!(
            "export AWS_ACCESS_KEY_ID='{}'",
            login.credentials.access_key_id
        )),
        "{env}"
    );
    assert!(env.contains("export AWS_REGION='eu-west-1'"), "{env}");
    assert!(
        refreshes(&w).is_empty(),
        "valid credentials need no refresh"
    );
}

#[test]
fn expired_credentials_are_refreshed_once_and_written_back_for_botocore() {
    let (w, login) = signed_in(true);
    let json = ok_json(&w.run(&["-p", "console", "--sink", "process"]));
    let refreshed = refreshes(&w);
    assert_eq!(refreshed.len(), 1, "{refreshed:?}");
    assert_eq!(json["AccessKeyId"], refreshed[0].as_str());
    assert_ne!(refreshed[0], login.credentials.access_key_id);

    // The file holds the new credentials and refresh token, the session's
    // key and client as they were, in the CLI's format.
    let file = read_cache(&w);
    assert_eq!(file["accessToken"]["accessKeyId"], refreshed[0].as_str());
    assert_ne!(file["refreshToken"], login.refresh_token.as_str());
    assert_eq!(file["dpopKey"], login.dpop_key_pem.as_str());
    assert_eq!(file["clientId"], ssocred_emulator::CLI_CLIENT_ID);
    assert_eq!(file["accessToken"]["accountId"], "123456789012");

    // A second run answers from the file.
    let again = ok_json(&w.run(&["-p", "console", "--sink", "process"]));
    assert_eq!(again["AccessKeyId"], refreshed[0].as_str());
    assert_eq!(refreshes(&w).len(), 1);

    // botocore's own provider reads the file ssocred wrote ...
    let Some(python) = python("botocore with a console session") else {
        return;
    };
    let read = python_json(&w, &python, "botocore_login.py", &["console"]);
    assert_eq!(read["access_key"], refreshed[0].as_str(), "{read}");
    assert_eq!(read["method"], "login", "{read}");
    // ... and refreshes it with the refresh token ssocred got.
    let mut file = read_cache(&w);
    file["accessToken"]["expiresAt"] = "2020-01-01T00:00:00Z".into();
    write_cache(&w, &file);
    let by_botocore = python_json(&w, &python, "botocore_login.py", &["console"]);
    let refreshed = refreshes(&w);
    assert_eq!(refreshed.len(), 2, "{refreshed:?}");
    assert_eq!(by_botocore["access_key"], refreshed[1].as_str());
    // And ssocred reads what botocore wrote.
    let last = ok_json(&w.run(&["-p", "console", "--sink", "process"]));
    assert_eq!(last["AccessKeyId"], refreshed[1].as_str());
}

#[test]
fn two_processes_refreshing_at_once_keep_the_session() {
    let (w, _) = signed_in(true);
    let spawn = || {
        w.cmd()
            .args(["-p", "console", "--sink", "process"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    let keys: Vec<Value> = [a, b]
        .iter()
        .map(|out| ok_json(out)["AccessKeyId"].clone())
        .collect();
    let refreshed = refreshes(&w);
    assert_eq!(refreshed.len(), 1, "one refresh, the other process used it");
    assert!(keys.iter().all(|k| *k == refreshed[0].as_str()), "{keys:?}");
    // The session lives on: the next refresh is accepted.
    let mut file = read_cache(&w);
    file["accessToken"]["expiresAt"] = "2020-01-01T00:00:00Z".into();
    write_cache(&w, &file);
    ok_json(&w.run(&["-p", "console", "--sink", "json"]));
    assert_eq!(refreshes(&w).len(), 2);
}

#[test]
fn an_assume_chain_starts_from_the_session() {
    let (w, login) = signed_in(false);
    let json = ok_json(&w.run(&["-p", "console", "--assume", ADMIN, "--sink", "process"]));
    let key = json["AccessKeyId"].as_str().unwrap();
    let issued = w.emulator.issued_for_key(key).expect("issued by STS");
    assert_eq!(issued.role_arn.as_deref(), Some(ADMIN));
    assert_eq!(
        issued.assumed_by.as_deref(),
        Some(login.credentials.access_key_id.as_str())
    );
    assert_eq!(issued.session_name.as_deref(), Some("ssocred-ana"));
}

#[test]
fn an_ended_or_missing_session_asks_for_a_sign_in() {
    let (w, _) = signed_in(true);
    let mut file = read_cache(&w);
    file["refreshToken"] = "rt-spent".into();
    write_cache(&w, &file);
    let out = w.run(&["-p", "console", "--sink", "json"]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let text = stderr(&out);
    assert!(text.contains("aws login --profile console"), "{text}");
    assert!(text.contains("profile `console`"), "{text}");

    std::fs::remove_file(cache_path(&w)).unwrap();
    let out = w.run(&["-p", "console", "--sink", "json"]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(stderr(&out).contains("no cache file"), "{}", stderr(&out));

    // A console session has no roles to choose from.
    let out = w.run(&["-p", "console", "-r", ADMIN, "--sink", "json"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--assume"), "{}", stderr(&out));
}

/// `exec` and `use` (its server, in a real bash, read by boto3) serve the
/// session as they serve a role, and the prompt names the user.
// Unix only: the command and the shell are sh and bash.
#[cfg(unix)]
#[test]
fn exec_and_use_serve_the_session() {
    let (w, login) = signed_in(false);
    let out = w
        .cmd()
        .args(["exec", "-p", "console", "--", "sh", "-c"])
        .arg("echo \"$AWS_ACCESS_KEY_ID $SSOCRED_EXEC\"")
        .run_to_end();
    assert_eq!(
        ok(&out).trim(),
        format!("{} {USER}", login.credentials.access_key_id)
    );

    let Some(bash) = crate::shell_use::shell("bash") else {
        return;
    };
    let Some(python) = python("boto3 in a `use` shell of a console session") else {
        return;
    };
    let script = w.home().join("use.bash");
    std::fs::write(
        &script,
        "eval \"$(ssocred shell-init bash)\"\n\
         ssocred use console || exit 9\n\
         \"$PY\" \"$BOTO\" 0\n\
         ssocred status --in-use\n",
    )
    .unwrap();
    let mut cmd = w.command(&bash);
    cmd.arg(&script)
        .env("PATH", path_with(&[ssocred_dir()]))
        .env("PY", &python)
        .env(
            "BOTO",
            format!(
                "{}/../tests/interop/boto3_container.py",
                env!("CARGO_MANIFEST_DIR")
            ),
        );
    let out = cmd.run_to_end();
    let stdout = ok(&out);
    let mut lines = stdout.lines();
    let boto: Value = serde_json::from_str(lines.next().unwrap_or_default()).unwrap();
    assert_eq!(boto["method"], "container-role", "{boto}");
    assert_eq!(
        boto["first"]["access_key"],
        login.credentials.access_key_id.as_str()
    );
    let prompt = lines.next().unwrap_or_default();
    assert!(prompt.starts_with("ana@123456789012 "), "{prompt}");
}
