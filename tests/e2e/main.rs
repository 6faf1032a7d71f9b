//! End-to-end tests: the real `ssocred` binary against the SSO emulator, in a
//! throwaway HOME with a clean environment.

// Helpers used only by the tests gated to Unix (each gate says why) are
// unused on other systems.
#![cfg_attr(not(unix), allow(dead_code, unused_imports))]

// Unix only: Debian's Chromium, shell scripts as browsers and Unix modes.
#[cfg(unix)]
mod browser;
mod cache;
mod cache_interop;
mod chain;
mod chain_limits;
mod chooser;
mod concurrency;
mod config;
mod console;
mod console_session;
// Windows only: HOME unset, as Windows sessions have it (Unix needs HOME).
#[cfg(windows)]
mod dirs_windows;
mod discovery;
mod discovery_interop;
mod docker_credential;
mod ecr_chains;
mod eks;
// Unix only: the documented commands are a bash script.
#[cfg(unix)]
mod emulator_docs;
mod errors;
// Unix only: the commands exec runs are `sh` scripts, and the stop and
// forwarding tests send signals with `kill`.
#[cfg(unix)]
mod exec;
// Windows only: the same surfaces with `cmd` lines as the commands, and the
// Job Object that ends the command with ssocred.
#[cfg(windows)]
mod exec_windows;
// Unix only: SIGKILL, tmpfs mounts, `ulimit -f` and mode bits.
#[cfg(unix)]
mod faults;
mod formats;
mod hardening;
mod hostile;
// Unix only: FIFOs, devices, other users' links in sticky directories.
#[cfg(unix)]
mod hostile_files;
mod init;
mod interop;
// Linux only: the kernel keyring and the Secret Service.
#[cfg(target_os = "linux")]
mod keyring;
// Windows only: the Credential Manager, under wine.
#[cfg(windows)]
mod keyring_windows;
// Windows only: cmd.exe runs the printed `cmd` line, and Windows itself the
// PowerShell line's command line (the Unix shells' lines: eks, real_tools).
#[cfg(windows)]
mod kubeconfig_windows;
// glibc Linux only: there the binary carries its unwinder and `pow`
// (cli/build.rs); elsewhere it links the system's as it is.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod linking;
mod list_changes;
mod listing_cache;
mod login;
mod network;
mod profile_role;
mod project_files;
mod real_tools;
mod remote_login;
mod running;
// Unix only: the exec paths run `sh` children, and `use` is driven as from
// `sh` with a watched `sh` process.
#[cfg(unix)]
mod same_role;
mod secrets;
mod serve;
mod shell;
// Unix only: bash runs the clients.
#[cfg(unix)]
mod shell_default;
mod shell_use;
mod sinks;
// Unix only: `git daemon` and symbolic links in the source's repository.
#[cfg(unix)]
mod sources;
mod sources_https;
// Unix only: FIFOs and links to /dev/zero.
#[cfg(unix)]
mod special_files;
mod status;
mod status_watch;
mod terminal;
mod throttling;
// Unix only: every --watch run is stopped with SIGTERM or SIGINT (`kill`).
#[cfg(unix)]
mod watch;
mod world;
