//! The daily sync of team sources (`[sources] sync = "daily"`). A command
//! that has given its answer (a credential call, a round of `status
//! --watch`) starts a sync that is due as a process of its own, `ssocred
//! sync --auto`, and does not wait for it: no credential call waits for git
//! or the network. The automatic sync writes what `sync` without a terminal
//! writes (pinned refs, and moving refs' content once accepted); its output
//! goes to `auto-sync.log` in ssocred's state directory.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::settings::layer::SourcesSync;
use crate::sources::store::SourceStore;

/// How long after an automatic sync began the next is due.
pub const EVERY_SECS: i64 = 24 * 3600;

/// The stamp of the last automatic sync (when it began, in seconds since
/// the Unix epoch) and its log, beside the sources' record.
fn stamp_and_log(store: &SourceStore) -> (PathBuf, PathBuf) {
    let dir = store
        .path()
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    (dir.join("auto-sync.stamp"), dir.join("auto-sync.log"))
}

/// Starts `ssocred sync --auto` in the background when `policy` is daily,
/// some source was added, and the last automatic sync began a day or more
/// ago (or never). Costs one read of the stamp when nothing is due; any
/// failure to start is silent, since the command's answer was given.
pub fn start_if_due(policy: SourcesSync, now: i64) {
    if policy != SourcesSync::Daily {
        return;
    }
    let env = |name: &str| std::env::var(name).ok();
    let Ok(store) = SourceStore::from_env(&env) else {
        return;
    };
    if !store.path().is_file() {
        return;
    }
    let (stamp, log) = stamp_and_log(&store);
    if !due(&stamp, now) {
        return;
    }
    // The stamp goes first: the credential calls that follow in the next
    // seconds find the sync begun and start none of their own.
    if ssocred_core::os::fs::write_atomic(&stamp, now.to_string().as_bytes()).is_err() {
        return;
    }
    let _ = start(&log);
}

/// Whether the sync whose stamp is at `stamp` is due at `now`: a missing,
/// unreadable or future stamp is.
fn due(stamp: &Path, now: i64) -> bool {
    let last = ssocred_core::os::fs::read_bounded(stamp, 64)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| text.trim().parse::<i64>().ok());
    match last {
        Some(at) if at <= now => now - at >= EVERY_SECS,
        _ => true,
    }
}

/// Starts this program's `sync --auto`, its output to `log`.
fn start(log: &Path) -> std::io::Result<()> {
    // In the user's own 0700 state directory: no one else can plant a link.
    let out = ssocred_core::os::file::private_new_file_options()
        .write(true)
        .create(true)
        .truncate(true)
        .open(log)?;
    let err = out.try_clone()?;
    let mut command = Command::new(std::env::current_exe()?);
    command
        .args(["sync", "--auto"])
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err);
    ssocred_core::os::process::detach(&mut command);
    command.spawn().map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sync_is_due_a_day_after_the_last_began_or_when_none_is_known() {
        let dir = tempfile::tempdir().unwrap();
        let stamp = dir.path().join("auto-sync.stamp");
        assert!(due(&stamp, 1_000_000), "never synced");
        std::fs::write(&stamp, "1000000\n").unwrap();
        assert!(!due(&stamp, 1_000_000));
        assert!(!due(&stamp, 1_000_000 + EVERY_SECS - 1));
        assert!(due(&stamp, 1_000_000 + EVERY_SECS));
        assert!(due(&stamp, 999_999), "a stamp from the future");
        std::fs::write(&stamp, "garbled").unwrap();
        assert!(due(&stamp, 1_000_000));
    }
}
