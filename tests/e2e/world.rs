//! The test world: an emulator, a throwaway HOME with AWS files and a token
//! cache, and a way to run ssocred in it with nothing leaking in from the
//! real environment.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use sha1::{Digest, Sha1};
use ssocred_emulator::{Account, Emulator, EmulatorConfig, IssuedCredentials};

/// The access token the emulator accepts.
pub const TOKEN: &str = "tok-VALID-access-token-SECRET";

/// A config with one profile of each style, plus odd ones for error tests.
pub const CONFIG: &str = "\
[profile legacy]
sso_start_url = https://d-legacy.awsapps.com/start
sso_region = eu-west-1
region = eu-central-1

[profile modern]
sso_session = corp

[sso-session corp]
sso_start_url = https://d-corp.awsapps.com/start
sso_region = us-east-1
sso_registration_scopes = sso:account:access

[profile plain]
region = us-west-2

[profile dangling]
sso_session = missing

[profile pinned]
sso_session = corp
sso_account_id = 210987654321
sso_role_name = Developer
";

pub const PROD: &str = "123456789012";
pub const DEV: &str = "210987654321";
pub const READ_ONLY_ARN: &str = "arn:aws:iam::123456789012:role/ReadOnly";

/// `--all` over the dev account's two roles, each named `dev-ROLE`.
pub const ALL_DEV: &[&str] = &[
    "-p",
    "modern",
    "--account",
    "dev*",
    "--all",
    "--profile-name",
    "dev-{{role_name}}",
];

/// The profile [`ALL_DEV`] names a dev role's credentials after (the role
/// name sanitised).
pub fn all_dev_profile(role_name: &str) -> &'static str {
    match role_name {
        "Developer" => "dev-Developer",
        _ => "dev-My.Role+x_y_z@w",
    }
}

pub struct World {
    pub home: tempfile::TempDir,
    pub emulator: Emulator,
}

impl World {
    /// An emulator with two accounts, the standard config, and valid tokens
    /// for both SSO logins.
    pub fn new() -> World {
        Self::with_emulator(base_emulator())
    }

    pub fn with_emulator(config: EmulatorConfig) -> World {
        let home = tempfile::tempdir().unwrap();
        let emulator = Emulator::start(config).unwrap();
        let world = World { home, emulator };
        world.write_config(CONFIG);
        world.write_token("corp", TOKEN, "2099-01-01T00:00:00Z");
        world.write_token(
            "https://d-legacy.awsapps.com/start",
            TOKEN,
            "2099-01-01T00:00:00UTC",
        );
        world
    }

    pub fn home(&self) -> &Path {
        self.home.path()
    }

    /// ssocred's state directory in this world: `~/.local/state/ssocred`,
    /// or on Windows `%LOCALAPPDATA%\ssocred\state` (LOCALAPPDATA is the
    /// world's `~/.cache`, see [`World::command`]).
    pub fn state_dir(&self) -> PathBuf {
        if cfg!(windows) {
            self.home().join(".cache").join("ssocred").join("state")
        } else {
            self.home().join(".local").join("state").join("ssocred")
        }
    }

    pub fn aws_dir(&self) -> PathBuf {
        self.home().join(".aws")
    }

    pub fn config_path(&self) -> PathBuf {
        self.aws_dir().join("config")
    }

    pub fn credentials_path(&self) -> PathBuf {
        self.aws_dir().join("credentials")
    }

    pub fn write_config(&self, text: &str) {
        std::fs::create_dir_all(self.aws_dir()).unwrap();
        std::fs::write(self.config_path(), text).unwrap();
    }

    /// The token-cache file of a login, named as the AWS CLI names it.
    pub fn token_path(&self, key: &str) -> PathBuf {
        let hex: String = Sha1::digest(key.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        self.aws_dir().join("sso/cache").join(format!("{hex}.json"))
    }

    pub fn write_token(&self, key: &str, token: &str, expires_at: &str) {
        let path = self.token_path(key);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let body = serde_json::json!({
            "startUrl": "https://unused/start",
            "region": "us-east-1",
            "accessToken": token,
            "expiresAt": expires_at,
        });
        std::fs::write(path, body.to_string()).unwrap();
    }

    /// ssocred with a clean environment: HOME, PATH and the emulator endpoint.
    /// ssocred in this world: see [`World::command`].
    pub fn cmd(&self) -> Command {
        self.command(env!("CARGO_BIN_EXE_ssocred"))
    }

    /// `program` with nothing of the test's environment but PATH: HOME is
    /// the world's, both SSO endpoints point at its emulator, and it runs in
    /// HOME.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = Command::new(program);
        cmd.env_clear()
            .env("HOME", self.home())
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("AWS_ENDPOINT_URL_SSO", self.emulator.url())
            .env("AWS_ENDPOINT_URL_SSO_OIDC", self.emulator.url())
            .env("AWS_ENDPOINT_URL_STS", self.emulator.url())
            .env("AWS_ENDPOINT_URL_SIGNIN", self.emulator.url())
            // Windows keeps ssocred's config and cache under these (Unix
            // ignores them): the tests' ~/.config and ~/.cache on every system.
            .env("APPDATA", self.home().join(".config"))
            .env("LOCALAPPDATA", self.home().join(".cache"))
            .current_dir(self.home());
        cmd
    }

