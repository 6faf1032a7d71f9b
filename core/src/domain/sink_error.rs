//! The one error type of every sink, a plain type so that the errors of
//! ssocred ([`crate::Error`]) can carry it without naming the sink layer.

use std::path::{Path, PathBuf};

use crate::domain::exit::ExitClass;

/// The one error type of every sink. Messages name the sink and the file or
/// option at fault, and never contain a secret.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    /// The sink spec or an option is wrong.
    #[error("sink `{sink}`: {message}")]
    Usage {
        /// The sink (or spec) at fault.
        sink: String,
        /// What is wrong.
        message: String,
    },
    /// A file could not be read or written.
    #[error("{path}: {message}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What failed.
        message: String,
    },
    /// A file the sink edits cannot be parsed, so it was left untouched.
    #[error("{path}: cannot parse {detail}; the file was left untouched")]
    Unparseable {
        /// The file.
        path: PathBuf,
        /// Where and what, e.g. `line 3: ...`.
        detail: String,
    },
    /// The sink cannot represent what it was given (several sets for a
    /// one-set sink, a value it cannot encode).
    #[error("sink `{sink}`: {message}")]
    Refused {
        /// The sink.
        sink: String,
        /// Why.
        message: String,
    },
    /// A remote endpoint the sink calls itself (the console sink's
    /// federation endpoint) failed or could not be reached.
    #[error("sink `{sink}`: {endpoint}: {message}")]
    Remote {
        /// The sink.
        sink: String,
        /// The endpoint, without query or secret.
        endpoint: String,
        /// What failed; never a secret.
        message: String,
    },
}

impl SinkError {
    /// A usage error of `sink`.
    pub fn usage(sink: &str, message: String) -> Self {
        SinkError::Usage {
            sink: sink.to_owned(),
            message,
        }
    }

    /// A failed write to stdout.
    pub fn stdout(err: &std::io::Error) -> Self {
        Self::io(Path::new("<stdout>"), err)
    }

    /// An I/O error on `path`.
    pub fn io(path: &Path, err: &std::io::Error) -> Self {
        SinkError::Io {
            path: path.to_path_buf(),
            message: err.to_string(),
        }
    }

    /// A refusal by `sink`.
    pub fn refused(sink: &str, message: String) -> Self {
        SinkError::Refused {
            sink: sink.to_owned(),
            message,
        }
    }

    /// A failure of `endpoint`, called by `sink`.
    pub fn remote(sink: &str, endpoint: &str, message: String) -> Self {
        SinkError::Remote {
            sink: sink.to_owned(),
            endpoint: endpoint.to_owned(),
            message,
        }
    }

    /// The exit code this error ends the process with.
    pub fn exit_code(&self) -> ExitClass {
        match self {
            SinkError::Usage { .. } | SinkError::Refused { .. } => ExitClass::Usage,
            SinkError::Io { .. } | SinkError::Unparseable { .. } => ExitClass::Output,
            SinkError::Remote { .. } => ExitClass::Portal,
        }
    }
}
