//! `ssocred shell-init` and `ssocred use` in the real bash, zsh and fish:
//! botocore in the shell gets the role's credentials from the shell's own
//! endpoint, still gets valid ones after the first set has expired, the
//! endpoint's token is in no process's argv, and after the shell exits no
//! ssocred process is left.
//!
//! These tests need the shells and Python with boto3. `scripts/test` (and
//! so CI) installs them (scripts/install-test-tools, .venv) and sets
//! SSOCRED_REQUIRE_SHELLS=1 and SSOCRED_REQUIRE_INTEROP=1, which make a
//! missing one a failure instead of a loud skip.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::running::*;
use crate::world::*;

/// The emulator's credential lifetime: short, so the test sees an expiry.
const LIFETIME: Duration = Duration::from_secs(6);

/// The shell `name`, or `None` after a loud skip (a failure under
/// SSOCRED_REQUIRE_SHELLS=1).
pub fn shell(name: &str) -> Option<PathBuf> {
    let found = ssocred_test_support::find_program(name);
    if found.is_none() {
        ssocred_test_support::skip(
            &format!("a test in {name}"),
            &format!(
                "{name} is not installed. Run scripts/install-test-tools (scripts/test does) to run this test"
            ),
            "SSOCRED_REQUIRE_SHELLS",
        );
    }
    found
}

/// The ssocred servers of this world. On Linux: every process of the
/// ssocred binary under test whose HOME is the world's, read from /proc, so
/// a server that lost its record is found too. Elsewhere (no /proc): the
/// servers named in the world's shell records that still run.
fn ssocred_processes(w: &World) -> Vec<(u32, String)> {
    if !cfg!(target_os = "linux") {
        let dir = w.state_dir().join("shells");
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return Vec::new();
        };
        return entries
            .flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
            .filter_map(|e| {
                let record: Value = serde_json::from_slice(&std::fs::read(e.path()).ok()?).ok()?;
                let pid = u32::try_from(record["server_pid"].as_u64()?).ok()?;
                ssocred_core::os::process::alive(pid).then(|| (pid, record.to_string()))
            })
            .collect();
    }
    let exe = std::fs::canonicalize(env!("CARGO_BIN_EXE_ssocred")).unwrap();
    let home_var = format!("HOME={}", w.home().display());
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let dir = entry.path();
        if std::fs::read_link(dir.join("exe")).ok().as_deref() != Some(exe.as_path()) {
            continue;
        }
        let environ = std::fs::read(dir.join("environ")).unwrap_or_default();
        if !environ.split(|b| *b == 0).any(|v| v == home_var.as_bytes()) {
            continue;
        }
        let cmdline = std::fs::read(dir.join("cmdline")).unwrap_or_default();
        found.push((pid, String::from_utf8_lossy(&cmdline).replace('\0', " ")));
    }
    found
}

/// Waits until no server of this world runs, for at most `patience`.
fn no_server_within(w: &World, patience: Duration) {
    wait_for(patience, || match ssocred_processes(w) {
        left if left.is_empty() => Ok(()),
        left => Err(format!("left behind: {left:?}")),
    });
}

