//! `ssocred list` and `ssocred discover`: every account and role of a login,
//! printed or written as profiles through the config-profiles sink.

use std::borrow::Cow;
use std::io::{IsTerminal, Write};

use clap::builder::TypedValueParser as _;
use clap::{Args, ValueEnum};
use ssocred_core::discovery::{DEFAULT_CONCURRENCY, RoleEntry, RoleFilter};
use ssocred_core::naming::{DEFAULT_TEMPLATE, ProfileNamer};
use ssocred_core::portal::{self, Portal};
use ssocred_core::profile::{AwsPaths, ProfileFiles, SsoProfile};
use ssocred_core::sink::{SelectedRoleSink, deliver_roles};
use ssocred_core::text::visible;
use ssocred_core::{Error, SecretString, SinkContext, token};

use crate::progress::ListingBar;

/// Flags every listing command shares.
#[derive(Debug, Args)]
pub struct ListingArgs {
    /// The SSO profile in the AWS config file [default: $AWS_PROFILE, else default].
    #[arg(short, long, value_name = "PROFILE")]
    pub profile: Option<String>,

    /// How many ListAccountRoles calls run at once.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_CONCURRENCY,
          value_parser = clap::value_parser!(u16).range(1..=256).map(usize::from))]
    pub concurrency: usize,

    /// No progress bar.
    #[arg(short, long)]
    pub quiet: bool,

    /// Explain each step on stderr (never secrets).
    #[arg(short, long)]
    pub verbose: bool,
}

/// `ssocred list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub listing: ListingArgs,

    /// Only accounts whose id or name matches this glob (case-insensitive).
    #[arg(long, value_name = "GLOB")]
    pub account: Option<String>,

    /// Only roles whose name matches this glob (case-insensitive).
    #[arg(long, value_name = "GLOB")]
    pub role: Option<String>,

    /// Print a JSON array instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// What a discovered profile holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Style {
    /// `credential_process` running this ssocred, and `region`.
    Process,
    /// Native SSO keys (sso_session or sso_start_url/sso_region,
    /// sso_account_id, sso_role_name) and `region`.
    Sso,
}

/// `ssocred discover`.
#[derive(Debug, Args)]
pub struct DiscoverArgs {
    #[command(flatten)]
    pub listing: ListingArgs,

    /// The region written into each profile [default: the SSO profile's
    /// region, else its sso_region].
    #[arg(long, value_parser = crate::args::region, value_name = "REGION")]
    pub region: Option<String>,

    /// What each profile holds.
    #[arg(long, value_enum, default_value_t = Style::Process)]
    pub style: Style,

    /// The profile-name template (handlebars): account_id, account_name,
    /// role_name, role_arn, sso_profile, sso_session, sso_start_url,
    /// sso_region; helpers lower and upper.
    #[arg(long, value_name = "TEMPLATE", default_value = DEFAULT_TEMPLATE)]
    pub profile_name: String,

    /// Remove profiles of roles no longer assigned from ssocred's block.
    #[arg(long)]
    pub prune: bool,

    /// Print a unified diff of the config file and write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// A loaded SSO login, ready to call the portal.
pub struct Login {
    pub profile: SsoProfile,
    pub token: SecretString,
    pub portal: Portal,
    pub runtime: tokio::runtime::Runtime,
}

/// A `-v` line; what it quotes may come from the portal, so it is shown
/// escaped and stays one line.
pub fn say(verbose: bool, message: impl FnOnce() -> String) {
    if verbose {
        eprintln!("ssocred: {}", visible(&message()));
    }
}

/// The profile flag, else `$AWS_PROFILE`, else `default`.
pub fn profile_name(flag: Option<&str>) -> String {
    flag.map(str::to_owned)
        .or_else(|| std::env::var("AWS_PROFILE").ok().filter(|p| !p.is_empty()))
        .unwrap_or_else(|| "default".to_owned())
}

/// A login borrowed for the portal calls of one run.
pub struct Session<'a> {
    pub profile: &'a SsoProfile,
    pub token: &'a SecretString,
    pub portal: &'a Portal,
    pub runtime: &'a tokio::runtime::Runtime,
}

impl Session<'_> {
    /// Every role of the login, with a progress bar unless `quiet`.
    pub fn list(&self, listing: &ListingArgs) -> Result<Vec<RoleEntry>, Error> {
        say(listing.verbose, || {
            format!(
                "listing accounts and roles at {} ({} at a time)",
                self.portal.endpoint(),
                listing.concurrency
            )
        });
        let bar = ListingBar::new(listing.quiet);
        let result = self.runtime.block_on(self.portal.list_roles(
            self.token,
            listing.concurrency,
            &mut |p| bar.update(p),
        ));
        bar.finish();
        let entries = result?;
        say(listing.verbose, || {
            format!("{} roles listed", entries.len())
        });
        Ok(entries)
    }
}

