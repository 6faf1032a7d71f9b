//! `ssocred status [-p PROFILE | --all] [-r ARN] [--assume HOP ...]
//! [--check] [--json | --format TEMPLATE]`: what is valid, and for how long.
//! Reads the caches only; `--check` asks the portal whether the token still
//! works; `--watch` keeps reading them and reports crossings ([`watch`]).

use std::process::ExitCode;

use clap::Args;
use serde::Serialize;
use ssocred_core::domain::shell_line::suggested;
use ssocred_core::domain::sso_profile::SsoProfile;
use ssocred_core::domain::text::visible;
use ssocred_core::domain::time_fmt::utc_z;
use ssocred_core::pipeline::RoleChoice;
use ssocred_core::status::{
    self, LoginStatus, MissingProgram, NamedRole, RoleOrigin, RoleStatus, State, short_duration,
};
use ssocred_core::store::profile::{AwsPaths, ProfileFiles};
use ssocred_core::store::role_cache;
use ssocred_core::{Error, RoleArn};
use time::OffsetDateTime;

use crate::flags::{AssumeFlags, ConfigFlags, NetworkFlags, ProfileFlag, RoleFlags, WatchFlags};
use crate::output::write_stdout;
use crate::request;
use crate::runtime::runtime;
use crate::settings::{Flags, Settings, Source};

mod console;
mod watch;

/// Exit code: every login asked about is valid for longer than the threshold.
pub const VALID: u8 = 0;
/// Exit code: a login is valid for less than the threshold.
pub const EXPIRING: u8 = 10;
/// Exit code: a login has expired, is missing or unusable, or (`--check`)
/// the portal rejected it.
pub const EXPIRED: u8 = 11;

/// The longest `--format` template.
const MAX_FORMAT: usize = 1024;

/// Show the SSO login's expiry and the remaining lifetime of cached role
/// credentials, without a network call (unless --check). Exit code 0 valid,
/// 10 expiring within --threshold, 11 expired or missing.
#[derive(Debug, Clone, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub profile: ProfileFlag,

    /// Every SSO profile of the AWS config, instead of one.
    #[arg(long, conflicts_with_all = ["profile", "role_arn", "account", "role", "assume"])]
    pub all: bool,

    /// Also every role the login's other profiles name (their
    /// sso_account_id/sso_role_name and ssocred credential_process lines),
    /// not only the profile's own.
    #[arg(long)]
    pub all_roles: bool,

    #[command(flatten)]
    pub role: RoleFlags,

    #[command(flatten)]
    pub assume: AssumeFlags,

    /// Ask the portal whether the token still works (one ListAccounts call
    /// per login).
    #[arg(long)]
    pub check: bool,

    /// Print JSON for scripts.
    #[arg(long, conflicts_with = "format")]
    pub json: bool,

    /// Print one line per profile from a template for a shell prompt, e.g.
    /// '{{remaining}}'. Fields: profile, state, remaining, remaining_seconds,
    /// expires, refreshable, role, role_state, role_remaining, role_expires.
    /// Reads only the profile's own sections, and its named role's cache
    /// entry only for a role field.
    #[arg(long, value_name = "TEMPLATE")]
    pub format: Option<String>,

    /// Count a login or role as expiring when less than this many minutes
    /// are left.
    #[arg(long, value_name = "MINUTES", default_value_t = 15)]
    pub threshold: u32,

    /// Keep running in the foreground, reading the token files (no network
    /// call), and report when a login passes --threshold and when it
    /// expires: by desktop notification and on stderr. Stops on SIGINT or
    /// SIGTERM; never logs in.
    #[arg(long, conflicts_with_all = ["json", "format", "check"])]
    pub watch: bool,

    #[command(flatten)]
    pub watch_flags: WatchFlags,

    #[command(flatten)]
    pub network: NetworkFlags,

    #[command(flatten)]
    pub config: ConfigFlags,

    /// One line for a prompt about the role this shell uses (`ssocred
    /// use`): ROLE@ACCOUNT and the time its credentials have left; nothing
    /// when it uses none. Reads only the environment and the shell's record.
    #[arg(long, conflicts_with_all = ["all", "all_roles", "profile", "role_arn", "account", "role", "assume", "check", "json", "format"])]
    pub in_use: bool,
}

