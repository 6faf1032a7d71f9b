//! The domain of ssocred.
//!
//! An invocation flows through this crate in one direction: the AWS config
//! files name an SSO profile ([`store::profile`]), the token cache yields its
//! access token ([`login`]), the portal turns a role into a [`CredentialSet`]
//! ([`aws::portal`]), and every selected [`Sink`] receives the sets and
//! commits its output ([`sink`]). Sinks live in crates of their own and
//! register themselves with [`inventory`].
//!
//! The folders are layers, each naming only those below it (docs/layout.md):
//! [`os`] (nothing else), [`domain`], [`aws`], [`login`], [`store`],
//! [`sink`], then [`pipeline`] and [`status`] on top.

#![deny(missing_docs)]
// Diagnostics go through `stderr_line!`, which never panics (see `os::stderr`).
#![warn(clippy::print_stderr)]

pub mod aws;
pub mod domain;
pub mod login;
pub mod os;
pub mod pipeline;
pub mod sink;
pub mod status;
pub mod store;

pub use domain::arn::RoleArn;
pub use domain::credentials::CredentialSet;
pub use domain::error::Error;
pub use domain::exit::ExitClass;
pub use domain::sink_error::SinkError;
pub use secrecy::{ExposeSecret, SecretString};
pub use sink::stream::{CredentialStream, RefreshPolicy};
pub use sink::{
    Capacity, RoleSink, SelectedRoleSink, SelectedSink, Sink, SinkContext, SinkKind,
    SinkRegistration, SinkSpec, deliver,
};
pub use sink::{Destination, RoleProfile, deliver_roles, write_stdout};

#[doc(hidden)]
pub use inventory;
