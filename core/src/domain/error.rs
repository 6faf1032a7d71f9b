//! The errors of ssocred and the exit classes they end a process with
//! (docs/exit-codes.md).

use std::path::PathBuf;

use crate::domain::exit::ExitClass;
use crate::domain::sink_error::SinkError;

/// Everything that can stop an invocation, each with a message that names the
/// file, profile or flag at fault and says what to do next.
///
/// No variant ever holds a secret.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A flag or argument is wrong.
    #[error("{0}")]
    Usage(String),
    /// The profile is in neither AWS file.
    #[error(
        "profile `{profile}` not found in {config} (or {credentials}){hint}; pass an SSO profile with -p/--profile, or set one up with `ssocred init`",
        hint = crate::domain::text::did_you_mean(.near)
    )]
    UnknownProfile {
        /// The profile asked for.
        profile: String,
        /// The profiles whose names are closest to it, for "did you mean".
        near: Vec<String>,
        /// The config file searched.
        config: PathBuf,
        /// The credentials file searched.
        credentials: PathBuf,
    },
    /// The profile exists but carries no SSO settings.
    #[error(
        "profile `{profile}` in {config} has no SSO settings: it needs `sso_session` or `sso_start_url` and `sso_region`"
    )]
    NotSsoProfile {
        /// The profile asked for.
        profile: String,
        /// The config file.
        config: PathBuf,
    },
    /// The profile's SSO settings are incomplete or point nowhere.
    #[error("profile `{profile}` in {config}: {problem}")]
    BadSsoProfile {
        /// The profile asked for.
        profile: String,
        /// The config file.
        config: PathBuf,
        /// What is wrong, naming the key or section.
        problem: String,
    },
    /// An AWS config or credentials file could not be read or parsed.
    #[error("{path}: {message}")]
    ConfigFile {
        /// The file.
        path: PathBuf,
        /// What went wrong, with the line where there is one.
        message: String,
    },
    /// There is no usable SSO access token.
    #[error("{reason}; log in with `{login_command}`")]
    LoginRequired {
        /// Why the login is needed, naming the token file where there is one.
        reason: String,
        /// The command that logs in.
        login_command: String,
    },
    /// The portal says the role is not assigned to this login.
    #[error(
        "role `{role_name}` in account {account_id} is not assigned to SSO profile `{profile}`; run `{}` to see the roles you have",
        crate::domain::shell_line::suggested(&["list", "-p", .profile.as_str()])
    )]
    RoleNotAssigned {
        /// The account asked for.
        account_id: String,
        /// The role asked for.
        role_name: String,
        /// The SSO profile.
        profile: String,
    },
    /// An IAM Identity Center endpoint (the portal, OIDC) could not be
    /// reached.
    #[error("cannot reach the {service} at {endpoint}: {message}")]
    Unreachable {
        /// Which service: `SSO portal`, `SSO OIDC service (sso-oidc)`.
        service: String,
        /// The endpoint tried, and where its address came from when an
        /// environment variable set it.
        endpoint: String,
        /// The transport error.
        message: String,
    },
    /// An endpoint's answer was refused for its size
    /// (the AWS clients' `MAX_RESPONSE_BODY`): any AWS endpoint, named.
    #[error(
        "refused the answer of {endpoint}: {message}; real AWS answers are a few KB, so the endpoint or a proxy on the way is broken"
    )]
    AnswerTooLarge {
        /// The endpoint that answered.
        endpoint: String,
        /// How large the answer was, or claimed to be.
        message: String,
    },
    /// The portal answered with an error other than the ones above.
    #[error("the SSO portal at {endpoint} failed: {message}")]
    Portal {
        /// The endpoint used.
        endpoint: String,
        /// The service error.
        message: String,
    },
    /// STS refused a hop of a role chain (AccessDenied).
    #[error(
        "hop {hop} of the role chain: {principal} may not assume {role} (AccessDenied: {message}); check the role's trust policy, and the external id it asks for"
    )]
    AssumeDenied {
        /// The hop, from 1.
        hop: usize,
        /// The role it tried to assume.
        role: String,
        /// The role whose credentials tried.
        principal: String,
        /// STS's message.
        message: String,
    },
    /// STS could not be reached or failed otherwise.
    #[error("STS at {endpoint}: {message}")]
    Sts {
        /// The endpoint used.
        endpoint: String,
        /// What went wrong.
        message: String,
    },
    /// ECR refused `GetAuthorizationToken` or could not be reached; the
    /// message names the registry and the role.
    #[error("ECR at {endpoint}: {message}")]
    Ecr {
        /// The ECR API endpoint used.
        endpoint: String,
        /// What went wrong, naming the registry and the role.
        message: String,
    },
    /// A file or stream ssocred writes itself (not through a sink) failed:
    /// stdout, a cache it manages.
    #[error("{target}: {message}")]
    Output {
        /// What was written: a path, or `<stdout>`.
        target: String,
        /// What went wrong.
        message: String,
    },
    /// A bug, or a condition ssocred cannot recover from (the async runtime
    /// failed to start, a task panicked).
    #[error("internal error: {0}; please report it")]
    Internal(String),
    /// A sink failed.
    #[error(transparent)]
    Sink(#[from] SinkError),
}

