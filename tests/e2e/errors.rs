//! Bad input: a clear message naming the profile, file or flag, the
//! documented exit code, and nothing written.

use crate::world::*;

struct Case {
    name: &'static str,
    args: Vec<&'static str>,
    code: i32,
    message: Vec<&'static str>,
}

fn check(w: &World, case: &Case, before: Option<&str>) {
    let out = w.run(&case.args);
    // Paths in the expected fragments are written with `/`.
    let stderr = String::from_utf8_lossy(&out.stderr).replace(std::path::MAIN_SEPARATOR, "/");
    assert_eq!(
        out.status.code(),
        Some(case.code),
        "{}: {stderr}",
        case.name
    );
    assert!(out.stdout.is_empty(), "{}: wrote to stdout", case.name);
    for fragment in &case.message {
        assert!(
            stderr.contains(fragment),
            "{}: `{fragment}` not in: {stderr}",
            case.name
        );
    }
    assert!(!stderr.contains(TOKEN), "{}: token leaked", case.name);
    assert_eq!(
        std::fs::read_to_string(w.credentials_path())
            .ok()
            .as_deref(),
        before,
        "{}: credentials file changed",
        case.name
    );
}

fn case(name: &'static str, args: &[&'static str], code: i32, message: &[&'static str]) -> Case {
    Case {
        name,
        args: args.to_vec(),
        code,
        message: message.to_vec(),
    }
}

#[test]
fn config_and_usage_errors() {
    let w = World::new();
    let registered = format!(
        "registered sinks: {}",
        crate::sinks::linked_sinks().join(", ")
    )
    .leak();
    let cases = [
        case(
            "unknown profile",
            &["-p", "nope", "-r", READ_ONLY_ARN],
            3,
            &["profile `nope` not found", ".aws/config"],
        ),
        case(
            "no SSO settings",
            &["-p", "plain", "-r", READ_ONLY_ARN],
            3,
            &["profile `plain`", "no SSO settings"],
        ),
        case(
            "missing sso-session",
            &["-p", "dangling", "-r", READ_ONLY_ARN],
            3,
            &[
                "profile `dangling`",
                "[sso-session missing]",
                "does not exist",
            ],
        ),
        case(
            "malformed ARN",
            &["-p", "modern", "-r", "arn:aws:iam::12345:role/X"],
            2,
            &[
                "--role-arn",
                "malformed role ARN `arn:aws:iam::12345:role/X`",
                "12 digits",
            ],
        ),
        case(
            "no role",
            &["-p", "modern"],
            2,
            &["no role selected", "-r/--role-arn"],
        ),
        case(
            "unknown sink",
            &["-p", "modern", "-r", READ_ONLY_ARN, "--sink", "nosuch"],
            2,
            &["sink `nosuch`", registered],
        ),
        case(
            "bad sink option",
            &["-p", "modern", "-r", READ_ONLY_ARN, "--sink", "env:ksh"],
            2,
            &["sink `env`", "ksh"],
        ),
        case(
            "a profile almost right",
            &["-p", "modrn", "-r", READ_ONLY_ARN],
            3,
            &["profile `modrn` not found", "did you mean `modern`?"],
        ),
        case(
            "a region almost right",
            &["-p", "modern", "-r", READ_ONLY_ARN, "--region", "eu-wst-1"],
            2,
            &["--region", "did you mean eu-west-1?"],
        ),
        case("bad flag", &["--no-such-flag"], 2, &["--no-such-flag"]),
    ];
    for c in &cases {
        check(&w, c, None);
    }
    assert!(
        w.emulator.issued().is_empty(),
        "no case may reach the portal"
    );
}

