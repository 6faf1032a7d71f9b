//! `list`'s table of roles: account id, account name, role and role ARN
//! in aligned columns, names escaped and cut to a column's width. Shared by
//! `list` and the recording of a listing, which keeps the table of every
//! role for `list` to copy.

use std::io::Write;

use ssocred_core::domain::role::RoleView;
use ssocred_core::domain::text::{visible, visible_column_width, visible_width};

/// Calls its argument with every role shown, until that fails.
pub type Shown<'a> =
    dyn Fn(&mut dyn FnMut(RoleView<'_>) -> std::io::Result<()>) -> std::io::Result<()> + 'a;

/// `list`'s table of every role of `roles`, as `list` prints it.
pub fn table_of(
    out: &mut dyn Write,
    roles: &[ssocred_core::domain::role::RoleEntry],
) -> std::io::Result<()> {
    let all: &Shown<'_> = &|each| roles.iter().try_for_each(|e| each(RoleView::from(e)));
    write_table(out, all, widths(all)?)
}

/// The widths of the table's name and role columns: the first of its two
/// passes over the roles (widths, then lines), rather than a copy of every
/// cell; escaping and cutting borrow when there is nothing to do.
pub fn widths(entries: &Shown<'_>) -> std::io::Result<(usize, usize)> {
    let (mut name_w, mut role_w) = ("ACCOUNT NAME".len(), "ROLE".len());
    entries(&mut |e| {
        name_w = name_w.max(visible_column_width(&e.account_name).1);
        role_w = role_w.max(visible_column_width(&e.role_name).1);
        Ok(())
    })?;
    Ok((name_w, role_w))
}

/// An aligned table: account id, account name, role, role ARN, with server
/// text escaped for the terminal and the padded columns capped at
/// [`MAX_COLUMN`](ssocred_core::domain::text::MAX_COLUMN) characters
/// (`--json` has every name whole).
/// The roles are those `entries` gives, in columns `widths` wide
/// ([`widths`]).
pub fn write_table(
    out: &mut dyn Write,
    entries: &Shown<'_>,
    (name_w, role_w): (usize, usize),
) -> std::io::Result<()> {
    let spaces = " ".repeat(name_w.max(role_w).max(14));
    // Each line is put together here, then written whole.
    let mut line: Vec<u8> = Vec::with_capacity(256);
    let mut row = |id: (&str, usize), name: (&str, usize), role: (&str, usize), arn: &str| {
        line.clear();
        for piece in [
            id.0,
            &spaces[..12_usize.saturating_sub(id.1)],
            "  ",
            name.0,
            &spaces[..name_w.saturating_sub(name.1)],
            "  ",
            role.0,
            &spaces[..role_w.saturating_sub(role.1)],
            "  ",
            arn,
            "\n",
        ] {
            line.extend_from_slice(piece.as_bytes());
        }
        out.write_all(&line)
    };
    row(
        ("ACCOUNT ID", 10),
        ("ACCOUNT NAME", 12),
        ("ROLE", 4),
        "ROLE ARN",
    )?;
    entries(&mut |e| {
        let (id, id_w) = visible_width(&e.account_id);
        let (name, name_w) = visible_column_width(&e.account_name);
        let (role, role_w) = visible_column_width(&e.role_name);
        row(
            (&id, id_w),
            (&name, name_w),
            (&role, role_w),
            &visible(&e.role_arn),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ssocred_core::domain::role::RoleEntry;
    use ssocred_core::domain::text::{CUT_MARK, MAX_COLUMN};

    fn entry(account_name: &str, role_name: &str) -> RoleEntry {
        RoleEntry::new(
            "123456789012",
            account_name,
            role_name,
            &format!("arn:aws:iam::123456789012:role/{role_name}"),
        )
    }

    #[test]
    fn a_huge_name_is_cut_and_pads_no_row_past_the_cap() {
        let huge = "N".repeat(900_000);
        let mut entries = vec![entry(&huge, "Dev")];
        entries.extend((0..400).map(|i| entry(&format!("acct-{i}"), "ReadOnly")));
        let mut out = Vec::new();
        table_of(&mut out, &entries).unwrap();
        let text = String::from_utf8(out).unwrap();
        let longest = text.lines().map(|l| l.chars().count()).max().unwrap();
        // id, name, role (each padded, capped) and the ARN.
        assert!(
            longest < 12 + 2 + MAX_COLUMN + 2 + MAX_COLUMN + 2 + 60,
            "{longest}"
        );
        let cut = format!("{}{CUT_MARK}", "N".repeat(MAX_COLUMN - 1));
        assert!(
            text.contains(&format!("123456789012  {cut}  Dev")),
            "the cut name is marked"
        );
        assert!(text.contains("acct-7 "), "{}", &text[..200]);
    }

    #[test]
    fn names_within_the_cap_are_whole_and_aligned() {
        let name = "A".repeat(MAX_COLUMN);
        let entries = [entry(&name, "Dev"), entry("short", "Admin")];
        let mut out = Vec::new();
        table_of(&mut out, &entries).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains(&format!("{name}  Dev ")), "{text}");
        assert!(!text.contains(CUT_MARK), "{text}");
        let starts: Vec<usize> = text
            .lines()
            .map(|l| l.find("arn:").unwrap_or(0))
            .skip(1)
            .collect();
        assert_eq!(starts[0], starts[1], "{text}");
    }
}
