//! `ssocred [-p PROFILE] (-r ARN | --account ID --role NAME | --all ...)
//! [--sink SPEC]...`: fetch credentials and deliver them to the sinks, once
//! or (`--watch`) round after round.

use clap::Args;
use std::path::Path;

use ssocred_core::domain::naming::DEFAULT_TEMPLATE;
use ssocred_core::domain::text::visible;
use ssocred_core::domain::time_fmt;
use ssocred_core::domain::trace::Trace;
use ssocred_core::pipeline::{Fetch, Plan, credentials_region, plan};
use ssocred_core::sink::SelectedSink;
use ssocred_core::store::profile::{AwsPaths, ProfileFiles};
use ssocred_core::store::role_cache::Kind;
use ssocred_core::{CredentialSet, Error, deliver as deliver_sets};
use time::OffsetDateTime;

use crate::deliver::{Rounds, deliver};
use crate::flags::{
    AssumeFlags, CacheFlags, ConfigFlags, FlowFlags, ListingFlags, NetworkFlags, ProfileFlag,
    RefreshFlag, RegionFlag, RoleFlags, SinkFlags, TokenFlags, VerboseFlag,
};
use crate::request::{self, RequestParts};
use crate::runtime::runtime;
use crate::settings::{self, Flags, Settings, Source};

/// Fetch a role's credentials (or every matching role's) and deliver them
/// to the sinks.
#[derive(Debug, Clone, Args)]
pub struct GetArgs {
    #[command(flatten)]
    pub profile: ProfileFlag,

    #[command(flatten)]
    pub role: RoleFlags,

    #[command(flatten)]
    pub assume: AssumeFlags,

    /// Take every role matching --account and --role (all roles without
    /// them); each set goes to its own profile, named by --profile-name.
    #[arg(long, conflicts_with = "role_arn")]
    pub all: bool,

    /// The profile-name template for --all (handlebars; see `ssocred discover --help`).
    #[arg(long, value_name = "TEMPLATE", default_value = DEFAULT_TEMPLATE)]
    pub profile_name: String,

    #[command(flatten)]
    pub listing: ListingFlags,

    /// Same as `ssocred discover` (the predecessor's -d).
    #[arg(short = 'd', long = "discover-roles", conflicts_with_all = ["role_arn", "account", "role", "all"])]
    pub discover_roles: bool,

    #[command(flatten)]
    pub region: RegionFlag,

    #[command(flatten)]
    pub sinks: SinkFlags,

    /// Same as --sink env (the predecessor's flag).
    #[arg(long = "env_vars", visible_alias = "env-vars")]
    pub env_vars: bool,

    /// Same as --sink process (the predecessor's flag).
    #[arg(long = "external-source", visible_alias = "external_source")]
    pub external_source: bool,

    #[command(flatten)]
    pub verbose: VerboseFlag,

    /// Keep running: fetch again before the credentials expire and rewrite
    /// every sink with each refreshed set, until SIGINT or SIGTERM.
    #[arg(long)]
    pub watch: bool,

    #[command(flatten)]
    pub refresh: RefreshFlag,

    #[command(flatten)]
    pub flow: FlowFlags,

    #[command(flatten)]
    pub token: TokenFlags,

    #[command(flatten)]
    pub network: NetworkFlags,

    #[command(flatten)]
    pub config: ConfigFlags,

    #[command(flatten)]
    pub cache: CacheFlags,
}

impl Default for GetArgs {
    /// What clap gives a command line with none of the flags.
    fn default() -> Self {
        GetArgs {
            profile: ProfileFlag::default(),
            role: RoleFlags::default(),
            assume: AssumeFlags::default(),
            all: false,
            profile_name: DEFAULT_TEMPLATE.to_owned(),
            listing: ListingFlags::default(),
            discover_roles: false,
            region: RegionFlag::default(),
            sinks: SinkFlags::default(),
            env_vars: false,
            external_source: false,
            verbose: VerboseFlag::default(),
            watch: false,
            refresh: RefreshFlag::default(),
            flow: FlowFlags::default(),
            token: TokenFlags::default(),
            network: NetworkFlags::default(),
            config: ConfigFlags::default(),
            cache: CacheFlags::default(),
        }
    }
}