impl Login {
    pub fn session(&self) -> Session<'_> {
        Session {
            profile: &self.profile,
            token: &self.token,
            portal: &self.portal,
            runtime: &self.runtime,
        }
    }

    /// Loads the SSO profile, obtains its token (refreshed, or logged in on a
    /// terminal, as `ssocred login` would), and builds the client.
    pub fn open(profile_flag: Option<&str>, verbose: bool) -> Result<Login, Error> {
        let env = |name: &str| std::env::var(name).ok();
        let paths = AwsPaths::from_env(env)?;
        let name = profile_name(profile_flag);
        let files = ProfileFiles::load_for(&paths, &name)?;
        let profile = files.sso_profile(&name)?;
        say(verbose, || {
            format!(
                "token file {}",
                token::cache_path(&paths.sso_cache_dir(), &profile).display()
            )
        });
        let runtime = runtime()?;
        let target = crate::login::target(&paths, &files, &profile);
        let policy = crate::login::default_policy(verbose);
        let token = runtime
            .block_on(ssocred_core::login::obtain_token(
                &target,
                &policy,
                &mut std::io::stderr(),
            ))?
            .token
            .access_token;
        let portal = Portal::new(
            &profile,
            portal::endpoint_override(|n| std::env::var(n).ok()),
        );
        Ok(Login {
            profile,
            token,
            portal,
            runtime,
        })
    }
}

/// The current-thread runtime every portal call of a run shares.
pub fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Usage(format!("cannot start the async runtime: {e}")))
}

pub fn list(args: &ListArgs) -> Result<(), Error> {
    let filter = RoleFilter::new(args.account.as_deref(), args.role.as_deref())?;
    let login = Login::open(args.listing.profile.as_deref(), args.listing.verbose)?;
    let entries: Vec<RoleEntry> = login
        .session()
        .list(&args.listing)?
        .into_iter()
        .filter(|e| filter.matches(e))
        .collect();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let written = if args.json {
        serde_json::to_writer_pretty(&mut out, &entries)
            .map_err(std::io::Error::from)
            .and_then(|()| writeln!(out))
    } else {
        write_table(&mut out, &entries)
    };
    match written.and_then(|()| out.flush()) {
        // `ssocred list | head` is fine.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.map_err(|e| Error::Usage(format!("cannot write to stdout: {e}"))),
    }
}

/// An aligned table: account id, account name, role, role ARN. The names
/// come from the portal, so their control characters are shown escaped.
fn write_table(out: &mut dyn Write, entries: &[RoleEntry]) -> std::io::Result<()> {
    let rows: Vec<[Cow<'_, str>; 4]> = entries
        .iter()
        .map(|e| {
            [
                visible(&e.account_id),
                visible(&e.account_name),
                visible(&e.role_name),
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

pub fn discover(args: &DiscoverArgs) -> Result<(), Error> {
    let namer = ProfileNamer::new(&args.profile_name)?;
    let paths = AwsPaths::from_env(|n| std::env::var(n).ok())?;
    let cwd = std::env::current_dir()
        .map_err(|e| Error::Usage(format!("cannot read the working directory: {e}")))?;
    let ctx = SinkContext {
        config_file: paths.config.clone(),
        credentials_file: paths.credentials.clone(),
        cwd,
    };
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

    let login = Login::open(args.listing.profile.as_deref(), args.listing.verbose)?;
    let entries = login.session().list(&args.listing)?;
    let names = namer.name_all(&entries, &login.profile)?;
    let region = args
        .region
        .clone()
        .or_else(|| login.profile.region.clone())
        .unwrap_or_else(|| login.profile.sso_region.clone());
    if entries.is_empty() {
        eprintln!(
            "ssocred: profile `{}` has no roles assigned",
            login.profile.name
        );
    }
    // The instance is named even when it has no roles, so that --prune can
    // empty its block. Roles go one at a time, and the listing is freed
    // before the file is rendered: the sink keeps what it needs, and 10,000
    // accounts make this matter. Consuming the lists frees each role's
    // strings once the sink has it.
    let stdout = std::io::stdout();
    let mut stdout = stdout.lock();
    deliver_roles(
        &login.profile,
        Some(&region),
        entries.into_iter().zip(names),
        &mut sinks,
        &mut stdout,
    )?;
    Ok(())
}

/// Whether the interactive chooser may run: stdin and stderr are terminals.
pub fn interactive() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

impl crate::args::GetArgs {
    /// `ssocred -p P --discover-roles` as `ssocred discover -p P`.
    pub fn as_discover(&self) -> DiscoverArgs {
        DiscoverArgs {
            listing: ListingArgs {
                profile: self.profile.clone(),
                concurrency: self.concurrency,
                quiet: self.quiet,
                verbose: self.verbose,
            },
            region: self.region.clone(),
            style: Style::Process,
            profile_name: self.profile_name.clone(),
            prune: false,
            dry_run: false,
        }
    }
}
