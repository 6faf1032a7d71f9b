//! What ssocred prints for another program, run by that program: the
//! `kubectl config set-credentials` command and the kubeconfig entry of
//! `ssocred kubeconfig` (kubectl, against a stand-in API server that checks
//! the token as EKS does), the `credHelpers` lines of `docker-credential
//! install` (the docker CLI), the `envrc` template (direnv), `--sink env`
//! and the completion scripts (bash, zsh, fish), and the prompt recipes of
//! docs/status.md (bash).
//!
//! Each test finds its program with `real_tool`: `scripts/install-test-tools`
//! installs them all from Debian's packages and `scripts/test` makes a
//! missing one a failure (`SSOCRED_REQUIRE_TOOLS=1`); elsewhere a test
//! without its program skips loudly.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Output;

use ssocred_test_support::{KubeApiStandIn, real_tool};

use crate::world::*;

const CLUSTER: &str = "prod-cluster";
const HUB: &str = "arn:aws:iam::555555555555:role/Hub";
const TARGET: &str = "arn:aws:iam::666666666666:role/Target";
/// An external id with the characters kubectl's CSV reading would split on
/// or choke at (STS allows `,` and `=`).
const COMMA_EXTERNAL_ID: &str = "ext,42=a,b";
const COMMA_ROLE: &str = "My.Role+x=y,z@w";

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// stdout of a program that must succeed; a failure shows both streams.
fn success(what: &str, out: &Output) -> String {
    assert!(
        out.status.success(),
        "{what} failed with {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// PATH with `dirs` first: where the tests put ssocred and the tools.
fn path_with(dirs: &[&Path]) -> OsString {
    let mut all: Vec<PathBuf> = dirs.iter().map(|d| d.to_path_buf()).collect();
    all.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(all).unwrap()
}

/// The directory of the ssocred under test, so `ssocred` on PATH is it.
fn ssocred_dir() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_ssocred")).parent().unwrap()
}

// ---------------------------------------------------------------- kubectl

/// ReadOnly may assume Hub, and Hub may assume Target with an external id
/// full of commas.
fn chain_world() -> World {
    World::with_emulator(
        base_emulator()
            .trust(HUB, READ_ONLY_ARN)
            .trust_with_external_id(TARGET, HUB, COMMA_EXTERNAL_ID),
    )
}

/// A kubeconfig in the world's HOME and the kubectl that edits it, with
/// ssocred and kubectl on PATH as a user would have them.
struct Kube<'w> {
    w: &'w World,
    kubectl: PathBuf,
    path: OsString,
    api: KubeApiStandIn,
}

impl<'w> Kube<'w> {
    fn new(w: &'w World, kubectl: PathBuf) -> Self {
        let path = path_with(&[kubectl.parent().unwrap(), ssocred_dir()]);
        let api = KubeApiStandIn::start(&w.emulator.url(), CLUSTER).unwrap();
        std::fs::write(w.home().join("stand-in-ca.pem"), api.ca_pem()).unwrap();
        Kube {
            w,
            kubectl,
            path,
            api,
        }
    }

    fn kubeconfig(&self, name: &str) -> PathBuf {
        self.w.home().join(format!("{name}.kubeconfig"))
    }

    /// `sh -c LINE` with KUBECONFIG set: a line the user would paste.
    fn sh(&self, kubeconfig: &Path, line: &str) -> Output {
        self.w
            .command("sh")
            .arg("-c")
            .arg(line)
            .env("PATH", &self.path)
            .env("KUBECONFIG", kubeconfig)
            .output()
            .unwrap()
    }

    fn kubectl(&self, kubeconfig: &Path, args: &[&str]) -> Output {
        self.w
            .command(&self.kubectl)
            .args(args)
            .env("PATH", &self.path)
            .env("KUBECONFIG", kubeconfig)
            .output()
            .unwrap()
    }

