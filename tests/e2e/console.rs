//! The `console` sink and `ssocred console`: a console sign-in URL through
//! the emulator's federation endpoint, per partition and destination; the
//! duration rules; opening a browser; the modes that refuse it; federation
//! failures (exit 6 naming the endpoint); the token redacted under `-v`.
//! The printed URL is followed by a real HTTP client (Python `requests`,
//! interop) to the emulator's console page.

// Unix only: for the tests with a shell script as the browser.
#[cfg(unix)]
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use ssocred_emulator::{Emulator, FederationOperation, Operation};
use ssocred_test_support::{ENDLESS_LENGTH, HostileServer, Hostility};

use crate::world::*;

const GOV_ARN: &str = "arn:aws-us-gov:iam::123456789012:role/ReadOnly";
const CN_ARN: &str = "arn:aws-cn:iam::123456789012:role/ReadOnly";

/// ssocred in `w`, its federation endpoint the emulator's.
fn console_cmd(w: &World) -> Command {
    let mut cmd = w.cmd();
    cmd.env("SSOCRED_FEDERATION_ENDPOINT", w.emulator.federation_url());
    cmd
}

fn run(mut cmd: Command, args: &[&str]) -> Output {
    cmd.args(args).run_to_end()
}

/// Percent-decodes a query value.
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// The query parameters of a URL, decoded, in order.
fn query(url: &str) -> Vec<(String, String)> {
    let (_, query) = url.split_once('?').expect(url);
    query
        .split('&')
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap();
            (k.to_owned(), decode(v))
        })
        .collect()
}

fn param(url: &str, name: &str) -> String {
    query(url)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("no {name} in {url}"))
}

/// The one line a successful run printed: the URL.
fn printed_url(out: &Output) -> String {
    let text = ok(out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "{text}");
    lines[0].to_owned()
}

/// Follows `url` with Python's `requests`, a real HTTP client, as a browser
/// does (redirects followed, cookies kept): the final status and page, and
/// every URL requested. `None`, said loudly, without the interop Python.
fn browse(w: &World, url: &str) -> Option<(u16, String, Vec<String>)> {
    let python = python("following a console sign-in URL with requests")?;
    let got = python_json(w, &python, "console_signin.py", &[url]);
    let visited = got["visited"].as_array().expect("visited URLs");
    Some((
        u16::try_from(got["status"].as_u64().expect("a status")).unwrap(),
        got["body"].as_str().expect("a page").to_owned(),
        visited
            .iter()
            .map(|u| u.as_str().expect("a URL").to_owned())
            .collect(),
    ))
}

#[test]
fn the_printed_url_signs_in_on_the_console_as_the_role() {
    let w = World::new();
    let out = run(
        console_cmd(&w),
        &[
            "-p",
            "modern",
            "-r",
            READ_ONLY_ARN,
            "--sink",
            "console,open=false",
        ],
    );
    let url = printed_url(&out);
    let prefix = format!(
        "{}?Action=login&Issuer=ssocred&",
        w.emulator.federation_url()
    );
    assert!(url.starts_with(&prefix), "{url}");
    assert_eq!(
        param(&url, "Destination"),
        "https://console.aws.amazon.com/console/home?region=us-east-1"
    );
    assert_eq!(
        w.emulator
            .federation_count(FederationOperation::GetSigninToken),
        1
    );
    assert_eq!(w.emulator.federation_count(FederationOperation::Login), 0);

    if let Some((status, page, visited)) = browse(&w, &url) {
        assert_eq!(status, 200, "{page}");
        assert_eq!(visited.len(), 2, "{visited:?}");
        assert!(page.contains(&format!("account: {PROD}")), "{page}");
        assert!(page.contains("role: ReadOnly"), "{page}");
        assert_eq!(w.emulator.federation_count(FederationOperation::Login), 1);
        assert_eq!(
            w.emulator
                .federation_count(FederationOperation::ConsolePage),
            1
        );
    }
    let [grant] = w.emulator.signin_grants().try_into().unwrap();
    assert_eq!(grant.session_duration, None);
    // The secrets were exchanged, never printed.
    let issued = w.only_issued();
    for secret in [&issued.secret_access_key, &issued.session_token] {
        assert!(!url.contains(secret.as_str()));
        assert!(!stderr(&out).contains(secret.as_str()));
    }
}