/// The environment variables clap reads for these flags (`env = ...`):
/// while one is set, clap parses the line.
const FLAG_ENV: [&str; 3] = [
    "SSOCRED_LOCK_TIMEOUT",
    "SSOCRED_LOGIN_COMMAND",
    "SSOCRED_REFRESH_WINDOW",
];

impl GetArgs {
    /// The arguments of the commonest command line, the one a
    /// `credential_process` line or a script runs on every call
    /// (`-p P -r ARN --sink S`, and `--account`, `--role`, `--region`,
    /// `--preset`, `--config`, `-v`, in any order, `--flag=value` too),
    /// read without building clap's parser: exactly what clap gives for
    /// the same line (a test holds the two together). `None` for anything
    /// else, which clap then parses, reporting any error: another flag, a
    /// subcommand, a repeated or conflicting flag, a value that is empty,
    /// starts with `-` or is not UTF-8, a `--region` clap would refuse, or
    /// one of [`FLAG_ENV`] set (`is_set`).
    pub fn from_plain_argv(
        args: &[std::ffi::OsString],
        is_set: impl Fn(&str) -> bool,
    ) -> Option<GetArgs> {
        if FLAG_ENV.iter().any(|name| is_set(name)) {
            return None;
        }
        let mut get = GetArgs::default();
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let arg = arg.to_str()?;
            let (flag, inline) = match arg.split_once('=') {
                Some((flag, value)) if flag.starts_with("--") => (flag, Some(value)),
                _ => (arg, None),
            };
            if matches!(flag, "-v" | "--verbose") {
                if inline.is_some() || get.verbose.verbose {
                    return None;
                }
                get.verbose.verbose = true;
                continue;
            }
            let value = match inline {
                Some(value) => value,
                None => args.next()?.to_str()?,
            };
            if value.is_empty() || value.starts_with('-') {
                return None;
            }
            let once =
                |slot: &mut Option<String>| slot.is_none().then(|| *slot = Some(value.to_owned()));
            match flag {
                "-p" | "--profile" => once(&mut get.profile.profile)?,
                "-r" | "--role-arn" => once(&mut get.role.role_arn)?,
                "--account" => once(&mut get.role.account)?,
                "--role" => once(&mut get.role.role)?,
                "--preset" => once(&mut get.config.preset)?,
                "--region" => {
                    crate::flags::region(value).ok()?;
                    once(&mut get.region.region)?;
                }
                "--config" => {
                    if get.config.config.is_some() {
                        return None;
                    }
                    get.config.config = Some(value.into());
                }
                "-s" | "--sink" => get.sinks.sinks.push(value.to_owned()),
                _ => return None,
            }
        }
        let role = &get.role;
        if role.role_arn.is_some() && (role.account.is_some() || role.role.is_some()) {
            return None;
        }
        Some(get)
    }

    /// The sink specs the flags give, the predecessor's flags last.
    pub fn sink_specs(&self) -> Vec<String> {
        let mut specs = self.sinks.sinks.clone();
        if self.env_vars {
            specs.push("env".to_owned());
        }
        if self.external_source {
            specs.push("process".to_owned());
        }
        specs
    }

    /// What the flags say about the settings.
    pub fn flags(&self) -> Flags {
        Flags {
            config: self.config.config.clone(),
            preset: self.config.preset.clone(),
            profile: self.profile.profile.clone(),
            region: self.region.region.clone(),
            role_arn: self.role.role_arn.clone(),
            account_role: self.role.account.clone().zip(self.role.role.clone()),
            assume: self.assume.assume.clone(),
            sinks: settings::SinkFlags::Chosen(self.sink_specs()),
            device_code: self.flow.device_code,
            no_browser: self.flow.no_browser,
            redirect_port: self.flow.redirect_port,
            token_store: self.flow.token_store.clone(),
            no_cache: self.cache.no_cache,
            cache_window: self.cache.cache_window,
            refresh_before: self.refresh.refresh_before,
            token: self.token.clone(),
            network: self.network.clone(),
            verbose: self.verbose.verbose,
            ..Flags::default()
        }
    }
}

