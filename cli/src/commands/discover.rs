//! `ssocred discover`: every account and role of a login, written as one
//! profile each into the AWS config file through the config-profiles sink.

use clap::{Args, ValueEnum};
use ssocred_core::Error;
use ssocred_core::domain::hop::Hop;
use ssocred_core::domain::naming::{AccountFields, DEFAULT_TEMPLATE, ProfileNamer};
use ssocred_core::sink::{SelectedRoleSink, deliver_roles};

use crate::flags::{ListingCommandFlags, RegionFlag};
use crate::request;
use crate::runtime::runtime;
use crate::settings::{Flags, Settings};
use crate::sources::team_file::TeamFile;

/// What a discovered profile holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Style {
    /// `credential_process` running this ssocred, and `region`.
    Process,
    /// Native SSO keys (sso_session or sso_start_url/sso_region,
    /// sso_account_id, sso_role_name) and `region`.
    Sso,
}

// `ssocred discover`: the variant doc in commands/mod.rs is its help.
#[derive(Debug, Clone, Args)]
pub struct DiscoverArgs {
    #[command(flatten)]
    pub common: ListingCommandFlags,

    #[command(flatten)]
    pub region: RegionFlag,

    /// What each profile holds.
    #[arg(long, value_enum, default_value_t = Style::Process)]
    pub style: Style,

    /// The profile-name template (handlebars): account_id, account_name,
    /// role_name, role_arn, sso_profile, sso_session, sso_start_url,
    /// sso_region, and a team source's alias (else the account name) and
    /// tags.KEY; helpers lower and upper [default: a synced team source's
    /// template for the login, else {{account_id}}-{{role_name}}].
    #[arg(long, value_name = "TEMPLATE", default_value = DEFAULT_TEMPLATE)]
    pub profile_name: String,

    /// Remove profiles of roles no longer assigned from ssocred's block.
    #[arg(long)]
    pub prune: bool,

    /// Print a unified diff of the config file and write nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Write chained profiles instead: each role's credential_process then
    /// assumes this role; repeatable, one hop each (ARN[,OPTION=VALUE...], as
    /// for `ssocred --assume`). They go to a block of their own, and the
    /// default names end in `-to-ROLE`. Only with --style process.
    #[arg(long, value_name = "ARN[,OPTION=VALUE...]")]
    pub assume: Vec<String>,
}

impl DiscoverArgs {
    /// What the flags say about the settings.
    pub fn flags(&self) -> Flags {
        Flags::listing(&self.common, self.region.region.clone())
    }
}

/// Runs the command.
pub fn run(args: &DiscoverArgs) -> Result<(), Error> {
    let hops = crate::settings::parse_assume(&args.assume)?;
    if !hops.is_empty() && args.style == Style::Sso {
        return Err(Error::Usage(
            "--assume needs --style process: a native SSO profile has no AssumeRole step"
                .to_owned(),
        ));
    }
    // A template on the command line is checked before anything else.
    ProfileNamer::new(&args.profile_name)?;
    let settings = Settings::from_process(&args.flags())?;
    let paths = request::paths()?;
    let ctx = request::sink_context(&paths)?;
    let mut spec = String::from("config-profiles:");
    spec.push_str(match args.style {
        Style::Process => "style=process",
        Style::Sso => "style=sso",
    });
    if args.prune {
        spec.push_str(",prune=true");
    }
    if args.dry_run {
        spec.push_str(",dry-run=true");
    }
    let mut sinks = vec![SelectedRoleSink::from_spec(&spec, &ctx)?];

    let request = request::listing(&settings, &paths, &args.common)?;
    let profile = &request.profile;
    let env = |name: &str| std::env::var(name).ok();
    let team = match &profile.session {
        Some(session) => crate::sources::for_session(session, &env)?,
        None => None,
    };
    let team = team.as_ref();
    if let Some((name, _)) = team {
        ssocred_core::stderr_line!(
            "ssocred: naming, regions and excludes from team source `{name}` (docs/sources.md)"
        );
    }
    let namer = ProfileNamer::new(&template(args, &hops, team.map(|(_, t)| t)))?;
    let runtime = runtime()?;
    let session = runtime.block_on(request.open_session(&mut std::io::stderr()))?;
    let mut entries = crate::selection::list(
        &session,
        &runtime,
        request.concurrency,
        args.common.listing.quiet,
    )?;
    if let Some(changes) = crate::selection::record_listing(&paths, profile, &entries, args.dry_run)
    {
        crate::selection::report_changes(&changes);
    }
    if let Some((_, team)) = team {
        entries.retain(|e| !team.excludes(e.account_id(), e.role_name()));
    }
    let tags = team.map(|(_, t)| t.tags()).unwrap_or_default();
    let names = namer.name_all_with(&entries, profile, &|role| AccountFields {
        alias: team.and_then(|(_, t)| t.alias(role.account_id())),
        tags: tags.get(role.account_id()),
    })?;
    if entries.is_empty() {
        ssocred_core::stderr_line!("ssocred: profile `{}` has no roles assigned", profile.name);
    }
    // The instance is named even when it has no roles, so that --prune can
    // empty its block. Roles go one at a time, and the listing is freed
    // before the file is rendered: the sink keeps what it needs, and 10,000
    // accounts make this matter.
    let stdout = std::io::stdout();
    let mut stdout = stdout.lock();
    // The source's region of each account, unless --region says otherwise,
    // found as each role goes.
    let region_of = |role: &ssocred_core::domain::role::RoleEntry| match (team, &args.region.region)
    {
        (Some((_, t)), None) => t.region_of(role.account_id()).map(str::to_owned),
        _ => None,
    };
    let roles = entries.into_iter().zip(names).map(|(role, name)| {
        let region = region_of(&role);
        (role, name, region)
    });
    deliver_roles(
        profile,
        Some(&request.region),
        &hops,
        roles,
        &mut sinks,
        &mut stdout,
    )?;
    Ok(())
}

/// The profile-name template: `--profile-name`, else the team source's,
/// else the default; chained profiles end in `-to-ROLE` unless the command
/// line named the template, so they never take the plain profiles' names.
fn template(args: &DiscoverArgs, hops: &[Hop], team: Option<&TeamFile>) -> String {
    let given = args.profile_name != DEFAULT_TEMPLATE;
    let base = if given {
        args.profile_name.as_str()
    } else {
        team.and_then(TeamFile::profile_name)
            .unwrap_or(DEFAULT_TEMPLATE)
    };
    match hops.last() {
        Some(last) if !given => format!(
            "{base}-to-{}",
            ssocred_core::domain::naming::sanitise(last.role.role_name())
        ),
        _ => base.to_owned(),
    }
}
