//! Same role everywhere: whichever way a role is chosen (flags, the
//! environment, a project file with or without a chain, a preset with a
//! chain chosen by `--preset`, by SSOCRED_PRESET or by a project, the
//! config's top-level chain, the profile's own role), every path that
//! delivers credentials gives the role `ssocred config show` predicts for
//! the same working directory, environment and flags: `get` with each sink
//! that outputs credentials, a discovered `credential_process` line run by
//! botocore, `use`, `exec`, `exec --via serve`, `console --from-env`, the
//! `eks` sink, the kubeconfig entry run by kubectl, and the Docker
//! credential helper.
//!
//! What each path gave is read from the emulator's record of what it
//! issued (the access key in the path's output, followed through every
//! AssumeRole back to the SSO role), or from what the emulator verified (an
//! EKS token's caller, a console sign-in's role, an ECR password's owner),
//! never from what ssocred says it did. The rule for chains: a role named
//! on the command line gets its chain from the command line only, and a
//! command that names profile and role in full does not depend on a
//! project file at all.
//!
//! Each matrix test shares one emulator and HOME between its cases, and
//! runs Python (botocore) and kubectl only where a path needs them (each
//! skipped loudly when missing; `scripts/test` makes them mandatory).

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use ssocred_emulator::{Account, IssuedCredentials};
use ssocred_test_support::{KubeApiStandIn, real_tool, run_with_stdin};

use crate::running::*;
use crate::world::*;

const TOOLS: &str = "111100000001";
/// A role of the SSO login, named by flags, project files and presets.
const READ_ONLY: &str = "arn:aws:iam::111100000001:role/ReadOnlyAccess";
/// The `sess` profile's own role (`sso_account_id`, `sso_role_name`).
const POWER_USER: &str = "arn:aws:iam::111100000001:role/PowerUser";
/// The hop of the project files' and presets' chains.
const DEPLOY: &str = "arn:aws:iam::222200000000:role/Deploy";
/// The hop of the config's top-level chain.
const AUDIT: &str = "arn:aws:iam::333300000000:role/Audit";
/// The hop given with `--assume`.
const OPS: &str = "arn:aws:iam::444400000000:role/Ops";

const CLUSTER: &str = "same-role";
/// The profile `ssocred discover -p sess` writes for ReadOnlyAccess.
const DISCOVERED: &str = "111100000001-ReadOnlyAccess";

const AWS_CONFIG: &str = "\
[profile sess]
sso_session = corp
sso_account_id = 111100000001
sso_role_name = PowerUser
region = eu-west-1

[profile other]
sso_session = corp
sso_account_id = 111100000001
sso_role_name = ReadOnlyAccess
region = eu-west-1

[sso-session corp]
sso_start_url = https://d-corp.awsapps.com/start
sso_region = us-east-1
sso_registration_scopes = sso:account:access
";

/// The user's presets: `hub` is only a chain; `team` is a role and a chain.
const PRESETS: &str = "
[preset.hub]
assume = [\"arn:aws:iam::222200000000:role/Deploy\"]

[preset.team]
profile = \"sess\"
role_arn = \"arn:aws:iam::111100000001:role/ReadOnlyAccess\"
assume = [\"arn:aws:iam::222200000000:role/Deploy\"]
";

/// The config's own top-level chain (before the presets: TOML top-level
/// keys come before tables).
const TOP_CHAIN: &str = "assume = [\"arn:aws:iam::333300000000:role/Audit\"]\n";

/// The project of the first bug: a role and a chain after it.
const PROJECT_CHAIN: &str = "profile = \"sess\"\n\
    role_arn = \"arn:aws:iam::111100000001:role/ReadOnlyAccess\"\n\
    assume = [\"arn:aws:iam::222200000000:role/Deploy\"]\n";
const PROJECT_ROLE: &str = "profile = \"sess\"\n\
    role_arn = \"arn:aws:iam::111100000001:role/ReadOnlyAccess\"\n";
/// The project of the second bug: it picks the chain-only preset.
const PROJECT_HUB: &str = "profile = \"sess\"\npreset = \"hub\"\n";
const PROJECT_TEAM: &str = "preset = \"team\"\n";
/// Untrusted, and set to change everything it can.
const PROJECT_HOSTILE: &str = "profile = \"other\"\n\
    role_arn = \"arn:aws:iam::111100000001:role/PowerUser\"\n\
    assume = [\"arn:aws:iam::222200000000:role/Deploy\"]\n\
    region = \"ap-south-1\"\n";

/// ReadOnlyAccess and PowerUser in 111100000001; each may assume Deploy,
/// Audit and Ops.
fn same_role_world() -> World {
    let mut config = base_emulator().account(
        Account::new(TOOLS, "Tools")
            .role("ReadOnlyAccess")
            .role("PowerUser"),
    );
    for target in [DEPLOY, AUDIT, OPS] {
        config = config.trust(target, READ_ONLY).trust(target, POWER_USER);
    }
    let w = World::with_emulator(config);
    w.write_config(AWS_CONFIG);
    w
}

fn write_ssocred_config(w: &World, text: &str) {
    let dir = w.home().join(".config/ssocred");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("config.toml"), text).unwrap();
}

/// The project file a case runs under.
#[derive(Clone, Copy)]
enum Project {
    None,
    Trusted(&'static str),
    Untrusted(&'static str),
}

/// One way of choosing the role, and the chain the emulator must have
/// issued for it: the SSO role, then each hop.
struct Case {
    name: &'static str,
    /// Whether the config's top level names [`TOP_CHAIN`].
    top_chain: bool,
    project: Project,
    env: &'static [(&'static str, &'static str)],
    flags: &'static [&'static str],
    expected: &'static [&'static str],
}

impl Case {
    fn final_role(&self) -> &'static str {
        self.expected.last().unwrap()
    }

    /// kubeconfig takes the role flags, `-p` and `--region`, not `--preset`.
    fn kubeconfig_can_name(&self) -> bool {
        !self.flags.contains(&"--preset")
    }

    /// Docker runs its helper with no flags (but `--preset`) and the helper
    /// reads no project file (docs/project-files.md), so only cases without
    /// either are the same inputs for it.
    fn docker_can_run(&self) -> bool {
        matches!(self.project, Project::None)
            && (self.flags.is_empty() || matches!(self.flags, ["--preset", _]))
    }
}

