//! End-to-end tests: the real `ssocred` binary against the SSO emulator, in a
//! throwaway HOME with a clean environment.

mod cache;
mod cache_interop;
mod chain;
mod concurrency;
mod config;
mod console;
mod discovery;
mod discovery_interop;
mod docker_credential;
mod eks;
mod errors;
mod exec;
// Unix only: SIGKILL, tmpfs mounts, `ulimit -f` and mode bits.
#[cfg(unix)]
mod faults;
mod formats;
// Unix only: FIFOs, devices, other users' links in sticky directories.
#[cfg(unix)]
mod hostile_files;
mod interop;
mod login;
mod network;
mod running;
mod secrets;
mod serve;
mod shell;
mod sinks;
// Unix only: FIFOs and links to /dev/zero.
#[cfg(unix)]
mod special_files;
mod status;
mod terminal;
mod throttling;
mod watch;
mod world;
