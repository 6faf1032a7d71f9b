//! `ssocred init` on a fresh HOME: flags only (no terminal), a native login
//! against the emulator, the sections it writes, botocore reading the
//! profile, and a rerun that changes nothing.

use std::time::Duration;

use ssocred_emulator::OidcConfig;

use crate::world::*;

const START_URL: &str = "https://d-init000001.awsapps.com/start";

/// A world with no AWS files and no token, whose device codes are approved
/// as soon as they are polled.
fn fresh() -> World {
    let w = World::with_emulator(
        base_emulator().oidc(OidcConfig::default().approval_delay(Some(Duration::ZERO))),
    );
    std::fs::remove_dir_all(w.aws_dir()).unwrap();
    w
}

fn init(w: &World, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "init",
        "--start-url",
        START_URL,
        "--sso-region",
        "eu-west-1",
        "--no-browser",
    ];
    args.extend_from_slice(extra);
    w.run(&args)
}

fn config(w: &World) -> String {
    std::fs::read_to_string(w.config_path()).unwrap()
}

const WRITTEN: &str = "\
[sso-session d-init000001]
sso_start_url = https://d-init000001.awsapps.com/start
sso_region = eu-west-1

[profile Developer-210987654321]
sso_session = d-init000001
sso_account_id = 210987654321
sso_role_name = Developer
region = eu-west-1
";

#[test]
fn init_on_a_fresh_home_logs_in_and_writes_a_profile_botocore_reads_and_a_rerun_changes_nothing() {
    let w = fresh();
    let out = init(&w, &["--role", "Developer"]);
    let diff = ok(&out);
    assert_eq!(config(&w), WRITTEN);
    assert!(diff.contains("+[sso-session d-init000001]\n"), "{diff}");
    assert!(diff.contains("+sso_role_name = Developer\n"), "{diff}");
    assert_eq!(
        w.emulator.oidc_counts()["CreateToken:urn:ietf:params:oauth:grant-type:device_code"],
        1,
        "one device-code login"
    );
    assert!(w.token_path("d-init000001").exists());

    // ssocred itself uses the profile's own role, with no -r.
    let got = ok_json(&w.run(&["-p", "Developer-210987654321", "--sink", "json"]));
    assert_eq!(got["account_id"], DEV, "{got}");

    // The rerun: same answers, no login, no byte changed, no diff.
    let before = config(&w);
    let calls = w.emulator.oidc_counts().values().sum::<u64>();
    let out = init(&w, &["--role", "Developer"]);
    assert_eq!(ok(&out), "", "a rerun prints no diff");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("nothing to change"), "{stderr}");
    assert_eq!(config(&w), before);
    assert_eq!(w.emulator.oidc_counts().values().sum::<u64>(), calls);

    let Some(python) = python("init: botocore reads the profile") else {
        return;
    };
    let got = python_json(
        &w,
        &python,
        "botocore_creds.py",
        &["Developer-210987654321"],
    );
    let issued = w.emulator.issued();
    let last = issued.last().unwrap();
    assert_eq!(got["method"], "sso", "{got}");
    assert_eq!(
        (last.account_id.as_str(), last.role_name.as_str()),
        (DEV, "Developer")
    );
    assert_eq!(got["access_key"], last.access_key_id.as_str());
    assert_eq!(got["region"], "eu-west-1");
}

/// `[default]` is written only when asked for: the SDKs read it before
/// anything `ssocred use` sets up, so an unasked one would shadow it.
#[test]
fn init_writes_default_only_when_asked() {
    let w = fresh();
    ok(&init(&w, &["--role", "Developer", "--profile", "default"]));
    let written = config(&w);
    assert!(
        written.ends_with(
            "[default]\nsso_session = d-init000001\nsso_account_id = 210987654321\n\
             sso_role_name = Developer\nregion = eu-west-1\n"
        ),
        "{written}"
    );
    let got = ok_json(&w.run(&["--sink", "json"]));
    assert_eq!(got["account_id"], DEV, "{got}");
}

