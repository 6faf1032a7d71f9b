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
/// The same user's cache file, as a ssocred sign-in writes it.
const SESSION_FILE: &str = "b2b5a3795600f77a089fcfb9343ad775fd5212cd31b1bbdc2bb1397fd1b68abf.json";
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
        .filter_map(|o| match o {
            SigninOutcome::Refreshed(key) => Some(key),
            SigninOutcome::SignedIn(_) => None,
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
    assert!(text.contains("ssocred login -p console"), "{text}");
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

/// The body of a GET, as a browser shows it.
fn page(url: &str) -> String {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").expect("http URL");
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).unwrap();
    reply
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default()
}

/// `ssocred login --console` signs in as `aws login` does (the test plays
/// the browser): the profile gets `login_session` and the region, every
/// other byte of the config kept; the session file is the CLI's, bound to
/// the key of the sign-in (its refresh is accepted), read by botocore; and
/// `logout` removes it.
#[test]
fn login_signs_in_sets_up_the_profile_and_logout_ends_it() {
    let w = World::with_emulator(base_emulator().console_user(USER));
    w.write_config(CONFIG);
    let mut cmd = w.cmd();
    cmd.args([
        "login",
        "--console",
        "-p",
        "console",
        "--region",
        "eu-west-1",
    ]);
    let run = crate::login::Running::start(cmd);
    let authorize = crate::login::url_in(&run.line_with("/v1/authorize?"));
    for part in [
        "client_id=arn%3Aaws%3Asignin%3A%3A%3Adevtools%2Fsame-device",
        "code_challenge_method=SHA-256",
        "scope=openid",
        "redirect_uri=http%3A%2F%2F127.0.0.1%3A",
    ] {
        assert!(authorize.contains(part), "{part} not in {authorize}");
    }
    let (status, location) = crate::login::browser_get(&authorize);
    assert_eq!(status, 302);
    let (status, _) = crate::login::browser_get(&location.unwrap());
    assert_eq!(status, 200);
    let (code, _, said) = run.finish();
    assert!(code.success(), "{said}");
    assert!(said.contains(&format!("signed in as {USER}")), "{said}");

    let config = std::fs::read_to_string(w.config_path()).unwrap();
    assert_eq!(
        config,
        format!("{CONFIG}\n[profile console]\nlogin_session = {USER}\nregion = eu-west-1\n")
    );
    let path = w.aws_dir().join("login").join("cache").join(SESSION_FILE);
    assert_eq!(path, cache_path(&w));
    assert_eq!(mode_of(&path), PRIVATE_FILE);
    let file = read_cache(&w);
    assert_eq!(file["clientId"], ssocred_emulator::CLI_CLIENT_ID);
    assert_eq!(file["tokenType"], "aws_sigv4");
    assert_eq!(file["accessToken"]["accountId"], "123456789012");
    assert!(
        file["dpopKey"]
            .as_str()
            .unwrap()
            .starts_with("-----BEGIN EC PRIVATE KEY-----\n"),
        "{file}"
    );
    let outcomes = w.emulator.signin_outcomes();
    let [SigninOutcome::SignedIn(key)] = outcomes.as_slice() else {
        panic!("{outcomes:?}");
    };
    let key = key.clone();
    assert_eq!(file["accessToken"]["accessKeyId"], key.as_str());

    // The session works: as it is, and refreshed with the sign-in's key.
    let json = ok_json(&w.run(&["-p", "console", "--sink", "process"]));
    assert_eq!(json["AccessKeyId"], key.as_str());
    if let Some(python) = python("botocore with a session ssocred signed in") {
        let read = python_json(&w, &python, "botocore_login.py", &["console"]);
        assert_eq!(read["access_key"], key.as_str(), "{read}");
    }
    let mut expired = read_cache(&w);
    expired["accessToken"]["expiresAt"] = "2020-01-01T00:00:00Z".into();
    write_cache(&w, &expired);
    ok_json(&w.run(&["-p", "console", "--sink", "process"]));
    assert_eq!(refreshes(&w).len(), 1);

    let out = w.run(&["logout", "-p", "console"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!path.exists());
    let out = w.run(&["-p", "console", "--sink", "process"]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
}

/// `--remote` reads the code the confirmation page shows; a code of
/// another sign-in is refused.
#[test]
fn a_remote_login_takes_the_pasted_code_of_its_own_sign_in() {
    use std::io::Write;
    let w = World::with_emulator(base_emulator().console_user(USER));
    w.write_config(CONSOLE_CONFIG);
    let sign_in = |paste: &dyn Fn(&str) -> String| {
        let mut cmd = w.cmd();
        cmd.args(["login", "-p", "console", "--remote"]);
        let mut run = crate::login::Running::with_stdin(cmd);
        let authorize = crate::login::url_in(&run.line_with("/v1/authorize?"));
        assert!(authorize.contains("devtools%2Fcross-device"), "{authorize}");
        let body = page(&authorize);
        let code = body
            .split("<code id=\"verification-code\">")
            .nth(1)
            .and_then(|rest| rest.split('<').next())
            .unwrap_or_else(|| panic!("no code on the page: {body}"))
            .to_owned();
        writeln!(run.stdin.as_mut().unwrap(), "{}", paste(&code)).unwrap();
        run.finish()
    };
    let (status, _, stderr) = sign_in(&|code| code.to_owned());
    assert!(status.success(), "{stderr}");
    assert_eq!(
        read_cache(&w)["clientId"],
        ssocred_emulator::CROSS_DEVICE_CLIENT_ID
    );
    let forged = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        "code=code-x&state=not-this-one",
    );
    let (status, _, stderr) = sign_in(&|_| forged.clone());
    assert_eq!(status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("another sign-in"), "{stderr}");
}

/// A profile with credentials of another kind is not turned into a
/// console session, as `aws login` refuses it.
#[test]
fn login_console_refuses_a_profile_with_other_credentials() {
    let w = World::with_emulator(base_emulator().console_user(USER));
    w.write_config(CONFIG);
    let out = w.run(&[
        "login",
        "--console",
        "-p",
        "modern",
        "--region",
        "eu-west-1",
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stderr(&out).contains("sso_session"), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(w.config_path()).unwrap(), CONFIG);
}

/// `init --login-session` signs in and writes the profile; without a
/// region and a terminal to ask it stops before any call.
#[test]
fn init_login_session_sets_up_a_console_profile() {
    let w = World::with_emulator(base_emulator().console_user(USER));
    let out = w.run(&["init", "--login-session", "--profile", "work"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--region"), "{}", stderr(&out));
    assert!(w.emulator.signin_outcomes().is_empty());

    let mut cmd = w.cmd();
    cmd.args([
        "init",
        "--login-session",
        "--profile",
        "work",
        "--region",
        "eu-west-1",
    ]);
    let run = crate::login::Running::start(cmd);
    let authorize = crate::login::url_in(&run.line_with("/v1/authorize?"));
    let (_, location) = crate::login::browser_get(&authorize);
    crate::login::browser_get(&location.unwrap());
    let (code, _, said) = run.finish();
    assert!(code.success(), "{said}");
    assert_eq!(
        std::fs::read_to_string(w.config_path()).unwrap(),
        format!("{CONFIG}\n[profile work]\nlogin_session = {USER}\nregion = eu-west-1\n")
    );
    let json = ok_json(&w.run(&["-p", "work", "--sink", "process"]));
    assert_eq!(
        json["AccessKeyId"],
        read_cache(&w)["accessToken"]["accessKeyId"]
    );
}

/// `status -p console` reads the session file with no call: valid, to be
/// renewed on next use, or missing (exit 11).
#[test]
fn status_reports_the_session_from_its_file() {
    let (w, _) = signed_in(false);
    let out = w.run(&["status", "-p", "console"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = ok(&out);
    assert!(
        text.contains(&format!("console session of {USER}")),
        "{text}"
    );
    assert!(text.contains("credentials valid for "), "{text}");

    let mut file = read_cache(&w);
    file["accessToken"]["expiresAt"] = "2020-01-01T00:00:00Z".into();
    write_cache(&w, &file);
    let json = ok_json(&w.run(&["status", "-p", "console", "--json"]));
    assert_eq!(json["state"], "renews", "{json}");
    assert_eq!(json["login_session"], USER);

    std::fs::remove_file(cache_path(&w)).unwrap();
    let out = w.run(&["status", "-p", "console"]);
    assert_eq!(out.status.code(), Some(11));
    assert!(stdout_of(&out).contains("ssocred login -p console"));
    assert!(refreshes(&w).is_empty(), "status makes no call");
}

fn stdout_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The console sink signs in to the web console as a role assumed from
/// the session.
#[test]
fn the_console_sink_federates_a_role_assumed_from_the_session() {
    let (w, _) = signed_in(false);
    let out = w
        .cmd()
        .env("SSOCRED_FEDERATION_ENDPOINT", w.emulator.federation_url())
        .args([
            "-p",
            "console",
            "--assume",
            ADMIN,
            "--sink",
            "console,open=false",
        ])
        .run_to_end();
    let url = ok(&out);
    assert!(
        url.trim().starts_with(&format!(
            "{}?Action=login&Issuer=ssocred&",
            w.emulator.federation_url()
        )),
        "{url}"
    );
    let [grant] = w.emulator.signin_grants().try_into().unwrap();
    assert_eq!(grant.account_id, "123456789012");
    assert_eq!(grant.role_name, "Admin");
}

/// The Docker credential helper gives ECR passwords from a console
/// session: the user's own for a registry of its account, none for
/// another account's, and a mapped registry's through the preset's chain.
#[test]
fn the_docker_helper_serves_ecr_from_the_session_and_its_chain() {
    let (w, login) = signed_in(false);
    let get = |registry: &str| {
        let mut cmd = w.cmd();
        cmd.args(["docker-credential", "get"])
            .env("AWS_ENDPOINT_URL_ECR", w.emulator.url())
            .env("AWS_PROFILE", "console");
        ssocred_test_support::run_with_stdin(&mut cmd, registry.as_bytes())
    };
    let password = |out: &std::process::Output| -> String {
        let json = ok_json(out);
        json["Secret"].as_str().unwrap().to_owned()
    };
    let own = get("123456789012.dkr.ecr.eu-west-1.amazonaws.com");
    let owner = w.emulator.ecr_token_owner(&password(&own)).unwrap();
    assert_eq!(owner.account_id, "123456789012");
    assert_eq!(owner.access_key_id, login.credentials.access_key_id);

    let other = get("210987654321.dkr.ecr.eu-west-1.amazonaws.com");
    assert_eq!(other.status.code(), Some(1), "{}", stderr(&other));

    let dir = w.home().join(".config").join("ssocred");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("config.toml"),
        format!(
            "[preset.admin]\nprofile = \"console\"\nassume = [\"{ADMIN}\"]\n\n[[registry]]\nmatch = \"210987654321\"\npreset = \"admin\"\n"
        ),
    )
    .unwrap();
    let mapped = get("210987654321.dkr.ecr.eu-west-1.amazonaws.com");
    let owner = w.emulator.ecr_token_owner(&password(&mapped)).unwrap();
    assert_eq!(owner.role_name, "Admin");
}
