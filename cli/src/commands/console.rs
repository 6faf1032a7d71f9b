//! `ssocred console -p PROFILE -r ARN`: the short form of
//! `ssocred -p PROFILE -r ARN --sink console`, an AWS Management Console
//! sign-in URL for the role, printed and opened in a browser; with
//! `--from-env`, for the credentials already in the environment, with no
//! SSO call.

use clap::Args;
use ssocred_core::domain::naming::DEFAULT_TEMPLATE;
use ssocred_core::domain::network::{CaBundle, Network, Proxies, Trust};
use ssocred_core::domain::shell_line::suggested;
use ssocred_core::domain::trace::Trace;
use ssocred_core::store::profile::{AwsPaths, ProfileFiles};
use ssocred_core::{CredentialSet, Error, RoleArn, SecretString, SinkSpec, sink};
use time::OffsetDateTime;

use crate::flags::{ConsoleBrowserFlags, ListingFlags, OneRoleFlags, SinkFlags};
use crate::request;
use crate::settings::{Flags, Settings};

use super::get::{self, GetArgs};

/// The variable `ssocred exec` sets to the role its credentials are for
/// (the last role of its chain).
const EXEC_ROLE: &str = "SSOCRED_EXEC";

/// Open the AWS Management Console as the role.
#[derive(Debug, Clone, Args)]
pub struct ConsoleArgs {
    #[command(flatten)]
    pub role: OneRoleFlags,

    /// Where the console opens: a service name such as s3 or ec2, or a full
    /// console URL in the role's partition [default: the console home].
    #[arg(long, value_name = "SERVICE|URL")]
    pub destination: Option<String>,

    /// The console session's length: seconds from 900 to 43200, or 90m,
    /// 12h [default: the federation endpoint's].
    #[arg(long, value_name = "DURATION")]
    pub duration: Option<String>,

    /// Only print the URL; do not open a browser.
    #[arg(long)]
    pub no_open: bool,

    #[command(flatten)]
    pub browser: ConsoleBrowserFlags,

    /// Sign in with the credentials already in the environment
    /// (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, as
    /// `ssocred exec` sets them; else the static keys of the profile
    /// AWS_PROFILE names), with no SSO call. Credentials without a session
    /// token are refused: the federation endpoint signs in only temporary
    /// ones.
    #[arg(long, conflicts_with_all = ["profile", "role_arn", "account", "role", "assume", "sinks"])]
    pub from_env: bool,
}

impl ConsoleArgs {
    /// What the flags say about the settings.
    pub fn flags(&self) -> Flags {
        let mut flags = Flags::one_role(&self.role);
        flags.console_browser = self.browser.browser.clone();
        flags.browser_profile = self.browser.browser_profile.clone();
        flags
    }

    /// The `console` sink spec the flags and the settings describe.
    fn spec(&self, settings: &Settings) -> Result<String, Error> {
        // Checked here too, so the error names the flag; the sink checks
        // the host against the role's partition once the role is known.
        if let Some(destination) = &self.destination {
            ssocred_sink_console::ConsoleDestination::parse(Some(destination))
                .map_err(|e| Error::Usage(format!("--destination: {e}")))?;
        }
        let mut spec = String::from("console");
        let console = &settings.console;
        let options = [
            ("destination", self.destination.as_deref()),
            ("duration", self.duration.as_deref()),
            ("browser", console.browser.value.as_deref()),
            ("browser-profile", console.browser_profile.value.as_deref()),
            ("open", self.no_open.then_some("false")),
        ];
        for (key, value) in options {
            let Some(value) = value else { continue };
            if value.contains(',') {
                return Err(Error::Usage(format!("--{key} cannot contain a comma")));
            }
            spec.push_str(&format!(",{key}={value}"));
        }
        Ok(spec)
    }

    /// The same invocation as `ssocred ... --sink console`.
    fn as_get(&self, settings: &Settings) -> Result<GetArgs, Error> {
        let role = &self.role;
        let mut sinks = vec![self.spec(settings)?];
        sinks.extend(role.sinks.sinks.iter().cloned());
        Ok(GetArgs {
            profile: role.profile.clone(),
            role: role.role.clone(),
            assume: role.assume.clone(),
            all: false,
            profile_name: DEFAULT_TEMPLATE.to_owned(),
            listing: ListingFlags {
                quiet: role.quiet.quiet,
                ..ListingFlags::default()
            },
            discover_roles: false,
            region: role.region.clone(),
            sinks: SinkFlags { sinks },
            env_vars: false,
            external_source: false,
            verbose: role.verbose,
            watch: false,
            refresh: role.refresh.clone(),
            flow: role.flow.clone(),
            token: role.token.clone(),
            network: role.network.clone(),
            config: role.config.clone(),
            cache: role.cache.clone(),
        })
    }
}

/// Runs the command.
pub fn run(args: &ConsoleArgs) -> Result<(), Error> {
    if args.from_env {
        // The environment's credentials are signed in as they are: no role,
        // and so no project file, is resolved.
        let settings = Settings::from_process_without_project(&args.flags())?;
        return from_env(args, &settings);
    }
    let settings = Settings::from_process(&args.flags())?;
    get::run(&args.as_get(&settings)?)
}

