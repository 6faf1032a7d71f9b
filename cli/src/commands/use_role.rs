//! `ssocred use` and `ssocred unuse`, run through the function of
//! `ssocred shell-init`: what they print is evaluated by the current shell.
//!
//! By default the shell is pointed at a container-credentials endpoint of
//! its own (`ssocred serve --for-shell PID`), which refreshes the role's
//! credentials, waits out an ended SSO login until `ssocred login`, and
//! stops when the shell exits. `--static` exports the keys themselves; `--profile-only` only
//! `AWS_PROFILE`.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use clap::Args;
use ssocred_core::domain::shell::{Shell, assignment, credential_variables, region_variables};
use ssocred_core::domain::text::visible;
use ssocred_core::domain::variables::COMPETING;
use ssocred_core::os::fs::TargetFile;
use ssocred_core::pipeline::OneFetch;
use ssocred_core::store::profile::{AwsPaths, ProfileFiles};
use ssocred_core::store::setup;
use ssocred_core::{CredentialStream, Error, ExposeSecret};

use crate::deliver::Rounds;
use crate::flags::OneRoleFlags;
use crate::output::write_stdout;
use crate::request;
use crate::runtime::runtime;
use crate::settings::{Flags, RoleChoice, Settings, Source, Sourced};
use crate::shell_session::{
    self, HANDOFF_VERSION, IN_USE, MODE, SESSION, SHADOW, ServeRequest, Served, ShellSession,
};

/// How long `use` waits for its server's first credentials.
const HANDOFF_TIMEOUT: Duration = Duration::from_secs(120);

// The hidden flags the shell function passes.
#[derive(Debug, Clone, Args)]
pub struct ShellHook {
    /// The syntax of the output: sh, fish or powershell (set by the
    /// function of `ssocred shell-init`).
    #[arg(long, value_name = "SHELL", hide = true)]
    pub shell: Option<String>,

    /// The process id of the shell running the function, a subshell's own
    /// in a subshell (set by the function of `ssocred shell-init`).
    #[arg(long, value_name = "PID", hide = true)]
    pub shell_pid: Option<u32>,
}

impl ShellHook {
    /// The shell syntax and pid, or a usage error pointing to `shell-init`
    /// when ssocred was run directly.
    fn require(&self, verb: &str) -> Result<(Shell, u32), Error> {
        let (Some(name), Some(pid)) = (&self.shell, self.shell_pid) else {
            return Err(Error::Usage(format!(
                "`ssocred {verb}` changes the current shell, so it runs through the shell function: add `eval \"$(ssocred shell-init bash)\"` (or zsh, fish, powershell) to your shell's rc file and start a new shell"
            )));
        };
        match Shell::parse(name) {
            Some(shell @ (Shell::Sh | Shell::Fish | Shell::Powershell)) => Ok((shell, pid)),
            _ => Err(Error::Usage(format!(
                "--shell `{name}` is not one of sh, fish or powershell"
            ))),
        }
    }
}

// The arguments of `ssocred use`: the variant doc in commands/mod.rs is its help.
// `--sink` comes with the shared flags but is refused: hidden from the help.
#[derive(Debug, Args)]
#[command(mut_arg("sinks", |a| a.hide(true)))]
pub struct UseArgs {
    /// The profile: an SSO profile (its own role, or -r, or --account and
    /// --role, or the chooser); with --profile-only, any profile.
    #[arg(value_name = "PROFILE", conflicts_with = "profile")]
    pub name: Option<String>,

    #[command(flatten)]
    pub role: OneRoleFlags,

    /// Export the role's keys (AWS_ACCESS_KEY_ID, ...), as `--sink env`
    /// does; they expire with the session instead of being refreshed.
    #[arg(long = "static", conflicts_with = "profile_only")]
    pub static_keys: bool,

    /// Export only AWS_PROFILE=PROFILE (for credential_process profiles,
    /// such as those `ssocred discover` writes).
    #[arg(long, conflicts_with_all = ["role_arn", "account", "role", "assume"])]
    pub profile_only: bool,

