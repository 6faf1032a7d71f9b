//! One invocation: settings, then the core pipeline, then the sinks.

use std::io::Write;

use ssocred_core::profile::{AwsPaths, ProfileFiles, SsoProfile};
use ssocred_core::sink::registered;
use ssocred_core::{Error, RoleArn, SinkContext, deliver, portal, token};
use time::OffsetDateTime;

use crate::args::{Cli, Command, GetArgs};
use crate::settings::{RoleChoice, Settings};
use crate::{config_cmd, shell};

pub fn run(cli: Cli) -> Result<(), Error> {
    match cli.command {
        Some(Command::Sinks { verbose }) => list_sinks(verbose),
        Some(Command::Config { action }) => config_cmd::run(action),
        Some(Command::Completions { shell }) => shell::completions(shell),
        Some(Command::Man) => shell::man(),
        None => get(&cli.get),
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
    if verbose {
        out.push_str(
            "\nA sink spec is NAME[:ARG][,KEY=VALUE...]: ARG is shorthand for the sink's first option,\n\
             and options may also follow the name directly (json,format=array).\n",
        );
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
    let verbose = args.verbose;
    let env = |name: &str| std::env::var(name).ok();
    let paths = AwsPaths::from_env(env)?;
    let cwd = std::env::current_dir()
        .map_err(|e| Error::Usage(format!("cannot read the working directory: {e}")))?;
    let ctx = SinkContext {
        config_file: paths.config.clone(),
        credentials_file: paths.credentials.clone(),
        cwd,
    };
    let config = config_cmd::load(args.config.as_deref(), &env)?;
    let settings = Settings::resolve(args, &env, config)?;
    // Sinks are built first, so a bad --sink fails before any network call.
    let mut sinks = settings.build_sinks(&ctx)?;

    let profile_name = settings.profile.value.clone();
    say(verbose, || {
        format!(
            "SSO profile `{profile_name}` from {}",
            settings.profile.source
        )
    });
    let files = ProfileFiles::load(&paths)?;
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
    let role = select_role(&settings, &profile)?;
    let region = settings
        .region
        .as_ref()
        .map(|r| r.value.clone())
        .or_else(|| profile.region.clone())
        .or_else(|| Some(profile.sso_region.clone()));

    let cache_dir = paths.sso_cache_dir();
    say(verbose, || {
        format!(
            "token file {}",
            token::cache_path(&cache_dir, &profile).display()
        )
    });
    let token = token::load(&cache_dir, &profile, OffsetDateTime::now_utc()).map_err(|e| {
        Error::LoginRequired {
            reason: e.to_string(),
            login_command: portal::login_command(&profile.name),
        }
    })?;

    let endpoint = portal::endpoint_override(env);
    let portal = portal::Portal::new(&profile, endpoint);
    say(verbose, || {
        format!("GetRoleCredentials for {role} at {}", portal.endpoint())
    });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Usage(format!("cannot start the async runtime: {e}")))?;
    let set = runtime.block_on(portal.credential_set(
        &token.token.access_token,
        &profile,
        &role,
        region,
    ))?;
    say(verbose, || {
        format!(
            "got {} for {}, expires {}",
            set.access_key_id,
            set.role_arn,
            set.expiration_utc()
        )
    });

    let stdout = std::io::stdout();
    let mut stdout = stdout.lock();
    deliver(std::slice::from_ref(&set), &mut sinks, &mut stdout)?;
    Ok(())
}

fn select_role(settings: &Settings, profile: &SsoProfile) -> Result<RoleArn, Error> {
    let source = settings.role.as_ref().map(|r| &r.source);
    let usage = |e: ssocred_core::arn::ArnError| match source {
        Some(crate::settings::Source::Config(_)) => {
            settings.config.error(None, format!("role_arn: {e}"))
        }
        _ => Error::Usage(format!("--role-arn: {e}")),
    };
    let (account, role) = match settings.role.as_ref().map(|r| &r.value) {
        Some(RoleChoice::Arn(arn)) => return RoleArn::parse(arn).map_err(usage),
        Some(RoleChoice::AccountRole(account, role)) => (Some(account), Some(role)),
        None => (None, None),
    };
    let account = account.or(profile.account_id.as_ref());
    let role = role.or(profile.role_name.as_ref());
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