/// A process for a server to watch, as `use` is given its shell's pid: a
/// shell (`sh`, or `cmd` on Windows) reading commands from a pipe that
/// nothing writes to, so it runs until killed.
fn waiting_shell() -> std::process::Child {
    std::process::Command::new(if cfg!(windows) { "cmd" } else { "sh" })
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

/// The script that `shell` runs: set up the function, `use` the role, show
/// the token (for the argv check), botocore once, again after the first
/// set has expired, then the prompt line; the shell then waits for a line
/// (while the test reads what its server left) and exits.
fn script(shell: &str) -> String {
    let sleep = LIFETIME.as_secs() + 2;
    let args = format!("-p modern -r {READ_ONLY_ARN} --refresh-before 3");
    match shell {
        "fish" => format!(
            "ssocred shell-init fish | source\n\
             ssocred use {args}; or exit 9\n\
             echo \"TOKEN=$AWS_CONTAINER_AUTHORIZATION_TOKEN\"\n\
             read -l go\n\
             $PY $BOTO 0\n\
             sleep {sleep}\n\
             $PY $BOTO 0\n\
             ssocred status --in-use\n\
             read -l done\n"
        ),
        _ => format!(
            "eval \"$(ssocred shell-init {shell})\"\n\
             ssocred use {args} || exit 9\n\
             echo \"TOKEN=$AWS_CONTAINER_AUTHORIZATION_TOKEN\"\n\
             read go\n\
             \"$PY\" \"$BOTO\" 0\n\
             sleep {sleep}\n\
             \"$PY\" \"$BOTO\" 0\n\
             ssocred status --in-use\n\
             read done\n"
        ),
    }
}

fn use_keeps_credentials_fresh_in(name: &str) {
    let Some(shell_path) = shell(name) else {
        return;
    };
    let Some(python) = python(&format!("ssocred use in {name}")) else {
        return;
    };
    let w = World::with_emulator(base_emulator().credential_lifetime(LIFETIME));
    // An AWS_PROFILE the shell had must not win over the endpoint.
    let script_path = w.home().join(format!("use.{name}"));
    std::fs::write(&script_path, script(name)).unwrap();
    let path = path_with(&[ssocred_dir()]);
    let mut cmd = w.command(&shell_path);
    cmd.arg(&script_path)
        .env("PATH", path)
        .env("AWS_PROFILE", "elsewhere")
        .env("PY", &python)
        .env(
            "BOTO",
            format!(
                "{}/../tests/interop/boto3_container.py",
                env!("CARGO_MANIFEST_DIR")
            ),
        );
    if name == "zsh" {
        cmd.arg("-f");
    }
    let mut running = Running::spawn(cmd);
    let line = running.stdout_line();
    let token = line
        .strip_prefix("TOKEN=")
        .unwrap_or_else(|| panic!("not a token line: {line}; {:?}", running.stderr_seen));
    assert_eq!(token.len(), 64, "{line}");

    // The shell's server runs, and its argv does not carry the token.
    let servers = ssocred_processes(&w);
    assert_eq!(servers.len(), 1, "{servers:?}");
    let (server_pid, cmdline) = &servers[0];
    assert!(cmdline.contains(" serve --for-shell "), "{cmdline}");
    assert!(!cmdline.contains(token), "the token is in argv: {cmdline}");
    let server_pid = *server_pid;
    assert!(
        std::fs::read_to_string(format!("/proc/{server_pid}/environ"))
            .is_ok_and(|env| !env.contains("AWS_PROFILE=")),
        "the server inherited AWS_PROFILE"
    );
    running.write_stdin("go\n");

    let first: Value = serde_json::from_str(&running.stdout_line()).unwrap();
    let second: Value = serde_json::from_str(&running.stdout_line()).unwrap();
    let checked_at = time::OffsetDateTime::now_utc();
    let prompt = running.stdout_line();
    // The server still runs: every secret it has seen so far.
    let mut secrets = vec![TOKEN.to_owned(), token.to_owned()];
    for set in w.emulator.issued() {
        secrets.extend([set.secret_access_key, set.session_token]);
    }
    assert_server_keeps_secrets(&w, server_pid, &secrets);
    running.write_stdin("done\n");
    let (status, _, stderr) = running.finish();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("unset AWS_PROFILE (was `elsewhere`)"),
        "{stderr}"
    );
    assert!(!stderr.contains(token), "{stderr}");

    let issued = w.emulator.issued();
    let find = |doc: &Value| {
        issued
            .iter()
            .find(|i| doc["first"]["access_key"] == i.access_key_id.as_str())
            .unwrap_or_else(|| panic!("botocore got credentials never issued: {doc}"))
    };
    assert_eq!(first["method"], "container-role", "{first}");
    assert_eq!(first["region"], "us-east-1", "{first}");
    let first_set = find(&first);
    let second_set = find(&second);
    assert_eq!(first_set.role_name, "ReadOnly");
    assert_eq!(first_set.account_id, PROD);
    assert_eq!(second["first"]["token"], second_set.session_token.as_str());
    // After the first set expired, the shell still got a valid set.
    let first_expiry = first_set.expiration_epoch_ms / 1000;
    let second_expiry = second_set.expiration_epoch_ms / 1000;
    assert!(
        first_expiry < checked_at.unix_timestamp(),
        "the first set had not expired yet"
    );
    assert!(
        second_expiry > checked_at.unix_timestamp() - 1,
        "the second set was already stale"
    );
    assert!(
        prompt.starts_with(&format!("ReadOnly@{PROD} ")),
        "prompt line: {prompt}"
    );

    // Nothing is left after the shell exits.
    no_server_within(&w, Duration::from_secs(10));
    assert_eq!(records_left(&w), 0, "the shell's record is left");
    no_files_within(&w, Duration::from_secs(5));
}