    #[command(flatten)]
    pub hook: ShellHook,
}

// The arguments of `ssocred unuse`.
#[derive(Debug, Args)]
pub struct UnuseArgs {
    #[command(flatten)]
    pub hook: ShellHook,
}

/// Runs `use`.
pub fn run(args: &UseArgs) -> Result<(), Error> {
    let (shell, shell_pid) = args.hook.require("use")?;
    if !args.role.sinks.sinks.is_empty() {
        return Err(Error::Usage(
            "`ssocred use` takes no --sink: it sets this shell's environment".to_owned(),
        ));
    }
    let paths = request::paths()?;
    let state_dir = shell_session::state_dir()?;
    let record = shell_session::record_path(&state_dir, shell_pid);
    if args.profile_only {
        return use_profile(args, shell, &paths, &state_dir, shell_pid);
    }
    let mut flags = args.role.clone();
    if let Some(name) = &args.name {
        flags.profile.profile = Some(name.clone());
    }
    let mut settings = Settings::from_process(&Flags::one_role(&flags))?;
    if matches!(settings.profile.source, Source::Default) {
        require_default_profile(&paths)?;
    }
    let runtime = runtime()?;
    let fetch = crate::selection::one(&settings, &paths, &flags.role, &runtime, flags.quiet.quiet)?;
    let policy = Rounds {
        watch: false,
        refresh_before: settings.refresh_before.value,
        profile_name: "",
    }
    .policy();
    // The first round runs here, in the foreground, so a login, an
    // unassigned role or a throttled portal is reported with its exit code;
    // the server then starts from the role-credential cache.
    let mut stream = CredentialStream::new(|| fetch.fetch(), policy);
    let sets = runtime.block_on(stream.first_round(&mut [], &mut std::io::sink()))?;
    let first = sets
        .first()
        .ok_or_else(|| Error::Internal("no credentials fetched".to_owned()))?;
    // The role whose credentials the shell gets: the chain's last.
    let role = first.role_arn.clone();

    let shadow = if args.static_keys {
        None
    } else {
        shadowing_profile(&paths)
    };
    let (mut vars, mode, how) = if args.static_keys {
        // A server this shell had is no longer wanted.
        stop_server(&state_dir, &record, shell_pid);
        (
            credential_variables(first),
            "static",
            format!("static keys, valid until {}", first.expiration_utc()),
        )
    } else {
        // The server serves exactly this: the SSO role chosen (the chooser
        // does not run again) and everything else as resolved here.
        // A console session has no role to pin.
        if let OneFetch::Role(fetch) = &fetch {
            let source = settings
                .role
                .as_ref()
                .map_or(Source::Default, |r| r.source.clone());
            settings.role = Some(Sourced {
                value: RoleChoice::Arn(fetch.role().as_str().to_owned()),
                source,
            });
        }
        let line = ServeRequest::new(settings).to_line()?;
        let digest = ServeRequest::digest(&line);
        let mut vars = match reusable(&record, &digest) {
            Some(vars) => vars,
            None => start_server(&line, shell_pid, &state_dir)?,
        };
        vars.push((SESSION, shell_pid.to_string()));
        (
            vars,
            "serve",
            "a local endpoint refreshed until this shell exits or `ssocred unuse`".to_owned(),
        )
    };
    let past_default = shadow.as_ref().map(|_| route_past_default(&paths));
    warn_about_competitors(&paths, shadow.as_ref(), past_default.as_ref());
    match (&shadow, past_default) {
        (Some(_), Some(Ok(_))) => vars.push(("AWS_PROFILE", BYPASS_PROFILE.to_owned())),
        (Some((name, _)), _) => vars.push((SHADOW, name.clone())),
        (None, _) => {}
    }
    vars.push((IN_USE, role.clone()));
    vars.push((MODE, mode.to_owned()));
    write_stdout(script(shell, &vars)?.as_bytes())?;
    ssocred_core::stderr_line!("ssocred: this shell now uses {} ({how})", visible(&role));
    Ok(())
}

