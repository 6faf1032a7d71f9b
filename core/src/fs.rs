//! Safe writes of secret files: symlinks followed, a sidecar lock, a 0600
//! temp file in the same directory, fsync, rename.

use std::fs::{DirBuilder, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long a writer waits for another writer's lock before giving up.
pub const LOCK_TIMEOUT: Duration = Duration::from_secs(30);

/// Follows symlinks to the file that will really be written, so a linked
/// `~/.aws/credentials` stays a link. A dangling link resolves to its target.
pub fn real_target(path: &Path) -> io::Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let link = std::fs::read_link(&current)?;
                current = match current.parent() {
                    Some(dir) if link.is_relative() => dir.join(link),
                    _ => link,
                };
            }
            Ok(_) => return Ok(current),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(current),
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other("too many levels of symbolic links"))
}

/// Creates `dir` and its missing parents with mode 0700.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    DirBuilder::new().recursive(true).mode(0o700).create(dir)
}

/// An exclusive advisory lock on a sidecar file next to a target; released on
/// drop. The target itself is never locked, since it is replaced by rename.
#[derive(Debug)]
pub struct FileLock {
    _file: File,
}

impl FileLock {
    /// Locks the sidecar of `target` (`.NAME.lock` in the same directory),
    /// waiting up to [`LOCK_TIMEOUT`].
    pub fn acquire(target: &Path) -> io::Result<FileLock> {
        Self::acquire_path(&lock_path(target), LOCK_TIMEOUT)
    }

    /// Locks `path` itself, waiting up to `timeout`.
    pub fn acquire_path(path: &Path, timeout: Duration) -> io::Result<FileLock> {
        if let Some(dir) = path.parent() {
            create_private_dir(dir)?;
        }
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(path)?;
        let start = Instant::now();
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(FileLock { _file: file }),
                Err(std::fs::TryLockError::WouldBlock) if start.elapsed() < timeout => {
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    return Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        format!(
                            "another process held the lock {} for {timeout:?}",
                            path.display()
                        ),
                    ));
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(e),
            }
        }
    }
}

/// The sidecar lock file of `target`.
pub fn lock_path(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    target.with_file_name(format!(".{name}.lock"))
}

/// Replaces `target` (after following symlinks) with `contents`: the bytes go
/// to a 0600 temp file in the same directory, are fsynced, and the temp file
/// is renamed over the target, so a crash leaves the old file or the new one.
/// Missing directories are created 0700. The caller holds the lock.
pub fn write_atomic(target: &Path, contents: &[u8]) -> io::Result<()> {
    write_atomic_with(target, |file| file.write_all(contents))
}

/// [`write_atomic`] for contents produced piece by piece: `fill` writes them
/// into the (buffered) temp file, so a large file is never held in memory
/// whole. An error from `fill` leaves the target as it was.
pub fn write_atomic_with(
    target: &Path,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let target = real_target(target)?;
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    create_private_dir(&dir)?;
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // tempfile creates the file 0600 on Unix.
    let mut temp = tempfile::Builder::new()
        .prefix(&temp_prefix(&name))
        .suffix(TEMP_SUFFIX)
        .rand_bytes(TEMP_RAND)
        .tempfile_in(&dir)?;
    {
        let mut out = io::BufWriter::with_capacity(64 * 1024, temp.as_file_mut());
        fill(&mut out)?;
        out.flush()?;
    }
    temp.as_file().sync_all()?;
    temp.persist(&target).map_err(|e| e.error)?;
    // Make the rename itself durable.
    File::open(&dir)?.sync_all()?;
    sweep_stale_temps(&dir, &name);
    Ok(())
}

const TEMP_SUFFIX: &str = ".tmp";
const TEMP_RAND: usize = 6;

/// How old another writer's temp file must be before it counts as left
/// behind by a killed process. A live write takes milliseconds; this leaves
/// a wide margin for a stalled disk.
pub const STALE_TEMP_AGE: Duration = Duration::from_secs(10 * 60);

fn temp_prefix(name: &str) -> String {
    format!(".{name}.")
}

/// Removes this target's temp files that a killed writer left behind: the
/// exact name pattern [`write_atomic_with`] uses, older than
/// [`STALE_TEMP_AGE`]. Best effort: a failure here never fails the write
/// that has already landed.
fn sweep_stale_temps(dir: &Path, name: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let prefix = temp_prefix(name);
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(file_name) = file_name.to_str() else {
            continue;
        };
        let is_ours = file_name
            .strip_prefix(&prefix)
            .and_then(|rest| rest.strip_suffix(TEMP_SUFFIX))
            .is_some_and(|r| r.len() == TEMP_RAND && r.bytes().all(|b| b.is_ascii_alphanumeric()));
        if !is_ours {
            continue;
        }
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age >= STALE_TEMP_AGE);
        if old {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Reads `path` as UTF-8, or `None` when it does not exist.
pub fn read_optional(path: &Path) -> io::Result<Option<String>> {
    match std::fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "not valid UTF-8")),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn writes_private_files_and_dirs() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("new/.aws/credentials");
        write_atomic(&target, b"hello").unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"hello");
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&target), 0o600);
        assert_eq!(mode(target.parent().unwrap()), 0o700);
        // No temp file stays behind.
        let names: Vec<_> = std::fs::read_dir(target.parent().unwrap())
            .unwrap()
            .collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn a_killed_writers_temp_file_is_swept_by_the_next_write() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("config");
        let place = |name: &str, age: Duration| {
            let path = dir.path().join(name);
            let file = File::create(&path).unwrap();
            file.set_modified(std::time::SystemTime::now() - age)
                .unwrap();
            path
        };
        let stale = place(
            ".config.Ab12Cd.tmp",
            STALE_TEMP_AGE + Duration::from_secs(1),
        );
        let live = place(".config.Zz99Yy.tmp", Duration::from_secs(5));
        let other_file = place(".credentials.Ab12Cd.tmp", STALE_TEMP_AGE * 2);
        let not_a_temp = place(".config.old-01.tmp", STALE_TEMP_AGE * 2);
        write_atomic_with(&target, |out| {
            out.write_all(b"[default]\n")?;
            out.write_all(b"region = x\n")
        })
        .unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"[default]\nregion = x\n");
        assert!(!stale.exists(), "the stale temp file stayed");
        for kept in [&live, &other_file, &not_a_temp] {
            assert!(kept.exists(), "{} was removed", kept.display());
        }
    }

    #[test]
    fn a_failing_fill_leaves_the_target_and_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("config");
        std::fs::write(&target, "keep").unwrap();
        let err = write_atomic_with(&target, |out| {
            out.write_all(b"half")?;
            Err(io::Error::other("renderer failed"))
        })
        .unwrap_err();
        assert_eq!(err.to_string(), "renderer failed");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn follows_symlinks() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real");
        std::fs::write(&real, "old").unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink("real", &link).unwrap();
        write_atomic(&link, b"new").unwrap();
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read_to_string(&real).unwrap(), "new");
    }

    #[test]
    fn lock_excludes_a_second_holder() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("f");
        let held = FileLock::acquire(&target).unwrap();
        let e = FileLock::acquire_path(&lock_path(&target), Duration::from_millis(50)).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
        drop(held);
        FileLock::acquire_path(&lock_path(&target), Duration::from_millis(50)).unwrap();
    }
}
