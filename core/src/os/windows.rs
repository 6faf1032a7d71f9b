//! The platform layer on Windows. Unsafe code is allowed in this module
//! alone, for calls into the Windows API (windows-sys); each block says why
//! it is sound.

/// Encodes `path` as a NUL-terminated wide string for the Windows API.
fn wide(path: &std::path::Path) -> Vec<u16> {
    use std::os::windows::ffi::OsStrExt;
    path.as_os_str()
        .encode_wide()
        .chain(std::iter::once(0))
        .collect()
}

/// File safety: no modes and no world-writable directories on Windows; a
/// file created in the user's profile inherits its private ACL. Atomic
/// replace is `MoveFileExW` with write-through, retried while another
/// process holds the target open.
pub mod file {
    use std::fs::{File, FileType, Metadata, OpenOptions};
    use std::io;
    use std::os::windows::fs::OpenOptionsExt;
    use std::path::Path;
    use std::time::{Duration, Instant};

    use windows_sys::Win32::Storage::FileSystem::{
        FILE_FLAG_OPEN_REPARSE_POINT, MOVEFILE_REPLACE_EXISTING, MOVEFILE_WRITE_THROUGH,
        MoveFileExW,
    };

    /// No permission bits on Windows: files inherit their directory's ACL.
    pub const PRIVATE_FILE_MODE: Option<u32> = None;
    /// No permission bits on Windows: directories inherit their parent's ACL.
    pub const PRIVATE_DIR_MODE: Option<u32> = None;

