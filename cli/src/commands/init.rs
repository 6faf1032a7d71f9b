//! `ssocred init`: first-run setup. Asks for (or takes from flags) the
//! start URL, the SSO region and a session name, logs in, lists the roles,
//! and writes an `[sso-session]` and a profile for the chosen role (or, with
//! `--all`, a profile for the login and one per role through discover) into
//! the AWS config file. A section that exists with other values is never
//! replaced without `--force`; the diff is shown before it is written, and a
//! rerun with the same answers changes nothing.

use clap::Args;
use ssocred_core::aws::discovery::RoleFilter;
use ssocred_core::domain::naming::{DEFAULT_TEMPLATE, ProfileNamer, sanitise};
use ssocred_core::domain::role::RoleEntry;
use ssocred_core::domain::shell_line::{USER_SHELL, suggested};
use ssocred_core::domain::sso_profile::{SsoProfile, without_user_info};
use ssocred_core::domain::trace::Trace;
use ssocred_core::login::{self, OnExpiry, TokenPolicy};
use ssocred_core::os::fs::TargetFile;
use ssocred_core::pipeline::{Chooser, Picked, Plan, Request, RoleQuery, pick};
use ssocred_core::sink::{SelectedRoleSink, deliver_roles};
use ssocred_core::store::profile::{AwsPaths, ProfileFiles};
use ssocred_core::store::setup::{self, Conflict};
use ssocred_core::{Error, RoleArn};

use crate::flags::{
    ConfigFlags, FlowFlags, NetworkFlags, QuietFlag, RoleFlags, VerboseFlag, region,
};
use crate::request::{self, interactive};
use crate::runtime::runtime;
use crate::settings::{Flags, Settings};

// `ssocred init`: the variant doc in commands/mod.rs is its help.
#[derive(Debug, Clone, Args)]
pub struct InitArgs {
    /// The AWS access portal URL (https://d-1234567890.awsapps.com/start).
    #[arg(long, value_name = "URL")]
    pub start_url: Option<String>,

    /// The region of the IAM Identity Center instance [default: the one the
    /// start URL names, when it names one].
    #[arg(long, value_name = "REGION", value_parser = region)]
    pub sso_region: Option<String>,

    /// The name of the [sso-session] section [default: the first part of
    /// the start URL's host].
    #[arg(long, value_name = "NAME")]
    pub session_name: Option<String>,

    /// The profile to write [default: a profile that already holds this
    /// role, else ROLE-ACCOUNT; with --all, the session name]. `default`
    /// only when named: a [default] profile takes precedence over
    /// `ssocred use` in the SDKs.
    #[arg(long = "profile", value_name = "NAME")]
    pub profile_name: Option<String>,

    #[command(flatten)]
    pub role: RoleFlags,

    /// Write one profile per role instead (as `ssocred discover` does), and
    /// a profile for the login itself.
    #[arg(long, conflicts_with = "role_arn")]
    pub all: bool,

    /// The region written in the profile, for the SDKs' clients [default:
    /// the SSO region].
    #[arg(long, value_name = "REGION", value_parser = region)]
    pub region: Option<String>,

    /// Set up a console session of `aws login` instead of an SSO login:
    /// sign in (as `ssocred login --console` does) and write the profile's
    /// `login_session` and `region` (--profile, default `console`; --region
    /// asked on a terminal when the profile has none).
    #[arg(long, conflicts_with_all = ["start_url", "sso_region", "session_name", "all", "role_arn", "account", "role", "dry_run"])]
    pub login_session: bool,

    /// Replace the values of a section that already exists with others.
    #[arg(long)]
    pub force: bool,

    /// Print the diff of the config file and write nothing under ~/.aws: a
    /// login it needs is kept in memory for the listing.
    #[arg(long)]
    pub dry_run: bool,

    /// Write without asking, even on a terminal.
    #[arg(short, long)]
    pub yes: bool,

    #[command(flatten)]
    pub flow: FlowFlags,

    #[command(flatten)]
    pub quiet: QuietFlag,

    #[command(flatten)]
    pub verbose: VerboseFlag,

    #[command(flatten)]
    pub network: NetworkFlags,

    #[command(flatten)]
    pub config: ConfigFlags,
}

impl InitArgs {
    /// What the flags say about the settings: only how to log in.
    pub fn flags(&self) -> Flags {
        Flags {
            config: self.config.config.clone(),
            preset: self.config.preset.clone(),
            device_code: self.flow.device_code,
            no_browser: self.flow.no_browser,
            redirect_port: self.flow.redirect_port,
            token_store: self.flow.token_store.clone(),
            ..Flags::default()
        }
    }
}