/// The credentials of the environment, or of the profile AWS_PROFILE names,
/// as a set for the console sink.
fn environment_set(paths: &AwsPaths) -> Result<CredentialSet, Error> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let (key, secret, token, origin) = match (
        env("AWS_ACCESS_KEY_ID"),
        env("AWS_SECRET_ACCESS_KEY"),
    ) {
        (Some(key), Some(secret)) => (
            key,
            secret,
            env("AWS_SESSION_TOKEN").or_else(|| env("AWS_SECURITY_TOKEN")),
            "AWS_ACCESS_KEY_ID in the environment".to_owned(),
        ),
        _ => {
            let Some(profile) = env("AWS_PROFILE") else {
                return Err(Error::Usage(
                    "--from-env: no credentials in the environment (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE); run it under `ssocred exec -p PROFILE -r ARN -- ssocred console --from-env`, or use `ssocred console -p PROFILE -r ARN`".to_owned(),
                ));
            };
            let files = ProfileFiles::load(paths)?;
            let get = |key: &str| files.profile_value(&profile, key).map(str::to_owned);
            match (get("aws_access_key_id"), get("aws_secret_access_key")) {
                (Some(key), Some(secret)) => (
                    key,
                    secret,
                    get("aws_session_token"),
                    format!("profile `{profile}` (AWS_PROFILE)"),
                ),
                _ => {
                    return Err(Error::Usage(format!(
                        "--from-env: profile `{profile}` (AWS_PROFILE) holds no aws_access_key_id and aws_secret_access_key in {} or {}; for an SSO profile use `{} -r ARN`",
                        paths.config.display(),
                        paths.credentials.display(),
                        suggested(&["console", "-p", &profile])
                    )));
                }
            }
        }
    };
    let Some(token) = token else {
        return Err(Error::Usage(format!(
            "--from-env: the credentials of {origin} have no session token: they are long-term keys (an IAM user's), and the federation endpoint signs in only temporary credentials (a role session); use `ssocred console -p PROFILE -r ARN`, or run under `ssocred exec`"
        )));
    };
    let region = env("AWS_REGION").or_else(|| env("AWS_DEFAULT_REGION"));
    // The role is known when `ssocred exec` set the credentials; otherwise
    // only the partition is, from the region, and the role is named
    // `environment` (for `browser_profile = auto`).
    let role = env(EXEC_ROLE)
        .and_then(|arn| RoleArn::parse(&arn).ok())
        .map_or_else(
            || {
                RoleArn::for_role(
                    "000000000000",
                    "environment",
                    region.as_deref().unwrap_or("us-east-1"),
                )
                .map_err(|e| Error::Usage(format!("--from-env: AWS_REGION: {e}")))
            },
            Ok,
        )?;
    let expiration = env("AWS_CREDENTIAL_EXPIRATION")
        .and_then(|t| ssocred_core::domain::time_fmt::parse_expiry(&t))
        .unwrap_or_else(|| OffsetDateTime::now_utc() + time::Duration::hours(1));
    Ok(CredentialSet {
        account_id: role.account_id().to_owned(),
        account_name: None,
        role_name: role.role_name().to_owned(),
        role_arn: role.as_str().to_owned(),
        access_key_id: key,
        secret_access_key: SecretString::from(secret),
        session_token: SecretString::from(token),
        expiration,
        region,
        sso_profile: String::new(),
        sso_session: None,
        start_url: String::new(),
        assumed_via: Vec::new(),
    })
}

/// `console --from-env`: the console sink fed the environment's set.
fn from_env(args: &ConsoleArgs, settings: &Settings) -> Result<(), Error> {
    let paths = request::paths()?;
    let set = environment_set(&paths)?;
    let spec = SinkSpec::parse(&args.spec(settings)?)?;
    let ctx = request::sink_context(&paths)?;
    let mut console = sink::build(&spec, &ctx)?;
    console.connect(
        &environment_network(args)?,
        Trace::new(args.role.verbose.verbose),
    );
    console.accept(&set)?;
    let mut stdout = std::io::stdout();
    console.commit(&mut stdout)?;
    Ok(())
}

/// The network of a call with no profile: `--ca-bundle`, else
/// `AWS_CA_BUNDLE`, and the proxies of the environment.
fn environment_network(args: &ConsoleArgs) -> Result<Network, Error> {
    let env = |name: &str| std::env::var(name).ok();
    let bundle = match &args.role.network.ca_bundle {
        Some(path) => Some((path.clone(), "flag --ca-bundle")),
        None => env("AWS_CA_BUNDLE")
            .filter(|v| !v.trim().is_empty())
            .map(|v| {
                (
                    std::path::PathBuf::from(v.trim()),
                    "environment AWS_CA_BUNDLE",
                )
            }),
    };
    let trust = match bundle {
        Some((path, source)) => Trust::Bundle(CaBundle::load_remembering(&path, source, None)?),
        None => Trust::System,
    };
    Ok(Network {
        trust,
        proxies: Proxies::from_env(env)?,
        endpoints: Default::default(),
    })
}
