//! Amazon ECR for Docker's credential-helper protocol: which registry a
//! server URL names ([`Registry`]), the ECR API endpoint and
//! `GetAuthorizationToken` call that serve it ([`Ecr`]). The token cache
//! that makes a warm `docker pull` cost no network call is a store
//! (`store::ecr_token_cache`).

mod client;
mod registry;

pub use client::{CachedToken, ENDPOINT_VARIABLE, Ecr, endpoint_for};
pub use registry::{MAX_SERVER_URL, Registry, Variant};
