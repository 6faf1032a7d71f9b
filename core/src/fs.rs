//! Safe writes of secret files: symlinks followed only where no other user
//! could have planted them, a sidecar lock named after the resolved file, a
//! 0600 temp file in the same directory, fsync, rename. FIFOs and character
//! devices (and `/dev/stdout`) are written in place, never replaced.

use std::ffi::OsString;
use std::fs::{DirBuilder, File, Metadata, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::{Component, Path, PathBuf};
use std::time::{Duration, Instant};

use rustix::fs::OFlags;

/// How long a writer waits for another writer's lock before giving up.
pub const LOCK_TIMEOUT: Duration = Duration::from_secs(30);

/// How many symlinks one path may pass through, as Linux allows.
const MAX_LINKS: usize = 40;

/// What writing a path means, once its symlinks are followed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A regular file, or none yet, at this resolved path: replaced
    /// atomically under the sidecar lock of this path, so every name of one
    /// file shares one lock.
    Replace(PathBuf),
    /// An existing FIFO or character device at this resolved path, or a
    /// process's open file reached through a `/proc` link (`/dev/stdout`
    /// resolves to `/proc/self/fd/1`): written in place, without temp file,
    /// rename or lock.
    InPlace(PathBuf),
}

impl Target {
    /// The path this target is written through.
    pub fn path(&self) -> &Path {
        match self {
            Target::Replace(p) | Target::InPlace(p) => p,
        }
    }
}

/// Follows `path`'s symlinks to what writing it really changes, so a linked
/// `~/.aws/credentials` stays a link; a dangling link resolves to its target.
///
/// Refused, with [`io::ErrorKind::PermissionDenied`] and the reason: a path
/// through a world-writable directory without the sticky bit; a symlink in a
/// world-writable sticky directory owned by anyone but the caller, the
/// directory's owner or root (the kernel's `protected_symlinks` rule, applied
/// whatever the sysctl says); and a target that is a directory, a socket or a
/// block device.
pub fn resolve(path: &Path) -> io::Result<Target> {
    let mut pending: Vec<OsString> = Vec::new();
    let start = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()?.join(path)
    };
    push_components(&mut pending, &start);
    let mut resolved = PathBuf::from("/");
    let mut links = 0;
    let mut missing = false;
    while let Some(part) = pending.pop() {
        if part == "/" {
            resolved = PathBuf::from("/");
            continue;
        }
        if part == ".." {
            resolved.pop();
            continue;
        }
        let candidate = resolved.join(&part);
        if missing {
            resolved = candidate;
            continue;
        }
        let dir_meta = std::fs::metadata(&resolved)?;
        check_dir(&resolved, &dir_meta)?;
        let meta = match std::fs::symlink_metadata(&candidate) {
            Ok(meta) => meta,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                missing = true;
                resolved = candidate;
                continue;
            }
            Err(e) => return Err(e),
        };
        if !meta.file_type().is_symlink() {
            resolved = candidate;
            continue;
        }
        links += 1;
        if links > MAX_LINKS {
            return Err(io::Error::other(format!(
                "more than {MAX_LINKS} levels of symbolic links"
            )));
        }
        check_link(&candidate, &meta, &resolved, &dir_meta)?;
        if resolved.starts_with("/proc") {
            // A magic link to a process's open file (`/proc/self/fd/1`):
            // only the kernel can follow it, at open time.
            let mut through = candidate;
            while let Some(part) = pending.pop() {
                through.push(part);
            }
            return Ok(Target::InPlace(through));
        }
        push_components(&mut pending, &std::fs::read_link(&candidate)?);
    }
    if missing {
        return Ok(Target::Replace(resolved));
    }
    let kind = std::fs::symlink_metadata(&resolved)?.file_type();
    if kind.is_file() {
        Ok(Target::Replace(resolved))
    } else if kind.is_fifo() || kind.is_char_device() {
        Ok(Target::InPlace(resolved))
    } else {
        let what = if kind.is_dir() {
            "a directory"
        } else if kind.is_socket() {
            "a socket"
        } else {
            "a block device"
        };
        Err(refusal(format!("{} is {what}", resolved.display())))
    }
}

