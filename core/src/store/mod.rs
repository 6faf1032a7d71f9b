//! What ssocred reads and keeps on disk apart from the login: the AWS
//! config and credentials files ([`profile`], [`ini_edit`], [`setup`], and
//! [`marked_block`] for the blocks of team sources), the role-credential
//! cache shared with the AWS CLI ([`role_cache`]), the ECR token cache
//! ([`ecr_token_cache`]), the chooser's history ([`frecency`]) and the
//! last listing of each login's roles ([`listing_record`]). A new
//! cache file goes here; its directory comes from [`crate::os::dirs`].

pub mod ecr_token_cache;
pub mod frecency;
pub mod ini_edit;
pub mod listing_record;
pub mod marked_block;
pub mod profile;
pub mod role_cache;
pub mod setup;