    /// What a directory entry is, as far as writing it is concerned.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Kind {
        /// A regular file.
        File,
        /// A directory.
        Dir,
        /// A symbolic link (from `symlink_metadata`).
        Symlink,
        /// Never seen on Windows (kept so every system has the same kinds).
        Fifo,
        /// A device such as `NUL`.
        CharDevice,
        /// Never seen on Windows.
        BlockDevice,
        /// Never seen on Windows.
        Socket,
    }

    /// The kind of `kind`; anything but a file, directory or link is taken
    /// for a device, written in place.
    pub fn kind(kind: &FileType) -> Kind {
        if kind.is_file() {
            Kind::File
        } else if kind.is_dir() {
            Kind::Dir
        } else if kind.is_symlink() {
            Kind::Symlink
        } else {
            Kind::CharDevice
        }
    }

    /// No permission bits on Windows.
    pub fn mode_bits(_meta: &Metadata) -> Option<u32> {
        None
    }

    /// An error that refuses a target, with the reason.
    pub(crate) fn refusal(message: String) -> io::Error {
        io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("refused: {message}"),
        )
    }

    /// The sticky-directory rule has no counterpart: Windows directories
    /// have ACLs, and the user's profile is private by default.
    pub fn check_dir(_dir: &Path, _meta: &Metadata) -> io::Result<()> {
        Ok(())
    }

    /// See [`check_dir`]: links are followed as the user made them.
    pub fn check_link(
        _link: &Path,
        _meta: &Metadata,
        _dir: &Path,
        _dir_meta: &Metadata,
    ) -> io::Result<()> {
        Ok(())
    }

    /// Owners are not compared on Windows (the profile is private).
    pub fn owned_by_me(_meta: &Metadata) -> bool {
        true
    }

    /// Files carry ACLs, not owners that ssocred checks: every file counts
    /// as the user's (docs/platforms.md).
    pub fn owned_by_me_or_root(_meta: &Metadata) -> bool {
        true
    }

    /// Nothing to keep: a file has no permission bits, and the replacing
    /// file inherits the ACL of the directory it is made in, as the
    /// replaced one did (a read-only file is refused before).
    pub fn keep_mode(_file: &File, _like: &Metadata) -> io::Result<()> {
        Ok(())
    }

    /// Options that create a new file; it inherits the private ACL of the
    /// user's profile directory it is made in.
    pub fn private_new_file_options() -> OpenOptions {
        OpenOptions::new()
    }

    /// Creates `dir` and its missing parents; they inherit the ACL of the
    /// directory they are made in.
    pub fn create_private_dir(dir: &Path) -> io::Result<()> {
        std::fs::create_dir_all(dir)
    }

    /// Options for a lock file: a link is opened as itself (and then
    /// refused, not being a regular file).
    pub fn lock_file_options() -> OpenOptions {
        let mut options = OpenOptions::new();
        options
            .create(true)
            .truncate(false)
            .write(true)
            .custom_flags(FILE_FLAG_OPEN_REPARSE_POINT);
        options
    }

    /// Options for reading a file ssocred is about to replace: a link is
    /// opened as itself.
    pub fn read_no_follow_options() -> OpenOptions {
        let mut options = OpenOptions::new();
        options
            .read(true)
            .custom_flags(FILE_FLAG_OPEN_REPARSE_POINT);
        options
    }

    /// Options for reading a cache file or a CA bundle (std shares reading,
    /// writing and deleting, so a reader never blocks a replace).
    pub fn read_bounded_options() -> OpenOptions {
        let mut options = OpenOptions::new();
        options.read(true);
        options
    }

    /// Options for appending to a device in place.
    pub fn in_place_options(_follow: bool) -> OpenOptions {
        let mut options = OpenOptions::new();
        options.append(true);
        options
    }

    /// Lock files are never refused as links on Windows by the open itself.
    pub fn is_symlink_refused(_e: &io::Error) -> bool {
        false
    }

    /// Whether `e` is "disk full" (`ERROR_HANDLE_DISK_FULL`,
    /// `ERROR_DISK_FULL`).
    pub fn is_disk_full(e: &io::Error) -> bool {
        matches!(e.raw_os_error(), Some(39 | 112))
    }

    /// No unnamed temp files on Windows.
    pub fn unnamed_temp(_dir: &Path) -> Option<File> {
        None
    }

    /// Linking an unnamed temp file: unsupported on Windows.
    pub fn link_unnamed(_file: &File, _path: &Path) -> io::Result<()> {
        Err(io::Error::from(io::ErrorKind::Unsupported))
    }

    /// How long a replace is retried while another process holds the target
    /// open without `FILE_SHARE_DELETE` (a reader, a virus scanner).
    const REPLACE_RETRY: Duration = Duration::from_secs(2);

    /// Moves `from` over `to` with `MoveFileExW(MOVEFILE_REPLACE_EXISTING |
    /// MOVEFILE_WRITE_THROUGH)`: atomic on NTFS, durable when it returns.
    /// "Access denied" and sharing violations, which another process holding
    /// `to` open causes, are retried for up to two seconds.
    pub fn rename_over(from: &Path, to: &Path) -> io::Result<()> {
        let from_w = super::wide(from);
        let to_w = super::wide(to);
        let start = Instant::now();
        loop {
            // SAFETY: both pointers are NUL-terminated wide strings that
            // live until the call returns; MoveFileExW only reads them.
            let moved = unsafe {
                MoveFileExW(
                    from_w.as_ptr(),
                    to_w.as_ptr(),
                    MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH,
                )
            };
            if moved != 0 {
                return Ok(());
            }
            let e = io::Error::last_os_error();
            // 5: ERROR_ACCESS_DENIED, 32: ERROR_SHARING_VIOLATION.
            let busy = matches!(e.raw_os_error(), Some(5 | 32));
            if !busy || start.elapsed() >= REPLACE_RETRY {
                return Err(e);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Nothing to do: `MOVEFILE_WRITE_THROUGH` returns once the move is on
    /// disk, and a directory cannot be fsynced through std.
    pub fn sync_dir(_dir: &Path) -> io::Result<()> {
        Ok(())
    }

    /// What identifies one version of a regular file without reading it:
    /// size, modification and creation times.
    pub fn identity(meta: &Metadata) -> Option<String> {
        let nanos = |t: io::Result<std::time::SystemTime>| {
            t.ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos())
        };
        meta.is_file().then(|| {
            format!(
                "{}:{}:{}",
                meta.len(),
                nanos(meta.modified()),
                nanos(meta.created())
            )
        })
    }
}

/// The process: Ctrl-C and Ctrl-Break, a Job Object for `exec`'s child,
/// exit codes.
pub mod process {
    use std::ffi::OsString;
    use std::future::Future;
    use std::os::windows::io::AsRawHandle;
    use std::process::{Child, ExitStatus};
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicBool, Ordering};

    use tokio::sync::oneshot;
    use windows_sys::Win32::Foundation::{CloseHandle, FALSE, HANDLE, TRUE};
    use windows_sys::Win32::System::Console::{
        CTRL_BREAK_EVENT, CTRL_C_EVENT, SetConsoleCtrlHandler,
    };
    use windows_sys::Win32::System::JobObjects::{
        AssignProcessToJobObject, CreateJobObjectW, JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE,
        JOBOBJECT_EXTENDED_LIMIT_INFORMATION, JobObjectExtendedLimitInformation,
        SetInformationJobObject,
    };

    use crate::os::SignalError;

    /// Whether coloured text must be written through the console's own
    /// calls rather than as ANSI escapes in the text: a console of an older
    /// Windows knows no escapes.
    pub const COLOURS_NEED_CONSOLE_CALLS: bool = true;

    /// A command-line word that is not Unicode (an unpaired surrogate),
    /// for the tests of what refuses one.
    pub fn non_unicode_word() -> OsString {
        use std::os::windows::ffi::OsStringExt;
        OsString::from_wide(&[u16::from(b'f'), 0xd800])
    }

    /// Whether [`shell`] runs a line with `cmd.exe /C` (Windows) rather than
    /// `sh -c`: it decides the quoting of a `credential_process` line.
    pub const CMD_SHELL: bool = true;

    /// Whether process `pid` still runs: it can be opened and has no exit
    /// code yet.
    pub fn alive(pid: u32) -> bool {
        use windows_sys::Win32::Foundation::STILL_ACTIVE;
        use windows_sys::Win32::System::Threading::{
            GetExitCodeProcess, OpenProcess, PROCESS_QUERY_LIMITED_INFORMATION,
        };
        // SAFETY: OpenProcess takes plain values; a null handle means failure
        // and is checked before use.
        let handle = unsafe { OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid) };
        if handle.is_null() {
            return false;
        }
        let mut code = 0u32;
        // SAFETY: `handle` is a valid process handle opened above, and
        // `code` outlives the call.
        let queried = unsafe { GetExitCodeProcess(handle, &mut code) };
        // SAFETY: `handle` was opened above and is closed once.
        unsafe { CloseHandle(handle) };
        queried != 0 && code == STILL_ACTIVE as u32
    }

    /// Starts `command`'s process, a server that outlives this one, in a
    /// process group of its own, so a Ctrl-C in the console that started
    /// this one does not reach it, and holding none of this process's
    /// standard handles.
    ///
    /// Windows gives a child every inheritable handle of its parent, and
    /// the standard handles of a process whose output is captured are
    /// inheritable: the server would hold the pipe of the shell that
    /// captures `ssocred use`'s output, and the shell would wait for the
    /// server to end. So this process's own standard handles are made
    /// non-inheritable first. Children still get them where asked: std
    /// passes a child an inheritable duplicate for `Stdio::inherit`.
    pub fn detach(command: &mut std::process::Command) {
        use std::os::windows::process::CommandExt;
        use windows_sys::Win32::Foundation::{
            HANDLE_FLAG_INHERIT, INVALID_HANDLE_VALUE, SetHandleInformation,
        };
        use windows_sys::Win32::System::Console::{
            GetStdHandle, STD_ERROR_HANDLE, STD_INPUT_HANDLE, STD_OUTPUT_HANDLE,
        };
        use windows_sys::Win32::System::Threading::CREATE_NEW_PROCESS_GROUP;
        for id in [STD_INPUT_HANDLE, STD_OUTPUT_HANDLE, STD_ERROR_HANDLE] {
            // SAFETY: GetStdHandle takes a constant and returns a handle
            // value, null or INVALID_HANDLE_VALUE when there is none.
            let handle = unsafe { GetStdHandle(id) };
            if handle.is_null() || handle == INVALID_HANDLE_VALUE {
                continue;
            }
            // SAFETY: `handle` is this process's standard handle, open for
            // the life of the process; only its inherit flag is changed,
            // and a failure (a console pseudo-handle) changes nothing.
            unsafe { SetHandleInformation(handle, HANDLE_FLAG_INHERIT, 0) };
        }
        command.creation_flags(CREATE_NEW_PROCESS_GROUP);
    }

    /// Windows has no counterpart of the non-dumpable flag: processes of
    /// the same user may read each other's memory (docs/platforms.md).
    pub fn make_undumpable() {}

    /// A command that runs `line` through the system shell, as if typed
    /// at its prompt: `cmd /S /C "LINE"`. `cmd` reads its own command line
    /// raw, so the line is passed raw too: quoted by the C runtime's rules
    /// (as std quotes an argument), every `"` in it would reach `cmd` as
    /// `\"`. With `/S`, `cmd` removes just the outer pair of quotes.
    pub fn shell(line: &str) -> std::process::Command {
        use std::os::windows::process::CommandExt;
        let mut command = std::process::Command::new("cmd");
        command.raw_arg("/S /C").raw_arg(format!("\"{line}\""));
        command
    }

    /// A copy of this process's stderr handle for a child's output, so the
    /// child writes where ssocred's diagnostics go.
    pub fn stderr_for_child() -> Option<std::process::Stdio> {
        use std::os::windows::io::AsHandle;
        let handle = std::io::stderr().as_handle().try_clone_to_owned().ok()?;
        Some(std::process::Stdio::from(handle))
    }

    /// Where the first Ctrl-C or Ctrl-Break of a long-running mode goes.
    static STOP: Mutex<Option<oneshot::Sender<&'static str>>> = Mutex::new(None);
    /// Whether `exec` runs a child, which receives the console's Ctrl-C
    /// itself: ssocred then waits for it instead of stopping.
    static CHILD_RUNS: AtomicBool = AtomicBool::new(false);

    unsafe extern "system" fn on_console_event(kind: u32) -> windows_sys::core::BOOL {
        let name = match kind {
            CTRL_C_EVENT => "Ctrl-C",
            CTRL_BREAK_EVENT => "Ctrl-Break",
            // Closing the console or logging off: the default handling.
            _ => return FALSE,
        };
        if !CHILD_RUNS.load(Ordering::SeqCst)
            && let Some(tx) = STOP.lock().ok().and_then(|mut s| s.take())
        {
            let _ = tx.send(name);
        }
        TRUE
    }

    fn install_handler() -> Result<(), SignalError> {
        // SAFETY: the handler is a plain function that only touches statics
        // and is valid for the life of the process.
        let added = unsafe { SetConsoleCtrlHandler(Some(on_console_event), TRUE) };
        if added == 0 {
            return Err(SignalError(format!(
                "cannot handle Ctrl-C: {}",
                std::io::Error::last_os_error()
            )));
        }
        Ok(())
    }

    /// Ctrl-C and Ctrl-Break turned into a request to stop, so that a
    /// long-running mode ends between two deliveries.
    #[derive(Debug)]
    pub struct StopSignal {
        received: Option<oneshot::Receiver<&'static str>>,
    }

    impl StopSignal {
        /// Catches Ctrl-C and Ctrl-Break from now on.
        pub fn install() -> Result<StopSignal, SignalError> {
            let (tx, rx) = oneshot::channel();
            *STOP
                .lock()
                .map_err(|_| SignalError("the stop signal lock is poisoned".into()))? = Some(tx);
            install_handler()?;
            Ok(StopSignal { received: Some(rx) })
        }

        /// Resolves when the first Ctrl-C or Ctrl-Break arrives, with its
        /// name; never when none can come any more.
        pub fn received(&mut self) -> impl Future<Output = &'static str> + use<> {
            let received = self.received.take();
            async move {
                let Some(received) = received else {
                    return std::future::pending().await;
                };
                match received.await {
                    Ok(name) => name,
                    Err(_) => std::future::pending().await,
                }
            }
        }
    }

    /// Ctrl-C and Ctrl-Break held off before `exec` spawns its child: the
    /// child shares the console and receives them itself, and ssocred waits
    /// for its exit code.
    #[derive(Debug)]
    pub struct Caught(());

    impl Caught {
        /// Stops Ctrl-C and Ctrl-Break from ending ssocred from now on.
        pub fn install() -> Result<Caught, SignalError> {
            CHILD_RUNS.store(true, Ordering::SeqCst);
            install_handler()?;
            Ok(Caught(()))
        }

        /// Puts `child` in a Job Object that kills it when ssocred's handle
        /// closes, so the child ends with ssocred however ssocred ends. Best
        /// effort: without the job the child still runs.
        pub fn forward_to(self, child: &Child) -> Forwarder {
            Forwarder(job_for(child))
        }
    }

    /// A Job Object handle.
    #[derive(Debug)]
    struct Job(HANDLE);

    // SAFETY: a kernel handle may be used and closed from any thread.
    unsafe impl Send for Job {}

    impl Drop for Job {
        fn drop(&mut self) {
            // SAFETY: the handle came from CreateJobObjectW and is closed
            // once, here.
            unsafe { CloseHandle(self.0) };
        }
    }

    fn job_for(child: &Child) -> Option<Job> {
        // SAFETY: no security attributes and no name: both may be null.
        let handle = unsafe { CreateJobObjectW(std::ptr::null(), std::ptr::null()) };
        if handle.is_null() {
            return None;
        }
        let job = Job(handle);
        // SAFETY: an all-zero JOBOBJECT_EXTENDED_LIMIT_INFORMATION is a valid
        // value (plain integers).
        let mut limits: JOBOBJECT_EXTENDED_LIMIT_INFORMATION = unsafe { std::mem::zeroed() };
        limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
        // SAFETY: the pointer and the size describe `limits`, which outlives
        // the call; the job handle is valid.
        let set = unsafe {
            SetInformationJobObject(
                job.0,
                JobObjectExtendedLimitInformation,
                (&raw const limits).cast(),
                u32::try_from(size_of::<JOBOBJECT_EXTENDED_LIMIT_INFORMATION>()).ok()?,
            )
        };
        if set == 0 {
            return None;
        }
        // SAFETY: both handles are valid: the job's, and the child's process
        // handle, owned by `child`, which outlives the call.
        let assigned = unsafe { AssignProcessToJobObject(job.0, child.as_raw_handle()) };
        (assigned != 0).then_some(job)
    }

    /// The child's Job Object while it runs.
    #[derive(Debug)]
    pub struct Forwarder(Option<Job>);

    impl Forwarder {
        /// Closes the job (the child has ended) and lets Ctrl-C stop
        /// ssocred again.
        pub fn stop(self) {
            drop(self.0);
            CHILD_RUNS.store(false, Ordering::SeqCst);
        }
    }

    /// NTSTATUS of a process ended by Ctrl-C.
    const STATUS_CONTROL_C_EXIT: u32 = 0xC000_013A;

    /// The child's exit code: itself when it fits a byte; 130 (as shells
    /// report SIGINT) for a child ended by Ctrl-C; 255 for any other larger
    /// code, such as a crash's NTSTATUS.
    pub fn exit_code(status: ExitStatus) -> u8 {
        match status.code() {
            Some(code) if (0..=255).contains(&code) => u8::try_from(code).unwrap_or(255),
            Some(code) if code as u32 == STATUS_CONTROL_C_EXIT => 130,
            _ => 255,
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use std::os::windows::process::ExitStatusExt;

        #[test]
        fn exit_codes_fit_a_byte() {
            assert_eq!(exit_code(ExitStatus::from_raw(7)), 7);
            assert_eq!(exit_code(ExitStatus::from_raw(0)), 0);
            assert_eq!(exit_code(ExitStatus::from_raw(STATUS_CONTROL_C_EXIT)), 130);
            assert_eq!(exit_code(ExitStatus::from_raw(0xC000_0005)), 255);
        }
    }
}

