//! The `console` sink: an AWS Management Console sign-in URL for the set's
//! role, printed, and opened in a browser when there is a display.
//!
//! It follows the federation endpoint's documented protocol (AWS IAM User
//! Guide, "Enable custom identity broker access to the AWS console",
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_enable-console-custom-url.html>):
//!
//! 1. `GET https://signin.aws.amazon.com/federation?Action=getSigninToken
//!    [&SessionDuration=N]&Session=<JSON {"sessionId","sessionKey","sessionToken"}>`
//!    answers `{"SigninToken": "..."}`. `SessionDuration` (900 to 43200 s)
//!    applies to role sessions only, and is refused for credentials that
//!    came from role chaining.
//! 2. `https://signin.aws.amazon.com/federation?Action=login&Issuer=
//!    &Destination=<console URL>&SigninToken=<token>` signs the browser in.
//!
//! Each partition has its own sign-in and console hosts: `signin.aws.amazon.com`
//! and `console.aws.amazon.com` (aws); `signin.amazonaws-us-gov.com` and
//! `console.amazonaws-us-gov.com` (aws-us-gov, AWS GovCloud (US) User Guide,
//! <https://docs.aws.amazon.com/govcloud-us/latest/UserGuide/govcloud-iam.html>);
//! `signin.amazonaws.cn` and `console.amazonaws.cn` (aws-cn, the China
//! edition of the same guide,
//! <https://docs.amazonaws.cn/en_us/IAM/latest/UserGuide/id_roles_providers_enable-console-custom-url.html>).
//! The partition is the role ARN's. `SSOCRED_FEDERATION_ENDPOINT` replaces
//! the federation endpoint (for tests and private endpoints).
//!
//! The sign-in token is a secret: it is never logged, and `-v` shows the
//! URL with it redacted. The URL itself goes to stdout, for the person who
//! asked for it.

#![deny(missing_docs)]

use std::io::Write;
use std::process::{Command, Stdio};

use ssocred_core::domain::network::Network;
use ssocred_core::domain::trace::Trace;
use ssocred_core::sink::{
    Capacity, CredentialSet, Sink, SinkContext, SinkError, SinkKind, SinkRegistration, SinkSpec,
    write_stdout,
};
use ssocred_core::{ExposeSecret, RoleArn};

mod identity;
mod page;
mod url;

pub use identity::BrowserProfile;

pub use url::{ConsoleDestination, Partition, SessionDuration};

const NAME: &str = "console";

/// The variable that replaces the federation endpoint.
pub const ENDPOINT_VARIABLE: &str = "SSOCRED_FEDERATION_ENDPOINT";

ssocred_core::sink_options! {
    struct Options {
        /// where the console opens: a service name such as `s3` or `ec2`, or a full https console URL in the role's partition (default: the console home)
        destination: Option<String>,
        /// the region the console opens in, for a service name or the home page (default: the set's region)
        region: Option<String>,
        /// the console session's length: seconds from 900 to 43200, or with a unit (`90m`, `12h`); refused for chained role sessions (default: the federation endpoint's)
        duration: Option<String>,
        /// open the URL in a browser when there is a display: `true` or `false`; the URL is always printed (default: true)
        open: Option<String>,
        /// the browser command, run with the sign-in page's file:// URL as its last argument (or in place of `%s`); the page forwards to the sign-in URL, which stays off the command line (default: $BROWSER, else xdg-open, or open on macOS)
        browser: Option<String>,
        /// one browser identity per role: `auto` (named after the account and the role) or a name; a user-data directory in ssocred's state directory for Chromium-family browsers, a container (the "Open external links in a container" extension) for Firefox (default: none, the browser's own profile)
        browser_profile: Option<String>,
    }
}

/// What the options say, checked.
#[derive(Debug, Clone)]
struct Settings {
    destination: ConsoleDestination,
    region: Option<String>,
    duration: Option<SessionDuration>,
    open: bool,
    browser: Option<String>,
    browser_profile: Option<BrowserProfile>,
    endpoint: Option<String>,
}

