//! The portal API on the wire, checked with a raw HTTP client.

mod support;

use std::collections::{BTreeMap, HashSet};
use std::net::TcpStream;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use ssocred_emulator::{Account, Emulator, EmulatorConfig, Operation};
use support::{TOKEN, encode, get, logout, request};

const FIRST_ACCOUNT: &str = "100000000000";

fn start(config: EmulatorConfig) -> Emulator {
    Emulator::start(config.with_token(TOKEN)).expect("emulator starts")
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn credentials_path(account_id: &str, role_name: &str) -> String {
    format!(
        "/federation/credentials?role_name={}&account_id={}",
        encode(role_name),
        encode(account_id)
    )
}

fn roles_path(account_id: &str) -> String {
    format!("/assignment/roles?account_id={}", encode(account_id))
}

/// One page of a listing: its items and its `nextToken`, after checking that
/// the body holds nothing else.
fn page(port: u16, path: &str, list_key: &str) -> (Vec<Value>, Option<String>) {
    let response = get(port, path, Some(TOKEN));
    assert_eq!(response.status, 200, "{response:?}");
    let body = response.json();
    let object = body.as_object().unwrap();
    for key in object.keys() {
        assert!(
            key == list_key || key == "nextToken",
            "unexpected key {key}"
        );
    }
    let items = object[list_key].as_array().unwrap().clone();
    let next_token = object
        .get("nextToken")
        .map(|token| token.as_str().expect("nextToken is a string").to_owned());
    (items, next_token)
}

/// Every page of a listing, following `nextToken` like a client would.
/// `path` already holds a query string.
fn all_pages(port: u16, path: &str, list_key: &str) -> Vec<(Vec<Value>, Option<String>)> {
    let mut pages = vec![page(port, path, list_key)];
    while let Some(token) = pages.last().unwrap().1.clone() {
        assert!(pages.len() < 50, "listing does not end");
        let next = format!("{path}&next_token={}", encode(&token));
        pages.push(page(port, &next, list_key));
    }
    pages
}

fn page_sizes(pages: &[(Vec<Value>, Option<String>)]) -> Vec<usize> {
    pages.iter().map(|(items, _)| items.len()).collect()
}

fn account_ids(pages: &[(Vec<Value>, Option<String>)]) -> Vec<String> {
    pages
        .iter()
        .flat_map(|(items, _)| items)
        .map(|account| account["accountId"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn get_role_credentials_answers_in_the_service_shape() {
    let emulator = start(EmulatorConfig::generated(2, 2));
    let before = now_secs();

    let response = get(
        emulator.port(),
        &credentials_path("100000000001", "Admin"),
        Some(TOKEN),
    );

    assert_eq!(response.status, 200, "{response:?}");
    let body = response.json();
    let issued = emulator.issued();
    assert_eq!(issued.len(), 1);
    let creds = &issued[0];
    assert_eq!(creds.account_id, "100000000001");
    assert_eq!(creds.role_name, "Admin");
    assert_eq!(
        body,
        json!({"roleCredentials": {
            "accessKeyId": creds.access_key_id,
            "secretAccessKey": creds.secret_access_key,
            "sessionToken": creds.session_token,
            "expiration": creds.expiration_epoch_ms,
        }})
    );
    let expiration = &body["roleCredentials"]["expiration"];
    assert!(
        expiration.is_i64(),
        "expiration is an integer: {expiration}"
    );
    let expiration_ms = expiration.as_i64().unwrap();
    assert_eq!(expiration_ms % 1000, 0);
    assert!(
        (before + 3600..=now_secs() + 3600).contains(&(expiration_ms / 1000)),
        "expiration {expiration_ms} is not an hour from now"
    );
}

#[test]
fn credentials_look_real_and_differ_on_every_issue() {
    let emulator = start(EmulatorConfig::generated(1, 1));
    let path = credentials_path(FIRST_ACCOUNT, "ReadOnly");

    let responses: Vec<Value> = (0..3)
        .map(|_| get(emulator.port(), &path, Some(TOKEN)).json()["roleCredentials"].clone())
        .collect();

    let issued = emulator.issued();
    assert_eq!(issued.len(), 3);
    for (response, creds) in responses.iter().zip(&issued) {
        assert_eq!(response["accessKeyId"], creds.access_key_id.as_str());
        let key = &creds.access_key_id;
        assert_eq!(key.len(), 20, "{key}");
        assert!(key.starts_with("ASIA"), "{key}");
        assert!(
            key.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        );
        let secret = &creds.secret_access_key;
        assert_eq!(secret.len(), 40);
        assert!(secret.contains('/') && secret.contains('+'));
        assert!(creds.session_token.len() > 100);
        assert!(creds.session_token.ends_with('='));
    }
    let distinct = |field: fn(&ssocred_emulator::IssuedCredentials) -> &String| {
        issued.iter().map(field).collect::<HashSet<_>>().len()
    };
    assert_eq!(distinct(|c| &c.access_key_id), 3);
    assert_eq!(distinct(|c| &c.secret_access_key), 3);
    assert_eq!(distinct(|c| &c.session_token), 3);
}

#[test]
fn issued_credentials_debug_hides_secrets() {
    let emulator = start(EmulatorConfig::generated(1, 1));
    get(
        emulator.port(),
        &credentials_path(FIRST_ACCOUNT, "ReadOnly"),
        Some(TOKEN),
    );
    let creds = &emulator.issued()[0];

    for shown in [format!("{creds:?}"), format!("{creds:#?}")] {
        assert!(shown.contains(&creds.access_key_id), "{shown}");
        assert!(shown.contains(FIRST_ACCOUNT), "{shown}");
        assert!(!shown.contains(&creds.secret_access_key), "{shown}");
        assert!(!shown.contains(&creds.session_token), "{shown}");
        assert!(shown.contains("<redacted>"), "{shown}");
    }
}

#[test]
fn credential_lifetime_is_configurable_and_changeable() {
    let emulator =
        start(EmulatorConfig::generated(1, 1).credential_lifetime(Duration::from_secs(120)));
    let path = credentials_path(FIRST_ACCOUNT, "ReadOnly");
    let before = now_secs();

    get(emulator.port(), &path, Some(TOKEN));
    emulator.set_credential_lifetime(Duration::from_secs(5));
    get(emulator.port(), &path, Some(TOKEN));

    let after = now_secs();
    let expiries: Vec<i64> = emulator
        .issued()
        .iter()
        .map(|c| c.expiration_epoch_ms / 1000)
        .collect();
    assert!(
        (before + 120..=after + 120).contains(&expiries[0]),
        "{expiries:?}"
    );
    assert!(
        (before + 5..=after + 5).contains(&expiries[1]),
        "{expiries:?}"
    );
}

#[test]
fn accounts_fit_on_one_page() {
    let emulator = start(EmulatorConfig::generated(3, 1));

    let (accounts, next_token) = page(emulator.port(), "/assignment/accounts", "accountList");

    assert_eq!(next_token, None);
    assert_eq!(
        Value::from(accounts),
        json!([
            {"accountId": "100000000000", "accountName": "account-0", "emailAddress": "account-0@example.com"},
            {"accountId": "100000000001", "accountName": "account-1", "emailAddress": "account-1@example.com"},
            {"accountId": "100000000002", "accountName": "account-2", "emailAddress": "account-2@example.com"},
        ])
    );
}

#[test]
fn accounts_span_several_pages() {
    let emulator = start(EmulatorConfig::generated(5, 1).page_size(2));

    let pages = all_pages(emulator.port(), "/assignment/accounts?", "accountList");

    assert_eq!(page_sizes(&pages), [2, 2, 1]);
    let expected: Vec<String> = (0..5).map(|i| format!("10000000000{i}")).collect();
    assert_eq!(account_ids(&pages), expected);
    assert_eq!(emulator.count(Operation::ListAccounts), 3);
}

#[test]
fn max_result_shrinks_pages_but_never_grows_them() {
    let emulator = start(EmulatorConfig::generated(5, 1).page_size(2));
    let port = emulator.port();

    let one = all_pages(port, "/assignment/accounts?max_result=1", "accountList");
    let hundred = all_pages(port, "/assignment/accounts?max_result=100", "accountList");

    assert_eq!(page_sizes(&one), [1, 1, 1, 1, 1]);
    assert_eq!(page_sizes(&hundred), [2, 2, 1]);
    assert_eq!(account_ids(&one), account_ids(&hundred));
}

#[test]
fn no_accounts_is_one_empty_page() {
    let emulator = start(EmulatorConfig::generated(0, 0));

    let (accounts, next_token) = page(emulator.port(), "/assignment/accounts", "accountList");

    assert!(accounts.is_empty());
    assert_eq!(next_token, None);
}

#[test]
fn trailing_empty_page_follows_the_last_full_page() {
    let emulator = start(
        EmulatorConfig::generated(4, 3)
            .page_size(2)
            .trailing_empty_page(true),
    );
    let port = emulator.port();

    let accounts = all_pages(port, "/assignment/accounts?", "accountList");
    let roles = all_pages(port, &roles_path(FIRST_ACCOUNT), "roleList");

    assert_eq!(page_sizes(&accounts), [2, 2, 0]);
    assert!(accounts[1].1.is_some(), "last non-empty page has a token");
    assert_eq!(accounts[2].1, None);
    assert_eq!(page_sizes(&roles), [2, 1, 0]);
}

#[test]
fn trailing_empty_page_after_a_single_page_and_not_for_an_empty_listing() {
    let one_page = start(
        EmulatorConfig::generated(2, 1)
            .page_size(5)
            .trailing_empty_page(true),
    );
    let empty = start(EmulatorConfig::generated(0, 0).trailing_empty_page(true));

    let pages = all_pages(one_page.port(), "/assignment/accounts?", "accountList");
    let (accounts, next_token) = page(empty.port(), "/assignment/accounts", "accountList");

    assert_eq!(page_sizes(&pages), [2, 0]);
    assert!(accounts.is_empty());
    assert_eq!(next_token, None);
}

#[test]
fn unusual_names_and_roles_survive_the_round_trip() {
    let account = Account::new("210987654321", "Prüfung – Konto «1» ✓")
        .email("ops+prüfung@example.com")
        .roles(["My.Role+x@y", "Deploy=Prod,EU", "Admin"]);
    let emulator = start(EmulatorConfig::new().account(account).page_size(2));
    let port = emulator.port();

    let (accounts, _) = page(port, "/assignment/accounts", "accountList");
    let roles = all_pages(port, &roles_path("210987654321"), "roleList");
    let response = get(
        port,
        &credentials_path("210987654321", "My.Role+x@y"),
        Some(TOKEN),
    );

    assert_eq!(
        Value::from(accounts),
        json!([{"accountId": "210987654321", "accountName": "Prüfung – Konto «1» ✓",
                "emailAddress": "ops+prüfung@example.com"}])
    );
    let roles: Vec<Value> = roles.into_iter().flat_map(|(items, _)| items).collect();
    assert_eq!(
        Value::from(roles),
        json!([
            {"roleName": "My.Role+x@y", "accountId": "210987654321"},
            {"roleName": "Deploy=Prod,EU", "accountId": "210987654321"},
            {"roleName": "Admin", "accountId": "210987654321"},
        ])
    );
    assert_eq!(response.status, 200, "{response:?}");
    assert_eq!(emulator.issued()[0].role_name, "My.Role+x@y");
}

#[test]
fn missing_or_unknown_token_is_unauthorized_on_every_operation() {
    let emulator = start(EmulatorConfig::generated(1, 1));
    let port = emulator.port();
    let paths = [
        credentials_path(FIRST_ACCOUNT, "ReadOnly"),
        "/assignment/accounts".to_owned(),
        roles_path(FIRST_ACCOUNT),
    ];

    for path in &paths {
        get(port, path, None).expect_error(401, "UnauthorizedException");
        get(port, path, Some("wrong-token")).expect_error(401, "UnauthorizedException");
    }
    logout(port, "wrong-token").expect_error(401, "UnauthorizedException");
    request(port, "POST", "/logout", &[]).expect_error(401, "UnauthorizedException");

    assert!(emulator.issued().is_empty());
    assert!(emulator.logged_out_tokens().is_empty());
}

#[test]
fn token_is_checked_before_parameters() {
    let emulator = start(EmulatorConfig::generated(1, 1));
    let port = emulator.port();

    get(port, "/federation/credentials", Some("wrong-token"))
        .expect_error(401, "UnauthorizedException");
    get(port, "/assignment/accounts?max_result=0", None).expect_error(401, "UnauthorizedException");
    get(port, "/federation/credentials", Some(TOKEN)).expect_error(400, "InvalidRequestException");
}

#[test]
fn logout_ends_only_that_token() {
    let emulator = start(EmulatorConfig::generated(1, 1).with_token("other-token"));
    let port = emulator.port();

    let response = logout(port, TOKEN);

    assert_eq!(response.status, 200, "{response:?}");
    assert_eq!(response.body, "");
    get(port, "/assignment/accounts", Some(TOKEN)).expect_error(401, "UnauthorizedException");
    assert_eq!(
        get(port, "/assignment/accounts", Some("other-token")).status,
        200
    );
    assert_eq!(emulator.logged_out_tokens(), [TOKEN]);
    assert_eq!(emulator.count(Operation::Logout), 1);
}

#[test]
fn revoked_and_replaced_tokens() {
    let emulator = start(EmulatorConfig::generated(1, 1));
    let port = emulator.port();

    emulator.revoke_tokens();
    get(port, "/assignment/accounts", Some(TOKEN)).expect_error(401, "UnauthorizedException");

    emulator.set_tokens(["fresh-token"]);
    assert_eq!(
        get(port, "/assignment/accounts", Some("fresh-token")).status,
        200
    );
    get(port, "/assignment/accounts", Some(TOKEN)).expect_error(401, "UnauthorizedException");
}

#[test]
fn unassigned_roles_and_unknown_accounts_are_not_found() {
    let emulator = start(EmulatorConfig::generated(1, 2));
    let port = emulator.port();

    for path in [
        credentials_path(FIRST_ACCOUNT, "Developer"),
        credentials_path("999999999999", "ReadOnly"),
        roles_path("999999999999"),
    ] {
        get(port, &path, Some(TOKEN)).expect_error(404, "ResourceNotFoundException");
    }
    assert!(emulator.issued().is_empty());
}

#[test]
fn bad_parameters_are_invalid_requests() {
    let emulator = start(EmulatorConfig::generated(2, 2).page_size(1));
    let port = emulator.port();
    let (_, accounts_token) = page(port, "/assignment/accounts", "accountList");
    let (_, roles_token) = page(port, &roles_path(FIRST_ACCOUNT), "roleList");
    let accounts_token = encode(&accounts_token.unwrap());
    let roles_token = encode(&roles_token.unwrap());

    let bad = [
        "/assignment/accounts?max_result=0".to_owned(),
        "/assignment/accounts?max_result=101".to_owned(),
        "/assignment/accounts?max_result=ten".to_owned(),
        "/assignment/accounts?max_result=-1".to_owned(),
        format!("{}&max_result=0", roles_path(FIRST_ACCOUNT)),
        "/assignment/accounts?next_token=not-a-token".to_owned(),
        format!("/assignment/accounts?next_token={roles_token}"),
        format!("{}&next_token={accounts_token}", roles_path(FIRST_ACCOUNT)),
        format!("{}&next_token={roles_token}", roles_path("100000000001")),
        "/assignment/roles".to_owned(),
        format!("/federation/credentials?account_id={FIRST_ACCOUNT}"),
        "/federation/credentials?role_name=ReadOnly".to_owned(),
        "/federation/credentials?role_name=ReadOnly&account_id=".to_owned(),
    ];
    for path in &bad {
        let message = get(port, path, Some(TOKEN)).expect_error(400, "InvalidRequestException");
        assert!(!message.is_empty(), "{path}");
    }

    for path in [
        "/assignment/accounts?max_result=1",
        "/assignment/accounts?max_result=100",
        "/assignment/accounts?next_token=&max_result=",
    ] {
        assert_eq!(get(port, path, Some(TOKEN)).status, 200, "{path}");
    }
}

#[test]
fn every_nth_authorised_request_is_throttled() {
    let emulator = start(EmulatorConfig::generated(1, 1).throttle_every(3));
    let port = emulator.port();

    let statuses: Vec<u16> = (0..7)
        .map(|_| get(port, "/assignment/accounts", Some(TOKEN)).status)
        .collect();

    assert_eq!(statuses, [200, 200, 429, 200, 200, 429, 200]);
    assert_eq!(emulator.throttled(), 2);
    assert_eq!(emulator.count(Operation::ListAccounts), 7);
    get(port, "/assignment/accounts", Some(TOKEN));
    let message = get(port, "/assignment/accounts", Some(TOKEN))
        .expect_error(429, "TooManyRequestsException");
    assert!(!message.is_empty());
}

#[test]
fn throttling_spans_operations_and_skips_unauthorised_requests() {
    let emulator = start(EmulatorConfig::generated(1, 1).throttle_every(2));
    let port = emulator.port();
    let creds = credentials_path(FIRST_ACCOUNT, "ReadOnly");
    let roles = roles_path(FIRST_ACCOUNT);

    let statuses: Vec<u16> = [
        get(port, "/assignment/accounts", Some(TOKEN)),
        get(port, &roles, Some("wrong-token")),
        get(port, &roles, Some(TOKEN)),
        get(port, &creds, Some(TOKEN)),
        get(port, &creds, None),
        logout(port, TOKEN),
    ]
    .iter()
    .map(|response| response.status)
    .collect();

    assert_eq!(statuses, [200, 401, 429, 200, 401, 429]);
    assert!(
        emulator.logged_out_tokens().is_empty(),
        "a throttled logout does nothing"
    );
}

#[test]
fn throttling_can_be_changed_at_runtime() {
    let emulator = start(EmulatorConfig::generated(1, 1).throttle_every(1));
    let port = emulator.port();
    let status = || get(port, "/assignment/accounts", Some(TOKEN)).status;

    assert_eq!(status(), 429);
    emulator.set_throttle_every(None);
    assert_eq!([status(), status(), status()], [200, 200, 200]);
    emulator.set_throttle_every(Some(2));
    assert_eq!(
        [status(), status(), status(), status()],
        [200, 429, 200, 429]
    );
    emulator.set_throttle_every(Some(0));
    assert_eq!(status(), 200);
    assert_eq!(emulator.throttled(), 3);
}

#[test]
fn latency_delays_every_answer() {
    let delay = Duration::from_millis(200);
    let emulator = start(EmulatorConfig::generated(1, 1).latency(delay));
    let port = emulator.port();

    let started = Instant::now();
    get(port, "/assignment/accounts", Some(TOKEN));
    let slow = started.elapsed();
    let started = Instant::now();
    get(port, "/assignment/accounts", None).expect_error(401, "UnauthorizedException");
    let slow_error = started.elapsed();
    emulator.set_latency(Duration::ZERO);
    let started = Instant::now();
    get(port, "/assignment/accounts", Some(TOKEN));
    let fast = started.elapsed();

    assert!(slow >= delay, "{slow:?}");
    assert!(slow_error >= delay, "{slow_error:?}");
    assert!(fast < delay, "{fast:?}");
}

#[test]
fn counts_cover_failures_and_can_be_reset() {
    let emulator = start(EmulatorConfig::generated(1, 1).throttle_every(4));
    let port = emulator.port();

    get(port, "/assignment/accounts", Some(TOKEN));
    get(port, "/assignment/accounts", None);
    get(port, &roles_path(FIRST_ACCOUNT), Some(TOKEN));
    get(port, &credentials_path(FIRST_ACCOUNT, "Admin"), Some(TOKEN));
    get(
        port,
        &credentials_path(FIRST_ACCOUNT, "ReadOnly"),
        Some(TOKEN),
    );
    get(port, "/not/an/operation", Some(TOKEN));

    let expected: BTreeMap<String, u64> = [
        ("AssumeRole", 0),
        ("GetCallerIdentity", 0),
        ("GetAuthorizationToken", 0),
        ("GetRoleCredentials", 2),
        ("ListAccountRoles", 1),
        ("ListAccounts", 2),
        ("Logout", 0),
        ("StsThrottled", 0),
        ("Throttled", 1),
    ]
    .into_iter()
    .map(|(name, count)| (name.to_owned(), count))
    .collect();
    assert_eq!(emulator.counts(), expected);
    assert_eq!(emulator.count(Operation::GetRoleCredentials), 2);

    emulator.reset_counts();
    assert!(emulator.counts().values().all(|&count| count == 0));
    assert_eq!(emulator.counts().len(), 9);
    let statuses: Vec<u16> = (0..4)
        .map(|_| get(port, "/assignment/accounts", Some(TOKEN)).status)
        .collect();
    assert_eq!(statuses, [200, 200, 200, 429], "reset restarts the cycle");
}

#[test]
fn unknown_paths_and_methods_are_not_found() {
    let emulator = start(EmulatorConfig::generated(1, 1));
    let port = emulator.port();

    get(port, "/", Some(TOKEN)).expect_error(404, "UnknownOperationException");
    get(port, "/assignment/unknown", Some(TOKEN)).expect_error(404, "UnknownOperationException");
    get(port, "/logout", Some(TOKEN)).expect_error(404, "UnknownOperationException");
    request(port, "POST", "/assignment/accounts", &[])
        .expect_error(404, "UnknownOperationException");

    assert!(emulator.counts().values().all(|&count| count == 0));
}

#[test]
fn admin_endpoints_report_and_reset() {
    let emulator = start(EmulatorConfig::generated(1, 1));
    let port = emulator.port();
    get(
        port,
        &credentials_path(FIRST_ACCOUNT, "ReadOnly"),
        Some(TOKEN),
    );
    get(port, "/assignment/accounts", None);

    let counts = get(port, "/_emulator/counts", None).json();
    let issued = get(port, "/_emulator/issued", None).json();
    let reset = request(port, "POST", "/_emulator/reset", &[]);

    assert_eq!(
        counts,
        json!({"AssumeRole": 0, "GetAuthorizationToken": 0, "GetCallerIdentity": 0,
               "GetRoleCredentials": 1, "ListAccountRoles": 0, "ListAccounts": 1, "Logout": 0,
               "StsThrottled": 0, "Throttled": 0})
    );
    let creds = &emulator.issued()[0];
    assert_eq!(
        issued,
        json!([{
            "account_id": FIRST_ACCOUNT,
            "role_name": "ReadOnly",
            "access_key_id": creds.access_key_id,
            "secret_access_key": creds.secret_access_key,
            "session_token": creds.session_token,
            "expiration_epoch_ms": creds.expiration_epoch_ms,
            "role_arn": null,
            "assumed_by": null,
            "session_name": null,
            "external_id": null,
            "source_identity": null,
            "duration_seconds": null,
            "sts_region": null,
        }])
    );
    assert_eq!(reset.status, 204);
    assert_eq!(emulator.count(Operation::ListAccounts), 0);
    assert_eq!(emulator.issued().len(), 1, "reset keeps the issued record");
}

#[test]
fn concurrent_requests_are_all_counted_and_distinct() {
    let emulator = start(EmulatorConfig::generated(2, 2));
    let port = emulator.port();

    std::thread::scope(|scope| {
        for worker in 0..8 {
            scope.spawn(move || {
                let account = format!("10000000000{}", worker % 2);
                for _ in 0..10 {
                    let response = get(port, &credentials_path(&account, "Admin"), Some(TOKEN));
                    assert_eq!(response.status, 200);
                }
            });
        }
    });

    let issued = emulator.issued();
    assert_eq!(emulator.count(Operation::GetRoleCredentials), 80);
    assert_eq!(issued.len(), 80);
    let keys: HashSet<&str> = issued.iter().map(|c| c.access_key_id.as_str()).collect();
    assert_eq!(keys.len(), 80);
}

#[test]
fn shutdown_finishes_requests_in_flight_then_stops_listening() {
    let emulator = start(EmulatorConfig::generated(1, 1).latency(Duration::from_millis(300)));
    let port = emulator.port();

    let in_flight = std::thread::spawn(move || get(port, "/assignment/accounts", Some(TOKEN)));
    while emulator.count(Operation::ListAccounts) == 0 {
        std::thread::sleep(Duration::from_millis(5));
    }
    let started = Instant::now();
    emulator.shutdown();

    assert_eq!(in_flight.join().unwrap().status, 200);
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(TcpStream::connect(("127.0.0.1", port)).is_err());
}

#[test]
fn dropping_the_handle_stops_the_server() {
    let emulator = start(EmulatorConfig::generated(1, 1));
    let port = emulator.port();
    assert_eq!(emulator.url(), format!("http://127.0.0.1:{port}"));
    assert!(format!("{emulator:?}").contains(&emulator.url()));

    drop(emulator);

    assert!(TcpStream::connect(("127.0.0.1", port)).is_err());
}