/// What the binary's entry point does before anything else, in place of
/// the standard library's start-up (cli/src/main.rs says why ssocred has an
/// entry point of its own).
pub mod start {
    use std::ffi::{OsString, c_char, c_int};

    /// The command line as Windows keeps it (UTF-16, `GetCommandLineW`):
    /// the C runtime's `argv` is in the ANSI code page and loses what that
    /// cannot encode.
    ///
    /// # Safety
    ///
    /// Nothing is asked of the caller here; the Unix version reads `argv`,
    /// and the signature is the same on every system.
    pub unsafe fn args(_argc: c_int, _argv: *const *const c_char) -> Vec<OsString> {
        std::env::args_os().collect()
    }

    /// The command line's first word ([`own_path`] needs it).
    ///
    /// [`own_path`]: crate::os::own_path
    pub fn argv0() -> Option<OsString> {
        std::env::args_os().next()
    }

    /// Nothing: of the standard library's start-up, ssocred relies on no
    /// part on Windows (there is no SIGPIPE, and a missing standard handle
    /// is not handed to the next file opened).
    pub fn prepare() {}
}

/// Resource limits: Windows has no per-process limit on open handles that
/// serve's connections could reach.
pub mod limits {
    /// None on Windows.
    pub fn open_files() -> Option<u64> {
        None
    }
}

