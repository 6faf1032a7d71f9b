//! The `eks` sink and `ssocred kubeconfig`: the tokens ssocred prints are
//! checked by the emulator as a cluster's authenticator and STS would check
//! them, with its own SigV4.

use std::time::{Duration, SystemTime};

use ssocred_emulator::Operation;
use ssocred_emulator::eks::{TOKEN_LIFETIME, presign_token, verify_token};

use crate::world::*;

const CLUSTER: &str = "prod-cluster";
const READ_ONLY_CALLER: &str = "arn:aws:sts::123456789012:assumed-role/ReadOnly/ssocred-emulator";
const V1BETA1: &str = "client.authentication.k8s.io/v1beta1";
const V1: &str = "client.authentication.k8s.io/v1";

fn eks(w: &World, sink: &str, exec_info: Option<&str>) -> std::process::Output {
    let mut cmd = w.cmd();
    cmd.args(["-p", "legacy", "-r", READ_ONLY_ARN, "--sink", sink]);
    if let Some(info) = exec_info {
        cmd.env("KUBERNETES_EXEC_INFO", info);
    }
    cmd.run_to_end()
}

fn token_of(doc: &serde_json::Value) -> &str {
    doc["status"]["token"].as_str().unwrap()
}

/// The presigned URL inside a token.
fn url_of(token: &str) -> String {
    use base64::Engine;
    let body = token.strip_prefix("k8s-aws-v1.").unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(body)
        .unwrap();
    String::from_utf8(bytes).unwrap()
}

