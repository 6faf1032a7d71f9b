//! From resolved settings to what core needs: the AWS file paths, the sink
//! context, the login (token cache, OIDC client, token policy), the role
//! cache and the portal, gathered into a [`Request`].

use std::io::IsTerminal;
use std::time::Duration;

use ssocred_core::aws::chain::Sts;
use ssocred_core::aws::discovery::RoleFilter;
use ssocred_core::aws::oidc::Oidc;
use ssocred_core::aws::portal::Portal;
use ssocred_core::domain::endpoints::{EndpointOptions, Service, endpoint_for};
use ssocred_core::domain::network::{CaBundle, Network, Proxies, Trust};
use ssocred_core::domain::sso_profile::SsoProfile;
use ssocred_core::domain::trace::Trace;
use ssocred_core::login::console::{self, ConsoleSession};
use ssocred_core::login::token_store::{TokenStore, TokenStoreKind};
use ssocred_core::login::{LoginSettings, LoginTarget, OnExpiry, TokenPolicy};
use ssocred_core::os::desktop::Desktop;
use ssocred_core::pipeline::{
    Chain, ConsoleFetch, Request, RoleChoice, RoleQuery, credentials_region,
};
use ssocred_core::store::profile::{AwsPaths, ProfileFiles, expand_home};
use ssocred_core::store::role_cache::{self, RoleCache};
use ssocred_core::{Error, RoleArn, SinkContext};

use crate::flags::{NetworkFlags, RoleFlags};
use crate::settings::config_file::LoginMethod;
use crate::settings::config_file::SettingsFile;
use crate::settings::layer::TokenStoreSetting;
use crate::settings::{self, Settings, Source};

/// How long a login waits for the user.
pub const LOGIN_TIMEOUT: Duration = Duration::from_secs(600);

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// The AWS files and caches, from the environment.
pub fn paths() -> Result<AwsPaths, Error> {
    AwsPaths::from_env(env)
}

/// What every sink may know about the invocation.
pub fn sink_context(paths: &AwsPaths) -> Result<SinkContext, Error> {
    let cwd = std::env::current_dir()
        .map_err(|e| Error::Internal(format!("cannot read the working directory: {e}")))?;
    Ok(SinkContext {
        config_file: paths.config.clone(),
        credentials_file: paths.credentials.clone(),
        cwd,
    })
}

/// Whether a person is there to log in or choose: stdin and stderr are
/// terminals. A credential_process has its stderr captured, so it never
/// counts.
pub fn interactive() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// The SSO profile the settings name, read with only the config sections it
/// needs.
pub fn sso_profile(
    settings: &Settings,
    paths: &AwsPaths,
) -> Result<(ProfileFiles, SsoProfile), Error> {
    let name = &settings.profile.value;
    let files = ProfileFiles::load_for(paths, name)?;
    let profile = files.sso_profile(name)?;
    Ok((files, profile))
}

/// The network of an invocation for `profile`: the CA bundle from
/// `--ca-bundle`, else `AWS_CA_BUNDLE`, else the profile's `ca_bundle` (the
/// AWS CLI's order); the proxies of the environment; and the FIPS and
/// dual-stack settings from the environment, else the profile.
pub fn network(
    flags: &NetworkFlags,
    paths: &AwsPaths,
    files: &ProfileFiles,
    profile: &str,
) -> Result<Network, Error> {
    let bad_profile = |problem: String| Error::BadSsoProfile {
        profile: profile.to_owned(),
        config: paths.config.clone(),
        problem,
    };
    let bundle = match &flags.ca_bundle {
        Some(path) => Some((path.clone(), "flag --ca-bundle".to_owned())),
        None => env("AWS_CA_BUNDLE")
            .filter(|v| !v.trim().is_empty())
            .map(|v| {
                (
                    expand_home(v.trim(), &paths.home),
                    "environment AWS_CA_BUNDLE".to_owned(),
                )
            })
            .or_else(|| {
                files.profile_value(profile, "ca_bundle").map(|v| {
                    (
                        expand_home(v, &paths.home),
                        format!(
                            "`ca_bundle` of profile `{}` in {}",
                            profile,
                            paths.config.display()
                        ),
                    )
                })
            }),
    };
    let endpoints = EndpointOptions::from_settings(env, |key| {
        files.profile_value(profile, key).map(str::to_owned)
    })
    .map_err(bad_profile)?;
    let mut network = Network {
        trust: Trust::System,
        proxies: Proxies::from_env(env)?,
        endpoints,
    };
    // Like the AWS CLI, a configured bundle is always read and checked:
    // calls other than the portal's (console federation, later STS and
    // ECR) go over TLS even when the portal is a local emulator.
    if let Some((path, source)) = bundle {
        let checked =
            ssocred_core::os::dirs::ssocred_cache_dir(&env, &paths.home).join("ca-bundles");
        network.trust = Trust::Bundle(CaBundle::load_remembering(&path, &source, Some(&checked))?);
    }
    Ok(network)
}