/// At most this many profiles are named when `use` is given none.
const LISTED_PROFILES: usize = 20;

/// `use` with no profile given anywhere falls back to `default`; where the
/// AWS config has none, the error lists the SSO profiles it does have
/// (sorted, at most [`LISTED_PROFILES`]), so the next command can name one.
fn require_default_profile(paths: &AwsPaths) -> Result<(), Error> {
    let files = ProfileFiles::load(paths)?;
    if files.sections().get_profile("default").is_some() {
        return Ok(());
    }
    let sso: std::collections::BTreeSet<&str> = files
        .sections()
        .profiles()
        .filter(|p| {
            ["sso_session", "sso_start_url"]
                .iter()
                .any(|k| files.profile_value(p, k).is_some())
        })
        .collect();
    let message = if sso.is_empty() {
        "no profile given, no `default` profile and no SSO profile to choose from; set one up with `ssocred init`".to_owned()
    } else {
        let listed: Vec<String> = sso
            .iter()
            .take(LISTED_PROFILES)
            .map(|p| format!("`{}`", visible(p)))
            .collect();
        let more = match sso.len().saturating_sub(LISTED_PROFILES) {
            0 => String::new(),
            n => format!(" and {n} more"),
        };
        format!(
            "no profile given and no `default` profile; its SSO profiles: {}{more}; choose one: `ssocred use PROFILE` (or -p/--profile)",
            listed.join(", ")
        )
    };
    Err(Error::ConfigFile {
        path: paths.config.clone(),
        message,
    })
}

/// Runs `unuse`: unsets what `use` set and withdraws this shell's server.
/// It returns at once, as `use` does: the server notices within its poll
/// and stops alone, so the shell does not wait for it.
pub fn run_unuse(args: &UnuseArgs) -> Result<(), Error> {
    let (shell, shell_pid) = args.hook.require("unuse")?;
    let state_dir = shell_session::state_dir()?;
    let record = shell_session::record_path(&state_dir, shell_pid);
    stop_server(&state_dir, &record, shell_pid);
    write_stdout(script(shell, &[])?.as_bytes())?;
    ssocred_core::stderr_line!("ssocred: this shell no longer uses a role");
    Ok(())
}