/// The record, the log and (on Linux) the environment of the running server
/// `server_pid` hold none of `secrets`; the record and the log are 0600 in
/// a 0700 directory.
fn assert_server_keeps_secrets(w: &World, server_pid: u32, secrets: &[String]) {
    let dir = w.state_dir().join("shells");
    assert_eq!(mode_of(&dir), PRIVATE_DIR, "{}", dir.display());
    let mut kinds = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap().flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name == ".records.lock" {
            continue;
        }
        assert_eq!(mode_of(&path), PRIVATE_FILE, "{}", path.display());
        let text = text(&std::fs::read(&path).unwrap());
        for secret in secrets {
            assert!(
                !text.contains(secret.as_str()),
                "a secret in {name}: {text}"
            );
        }
        kinds.extend(path.extension().map(|x| x.to_string_lossy().into_owned()));
    }
    kinds.sort();
    assert_eq!(kinds, ["json", "log"], "the record and the log");
    if cfg!(target_os = "linux") {
        let environ = text(&std::fs::read(format!("/proc/{server_pid}/environ")).unwrap());
        for secret in secrets {
            assert!(
                !environ.contains(secret.as_str()),
                "a secret in the server's environment"
            );
        }
    }
}

/// How many shell records the world's state directory holds.
fn records_left(w: &World) -> usize {
    json_files(&w.state_dir().join("shells"))
}

/// The files left in the world's shell-state directory, but its one lock.
fn files_left(w: &World) -> Vec<String> {
    std::fs::read_dir(w.state_dir().join("shells"))
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|name| name != ".records.lock")
                .collect()
        })
        .unwrap_or_default()
}

/// Waits for the shell-state directory to hold nothing but its lock. Off
/// Linux a server is seen through its record, which it withdraws just before
/// it removes its log and exits, so the log may outlive the record briefly.
fn no_files_within(w: &World, patience: Duration) {
    wait_for(patience, || match files_left(w) {
        left if left.is_empty() => Ok(()),
        left => Err(format!("left in the shell-state directory: {left:?}")),
    });
}

#[test]
fn use_in_bash_keeps_credentials_fresh_and_leaves_nothing() {
    use_keeps_credentials_fresh_in("bash");
}

#[test]
fn use_in_zsh_keeps_credentials_fresh_and_leaves_nothing() {
    use_keeps_credentials_fresh_in("zsh");
}

#[test]
fn use_in_fish_keeps_credentials_fresh_and_leaves_nothing() {
    use_keeps_credentials_fresh_in("fish");
}

