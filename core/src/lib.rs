//! The domain of ssocred.
//!
//! An invocation flows through this crate in one direction: the AWS config
//! files name an SSO profile ([`profile`]), the token cache yields its access
//! token ([`token`]), the portal turns a role into a [`CredentialSet`]
//! ([`portal`]), and every selected [`Sink`] receives the sets and commits its
//! output ([`sink`]). Sinks live in crates of their own and register
//! themselves with [`inventory`].

#![deny(missing_docs)]
// Diagnostics go through `stderr_line!`, which never panics (see `stderr`).
#![warn(clippy::print_stderr)]

pub mod arn;
pub mod chain;
pub mod command_line;
mod credentials;
pub mod discovery;
pub mod ecr;
pub mod endpoints;
mod error;
pub mod frecency;
pub mod fs;
pub mod ini_edit;
pub mod login;
pub mod naming;
pub mod network;
pub mod oidc;
pub mod os;
pub mod pipeline;
pub mod portal;
pub mod profile;
pub mod role_cache;
pub mod sdk;
pub mod setup;
pub mod shell;
pub mod sink;
pub mod sso_cache;
pub mod state_dir;
pub mod status;
pub mod stderr;
pub mod stream;
pub mod text;
pub mod throttle;
pub mod time_fmt;
pub mod token;
pub mod variables;

pub use arn::RoleArn;
pub use credentials::CredentialSet;
pub use error::{Error, ExitClass};
pub use secrecy::{ExposeSecret, SecretString};
pub use sink::{
    Capacity, RoleSink, SelectedRoleSink, SelectedSink, Sink, SinkContext, SinkError, SinkKind,
    SinkRegistration, SinkSpec, deliver,
};
pub use sink::{Destination, RoleProfile, deliver_roles, write_stdout};
pub use stream::{CredentialStream, RefreshPolicy};

#[doc(hidden)]
pub use inventory;
