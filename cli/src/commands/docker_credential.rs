//! `ssocred docker-credential get|list|store|erase|install`, also run as
//! `docker-credential-ssocred ACTION` (dispatched by argv[0] in main.rs):
//! Docker's credential-helper protocol for Amazon ECR registries.
//!
//! `get` reads a server URL on stdin and prints
//! `{"ServerURL","Username","Secret"}`: the ECR token of the role the
//! registry is mapped to (`[[registry]]` in the ssocred config, else the
//! default profile's own role when its account is the registry's). A
//! registry that is not ECR's, or not mapped, gets the protocol's "not
//! found" answer; every other failure is one line on stdout, where Docker
//! reads it, and a documented exit code.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use ssocred_core::aws::discovery::DEFAULT_CONCURRENCY;
use ssocred_core::aws::ecr::{self, CachedToken, Ecr, Registry};
use ssocred_core::domain::text::visible;
use ssocred_core::domain::trace::Trace;
use ssocred_core::os::helper_link::{self, Installed};
use ssocred_core::pipeline::{ConsoleFetch, Plan, Request};
use ssocred_core::store::ecr_token_cache::{self, TokenCache};
use ssocred_core::store::profile::AwsPaths;
use ssocred_core::{Error, ExposeSecret, RoleArn};

use crate::flags::{ConfigFlags, NetworkFlags, RoleFlags, VerboseFlag};
use crate::request::{self, RequestParts};
use crate::runtime::runtime;
use crate::settings::config_file::RegistryMapping;
use crate::settings::{Flags, Settings, load_config};

/// The protocol's "not found" answer, which Docker and docker-py read as
/// "no credentials here".
pub const NOT_FOUND: &str = "credentials not found in native keychain";

/// The name Docker runs the helper by, for `"credHelpers": {HOST: "ssocred"}`.
pub const HELPER_NAME: &str = "docker-credential-ssocred";

/// The most of stdin read: a server URL, or the JSON `store` gets.
const MAX_STDIN: u64 = 64 * 1024;

// The arguments of `ssocred docker-credential`: the variant doc in
// commands/mod.rs is its help.
#[derive(Debug, Args)]
pub struct DockerCredentialArgs {
    #[command(subcommand)]
    pub action: Action,
}

// The protocol's actions, and `install` (a plain comment: clap would show a
// doc comment as the about text of `ssocred docker-credential`).
#[derive(Debug, Subcommand)]
pub enum Action {
    /// Read a registry's server URL on stdin; print its ECR credentials as
    /// JSON, or `credentials not found in native keychain` (exit 1).
    Get(HelperFlags),
    /// Print the mapped registries as JSON: server URL -> user name.
    List(HelperFlags),
    /// Read credentials (JSON) on stdin and keep nothing: ECR tokens come
    /// from the role, so `docker login` succeeds without storing a secret.
    Store,
    /// Read a server URL on stdin and remove nothing.
    Erase,
    /// Print the version.
    Version,
    /// Link docker-credential-ssocred to this executable in a bin
    /// directory, and print the credHelpers lines for ~/.docker/config.json.
    Install(InstallArgs),
}

// The flags of `get` and `list`: Docker passes none, so the environment
// and the config file say the rest.
#[derive(Debug, Clone, Default, Args)]
pub struct HelperFlags {
    #[command(flatten)]
    pub config: ConfigFlags,

    #[command(flatten)]
    pub network: NetworkFlags,

    #[command(flatten)]
    pub verbose: VerboseFlag,
}

// The arguments of `install`.
#[derive(Debug, Clone, Args)]
pub struct InstallArgs {
    /// Where to create the link [default: ~/.local/bin].
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,

    #[command(flatten)]
    pub config: ConfigFlags,
}