impl StatusArgs {
    /// What the flags say about the settings.
    pub fn flags(&self) -> Flags {
        Flags {
            config: self.config.config.clone(),
            preset: self.config.preset.clone(),
            profile: self.profile.profile.clone(),
            role_arn: self.role.role_arn.clone(),
            account_role: self.role.account.clone().zip(self.role.role.clone()),
            assume: self.assume.assume.clone(),
            notify_command: self.watch_flags.notify_command.clone(),
            watch_interval: self.watch_flags.interval,
            ..Flags::default()
        }
    }
}

/// What `--check` found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Check {
    Accepted,
    Rejected,
}

/// One profile's report.
#[derive(Debug)]
struct Report {
    profile: SsoProfile,
    /// The login's profiles, when reporting a login ([`Target::members`]).
    members: Vec<String>,
    login: LoginStatus,
    check: Option<Check>,
    roles: Vec<RoleStatus>,
    /// Discovered profiles whose program is gone.
    missing: Vec<MissingProgram>,
}

impl Report {
    /// The state that sets the exit code: the login's, or `Expired` when
    /// the portal rejected it.
    fn state(&self) -> State {
        match self.check {
            Some(Check::Rejected) => State::Expired,
            _ => self.login.state,
        }
    }
}

fn exit_code(state: State) -> u8 {
    match state {
        State::Valid => VALID,
        State::Expiring => EXPIRING,
        State::Expired | State::Missing | State::Unusable => EXPIRED,
    }
}

/// Runs the command.
pub fn run(args: &StatusArgs) -> Result<ExitCode, Error> {
    if args.in_use {
        return in_use();
    }
    let template = args.format.as_deref().map(Template::parse).transpose()?;
    watch_flags_only_with_watch(args)?;
    // A read-only look: an untrusted project file is left out, quietly in
    // a prompt's line.
    let settings = Settings::from_process_reading(&args.flags(), template.is_some())?;
    let paths = request::paths()?;
    let now = OffsetDateTime::now_utc();
    if !args.all
        && !args.watch
        && template.is_none()
        && super::console_login::is_console_profile(&settings, &paths)
    {
        return console::run(&settings.profile.value, &paths, args.json, now);
    }
    let threshold = time::Duration::minutes(i64::from(args.threshold));
    // The prompt form reads only what one profile and its named role need.
    let prompt_one = template.is_some() && !args.all;
    let files = if prompt_one {
        ProfileFiles::load_config(&paths, &settings.profile.value)?
    } else {
        ProfileFiles::load(&paths)?
    };
    let (files, targets) = targets(args, &settings, &paths, files)?;
    let every_login = targets.iter().any(|t| !t.members.is_empty());
    if args.watch {
        watch::run(&watch::WatchSettings {
            profiles: targets.into_iter().map(|t| t.profile).collect(),
            cache_dir: paths.sso_cache_dir(),
            store: request::token_store(&settings)?,
            threshold,
            interval: std::time::Duration::from_secs(settings.watch.interval.value),
            notify_command: settings.watch.notify_command.value.clone(),
            sources_sync: settings.sources.sync.value,
        })?;
        return Ok(ExitCode::from(VALID));
    }
    let asked = match targets.as_slice() {
        [one] if !args.all && !every_login => asked_role(&settings, args, &one.profile)?,
        _ => None,
    };
    let scope = Scope {
        settings: &settings,
        files: &files,
        asked,
        role_dir: role_cache::default_dir(&paths.home),
        sso_cache_dir: paths.sso_cache_dir(),
        store: request::token_store(&settings)?,
        now,
        threshold,
        // A shell's prompt reads only the profile's own sections.
        prompt_one: prompt_one && !every_login,
        // ... and no role-cache entry unless the template shows a role.
        want_roles: template.as_ref().is_none_or(Template::uses_roles),
        all_roles: args.all_roles || every_login,
        chained: !args.all && !every_login,
    };
    let mut reports: Vec<Report> = targets.into_iter().map(|t| scope.report(t)).collect();
    if args.check {
        check(&mut reports, args, &paths, &files, now)?;
    }
    // No SSO profile at all (`--all` over a config without one) is no login.
    let worst = reports
        .iter()
        .map(Report::state)
        .max_by_key(|s| exit_code(*s))
        .unwrap_or(State::Missing);
    let text = match (&template, args.json) {
        (Some(t), _) => reports.iter().map(|r| t.render(r, now)).collect(),
        (None, true) => json(&reports, now, args.threshold, worst),
        (None, false) => human(&reports, now),
    };
    write_stdout(text.as_bytes())?;
    Ok(ExitCode::from(exit_code(worst)))
}

