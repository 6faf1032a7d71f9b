//! One invocation: settings, then the core pipeline, then the sinks.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use ssocred_core::profile::{AwsPaths, ProfileFiles, SsoProfile};
use ssocred_core::sink::{SelectedSink, registered};
use ssocred_core::{CredentialSet, Error, RoleArn, SinkContext, portal, token};

use crate::args::{Cli, Command, GetArgs};
use crate::settings::Settings;
use crate::{config_cmd, shell};

pub fn run(cli: Cli) -> Result<ExitCode, Error> {
    match cli.command {
        Some(Command::Sinks { verbose }) => list_sinks(verbose).map(|()| ExitCode::SUCCESS),
        Some(Command::Exec(args)) => crate::exec::exec(&args),
        Some(Command::Serve(args)) => crate::serve::serve(&args).map(|()| ExitCode::SUCCESS),
        Some(Command::Login(cmd)) => crate::login::run_login(&cmd).map(|()| ExitCode::SUCCESS),
        Some(Command::Logout(cmd)) => crate::login::run_logout(&cmd).map(|()| ExitCode::SUCCESS),
        None if cli.get.discover_roles => {
            crate::discover::discover(&cli.get.as_discover()).map(|()| ExitCode::SUCCESS)
        }
        None => crate::cache::answer_from_cache(&cli.get)
            .unwrap_or_else(|| get(&cli.get))
            .map(|()| ExitCode::SUCCESS),
        Some(Command::Cache { action }) => crate::cache::run(&action).map(|()| ExitCode::SUCCESS),
        Some(Command::Config { action }) => config_cmd::run(action).map(|()| ExitCode::SUCCESS),
        Some(Command::Completions { shell }) => {
            shell::completions(shell).map(|()| ExitCode::SUCCESS)
        }
        Some(Command::Man) => shell::man().map(|()| ExitCode::SUCCESS),
        Some(Command::List(args)) => crate::discover::list(&args).map(|()| ExitCode::SUCCESS),
        Some(Command::Discover(args)) => {
            crate::discover::discover(&args).map(|()| ExitCode::SUCCESS)
        }
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
            for option in r.options {
                let (name, help) = (option.name(), option.help());
                out.push_str(&format!("{:width$}    {name}: {help}\n", ""));
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
        // Names and keys in these lines come from the portal.
        eprintln!("ssocred: {}", ssocred_core::text::visible(&message()));
    }
}

fn get(args: &GetArgs) -> Result<(), Error> {
    let (paths, ctx) = sink_context()?;
    let settings = resolve_settings(args)?;
    // Sinks are built first, so a bad --sink fails before any network call.
    let mut sinks = settings.build_sinks(&ctx)?;
    match RoleFetch::resolve(args, &settings, &paths)? {
        Selection::One(fetch) => crate::rounds::deliver(&fetch, &mut sinks, args),
        Selection::Many(many) => {
            if args.watch || sinks.iter().any(|s| s.sink.serves_continuously()) {
                return crate::rounds::deliver_many(&many, &mut sinks, args);
            }
            crate::select::deliver_all(
                args,
                &many.session(),
                &many.entries,
                many.region.clone(),
                &mut sinks,
            )
        }
    }
}

/// Flags over environment over the ssocred config file over defaults.
pub(crate) fn resolve_settings(args: &GetArgs) -> Result<Settings, Error> {
    let env = |name: &str| std::env::var(name).ok();
    let config = config_cmd::load(args.config.as_deref(), &env)?;
    Settings::resolve(args, &env, config)
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

/// The roles an invocation is for.
// Made once per process, so the size difference costs nothing.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Selection {
    /// One role, fetched round after round.
    One(RoleFetch),
    /// Every role `--all` matched, fetched once.
    Many(Box<ManyRoles>),
}

impl Selection {
    /// The one role, or a usage error naming `command` for `--all`.
    pub(crate) fn one(self, command: &str) -> Result<RoleFetch, Error> {
        match self {
            Selection::One(fetch) => Ok(fetch),
            Selection::Many(_) => Err(Error::Usage(format!(
                "`ssocred {command}` runs with one role; drop --all and select one role"
            ))),
        }
    }
}

/// The roles `--all` matched, with the login that listed them.
pub(crate) struct ManyRoles {
    login: crate::discover::Login,
    entries: Vec<ssocred_core::discovery::RoleEntry>,
    region: Option<String>,
    /// What a later round needs to obtain the token again.
    target: ssocred_core::login::LoginTarget,
    policy: ssocred_core::login::TokenPolicy,
}

impl ManyRoles {
    pub(crate) fn session(&self) -> crate::discover::Session<'_> {
        self.login.session()
    }

    pub(crate) fn entries(&self) -> &[ssocred_core::discovery::RoleEntry] {
        &self.entries
    }

    /// One round: the token from the cache (refreshed as it nears expiry, as
    /// for one role), then every role's credentials.
    pub(crate) async fn fetch(&self, concurrency: usize) -> Result<Vec<CredentialSet>, Error> {
        let token =
            ssocred_core::login::obtain_token(&self.target, &self.policy, &mut std::io::stderr())
                .await?;
        self.login
            .portal
            .credential_sets(
                &token.token.access_token,
                &self.login.profile,
                &self.entries,
                self.region.clone(),
                concurrency,
            )
            .await
    }
}