/// Withdraws the record of this shell's server, which then stops within a
/// second, and removes its log. Where the log cannot be removed while the
/// server holds it open (Windows), this waits for the server to stop first
/// (5 s at most); elsewhere it returns at once.
fn stop_server(state_dir: &Path, record: &Path, shell_pid: u32) {
    let server = shell_session::withdraw(record, None).ok().flatten();
    if shell_session::remove_log(state_dir, shell_pid) {
        return;
    }
    if let Some(server) = server {
        let deadline = Instant::now() + Duration::from_secs(5);
        while server.server_alive() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    shell_session::remove_log(state_dir, shell_pid);
}

/// `use --profile-only`: `AWS_PROFILE` alone, for a profile the SDKs
/// resolve themselves.
fn use_profile(
    args: &UseArgs,
    shell: Shell,
    paths: &AwsPaths,
    state_dir: &Path,
    shell_pid: u32,
) -> Result<(), Error> {
    let Some(name) = args
        .name
        .clone()
        .or_else(|| args.role.profile.profile.clone())
    else {
        return Err(Error::Usage(
            "--profile-only needs the profile: `ssocred use --profile-only PROFILE`".to_owned(),
        ));
    };
    let files = ProfileFiles::load(paths)?;
    if files.sections().get_profile(&name).is_none() {
        return Err(Error::UnknownProfile {
            near: files.near_profiles(&name),
            profile: name,
            config: paths.config.clone(),
            credentials: paths.credentials.clone(),
        });
    }
    let record = shell_session::record_path(state_dir, shell_pid);
    stop_server(state_dir, &record, shell_pid);
    let vars = vec![
        ("AWS_PROFILE", name.clone()),
        (IN_USE, name.clone()),
        (MODE, "profile".to_owned()),
    ];
    write_stdout(script(shell, &vars)?.as_bytes())?;
    ssocred_core::stderr_line!(
        "ssocred: this shell now uses profile `{}` (AWS_PROFILE)",
        visible(&name)
    );
    Ok(())
}

/// The variables of this shell's running server, when it serves the
/// request whose digest is `digest` and the shell still points at it: `use`
/// of the same request again reuses it.
fn reusable(record: &Path, digest: &str) -> Option<Vec<(&'static str, String)>> {
    let session = ShellSession::read(record)?;
    let url = std::env::var("AWS_CONTAINER_CREDENTIALS_FULL_URI").ok()?;
    let token = std::env::var("AWS_CONTAINER_AUTHORIZATION_TOKEN").ok()?;
    if session.request != digest || session.url != url || !session.server_alive() {
        return None;
    }
    let mut vars = vec![
        ("AWS_CONTAINER_CREDENTIALS_FULL_URI", url),
        ("AWS_CONTAINER_AUTHORIZATION_TOKEN", token),
    ];
    vars.extend(region_variables(
        std::env::var("AWS_REGION").ok().as_deref(),
    ));
    Some(vars)
}

/// Starts `ssocred serve --for-shell PID`, detached from the terminal,
/// hands it `request` (one line of JSON on its stdin) and returns the
/// variables of its answer once it serves.
fn start_server(
    request: &str,
    shell_pid: u32,
    state_dir: &Path,
) -> Result<Vec<(&'static str, String)>, Error> {
    let log = shell_session::log_path(state_dir, shell_pid);
    let log_file = open_log(&log)?;
    let exe = std::env::current_exe()
        .map_err(|e| Error::Internal(format!("cannot find ssocred's own path: {e}")))?;
    let mut command = Command::new(exe);
    command.args(["serve", "--for-shell", &shell_pid.to_string()]);
    for name in COMPETING {
        command.env_remove(name);
    }
    // Detached: Ctrl-C at the terminal is not for it, the shell's exit (not
    // a signal) is what ends it, and it holds none of the pipes of the shell
    // capturing this output.
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(log_file);
    ssocred_core::os::process::detach(&mut command);
    let mut child = command
        .spawn()
        .map_err(|e| Error::Internal(format!("cannot start ssocred serve: {e}")))?;
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let sent = stdin.write_all(request.as_bytes());
    drop(stdin);
    if sent.is_err() {
        return Err(server_failed(&mut child, &log));
    }
    let stdout = child.stdout.take().expect("stdout is piped");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let read = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(read.map(|_| line));
    });
    let line = match rx.recv_timeout(HANDOFF_TIMEOUT) {
        Ok(Ok(line)) if !line.trim().is_empty() => line,
        _ => return Err(server_failed(&mut child, &log)),
    };
    let served: Served = serde_json::from_str(&line)
        .map_err(|_| Error::Internal("the server handed over no endpoint".to_owned()))?;
    if served.version != HANDOFF_VERSION {
        return Err(Error::Internal(format!(
            "the server answered in version {}, not {HANDOFF_VERSION}",
            served.version
        )));
    }
    let mut vars = vec![
        ("AWS_CONTAINER_CREDENTIALS_FULL_URI", served.url),
        (
            "AWS_CONTAINER_AUTHORIZATION_TOKEN",
            served.token.expose_secret().to_owned(),
        ),
    ];
    vars.extend(region_variables(served.region.as_deref()));
    Ok(vars)
}

/// The server's stderr: the shell's log, 0600, started afresh.
fn open_log(log: &Path) -> Result<std::fs::File, Error> {
    // In the user's own 0700 state directory: no one else can plant a link.
    let failed = |e: std::io::Error| Error::Internal(format!("{}: {e}", log.display()));
    if let Some(dir) = log.parent() {
        ssocred_core::os::fs::create_private_dir(dir).map_err(failed)?;
    }
    ssocred_core::os::file::private_new_file_options()
        .write(true)
        .create(true)
        .truncate(true)
        .open(log)
        .map_err(failed)
}