    /// ssocred with `args`, to its end within [`RUN_DEADLINE`].
    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).run_to_end()
    }

    /// The one set of credentials the emulator issued.
    pub fn only_issued(&self) -> IssuedCredentials {
        let issued = self.emulator.issued();
        assert_eq!(issued.len(), 1, "expected exactly one GetRoleCredentials");
        issued.into_iter().next().unwrap()
    }
}

pub fn base_emulator() -> EmulatorConfig {
    EmulatorConfig::new()
        .account(Account::new(PROD, "Prod").role("ReadOnly").role("Admin"))
        .account(
            Account::new(DEV, "Dev ünïcode 'quoted'")
                .role("Developer")
                .role("My.Role+x=y,z@w"),
        )
        .with_token(TOKEN)
}

/// What a successful run printed, as JSON; a failure shows its stderr.
pub fn ok_json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "exit {:?}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// Every call any emulator endpoint has answered: portal, STS, ECR, OIDC
/// and federation.
pub fn all_calls(w: &World) -> u64 {
    w.emulator.counts().values().sum::<u64>()
        + w.emulator.oidc_counts().values().sum::<u64>()
        + w.emulator.federation_counts().values().sum::<u64>()
}

/// How many `*.json` files `dir` holds (0 when it does not exist): cache
/// entries.
pub fn json_files(dir: &Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |entries| {
        entries
            .filter(|e| {
                e.as_ref()
                    .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "json"))
            })
            .count()
    })
}

/// stdout of a successful run.
pub fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "ssocred failed with {:?}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// The expiration of issued credentials as ssocred writes it.
pub fn expiration_z(issued: &IssuedCredentials) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(issued.expiration_epoch_ms / 1000).unwrap();
    ssocred_core::domain::time_fmt::utc_z(t)
}

pub use ssocred_test_support::{python, wait_for};

