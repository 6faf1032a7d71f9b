//! `ssocred list`: every account and role the login may use, as a table or
//! JSON.

use std::borrow::Cow;
use std::io::Write;

use clap::Args;
use ssocred_core::Error;
use ssocred_core::aws::discovery::RoleFilter;
use ssocred_core::domain::role::RoleEntry;
use ssocred_core::domain::text::{visible, visible_column};
use ssocred_core::store::listing_record::Changes;

use crate::flags::ListingCommandFlags;
use crate::output::stream_stdout;
use crate::request;
use crate::runtime::runtime;
use crate::settings::{Flags, Settings};

// `ssocred list`: the variant doc in commands/mod.rs is its help.
#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub common: ListingCommandFlags,

    #[command(flatten)]
    pub listing_refresh: crate::flags::ListingRefreshFlag,

    /// Only accounts whose id or name matches this glob (case-insensitive).
    #[arg(long, value_name = "GLOB")]
    pub account: Option<String>,

    /// Only roles whose name matches this glob (case-insensitive).
    #[arg(long, value_name = "GLOB")]
    pub role: Option<String>,

    /// Print a JSON array instead of a table.
    #[arg(long)]
    pub json: bool,

    /// Only accounts a synced team source tags so (KEY=VALUE); repeatable,
    /// every tag must match.
    #[arg(long, value_name = "KEY=VALUE", value_parser = tag, conflicts_with = "changes")]
    pub tag: Vec<(String, String)>,

    /// Print the roles added (+ ARN) and removed (- ARN) since the last
    /// listing of this login (by list or discover) instead of the table;
    /// with --json, an object {since, added, removed}.
    #[arg(long)]
    pub changes: bool,
}

impl ListArgs {
    /// What the flags say about the settings.
    pub fn flags(&self) -> Flags {
        Flags {
            refresh_listing: self.listing_refresh.refresh,
            ..Flags::listing(&self.common, None)
        }
    }
}

/// Runs the command.
pub fn run(args: &ListArgs) -> Result<(), Error> {
    if args.changes && (args.account.is_some() || args.role.is_some()) {
        return Err(Error::Usage(
            "--changes compares whole listings; it does not go with --account or --role".to_owned(),
        ));
    }
    let filter = RoleFilter::new(args.account.as_deref(), args.role.as_deref())?;
    let settings = Settings::from_process(&args.flags())?;
    let paths = request::paths()?;
    let request = request::listing(&settings, &paths, &args.common)?;
    // A fresh recorded listing answers at once, with no login and no call;
    // `--changes` compares a new listing with it.
    let recorded = if args.changes {
        None
    } else {
        crate::selection::recorded_listing(&paths, &request.profile, &settings)
    };
    let (listed, changes) = match recorded {
        Some(listing) => {
            if !args.common.listing.quiet && std::io::IsTerminal::is_terminal(&std::io::stderr()) {
                say_recorded(&listing);
            }
            (listing.roles, None)
        }
        None => {
            let runtime = runtime()?;
            let session = runtime.block_on(request.open_session(&mut std::io::stderr()))?;
            let listed = crate::selection::list(
                &session,
                &runtime,
                request.concurrency,
                args.common.listing.quiet,
            )?;
            // The listing is always whole: --account and --role filter it.
            let changes =
                crate::selection::record_listing(&paths, &request.profile, &listed, false);
            (listed, changes)
        }
    };
    let tagged = tagged_accounts(&args.tag, &request.profile)?;
    let entries: Vec<RoleEntry> = listed
        .into_iter()
        .filter(|e| filter.matches(e))
        .filter(|e| {
            tagged
                .as_ref()
                .is_none_or(|ids| ids.contains(&e.account_id))
        })
        .collect();
    if args.changes {
        return write_changes(args, changes, &entries);
    }
    if let Some(changes) = &changes
        && !args.common.listing.quiet
        && std::io::IsTerminal::is_terminal(&std::io::stderr())
    {
        crate::selection::report_changes(changes);
    }
    stream_stdout(|out| {
        if args.json {
            // Machines get the names exactly as the portal sent them.
            serde_json::to_writer_pretty(&mut *out, &entries)?;
            writeln!(out)
        } else {
            write_table(out, &entries)
        }
    })
}

/// Tells a person that the roles shown are the recorded listing, and how
/// old it is.
fn say_recorded(listing: &ssocred_core::store::listing_record::Listing) {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let minutes = listing.age(now).unwrap_or_default() / 60;
    let age = match minutes {
        0 => "less than a minute".to_owned(),
        m if m < 120 => format!("{m} min"),
        m => format!("{} h", m / 60),
    };
    ssocred_core::stderr_line!(
        "ssocred: the roles as listed {age} ago ([listing] max_age_hours); `ssocred list --refresh` lists them anew"
    );
}