#[test]
fn destinations_are_services_or_console_urls_of_the_partition() {
    let w = World::new();
    let cases: [(&str, &str, &str); 4] = [
        (
            READ_ONLY_ARN,
            "console:s3,region=eu-west-1,open=false",
            "https://console.aws.amazon.com/s3/home?region=eu-west-1",
        ),
        (
            GOV_ARN,
            "console:ec2,open=false",
            "https://console.amazonaws-us-gov.com/ec2/home?region=us-east-1",
        ),
        (
            CN_ARN,
            "console,open=false",
            "https://console.amazonaws.cn/console/home?region=us-east-1",
        ),
        (
            READ_ONLY_ARN,
            "console,destination=https://eu-west-1.console.aws.amazon.com/ec2/home#Instances,open=false",
            "https://eu-west-1.console.aws.amazon.com/ec2/home#Instances",
        ),
    ];
    for (arn, spec, destination) in cases {
        let out = run(
            console_cmd(&w),
            &["-p", "modern", "-r", arn, "--sink", spec],
        );
        let url = printed_url(&out);
        assert_eq!(param(&url, "Destination"), destination, "{spec}");
        if let Some((status, page, _)) = browse(&w, &url) {
            assert_eq!(status, 200, "{page}");
        }
    }
    // A URL of another partition, or not a URL at all, is refused.
    let out = run(
        console_cmd(&w),
        &[
            "-p",
            "modern",
            "-r",
            GOV_ARN,
            "--sink",
            "console,destination=https://console.aws.amazon.com/s3/home,open=false",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("is not a console URL of the role's partition (https://console.amazonaws-us-gov.com/...)"),
        "{}",
        stderr(&out)
    );
    assert!(out.stdout.is_empty());
    let calls = w.emulator.count(Operation::GetRoleCredentials);
    let out = run(
        console_cmd(&w),
        &[
            "-p",
            "modern",
            "-r",
            READ_ONLY_ARN,
            "--sink",
            "console:S3 x",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(w.emulator.count(Operation::GetRoleCredentials), calls);
}

/// With no endpoint override, each partition's call goes to its own sign-in
/// host: seen in the error, through a proxy that refuses every connection.
#[test]
fn each_partition_calls_its_own_sign_in_host() {
    let w = World::new();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let proxy = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    for (arn, endpoint) in [
        (READ_ONLY_ARN, "https://signin.aws.amazon.com/federation"),
        (GOV_ARN, "https://signin.amazonaws-us-gov.com/federation"),
        (CN_ARN, "https://signin.amazonaws.cn/federation"),
    ] {
        let mut cmd = w.cmd();
        cmd.env("HTTPS_PROXY", &proxy);
        let out = run(
            cmd,
            &["-p", "modern", "-r", arn, "--sink", "console,open=false"],
        );
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(6), "{err}");
        assert!(
            err.contains(&format!("sink `console`: {endpoint}: ")),
            "{err}"
        );
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn duration_is_sent_as_session_duration_within_900_to_43200_seconds() {
    let w = World::new();
    for duration in ["3600", "12h", "900s"] {
        let spec = format!("console,duration={duration},open=false");
        let out = run(
            console_cmd(&w),
            &["-p", "modern", "-r", READ_ONLY_ARN, "--sink", &spec],
        );
        printed_url(&out);
    }
    let mut durations: Vec<Option<u32>> = w
        .emulator
        .signin_grants()
        .into_iter()
        .map(|g| g.session_duration)
        .collect();
    durations.sort();
    assert_eq!(durations, [Some(900), Some(3600), Some(43_200)]);
    let calls = w.emulator.count(Operation::GetRoleCredentials);
    for bad in ["899", "43201", "1d", "soon"] {
        let spec = format!("console,duration={bad}");
        let out = run(
            console_cmd(&w),
            &["-p", "modern", "-r", READ_ONLY_ARN, "--sink", &spec],
        );
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(
            err.contains("`duration` is seconds from 900 to 43200"),
            "{err}"
        );
    }
    assert_eq!(w.emulator.count(Operation::GetRoleCredentials), calls);
    assert_eq!(
        w.emulator
            .federation_count(FederationOperation::GetSigninToken),
        3
    );
}

/// A browser command that writes its arguments to `log`.
// Unix only: a shell script stands in for the browser.
#[cfg(unix)]
fn fake_browser(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    let log = dir.join(format!("{name}.log"));
    let script = dir.join(name);
    std::fs::write(
        &script,
        format!("#!/bin/sh\nprintf '%s\\n' \"$@\" > '{}'\n", log.display()),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    (script, log)
}

/// Whether a browser argument is a sign-in page's `file://` URL (the
/// token stays off the command line).
fn is_sign_in_page(arg: &str) -> bool {
    arg.starts_with("file:///") && arg.contains("/signin-") && arg.ends_with(".html")
}

/// Waits (generously) for the browser's log, which it writes after ssocred
/// may have exited.
#[cfg(unix)]
fn read_log(log: &Path) -> String {
    for _ in 0..300 {
        if let Ok(text) = std::fs::read_to_string(log)
            && text.ends_with('\n')
        {
            return text;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("the browser never ran: {}", log.display());
}

// Unix only: a shell script stands in for the browser.
#[cfg(unix)]
#[test]
fn opens_the_browser_when_there_is_a_display_unless_open_is_false() {
    let w = World::new();
    let dir = tempfile::tempdir().unwrap();
    let (from_env, env_log) = fake_browser(dir.path(), "from-env");
    let (from_option, option_log) = fake_browser(dir.path(), "from-option");
    let args = ["-p", "modern", "-r", READ_ONLY_ARN, "--sink"];

    // $BROWSER, with a display.
    let mut cmd = console_cmd(&w);
    cmd.env("DISPLAY", ":99").env("BROWSER", &from_env);
    let out = cmd.args(args).arg("console").run_to_end();
    printed_url(&out);
    let opened = read_log(&env_log);
    assert!(is_sign_in_page(opened.trim_end()), "{opened}");

    // The option wins over $BROWSER, and may carry arguments and %s.
    let mut cmd = console_cmd(&w);
    cmd.env("DISPLAY", ":99").env("BROWSER", &from_env);
    let spec = format!("console,browser={} --new-window %s", from_option.display());
    let out = cmd.args(args).arg(&spec).run_to_end();
    printed_url(&out);
    let opened = read_log(&option_log);
    let (flag, page) = opened.trim_end().split_once('\n').unwrap();
    assert_eq!(flag, "--new-window");
    assert!(is_sign_in_page(page), "{opened}");

    // open=false only prints; no display, no browser. A browser is only
    // ever given a sign-in page, written before it starts into
    // $XDG_RUNTIME_DIR/ssocred: that no page was written, once ssocred has
    // ended, shows that no browser was started, without a wait.
    std::fs::remove_file(&env_log).unwrap();
    let runtime = tempfile::tempdir().unwrap();
    let mut cmd = console_cmd(&w);
    cmd.env("DISPLAY", ":99")
        .env("BROWSER", &from_env)
        .env("XDG_RUNTIME_DIR", runtime.path());
    printed_url(&cmd.args(args).arg("console,open=false").run_to_end());
    let mut cmd = console_cmd(&w);
    cmd.env("BROWSER", &from_env)
        .env("XDG_RUNTIME_DIR", runtime.path());
    printed_url(&cmd.args(args).arg("console").run_to_end());
    assert!(
        !runtime.path().join("ssocred").exists(),
        "a page was written"
    );
    assert!(!env_log.exists());

    // A browser that cannot run is a warning: the URL is printed.
    let mut cmd = console_cmd(&w);
    cmd.env("DISPLAY", ":99")
        .env("BROWSER", dir.path().join("missing"));
    let out = cmd.args(args).arg("console").run_to_end();
    printed_url(&out);
    assert!(
        stderr(&out).contains("cannot run the browser"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn watch_serve_exec_and_several_roles_refuse_it_before_any_call() {
    let w = World::new();
    let runs: [&[&str]; 4] = [
        &[
            "-p",
            "modern",
            "-r",
            READ_ONLY_ARN,
            "--watch",
            "--sink",
            "console",
        ],
        &[
            "serve",
            "-p",
            "modern",
            "-r",
            READ_ONLY_ARN,
            "--sink",
            "console",
        ],
        &[
            "exec",
            "-p",
            "modern",
            "-r",
            READ_ONLY_ARN,
            "--sink",
            "console",
            "--",
            "true",
        ],
        &[
            "-p",
            "modern",
            "-r",
            READ_ONLY_ARN,
            "--sink",
            "serve",
            "--sink",
            "console",
        ],
    ];
    let modes = [
        "--watch",
        "`ssocred serve`",
        "`ssocred exec`",
        "a sink that serves continuously",
    ];
    for (args, mode) in runs.iter().zip(modes) {
        let out = run(console_cmd(&w), args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains(&format!(
                "sink `console`: its output is for a person, once; it cannot be used with {mode}"
            )),
            "{err}"
        );
    }
    assert_eq!(w.emulator.count(Operation::GetRoleCredentials), 0);
    // Capacity one: several roles are refused before their credentials are fetched.
    let mut args = ALL_DEV.to_vec();
    args.extend(["--sink", "console"]);
    let out = run(console_cmd(&w), &args);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(w.emulator.count(Operation::GetRoleCredentials), 0);
    assert_eq!(
        w.emulator
            .federation_count(FederationOperation::GetSigninToken),
        0
    );
}

#[test]
fn a_federation_refusal_or_an_unreachable_endpoint_exits_6_naming_it() {
    let w = World::new();
    // Another emulator issued none of these credentials: it answers 400.
    let stranger = Emulator::start(base_emulator()).unwrap();
    let mut cmd = w.cmd();
    cmd.env("SSOCRED_FEDERATION_ENDPOINT", stranger.federation_url());
    let out = run(
        cmd,
        &[
            "-p",
            "modern",
            "-r",
            READ_ONLY_ARN,
            "--sink",
            "console,open=false",
        ],
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(6), "{err}");
    assert!(
        err.contains(&format!(
            "sink `console`: {}: getSigninToken answered HTTP 400: The session credentials are not valid",
            stranger.federation_url()
        )),
        "{err}"
    );
    assert_eq!(
        stranger.federation_count(FederationOperation::GetSigninToken),
        1
    );
    let issued = w.only_issued();
    assert!(!err.contains(&issued.secret_access_key) && !err.contains(&issued.session_token));
    assert!(out.stdout.is_empty());

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}/federation", closed.local_addr().unwrap());
    drop(closed);
    let mut cmd = w.cmd();
    cmd.env("SSOCRED_FEDERATION_ENDPOINT", &endpoint);
    let out = run(
        cmd,
        &[
            "-p",
            "modern",
            "-r",
            READ_ONLY_ARN,
            "--sink",
            "console,open=false",
        ],
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(6), "{err}");
    assert!(
        err.contains(&format!("sink `console`: {endpoint}: connection refused")),
        "{err}"
    );
}

#[test]
fn verbose_shows_the_url_with_the_token_redacted() {
    let w = World::new();
    let out = run(
        console_cmd(&w),
        &[
            "-v",
            "-p",
            "modern",
            "-r",
            READ_ONLY_ARN,
            "--sink",
            "console,open=false",
        ],
    );
    let url = printed_url(&out);
    let token = param(&url, "SigninToken");
    assert!(token.len() > 100, "{token}");
    let err = stderr(&out);
    let redacted = url.replace(
        &url[url.find("SigninToken=").unwrap()..],
        "SigninToken=<redacted>",
    );
    assert!(err.contains(&redacted), "{err}");
    assert!(!err.contains(&token) && !err.contains(&url[url.find("SigninToken=").unwrap()..]));
    let issued = w.only_issued();
    assert!(!err.contains(&issued.secret_access_key) && !err.contains(&issued.session_token));
}

#[test]
fn the_console_command_is_the_short_form() {
    let w = World::new();
    let out = run(
        console_cmd(&w),
        &[
            "console",
            "-p",
            "modern",
            "-r",
            READ_ONLY_ARN,
            "--destination",
            "s3",
            "--duration",
            "1h",
            "--no-open",
        ],
    );
    let url = printed_url(&out);
    assert_eq!(
        param(&url, "Destination"),
        "https://console.aws.amazon.com/s3/home?region=us-east-1"
    );
    let [grant] = w.emulator.signin_grants().try_into().unwrap();
    assert_eq!(grant.session_duration, Some(3600));
    if let Some((status, page, _)) = browse(&w, &url) {
        assert_eq!(status, 200);
        assert!(page.contains("role: ReadOnly"), "{page}");
    }
}

/// The federation call trusts what every AWS call trusts: AWS_CA_BUNDLE.
#[test]
fn the_federation_call_trusts_the_ca_bundle() {
    let w = World::new();
    // An HTTPS federation endpoint that issued nothing: an answer (400)
    // proves the TLS handshake succeeded.
    let tls = Emulator::start(base_emulator().tls(true)).unwrap();
    let bundle = w.home().join("ca.pem");
    std::fs::write(&bundle, tls.ca_pem().unwrap()).unwrap();
    let spec = [
        "-p",
        "modern",
        "-r",
        READ_ONLY_ARN,
        "--sink",
        "console,open=false",
    ];
    let mut cmd = w.cmd();
    cmd.env("SSOCRED_FEDERATION_ENDPOINT", tls.federation_url())
        .env("AWS_CA_BUNDLE", &bundle);
    let out = run(cmd, &spec);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(6), "{err}");
    assert!(err.contains("getSigninToken answered HTTP 400"), "{err}");
    assert_eq!(tls.federation_count(FederationOperation::GetSigninToken), 1);

    let mut cmd = w.cmd();
    cmd.env("SSOCRED_FEDERATION_ENDPOINT", tls.federation_url());
    let out = run(cmd, &spec);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(6), "{err}");
    assert!(
        err.contains(&format!(
            "sink `console`: {}: certificate not trusted by the system's trust store",
            tls.federation_url()
        )),
        "{err}"
    );
    assert_eq!(tls.federation_count(FederationOperation::GetSigninToken), 1);
}

/// The review's bypass and its relatives: a destination whose host a
/// browser reads differently from a string match. Each is refused (exit 2,
/// naming the flag or the option) before any portal call.
#[test]
fn destinations_a_browser_reads_elsewhere_are_refused_before_any_call() {
    let w = World::new();
    let cases = [
        (
            "https://evil.example\\.console.aws.amazon.com/",
            "holds a backslash",
        ),
        (
            "https://console.aws.amazon.com@evil.example/",
            "holds user info",
        ),
        ("https://me@console.aws.amazon.com/", "holds user info"),
        ("https://console.aws.amazon.com:8443/", "names a port"),
        ("https://evil.example/", "is not a console URL"),
    ];
    for (destination, why) in cases {
        // The command names its flag.
        let out = run(
            console_cmd(&w),
            &[
                "console",
                "-p",
                "modern",
                "-r",
                READ_ONLY_ARN,
                "--no-open",
                "--destination",
                destination,
            ],
        );
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{destination}: {err}");
        assert!(err.contains("--destination: `destination`"), "{err}");
        assert!(err.contains(why), "{destination}: {err}");
        assert!(out.stdout.is_empty());
        // The sink names its option.
        let spec = format!("console,destination={destination},open=false");
        let out = run(
            console_cmd(&w),
            &["-p", "modern", "-r", READ_ONLY_ARN, "--sink", &spec],
        );
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{destination}: {err}");
        assert!(err.contains("sink `console`: `destination`"), "{err}");
        assert!(err.contains(why), "{destination}: {err}");
        assert!(out.stdout.is_empty());
    }
    assert_eq!(w.emulator.count(Operation::GetRoleCredentials), 0);
    assert_eq!(
        w.emulator
            .federation_count(FederationOperation::GetSigninToken),
        0
    );
}

/// A browser command that records its arguments, then copies the file its
/// last argument names (a `file://` URL) and that file's mode and its
/// directory's, into `out`.
// Unix only: a shell script stands in for the browser.
#[cfg(unix)]
fn copying_browser(dir: &Path) -> (PathBuf, PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let out = dir.join("seen");
    std::fs::create_dir_all(&out).unwrap();
    let script = dir.join("copying-browser");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh
out='{}'
for last in \"$@\"; do :; done
page=\"${{last#file://}}\"
             cp \"$page\" \"$out/page.html\"
stat -c %a \"$page\" > \"$out/mode\"
             stat -c %a \"$(dirname \"$page\")\" > \"$out/dir-mode\"
             printf '%s\\n' \"$page\" > \"$out/path\"
printf '%s\\n' \"$@\" > \"$out/argv\"
",
            out.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    (script, out)
}

/// The browser is opened on a private page that forwards to the sign-in
/// URL, never on the URL itself: its argv holds no token, the page was 0600
/// in a 0700 directory, and the page is gone afterwards. The URL is still
/// printed.
// Unix only: a shell script stands in for the browser, and modes are Unix's.
#[cfg(unix)]
#[test]
fn the_browser_gets_a_private_page_not_the_token_and_the_page_goes_away() {
    use std::os::unix::fs::PermissionsExt;
    let w = World::new();
    let dir = tempfile::tempdir().unwrap();
    let (browser, seen) = copying_browser(dir.path());
    let runtime = dir.path().join("runtime");
    std::fs::create_dir(&runtime).unwrap();
    std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700)).unwrap();
    let mut cmd = console_cmd(&w);
    cmd.env("DISPLAY", ":99")
        .env("BROWSER", &browser)
        .env("XDG_RUNTIME_DIR", &runtime)
        .env("SSOCRED_CONSOLE_PAGE_SECS", "2");
    let out = cmd
        .args(["-p", "modern", "-r", READ_ONLY_ARN, "--sink", "console"])
        .run_to_end();
    let url = printed_url(&out);
    let token = param(&url, "SigninToken");
    assert!(!token.is_empty());

    let argv = read_log(&seen.join("argv"));
    assert!(!argv.contains(&token), "{argv}");
    assert!(!argv.contains("SigninToken"), "{argv}");
    assert!(is_sign_in_page(argv.trim_end()), "{argv}");
    let page_path = PathBuf::from(read_log(&seen.join("path")).trim_end());
    assert_eq!(page_path.parent().unwrap(), runtime.join("ssocred"));
    assert_eq!(read_log(&seen.join("mode")), "600\n");
    assert_eq!(read_log(&seen.join("dir-mode")), "700\n");
    // The page forwards to the printed URL (escaped for HTML).
    let page = std::fs::read_to_string(seen.join("page.html")).unwrap();
    let escaped = url.replace('&', "&amp;");
    assert!(
        page.contains(&format!(
            "<meta http-equiv=\"refresh\" content=\"0;url={escaped}\">"
        )),
        "{page}"
    );
    // Gone after the delay.
    for _ in 0..100 {
        if !page_path.exists() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        !page_path.exists(),
        "{} is still there",
        page_path.display()
    );
    assert_eq!(
        std::fs::read_dir(runtime.join("ssocred")).unwrap().count(),
        0
    );
}

/// The federation endpoint receives the role's secret key and session
/// token: plain http is allowed only to a loopback host.
#[test]
fn a_plain_http_federation_endpoint_must_be_loopback() {
    let w = World::new();
    let args = [
        "-p",
        "modern",
        "-r",
        READ_ONLY_ARN,
        "--sink",
        "console,open=false",
    ];
    for endpoint in [
        "http://signin.example/federation",
        "http://10.1.2.3:8080/federation",
        "http://127.0.0.1.nip.example/federation",
    ] {
        let mut cmd = w.cmd();
        cmd.env("SSOCRED_FEDERATION_ENDPOINT", endpoint);
        let out = run(cmd, &args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{endpoint}: {err}");
        assert!(
            err.contains("environment SSOCRED_FEDERATION_ENDPOINT:")
                && err.contains("not loopback"),
            "{err}"
        );
        assert!(out.stdout.is_empty());
    }
    assert_eq!(w.emulator.count(Operation::GetRoleCredentials), 0);
    // The emulator's http://127.0.0.1 endpoint is loopback: accepted.
    printed_url(&run(console_cmd(&w), &args));
}

/// A console run whose federation endpoint is a hostile server.
fn against_hostile(w: &World, hostility: Hostility) -> (String, Output, Duration) {
    let server = HostileServer::start(hostility).unwrap();
    let endpoint = format!("{}/federation", server.url());
    let started = Instant::now();
    let out = w
        .cmd()
        .env("SSOCRED_FEDERATION_ENDPOINT", &endpoint)
        .args(["-p", "modern", "-r", READ_ONLY_ARN])
        .args(["--no-cache", "--sink", "console,open=false"])
        .run_to_end();
    assert_eq!(server.requests(), 1, "one getSigninToken, no retry");
    (endpoint, out, started.elapsed())
}

/// What every refused federation answer shows: exit 6, one line naming
/// the endpoint and `problem`, no secret of the set, nothing on stdout.
fn assert_refused(w: &World, endpoint: &str, out: &Output, problem: &str) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(6), "{err}");
    assert!(
        err.contains(&format!("sink `console`: {endpoint}: {problem}")),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    let issued = w.emulator.issued();
    let set = issued.last().expect("the role's credentials were fetched");
    assert!(!err.contains(&set.secret_access_key) && !err.contains(&set.session_token));
    assert!(out.stdout.is_empty());
}

/// `sdk::MAX_BODY`: a federation answer over 64 KiB is refused by its
/// `Content-Length` (50 GiB) before a byte is read, and one without a length
/// once 64 KiB have arrived.
#[test]
fn a_federation_answer_over_64_kib_is_refused() {
    let w = World::new();
    let (endpoint, out, _) = against_hostile(&w, Hostility::EndlessBody);
    let declared = format!(
        "refused the answer: its body is over {} bytes (Content-Length: {ENDLESS_LENGTH})",
        64 * 1024
    );
    assert_refused(&w, &endpoint, &out, &declared);
    let (endpoint, out, _) = against_hostile(&w, Hostility::EndlessUnsizedBody);
    let endless = format!(
        "refused the answer: its body went on past {} bytes",
        64 * 1024
    );
    assert_refused(&w, &endpoint, &out, &endless);
}

/// `sdk::GET_TIMEOUT`: a federation endpoint that never answers ends the
/// call after 30 s, not later.
#[test]
fn a_federation_endpoint_that_never_answers_is_given_up_after_30_s() {
    let w = World::new();
    let (endpoint, out, elapsed) = against_hostile(&w, Hostility::Silent);
    assert_refused(
        &w,
        &endpoint,
        &out,
        "no answer within 30 s; check the network",
    );
    // The portal call before it, and scheduling on a loaded machine.
    assert!(
        (Duration::from_secs(30)..Duration::from_secs(60)).contains(&elapsed),
        "{elapsed:?}"
    );
}

/// A stand-in Chromium (its name makes it one) that appends its
/// `--user-data-dir` argument to `log`, one line per run.
// Unix only: a shell script stands in for the browser.
#[cfg(unix)]
fn fake_chromium(dir: &Path) -> (PathBuf, PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let log = dir.join("chromium.log");
    let script = dir.join("chromium");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nfor a in \"$@\"; do case \"$a\" in --user-data-dir=*) printf '%s\\n' \"${{a#--user-data-dir=}}\" >> '{}';; esac; done\n",
            log.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    (script, log)
}

/// The lines of `log` once it has `n` of them.
#[cfg(unix)]
fn log_lines(log: &Path, n: usize) -> Vec<String> {
    for _ in 0..300 {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        let lines: Vec<String> = text.lines().map(str::to_owned).collect();
        if lines.len() >= n && text.ends_with('\n') {
            return lines;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("the browser did not run {n} times: {}", log.display());
}

/// `Dev+Ops` and `Dev_Ops` are both valid permission-set names; with
/// `browser-profile auto` each gets a browser identity of its own.
// Unix only: a shell script stands in for the browser.
#[cfg(unix)]
#[test]
fn two_roles_whose_names_differ_only_in_replaced_characters_get_two_identities() {
    use ssocred_emulator::Account;
    let w = World::with_emulator(
        base_emulator().account(
            Account::new("111100000001", "Ops")
                .role("Dev+Ops")
                .role("Dev_Ops"),
        ),
    );
    let dir = tempfile::tempdir().unwrap();
    let (chromium, log) = fake_chromium(dir.path());
    for role in ["Dev+Ops", "Dev_Ops"] {
        let mut cmd = console_cmd(&w);
        cmd.env("DISPLAY", ":99").args([
            "console",
            "-p",
            "modern",
            "-r",
            &format!("arn:aws:iam::111100000001:role/{role}"),
            "--browser-profile",
            "auto",
            "--browser",
        ]);
        printed_url(&cmd.arg(&chromium).run_to_end());
    }
    let dirs = log_lines(&log, 2);
    assert_ne!(dirs[0], dirs[1], "{dirs:?}");
    assert!(
        dirs[1].ends_with("/browser-profiles/111100000001-Dev_Ops"),
        "{dirs:?}"
    );
    assert!(
        dirs[0].contains("/browser-profiles/111100000001-Dev_Ops~"),
        "{dirs:?}"
    );
}

/// Under `exec --assume`, the credentials are the chain's last role's, and
/// `console --from-env --browser-profile auto` opens that role's identity,
/// not the SSO role's.
// Unix only: a shell script stands in for the browser.
#[cfg(unix)]
#[test]
fn from_env_under_an_exec_chain_opens_the_identity_of_the_chain_s_last_role() {
    const HUB: &str = "arn:aws:iam::555555555555:role/Hub";
    let w = World::with_emulator(base_emulator().trust(HUB, READ_ONLY_ARN));
    let dir = tempfile::tempdir().unwrap();
    let (chromium, log) = fake_chromium(dir.path());
    let out = console_cmd(&w)
        .env("DISPLAY", ":99")
        .args(["exec", "-p", "modern", "-r", READ_ONLY_ARN, "--assume", HUB])
        .arg("--")
        .arg(env!("CARGO_BIN_EXE_ssocred"))
        .args(["console", "--from-env", "--browser-profile", "auto"])
        .arg("--browser")
        .arg(&chromium)
        .output()
        .unwrap();
    printed_url(&out);
    let dirs = log_lines(&log, 1);
    assert!(
        dirs[0].ends_with("/browser-profiles/555555555555-Hub"),
        "{dirs:?}"
    );
    let grants = w.emulator.signin_grants();
    assert_eq!(grants.len(), 1);
    assert_eq!(grants[0].account_id, "555555555555");
}