/// The endpoint of `service` for `profile`: an override from the
/// environment, else the published host for its SSO region and the network's
/// variants. A variant AWS does not publish is a config error naming the
/// profile.
pub fn endpoint(
    service: Service,
    paths: &AwsPaths,
    profile: &SsoProfile,
    network: &Network,
) -> Result<String, Error> {
    endpoint_for(service, &profile.sso_region, network.endpoints, env).map_err(|e| {
        Error::BadSsoProfile {
            profile: profile.name.clone(),
            config: paths.config.clone(),
            problem: e.to_string(),
        }
    })
}

/// Where the settings keep the SSO token, the store opened (an OS
/// credential store that cannot be reached is an error naming the setting).
pub fn token_store(settings: &Settings) -> Result<TokenStore, Error> {
    let setting = &settings.login.token_store;
    let kind = match setting.value {
        TokenStoreSetting::File => TokenStoreKind::File,
        TokenStoreSetting::Keyring => TokenStoreKind::Keyring,
        TokenStoreSetting::Both => TokenStoreKind::Both,
    };
    kind.open(
        settings.login.keyring.value.as_deref(),
        &format!(
            "token_store = \"{}\", {}",
            setting.value.as_str(),
            setting.source
        ),
    )
}

/// The login of `profile`, its OIDC client at the resolved endpoint, its
/// token kept in `store`.
pub fn login_target(
    paths: &AwsPaths,
    files: &ProfileFiles,
    profile: &SsoProfile,
    network: &Network,
    store: TokenStore,
) -> Result<LoginTarget, Error> {
    Ok(LoginTarget {
        profile: profile.clone(),
        scopes: files.registration_scopes(profile),
        cache_dir: paths.sso_cache_dir(),
        lock_dir: ssocred_core::os::dirs::ssocred_cache_dir(&env, &paths.home).join("locks"),
        oidc: Oidc::new(
            &profile.sso_region,
            endpoint(Service::Oidc, paths, profile, network)?,
            network.clone(),
        ),
        keep_in_memory: false,
        store,
    })
}

/// The portal client of `profile`.
pub fn portal(paths: &AwsPaths, profile: &SsoProfile, network: &Network) -> Result<Portal, Error> {
    Ok(Portal::new(
        profile,
        endpoint(Service::Portal, paths, profile, network)?,
        network,
    ))
}

/// How a native login runs, from the login settings.
pub fn login_settings(settings: &Settings) -> LoginSettings {
    let login = &settings.login;
    let env = |name: &str| std::env::var(name).ok();
    LoginSettings {
        device_code: login.method.value == LoginMethod::DeviceCode,
        open_browser: login.open_browser.value,
        desktop: Desktop::of_process(),
        redirect_port: login.redirect_port.value,
        pkce_asked_by: pkce_asked_by(&login.method, &login.redirect_port),
        browser: login.browser.value.clone(),
        page_dir: ssocred_core::os::page::dir(&env, "login"),
        remote: false,
        copy: false,
        timeout: LOGIN_TIMEOUT,
    }
}

/// The setting that asks for PKCE whatever the display, with its source:
/// the method `pkce`, or a redirect port (which only PKCE listens on).
fn pkce_asked_by(
    method: &settings::Sourced<LoginMethod>,
    port: &settings::Sourced<Option<u16>>,
) -> Option<String> {
    if method.value == LoginMethod::Pkce {
        return Some(format!("login method `pkce` ({})", method.source));
    }
    port.value
        .map(|n| format!("redirect port {n} ({})", port.source))
}

