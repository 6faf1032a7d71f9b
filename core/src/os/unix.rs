//! The platform layer on Linux and macOS (and the other Unix systems).

/// File safety: private modes, owners, special files, the sticky-directory
/// rule, open options, unnamed temp files and atomic replace.
pub mod file {
    use std::fs::{DirBuilder, File, FileType, Metadata, OpenOptions};
    use std::io;
    use std::os::unix::fs::{DirBuilderExt, FileTypeExt, MetadataExt, OpenOptionsExt};
    use std::path::Path;

    use rustix::fs::OFlags;

    /// The permission bits of every secret file ssocred creates.
    pub const PRIVATE_FILE_MODE: Option<u32> = Some(0o600);
    /// The permission bits of every directory ssocred creates.
    pub const PRIVATE_DIR_MODE: Option<u32> = Some(0o700);

    /// What a directory entry is, as far as writing it is concerned.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Kind {
        /// A regular file.
        File,
        /// A directory.
        Dir,
        /// A symbolic link (from `symlink_metadata`).
        Symlink,
        /// A named pipe.
        Fifo,
        /// A character device (`/dev/null`, a terminal).
        CharDevice,
        /// A block device.
        BlockDevice,
        /// A Unix socket.
        Socket,
    }

    /// The kind of `kind`.
    pub fn kind(kind: &FileType) -> Kind {
        if kind.is_file() {
            Kind::File
        } else if kind.is_dir() {
            Kind::Dir
        } else if kind.is_symlink() {
            Kind::Symlink
        } else if kind.is_fifo() {
            Kind::Fifo
        } else if kind.is_char_device() {
            Kind::CharDevice
        } else if kind.is_block_device() {
            Kind::BlockDevice
        } else {
            Kind::Socket
        }
    }

    /// The permission bits (`rwx` for user, group and others) of `meta`;
    /// `None` where the system has none.
    pub fn mode_bits(meta: &Metadata) -> Option<u32> {
        Some(meta.mode() & 0o777)
    }

    /// An error that refuses a target, with the reason.
    pub(crate) fn refusal(message: String) -> io::Error {
        io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("refused: {message}"),
        )
    }

    const WORLD_WRITABLE: u32 = 0o002;
    const STICKY: u32 = 0o1000;

    /// Refuses a directory any user may rename entries in: world-writable
    /// without the sticky bit.
    pub fn check_dir(dir: &Path, meta: &Metadata) -> io::Result<()> {
        if meta.mode() & WORLD_WRITABLE != 0 && meta.mode() & STICKY == 0 {
            return Err(refusal(format!(
                "{} is world-writable without the sticky bit, so any user can replace what is in it; write elsewhere",
                dir.display()
            )));
        }
        Ok(())
    }

    /// Refuses a link in a world-writable sticky directory that another
    /// user may have planted: one owned by anyone but the caller, the
    /// directory's owner or root (the kernel's `protected_symlinks` rule,
    /// applied whatever the sysctl says).
    pub fn check_link(
        link: &Path,
        meta: &Metadata,
        dir: &Path,
        dir_meta: &Metadata,
    ) -> io::Result<()> {
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

    /// Whether `meta` belongs to the user running ssocred.
    pub fn owned_by_me(meta: &Metadata) -> bool {
        meta.uid() == rustix::process::geteuid().as_raw()
    }

    /// Whether `meta` belongs to the user running ssocred or to root (a
    /// file someone else planted is neither).
    pub fn owned_by_me_or_root(meta: &Metadata) -> bool {
        owned_by_me(meta) || meta.uid() == 0
    }

    /// Gives `file` the permission bits of `like` (no set-id or sticky
    /// bit): a file replacing another keeps the mode the user gave it.
    pub fn keep_mode(file: &File, like: &Metadata) -> io::Result<()> {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(like.mode() & 0o777))
    }

    /// Options that create a new file readable by its owner only (0600).
    pub fn private_new_file_options() -> OpenOptions {
        let mut options = OpenOptions::new();
        options.mode(0o600);
        options
    }

    /// Creates `dir` and its missing parents with mode 0700.
    pub fn create_private_dir(dir: &Path) -> io::Result<()> {
        DirBuilder::new().recursive(true).mode(0o700).create(dir)
    }

    /// Options for a lock file: created 0600, never through a symlink, and
    /// a planted FIFO cannot block the open.
    pub fn lock_file_options() -> OpenOptions {
        let mut options = OpenOptions::new();
        options
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .custom_flags((OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY).bits() as i32);
        options
    }

    /// Options for reading a file ssocred is about to replace: not through
    /// a symlink, and without blocking on a FIFO.
    pub fn read_no_follow_options() -> OpenOptions {
        let mut options = OpenOptions::new();
        options
            .read(true)
            .custom_flags((OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY).bits() as i32);
        options
    }

    /// Options for reading a cache file or a CA bundle: links followed, but
    /// the open never blocks (a FIFO with no writer returns at once).
    pub fn read_bounded_options() -> OpenOptions {
        let mut options = OpenOptions::new();
        options
            .read(true)
            .custom_flags((OFlags::NONBLOCK | OFlags::NOCTTY).bits() as i32);
        options
    }

    /// Options for appending to a FIFO, a device or a `/proc` file in
    /// place; a link is followed only when `follow` (the `/proc` magic
    /// links).
    pub fn in_place_options(follow: bool) -> OpenOptions {
        let mut flags = OFlags::NOCTTY;
        if !follow {
            flags |= OFlags::NOFOLLOW;
        }
        let mut options = OpenOptions::new();
        options.append(true).custom_flags(flags.bits() as i32);
        options
    }

    /// Whether `e` says the last component was a symlink under
    /// [`lock_file_options`] (`ELOOP` under `O_NOFOLLOW`).
    pub fn is_symlink_refused(e: &io::Error) -> bool {
        e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error())
    }

    /// Whether `e` is "no space left on device".
    pub fn is_disk_full(e: &io::Error) -> bool {
        e.raw_os_error() == Some(rustix::io::Errno::NOSPC.raw_os_error())
    }

    /// An unnamed 0600 file in `dir` (`O_TMPFILE`), or `None` where the
    /// filesystem or the system has none (macOS has no `O_TMPFILE`).
    #[cfg(target_os = "linux")]
    pub fn unnamed_temp(dir: &Path) -> Option<File> {
        rustix::fs::open(
            dir,
            OFlags::TMPFILE | OFlags::RDWR | OFlags::CLOEXEC,
            rustix::fs::Mode::from_raw_mode(0o600),
        )
        .ok()
        .map(File::from)
    }

    /// Links the unnamed `file` at `path`, through its `/proc/self/fd`
    /// entry (linking the descriptor itself with `AT_EMPTY_PATH` needs a
    /// capability). An existing `path` is [`io::ErrorKind::AlreadyExists`].
    #[cfg(target_os = "linux")]
    pub fn link_unnamed(file: &File, path: &Path) -> io::Result<()> {
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

    /// An unnamed temp file: none outside Linux.
    #[cfg(not(target_os = "linux"))]
    pub fn unnamed_temp(_dir: &Path) -> Option<File> {
        None
    }

    /// Linking an unnamed temp file: unsupported outside Linux.
    #[cfg(not(target_os = "linux"))]
    pub fn link_unnamed(_file: &File, _path: &Path) -> io::Result<()> {
        Err(io::Error::from(io::ErrorKind::Unsupported))
    }

    /// Renames `from` over `to` atomically (rename(2)).
    pub fn rename_over(from: &Path, to: &Path) -> io::Result<()> {
        std::fs::rename(from, to)
    }

    /// Makes a rename in `dir` durable: fsync of the directory.
    pub fn sync_dir(dir: &Path) -> io::Result<()> {
        File::open(dir)?.sync_all()
    }

    /// What identifies one version of a regular file without reading it:
    /// device, inode, size, modification and change times.
    pub fn identity(meta: &Metadata) -> Option<String> {
        meta.is_file().then(|| {
            format!(
                "{}:{}:{}:{}.{}:{}.{}",
                meta.dev(),
                meta.ino(),
                meta.size(),
                meta.mtime(),
                meta.mtime_nsec(),
                meta.ctime(),
                meta.ctime_nsec()
            )
        })
    }
}