fn usage_error(out: &std::process::Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(2),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty());
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn the_token_is_accepted_by_the_cluster_as_the_role() {
    let w = World::new();
    let before = SystemTime::now();
    let doc = ok_json(&eks(&w, &format!("eks,cluster={CLUSTER}"), None));
    let issued = w.only_issued();
    assert_eq!(doc["kind"], "ExecCredential");
    assert_eq!(doc["apiVersion"], V1BETA1);
    let token = token_of(&doc);
    assert_eq!(
        w.emulator.verify_eks_token(token, CLUSTER).unwrap(),
        READ_ONLY_CALLER
    );
    assert!(token.len() <= 4096);

    // The regional STS of the profile's region, only the parameters the
    // authenticator allows, X-Amz-Expires as the AWS CLI sets it.
    let url = url_of(token);
    assert!(
        url.starts_with(
            "https://sts.eu-central-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&"
        ),
        "{url}"
    );
    let mut names: Vec<&str> = url
        .split_once('?')
        .unwrap()
        .1
        .split('&')
        .map(|p| p.split_once('=').unwrap().0)
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "Action",
            "Version",
            "X-Amz-Algorithm",
            "X-Amz-Credential",
            "X-Amz-Date",
            "X-Amz-Expires",
            "X-Amz-Security-Token",
            "X-Amz-Signature",
            "X-Amz-SignedHeaders",
        ]
    );
    assert!(url.contains("&X-Amz-Expires=60&"), "{url}");
    assert!(url.contains(&format!("X-Amz-Credential={}%2F", issued.access_key_id)));

    // kubectl re-execs 14 minutes after signing, well before the credentials lapse.
    let expires = time::OffsetDateTime::parse(
        doc["status"]["expirationTimestamp"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let signed = time::OffsetDateTime::from(before);
    let reuse = expires - signed;
    assert!(
        reuse > time::Duration::minutes(13)
            && reuse <= time::Duration::minutes(14) + time::Duration::seconds(1),
        "{reuse}"
    );
    assert!(
        doc["status"]["expirationTimestamp"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );
}

#[test]
fn a_token_for_another_cluster_or_forged_is_refused() {
    let w = World::new();
    let doc = ok_json(&eks(&w, &format!("eks:{CLUSTER}"), None));
    let token = token_of(&doc);
    let issued = w.only_issued();

    let wrong = w
        .emulator
        .verify_eks_token(token, "other-cluster")
        .unwrap_err();
    assert!(wrong.contains("SignatureDoesNotMatch"), "{wrong}");

    // The same URL with one character of the signature changed.
    let url = url_of(token);
    let at = url.find("X-Amz-Signature=").unwrap() + "X-Amz-Signature=".len();
    let flipped = if &url[at..=at] == "0" { "1" } else { "0" };
    let forged_url = format!("{}{flipped}{}", &url[..at], &url[at + 1..]);
    use base64::Engine;
    let forged = format!(
        "k8s-aws-v1.{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&forged_url)
    );
    let e = w.emulator.verify_eks_token(&forged, CLUSTER).unwrap_err();
    assert!(e.contains("SignatureDoesNotMatch"), "{e}");

    // Signed with a secret that is not the key's.
    let mut stolen = issued.clone();
    stolen.secret_access_key = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".into();
    let e = w
        .emulator
        .verify_eks_token(
            &presign_token(&stolen, "eu-central-1", CLUSTER, SystemTime::now()),
            CLUSTER,
        )
        .unwrap_err();
    assert!(e.contains("SignatureDoesNotMatch"), "{e}");
    for reason in [&wrong, &e] {
        assert!(
            !reason.contains(&issued.secret_access_key) && !reason.contains(&issued.session_token)
        );
    }
}

#[test]
fn a_token_is_valid_for_fifteen_minutes_after_its_date_whatever_its_expiry() {
    let w = World::new();
    ok_json(&eks(&w, &format!("eks,cluster={CLUSTER}"), None));
    let issued = w.emulator.issued();
    let creds = &issued[0];
    let now = SystemTime::now();
    // X-Amz-Expires=60 has long passed, yet the cluster accepts it.
    let fourteen = presign_token(
        creds,
        "eu-central-1",
        CLUSTER,
        now - Duration::from_secs(14 * 60),
    );
    assert_eq!(
        w.emulator.verify_eks_token(&fourteen, CLUSTER).unwrap(),
        READ_ONLY_CALLER
    );
    let sixteen = presign_token(
        creds,
        "eu-central-1",
        CLUSTER,
        now - Duration::from_secs(16 * 60),
    );
    let e = w.emulator.verify_eks_token(&sixteen, CLUSTER).unwrap_err();
    assert!(e.contains("expired"), "{e}");
    // And the token ssocred printed lapses the same way.
    let doc = ok_json(&eks(&w, &format!("eks,cluster={CLUSTER}"), None));
    let later = now + TOKEN_LIFETIME + Duration::from_secs(120);
    let e = verify_token(&w.emulator.issued(), token_of(&doc), CLUSTER, later).unwrap_err();
    assert!(e.contains("expired"), "{e}");
}

#[test]
fn the_region_option_picks_the_sts_region_and_its_partition() {
    let w = World::new();
    for (region, host, partition) in [
        ("us-west-2", "sts.us-west-2.amazonaws.com", "aws"),
        ("cn-north-1", "sts.cn-north-1.amazonaws.com.cn", "aws-cn"),
        (
            "us-gov-west-1",
            "sts.us-gov-west-1.amazonaws.com",
            "aws-us-gov",
        ),
    ] {
        let doc = ok_json(&eks(
            &w,
            &format!("eks,cluster={CLUSTER},region={region}"),
            None,
        ));
        let token = token_of(&doc);
        assert!(
            url_of(token).starts_with(&format!("https://{host}/?")),
            "{region}"
        );
        assert_eq!(
            w.emulator.verify_eks_token(token, CLUSTER).unwrap(),
            READ_ONLY_CALLER.replace("arn:aws:", &format!("arn:{partition}:")),
        );
    }
    let e = usage_error(&eks(&w, "eks,cluster=x,region=not a region", None));
    assert!(e.contains("sink `eks`") && e.contains("region"), "{e}");
}

#[test]
fn the_api_version_echoes_kubernetes_exec_info_and_refuses_unknown_ones() {
    let w = World::new();
    let spec = format!("eks,cluster={CLUSTER}");
    let v1 = r#"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":false}}"#;
    assert_eq!(ok_json(&eks(&w, &spec, Some(v1)))["apiVersion"], V1);
    let beta = r#"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","spec":{}}"#;
    assert_eq!(ok_json(&eks(&w, &spec, Some(beta)))["apiVersion"], V1BETA1);
    w.emulator.reset_counts();
    let alpha = r#"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1alpha1"}"#;
    let e = usage_error(&eks(&w, &spec, Some(alpha)));
    assert!(
        e.contains(
            "KUBERNETES_EXEC_INFO asks for apiVersion `client.authentication.k8s.io/v1alpha1`"
        ),
        "{e}"
    );
    let e = usage_error(&eks(&w, &spec, Some("{not json")));
    assert!(
        e.contains("KUBERNETES_EXEC_INFO is not an ExecCredential"),
        "{e}"
    );
    assert_eq!(w.emulator.count(Operation::GetRoleCredentials), 0);
}

#[test]
fn a_missing_or_bad_cluster_and_watch_are_usage_errors_before_any_call() {
    let w = World::new();
    let e = usage_error(&eks(&w, "eks", None));
    assert!(e.contains("`cluster` is required"), "{e}");
    let e = usage_error(&eks(&w, "eks,cluster=no/slash", None));
    assert!(e.contains("not an EKS cluster name"), "{e}");
    let out = w
        .cmd()
        .args(["-p", "legacy", "-r", READ_ONLY_ARN, "--watch", "--sink"])
        .arg(format!("eks,cluster={CLUSTER}"))
        .run_to_end();
    let e = usage_error(&out);
    assert!(e.contains("cannot be used with --watch"), "{e}");
    // The same one rule (Sink::delivers_once) as the console's: serve and
    // exec hand credentials to programs that keep running.
    for (command, mode) in [("serve", "`ssocred serve`"), ("exec", "`ssocred exec`")] {
        let mut cmd = w.cmd();
        cmd.args([command, "-p", "legacy", "-r", READ_ONLY_ARN, "--sink"])
            .arg(format!("eks,cluster={CLUSTER}"));
        if command == "exec" {
            cmd.args(["--", "true"]);
        }
        let e = usage_error(&cmd.run_to_end());
        assert!(e.contains(&format!("cannot be used with {mode}")), "{e}");
    }
    assert_eq!(w.emulator.count(Operation::GetRoleCredentials), 0);
}

#[test]
fn the_reuse_time_never_outlives_the_credentials() {
    let w = World::new();
    w.emulator
        .set_credential_lifetime(Duration::from_secs(10 * 60));
    let doc = ok_json(&eks(&w, &format!("eks,cluster={CLUSTER}"), None));
    let issued = w.only_issued();
    assert_eq!(doc["status"]["expirationTimestamp"], expiration_z(&issued));
}

#[test]
fn a_second_call_is_answered_from_the_role_cache() {
    let w = World::new();
    let spec = format!("eks,cluster={CLUSTER}");
    ok_json(&eks(&w, &spec, None));
    let out = w
        .cmd()
        .args(["-v", "-p", "legacy", "-r", READ_ONLY_ARN, "--sink", &spec])
        .run_to_end();
    let doc = ok_json(&out);
    // The fast path says one thing: that it answered from the cache. The
    // full pipeline would first trace how it resolved the profile.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("from the role cache"), "{stderr}");
    assert_eq!(w.emulator.count(Operation::GetRoleCredentials), 1);
    assert_eq!(
        w.emulator
            .verify_eks_token(token_of(&doc), CLUSTER)
            .unwrap(),
        READ_ONLY_CALLER
    );
}

#[test]
fn kubeconfig_prints_the_user_entry_and_the_kubectl_command() {
    let w = World::new();
    let out = ok(&w.run(&[
        "kubeconfig",
        "--cluster",
        CLUSTER,
        "-p",
        "legacy",
        "-r",
        READ_ONLY_ARN,
        "--shell",
        "sh",
    ]));
    assert_eq!(
        out,
        format!(
            "users:\n- name: \"ssocred-{CLUSTER}\"\n  user:\n    exec:\n      apiVersion: \"{V1BETA1}\"\n      command: \"ssocred\"\n      args: [\"-p\", \"legacy\", \"-r\", \"{READ_ONLY_ARN}\", \"--sink\", \"eks,cluster={CLUSTER}\"]\n      interactiveMode: IfAvailable\n      provideClusterInfo: false\n\
# Install it with:\n\
# kubectl config set-credentials ssocred-{CLUSTER} --exec-api-version={V1BETA1} --exec-command=ssocred --exec-arg=-p --exec-arg=legacy --exec-arg=-r --exec-arg={READ_ONLY_ARN} --exec-arg=--sink '--exec-arg=\"eks,cluster={CLUSTER}\"'\n"
        )
    );
    let out = ok(&w.run(&[
        "kubeconfig",
        "--cluster",
        CLUSTER,
        "--account",
        DEV,
        "--role",
        "My.Role+x=y,z@w",
        "--region",
        "us-west-2",
        "--user",
        "it's me",
        "--exec-api-version",
        "v1",
        "--kubectl",
        "--shell",
        "sh",
    ]));
    assert_eq!(
        out,
        format!(
            "kubectl config set-credentials 'it'\\''s me' --exec-api-version={V1} --exec-command=ssocred --exec-arg=--account --exec-arg={DEV} --exec-arg=--role '--exec-arg=\"My.Role+x=y,z@w\"' --exec-arg=--sink '--exec-arg=\"eks,cluster={CLUSTER},region=us-west-2\"' --exec-interactive-mode=IfAvailable\n"
        )
    );
    assert_eq!(w.emulator.count(Operation::GetRoleCredentials), 0);
}

/// Without --shell, the command is written for the system's shell: sh on
/// Unix, PowerShell on Windows (`kubeconfig_windows` runs both Windows
/// forms there).
#[test]
fn kubeconfig_writes_the_command_for_the_system_shell_by_default() {
    let w = World::new();
    let args = [
        "kubeconfig",
        "--cluster",
        CLUSTER,
        "-r",
        READ_ONLY_ARN,
        "--kubectl",
    ];
    let default = ok(&w.run(&args));
    let system = if cfg!(windows) { "powershell" } else { "sh" };
    assert_eq!(
        default,
        ok(&w.run(&[&args[..], &["--shell", system]].concat()))
    );
    let start = if cfg!(windows) {
        "Start-Process -FilePath kubectl -ArgumentList 'config set-credentials "
    } else {
        "kubectl config set-credentials "
    };
    assert!(default.starts_with(start), "{default}");
    let cmd = ok(&w.run(&[&args[..], &["--shell", "cmd"]].concat()));
    assert_eq!(
        cmd,
        format!(
            "kubectl config set-credentials ssocred-{CLUSTER} --exec-api-version={V1BETA1} --exec-command=ssocred --exec-arg=-r --exec-arg={READ_ONLY_ARN} --exec-arg=--sink --exec-arg=\\\"eks,cluster={CLUSTER}\\\"\n"
        )
    );
}

#[test]
fn kubeconfig_refuses_what_kubectl_could_not_run() {
    let w = World::new();
    let e = usage_error(&w.run(&["kubeconfig", "--cluster", CLUSTER, "-p", "legacy"]));
    assert!(e.contains("needs the role"), "{e}");
    let e = usage_error(&w.run(&["kubeconfig", "--cluster", "a b", "-r", READ_ONLY_ARN]));
    assert!(e.contains("not an EKS cluster name"), "{e}");
    let e = usage_error(&w.run(&[
        "kubeconfig",
        "--cluster",
        CLUSTER,
        "-r",
        READ_ONLY_ARN,
        "--region",
        "fips-us-east-1",
    ]));
    assert!(e.contains("region"), "{e}");
}

/// The Python Kubernetes client loads a kubeconfig from `ssocred
/// kubeconfig`, runs ssocred as its exec plugin (setting
/// KUBERNETES_EXEC_INFO and checking the answer's apiVersion), and the
/// token it obtains is the role's.
#[test]
fn the_python_kubernetes_client_gets_a_token_the_cluster_accepts() {
    let Some(python) = python("the kubernetes exec plugin interop") else {
        return;
    };
    let w = World::new();
    for api in ["v1beta1", "v1"] {
        let user = ok(&w.run(&[
            "kubeconfig",
            "--cluster",
            CLUSTER,
            "-p",
            "legacy",
            "-r",
            READ_ONLY_ARN,
            "--exec-api-version",
            api,
            "--command",
            env!("CARGO_BIN_EXE_ssocred"),
        ]));
        let kubeconfig = w.home().join(format!("kubeconfig-{api}"));
        std::fs::write(
            &kubeconfig,
            format!(
                "apiVersion: v1\nkind: Config\nclusters:\n- name: {CLUSTER}\n  cluster:\n    server: https://127.0.0.1:1\ncontexts:\n- name: {CLUSTER}\n  context:\n    cluster: {CLUSTER}\n    user: ssocred-{CLUSTER}\ncurrent-context: {CLUSTER}\n{user}"
            ),
        )
        .unwrap();
        let got = python_json(&w, &python, "kube_exec.py", &[kubeconfig.to_str().unwrap()]);
        let bearer = got["authorization"].as_str().unwrap();
        let token = bearer.strip_prefix("Bearer ").unwrap();
        assert_eq!(
            w.emulator.verify_eks_token(token, CLUSTER).unwrap(),
            READ_ONLY_CALLER,
            "{api}"
        );
    }
}

#[test]
fn no_secret_or_token_reaches_stderr_and_bad_input_is_escaped() {
    let w = World::new();
    let mut cmd = w.cmd();
    cmd.args(["-v", "-p", "legacy", "-r", READ_ONLY_ARN, "--sink"])
        .arg(format!("eks,cluster={CLUSTER}"));
    let out = cmd.run_to_end();
    let doc = ok_json(&out);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let i = w.only_issued();
    for secret in [
        TOKEN,
        &i.secret_access_key,
        &i.session_token,
        token_of(&doc),
    ] {
        assert!(!stderr.contains(secret), "secret in stderr: {stderr}");
    }
    // The same run from the role cache, with a hostile apiVersion: refused,
    // escaped, and still nothing secret.
    let hostile = format!(r#"{{"apiVersion":"\u001b[2J{}"}}"#, "x".repeat(5000));
    let e = usage_error(&eks(&w, &format!("eks,cluster={CLUSTER}"), Some(&hostile)));
    assert!(!e.contains('\u{1b}') && e.len() < 1000, "{e}");
    for secret in [&i.secret_access_key, &i.session_token] {
        assert!(!e.contains(secret.as_str()), "{e}");
    }
}

// Unix only: evaluates the kubeconfig's command with `sh`.
#[cfg(unix)]
#[test]
fn kubeconfig_quotes_what_it_is_given_for_yaml_and_sh() {
    let w = World::new();
    let user = r#"it's "me" # not a comment"#;
    let profile = r#"we'ird "profile" $(id)"#;
    let text = ok(&w.run(&[
        "kubeconfig",
        "--cluster",
        CLUSTER,
        "-p",
        profile,
        "-r",
        READ_ONLY_ARN,
        "--user",
        user,
        "--command",
        "/opt/my tools/ssocred",
    ]));
    let kubectl = text.lines().last().unwrap().strip_prefix("# ").unwrap();
    // sh reads the command back word for word, running nothing.
    let words = w
        .command("sh")
        .arg("-c")
        .arg(format!("set -- {kubectl}; printf '%s\\n' \"$@\""))
        .run_to_end();
    let words = ok(&words);
    let words: Vec<&str> = words.lines().collect();
    assert_eq!(words[3], user);
    assert_eq!(words[5], "--exec-command=/opt/my tools/ssocred");
    // kubectl reads each --exec-arg as CSV: one quoted field.
    assert_eq!(
        words[7],
        format!("--exec-arg=\"{}\"", profile.replace('"', "\"\""))
    );
    // A control character could end the comment line: refused.
    let e = usage_error(&w.run(&[
        "kubeconfig",
        "--cluster",
        CLUSTER,
        "-r",
        READ_ONLY_ARN,
        "--user",
        "a\nusers: []",
    ]));
    assert!(
        e.contains("--user") && e.contains("control character"),
        "{e}"
    );
    let Some(python) = python("the kubeconfig YAML parse") else {
        return;
    };
    let documents = ssocred_test_support::parse_format(&python, "yaml", &text);
    let parsed = &documents[0];
    let exec = &parsed["users"][0]["user"]["exec"];
    assert_eq!(parsed["users"][0]["name"], user);
    assert_eq!(exec["command"], "/opt/my tools/ssocred");
    assert_eq!(exec["args"][1], profile);
    assert_eq!(exec["interactiveMode"], "IfAvailable");
}

/// YAML 1.1 parsers, kubectl's included, read U+0085, U+2028 and U+2029 as
/// line breaks: in any value they could end the comment that holds the
/// kubectl command and add a key to the kubeconfig (here, kubectl's
/// current context). Each is refused in each flag, exit 2 naming the flag,
/// with nothing printed.
#[test]
fn kubeconfig_refuses_unicode_line_breaks_in_every_value() {
    let w = World::new();
    for brk in ['\u{85}', '\u{2028}', '\u{2029}'] {
        let hostile = format!("x{brk}current-context: attacker{brk}#");
        for flag in [
            "--command",
            "--user",
            "--profile",
            "--role-arn",
            "--assume",
            "--region",
            "--cluster",
        ] {
            let mut args = vec!["kubeconfig"];
            for (base, value) in [("--cluster", CLUSTER), ("--role-arn", READ_ONLY_ARN)] {
                if base != flag {
                    args.extend([base, value]);
                }
            }
            args.extend([flag, hostile.as_str()]);
            let e = usage_error(&w.run(&args));
            assert!(
                e.contains(flag) && e.contains(&format!("U+{:04X}", u32::from(brk))),
                "{flag} {brk:?}: {e}"
            );
        }
        let e = usage_error(&w.run(&[
            "kubeconfig",
            "--cluster",
            CLUSTER,
            "--account",
            DEV,
            "--role",
            &hostile,
        ]));
        assert!(e.contains("--role"), "{e}");
    }
    assert_eq!(all_calls(&w), 0);
}
