//! Safe writes of secret files: symlinks followed only where no other user
//! could have planted them, a sidecar lock named after the resolved file, a
//! 0600 temp file in the same directory, fsync, rename. FIFOs and character
//! devices (and `/dev/stdout`) are written in place, never replaced.

use std::ffi::OsStr;
use std::ffi::OsString;
use std::fs::{File, Metadata};
use std::io::{self, Read, Write};
use std::path::{Component, Path, PathBuf};
use std::time::{Duration, Instant};

use crate::os::file::{self as os_file, Kind, refusal};

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
    let mut resolved = PathBuf::new();
    let mut links = 0;
    let mut missing = false;
    while let Some(part) = pending.pop() {
        if is_root(&part) {
            resolved = PathBuf::from(part);
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
        os_file::check_dir(&resolved, &dir_meta)?;
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
        os_file::check_link(&candidate, &meta, &resolved, &dir_meta)?;
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
    let kind = os_file::kind(&std::fs::symlink_metadata(&resolved)?.file_type());
    match kind {
        Kind::File => Ok(Target::Replace(resolved)),
        Kind::Fifo | Kind::CharDevice => Ok(Target::InPlace(resolved)),
        _ => Err(refusal(format!(
            "{} is {}",
            resolved.display(),
            kind_name(kind)
        ))),
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
/// A missing file keeps [`io::ErrorKind::NotFound`], and a file over `limit`
/// is [`io::ErrorKind::InvalidData`]; every error says what is wrong
/// without the path, which the caller names.
pub fn read_bounded(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    read_bounded_with_metadata(path, limit).map(|(bytes, _)| bytes)
}

/// [`read_bounded`], also returning the metadata of the file read (taken on
/// the open handle, so it describes the bytes returned).
pub fn read_bounded_with_metadata(path: &Path, limit: u64) -> io::Result<(Vec<u8>, Metadata)> {
    read_open_bounded(os_file::read_bounded_options().open(path)?, limit)
}

/// [`read_bounded_with_metadata`] without following a link at `path`
/// itself: a link there is refused (its parent directories are followed).
/// One open, one `fstat` of that descriptor and the bytes read from it, so
/// the owner and kind the caller checks in the metadata are those of the
/// bytes returned, whatever is renamed or swapped meanwhile.
pub fn read_bounded_no_follow(path: &Path, limit: u64) -> io::Result<(Vec<u8>, Metadata)> {
    let file = os_file::read_no_follow_options().open(path).map_err(|e| {
        if os_file::is_symlink_refused(&e) {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a regular file (it is a symlink, which is not followed here); remove it",
            )
        } else {
            e
        }
    })?;
    read_open_bounded(file, limit)
}

/// [`read_bounded`]'s checks and read, on a file already open.
fn read_open_bounded(file: File, limit: u64) -> io::Result<(Vec<u8>, Metadata)> {
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "not a regular file (it is {}); remove it",
                kind_name(os_file::kind(&meta.file_type()))
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

/// What a kind of file is, for a message: "a FIFO".
pub fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::File => "a regular file",
        Kind::Dir => "a directory",
        Kind::Symlink => "a symlink",
        Kind::Fifo => "a FIFO",
        Kind::CharDevice => "a character device",
        Kind::BlockDevice => "a block device",
        Kind::Socket => "a socket",
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

/// Pushes `path`'s components onto the stack `pending`, first on top; an
/// absolute path's root (`/`, or a drive or share with its separator) is one
/// entry.
fn push_components(pending: &mut Vec<OsString>, path: &Path) {
    let mut root = OsString::new();
    let mut names = Vec::new();
    for part in path.components() {
        match part {
            Component::Prefix(prefix) => root.push(prefix.as_os_str()),
            Component::RootDir => root.push(std::path::MAIN_SEPARATOR_STR),
            Component::ParentDir => names.push(OsString::from("..")),
            Component::Normal(name) => names.push(name.to_os_string()),
            Component::CurDir => {}
        }
    }
    pending.extend(names.into_iter().rev());
    if !root.is_empty() {
        pending.push(root);
    }
}

/// Whether an entry of [`push_components`]'s stack is a root, not a name
/// (a name never holds a separator).
fn is_root(part: &OsStr) -> bool {
    matches!(
        Path::new(part).components().next(),
        Some(Component::Prefix(_) | Component::RootDir)
    )
}

/// Creates `dir` and its missing parents, private to the user (mode 0700
/// on Unix).
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    os_file::create_private_dir(dir)
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
        let file = os_file::lock_file_options()
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
    if os_file::is_symlink_refused(&e) {
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

    /// [`open_for_update`](Self::open_for_update) for a dry run, which only
    /// reads: the same checks, but no lock, whose sidecar file (and
    /// directory) would be a write. Writing through it is a mistake.
    pub fn open_for_reading(path: &Path) -> io::Result<TargetFile> {
        let target = resolve(path)?;
        if !matches!(target, Target::Replace(_)) {
            return Err(refusal(format!(
                "{} is not a regular file, and this sink merges into the file's content",
                target.path().display()
            )));
        }
        Ok(TargetFile {
            target,
            _lock: None,
        })
    }

    /// What the path resolved to.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// Reads the file as UTF-8, or `None` when it does not exist yet. Only a
    /// regular file is read, and not through a symlink.
    pub fn read(&self) -> io::Result<Option<String>> {
        let Some(mut file) = self.reader()? else {
            return Ok(None);
        };
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "not valid UTF-8"))
    }

    /// The file opened for reading as it is, for a caller that reads it in
    /// pieces (a large file need not be held whole); `None` when it does
    /// not exist yet. The checks of [`read`](Self::read) apply. Under the
    /// lock of [`open_for_update`](Self::open_for_update), each call gives
    /// the same bytes.
    pub fn reader(&self) -> io::Result<Option<File>> {
        let Target::Replace(real) = &self.target else {
            return Err(refusal(format!(
                "{} is not a regular file",
                self.target.path().display()
            )));
        };
        let file = match os_file::read_no_follow_options().open(real) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        if !file.metadata()?.is_file() {
            return Err(refusal(format!("{} is not a regular file", real.display())));
        }
        Ok(Some(file))
    }

    /// Writes `contents`: see [`write_with`](Self::write_with).
    pub fn write(&self, contents: &[u8]) -> io::Result<()> {
        self.write_with(|file| file.write_all(contents))
    }

    /// Replaces a regular file atomically ([`write_atomic_with`]'s steps), or
    /// writes a FIFO or device in place. An error from `fill` leaves a
    /// replaced file as it was. The file is the user's: a replaced file
    /// keeps its permission bits (a 0644 `~/.aws/config` stays 0644; a
    /// new file is 0600), and a read-only one (no write bit) is refused.
    pub fn write_with(
        &self,
        fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    ) -> io::Result<()> {
        match &self.target {
            Target::Replace(real) => replace(real, Mode::Kept, fill),
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
    let file = os_file::in_place_options(path.starts_with("/proc")).open(path)?;
    let mut out = io::BufWriter::with_capacity(64 * 1024, file);
    fill(&mut out)?;
    out.flush()
}

/// Replaces `target` (resolved under [`resolve`]'s rules) with `contents`:
/// the bytes go to a 0600 temp file in the same directory, are fsynced, and
/// the temp file is renamed over the target, so a crash leaves the old file
/// or the new one. For ssocred's own files (caches, state): the result is
/// 0600 whatever the replaced file's mode was; a user's file is written
/// through [`TargetFile`], which keeps its mode. Missing directories are
/// created 0700. A target that is not a regular file is refused. The caller holds the lock of the resolved
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
        Target::Replace(real) => replace(&real, Mode::Private, fill),
        Target::InPlace(path) => Err(refusal(format!("{} is not a regular file", path.display()))),
    }
}

/// The metadata of the regular file `target` replaces, whose mode the new
/// file keeps, or `None` when there is none yet. A read-only file (no write
/// bit) is refused: the user protected it, and renaming over it would
/// overrule that.
fn replaced_file(target: &Path) -> io::Result<Option<Metadata>> {
    let meta = match std::fs::symlink_metadata(target) {
        Ok(meta) if meta.is_file() => meta,
        Ok(_) => return Ok(None),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    if meta.permissions().readonly() {
        return Err(refusal(format!(
            "{} is read-only; make it writable (chmod u+w) for ssocred to update it",
            target.display()
        )));
    }
    Ok(Some(meta))
}

/// The mode a file gets when it is replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// 0600, whatever the replaced file had: ssocred's own files (caches,
    /// state), which only ssocred and the AWS tools read.
    Private,
    /// The replaced file's permission bits, and a read-only file refused:
    /// a file of the user's, written by a sink or `init`. A new one is 0600.
    Kept,
}

fn replace(
    target: &Path,
    mode: Mode,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    create_private_dir(&dir)?;
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let replaced = match mode {
        Mode::Private => None,
        Mode::Kept => replaced_file(target)?,
    };
    let to = To {
        dir: &dir,
        name: &name,
        target,
        replaced: replaced.as_ref(),
    };
    match os_file::unnamed_temp(&dir) {
        Some(file) => replace_through_unnamed(file, &to, fill)?,
        None => replace_through_named(&to, fill)?,
    }
    // Make the rename itself durable.
    os_file::sync_dir(&dir)?;
    sweep_stale_temps(&dir, &name);
    Ok(())
}

/// The fallback, and the method where no unnamed temp file can be made: a
/// named 0600 temp file, filled, fsynced and renamed over `target`. A writer
/// killed meanwhile leaves the temp file, which [`sweep_stale_temps`]
/// removes later.
fn replace_through_named(
    to: &To<'_>,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let mut temp = named_temp(to.dir, to.name)?;
    {
        let mut out = io::BufWriter::with_capacity(64 * 1024, temp.as_file_mut());
        fill(&mut out)?;
        out.flush()?;
    }
    to.keep_mode(temp.as_file())?;
    temp.as_file().sync_all()?;
    persist(temp, to.target)
}

/// Where a temp file goes: its directory, the target's name and path, and
/// the file it replaces, if any.
struct To<'a> {
    dir: &'a Path,
    name: &'a str,
    target: &'a Path,
    replaced: Option<&'a Metadata>,
}