/// Runs the action. Errors of `get` and `list` are written on stdout here,
/// as the protocol wants; only `install`'s go the usual way.
pub fn run(args: &DockerCredentialArgs) -> Result<ExitCode, Error> {
    let answered = match &args.action {
        Action::Get(flags) => get(flags),
        Action::List(flags) => list(flags),
        Action::Store | Action::Erase => drain_stdin().map(|_| ExitCode::SUCCESS),
        Action::Version => crate::output::write_stdout(
            format!("{HELPER_NAME} (ssocred) {}\n", env!("CARGO_PKG_VERSION")).as_bytes(),
        )
        .map(|()| ExitCode::SUCCESS),
        Action::Install(install_args) => return install(install_args).map(|()| ExitCode::SUCCESS),
    };
    Ok(answered.unwrap_or_else(|err| {
        let line = visible(&err.to_string()).replace('\n', " ");
        // If stdout is gone there is nobody to tell; the code still says it.
        let _ = crate::output::write_stdout(format!("ssocred: {line}\n").as_bytes());
        err.exit_code().into()
    }))
}

/// What Docker wrote on stdin, at most [`MAX_STDIN`] bytes.
fn read_stdin() -> Result<String, Error> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .take(MAX_STDIN + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::Usage(format!("cannot read stdin: {e}")))?;
    if bytes.len() as u64 > MAX_STDIN {
        return Err(Error::Usage(format!(
            "stdin holds more than {MAX_STDIN} bytes"
        )));
    }
    String::from_utf8(bytes).map_err(|_| Error::Usage("stdin is not UTF-8".to_owned()))
}

/// Reads stdin to its end and forgets it: what `store` gets holds a secret.
fn drain_stdin() -> Result<(), Error> {
    std::io::copy(&mut std::io::stdin().take(MAX_STDIN), &mut std::io::sink())
        .map(|_| ())
        .map_err(|e| Error::Usage(format!("cannot read stdin: {e}")))
}

fn get(flags: &HelperFlags) -> Result<ExitCode, Error> {
    let url = read_stdin()?;
    let url = url.trim();
    if url.is_empty() {
        return Err(Error::Usage(
            "no credentials server URL on stdin".to_owned(),
        ));
    }
    match credentials_for(url, flags)? {
        None => crate::output::write_stdout(format!("{NOT_FOUND}\n").as_bytes())
            .map(|()| ExitCode::from(1)),
        Some(token) => {
            let answer = serde_json::json!({
                "ServerURL": url,
                "Username": token.username,
                "Secret": token.password.expose_secret(),
            });
            crate::output::write_stdout(format!("{answer}\n").as_bytes())
                .map(|()| ExitCode::SUCCESS)
        }
    }
}

/// The settings flags of a helper run: the config and preset, overridden
/// by a registry's mapping when one matches.
fn flags_for(flags: &HelperFlags, mapping: Option<&RegistryMapping>) -> Flags {
    let mut out = Flags {
        config: flags.config.config.clone(),
        preset: flags.config.preset.clone(),
        network: flags.network.clone(),
        verbose: flags.verbose.verbose,
        ..Flags::default()
    };
    if let Some(m) = mapping {
        if m.preset.is_some() {
            out.preset.clone_from(&m.preset);
        }
        out.profile.clone_from(&m.profile);
        out.role_arn.clone_from(&m.role_arn);
        out.account_role = m.account.clone().zip(m.role.clone());
    }
    out
}