/// Runs the command.
pub fn run(args: &GetArgs) -> Result<(), Error> {
    let settings = Settings::from_process(&args.flags())?;
    let paths = request::paths()?;
    // Sinks are built first, so a bad --sink fails before anything is
    // read or fetched.
    let mut sinks = settings.build_sinks(&request::sink_context(&paths)?)?;
    let rounds = Rounds {
        watch: args.watch,
        refresh_before: settings.refresh_before.value,
        profile_name: &args.profile_name,
    };
    rounds.check(&sinks)?;
    let once = !rounds.continuous(&sinks);
    let answered = match cached_round(args, &settings, &paths, &sinks) {
        // The round the fetch would have produced, delivered the one way
        // every round is.
        Some(set) => deliver_sets(std::slice::from_ref(&set), None, &mut sinks, &mut stdout())
            .map_err(Error::from),
        None => fetch_and_deliver(args, &settings, &paths, &mut sinks, rounds),
    };
    // A sink nobody chose writes static keys that go stale: say where.
    if answered.is_ok() && once && settings.sinks.source == Source::Default && !args.listing.quiet {
        say_written(&sinks, &paths.home);
    }
    // The answer is out: a daily sync of team sources that is due starts
    // now, in a process of its own.
    if answered.is_ok() {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        crate::sources::auto::start_if_due(settings.sources.sync.value, now);
    }
    answered
}

fn stdout() -> std::io::StdoutLock<'static> {
    std::io::stdout().lock()
}

/// Everything but the role-cache hit: the request, the fetch, and the
/// rounds.
fn fetch_and_deliver(
    args: &GetArgs,
    settings: &Settings,
    paths: &AwsPaths,
    sinks: &mut [SelectedSink],
    rounds: Rounds<'_>,
) -> Result<(), Error> {
    let runtime = runtime()?;
    let fetch = match request::console_fetch(settings, paths, args.all)? {
        // A console session of `aws login`: no role to choose.
        Some(console) => {
            for sink in sinks.iter_mut() {
                sink.sink.connect(&console.session.network, console.trace);
            }
            Fetch::Console(console)
        }
        None => {
            let request = request::request(RequestParts {
                query: request::role_query(settings, &args.role, args.all)?,
                settings,
                paths,
                concurrency: args.listing.concurrency,
            })?;
            for sink in sinks.iter_mut() {
                sink.sink.connect(&request.network, request.trace);
            }
            crate::selection::fetch(&request, settings, paths, &runtime, args.listing.quiet)?
        }
    };
    deliver(&runtime, &fetch, sinks, rounds)
}

/// One line on stderr per section the sinks wrote: which, in which file
/// (under `~` when it is in the home directory), and until when.
fn say_written(sinks: &[SelectedSink], home: &Path) {
    for written in sinks.iter().flat_map(|s| s.sink.written()) {
        let path = match written.path.strip_prefix(home) {
            Ok(rest) => Path::new("~").join(rest),
            Err(_) => written.path.clone(),
        };
        let line = format!(
            "wrote [{}] in {}, expires {}",
            written.section,
            path.display(),
            time_fmt::clock_z(written.expires)
        );
        ssocred_core::stderr_line!("ssocred: {}", visible(&line));
    }
}

