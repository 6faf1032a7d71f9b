//! The role-cache entry parser: any bytes parse or are a miss, a parsed
//! entry's expiry can be formatted and compared without a panic, and the
//! secrets of a parsed entry never show in Debug output.
//!
//! Input whose first byte is 0 is an `Expiration` value (the rest, as text)
//! inside an otherwise valid entry, so the fuzzer reaches the date handling
//! with hostile but well-formed JSON: offsets that overflow in UTC, years out
//! of range, leap seconds, numbers.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ssocred_core::ExposeSecret;
use ssocred_core::store::role_cache::parse_entry;
use ssocred_core::domain::time_fmt;

fuzz_target!(|data: &[u8]| {
    let entry = match data.split_first() {
        Some((0, expiration)) => {
            let expiration = String::from_utf8_lossy(expiration);
            let json = serde_json::json!({
                "ProviderType": "sso",
                "Credentials": {
                    "AccessKeyId": "ASIAFUZZ",
                    "SecretAccessKey": "fuzz-secret-access-key",
                    "SessionToken": "fuzz-session-token",
                    "Expiration": expiration,
                },
            });
            parse_entry(json.to_string().as_bytes())
        }
        _ => parse_entry(data),
    };
    let Ok(entry) = entry else {
        return;
    };
    // What a lookup and every sink do with the expiry.
    let shown = time_fmt::utc_z(entry.expiration);
    assert!(shown.ends_with('Z'));
    let now = time::OffsetDateTime::now_utc();
    let _ = entry.expiration - now > time::Duration::minutes(15);
    let debug = format!("{entry:?}");
    for secret in [
        entry.secret_access_key.expose_secret(),
        entry.session_token.expose_secret(),
    ] {
        if secret.len() >= 8 && !entry.access_key_id.contains(secret) {
            assert!(!debug.contains(secret));
        }
    }
});