/// `--in-use`: the prompt's line about the role this shell uses.
fn in_use() -> Result<ExitCode, Error> {
    let line = crate::shell_session::prompt_line(
        |k| std::env::var(k).ok(),
        &crate::shell_session::state_dir()?,
        OffsetDateTime::now_utc(),
    );
    if let Some(line) = line {
        write_stdout(format!("{line}\n").as_bytes())?;
    }
    Ok(ExitCode::SUCCESS)
}

fn watch_flags_only_with_watch(args: &StatusArgs) -> Result<(), Error> {
    if args.watch {
        return Ok(());
    }
    let given = [
        (
            "--notify-command",
            args.watch_flags.notify_command.is_some(),
        ),
        ("--interval", args.watch_flags.interval.is_some()),
    ];
    match given.iter().find(|(_, given)| *given) {
        Some((flag, _)) => Err(Error::Usage(format!("{flag} applies only with --watch"))),
        None => Ok(()),
    }
}

/// A login to report on, through one of its profiles.
#[derive(Debug)]
struct Target {
    profile: SsoProfile,
    /// Every profile of the login when reporting logins rather than
    /// profiles (a bare `status` with no default profile); else empty.
    members: Vec<String>,
}

/// The profiles to report on: the one asked for, every SSO profile
/// (`--all`), or, when no profile was named and the AWS config has no
/// `default`, one per login. The files come back whole in that last case,
/// as the prompt form loaded only the default's sections.
fn targets(
    args: &StatusArgs,
    settings: &Settings,
    paths: &AwsPaths,
    files: ProfileFiles,
) -> Result<(ProfileFiles, Vec<Target>), Error> {
    let one = |profile| Target {
        profile,
        members: Vec::new(),
    };
    if args.all {
        let mut names: Vec<&str> = files.sections().profiles().collect();
        names.sort_unstable();
        let every = names
            .into_iter()
            .filter_map(|name| files.sso_profile(name).ok())
            .map(one)
            .collect();
        return Ok((files, every));
    }
    let name = &settings.profile.value;
    let unnamed = settings.profile.source == Source::Default;
    if !unnamed || files.sections().get_profile(name).is_some() {
        let profile = files.sso_profile(name)?;
        return Ok((files, vec![one(profile)]));
    }
    let files = ProfileFiles::load(paths)?;
    let logins = logins(&files);
    Ok((files, logins))
}

