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
//! It also serves the console federation endpoint at `/federation`
//! (`getSigninToken` for credentials it issued, and `login`, which
//! redirects to a page naming the account and the role), counted apart
//! ([`Emulator::federation_count`]).
//!
//! It also plays STS (`AssumeRole`, query protocol, at `POST /`: point
//! `AWS_ENDPOINT_URL_STS` at [`Emulator::url`]). It authenticates callers
//! by the SigV4 signature of credentials it issued, lets a role assume
//! another only where [`EmulatorConfig::trust`] says so, and records every
//! hop in the issued credentials ([`Emulator::issued_for_key`]):
//!
//! ```no_run
//! use ssocred_emulator::{Emulator, EmulatorConfig, StsOperation};
//!
//! let emulator = Emulator::start(
//!     EmulatorConfig::generated(1, 1)
//!         .with_token("t")
//!         .trust(
//!             "arn:aws:iam::222222222222:role/Deploy",
//!             "arn:aws:iam::100000000000:role/ReadOnly",
//!         ),
//! )
//! .unwrap();
//! // ... ssocred --assume arn:aws:iam::222222222222:role/Deploy ...
//! assert_eq!(emulator.sts_count(StsOperation::AssumeRole), 0);
//! ```
//!
//! Out-of-process users read the same records over HTTP:
//! `GET /_emulator/counts`, `GET /_emulator/issued` and
//! `POST /_emulator/reset`.
//!
//! It also plays an EKS cluster's authenticator and STS: [`eks`] verifies
//! the EKS tokens signed with the credentials it issued
//! ([`Emulator::verify_eks_token`], or `POST /_emulator/eks/verify` with
//! `{"token","cluster"}`, which answers 200 `{"arn"}` or 401 `{"reason"}`).
//!
//! And ECR: `GetAuthorizationToken` (awsJson1_1, `POST /`) for credentials
//! it issued, with [`Emulator::ecr_token_owner`] (or `POST
//! /_emulator/ecr/owner` with `{"password"}`) naming the role a password
//! was issued to; see [`ecr`].
//!
//! Two corporate-network conditions can be switched on:
//!
//! - **A rate limit** ([`EmulatorConfig::rate_limit`], `--rate-limit R
//!   --rate-burst B`): a token bucket over authorised portal calls (not
//!   OIDC) that holds `B` tokens and gains `R` a second. Calls over it get
//!   429 `TooManyRequestsException` exactly like
//!   [`EmulatorConfig::throttle_every`]'s, take no token, and are counted by
//!   [`Emulator::throttled`].
//! - **HTTPS** ([`EmulatorConfig::tls`], `--tls`, `--ca-out PATH`): a CA is
//!   generated at start-up and signs a server certificate for `127.0.0.1`
//!   and `localhost`; [`Emulator::url`] then starts with `https://` and
//!   [`Emulator::ca_pem`] is the certificate a client must trust.
//!   [`tls::unrelated_ca_pem`] makes a CA that signed nothing, for tests of
//!   a trust store that lacks the right root.
//!
//! ```no_run
//! use ssocred_emulator::{Emulator, EmulatorConfig};
//!
//! let emulator = Emulator::start(
//!     EmulatorConfig::generated(1, 1)
//!         .with_token("t")
//!         .rate_limit(20.0, 5)
//!         .tls(true),
//! )
//! .unwrap();
//! let bundle = emulator.ca_pem().unwrap(); // for AWS_CA_BUNDLE
//! let untrusted = ssocred_emulator::tls::unrelated_ca_pem().unwrap();
//! # let _ = (bundle, untrusted);
//! ```
#![deny(missing_docs)]

mod config;
mod credentials;
pub mod ecr;
pub mod eks;
mod error;
mod federation;
mod handle;
mod oidc;
mod rate;
mod root;
mod server;
mod signin;
mod sigv4;
mod state;
mod sts;
pub mod tls;

pub use config::{Account, EmulatorConfig};
pub use credentials::IssuedCredentials;
pub use federation::{FederationOperation, SigninGrant, session_cookie_name};
pub use handle::Emulator;
pub use oidc::{OidcConfig, OidcOperation};
pub use signin::{CLI_CLIENT_ID, CROSS_DEVICE_CLIENT_ID, ConsoleLogin, SigninOutcome};
pub use state::{Operation, StsOperation};