/// The token for the registry `url` names, or `None` when it is not an ECR
/// registry or maps to no role. A warm cache answers before anything else
/// is read or called: no token file, no portal, no ECR.
fn credentials_for(url: &str, flags: &HelperFlags) -> Result<Option<CachedToken>, Error> {
    let trace = Trace::new(flags.verbose.verbose);
    let Some(registry) = Registry::from_server_url(url) else {
        trace.say(|| "not an ECR registry host: not found".to_owned());
        return Ok(None);
    };
    let env = |name: &str| std::env::var(name).ok();
    let config = load_config(flags.config.config.as_deref(), &env)?;
    let mapping = config
        .registry_mapping(&registry.host, &registry.account_id)
        .map(|(m, line)| (m.clone(), line));
    match &mapping {
        Some((_, line)) => trace.say(|| {
            format!("registry {registry}: [[registry]] at line {line} of the ssocred config")
        }),
        None => trace.say(|| {
            format!(
                "registry {registry}: no [[registry]] matches; trying the default profile's role"
            )
        }),
    }
    let path_of = config.path.clone();
    let settings = Settings::resolve(
        &flags_for(flags, mapping.as_ref().map(|(m, _)| m)),
        &env,
        config,
    )?;
    let paths = request::paths()?;
    // A console session of `aws login` (docs/console-sessions.md): its own
    // credentials, or its chain's last role's.
    if let Some(console) = request::console_fetch(&settings, &paths, false)? {
        return console_ecr_token(&console, &registry, mapping.is_none(), trace);
    }
    let request = match request::request(RequestParts {
        query: request::role_query(&settings, &RoleFlags::default(), false)?,
        settings: &settings,
        paths: &paths,
        concurrency: DEFAULT_CONCURRENCY,
    }) {
        Ok(request) => request,
        // Nothing maps the registry and there is no default SSO profile to
        // fall back on: Docker goes on without credentials, as for any
        // registry ssocred does not serve.
        Err(e @ (Error::UnknownProfile { .. } | Error::NotSsoProfile { .. }))
            if mapping.is_none() =>
        {
            trace.say(|| format!("{e}: not found"));
            return Ok(None);
        }
        Err(e) => return Err(e),
    };
    let role = match (request.plan()?, &mapping) {
        (Plan::Role(role), _) => role,
        (_, Some((_, line))) => {
            return Err(Error::ConfigFile {
                path: path_of.unwrap_or_default(),
                message: format!(
                    "line {line}: [[registry]] resolves to no single role; give `role_arn`, or `account` and `role`"
                ),
            });
        }
        (_, None) => {
            trace.say(|| {
                format!(
                    "profile `{}` names no role: not found",
                    request.profile.name
                )
            });
            return Ok(None);
        }
    };
    let chain = &settings.chain.value;
    // With a role chain, the token is the chain's last role's.
    let final_role = chain.last().map_or(&role, |hop| &hop.role).clone();
    if mapping.is_none() && final_role.account_id() != registry.account_id {
        trace.say(|| {
            format!(
                "the default role {final_role} is in another account than {}: not found",
                registry.account_id
            )
        });
        return Ok(None);
    }
    ecr_token(&request, &settings, &paths, &role, &registry, trace).map(Some)
}

/// The ECR token for `registry` from a console session (and its chain):
/// always fetched, since the ECR token cache is keyed by the SSO login. An
/// unmapped registry of another account than the credentials' is not
/// served (Docker goes on without them), as for the default role.
fn console_ecr_token(
    console: &ConsoleFetch,
    registry: &Registry,
    unmapped: bool,
    trace: Trace,
) -> Result<Option<CachedToken>, Error> {
    let identity = console
        .chain
        .as_ref()
        .and_then(|chain| chain.hops.last())
        .map_or(console.session.login_session.clone(), |hop| {
            hop.role.as_str().to_owned()
        });
    let account = identity.split(':').nth(4).unwrap_or_default();
    if unmapped && account != registry.account_id {
        trace.say(|| {
            format!(
                "the console session's {identity} is in another account than {}: not found",
                registry.account_id
            )
        });
        return Ok(None);
    }
    let runtime = runtime()?;
    let set = runtime
        .block_on(console.fetch())?
        .into_iter()
        .next()
        .ok_or_else(|| Error::Internal("the console session gave no credentials".to_owned()))?;
    let client = Ecr::new(
        &registry.region,
        ecr::endpoint_for(registry, |name| std::env::var(name).ok()),
        &console.session.network,
    );
    trace.say(|| {
        format!(
            "GetAuthorizationToken as {identity} at {}",
            client.endpoint()
        )
    });
    runtime
        .block_on(client.authorization_token(registry, &set))
        .map(Some)
}

