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

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::domain::role::{RoleEntry, RoleView};
use crate::domain::sso_profile::SsoProfile;
use crate::os::fs::{FileLock, write_atomic_with};

/// A record larger than this is not read: 50,000 roles take about 7 MB.
pub const MAX_RECORD_BYTES: u64 = 32 * 1024 * 1024;

/// The first word of the file, and the format's version.
const MAGIC: &str = "ssocred-listing 1";

/// The first word of the table beside it, and its version (a new layout
/// of `list`'s table is a new version, so an old table is not shown).
const TABLE_MAGIC: &str = "ssocred-table 1";

/// The rendered table beside the listing at `record`.
pub fn table_path(record: &Path) -> PathBuf {
    record.with_extension("table")
}

/// Copies to `out` the table recorded beside `listing` (read from
/// `record`): `None`, before a byte is written, when there is none or it
/// is another listing's. Every chunk is checked before it is written: a
/// table that would put a control character on the terminal stops the
/// copy with an error.
pub fn copy_table(record: &Path, listing: &Listing, out: &mut dyn Write) -> Option<io::Result<()>> {
    let file = crate::os::file::read_bounded_options()
        .open(table_path(record))
        .ok()?;
    let meta = file.metadata().ok()?;
    if !meta.is_file() || meta.len() > 2 * MAX_RECORD_BYTES {
        return None;
    }
    let mut buf = vec![0; CHUNK];
    let n = read_some(&file, &mut buf[..TABLE_MAGIC.len() + 24]).ok()?;
    let end = memchr::memchr(b'\n', &buf[..n])?;
    let header = std::str::from_utf8(&buf[..end]).ok()?;
    if header != format!("{TABLE_MAGIC} {}", listing.listed_at) {
        return None;
    }
    buf.copy_within(end + 1..n, 0);
    Some(copy_checked(&file, buf, n - end - 1, out))
}

/// Writes the rest of `file` to `out`, `filled` bytes of it already in
/// `buf`, a chunk of whole lines at a time, each checked first.
fn copy_checked(
    mut file: &File,
    mut buf: Vec<u8>,
    mut filled: usize,
    out: &mut dyn Write,
) -> io::Result<()> {
    let damaged = || invalid("the recorded table is damaged; `ssocred list --refresh` lists anew");
    loop {
        if filled == buf.len() {
            buf.resize(buf.len() * 2, 0);
        }
        let n = file.read(&mut buf[filled..])?;
        let end = filled + n;
        let complete = match n {
            0 => end,
            _ => memchr::memrchr(b'\n', &buf[..end]).map_or(0, |at| at + 1),
        };
        let text = std::str::from_utf8(&buf[..complete]).map_err(|_| damaged())?;
        if !crate::domain::text::shows_as_is(text) {
            return Err(damaged());
        }
        out.write_all(text.as_bytes())?;
        if n == 0 {
            return Ok(());
        }
        buf.copy_within(complete..end, 0);
        filled = end - complete;
    }
}

/// A listing of a login's roles as recorded, read role by role, as often
/// as needed, through a small buffer: 30,000 roles are shown without the
/// file or a copy of each name in memory. Each read checks every line it
/// passes, and fails at a malformed one.
#[derive(Debug)]
pub struct Listing {
    /// When the roles were listed, in seconds since the Unix epoch.
    pub listed_at: i64,
    /// The file, open since it was checked: a listing recorded meanwhile
    /// replaces it by a rename and leaves this one whole.
    file: File,
    /// Where the first role's line starts.
    body: u64,
}

impl Listing {
    /// How old the listing is at `now`, in seconds; `None` for a listing
    /// from the future (a clock moved back), which is never fresh.
    pub fn age(&self, now: i64) -> Option<u64> {
        u64::try_from(now.checked_sub(self.listed_at)?).ok()
    }

    /// Reads it through: `Err` if any line is malformed.
    pub fn check(&self) -> io::Result<()> {
        self.for_each(|_| Ok(()))
    }

    /// Calls `each` with every role, in the order they were listed, until
    /// `each` fails; the roles are borrowed from the read buffer.
    pub fn for_each<E: From<io::Error>>(
        &self,
        each: impl FnMut(RoleView<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        roles_in(&self.file, self.body, each)
    }

    /// The roles as owned entries.
    pub fn entries(&self) -> io::Result<Vec<RoleEntry>> {
        let mut entries = Vec::new();
        self.for_each(|role| {
            entries.push(role.to_entry());
            Ok::<(), io::Error>(())
        })?;
        Ok(entries)
    }
}

/// Bytes read at a time.
const CHUNK: usize = 64 * 1024;

fn invalid(why: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, why.to_owned())
}

