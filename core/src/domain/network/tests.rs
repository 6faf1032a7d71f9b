//! The CA bundle checks and proxy parsing (a portal call over the
//! emulator's HTTPS is in core/tests/network_tls.rs).

use std::io::Write;

use super::*;

/// An environment lookup over fixed pairs.
fn env(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
    move |k: &str| {
        vars.iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| v.to_string())
    }
}

fn file(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::File::create(&path)
        .unwrap()
        .write_all(bytes)
        .unwrap();
    path
}

fn ca() -> String {
    ssocred_emulator::tls::unrelated_ca_pem().unwrap()
}

#[test]
fn a_bundle_of_good_certificates_loads() {
    let dir = tempfile::tempdir().unwrap();
    let two = format!("{}\n{}", ca(), ca());
    let path = file(&dir, "bundle.pem", two.as_bytes());
    let bundle = CaBundle::load(&path, "environment AWS_CA_BUNDLE").unwrap();
    assert_eq!(bundle.certificates(), 2);
    assert_eq!(bundle.path(), path);
    assert!(!format!("{bundle:?}").contains("BEGIN"));
}

#[test]
fn a_checked_bundle_is_remembered_until_the_file_changes() {
    let dir = tempfile::tempdir().unwrap();
    let checked = dir.path().join("cache/ca-bundles");
    let two = format!("{}\n{}", ca(), ca());
    let path = file(&dir, "bundle.pem", two.as_bytes());
    let load = || CaBundle::load_remembering(&path, "environment AWS_CA_BUNDLE", Some(&checked));
    assert_eq!(load().unwrap().certificates(), 2);
    let records: Vec<_> = std::fs::read_dir(&checked).unwrap().collect();
    assert_eq!(records.len(), 1, "one record for the file");
    let record = records[0].as_ref().unwrap().path();
    let text = std::fs::read_to_string(&record).unwrap();
    assert!(text.ends_with(" 2\n") && !text.contains("BEGIN"), "{text}");
    // The record is what answers while the file is unchanged: a record that
    // says 7 is believed (so the second load did not parse the file)...
    std::fs::write(&record, text.replace(" 2\n", " 7\n")).unwrap();
    assert_eq!(load().unwrap().certificates(), 7);
    assert_eq!(load().unwrap().pem(), two.as_bytes(), "the file's own text");
    // ...and a changed file is checked again: broken, it fails even though a
    // record exists.
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(
        &path,
        "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    assert!(load().is_err());
    // Without a place to remember, every load checks.
    std::fs::write(&path, &two).unwrap();
    assert_eq!(
        CaBundle::load_remembering(&path, "x", None)
            .unwrap()
            .certificates(),
        2
    );
}

#[test]
fn a_bad_bundle_is_a_config_error_naming_the_file_and_its_source() {
    let dir = tempfile::tempdir().unwrap();
    let good = ca();
    let body = good
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<String>();
    let garbage_der = format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        "QUJDREVGR0hJSktMTU5PUA=="
    );
    let cases: [(&str, Option<Vec<u8>>, &str); 5] = [
        ("missing.pem", None, "cannot read it"),
        ("empty.pem", Some(Vec::new()), "holds no PEM certificate"),
        (
            "text.pem",
            Some(b"just some text\n".to_vec()),
            "holds no PEM certificate",
        ),
        (
            "bad-base64.pem",
            Some(
                format!(
                    "-----BEGIN CERTIFICATE-----\n{}!!!\n-----END CERTIFICATE-----\n",
                    &body[..40]
                )
                .into_bytes(),
            ),
            "not a PEM file",
        ),
        (
            "garbage.pem",
            Some(garbage_der.into_bytes()),
            "certificate 1 is not usable",
        ),
    ];
    for (name, bytes, why) in cases {
        let path = match bytes {
            Some(bytes) => file(&dir, name, &bytes),
            None => dir.path().join(name),
        };
        let e = CaBundle::load(&path, "`ca_bundle` of profile `corp`").unwrap_err();
        let text = e.to_string();
        assert_eq!(e.exit_code(), crate::ExitClass::Config, "{text}");
        assert!(text.contains(&path.display().to_string()), "{text}");
        assert!(text.contains("`ca_bundle` of profile `corp`"), "{text}");
        assert!(text.contains(why), "{name}: {text}");
    }
}

