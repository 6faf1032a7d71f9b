//! The credential server of a shell that ran `ssocred use`: its record in
//! the state directory (`shells/<shell pid>.json`), and the watch that ends
//! it when the shell exits or `unuse` withdraws the record.
//!
//! `use` hands the server the request it resolved as one typed value
//! ([`ServeRequest`]) on the server's stdin, and the server answers with one
//! ([`Served`]) on its stdout: the server never resolves settings again.
//!
//! The record holds no secret: the endpoint's token reaches the shell over
//! a pipe from the server to `use`, never through a file or argv.

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use ssocred_core::{Error, SecretString};

use crate::settings::Settings;
use ssocred_core::os::fs::{FileLock, LOCK_TIMEOUT, create_private_dir, write_atomic};

/// Set by `use`: the role ARN (or the profile, with `--profile-only`) the
/// shell uses.
pub const IN_USE: &str = "SSOCRED_USE";
/// Set by `use`: `serve`, `static` or `profile`.
pub const MODE: &str = "SSOCRED_USE_MODE";
/// Set by `use` in the default mode: the shell's pid, which names its
/// server's record.
pub const SESSION: &str = "SSOCRED_USE_SHELL";
/// Set by `use` when a profile the SDKs try before the container endpoint
/// (`[default]` with credentials) would give this shell's AWS tools other
/// credentials: what shadows the endpoint, for the prompt.
pub const SHADOW: &str = "SSOCRED_USE_SHADOW";

/// The version of [`ServeRequest`] and [`Served`]; a server of another
/// version refuses the request rather than guess.
pub const HANDOFF_VERSION: u32 = 1;

/// The most a request may take on the server's stdin.
const MAX_REQUEST: u64 = 1 << 20;

/// What `use` asks its server to serve: the settings it resolved, the role
/// chosen (never a pattern), typed. A field added to [`Settings`] reaches
/// the server as it is.
#[derive(Debug, Serialize, Deserialize)]
pub struct ServeRequest {
    /// [`HANDOFF_VERSION`].
    pub version: u32,
    /// The resolved settings.
    pub settings: Settings,
}

impl ServeRequest {
    /// The request of `settings`.
    pub fn new(settings: Settings) -> ServeRequest {
        ServeRequest {
            version: HANDOFF_VERSION,
            settings,
        }
    }

    /// The request as one line of JSON.
    pub fn to_line(&self) -> Result<String, Error> {
        serde_json::to_string(self)
            .map(|text| text + "\n")
            .map_err(|e| Error::Internal(format!("cannot encode the request for the server: {e}")))
    }