/// Installing `docker-credential-ssocred.exe` next to ssocred: a hard link,
/// or a copy where a hard link cannot be made (another volume). Symbolic
/// links need a privilege most users lack.
pub mod helper_link {
    use std::io;
    use std::path::Path;

    /// What [`install`] did.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Installed {
        /// `link` already was this executable.
        Already,
        /// `link` was created.
        Created,
    }

    /// How the helper is made.
    pub const METHOD: &str = "hard-linked (or copied)";

    /// Makes `link` a hard link to `exe`, or a copy. Something else at
    /// `link` is [`io::ErrorKind::AlreadyExists`].
    pub fn install(exe: &Path, link: &Path) -> io::Result<Installed> {
        match std::fs::symlink_metadata(link) {
            Ok(meta) if meta.is_file() && same_bytes(exe, link) => Ok(Installed::Already),
            Ok(_) => Err(io::Error::from(io::ErrorKind::AlreadyExists)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                if std::fs::hard_link(exe, link).is_err() {
                    std::fs::copy(exe, link)?;
                }
                Ok(Installed::Created)
            }
            Err(e) => Err(e),
        }
    }

    fn same_bytes(a: &Path, b: &Path) -> bool {
        matches!((std::fs::read(a), std::fs::read(b)), (Ok(a), Ok(b)) if a == b)
    }
}

