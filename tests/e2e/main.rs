//! End-to-end tests: the real `ssocred` binary against the SSO emulator, in a
//! throwaway HOME with a clean environment.

mod config;
mod errors;
mod formats;
mod interop;
mod shell;
mod sinks;
mod world;