#[test]
fn init_keeps_the_users_file_and_never_replaces_a_section_without_force() {
    let w = fresh();
    let mine =
        "# my settings\n[default]\noutput = json\n\n[profile other]  ; mine\nregion = us-east-2\n";
    w.write_config(mine);
    ok(&init(
        &w,
        &[
            "-r",
            "arn:aws:iam::123456789012:role/Admin",
            "--region",
            "eu-north-1",
        ],
    ));
    let written = config(&w);
    // The profile is ROLE-ACCOUNT; the user's bytes stay.
    assert_eq!(
        written,
        format!(
            "{mine}\n[sso-session d-init000001]\nsso_start_url = {START_URL}\nsso_region = eu-west-1\n\n\
             [profile Admin-123456789012]\nsso_session = d-init000001\nsso_account_id = 123456789012\n\
             sso_role_name = Admin\nregion = eu-north-1\n"
        )
    );

    // Another region for the same session: refused, nothing written.
    let out = w.run(&[
        "init",
        "--start-url",
        START_URL,
        "--sso-region",
        "us-east-1",
        "--role",
        "Developer",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("[sso-session d-init000001]") && stderr.contains("--force"),
        "{stderr}"
    );
    assert_eq!(config(&w), written);

    // The same profile name for another role: refused too.
    let out = init(
        &w,
        &["--role", "Developer", "--profile", "Admin-123456789012"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("[profile Admin-123456789012]"));
    assert_eq!(config(&w), written);

    // --force replaces only the values init writes.
    ok(&init(
        &w,
        &[
            "--role",
            "Developer",
            "--profile",
            "Admin-123456789012",
            "--force",
        ],
    ));
    let forced = config(&w);
    assert!(forced.starts_with(mine), "{forced}");
    assert!(
        forced.ends_with(
            "[profile Admin-123456789012]\nsso_session = d-init000001\nsso_account_id = 210987654321\n\
             sso_role_name = Developer\nregion = eu-west-1\n"
        ),
        "{forced}"
    );
}

#[test]
fn init_without_a_terminal_names_the_missing_flag_and_a_dry_run_writes_nothing() {
    let w = fresh();
    let out = w.run(&["init", "--role", "Developer"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--start-url"));
    let out = w.run(&["init", "--start-url", START_URL, "--role", "Developer"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--sso-region"));
    let out = w.run(&["init", "--start-url", "http://d-1.awsapps.com/start"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("https://"));
    assert!(!w.config_path().exists());

    // A start URL that names its region needs no --sso-region.
    let out = w.run(&[
        "init",
        "--start-url",
        "https://ssoins-0123456789abcdef.portal.ap-southeast-2.app.aws",
        "--role",
        "Developer",
        "--dry-run",
    ]);
    let diff = ok(&out);
    assert!(diff.contains("+sso_region = ap-southeast-2\n"), "{diff}");
    assert!(
        diff.contains("+[sso-session ssoins-0123456789abcdef]\n"),
        "{diff}"
    );
    assert!(!w.config_path().exists(), "a dry run writes nothing");
}

#[test]
fn init_all_writes_the_login_profile_and_one_per_role() {
    let w = fresh();
    ok(&init(&w, &["--all", "--account", "dev*"]));
    let written = config(&w);
    assert!(
        written.starts_with(
            "[sso-session d-init000001]\nsso_start_url = https://d-init000001.awsapps.com/start\n\
             sso_region = eu-west-1\n\n[profile d-init000001]\nsso_session = d-init000001\nregion = eu-west-1\n"
        ),
        "{written}"
    );
    assert!(
        written.contains("[profile 210987654321-Developer]\ncredential_process = "),
        "{written}"
    );
    assert!(!written.contains("123456789012"), "{written}");
    // Each discovered profile runs ssocred with the login's profile.
    let out = w
        .cmd()
        .args([
            "-p",
            "d-init000001",
            "--account",
            DEV,
            "--role",
            "Developer",
            "--sink",
            "json",
        ])
        .run_to_end();
    assert_eq!(ok_json(&out)["account_id"], DEV);
    ok(&init(&w, &["--all", "--account", "dev*"]));
    assert_eq!(config(&w), written, "a rerun changes nothing");
}

#[test]
fn nothing_configured_points_to_init() {
    let w = fresh();
    let out = w.run(&["--sink", "json"]);
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("ssocred init"), "{stderr}");
}

/// On a terminal every answer is asked for, the region a start URL names is
/// offered as the default, and the roles come from the chooser.
#[test]
fn init_on_a_terminal_asks_offers_the_region_of_the_url_and_uses_the_chooser() {
    let Some(python) = python("init on a terminal") else {
        return;
    };
    let w = fresh();
    let url = "https://ssoins-0123456789abcdef.portal.eu-west-1.app.aws";
    let steps = serde_json::json!([
        ["URL:", format!("{url}\r")],
        ["SSO region", "\r"],
        ["Session name:", "\r"],
        ["Role:", "dev develo"],
        ["Developer", "\r"],
        ["Profile name:", "\r"],
        ["Write this to", "\r"]
    ]);
    let script = format!("{}/../tests/interop/pty_run.py", env!("CARGO_MANIFEST_DIR"));
    let out = w
        .command(&python)
        .arg(script)
        .arg(steps.to_string())
        .arg("--")
        .arg(env!("CARGO_BIN_EXE_ssocred"))
        .args(["init", "--no-browser"])
        .env("TERM", "xterm")
        .run_to_end();
    let result = ok_json(&out);
    assert_eq!(result["code"], 0, "{result:#}");
    assert_eq!(result["left"], serde_json::json!([]), "{result:#}");
    assert_eq!(
        config(&w),
        format!(
            "[sso-session ssoins-0123456789abcdef]\nsso_start_url = {url}\nsso_region = eu-west-1\n\n\
             [profile Developer-{DEV}]\nsso_session = ssoins-0123456789abcdef\nsso_account_id = {DEV}\n\
             sso_role_name = Developer\nregion = eu-west-1\n"
        )
    );
    // The diff went to stdout before the question.
    assert!(
        result["stdout"]
            .as_str()
            .unwrap()
            .contains("+sso_role_name = Developer\n"),
        "{result:#}"
    );
}

/// Every call to the emulator: OIDC and the portal.
fn calls(w: &World) -> u64 {
    w.emulator.oidc_counts().values().sum::<u64>() + all_calls(w)
}

/// An answer that will be refused is refused before any login or listing:
/// a bad profile name, a malformed role ARN, a start URL with user info.
#[test]
fn init_refuses_bad_answers_before_any_network_call() {
    let w = fresh();
    for (extra, names) in [
        (&["--profile", "x]", "--role", "Developer"][..], "--profile"),
        (&["--role-arn", "arn:aws:iam::12:role/"][..], "--role-arn"),
    ] {
        let out = init(&w, extra);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {stderr}");
        assert!(stderr.contains(names), "{stderr}");
        assert_eq!(calls(&w), 0, "{extra:?} made a call: {stderr}");
        assert!(!w.aws_dir().join("sso").exists(), "{extra:?}");
    }
}

/// A start URL with a user name and password is refused (exit 2) and the
/// password never reaches stderr: from init's flag, and from a profile of
/// the AWS config (exit 3, a config error).
#[test]
fn a_start_url_with_user_info_is_refused_without_echoing_it() {
    let w = fresh();
    let out = w.run(&[
        "init",
        "--start-url",
        "https://alice:hunter2-SECRET@d-init000001.awsapps.com/start",
        "--sso-region",
        "eu-west-1",
        "--role",
        "Developer",
        "--no-browser",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("user name or password"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
    assert!(!stderr.contains("alice"), "{stderr}");
    assert_eq!(calls(&w), 0);
    assert!(!w.config_path().exists());

    let w = World::new();
    w.write_config(
        "[profile leaky]\nsso_session = leaky\n\n[sso-session leaky]\nsso_start_url = https://alice:hunter2-SECRET@d-corp.awsapps.com/start\nsso_region = us-east-1\n\n\
         [profile leaky-too]\nsso_session = leaky\nsso_start_url = https://bob:other-SECRET@d-corp.awsapps.com/start\n\n\
         [profile old]\nsso_start_url = https://alice:hunter2-SECRET@d-corp.awsapps.com/start\nsso_region = us-east-1\n",
    );
    for profile in ["leaky", "leaky-too", "old"] {
        for args in [
            &["-p", profile, "-r", READ_ONLY_ARN, "--sink", "json"][..],
            &["login", "-p", profile, "--device-code", "--no-browser"][..],
        ] {
            let out = w.run(args);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(3), "{args:?}: {stderr}");
            assert!(stderr.contains("user name or password"), "{stderr}");
            assert!(!stderr.contains("SECRET"), "{stderr}");
            assert!(
                !stderr.contains("alice") && !stderr.contains("bob"),
                "{stderr}"
            );
        }
    }
    let out = w.run(&["login", "--all", "--device-code", "--no-browser"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(!stderr.contains("SECRET"), "{stderr}");
    assert_eq!(calls(&w), 0);
}

/// `--dry-run` logs in when it must (to list the roles), but keeps the
/// token in memory: nothing is written under ~/.aws, and a later run logs
/// in again.
#[test]
fn a_dry_run_writes_no_token_cache() {
    let w = fresh();
    let out = init(&w, &["--role", "Developer", "--dry-run"]);
    let diff = ok(&out);
    assert!(diff.contains("+sso_role_name = Developer\n"), "{diff}");
    assert_eq!(
        w.emulator.oidc_counts()["CreateToken:urn:ietf:params:oauth:grant-type:device_code"],
        1
    );
    let written: Vec<_> = walk(&w.aws_dir());
    assert!(written.is_empty(), "a dry run wrote {written:?}");
    // So does `--all`, which plans one profile per role.
    let out = init(&w, &["--all", "--dry-run"]);
    assert!(ok(&out).contains("credential_process"));
    let written: Vec<_> = walk(&w.aws_dir());
    assert!(written.is_empty(), "a dry run wrote {written:?}");
}

/// Every file under `dir`, if it exists.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .flat_map(|e| {
            let path = e.path();
            if path.is_dir() {
                walk(&path)
            } else {
                vec![path]
            }
        })
        .collect()
}
