//! A credential set: one role's temporary credentials and where they came
//! from, the unit every sink receives.

use secrecy::SecretString;
use time::OffsetDateTime;

use crate::domain::time_fmt;

/// One role's temporary credentials and where they came from: the unit that
/// flows from the portal into every sink.
///
/// `Debug` shows the access key id (it is not a secret) and redacts the
/// secret access key and the session token.
#[derive(Debug, Clone)]
pub struct CredentialSet {
    /// The 12-digit account id.
    pub account_id: String,
    /// The account's display name, when a listing supplied it.
    pub account_name: Option<String>,
    /// The role (permission set) name as the portal knows it.
    pub role_name: String,
    /// The role ARN, in the partition of the SSO region.
    pub role_arn: String,
    /// The access key id.
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: SecretString,
    /// The session token.
    pub session_token: SecretString,
    /// When the credentials stop working.
    pub expiration: OffsetDateTime,
    /// The region to use with them, when one is known.
    pub region: Option<String>,
    /// The SSO profile they were obtained through.
    pub sso_profile: String,
    /// The `sso-session` of that profile, if it uses one.
    pub sso_session: Option<String>,
    /// The SSO start URL.
    pub start_url: String,
    /// The roles the set was assumed through, the SSO role first: empty for
    /// the SSO role's own set; for a role chain (`--assume`), every role
    /// before the set's own.
    pub assumed_via: Vec<String>,
}

impl CredentialSet {
    /// The expiration as RFC 3339 in UTC with a literal `Z`.
    pub fn expiration_utc(&self) -> String {
        time_fmt::utc_z(self.expiration)
    }

    /// Whether the set came from role chaining (an `--assume` hop).
    pub fn is_chained(&self) -> bool {
        !self.assumed_via.is_empty()
    }
}