/// One target per login of `files` (an sso-session, or a legacy start URL),
/// through its first profile by name, with all of its profiles.
fn logins(files: &ProfileFiles) -> Vec<Target> {
    let mut names: Vec<&str> = files.sections().profiles().collect();
    names.sort_unstable();
    let mut logins: Vec<Target> = Vec::new();
    for name in names {
        let Ok(profile) = files.sso_profile(name) else {
            continue;
        };
        match logins
            .iter_mut()
            .find(|t| status::same_login(&t.profile, &profile))
        {
            Some(login) => login.members.push(name.to_owned()),
            None => logins.push(Target {
                profile,
                members: vec![name.to_owned()],
            }),
        }
    }
    logins
}

/// What every report of one run shares.
struct Scope<'a> {
    settings: &'a Settings,
    files: &'a ProfileFiles,
    asked: Option<RoleArn>,
    role_dir: std::path::PathBuf,
    sso_cache_dir: std::path::PathBuf,
    /// Where the tokens are kept.
    store: ssocred_core::login::token_store::TokenStore,
    now: OffsetDateTime,
    threshold: time::Duration,
    prompt_one: bool,
    want_roles: bool,
    /// The roles every profile of the login names, not only the target's.
    all_roles: bool,
    /// Whether the settings' chain applies to the target's own role.
    chained: bool,
}

impl Scope<'_> {
    /// The report on `target`: its login, the role asked for or its own
    /// (through the settings' chain, and without it), and with
    /// `all_roles` the roles the login's other profiles name.
    fn report(&self, target: Target) -> Report {
        let Target { profile, members } = target;
        let login = status::login_status(
            &self.sso_cache_dir,
            &profile,
            &self.store,
            self.now,
            self.threshold,
        );
        let mut named: Vec<NamedRole> = Vec::new();
        let mut missing = Vec::new();
        // The chain of the settings applies to the role the command
        // would fetch: the one asked for, else the profile's own.
        let chained = |role: RoleArn| NamedRole {
            role,
            chain: self.settings.chain.value.clone(),
            origin: RoleOrigin::Asked,
        };
        match &self.asked {
            Some(role) => named.push(chained(role.clone())),
            None if !self.settings.chain.value.is_empty() && self.chained => {
                named.extend(status::own_role(&profile).map(|own| chained(own.role)));
            }
            None => {}
        }
        named.extend(status::own_role(&profile));
        if !self.prompt_one {
            if self.all_roles {
                named.extend(status::config_roles(self.files, &profile));
            }
            missing = status::missing_programs(self.files, &profile);
        }
        if !self.want_roles {
            named.clear();
        }
        let mut seen = std::collections::HashSet::new();
        let roles = named
            .into_iter()
            .filter(|n| seen.insert(n.identity()))
            .map(|n| status::role_status(&self.role_dir, &profile, n, self.now, self.threshold))
            .collect();
        Report {
            profile,
            members,
            login,
            check: None,
            roles,
            missing,
        }
    }
}

/// The role the command line or the ssocred config names, if any.
/// (`--account` and `--role` take the partition of `profile`'s SSO region.)
fn asked_role(
    settings: &Settings,
    args: &StatusArgs,
    profile: &SsoProfile,
) -> Result<Option<RoleArn>, Error> {
    let query = request::role_query(settings, &args.role, false)?;
    match query.choice {
        None => Ok(None),
        Some(RoleChoice::Arn(arn)) => Ok(Some(arn)),
        Some(RoleChoice::AccountRole(account, role)) => {
            RoleArn::for_role(&account, &role, &profile.sso_region)
                .map(Some)
                .map_err(|e| Error::Usage(format!("--account/--role: {e}")))
        }
        // A project or config file's `role` alone narrows a listing, which
        // status does not make: the profile's own role is reported.
        Some(RoleChoice::Patterns(_))
            if args.role.account.is_none() && args.role.role.is_none() =>
        {
            Ok(None)
        }
        Some(RoleChoice::Patterns(_)) => Err(Error::Usage(
            "status needs a whole role: --role-arn, or --account ID with --role NAME".to_owned(),
        )),
    }
}