/// The largest cache entry read: token, registration, role-credential and
/// ECR cache files are a few hundred bytes to a few KiB.
pub const MAX_CACHE_FILE_BYTES: u64 = 1024 * 1024;

/// The largest CA bundle read: a system bundle of about 150 certificates is
/// about 220 KiB.
pub const MAX_CA_BUNDLE_BYTES: u64 = 16 * 1024 * 1024;

/// Reads a file that must be a regular file of at most `limit` bytes: a
/// cache entry or a CA bundle. Links are followed, but the open never blocks
/// (a FIFO with no writer cannot hang the run, which matters for `status` on
/// every shell prompt), the type is checked on the open handle (a FIFO, a
/// device such as a link to `/dev/zero`, or a directory is refused), and at
/// most `limit + 1` bytes are read.
///
/// A missing file keeps [`io::ErrorKind::NotFound`]; every other error says
/// what is wrong without the path, which the caller names.
pub fn read_bounded(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    read_bounded_with_metadata(path, limit).map(|(bytes, _)| bytes)
}

/// [`read_bounded`], also returning the metadata of the file read (taken on
/// the open handle, so it describes the bytes returned).
pub fn read_bounded_with_metadata(path: &Path, limit: u64) -> io::Result<(Vec<u8>, Metadata)> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags((OFlags::NONBLOCK | OFlags::NOCTTY).bits() as i32)
        .open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "not a regular file (it is {}); remove it",
                kind_name(&meta.file_type())
            ),
        ));
    }
    let too_large = || {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("larger than the {} the file may hold", size_name(limit)),
        )
    };
    if meta.len() > limit {
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(too_large());
    }
    Ok((bytes, meta))
}

/// What a file type is, for an error.
fn kind_name(kind: &std::fs::FileType) -> &'static str {
    if kind.is_dir() {
        "a directory"
    } else if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "not a plain file"
    }
}

/// `limit` bytes in the largest whole unit.
fn size_name(limit: u64) -> String {
    if limit >= 1024 * 1024 && limit.is_multiple_of(1024 * 1024) {
        format!("{} MiB", limit / (1024 * 1024))
    } else if limit >= 1024 && limit.is_multiple_of(1024) {
        format!("{} KiB", limit / 1024)
    } else {
        format!("{limit} bytes")
    }
}

/// Pushes `path`'s components onto the stack `pending`, first on top.
fn push_components(pending: &mut Vec<OsString>, path: &Path) {
    for part in path.components().rev() {
        match part {
            Component::RootDir => pending.push("/".into()),
            Component::ParentDir => pending.push("..".into()),
            Component::Normal(name) => pending.push(name.to_os_string()),
            Component::CurDir | Component::Prefix(_) => {}
        }
    }
}

fn refusal(message: String) -> io::Error {
    io::Error::new(
        io::ErrorKind::PermissionDenied,
        format!("refused: {message}"),
    )
}

const WORLD_WRITABLE: u32 = 0o002;
const STICKY: u32 = 0o1000;

/// Refuses a directory any user may rename entries in.
fn check_dir(dir: &Path, meta: &Metadata) -> io::Result<()> {
    if meta.mode() & WORLD_WRITABLE != 0 && meta.mode() & STICKY == 0 {
        return Err(refusal(format!(
            "{} is world-writable without the sticky bit, so any user can replace what is in it; write elsewhere",
            dir.display()
        )));
    }
    Ok(())
}