/// The OS credential store tokens may be kept in (`[login] token_store`;
/// docs/security.md): the Credential Manager (generic credentials of the
/// user, at most 2,560 bytes each: `os::secrets` splits longer values).
pub mod keyring {
    use std::sync::Arc;

    use keyring_core::CredentialStore;

    /// This system's stores, its default first.
    pub const STORES: &[&str] = &["credential-manager"];

    /// Opens store `name`, one of [`STORES`].
    pub fn open(name: &str) -> Result<Arc<CredentialStore>, keyring_core::Error> {
        match name {
            "credential-manager" => Ok(windows_native_keyring_store::Store::new()?),
            other => Err(keyring_core::Error::Invalid(
                "store".to_owned(),
                format!("no store `{other}` on this system"),
            )),
        }
    }
}

/// Opening a URL in the desktop's browser.
pub mod browser {
    /// The URL handler of the shell, which opens the default browser
    /// without a command interpreter parsing the URL.
    pub const DEFAULT_OPENER: &str = "rundll32 url.dll,FileProtocolHandler";

    /// A Windows session always has a desktop that can show a browser.
    pub const DISPLAY_WITHOUT_VARIABLES: bool = true;
}

/// Where ssocred's and the AWS tools' files live.
pub mod paths {
    use std::path::{Path, PathBuf};