/// Buffers the one set of the round; `commit` exchanges it for a sign-in
/// token and prints (and opens) the URL.
struct ConsoleSink {
    settings: Settings,
    set: Option<CredentialSet>,
    network: Network,
    trace: Trace,
}

impl Sink for ConsoleSink {
    fn accept(&mut self, set: &CredentialSet) -> Result<(), SinkError> {
        if self.set.is_some() {
            return Err(SinkError::refused(
                NAME,
                "signs in to one role at a time; choose one role".to_owned(),
            ));
        }
        self.set = Some(set.clone());
        Ok(())
    }

    fn commit(&mut self, stdout: &mut dyn Write) -> Result<(), SinkError> {
        let Some(set) = self.set.take() else {
            return Ok(());
        };
        let url = self.sign_in_url(&set)?;
        self.trace.say(|| {
            format!(
                "console sign-in URL for {}: {}",
                set.role_arn,
                url.redacted()
            )
        });
        write_stdout(stdout, format!("{}\n", url.text()).as_bytes())?;
        if self.settings.open && has_display() {
            let identity = self
                .settings
                .browser_profile
                .as_ref()
                .map(|p| p.name(&set.account_id, &set.role_name, &set.role_arn));
            open_sign_in_page(
                self.settings.browser.as_deref(),
                identity.as_deref(),
                &url.text(),
            );
        }
        Ok(())
    }

    fn capacity(&self) -> Capacity {
        Capacity::One
    }

    fn delivers_once(&self) -> Option<&'static str> {
        Some("its output is for a person, once")
    }

    fn calls_out(&self) -> bool {
        true
    }

    fn connect(&mut self, network: &Network, trace: Trace) {
        self.network = network.clone();
        self.trace = trace;
    }
}

impl ConsoleSink {
    /// Exchanges the set at the federation endpoint of its partition and
    /// builds the login URL.
    fn sign_in_url(&self, set: &CredentialSet) -> Result<url::LoginUrl, SinkError> {
        let arn = RoleArn::parse(&set.role_arn).map_err(|e| {
            SinkError::refused(NAME, format!("the role ARN `{}`: {e}", set.role_arn))
        })?;
        let partition = Partition::of(arn.partition());
        let endpoint = match &self.settings.endpoint {
            Some(endpoint) => endpoint.clone(),
            None => partition.federation_endpoint().to_owned(),
        };
        // The federation endpoint rejects SessionDuration for credentials
        // from role chaining: refused here, before the call, saying why.
        if set.is_chained() && self.settings.duration.is_some() {
            return Err(SinkError::usage(
                NAME,
                format!(
                    "duration cannot be set for {}: it came from role chaining (--assume), and the federation endpoint refuses SessionDuration for chained role sessions; drop duration (the console session then lasts as long as the credentials, at most one hour)",
                    set.role_arn
                ),
            ));
        }
        let region = self.settings.region.clone().or_else(|| set.region.clone());
        let destination = self
            .settings
            .destination
            .url(partition, region.as_deref())
            .map_err(|message| SinkError::usage(NAME, message))?;
        self.trace.say(|| {
            format!(
                "getSigninToken at {endpoint} for {} ({})",
                set.role_arn, set.access_key_id
            )
        });
        let request = url::signin_token_request(&endpoint, set, self.settings.duration);
        let token = self.fetch_token(&endpoint, &request, set)?;
        Ok(url::LoginUrl::new(&endpoint, &destination, token))
    }

    /// The `SigninToken` the endpoint answers, or an error naming it.
    fn fetch_token(
        &self,
        endpoint: &str,
        request: &str,
        set: &CredentialSet,
    ) -> Result<ssocred_core::SecretString, SinkError> {
        let failed = |message: String| SinkError::remote(NAME, endpoint, message);
        // `commit` runs inside the invocation's runtime, so the call gets a
        // runtime of its own on a thread of its own.
        let network = &self.network;
        let answer = std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .map_err(|e| format!("cannot start the HTTP client: {e}"))?;
                    runtime.block_on(ssocred_core::aws::sdk::get(request, endpoint, network))
                })
                .join()
                .unwrap_or_else(|_| Err("the HTTP client failed".to_owned()))
        });
        // ssocred's own words, whose server parts are already bounded.
        let (status, body) = answer.map_err(|message| {
            failed(ssocred_core::domain::text::redact(
                &message,
                &[
                    set.secret_access_key.expose_secret(),
                    set.session_token.expose_secret(),
                ],
            ))
        })?;
        if status != 200 {
            return Err(failed(format!(
                "getSigninToken answered HTTP {status}{}; the credentials may have expired, or the endpoint may not accept them",
                snippet(&body, set)
            )));
        }
        url::parse_token(&body).map_err(failed)
    }
}

