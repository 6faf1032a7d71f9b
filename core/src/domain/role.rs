//! One role a login may use, as the portal lists it: what discovery yields,
//! the chooser shows and a role sink receives.

use serde::Serialize;

/// One role a login may use, as the portal lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoleEntry {
    /// The 12-digit account id.
    pub account_id: String,
    /// The account's display name.
    pub account_name: String,
    /// The role (permission set) name.
    pub role_name: String,
    /// The role ARN, in the partition of the SSO region.
    pub role_arn: String,
}