#[test]
fn login_required_errors() {
    let w = World::new();
    let corp = w.token_path("corp");
    let legacy = w.token_path("https://d-legacy.awsapps.com/start");

    std::fs::remove_file(&corp).unwrap();
    let missing = case(
        "missing token",
        &["-p", "modern", "-r", READ_ONLY_ARN],
        4,
        &["no SSO login found for corp", "ssocred login -p modern"],
    );
    check(&w, &missing, None);

    w.write_token("corp", TOKEN, "2001-01-01T00:00:00+00:00");
    let expired = case(
        "expired token",
        &["-p", "modern", "-r", READ_ONLY_ARN],
        4,
        &["expired at 2001-01-01T00:00:00Z", "ssocred login -p modern"],
    );
    check(&w, &expired, None);

    std::fs::write(
        &legacy,
        format!("{{\"accessToken\": \"{TOKEN}\", \"expiresAt\": "),
    )
    .unwrap();
    let garbled = case(
        "garbled token",
        &["-p", "legacy", "-r", READ_ONLY_ARN],
        4,
        &["unreadable", "ssocred login -p legacy"],
    );
    check(&w, &garbled, None);

    w.write_token("corp", "tok-REVOKED-by-the-portal", "2099-01-01T00:00:00Z");
    let rejected = case(
        "token rejected",
        &["-p", "modern", "-r", READ_ONLY_ARN],
        4,
        &[
            "rejected the access token of profile `modern` (401)",
            "ssocred login -p modern",
        ],
    );
    check(&w, &rejected, None);
    assert!(w.emulator.issued().is_empty());
}

#[test]
fn portal_errors() {
    let w = World::new();
    let not_assigned = case(
        "role not assigned",
        &[
            "-p",
            "modern",
            "-r",
            "arn:aws:iam::123456789012:role/Admin2",
        ],
        5,
        &["role `Admin2` in account 123456789012 is not assigned to SSO profile `modern`"],
    );
    check(&w, &not_assigned, None);

    // A portal that never lets a call through fails with exit 6 once no
    // call has succeeded for the give-up time (shortened here).
    w.emulator.set_throttle_every(Some(1));
    let out = w
        .cmd()
        .env("SSOCRED_THROTTLE_GIVE_UP_SECS", "1")
        .args(["-p", "modern", "-r", READ_ONLY_ARN])
        .run_to_end();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(6), "{stderr}");
    assert!(out.stdout.is_empty());
    assert!(
        stderr.contains(
            "GetRoleCredentials for arn:aws:iam::123456789012:role/ReadOnly still throttled (429)"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains(TOKEN), "token leaked");
    assert!(!w.credentials_path().exists());
    assert!(w.emulator.throttled() >= 2, "sent once only");
}

#[test]
fn unreachable_endpoint_is_named() {
    let w = World::new();
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let mut cmd = w.cmd();
    let out = cmd
        .env("AWS_ENDPOINT_URL_SSO", &url)
        .args(["-p", "modern", "-r", READ_ONLY_ARN])
        .run_to_end();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(6), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "cannot reach the SSO portal at {url} (from AWS_ENDPOINT_URL_SSO): "
        )),
        "{stderr}"
    );
    assert!(!w.credentials_path().exists());
}

/// A login whose OIDC endpoint is down names that service, not the portal,
/// and the variable its address came from.
#[test]
fn an_unreachable_oidc_endpoint_is_named_with_its_variable() {
    let w = World::new();
    std::fs::remove_file(w.token_path("corp")).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let out = w
        .cmd()
        .env("AWS_ENDPOINT_URL_SSO_OIDC", &url)
        .args(["login", "-p", "modern", "--device-code", "--no-browser"])
        .run_to_end();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(6), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "cannot reach the SSO OIDC service (sso-oidc) at {url} (from AWS_ENDPOINT_URL_SSO_OIDC): "
        )),
        "{stderr}"
    );
    assert!(!stderr.contains("SSO portal"), "{stderr}");
    // Through AWS_ENDPOINT_URL, that one is named.
    let out = w
        .cmd()
        .env_remove("AWS_ENDPOINT_URL_SSO_OIDC")
        .env("AWS_ENDPOINT_URL", &url)
        .args(["login", "-p", "modern", "--device-code", "--no-browser"])
        .run_to_end();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("at {url} (from AWS_ENDPOINT_URL): ")),
        "{stderr}"
    );
}

