//! The AWS SDK's HTTP client reaches the emulator through the forward
//! proxy: the connector API ssocred's core will use for `HTTP(S)_PROXY`,
//! `NO_PROXY` and proxy credentials, proven by the proxy's counters.

use aws_sdk_sso::Client;
use aws_sdk_sso::config::retry::RetryConfig;
use aws_sdk_sso::config::{BehaviorVersion, Region};
use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
use aws_smithy_http_client::{Builder, Connector};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ssocred_emulator::{Emulator, EmulatorConfig, Operation};
use ssocred_test_support::{ForwardProxy, Traffic};

const TOKEN: &str = "proxy-token";

fn emulator() -> Emulator {
    Emulator::start(EmulatorConfig::generated(1, 1).with_token(TOKEN)).unwrap()
}

/// An SSO client aimed at `endpoint` whose connector uses `proxy`, built
/// the way core will build it: the rustls connector (as for the real
/// portal) when `tls`, the plain one otherwise.
fn client(endpoint: &str, proxy: ProxyConfig, tls: bool) -> Client {
    let http_client = Builder::new().build_with_connector_fn(move |settings, components| {
        let mut builder = Connector::builder().proxy_config(proxy.clone());
        builder.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            builder.set_sleep_impl(components.sleep_impl());
        }
        if tls {
            builder
                .tls_provider(Provider::Rustls(CryptoMode::Ring))
                .build()
        } else {
            builder.build_http()
        }
    });
    let config = aws_sdk_sso::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("eu-west-1"))
        .endpoint_url(endpoint)
        .http_client(http_client)
        .retry_config(RetryConfig::disabled())
        .build();
    Client::from_conf(config)
}

/// One GetRoleCredentials call for the emulator's first generated role.
async fn get_role_credentials(client: &Client) -> Result<String, String> {
    client
        .get_role_credentials()
        .access_token(TOKEN)
        .account_id("100000000000")
        .role_name("ReadOnly")
        .send()
        .await
        .map(|out| {
            out.role_credentials()
                .and_then(|c| c.access_key_id())
                .unwrap_or_default()
                .to_owned()
        })
        .map_err(|e| format!("{e:?}"))
}

fn basic(user: &str, pass: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{user}:{pass}")))
}

#[tokio::test]
async fn get_role_credentials_goes_through_the_proxy() {
    let emulator = emulator();
    let proxy = ForwardProxy::start().unwrap();
    for tls in [false, true] {
        proxy.reset();
        let client = client(
            &emulator.url(),
            ProxyConfig::http(proxy.url()).unwrap(),
            tls,
        );

        let key = get_role_credentials(&client).await.unwrap();

        assert!(key.starts_with("ASIA"), "{key}");
        assert_eq!(
            proxy.traffic(),
            Traffic {
                forwarded: 1,
                targets: vec![format!("127.0.0.1:{}", emulator.port())],
                ..Traffic::default()
            },
            "tls connector: {tls}"
        );
    }
    assert_eq!(emulator.count(Operation::GetRoleCredentials), 2);
}

#[tokio::test]
async fn proxy_credentials_from_with_basic_auth_are_sent_and_accepted() {
    let emulator = emulator();
    let proxy = ForwardProxy::with_basic_auth("alice", "s3cret").unwrap();
    let config = ProxyConfig::http(proxy.url())
        .unwrap()
        .with_basic_auth("alice", "s3cret");
    let client = client(&emulator.url(), config, true);

    get_role_credentials(&client).await.unwrap();

    let traffic = proxy.traffic();
    assert_eq!(traffic.forwarded, 1);
    assert_eq!(traffic.authorizations, [basic("alice", "s3cret")]);
}

#[tokio::test]
async fn percent_encoded_credentials_in_the_proxy_url_are_decoded_and_accepted() {
    // What a user writes in HTTPS_PROXY when the password holds reserved
    // characters.
    let (user, pass) = ("CORP\\alice", "p@ss:w/rd %");
    let emulator = emulator();
    let proxy = ForwardProxy::with_basic_auth(user, pass).unwrap();
    let config = ProxyConfig::http(proxy.url_with_credentials(user, pass)).unwrap();
    let client = client(&emulator.url(), config, true);

    get_role_credentials(&client).await.unwrap();

    assert_eq!(proxy.traffic().authorizations, [basic(user, pass)]);
}