/// Runs `tests/interop/SCRIPT ARGS...` in the world's HOME, with a clean
/// environment pointing both SSO endpoints at the emulator, and parses what
/// it prints as JSON.
pub fn python_json(w: &World, python: &Path, script: &str, args: &[&str]) -> serde_json::Value {
    let path = format!("{}/../tests/interop/{script}", env!("CARGO_MANIFEST_DIR"));
    let out = w.command(python).arg(path).args(args).run_to_end();
    assert!(
        out.status.success(),
        "{script} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The permission bits of `path`; `None` on a system without them
/// (Windows, where a file inherits its directory's ACL: docs/platforms.md).
pub fn mode_of(path: &std::path::Path) -> Option<u32> {
    ssocred_core::os::file::mode_bits(&std::fs::metadata(path).unwrap())
}

/// What [`mode_of`] says of a private file: 0600 on Unix.
pub const PRIVATE_FILE: Option<u32> = ssocred_core::os::file::PRIVATE_FILE_MODE;
/// What [`mode_of`] says of a private directory: 0700 on Unix.
pub const PRIVATE_DIR: Option<u32> = ssocred_core::os::file::PRIVATE_DIR_MODE;

/// How long a command a test runs to its end may take: a hang fails its
/// test with what the command printed, rather than the whole run timing
/// out. Generous, since tests share the machine; a test that means a bound
/// checks it itself, or passes its own limit.
pub const RUN_DEADLINE: Duration = Duration::from_secs(120);

/// Running a command to its end, as [`Command::output`] does (stdout and
/// stderr captured), under a deadline.
pub trait RunToEnd {
    /// Runs to the end within [`RUN_DEADLINE`], stdin empty.
    fn run_to_end(&mut self) -> Output;

    /// Runs to the end within `limit`, stdin empty.
    ///
    /// # Panics
    ///
    /// When it cannot be started, or is still running after `limit`: then
    /// it is killed, and the message shows what it printed so far.
    fn run_to_end_within(&mut self, limit: Duration) -> Output;

    /// Runs to the end within `limit` with `input` on stdin (a command that
    /// exits without reading it all fails by its status, not here).
    ///
    /// # Panics
    ///
    /// As [`RunToEnd::run_to_end_within`].
    fn run_to_end_with(&mut self, input: &[u8], limit: Duration) -> Output;
}

impl RunToEnd for Command {
    fn run_to_end(&mut self) -> Output {
        self.run_to_end_within(RUN_DEADLINE)
    }

    fn run_to_end_within(&mut self, limit: Duration) -> Output {
        self.stdin(Stdio::null());
        run_with_deadline(self, None, limit)
    }

    fn run_to_end_with(&mut self, input: &[u8], limit: Duration) -> Output {
        self.stdin(Stdio::piped());
        run_with_deadline(self, Some(input.to_vec()), limit)
    }
}

fn run_with_deadline(cmd: &mut Command, input: Option<Vec<u8>>, limit: Duration) -> Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
    if let (Some(input), Some(mut stdin)) = (input, child.stdin.take()) {
        // On a thread: a command that does not read would block the write.
        std::thread::spawn(move || std::io::Write::write_all(&mut stdin, &input));
    }
    let stdout = collect(child.stdout.take().expect("stdout is piped"));
    let stderr = collect(child.stderr.take().expect("stderr is piped"));
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            // A process it started may still hold the pipes: what arrived
            // until now is what the message can show.
            let out = stdout.take_within(PIPE_GRACE);
            let err = stderr.take_within(PIPE_GRACE);
            panic!(
                "{:?} did not end within {limit:?}; killed\nstdout: {}\nstderr: {}",
                cmd.get_program(),
                text(&out),
                text(&err)
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Output {
        status,
        stdout: stdout.take_within(RUN_DEADLINE),
        stderr: stderr.take_within(RUN_DEADLINE),
    }
}

/// How long a killed command's pipes are read before the test fails.
const PIPE_GRACE: Duration = Duration::from_secs(2);

/// The bytes read so far from a pipe, and whether it has ended.
#[derive(Default)]
struct Piped {
    bytes: Vec<u8>,
    ended: bool,
}

/// A pipe read on a thread of its own: what it gave, and a signal when it
/// ends.
struct Collected(Arc<(Mutex<Piped>, Condvar)>);

impl Collected {
    /// What the pipe gave, once it has ended or `patience` has passed.
    fn take_within(&self, patience: Duration) -> Vec<u8> {
        let (lock, ended) = &*self.0;
        let guard = lock.lock().unwrap();
        let (mut guard, _) = ended
            .wait_timeout_while(guard, patience, |piped| !piped.ended)
            .unwrap();
        std::mem::take(&mut guard.bytes)
    }
}

/// Reads `pipe` to its end on a thread of its own.
fn collect(mut pipe: impl Read + Send + 'static) -> Collected {
    let shared = Arc::new((Mutex::new(Piped::default()), Condvar::new()));
    let writer = Arc::clone(&shared);
    std::thread::spawn(move || {
        let mut chunk = [0u8; 8192];
        loop {
            let n = pipe.read(&mut chunk).unwrap_or(0);
            let (lock, ended) = &*writer;
            let mut piped = lock.lock().unwrap();
            if n == 0 {
                piped.ended = true;
                ended.notify_all();
                return;
            }
            piped.bytes.extend_from_slice(&chunk[..n]);
        }
    });
    Collected(shared)
}

/// PATH with `dirs` first: where the tests put ssocred and the tools.
pub fn path_with(dirs: &[&Path]) -> std::ffi::OsString {
    let mut all: Vec<PathBuf> = dirs.iter().map(|d| d.to_path_buf()).collect();
    all.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(all).unwrap()
}

/// The directory of the ssocred under test, so `ssocred` on PATH is it.
pub fn ssocred_dir() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_ssocred")).parent().unwrap()
}

/// `bytes` as text, invalid UTF-8 replaced.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A run's stderr as text.
pub fn stderr(out: &Output) -> String {
    text(&out.stderr)
}

// Unix only: the hung command is an `sh` script.
#[cfg(unix)]
#[test]
fn a_hung_command_fails_its_test_at_the_deadline_showing_what_it_printed() {
    let started = Instant::now();
    // The shell's child keeps both pipes open after the shell is killed,
    // as a server a command started would.
    let hung = std::panic::catch_unwind(|| {
        Command::new("sh")
            .args(["-c", "echo started; echo waiting >&2; sleep 20 & sleep 20"])
            .run_to_end_within(Duration::from_secs(1))
    });
    let elapsed = started.elapsed();
    let message = hung.expect_err("a command that sleeps 20 s ended within 1 s");
    let message = message
        .downcast_ref::<String>()
        .expect("a formatted panic message");
    assert!(
        message.contains("did not end within 1s; killed"),
        "{message}"
    );
    assert!(message.contains("stdout: started"), "{message}");
    assert!(message.contains("stderr: waiting"), "{message}");
    // The deadline, the grace for each pipe, and scheduling.
    assert!(elapsed < Duration::from_secs(15), "{elapsed:?}");
}