    /// The SHA-256 of the request's line: two `use` calls that resolved the
    /// same request have the same digest, and share one server.
    pub fn digest(line: &str) -> String {
        Sha256::digest(line.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Reads the request from `input` (the server's stdin): one line, at
    /// most [`MAX_REQUEST`] bytes, of this version.
    pub fn read(input: impl io::Read) -> Result<(ServeRequest, String), Error> {
        let mut line = String::new();
        io::BufRead::read_line(&mut io::BufReader::new(input.take(MAX_REQUEST)), &mut line)
            .map_err(|e| {
                Error::Internal(format!("cannot read the request of `ssocred use`: {e}"))
            })?;
        let request: ServeRequest = serde_json::from_str(&line).map_err(|e| {
            Error::Usage(format!(
                "serve --for-shell reads the request of `ssocred use` on its stdin, and this is none ({e}); run `ssocred use` instead"
            ))
        })?;
        if request.version != HANDOFF_VERSION {
            return Err(Error::Internal(format!(
                "`ssocred use` sent a version {} request to a version {HANDOFF_VERSION} server; run `ssocred use` again",
                request.version
            )));
        }
        Ok((request, line))
    }
}

/// What the server answers once it serves: the endpoint and its token.
#[derive(Debug, Serialize, Deserialize)]
pub struct Served {
    /// [`HANDOFF_VERSION`].
    pub version: u32,
    /// `AWS_CONTAINER_CREDENTIALS_FULL_URI`.
    pub url: String,
    /// `AWS_CONTAINER_AUTHORIZATION_TOKEN`.
    #[serde(with = "secret_text")]
    pub token: SecretString,
    /// The credentials' region, if any.
    pub region: Option<String>,
    /// The role served: the chain's last.
    pub role_arn: String,
}

/// A secret as a JSON string on the pipe between `use` and its server
/// (never a file or argv).
mod secret_text {
    use serde::{Deserialize, Deserializer, Serializer};
    use ssocred_core::{ExposeSecret, SecretString};

    pub fn serialize<S: Serializer>(secret: &SecretString, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(secret.expose_secret())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<SecretString, D::Error> {
        String::deserialize(d).map(SecretString::from)
    }
}

impl Served {
    /// The answer as one line of JSON.
    pub fn to_line(&self) -> Result<String, Error> {
        serde_json::to_string(self)
            .map(|text| text + "\n")
            .map_err(|e| Error::Internal(format!("cannot encode the server's answer: {e}")))
    }
}

/// How often the server checks that its shell is alive.
const POLL: Duration = Duration::from_secs(1);

/// What a shell's server records about itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShellSession {
    /// The server's process id.
    pub server_pid: u32,
    /// The shell's process id.
    pub shell_pid: u32,
    /// The role served.
    pub role_arn: String,
    /// The endpoint's URL (`AWS_CONTAINER_CREDENTIALS_FULL_URI`).
    pub url: String,
    /// When the credentials served now expire (UTC, `Z`); `None` before the
    /// first round.
    pub expiration: Option<String>,
    /// The digest of the request served ([`ServeRequest::digest`]): `use`
    /// of the same request reuses this server.
    #[serde(default)]
    pub request: String,
    /// Whether the last refresh failed because the SSO login has ended:
    /// the server goes on, and serves again after `ssocred login`.
    #[serde(default)]
    pub login_expired: bool,
}

/// ssocred's state directory for this process's environment.
pub fn state_dir() -> Result<PathBuf, Error> {
    ssocred_core::os::dirs::state_dir(&|k| std::env::var(k).ok())
        .ok_or_else(|| Error::Usage(ssocred_core::os::dirs::no_home()))
}

/// The record of the server of shell `shell_pid`.
pub fn record_path(state_dir: &Path, shell_pid: u32) -> PathBuf {
    state_dir.join("shells").join(format!("{shell_pid}.json"))
}

/// The log (stderr) of the server of shell `shell_pid`.
pub fn log_path(state_dir: &Path, shell_pid: u32) -> PathBuf {
    state_dir.join("shells").join(format!("{shell_pid}.log"))
}

/// The one lock of every record in the directory of `record`: a lock file
/// per record would be left behind by every shell.
fn lock(record: &Path) -> io::Result<FileLock> {
    let dir = record.parent().unwrap_or(Path::new("."));
    create_private_dir(dir)?;
    FileLock::acquire_path(&dir.join(".records.lock"), LOCK_TIMEOUT)
}

/// Removes the log of shell `shell_pid`'s server, once no server of that
/// shell runs or is about to; `false` when it is still there (on Windows a
/// file that a running server holds open cannot be removed, or stays until
/// it is closed).
pub fn remove_log(state_dir: &Path, shell_pid: u32) -> bool {
    let log = log_path(state_dir, shell_pid);
    match std::fs::remove_file(&log) {
        // Windows may only mark a file that is open for deletion: it is
        // gone once it is closed, and still there meanwhile.
        Ok(()) => !log.exists(),
        Err(e) => e.kind() == io::ErrorKind::NotFound,
    }
}

impl ShellSession {
    /// The record at `path`; `None` when it is missing or unreadable (a
    /// server that cannot be described is treated as gone).
    pub fn read(path: &Path) -> Option<ShellSession> {
        let text = std::fs::read_to_string(path).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Writes the record at `path` atomically (0600 in a 0700 directory).
    pub fn write(&self, path: &Path) -> io::Result<()> {
        let _lock = lock(path)?;
        let text = serde_json::to_vec(self).map_err(io::Error::other)?;
        write_atomic(path, &text)
    }

    /// Whether the server still runs.
    pub fn server_alive(&self) -> bool {
        process_alive(self.server_pid)
    }

    /// Writes the record at `path` if the record there names this
    /// record's server, under the lock: a server that `unuse` withdrew, or
    /// that another `use` replaced, never writes its record back. Returns
    /// whether it wrote.
    pub fn update(&self, path: &Path) -> io::Result<bool> {
        let _lock = lock(path)?;
        if ShellSession::read(path).is_none_or(|r| r.server_pid != self.server_pid) {
            return Ok(false);
        }
        let text = serde_json::to_vec(self).map_err(io::Error::other)?;
        write_atomic(path, &text).map(|()| true)
    }
}

/// Removes the record at `path` if it still names `server_pid` (or any
/// server when `None`), under its lock: the server it names stops within
/// [`POLL`]. Returns the record removed.
pub fn withdraw(path: &Path, server_pid: Option<u32>) -> io::Result<Option<ShellSession>> {
    let _lock = lock(path)?;
    let Some(record) = ShellSession::read(path) else {
        return Ok(None);
    };
    if server_pid.is_some_and(|pid| pid != record.server_pid) {
        return Ok(None);
    }
    match std::fs::remove_file(path) {
        Ok(()) => Ok(Some(record)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Whether process `pid` still runs (see the platform layer).
pub fn process_alive(pid: u32) -> bool {
    ssocred_core::os::process::alive(pid)
}

/// Why a shell's server stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// The shell has exited.
    ShellExited,
    /// `unuse`, or a `use` that replaced this server, withdrew its record.
    Withdrawn,
}

/// Resolves when shell `shell_pid` has exited, or the record at `record`
/// no longer names this process (`unuse`, or `use` of another role started
/// another server), and says which on stderr (the server's log).
pub async fn ended(shell_pid: u32, record: PathBuf) -> End {
    let me = std::process::id();
    loop {
        tokio::time::sleep(POLL).await;
        if !process_alive(shell_pid) {
            ssocred_core::stderr_line!("ssocred: shell {shell_pid} has exited; stopping");
            return End::ShellExited;
        }
        if ShellSession::read(&record).is_none_or(|r| r.server_pid != me) {
            ssocred_core::stderr_line!("ssocred: the shell no longer uses this server; stopping");
            return End::Withdrawn;
        }
    }
}

/// `NAME@ACCOUNT` for the IAM user of a console session
/// (`arn:aws:iam::ACCOUNT:user/PATH/NAME`), `root@ACCOUNT` for the root.
fn user_label(arn: &str) -> Option<String> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [_, _, "iam", _, account, resource] = parts.as_slice() else {
        return None;
    };
    let name = match *resource {
        "root" => "root",
        user => user.strip_prefix("user/")?.rsplit('/').next()?,
    };
    Some(format!("{name}@{account}"))
}

/// One line for a shell prompt about what `use` set in this environment:
/// `ROLE@ACCOUNT TIME-LEFT` (the served credentials' time left: the server
/// refreshes them ahead of expiry, so a short time means it cannot),
/// `ROLE@ACCOUNT TIME-LEFT, login expired` when the refresh failed for
/// want of a login, `ROLE@ACCOUNT login expired` once the credentials
/// have run out too (the server waits for `ssocred login`),
/// `ROLE@ACCOUNT stopped` when the shell's server is gone, `profile:NAME`
/// with `--profile-only`; `None` when the shell uses no role. A served
/// role that a `[default]` profile shadows says so: the SDKs in that shell
/// get `[default]`'s credentials.
pub fn prompt_line(
    var: impl Fn(&str) -> Option<String>,
    state_dir: &Path,
    now: time::OffsetDateTime,
) -> Option<String> {
    let in_use = var(IN_USE)?;
    let mode = var(MODE).unwrap_or_default();
    if mode == "profile" {
        return Some(format!(
            "profile:{}",
            ssocred_core::domain::text::visible(&in_use)
        ));
    }
    let label = match ssocred_core::RoleArn::parse(&in_use) {
        Ok(arn) => format!("{}@{}", arn.role_name(), arn.account_id()),
        Err(_) => user_label(&in_use).unwrap_or_else(|| in_use.clone()),
    };
    let label = ssocred_core::domain::text::visible(&label).into_owned();
    let (expiration, login_expired) = if mode == "serve" {
        let pid: u32 = var(SESSION)?.parse().ok()?;
        match ShellSession::read(&record_path(state_dir, pid)) {
            Some(s) if s.server_alive() => (s.expiration, s.login_expired),
            _ => return Some(format!("{label} stopped")),
        }
    } else {
        (var("AWS_CREDENTIAL_EXPIRATION"), false)
    };
    let left = expiration
        .and_then(|e| ssocred_core::domain::time_fmt::parse_expiry(&e))
        .map(|e| (e - now).whole_seconds());
    let line = match (left, login_expired) {
        (Some(secs), true) if secs > 0 => format!(
            "{label} {}, login expired",
            ssocred_core::status::short_duration(secs)
        ),
        (_, true) => format!("{label} login expired"),
        (Some(secs), false) => format!("{label} {}", ssocred_core::status::short_duration(secs)),
        (None, false) => label,
    };
    // The prompt never names a role the shell's SDKs are not getting.
    Some(
        match var(SHADOW).filter(|s| !s.is_empty() && mode == "serve") {
            Some(by) => format!(
                "{line}, shadowed by {}",
                ssocred_core::domain::text::visible(&by)
            ),
            None => line,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive_and_a_reaped_child_is_not() {
        assert!(process_alive(std::process::id()));
        let mut child = ssocred_core::os::process::shell("exit 0").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        assert!(!process_alive(pid));
        assert!(!process_alive(u32::MAX));
    }

    #[test]
    fn the_prompt_line_for_each_mode() {
        let dir = tempfile::tempdir().unwrap();
        let now = time::macros::datetime!(2030-01-01 12:00 UTC);
        let line = |vars: &[(&str, &str)]| {
            let vars: Vec<(String, String)> = vars
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect();
            prompt_line(
                |k| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()),
                dir.path(),
                now,
            )
        };
        let arn = "arn:aws:iam::123456789012:role/Admin";
        assert_eq!(line(&[]), None);
        assert_eq!(
            line(&[
                (IN_USE, arn),
                (MODE, "static"),
                ("AWS_CREDENTIAL_EXPIRATION", "2030-01-01T12:42:00Z")
            ]),
            Some("Admin@123456789012 42m".to_owned())
        );
        assert_eq!(
            line(&[(IN_USE, "dev.Admin"), (MODE, "profile")]),
            Some("profile:dev.Admin".to_owned())
        );
        // A served role: the record's expiry while the server runs.
        let me = std::process::id();
        let mut record = ShellSession {
            server_pid: me,
            shell_pid: 42,
            role_arn: arn.to_owned(),
            url: "http://127.0.0.1:1/credentials".to_owned(),
            expiration: Some("2030-01-01T13:05:00Z".to_owned()),
            request: String::new(),
            login_expired: false,
        };
        record.write(&record_path(dir.path(), 42)).unwrap();
        let served = [(IN_USE, arn), (MODE, "serve"), (SESSION, "42")];
        assert_eq!(line(&served), Some("Admin@123456789012 1h05m".to_owned()));
        assert_eq!(
            user_label("arn:aws:iam::123456789012:user/dev/ana").as_deref(),
            Some("ana@123456789012")
        );
        assert_eq!(
            user_label("arn:aws:iam::123456789012:root").as_deref(),
            Some("root@123456789012")
        );
        assert_eq!(user_label("arn:aws:sts::1:assumed-role/R/s"), None);
        let shadowed = [
            (IN_USE, arn),
            (MODE, "serve"),
            (SESSION, "42"),
            (SHADOW, "[default]"),
        ];
        assert_eq!(
            line(&shadowed),
            Some("Admin@123456789012 1h05m, shadowed by [default]".to_owned())
        );
        // The login ended: said while the credentials last, and after.
        record.login_expired = true;
        record.write(&record_path(dir.path(), 42)).unwrap();
        assert_eq!(
            line(&served),
            Some("Admin@123456789012 1h05m, login expired".to_owned())
        );
        record.expiration = Some("2030-01-01T11:59:00Z".to_owned());
        record.write(&record_path(dir.path(), 42)).unwrap();
        assert_eq!(
            line(&served),
            Some("Admin@123456789012 login expired".to_owned())
        );
        let mut gone = ssocred_core::os::process::shell("exit 0").spawn().unwrap();
        record.server_pid = gone.id();
        gone.wait().unwrap();
        record.write(&record_path(dir.path(), 42)).unwrap();
        assert_eq!(line(&served), Some("Admin@123456789012 stopped".to_owned()));
    }

    #[test]
    fn a_record_is_withdrawn_only_for_its_server() {
        let dir = tempfile::tempdir().unwrap();
        let path = record_path(dir.path(), 42);
        let record = ShellSession {
            server_pid: 7,
            shell_pid: 42,
            role_arn: "arn:aws:iam::123456789012:role/R".to_owned(),
            url: "http://127.0.0.1:1/credentials".to_owned(),
            expiration: None,
            request: "0".repeat(64),
            login_expired: false,
        };
        record.write(&path).unwrap();
        assert_eq!(ShellSession::read(&path), Some(record.clone()));
        assert_eq!(withdraw(&path, Some(8)).unwrap(), None);
        assert!(path.exists());
        // Another server's update leaves the record as it is.
        let other = ShellSession {
            server_pid: 8,
            login_expired: true,
            ..record.clone()
        };
        assert!(!other.update(&path).unwrap());
        assert_eq!(ShellSession::read(&path), Some(record.clone()));
        assert_eq!(withdraw(&path, Some(7)).unwrap(), Some(record));
        assert!(!path.exists());
        assert_eq!(withdraw(&path, None).unwrap(), None);
    }
}
