//! The last listing of each login's roles. `list` and the chooser answer
//! from it while it is younger than `[listing] max_age_hours`, and
//! `list --changes` and `discover` say which roles were added and removed
//! since it.
//!
//! One file per SSO instance (its start URL and sso-session), named by the
//! SHA-256 of both, in ssocred's cache directory (`listings/`). It holds no
//! secret: account ids and names, role names and ARNs. A text format that
//! reads at memory speed, so that 30,000 roles answer in milliseconds:
//!
//! ```text
//! ssocred-listing 1 LISTED_AT
//! ACCOUNT_ID<TAB>ROLE_NAME<TAB>ROLE_ARN<TAB>ACCOUNT_NAME
//! ...
//! ```
//!
//! `LISTED_AT` is in seconds since the Unix epoch; a `\`, tab, newline or
//! carriage return in a field is written `\\`, `\t`, `\n`, `\r`. A missing,
//! oversized or unreadable file is "no earlier listing", never an error;
//! the file is replaced atomically under its lock.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::domain::role::RoleEntry;
use crate::domain::sso_profile::SsoProfile;
use crate::os::fs::{FileLock, read_bounded, write_atomic_with};

/// A record larger than this is not read: 50,000 roles take about 7 MB.
pub const MAX_RECORD_BYTES: u64 = 32 * 1024 * 1024;

/// The first word of the file, and the format's version.
const MAGIC: &str = "ssocred-listing 1";

/// A listing of a login's roles, as recorded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listing {
    /// When the roles were listed, in seconds since the Unix epoch.
    pub listed_at: i64,
    /// The roles, in the order they were listed.
    pub roles: Vec<RoleEntry>,
}

impl Listing {
    /// How old the listing is at `now`, in seconds; `None` for a listing
    /// from the future (a clock moved back), which is never fresh.
    pub fn age(&self, now: i64) -> Option<u64> {
        u64::try_from(now.checked_sub(self.listed_at)?).ok()
    }
}

/// What changed between two listings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Changes {
    /// When the earlier listing was made, in seconds since the Unix epoch.
    pub since: i64,
    /// Role ARNs listed now and not then, sorted.
    pub added: Vec<String>,
    /// Role ARNs listed then and not now, sorted.
    pub removed: Vec<String>,
}

