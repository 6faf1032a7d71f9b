//! Role chaining (`--assume`): one hop, two hops, options per hop, the
//! chain's cache entries (a cache hit makes no call; a cached hop is not
//! assumed again), AccessDenied (exit 5 naming the hop and the principal),
//! bad specs (exit 2), a hop that expires under `--watch`, `--all` into one
//! target, presets naming a chain, `discover --assume`, cache clear, STS
//! throttling paced apart from the portal, the console's duration rule, and
//! `status` reading the chain entries.

use std::time::Duration;

use ssocred_emulator::{EmulatorConfig, IssuedCredentials, Operation, StsOperation};

use crate::running::*;
use crate::world::*;

const HUB: &str = "arn:aws:iam::555555555555:role/Hub";
const TARGET: &str = "arn:aws:iam::666666666666:role/Target";

/// The standard world, where ReadOnly may assume Hub, and Hub may assume
/// Target with the external id `ext-42`.
fn chain_emulator() -> EmulatorConfig {
    base_emulator()
        .trust(HUB, READ_ONLY_ARN)
        .trust_with_external_id(TARGET, HUB, "ext-42")
}

fn world() -> World {
    World::with_emulator(chain_emulator())
}

fn process(w: &World, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["-p", "modern", "-r", READ_ONLY_ARN];
    args.extend(extra);
    args.extend(["--sink", "process"]);
    w.run(&args)
}