/// `init --login-session`: the profile of a console session, signed in.
fn init_console_session(args: &InitArgs, paths: &AwsPaths, person: bool) -> Result<(), Error> {
    let name = args
        .profile_name
        .clone()
        .unwrap_or_else(|| "console".to_owned());
    setup::check_name(&name).map_err(|why| Error::Usage(format!("--profile {name:?}: {why}")))?;
    let has_region = ProfileFiles::load(paths)?
        .profile_value(&name, "region")
        .is_some();
    let region = match &args.region {
        Some(region) => Some(region.clone()),
        None if has_region => None,
        None if person => Some(ask(
            "AWS region of the console session:",
            Some("us-east-1"),
            |r| crate::flags::region(r).map(drop),
        )?),
        None => {
            return Err(Error::Usage(
                "--login-session needs --region (AWS Sign-In is regional) when the profile has none and there is no terminal to ask".to_owned(),
            ));
        }
    };
    let settings = Settings::from_process(&args.flags())?;
    super::console_login::login(
        &name,
        region,
        &args.network,
        &request::login_settings(&settings),
        paths,
    )
}

/// The answers that make the `[sso-session]`.
struct Session {
    name: String,
    start_url: String,
    sso_region: String,
}

impl Session {
    fn header(&self) -> String {
        format!("sso-session {}", self.name)
    }

    fn entries(&self) -> [(&str, &str); 2] {
        [
            ("sso_start_url", self.start_url.as_str()),
            ("sso_region", self.sso_region.as_str()),
        ]
    }
}

/// Runs the command.
pub fn run(args: &InitArgs) -> Result<(), Error> {
    let person = interactive();
    let paths = request::paths()?;
    if args.login_session {
        return init_console_session(args, &paths, person);
    }
    // Every answer given as a flag is checked before any login or listing.
    let plan = plan(args)?;
    if let Some(name) = &args.profile_name {
        setup::check_name(name)
            .map_err(|why| Error::Usage(format!("--profile {name:?}: {why}")))?;
    }
    let session = ask_session(args, person)?;
    // The config must parse and the session must be free before the login.
    let files = ProfileFiles::load(&paths)?;
    let text = std::fs::read_to_string(&paths.config).unwrap_or_default();
    setup::set_section(&text, &session.header(), &session.entries(), args.force)
        .map_err(|c| conflict(&paths, &c))?;

    let region = args
        .region
        .clone()
        .unwrap_or_else(|| session.sso_region.clone());
    let sso = SsoProfile {
        name: args
            .profile_name
            .clone()
            .unwrap_or_else(|| session.name.clone()),
        session: Some(session.name.clone()),
        start_url: session.start_url.clone(),
        sso_region: session.sso_region.clone(),
        region: Some(region.clone()),
        account_id: None,
        role_name: None,
    };
    let settings = Settings::from_process(&args.flags())?;
    let request = login_request(args, &settings, &paths, &files, &sso, &region)?;
    let runtime = runtime()?;
    let portal = runtime.block_on(request.open_session(&mut std::io::stderr()))?;
    let listed = crate::selection::list(&portal, &runtime, request.concurrency, args.quiet.quiet)?;
    crate::selection::record_listing(&paths, &sso, &listed, false);
    let order = settings.chooser_order().value;
    let tags = crate::selection::account_tags(&sso);
    let mut choose =
        |entries: &[RoleEntry]| crate::prompt::choose_on_terminal(entries, order, &tags);
    let chooser: Chooser<'_> = if person { Some(&mut choose) } else { None };
    match pick(plan, listed, &sso, chooser)? {
        Picked::One(role) => {
            let name = profile_name(args, &files, &session, Some(&role), person)?;
            let entries = [
                ("sso_session", session.name.as_str()),
                ("sso_account_id", role.account_id()),
                ("sso_role_name", role.role_name()),
                ("region", region.as_str()),
            ];
            write_config(args, &paths, &session, &name, &entries, person)?;
            if !args.dry_run {
                ssocred_core::stderr_line!(
                    "ssocred: profile `{name}` uses {} in {}; try `{}` or `aws sts get-caller-identity --profile {}`",
                    role.role_name(),
                    role.account_id(),
                    suggested(&["-p", &name, "--sink", "json"]),
                    USER_SHELL.typed(&name)
                );
            }
            Ok(())
        }
        Picked::All(roles) => {
            let name = profile_name(args, &files, &session, None, person)?;
            let entries = [
                ("sso_session", session.name.as_str()),
                ("region", region.as_str()),
            ];
            write_config(args, &paths, &session, &name, &entries, person)?;
            let sso = SsoProfile { name, ..sso };
            discover(args, &paths, &sso, &region, roles)
        }
    }
}