/// The process: the non-dumpable flag, signals, a child's exit code.
pub mod process {
    use std::ffi::OsString;
    use std::future::Future;
    use std::process::{Child, ExitStatus};
    use std::thread::JoinHandle;

    use rustix::process::{Pid, Signal, kill_process};
    use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2};
    use signal_hook::iterator::exfiltrator::WithOrigin;
    use signal_hook::iterator::{Handle, SignalsInfo};
    use signal_hook::low_level::siginfo::Cause;
    use tokio::sync::oneshot;

    use crate::os::SignalError;

    /// Whether coloured text must be written through the console's own
    /// calls rather than as ANSI escapes in the text: never here.
    pub const COLOURS_NEED_CONSOLE_CALLS: bool = false;

    /// A command-line word that is not Unicode (bytes that are not UTF-8),
    /// for the tests of what refuses one.
    pub fn non_unicode_word() -> OsString {
        use std::os::unix::ffi::OsStringExt;
        OsString::from_vec(vec![b'f', 0xff])
    }

    /// Whether [`shell`] runs a line with `cmd.exe /C` (Windows) rather than
    /// `sh -c`: it decides the quoting of a `credential_process` line.
    pub const CMD_SHELL: bool = false;

    /// Keeps the secrets this process will hold out of core dumps and away
    /// from other processes of the same user (ptrace, `/proc/PID/mem`),
    /// before any is read. The kernel resets the flag on execve, so `ssocred
    /// exec`'s command keeps its own. A kernel that refuses leaves the
    /// process as it was: there is nothing better to do than go on.
    ///
    /// macOS has no such flag; `PT_DENY_ATTACH` stops debuggers but not
    /// core dumps and needs a raw ptrace call, so nothing is done there
    /// (docs/platforms.md).
    pub fn make_undumpable() {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        let _ =
            rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable);
    }

    /// A command that runs `line` through the system shell: `sh -c`.
    pub fn shell(line: &str) -> std::process::Command {
        let mut command = std::process::Command::new("sh");
        command.arg("-c").arg(line);
        command
    }

    /// Whether process `pid` still runs and may be signalled by this user:
    /// `kill(pid, 0)`, the check that works alike on Linux and macOS (no
    /// `/proc` on macOS, no pidfd outside Linux). A pid now held by another
    /// user's process counts as gone.
    pub fn alive(pid: u32) -> bool {
        i32::try_from(pid)
            .ok()
            .and_then(rustix::process::Pid::from_raw)
            .is_some_and(|pid| rustix::process::test_kill_process(pid).is_ok())
    }

    /// Starts `command`'s process, a server that outlives this one, in a
    /// process group of its own, so a Ctrl-C at the terminal that started
    /// this one does not reach it. It holds no other descriptor of this
    /// process: std opens every file and pipe close-on-exec.
    pub fn detach(command: &mut std::process::Command) {
        use std::os::unix::process::CommandExt;
        command.process_group(0);
    }

    /// A copy of this process's stderr for a child's output, so the child
    /// writes where ssocred's diagnostics go.
    pub fn stderr_for_child() -> Option<std::process::Stdio> {
        use std::os::fd::AsFd;
        let fd = std::io::stderr().as_fd().try_clone_to_owned().ok()?;
        Some(std::process::Stdio::from(fd))
    }

    /// The signals that stop a long-running mode.
    const STOPPING: [i32; 2] = [SIGINT, SIGTERM];

    /// The signals `exec` passes on: every one whose default action ends a
    /// process and that can be caught. (SIGKILL cannot be; SIGALRM, SIGPIPE
    /// and the like are about ssocred's own doings, not requests to the
    /// command.)
    const FORWARDED: [i32; 6] = [SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2];

    fn catch(signals: &[i32]) -> Result<SignalsInfo<WithOrigin>, SignalError> {
        SignalsInfo::<WithOrigin>::new(signals)
            .map_err(|e| SignalError(format!("cannot install signal handlers: {e}")))
    }

    fn name(signal: i32) -> &'static str {
        if signal == SIGINT {
            "SIGINT"
        } else {
            "SIGTERM"
        }
    }

    /// A thread reading caught signals; closed and joined on drop.
    #[derive(Debug)]
    struct Reader {
        handle: Handle,
        thread: Option<JoinHandle<()>>,
    }

    impl Drop for Reader {
        fn drop(&mut self) {
            self.handle.close();
            if let Some(thread) = self.thread.take() {
                let _ = thread.join();
            }
        }
    }

    /// SIGINT and SIGTERM turned into a request to stop, so that a
    /// long-running mode ends between two deliveries (never in the middle of
    /// a write).
    #[derive(Debug)]
    pub struct StopSignal {
        received: Option<oneshot::Receiver<i32>>,
        _reader: Reader,
    }

    impl StopSignal {
        /// Catches SIGINT and SIGTERM from now on.
        pub fn install() -> Result<StopSignal, SignalError> {
            let mut signals = catch(&STOPPING)?;
            let handle = signals.handle();
            let (tx, rx) = oneshot::channel();
            let thread = std::thread::spawn(move || {
                let mut tx = Some(tx);
                // Later signals are still caught (and ignored): the stop is
                // already under way.
                for origin in signals.forever() {
                    if let Some(tx) = tx.take() {
                        let _ = tx.send(origin.signal);
                    }
                }
            });
            Ok(StopSignal {
                received: Some(rx),
                _reader: Reader {
                    handle,
                    thread: Some(thread),
                },
            })
        }

        /// Resolves when the first signal arrives, with its name
        /// (`SIGINT`); never when no signal can come any more.
        pub fn received(&mut self) -> impl Future<Output = &'static str> + use<> {
            let received = self.received.take();
            async move {
                let Some(received) = received else {
                    return std::future::pending().await;
                };
                match received.await {
                    Ok(signal) => name(signal),
                    // The reader ended without a signal: never stop for that.
                    Err(_) => std::future::pending().await,
                }
            }
        }
    }

    /// SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1 and SIGUSR2 caught before a
    /// child is spawned, so none is lost between the spawn and the start of
    /// forwarding, and none ends ssocred while the child runs on.
    #[derive(Debug)]
    pub struct Caught(SignalsInfo<WithOrigin>);

    impl Caught {
        /// Catches the forwarded signals from now on.
        pub fn install() -> Result<Caught, SignalError> {
            catch(&FORWARDED).map(Caught)
        }

        /// Forwards every caught signal to `child` until the returned
        /// forwarder is dropped.
        ///
        /// A signal the kernel sent (Ctrl-C or Ctrl-\ at the terminal, or
        /// the SIGHUP of a terminal hanging up) is not forwarded: the kernel
        /// signals the whole foreground process group, the child included,
        /// and a second copy would make many programs skip their graceful
        /// shutdown. Whatever a process sent with kill(2) reached ssocred
        /// alone and is passed on.
        pub fn forward_to(self, child: &Child) -> Forwarder {
            let child = Pid::from_child(child);
            let mut signals = self.0;
            let handle = signals.handle();
            let thread = std::thread::spawn(move || {
                for origin in signals.forever() {
                    if origin.cause == Cause::Kernel {
                        continue;
                    }
                    if let Some(signal) = Signal::from_named_raw(origin.signal) {
                        // Fails only when the child is already gone.
                        let _ = kill_process(child, signal);
                    }
                }
            });
            Forwarder(Reader {
                handle,
                thread: Some(thread),
            })
        }
    }

    /// Forwarding in progress; stops on drop.
    #[derive(Debug)]
    pub struct Forwarder(Reader);

    impl Forwarder {
        /// Stops forwarding.
        pub fn stop(self) {
            drop(self.0);
        }
    }

    /// The child's exit code, or 128 + the signal that killed it, as shells
    /// report it.
    pub fn exit_code(status: ExitStatus) -> u8 {
        use std::os::unix::process::ExitStatusExt;
        match (status.code(), status.signal()) {
            (Some(code), _) => u8::try_from(code & 0xff).unwrap_or(1),
            (None, Some(signal)) => u8::try_from(128 + signal).unwrap_or(255),
            (None, None) => 1,
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use std::os::unix::process::ExitStatusExt;

        #[test]
        fn exit_codes_follow_the_shell() {
            assert_eq!(exit_code(ExitStatus::from_raw(7 << 8)), 7);
            assert_eq!(exit_code(ExitStatus::from_raw(0)), 0);
            assert_eq!(exit_code(ExitStatus::from_raw(15)), 143);
            assert_eq!(exit_code(ExitStatus::from_raw(9)), 137);
        }
    }
}

