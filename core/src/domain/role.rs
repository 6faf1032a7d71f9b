//! One role a login may use, as the portal lists it: what discovery yields,
//! the chooser shows and a role sink receives.

use std::borrow::Cow;

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

/// A role as [`RoleEntry`], borrowed where it can be (from a recorded
/// listing's text, or from an entry): 30,000 roles are shown without a
/// copy of each name. Serializes as [`RoleEntry`] does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoleView<'a> {
    /// The 12-digit account id.
    pub account_id: Cow<'a, str>,
    /// The account's display name.
    pub account_name: Cow<'a, str>,
    /// The role (permission set) name.
    pub role_name: Cow<'a, str>,
    /// The role ARN, in the partition of the SSO region.
    pub role_arn: Cow<'a, str>,
}

impl<'a> From<&'a RoleEntry> for RoleView<'a> {
    fn from(e: &'a RoleEntry) -> Self {
        RoleView {
            account_id: Cow::Borrowed(&e.account_id),
            account_name: Cow::Borrowed(&e.account_name),
            role_name: Cow::Borrowed(&e.role_name),
            role_arn: Cow::Borrowed(&e.role_arn),
        }
    }
}

impl RoleView<'_> {
    /// The role as an owned entry.
    pub fn to_entry(&self) -> RoleEntry {
        RoleEntry {
            account_id: self.account_id.clone().into_owned(),
            account_name: self.account_name.clone().into_owned(),
            role_name: self.role_name.clone().into_owned(),
            role_arn: self.role_arn.clone().into_owned(),
        }
    }
}
