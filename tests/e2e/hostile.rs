//! Hostile endpoints: the portal, OIDC, STS and ECR answering with an
//! endless body, a paging token that never ends, or error text that echoes
//! the request's secrets or runs to 300 KB. ssocred ends each with exit 6
//! naming the endpoint, in bounded time and memory, and never shows a
//! secret (docs/security.md, "Answers from servers").

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use ssocred_test_support::{HostileServer, Hostility, Paging, run_with_stdin};

use crate::world::*;

const HUB: &str = "arn:aws:iam::555555555555:role/Hub";
const DEV_REGISTRY: &str = "210987654321.dkr.ecr.eu-west-1.amazonaws.com";

/// One way of running ssocred against a hostile server.
type Run = fn(&World, &HostileServer) -> Output;

fn hostile(hostility: Hostility) -> HostileServer {
    HostileServer::start(hostility).unwrap()
}

/// Role credentials from the portal at `var` = the hostile server.
fn role_credentials(w: &World, var: &str, server: &HostileServer) -> Output {
    w.cmd()
        .env(var, server.url())
        .args([
            "-p",
            "modern",
            "-r",
            READ_ONLY_ARN,
            "--sink",
            "json",
            "--no-cache",
        ])
        .run_to_end()
}

/// ReadOnly from the emulator, then `--assume HUB` at the hostile STS.
fn assume(w: &World, server: &HostileServer) -> Output {
    w.cmd()
        .env("AWS_ENDPOINT_URL_STS", server.url())
        .args(["-p", "modern", "-r", READ_ONLY_ARN, "--assume", HUB])
        .args(["--sink", "json", "--no-cache"])
        .run_to_end()
}

/// `docker-credential get` for a registry of the `pinned` profile, ECR at
/// the hostile server.
fn docker_get(w: &World, server: &HostileServer) -> Output {
    let mut cmd: Command = w.cmd();
    cmd.args(["docker-credential", "get"])
        .env("AWS_ENDPOINT_URL_ECR", server.url())
        .env("AWS_PROFILE", "pinned");
    run_with_stdin(&mut cmd, DEV_REGISTRY.as_bytes())
}

/// A device-code login: RegisterClient at the hostile OIDC endpoint.
fn device_login(w: &World, server: &HostileServer) -> Output {
    w.cmd()
        .env("AWS_ENDPOINT_URL_SSO_OIDC", server.url())
        .args(["login", "-p", "modern", "--device-code", "--no-browser"])
        .run_to_end()
}

/// Exit 6 with `needle` in the message on `stream`, which names the server.
fn assert_refused(out: &Output, stream: &[u8], server: &HostileServer, needle: &str, what: &str) {
    let message = text(stream);
    assert_eq!(
        out.status.code(),
        Some(6),
        "{what}: exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(
        message.contains(&server.url()),
        "{what}: the endpoint is not named: {message}"
    );
    assert!(
        message.contains(needle),
        "{what}: no `{needle}` in: {message}"
    );
}

#[test]
fn every_client_refuses_an_endless_answer_naming_the_endpoint() {
    let w = World::with_emulator(base_emulator().trust(HUB, READ_ONLY_ARN));
    for hostility in [Hostility::EndlessBody, Hostility::EndlessUnsizedBody] {
        let expected = match hostility {
            Hostility::EndlessBody => {
                "its body is over 1048576 bytes (Content-Length: 53687091200)"
            }
            _ => "its body went on past 1048576 bytes",
        };
        let runs: [(&str, Run); 4] = [
            ("portal", |w, s| {
                role_credentials(w, "AWS_ENDPOINT_URL_SSO", s)
            }),
            ("sts", assume),
            ("oidc", device_login),
            ("ecr", docker_get),
        ];
        for (what, run) in runs {
            let server = hostile(hostility);
            let started = Instant::now();
            let out = run(&w, &server);
            let what = format!("{what} {hostility:?}");
            // The Docker helper answers Docker on stdout; the rest on stderr.
            let stream = if what.starts_with("ecr") {
                &out.stdout
            } else {
                &out.stderr
            };
            assert_refused(&out, stream, &server, expected, &what);
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "{what}: took {:?}",
                started.elapsed()
            );
            // Refused, not retried: the next answer would be no smaller.
            // (A chain asks STS for the caller's session name first.)
            let calls = if what.starts_with("sts") { 2 } else { 1 };
            assert_eq!(server.requests(), calls, "{what}: asked again");
            if what.starts_with("ecr") {
                assert_eq!(
                    text(&out.stdout).lines().count(),
                    1,
                    "{what}: one line for Docker"
                );
                assert!(text(&out.stdout).starts_with("ssocred: "), "{what}");
            }
        }
    }
}

/// `ssocred ARGS` with the portal at `server`.
fn at_portal(w: &World, server: &HostileServer, args: &[&str]) -> Output {
    w.cmd()
        .env("AWS_ENDPOINT_URL_SSO", server.url())
        .args(args)
        .run_to_end()
}