#[test]
fn use_reuses_its_server_and_static_profile_only_and_unuse_replace_it() {
    let Some(bash) = shell("bash") else {
        return;
    };
    let w = World::new();
    let script = format!(
        "eval \"$(ssocred shell-init bash)\"\n\
         ssocred use -p modern -r {READ_ONLY_ARN} || exit 9\n\
         echo \"URL1=$AWS_CONTAINER_CREDENTIALS_FULL_URI\"\n\
         ssocred use modern -r {READ_ONLY_ARN} || exit 9\n\
         echo \"URL2=$AWS_CONTAINER_CREDENTIALS_FULL_URI\"\n\
         ssocred use --static -p modern -r {READ_ONLY_ARN} || exit 9\n\
         echo \"STATIC=$AWS_ACCESS_KEY_ID|${{AWS_CONTAINER_CREDENTIALS_FULL_URI-unset}}|$SSOCRED_USE_MODE\"\n\
         ssocred status --in-use\n\
         ssocred use pinned || exit 9\n\
         echo \"SERVED=${{AWS_ACCESS_KEY_ID-unset}}|$SSOCRED_USE\"\n\
         ssocred unuse || exit 9\n\
         echo \"UNUSED=${{AWS_CONTAINER_CREDENTIALS_FULL_URI-unset}}|${{SSOCRED_USE-unset}}\"\n\
         ssocred use --profile-only plain || exit 9\n\
         echo \"PROFILE=$AWS_PROFILE|$SSOCRED_USE_MODE\"\n\
         ssocred status --in-use\n\
         ssocred use --profile-only nowhere\n\
         echo \"MISSING=$?|$AWS_PROFILE\"\n\
         read go\n"
    );
    let script_path = w.home().join("modes.bash");
    std::fs::write(&script_path, script).unwrap();
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_ssocred")).parent().unwrap();
    let mut cmd = w.command(bash);
    cmd.arg(&script_path).env(
        "PATH",
        format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap()),
    );
    let mut running = Running::spawn(cmd);
    let url1 = running.stdout_line();
    let url2 = running.stdout_line();
    assert!(url1.starts_with("URL1=http://127.0.0.1:"), "{url1}");
    assert_eq!(url1[5..], url2[5..], "the same role reuses the server");
    let issued = w.emulator.issued();
    let static_line = running.stdout_line();
    let key = static_line
        .strip_prefix("STATIC=")
        .and_then(|rest| rest.split('|').next())
        .unwrap();
    assert!(
        issued.iter().any(|i| i.access_key_id == key),
        "{static_line}"
    );
    assert!(static_line.ends_with("|unset|static"), "{static_line}");
    let prompt = running.stdout_line();
    assert!(prompt.starts_with(&format!("ReadOnly@{PROD} ")), "{prompt}");
    assert!(prompt.ends_with('m') || prompt.ends_with('s'), "{prompt}");
    assert_eq!(
        running.stdout_line(),
        "SERVED=unset|arn:aws:iam::210987654321:role/Developer",
        "the profile's own role, in the default mode"
    );
    assert_eq!(running.stdout_line(), "UNUSED=unset|unset");
    assert_eq!(running.stdout_line(), "PROFILE=plain|profile");
    assert_eq!(running.stdout_line(), "profile:plain");
    assert_eq!(
        running.stdout_line(),
        "MISSING=3|plain",
        "an unknown profile changes nothing"
    );
    // `unuse` stopped its server before returning; the one `--static`
    // replaced stopped within its poll.
    no_server_within(&w, Duration::from_secs(5));
    assert_eq!(records_left(&w), 0);
    no_files_within(&w, Duration::from_secs(5));
    running.write_stdin("go\n");
    let (status, _, stderr) = running.finish();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("profile `nowhere` not found"), "{stderr}");
}

#[test]
fn use_outside_the_shell_function_says_how_to_set_it_up() {
    let w = World::new();
    for verb in ["use", "unuse"] {
        let out = w.run(&[verb]);
        assert_eq!(out.status.code(), Some(2), "{out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("eval \"$(ssocred shell-init bash)\""),
            "{stderr}"
        );
    }
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = ok(&w.run(&["shell-init", shell]));
        assert!(out.contains("--shell-pid"), "{shell}: {out}");
    }
    assert_eq!(w.run(&["shell-init", "cmd"]).status.code(), Some(2));
}

/// The server watches the pid it was given, whatever process that is, and
/// `use` says when a `[default]` profile would win over the endpoint.
#[test]
fn the_server_ends_with_the_watched_process_and_default_is_flagged() {
    let w = World::new();
    w.write_config(&format!(
        "{CONFIG}\n[default]\ncredential_process = /bin/false\n"
    ));
    let mut watched = waiting_shell();
    let out = w
        .cmd()
        .args(["use", "--shell", "sh", "--shell-pid"])
        .arg(watched.id().to_string())
        .args(["-p", "modern", "-r", READ_ONLY_ARN])
        .run_to_end();
    let exports = ok(&out);
    assert!(
        exports.contains("export AWS_CONTAINER_CREDENTIALS_FULL_URI='http://127.0.0.1:"),
        "{exports}"
    );
    assert!(exports.contains("unset AWS_ACCESS_KEY_ID\n"), "{exports}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("the [default] profile") && stderr.contains("sets credential_process"),
        "{stderr}"
    );
    // ... and points the shell past it (tests/e2e/shell_default.rs).
    assert!(
        exports.contains("export AWS_PROFILE='ssocred-use'\n"),
        "{exports}"
    );
    assert_eq!(ssocred_processes(&w).len(), 1);
    assert_eq!(records_left(&w), 1);
    watched.kill().unwrap();
    watched.wait().unwrap();
    no_server_within(&w, Duration::from_secs(5));
    assert_eq!(records_left(&w), 0, "the record went with the server");
    no_files_within(&w, Duration::from_secs(5));
}

