//! The plain types and rules of ssocred, the bottom of core: ARNs,
//! credential sets, errors and exit classes, the SSO profile's settings, a
//! role chain's hops, the network settings, names, quoting and timestamps.
//! They name nothing above them: no AWS client, no login, no store, no
//! sink. The platform layer ([`crate::os`]) is the one thing they use, to
//! read a CA bundle and to print a trace line.

pub mod arn;
pub mod command_line;
pub mod credentials;
pub mod endpoints;
pub mod error;
pub mod exit;
pub mod hop;
pub mod naming;
pub mod network;
pub mod role;
pub mod shell;
pub mod shell_line;
pub mod sink_error;
pub mod sso_profile;
pub mod text;
pub mod time_fmt;
pub mod trace;
pub mod variables;