/// What a path gave, by the emulator's record.
struct Observed {
    /// The role of the credentials delivered.
    role: String,
    /// The roles that issued them, from the SSO role to the last hop, when
    /// the path's output holds their access key.
    chain: Option<Vec<String>>,
}

/// The role ARN of a set of issued credentials.
fn role_arn_of(i: &IssuedCredentials) -> String {
    i.role_arn
        .clone()
        .unwrap_or_else(|| format!("arn:aws:iam::{}:role/{}", i.account_id, i.role_name))
}

/// The chain the emulator issued `key` through: the SSO role first.
fn chain_of(w: &World, key: &str) -> Result<Vec<String>, String> {
    let mut chain = Vec::new();
    let mut next = Some(key.to_owned());
    while let Some(key) = next {
        let issued = w
            .emulator
            .issued_for_key(&key)
            .ok_or_else(|| format!("the emulator never issued the access key {key}"))?;
        chain.push(role_arn_of(&issued));
        next = issued.assumed_by;
    }
    chain.reverse();
    Ok(chain)
}

fn observed_key(w: &World, key: &str) -> Result<Observed, String> {
    let chain = chain_of(w, key)?;
    Ok(Observed {
        role: chain.last().unwrap().clone(),
        chain: Some(chain),
    })
}

/// The one access key id (`ASIA` and 16 upper-case letters or digits, as
/// the emulator makes them) in `text`.
fn the_access_key(text: &str) -> Result<String, String> {
    let keys: BTreeSet<&str> = text
        .match_indices("ASIA")
        .filter_map(|(at, _)| {
            let key = text.get(at..at + 20)?;
            key[4..]
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
                .then_some(key)
        })
        .collect();
    match keys.len() {
        1 => Ok(keys.into_iter().next().unwrap().to_owned()),
        0 => Err(format!("no access key id in the output:\n{text}")),
        n => Err(format!("{n} different access key ids in the output")),
    }
}

/// `arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION` as the role ARN.
fn role_of_caller(caller: &str) -> Result<String, String> {
    let rest = caller
        .strip_prefix("arn:aws:sts::")
        .ok_or_else(|| format!("not an assumed-role ARN: {caller}"))?;
    let (account, rest) = rest.split_once(":assumed-role/").unwrap_or_default();
    let (name, _session) = rest.split_once('/').unwrap_or_default();
    if account.is_empty() || name.is_empty() {
        return Err(format!("not an assumed-role ARN: {caller}"));
    }
    Ok(format!("arn:aws:iam::{account}:role/{name}"))
}

/// stdout of a run that must succeed, else why not: its exit code and
/// stderr, after `step` when the run is a step of a path and not the path
/// itself (so that paths failing alike read alike).
fn stdout_of(step: &str, out: &Output) -> Result<String, String> {
    if out.status.success() {
        return Ok(String::from_utf8_lossy(&out.stdout).into_owned());
    }
    let failed = format!(
        "exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).trim_end()
    );
    Err(if step.is_empty() {
        failed
    } else {
        format!("{step}: {failed}")
    })
}

/// Why there is no prediction to compare with.
enum Unpredicted {
    /// `config show` ran but printed no `# final role: ` line: its output.
    NoLine(String),
    /// `config show` failed: why.
    Failed(String),
}

/// The role `ssocred config show` predicts: the first word after
/// `# final role: `.
fn predicted_role(
    w: &World,
    cwd: &Path,
    env: &[(&str, &str)],
    flags: &[&str],
) -> Result<String, Unpredicted> {
    let out = w
        .cmd()
        .current_dir(cwd)
        .envs(env.iter().copied())
        .args(["config", "show"])
        .args(flags)
        .run_to_end();
    let text = stdout_of("", &out).map_err(Unpredicted::Failed)?;
    text.lines()
        .find_map(|line| line.strip_prefix("# final role: "))
        .and_then(|rest| rest.split_whitespace().next())
        .map(str::to_owned)
        .ok_or(Unpredicted::NoLine(text.clone()))
}

/// A process for a `use` server to watch, as `use` is given its shell's
/// pid; killed when dropped, which ends the server.
struct WatchedShell(Child);

impl WatchedShell {
    fn start() -> WatchedShell {
        WatchedShell(
            Command::new("sh")
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .spawn()
                .unwrap(),
        )
    }
}

impl Drop for WatchedShell {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The exported variables of a `use` run.
fn exports(text: &str) -> Vec<(String, String)> {
    let lines: Vec<String> = text
        .lines()
        .filter(|l| l.starts_with("export "))
        .map(str::to_owned)
        .collect();
    parse_exports(&lines)
}

fn var<'a>(vars: &'a [(String, String)], name: &str) -> Result<&'a str, String> {
    vars.iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
        .ok_or_else(|| format!("`use` exported no {name}: {vars:?}"))
}

/// A kubeconfig cluster for the stand-in API server, and kubectl.
struct Kube {
    kubectl: PathBuf,
    api: KubeApiStandIn,
    ca: PathBuf,
}