/// How a run gets its token: refreshed, or logged in as the settings and
/// the terminal allow.
pub fn token_policy(settings: &Settings) -> TokenPolicy {
    let token = &settings.token;
    let may_log_in = interactive() || settings.login.auto_login.value;
    let command = token.login_command.clone().or_else(|| {
        (settings.login.method.value == LoginMethod::AwsCli)
            .then(|| "aws sso login --profile {profile}".to_owned())
    });
    let on_expiry = match (command, may_log_in) {
        (_, false) => OnExpiry::Fail,
        (Some(command), true) => OnExpiry::Command(command),
        (None, true) => OnExpiry::Login(login_settings(settings)),
    };
    TokenPolicy {
        refresh_window: Duration::from_secs(token.refresh_window),
        lock_timeout: Duration::from_secs(token.lock_timeout),
        on_expiry,
        verbose: settings.verbose,
    }
}

/// The role cache a run uses, or `None` when it is turned off.
pub fn role_cache(settings: &Settings, paths: &AwsPaths) -> Option<RoleCache> {
    // A long-running mode refetches `refresh_before` ahead of expiry; a
    // narrower window would answer that refetch with the same credentials
    // and the refresh would come round again at once.
    let window = (u64::from(settings.cache.window_minutes.value) * 60)
        .max(settings.refresh_before.value.saturating_add(60));
    // In keyring mode nothing of the login is kept on disk, role
    // credentials included.
    let on_disk = settings.login.token_store.value != TokenStoreSetting::Keyring;
    (settings.cache.enabled.value && on_disk).then(|| {
        RoleCache::new(
            role_cache::default_dir(&paths.home),
            Duration::from_secs(window),
        )
    })
}

/// The role query of the settings and the role flags: patterns from only
/// one of `--account`/`--role` (or from either with `--all`) narrow a
/// listing; a full choice comes from the settings. A malformed ARN names the
/// flag, or the config file it came from.
pub fn role_query(settings: &Settings, flags: &RoleFlags, all: bool) -> Result<RoleQuery, Error> {
    let patterns_only = flags.account.is_some() != flags.role.is_some();
    if all || patterns_only {
        let filter = RoleFilter::new(flags.account.as_deref(), flags.role.as_deref())?;
        let choice = (flags.account.is_some() || flags.role.is_some())
            .then_some(RoleChoice::Patterns(filter));
        return Ok(RoleQuery { choice, all });
    }
    let choice = match settings.role.as_ref() {
        None => None,
        Some(role) => Some(match &role.value {
            settings::RoleChoice::Arn(arn) => {
                RoleArn::parse(arn)
                    .map(RoleChoice::Arn)
                    .map_err(|e| match &role.source {
                        Source::Config(_) => settings.config.error(None, format!("role_arn: {e}")),
                        Source::Project(path) => {
                            Error::Usage(format!("{}: role_arn: {e}", path.display()))
                        }
                        _ => Error::Usage(format!("--role-arn: {e}")),
                    })?
            }
            settings::RoleChoice::AccountRole(account, name) => {
                RoleChoice::AccountRole(account.clone(), name.clone())
            }
            settings::RoleChoice::Patterns(account, name) => RoleChoice::Patterns(
                RoleFilter::new(account.as_deref(), name.as_deref()).map_err(|e| {
                    match &role.source {
                        Source::Config(_) => settings.config.error(None, e.to_string()),
                        Source::Project(path) => Error::Usage(format!("{}: {e}", path.display())),
                        _ => e,
                    }
                })?,
            ),
        }),
    };
    Ok(RoleQuery { choice, all })
}

/// Everything core needs to plan and run the request.
pub struct RequestParts<'a> {
    /// The resolved settings.
    pub settings: &'a Settings,
    /// The AWS files.
    pub paths: &'a AwsPaths,
    /// The role query.
    pub query: RoleQuery,
    /// Portal calls at once.
    pub concurrency: usize,
}

