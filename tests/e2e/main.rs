//! End-to-end tests: the real `ssocred` binary against the SSO emulator, in a
//! throwaway HOME with a clean environment.

mod errors;
mod exec;
mod interop;
mod login;
mod running;
mod serve;
mod sinks;
mod watch;
mod world;