/// The one round of a call the role cache can answer, read before anything
/// else the fetch would do: two small files (the AWS config and one cache
/// entry), no async runtime, no SDK client, never the token cache. `None`
/// means the fetch must run: the cache is off or missed, or the call is not
/// one round of one named role for sinks that need nothing but the set
/// (`--watch`, a sink that serves or calls out itself, `--all`, the
/// chooser, a console session); the fetch then reports any error with its
/// proper message and exit code. The settings are the fetch's own, so both
/// agree on the profile, role, region and sinks.
fn cached_round(
    args: &GetArgs,
    settings: &Settings,
    paths: &AwsPaths,
    sinks: &[SelectedSink],
) -> Option<CredentialSet> {
    if args.watch || args.discover_roles {
        return None;
    }
    if sinks
        .iter()
        .any(|s| s.sink.serves_continuously() || s.sink.calls_out())
    {
        return None;
    }
    let cache = request::role_cache(settings, paths)?;
    let profile = ProfileFiles::load_config(paths, &settings.profile.value)
        .and_then(|files| files.sso_profile(&settings.profile.value))
        .ok()?;
    // Only a role named outright; the chooser and --all need the portal.
    let query = request::role_query(settings, &args.role, args.all).ok()?;
    let Plan::Role(role) = plan(&query, &profile).ok()? else {
        return None;
    };
    let region = credentials_region(settings.region.as_ref().map(|r| r.value.as_str()), &profile);
    let hops = &settings.chain.value;
    let now = OffsetDateTime::now_utc();
    let (set, path) = match hops.last() {
        None => {
            let cached = cache.lookup(&profile, &role, now).ok()?;
            let set = cache.to_set(cached, &profile, &role, Some(region));
            (set, cache.path(&profile, &role))
        }
        // A role chain: the entry of the whole chain.
        Some(last) => {
            let path = cache.chain_path(&profile, &role, hops);
            let cached = cache.lookup_at(&path, Kind::Chain, now).ok()?;
            let mut set = cache.to_set(cached, &profile, &last.role, Some(region));
            set.assumed_via = std::iter::once(role.to_string())
                .chain(hops[..hops.len() - 1].iter().map(|h| h.role.to_string()))
                .collect();
            (set, path)
        }
    };
    Trace::new(args.verbose.verbose).say(|| {
        format!(
            "{} for {} from the role cache {}, expires {}",
            set.access_key_id,
            set.role_arn,
            path.display(),
            set.expiration_utc()
        )
    });
    Some(set)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::config_file::{Config, LoginMethod};
    use crate::settings::{RoleChoice, Source, spec_text};
    use clap::Parser;
    use std::path::Path;

    /// The main command's flags, parsed as the binary parses them.
    #[derive(Debug, Parser)]
    struct Main {
        #[command(flatten)]
        get: GetArgs,
    }

    fn argv(line: &[&str]) -> Vec<std::ffi::OsString> {
        line.iter().map(std::ffi::OsString::from).collect()
    }

    /// What the binary's clap parser makes of `line`, as text.
    fn by_clap(line: &[&str]) -> Result<String, clap::error::ErrorKind> {
        let mut full = vec!["ssocred"];
        full.extend(line);
        crate::commands::Cli::try_parse_from(full)
            .map(|cli| format!("{:?}", cli.get))
            .map_err(|e| e.kind())
    }

    #[test]
    fn the_plain_line_is_read_as_clap_reads_it() {
        const ARN: &str = "arn:aws:iam::123456789012:role/ReadOnly";
        let plain: &[&[&str]] = &[
            &["-p", "dev", "-r", ARN, "--sink", "process"],
            &["--profile", "dev", "--role-arn", ARN, "-s", "env:fish"],
            &["--profile=dev", "--role-arn=", "x"],
            &["-r", ARN],
            &["--sink", "process"],
            &[
                "--account",
                "123456789012",
                "--role",
                "ReadOnly",
                "--sink",
                "json",
            ],
            &["--account=1234*", "--role=Read*", "-v"],
            &[
                "-p",
                "dev",
                "-r",
                ARN,
                "--region",
                "eu-west-1",
                "--sink",
                "env",
                "-s",
                "dotenv",
            ],
            &[
                "--preset",
                "ci",
                "--config",
                "/tmp/c.toml",
                "-p",
                "a=b",
                "-r",
                ARN,
            ],
            &["-p", "sinks", "-r", ARN],
            &[
                "-p",
                "dev",
                "-r",
                ARN,
                "--sink",
                "template:k8s-secret,out=x.yaml",
            ],
            &["--sink=credentials-file:dev", "-p", "dev", "-r", ARN],
        ];
        let none = |_: &str| false;
        let mut read = 0;
        for line in plain {
            let Some(get) = GetArgs::from_plain_argv(&argv(line), none) else {
                // Only lines clap refuses may be left to it here.
                assert!(by_clap(line).is_err(), "{line:?} was left to clap");
                continue;
            };
            read += 1;
            assert_eq!(Ok(format!("{get:?}")), by_clap(line), "{line:?}");
        }
        assert_eq!(read, plain.len() - 1, "every valid plain line is read");

        // Everything else is clap's, valid or not.
        let others: &[&[&str]] = &[
            &["sinks"],
            &["-p", "dev", "--all"],
            &["-p", "dev", "-r", ARN, "--no-cache"],
            &["-p", "dev", "-p", "other"],
            &["-r", ARN, "--account", "1"],
            &["-p"],
            &["-p", ""],
            &["-p", "-r", ARN],
            &["-pdev", "-r", ARN],
            &["-v", "-v"],
            &["--verbose=true"],
            &["-p", "dev", "--region", "not a region"],
            &["-p", "dev", "--", "-r"],
            &["--config", "a", "--config", "b"],
            &["--help"],
            &["-p", "dev", "-r", ARN, "stray"],
        ];
        for line in others {
            assert!(
                GetArgs::from_plain_argv(&argv(line), none).is_none(),
                "{line:?} was read without clap"
            );
        }
        let word = ssocred_core::os::process::non_unicode_word();
        let non_utf8 = vec![std::ffi::OsString::from("-p"), word];
        assert!(GetArgs::from_plain_argv(&non_utf8, none).is_none());

        // A variable clap reads for these flags leaves the line to clap;
        // the list is every one the flags declare.
        let command = <crate::commands::Cli as clap::CommandFactory>::command();
        let mut declared: Vec<String> = command
            .get_arguments()
            .filter_map(|a| a.get_env())
            .map(|v| v.to_string_lossy().into_owned())
            .collect();
        declared.sort();
        assert_eq!(declared, FLAG_ENV);
        let line = argv(&["-p", "dev", "-r", ARN]);
        for name in FLAG_ENV {
            assert!(
                GetArgs::from_plain_argv(&line, |n| n == name).is_none(),
                "{name}"
            );
        }
    }

    const CONFIG: &str = r#"
profile = "cfg-profile"
region = "cfg-region"
sinks = ["env"]
[login]
method = "aws-cli"
[preset.ci]
profile = "ci-profile"
region = "ci-region"
role_arn = "arn:aws:iam::123456789012:role/Deploy"
[[preset.ci.sink]]
type = "dotenv"
path = ".env"
[preset.bare]
"#;

    fn resolve(flags: &[&str], env: &[(&str, &str)], config: &str) -> Result<Settings, Error> {
        let mut argv = vec!["ssocred"];
        argv.extend(flags);
        let cli = Main::try_parse_from(argv).unwrap();
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let lookup = move |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let config = if config.is_empty() {
            Config::default()
        } else {
            Config::parse(Path::new("/c.toml"), config.to_owned()).unwrap()
        };
        Settings::resolve(&cli.get.flags(), &lookup, config)
    }

    /// The precedence table: each row is flags, environment, config, and the
    /// profile, region and sinks that must win, with their sources.
    #[test]
    fn precedence_table() {
        type Row = (
            &'static [&'static str],
            &'static [(&'static str, &'static str)],
            &'static str,
            (&'static str, &'static str),
            Option<(&'static str, &'static str)>,
            (&'static str, &'static str),
        );
        let rows: &[Row] = &[
            // Nothing anywhere: built-in defaults.
            (
                &[],
                &[],
                "",
                ("default", "default"),
                None,
                ("credentials-file", "default"),
            ),
            // Config top level beats defaults.
            (
                &[],
                &[],
                CONFIG,
                ("cfg-profile", "config"),
                Some(("cfg-region", "config")),
                ("env", "config"),
            ),
            // A preset beats the top level.
            (
                &["--preset", "ci"],
                &[],
                CONFIG,
                ("ci-profile", "config [preset.ci]"),
                Some(("ci-region", "config [preset.ci]")),
                ("dotenv:path=.env", "config [preset.ci]"),
            ),
            // An empty preset falls through to the top level.
            (
                &["--preset", "bare"],
                &[],
                CONFIG,
                ("cfg-profile", "config"),
                Some(("cfg-region", "config")),
                ("env", "config"),
            ),
            // The preset may come from the environment.
            (
                &[],
                &[("SSOCRED_PRESET", "ci")],
                CONFIG,
                ("ci-profile", "config [preset.ci]"),
                Some(("ci-region", "config [preset.ci]")),
                ("dotenv:path=.env", "config [preset.ci]"),
            ),
            // Environment beats config, preset included.
            (
                &["--preset", "ci"],
                &[("AWS_PROFILE", "aws-env"), ("SSOCRED_REGION", "env-region")],
                CONFIG,
                ("aws-env", "environment AWS_PROFILE"),
                Some(("env-region", "environment SSOCRED_REGION")),
                ("dotenv:path=.env", "config [preset.ci]"),
            ),
            // SSOCRED_PROFILE beats AWS_PROFILE.
            (
                &[],
                &[("AWS_PROFILE", "aws-env"), ("SSOCRED_PROFILE", "ss-env")],
                CONFIG,
                ("ss-env", "environment SSOCRED_PROFILE"),
                Some(("cfg-region", "config")),
                ("env", "config"),
            ),
            // Flags beat everything.
            (
                &[
                    "-p",
                    "flag",
                    "--region",
                    "ca-west-1",
                    "--sink",
                    "json",
                    "--preset",
                    "ci",
                ],
                &[("AWS_PROFILE", "aws-env"), ("SSOCRED_REGION", "env-region")],
                CONFIG,
                ("flag", "flag --profile"),
                Some(("ca-west-1", "flag --region")),
                ("json", "flag --sink"),
            ),
            // The predecessor's flags count as sink flags.
            (
                &["--env_vars"],
                &[],
                CONFIG,
                ("cfg-profile", "config"),
                Some(("cfg-region", "config")),
                ("env", "flag --sink"),
            ),
            // Empty environment variables are unset.
            (
                &[],
                &[("AWS_PROFILE", ""), ("SSOCRED_REGION", "")],
                CONFIG,
                ("cfg-profile", "config"),
                Some(("cfg-region", "config")),
                ("env", "config"),
            ),
        ];
        for (i, (flags, env, config, profile, region, sinks)) in rows.iter().enumerate() {
            let s = resolve(flags, env, config).unwrap();
            assert_eq!(
                (
                    s.profile.value.as_str(),
                    s.profile.source.to_string().as_str()
                ),
                *profile,
                "row {i}"
            );
            let got_region = s
                .region
                .as_ref()
                .map(|r| (r.value.clone(), r.source.to_string()));
            assert_eq!(
                got_region,
                region.map(|(v, src)| (v.to_owned(), src.to_owned())),
                "row {i}"
            );
            let specs: Vec<String> = s.sinks.value.iter().map(|c| spec_text(&c.spec)).collect();
            assert_eq!(
                (specs.join(" "), s.sinks.source.to_string()),
                (sinks.0.to_owned(), sinks.1.to_owned()),
                "row {i}"
            );
        }
    }

    #[test]
    fn role_and_login_precedence() {
        let s = resolve(&["--preset", "ci"], &[], CONFIG).unwrap();
        assert_eq!(
            s.role.unwrap().value,
            RoleChoice::Arn("arn:aws:iam::123456789012:role/Deploy".into())
        );
        assert_eq!(s.login.method.value, LoginMethod::AwsCli);
        let s = resolve(
            &["--preset", "ci", "--account", "1", "--role", "R"],
            &[],
            CONFIG,
        )
        .unwrap();
        let role = s.role.unwrap();
        assert_eq!(role.value, RoleChoice::AccountRole("1".into(), "R".into()));
        assert_eq!(role.source, Source::Flag("--account/--role".into()));
        assert!(resolve(&[], &[], CONFIG).unwrap().role.is_none());
    }

    #[test]
    fn an_unknown_preset_lists_the_presets() {
        let e = resolve(&["--preset", "nope"], &[], CONFIG).unwrap_err();
        let m = e.to_string();
        assert!(
            m.contains("no preset `nope`") && m.contains("bare, ci") && m.contains("/c.toml"),
            "{m}"
        );
        assert_eq!(e.exit_code(), ssocred_core::ExitClass::Usage);
        let e = resolve(&[], &[("SSOCRED_PRESET", "x")], "")
            .unwrap_err()
            .to_string();
        assert!(e.contains("no file found"), "{e}");
    }

    #[test]
    fn config_sink_options_are_validated_with_the_line() {
        let config = "\n[[sink]]\ntype = \"json\"\nformat = \"yaml\"\n";
        let s = resolve(&[], &[], config).unwrap();
        let ctx = ssocred_core::SinkContext {
            config_file: "/nonexistent/config".into(),
            credentials_file: "/nonexistent/credentials".into(),
            cwd: "/".into(),
        };
        let e = s.build_sinks(&ctx).unwrap_err().to_string();
        assert!(
            e.contains("/c.toml: line 2: sink `json`") && e.contains("yaml"),
            "{e}"
        );
        let config = "\n[[sink]]\ntype = \"nope\"\n";
        let e = resolve(&[], &[], config)
            .unwrap()
            .build_sinks(&ctx)
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 2") && e.contains("unknown sink"), "{e}");
    }
}
