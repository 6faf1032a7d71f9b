//! From a planned request to its fetch: a role named outright needs nothing
//! more; otherwise the login's roles are listed (with a progress bar), and
//! the plan picks one of them (on a terminal, the user may choose, in the
//! config's `[chooser] order`) or all.

use ssocred_core::Error;
use ssocred_core::domain::role::RoleEntry;
use ssocred_core::domain::shell_line::suggested;
use ssocred_core::pipeline::{Chooser, Fetch, OneFetch, Picked, Plan, Request, Session, pick};
use tokio::runtime::Runtime;

use crate::flags::RoleFlags;
use crate::progress::ListingBar;
use crate::request::{self, interactive};
use crate::settings::Settings;
use ssocred_core::store::listing_record;
use ssocred_core::store::profile::AwsPaths;

/// The one set of a command that runs with one role (`exec`, `use`, its
/// server): the console session the settings name, else the role of
/// their SSO request (which the chooser may pick).
pub fn one(
    settings: &Settings,
    paths: &AwsPaths,
    role: &RoleFlags,
    runtime: &Runtime,
    quiet: bool,
) -> Result<OneFetch, Error> {
    if let Some(console) = request::console_fetch(settings, paths, false)? {
        return Ok(OneFetch::Console(console));
    }
    let request = request::one_role(settings, paths, role)?;
    match fetch(&request, settings, paths, runtime, quiet)? {
        Fetch::One(one) => Ok(OneFetch::Role(one)),
        _ => Err(Error::Internal(
            "a command of one role selected several".to_owned(),
        )),
    }
}

/// The fetch of `request`, listing on `runtime` when the plan needs it.
/// One role out of several (the chooser, or patterns) is picked from the
/// recorded listing while it is fresh ([`recorded_listing`]); `--all`
/// always lists anew.
pub fn fetch(
    request: &Request,
    settings: &Settings,
    paths: &AwsPaths,
    runtime: &Runtime,
    quiet: bool,
) -> Result<Fetch, Error> {
    let order = settings.chooser_order().value;
    let plan = request.plan()?;
    let person = interactive();
    if let Plan::Role(role) = plan {
        // A role a person named counts as a use, as a pick of the chooser
        // does; a credential_process run (no terminal) is nobody's choice.
        if person {
            crate::prompt::remember(role.as_str(), order);
        }
        return Ok(Fetch::One(request.role_fetch(role, None)));
    }
    if matches!(plan, Plan::Unselected) && !person {
        let name = &request.profile.name;
        return Err(Error::Usage(format!(
            "no role selected and no terminal for the interactive chooser: pass -r/--role-arn ARN, or --account ID --role NAME, or --all with --account/--role patterns, or set sso_account_id and sso_role_name in profile `{name}`; `{}` shows the roles you have",
            suggested(&["list", "-p", name])
        )));
    }
    // The chooser and --all need the role listing, so the token is needed
    // before the first round.
    let session = runtime.block_on(request.open_session(&mut std::io::stderr()))?;
    let recorded = match &plan {
        Plan::One(filter) => recorded_entries(paths, &request.profile, settings)
            // A role the recorded listing lacks may be new: list anew.
            .filter(|entries| entries.iter().any(|e| filter.matches(e))),
        Plan::Unselected => recorded_entries(paths, &request.profile, settings),
        Plan::All(_) | Plan::Role(_) => None,
    };
    let listed = match recorded {
        Some(entries) => entries,
        None => {
            let listed = list(&session, runtime, request.concurrency, quiet)?;
            let changes = record_listing(paths, &request.profile, &listed, false);
            if let (Some(changes), true, false) = (changes, person, quiet) {
                report_changes(&changes);
            }
            listed
        }
    };
    let mut chosen = false;
    let mut choose = |entries: &[RoleEntry]| {
        chosen = true;
        crate::prompt::choose_on_terminal(entries, order, &account_tags(&request.profile))
    };
    let chooser: Chooser<'_> = if person { Some(&mut choose) } else { None };
    let picked = pick(plan, listed, &request.profile, chooser)?;
    // The chooser remembers its own pick; a single match of the patterns
    // is the person's pick too.
    if let (Picked::One(entry), true, false) = (&picked, person, chosen) {
        crate::prompt::remember(entry.role_arn(), order);
    }
    request.fetch(picked, session)
}