/// The matrix of one test: its world, the tools it found, and every check
/// that failed, reported together at the end.
struct Matrix {
    w: World,
    python: Option<PathBuf>,
    kube: Option<Kube>,
    /// The words after the executable of the discovered ReadOnlyAccess line,
    /// without `--sink process`.
    line_flags: Vec<String>,
    /// (case, path, why) of each failed check.
    failures: Vec<(&'static str, String, String)>,
    /// The cases whose `config show` printed no prediction, and the first
    /// such output.
    unpredicted: Vec<&'static str>,
    first_unpredicted: Option<String>,
    checks: usize,
}

impl Matrix {
    fn new() -> Matrix {
        let w = same_role_world();
        let python = python("same role everywhere: a discovered line run by botocore");
        let kube =
            real_tool("kubectl", "same role everywhere: the kubeconfig entry").map(|kubectl| {
                let api = KubeApiStandIn::start(&w.emulator.url(), CLUSTER).unwrap();
                let ca = w.home().join("stand-in-ca.pem");
                std::fs::write(&ca, api.ca_pem()).unwrap();
                Kube { kubectl, api, ca }
            });
        // Discovered once, from no project and a config without chains.
        ok(&w.run(&["discover", "-p", "sess"]));
        let line_flags = discovered_flags(&w);
        Matrix {
            w,
            python,
            kube,
            line_flags,
            failures: Vec::new(),
            unpredicted: Vec::new(),
            first_unpredicted: None,
            checks: 0,
        }
    }

    /// The case's working directory: below its project file, if any.
    fn setup(&self, case: &Case) -> PathBuf {
        let mut config = String::new();
        if case.top_chain {
            config.push_str(TOP_CHAIN);
        }
        config.push_str(PRESETS);
        write_ssocred_config(&self.w, &config);
        let root = self.w.home().join("cases").join(case.name);
        let cwd = root.join("src");
        std::fs::create_dir_all(&cwd).unwrap();
        match case.project {
            Project::None => {}
            Project::Trusted(text) => {
                std::fs::write(root.join(".ssocred.toml"), text).unwrap();
                ok(&self.w.cmd().current_dir(&cwd).arg("trust").run_to_end());
            }
            Project::Untrusted(text) => {
                std::fs::write(root.join(".ssocred.toml"), text).unwrap();
            }
        }
        cwd
    }

    fn ssocred(&self, case: &Case, cwd: &Path) -> Command {
        let mut cmd = self.w.cmd();
        cmd.current_dir(cwd).envs(case.env.iter().copied());
        cmd
    }

    fn run_case(&mut self, case: &Case) {
        let cwd = self.setup(case);
        let prediction = predicted_role(&self.w, &cwd, case.env, case.flags);
        self.check_prediction(case, "config show", prediction, case.final_role());

        for sink in [
            "process",
            "env",
            "json",
            "dotenv",
            "docker-env",
            "credentials-file",
            "template:credentials-ini",
        ] {
            let seen = self.get(case, &cwd, sink);
            self.check(case, &format!("get --sink {sink}"), seen, case.expected);
        }
        self.discovered_line(case, &cwd);
        let seen = self.use_role(case, &cwd);
        self.check(case, "use", seen, case.expected);
        let seen = self.exec(case, &cwd);
        self.check(case, "exec", seen, case.expected);
        let seen = self.exec_via_serve(case, &cwd);
        self.check(case, "exec --via serve", seen, case.expected);
        let seen = self.console_from_env(case, &cwd);
        self.check(case, "console --from-env", seen, case.expected);
        let seen = self.eks(case, &cwd);
        self.check(case, "--sink eks", seen, case.expected);
        if case.kubeconfig_can_name() && self.kube.is_some() {
            let seen = self.kubectl(case, &cwd);
            self.check(case, "kubeconfig entry run by kubectl", seen, case.expected);
        }
        if case.docker_can_run() {
            let seen = self.docker(case, &cwd);
            self.check(case, "docker-credential get", seen, case.expected);
        }
    }

    fn check_prediction(
        &mut self,
        case: &Case,
        path: &str,
        prediction: Result<String, Unpredicted>,
        want: &str,
    ) {
        self.checks += 1;
        let why = match prediction {
            Ok(role) if role == want => return,
            Ok(role) => format!("`config show` predicts {role}, expected {want}"),
            Err(Unpredicted::NoLine(output)) => {
                if self.unpredicted.last() != Some(&case.name) {
                    self.unpredicted.push(case.name);
                }
                self.first_unpredicted.get_or_insert(output);
                return;
            }
            Err(Unpredicted::Failed(why)) => why,
        };
        self.failures.push((case.name, path.to_owned(), why));
    }

    fn check(
        &mut self,
        case: &Case,
        path: &str,
        seen: Result<Observed, String>,
        expected: &[&str],
    ) {
        self.checks += 1;
        let want = *expected.last().unwrap();
        let why = match seen {
            Err(why) => why,
            Ok(Observed {
                chain: Some(chain), ..
            }) if chain != expected => format!(
                "the emulator issued the chain {}, expected {}",
                chain.join(" -> "),
                expected.join(" -> ")
            ),
            Ok(Observed { role, .. }) if role != want => {
                format!("the emulator's record says {role}, expected {want}")
            }
            Ok(_) => return,
        };
        self.failures.push((case.name, path.to_owned(), why));
    }

    /// Panics with every failed check, the paths that failed the same way
    /// in a case together, and says first when `config show` predicted
    /// nothing.
    fn finish(self) {
        let mut report = Vec::new();
        if let Some(output) = &self.first_unpredicted {
            report.push(format!(
                "MISSING PREDICTION: `ssocred config show` printed no `# final role: ARN` line (cases {}), so their paths were checked against the expected roles only. Its first output:\n{output}",
                self.unpredicted.join(", ")
            ));
        }
        let mut grouped: Vec<(&str, &str, Vec<&str>)> = Vec::new();
        for (case, path, why) in &self.failures {
            match grouped.iter_mut().find(|(c, w, _)| c == case && w == why) {
                Some((_, _, paths)) => paths.push(path),
                None => grouped.push((case, why, vec![path])),
            }
        }
        for (case, why, paths) in grouped {
            report.push(format!("{case} [{}]: {why}", paths.join(", ")));
        }
        assert!(
            report.is_empty(),
            "{} of {} checks failed (the prediction counted once):\n{}",
            self.failures.len() + usize::from(self.first_unpredicted.is_some()),
            self.checks,
            report.join("\n")
        );
    }