#[test]
fn output_errors_leave_files_alone() {
    let w = World::new();
    let broken = "[ok]\naws_access_key_id = A\n[broken\nkey = value\n";
    std::fs::write(w.credentials_path(), broken).unwrap();
    let unparseable = case(
        "unparseable credentials file",
        &["-p", "modern", "-r", READ_ONLY_ARN],
        7,
        &[".aws/credentials", "line 3", "left untouched"],
    );
    check(&w, &unparseable, Some(broken));

    let other = w.home().join("other-credentials");
    std::fs::write(&other, broken).unwrap();
    let out = w.run(&[
        "-p",
        "modern",
        "-r",
        READ_ONLY_ARN,
        "--sink",
        "credentials-file:x,path=other-credentials",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(7), "{stderr}");
    assert!(
        stderr.contains("other-credentials")
            && stderr.contains("line 3")
            && stderr.contains("left untouched"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&other).unwrap(), broken);

    // Not writable: the parent "directory" is a regular file.
    std::fs::remove_file(w.credentials_path()).unwrap();
    let blocker = w.home().join("blocker");
    std::fs::write(&blocker, "").unwrap();
    let mut cmd = w.cmd();
    let out = cmd
        .env("AWS_SHARED_CREDENTIALS_FILE", blocker.join("credentials"))
        .args(["-p", "modern", "-r", READ_ONLY_ARN])
        .run_to_end();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(7), "{stderr}");
    assert!(
        stderr.contains("blocker/credentials") || stderr.contains("blocker"),
        "{stderr}"
    );
}

#[test]
fn a_bad_region_is_a_config_or_usage_error() {
    let w = World::new();
    w.write_config(&format!(
        "{CONFIG}\n[profile bad-sso-region]\nsso_start_url = https://d-x.awsapps.com/start\nsso_region = us_east!1\n\n\
         [profile bad-region]\nsso_session = corp\nregion = eu west\n"
    ));
    let cases = [
        case(
            "sso_region not a region",
            &["-p", "bad-sso-region", "-r", READ_ONLY_ARN],
            3,
            &[
                "profile `bad-sso-region`",
                "sso_region = us_east!1",
                "not a region name",
            ],
        ),
        case(
            "region not a region",
            &["-p", "bad-region", "-r", READ_ONLY_ARN],
            3,
            &["profile `bad-region`", "region = eu west"],
        ),
        case(
            "--region not a region",
            &["-p", "modern", "-r", READ_ONLY_ARN, "--region", "a/b"],
            2,
            &["--region", "not a region name"],
        ),
        case(
            "discover --region not a region",
            &["discover", "-p", "modern", "--region", "a b"],
            2,
            &["--region", "not a region name"],
        ),
    ];
    for c in &cases {
        check(&w, c, None);
    }
    assert!(w.emulator.issued().is_empty());
}

