//! The AWS clients: the SDK settings they share ([`sdk`]), client-side rate
//! limiting ([`throttle`]), the SSO portal ([`portal`], [`discovery`]), SSO
//! OIDC ([`oidc`]), STS role chaining ([`chain`]) and ECR ([`ecr`]). A new
//! AWS call goes here. They use [`crate::domain`] and [`crate::os`] only:
//! the layers above them (login, store) cache what a call returns.

pub mod chain;
pub mod discovery;
pub mod ecr;
pub mod oidc;
pub mod portal;
pub mod sdk;
pub mod throttle;