    /// Adds the stand-in cluster and a context using `user`, as `aws eks
    /// update-kubeconfig` would, with kubectl itself.
    fn add_cluster(&self, kubeconfig: &Path, user: &str) {
        let ca = self.w.home().join("stand-in-ca.pem");
        for args in [
            vec![
                "config".to_owned(),
                "set-cluster".to_owned(),
                CLUSTER.to_owned(),
                format!("--server={}", self.api.url()),
                format!("--certificate-authority={}", ca.display()),
                "--embed-certs=true".to_owned(),
            ],
            vec![
                "config".to_owned(),
                "set-context".to_owned(),
                CLUSTER.to_owned(),
                format!("--cluster={CLUSTER}"),
                format!("--user={user}"),
            ],
            vec![
                "config".to_owned(),
                "use-context".to_owned(),
                CLUSTER.to_owned(),
            ],
        ] {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            success("kubectl config", &self.kubectl(kubeconfig, &args));
        }
    }

    /// `kubectl get --raw /version`: the caller's ARN the stand-in API
    /// server saw, after checking the token with the emulator.
    fn caller(&self, kubeconfig: &Path) -> String {
        let before = self.api.log().callers.len();
        let out = success(
            "kubectl get --raw /version",
            &self.kubectl(kubeconfig, &["get", "--raw", "/version"]),
        );
        let version: serde_json::Value = serde_json::from_str(&out).unwrap();
        let log = self.api.log();
        assert_eq!(log.callers.len(), before + 1, "{log:?}");
        assert_eq!(version["ssocredCaller"], log.callers[before].as_str());
        log.callers[before].clone()
    }

    /// The exec section kubectl holds for `user`, as JSON.
    fn exec_of(&self, kubeconfig: &Path, user: &str) -> serde_json::Value {
        let out = success(
            "kubectl config view",
            &self.kubectl(kubeconfig, &["config", "view", "-o", "json"]),
        );
        let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
        doc["users"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["name"] == user)
            .unwrap_or_else(|| panic!("no user {user} in {doc}"))["user"]["exec"]
            .clone()
    }
}