/// The ECR token of `role` (and the settings' chain) for `registry`: from
/// the ECR token cache while it is fresh, else fetched (role credentials,
/// then ECR's GetAuthorizationToken) and cached.
fn ecr_token(
    request: &Request,
    settings: &Settings,
    paths: &AwsPaths,
    role: &RoleArn,
    registry: &Registry,
    trace: Trace,
) -> Result<CachedToken, Error> {
    let env = |name: &str| std::env::var(name).ok();
    let chain = &settings.chain.value;
    let final_role = chain.last().map_or(role, |hop| &hop.role).clone();
    let cache = settings.cache.enabled.value.then(|| {
        TokenCache::new(
            ecr_token_cache::default_dir(&ssocred_core::os::dirs::ssocred_cache_dir(
                &env,
                &paths.home,
            )),
            std::time::Duration::from_secs(u64::from(settings.cache.window_minutes.value) * 60),
        )
    });
    let identity = ecr_token_cache::identity_key(&request.profile, role, chain);
    if let Some(cache) = &cache {
        match cache.lookup(&identity, &registry.region, time::OffsetDateTime::now_utc()) {
            Ok(hit) => {
                trace.say(|| {
                    format!(
                        "ECR token of {final_role} in {} from the cache {}, expires {}",
                        registry.region,
                        cache.path(&identity, &registry.region).display(),
                        ssocred_core::domain::time_fmt::utc_z(hit.expires_at)
                    )
                });
                return Ok(hit);
            }
            Err(miss) => trace.say(|| miss.to_string()),
        }
    }
    let runtime = runtime()?;
    let set = runtime
        .block_on(request.role_fetch(role.clone(), None).fetch())?
        .into_iter()
        .next()
        .ok_or_else(|| Error::Internal("the role fetch returned no credentials".to_owned()))?;
    let client = Ecr::new(
        &registry.region,
        ecr::endpoint_for(registry, env),
        &request.network,
    );
    trace.say(|| {
        format!(
            "GetAuthorizationToken as {final_role} at {}",
            client.endpoint()
        )
    });
    let token = runtime.block_on(client.authorization_token(registry, &set))?;
    trace.say(|| {
        format!(
            "ECR token expires {}",
            ssocred_core::domain::time_fmt::utc_z(token.expires_at)
        )
    });
    if let Some(cache) = &cache {
        match cache.store(&request.profile, role, chain, &registry.region, &token) {
            Ok(()) => trace.say(|| {
                format!(
                    "cached in {}",
                    cache.path(&identity, &registry.region).display()
                )
            }),
            Err(e) => trace.say(|| format!("cannot write the ECR token cache: {e}")),
        }
    }
    Ok(token)
}

fn list(flags: &HelperFlags) -> Result<ExitCode, Error> {
    let hosts = mapped_hosts(&flags.config, Trace::new(flags.verbose.verbose))?;
    let map: serde_json::Map<String, serde_json::Value> = hosts
        .into_iter()
        .map(|h| (format!("https://{h}"), serde_json::Value::from("AWS")))
        .collect();
    crate::output::write_stdout(format!("{}\n", serde_json::Value::Object(map)).as_bytes())
        .map(|()| ExitCode::SUCCESS)
}

/// The registry hosts the config maps that can be named without a network
/// call, sorted: each `[[registry]]` whose `match` is a host, an account id
/// or a glob that the role's account completes, in the resolved region;
/// and the default profile's own role's registry in that region.
fn mapped_hosts(config_flags: &ConfigFlags, trace: Trace) -> Result<Vec<String>, Error> {
    let env = |name: &str| std::env::var(name).ok();
    let paths = request::paths()?;
    let helper = HelperFlags {
        config: config_flags.clone(),
        ..HelperFlags::default()
    };
    let mappings: Vec<RegistryMapping> = load_config(config_flags.config.as_deref(), &env)?
        .registries()
        .iter()
        .map(|m| m.get_ref().clone())
        .collect();
    let mut hosts = Vec::new();
    let candidates = std::iter::once(None).chain(mappings.iter().map(Some));
    for mapping in candidates {
        // Resolve each mapping (and the default) as `get` would, offline.
        let config = load_config(config_flags.config.as_deref(), &env)?;
        let settings = Settings::resolve(&flags_for(&helper, mapping), &env, config)?;
        let role_and_region =
            request::sso_profile(&settings, &paths)
                .ok()
                .and_then(|(_, profile)| {
                    let query =
                        request::role_query(&settings, &RoleFlags::default(), false).ok()?;
                    let Plan::Role(role) = ssocred_core::pipeline::plan(&query, &profile).ok()?
                    else {
                        return None;
                    };
                    let region = ssocred_core::pipeline::credentials_region(
                        settings.region.as_ref().map(|r| r.value.as_str()),
                        &profile,
                    );
                    Some((role, region))
                });
        let Some((role, region)) = role_and_region else {
            trace.say(|| "a mapping (or the default) names no role offline; not listed".to_owned());
            continue;
        };
        if let Some(host) = host_of(mapping, &role, &region) {
            hosts.push(host);
        }
    }
    hosts.sort();
    hosts.dedup();
    Ok(hosts)
}