#[tokio::test]
async fn wrong_proxy_credentials_fail_with_407_and_never_reach_the_portal() {
    let emulator = emulator();
    let proxy = ForwardProxy::with_basic_auth("alice", "s3cret").unwrap();
    let config = ProxyConfig::http(proxy.url_with_credentials("alice", "wrong")).unwrap();
    let client = client(&emulator.url(), config, true);

    let error = get_role_credentials(&client).await.unwrap_err();

    assert!(error.contains("407"), "{error}");
    assert!(
        !error.contains("wrong"),
        "the error shows the password: {error}"
    );
    assert_eq!(proxy.traffic().refused, [407]);
    assert_eq!(emulator.count(Operation::GetRoleCredentials), 0);
}

#[tokio::test]
async fn no_proxy_bypasses_the_proxy() {
    let emulator = emulator();
    let proxy = ForwardProxy::start().unwrap();
    let config = ProxyConfig::http(proxy.url())
        .unwrap()
        .no_proxy("example.com,127.0.0.1");
    let client = client(&emulator.url(), config, true);

    get_role_credentials(&client).await.unwrap();

    assert_eq!(proxy.traffic(), Traffic::default());
    assert_eq!(emulator.count(Operation::GetRoleCredentials), 1);
}

#[tokio::test]
async fn an_unreachable_proxy_is_a_connection_error_not_a_direct_call() {
    let emulator = emulator();
    let url = {
        let proxy = ForwardProxy::start().unwrap();
        proxy.url_with_credentials("alice", "hunter2")
    };
    let client = client(&emulator.url(), ProxyConfig::http(url).unwrap(), true);

    let error = get_role_credentials(&client).await.unwrap_err();

    assert!(error.contains("DispatchFailure"), "{error}");
    assert!(
        !error.contains("hunter2"),
        "the error shows the password: {error}"
    );
    assert_eq!(emulator.count(Operation::GetRoleCredentials), 0);
}

/// A loopback port that accepts connections and closes them at once: an
/// `https://` endpoint whose TLS handshake can only fail, behind which the
/// proxy's tunnel is still observable.
fn closing_server() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            drop(stream);
        }
    });
    port
}
#[tokio::test]
async fn https_endpoints_are_tunnelled_with_connect_carrying_the_proxy_credentials() {
    let port = closing_server();
    let proxy = ForwardProxy::with_basic_auth("alice", "p@ss").unwrap();
    let config = ProxyConfig::https(proxy.url_with_credentials("alice", "p@ss")).unwrap();
    let client = client(&format!("https://127.0.0.1:{port}"), config, true);

    let error = get_role_credentials(&client).await.unwrap_err();

    // The handshake fails behind the tunnel, which the proxy did open.
    assert!(error.contains("DispatchFailure"), "{error}");
    assert_eq!(
        proxy.traffic(),
        Traffic {
            tunnels: 1,
            targets: vec![format!("127.0.0.1:{port}")],
            authorizations: vec![basic("alice", "p@ss")],
            ..Traffic::default()
        }
    );
}

#[tokio::test]
async fn with_basic_auth_takes_percent_encoded_credentials() {
    // ProxyConfig::with_basic_auth pastes its arguments into the proxy URL
    // unencoded, and the URL's user info is percent-decoded: a caller must
    // encode them (unencoded, "p@ss:word" would arrive as "p").
    let emulator = emulator();
    let proxy = ForwardProxy::with_basic_auth("alice", "p@ss:word").unwrap();
    let config = ProxyConfig::http(proxy.url())
        .unwrap()
        .with_basic_auth("alice", "p%40ss%3Aword");
    let client = client(&emulator.url(), config, true);

    get_role_credentials(&client).await.unwrap();

    assert_eq!(
        proxy.traffic().authorizations,
        [basic("alice", "p@ss:word")]
    );
}
