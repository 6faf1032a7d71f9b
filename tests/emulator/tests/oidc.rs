//! The SSO OIDC endpoints on the wire: registration, the device code and
//! PKCE grants with their failure modes, refresh-token rotation, and issued
//! tokens being accepted by the portal.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use base64::Engine as _;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use ssocred_emulator::{Account, Emulator, EmulatorConfig, OidcConfig, OidcOperation};

const DEVICE: &str = "urn:ietf:params:oauth:grant-type:device_code";

fn post(port: u16, path: &str, body: &Value) -> (u16, Option<String>, Value) {
    let body = body.to_string();
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).unwrap();
    let (head, body) = reply.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let error_type = head.lines().find_map(|l| {
        l.split_once(':')
            .filter(|(k, _)| k.eq_ignore_ascii_case("x-amzn-errortype"))
            .map(|(_, v)| v.trim().to_owned())
    });
    (
        status,
        error_type,
        serde_json::from_str(body).unwrap_or(Value::Null),
    )
}

fn emulator(oidc: OidcConfig) -> Emulator {
    Emulator::start(
        EmulatorConfig::new()
            .account(Account::new("123456789012", "Prod").role("ReadOnly"))
            .oidc(oidc),
    )
    .unwrap()
}

fn register(port: u16, pkce: bool) -> (String, String) {
    let mut body =
        json!({"clientName": "t", "clientType": "public", "scopes": ["sso:account:access"]});
    if pkce {
        body["grantTypes"] = json!(["authorization_code", "refresh_token"]);
        body["redirectUris"] = json!(["http://127.0.0.1/oauth/callback"]);
        body["issuerUrl"] = json!("https://x/start");
    }
    let (status, _, out) = post(port, "/client/register", &body);
    assert_eq!(status, 200, "{out}");
    (
        out["clientId"].as_str().unwrap().to_owned(),
        out["clientSecret"].as_str().unwrap().to_owned(),
    )
}

#[test]
fn pkce_codes_need_the_right_verifier_once() {
    let e = emulator(OidcConfig::default());
    let port = e.port();
    let (id, secret) = register(port, true);
    let verifier = "v".repeat(50);
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(Sha256::digest(verifier.as_bytes()));
    let redirect = "http://127.0.0.1:5555/oauth/callback";
    let authorize = format!(
        "/authorize?response_type=code&client_id={}&redirect_uri={}&state=s%201&code_challenge_method=S256&scopes=sso%3Aaccount%3Aaccess&code_challenge={challenge}",
        support::encode(&id),
        support::encode(redirect)
    );
    let code_from = |target: &str| {
        let r = support::request(port, "GET", target, &[]);
        assert_eq!(r.status, 302, "{r:?}");
        let location = r.header("location").unwrap().to_owned();
        assert!(location.starts_with(redirect), "{location}");
        assert!(location.ends_with("&state=s%201"), "{location}");
        let code = location
            .split("code=")
            .nth(1)
            .unwrap()
            .split('&')
            .next()
            .unwrap();
        percent_decode(code)
    };
    let code = code_from(&authorize);
    let exchange = |code: &str, verifier: &str| {
        post(
            port,
            "/token",
            &json!({"clientId": id, "clientSecret": secret, "grantType": "authorization_code",
                    "code": code, "redirectUri": redirect, "codeVerifier": verifier}),
        )
    };
    let (status, kind, _) = exchange(&code, "wrong");
    assert_eq!(
        (status, kind.as_deref()),
        (400, Some("InvalidGrantException"))
    );
    // A refused exchange uses the code up, as a real one does.
    let (status, _, _) = exchange(&code, &verifier);
    assert_eq!(status, 400);

    let code = code_from(&authorize);
    let (status, _, out) = exchange(&code, &verifier);
    assert_eq!(status, 200, "{out}");
    assert!(out["refreshToken"].is_string());
    // The access token opens the portal.
    let token = out["accessToken"].as_str().unwrap();
    let r = support::get(
        port,
        "/federation/credentials?role_name=ReadOnly&account_id=123456789012",
        Some(token),
    );
    assert_eq!(r.status, 200, "{r:?}");

    // A redirect URI other than the registered one (any port) is refused.
    let bad = authorize.replace(
        &support::encode(redirect),
        &support::encode("http://evil/cb"),
    );
    assert_eq!(support::request(port, "GET", &bad, &[]).status, 400);
    assert_eq!(e.oidc_count(OidcOperation::Authorize), 3);
}

#[test]
fn device_codes_go_pending_slow_approved_then_used() {
    let e = emulator(OidcConfig::default().slow_down_polls(1));
    let port = e.port();
    let (id, secret) = register(port, false);
    let (status, _, auth) = post(
        port,
        "/device_authorization",
        &json!({"clientId": id, "clientSecret": secret, "startUrl": "https://x/start"}),
    );
    assert_eq!(status, 200, "{auth}");
    let poll = || {
        post(
            port,
            "/token",
            &json!({"clientId": id, "clientSecret": secret, "grantType": DEVICE,
                    "deviceCode": auth["deviceCode"]}),
        )
    };
    assert_eq!(poll().1.as_deref(), Some("SlowDownException"));
    assert_eq!(poll().1.as_deref(), Some("AuthorizationPendingException"));
    assert!(e.approve_device(auth["userCode"].as_str().unwrap()));
    let (status, _, out) = poll();
    assert_eq!(status, 200, "{out}");
    assert_eq!(poll().1.as_deref(), Some("InvalidGrantException"));
    assert_eq!(e.create_token_count(DEVICE), 4);

    // Refresh without rotation keeps the refresh token; revoking ends it.
    let refresh = |token: &Value| {
        post(
            port,
            "/token",
            &json!({"clientId": id, "clientSecret": secret, "grantType": "refresh_token",
                    "refreshToken": token}),
        )
    };
    let (status, _, again) = refresh(&out["refreshToken"]);
    assert_eq!(status, 200);
    assert_eq!(again["refreshToken"], out["refreshToken"]);
    e.revoke_refresh_tokens();
    assert_eq!(
        refresh(&out["refreshToken"]).1.as_deref(),
        Some("InvalidGrantException")
    );
    // An expired registration is an invalid client.
    e.expire_registrations();
    assert_eq!(poll().0, 401);
}

#[test]
fn rotation_invalidates_the_old_refresh_token() {
    let e = emulator(
        OidcConfig::default()
            .approval_delay(Some(Duration::ZERO))
            .rotate_refresh_tokens(true),
    );
    let port = e.port();
    let (id, secret) = register(port, false);
    let (_, _, auth) = post(
        port,
        "/device_authorization",
        &json!({"clientId": id, "clientSecret": secret, "startUrl": "https://x/start"}),
    );
    let (_, _, first) = post(
        port,
        "/token",
        &json!({"clientId": id, "clientSecret": secret, "grantType": DEVICE, "deviceCode": auth["deviceCode"]}),
    );
    let refresh = |token: &Value| {
        post(
            port,
            "/token",
            &json!({"clientId": id, "clientSecret": secret, "grantType": "refresh_token", "refreshToken": token}),
        )
    };
    let (status, _, second) = refresh(&first["refreshToken"]);
    assert_eq!(status, 200);
    assert_ne!(second["refreshToken"], first["refreshToken"]);
    assert_eq!(refresh(&first["refreshToken"]).0, 400);
    assert_eq!(refresh(&second["refreshToken"]).0, 200);
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 3 <= bytes.len() {
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
