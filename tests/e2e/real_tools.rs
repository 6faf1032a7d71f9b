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
            .run_to_end()
    }

    fn kubectl(&self, kubeconfig: &Path, args: &[&str]) -> Output {
        self.w
            .command(&self.kubectl)
            .args(args)
            .env("PATH", &self.path)
            .env("KUBECONFIG", kubeconfig)
            .run_to_end()
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

// ----------------------------------------------------------------- docker

fn write_ssocred_config(w: &World, text: &str) {
    let dir = w.home().join(".config/ssocred");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("config.toml"), text).unwrap();
}

/// A Docker config directory holding `config_json`.
fn docker_config(w: &World, name: &str, config_json: &str) -> PathBuf {
    let dir = w.home().join(name);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("config.json"), config_json).unwrap();
    dir
}

/// The JSON the docker CLI put in a registry-auth header (base64url, with
/// or without padding).
fn registry_header(value: &str) -> serde_json::Value {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(value.trim_end_matches('='))
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// The real docker CLI, configured with the `credHelpers` lines that
/// `docker-credential install` printed, pasted verbatim: `docker pull`
/// runs the helper it installed, and hands the daemon (a stand-in) the ECR
/// token the emulator issued to the mapped role. A registry the helper
/// does not know gets its "not found" answer, and docker pulls without
/// credentials (docker reads any failure of a helper so; docker-py, which
/// tells the exact line apart, checks it in docker_credential.rs). And
/// `list`, which docker runs for a
/// `credsStore` when it gathers every credential for `docker build`,
/// names the registry in a form docker then asks `get` about.
#[test]
fn docker_pull_and_build_get_the_mapped_roles_token_through_the_printed_lines() {
    let Some(docker) = real_tool("docker", "the docker CLI runs docker-credential-ssocred") else {
        return;
    };
    let w = World::new();
    write_ssocred_config(
        &w,
        &format!(
            "[[registry]]\nmatch = '{PROD}'\nprofile = 'legacy'\nrole_arn = '{READ_ONLY_ARN}'\n"
        ),
    );
    let bin = w.home().join("bin");
    let path = path_with(&[&bin, docker.parent().unwrap()]);
    let printed = success(
        "docker-credential install",
        &w.cmd()
            .args(["docker-credential", "install", "--dir"])
            .arg(&bin)
            .env("PATH", &path)
            .run_to_end(),
    );
    let (comment, lines) = printed.split_once('\n').unwrap();
    assert!(
        comment.starts_with("# Add to ~/.docker/config.json"),
        "{printed}"
    );
    // legacy's region is eu-central-1.
    let registry = format!("{PROD}.dkr.ecr.eu-central-1.amazonaws.com");
    assert!(lines.contains(&registry), "{lines}");

    let daemon = ssocred_test_support::DockerDaemonStandIn::start().unwrap();
    let run_docker = |config: &Path, args: &[&str]| {
        w.command(&docker)
            .args(args)
            .env("PATH", &path)
            .env("DOCKER_CONFIG", config)
            .env("DOCKER_HOST", daemon.docker_host())
            .env("DOCKER_BUILDKIT", "0")
            .env("AWS_ENDPOINT_URL_ECR", w.emulator.url())
            .run_to_end()
    };
    let auth_of_pull = |image: &str| {
        let requests = daemon.requests();
        let pull = requests
            .iter()
            .find(|r| {
                r.method == "POST" && r.path.contains("/images/create?") && r.path.contains(image)
            })
            .unwrap_or_else(|| panic!("no pull of {image} reached the daemon: {requests:?}"));
        registry_header(
            pull.headers
                .get("x-registry-auth")
                .map_or("e30", String::as_str),
        )
    };

    // The printed lines, verbatim.
    let printed_config = docker_config(&w, "docker-printed", lines);
    let image = format!("{registry}/app:1");
    success(
        "docker pull",
        &run_docker(&printed_config, &["pull", &image]),
    );
    let auth = auth_of_pull(&format!("fromImage={registry}%2Fapp&tag=1"));
    assert_eq!(auth["username"], "AWS", "{auth}");
    let password = auth["password"].as_str().unwrap();
    let owner = w
        .emulator
        .ecr_token_owner(password)
        .expect("an ECR token the emulator issued");
    assert_eq!(
        (
            owner.account_id.as_str(),
            owner.role_name.as_str(),
            owner.region.as_str()
        ),
        (PROD, "ReadOnly", "eu-central-1")
    );

    // A registry ssocred does not map: "not found", and docker pulls
    // without credentials instead of failing.
    let unmapped = format!("{DEV}.dkr.ecr.eu-central-1.amazonaws.com");
    let unmapped_config = docker_config(
        &w,
        "docker-unmapped",
        &format!("{{\"credHelpers\": {{\"{unmapped}\": \"ssocred\"}}}}"),
    );
    success(
        "docker pull (not found)",
        &run_docker(&unmapped_config, &["pull", &format!("{unmapped}/app:2")]),
    );
    let auth = auth_of_pull(&format!("fromImage={unmapped}%2Fapp&tag=2"));
    assert!(auth.get("password").is_none_or(|p| p == ""), "{auth}");

    // `list`, as docker reads it: every registry it names, with its token.
    let store_config = docker_config(&w, "docker-store", r#"{"credsStore": "ssocred"}"#);
    let context = w.home().join("context");
    std::fs::create_dir_all(&context).unwrap();
    std::fs::write(context.join("Dockerfile"), "FROM scratch\n").unwrap();
    success(
        "docker build",
        &run_docker(&store_config, &["build", "-q", context.to_str().unwrap()]),
    );
    let requests = daemon.requests();
    let build = requests
        .iter()
        .find(|r| r.method == "POST" && r.path.contains("/build?"))
        .unwrap_or_else(|| panic!("no build reached the daemon: {requests:?}"));
    let all = registry_header(&build.headers["x-registry-config"]);
    let entry = &all[format!("https://{registry}")];
    assert_eq!(entry["username"], "AWS", "{all}");
    let owner = w
        .emulator
        .ecr_token_owner(entry["password"].as_str().unwrap())
        .expect("an ECR token the emulator issued");
    assert_eq!(owner.role_name, "ReadOnly");
}

// ----------------------------------------------------------------- direnv

/// The bundled `envrc` template, written to a project's `.envrc` and
/// allowed with `direnv allow`: `direnv exec` gives a program the role's
/// credentials; before `direnv allow`, direnv refuses to load it.
#[test]
fn direnv_loads_the_envrc_template_and_gives_a_program_the_roles_credentials() {
    let Some(direnv) = real_tool("direnv", "direnv loads the envrc template") else {
        return;
    };
    let w = World::new();
    let project = w.home().join("project");
    std::fs::create_dir_all(&project).unwrap();
    let envrc = project.join(".envrc");
    ok(&w.run(&[
        "-p",
        "legacy",
        "-r",
        READ_ONLY_ARN,
        "--sink",
        &format!("template:envrc,out={}", envrc.display()),
    ]));
    let i = w.only_issued();
    let path = path_with(&[direnv.parent().unwrap()]);
    let direnv_exec = || {
        w.command(&direnv)
            .arg("exec")
            .arg(&project)
            .args(["sh", "-c", PRINT_AWS_VARIABLES])
            .env("PATH", &path)
            .run_to_end()
    };
    let blocked = direnv_exec();
    assert!(!blocked.status.success(), "{}", text(&blocked.stdout));
    assert!(
        text(&blocked.stderr).contains("blocked"),
        "{}",
        text(&blocked.stderr)
    );

    success(
        "direnv allow",
        &w.command(&direnv)
            .arg("allow")
            .arg(&project)
            .env("PATH", &path)
            .run_to_end(),
    );
    let seen = success("direnv exec", &direnv_exec());
    assert_eq!(seen, expected_aws_variables(&i, "eu-central-1"));
}

// ----------------------------------------------------------------- shells

/// sh code that prints each AWS variable a child process sees, one a line.
const PRINT_AWS_VARIABLES: &str = "for v in AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_CREDENTIAL_EXPIRATION AWS_REGION AWS_DEFAULT_REGION; do printenv \"$v\" || echo \"$v unset\"; done";

fn expected_aws_variables(i: &ssocred_emulator::IssuedCredentials, region: &str) -> String {
    format!(
        "{}\n{}\n{}\n{}\n{region}\n{region}\n",
        i.access_key_id,
        i.secret_access_key,
        i.session_token,
        expiration_z(i)
    )
}

/// `eval` of `--sink env` in bash and zsh, `--sink env:fish | source` in
/// fish: the real shell runs the output, and a child it starts sees every
/// variable with the role's exact values.
#[test]
fn each_shell_runs_the_env_output_and_its_children_see_the_credentials() {
    let w = World::new();
    let child = ssocred_core::domain::shell::sh_quote(PRINT_AWS_VARIABLES);
    let role = format!("-p legacy -r {READ_ONLY_ARN}");
    for (shell, script) in [
        (
            "bash",
            format!("eval \"$(ssocred {role} --sink env)\" && sh -c {child}"),
        ),
        (
            "zsh",
            format!("eval \"$(ssocred {role} --sink env)\" && sh -c {child}"),
        ),
        (
            "fish",
            format!("ssocred {role} --sink env:fish | source; and sh -c {child}"),
        ),
    ] {
        let Some(program) = real_tool(shell, "the shells run `--sink env`") else {
            continue;
        };
        let out = w
            .command(&program)
            .args(["-c", &script])
            .env("PATH", path_with(&[ssocred_dir()]))
            .run_to_end();
        let issued = w.emulator.issued();
        assert_eq!(issued.len(), 1, "one fetch, then the role cache");
        assert_eq!(
            success(shell, &out),
            expected_aws_variables(&issued[0], "eu-central-1"),
            "{shell}"
        );
    }
}

/// The completion scripts, loaded by each real shell, complete ssocred's
/// subcommands and flags: bash through `complete -p` and the function it
/// names, fish through `complete -C`, zsh through a Tab typed into an interactive
/// zsh.
#[test]
fn each_shell_loads_its_completion_script_and_completes_subcommands_and_flags() {
    let w = World::new();
    let path = path_with(&[ssocred_dir()]);
    let run = |program: &Path, args: &[&str]| {
        w.command(program)
            .args(args)
            .env("PATH", &path)
            .run_to_end()
    };
    if let Some(bash) = real_tool("bash", "bash loads `ssocred completions bash`") {
        let script = r#"
source <(ssocred completions bash)
spec=$(complete -p ssocred) || exit 1
fn=${spec#*-F }; fn=${fn%% *}
complete_line() {
    COMP_LINE=$1; COMP_POINT=${#COMP_LINE}
    read -r -a COMP_WORDS <<<"$COMP_LINE"
    COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
    COMPREPLY=()
    "$fn" ssocred "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
    printf '%s\n' "${COMPREPLY[@]}"
}
complete_line 'ssocred --si'
echo ---
complete_line 'ssocred kube'
"#;
        let out = success("bash completion", &run(&bash, &["-c", script]));
        let (flags, commands) = out.split_once("---\n").unwrap();
        assert!(flags.lines().any(|l| l.trim() == "--sink"), "{out}");
        assert!(commands.lines().any(|l| l.trim() == "kubeconfig"), "{out}");
    }
    if let Some(fish) = real_tool("fish", "fish loads `ssocred completions fish`") {
        let out = success(
            "fish completion",
            &run(
                &fish,
                &[
                    "-c",
                    "ssocred completions fish | source; complete -C 'ssocred --si'; echo ---; complete -C 'ssocred kube'",
                ],
            ),
        );
        let (flags, commands) = out.split_once("---\n").unwrap();
        let first_words = |s: &str| -> Vec<String> {
            s.lines()
                .map(|l| l.split('\t').next().unwrap().to_owned())
                .collect()
        };
        assert!(first_words(flags).contains(&"--sink".to_owned()), "{out}");
        assert!(
            first_words(commands).contains(&"kubeconfig".to_owned()),
            "{out}"
        );
    }
    if let Some(zsh) = real_tool("zsh", "zsh loads `ssocred completions zsh`") {
        // An interactive zsh on a pseudo-terminal (zsh's own zpty module),
        // where a Tab runs the completion system as it does for a user.
        let script = r#"
zmodload zsh/zpty || exit 1
complete_in_zsh() {
    zpty -b z 'zsh -f -i'
    zpty -w z 'autoload -Uz compinit; compinit -u -d $HOME/.zcompdump; source <(ssocred completions zsh)'
    zpty -w -n z "$1"$'\t'
    local out= chunk i
    for i in {1..100}; do
        sleep 0.1
        while zpty -r -t z chunk; do out+=$chunk; done
        [[ $out == *"$2"* ]] && break
    done
    zpty -d z
    print -r -- "$out"
}
complete_in_zsh 'ssocred --si' 'ssocred --sink'
print -- ---
complete_in_zsh 'ssocred kube' 'ssocred kubeconfig'
"#;
        let out = success("zsh completion", &run(&zsh, &["-f", "-c", script]));
        let (flags, commands) = out.split_once("\n---\n").unwrap();
        // What was typed ends in `--si` and `kube`: only the completion
        // can have written the rest.
        assert!(flags.contains("ssocred --sink"), "{out}");
        assert!(commands.contains("ssocred kubeconfig"), "{out}");
    }
}

// ---------------------------------------------------------------- prompts

/// The code block under `heading` in docs/status.md, exactly as written.
fn status_recipe(heading: &str) -> String {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/status.md")).unwrap();
    let section = doc
        .split_once(&format!("\n{heading}\n"))
        .unwrap_or_else(|| panic!("docs/status.md has no `{heading}`"))
        .1;
    let block = section.split_once("```sh\n").unwrap().1;
    block.split_once("```\n").unwrap().0.to_owned()
}

/// The prompt recipes of docs/status.md, pasted into bash as written, then
/// the prompt bash would show (`${PS1@P}`): the login's time left, in
/// colour when it is expiring or gone; and the time left of credentials
/// exported by `--sink env`.
#[test]
fn the_status_prompt_recipes_run_in_bash_as_written() {
    let Some(bash) = real_tool("bash", "the prompt recipes of docs/status.md") else {
        return;
    };
    let w = World::new();
    w.write_config(&format!("{CONFIG}\n[profile dev]\nsso_session = corp\n"));
    let path = path_with(&[ssocred_dir()]);
    let prompt = |recipe: &str, before: &str| {
        let script = format!("PS1='$ '\n{before}\n{recipe}\nprintf '%s' \"${{PS1@P}}\"");
        success(
            "bash prompt",
            &w.command(&bash)
                .args(["-c", &script])
                .env("PATH", &path)
                .run_to_end(),
        )
    };
    let sso = status_recipe("### bash (and other POSIX shells)");
    let shown = prompt(&sso, "");
    assert!(
        shown.starts_with("[sso ") && shown.ends_with("h] $ ") || shown.ends_with("m] $ "),
        "{shown:?}"
    );
    assert!(
        !shown.contains('\u{1b}'),
        "a valid login is not coloured: {shown:?}"
    );
    let soon = time::OffsetDateTime::now_utc() + time::Duration::minutes(5);
    w.write_token("corp", TOKEN, &ssocred_core::domain::time_fmt::utc_z(soon));
    let shown = prompt(&sso, "");
    assert!(
        shown.starts_with("[sso \u{1b}[33m"),
        "expiring is yellow: {shown:?}"
    );
    w.write_token("corp", TOKEN, "2020-01-01T00:00:00Z");
    assert_eq!(prompt(&sso, ""), "[sso \u{1b}[31mexpired\u{1b}[0m] $ ");

    let exported = status_recipe("### Role credentials already in the shell");
    let shown = prompt(
        &exported,
        &format!("eval \"$(ssocred -p legacy -r {READ_ONLY_ARN} --sink env)\""),
    );
    let minutes: i64 = shown
        .strip_prefix("[aws ")
        .and_then(|s| s.strip_suffix("m] $ "))
        .unwrap_or_else(|| panic!("{shown:?}"))
        .parse()
        .unwrap();
    let i = w.only_issued();
    let left =
        (i.expiration_epoch_ms / 1000 - time::OffsetDateTime::now_utc().unix_timestamp()) / 60;
    assert!((left - 1..=left).contains(&minutes), "{minutes} vs {left}");
    assert_eq!(
        prompt(&exported, "AWS_CREDENTIAL_EXPIRATION=2020-01-01T00:00:00Z"),
        "[aws expired] $ "
    );
}