/// Everything one round's fetch needs, resolved once; each fetch reads the
/// token cache again, so a login made meanwhile is picked up.
pub(crate) struct RoleFetch {
    profile: SsoProfile,
    role: RoleArn,
    /// The account's name, when a listing (patterns, the chooser) gave it;
    /// a role named outright by ARN is fetched without one.
    account_name: Option<String>,
    region: Option<String>,
    cache_dir: PathBuf,
    portal: portal::Portal,
    login: ssocred_core::login::LoginTarget,
    policy: ssocred_core::login::TokenPolicy,
    cache: Option<ssocred_core::role_cache::RoleCache>,
    verbose: bool,
}

impl RoleFetch {
    /// Resolves the profile, the role and the region of an invocation.
    pub(crate) fn resolve(
        args: &GetArgs,
        settings: &Settings,
        paths: &AwsPaths,
    ) -> Result<Selection, Error> {
        let verbose = args.verbose;
        let env = |name: &str| std::env::var(name).ok();
        let profile_name = settings.profile.value.clone();
        say(verbose, || {
            format!(
                "SSO profile `{profile_name}` from {}",
                settings.profile.source
            )
        });
        let files = ProfileFiles::load_for(paths, &profile_name)?;
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
        let plan = crate::select::plan(args, settings, &profile)?;
        let region = settings
            .region
            .as_ref()
            .map(|r| r.value.clone())
            .or_else(|| profile.region.clone())
            .or_else(|| Some(profile.sso_region.clone()));
        let endpoint = portal::endpoint_override(env);
        let portal = portal::Portal::new(&profile, endpoint);
        let login = crate::login::target(paths, &files, &profile);
        let policy = crate::login::policy(&args.flow, &args.token, verbose);
        let (role, account_name) = match plan {
            crate::select::Plan::Role(role) => (role, None),
            plan => {
                // The chooser and --all need the role listing, so the token
                // is needed before the first round.
                let runtime = crate::discover::runtime()?;
                let token = runtime
                    .block_on(ssocred_core::login::obtain_token(
                        &login,
                        &policy,
                        &mut std::io::stderr(),
                    ))?
                    .token
                    .access_token;
                let session = crate::discover::Session {
                    profile: &profile,
                    token: &token,
                    portal: &portal,
                    runtime: &runtime,
                };
                match crate::select::resolve(plan, args, &session)? {
                    crate::select::Resolved::One(role, name) => (role, name),
                    crate::select::Resolved::Many(entries) => {
                        return Ok(Selection::Many(Box::new(ManyRoles {
                            login: crate::discover::Login {
                                profile,
                                token,
                                portal,
                                runtime,
                            },
                            entries,
                            region,
                            target: login,
                            policy,
                        })));
                    }
                }
            }
        };
        Ok(Selection::One(RoleFetch {
            cache: crate::cache::role_cache(settings, args, paths),
            login,
            policy,
            cache_dir: paths.sso_cache_dir(),
            profile,
            role,
            account_name,
            region,
            portal,
            verbose,
        }))
    }

    /// The role's ARN.
    pub(crate) fn role(&self) -> &RoleArn {
        &self.role
    }

    /// The region put next to the credentials.
    pub(crate) fn region(&self) -> Option<&str> {
        self.region.as_deref()
    }

    /// One round: the role cache (unless --no-cache), else a fetch that
    /// concurrent processes asking for the same role share.
    pub(crate) async fn fetch(&self) -> Result<Vec<CredentialSet>, Error> {
        let Some(cache) = &self.cache else {
            return self.fetch_from_portal().await;
        };
        let (profile, role) = (&self.profile, &self.role);
        let mut note = |m: String| say(self.verbose, || m);
        let (mut set, source) = cache
            .obtain(profile, role, self.region.clone(), &mut note, || async {
                let mut sets = self.fetch_from_portal().await?;
                sets.pop()
                    .ok_or_else(|| Error::Usage("the portal returned no credentials".to_owned()))
            })
            .await?;
        if source == ssocred_core::role_cache::Source::Cache {
            say(self.verbose, || {
                format!(
                    "{} for {role} from the role cache {}, expires {}",
                    set.access_key_id,
                    cache.path(profile, role).display(),
                    set.expiration_utc()
                )
            });
        }
        set.account_name.clone_from(&self.account_name);
        Ok(vec![set])
    }

    /// The cached token, then GetRoleCredentials.
    async fn fetch_from_portal(&self) -> Result<Vec<CredentialSet>, Error> {
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
        let mut set = self
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
        set.account_name.clone_from(&self.account_name);
        Ok(vec![set])
    }
}