/// What the binary's entry point does before anything else, in place of
/// the standard library's start-up (cli/src/main.rs says why ssocred has an
/// entry point of its own).
pub mod start {
    use std::ffi::{CStr, OsString, c_char, c_int};
    use std::os::fd::{IntoRawFd, RawFd};
    use std::os::unix::ffi::OsStringExt;
    use std::sync::atomic::AtomicBool;
    use std::sync::{Arc, OnceLock};

    /// The command line as the C runtime handed it to `main`. Read from
    /// `argv` itself: the standard library learns it there too, in a
    /// start-up ssocred skips (only glibc shows it to the library
    /// another way).
    ///
    /// # Safety
    ///
    /// `argv` is null or holds `argc` pointers, each to a NUL-terminated
    /// string, alive for the whole call: what `main` receives.
    #[allow(unsafe_code)]
    pub unsafe fn args(argc: c_int, argv: *const *const c_char) -> Vec<OsString> {
        if argv.is_null() {
            return Vec::new();
        }
        let count = usize::try_from(argc).unwrap_or(0);
        let mut words = Vec::with_capacity(count);
        for i in 0..count {
            // SAFETY: `i < argc`, so `argv.add(i)` is one of the caller's
            // `argc` pointers.
            let word = unsafe { *argv.add(i) };
            if word.is_null() {
                break;
            }
            // SAFETY: the caller promises a NUL-terminated string that
            // outlives this call; its bytes are copied out at once.
            let bytes = unsafe { CStr::from_ptr(word) }.to_bytes().to_vec();
            words.push(OsString::from_vec(bytes));
        }
        if let Some(first) = words.first() {
            let _ = FIRST.set(first.clone());
        }
        words
    }