/// `unuse` returns as quickly as `use` does instead of waiting for its
/// server to stop; the server, withdrawn, stops alone soon after.
#[test]
fn unuse_returns_at_once_and_the_server_stops_soon_after() {
    let w = World::new();
    let mut watched = waiting_shell();
    let pid = watched.id().to_string();
    let out = w
        .cmd()
        .args(["use", "--shell", "sh", "--shell-pid", &pid])
        .args(["-p", "modern", "-r", READ_ONLY_ARN])
        .run_to_end();
    ok(&out);
    assert_eq!(ssocred_processes(&w).len(), 1);
    let started = Instant::now();
    let out = w
        .cmd()
        .args(["unuse", "--shell", "sh", "--shell-pid", &pid])
        .run_to_end();
    let took = started.elapsed();
    let exports = ok(&out);
    assert!(
        exports.contains("unset AWS_CONTAINER_CREDENTIALS_FULL_URI"),
        "{exports}"
    );
    // On Windows the server's open log cannot be removed before it stops,
    // so there `unuse` waits for it (about a second).
    let bound = if cfg!(windows) {
        Duration::from_secs(6)
    } else {
        Duration::from_millis(500)
    };
    assert!(
        took < bound,
        "unuse took {took:?}: it waited for its server"
    );
    assert_eq!(records_left(&w), 0, "unuse withdrew the record");
    no_server_within(&w, Duration::from_secs(5));
    assert_eq!(
        files_left(&w),
        Vec::<String>::new(),
        "unuse removed the log"
    );
    watched.kill().unwrap();
    watched.wait().unwrap();
}

/// With `--assume`, the shell uses the chain's last role: the endpoint
/// serves it, `SSOCRED_USE` names it, and `use` of the same chain again
/// reuses the server.
#[test]
fn use_with_a_role_chain_serves_the_last_role_and_is_reused() {
    const HUB: &str = "arn:aws:iam::555555555555:role/Hub";
    let w = World::with_emulator(base_emulator().trust(HUB, READ_ONLY_ARN));
    let mut watched = waiting_shell();
    let pid = watched.id().to_string();
    let use_chain = |env: &[(String, String)]| {
        let out = w
            .cmd()
            .args(["use", "--shell", "sh", "--shell-pid", &pid])
            .args(["-p", "modern", "-r", READ_ONLY_ARN, "--assume", HUB])
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .run_to_end();
        let lines: Vec<String> = ok(&out)
            .lines()
            .filter(|l| l.starts_with("export "))
            .map(str::to_owned)
            .collect();
        parse_exports(&lines)
    };
    let first = use_chain(&[]);
    let value = |vars: &[(String, String)], name: &str| {
        vars.iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("no {name} in {vars:?}"))
    };
    assert_eq!(value(&first, "SSOCRED_USE"), HUB);
    let url = value(&first, "AWS_CONTAINER_CREDENTIALS_FULL_URI");
    let token = value(&first, "AWS_CONTAINER_AUTHORIZATION_TOKEN");
    let (status, body) = http_get(&url, Some(&token));
    assert_eq!(status, 200, "{body}");
    let served: Value = serde_json::from_str(&body).unwrap();
    let set = w
        .emulator
        .issued_for_key(served["AccessKeyId"].as_str().unwrap())
        .unwrap();
    assert_eq!(
        (set.account_id.as_str(), set.role_name.as_str()),
        ("555555555555", "Hub"),
        "the endpoint serves Hub's set: {body}"
    );
    let again = use_chain(&first);
    assert_eq!(value(&again, "AWS_CONTAINER_CREDENTIALS_FULL_URI"), url);
    assert_eq!(ssocred_processes(&w).len(), 1, "one server, reused");
    watched.kill().unwrap();
    watched.wait().unwrap();
    no_server_within(&w, Duration::from_secs(5));
}

/// The account and role a subshell switches to.
const SECOND: &str = "111100000002";

/// What an endpoint serves, as `ACCOUNT/ROLE` of the set the emulator
/// issued; `Err` when it refuses connections or answers with an error.
fn served_role(w: &World, url: &str, token: &str) -> Result<String, String> {
    let host = url
        .strip_prefix("http://")
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_default();
    std::net::TcpStream::connect(host).map_err(|e| format!("{url}: {e}"))?;
    let (status, body) = http_get(url, Some(token));
    if status != 200 {
        return Err(format!("{url}: {status} {body}"));
    }
    let doc: Value = serde_json::from_str(&body).map_err(|e| e.to_string())?;
    let set = w
        .emulator
        .issued_for_key(doc["AccessKeyId"].as_str().unwrap_or_default())
        .ok_or_else(|| format!("never issued: {body}"))?;
    Ok(format!("{}/{}", set.account_id, set.role_name))
}

