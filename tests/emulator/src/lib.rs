//! An AWS SSO portal emulator (service `sso`, restJson1) on 127.0.0.1.
//!
//! It also serves the SSO OIDC API (RegisterClient, StartDeviceAuthorization,
//! CreateToken and the `/authorize` page), whose access tokens the portal
//! then accepts.
//!
//! It answers `GetRoleCredentials`, `ListAccounts`, `ListAccountRoles` and
//! `Logout` on the same paths, query parameters, headers and error shapes as
//! `portal.sso.{region}.amazonaws.com`, so that `aws-sdk-sso` and botocore
//! (`AWS_ENDPOINT_URL_SSO=http://127.0.0.1:PORT`) work against it unchanged.
//!
//! The server runs on its own thread with its own tokio runtime, so a plain
//! `#[test]` can use it:
//!
//! ```no_run
//! use ssocred_emulator::{Emulator, EmulatorConfig, Operation};
//!
//! let emulator = Emulator::start(EmulatorConfig::generated(3, 2).with_token("t")).unwrap();
//! // point the code under test at emulator.url() ...
//! assert_eq!(emulator.count(Operation::GetRoleCredentials), 0);
//! ```
//!
//! Out-of-process users read the same records over HTTP:
//! `GET /_emulator/counts`, `GET /_emulator/issued` and
//! `POST /_emulator/reset`.
#![deny(missing_docs)]

mod config;
mod credentials;
mod error;
mod handle;
mod oidc;
mod rate;
mod server;
mod state;
pub mod tls;

pub use config::{Account, EmulatorConfig};
pub use credentials::IssuedCredentials;
pub use handle::Emulator;
pub use oidc::{OidcConfig, OidcOperation};
pub use state::Operation;