    /// `ssocred FLAGS --sink SINK`; the credentials file is read back.
    fn get(&self, case: &Case, cwd: &Path, sink: &str) -> Result<Observed, String> {
        let file = self.w.home().join("out").join(format!("{}.ini", case.name));
        let spec = if sink == "credentials-file" {
            format!("credentials-file:same-role,path={}", file.display())
        } else {
            sink.to_owned()
        };
        let out = self
            .ssocred(case, cwd)
            .args(case.flags)
            .args(["--sink", &spec])
            .run_to_end();
        let mut text = stdout_of("", &out)?;
        if sink == "credentials-file" {
            text =
                std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        }
        observed_key(&self.w, &the_access_key(&text)?)
    }

    /// botocore resolves the discovered ReadOnlyAccess profile in the case's
    /// directory and environment: the line names its role, so it gets that
    /// role, whatever the project or the presets say.
    fn discovered_line(&mut self, case: &Case, cwd: &Path) {
        let flags: Vec<&str> = self.line_flags.iter().map(String::as_str).collect();
        let prediction = predicted_role(&self.w, cwd, case.env, &flags);
        self.check_prediction(
            case,
            "config show with the line's flags",
            prediction,
            READ_ONLY,
        );
        let Some(python) = &self.python else { return };
        let script = ssocred_test_support::interop_dir().join("botocore_creds.py");
        let out = self
            .w
            .command(python)
            .current_dir(cwd)
            .envs(case.env.iter().copied())
            .arg(script)
            .arg(DISCOVERED)
            .run_to_end();
        let seen = stdout_of("botocore", &out).and_then(|text| {
            let doc: Value = serde_json::from_str(&text).map_err(|e| format!("{e}: {text}"))?;
            observed_key(&self.w, doc["access_key"].as_str().unwrap_or_default())
        });
        self.check(case, "discovered line run by botocore", seen, &[READ_ONLY]);
    }

