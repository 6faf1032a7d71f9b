//! One invocation: settings, then the core pipeline, then the sinks.

use std::io::Write;

use ssocred_core::profile::{AwsPaths, ProfileFiles};
use ssocred_core::sink::{SelectedSink, registered};
use ssocred_core::{Error, SinkContext, deliver, portal, token};
use time::OffsetDateTime;

use crate::args::{Cli, Command, GetArgs};

pub fn run(cli: Cli) -> Result<(), Error> {
    match cli.command {
        Some(Command::Sinks { verbose }) => list_sinks(verbose),
        Some(Command::List(args)) => crate::discover::list(&args),
        Some(Command::Discover(args)) => crate::discover::discover(&args),
        None if cli.get.discover_roles => crate::discover::discover(&cli.get.as_discover()),
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
    // Sinks are built first, so a bad --sink fails before any network call.
    let mut sinks = args
        .sink_specs()
        .iter()
        .map(|spec| SelectedSink::from_spec(spec, &ctx))
        .collect::<Result<Vec<_>, _>>()?;

    let profile_name = args
        .profile
        .clone()
        .or_else(|| env("AWS_PROFILE").filter(|p| !p.is_empty()))
        .unwrap_or_else(|| "default".to_owned());
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
    let plan = crate::select::plan(args, &profile)?;
    let region = args
        .region
        .clone()
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
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Usage(format!("cannot start the async runtime: {e}")))?;
    let session = crate::discover::Session {
        profile: &profile,
        token: &token.token.access_token,
        portal: &portal,
        runtime: &runtime,
    };
    let role = match crate::select::resolve(plan, args, &session)? {
        crate::select::Resolved::One(role) => role,
        crate::select::Resolved::Many(entries) => {
            return crate::select::deliver_all(args, &session, &entries, region, &mut sinks);
        }
    };
    say(verbose, || {
        format!("GetRoleCredentials for {role} at {}", portal.endpoint())
    });
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