/// The record of `sso`'s login in ssocred's cache directory `cache_dir`.
pub fn record_path(cache_dir: &Path, sso: &SsoProfile) -> PathBuf {
    let key = format!(
        "{}\n{}",
        sso.start_url,
        sso.session.as_deref().unwrap_or_default()
    );
    let hex: String = Sha256::digest(key.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    cache_dir.join("listings").join(format!("{hex}.listing"))
}

/// Records `roles` as the listing at `now` in the file at `path`, and
/// returns what changed since the listing recorded before, if there was
/// one.
pub fn record(path: &Path, roles: &[RoleEntry], now: i64) -> io::Result<Option<Changes>> {
    let _lock = FileLock::acquire(path)?;
    let changes = load(path).map(|old| compare(&old, roles));
    write_atomic_with(path, |out| {
        writeln!(out, "{MAGIC} {now}")?;
        for role in roles {
            for (i, field) in [
                &role.account_id,
                &role.role_name,
                &role.role_arn,
                &role.account_name,
            ]
            .into_iter()
            .enumerate()
            {
                if i > 0 {
                    out.write_all(b"\t")?;
                }
                write_escaped(out, field)?;
            }
            out.write_all(b"\n")?;
        }
        Ok(())
    })?;
    Ok(changes)
}

/// What changed from the listing recorded at `path` to `roles`, recording
/// nothing (a dry run); `None` when none was recorded.
pub fn changes_since(path: &Path, roles: &[RoleEntry]) -> Option<Changes> {
    load(path).map(|old| compare(&old, roles))
}

/// The listing recorded at `path`, if there is a readable one.
pub fn load(path: &Path) -> Option<Listing> {
    let bytes = read_bounded(path, MAX_RECORD_BYTES).ok()?;
    parse(std::str::from_utf8(&bytes).ok()?)
}

/// The listing in `text`; `None` if any line is malformed.
fn parse(text: &str) -> Option<Listing> {
    let mut lines = text.split_terminator('\n');
    let listed_at = lines
        .next()?
        .strip_prefix(MAGIC)?
        .strip_prefix(' ')?
        .parse()
        .ok()?;
    let roles = lines
        .map(|line| {
            let mut fields = line.split('\t').map(unescape);
            let role = RoleEntry {
                account_id: fields.next()??,
                role_name: fields.next()??,
                role_arn: fields.next()??,
                account_name: fields.next()??,
            };
            fields.next().is_none().then_some(role)
        })
        .collect::<Option<Vec<_>>>()?;
    Some(Listing { listed_at, roles })
}

fn write_escaped(out: &mut dyn Write, field: &str) -> io::Result<()> {
    if !field.contains(['\\', '\t', '\n', '\r']) {
        return out.write_all(field.as_bytes());
    }
    for c in field.chars() {
        match c {
            '\\' => out.write_all(b"\\\\")?,
            '\t' => out.write_all(b"\\t")?,
            '\n' => out.write_all(b"\\n")?,
            '\r' => out.write_all(b"\\r")?,
            c => out.write_all(c.encode_utf8(&mut [0; 4]).as_bytes())?,
        }
    }
    Ok(())
}

/// A field as written; `None` for an escape the writer never makes.
fn unescape(field: &str) -> Option<String> {
    if !field.contains('\\') {
        return Some(field.to_owned());
    }
    let mut out = String::with_capacity(field.len());
    let mut chars = field.chars();
    while let Some(c) = chars.next() {
        out.push(match c {
            '\\' => match chars.next()? {
                '\\' => '\\',
                't' => '\t',
                'n' => '\n',
                'r' => '\r',
                _ => return None,
            },
            c => c,
        });
    }
    Some(out)
}

fn sorted_arns(roles: &[RoleEntry]) -> Vec<&str> {
    let mut arns: Vec<&str> = roles.iter().map(|r| r.role_arn.as_str()).collect();
    arns.sort_unstable();
    arns.dedup();
    arns
}

/// What changed from `old` to `now`.
fn compare(old: &Listing, now: &[RoleEntry]) -> Changes {
    let (before, after) = (sorted_arns(&old.roles), sorted_arns(now));
    let (mut added, mut removed) = (Vec::new(), Vec::new());
    let (mut i, mut j) = (0, 0);
    while i < before.len() || j < after.len() {
        match (before.get(i), after.get(j)) {
            (Some(a), Some(b)) if a == b => {
                i += 1;
                j += 1;
            }
            (Some(a), Some(b)) if a < b => {
                removed.push((*a).to_owned());
                i += 1;
            }
            (Some(a), None) => {
                removed.push((*a).to_owned());
                i += 1;
            }
            (_, Some(b)) => {
                added.push((*b).to_owned());
                j += 1;
            }
            (None, None) => break,
        }
    }
    Changes {
        since: old.listed_at,
        added,
        removed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(arn: &str) -> RoleEntry {
        RoleEntry {
            account_id: "123456789012".into(),
            account_name: "a".into(),
            role_name: "r".into(),
            role_arn: arn.into(),
        }
    }

    #[test]
    fn a_listing_reports_the_roles_added_and_removed_since_the_last() {
        let dir = tempfile::tempdir().unwrap();
        let sso = SsoProfile::for_test("p", Some("corp"));
        let path = record_path(dir.path(), &sso);
        let first = [role("arn:b"), role("arn:a"), role("arn:c")];
        assert_eq!(record(&path, &first, 100).unwrap(), None);
        let second = [role("arn:a"), role("arn:d"), role("arn:c"), role("arn:e")];
        // A dry run sees the change and records nothing.
        let peeked = changes_since(&path, &second).unwrap();
        assert_eq!(peeked.added, ["arn:d", "arn:e"]);
        let changes = record(&path, &second, 200).unwrap().unwrap();
        assert_eq!(changes, peeked);
        assert_eq!(changes.since, 100);
        assert_eq!(changes.added, ["arn:d", "arn:e"]);
        assert_eq!(changes.removed, ["arn:b"]);
        assert_eq!(
            record(&path, &second, 300).unwrap().unwrap(),
            Changes {
                since: 200,
                ..Changes::default()
            }
        );
        // Another login has a record of its own; a garbled one is none.
        let other = record_path(dir.path(), &SsoProfile::for_test("p", Some("other")));
        assert_ne!(other, path);
        std::fs::write(&path, "not a listing").unwrap();
        assert_eq!(record(&path, &first, 400).unwrap(), None);
    }

    #[test]
    fn a_listing_reads_back_as_written_whatever_its_names_hold() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("listings").join("x.listing");
        let odd = RoleEntry {
            account_id: "123456789012".into(),
            account_name: "tab\there, line\nbreak, back\\slash\r \\t".into(),
            role_name: "Admin".into(),
            role_arn: "arn:aws:iam::123456789012:role/Admin".into(),
        };
        let plain = RoleEntry {
            account_name: "Prod ünïcode".into(),
            ..role("arn:aws:iam::123456789012:role/ReadOnly")
        };
        let roles = vec![odd, plain];
        record(&path, &roles, 1_700_000_000).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 3, "one line per role: {text}");
        let listing = load(&path).unwrap();
        assert_eq!(
            listing,
            Listing {
                listed_at: 1_700_000_000,
                roles
            }
        );
        assert_eq!(listing.age(1_700_000_060), Some(60));
        assert_eq!(
            listing.age(1_699_999_999),
            None,
            "a listing from the future"
        );
    }

    #[test]
    fn a_malformed_listing_is_none() {
        for text in [
            "",
            "ssocred-listing 2 5\n",
            "ssocred-listing 1 x\n",
            "ssocred-listing 1 5\na\tb\tc\n",
            "ssocred-listing 1 5\na\tb\tc\td\te\n",
            "ssocred-listing 1 5\na\tb\tc\td\\q\n",
        ] {
            assert_eq!(parse(text), None, "{text:?}");
        }
        assert_eq!(
            parse("ssocred-listing 1 5\n").unwrap(),
            Listing {
                listed_at: 5,
                roles: vec![]
            }
        );
    }
}