/// The script of the subshell test: `use` a role in the shell, then another
/// in a subshell (a child `fish -c` in fish, which has no subshells), which
/// waits for a line before it ends; the shell then prints its prompt and
/// waits too.
fn subshell_script(shell: &str) -> String {
    let second = format!("-p modern --account {SECOND} --role AdministratorAccess");
    let show = "$AWS_CONTAINER_CREDENTIALS_FULL_URI $AWS_CONTAINER_AUTHORIZATION_TOKEN";
    match shell {
        "fish" => format!(
            "ssocred shell-init fish | source\n\
             ssocred use -p modern -r {READ_ONLY_ARN}; or exit 9\n\
             echo \"PARENT={show}\"\n\
             fish -c 'ssocred shell-init fish | source; ssocred use {second}; or exit 9; echo \"CHILD={show}\"; read -l go; ssocred status --in-use'\n\
             echo \"PROMPT=\"(ssocred status --in-use)\n\
             read -l go\n"
        ),
        _ => format!(
            "eval \"$(ssocred shell-init {shell})\"\n\
             ssocred use -p modern -r {READ_ONLY_ARN} || exit 9\n\
             echo \"PARENT={show}\"\n\
             ( ssocred use {second} || exit 9\n\
               echo \"CHILD={show}\"\n\
               read go\n\
               ssocred status --in-use )\n\
             echo \"PROMPT=$(ssocred status --in-use)\"\n\
             read go\n"
        ),
    }
}

/// `use` in a subshell gets a server of its own, which stops with the
/// subshell; the shell's own server, endpoint and prompt are untouched.
fn use_in_a_subshell_leaves_the_shell_alone(name: &str) {
    let Some(shell_path) = shell(name) else {
        return;
    };
    let w = World::with_emulator(
        base_emulator()
            .account(ssocred_emulator::Account::new(SECOND, "Second").role("AdministratorAccess")),
    );
    let script_path = w.home().join(format!("subshell.{name}"));
    std::fs::write(&script_path, subshell_script(name)).unwrap();
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_ssocred")).parent().unwrap();
    let mut cmd = w.command(&shell_path);
    cmd.arg(&script_path).env(
        "PATH",
        format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap()),
    );
    if name == "zsh" {
        cmd.arg("-f");
    }
    let mut running = Running::spawn(cmd);
    let endpoint = |line: String, prefix: &str| {
        let rest = line
            .strip_prefix(prefix)
            .unwrap_or_else(|| panic!("not a {prefix} line: {line}"));
        let (url, token) = rest.split_once(' ').unwrap();
        (url.to_owned(), token.to_owned())
    };
    let parent = endpoint(running.stdout_line(), "PARENT=");
    let child = endpoint(running.stdout_line(), "CHILD=");
    assert_ne!(parent.0, child.0, "the subshell has its own endpoint");
    assert_eq!(
        served_role(&w, &child.0, &child.1),
        Ok(format!("{SECOND}/AdministratorAccess"))
    );
    // Past the server's poll: a withdrawn server would have stopped.
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(
        served_role(&w, &parent.0, &parent.1),
        Ok(format!("{PROD}/ReadOnly")),
        "the shell's endpoint, while the subshell uses another role"
    );
    running.write_stdin("go\n");
    let child_prompt = running.stdout_line();
    assert!(
        child_prompt.starts_with(&format!("AdministratorAccess@{SECOND} ")),
        "{child_prompt}"
    );
    let prompt = running.stdout_line();
    assert!(
        prompt.starts_with(&format!("PROMPT=ReadOnly@{PROD} ")) && !prompt.contains("stopped"),
        "{prompt}"
    );
    // The subshell's server stops with the subshell; the shell's runs on.
    wait_for(Duration::from_secs(5), || {
        let left = ssocred_processes(&w);
        if left.len() != 1 {
            Err(format!("{left:?}"))
        } else {
            Ok(())
        }
    });
    assert_eq!(
        served_role(&w, &parent.0, &parent.1),
        Ok(format!("{PROD}/ReadOnly")),
        "the shell's endpoint, after the subshell ended"
    );
    assert_eq!(records_left(&w), 1);
    running.write_stdin("go\n");
    let (status, _, stderr) = running.finish();
    assert_eq!(status.code(), Some(0), "{stderr}");
    wait_for(Duration::from_secs(5), || {
        let left = ssocred_processes(&w);
        if !left.is_empty() {
            Err(format!("{left:?}"))
        } else {
            Ok(())
        }
    });
}