/// Refuses a link in a world-writable sticky directory that another user
/// may have planted.
fn check_link(link: &Path, meta: &Metadata, dir: &Path, dir_meta: &Metadata) -> io::Result<()> {
    if dir_meta.mode() & WORLD_WRITABLE == 0 {
        return Ok(());
    }
    let owner = meta.uid();
    let me = rustix::process::geteuid().as_raw();
    if owner == me || owner == dir_meta.uid() || owner == 0 {
        return Ok(());
    }
    Err(refusal(format!(
        "{} is a symlink owned by uid {owner} in the shared directory {}; links there are followed only when they belong to you, the directory's owner or root",
        link.display(),
        dir.display()
    )))
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
    /// waiting up to [`LOCK_TIMEOUT`]. `target` should be resolved
    /// ([`resolve`]) so that every name of a file takes the same lock.
    pub fn acquire(target: &Path) -> io::Result<FileLock> {
        Self::acquire_path(&lock_path(target), LOCK_TIMEOUT)
    }

    /// Locks `path` itself, waiting up to `timeout`. The lock file is never
    /// reached through a symlink and must be a regular file.
    pub fn acquire_path(path: &Path, timeout: Duration) -> io::Result<FileLock> {
        if let Some(dir) = path.parent() {
            create_private_dir(dir)?;
        }
        // No link is followed, and a planted FIFO cannot block the open.
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .custom_flags((OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY).bits() as i32)
            .open(path)
            .map_err(|e| lock_error(path, e))?;
        if !file.metadata()?.is_file() {
            return Err(refusal(format!(
                "the lock file {} is not a regular file",
                path.display()
            )));
        }
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

/// Names the lock file in an error from opening it; a symlink there
/// (`ELOOP` under `O_NOFOLLOW`) is refused as planted.
fn lock_error(path: &Path, e: io::Error) -> io::Error {
    if e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) {
        refusal(format!(
            "the lock file {} is a symlink; remove it",
            path.display()
        ))
    } else {
        e
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

/// A file a sink writes: resolved once ([`resolve`]) and, when it is replaced,
/// locked until dropped. Read and write it through this value, never through
/// the name the user gave, so a link swapped meanwhile changes nothing.
#[derive(Debug)]
pub struct TargetFile {
    target: Target,
    _lock: Option<FileLock>,
}

impl TargetFile {
    /// Resolves `path` and takes the lock of a file to be replaced. FIFOs and
    /// character devices are accepted, to be written in place.
    pub fn open(path: &Path) -> io::Result<TargetFile> {
        let target = resolve(path)?;
        let lock = match &target {
            Target::Replace(real) => Some(FileLock::acquire(real)?),
            Target::InPlace(_) => None,
        };
        Ok(TargetFile {
            target,
            _lock: lock,
        })
    }

    /// [`open`](Self::open) for a file whose content is merged into: anything
    /// but a regular file (or none yet) is refused, so a FIFO or a device is
    /// never read.
    pub fn open_for_update(path: &Path) -> io::Result<TargetFile> {
        let target = resolve(path)?;
        let Target::Replace(real) = &target else {
            return Err(refusal(format!(
                "{} is not a regular file, and this sink merges into the file's content",
                target.path().display()
            )));
        };
        let lock = FileLock::acquire(real)?;
        Ok(TargetFile {
            target,
            _lock: Some(lock),
        })
    }

    /// What the path resolved to.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// Reads the file as UTF-8, or `None` when it does not exist yet. Only a
    /// regular file is read, and not through a symlink.
    pub fn read(&self) -> io::Result<Option<String>> {
        let Target::Replace(real) = &self.target else {
            return Err(refusal(format!(
                "{} is not a regular file",
                self.target.path().display()
            )));
        };
        let mut file = match OpenOptions::new()
            .read(true)
            .custom_flags((OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY).bits() as i32)
            .open(real)
        {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        if !file.metadata()?.is_file() {
            return Err(refusal(format!("{} is not a regular file", real.display())));
        }
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "not valid UTF-8"))
    }

    /// Writes `contents`: see [`write_with`](Self::write_with).
    pub fn write(&self, contents: &[u8]) -> io::Result<()> {
        self.write_with(|file| file.write_all(contents))
    }

    /// Replaces a regular file atomically ([`write_atomic_with`]'s steps), or
    /// writes a FIFO or device in place. An error from `fill` leaves a
    /// replaced file as it was.
    pub fn write_with(
        &self,
        fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    ) -> io::Result<()> {
        match &self.target {
            Target::Replace(real) => replace(real, fill),
            Target::InPlace(path) => write_in_place(path, fill),
        }
    }
}

/// Writes an existing FIFO, device or `/proc` file without creating,
/// truncating or replacing anything.
fn write_in_place(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    // Appending, so output after another sink's on a redirected stdout adds
    // to it. A link is followed only for the /proc magic links.
    let mut flags = OFlags::NOCTTY;
    if !path.starts_with("/proc") {
        flags |= OFlags::NOFOLLOW;
    }
    let file = OpenOptions::new()
        .append(true)
        .custom_flags(flags.bits() as i32)
        .open(path)?;
    let mut out = io::BufWriter::with_capacity(64 * 1024, file);
    fill(&mut out)?;
    out.flush()
}

/// Replaces `target` (resolved under [`resolve`]'s rules) with `contents`:
/// the bytes go to a 0600 temp file in the same directory, are fsynced, and
/// the temp file is renamed over the target, so a crash leaves the old file
/// or the new one. Missing directories are created 0700. A target that is
/// not a regular file is refused. The caller holds the lock of the resolved
/// target.
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
    match resolve(target)? {
        Target::Replace(real) => replace(&real, fill),
        Target::InPlace(path) => Err(refusal(format!("{} is not a regular file", path.display()))),
    }
}

fn replace(target: &Path, fill: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> io::Result<()> {
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    create_private_dir(&dir)?;
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match unnamed_temp(&dir) {
        Some(file) => replace_through_unnamed(file, &dir, &name, target, fill)?,
        None => replace_through_named(&dir, &name, target, fill)?,
    }
    // Make the rename itself durable.
    File::open(&dir)?.sync_all()?;
    sweep_stale_temps(&dir, &name);
    Ok(())
}

/// The fallback, and the method where no unnamed temp file can be made: a
/// named 0600 temp file, filled, fsynced and renamed over `target`. A writer
/// killed meanwhile leaves the temp file, which [`sweep_stale_temps`]
/// removes later.
fn replace_through_named(
    dir: &Path,
    name: &str,
    target: &Path,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let mut temp = named_temp(dir, name)?;
    {
        let mut out = io::BufWriter::with_capacity(64 * 1024, temp.as_file_mut());
        fill(&mut out)?;
        out.flush()?;
    }
    temp.as_file().sync_all()?;
    temp.persist(target).map_err(|e| e.error)?;
    Ok(())
}

/// A named 0600 temp file for `name` in `dir` (tempfile creates it 0600 on
/// Unix), named as [`sweep_stale_temps`] expects.
fn named_temp(dir: &Path, name: &str) -> io::Result<tempfile::NamedTempFile> {
    tempfile::Builder::new()
        .prefix(&temp_prefix(name))
        .suffix(TEMP_SUFFIX)
        .rand_bytes(TEMP_RAND)
        .tempfile_in(dir)
}

/// Fills an unnamed temp file ([`unnamed_temp`]) and puts it in place: it
/// gets a name only once complete and fsynced, for the two system calls
/// that link it under a fresh temp name and rename that over `target` (a
/// link cannot replace an existing name). A writer killed while filling it
/// leaves nothing behind. Where linking is refused (no `/proc`), the bytes
/// are copied into a named temp file instead.
fn replace_through_unnamed(
    mut file: File,
    dir: &Path,
    name: &str,
    target: &Path,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    {
        let mut out = io::BufWriter::with_capacity(64 * 1024, &mut file);
        fill(&mut out)?;
        out.flush()?;
    }
    file.sync_all()?;
    let linked = loop {
        let candidate = dir.join(format!(
            "{}{}{TEMP_SUFFIX}",
            temp_prefix(name),
            random_name_part()?
        ));
        match link_unnamed(&file, &candidate) {
            Ok(()) => break Some(candidate),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(_) => break None,
        }
    };
    let Some(linked) = linked else {
        let mut temp = named_temp(dir, name)?;
        io::Seek::seek(&mut file, io::SeekFrom::Start(0))?;
        io::copy(&mut file, temp.as_file_mut())?;
        temp.as_file().sync_all()?;
        temp.persist(target).map_err(|e| e.error)?;
        return Ok(());
    };
    std::fs::rename(&linked, target).inspect_err(|_| {
        let _ = std::fs::remove_file(&linked);
    })
}

/// Whether a writer killed while writing a file in `dir` leaves no temp
/// file behind: true where an unnamed temp file can be made there (Linux,
/// on filesystems with `O_TMPFILE`); elsewhere a killed writer leaves a
/// 0600 temp file that a later write removes once it is
/// [`STALE_TEMP_AGE`] old.
pub fn kill_leaves_no_temp_file(dir: &Path) -> bool {
    unnamed_temp(dir).is_some()
}

/// [`TEMP_RAND`] random letters and digits.
fn random_name_part() -> io::Result<String> {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut bytes = [0u8; TEMP_RAND];
    getrandom::fill(&mut bytes).map_err(io::Error::other)?;
    Ok(bytes
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect())
}

/// An unnamed 0600 file in `dir` (`O_TMPFILE`), or `None` where the
/// filesystem or the system has none.
#[cfg(target_os = "linux")]
fn unnamed_temp(dir: &Path) -> Option<File> {
    rustix::fs::open(
        dir,
        OFlags::TMPFILE | OFlags::RDWR | OFlags::CLOEXEC,
        rustix::fs::Mode::from_raw_mode(0o600),
    )
    .ok()
    .map(File::from)
}

/// Links the unnamed `file` at `path`, through its `/proc/self/fd` entry
/// (linking the descriptor itself with `AT_EMPTY_PATH` needs a capability).
/// An existing `path` is [`io::ErrorKind::AlreadyExists`].
#[cfg(target_os = "linux")]
fn link_unnamed(file: &File, path: &Path) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let fd_path = format!("/proc/self/fd/{}", file.as_raw_fd());
    rustix::fs::linkat(
        rustix::fs::CWD,
        fd_path.as_str(),
        rustix::fs::CWD,
        path,
        rustix::fs::AtFlags::SYMLINK_FOLLOW,
    )
    .map_err(io::Error::from)
}

#[cfg(not(target_os = "linux"))]
fn unnamed_temp(_dir: &Path) -> Option<File> {
    None
}

#[cfg(not(target_os = "linux"))]
fn link_unnamed(_file: &File, _path: &Path) -> io::Result<()> {
    Err(io::Error::from(io::ErrorKind::Unsupported))
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
/// [`STALE_TEMP_AGE`], regular and owned by this user. Best effort: a failure here never fails the write
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
        // Only this user's own regular files: in a shared directory a
        // same-named file or link may be someone else's.
        let Ok(meta) = entry.metadata() else {
            continue;
        };
        let mine = meta.is_file() && meta.uid() == rustix::process::geteuid().as_raw();
        let old = meta
            .modified()
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age >= STALE_TEMP_AGE);
        if mine && old {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// Runs `read` on another thread; fails when it has not returned
    /// within a generous deadline (a blocking open would hang forever).
    fn read_within_deadline(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
        let (sender, done) = std::sync::mpsc::channel();
        let path = path.to_path_buf();
        std::thread::spawn(move || sender.send(read_bounded(&path, limit)));
        done.recv_timeout(Duration::from_secs(30))
            .expect("read_bounded hung")
    }

    #[test]
    fn bounded_reads_refuse_a_fifo_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("entry.json");
        rustix::fs::mkfifoat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::Mode::from_raw_mode(0o600),
        )
        .unwrap();
        let e = read_within_deadline(&fifo, MAX_CACHE_FILE_BYTES).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
        assert!(
            e.to_string().contains("not a regular file (it is a FIFO)"),
            "{e}"
        );
    }

    #[test]
    fn bounded_reads_refuse_a_link_to_dev_zero() {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("ca.pem");
        std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
        let e = read_within_deadline(&link, MAX_CA_BUNDLE_BYTES).unwrap_err();
        assert!(
            e.to_string()
                .contains("not a regular file (it is a character device)"),
            "{e}"
        );
    }

    #[test]
    fn bounded_reads_stop_at_the_limit_and_keep_not_found() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("entry.json");
        std::fs::write(&path, vec![b' '; 2048]).unwrap();
        assert_eq!(read_bounded(&path, 2048).unwrap().len(), 2048);
        let e = read_bounded(&path, 2047).unwrap_err();
        assert!(e.to_string().contains("larger than the 2047 bytes"), "{e}");
        let e = read_bounded(&path, 1024).unwrap_err();
        assert!(e.to_string().contains("larger than the 1 KiB"), "{e}");
        let e = read_bounded(&dir.path().join("missing"), 10).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
    }

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

    /// Whether this process may create files owned by other users; tests
    /// that need it say loudly that they were skipped.
    fn root_or_skip(test: &str) -> bool {
        let root = rustix::process::geteuid().is_root();
        if !root {
            eprintln!("!!! SKIPPED {test}: needs root to create a link owned by another user");
        }
        root
    }

    const OTHER_UID: u32 = 54_321;

    fn chown_link(link: &Path, uid: u32) {
        rustix::fs::chownat(
            rustix::fs::CWD,
            link,
            Some(rustix::fs::Uid::from_raw(uid)),
            None,
            rustix::fs::AtFlags::SYMLINK_NOFOLLOW,
        )
        .unwrap();
    }

    fn shared_dir(mode: u32) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(mode)).unwrap();
        dir
    }

    fn is_char_device(path: &str) -> bool {
        std::fs::symlink_metadata(path)
            .unwrap()
            .file_type()
            .is_char_device()
    }

    #[test]
    fn a_fifo_is_written_in_place_without_lock_or_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("out.json");
        rustix::fs::mkfifoat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::Mode::from_raw_mode(0o600),
        )
        .unwrap();
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::read(fifo).unwrap())
        };
        let file = TargetFile::open(&fifo).unwrap();
        assert_eq!(file.target(), &Target::InPlace(fifo.clone()));
        file.write(b"{\"secret\":1}").unwrap();
        drop(file);
        assert_eq!(reader.join().unwrap(), b"{\"secret\":1}");
        assert!(
            std::fs::symlink_metadata(&fifo)
                .unwrap()
                .file_type()
                .is_fifo()
        );
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_merging_writer_refuses_a_fifo_instead_of_reading_it() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("credentials");
        rustix::fs::mkfifoat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::Mode::from_raw_mode(0o600),
        )
        .unwrap();
        let e = TargetFile::open_for_update(&fifo).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::PermissionDenied, "{e}");
        assert!(e.to_string().contains("not a regular file"), "{e}");
        let e = write_atomic(&fifo, b"x").unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::PermissionDenied, "{e}");
        assert!(
            std::fs::symlink_metadata(&fifo)
                .unwrap()
                .file_type()
                .is_fifo()
        );
    }

    #[test]
    fn dev_null_is_written_in_place_and_never_replaced() {
        let file = TargetFile::open(Path::new("/dev/null")).unwrap();
        assert_eq!(file.target(), &Target::InPlace("/dev/null".into()));
        file.write(b"secret").unwrap();
        assert!(is_char_device("/dev/null"));
        assert!(!Path::new("/dev/.null.lock").exists());
    }

    #[test]
    fn dev_full_fails_with_enospc_and_stays_a_device() {
        let file = TargetFile::open(Path::new("/dev/full")).unwrap();
        // Checked before writing, so a regression cannot replace the device.
        assert_eq!(file.target(), &Target::InPlace("/dev/full".into()));
        let e = file.write(b"secret").unwrap_err();
        assert_eq!(
            e.raw_os_error(),
            Some(rustix::io::Errno::NOSPC.raw_os_error()),
            "{e}"
        );
        assert!(is_char_device("/dev/full"));
    }

    #[test]
    fn dev_stdout_resolves_to_the_process_stdout_in_place() {
        let target = resolve(Path::new("/dev/stdout")).unwrap();
        assert_eq!(target, Target::InPlace("/proc/self/fd/1".into()));
    }

    #[test]
    fn directories_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let e = resolve(dir.path()).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::PermissionDenied, "{e}");
        assert!(e.to_string().contains("is a directory"), "{e}");
    }

    #[test]
    fn a_world_writable_directory_without_sticky_bit_is_refused() {
        let dir = shared_dir(0o777);
        let target = dir.path().join("aws.env");
        let e = TargetFile::open(&target).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::PermissionDenied, "{e}");
        assert!(e.to_string().contains("without the sticky bit"), "{e}");
        // Below it too: any user can rename `sub` away.
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let e = resolve(&dir.path().join("sub/aws.env")).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::PermissionDenied, "{e}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_link_planted_by_another_user_in_a_sticky_directory_is_refused() {
        if !root_or_skip("a_link_planted_by_another_user_in_a_sticky_directory_is_refused") {
            return;
        }
        let home = tempfile::tempdir().unwrap();
        let victim = home.path().join("authorized_keys");
        std::fs::write(&victim, "ssh-ed25519 AAAA me").unwrap();
        let shared = shared_dir(0o1777);
        let planted = shared.path().join("aws.env");
        std::os::unix::fs::symlink(&victim, &planted).unwrap();
        chown_link(&planted, OTHER_UID);
        let e = TargetFile::open(&planted)
            .and_then(|file| file.write(b"AWS_SECRET_ACCESS_KEY=x"))
            .unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::PermissionDenied, "{e}");
        assert!(
            e.to_string().contains(&format!("owned by uid {OTHER_UID}")),
            "{e}"
        );
        assert_eq!(
            std::fs::read_to_string(&victim).unwrap(),
            "ssh-ed25519 AAAA me"
        );
        assert!(!home.path().join(".authorized_keys.lock").exists());
    }

    #[test]
    fn links_of_the_user_the_directory_owner_or_root_are_followed_in_a_sticky_directory() {
        let shared = shared_dir(0o1777);
        let real = shared.path().join("real");
        let link = shared.path().join("mine");
        std::os::unix::fs::symlink("real", &link).unwrap();
        assert_eq!(resolve(&link).unwrap(), Target::Replace(real.clone()));
        if !root_or_skip("links_of_the_directory_owner_are_followed") {
            return;
        }
        // Owned by the directory's owner: followed.
        rustix::fs::chown(
            shared.path(),
            Some(rustix::fs::Uid::from_raw(OTHER_UID)),
            None,
        )
        .unwrap();
        chown_link(&link, OTHER_UID);
        assert_eq!(resolve(&link).unwrap(), Target::Replace(real));
    }

    #[test]
    fn a_planted_lock_link_is_refused_and_creates_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let elsewhere = dir.path().join("elsewhere");
        std::os::unix::fs::symlink(&elsewhere, dir.path().join(".out.json.lock")).unwrap();
        let e = TargetFile::open(&dir.path().join("out.json")).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::PermissionDenied, "{e}");
        assert!(e.to_string().contains("is a symlink"), "{e}");
        assert!(!elsewhere.exists());
    }

    #[test]
    fn two_names_for_one_file_share_one_lock() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("shared")).unwrap();
        std::fs::create_dir(dir.path().join("aws")).unwrap();
        let real = dir.path().join("shared/creds");
        let link = dir.path().join("aws/credentials");
        std::os::unix::fs::symlink("../shared/creds", &link).unwrap();
        let writers: Vec<_> = (0..32)
            .map(|i| {
                let name = if i % 2 == 0 {
                    link.clone()
                } else {
                    real.clone()
                };
                std::thread::spawn(move || {
                    let file = TargetFile::open_for_update(&name).unwrap();
                    let mut text = file.read().unwrap().unwrap_or_default();
                    // Widen the window a lost update needs.
                    std::thread::sleep(Duration::from_millis(2));
                    text.push_str(&format!("[writer-{i}]\n"));
                    file.write(text.as_bytes()).unwrap();
                })
            })
            .collect();
        for writer in writers {
            writer.join().unwrap();
        }
        let text = std::fs::read_to_string(&real).unwrap();
        assert_eq!(text.lines().count(), 32, "{text}");
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
    }

    #[test]
    fn the_sweep_leaves_other_users_temp_files() {
        if !root_or_skip("the_sweep_leaves_other_users_temp_files") {
            return;
        }
        let dir = shared_dir(0o1777);
        let theirs = dir.path().join(".aws.env.Ab12Cd.tmp");
        let file = File::create(&theirs).unwrap();
        file.set_modified(std::time::SystemTime::now() - STALE_TEMP_AGE * 2)
            .unwrap();
        chown_link(&theirs, OTHER_UID);
        write_atomic(&dir.path().join("aws.env"), b"x").unwrap();
        assert!(theirs.exists());
    }
}
