//! One role a login may use, as the portal lists it: what discovery yields,
//! the chooser shows and a role sink receives.

use std::borrow::Cow;

use serde::Serialize;

/// One role a login may use, as the portal lists it.
///
/// A listing holds tens of thousands of these, so the four texts share one
/// allocation: the account id, the account's name, the role name and the
/// ARN back to back, and where the first three end. Serializes as four
/// fields, as [`RoleView`] does.
#[derive(Clone, PartialEq, Eq)]
pub struct RoleEntry {
    text: Box<str>,
    ends: [usize; 3],
}

impl RoleEntry {
    /// A role from its account id, the account's display name, the role
    /// (permission set) name and the role ARN, in the partition of the SSO
    /// region.
    pub fn new(account_id: &str, account_name: &str, role_name: &str, role_arn: &str) -> Self {
        let mut text = String::with_capacity(
            account_id.len() + account_name.len() + role_name.len() + role_arn.len(),
        );
        let mut ends = [0; 3];
        for (end, part) in ends.iter_mut().zip([account_id, account_name, role_name]) {
            text.push_str(part);
            *end = text.len();
        }
        text.push_str(role_arn);
        RoleEntry {
            text: text.into_boxed_str(),
            ends,
        }
    }

    /// The 12-digit account id.
    pub fn account_id(&self) -> &str {
        &self.text[..self.ends[0]]
    }

    /// The account's display name.
    pub fn account_name(&self) -> &str {
        &self.text[self.ends[0]..self.ends[1]]
    }

    /// The role (permission set) name.
    pub fn role_name(&self) -> &str {
        &self.text[self.ends[1]..self.ends[2]]
    }

    /// The role ARN, in the partition of the SSO region.
    pub fn role_arn(&self) -> &str {
        &self.text[self.ends[2]..]
    }
}

impl std::fmt::Debug for RoleEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RoleEntry")
            .field("account_id", &self.account_id())
            .field("account_name", &self.account_name())
            .field("role_name", &self.role_name())
            .field("role_arn", &self.role_arn())
            .finish()
    }
}

impl Serialize for RoleEntry {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        RoleView::from(self).serialize(serializer)
    }
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
            account_id: Cow::Borrowed(e.account_id()),
            account_name: Cow::Borrowed(e.account_name()),
            role_name: Cow::Borrowed(e.role_name()),
            role_arn: Cow::Borrowed(e.role_arn()),
        }
    }
}

impl RoleView<'_> {
    /// The role as an owned entry.
    pub fn to_entry(&self) -> RoleEntry {
        RoleEntry::new(
            &self.account_id,
            &self.account_name,
            &self.role_name,
            &self.role_arn,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_gives_back_its_four_texts_and_serializes_as_four_fields() {
        for (id, name, role, arn) in [
            (
                "123456789012",
                "Prod ünïcode",
                "Admin",
                "arn:aws:iam::123456789012:role/Admin",
            ),
            ("", "", "", ""),
            ("1", "", "R", "arn:aws-cn:iam::1:role/R"),
        ] {
            let entry = RoleEntry::new(id, name, role, arn);
            assert_eq!(
                (
                    entry.account_id(),
                    entry.account_name(),
                    entry.role_name(),
                    entry.role_arn()
                ),
                (id, name, role, arn)
            );
            assert_eq!(RoleView::from(&entry).to_entry(), entry);
            let json = serde_json::to_value(&entry).unwrap();
            assert_eq!(
                json,
                serde_json::json!({
                    "account_id": id, "account_name": name, "role_name": role, "role_arn": arn
                })
            );
            let shown = format!("{entry:?}");
            assert!(
                shown.contains(&format!("account_name: {name:?}")),
                "{shown}"
            );
        }
        // Equal texts split elsewhere are other entries.
        assert_ne!(
            RoleEntry::new("ab", "c", "r", "x"),
            RoleEntry::new("a", "bc", "r", "x")
        );
    }
}