/// The start URL, SSO region and session name: flags, else questions on a
/// terminal, else a usage error naming the flag.
fn ask_session(args: &InitArgs, person: bool) -> Result<Session, Error> {
    let start_url = match &args.start_url {
        Some(url) => url.trim().to_owned(),
        None if person => ask("AWS access portal (start) URL:", None, |u| {
            setup::check_start_url(u.trim())
        })?
        .trim()
        .to_owned(),
        None => return Err(missing("--start-url URL", "the AWS access portal URL")),
    };
    setup::check_start_url(&start_url).map_err(|why| {
        Error::Usage(format!(
            "--start-url {:?}: {why}",
            without_user_info(&start_url)
        ))
    })?;
    let derived = setup::region_from_start_url(&start_url);
    let sso_region = match (&args.sso_region, derived) {
        (Some(r), _) => r.clone(),
        (None, derived) if person => ask(
            "SSO region (where IAM Identity Center runs):",
            derived.as_deref(),
            ssocred_core::domain::sso_profile::check_region,
        )?,
        (None, Some(derived)) => {
            ssocred_core::stderr_line!("ssocred: SSO region {derived}, from the start URL");
            derived
        }
        (None, None) => {
            return Err(missing(
                "--sso-region REGION",
                "the region of IAM Identity Center (the start URL does not name it)",
            ));
        }
    };
    let default_name = setup::default_session_name(&start_url);
    let name = match &args.session_name {
        Some(n) => n.clone(),
        None if person => ask("Session name:", Some(&default_name), setup::check_name)?,
        None => default_name,
    };
    setup::check_name(&name)
        .map_err(|why| Error::Usage(format!("--session-name {name:?}: {why}")))?;
    Ok(Session {
        name,
        start_url,
        sso_region,
    })
}

/// A question on the terminal, asked again until `check` accepts the answer.
fn ask(
    message: &str,
    default: Option<&str>,
    check: impl Fn(&str) -> Result<(), String> + Clone + 'static,
) -> Result<String, Error> {
    let validator = move |value: &str| {
        Ok(match check(value) {
            Ok(()) => inquire::validator::Validation::Valid,
            Err(why) => inquire::validator::Validation::Invalid(why.into()),
        })
    };
    let mut question = inquire::Text::new(message).with_validator(validator);
    if let Some(default) = default {
        question = question.with_default(default);
    }
    question.prompt().map_err(cancelled)
}

fn cancelled(e: inquire::InquireError) -> Error {
    Error::Usage(format!("init was not finished: {e}"))
}

fn missing(flag: &str, what: &str) -> Error {
    Error::Usage(format!(
        "init needs {what}: pass {flag} (there is no terminal to ask on)"
    ))
}

fn conflict(paths: &AwsPaths, c: &Conflict) -> Error {
    Error::Usage(format!(
        "{} in {} already holds other values; pass --force to replace them, or choose another name (--session-name, --profile)",
        c.header,
        paths.config.display()
    ))
}

/// The request that logs in (always allowed: init is run to set up, and a
/// rerun with a valid token logs in no more) and lists the roles.
fn login_request(
    args: &InitArgs,
    settings: &Settings,
    paths: &AwsPaths,
    files: &ProfileFiles,
    sso: &SsoProfile,
    region: &str,
) -> Result<Request, Error> {
    let network = request::network(&args.network, paths, files, &sso.name)?;
    let defaults = crate::flags::TokenFlags::default();
    let mut login =
        request::login_target(paths, files, sso, &network, request::token_store(settings)?)?;
    // A dry run writes nothing under ~/.aws, the token cache included.
    login.keep_in_memory = args.dry_run;
    Ok(Request {
        login,
        token: TokenPolicy {
            refresh_window: std::time::Duration::from_secs(defaults.refresh_window),
            lock_timeout: request::LOGIN_TIMEOUT,
            on_expiry: OnExpiry::Login(request::login_settings(settings)),
            verbose: args.verbose.verbose,
        },
        cache: None,
        portal: request::portal(paths, sso, &network)?,
        profile: sso.clone(),
        query: RoleQuery {
            choice: None,
            all: args.all,
        },
        region: region.to_owned(),
        concurrency: ssocred_core::aws::discovery::DEFAULT_CONCURRENCY,
        trace: Trace::new(args.verbose.verbose),
        network,
        chain: None,
    })
}

/// The role flags as a listing plan: one role (the chooser when several
/// match), or every match with --all.
fn plan(args: &InitArgs) -> Result<Plan, Error> {
    let role = &args.role;
    let filter = match &role.role_arn {
        Some(arn) => {
            let arn = RoleArn::parse(arn).map_err(|e| Error::Usage(format!("--role-arn: {e}")))?;
            RoleFilter::new(Some(arn.account_id()), Some(arn.role_name()))?
        }
        None => RoleFilter::new(role.account.as_deref(), role.role.as_deref())?,
    };
    Ok(if args.all {
        Plan::All(filter)
    } else {
        Plan::One(filter)
    })
}