#[test]
fn a_broken_config_line_is_the_same_config_error_for_every_command() {
    let w = World::new();
    let config = format!("{CONFIG}\n[profile generated]\nregion = x\n[broken\n");
    w.write_config(&config);
    let line = config.lines().count();
    let fragment = format!("line {line}");
    let path = w.config_path();
    let expected = [path.to_str().unwrap(), fragment.as_str()];
    for args in [
        &["-p", "modern", "-r", READ_ONLY_ARN, "--sink", "process"][..],
        &["discover", "-p", "modern"],
        &["list", "-p", "modern"],
    ] {
        let out = w.run(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{args:?}: {stderr}");
        for f in expected {
            assert!(stderr.contains(f), "{args:?}: `{f}` not in {stderr}");
        }
    }
    assert_eq!(std::fs::read_to_string(w.config_path()).unwrap(), config);
    assert!(w.emulator.issued().is_empty());
}

#[test]
fn a_busy_listen_address_is_an_output_error() {
    let w = World::new();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = w.run(&[
        "serve",
        "-p",
        "modern",
        "-r",
        READ_ONLY_ARN,
        "--listen",
        &addr,
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(7), "{stderr}");
    assert!(
        stderr.contains(&format!("listen address {addr}")),
        "{stderr}"
    );
    assert!(stderr.contains("in use"), "{stderr}");
}

#[test]
fn already_expired_credentials_from_the_portal_are_refused() {
    let w = World::with_emulator(base_emulator().credential_lifetime(std::time::Duration::ZERO));
    let expired = case(
        "expired credentials",
        &["-p", "modern", "-r", READ_ONLY_ARN, "--sink", "process"],
        6,
        &[
            "malformed GetRoleCredentials response",
            "already expired",
            READ_ONLY_ARN,
        ],
    );
    check(&w, &expired, None);
    // --watch does not refetch them forever: it fails the same way.
    let mut watch = w.cmd();
    watch.args([
        "-p",
        "modern",
        "-r",
        READ_ONLY_ARN,
        "--sink",
        "env",
        "--watch",
    ]);
    let started = std::time::Instant::now();
    let out = watch.run_to_end();
    assert_eq!(out.status.code(), Some(6), "{out:?}");
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    assert_eq!(w.emulator.issued().len(), 2, "one fetch per run");
    assert!(
        crate::cache::entries(&w).is_empty(),
        "expired credentials were cached"
    );
}

/// `ssocred` alone where nothing is set up shows how to start, with exit 0;
/// anything set up (a `default` SSO profile, a profile in the environment,
/// any flag) keeps the usual run and its errors.
#[test]
fn a_bare_ssocred_with_nothing_set_up_shows_how_to_start() {
    let w = World::new();
    for config in [None, Some("[profile plain]\nregion = us-east-1\n")] {
        match config {
            Some(text) => w.write_config(text),
            None => std::fs::remove_file(w.config_path()).unwrap(),
        }
        let out = w.run(&[]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("  ssocred init "), "{text}");
        assert!(text.contains("  ssocred --help "), "{text}");
        assert!(!stderr.contains("error"), "{stderr}");
        assert!(!w.credentials_path().exists());
    }
    // Not bare, or a profile named: the error, as before.
    assert_eq!(w.run(&["-p", "nope"]).status.code(), Some(3));
    let out = w.cmd().env("AWS_PROFILE", "nope").run_to_end();
    assert_eq!(out.status.code(), Some(3));
    // A default SSO profile: a bare run fetches and writes credentials.
    w.write_config(&format!(
        "{CONFIG}\n[default]\nsso_session = corp\nsso_account_id = {DEV}\nsso_role_name = Developer\n"
    ));
    let out = w.run(&[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(w.credentials_path().exists());
    assert!(!String::from_utf8_lossy(&out.stdout).contains("ssocred init"));
}

/// Help and usage errors are plain text where no stream shows colours
/// (clap's styles are then plain, so nothing is left to strip), and
/// styled where colours are forced: for the main command and a
/// subcommand alike.
#[test]
fn help_and_usage_errors_are_styled_only_where_colours_show() {
    let w = World::new();
    for line in [
        &["--help"][..],
        &["use", "--help"],
        &["list", "--no-such-flag"],
    ] {
        let plain = w.run(line);
        let forced = w.cmd().args(line).env("CLICOLOR_FORCE", "1").run_to_end();
        for out in [&plain, &forced] {
            assert_eq!(out.status, plain.status, "{line:?}");
        }
        let (plain, forced) = if plain.status.success() {
            (plain.stdout, forced.stdout)
        } else {
            (plain.stderr, forced.stderr)
        };
        let plain = String::from_utf8(plain).unwrap();
        let forced = String::from_utf8(forced).unwrap();
        assert!(plain.contains("Usage:"), "{line:?}: {plain}");
        assert!(
            !plain.contains('\x1b'),
            "{line:?} has escapes without colours: {plain:?}"
        );
        assert!(
            forced.contains("\x1b["),
            "{line:?} has no colours when forced: {forced:?}"
        );
    }
}