/// The one registry host a mapping (or, `None`, the default) stands for.
fn host_of(mapping: Option<&RegistryMapping>, role: &RoleArn, region: &str) -> Option<String> {
    let suffix = if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    let standard = format!("{}.dkr.ecr.{region}.{suffix}", role.account_id());
    let Some(mapping) = mapping else {
        return Some(standard);
    };
    let pattern = mapping.pattern.to_ascii_lowercase();
    let candidate = if ssocred_core::domain::arn::is_account_id(&pattern) {
        format!("{pattern}.dkr.ecr.{region}.{suffix}")
    } else if !pattern.contains(['*', '?', '[']) {
        pattern
    } else if let Some(rest) = pattern.strip_prefix("*.") {
        format!("{}.{rest}", role.account_id())
    } else {
        standard
    };
    let registry = Registry::from_server_url(&candidate)?;
    mapping
        .matches(&registry.host, &registry.account_id)
        .then_some(registry.host)
}

fn install(args: &InstallArgs) -> Result<(), Error> {
    let paths = request::paths()?;
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| paths.home.join(".local").join("bin"));
    let exe = std::env::current_exe()
        .and_then(|p| p.canonicalize())
        .map_err(|e| Error::Internal(format!("cannot find the running executable: {e}")))?;
    let link = dir.join(helper_file_name());
    let output_error = |message: String| Error::Output {
        target: link.display().to_string(),
        message,
    };
    std::fs::create_dir_all(&dir)
        .map_err(|e| output_error(format!("cannot create the directory: {e}")))?;
    match helper_link::install(&exe, &link) {
        Ok(Installed::Already) => {
            ssocred_core::stderr_line!("{} already links to {}", link.display(), exe.display());
        }
        Ok(Installed::Created) => {
            ssocred_core::stderr_line!(
                "{} {} -> {}",
                helper_link::METHOD,
                link.display(),
                exe.display()
            );
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(output_error(format!(
                "exists and is not a link to {}; remove it (or pass --dir) and run `ssocred docker-credential install` again",
                exe.display()
            )));
        }
        Err(e) => return Err(output_error(format!("cannot create the link: {e}"))),
    }
    if !on_path(&dir) {
        ssocred_core::stderr_line!(
            "warning: {} is not on PATH, so Docker will not find {HELPER_NAME}; add it to PATH in your shell's profile",
            dir.display()
        );
    }
    let hosts = mapped_hosts(&args.config, Trace::new(false))?;
    let shown: Vec<String> = if hosts.is_empty() {
        ssocred_core::stderr_line!(
            "no registry is mapped yet (see docs/docker.md); replace the example host below with your registry's"
        );
        vec!["123456789012.dkr.ecr.eu-west-1.amazonaws.com".to_owned()]
    } else {
        hosts
    };
    let helpers: serde_json::Map<String, serde_json::Value> = shown
        .into_iter()
        .map(|h| (h, serde_json::Value::from("ssocred")))
        .collect();
    let snippet = serde_json::to_string_pretty(&serde_json::json!({ "credHelpers": helpers }))
        .unwrap_or_default();
    let mut out =
        String::from("# Add to ~/.docker/config.json (merge into an existing \"credHelpers\"):\n");
    out.push_str(&snippet);
    out.push('\n');
    crate::output::write_stdout(out.as_bytes())
}

