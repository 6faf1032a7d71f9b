//! Amazon ECR for Docker's credential-helper protocol: which registry a
//! server URL names ([`Registry`]), the ECR API endpoint and
//! `GetAuthorizationToken` call that serve it ([`Ecr`]), and the token
//! cache that makes a warm `docker pull` cost no network call
//! ([`TokenCache`]).

mod client;
mod registry;
mod token_cache;

pub use client::{ENDPOINT_VARIABLE, Ecr, endpoint_for};
pub use registry::{MAX_SERVER_URL, Registry, Variant};
pub use token_cache::{CachedToken, Miss, TokenCache, default_dir, identity_key, login_of};