/// `before`, then `-p modern -r READ_ONLY_ARN --assume HUB`, then `after`.
fn via_hub<'a>(before: &[&'a str], after: &[&'a str]) -> Vec<&'a str> {
    let mut args = before.to_vec();
    args.extend(["-p", "modern", "-r", READ_ONLY_ARN, "--assume", HUB]);
    args.extend(after);
    args
}

/// The credentials the emulator issued under `key`.
fn issued(w: &World, key: &str) -> IssuedCredentials {
    w.emulator
        .issued_for_key(key)
        .unwrap_or_else(|| panic!("{key} was not issued by the emulator"))
}

/// The role the emulator issued the access key of a `process`/`json` answer for.
fn role_of(w: &World, json: &serde_json::Value) -> Option<String> {
    issued(w, json["AccessKeyId"].as_str().expect("an AccessKeyId")).role_arn
}

#[test]
fn one_hop_delivers_the_assumed_roles_credentials() {
    let w = world();
    let json = ok_json(&process(&w, &["--assume", HUB]));
    let key = json["AccessKeyId"].as_str().unwrap();
    let hop = issued(&w, key);
    assert_eq!(hop.role_arn.as_deref(), Some(HUB));
    assert_eq!(json["SecretAccessKey"], hop.secret_access_key.as_str());
    assert_eq!(json["SessionToken"], hop.session_token.as_str());
    // The hop was made with the SSO role's credentials, at the regional STS
    // endpoint of the profile's region, for one hour, under the SSO user's
    // own session name (the emulator's SSO sessions are `ssocred-emulator`),
    // asked of STS once.
    let source = issued(&w, hop.assumed_by.as_deref().unwrap());
    assert_eq!(
        (source.account_id.as_str(), source.role_name.as_str()),
        (PROD, "ReadOnly")
    );
    assert_eq!(hop.sts_region.as_deref(), Some("us-east-1"));
    assert_eq!(hop.duration_seconds, Some(3600));
    assert_eq!(hop.session_name.as_deref(), Some("ssocred-emulator"));
    assert_eq!(w.emulator.sts_count(StsOperation::AssumeRole), 1);
    assert_eq!(w.emulator.sts_count(StsOperation::GetCallerIdentity), 1);
}

#[test]
fn two_hops_with_options_reach_the_target_through_the_hub() {
    let w = world();
    let out = process(
        &w,
        &[
            "--region",
            "eu-west-1",
            "--assume",
            &format!("{HUB},session-name=alice@corp,duration=900"),
            "--assume",
            &format!("{TARGET},external-id=ext-42,source-identity=alice"),
        ],
    );
    let json = ok_json(&out);
    let last = issued(&w, json["AccessKeyId"].as_str().unwrap());
    assert_eq!(last.role_arn.as_deref(), Some(TARGET));
    assert_eq!(last.external_id.as_deref(), Some("ext-42"));
    assert_eq!(last.source_identity.as_deref(), Some("alice"));
    // A hop without a session name carries the one before it on.
    assert_eq!(last.session_name.as_deref(), Some("alice@corp"));
    assert_eq!(last.sts_region.as_deref(), Some("eu-west-1"));
    let first = issued(&w, last.assumed_by.as_deref().unwrap());
    assert_eq!(first.role_arn.as_deref(), Some(HUB));
    assert_eq!(first.session_name.as_deref(), Some("alice@corp"));
    assert_eq!(first.duration_seconds, Some(900));
    let sso = issued(&w, first.assumed_by.as_deref().unwrap());
    assert_eq!(sso.role_name, "ReadOnly");
    assert!(sso.assumed_by.is_none(), "the chain starts at the SSO role");
}

#[test]
fn a_cached_chain_makes_no_call_and_a_cached_hop_is_not_assumed_again() {
    let w = world();
    let hub = ["--assume", HUB];
    let two = [
        "--assume",
        HUB,
        "--assume",
        &format!("{TARGET},external-id=ext-42"),
    ];
    let first = ok_json(&process(&w, &two));
    assert_eq!(w.emulator.sts_count(StsOperation::AssumeRole), 2);
    w.emulator.reset_counts();
    // The whole chain is cached: no portal call, no STS call, no token read.
    std::fs::remove_file(w.token_path("corp")).unwrap();
    let target = format!("{TARGET},external-id=ext-42");
    let out = w.run(&via_hub(
        &[],
        &["--assume", &target, "--sink", "process", "-v"],
    ));
    let again = ok_json(&out);
    assert_eq!(again, first);
    assert!(
        stderr(&out).contains("from the role cache"),
        "{}",
        stderr(&out)
    );
    assert_eq!(all_calls(&w), 0);
    assert_eq!(w.emulator.sts_count(StsOperation::AssumeRole), 0);
    // The one-hop chain is a prefix of it, cached too.
    let hub_json = ok_json(&process(&w, &hub));
    assert_eq!(role_of(&w, &hub_json).as_deref(), Some(HUB));
    assert_eq!(w.emulator.sts_count(StsOperation::AssumeRole), 0);
    // Another target after the cached hub assumes only the new hop (through
    // the full pipeline: the json sink).
    w.write_token("corp", TOKEN, "2099-01-01T00:00:00Z");
    let target = format!("{TARGET},external-id=ext-42,duration=1800");
    let out = w.run(&via_hub(&[], &["--assume", &target, "--sink", "json"]));
    let json = ok_json(&out);
    assert_eq!(w.emulator.sts_count(StsOperation::AssumeRole), 1);
    assert_eq!(w.emulator.count(Operation::GetRoleCredentials), 0);
    assert_eq!(json["role_arn"], TARGET);
    let last = issued(&w, json["access_key_id"].as_str().unwrap());
    assert_eq!(last.assumed_by.as_deref(), hub_json["AccessKeyId"].as_str());
}

#[test]
fn access_denied_exits_5_naming_the_hop_and_the_principal() {
    let w = world();
    // Target trusts Hub only with the external id; ReadOnly is not trusted.
    let out = process(&w, &["--assume", TARGET]);
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    let e = stderr(&out);
    assert!(
        e.contains("hop 1") && e.contains(TARGET) && e.contains(READ_ONLY_ARN),
        "{e}"
    );
    assert!(
        e.contains("AccessDenied") && e.contains("trust policy"),
        "{e}"
    );
    assert!(out.stdout.is_empty());
    // The second hop without its external id.
    let out = process(&w, &["--assume", HUB, "--assume", TARGET]);
    assert_eq!(out.status.code(), Some(5));
    let e = stderr(&out);
    assert!(
        e.contains("hop 2") && e.contains(TARGET) && e.contains(HUB),
        "{e}"
    );
    for i in w.emulator.issued() {
        assert!(!e.contains(&i.secret_access_key) && !e.contains(&i.session_token));
    }
}

#[test]
fn bad_hops_exit_2_before_any_call() {
    let w = world();
    let cases = [
        ("arn:aws:iam::12:role/X", "--assume arn:aws:iam::12:role/X"),
        (&format!("{HUB},duration=7200") as &str, "one hour"),
        (&format!("{HUB},session-name=x y") as &str, "session-name"),
        (
            &format!("{HUB},Duration=900") as &str,
            "unknown option `Duration`",
        ),
    ];
    for (spec, expected) in cases {
        let out = process(&w, &["--assume", spec]);
        assert_eq!(out.status.code(), Some(2), "{spec}: {}", stderr(&out));
        assert!(stderr(&out).contains(expected), "{spec}: {}", stderr(&out));
    }
    // A role in another partition than the STS region.
    let out = process(&w, &["--assume", "arn:aws-cn:iam::555555555555:role/Hub"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("partition"), "{}", stderr(&out));
    assert_eq!(w.emulator.sts_count(StsOperation::AssumeRole), 0);
}

// Unix only: stops the run with SIGTERM (`kill`).
#[cfg(unix)]
#[test]
fn an_expired_hop_is_assumed_again_under_watch() {
    let w = World::with_emulator(chain_emulator().assume_role_lifetime(Duration::from_secs(4)));
    let mut cmd = w.cmd();
    cmd.args(via_hub(
        &[],
        &[
            "--sink",
            "credentials-file:chained",
            "--watch",
            "--refresh-before",
            "2",
        ],
    ));
    let mut running = Running::spawn(cmd);
    let mut keys = Vec::new();
    for round in 0..3 {
        running.stderr_line_with("delivered credentials");
        let text = std::fs::read_to_string(w.credentials_path()).unwrap();
        let key = text
            .lines()
            .find_map(|l| l.strip_prefix("aws_access_key_id = "))
            .unwrap()
            .to_owned();
        let hop = issued(&w, &key);
        assert_eq!(hop.role_arn.as_deref(), Some(HUB), "round {round}");
        keys.push(key);
    }
    running.signal("TERM");
    let (status, _, stderr) = running.finish();
    assert_eq!(status.code(), Some(0), "{stderr}");
    keys.dedup();
    assert_eq!(keys.len(), 3, "each round brings a new hop");
    // The SSO role's credentials (an hour long) came from the cache after
    // the first round: only the hop was made again.
    assert_eq!(w.emulator.count(Operation::GetRoleCredentials), 1);
    assert!(w.emulator.sts_count(StsOperation::AssumeRole) >= 3);
}

#[test]
fn all_assumes_every_matched_role_into_the_same_target() {
    let w = World::with_emulator(
        base_emulator()
            .trust(HUB, READ_ONLY_ARN)
            .trust(HUB, "arn:aws:iam::123456789012:role/Admin"),
    );
    let out = w.run(&[
        "-p",
        "modern",
        "--account",
        PROD,
        "--all",
        "--profile-name",
        "via-{{role_name}}",
        "--assume",
        HUB,
        "-q",
    ]);
    ok(&out);
    let text = std::fs::read_to_string(w.credentials_path()).unwrap();
    for profile in ["via-ReadOnly", "via-Admin"] {
        let section = text.split(&format!("[{profile}]\n")).nth(1).expect(&text);
        let key = section
            .lines()
            .find_map(|l| l.strip_prefix("aws_access_key_id = "))
            .unwrap();
        let hop = issued(&w, key);
        assert_eq!(hop.role_arn.as_deref(), Some(HUB), "{profile}");
        let source = issued(&w, hop.assumed_by.as_deref().unwrap());
        assert_eq!(
            format!("via-{}", source.role_name),
            profile,
            "each profile is its own role's chain"
        );
    }
}

#[test]
fn a_preset_names_a_chain_and_config_show_prints_it() {
    let w = world();
    let config = w.home().join("ssocred.toml");
    std::fs::write(
        &config,
        format!(
            "[preset.target]\nprofile = \"modern\"\nrole_arn = \"{READ_ONLY_ARN}\"\nassume = [\n  \"{HUB}\",\n  {{ role_arn = \"{TARGET}\", external_id = \"ext-42\", duration = 1200 }},\n]\n"
        ),
    )
    .unwrap();
    let config = config.to_str().unwrap();
    let json = ok_json(&w.run(&[
        "--config", config, "--preset", "target", "--sink", "process",
    ]));
    let last = issued(&w, json["AccessKeyId"].as_str().unwrap());
    assert_eq!(last.role_arn.as_deref(), Some(TARGET));
    assert_eq!(last.duration_seconds, Some(1200));
    let shown = ok(&w.run(&["config", "show", "--config", config, "--preset", "target"]));
    assert!(
        shown.contains(&format!(
            "assume = [\"{HUB}\", \"{TARGET},external-id=ext-42,duration=1200\"]  # config [preset.target]"
        )),
        "{shown}"
    );
    assert!(
        shown.contains(&format!("# sts endpoint: {}\n", w.emulator.url())),
        "{shown}"
    );
    // A bad hop in the config names the file and line, exit 3.
    let bad = w.home().join("bad.toml");
    std::fs::write(
        &bad,
        "profile = \"modern\"\nassume = [\n  \"arn:aws:iam::1:role/X\",\n]\n",
    )
    .unwrap();
    let out = w.run(&["--config", bad.to_str().unwrap(), "-r", READ_ONLY_ARN]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("bad.toml: line 3: assume:"),
        "{}",
        stderr(&out)
    );
    // `config check` finds it in a preset too, without a run.
    let bad_preset = w.home().join("bad-preset.toml");
    std::fs::write(
        &bad_preset,
        format!("[preset.x]\nassume = [\"{HUB},duration=2h\"]\n"),
    )
    .unwrap();
    let out = w.run(&["config", "check", bad_preset.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("line 2: assume:") && stderr(&out).contains("one hour"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn discover_assume_writes_chained_process_profiles_beside_the_plain_ones() {
    let w = world();
    ok(&w.run(&["discover", "-p", "modern", "-q"]));
    let plain = std::fs::read_to_string(w.config_path()).unwrap();
    ok(&w.run(&[
        "discover",
        "-p",
        "modern",
        "-q",
        "--assume",
        &format!("{TARGET},external-id=ext-42"),
    ]));
    let text = std::fs::read_to_string(w.config_path()).unwrap();
    assert!(text.starts_with(&plain), "the plain block stays as it was");
    let chained = &text[plain.len()..];
    assert!(
        chained.contains(&format!("assume {TARGET}")),
        "a block of its own: {chained}"
    );
    assert!(
        chained.contains(&format!(
            " -p modern -r {READ_ONLY_ARN} --assume {TARGET},external-id=ext-42 --sink process\n"
        )),
        "{chained}"
    );
    assert!(chained.contains("-to-Target]"), "{chained}");
    let out = w.run(&[
        "discover", "-p", "modern", "--style", "sso", "--assume", HUB,
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn cache_clear_and_logout_remove_the_chain_entries() {
    let w = world();
    ok_json(&process(&w, &["--assume", HUB]));
    let dir = w.aws_dir().join("cli/cache");
    let entries = || json_files(&dir);
    assert_eq!(entries(), 2, "the SSO role's entry and the hop's");
    ok(&w.run(&["cache", "clear"]));
    assert_eq!(entries(), 0);
    ok_json(&process(&w, &["--assume", HUB]));
    assert_eq!(entries(), 2);
    ok(&w.run(&["logout", "-p", "modern"]));
    assert_eq!(entries(), 0);
}

#[test]
fn sts_throttling_is_paced_apart_from_the_portal() {
    let w = World::with_emulator(chain_emulator().throttle_sts_every(2));
    let json = ok_json(&process(
        &w,
        &[
            "--assume",
            HUB,
            "--assume",
            &format!("{TARGET},external-id=ext-42"),
        ],
    ));
    assert_eq!(role_of(&w, &json).as_deref(), Some(TARGET));
    assert!(w.emulator.sts_throttled() >= 1, "STS throttled a call");
    assert_eq!(w.emulator.throttled(), 0, "the portal never throttled");
}

#[test]
fn the_console_refuses_a_duration_for_a_chained_set() {
    let w = world();
    let console = |extra: &[&str]| {
        let mut args = via_hub(&["console"], &["--no-open"]);
        args.extend(extra);
        w.cmd()
            .env("SSOCRED_FEDERATION_ENDPOINT", w.emulator.federation_url())
            .args(args)
            .run_to_end()
    };
    let out = console(&["--duration", "2h"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("role chaining"), "{}", stderr(&out));
    // Without a duration the chained set signs in.
    let url = ok(&console(&[]));
    assert!(url.contains("SigninToken="), "{url}");
}

#[test]
fn botocore_reads_chained_credentials_from_the_credentials_file() {
    let Some(python) = python("botocore role-chain interop test") else {
        return;
    };
    let w = world();
    ok(&w.run(&via_hub(&[], &["--sink", "credentials-file:chained"])));
    let got = python_json(&w, &python, "botocore_creds.py", &["chained"]);
    assert_eq!(got["method"], "shared-credentials-file");
    let hop = issued(&w, got["access_key"].as_str().unwrap());
    assert_eq!(hop.role_arn.as_deref(), Some(HUB));
    assert_eq!(got["secret_key"], hop.secret_access_key.as_str());
    assert_eq!(got["token"], hop.session_token.as_str());
}

#[test]
fn botocore_runs_a_discovered_chained_credential_process_profile() {
    let Some(python) = python("botocore role-chain interop test") else {
        return;
    };
    let w = world();
    ok(&w.run(&[
        "discover",
        "-p",
        "modern",
        "-q",
        "--assume",
        HUB,
        "--assume",
        &format!("{TARGET},external-id=ext-42"),
    ]));
    let got = python_json(
        &w,
        &python,
        "botocore_creds.py",
        &["123456789012-ReadOnly-to-Target"],
    );
    assert_eq!(got["method"], "custom-process");
    let last = issued(&w, got["access_key"].as_str().unwrap());
    assert_eq!(last.role_arn.as_deref(), Some(TARGET));
    assert_eq!(got["secret_key"], last.secret_access_key.as_str());
    assert_eq!(got["token"], last.session_token.as_str());
    let hub = issued(&w, last.assumed_by.as_deref().unwrap());
    assert_eq!(hub.role_arn.as_deref(), Some(HUB));
}

// Unix only: runs `sh` as exec's command.
#[cfg(unix)]
#[test]
fn exec_runs_the_command_with_the_chained_credentials() {
    let w = world();
    let out = w.run(&via_hub(
        &["exec"],
        &[
            "--",
            "sh",
            "-c",
            "printf '%s %s' \"$AWS_ACCESS_KEY_ID\" \"$AWS_SESSION_TOKEN\"",
        ],
    ));
    let text = ok(&out);
    let (key, token) = text.split_once(' ').unwrap();
    let hop = issued(&w, key);
    assert_eq!(hop.role_arn.as_deref(), Some(HUB));
    assert_eq!(token, hop.session_token);
}

#[test]
fn sts_calls_go_through_the_proxy_and_trust_the_ca_bundle() {
    let w = World::with_emulator(chain_emulator().tls(true));
    let bundle = w.home().join("corp-ca.pem");
    std::fs::write(&bundle, w.emulator.ca_pem().unwrap()).unwrap();
    let with_bundle = |cmd: &mut std::process::Command| {
        cmd.env("AWS_CA_BUNDLE", &bundle);
    };
    // The SSO role's credentials are cached first, so the runs below make
    // one call: STS's.
    let mut cmd = w.cmd();
    with_bundle(&mut cmd);
    ok(&cmd
        .args(["-p", "modern", "-r", READ_ONLY_ARN, "--sink", "process"])
        .run_to_end());
    let proxy = ssocred_test_support::ForwardProxy::start().unwrap();
    let mut cmd = w.cmd();
    with_bundle(&mut cmd);
    let out = cmd
        .args(["-p", "modern", "-r", READ_ONLY_ARN, "--assume", HUB])
        .args(["--sink", "process"])
        .env("HTTPS_PROXY", proxy.url())
        .run_to_end();
    let json = ok_json(&out);
    assert_eq!(role_of(&w, &json).as_deref(), Some(HUB));
    assert_eq!(w.emulator.count(Operation::GetRoleCredentials), 1);
    let traffic = proxy.traffic();
    assert_eq!(traffic.tunnels, 1, "STS through the proxy: {traffic:?}");
    // Without the bundle, the emulator's certificate is not trusted: exit 6
    // naming STS's endpoint.
    let out = w
        .cmd()
        .args(["-p", "modern", "-r", READ_ONLY_ARN, "--assume", TARGET])
        .args(["--sink", "process"])
        .run_to_end();
    assert_eq!(out.status.code(), Some(6), "{}", stderr(&out));
    let e = stderr(&out);
    assert!(
        e.contains("STS at") && e.contains("certificate not trusted"),
        "{e}"
    );
}

#[test]
fn the_docker_helper_gets_an_ecr_token_as_the_chains_last_role() {
    let w = world();
    let dir = w.home().join(".config/ssocred");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("config.toml"),
        format!(
            "[preset.hub]\nprofile = \"modern\"\nrole_arn = \"{READ_ONLY_ARN}\"\nassume = [\"{HUB}\"]\n\n\
             [[registry]]\nmatch = \"555555555555\"\npreset = \"hub\"\n"
        ),
    )
    .unwrap();
    let get = || {
        let mut cmd = w.cmd();
        cmd.args(["docker-credential", "get"])
            .env("AWS_ENDPOINT_URL_ECR", w.emulator.url());
        ssocred_test_support::run_with_stdin(
            &mut cmd,
            b"https://555555555555.dkr.ecr.us-east-1.amazonaws.com",
        )
    };
    let json = ok_json(&get());
    let owner = w
        .emulator
        .ecr_token_owner(json["Secret"].as_str().unwrap())
        .expect("a password the emulator issued");
    assert_eq!(
        (owner.account_id.as_str(), owner.role_name.as_str()),
        ("555555555555", "Hub")
    );
    assert_eq!(w.emulator.sts_count(StsOperation::AssumeRole), 1);
    // Warm: the token of the chain is cached, no call at all.
    w.emulator.reset_counts();
    assert_eq!(ok_json(&get()), json);
    assert_eq!(all_calls(&w), 0);
}

// Unix only: stops the run with SIGTERM (`kill`).
#[cfg(unix)]
#[test]
fn serve_answers_with_the_chained_credentials() {
    let w = world();
    let mut cmd = w.cmd();
    cmd.args(via_hub(&["serve"], &[]));
    let mut running = Running::spawn(cmd);
    let lines: Vec<String> = (0..4).map(|_| running.stdout_line()).collect();
    let vars = parse_exports(&lines);
    let (url, token) = (&vars[0].1, &vars[1].1);
    let (status, body) = http_get(url, Some(token));
    assert_eq!(status, 200, "{body}");
    let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
    let hop = issued(&w, doc["AccessKeyId"].as_str().unwrap());
    assert_eq!(hop.role_arn.as_deref(), Some(HUB));
    assert_eq!(doc["Token"], hop.session_token.as_str());
    assert_eq!(doc["AccountId"], "555555555555");
    running.signal("TERM");
    let (status, _, stderr) = running.finish();
    assert_eq!(status.code(), Some(0), "{stderr}");
}

/// The `--json` report's roles as (role_arn, sso_role_arn, assume, from, state).
fn status_roles(out: &std::process::Output) -> Vec<(String, String, Vec<String>, String, String)> {
    let json = ok_json(out);
    json["profiles"][0]["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let text = |k: &str| r[k].as_str().unwrap().to_owned();
            let assume = r["assume"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| h.as_str().unwrap().to_owned())
                .collect();
            (
                text("role_arn"),
                text("sso_role_arn"),
                assume,
                text("from"),
                text("state"),
            )
        })
        .collect()
}

#[test]
fn status_reports_a_cached_chain_without_a_call() {
    let w = world();
    let two = format!("{TARGET},external-id=ext-42");
    ok(&process(&w, &["--assume", HUB]));
    let calls = all_calls(&w);
    let status = |extra: &[&str]| {
        let mut args = vec!["status", "-p", "modern", "-r", READ_ONLY_ARN];
        args.extend(extra);
        w.run(&args)
    };
    let out = status(&["--assume", HUB, "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let roles = status_roles(&out);
    let row = |role: &str, chain: &[&str], state: &str| {
        (
            role.to_owned(),
            READ_ONLY_ARN.to_owned(),
            chain.iter().map(|h| (*h).to_owned()).collect::<Vec<_>>(),
            "asked".to_owned(),
            state.to_owned(),
        )
    };
    assert_eq!(roles[0], row(HUB, &[HUB], "valid"), "{roles:?}");
    // The SSO role's own entry is another one, valid too (the chain
    // started from it), and asked for without `--assume`.
    let roles = status_roles(&status(&["--json"]));
    assert_eq!(roles[0], row(READ_ONLY_ARN, &[], "valid"), "{roles:?}");
    let json = ok_json(&status(&["--assume", HUB, "--json"]));
    let left = json["profiles"][0]["roles"][0]["remaining_seconds"]
        .as_i64()
        .unwrap();
    assert!((3000..=3600).contains(&left), "a chained hour: {left}");
    // A chain that was never fetched (another hop, or other options on the
    // same hop) is missing: keyed by the whole chain.
    let roles = status_roles(&status(&["--assume", HUB, "--assume", &two, "--json"]));
    assert_eq!(roles[0], row(TARGET, &[HUB, &two], "missing"), "{roles:?}");
    let other = format!("{HUB},session-name=someone-else");
    let roles = status_roles(&status(&["--assume", &other, "--json"]));
    assert_eq!(roles[0], row(HUB, &[&other], "missing"), "{roles:?}");
    // People see the last role and the way there; a prompt sees the last role.
    let text = ok(&status(&["--assume", HUB, "--assume", &two]));
    assert!(
        text.contains(&format!(
            "role {TARGET} (via {READ_ONLY_ARN} > {HUB}): missing [asked]"
        )),
        "{text}"
    );
    let line = ok(&status(&[
        "--assume",
        HUB,
        "--format",
        "{{role}} {{role_state}}",
    ]));
    assert_eq!(line, format!("{HUB} valid\n"));
    assert_eq!(all_calls(&w), calls, "status makes no call");
    // Bad hops are usage errors, as for every other command.
    let out = status(&["--assume", &format!("{HUB},duration=7200")]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn status_finds_the_chains_of_discovered_profiles() {
    let w = world();
    let two = format!("{TARGET},external-id=ext-42");
    ok(&w.run(&[
        "discover", "-p", "modern", "-q", "--assume", HUB, "--assume", &two,
    ]));
    let config = std::fs::read_to_string(w.config_path()).unwrap();
    let name = config
        .lines()
        .filter_map(|l| l.strip_prefix("[profile ")?.strip_suffix(']'))
        .find(|n| n.contains("ReadOnly") && n.ends_with("-to-Target"))
        .unwrap_or_else(|| panic!("no chained ReadOnly profile: {config}"))
        .to_owned();
    // Not fetched yet: missing. Then fetched through the profile's own
    // credential_process line (as an SDK would run it): valid.
    let find = |w: &World| {
        let out = w.run(&["status", "-p", "modern", "--all-roles", "--json"]);
        status_roles(&out)
            .into_iter()
            .find(|r| r.3 == format!("profile {name}"))
            .unwrap_or_else(|| panic!("{name} not reported: {}", stderr(&out)))
    };
    let found = find(&w);
    assert_eq!(
        (
            found.0.as_str(),
            found.1.as_str(),
            found.2.clone(),
            found.4.as_str()
        ),
        (
            TARGET,
            READ_ONLY_ARN,
            vec![HUB.to_owned(), two.clone()],
            "missing"
        )
    );
    ok(&process(&w, &["--assume", HUB, "--assume", &two]));
    assert_eq!(find(&w).4, "valid");
}