/// Whether the link at `link` leads to `exe`.
/// Whether `dir` is one of the directories of PATH.
fn on_path(dir: &Path) -> bool {
    let wanted = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|p| p.canonicalize().unwrap_or(p) == wanted)
    })
}

/// The helper's file name: [`HELPER_NAME`] with the system's executable
/// suffix (`.exe` on Windows).
fn helper_file_name() -> String {
    format!("{HELPER_NAME}{}", std::env::consts::EXE_SUFFIX)
}

/// Turns `docker-credential-ssocred ACTION ...` into
/// `ssocred docker-credential ACTION ...`, when argv[0]'s file name is the
/// helper's.
pub fn helper_argv(args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    let is_helper = args
        .first()
        .and_then(|a| Path::new(a).file_name())
        .is_some_and(|name| name == HELPER_NAME || *name == *helper_file_name());
    if !is_helper {
        return args;
    }
    let mut out: Vec<std::ffi::OsString> = vec!["ssocred".into(), "docker-credential".into()];
    let rest = &args[1..];
    // docker-credential-helpers answers `--version` and `-v` like `version`.
    match rest.first().and_then(|a| a.to_str()) {
        Some("--version" | "-v") => out.push("version".into()),
        _ => out.extend(rest.iter().cloned()),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::config_file::Config;

    #[test]
    fn argv0_turns_into_the_subcommand_only_under_the_helper_name() {
        let os = |v: &[&str]| v.iter().map(std::ffi::OsString::from).collect::<Vec<_>>();
        assert_eq!(
            helper_argv(os(&["/home/u/.local/bin/docker-credential-ssocred", "get"])),
            os(&["ssocred", "docker-credential", "get"])
        );
        assert_eq!(
            helper_argv(os(&["docker-credential-ssocred", "--version"])),
            os(&["ssocred", "docker-credential", "version"])
        );
        assert_eq!(
            helper_argv(os(&["ssocred", "get"])),
            os(&["ssocred", "get"])
        );
        assert_eq!(
            helper_argv(os(&["/x/docker-credential-ssocred-old", "get"])),
            os(&["/x/docker-credential-ssocred-old", "get"])
        );
    }

    fn config(text: &str) -> Config {
        Config::parse(Path::new("/c.toml"), text.to_owned()).unwrap()
    }

    #[test]
    fn list_names_hosts_the_mappings_stand_for() {
        let role = RoleArn::parse("arn:aws:iam::123456789012:role/Push").unwrap();
        let c = config(
            "[[registry]]\nmatch = '*.dkr.ecr.eu-west-1.amazonaws.com'\nrole_arn = 'arn:aws:iam::123456789012:role/Push'\n\
             [[registry]]\nmatch = '210987654321'\nrole_arn = 'arn:aws:iam::123456789012:role/Push'\n\
             [[registry]]\nmatch = '111122223333.dkr-ecr.us-east-1.on.aws'\nrole_arn = 'arn:aws:iam::123456789012:role/Push'\n",
        );
        let m: Vec<&RegistryMapping> = c.registries().iter().map(|m| m.get_ref()).collect();
        // The glob names its region, whatever region the settings give.
        assert_eq!(
            host_of(Some(m[0]), &role, "us-east-2").as_deref(),
            Some("123456789012.dkr.ecr.eu-west-1.amazonaws.com")
        );
        assert_eq!(
            host_of(Some(m[0]), &role, "eu-west-1").as_deref(),
            Some("123456789012.dkr.ecr.eu-west-1.amazonaws.com")
        );
        assert_eq!(
            host_of(Some(m[1]), &role, "cn-north-1").as_deref(),
            Some("210987654321.dkr.ecr.cn-north-1.amazonaws.com.cn")
        );
        assert_eq!(
            host_of(Some(m[2]), &role, "eu-west-1").as_deref(),
            Some("111122223333.dkr-ecr.us-east-1.on.aws")
        );
        assert_eq!(
            host_of(None, &role, "eu-west-1").as_deref(),
            Some("123456789012.dkr.ecr.eu-west-1.amazonaws.com")
        );
    }
}
