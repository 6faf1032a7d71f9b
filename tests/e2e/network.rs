//! Corporate networks: a private CA (`AWS_CA_BUNDLE`, `ca_bundle`,
//! `--ca-bundle`) in front of the portal, and what a user sees when trust
//! fails.

use ssocred_emulator::Operation;

use crate::world::*;

const GET: &[&str] = &["-p", "modern", "-r", READ_ONLY_ARN, "--sink", "process"];

/// A world whose emulator serves HTTPS with a CA made for it.
fn tls_world() -> World {
    World::with_emulator(base_emulator().tls(true))
}

/// Writes `pem` into HOME and returns its path.
fn pem(w: &World, name: &str, pem: &str) -> String {
    let path = w.home().join(name);
    std::fs::write(&path, pem).unwrap();
    path.to_str().unwrap().to_owned()
}

fn ca(w: &World) -> String {
    w.emulator.ca_pem().unwrap().to_owned()
}

fn unrelated() -> String {
    ssocred_emulator::tls::unrelated_ca_pem().unwrap()
}

/// The standard config with `ca_bundle = VALUE` in the `modern` profile.
fn with_profile_bundle(w: &World, value: &str) {
    w.write_config(&CONFIG.replace(
        "[profile modern]\nsso_session = corp\n",
        &format!("[profile modern]\nsso_session = corp\nca_bundle = {value}\n"),
    ));
}

fn calls(w: &World) -> u64 {
    w.emulator.count(Operation::GetRoleCredentials)
}

#[test]
fn aws_ca_bundle_trusts_a_private_ca() {
    let w = tls_world();
    assert!(w.emulator.url().starts_with("https://"));
    let bundle = pem(&w, "corp-ca.pem", &ca(&w));
    let out = w.cmd().args(GET).env("AWS_CA_BUNDLE", &bundle).run_to_end();
    let json = ok_json(&out);
    assert_eq!(json["AccessKeyId"], w.only_issued().access_key_id);
}

#[test]
fn ca_bundle_in_the_profile_trusts_a_private_ca_and_the_variable_wins() {
    let w = tls_world();
    let good = pem(&w, "corp-ca.pem", &ca(&w));
    let other = pem(&w, "other-ca.pem", &unrelated());
    // `~/` in the profile is the user's home, as in the AWS CLI.
    with_profile_bundle(&w, "~/corp-ca.pem");
    ok(&w.run(&[GET, &["--no-cache"]].concat()));
    assert_eq!(calls(&w), 1);
    // AWS_CA_BUNDLE replaces the profile's bundle: a wrong one fails.
    let out = w
        .cmd()
        .args([GET, &["--no-cache"]].concat())
        .env("AWS_CA_BUNDLE", &other)
        .run_to_end();
    assert_eq!(out.status.code(), Some(6), "{out:?}");
    // And --ca-bundle replaces both.
    let out = w
        .cmd()
        .args([GET, &["--no-cache", "--ca-bundle", &good]].concat())
        .env("AWS_CA_BUNDLE", &other)
        .run_to_end();
    ok(&out);
    assert_eq!(calls(&w), 2);
}

/// A bundle replaces the system's roots rather than adding to them. The
/// system store here is `SSL_CERT_FILE` (which the TLS client's system
/// store reads, on every system) holding the emulator's CA: trusted without
/// a bundle, and not with a bundle of another CA, from any source.
#[test]
fn a_bundle_replaces_the_system_roots() {
    let w = tls_world();
    let system = pem(&w, "system-roots.pem", &ca(&w));
    let other = pem(&w, "other-ca.pem", &unrelated());
    let out = w
        .cmd()
        .args([GET, &["--no-cache"]].concat())
        .env("SSL_CERT_FILE", &system)
        .run_to_end();
    ok(&out);
    assert_eq!(calls(&w), 1);
    with_profile_bundle(&w, &other);
    let sources: [(&[&str], Option<&str>); 3] = [
        (&[], None),
        (&[], Some(other.as_str())),
        (&["--ca-bundle", &other], None),
    ];
    for (flags, variable) in sources {
        let mut cmd = w.cmd();
        cmd.args([GET, &["--no-cache"], flags].concat())
            .env("SSL_CERT_FILE", &system);
        if let Some(bundle) = variable {
            cmd.env("AWS_CA_BUNDLE", bundle);
        }
        let out = cmd.run_to_end();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(6), "{flags:?} {variable:?}: {err}");
        assert!(err.contains("certificate not trusted"), "{err}");
        assert!(err.contains(&other), "{err}");
    }
    assert_eq!(calls(&w), 1);
}