#[test]
fn a_paging_token_cycle_ends_every_listing_at_once() {
    let w = World::new();
    let listings: [(&str, Paging, Paging); 2] = [
        ("ListAccounts", Paging::Cycle, Paging::Finite),
        ("ListAccountRoles", Paging::Finite, Paging::Cycle),
    ];
    let commands: [&[&str]; 3] = [
        &["list", "-p", "modern"],
        &["discover", "-p", "modern"],
        &["-p", "modern", "--all", "--sink", "json"],
    ];
    for (operation, accounts, roles) in listings {
        for args in commands {
            let server = hostile(Hostility::Listing { accounts, roles });
            let started = Instant::now();
            let out = at_portal(&w, &server, args);
            let what = format!("{operation} cycling, {args:?}");
            assert_refused(&out, &out.stderr, &server, operation, &what);
            assert!(
                text(&out.stderr).contains("a nextToken it had sent before"),
                "{what}: {}",
                text(&out.stderr)
            );
            // A, B, then A again: three pages of the cycling listing, and
            // at most as many of the other one.
            assert!(
                server.requests() <= 6,
                "{what}: {} calls",
                server.requests()
            );
            assert!(started.elapsed() < Duration::from_secs(20), "{what}");
        }
    }
    // Nothing was written by the failed runs.
    assert!(!w.credentials_path().exists());
}

#[test]
fn a_fresh_paging_token_forever_ends_at_the_page_cap() {
    let w = World::new();
    let server = hostile(Hostility::Listing {
        accounts: Paging::Fresh,
        roles: Paging::Finite,
    });
    let out = at_portal(&w, &server, &["list", "-p", "modern"]);
    assert_refused(&out, &out.stderr, &server, "ListAccounts", "fresh tokens");
    assert!(
        text(&out.stderr).contains("still sent a nextToken after 5000 pages"),
        "{}",
        text(&out.stderr)
    );
    // 5000 account pages and the one account's role listing.
    let calls = server.requests();
    assert!((5000..=5001).contains(&calls), "{calls} calls");
}

/// The secrets a run must never show: the SSO access token and the role
/// credentials the emulator issued (when it issued any).
fn secrets_of(w: &World) -> Vec<String> {
    let mut secrets = vec![TOKEN.to_owned()];
    for issued in w.emulator.issued() {
        secrets.push(issued.secret_access_key);
        secrets.push(issued.session_token);
    }
    secrets
}

fn assert_shows_no_secret(w: &World, shown: &str, what: &str) {
    for secret in secrets_of(w) {
        assert!(
            !shown.contains(&secret),
            "{what}: a secret is shown: {shown}"
        );
    }
    assert!(!shown.contains("Error {"), "{what}: a Debug dump: {shown}");
}

#[test]
fn an_error_that_echoes_the_request_shows_no_secret() {
    let runs: [(&str, Run); 4] = [
        ("portal GetRoleCredentials", |w, s| {
            role_credentials(w, "AWS_ENDPOINT_URL_SSO", s)
        }),
        ("portal ListAccounts", |w, s| {
            at_portal(w, s, &["list", "-p", "modern"])
        }),
        ("sts", assume),
        ("ecr", docker_get),
    ];
    for (what, run) in runs {
        let w = World::with_emulator(base_emulator().trust(HUB, READ_ONLY_ARN));
        let server = hostile(Hostility::EchoingErrors);
        let out = run(&w, &server);
        let shown = format!("{}{}", text(&out.stdout), text(&out.stderr));
        assert_eq!(out.status.code(), Some(6), "{what}: {shown}");
        assert!(shown.contains(&server.url()), "{what}: {shown}");
        // The echo did arrive, with the secret where the request had it.
        assert!(shown.contains("cannot handle: "), "{what}: {shown}");
        assert!(shown.contains("<redacted>"), "{what}: {shown}");
        assert_shows_no_secret(&w, &shown, what);
    }
}

#[test]
fn a_300_kb_error_message_is_cut_to_a_few_hundred_characters() {
    let runs: [(&str, Run); 3] = [
        ("portal", |w, s| {
            role_credentials(w, "AWS_ENDPOINT_URL_SSO", s)
        }),
        ("sts", assume),
        ("ecr", docker_get),
    ];
    for (what, run) in runs {
        let w = World::with_emulator(base_emulator().trust(HUB, READ_ONLY_ARN));
        let server = hostile(Hostility::LongErrors);
        let out = run(&w, &server);
        let shown = format!("{}{}", text(&out.stdout), text(&out.stderr));
        assert_eq!(out.status.code(), Some(6), "{what}: {shown}");
        assert!(shown.contains("xxxxxxxxxx"), "{what}: {shown}");
        assert!(shown.contains("more characters cut"), "{what}: {shown}");
        assert!(shown.len() < 1000, "{what}: {} bytes shown", shown.len());
    }
}