/// Asks the portal about every login that has an unexpired token; a
/// rejected token is reported, anything else (unreachable, throttled) is
/// the command's error.
fn check(
    reports: &mut [Report],
    args: &StatusArgs,
    paths: &AwsPaths,
    files: &ProfileFiles,
    now: OffsetDateTime,
) -> Result<(), Error> {
    let runtime = runtime()?;
    for report in reports {
        if !matches!(report.login.state, State::Valid | State::Expiring) {
            continue;
        }
        let profile = &report.profile;
        let Ok(valid) = ssocred_core::login::sso_cache::load(&paths.sso_cache_dir(), profile, now)
        else {
            continue;
        };
        let network = request::network(&args.network, paths, files, &profile.name)?;
        let portal = request::portal(paths, profile, &network)?;
        report.check = match runtime.block_on(portal.check_token(&valid.token.access_token)) {
            Ok(()) => Some(Check::Accepted),
            Err(Error::LoginRequired { .. }) => Some(Check::Rejected),
            Err(e) => return Err(e),
        };
    }
    Ok(())
}

fn remaining(expires: Option<OffsetDateTime>, now: OffsetDateTime) -> Option<i64> {
    expires.map(|e| (e - now).whole_seconds())
}

fn origin_text(origin: &RoleOrigin) -> String {
    match origin {
        RoleOrigin::Asked => "asked".to_owned(),
        RoleOrigin::OwnProfile => "profile".to_owned(),
        RoleOrigin::Profile(name) => format!("profile {name}"),
    }
}

/// `valid, 2h05m left (expires ...Z)`, `expired at ...Z`, `missing`.
fn life(state: State, expires: Option<OffsetDateTime>, now: OffsetDateTime) -> String {
    match (state, expires) {
        (State::Valid | State::Expiring, Some(e)) => format!(
            "{}, {} left (expires {})",
            state.as_str(),
            short_duration((e - now).whole_seconds()),
            utc_z(e)
        ),
        (State::Expired, Some(e)) => format!("expired at {}", utc_z(e)),
        (state, _) => state.as_str().to_owned(),
    }
}

fn human(reports: &[Report], now: OffsetDateTime) -> String {
    let mut out = String::new();
    for r in reports {
        let p = &r.profile;
        let login = match &p.session {
            Some(s) => format!("sso-session {s}, {}", p.start_url),
            None => p.start_url.clone(),
        };
        let header = if r.members.is_empty() {
            format!("profile {} ({login})", p.name)
        } else {
            format!("login {login} (profiles {})", r.members.join(", "))
        };
        out.push_str(&visible(&header));
        out.push('\n');
        let mut line = life(r.login.state, r.login.expires, now);
        if let Some(problem) = &r.login.problem {
            line.push_str(&format!(": {problem}"));
        }
        let refresh = if r.login.refreshable {
            "refreshable"
        } else {
            "not refreshable"
        };
        let kept = match r.login.kept_in.as_str() {
            "the AWS CLI's cache file" => r.login.token_file.display().to_string(),
            other => other.to_owned(),
        };
        out.push_str(&format!("  login: {line}; {refresh} ({kept})\n"));
        match r.check {
            Some(Check::Accepted) => out.push_str("  check: the portal accepts the token\n"),
            Some(Check::Rejected) => out.push_str(&format!(
                "  check: the portal rejected the token; run `{}`\n",
                suggested(&["login", "-p", &p.name])
            )),
            None => {}
        }
        if r.roles.is_empty() {
            out.push_str("  roles: none named (use -r, or sso_account_id/sso_role_name)\n");
        }
        for role in &r.roles {
            let chain = &role.named.chain;
            let via = if chain.is_empty() {
                String::new()
            } else {
                let mut path = vec![role.named.role.as_str()];
                path.extend(chain[..chain.len() - 1].iter().map(|h| h.role.as_str()));
                format!(" (via {})", path.join(" > "))
            };
            out.push_str(&format!(
                "  role {}{via}: {} [{}]\n",
                role.named.target(),
                life(role.state, role.expires, now),
                visible(&origin_text(&role.named.origin))
            ));
        }
        for gone in &r.missing {
            let line = format!(
                "  profile {}: its credential_process program {} is gone; run `{}` again",
                gone.profile,
                gone.program,
                suggested(&["discover", "-p", &p.name])
            );
            out.push_str(&visible(&line));
            out.push('\n');
        }
    }
    out
}