/// A bounded, visible excerpt of an error body, with any secret of `set`
/// taken out: the text comes from a server.
fn snippet(body: &[u8], set: &CredentialSet) -> String {
    let text = scrub(&String::from_utf8_lossy(body), set);
    if text.is_empty() {
        return String::new();
    }
    format!(": {text}")
}

/// Server text through `text::remote`, without the set's secrets.
fn scrub(text: &str, set: &CredentialSet) -> String {
    ssocred_core::domain::text::remote(
        text,
        &[
            set.secret_access_key.expose_secret(),
            set.session_token.expose_secret(),
        ],
    )
}

/// Whether a browser can show a page: always on macOS and Windows, else
/// when an X11 or Wayland display is named.
fn has_display() -> bool {
    if ssocred_core::os::browser::DISPLAY_WITHOUT_VARIABLES {
        return true;
    }
    ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|name| std::env::var_os(name).is_some_and(|v| !v.is_empty()))
}

/// Opens the browser on a sign-in page that forwards to `url` (see
/// [`page`]), so the token stays off every command line; best effort: the
/// URL has been printed, so a failure is a warning. With an `identity`, a
/// Chromium-family browser runs with that identity's user-data directory,
/// and for Firefox the page forwards to the identity's container.
fn open_sign_in_page(option: Option<&str>, identity: Option<&str>, url: &str) {
    let var = |name: &str| std::env::var(name).ok();
    let command = browser_command(option);
    let mut extra = Vec::new();
    let mut target = url.to_owned();
    if let Some(name) = identity {
        let program = command.split_whitespace().next().unwrap_or_default();
        match identity::Family::of(program) {
            identity::Family::Chromium => match ssocred_core::os::dirs::state_dir(&var) {
                Some(state) => {
                    let dir = identity::user_data_dir(&state, name);
                    if let Err(e) = ssocred_core::os::fs::create_private_dir(&dir) {
                        ssocred_core::stderr_line!(
                            "ssocred: cannot create the browser profile {}: {e}; open the URL above yourself",
                            dir.display()
                        );
                        return;
                    }
                    extra.push(format!("--user-data-dir={}", dir.display()));
                }
                None => {
                    ssocred_core::stderr_line!(
                        "ssocred: no state directory for the browser profile ({}); open the URL above yourself",
                        ssocred_core::os::dirs::no_home()
                    );
                    return;
                }
            },
            identity::Family::Firefox => target = identity::container_url(name, url),
            identity::Family::Other => ssocred_core::stderr_line!(
                "ssocred: browser-profile needs a Chromium-family browser or Firefox (set with --browser or [console] browser), not `{}`; opening without a profile of its own",
                ssocred_core::domain::text::visible(program)
            ),
        }
    }
    let url = target.as_str();
    let Some(dir) = page::dir(var) else {
        ssocred_core::stderr_line!(
            "ssocred: no directory for the sign-in page (HOME is not set); open the URL above yourself"
        );
        return;
    };
    let page = match page::write(&dir, url) {
        Ok(page) => page,
        Err(e) => {
            ssocred_core::stderr_line!(
                "ssocred: cannot write the sign-in page in {}: {e}; open the URL above yourself",
                dir.display()
            );
            return;
        }
    };
    match page.file_url() {
        Some(file_url) => open_browser(&command, &extra, &file_url),
        None => ssocred_core::stderr_line!(
            "ssocred: {} has no file URL; open the URL above yourself",
            page.path().display()
        ),
    }
    page.remove_later(page::remove_after(var));
}