    /// The variables that name the home directory, in order (as the AWS
    /// SDKs read them): `HOME`, else `USERPROFILE`, so `~\.aws` is
    /// `%USERPROFILE%\.aws`.
    pub const HOME_VARIABLES: &[&str] = &["HOME", "USERPROFILE"];

    fn home(var: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
        HOME_VARIABLES
            .iter()
            .find_map(|name| var(name).filter(|h| !h.is_empty()))
            .map(PathBuf::from)
    }

    fn absolute(var: &dyn Fn(&str) -> Option<String>, name: &str) -> Option<PathBuf> {
        var(name)
            .filter(|p| Path::new(p).is_absolute())
            .map(PathBuf::from)
    }

    /// The base of ssocred's config directory: `%XDG_CONFIG_HOME%` when
    /// set, else `%APPDATA%` (the roaming application data), else
    /// `~\AppData\Roaming`.
    pub fn config_base(var: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
        absolute(var, "XDG_CONFIG_HOME")
            .or_else(|| absolute(var, "APPDATA"))
            .or_else(|| home(var).map(|h| h.join("AppData").join("Roaming")))
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
        fn config_and_cache_follow_appdata_else_the_profile() {
            let profile = env(&[("USERPROFILE", r"C:\Users\u")]);
            assert_eq!(
                config_base(&profile),
                Some(PathBuf::from(r"C:\Users\u\AppData\Roaming"))
            );
            let appdata = env(&[("USERPROFILE", r"C:\Users\u"), ("APPDATA", r"D:\roam")]);
            assert_eq!(config_base(&appdata), Some(PathBuf::from(r"D:\roam")));
            let home = Path::new(r"C:\Users\u");
            assert_eq!(
                cache_base(&env(&[("LOCALAPPDATA", r"D:\local")]), home),
                PathBuf::from(r"D:\local")
            );
            assert_eq!(
                cache_base(&env(&[]), home),
                PathBuf::from(r"C:\Users\u\AppData\Local")
            );
            assert_eq!(
                state_dir(&env(&[("LOCALAPPDATA", r"D:\local")]), home),
                PathBuf::from(r"D:\local\ssocred\state")
            );
            assert_eq!(
                state_dir(
                    &env(&[("XDG_STATE_HOME", r"D:\s"), ("LOCALAPPDATA", r"D:\l")]),
                    home
                ),
                PathBuf::from(r"D:\s\ssocred")
            );
            assert_eq!(
                state_dir(&env(&[("XDG_STATE_HOME", "rel")]), home),
                PathBuf::from(r"C:\Users\u\AppData\Local\ssocred\state")
            );
        }
    }

    /// The base of ssocred's cache directory: `%XDG_CACHE_HOME%` when set,
    /// else `%LOCALAPPDATA%`, else `~\AppData\Local`.
    pub fn cache_base(var: &dyn Fn(&str) -> Option<String>, home: &Path) -> PathBuf {
        absolute(var, "XDG_CACHE_HOME")
            .or_else(|| absolute(var, "LOCALAPPDATA"))
            .unwrap_or_else(|| home.join("AppData").join("Local"))
    }

    /// ssocred's state directory: `%XDG_STATE_HOME%\ssocred` when set and
    /// absolute, else `%LOCALAPPDATA%\ssocred\state` (local, not roaming:
    /// it names this machine's processes), else under `~\AppData\Local`.
    pub fn state_dir(var: &dyn Fn(&str) -> Option<String>, home: &Path) -> PathBuf {
        match absolute(var, "XDG_STATE_HOME") {
            Some(dir) => dir.join("ssocred"),
            None => absolute(var, "LOCALAPPDATA")
                .unwrap_or_else(|| home.join("AppData").join("Local"))
                .join("ssocred")
                .join("state"),
        }
    }
}