impl From<crate::os::SignalError> for Error {
    fn from(e: crate::os::SignalError) -> Error {
        Error::Internal(e.0)
    }
}

impl Error {
    /// A failed write to stdout.
    pub fn stdout(err: &std::io::Error) -> Error {
        Error::Output {
            target: "<stdout>".to_owned(),
            message: format!("cannot write: {err}"),
        }
    }

    /// The exit code this error ends the process with.
    pub fn exit_code(&self) -> ExitClass {
        match self {
            Error::Usage(_) => ExitClass::Usage,
            Error::UnknownProfile { .. }
            | Error::NotSsoProfile { .. }
            | Error::BadSsoProfile { .. }
            | Error::ConfigFile { .. } => ExitClass::Config,
            Error::LoginRequired { .. } => ExitClass::LoginRequired,
            Error::RoleNotAssigned { .. } | Error::AssumeDenied { .. } => {
                ExitClass::RoleNotAssigned
            }
            Error::Unreachable { .. }
            | Error::AnswerTooLarge { .. }
            | Error::Portal { .. }
            | Error::Sts { .. }
            | Error::Ecr { .. } => ExitClass::Portal,
            Error::Output { .. } => ExitClass::Output,
            Error::Internal(_) => ExitClass::Internal,
            Error::Sink(e) => e.exit_code(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The numbers are the command line's contract (docs/exit-codes.md);
    /// each class of error maps to its own.
    #[test]
    fn each_error_class_has_its_documented_code() {
        let cases: [(Error, u8); 10] = [
            (
                Error::Ecr {
                    endpoint: "https://api.ecr.eu-west-1.amazonaws.com".into(),
                    message: "AccessDeniedException".into(),
                },
                6,
            ),
            (Error::Internal("a task panicked".into()), 1),
            (Error::Usage("--x".into()), 2),
            (
                Error::ConfigFile {
                    path: "/c".into(),
                    message: "line 1".into(),
                },
                3,
            ),
            (
                Error::LoginRequired {
                    reason: "expired".into(),
                    login_command: "ssocred login".into(),
                },
                4,
            ),
            (
                Error::RoleNotAssigned {
                    account_id: "1".into(),
                    role_name: "R".into(),
                    profile: "p".into(),
                },
                5,
            ),
            (
                Error::Unreachable {
                    service: "SSO portal".into(),
                    endpoint: "https://x".into(),
                    message: "refused".into(),
                },
                6,
            ),
            (
                Error::Portal {
                    endpoint: "https://x".into(),
                    message: "500".into(),
                },
                6,
            ),
            (Error::stdout(&std::io::Error::other("closed")), 7),
            (
                Error::Sink(SinkError::Io {
                    path: "/f".into(),
                    message: "read-only".into(),
                }),
                7,
            ),
        ];
        for (error, code) in cases {
            assert_eq!(error.exit_code() as u8, code, "{error}");
        }
        assert_eq!(ExitClass::Success as u8, 0);
        assert!(
            Error::Internal("x".into())
                .to_string()
                .contains("please report it")
        );
    }
}
