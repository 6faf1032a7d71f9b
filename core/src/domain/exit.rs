//! The exit classes of a process (docs/exit-codes.md): what every error,
//! the sinks' included, ends a run with.

/// The classes of outcome, each with its process exit code; the numbers are
/// part of the command-line contract and documented in docs/exit-codes.md:
/// scripts may depend on them. (Named apart from
/// `std::process::ExitCode`, which the binary turns each class into.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum ExitClass {
    /// Everything asked for was delivered.
    Success = 0,
    /// A bug or an unexpected condition.
    Internal = 1,
    /// A flag or argument is wrong: a malformed role ARN, an unknown sink, a
    /// bad sink option.
    Usage = 2,
    /// The AWS config files do not describe a usable SSO profile.
    Config = 3,
    /// No valid SSO login: the token is missing, expired, unreadable or was
    /// rejected. Logging in again fixes it.
    LoginRequired = 4,
    /// The role is not assigned to this login.
    RoleNotAssigned = 5,
    /// The SSO portal could not be reached or kept failing.
    Portal = 6,
    /// Local output failed: a file or stream ssocred writes is not writable,
    /// not parseable, or refused as unsafe.
    Output = 7,
}

impl From<ExitClass> for std::process::ExitCode {
    fn from(class: ExitClass) -> Self {
        std::process::ExitCode::from(class as u8)
    }
}