/// The server ended (or hung) before handing over its endpoint: stopped,
/// and its log shown.
fn server_failed(child: &mut Child, log: &Path) -> Error {
    let _ = child.kill();
    let status = child.wait();
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let mut message = format!(
        "the credential server for this shell did not start ({})",
        status.map_or_else(|e| e.to_string(), |s| s.to_string())
    );
    for line in text.lines().filter(|l| !l.trim().is_empty()).take(20) {
        message.push_str("\n  ");
        message.push_str(line);
    }
    Error::Internal(message)
}

/// The script for the shell: every competing variable not set here is
/// unset, then the assignments.
fn script(shell: Shell, vars: &[(&str, String)]) -> Result<String, Error> {
    let mut text = String::new();
    for name in COMPETING
        .iter()
        .chain(&[IN_USE, MODE, SESSION, SHADOW])
        .filter(|n| !vars.iter().any(|(set, _)| set == *n))
    {
        text.push_str(&match shell {
            Shell::Fish => format!("set -e {name};"),
            Shell::Powershell => format!("Remove-Item -ErrorAction SilentlyContinue Env:{name}"),
            _ => format!("unset {name}"),
        });
        text.push_str(shell.eol());
    }
    for (name, value) in vars {
        text.push_str(&assignment(shell, name, value).map_err(Error::Usage)?);
        text.push_str(shell.eol());
    }
    Ok(text)
}

/// The keys that give a profile credentials of its own: a profile holding
/// one wins over the container endpoint.
const CREDENTIAL_KEYS: [&str; 6] = [
    "aws_access_key_id",
    "role_arn",
    "web_identity_token_file",
    "sso_session",
    "sso_start_url",
    "credential_process",
];

/// The profile a shell's `AWS_PROFILE` names when `[default]` would shadow
/// its endpoint: it holds no credentials, so the SDKs pass it and reach the
/// endpoint, while `--profile OTHER` still works.
pub const BYPASS_PROFILE: &str = "ssocred-use";

/// The line `use` writes under the profile's header.
const BYPASS_COMMENT: &str = "Written by `ssocred use`: no credentials, so a shell whose AWS_PROFILE names it gets the role `ssocred use` serves, not [default]'s (docs/shell.md).";

/// The profile that the SDKs try before the container endpoint and that
/// gives credentials, with the key that makes it do so: `[default]` in the
/// config or credentials file (botocore, the AWS CLI and the SDKs read it
/// before the endpoint unless `AWS_PROFILE` names another).
fn shadowing_profile(paths: &AwsPaths) -> Option<(String, &'static str)> {
    let files = ProfileFiles::load(paths).ok()?;
    CREDENTIAL_KEYS
        .iter()
        .find(|k| files.profile_value("default", k).is_some())
        .map(|key| ("[default]".to_owned(), *key))
}

/// What [`route_past_default`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PastDefault {
    /// The profile was there already, without credentials.
    Found,
    /// It was added to the config file.
    Added,
}