#[test]
fn use_in_a_bash_subshell_leaves_the_shells_server() {
    use_in_a_subshell_leaves_the_shell_alone("bash");
}

#[test]
fn use_in_a_zsh_subshell_leaves_the_shells_server() {
    use_in_a_subshell_leaves_the_shell_alone("zsh");
}

#[test]
fn use_in_a_child_fish_leaves_the_shells_server() {
    use_in_a_subshell_leaves_the_shell_alone("fish");
}

/// bash without $BASHPID (as bash 3.2, macOS's /bin/bash, is): `use` in a
/// subshell is refused, with the reason, rather than given the parent
/// shell's pid; in the shell itself it works.
#[test]
fn use_in_a_subshell_without_bashpid_is_refused() {
    let Some(bash) = shell("bash") else {
        return;
    };
    let w = World::new();
    let script = format!(
        "eval \"$(ssocred shell-init bash)\"\n\
         unset BASHPID\n\
         ( ssocred use -p modern -r {READ_ONLY_ARN} ); echo \"SUB=$?\"\n\
         ssocred use -p modern -r {READ_ONLY_ARN} || exit 9\n\
         echo \"TOP=$SSOCRED_USE_SHELL $$\"\n\
         ssocred unuse\n"
    );
    let script_path = w.home().join("nobashpid.bash");
    std::fs::write(&script_path, script).unwrap();
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_ssocred")).parent().unwrap();
    let mut cmd = w.command(bash);
    cmd.arg(&script_path).env(
        "PATH",
        format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap()),
    );
    let out = cmd.output().unwrap();
    let stdout = ok(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stdout.contains("SUB=2\n"), "{stdout}");
    assert!(
        stderr.contains("cannot tell this subshell from its parent shell"),
        "{stderr}"
    );
    let top = stdout
        .lines()
        .find_map(|l| l.strip_prefix("TOP="))
        .unwrap_or_else(|| panic!("{stdout}"));
    let (used, shell_pid) = top.split_once(' ').unwrap();
    assert_eq!(used, shell_pid, "the shell's own pid: {stdout}");
    assert_eq!(records_left(&w), 0);
}