#[test]
fn an_untrusted_certificate_is_one_readable_line_with_what_to_do() {
    let w = tls_world();
    let other = pem(&w, "other-ca.pem", &unrelated());
    for env in [None, Some(other.as_str())] {
        let mut cmd = w.cmd();
        cmd.args(GET);
        if let Some(bundle) = env {
            cmd.env("AWS_CA_BUNDLE", bundle);
        }
        let out = cmd.run_to_end();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(6), "{stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
        for part in [
            w.emulator.url().as_str(),
            "certificate not trusted",
            "AWS_CA_BUNDLE",
            "ca_bundle",
        ] {
            assert!(stderr.contains(part), "`{part}` not in {stderr}");
        }
        for dump in ["DispatchFailure", "ConnectorError", "Custom {", "kind:"] {
            assert!(!stderr.contains(dump), "a Debug dump: {stderr}");
        }
        if let Some(bundle) = env {
            assert!(stderr.contains(bundle), "{stderr}");
        }
    }
    assert_eq!(calls(&w), 0);
}

#[test]
fn a_bad_bundle_is_a_config_error_naming_the_file_and_where_it_came_from() {
    let w = tls_world();
    let empty = pem(&w, "empty.pem", "");
    let text = pem(&w, "text.pem", "not a certificate\n");
    let missing = w.home().join("missing.pem").to_str().unwrap().to_owned();
    for (path, why) in [
        (&missing, "cannot read it"),
        (&empty, "holds no PEM certificate"),
        (&text, "holds no PEM certificate"),
    ] {
        let out = w.cmd().args(GET).env("AWS_CA_BUNDLE", path).run_to_end();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{stderr}");
        for part in [path.as_str(), "environment AWS_CA_BUNDLE", why] {
            assert!(stderr.contains(part), "`{part}` not in {stderr}");
        }
    }
    with_profile_bundle(&w, "~/text.pem");
    let out = w.run(GET);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("`ca_bundle` of profile `modern`"),
        "{stderr}"
    );
    assert_eq!(calls(&w), 0);
}

mod proxies {
    use ssocred_test_support::ForwardProxy;

    use super::*;

    /// A TLS world, its CA trusted, and `args` run with `env`.
    fn run_with(w: &World, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
        let bundle = pem(w, "corp-ca.pem", &ca(w));
        let mut cmd = w.cmd();
        cmd.args(args).env("AWS_CA_BUNDLE", bundle);
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.run_to_end()
    }

    fn emulator_target(w: &World) -> String {
        w.emulator.url().trim_start_matches("https://").to_owned()
    }

    #[test]
    fn https_proxy_carries_every_call_and_no_proxy_bypasses_it() {
        let w = tls_world();
        let proxy = ForwardProxy::start().unwrap();
        let url = proxy.url();
        ok(&run_with(
            &w,
            &[GET, &["--no-cache"]].concat(),
            &[("HTTPS_PROXY", &url)],
        ));
        let traffic = proxy.traffic();
        assert!(traffic.tunnels >= 1, "{traffic:?}");
        assert!(
            traffic.targets.contains(&emulator_target(&w)),
            "{traffic:?}"
        );
        // The lower-case form, and listing (many calls) through it.
        proxy.reset();
        ok(&run_with(
            &w,
            &["list", "-p", "modern", "-q"],
            &[("https_proxy", &url)],
        ));
        assert!(proxy.traffic().tunnels >= 1);
        // NO_PROXY names the host: the proxy sees nothing.
        proxy.reset();
        for rules in ["127.0.0.1", "localhost,127.0.0.0/8", "*"] {
            ok(&run_with(
                &w,
                &[GET, &["--no-cache"]].concat(),
                &[("HTTPS_PROXY", &url), ("NO_PROXY", rules)],
            ));
        }
        assert_eq!(proxy.traffic().tunnels, 0, "NO_PROXY was not honoured");
        assert_eq!(calls(&w), 4);
    }

    #[test]
    fn http_proxy_carries_calls_to_a_plain_http_endpoint() {
        let w = World::new();
        let proxy = ForwardProxy::start().unwrap();
        let out = w
            .cmd()
            .args(GET)
            .env("HTTP_PROXY", proxy.url())
            .run_to_end();
        ok(&out);
        assert!(proxy.traffic().forwarded >= 1, "{:?}", proxy.traffic());
    }

    #[test]
    fn proxy_credentials_are_sent_and_never_shown() {
        let w = tls_world();
        let (user, password) = ("corp\\svc", "p@ss:w0rd SECRET");
        let proxy = ForwardProxy::with_basic_auth(user, password).unwrap();
        let with_credentials = proxy.url_with_credentials(user, password);
        let out = run_with(
            &w,
            &[GET, &["-v", "--no-cache"]].concat(),
            &[("HTTPS_PROXY", &with_credentials)],
        );
        ok(&out);
        assert!(!proxy.traffic().authorizations.is_empty());
        let shown = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            !shown.contains("SECRET") && !shown.contains("w0rd"),
            "{shown}"
        );
        // config show names the proxy, never the credentials.
        let out = run_with(
            &w,
            &["config", "show", "-p", "modern"],
            &[("HTTPS_PROXY", &with_credentials)],
        );
        let text = ok(&out);
        assert!(text.contains(&proxy.url()), "{text}");
        assert!(text.contains("with credentials (not shown)"), "{text}");
        assert!(!text.contains("SECRET") && !text.contains("w0rd"), "{text}");
        // Wrong credentials: exit 6, the proxy named without them.
        let wrong = proxy.url_with_credentials(user, "wrong-SECRET");
        let out = run_with(
            &w,
            &[GET, &["--no-cache"]].concat(),
            &[("HTTPS_PROXY", &wrong)],
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(6), "{stderr}");
        assert!(
            stderr.contains(&proxy.url()) && stderr.contains("407"),
            "{stderr}"
        );
        assert!(!stderr.contains("SECRET"), "{stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
        assert_eq!(calls(&w), 1);
    }