/// For each exec API version and each kind of role (a plain ARN, a role
/// name with commas, a two-hop chain whose external id holds commas): the
/// printed `kubectl config set-credentials` command, run verbatim by sh
/// with a real kubectl, and the printed YAML entry, loaded by the same
/// kubectl, both give a user whose `kubectl get` the stand-in API server
/// accepts as the right role. And both forms give kubectl the same
/// arguments, word for word.
#[test]
fn kubectl_runs_the_printed_command_and_entry_and_the_cluster_accepts_the_token() {
    let Some(kubectl) = real_tool("kubectl", "kubectl runs `ssocred kubeconfig`'s output") else {
        return;
    };
    let w = chain_world();
    let kube = Kube::new(&w, kubectl);
    let comma_role_arn = format!("arn:aws:iam::{DEV}:role/{COMMA_ROLE}");
    let chain_hop = format!("{TARGET},external-id={COMMA_EXTERNAL_ID}");
    let cases: [(&str, Vec<&str>, &str); 3] = [
        (
            "plain",
            vec!["-p", "legacy", "-r", READ_ONLY_ARN],
            "arn:aws:sts::123456789012:assumed-role/ReadOnly/",
        ),
        (
            "comma-role",
            vec!["-p", "modern", "-r", &comma_role_arn],
            "arn:aws:sts::210987654321:assumed-role/My.Role+x=y,z@w/",
        ),
        (
            "chain",
            vec![
                "-p",
                "legacy",
                "-r",
                READ_ONLY_ARN,
                "--assume",
                HUB,
                "--assume",
                &chain_hop,
            ],
            "arn:aws:sts::666666666666:assumed-role/Target/",
        ),
    ];
    for api in ["v1beta1", "v1"] {
        for (name, role_args, caller) in &cases {
            let case = format!("{api} {name}");
            let user = format!("{name}-{api}");
            let mut args = vec![
                "kubeconfig",
                "--cluster",
                CLUSTER,
                "--exec-api-version",
                api,
                "--user",
                &user,
            ];
            args.extend(role_args);
            let printed = ok(&w.run(&args));
            let (yaml, comment) = printed.split_once("# Install it with:\n").unwrap();
            let command = comment.strip_prefix("# ").unwrap().trim_end();
            args.push("--kubectl");
            assert_eq!(ok(&w.run(&args)).trim_end(), command, "{case}");

            // The command, pasted into a shell.
            let by_command = kube.kubeconfig(&format!("command-{api}-{name}"));
            let out = kube.sh(&by_command, command);
            assert!(
                success(&case, &out).contains(&format!("User \"{user}\" set.")),
                "{case}"
            );
            kube.add_cluster(&by_command, &user);
            let got = kube.caller(&by_command);
            assert!(got.starts_with(caller), "{case}: {got}");

            // The entry, pasted into a kubeconfig.
            let by_entry = kube.kubeconfig(&format!("entry-{api}-{name}"));
            std::fs::write(&by_entry, format!("apiVersion: v1\nkind: Config\n{yaml}")).unwrap();
            kube.add_cluster(&by_entry, &user);
            let got = kube.caller(&by_entry);
            assert!(got.starts_with(caller), "{case}: {got}");

            let from_command = kube.exec_of(&by_command, &user);
            assert_eq!(from_command, kube.exec_of(&by_entry, &user), "{case}");
            let mut expected_args: Vec<&str> = role_args.clone();
            let sink = format!("eks,cluster={CLUSTER}");
            expected_args.extend(["--sink", &sink]);
            assert_eq!(
                from_command["args"],
                serde_json::json!(expected_args),
                "{case}"
            );
            assert_eq!(
                from_command["apiVersion"],
                format!("client.authentication.k8s.io/{api}"),
                "{case}"
            );
            assert_eq!(from_command["interactiveMode"], "IfAvailable", "{case}");
        }
    }
    // Every token came to the stand-in with a cluster-valid signature.
    assert!(kube.api.log().refusals.is_empty(), "{:?}", kube.api.log());
}

/// A value whose quoting for sh and for kubectl's CSV reading both matter
/// (quotes, commas, spaces, an empty-looking profile): kubectl keeps each
/// as one argument, and a user name kubectl would read as a flag is
/// refused with exit 2.
#[test]
fn kubectl_keeps_quoted_values_whole_and_a_flag_like_user_is_refused() {
    let Some(kubectl) = real_tool("kubectl", "kubectl runs `ssocred kubeconfig`'s output") else {
        return;
    };
    let w = World::new();
    let kube = Kube::new(&w, kubectl);
    let profile = r#"we"ird, 'profile' $(id) a"b""#;
    let command = ok(&w.run(&[
        "kubeconfig",
        "--cluster",
        CLUSTER,
        "-p",
        profile,
        "-r",
        READ_ONLY_ARN,
        "--region",
        "us-west-2",
        "--user",
        "it's me, \"you\"",
        "--command",
        "/opt/my tools,x/ssocred",
        "--kubectl",
    ]));
    let config = kube.kubeconfig("quoted");
    success("the printed command", &kube.sh(&config, command.trim_end()));
    let exec = kube.exec_of(&config, "it's me, \"you\"");
    assert_eq!(exec["command"], "/opt/my tools,x/ssocred");
    assert_eq!(
        exec["args"],
        serde_json::json!([
            "-p",
            profile,
            "-r",
            READ_ONLY_ARN,
            "--sink",
            format!("eks,cluster={CLUSTER},region=us-west-2")
        ])
    );

    let out = w.run(&[
        "kubeconfig",
        "--cluster",
        CLUSTER,
        "-r",
        READ_ONLY_ARN,
        "--user=--token=x",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty());
    assert!(
        text(&out.stderr).contains("--user"),
        "{}",
        text(&out.stderr)
    );
}