#[derive(Serialize)]
struct JsonOut<'a> {
    state: &'static str,
    exit_code: u8,
    threshold_seconds: u64,
    profiles: Vec<JsonProfile<'a>>,
}

#[derive(Serialize)]
struct JsonProfile<'a> {
    profile: &'a str,
    /// Every profile of the login, when a bare `status` reports logins.
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    login_profiles: &'a [String],
    sso_session: Option<&'a str>,
    start_url: &'a str,
    login: JsonLogin<'a>,
    roles: Vec<JsonRole<'a>>,
    missing_programs: Vec<JsonMissing<'a>>,
}

#[derive(Serialize)]
struct JsonMissing<'a> {
    profile: &'a str,
    program: &'a str,
}

#[derive(Serialize)]
struct JsonLogin<'a> {
    state: &'static str,
    expires: Option<String>,
    remaining_seconds: Option<i64>,
    refreshable: bool,
    check: Option<&'static str>,
    token_file: String,
    /// Where the token is kept (`[login] token_store`).
    kept_in: &'a str,
    problem: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonRole<'a> {
    role_arn: &'a str,
    account_id: &'a str,
    role_name: &'a str,
    sso_role_arn: &'a str,
    assume: Vec<String>,
    from: String,
    state: &'static str,
    expires: Option<String>,
    remaining_seconds: Option<i64>,
    cache_file: String,
}

fn json(reports: &[Report], now: OffsetDateTime, threshold: u32, worst: State) -> String {
    let out = JsonOut {
        state: worst.as_str(),
        exit_code: exit_code(worst),
        threshold_seconds: u64::from(threshold) * 60,
        profiles: reports
            .iter()
            .map(|r| JsonProfile {
                profile: &r.profile.name,
                login_profiles: &r.members,
                sso_session: r.profile.session.as_deref(),
                start_url: &r.profile.start_url,
                login: JsonLogin {
                    state: r.state().as_str(),
                    expires: r.login.expires.map(utc_z),
                    remaining_seconds: remaining(r.login.expires, now),
                    refreshable: r.login.refreshable,
                    check: r.check.map(|c| match c {
                        Check::Accepted => "accepted",
                        Check::Rejected => "rejected",
                    }),
                    token_file: r.login.token_file.display().to_string(),
                    kept_in: &r.login.kept_in,
                    problem: r.login.problem.as_deref(),
                },
                roles: r
                    .roles
                    .iter()
                    .map(|role| JsonRole {
                        role_arn: role.named.target().as_str(),
                        account_id: role.named.target().account_id(),
                        role_name: role.named.target().role_name(),
                        sso_role_arn: role.named.role.as_str(),
                        assume: role.named.chain.iter().map(|h| h.spec()).collect(),
                        from: origin_text(&role.named.origin),
                        state: role.state.as_str(),
                        expires: role.expires.map(utc_z),
                        remaining_seconds: remaining(role.expires, now),
                        cache_file: role.cache_file.display().to_string(),
                    })
                    .collect(),
                missing_programs: r
                    .missing
                    .iter()
                    .map(|m| JsonMissing {
                        profile: &m.profile,
                        program: &m.program,
                    })
                    .collect(),
            })
            .collect(),
    };
    // Serialising strings, numbers and options cannot fail.
    let mut text = serde_json::to_string_pretty(&out).unwrap_or_default();
    text.push('\n');
    text
}

