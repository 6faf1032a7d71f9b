//! One invocation: settings, then the core pipeline, then the sinks.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use ssocred_core::profile::{AwsPaths, ProfileFiles, SsoProfile};
use ssocred_core::sink::{SelectedSink, registered};
use ssocred_core::{CredentialSet, Error, RoleArn, SinkContext, portal, token};

use crate::args::{Cli, Command, GetArgs};

pub fn run(cli: Cli) -> Result<ExitCode, Error> {
    match cli.command {
        Some(Command::Sinks { verbose }) => list_sinks(verbose).map(|()| ExitCode::SUCCESS),
        Some(Command::Exec(args)) => crate::exec::exec(&args),
        Some(Command::Serve(args)) => crate::serve::serve(&args).map(|()| ExitCode::SUCCESS),
        Some(Command::Login(cmd)) => crate::login::run_login(&cmd).map(|()| ExitCode::SUCCESS),
        Some(Command::Logout(cmd)) => crate::login::run_logout(&cmd).map(|()| ExitCode::SUCCESS),
        None => get(&cli.get).map(|()| ExitCode::SUCCESS),
    }
}

fn list_sinks(verbose: bool) -> Result<(), Error> {
    let mut out = String::new();
    let all = registered();
    let width = all.iter().map(|r| r.name.len()).max().unwrap_or(0);
    for r in all {
        out.push_str(&format!("{:width$}  {}\n", r.name, r.description));
        if verbose {
            if let Some(arg) = r.argument {
                out.push_str(&format!(
                    "{:width$}    usage: --sink {}[:{arg}][,KEY=VALUE...]\n",
                    "", r.name
                ));
            }
            for (name, meaning) in r.options {
                out.push_str(&format!("{:width$}    {name}: {meaning}\n", ""));
            }
        }
    }
    std::io::stdout()
        .lock()
        .write_all(out.as_bytes())
        .map_err(|e| Error::Usage(format!("cannot write to stdout: {e}")))
}

fn say(verbose: bool, message: impl FnOnce() -> String) {
    if verbose {
        eprintln!("ssocred: {}", message());
    }
}

fn get(args: &GetArgs) -> Result<(), Error> {
    let (paths, ctx) = sink_context()?;
    // Sinks are built first, so a bad --sink fails before any network call.
    let mut sinks = build_sinks(&args.sink_specs(), &ctx)?;
    let fetch = RoleFetch::resolve(args, &paths)?;
    crate::rounds::deliver(&fetch, &mut sinks, args)
}

/// The AWS file paths and what every sink may know.
pub(crate) fn sink_context() -> Result<(AwsPaths, SinkContext), Error> {
    let paths = AwsPaths::from_env(|name| std::env::var(name).ok())?;
    let cwd = std::env::current_dir()
        .map_err(|e| Error::Usage(format!("cannot read the working directory: {e}")))?;
    let ctx = SinkContext {
        config_file: paths.config.clone(),
        credentials_file: paths.credentials.clone(),
        cwd,
    };
    Ok((paths, ctx))
}

/// Parses and builds each `--sink` value.
pub(crate) fn build_sinks(specs: &[String], ctx: &SinkContext) -> Result<Vec<SelectedSink>, Error> {
    specs
        .iter()
        .map(|spec| Ok(SelectedSink::from_spec(spec, ctx)?))
        .collect()
}

/// Everything one round's fetch needs, resolved once; each fetch reads the
/// token cache again, so a login made meanwhile is picked up.
pub(crate) struct RoleFetch {
    profile: SsoProfile,
    role: RoleArn,
    region: Option<String>,
    cache_dir: PathBuf,
    portal: portal::Portal,
    login: ssocred_core::login::LoginTarget,
    policy: ssocred_core::login::TokenPolicy,
    verbose: bool,
}

impl RoleFetch {
    /// Resolves the profile, the role and the region of an invocation.
    pub(crate) fn resolve(args: &GetArgs, paths: &AwsPaths) -> Result<RoleFetch, Error> {
        let verbose = args.verbose;
        let env = |name: &str| std::env::var(name).ok();
        let profile_name = args
            .profile
            .clone()
            .or_else(|| env("AWS_PROFILE").filter(|p| !p.is_empty()))
            .unwrap_or_else(|| "default".to_owned());
        let files = ProfileFiles::load(paths)?;
        let profile = files.sso_profile(&profile_name)?;
        say(verbose, || {
            format!(
                "profile `{}`: start URL {}, SSO region {}{}",
                profile.name,
                profile.start_url,
                profile.sso_region,
                profile
                    .session
                    .as_ref()
                    .map(|s| format!(", sso-session {s}"))
                    .unwrap_or_default()
            )
        });
        let role = select_role(args, &profile)?;
        let region = args
            .region
            .clone()
            .or_else(|| profile.region.clone())
            .or_else(|| Some(profile.sso_region.clone()));
        let endpoint = portal::endpoint_override(env);
        let portal = portal::Portal::new(&profile, endpoint);
        let login = crate::login::target(paths, &files, &profile);
        let policy = crate::login::policy(&args.flow, &args.token, verbose);
        Ok(RoleFetch {
            login,
            policy,
            cache_dir: paths.sso_cache_dir(),
            profile,
            role,
            region,
            portal,
            verbose,
        })
    }

    /// The role's ARN.
    pub(crate) fn role(&self) -> &RoleArn {
        &self.role
    }

    /// The region put next to the credentials.
    pub(crate) fn region(&self) -> Option<&str> {
        self.region.as_deref()
    }

    /// One round: the cached token, then GetRoleCredentials.
    pub(crate) async fn fetch(&self) -> Result<Vec<CredentialSet>, Error> {
        let verbose = self.verbose;
        let profile = &self.profile;
        say(verbose, || {
            format!(
                "token file {}",
                token::cache_path(&self.cache_dir, profile).display()
            )
        });
        // Refreshes or logs in as the flags and the terminal allow; a
        // concurrent process doing the same is waited for, not repeated.
        let token =
            ssocred_core::login::obtain_token(&self.login, &self.policy, &mut std::io::stderr())
                .await?;
        say(verbose, || {
            format!(
                "GetRoleCredentials for {} at {}",
                self.role,
                self.portal.endpoint()
            )
        });
        let set = self
            .portal
            .credential_set(
                &token.token.access_token,
                profile,
                &self.role,
                self.region.clone(),
            )
            .await?;
        say(verbose, || {
            format!(
                "got {} for {}, expires {}",
                set.access_key_id,
                set.role_arn,
                set.expiration_utc()
            )
        });
        Ok(vec![set])
    }
}

fn select_role(args: &GetArgs, profile: &SsoProfile) -> Result<RoleArn, Error> {
    let usage = |e: ssocred_core::arn::ArnError| Error::Usage(format!("--role-arn: {e}"));
    if let Some(arn) = &args.role_arn {
        return RoleArn::parse(arn).map_err(usage);
    }
    let account = args.account.as_ref().or(profile.account_id.as_ref());
    let role = args.role.as_ref().or(profile.role_name.as_ref());
    match (account, role) {
        (Some(account), Some(role)) => {
            if !ssocred_core::arn::is_account_id(account) {
                return Err(Error::Usage(format!(
                    "--account `{account}` is not a 12-digit account id"
                )));
            }
            RoleArn::for_role(account, role, &profile.sso_region)
                .map_err(|e| Error::Usage(format!("--role: {e}")))
        }
        _ => Err(Error::Usage(format!(
            "no role selected: pass -r/--role-arn ARN, or --account ID --role NAME, or set sso_account_id and sso_role_name in profile `{}`",
            profile.name
        ))),
    }
}