#[test]
fn proxy_urls_keep_their_credentials_apart() {
    let p = ProxyUrl::parse("http://us%40er:p%3Ass@proxy.corp:3128/", "HTTPS_PROXY").unwrap();
    assert_eq!(p.url(), "http://proxy.corp:3128");
    assert_eq!(p.credentials(), Some(("us@er", "p:ss")));
    assert!(p.has_credentials());
    let shown = format!("{p:?}");
    assert!(
        !shown.contains("p:ss") && !shown.contains("us@er"),
        "{shown}"
    );
    let bare = ProxyUrl::parse("proxy.corp:8080", "http_proxy").unwrap();
    assert_eq!(
        (bare.url(), bare.credentials()),
        ("http://proxy.corp:8080", None)
    );
    for bad in ["socks5://proxy:1080", "http://", "http://user:pw@"] {
        let e = ProxyUrl::parse(bad, "HTTPS_PROXY").unwrap_err().to_string();
        assert!(e.contains("HTTPS_PROXY"), "{e}");
        assert!(!e.contains("pw"), "{e}");
    }
}

#[test]
fn proxy_values_that_are_not_urls_are_usage_errors_without_their_credentials() {
    for good in [
        "http://[::1]:3128",
        "[::1]",
        "http://u:pw@[fe80::1]:8080/",
        "proxy_1.corp",
        "10.0.0.1:65535",
    ] {
        assert!(ProxyUrl::parse(good, "HTTPS_PROXY").is_ok(), "{good}");
    }
    for (bad, why) in [
        (":99999", "port"),
        (":abc", "port"),
        (":3128", "no host"),
        ("http://u:pw@[::1", "closing `]`"),
        ("http://u:pw@[::1]x", "`:port`"),
        ("http://u:pw@[not-v6]:1", "not an IPv6 address"),
        ("http://u:pw@::1:3128", "brackets"),
        ("http://u:pw@proxy:0", "port"),
        ("http://u:pw@proxy:", "port"),
        ("http://u:pw@pro xy:1", "not a host name"),
        ("http://u:pw@proxy:1:2", "brackets"),
    ] {
        let e = ProxyUrl::parse(bad, "HTTPS_PROXY").unwrap_err();
        let text = e.to_string();
        assert_eq!(e.exit_code(), crate::ExitClass::Usage, "{bad}: {text}");
        assert!(text.contains("environment HTTPS_PROXY"), "{bad}: {text}");
        assert!(text.contains(why), "{bad}: {text}");
        assert!(!text.contains("pw"), "{bad}: {text}");
    }
}

#[test]
fn no_proxy_entries_with_a_port_match_as_botocore_matches_them() {
    let with = |rules: &'static str| Proxies {
        https: Some(ProxyUrl::parse("http://proxy:3128", "HTTPS_PROXY").unwrap()),
        http: Some(ProxyUrl::parse("http://proxy:3128", "HTTP_PROXY").unwrap()),
        no_proxy: Some((rules.to_owned(), "NO_PROXY")),
    };
    let bypassed = |rules, endpoint| with(rules).for_endpoint(endpoint).is_none();
    assert!(bypassed("127.0.0.1:4566", "http://127.0.0.1:4566"));
    assert!(bypassed(
        " other , 127.0.0.1:4566 ",
        "http://127.0.0.1:4566/x"
    ));
    assert!(bypassed(".corp:8443", "https://sso.Corp:8443"));
    assert!(bypassed("corp:8443", "https://portal.sso.corp:8443"));
    assert!(bypassed("[::1]:4566", "http://[::1]:4566"));
    // Another port, a name that only ends alike, or a port the URL does
    // not write: the proxy is used, as botocore uses it.
    assert!(!bypassed("127.0.0.1:4566", "http://127.0.0.1:4567"));
    assert!(!bypassed("corp:8443", "https://evilcorp:8443"));
    assert!(!bypassed("sso.corp:443", "https://sso.corp"));
    assert!(!bypassed("::1", "http://[::1]:4566"));
    assert!(!bypassed("127.0.0.1:", "http://127.0.0.1:4566"));
}

#[test]
fn proxies_come_from_the_environment_as_hyper_util_reads_it() {
    let p = Proxies::from_env(env(&[
        ("HTTPS_PROXY", "http://upper:1"),
        ("https_proxy", "http://lower:1"),
        ("ALL_PROXY", "http://all:1"),
        ("no_proxy", "localhost,.corp"),
    ]))
    .unwrap();
    assert_eq!(p.https.as_ref().map(ProxyUrl::url), Some("http://upper:1"));
    assert_eq!(p.http.as_ref().map(ProxyUrl::url), Some("http://all:1"));
    assert_eq!(p.no_proxy, Some(("localhost,.corp".to_owned(), "no_proxy")));
    assert_eq!(
        p.for_endpoint("http://127.0.0.1:1").map(ProxyUrl::variable),
        Some("ALL_PROXY")
    );
    assert_eq!(
        p.for_endpoint("https://portal.sso.eu-west-1.amazonaws.com")
            .map(ProxyUrl::variable),
        Some("HTTPS_PROXY")
    );
    let none = Proxies::from_env(env(&[("HTTPS_PROXY", " ")])).unwrap();
    assert!(none.https.is_none() && none.http.is_none());
}