/// The browser command: the option, else `$BROWSER` (its first
/// `:`-separated entry), else the system's opener.
fn browser_command(option: Option<&str>) -> String {
    let configured = option
        .map(str::to_owned)
        .or_else(|| std::env::var("BROWSER").ok())
        .filter(|b| !b.trim().is_empty());
    match &configured {
        Some(text) => text.split(':').next().unwrap_or_default().to_owned(),
        None => ssocred_core::os::browser::DEFAULT_OPENER.to_owned(),
    }
}

/// Runs the browser `command` with `extra` arguments on `url` (the sign-in
/// page's `file://` URL), best effort.
fn open_browser(command: &str, extra: &[String], url: &str) {
    let mut words = command.split_whitespace();
    let Some(program) = words.next() else {
        return;
    };
    let mut args: Vec<String> = words.map(str::to_owned).collect();
    args.extend(extra.iter().cloned());
    if args.iter().any(|a| a.contains("%s")) {
        args = args.iter().map(|a| a.replace("%s", url)).collect();
    } else {
        args.push(url.to_owned());
    }
    match Command::new(program)
        .args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
    {
        Ok(mut child) => {
            // Wait briefly so a browser that forks and returns is reaped; a
            // browser that keeps running is left to run.
            let _ = wait_a_little(&mut child);
        }
        Err(e) => ssocred_core::stderr_line!(
            "ssocred: cannot run the browser `{}`: {e}; open the URL above yourself",
            ssocred_core::domain::text::visible(program)
        ),
    }
}

fn wait_a_little(child: &mut std::process::Child) -> std::io::Result<()> {
    for _ in 0..50 {
        if child.try_wait()?.is_some() {
            return Ok(());
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    Ok(())
}

/// Reads the spec (`console:DESTINATION` or options) with no side effect.
fn configure(spec: &SinkSpec) -> Result<Settings, SinkError> {
    let options: Options = spec.options_as(Some("destination"))?;
    let usage = |message: String| SinkError::usage(NAME, message);
    let destination = ConsoleDestination::parse(options.destination.as_deref()).map_err(usage)?;
    let region = options
        .region
        .map(|r| url::check_region(&r).map(|()| r))
        .transpose()
        .map_err(usage)?;
    let duration = options
        .duration
        .as_deref()
        .map(SessionDuration::parse)
        .transpose()
        .map_err(usage)?;
    let open = match options.open.as_deref() {
        None | Some("true") => true,
        Some("false") => false,
        Some(other) => {
            return Err(usage(format!("`open` is `true` or `false`, not `{other}`")));
        }
    };
    if options
        .browser
        .as_deref()
        .is_some_and(|b| b.trim().is_empty())
    {
        return Err(usage("`browser` is empty".to_owned()));
    }
    let browser_profile = options
        .browser_profile
        .as_deref()
        .map(BrowserProfile::parse)
        .transpose()
        .map_err(usage)?;
    let endpoint = std::env::var(ENDPOINT_VARIABLE)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .map(|v| url::check_endpoint(v.trim()))
        .transpose()
        .map_err(|m| usage(format!("environment {ENDPOINT_VARIABLE}: {m}")))?;
    Ok(Settings {
        destination,
        region,
        duration,
        open,
        browser: options.browser,
        browser_profile,
        endpoint,
    })
}

fn validate(spec: &SinkSpec, _ctx: &SinkContext) -> Result<(), SinkError> {
    configure(spec).map(drop)
}

fn build(spec: &SinkSpec, _ctx: &SinkContext) -> Result<Box<dyn Sink>, SinkError> {
    Ok(Box::new(ConsoleSink {
        settings: configure(spec)?,
        set: None,
        network: Network::default(),
        trace: Trace::default(),
    }))
}

inventory::submit! {
    SinkRegistration {
        name: NAME,
        description: "an AWS Management Console sign-in URL for the role, printed and opened in a browser",
        argument: Some("DESTINATION"),
        options: Options::HELP,
        validate,
        kind: SinkKind::Credentials(build),
    }
}