/// A `--format` template: literal text and `{{field}}` placeholders.
#[derive(Debug)]
struct Template {
    parts: Vec<Part>,
}

#[derive(Debug)]
enum Part {
    Text(String),
    Field(Field),
}

#[derive(Debug, Clone, Copy)]
enum Field {
    Profile,
    State,
    Remaining,
    RemainingSeconds,
    Expires,
    Refreshable,
    Role,
    RoleState,
    RoleRemaining,
    RoleExpires,
}

const FIELDS: [(&str, Field); 10] = [
    ("profile", Field::Profile),
    ("state", Field::State),
    ("remaining", Field::Remaining),
    ("remaining_seconds", Field::RemainingSeconds),
    ("expires", Field::Expires),
    ("refreshable", Field::Refreshable),
    ("role", Field::Role),
    ("role_state", Field::RoleState),
    ("role_remaining", Field::RoleRemaining),
    ("role_expires", Field::RoleExpires),
];

impl Template {
    fn parse(text: &str) -> Result<Template, Error> {
        let bad = |why: String| Error::Usage(format!("--format: {why}"));
        if text.len() > MAX_FORMAT {
            return Err(bad(format!("longer than {MAX_FORMAT} bytes")));
        }
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(open) = rest.find("{{") {
            if open > 0 {
                parts.push(Part::Text(rest[..open].to_owned()));
            }
            let after = &rest[open + 2..];
            let close = after
                .find("}}")
                .ok_or_else(|| bad("a `{{` is never closed by `}}`".to_owned()))?;
            let name = after[..close].trim();
            let field = FIELDS
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, f)| *f)
                .ok_or_else(|| {
                    bad(format!(
                        "unknown field `{}`; the fields are {}",
                        visible(name),
                        FIELDS.map(|(n, _)| n).join(", ")
                    ))
                })?;
            parts.push(Part::Field(field));
            rest = &after[close + 2..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_owned()));
        }
        Ok(Template { parts })
    }

    /// Whether a role field is used.
    fn uses_roles(&self) -> bool {
        self.parts.iter().any(|p| {
            matches!(
                p,
                Part::Field(
                    Field::Role | Field::RoleState | Field::RoleRemaining | Field::RoleExpires
                )
            )
        })
    }

    /// One line for `r`. A missing or expired value reads as its state
    /// (`expired`, `missing`), so a prompt shows a word, not a blank.
    fn render(&self, r: &Report, now: OffsetDateTime) -> String {
        let state = r.state();
        let left = |state: State, expires: Option<OffsetDateTime>| match (state, expires) {
            (State::Valid | State::Expiring, Some(e)) => short_duration((e - now).whole_seconds()),
            (state, _) => state.as_str().to_owned(),
        };
        let role = r.roles.first();
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Field(field) => out.push_str(&match field {
                    Field::Profile => visible(&r.profile.name).into_owned(),
                    Field::State => state.as_str().to_owned(),
                    Field::Remaining => left(state, r.login.expires),
                    Field::RemainingSeconds => remaining(r.login.expires, now)
                        .filter(|_| matches!(state, State::Valid | State::Expiring))
                        .unwrap_or(0)
                        .to_string(),
                    Field::Expires => r.login.expires.map(utc_z).unwrap_or_default(),
                    Field::Refreshable => if r.login.refreshable { "yes" } else { "no" }.to_owned(),
                    Field::Role => role
                        .map(|x| x.named.target().as_str().to_owned())
                        .unwrap_or_default(),
                    Field::RoleState => role.map_or("none", |x| x.state.as_str()).to_owned(),
                    Field::RoleRemaining => {
                        role.map_or_else(|| "none".to_owned(), |x| left(x.state, x.expires))
                    }
                    Field::RoleExpires => {
                        role.and_then(|x| x.expires).map(utc_z).unwrap_or_default()
                    }
                }),
            }
        }
        out.push('\n');
        out
    }
}