/// Calls `each` with every role of `file` from `from` on, reading
/// [`CHUNK`] bytes at a time (more for a longer line): one pass over each
/// chunk finds its tabs, newlines and escapes, and its complete lines are
/// checked as UTF-8 at once. At most [`MAX_RECORD_BYTES`] are read; a
/// malformed line, or a last line without its newline, is an error.
fn roles_in<E: From<io::Error>>(
    mut file: &File,
    from: u64,
    mut each: impl FnMut(RoleView<'_>) -> Result<(), E>,
) -> Result<(), E> {
    file.seek(SeekFrom::Start(from))?;
    let mut buf = vec![0; CHUNK];
    let (mut filled, mut total) = (0, from);
    loop {
        if filled == buf.len() {
            // One line longer than the buffer: room for the rest of it.
            buf.resize(buf.len() * 2, 0);
        }
        let n = file.read(&mut buf[filled..])?;
        total += n as u64;
        if total > MAX_RECORD_BYTES {
            return Err(invalid("the listing grew past its limit").into());
        }
        let end = filled + n;
        let complete = memchr::memrchr(b'\n', &buf[..end]).map_or(0, |at| at + 1);
        let text =
            std::str::from_utf8(&buf[..complete]).map_err(|_| invalid("a line is not UTF-8"))?;
        // Escapes are rare: a chunk without one is read without looking.
        let chunk_escaped = memchr::memchr(b'\\', text.as_bytes()).is_some();
        let (mut start, mut tabs, mut count) = (0, [0; 3], 0);
        for at in memchr::memchr2_iter(b'\t', b'\n', text.as_bytes()) {
            match text.as_bytes()[at] {
                b'\t' if count < 3 => {
                    tabs[count] = at;
                    count += 1;
                }
                b'\n' if count == 3 => {
                    let escaped = chunk_escaped
                        && memchr::memchr(b'\\', &text.as_bytes()[start..at]).is_some();
                    let field = |from: usize, to: usize| match escaped {
                        false => Some(Cow::Borrowed(&text[from..to])),
                        true => unescape(&text[from..to]),
                    };
                    let role = (|| {
                        Some(RoleView {
                            account_id: field(start, tabs[0])?,
                            role_name: field(tabs[0] + 1, tabs[1])?,
                            role_arn: field(tabs[1] + 1, tabs[2])?,
                            account_name: field(tabs[2] + 1, at)?,
                        })
                    })()
                    .ok_or_else(|| invalid("an escape the writer never makes"))?;
                    each(role)?;
                    (start, count) = (at + 1, 0);
                }
                _ => return Err(invalid("a line without four fields").into()),
            }
        }
        if n == 0 {
            return match complete == end {
                true => Ok(()),
                false => Err(invalid("the last line has no newline").into()),
            };
        }
        buf.copy_within(complete..end, 0);
        filled = end - complete;
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
    let hex = hex::encode(Sha256::digest(key.as_bytes()));
    cache_dir.join("listings").join(format!("{hex}.listing"))
}

/// Records `roles` as the listing at `now` in the file at `path`, and
/// returns what changed since the listing recorded before, if there was
/// one.
pub fn record(path: &Path, roles: &[RoleEntry], now: i64) -> io::Result<Option<Changes>> {
    record_with_table(path, roles, now, None)
}

/// Writes a rendering of the roles (`list`'s table).
pub type Render<'a> = dyn Fn(&mut dyn Write) -> io::Result<()> + 'a;

/// [`record`], and beside it (under the same lock) the table `table`
/// renders of the roles, for [`copy_table`]: a listing of every role is
/// then a copy of that file.
pub fn record_with_table(
    path: &Path,
    roles: &[RoleEntry],
    now: i64,
    table: Option<&Render<'_>>,
) -> io::Result<Option<Changes>> {
    let _lock = FileLock::acquire(path)?;
    let changes = changes_since(path, roles);
    let table_file = table_path(path);
    match table {
        Some(render) => write_atomic_with(&table_file, |out| {
            writeln!(out, "{TABLE_MAGIC} {now}")?;
            render(out)
        })?,
        // No table: none of an older listing may stay.
        None => match std::fs::remove_file(&table_file) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        },
    }
    write_atomic_with(path, |out| {
        writeln!(out, "{MAGIC} {now}")?;
        for role in roles {
            for (i, field) in [
                role.account_id(),
                role.role_name(),
                role.role_arn(),
                role.account_name(),
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
    let old = open(path)?;
    // The old listing is read once and never held: each of its ARNs is
    // looked up among the new ones (sorted), marking those it had.
    let now = sorted_arns(roles);
    let mut had = vec![false; now.len()];
    let mut removed = Vec::new();
    old.for_each(|role| {
        match now.binary_search(&role.role_arn.as_ref()) {
            Ok(i) => had[i] = true,
            Err(_) => removed.push(role.role_arn.into_owned()),
        }
        Ok::<(), io::Error>(())
    })
    .ok()?;
    removed.sort_unstable();
    removed.dedup();
    let added = now
        .iter()
        .zip(&had)
        .filter(|(_, had)| !**had)
        .map(|(arn, _)| (*arn).to_owned())
        .collect();
    Some(Changes {
        since: old.listed_at,
        added,
        removed,
    })
}

/// The listing recorded at `path`, if there is a whole, well-formed one
/// (read once through to check it).
pub fn load(path: &Path) -> Option<Listing> {
    let listing = open(path)?;
    listing.check().ok()?;
    Some(listing)
}

/// The listing recorded at `path`, if there is one whose first line is
/// well-formed; its roles are checked as they are read.
pub fn open(path: &Path) -> Option<Listing> {
    let file = crate::os::file::read_bounded_options().open(path).ok()?;
    let meta = file.metadata().ok()?;
    if !meta.is_file() || meta.len() > MAX_RECORD_BYTES {
        return None;
    }
    let mut header = [0; MAGIC.len() + 24];
    let n = read_some(&file, &mut header).ok()?;
    let end = memchr::memchr(b'\n', &header[..n])?;
    let listed_at = std::str::from_utf8(&header[..end])
        .ok()?
        .strip_prefix(MAGIC)?
        .strip_prefix(' ')?
        .parse()
        .ok()?;
    Some(Listing {
        listed_at,
        file,
        body: end as u64 + 1,
    })
}

/// Reads into `buf` until it is full or the file ends; how many bytes.
fn read_some(mut file: &File, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
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
fn unescape(field: &str) -> Option<Cow<'_, str>> {
    if !field.contains('\\') {
        return Some(Cow::Borrowed(field));
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
    Some(Cow::Owned(out))
}

fn sorted_arns(roles: &[RoleEntry]) -> Vec<&str> {
    let mut arns: Vec<&str> = roles.iter().map(|r| r.role_arn()).collect();
    arns.sort_unstable();
    arns.dedup();
    arns
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(arn: &str) -> RoleEntry {
        RoleEntry::new("123456789012", "a", "r", arn)
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
        let odd = RoleEntry::new(
            "123456789012",
            "tab\there, line\nbreak, back\\slash\r \\t",
            "Admin",
            "arn:aws:iam::123456789012:role/Admin",
        );
        let plain = RoleEntry::new(
            "123456789012",
            "Prod ünïcode",
            "r",
            "arn:aws:iam::123456789012:role/ReadOnly",
        );
        let roles = vec![odd, plain];
        record(&path, &roles, 1_700_000_000).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 3, "one line per role: {text}");
        let listing = load(&path).unwrap();
        assert_eq!(listing.listed_at, 1_700_000_000);
        assert_eq!(listing.entries().unwrap(), roles);
        // Read again, the same.
        assert_eq!(listing.entries().unwrap(), roles);
        assert_eq!(listing.age(1_700_000_060), Some(60));
        assert_eq!(
            listing.age(1_699_999_999),
            None,
            "a listing from the future"
        );
    }

    #[test]
    fn a_malformed_listing_is_none() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.listing");
        for text in [
            "",
            "ssocred-listing 2 5\n",
            "ssocred-listing 1 x\n",
            "ssocred-listing 1 5\na\tb\tc\n",
            "ssocred-listing 1 5\na\tb\tc\td\te\n",
            "ssocred-listing 1 5\na\tb\tc\td\\q\n",
            "ssocred-listing 1 5\na\tb\tc\td",
            "ssocred-listing 1 5\na\tb\tc\td\n\n",
        ] {
            std::fs::write(&path, text).unwrap();
            assert!(load(&path).is_none(), "{text:?}");
        }
        std::fs::write(&path, "ssocred-listing 1 5\n").unwrap();
        let empty = load(&path).unwrap();
        assert_eq!((empty.listed_at, empty.entries().unwrap()), (5, vec![]));
        // A line longer than the read buffer is read whole.
        let long = "n".repeat(3 * CHUNK);
        std::fs::write(&path, format!("ssocred-listing 1 5\n1\tr\tarn\t{long}\n")).unwrap();
        assert_eq!(
            load(&path).unwrap().entries().unwrap()[0].account_name(),
            long
        );
    }
}
