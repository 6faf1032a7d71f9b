//! The async runtime every command runs its portal calls on.

use ssocred_core::Error;

/// A current-thread runtime: one invocation's calls are few and I/O-bound.
pub fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Internal(format!("cannot start the async runtime: {e}")))
}
