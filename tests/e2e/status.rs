//! `ssocred status`: the login's state, the cached role credentials of the
//! profile's role (and with `--all-roles` of every role its login's profiles
//! name), a bare `status` over every login, the exit codes, `--json`,
//! `--format` and `--check`.

use std::process::Output;

use ssocred_core::domain::sso_profile::SsoProfile;
use ssocred_core::domain::time_fmt::utc_z;
use ssocred_core::store::role_cache::cache_key;
use ssocred_emulator::Operation;
use time::{Duration, OffsetDateTime};

use crate::world::*;

const SECRET_KEY: &str = "status-SECRET-access-key";
const SESSION_TOKEN: &str = "status-SECRET-session-token";
const REFRESH: &str = "status-SECRET-refresh-token";
const CLIENT_SECRET: &str = "status-SECRET-client-secret";

/// The standard config plus a profile `discover` wrote for ReadOnly, a
/// native one for Admin, and one of another login.
fn config() -> String {
    format!(
        "{CONFIG}
[profile prod-readonly]
credential_process = \"/opt/my tools/ssocred\" -p modern -r {READ_ONLY_ARN} --sink process
region = eu-west-1

[profile prod-admin]
sso_session = corp
sso_account_id = {PROD}
sso_role_name = Admin

[profile elsewhere]
sso_start_url = https://d-other.awsapps.com/start
sso_region = us-east-1
sso_account_id = {PROD}
sso_role_name = Other
"
    )
}

fn corp() -> SsoProfile {
    SsoProfile {
        name: "pinned".into(),
        session: Some("corp".into()),
        start_url: "https://d-corp.awsapps.com/start".into(),
        sso_region: "us-east-1".into(),
        region: None,
        account_id: None,
        role_name: None,
    }
}

fn at(offset: Duration) -> String {
    utc_z(OffsetDateTime::now_utc() + offset)
}

fn world() -> World {
    let w = World::new();
    w.write_config(&config());
    w
}

/// The corp login's token, expiring after `offset`, with `extra` fields.
fn corp_token(w: &World, offset: Duration, extra: serde_json::Value) {
    let mut body = serde_json::json!({
        "startUrl": "https://d-corp.awsapps.com/start",
        "region": "us-east-1",
        "accessToken": TOKEN,
        "expiresAt": at(offset),
    });
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    std::fs::write(w.token_path("corp"), body.to_string()).unwrap();
}

/// A role-cache entry for the corp login, expiring after `offset`.
fn cached_role(w: &World, account: &str, role: &str, offset: Duration) {
    let dir = w.aws_dir().join("cli/cache");
    std::fs::create_dir_all(&dir).unwrap();
    let body = serde_json::json!({
        "ProviderType": "sso",
        "Credentials": {
            "AccessKeyId": "ASIASTATUS",
            "SecretAccessKey": SECRET_KEY,
            "SessionToken": SESSION_TOKEN,
            "Expiration": at(offset),
            "AccountId": account,
        }
    });
    let key = cache_key(&corp(), account, role);
    std::fs::write(dir.join(format!("{key}.json")), body.to_string()).unwrap();
}

fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