    /// `use` as the shell function runs it, twice: the endpoint serves the
    /// role, SSOCRED_USE and `status --in-use` name it, and the second
    /// `use` of the same request keeps the first one's server.
    fn use_role(&self, case: &Case, cwd: &Path) -> Result<Observed, String> {
        let shell = WatchedShell::start();
        let pid = shell.0.id().to_string();
        let run = |env: &[(String, String)]| {
            let out = self
                .ssocred(case, cwd)
                .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
                .args(["use", "--shell", "sh", "--shell-pid", &pid])
                .args(case.flags)
                .run_to_end();
            stdout_of("", &out).map(|text| exports(&text))
        };
        let first = run(&[])?;
        let url = var(&first, "AWS_CONTAINER_CREDENTIALS_FULL_URI")?;
        let token = var(&first, "AWS_CONTAINER_AUTHORIZATION_TOKEN")?;
        let (status, body) = http_get(url, Some(token));
        if status != 200 {
            return Err(format!("the endpoint answered {status}: {body}"));
        }
        let served: Value = serde_json::from_str(&body).map_err(|e| format!("{e}: {body}"))?;
        let seen = observed_key(&self.w, served["AccessKeyId"].as_str().unwrap_or_default())?;
        let named = var(&first, "SSOCRED_USE")?;
        if named != seen.role {
            return Err(format!(
                "SSOCRED_USE={named} but the endpoint serves {}",
                seen.role
            ));
        }
        let mut in_use = self.w.cmd();
        in_use.args(["status", "--in-use"]);
        in_use.envs(first.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let line = stdout_of("`status --in-use`", &in_use.run_to_end())?;
        let (account, name) = seen
            .role
            .strip_prefix("arn:aws:iam::")
            .and_then(|r| r.split_once(":role/"))
            .unwrap();
        if !line.starts_with(&format!("{name}@{account} ")) {
            return Err(format!(
                "`status --in-use` says {line:?} but the endpoint serves {}",
                seen.role
            ));
        }
        let again = run(&first)?;
        let second_url = var(&again, "AWS_CONTAINER_CREDENTIALS_FULL_URI")?;
        if second_url != url {
            return Err(format!(
                "the same `use` again started another server ({url}, then {second_url})"
            ));
        }
        Ok(seen)
    }

    fn exec_command(&self, case: &Case, cwd: &Path, extra: &[&str]) -> Command {
        let mut cmd = self.ssocred(case, cwd);
        cmd.arg("exec").args(extra).args(case.flags).arg("--");
        cmd
    }

    fn exec(&self, case: &Case, cwd: &Path) -> Result<Observed, String> {
        let out = self
            .exec_command(case, cwd, &[])
            .args(["sh", "-c", "printf '%s\\n' \"$AWS_ACCESS_KEY_ID\""])
            .run_to_end();
        let text = stdout_of("", &out)?;
        observed_key(&self.w, &the_access_key(&text)?)
    }

    /// `exec --via serve`: the child prints its endpoint and waits for its
    /// stdin to close while the test asks the endpoint.
    fn exec_via_serve(&self, case: &Case, cwd: &Path) -> Result<Observed, String> {
        let mut child = self
            .exec_command(case, cwd, &["--via", "serve"])
            .args([
                "sh",
                "-c",
                "echo \"$AWS_CONTAINER_CREDENTIALS_FULL_URI\"; \
                 echo \"$AWS_CONTAINER_AUTHORIZATION_TOKEN\"; read done || true",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let lines = first_lines(child.stdout.take().unwrap(), 2);
        let served = match lines.as_slice() {
            [url, token] => Ok(http_get(url, Some(token))),
            _ => Err(format!("the child printed no endpoint: {lines:?}")),
        };
        if served.is_err() {
            let _ = child.kill();
        }
        // The child's `read` ends at the end of its stdin.
        drop(child.stdin.take());
        let out = child.wait_with_output().unwrap();
        let (status, body) = match served {
            Ok(served) => served,
            Err(why) => return Err(stdout_of("", &out).err().unwrap_or(why)),
        };
        if status != 200 {
            return Err(format!("the endpoint answered {status}: {body}"));
        }
        stdout_of("", &out)?;
        let served: Value = serde_json::from_str(&body).map_err(|e| format!("{e}: {body}"))?;
        observed_key(&self.w, served["AccessKeyId"].as_str().unwrap_or_default())
    }

    /// `exec FLAGS -- ssocred console --from-env`: the role of the
    /// sign-in token the emulator's federation endpoint handed out.
    fn console_from_env(&self, case: &Case, cwd: &Path) -> Result<Observed, String> {
        let before = self.w.emulator.signin_grants();
        let out = self
            .exec_command(case, cwd, &[])
            .env(
                "SSOCRED_FEDERATION_ENDPOINT",
                self.w.emulator.federation_url(),
            )
            .arg(env!("CARGO_BIN_EXE_ssocred"))
            .args(["console", "--from-env", "--no-open"])
            .run_to_end();
        stdout_of("", &out)?;
        let mut after = self.w.emulator.signin_grants();
        for old in &before {
            if let Some(at) = after.iter().position(|g| g == old) {
                after.remove(at);
            }
        }
        match after.as_slice() {
            [grant] => Ok(Observed {
                role: format!("arn:aws:iam::{}:role/{}", grant.account_id, grant.role_name),
                chain: None,
            }),
            other => Err(format!("{} new sign-in grants: {other:?}", other.len())),
        }
    }

    /// The `eks` sink: the caller the emulator verifies the token as, and
    /// the chain of the key that signed it.
    fn eks(&self, case: &Case, cwd: &Path) -> Result<Observed, String> {
        let sink = format!("eks,cluster={CLUSTER}");
        let out = self
            .ssocred(case, cwd)
            .args(case.flags)
            .args(["--sink", &sink])
            .run_to_end();
        let text = stdout_of("", &out)?;
        let doc: Value = serde_json::from_str(&text).map_err(|e| format!("{e}: {text}"))?;
        let token = doc["status"]["token"].as_str().unwrap_or_default();
        let caller = self.w.emulator.verify_eks_token(token, CLUSTER)?;
        let role = role_of_caller(&caller)?;
        let url = decoded_token(token)?;
        let key = url
            .split("X-Amz-Credential=")
            .nth(1)
            .and_then(|rest| rest.split("%2F").next())
            .ok_or_else(|| format!("no X-Amz-Credential in {url}"))?;
        let seen = observed_key(&self.w, key)?;
        if seen.role != role {
            return Err(format!(
                "the token's key is {}'s, but it verifies as {role}",
                seen.role
            ));
        }
        Ok(seen)
    }

    /// `ssocred kubeconfig` with the case's flags, its entry in a
    /// kubeconfig of the stand-in cluster, and `kubectl get --raw /version`
    /// run in the case's directory and environment: the caller the
    /// stand-in's token check (by the emulator) let in.
    fn kubectl(&self, case: &Case, cwd: &Path) -> Result<Observed, String> {
        let kube = self.kube.as_ref().unwrap();
        let out = self
            .ssocred(case, cwd)
            .args(["kubeconfig", "--cluster", CLUSTER, "--user", case.name])
            .args(["--command", env!("CARGO_BIN_EXE_ssocred")])
            .args(case.flags)
            .run_to_end();
        let printed = stdout_of("`kubeconfig`", &out)?;
        let (users, _) = printed
            .split_once("# Install it with:\n")
            .ok_or_else(|| format!("no install comment: {printed}"))?;
        let path = self
            .w
            .home()
            .join("out")
            .join(format!("{}.kubeconfig", case.name));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(
            &path,
            format!(
                "apiVersion: v1\nkind: Config\nclusters:\n- name: {CLUSTER}\n  cluster:\n    server: {}\n    certificate-authority: {}\ncontexts:\n- name: {CLUSTER}\n  context:\n    cluster: {CLUSTER}\n    user: {}\ncurrent-context: {CLUSTER}\n{users}",
                kube.api.url(),
                kube.ca.display(),
                case.name
            ),
        )
        .unwrap();
        let before = kube.api.log().callers.len();
        let out = self
            .w
            .command(&kube.kubectl)
            .current_dir(cwd)
            .envs(case.env.iter().copied())
            .env("KUBECONFIG", &path)
            .args(["get", "--raw", "/version"])
            .run_to_end();
        stdout_of("`kubectl get --raw /version`", &out)?;
        let log = kube.api.log();
        let caller = log
            .callers
            .get(before)
            .ok_or_else(|| format!("the stand-in let no caller in: {log:?}"))?;
        Ok(Observed {
            role: role_of_caller(caller)?,
            chain: None,
        })
    }

    /// Docker's credential helper for a registry of the role's account: the
    /// owner of the ECR password the emulator handed out.
    fn docker(&self, case: &Case, cwd: &Path) -> Result<Observed, String> {
        let account = case
            .final_role()
            .strip_prefix("arn:aws:iam::")
            .and_then(|rest| rest.split(':').next())
            .unwrap();
        let registry = format!("{account}.dkr.ecr.eu-west-1.amazonaws.com");
        let mut cmd = self.ssocred(case, cwd);
        cmd.args(["docker-credential", "get"])
            .args(case.flags)
            .env("AWS_ENDPOINT_URL_ECR", self.w.emulator.url());
        let out = run_with_stdin(&mut cmd, registry.as_bytes());
        let text = stdout_of("`docker-credential get`", &out)
            .map_err(|why| format!("{why} {}", String::from_utf8_lossy(&out.stdout)))?;
        let doc: Value = serde_json::from_str(&text).map_err(|e| format!("{e}: {text}"))?;
        let owner = self
            .w
            .emulator
            .ecr_token_owner(doc["Secret"].as_str().unwrap_or_default())
            .ok_or("the emulator never issued this ECR password")?;
        observed_key(&self.w, &owner.access_key_id)
    }
}

/// The presigned URL inside an EKS token.
fn decoded_token(token: &str) -> Result<String, String> {
    use base64::Engine;
    let body = token
        .strip_prefix("k8s-aws-v1.")
        .ok_or_else(|| format!("not an EKS token: {token}"))?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(body)
        .map_err(|e| e.to_string())?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// The first `n` lines of `stdout`, or fewer when it ends, or when no line
/// comes within [`PATIENCE`].
fn first_lines(stdout: impl std::io::Read + Send + 'static, n: usize) -> Vec<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut lines = Vec::new();
    while lines.len() < n {
        match rx.recv_timeout(PATIENCE) {
            Ok(line) => lines.push(line),
            Err(_) => break,
        }
    }
    lines
}

/// The words after the executable of the `credential_process` line
/// `ssocred discover -p sess` wrote for ReadOnlyAccess, without the sink.
fn discovered_flags(w: &World) -> Vec<String> {
    let text = std::fs::read_to_string(w.config_path()).unwrap();
    let section = text
        .split(&format!("[profile {DISCOVERED}]\n"))
        .nth(1)
        .unwrap_or_else(|| panic!("no profile {DISCOVERED}:\n{text}"));
    let line = section
        .lines()
        .find_map(|l| l.strip_prefix("credential_process = "))
        .unwrap_or_else(|| panic!("no credential_process line:\n{section}"));
    let words = line
        .split_once(" -p ")
        .map(|(_, rest)| format!("-p {rest}"))
        .unwrap_or_else(|| panic!("the line names no profile: {line}"));
    let words = words
        .strip_suffix(" --sink process")
        .unwrap_or_else(|| panic!("the line is not `... --sink process`: {line}"));
    words.split_whitespace().map(str::to_owned).collect()
}

fn run_matrix(cases: &[Case]) {
    let mut matrix = Matrix::new();
    for case in cases {
        matrix.run_case(case);
    }
    matrix.finish();
}

#[test]
fn flags_and_the_environment_give_the_same_role_on_every_path() {
    run_matrix(&[
        Case {
            name: "role-arn-flag",
            top_chain: false,
            project: Project::None,
            env: &[],
            flags: &["-p", "sess", "-r", READ_ONLY],
            expected: &[READ_ONLY],
        },
        Case {
            name: "account-and-role-flags",
            top_chain: false,
            project: Project::None,
            env: &[],
            flags: &["-p", "sess", "--account", TOOLS, "--role", "ReadOnlyAccess"],
            expected: &[READ_ONLY],
        },
        Case {
            name: "assume-flag",
            top_chain: false,
            project: Project::None,
            env: &[],
            flags: &["-p", "sess", "-r", READ_ONLY, "--assume", OPS],
            expected: &[READ_ONLY, OPS],
        },
        Case {
            name: "profile-own-role",
            top_chain: false,
            project: Project::None,
            env: &[],
            flags: &["-p", "sess"],
            expected: &[POWER_USER],
        },
        Case {
            name: "ssocred-profile-env",
            top_chain: false,
            project: Project::None,
            env: &[("SSOCRED_PROFILE", "other")],
            flags: &[],
            expected: &[READ_ONLY],
        },
        Case {
            name: "aws-profile-env",
            top_chain: false,
            project: Project::None,
            env: &[("AWS_PROFILE", "sess")],
            flags: &[],
            expected: &[POWER_USER],
        },
    ]);
}

#[test]
fn presets_and_the_config_s_chain_give_the_same_role_on_every_path() {
    run_matrix(&[
        Case {
            name: "top-chain-on-the-profile-s-role",
            top_chain: true,
            project: Project::None,
            env: &[("AWS_PROFILE", "sess")],
            flags: &[],
            expected: &[POWER_USER, AUDIT],
        },
        Case {
            name: "top-chain-not-on-a-named-role",
            top_chain: true,
            project: Project::None,
            env: &[],
            flags: &["-p", "sess", "-r", READ_ONLY],
            expected: &[READ_ONLY],
        },
        Case {
            name: "preset-flag-role-and-chain",
            top_chain: false,
            project: Project::None,
            env: &[],
            flags: &["--preset", "team"],
            expected: &[READ_ONLY, DEPLOY],
        },
        Case {
            name: "preset-env-role-and-chain",
            top_chain: true,
            project: Project::None,
            env: &[("SSOCRED_PRESET", "team")],
            flags: &[],
            expected: &[READ_ONLY, DEPLOY],
        },
        Case {
            name: "preset-chain-on-the-profile-s-role",
            top_chain: false,
            project: Project::None,
            env: &[("AWS_PROFILE", "sess")],
            flags: &["--preset", "hub"],
            expected: &[POWER_USER, DEPLOY],
        },
        Case {
            name: "preset-flag-chain-not-on-a-named-role",
            top_chain: false,
            project: Project::None,
            env: &[],
            flags: &["--preset", "hub", "-p", "sess", "-r", READ_ONLY],
            expected: &[READ_ONLY],
        },
        Case {
            name: "preset-env-chain-not-on-a-named-role",
            top_chain: false,
            project: Project::None,
            env: &[("SSOCRED_PRESET", "hub")],
            flags: &["-p", "sess", "-r", READ_ONLY],
            expected: &[READ_ONLY],
        },
        Case {
            name: "assume-flag-replaces-the-preset-s-chain",
            top_chain: false,
            project: Project::None,
            env: &[("SSOCRED_PRESET", "team")],
            flags: &["--assume", OPS],
            expected: &[READ_ONLY, OPS],
        },
    ]);
}

#[test]
fn a_trusted_project_file_gives_the_same_role_on_every_path() {
    run_matrix(&[
        Case {
            name: "project-role-and-chain",
            top_chain: false,
            project: Project::Trusted(PROJECT_CHAIN),
            env: &[],
            flags: &[],
            expected: &[READ_ONLY, DEPLOY],
        },
        Case {
            name: "project-role",
            top_chain: false,
            project: Project::Trusted(PROJECT_ROLE),
            env: &[],
            flags: &[],
            expected: &[READ_ONLY],
        },
        Case {
            name: "project-chain-not-on-a-named-role",
            top_chain: false,
            project: Project::Trusted(PROJECT_CHAIN),
            env: &[],
            flags: &["-p", "sess", "-r", READ_ONLY],
            expected: &[READ_ONLY],
        },
        Case {
            name: "assume-flag-replaces-the-project-s-chain",
            top_chain: false,
            project: Project::Trusted(PROJECT_CHAIN),
            env: &[],
            flags: &["--assume", OPS],
            expected: &[READ_ONLY, OPS],
        },
        Case {
            name: "env-profile-with-the-project-s-role",
            top_chain: false,
            project: Project::Trusted(PROJECT_CHAIN),
            env: &[("SSOCRED_PROFILE", "other")],
            flags: &[],
            expected: &[READ_ONLY, DEPLOY],
        },
        Case {
            name: "project-preset-chain-on-the-profile-s-role",
            top_chain: false,
            project: Project::Trusted(PROJECT_HUB),
            env: &[],
            flags: &[],
            expected: &[POWER_USER, DEPLOY],
        },
        Case {
            name: "project-preset-chain-not-on-a-named-role",
            top_chain: false,
            project: Project::Trusted(PROJECT_HUB),
            env: &[],
            flags: &["-p", "sess", "-r", READ_ONLY],
            expected: &[READ_ONLY],
        },
        Case {
            name: "project-preset-role-and-chain",
            top_chain: false,
            project: Project::Trusted(PROJECT_TEAM),
            env: &[],
            flags: &[],
            expected: &[READ_ONLY, DEPLOY],
        },
    ]);
}

#[test]
fn an_untrusted_project_file_neither_blocks_nor_changes_a_fully_named_role() {
    run_matrix(&[
        Case {
            name: "untrusted-role-arn",
            top_chain: false,
            project: Project::Untrusted(PROJECT_HOSTILE),
            env: &[],
            flags: &["-p", "sess", "-r", READ_ONLY],
            expected: &[READ_ONLY],
        },
        Case {
            name: "untrusted-account-role-and-assume",
            top_chain: false,
            project: Project::Untrusted(PROJECT_HOSTILE),
            env: &[],
            flags: &[
                "-p",
                "sess",
                "--account",
                TOOLS,
                "--role",
                "ReadOnlyAccess",
                "--assume",
                OPS,
            ],
            expected: &[READ_ONLY, OPS],
        },
    ]);
}

// ------------------------------------------- the acceptance tests of the bugs

/// The servers of this world's `use`: every process of the ssocred under
/// test whose HOME is the world's and whose argv is `serve --for-shell`.
fn use_servers(w: &World) -> usize {
    let exe = std::fs::canonicalize(env!("CARGO_BIN_EXE_ssocred")).unwrap();
    let home_var = format!("HOME={}", w.home().display());
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0;
    };
    entries
        .flatten()
        .filter(|e| std::fs::read_link(e.path().join("exe")).ok().as_deref() == Some(&exe))
        .filter(|e| {
            std::fs::read(e.path().join("environ"))
                .unwrap_or_default()
                .split(|b| *b == 0)
                .any(|v| v == home_var.as_bytes())
        })
        .filter(|e| {
            String::from_utf8_lossy(&std::fs::read(e.path().join("cmdline")).unwrap_or_default())
                .replace('\0', " ")
                .contains(" serve --for-shell ")
        })
        .count()
}

/// A trusted project file names ReadOnlyAccess and a chain to Deploy: `use`
/// there serves Deploy, names it, and `use` of the same request again
/// keeps its one server.
#[test]
fn use_in_a_project_serves_the_project_s_chain_and_keeps_one_server() {
    let w = same_role_world();
    write_ssocred_config(&w, PRESETS);
    let repo = w.home().join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    std::fs::write(repo.join(".ssocred.toml"), PROJECT_CHAIN).unwrap();
    ok(&w.cmd().current_dir(&repo).arg("trust").run_to_end());
    let process = ok_json(
        &w.cmd()
            .current_dir(&repo)
            .args(["--sink", "process"])
            .run_to_end(),
    );
    assert_eq!(
        chain_of(&w, process["AccessKeyId"].as_str().unwrap()).unwrap(),
        [READ_ONLY, DEPLOY],
        "--sink process in the project"
    );

    let shell = WatchedShell::start();
    let pid = shell.0.id().to_string();
    let mut vars: Vec<(String, String)> = Vec::new();
    let mut urls = Vec::new();
    for _ in 0..3 {
        let out = w
            .cmd()
            .current_dir(&repo)
            .envs(vars.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .args(["use", "--shell", "sh", "--shell-pid", &pid])
            .run_to_end();
        vars = exports(&ok(&out));
        urls.push(
            var(&vars, "AWS_CONTAINER_CREDENTIALS_FULL_URI")
                .unwrap()
                .to_owned(),
        );
    }
    let mut wrong = Vec::new();
    let named = var(&vars, "SSOCRED_USE").unwrap();
    if named != DEPLOY {
        wrong.push(format!("SSOCRED_USE={named}"));
    }
    let url = var(&vars, "AWS_CONTAINER_CREDENTIALS_FULL_URI").unwrap();
    let token = var(&vars, "AWS_CONTAINER_AUTHORIZATION_TOKEN").unwrap();
    let (status, body) = http_get(url, Some(token));
    assert_eq!(status, 200, "{body}");
    let served: Value = serde_json::from_str(&body).unwrap();
    let chain = chain_of(&w, served["AccessKeyId"].as_str().unwrap()).unwrap();
    if chain != [READ_ONLY, DEPLOY] {
        wrong.push(format!(
            "the endpoint serves the chain {}",
            chain.join(" -> ")
        ));
    }
    let line = ok(&w
        .cmd()
        .envs(vars.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .args(["status", "--in-use"])
        .run_to_end());
    if !line.starts_with("Deploy@222200000000 ") {
        wrong.push(format!("`status --in-use` prints {line:?}"));
    }
    if urls.iter().any(|u| *u != urls[0]) {
        wrong.push(format!("each `use` started another server: {urls:?}"));
    }
    let servers = use_servers(&w);
    if cfg!(target_os = "linux") && servers != 1 {
        wrong.push(format!("{servers} servers run after three `use`"));
    }
    assert!(
        wrong.is_empty(),
        "expected Deploy served, named, and one server:\n{}",
        wrong.join("\n")
    );
    drop(shell);
    let deadline = Instant::now() + Duration::from_secs(10);
    while use_servers(&w) > 0 {
        assert!(Instant::now() < deadline, "the servers outlived the shell");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The user's preset `hub` is a chain to Deploy and a trusted project picks
/// it: the discovered ReadOnlyAccess line, run by botocore, gives
/// ReadOnlyAccess inside the project as outside it.
#[test]
fn a_discovered_line_gives_its_own_role_inside_a_project_with_a_chained_preset() {
    let w = same_role_world();
    ok(&w.run(&["discover", "-p", "sess"]));
    write_ssocred_config(&w, PRESETS);
    let repo = w.home().join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    std::fs::write(repo.join(".ssocred.toml"), "preset = \"hub\"\n").unwrap();
    ok(&w.cmd().current_dir(&repo).arg("trust").run_to_end());

    // The line's own words, run by hand inside the project, then the line
    // run by botocore inside and outside it.
    let out = w
        .cmd()
        .current_dir(&repo)
        .args(discovered_flags(&w))
        .args(["--sink", "process"])
        .run_to_end();
    let json = ok_json(&out);
    let mut got = vec![(
        "by hand in the project".to_owned(),
        chain_of(&w, json["AccessKeyId"].as_str().unwrap()).unwrap(),
    )];
    if let Some(python) = python("a discovered line run by botocore in a project") {
        let script = ssocred_test_support::interop_dir().join("botocore_creds.py");
        for (dir, place) in [
            (&repo, "in the project"),
            (&w.home().to_path_buf(), "outside it"),
        ] {
            let out = w
                .command(&python)
                .current_dir(dir)
                .arg(&script)
                .arg(DISCOVERED)
                .run_to_end();
            let doc = ok_json(&out);
            assert_eq!(doc["method"], "custom-process");
            let chain = chain_of(&w, doc["access_key"].as_str().unwrap()).unwrap();
            got.push((format!("by botocore {place}"), chain));
        }
    }
    let wrong: Vec<String> = got
        .iter()
        .filter(|(_, chain)| chain != &[READ_ONLY])
        .map(|(how, chain)| format!("{how}: {}", chain.join(" -> ")))
        .collect();
    assert!(
        wrong.is_empty(),
        "the line names {READ_ONLY}, but the emulator issued the chain\n{}",
        wrong.join("\n")
    );
}

/// An untrusted project file that would change profile, role, chain and
/// region: a command naming profile and role in full runs as named, and
/// leaves the file untrusted; one that does not still stops at it.
#[test]
fn an_untrusted_project_file_does_not_block_a_command_naming_profile_and_role() {
    let w = same_role_world();
    let repo = w.home().join("repo");
    let nested = repo.join("a/b");
    std::fs::create_dir_all(&nested).unwrap();
    std::fs::write(repo.join(".ssocred.toml"), PROJECT_HOSTILE).unwrap();
    for role in [
        &["-r", READ_ONLY][..],
        &["--account", TOOLS, "--role", "ReadOnlyAccess"][..],
    ] {
        let out = w
            .cmd()
            .current_dir(&nested)
            .args(["-p", "sess"])
            .args(role)
            .args(["--sink", "json"])
            .run_to_end();
        let json = ok_json(&out);
        assert_eq!(
            chain_of(&w, json["access_key_id"].as_str().unwrap()).unwrap(),
            [READ_ONLY],
            "{role:?}"
        );
        assert_eq!(json["sso_profile"], "sess", "{role:?}");
        assert_eq!(
            json["region"], "eu-west-1",
            "{role:?}: the profile's region"
        );
    }
    assert!(
        !w.state_dir().join("trusted-projects.json").exists(),
        "nothing was trusted"
    );
    let out = w
        .cmd()
        .current_dir(&nested)
        .args(["--sink", "json"])
        .run_to_end();
    assert_eq!(
        out.status.code(),
        Some(2),
        "a command the file would complete still waits for trust: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