/// The tags the synced team source of `sso`'s login gives its accounts,
/// for the chooser; none without one. A source that cannot be read is a
/// warning: the chooser works without tags.
pub fn account_tags(
    sso: &ssocred_core::domain::sso_profile::SsoProfile,
) -> crate::prompt::AccountTags {
    let Some(session) = &sso.session else {
        return crate::prompt::AccountTags::new();
    };
    let env = |name: &str| std::env::var(name).ok();
    match crate::sources::for_session(session, &env) {
        Ok(Some((_, team))) => team
            .tags()
            .into_iter()
            .filter(|(_, tags)| !tags.is_empty())
            .map(|(id, tags)| {
                let words: Vec<String> = tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
                (id.to_owned(), words.join(" "))
            })
            .collect(),
        Ok(None) => crate::prompt::AccountTags::new(),
        Err(e) => {
            ssocred_core::stderr_line!("ssocred: warning: the chooser shows no tags: {e}");
            crate::prompt::AccountTags::new()
        }
    }
}

/// Every role of the session, with a progress bar unless `quiet`.
pub fn list(
    session: &Session,
    runtime: &Runtime,
    concurrency: usize,
    quiet: bool,
) -> Result<Vec<RoleEntry>, Error> {
    let bar = ListingBar::new(quiet);
    let listed = runtime.block_on(session.list(concurrency, &mut |p| bar.update(p)));
    bar.finish();
    listed
}

/// The recorded listing of `sso`'s roles, if it is younger than the
/// settings' `[listing] max_age_hours` (never with 0 or `--refresh`); its
/// roles are checked as they are read.
pub fn recorded_listing(
    paths: &AwsPaths,
    sso: &ssocred_core::domain::sso_profile::SsoProfile,
    settings: &Settings,
) -> Option<listing_record::Listing> {
    let max_age = settings.listing.max_age_secs();
    if max_age == 0 {
        return None;
    }
    let listing = listing_record::open(&listing_path(paths, sso))?;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    (listing.age(now)? < max_age).then_some(listing)
}

/// The roles of the recorded listing, if it is fresh and reads whole.
fn recorded_entries(
    paths: &AwsPaths,
    sso: &ssocred_core::domain::sso_profile::SsoProfile,
    settings: &Settings,
) -> Option<Vec<RoleEntry>> {
    recorded_listing(paths, sso, settings)?.entries().ok()
}

/// Where the listing of `sso`'s roles is recorded.
pub fn listing_path(
    paths: &AwsPaths,
    sso: &ssocred_core::domain::sso_profile::SsoProfile,
) -> std::path::PathBuf {
    let env = |name: &str| std::env::var(name).ok();
    let dir = ssocred_core::os::dirs::ssocred_cache_dir(&env, &paths.home);
    listing_record::record_path(&dir, sso)
}

/// Records a whole listing of `sso`'s roles in ssocred's cache directory
/// and returns what changed since the one recorded before (none the first
/// time). A record that cannot be written is only a warning: the listing
/// itself was fine.
/// With `dry_run`, the changes are read and nothing is recorded.
pub fn record_listing(
    paths: &AwsPaths,
    sso: &ssocred_core::domain::sso_profile::SsoProfile,
    roles: &[RoleEntry],
    dry_run: bool,
) -> Option<listing_record::Changes> {
    let path = listing_path(paths, sso);
    if dry_run {
        return listing_record::changes_since(&path, roles);
    }
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    // `list`'s table of every role, rendered once here: a `list` of the
    // recorded listing then copies it.
    let table = |out: &mut dyn std::io::Write| crate::role_table::table_of(out, roles);
    match listing_record::record_with_table(&path, roles, now, Some(&table)) {
        Ok(changes) => changes,
        Err(e) => {
            ssocred_core::stderr_line!(
                "ssocred: warning: cannot record the listing in {}: {e}",
                path.display()
            );
            None
        }
    }
}

/// Says on stderr which roles were added and removed since the last
/// listing (at most [`SHOWN_CHANGES`] of each, then how many more);
/// nothing when none was.
pub fn report_changes(changes: &listing_record::Changes) {
    if changes.added.is_empty() && changes.removed.is_empty() {
        return;
    }
    ssocred_core::stderr_line!(
        "ssocred: since the last listing of this login: {} role(s) added, {} removed",
        changes.added.len(),
        changes.removed.len()
    );
    for (mark, arns) in [('+', &changes.added), ('-', &changes.removed)] {
        for arn in arns.iter().take(SHOWN_CHANGES) {
            ssocred_core::stderr_line!("  {mark} {}", ssocred_core::domain::text::visible(arn));
        }
        if arns.len() > SHOWN_CHANGES {
            ssocred_core::stderr_line!("  {mark} … and {} more", arns.len() - SHOWN_CHANGES);
        }
    }
}

/// How many added (and removed) roles `discover` names on stderr.
const SHOWN_CHANGES: usize = 20;
