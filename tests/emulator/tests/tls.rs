//! HTTPS mode: the emulator serves TLS with a certificate from a CA made at
//! start-up, so clients that trust that CA (and only they) reach it.

use std::net::TcpStream;
use std::time::{Duration, Instant};

use aws_sdk_sso::Client;
use aws_sdk_sso::config::retry::RetryConfig;
use aws_sdk_sso::config::{BehaviorVersion, Region};
use aws_smithy_http_client::tls::rustls_provider::CryptoMode;
use aws_smithy_http_client::tls::{Provider, TlsContext, TrustStore};
use ssocred_emulator::{Emulator, EmulatorConfig, Operation};

const TOKEN: &str = "tls-token";

fn start_https() -> Emulator {
    Emulator::start(EmulatorConfig::generated(1, 1).with_token(TOKEN).tls(true))
        .expect("emulator starts")
}

/// An SDK client for `endpoint` whose only trusted root is `ca_pem`: the
/// machine's own roots are left out, so nothing else can vouch for the
/// emulator.
fn client_trusting(endpoint: &str, ca_pem: &str) -> Client {
    let trust_store = TrustStore::empty()
        .with_native_roots(false)
        .with_pem_certificate(ca_pem.as_bytes());
    let tls = TlsContext::builder()
        .with_trust_store(trust_store)
        .build()
        .unwrap();
    let http_client = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .tls_context(tls)
        .build_https();
    let config = aws_sdk_sso::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("eu-west-1"))
        .endpoint_url(endpoint)
        .http_client(http_client)
        .retry_config(RetryConfig::disabled())
        .build();
    Client::from_conf(config)
}

async fn get_credentials(client: &Client) -> Result<String, String> {
    client
        .get_role_credentials()
        .access_token(TOKEN)
        .account_id("100000000000")
        .role_name("ReadOnly")
        .send()
        .await
        .map(|output| {
            output
                .role_credentials()
                .and_then(|creds| creds.access_key_id())
                .unwrap_or_default()
                .to_owned()
        })
        .map_err(|err| format!("{err:?}"))
}

#[tokio::test]
async fn the_sdk_gets_credentials_over_https_when_it_trusts_the_ca() {
    let emulator = start_https();
    let url = emulator.url();
    let ca_pem = emulator.ca_pem().expect("HTTPS mode has a CA");

    let access_key_id = get_credentials(&client_trusting(&url, ca_pem)).await;

    assert!(
        url.starts_with("https://127.0.0.1:") && !url.ends_with('/'),
        "{url}"
    );
    assert!(
        ca_pem.starts_with("-----BEGIN CERTIFICATE-----"),
        "{ca_pem}"
    );
    assert_eq!(
        access_key_id,
        Ok(emulator.issued()[0].access_key_id.clone())
    );
}

#[tokio::test]
async fn the_certificate_also_names_localhost() {
    let emulator = start_https();
    let url = format!("https://localhost:{}", emulator.port());
    let ca_pem = emulator.ca_pem().unwrap();

    let access_key_id = get_credentials(&client_trusting(&url, ca_pem)).await;

    assert!(access_key_id.is_ok(), "{access_key_id:?}");
}

#[tokio::test]
async fn an_unrelated_ca_is_refused_as_an_unknown_issuer() {
    let emulator = start_https();
    let unrelated = ssocred_emulator::tls::unrelated_ca_pem().unwrap();

    let refused = get_credentials(&client_trusting(&emulator.url(), &unrelated)).await;

    let err = refused.expect_err("a CA that signed nothing here must not be trusted");
    assert!(err.contains("UnknownIssuer"), "{err}");
    assert_eq!(emulator.count(Operation::GetRoleCredentials), 0);
    assert_ne!(unrelated, emulator.ca_pem().unwrap());
}

#[tokio::test]
async fn each_emulator_has_its_own_ca() {
    let first = start_https();
    let second = start_https();

    let crossed = get_credentials(&client_trusting(&second.url(), first.ca_pem().unwrap())).await;

    assert_ne!(first.ca_pem(), second.ca_pem());
    assert!(crossed.is_err_and(|err| err.contains("UnknownIssuer")));
}

#[tokio::test]
async fn a_client_that_never_finishes_its_handshake_delays_no_one() {
    let emulator = start_https();
    // Connected, but silent: its handshake can only end by the timeout.
    let _silent = TcpStream::connect(("127.0.0.1", emulator.port())).unwrap();
    let _silent_too = TcpStream::connect(("127.0.0.1", emulator.port())).unwrap();
    let client = client_trusting(&emulator.url(), emulator.ca_pem().unwrap());

    let started = Instant::now();
    let access_key_id = get_credentials(&client).await;
    let elapsed = started.elapsed();

    assert!(access_key_id.is_ok(), "{access_key_id:?}");
    // The handshake timeout is 10 s; a server that waited on the silent
    // clients first would take at least that long.
    assert!(elapsed < Duration::from_secs(8), "{elapsed:?}");
}

#[test]
fn plain_http_stays_the_default() {
    let emulator = Emulator::start(EmulatorConfig::generated(1, 1)).unwrap();

    assert!(emulator.url().starts_with("http://127.0.0.1:"));
    assert_eq!(emulator.ca_pem(), None);
}