/// Makes sure [`BYPASS_PROFILE`] exists without credentials, adding it to
/// the config file (under its lock, atomically, every other byte kept) when
/// neither file has it. The error says why the shell cannot be routed past
/// `[default]`: the file cannot be written, or the profile holds
/// credentials of someone else's making.
fn route_past_default(paths: &AwsPaths) -> Result<PastDefault, String> {
    let holds_credentials = |files: &ProfileFiles| {
        CREDENTIAL_KEYS
            .iter()
            .find(|k| files.profile_value(BYPASS_PROFILE, k).is_some())
            .map(|key| {
                format!(
                    "its profile `{BYPASS_PROFILE}` sets {key}, so it is not ssocred's; remove that profile and run `ssocred use` again"
                )
            })
    };
    let files = ProfileFiles::load(paths).map_err(|e| e.to_string())?;
    if files.sections().get_profile(BYPASS_PROFILE).is_some() {
        return holds_credentials(&files).map_or(Ok(PastDefault::Found), Err);
    }
    let path = &paths.config;
    let failed = |what: &str, e: std::io::Error| format!("cannot {what} {}: {e}", path.display());
    let file = TargetFile::open_for_update(path).map_err(|e| failed("open", e))?;
    let before = file
        .read()
        .map_err(|e| failed("read", e))?
        .unwrap_or_default();
    let header = setup::profile_header(BYPASS_PROFILE);
    let after = setup::add_empty_section(&before, &header, BYPASS_COMMENT);
    if after == before {
        // Another `use` added it since the files were read.
        return Ok(PastDefault::Found);
    }
    ssocred_core::store::profile::parse_sections(Some(&after), None).map_err(|why| {
        format!(
            "{} would not parse with [{header}] added ({why})",
            path.display()
        )
    })?;
    file.write(after.as_bytes())
        .map_err(|e| failed("write", e))?;
    Ok(PastDefault::Added)
}

/// Says on stderr what would still win over, or was unset in favour of, the
/// credentials `use` gives: an `AWS_PROFILE` (replaced now), and a profile
/// that shadows the endpoint, with how the shell was routed past it, or
/// why it could not be (environment keys come first of all, so `--static`
/// wins anyway).
fn warn_about_competitors(
    paths: &AwsPaths,
    shadow: Option<&(String, &'static str)>,
    past_default: Option<&Result<PastDefault, String>>,
) {
    for name in ["AWS_PROFILE", "AWS_DEFAULT_PROFILE"] {
        if let Ok(value) = std::env::var(name)
            .map_err(drop)
            .and_then(|v| if v == BYPASS_PROFILE { Err(()) } else { Ok(v) })
        {
            ssocred_core::stderr_line!(
                "ssocred: unset {name} (was `{}`): the SDKs would use that profile instead",
                visible(&value)
            );
        }
    }
    let Some((profile, key)) = shadow else {
        return;
    };
    let why = match past_default {
        Some(Ok(done)) => {
            let added = match done {
                PastDefault::Added => {
                    format!(", added to {} with no credentials", paths.config.display())
                }
                PastDefault::Found => String::new(),
            };
            ssocred_core::stderr_line!(
                "ssocred: the {profile} profile sets {key}, which the SDKs would use before this shell's endpoint; this shell's AWS_PROFILE is `{BYPASS_PROFILE}`{added}, so they get this role (--profile still names any other)"
            );
            return;
        }
        Some(Err(why)) => format!(" ({why})"),
        None => String::new(),
    };
    ssocred_core::stderr_line!(
        "ssocred: warning: the {profile} profile ({} or {}) sets {key}: botocore, the AWS CLI and the SDKs use it before the container endpoint, and this shell could not be pointed past it{why}, so its AWS tools get {profile}'s credentials, not this role's (the prompt says so). Remove it and run `ssocred use` again, or run `ssocred use --static`",
        paths.config.display(),
        paths.credentials.display()
    );
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_unset_the_competition_in_each_shell() {
        let vars = [("AWS_PROFILE", "p'q".to_owned())];
        let sh = script(Shell::Sh, &vars).unwrap();
        assert!(sh.contains("unset AWS_ACCESS_KEY_ID\n"), "{sh}");
        assert!(!sh.contains("unset AWS_PROFILE"), "{sh}");
        assert!(sh.ends_with("export AWS_PROFILE='p'\\''q'\n"), "{sh}");
        let fish = script(Shell::Fish, &vars).unwrap();
        assert!(fish.contains("set -e AWS_CONTAINER_CREDENTIALS_FULL_URI;\n"));
        let ps = script(Shell::Powershell, &[]).unwrap();
        assert!(ps.contains("Remove-Item -ErrorAction SilentlyContinue Env:SSOCRED_USE\n"));
        assert_eq!(
            ps.lines().count(),
            COMPETING.len() + 4,
            "every variable is unset once"
        );
    }
}
