//! The Debug output of every type that holds a secret is redacted.

use ssocred_core::domain::sso_profile::SsoProfile;
use ssocred_core::login::sso_cache;
use ssocred_core::store::role_cache::{self, RoleCache};
use ssocred_core::{CredentialSet, RoleArn};
use time::macros::datetime;

const ACCESS_TOKEN: &str = "ACCESS-TOKEN-secret-0123456789";
const CLIENT_SECRET: &str = "CLIENT-SECRET-secret-0123456789";
const REFRESH_TOKEN: &str = "REFRESH-TOKEN-secret-0123456789";
const SECRET_KEY: &str = "SECRET-KEY-secret/0123456789+abcdef";
const SESSION_TOKEN: &str = "SESSION-TOKEN-secret-0123456789==";

fn assert_redacted(shown: &str) {
    for secret in [
        ACCESS_TOKEN,
        CLIENT_SECRET,
        REFRESH_TOKEN,
        SECRET_KEY,
        SESSION_TOKEN,
    ] {
        assert!(!shown.contains(secret), "{shown}");
    }
}

fn profile() -> SsoProfile {
    SsoProfile {
        name: "p".into(),
        session: Some("corp".into()),
        start_url: "https://d-1.awsapps.com/start".into(),
        sso_region: "us-east-1".into(),
        region: None,
        account_id: None,
        role_name: None,
    }
}

fn set() -> CredentialSet {
    CredentialSet {
        account_id: "123456789012".into(),
        account_name: Some("Prod".into()),
        role_name: "ReadOnly".into(),
        role_arn: "arn:aws:iam::123456789012:role/ReadOnly".into(),
        access_key_id: "ASIAEXAMPLE".into(),
        secret_access_key: SECRET_KEY.to_owned().into(),
        session_token: SESSION_TOKEN.to_owned().into(),
        expiration: datetime!(2099-01-01 00:00 UTC),
        region: None,
        sso_profile: "p".into(),
        sso_session: Some("corp".into()),
        start_url: "https://d-1.awsapps.com/start".into(),
        assumed_via: Vec::new(),
    }
}

#[test]
fn credential_sets_hide_the_secret_key_and_session_token() {
    let shown = format!("{:?} {:#?}", set(), set());
    assert_redacted(&shown);
    assert!(shown.contains("ASIAEXAMPLE"), "{shown}");
}

#[test]
fn cached_and_valid_tokens_hide_every_secret_field() {
    let dir = tempfile::tempdir().unwrap();
    let body = serde_json::json!({
        "startUrl": "https://d-1.awsapps.com/start",
        "region": "us-east-1",
        "accessToken": ACCESS_TOKEN,
        "expiresAt": "2099-01-01T00:00:00Z",
        "clientId": "client",
        "clientSecret": CLIENT_SECRET,
        "registrationExpiresAt": "2099-01-01T00:00:00Z",
        "refreshToken": REFRESH_TOKEN,
    })
    .to_string();
    let parsed = sso_cache::parse(body.as_bytes()).unwrap();
    assert_redacted(&format!("{parsed:?} {parsed:#?}"));
    std::fs::write(sso_cache::cache_path(dir.path(), &profile()), &body).unwrap();
    let valid = sso_cache::load(dir.path(), &profile(), datetime!(2026-01-01 00:00 UTC)).unwrap();
    assert_redacted(&format!("{valid:?} {valid:#?}"));
}

#[test]
fn role_cache_entries_hide_the_secret_key_and_session_token() {
    let dir = tempfile::tempdir().unwrap();
    let cache = RoleCache::new(dir.path().to_path_buf(), role_cache::DEFAULT_WINDOW);
    cache.store(&profile(), &set()).unwrap();
    let role = RoleArn::parse("arn:aws:iam::123456789012:role/ReadOnly").unwrap();
    let hit = cache
        .lookup(&profile(), &role, datetime!(2026-01-01 00:00 UTC))
        .unwrap();
    assert_redacted(&format!("{hit:?} {hit:#?} {cache:?}"));
    let bytes = std::fs::read(cache.path(&profile(), &role)).unwrap();
    let parsed = role_cache::parse_entry(&bytes).unwrap();
    assert_redacted(&format!("{parsed:?}"));
    let back = cache.to_set(parsed, &profile(), &role, None);
    assert_redacted(&format!("{back:?}"));
    // Misses describe entries without their contents.
    std::fs::write(
        cache.path(&profile(), &role),
        format!(
            "{{\"ProviderType\":\"sso\",\"Credentials\":{{\"SecretAccessKey\":\"{SECRET_KEY}\""
        ),
    )
    .unwrap();
    let miss = cache
        .lookup(&profile(), &role, datetime!(2026-01-01 00:00 UTC))
        .unwrap_err();
    assert_redacted(&format!("{miss} {miss:?}"));
}