fn json_of(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn no_secrets(out: &Output) {
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    for secret in [TOKEN, SECRET_KEY, SESSION_TOKEN, REFRESH, CLIENT_SECRET] {
        assert!(!all.contains(secret), "{secret} shown:\n{all}");
    }
}

/// The roles of a `--json` report as (arn, from, state).
fn roles(json: &serde_json::Value) -> Vec<(String, String, String)> {
    json["profiles"][0]["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["role_arn"].as_str().unwrap().to_owned(),
                r["from"].as_str().unwrap().to_owned(),
                r["state"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn all_roles_reports_every_role_the_login_can_name_without_a_network_call() {
    let w = world();
    corp_token(&w, Duration::hours(8), serde_json::json!({}));
    cached_role(&w, DEV, "Developer", Duration::hours(1));
    cached_role(&w, PROD, "ReadOnly", Duration::minutes(-5));
    cached_role(&w, PROD, "Admin", Duration::minutes(10));
    let out = w.run(&[
        "status",
        "-p",
        "pinned",
        "--account",
        DEV,
        "--role",
        "My.Role+x=y,z@w",
        "--all-roles",
        "--json",
    ]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    no_secrets(&out);
    let json = json_of(&out);
    assert_eq!(json["state"], "valid");
    assert_eq!(json["exit_code"], 0);
    assert_eq!(json["threshold_seconds"], 900);
    let profile = &json["profiles"][0];
    assert_eq!(profile["profile"], "pinned");
    assert_eq!(profile["sso_session"], "corp");
    assert_eq!(profile["start_url"], "https://d-corp.awsapps.com/start");
    let login = &profile["login"];
    assert_eq!(login["state"], "valid");
    assert_eq!(login["refreshable"], false);
    assert_eq!(login["check"], serde_json::Value::Null);
    let left = login["remaining_seconds"].as_i64().unwrap();
    assert!((8 * 3600 - 120..=8 * 3600).contains(&left), "{left}");
    assert!(login["token_file"].as_str().unwrap().ends_with(".json"));
    let arn = |account: &str, role: &str| format!("arn:aws:iam::{account}:role/{role}");
    let own = |s: &str| s.to_owned();
    assert_eq!(
        roles(&json),
        vec![
            (arn(DEV, "My.Role+x=y,z@w"), own("asked"), own("missing")),
            (arn(DEV, "Developer"), own("profile"), own("valid")),
            (
                arn(PROD, "Admin"),
                own("profile prod-admin"),
                own("expiring")
            ),
            (
                arn(PROD, "ReadOnly"),
                own("profile prod-readonly"),
                own("expired")
            ),
        ],
        "the other login's role (profile elsewhere) is not this login's"
    );
    let dev = &profile["roles"][1];
    let left = dev["remaining_seconds"].as_i64().unwrap();
    assert!((3600 - 120..=3600).contains(&left), "{left}");
    assert_eq!(
        w.emulator.counts().values().sum::<u64>(),
        0,
        "a network call"
    );
}

#[test]
fn the_human_report_names_the_login_and_each_role() {
    let w = world();
    corp_token(&w, Duration::hours(3), serde_json::json!({}));
    cached_role(&w, DEV, "Developer", Duration::hours(1));
    let out = w.run(&["status", "-p", "pinned", "--all-roles"]);
    let text = ok(&out);
    no_secrets(&out);
    assert!(
        text.starts_with("profile pinned (sso-session corp, https://d-corp.awsapps.com/start)\n"),
        "{text}"
    );
    assert!(text.contains("  login: valid, 2h5"), "{text}");
    assert!(text.contains("; not refreshable ("), "{text}");
    assert!(
        text.contains(&format!(
            "  role arn:aws:iam::{DEV}:role/Developer: valid, "
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "  role {READ_ONLY_ARN}: missing [profile prod-readonly]\n"
        )),
        "{text}"
    );
}

/// A profile's report shows its own role only, not the 12 its login's other
/// profiles name; `--all-roles` adds those.
#[test]
fn a_profile_reports_its_own_role_and_the_logins_others_only_when_asked() {
    let w = world();
    corp_token(&w, Duration::hours(8), serde_json::json!({}));
    cached_role(&w, DEV, "Developer", Duration::hours(1));
    cached_role(&w, PROD, "Admin", Duration::minutes(10));
    let arn = |account: &str, role: &str| format!("arn:aws:iam::{account}:role/{role}");
    let out = w.run(&["status", "-p", "pinned", "--json"]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    no_secrets(&out);
    assert_eq!(
        roles(&json_of(&out)),
        vec![(arn(DEV, "Developer"), "profile".into(), "valid".into())]
    );
    let text = ok(&w.run(&["status", "-p", "pinned"]));
    assert!(!text.contains("ReadOnly"), "{text}");
    assert!(!text.contains("prod-admin"), "{text}");
    // A profile without a role of its own names none.
    let text = ok(&w.run(&["status", "-p", "modern"]));
    assert!(text.contains("  roles: none named"), "{text}");
    let out = w.run(&["status", "-p", "modern", "--all-roles", "--json"]);
    no_secrets(&out);
    let all: Vec<String> = roles(&json_of(&out)).into_iter().map(|r| r.1).collect();
    assert_eq!(
        all,
        [
            "profile pinned",
            "profile prod-admin",
            "profile prod-readonly"
        ]
    );
}

/// With no profile named and no `default` in the AWS config, `status`
/// reports every login once, with its profiles and the roles they name.
#[test]
fn a_bare_status_summarises_every_login_and_the_roles_in_use() {
    let w = world();
    corp_token(&w, Duration::hours(2), serde_json::json!({}));
    cached_role(&w, DEV, "Developer", Duration::hours(1));
    let out = w.run(&["status"]);
    assert_eq!(code(&out), 11, "{}", String::from_utf8_lossy(&out.stderr));
    no_secrets(&out);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(
            "login sso-session corp, https://d-corp.awsapps.com/start (profiles modern, pinned, prod-admin)\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("login https://d-legacy.awsapps.com/start (profiles legacy)\n"),
        "{text}"
    );
    assert!(
        text.contains(
            "login https://d-other.awsapps.com/start (profiles elsewhere)\n  login: missing"
        ),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "  role arn:aws:iam::{DEV}:role/Developer: valid, "
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "  role {READ_ONLY_ARN}: missing [profile prod-readonly]\n"
        )),
        "{text}"
    );
    assert!(!text.contains("not found"), "{text}");
    let out = w.run(&["status", "--json"]);
    no_secrets(&out);
    let json = json_of(&out);
    let logins: Vec<(String, serde_json::Value)> = json["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["start_url"].as_str().unwrap().to_owned(),
                p["login_profiles"].clone(),
            )
        })
        .collect();
    assert_eq!(
        logins,
        vec![
            (
                "https://d-other.awsapps.com/start".to_owned(),
                serde_json::json!(["elsewhere"])
            ),
            (
                "https://d-legacy.awsapps.com/start".to_owned(),
                serde_json::json!(["legacy"])
            ),
            (
                "https://d-corp.awsapps.com/start".to_owned(),
                serde_json::json!(["modern", "pinned", "prod-admin"])
            ),
        ]
    );
    // A default profile, or one the environment names, is reported alone.
    w.write_config(&format!("{}\n[default]\nsso_session = corp\n", config()));
    let out = w.run(&["status", "--json"]);
    no_secrets(&out);
    let json = json_of(&out);
    assert_eq!(json["profiles"].as_array().unwrap().len(), 1, "{json}");
    assert_eq!(json["profiles"][0]["profile"], "default");
    w.write_config(&config());
    let out = w
        .cmd()
        .env("AWS_PROFILE", "nope")
        .args(["status"])
        .run_to_end();
    assert_eq!(
        code(&out),
        3,
        "a named profile that is not there is an error"
    );
}

/// A discovered line whose program an upgrade deleted is flagged, in both
/// forms; while the file is there, it is not.
#[test]
fn a_discovered_line_naming_a_deleted_program_is_flagged() {
    let w = world();
    corp_token(&w, Duration::hours(3), serde_json::json!({}));
    let old = w.home().join("old-version").join("ssocred");
    std::fs::create_dir_all(old.parent().unwrap()).unwrap();
    std::fs::write(&old, "").unwrap();
    let rules = ssocred_core::domain::command_line::COMMAND_LINE_RULES;
    let word = rules.program(old.to_str().unwrap()).unwrap();
    w.write_config(&format!(
        "{}\n[profile dev-old]\ncredential_process = {word} -p pinned -r {READ_ONLY_ARN} --sink process\n",
        config()
    ));
    let flagged = |out: &Output| {
        let json = json_of(out);
        json["profiles"][0]["missing_programs"].clone()
    };
    let json_out = w.run(&["status", "-p", "pinned", "--json"]);
    assert_eq!(code(&json_out), 0);
    let there = flagged(&json_out);
    assert!(
        there
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["profile"] != "dev-old"),
        "{there}"
    );

    std::fs::remove_dir_all(old.parent().unwrap()).unwrap();
    let json_out = w.run(&["status", "-p", "pinned", "--json"]);
    assert_eq!(code(&json_out), 0, "a missing program keeps the code");
    let gone = flagged(&json_out);
    let entry = serde_json::json!({"profile": "dev-old", "program": old.to_str().unwrap()});
    assert!(gone.as_array().unwrap().contains(&entry), "{gone}");
    let text = ok(&w.run(&["status", "-p", "pinned"]));
    assert!(
        text.contains(&format!(
            "  profile dev-old: its credential_process program {} is gone; run `ssocred discover -p pinned` again\n",
            old.display()
        )),
        "{text}"
    );
}

#[test]
fn exit_codes_say_valid_expiring_or_expired_and_missing() {
    let w = world();
    let state = |args: &[&str]| {
        let mut argv = vec!["status", "-p", "modern", "--format", "{{state}}"];
        argv.extend(args);
        let out = w.run(&argv);
        no_secrets(&out);
        (
            code(&out),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    corp_token(&w, Duration::hours(2), serde_json::json!({}));
    assert_eq!(state(&[]), (0, "valid\n".into()));
    corp_token(&w, Duration::minutes(10), serde_json::json!({}));
    assert_eq!(state(&[]), (10, "expiring\n".into()));
    assert_eq!(state(&["--threshold", "5"]), (0, "valid\n".into()));
    corp_token(&w, Duration::minutes(90), serde_json::json!({}));
    assert_eq!(state(&["--threshold", "120"]), (10, "expiring\n".into()));
    corp_token(&w, Duration::minutes(-1), serde_json::json!({}));
    assert_eq!(state(&[]), (11, "expired\n".into()));
    std::fs::write(w.token_path("corp"), "{not json").unwrap();
    assert_eq!(state(&[]), (11, "unusable\n".into()));
    std::fs::remove_file(w.token_path("corp")).unwrap();
    assert_eq!(state(&[]), (11, "missing\n".into()));
    let out = w.run(&["status", "-p", "modern", "--json"]);
    assert_eq!(code(&out), 11);
    let json = json_of(&out);
    assert_eq!(json["state"], "missing");
    assert_eq!(json["exit_code"], 11);
    assert_eq!(
        json["profiles"][0]["login"]["expires"],
        serde_json::Value::Null
    );
    // Errors keep their own codes.
    assert_eq!(code(&w.run(&["status", "-p", "nope"])), 3);
    assert_eq!(code(&w.run(&["status", "-p", "plain"])), 3);
    assert_eq!(code(&w.run(&["status", "-p", "modern", "-r", "bad"])), 2);
}

#[test]
fn refreshable_needs_a_refresh_token_and_a_live_registration() {
    let w = world();
    let refresh = |registration: Duration| {
        serde_json::json!({
            "clientId": "client-id",
            "clientSecret": CLIENT_SECRET,
            "refreshToken": REFRESH,
            "registrationExpiresAt": at(registration),
        })
    };
    let show = |args: &[&str]| {
        let mut argv = vec!["status", "-p", "modern", "--format"];
        argv.extend(args);
        let out = w.run(&argv);
        no_secrets(&out);
        (
            code(&out),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    corp_token(&w, Duration::hours(1), refresh(Duration::days(30)));
    assert_eq!(show(&["{{refreshable}}"]), (0, "yes\n".into()));
    // Expired, but the next run renews it without a browser.
    corp_token(&w, Duration::hours(-1), refresh(Duration::days(30)));
    assert_eq!(
        show(&["{{state}} {{refreshable}} {{remaining}}"]),
        (11, "expired yes expired\n".into())
    );
    corp_token(&w, Duration::hours(1), refresh(Duration::days(-1)));
    assert_eq!(show(&["{{refreshable}}"]), (0, "no\n".into()));
    let mut partial = refresh(Duration::days(30));
    partial.as_object_mut().unwrap().remove("refreshToken");
    corp_token(&w, Duration::hours(1), partial);
    assert_eq!(show(&["{{refreshable}}"]), (0, "no\n".into()));
    let out = w.run(&["status", "-p", "modern", "--json"]);
    no_secrets(&out);
    assert_eq!(json_of(&out)["profiles"][0]["login"]["refreshable"], false);
}

#[test]
fn the_prompt_form_prints_one_short_line() {
    let w = world();
    corp_token(&w, Duration::minutes(150), serde_json::json!({}));
    cached_role(&w, DEV, "Developer", Duration::minutes(45));
    let format = "[{{profile}} {{ remaining }} {{role_state}}:{{role_remaining}}]";
    let out = w.run(&["status", "-p", "pinned", "--format", format]);
    no_secrets(&out);
    let line = ok(&out);
    // 2h29m or 2h30m, 44m or 45m, whatever the clock did in between.
    let shape = line
        .strip_prefix("[pinned 2h")
        .and_then(|rest| rest.strip_suffix("m]\n"))
        .unwrap_or_else(|| panic!("{line:?}"));
    let (minutes, role) = shape
        .split_once("m valid:")
        .unwrap_or_else(|| panic!("{line:?}"));
    assert!(["29", "30"].contains(&minutes), "{line:?}");
    assert!(["44", "45"].contains(&role), "{line:?}");
    let out = w.run(&[
        "status",
        "-p",
        "pinned",
        "--format",
        "{{remaining_seconds}} {{expires}} {{role}}",
    ]);
    no_secrets(&out);
    let seconds = ok(&out);
    let mut words = seconds.split_whitespace();
    let left: i64 = words.next().unwrap().parse().unwrap();
    assert!((150 * 60 - 120..=150 * 60).contains(&left), "{seconds}");
    assert!(words.next().unwrap().ends_with('Z'), "{seconds}");
    assert_eq!(
        words.next(),
        Some(format!("arn:aws:iam::{DEV}:role/Developer").as_str())
    );
    // Nothing cached, nothing named, no login: still one short line.
    std::fs::remove_file(w.token_path("corp")).unwrap();
    let out = w.run(&[
        "status",
        "-p",
        "modern",
        "--format",
        "{{remaining}}|{{role_remaining}}|{{role}}|{{expires}}|{{remaining_seconds}}",
    ]);
    assert_eq!(code(&out), 11);
    no_secrets(&out);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "missing|none|||0\n");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for bad in ["{{nope}}", "{{remaining", &"x".repeat(2000)] {
        let out = w.run(&["status", "-p", "modern", "--format", bad]);
        assert_eq!(code(&out), 2, "{bad}");
        no_secrets(&out);
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("--format"),
            "{bad}"
        );
    }
}

#[test]
fn all_reports_every_sso_profile_and_the_worst_code() {
    let w = world();
    corp_token(&w, Duration::hours(2), serde_json::json!({}));
    // The legacy login's token (2099) is valid; `elsewhere` has none.
    let out = w.run(&["status", "--all", "--format", "{{profile}}={{state}}"]);
    assert_eq!(code(&out), 11);
    no_secrets(&out);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "elsewhere=missing\nlegacy=valid\nmodern=valid\npinned=valid\nprod-admin=valid\n"
    );
    w.write_config(CONFIG);
    let out = w.run(&["status", "--all", "--json"]);
    assert_eq!(code(&out), 0);
    no_secrets(&out);
    let json = json_of(&out);
    let names: Vec<&str> = json["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["profile"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["legacy", "modern", "pinned"]);
    w.write_config("[profile plain]\nregion = us-east-1\n");
    let out = w.run(&["status", "--all", "--json"]);
    assert_eq!(code(&out), 11);
    no_secrets(&out);
    assert_eq!(json_of(&out)["state"], "missing");
}

#[test]
fn check_asks_the_portal_once_and_reports_a_revoked_token() {
    let w = world();
    corp_token(&w, Duration::hours(2), serde_json::json!({}));
    let out = w.run(&["status", "-p", "modern", "--check", "--json"]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    no_secrets(&out);
    let json = json_of(&out);
    assert_eq!(json["profiles"][0]["login"]["check"], "accepted");
    assert_eq!(w.emulator.count(Operation::ListAccounts), 1);
    assert_eq!(w.emulator.count(Operation::GetRoleCredentials), 0);
    let text = ok(&w.run(&["status", "-p", "modern", "--check"]));
    assert!(
        text.contains("  check: the portal accepts the token\n"),
        "{text}"
    );

    w.emulator.revoke_tokens();
    let out = w.run(&["status", "-p", "modern", "--check", "--json"]);
    assert_eq!(code(&out), 11, "{}", String::from_utf8_lossy(&out.stderr));
    no_secrets(&out);
    let json = json_of(&out);
    assert_eq!(json["state"], "expired");
    assert_eq!(json["profiles"][0]["login"]["check"], "rejected");
    let out = w.run(&["status", "-p", "modern", "--check"]);
    assert_eq!(code(&out), 11);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("run `ssocred login -p modern`"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // Without --check, the revoked token still reads as valid: no call.
    w.emulator.reset_counts();
    assert_eq!(code(&w.run(&["status", "-p", "modern"])), 0);
    assert_eq!(w.emulator.counts().values().sum::<u64>(), 0);
}

#[test]
fn check_names_an_unreachable_portal() {
    let w = world();
    corp_token(&w, Duration::hours(2), serde_json::json!({}));
    let out = w
        .cmd()
        .env("AWS_ENDPOINT_URL_SSO", "http://127.0.0.1:9")
        .args(["status", "-p", "modern", "--check"])
        .run_to_end();
    assert_eq!(code(&out), 6, "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("127.0.0.1:9"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    no_secrets(&out);
}

#[test]
fn a_garbled_role_cache_entry_is_unusable_never_fatal_nor_quoted() {
    let w = world();
    corp_token(&w, Duration::hours(2), serde_json::json!({}));
    cached_role(&w, DEV, "Developer", Duration::hours(1));
    let entry = w
        .aws_dir()
        .join("cli/cache")
        .join(format!("{}.json", cache_key(&corp(), DEV, "Developer")));
    std::fs::write(
        &entry,
        format!("{{\"ProviderType\": \"sso\", \"{SECRET_KEY}\""),
    )
    .unwrap();
    let out = w.run(&["status", "-p", "pinned", "--json"]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    no_secrets(&out);
    let json = json_of(&out);
    assert_eq!(json["profiles"][0]["roles"][0]["state"], "unusable");
    let out = w.run(&[
        "status",
        "-p",
        "pinned",
        "--format",
        "{{role_state}} {{role_remaining}}",
    ]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "unusable unusable\n");
}