/// Prints, as JSON, the access key botocore's container provider gets, or
/// the error it raises.
const BOTO_ONCE: &str = "\
import json
import boto3
try:
    creds = boto3.Session().get_credentials()
    print(json.dumps({\"access_key\": creds.get_frozen_credentials().access_key}))
except Exception as e:
    print(json.dumps({\"error\": str(e)}))
";

/// The SSO login ends while a shell uses a role: the server stays up,
/// botocore in the shell is told which `ssocred login` to run, the prompt
/// says the login expired, and once a new token is in the cache (as
/// `ssocred login` writes it) botocore gets fresh credentials, with no new
/// `use`.
#[test]
fn use_outlives_an_ended_login_and_serves_again_after_login() {
    let Some(bash) = shell("bash") else {
        return;
    };
    let Some(python) = python("ssocred use across an ended login") else {
        return;
    };
    let w = World::with_emulator(base_emulator().credential_lifetime(LIFETIME));
    let boto = w.home().join("boto_once.py");
    std::fs::write(&boto, BOTO_ONCE).unwrap();
    let script = format!(
        "eval \"$(ssocred shell-init bash)\"\n\
         ssocred use -p modern -r {READ_ONLY_ARN} --refresh-before 3 --auto-login || exit 9\n\
         echo READY\n\
         read go\n\
         \"$PY\" \"$BOTO\"\n\
         echo \"PROMPT=$(ssocred status --in-use)\"\n\
         read go\n\
         \"$PY\" \"$BOTO\"\n\
         echo \"PROMPT=$(ssocred status --in-use)\"\n"
    );
    let script_path = w.home().join("login.bash");
    std::fs::write(&script_path, script).unwrap();
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_ssocred")).parent().unwrap();
    let mut cmd = w.command(bash);
    cmd.arg(&script_path)
        .env(
            "PATH",
            format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap()),
        )
        .env("PY", &python)
        .env("BOTO", &boto);
    let mut running = Running::spawn(cmd);
    assert_eq!(running.stdout_line(), "READY");
    // The login ends, and the credentials served run out.
    w.write_token("corp", TOKEN, "2020-01-01T00:00:00Z");
    // The sets issued so far (to `use`, and to its server unless the
    // role-credential cache served it) all expire within [`LIFETIME`].
    let served_until = w
        .emulator
        .issued()
        .iter()
        .map(|i| i.expiration_epoch_ms)
        .max()
        .unwrap();
    let expired_at = served_until / 1000;
    while time::OffsetDateTime::now_utc().unix_timestamp() <= expired_at {
        std::thread::sleep(Duration::from_millis(200));
    }
    std::thread::sleep(Duration::from_millis(500));
    running.write_stdin("go\n");
    let during: Value = serde_json::from_str(&running.stdout_line()).unwrap();
    let error = during["error"]
        .as_str()
        .unwrap_or_else(|| panic!("{during}"));
    assert!(
        error.starts_with(
            "Error when retrieving credentials from container-role: Error retrieving metadata: \
             Received non 200 response 503 from container metadata: \
             {\"code\":\"LoginRequired\",\"message\":\"ssocred cannot refresh the expired credentials: \
             the SSO login for corp expired at 2020-01-01T00:00:00Z"
        ),
        "{error}"
    );
    assert!(
        error.ends_with("; log in with `ssocred login -p modern`\"}"),
        "{error}"
    );
    assert_eq!(
        running.stdout_line(),
        format!("PROMPT=ReadOnly@{PROD} login expired")
    );
    assert_eq!(ssocred_processes(&w).len(), 1, "the server is still up");

    // `ssocred login` writes a new token: the next client gets credentials.
    w.write_token("corp", TOKEN, "2099-01-01T00:00:00Z");
    let logged_in = Instant::now();
    running.write_stdin("go\n");
    let after: Value = serde_json::from_str(&running.stdout_line()).unwrap();
    let key = after["access_key"]
        .as_str()
        .unwrap_or_else(|| panic!("no credentials after the login: {after}"));
    assert!(
        logged_in.elapsed() < Duration::from_secs(10),
        "{:?}",
        logged_in.elapsed()
    );
    let fresh = w.emulator.issued_for_key(key).expect("an issued key");
    assert!(fresh.expiration_epoch_ms > served_until, "a new set");
    let prompt = running.stdout_line();
    assert!(
        prompt.starts_with(&format!("PROMPT=ReadOnly@{PROD} ")) && !prompt.contains("expired"),
        "{prompt}"
    );
    let (status, _, stderr) = running.finish();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert_eq!(
        w.emulator.oidc_counts().values().sum::<u64>(),
        0,
        "the server never logs in itself, even with --auto-login"
    );
    wait_for(Duration::from_secs(5), || {
        let left = ssocred_processes(&w);
        if !left.is_empty() {
            Err(format!("{left:?}"))
        } else {
            Ok(())
        }
    });
}

/// `use` with no profile given and no `default` one names the SSO profiles
/// of the config to choose from, sorted and at most twenty, with the exit
/// code of a config problem (3); nothing reaches the portal.
#[test]
fn use_without_a_profile_lists_the_sso_profiles_to_choose_from() {
    let w = World::new();
    let mut config = String::from(
        "[sso-session corp]\nsso_start_url = https://example.awsapps.com/start\nsso_region = eu-west-1\n\
         [profile plain]\nregion = eu-west-1\n",
    );
    for i in 0..24 {
        config.push_str(&format!("[profile team-{i:02}]\nsso_session = corp\n"));
    }
    w.write_config(&config);
    let out = w
        .cmd()
        .args(["use", "--shell", "sh", "--shell-pid", "1"])
        .run_to_end();
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    let stderr = stderr(&out);
    assert!(stderr.contains("no profile given"), "{stderr}");
    assert!(stderr.contains("`team-00`, `team-01`"), "{stderr}");
    // Twenty named, the other four counted; `plain` is no SSO profile.
    assert!(stderr.contains("`team-19` and 4 more"), "{stderr}");
    assert!(!stderr.contains("`team-20`"), "{stderr}");
    assert!(!stderr.contains("`plain`"), "{stderr}");
    assert!(stderr.contains("ssocred use PROFILE"), "{stderr}");
    assert_eq!(all_calls(&w), 0);
}
