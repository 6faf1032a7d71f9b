//! `ssocred console -p PROFILE -r ARN`: the short form of
//! `ssocred -p PROFILE -r ARN --sink console`, an AWS Management Console
//! sign-in URL for the role, printed and opened in a browser.

use clap::Args;
use ssocred_core::Error;
use ssocred_core::naming::DEFAULT_TEMPLATE;

use crate::flags::{ListingFlags, OneRoleFlags, SinkFlags};

use super::get::{self, GetArgs};

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

    /// The browser command, run with the file:// URL of a private page that
    /// forwards to the sign-in URL [default: $BROWSER, else xdg-open, or
    /// open on macOS].
    #[arg(long, value_name = "COMMAND")]
    pub browser: Option<String>,
}

impl ConsoleArgs {
    /// The `console` sink spec the flags describe.
    fn spec(&self) -> Result<String, Error> {
        // Checked here too, so the error names the flag; the sink checks
        // the host against the role's partition once the role is known.
        if let Some(destination) = &self.destination {
            ssocred_sink_console::ConsoleDestination::parse(Some(destination))
                .map_err(|e| Error::Usage(format!("--destination: {e}")))?;
        }
        let mut spec = String::from("console");
        let options = [
            ("destination", self.destination.as_deref()),
            ("duration", self.duration.as_deref()),
            ("browser", self.browser.as_deref()),
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
    fn as_get(&self) -> Result<GetArgs, Error> {
        let role = &self.role;
        let mut sinks = vec![self.spec()?];
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
    get::run(&args.as_get()?)
}