    /// The command line's first word, as [`args`] read it ([`own_path`]
    /// needs it); in a process that did not start through [`args`] (a
    /// test), the standard library's.
    ///
    /// [`own_path`]: crate::os::own_path
    pub fn argv0() -> Option<OsString> {
        FIRST.get().cloned().or_else(|| std::env::args_os().next())
    }

    static FIRST: OnceLock<OsString> = OnceLock::new();

    /// What the standard library's start-up did that ssocred relies on:
    ///
    /// - A closed standard descriptor (0, 1 or 2) is opened on `/dev/null`.
    ///   Otherwise the next file opened takes its number, and text meant
    ///   for stdout, credentials among it, lands in that file. Without
    ///   `/dev/null` the process aborts, as the standard library's does.
    /// - A write to a closed pipe fails with EPIPE rather than killing the
    ///   process (`ssocred list | head` exits 0; a closed stderr keeps the
    ///   documented exit code). The standard library ignored SIGPIPE; this
    ///   catches it with a handler that only sets a flag, which no program
    ///   `exec` starts inherits (an ignored signal would be).
    pub fn prepare() {
        for fd in 0..=2 {
            if !is_open(fd) && !opens_on_null(fd) {
                std::process::abort();
            }
        }
        let _ = signal_hook::flag::register(
            signal_hook::consts::SIGPIPE,
            Arc::new(AtomicBool::new(false)),
        );
    }

