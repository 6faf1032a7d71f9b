//! `ssocred list`: every account and role the login may use, as a table or
//! JSON.

use clap::Args;
use ssocred_core::Error;
use ssocred_core::aws::discovery::RoleFilter;
use ssocred_core::domain::role::RoleView;
use ssocred_core::domain::text::visible;
use ssocred_core::store::listing_record::{self, Changes};

use crate::flags::ListingCommandFlags;
use crate::output::stream_stdout;
use crate::request;
use crate::role_table::{Shown, widths, write_table};
use crate::runtime::runtime;
use crate::settings::{Flags, Settings};
use ssocred_core::store::profile::ProfileFiles;

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
    // A fresh recorded listing answers at once, with no login and no call
    // (and the profile found as a credential call finds it); `--changes`
    // compares a new listing with it. One that proves damaged is listed
    // anew.
    if !args.changes
        && let Ok(sso) = ProfileFiles::load_config(&paths, &settings.profile.value)
            .and_then(|files| files.sso_profile(&settings.profile.value))
        && let Some(recorded) = crate::selection::recorded_listing(&paths, &sso, &settings)
    {
        let age = recorded.age(time::OffsetDateTime::now_utc().unix_timestamp());
        let tagged = tagged_accounts(&args.tag, &sso)?;
        let say = || {
            if !args.common.listing.quiet && std::io::IsTerminal::is_terminal(&std::io::stderr()) {
                say_recorded(age.unwrap_or_default());
            }
        };
        // Every role as a table: the one rendered when the listing was
        // recorded, copied.
        if filter.is_everything() && tagged.is_none() && !args.json {
            let path = crate::selection::listing_path(&paths, &sso);
            let (mut usable, mut damaged) = (false, None);
            let done =
                stream_stdout(
                    |out| match listing_record::copy_table(&path, &recorded, out) {
                        None => Ok(()),
                        Some(Err(e)) if e.kind() == std::io::ErrorKind::InvalidData => {
                            damaged = Some(e);
                            Ok(())
                        }
                        Some(copied) => {
                            usable = true;
                            copied
                        }
                    },
                );
            if let Some(e) = damaged {
                return Err(Error::ConfigFile {
                    path: listing_record::table_path(&path),
                    message: e.to_string(),
                });
            }
            if usable {
                say();
                return done;
            }
        }
        if let Some(done) = show(args, &filter, &tagged, &Listed::Recorded(recorded), None) {
            say();
            return done;
        }
    }
    let request = request::listing(&settings, &paths, &args.common)?;
    let runtime = runtime()?;
    let session = runtime.block_on(request.open_session(&mut std::io::stderr()))?;
    let listed = crate::selection::list(
        &session,
        &runtime,
        request.concurrency,
        args.common.listing.quiet,
    )?;
    // The listing is always whole: --account and --role filter it.
    let changes = crate::selection::record_listing(&paths, &request.profile, &listed, false);
    let tagged = tagged_accounts(&args.tag, &request.profile)?;
    show(args, &filter, &tagged, &Listed::Fresh(listed), changes).unwrap_or_else(|| {
        Err(Error::Internal(
            "a listing held in memory could not be read".to_owned(),
        ))
    })
}

/// Prints the roles of `listed` that the filter and tags let through, as
/// the flags ask; `None`, before anything is printed, when a recorded
/// listing proves damaged.
fn show(
    args: &ListArgs,
    filter: &RoleFilter,
    tagged: &Option<std::collections::BTreeSet<String>>,
    listed: &Listed,
    changes: Option<Changes>,
) -> Option<Result<(), Error>> {
    // The roles shown, viewed where they are, as often as needed: 30,000 of
    // them are shown without a copy of each name or a list of them all.
    let everything = filter.is_everything() && tagged.is_none();
    let shown: &Shown<'_> = &|each| {
        if everything {
            return listed.each(each);
        }
        listed.each(&mut |e| {
            let wanted = filter.matches_names(&e.account_id, &e.account_name, &e.role_name)
                && tagged
                    .as_ref()
                    .is_none_or(|ids| ids.contains(e.account_id.as_ref()));
            if wanted { each(e) } else { Ok(()) }
        })
    };
    if args.changes {
        return Some(write_changes(args, changes, shown));
    }
    // The table's widths, or a JSON array's check: a read through before a
    // byte is printed.
    let widths = if args.json {
        shown(&mut |_| Ok(())).ok()?;
        None
    } else {
        Some(widths(shown).ok()?)
    };
    if let Some(changes) = &changes
        && !args.common.listing.quiet
        && std::io::IsTerminal::is_terminal(&std::io::stderr())
    {
        crate::selection::report_changes(changes);
    }
    Some(stream_stdout(|out| match widths {
        // Machines get the names exactly as the portal sent them.
        None => {
            serde_json::to_writer_pretty(&mut *out, &Seq(shown))?;
            writeln!(out)
        }
        Some(widths) => write_table(out, shown, widths),
    }))
}

/// The roles listed: the recorded listing, or a new one.
enum Listed {
    Recorded(ssocred_core::store::listing_record::Listing),
    Fresh(Vec<ssocred_core::domain::role::RoleEntry>),
}

impl Listed {
    /// Calls `each` with every role, borrowed, until it fails.
    fn each(
        &self,
        each: &mut dyn FnMut(RoleView<'_>) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        match self {
            Listed::Recorded(listing) => listing.for_each(each),
            Listed::Fresh(entries) => entries.iter().try_for_each(|e| each(RoleView::from(e))),
        }
    }
}

/// The roles shown, as a JSON array.
struct Seq<'s, 'a>(&'s Shown<'a>);

impl serde::Serialize for Seq<'_, '_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error as _, SerializeSeq};
        let mut seq = serializer.serialize_seq(None)?;
        let mut failed = None;
        let read = (self.0)(&mut |role| {
            seq.serialize_element(&role).map_err(|e| {
                let shown = std::io::Error::other(e.to_string());
                failed = Some(e);
                shown
            })
        });
        if let Some(e) = failed {
            return Err(e);
        }
        read.map_err(S::Error::custom)?;
        seq.end()
    }
}

/// Tells a person that the roles shown are the recorded listing, and how
/// old it is (`age` seconds).
fn say_recorded(age: u64) {
    let age = match age / 60 {
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
    shown: &Shown<'_>,
) -> Result<(), Error> {
    let changes = match changes {
        Some(changes) => changes,
        None => {
            ssocred_core::stderr_line!(
                "ssocred: no earlier listing of this login; every role counts as added"
            );
            let mut added = Vec::new();
            shown(&mut |e| {
                added.push(e.role_arn.into_owned());
                Ok(())
            })
            .map_err(|e| Error::Internal(format!("the listing: {e}")))?;
            Changes {
                since: 0,
                added,
                removed: Vec::new(),
            }
        }
    };
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