/// The profile to write: `--profile`, else asked on a terminal with a
/// suggestion, else the suggestion: a profile that already holds this
/// login and role (so a rerun writes the same one), else ROLE-ACCOUNT, as
/// the AWS CLI suggests (the session name with --all). Never `default`
/// unasked: the SDKs read [default] before anything `ssocred use` sets up
/// in a shell, so it would shadow every other profile.
fn profile_name(
    args: &InitArgs,
    files: &ProfileFiles,
    session: &Session,
    role: Option<&RoleEntry>,
    person: bool,
) -> Result<String, Error> {
    // Checked by `run` before the login.
    if let Some(name) = &args.profile_name {
        return Ok(name.clone());
    }
    let value = |profile: &str, key: &str| files.profile_value(profile, key).map(str::to_owned);
    let holds_it = |profile: &&str| {
        value(profile, "sso_session").as_deref() == Some(session.name.as_str())
            && value(profile, "sso_account_id").as_deref() == role.map(|r| r.account_id())
            && value(profile, "sso_role_name").as_deref() == role.map(|r| r.role_name())
    };
    let existing = files
        .sections()
        .profiles()
        .find(holds_it)
        .map(str::to_owned);
    let suggestion = existing.unwrap_or_else(|| match role {
        Some(r) => sanitise(&format!("{}-{}", r.role_name(), r.account_id())),
        None => session.name.clone(),
    });
    if person {
        ask("Profile name:", Some(&suggestion), setup::check_name)
    } else {
        Ok(suggestion)
    }
}

/// Sets the session and the profile in the config file under its lock:
/// shows the diff, asks on a terminal (unless --yes), writes atomically.
fn write_config(
    args: &InitArgs,
    paths: &AwsPaths,
    session: &Session,
    profile: &str,
    entries: &[(&str, &str)],
    person: bool,
) -> Result<(), Error> {
    let path = &paths.config;
    let io = |what: &str, e: std::io::Error| login::file_error(path, what, &e);
    // A dry run takes no lock: its sidecar file would be a write.
    let file = if args.dry_run {
        TargetFile::open_for_reading(path)
    } else {
        TargetFile::open_for_update(path)
    }
    .map_err(|e| io("cannot open", e))?;
    let before = file
        .read()
        .map_err(|e| io("cannot read", e))?
        .unwrap_or_default();
    let after = setup::set_section(&before, &session.header(), &session.entries(), args.force)
        .and_then(|text| {
            setup::set_section(&text, &setup::profile_header(profile), entries, args.force)
        })
        .map_err(|c| conflict(paths, &c))?;
    ssocred_core::store::profile::parse_sections(Some(&after), None).map_err(|why| {
        Error::Internal(format!(
            "the edited {} would not parse ({why}); nothing was written",
            path.display()
        ))
    })?;
    let diff = setup::unified_diff(&before, &after, &path.display().to_string());
    if diff.is_empty() {
        ssocred_core::stderr_line!(
            "ssocred: {}: [{}] and [{}] are already set up; nothing to change",
            path.display(),
            session.header(),
            setup::profile_header(profile)
        );
        return Ok(());
    }
    crate::output::write_stdout(diff.as_bytes())?;
    if args.dry_run {
        ssocred_core::stderr_line!("ssocred: {}: dry run, nothing written", path.display());
        return Ok(());
    }
    if person && !args.yes {
        let go = inquire::Confirm::new(&format!("Write this to {}?", path.display()))
            .with_default(true)
            .prompt()
            .map_err(cancelled)?;
        if !go {
            return Err(Error::Usage(
                "init was not finished: nothing was written".to_owned(),
            ));
        }
    }
    file.write(after.as_bytes())
        .map_err(|e| io("cannot write", e))?;
    ssocred_core::stderr_line!("ssocred: {}: written", path.display());
    Ok(())
}

/// One profile per role, through the config-profiles sink, as
/// `ssocred discover` writes them.
fn discover(
    args: &InitArgs,
    paths: &AwsPaths,
    sso: &SsoProfile,
    region: &str,
    roles: Vec<RoleEntry>,
) -> Result<(), Error> {
    let ctx = request::sink_context(paths)?;
    let spec = if args.dry_run {
        "config-profiles:style=process,dry-run=true"
    } else {
        "config-profiles:style=process"
    };
    let mut sinks = vec![SelectedRoleSink::from_spec(spec, &ctx)?];
    let names = ProfileNamer::new(DEFAULT_TEMPLATE)?.name_all(&roles, sso)?;
    let stdout = std::io::stdout();
    deliver_roles(
        sso,
        Some(region),
        &[],
        roles
            .into_iter()
            .zip(names)
            .map(|(role, name)| (role, name, None)),
        &mut sinks,
        &mut stdout.lock(),
    )?;
    Ok(())
}