/// The request of an invocation: the profile loaded, the login, the cache
/// and the portal client built.
pub fn request(parts: RequestParts<'_>) -> Result<Request, Error> {
    let RequestParts {
        settings,
        paths,
        query,
        concurrency,
    } = parts;
    let trace = Trace::new(settings.verbose);
    trace.say(|| {
        format!(
            "SSO profile `{}` from {}",
            settings.profile.value, settings.profile.source
        )
    });
    let (files, profile) = sso_profile(settings, paths)?;
    trace.say(|| {
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
    let region = credentials_region(settings.region.as_ref().map(|r| r.value.as_str()), &profile);
    let flags = NetworkFlags {
        ca_bundle: settings.network.ca_bundle.clone(),
    };
    let network = self::network(&flags, paths, &files, &profile.name)?;
    let chain = chain(
        settings,
        ssocred_core::domain::hop::default_session_name(&profile),
        &region,
        &network,
    )?;
    Ok(Request {
        chain,
        login: login_target(paths, &files, &profile, &network, token_store(settings)?)?,
        token: token_policy(settings),
        cache: role_cache(settings, paths),
        portal: portal(paths, &profile, &network)?,
        profile,
        query,
        region,
        concurrency,
        trace,
        network,
    })
}

/// The role chain of the settings, with its STS client in `region` (the
/// credentials' region: regional STS, as current SDKs default to), or
/// `None` without one.
pub fn chain(
    settings: &Settings,
    default_session_name: String,
    region: &str,
    network: &Network,
) -> Result<Option<Chain>, Error> {
    let hops = &settings.chain.value;
    if hops.is_empty() {
        return Ok(None);
    }
    let endpoint = ssocred_core::aws::chain::endpoint(region, network, env)?;
    Ok(Some(Chain {
        hops: hops.clone(),
        sts: Sts::new(region, endpoint, network),
        default_session_name,
        caller_session: Default::default(),
    }))
}

/// The console session the settings name, when their profile is a
/// `login_session` profile of `aws login` (one with SSO settings is an SSO
/// profile, as the SDKs read it); `None` for any other profile. Such a
/// session has no roles to choose: a role named on the command line, in a
/// project file or a preset is a usage error, and `--assume` chains from
/// the session's own credentials.
pub fn console_fetch(
    settings: &Settings,
    paths: &AwsPaths,
    all: bool,
) -> Result<Option<ConsoleFetch>, Error> {
    let name = &settings.profile.value;
    let Ok(files) = ProfileFiles::load_for(paths, name) else {
        // The SSO path reports the file's problem.
        return Ok(None);
    };
    let Some(login_session) = files.profile_value(name, "login_session") else {
        return Ok(None);
    };
    if ["sso_session", "sso_start_url"]
        .iter()
        .any(|k| files.profile_value(name, k).is_some())
    {
        return Ok(None);
    }
    let trace = Trace::new(settings.verbose);
    trace.say(|| format!("console profile `{name}` from {}", settings.profile.source));
    if let Some(role) = settings.role.as_ref().filter(|_| !all) {
        return Err(Error::Usage(format!(
            "profile `{name}` is a console session of `aws login`, which has no roles to choose from, but a role was named ({}); assume a role from it with --assume ARN",
            role.source
        )));
    }
    if all {
        return Err(Error::Usage(format!(
            "profile `{name}` is a console session of `aws login`: --all lists the roles of an SSO login only"
        )));
    }
    let region = settings
        .region
        .as_ref()
        .map(|r| r.value.clone())
        .or_else(|| files.profile_value(name, "region").map(str::to_owned))
        .ok_or_else(|| Error::BadSsoProfile {
            profile: name.clone(),
            config: paths.config.clone(),
            problem: "a console session (`login_session`) needs `region`: AWS Sign-In is regional; set it in the profile, or pass --region".to_owned(),
        })?;
    let flags = NetworkFlags {
        ca_bundle: settings.network.ca_bundle.clone(),
    };
    let network = network(&flags, paths, &files, name)?;
    let user = login_session.rsplit([':', '/']).next().unwrap_or(name);
    let chain = chain(
        settings,
        ssocred_core::domain::hop::session_name_for_login(user),
        &region,
        &network,
    )?;
    Ok(Some(ConsoleFetch {
        session: ConsoleSession {
            profile: name.clone(),
            login_session: login_session.trim().to_owned(),
            region,
            cache_file: console::cache_file(login_session, &paths.home, env),
            network,
        },
        chain,
        trace,
    }))
}

/// The request of a command that runs with one role (`exec`, `serve`,
/// `use`): a listing for the chooser runs at the default concurrency.
pub fn one_role(settings: &Settings, paths: &AwsPaths, role: &RoleFlags) -> Result<Request, Error> {
    request(RequestParts {
        query: role_query(settings, role, false)?,
        settings,
        paths,
        concurrency: ssocred_core::aws::discovery::DEFAULT_CONCURRENCY,
    })
}

/// The request of a command that lists every role (`list`, `discover`).
pub fn listing(
    settings: &Settings,
    paths: &AwsPaths,
    flags: &crate::flags::ListingCommandFlags,
) -> Result<Request, Error> {
    request(RequestParts {
        query: RoleQuery {
            choice: None,
            all: true,
        },
        settings,
        paths,
        concurrency: flags.listing.concurrency,
    })
}
