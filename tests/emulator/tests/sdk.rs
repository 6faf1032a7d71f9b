//! The official Rust SDK works against the emulator unchanged: requests it
//! builds are understood, and it parses every answer, errors included.

use std::time::{SystemTime, UNIX_EPOCH};

use aws_sdk_sso::Client;
use aws_sdk_sso::config::retry::RetryConfig;
use aws_sdk_sso::config::{BehaviorVersion, Region};
use aws_sdk_sso::error::ProvideErrorMetadata;
use ssocred_emulator::{Account, Emulator, EmulatorConfig, Operation};

const TOKEN: &str = "sdk-token";

fn start(config: EmulatorConfig) -> Emulator {
    Emulator::start(config.with_token(TOKEN)).expect("emulator starts")
}

/// A client aimed at the emulator, without retries so that each error the
/// emulator sends reaches the test.
fn client(emulator: &Emulator) -> Client {
    let config = aws_sdk_sso::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("eu-west-1"))
        .endpoint_url(emulator.url())
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .retry_config(RetryConfig::disabled())
        .build();
    Client::from_conf(config)
}

#[tokio::test]
async fn paginators_collect_every_account_and_role() {
    let special = Account::new("210987654321", "Prüfung ✓ Konto").roles(["My.Role+x@y", "Admin"]);
    let emulator = start(
        EmulatorConfig::generated(4, 3)
            .account(special)
            .page_size(2)
            .trailing_empty_page(true),
    );
    let client = client(&emulator);

    let accounts = client
        .list_accounts()
        .access_token(TOKEN)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .unwrap();
    let roles = client
        .list_account_roles()
        .access_token(TOKEN)
        .account_id("210987654321")
        .into_paginator()
        .page_size(1)
        .items()
        .send()
        .try_collect()
        .await
        .unwrap();

    let ids: Vec<&str> = accounts.iter().filter_map(|a| a.account_id()).collect();
    assert_eq!(
        ids,
        [
            "100000000000",
            "100000000001",
            "100000000002",
            "100000000003",
            "210987654321"
        ]
    );
    assert_eq!(accounts[4].account_name(), Some("Prüfung ✓ Konto"));
    assert_eq!(
        accounts[4].email_address(),
        Some("aws+210987654321@example.com")
    );
    let role_names: Vec<&str> = roles.iter().filter_map(|r| r.role_name()).collect();
    assert_eq!(role_names, ["My.Role+x@y", "Admin"]);
    assert!(roles.iter().all(|r| r.account_id() == Some("210987654321")));
    // 5 accounts in pages of 2, then the trailing empty page; 2 roles one at
    // a time, then the trailing empty page.
    assert_eq!(emulator.count(Operation::ListAccounts), 4);
    assert_eq!(emulator.count(Operation::ListAccountRoles), 3);
}

#[tokio::test]
async fn role_credentials_parse_with_millisecond_expiry() {
    let account = Account::new("210987654321", "special").role("My.Role+x@y");
    let emulator = start(EmulatorConfig::new().account(account));
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;

    let output = client(&emulator)
        .get_role_credentials()
        .access_token(TOKEN)
        .account_id("210987654321")
        .role_name("My.Role+x@y")
        .send()
        .await
        .unwrap();

    let creds = output.role_credentials().expect("roleCredentials present");
    let issued = &emulator.issued()[0];
    assert_eq!(issued.role_name, "My.Role+x@y");
    assert_eq!(creds.access_key_id(), Some(issued.access_key_id.as_str()));
    assert_eq!(
        creds.secret_access_key(),
        Some(issued.secret_access_key.as_str())
    );
    assert_eq!(creds.session_token(), Some(issued.session_token.as_str()));
    assert_eq!(creds.expiration(), issued.expiration_epoch_ms);
    let expires_in = creds.expiration() / 1000 - now;
    assert!((3599..=3601).contains(&expires_in), "{expires_in}");
}

#[tokio::test]
async fn errors_arrive_as_the_modelled_exceptions() {
    let emulator = start(EmulatorConfig::generated(1, 1));
    let client = client(&emulator);
    let credentials = |token: &str, role: &str| {
        client
            .get_role_credentials()
            .access_token(token)
            .account_id("100000000000")
            .role_name(role)
            .send()
    };

    let unauthorized = credentials("wrong", "ReadOnly")
        .await
        .unwrap_err()
        .into_service_error();
    let not_found = credentials(TOKEN, "Admin")
        .await
        .unwrap_err()
        .into_service_error();
    emulator.set_throttle_every(Some(1));
    let throttled = credentials(TOKEN, "ReadOnly")
        .await
        .unwrap_err()
        .into_service_error();
    emulator.set_throttle_every(None);
    let invalid = client
        .list_accounts()
        .access_token(TOKEN)
        .max_results(101)
        .send()
        .await
        .unwrap_err()
        .into_service_error();

    assert!(unauthorized.is_unauthorized_exception(), "{unauthorized:?}");
    assert_eq!(
        unauthorized.message(),
        Some("Session token not found or invalid")
    );
    assert!(not_found.is_resource_not_found_exception(), "{not_found:?}");
    assert!(throttled.is_too_many_requests_exception(), "{throttled:?}");
    assert!(invalid.is_invalid_request_exception(), "{invalid:?}");
    assert!(invalid.message().is_some_and(|m| m.contains("max_result")));
}

#[tokio::test]
async fn logout_revokes_the_token() {
    let emulator = start(EmulatorConfig::generated(1, 1));
    let client = client(&emulator);

    client.logout().access_token(TOKEN).send().await.unwrap();
    let after = client
        .list_accounts()
        .access_token(TOKEN)
        .send()
        .await
        .unwrap_err()
        .into_service_error();

    assert_eq!(emulator.logged_out_tokens(), [TOKEN]);
    assert!(after.is_unauthorized_exception(), "{after:?}");
}
