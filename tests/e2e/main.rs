//! End-to-end tests: the real `ssocred` binary against the SSO emulator, in a
//! throwaway HOME with a clean environment.

mod cache;
mod cache_interop;
mod concurrency;
mod errors;
mod faults;
mod interop;
mod secrets;
mod sinks;
mod world;