    /// Whether descriptor `fd` (0, 1 or 2) is open: `fcntl(F_GETFD)`
    /// answers EBADF for a closed one.
    fn is_open(fd: RawFd) -> bool {
        match fd {
            0 => rustix::io::fcntl_getfd(std::io::stdin()).is_ok(),
            1 => rustix::io::fcntl_getfd(std::io::stdout()).is_ok(),
            _ => rustix::io::fcntl_getfd(std::io::stderr()).is_ok(),
        }
    }

    /// Opens `/dev/null`, which takes the lowest free number: `fd`, the
    /// lowest closed one. Kept open for the whole process.
    fn opens_on_null(fd: RawFd) -> bool {
        std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/null")
            .is_ok_and(|null| null.into_raw_fd() == fd)
    }

    #[cfg(test)]
    #[allow(unsafe_code)]
    mod tests {
        use super::*;

        #[test]
        fn args_are_argv_byte_for_byte_up_to_argc() {
            let words = [c"ssocred", c"-p", c"f\xff", c"not counted"];
            let mut argv: Vec<*const c_char> = words.iter().map(|w| w.as_ptr()).collect();
            argv.push(std::ptr::null());
            // SAFETY: `argv` holds four pointers to the C strings above,
            // which outlive the calls, then a null.
            let read = unsafe { args(3, argv.as_ptr()) };
            let expected: Vec<OsString> = vec![
                "ssocred".into(),
                "-p".into(),
                OsString::from_vec(vec![b'f', 0xff]),
            ];
            assert_eq!(read, expected);
            // SAFETY: a null `argv` is allowed and read as empty.
            assert!(unsafe { args(2, std::ptr::null()) }.is_empty());
        }
    }
}