    #[test]
    fn an_unreachable_proxy_is_named_without_its_credentials() {
        let w = tls_world();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let proxy = format!("http://svc:hunter2-SECRET@127.0.0.1:{port}");
        let out = run_with(&w, GET, &[("HTTPS_PROXY", &proxy)]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(6), "{stderr}");
        assert!(
            stderr.contains(&format!("http://127.0.0.1:{port}")),
            "{stderr}"
        );
        assert!(stderr.contains("HTTPS_PROXY"), "{stderr}");
        assert!(!stderr.contains("hunter2"), "{stderr}");
        assert_eq!(calls(&w), 0);
    }
}

/// botocore, the reference, against the same TLS emulator: it trusts the
/// emulator exactly when ssocred does, with the same bundle.
#[test]
fn botocore_and_ssocred_agree_on_the_bundle() {
    let Some(python) = python("botocore CA bundle interop test") else {
        return;
    };
    let w = tls_world();
    let good = pem(&w, "corp-ca.pem", &ca(&w));
    let other = pem(&w, "other-ca.pem", &unrelated());
    const SCRIPT: &str = r#"
import json, sys
import botocore.session
from botocore.exceptions import SSLError
client = botocore.session.get_session().create_client("sso", region_name="us-east-1")
try:
    creds = client.get_role_credentials(
        accessToken=sys.argv[1], accountId="123456789012", roleName="ReadOnly")["roleCredentials"]
    print(json.dumps({"ok": True, "key": creds["accessKeyId"]}))
except SSLError as err:
    print(json.dumps({"ok": False, "error": str(err)}))
"#;
    for (bundle, trusted) in [(&good, true), (&other, false)] {
        let out = w
            .command(&python)
            .args(["-c", SCRIPT, TOKEN])
            .env("AWS_CA_BUNDLE", bundle)
            .run_to_end();
        let botocore = ok_json(&out);
        assert_eq!(botocore["ok"], trusted, "{botocore}");
        let ours = w
            .cmd()
            .args([GET, &["--no-cache"]].concat())
            .env("AWS_CA_BUNDLE", bundle)
            .run_to_end();
        assert_eq!(ours.status.success(), trusted, "{ours:?}");
        if !trusted {
            assert_eq!(ours.status.code(), Some(6));
        }
    }
    assert_eq!(
        calls(&w),
        2,
        "botocore and ssocred each called once with the good bundle"
    );
}

/// Endpoint variants: a FIPS or dual-stack host AWS does not publish is a
/// config error before any call, and a bad value names its source.
#[test]
fn unpublished_endpoint_variants_and_bad_values_are_config_errors() {
    let w = World::new();
    let without_override = |env: &[(&str, &str)]| {
        let mut cmd = w.cmd();
        cmd.args(GET)
            .env_remove("AWS_ENDPOINT_URL_SSO")
            .env_remove("AWS_ENDPOINT_URL_SSO_OIDC");
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.run_to_end()
    };
    let out = without_override(&[("AWS_USE_FIPS_ENDPOINT", "true")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("profile `modern`") && stderr.contains("FIPS"),
        "{stderr}"
    );
    assert!(stderr.contains("AWS_ENDPOINT_URL_SSO"), "{stderr}");
    let out = without_override(&[("AWS_USE_DUALSTACK_ENDPOINT", "maybe")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("AWS_USE_DUALSTACK_ENDPOINT"), "{stderr}");
    w.write_config(&CONFIG.replace(
        "[profile modern]\nsso_session = corp\n",
        "[profile modern]\nsso_session = corp\nuse_fips_endpoint = yes\n",
    ));
    let out = without_override(&[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("use_fips_endpoint"), "{stderr}");
    // config show names the endpoints the settings resolve to.
    w.write_config(CONFIG);
    let out = w
        .cmd()
        .args(["config", "show", "-p", "modern"])
        .env_remove("AWS_ENDPOINT_URL_SSO")
        .env_remove("AWS_ENDPOINT_URL_SSO_OIDC")
        .env("AWS_USE_DUALSTACK_ENDPOINT", "true")
        .run_to_end();
    let text = ok(&out);
    assert!(
        text.contains("use_dualstack_endpoint = true  # environment AWS_USE_DUALSTACK_ENDPOINT"),
        "{text}"
    );
    assert!(
        text.contains("# portal endpoint: https://portal.sso.us-east-1.api.aws"),
        "{text}"
    );
    assert!(
        text.contains("# oidc endpoint: https://oidc.us-east-1.api.aws"),
        "{text}"
    );
    assert_eq!(calls(&w), 0);
}