impl To<'_> {
    /// Gives the filled temp `file` the mode of the file it replaces (the
    /// user's choice, such as a 0644 `~/.aws/config`); a new file stays
    /// 0600.
    fn keep_mode(&self, file: &File) -> io::Result<()> {
        match self.replaced {
            Some(meta) => os_file::keep_mode(file, meta),
            None => Ok(()),
        }
    }
}

/// Renames the named temp file over `target` ([`os_file::rename_over`]:
/// retried on Windows while another process holds `target` open); on
/// failure the temp file is removed.
fn persist(temp: tempfile::NamedTempFile, target: &Path) -> io::Result<()> {
    // Kept first: on Windows this also clears the temp-file attribute,
    // which the target would otherwise inherit.
    let path = temp.into_temp_path().keep().map_err(|e| e.error)?;
    os_file::rename_over(&path, target).inspect_err(|_| {
        let _ = std::fs::remove_file(&path);
    })
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
    to: &To<'_>,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let (dir, name, target) = (to.dir, to.name, to.target);
    {
        let mut out = io::BufWriter::with_capacity(64 * 1024, &mut file);
        fill(&mut out)?;
        out.flush()?;
    }
    to.keep_mode(&file)?;
    file.sync_all()?;
    let linked = loop {
        let candidate = dir.join(format!(
            "{}{}{TEMP_SUFFIX}",
            temp_prefix(name),
            random_name_part()?
        ));
        match os_file::link_unnamed(&file, &candidate) {
            Ok(()) => break Some(candidate),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(_) => break None,
        }
    };
    let Some(linked) = linked else {
        let mut temp = named_temp(dir, name)?;
        io::Seek::seek(&mut file, io::SeekFrom::Start(0))?;
        io::copy(&mut file, temp.as_file_mut())?;
        to.keep_mode(temp.as_file())?;
        temp.as_file().sync_all()?;
        return persist(temp, target);
    };
    os_file::rename_over(&linked, target).inspect_err(|_| {
        let _ = std::fs::remove_file(&linked);
    })
}

/// Whether a writer killed while writing a file in `dir` leaves no temp
/// file behind: true where an unnamed temp file can be made there (Linux,
/// on filesystems with `O_TMPFILE`); elsewhere a killed writer leaves a
/// 0600 temp file that a later write removes once it is
/// [`STALE_TEMP_AGE`] old.
pub fn kill_leaves_no_temp_file(dir: &Path) -> bool {
    os_file::unnamed_temp(dir).is_some()
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
        let mine = meta.is_file() && os_file::owned_by_me(&meta);
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
mod tests;