/// Resource limits.
pub mod limits {
    /// The soft limit on open file descriptors, when there is one.
    pub fn open_files() -> Option<u64> {
        rustix::process::getrlimit(rustix::process::Resource::Nofile).current
    }
}

/// Installing `docker-credential-ssocred` next to ssocred: a symlink.
pub mod helper_link {
    use std::io;
    use std::path::Path;

    /// What [`install`] did.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Installed {
        /// `link` already led to the executable.
        Already,
        /// `link` was created.
        Created,
    }

    /// How the helper is made: a symbolic link.
    pub const METHOD: &str = "linked";

    /// Makes `link` a symlink to `exe`. Something else at `link` is
    /// [`io::ErrorKind::AlreadyExists`].
    pub fn install(exe: &Path, link: &Path) -> io::Result<Installed> {
        match std::fs::symlink_metadata(link) {
            Ok(meta) if meta.file_type().is_symlink() && points_to(link, exe) => {
                Ok(Installed::Already)
            }
            Ok(_) => Err(io::Error::from(io::ErrorKind::AlreadyExists)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                std::os::unix::fs::symlink(exe, link)?;
                Ok(Installed::Created)
            }
            Err(e) => Err(e),
        }
    }

    /// Whether the link at `link` resolves to `exe`.
    fn points_to(link: &Path, exe: &Path) -> bool {
        std::fs::canonicalize(link).is_ok_and(|target| target == exe)
    }
}

/// The OS credential stores tokens may be kept in (`[login] token_store`;
/// docs/security.md): on Linux the Secret Service over D-Bus (a desktop's
/// GNOME Keyring or KWallet) and the kernel keyring (keyutils, for
/// machines without a desktop); on macOS the login Keychain.
pub mod keyring {
    use std::sync::Arc;

    use keyring_core::CredentialStore;

    /// This system's stores, its default first.
    #[cfg(target_os = "linux")]
    pub const STORES: &[&str] = &["secret-service", "keyutils"];
    /// This system's stores, its default first.
    #[cfg(target_os = "macos")]
    pub const STORES: &[&str] = &["keychain"];
    /// This system's stores, its default first.
    #[cfg(not(any(target_os = "linux", target_os = "macos")))]
    pub const STORES: &[&str] = &[];