/// `--tag KEY=VALUE`.
fn tag(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_owned(), value.to_owned())),
        _ => Err("expected KEY=VALUE, such as env=prod".to_owned()),
    }
}

/// The accounts that carry every tag of `--tag` in the synced team source
/// of `sso`'s login; `None` without `--tag`. Tags come only from a team
/// source, so a login no synced source defines is a usage error.
fn tagged_accounts(
    tags: &[(String, String)],
    sso: &ssocred_core::domain::sso_profile::SsoProfile,
) -> Result<Option<std::collections::BTreeSet<String>>, Error> {
    if tags.is_empty() {
        return Ok(None);
    }
    let env = |name: &str| std::env::var(name).ok();
    let team = match &sso.session {
        Some(session) => crate::sources::for_session(session, &env)?,
        None => None,
    };
    let Some((_, team)) = team else {
        return Err(Error::Usage(format!(
            "--tag: no synced team source defines the login of profile `{}`; tags come from a team source (docs/sources.md)",
            sso.name
        )));
    };
    let ids = team
        .tags()
        .into_iter()
        .filter(|(_, have)| tags.iter().all(|(k, v)| have.get(k) == Some(v)))
        .map(|(id, _)| id.to_owned())
        .collect();
    Ok(Some(ids))
}

/// `--changes`: the roles added and removed since the last listing; all
/// of them (as added) when there was none, saying so on stderr.
fn write_changes(
    args: &ListArgs,
    changes: Option<Changes>,
    entries: &[RoleEntry],
) -> Result<(), Error> {
    let changes = changes.unwrap_or_else(|| {
        ssocred_core::stderr_line!(
            "ssocred: no earlier listing of this login; every role counts as added"
        );
        Changes {
            since: 0,
            added: entries.iter().map(|e| e.role_arn.clone()).collect(),
            removed: Vec::new(),
        }
    });
    stream_stdout(|out| {
        if args.json {
            serde_json::to_writer_pretty(&mut *out, &changes)?;
            return writeln!(out);
        }
        for arn in &changes.added {
            writeln!(out, "+ {}", visible(arn))?;
        }
        for arn in &changes.removed {
            writeln!(out, "- {}", visible(arn))?;
        }
        Ok(())
    })
}

/// An aligned table: account id, account name, role, role ARN, with server
/// text escaped for the terminal and the padded columns capped at
/// [`MAX_COLUMN`](ssocred_core::domain::text::MAX_COLUMN) characters
/// (`--json` has every name whole).
fn write_table(out: &mut dyn Write, entries: &[RoleEntry]) -> std::io::Result<()> {
    let rows: Vec<[Cow<'_, str>; 4]> = entries
        .iter()
        .map(|e| {
            [
                visible(&e.account_id),
                visible_column(&e.account_name),
                visible_column(&e.role_name),
                visible(&e.role_arn),
            ]
        })
        .collect();
    let width = |header: &str, column: usize| {
        rows.iter()
            .map(|row| row[column].chars().count())
            .chain([header.len()])
            .max()
            .unwrap_or(0)
    };
    let name_w = width("ACCOUNT NAME", 1);
    let role_w = width("ROLE", 2);
    let row = |out: &mut dyn Write, id: &str, name: &str, role: &str, arn: &str| {
        let pad = |text: &str, w: usize| " ".repeat(w.saturating_sub(text.chars().count()));
        writeln!(
            out,
            "{id:<12}  {name}{}  {role}{}  {arn}",
            pad(name, name_w),
            pad(role, role_w)
        )
    };
    row(out, "ACCOUNT ID", "ACCOUNT NAME", "ROLE", "ROLE ARN")?;
    for [id, name, role, arn] in &rows {
        row(out, id, name, role, arn)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ssocred_core::domain::text::{CUT_MARK, MAX_COLUMN};

    fn entry(account_name: &str, role_name: &str) -> RoleEntry {
        RoleEntry {
            account_id: "123456789012".to_owned(),
            account_name: account_name.to_owned(),
            role_name: role_name.to_owned(),
            role_arn: format!("arn:aws:iam::123456789012:role/{role_name}"),
        }
    }

    #[test]
    fn a_huge_name_is_cut_and_pads_no_row_past_the_cap() {
        let huge = "N".repeat(900_000);
        let mut entries = vec![entry(&huge, "Dev")];
        entries.extend((0..400).map(|i| entry(&format!("acct-{i}"), "ReadOnly")));
        let mut out = Vec::new();
        write_table(&mut out, &entries).unwrap();
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
        write_table(&mut out, &entries).unwrap();
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
