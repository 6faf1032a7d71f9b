//! End-to-end tests: the real `ssocred` binary against the SSO emulator, in a
//! throwaway HOME with a clean environment.

mod discovery;
mod discovery_interop;
mod errors;
mod interop;
mod sinks;
mod world;