    /// Opens store `name`, one of [`STORES`].
    pub fn open(name: &str) -> Result<Arc<CredentialStore>, keyring_core::Error> {
        match name {
            #[cfg(target_os = "linux")]
            "secret-service" => Ok(dbus_secret_service_keyring_store::Store::new()?),
            #[cfg(target_os = "linux")]
            "keyutils" => Ok(linux_keyutils_keyring_store::Store::new()?),
            #[cfg(target_os = "macos")]
            "keychain" => Ok(apple_native_keyring_store::keychain::Store::new()?),
            other => Err(keyring_core::Error::Invalid(
                "store".to_owned(),
                format!("no store `{other}` on this system"),
            )),
        }
    }
}

/// Opening a URL in the desktop's browser.
pub mod browser {
    /// The command that opens a URL given as its last argument: `open` on
    /// macOS, `xdg-open` elsewhere.
    pub const DEFAULT_OPENER: &str = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };

    /// Whether a desktop session can show a browser without an X11 or
    /// Wayland display being named: on macOS, always.
    pub const DISPLAY_WITHOUT_VARIABLES: bool = cfg!(target_os = "macos");
}

/// Where ssocred's and the AWS tools' files live.
pub mod paths {
    use std::path::PathBuf;

    /// The variables that name the home directory, in order.
    pub const HOME_VARIABLES: &[&str] = &["HOME"];

    /// The base of ssocred's config directory: `$XDG_CONFIG_HOME` when
    /// absolute, else `~/.config`.
    pub fn config_base(var: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
        match var("XDG_CONFIG_HOME").filter(|p| std::path::Path::new(p).is_absolute()) {
            Some(xdg) => Some(PathBuf::from(xdg)),
            None => Some(PathBuf::from(var("HOME").filter(|h| !h.is_empty())?).join(".config")),
        }
    }

    /// The base of ssocred's cache directory: `$XDG_CACHE_HOME` when
    /// absolute, else `~/.cache`.
    pub fn cache_base(var: &dyn Fn(&str) -> Option<String>, home: &std::path::Path) -> PathBuf {
        match var("XDG_CACHE_HOME").filter(|v| v.starts_with('/')) {
            Some(dir) => PathBuf::from(dir),
            None => home.join(".cache"),
        }
    }

    /// ssocred's state directory: `$XDG_STATE_HOME/ssocred` when absolute,
    /// else `~/.local/state/ssocred`.
    pub fn state_dir(var: &dyn Fn(&str) -> Option<String>, home: &std::path::Path) -> PathBuf {
        match var("XDG_STATE_HOME").filter(|v| v.starts_with('/')) {
            Some(dir) => PathBuf::from(dir).join("ssocred"),
            None => home.join(".local").join("state").join("ssocred"),
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn env(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
            move |k| {
                vars.iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        }

        #[test]
        fn config_and_cache_follow_xdg_else_home() {
            let home = env(&[("HOME", "/h")]);
            assert_eq!(config_base(&home), Some(PathBuf::from("/h/.config")));
            let xdg = env(&[("HOME", "/h"), ("XDG_CONFIG_HOME", "/x")]);
            assert_eq!(config_base(&xdg), Some(PathBuf::from("/x")));
            let relative = env(&[("HOME", "/h"), ("XDG_CONFIG_HOME", "rel")]);
            assert_eq!(config_base(&relative), Some(PathBuf::from("/h/.config")));
            assert_eq!(config_base(&env(&[])), None);
            let h = std::path::Path::new("/h");
            assert_eq!(cache_base(&home, h), PathBuf::from("/h/.cache"));
            let xdg = env(&[("XDG_CACHE_HOME", "/c")]);
            assert_eq!(cache_base(&xdg, h), PathBuf::from("/c"));
            assert_eq!(
                state_dir(&home, h),
                PathBuf::from("/h/.local/state/ssocred")
            );
            let xdg = env(&[("XDG_STATE_HOME", "/x")]);
            assert_eq!(state_dir(&xdg, h), PathBuf::from("/x/ssocred"));
            let relative = env(&[("XDG_STATE_HOME", "rel")]);
            assert_eq!(
                state_dir(&relative, h),
                PathBuf::from("/h/.local/state/ssocred")
            );
        }
    }
}
